#include "correlators/location_baseline.h"

#include <algorithm>
#include <map>
#include <set>

#include "correlators/format_internal.h"
#include "correlators/register_all.h"
#include "engine/correlate/address.h"

namespace cairn::correlators {
namespace {

using correlate::Activity;
using correlate::Place;

// Lookups cached per address for one run.
class Locator {
 public:
  explicit Locator(const correlate::GeoLookup& geo) : geo_(geo) {}
  const Place& Locate(const std::string& ip) {
    auto it = cache_.find(ip);
    if (it != cache_.end()) return it->second;
    Place place = geo_ ? geo_(ip) : Place{};
    if (place.network.empty()) place.network = correlate::DefaultNetworkOf(ip);
    return cache_.emplace(ip, std::move(place)).first->second;
  }

 private:
  const correlate::GeoLookup& geo_;
  std::map<std::string, Place> cache_;
};

std::string CityKey(const Place& place) {
  if (!place.found || place.city.empty()) return {};
  return place.country_code + "/" + place.city;
}

struct Sets {
  int64_t events = 0;
  std::set<std::string> countries, cities, networks, addresses;
};

PrincipalLocations ToList(const std::string& principal, const Sets& s) {
  PrincipalLocations out;
  out.principal = principal;
  out.events = s.events;
  out.countries.assign(s.countries.begin(), s.countries.end());
  out.cities.assign(s.cities.begin(), s.cities.end());
  out.networks.assign(s.networks.begin(), s.networks.end());
  out.addresses.assign(s.addresses.begin(), s.addresses.end());
  return out;
}

void Add(Sets* sets, const std::string& ip, const Place& place) {
  ++sets->events;
  sets->addresses.insert(ip);
  sets->networks.insert(place.network);
  if (place.found && !place.country_code.empty()) sets->countries.insert(place.country_code);
  std::string city = CityKey(place);
  if (!city.empty()) sets->cities.insert(city);
}

std::string Describe(const Place& place) {
  if (!place.found) return "unknown location";
  std::string name = place.country_name.empty() ? place.country_code : place.country_name;
  if (!place.city.empty()) return place.city + ", " + name;
  return name;
}

}  // namespace

const char* LocationLevelName(LocationLevel level) {
  switch (level) {
    case LocationLevel::kCountry:
      return "country";
    case LocationLevel::kCity:
      return "city";
    case LocationLevel::kNetwork:
      return "network";
  }
  return "country";
}

bool LocationLevelFromName(std::string_view name, LocationLevel* out) {
  for (LocationLevel level :
       {LocationLevel::kCountry, LocationLevel::kCity, LocationLevel::kNetwork}) {
    if (name == LocationLevelName(level)) {
      *out = level;
      return true;
    }
  }
  return false;
}

Result<LocationReport> CompareLocations(std::span<const Activity> baseline_events,
                                        std::span<const Activity> incident_events,
                                        const correlate::GeoLookup& geo,
                                        const LocationParams& params) {
  LocationReport report;
  Locator locator(geo);
  std::map<std::string, Sets> baseline, incident;
  for (const Activity& a : baseline_events) {
    std::string principal = correlate::PrincipalOf(a);
    if (principal.empty()) continue;
    if (!correlate::IsLocatable(a.source_ip)) {
      ++report.skipped;
      continue;
    }
    Add(&baseline[principal], a.source_ip, locator.Locate(a.source_ip));
  }

  std::vector<const Activity*> ordered;
  for (const Activity& a : incident_events) ordered.push_back(&a);
  std::stable_sort(ordered.begin(), ordered.end(), [](const Activity* x, const Activity* y) {
    return x->time != y->time ? x->time < y->time : x->id < y->id;
  });
  std::set<std::string> no_baseline;
  const Sets empty;
  for (const Activity* a : ordered) {
    std::string principal = correlate::PrincipalOf(*a);
    if (principal.empty()) continue;
    if (!correlate::IsLocatable(a->source_ip)) {
      ++report.skipped;
      continue;
    }
    const Place& place = locator.Locate(a->source_ip);
    Add(&incident[principal], a->source_ip, place);
    auto base_it = baseline.find(principal);
    if (base_it == baseline.end()) {
      no_baseline.insert(principal);
      if (params.require_baseline) continue;
    }
    const Sets& base = base_it == baseline.end() ? empty : base_it->second;

    OutsideEvent out;
    out.new_network = base.networks.count(place.network) == 0;
    if (place.found && !place.country_code.empty()) {
      out.new_country = base.countries.count(place.country_code) == 0;
      std::string city = CityKey(place);
      out.new_city = !city.empty() && base.cities.count(city) == 0;
    }
    bool outside = false;
    if (!place.found || place.country_code.empty()) {
      outside = out.new_network;
      if (outside) {
        out.reasons.push_back(a->source_ip + " is not in the GeoIP database and its network " +
                              place.network + " was not seen in the baseline");
      }
    } else {
      switch (params.level) {
        case LocationLevel::kCountry:
          outside = out.new_country;
          break;
        case LocationLevel::kCity:
          outside = out.new_country || out.new_city;
          break;
        case LocationLevel::kNetwork:
          outside = out.new_network;
          break;
      }
      if (outside) {
        std::string where = Describe(place);
        if (out.new_country) {
          out.reasons.push_back(a->source_ip + " is in " + where + ", a country not seen for " +
                                principal + " in the baseline");
        } else if (out.new_city) {
          out.reasons.push_back(a->source_ip + " is in " + where + ", a city not seen for " +
                                principal + " in the baseline");
        } else {
          out.reasons.push_back(a->source_ip + " (" + where + ") is in network " + place.network +
                                ", not seen for " + principal + " in the baseline");
        }
      }
    }
    if (!outside) continue;
    out.id = a->id;
    out.event_id = a->event_id;
    out.source = a->source;
    out.time = a->time;
    out.principal = principal;
    out.action = a->action;
    out.source_ip = a->source_ip;
    out.place = place;
    out.network = place.network;
    report.outside.push_back(std::move(out));
  }
  for (const auto& [principal, sets] : baseline) report.baseline.push_back(ToList(principal, sets));
  for (const auto& [principal, sets] : incident) report.incident.push_back(ToList(principal, sets));
  report.no_baseline.assign(no_baseline.begin(), no_baseline.end());
  return report;
}

}  // namespace cairn::correlators

namespace cairn::correlators {
namespace {

std::string PlaceText(const correlate::Place& place) {
  if (!place.found) return "unknown location";
  std::string name = place.country_name.empty() ? place.country_code : place.country_name;
  return place.city.empty() ? name : place.city + ", " + name;
}

class LocationBaselineCorrelator final : public correlate::Correlator {
 public:
  std::string name() const override { return "location_baseline"; }
  std::string description() const override {
    return "per principal, the places seen in a baseline window and the incident events from "
           "outside them";
  }
  Result<std::vector<correlate::Finding>> Run(
      const correlate::CorrelatorInput& input) const override {
    correlate::ParamReader reader(input.params);
    LocationParams p;
    std::string level = reader.String("level", LocationLevelName(p.level));
    CAIRN_ASSIGN_OR_RETURN(p.require_baseline, reader.Bool("require_baseline", p.require_baseline));
    CAIRN_TRY(reader.Finish());
    if (!LocationLevelFromName(level, &p.level)) {
      return Error::InvalidArgument("parameter 'level' has value '" + level +
                                    "', expected country, city or network");
    }
    CAIRN_ASSIGN_OR_RETURN(LocationReport report,
                           CompareLocations(input.baseline_events, input.events, input.geo, p));
    std::map<std::string, const PrincipalLocations*> baseline_of;
    for (const auto& b : report.baseline) baseline_of[b.principal] = &b;

    // One finding per (principal, address) outside the baseline, in order of first appearance.
    std::vector<correlate::Finding> findings;
    std::map<std::pair<std::string, std::string>, size_t> index;
    for (const OutsideEvent& o : report.outside) {
      auto key = std::make_pair(o.principal, o.source_ip);
      auto it = index.find(key);
      if (it == index.end()) {
        correlate::Finding f;
        f.correlator = name();
        f.kind = "new_location";
        f.severity = o.new_country ? correlate::Severity::kHigh : correlate::Severity::kMedium;
        const PrincipalLocations* base =
            baseline_of.count(o.principal) ? baseline_of[o.principal] : nullptr;
        f.fields = {{"principal", o.principal},
                    {"address", o.source_ip},
                    {"place", PlaceText(o.place)},
                    {"country", o.place.country_code},
                    {"city", o.place.city},
                    {"latitude", o.place.latitude ? internal::Num(*o.place.latitude) : ""},
                    {"longitude", o.place.longitude ? internal::Num(*o.place.longitude) : ""},
                    {"network", o.network},
                    {"new_country", internal::BoolText(o.new_country)},
                    {"new_city", internal::BoolText(o.new_city)},
                    {"new_network", internal::BoolText(o.new_network)},
                    {"baseline_countries", base ? internal::List(base->countries) : ""},
                    {"baseline_cities", base ? internal::List(base->cities) : ""},
                    {"first", internal::TimeText(o.time)}};
        f.sentence = o.reasons.empty() ? std::string() : o.reasons.front();
        it = index.emplace(key, findings.size()).first;
        findings.push_back(std::move(f));
      }
      correlate::Finding& f = findings[it->second];
      correlate::Evidence e;
      e.id = o.id;
      e.time = o.time;
      e.source = o.source;
      e.event_id = o.event_id;
      e.note = o.action;
      f.evidence.push_back(std::move(e));
      f.score = static_cast<double>(f.evidence.size());
      f.fields["count"] = std::to_string(f.evidence.size());
      f.fields["last"] = internal::TimeText(o.time);
    }
    for (correlate::Finding& f : findings) {
      f.sentence += " (" + f.fields["count"] + " event(s) from " + f.fields["first"] + " to " +
                    f.fields["last"] + ").";
    }
    // One summary per principal active in the incident: baseline places versus incident places.
    for (const PrincipalLocations& inc : report.incident) {
      const PrincipalLocations* base =
          baseline_of.count(inc.principal) ? baseline_of[inc.principal] : nullptr;
      correlate::Finding f;
      f.correlator = name();
      f.kind = "locations";
      f.severity = correlate::Severity::kInfo;
      f.sentence = inc.principal + ": baseline countries [" +
                   (base ? Join(base->countries, ", ") : std::string("no baseline")) +
                   "], incident countries [" + Join(inc.countries, ", ") + "].";
      f.fields = {{"principal", inc.principal},
                  {"has_baseline", internal::BoolText(base != nullptr)},
                  {"baseline_countries", base ? internal::List(base->countries) : ""},
                  {"baseline_cities", base ? internal::List(base->cities) : ""},
                  {"baseline_networks", base ? internal::List(base->networks) : ""},
                  {"baseline_addresses", base ? internal::List(base->addresses) : ""},
                  {"incident_countries", internal::List(inc.countries)},
                  {"incident_cities", internal::List(inc.cities)},
                  {"incident_networks", internal::List(inc.networks)},
                  {"incident_addresses", internal::List(inc.addresses)}};
      findings.push_back(std::move(f));
    }
    return findings;
  }
};

}  // namespace

std::unique_ptr<correlate::Correlator> MakeLocationBaselineCorrelator() {
  return std::make_unique<LocationBaselineCorrelator>();
}

}  // namespace cairn::correlators
