#include "correlators/impossible_travel.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "correlators/format_internal.h"
#include "correlators/register_all.h"
#include "engine/correlate/address.h"

namespace cairn::correlators {
namespace {

constexpr double kEarthRadiusKm = 6371.0088;
constexpr double kPi = 3.14159265358979323846;

double Radians(double degrees) { return degrees * kPi / 180.0; }

bool HasCoordinates(const correlate::Place& place) {
  return place.found && place.latitude.has_value() && place.longitude.has_value();
}

}  // namespace

double HaversineKm(double lat1, double lon1, double lat2, double lon2) {
  const double dlat = Radians(lat2 - lat1);
  const double dlon = Radians(lon2 - lon1);
  const double a =
      std::sin(dlat / 2) * std::sin(dlat / 2) +
      std::cos(Radians(lat1)) * std::cos(Radians(lat2)) * std::sin(dlon / 2) * std::sin(dlon / 2);
  return 2 * kEarthRadiusKm * std::asin(std::min(1.0, std::sqrt(a)));
}

Result<std::vector<TravelHop>> FindImpossibleTravel(std::span<const correlate::Activity> events,
                                                    const correlate::GeoLookup& geo,
                                                    const TravelParams& params) {
  if (!(params.max_speed_kmh > 0)) {
    return Error::InvalidArgument("impossible_travel: max_speed_kmh must be > 0");
  }
  if (params.min_distance_km < 0 || params.min_interval_ms < 0) {
    return Error::InvalidArgument(
        "impossible_travel: min_distance_km and min_interval_ms must be >= 0");
  }
  std::vector<TravelHop> hops;
  if (!geo) return hops;

  std::map<std::string, correlate::Place> cache;
  std::map<std::string, std::vector<const correlate::Activity*>> by_principal;
  for (const correlate::Activity& a : events) {
    std::string principal = correlate::PrincipalOf(a);
    if (principal.empty() || !correlate::IsLocatable(a.source_ip)) continue;
    auto it = cache.find(a.source_ip);
    if (it == cache.end()) it = cache.emplace(a.source_ip, geo(a.source_ip)).first;
    if (!HasCoordinates(it->second)) continue;
    by_principal[principal].push_back(&a);
  }
  for (auto& [principal, list] : by_principal) {
    std::stable_sort(list.begin(), list.end(), [](const auto* x, const auto* y) {
      return x->time != y->time ? x->time < y->time : x->id < y->id;
    });
    for (size_t idx = 1; idx < list.size(); ++idx) {
      const correlate::Activity& prev = *list[idx - 1];
      const correlate::Activity& next = *list[idx];
      const correlate::Place& p1 = cache.at(prev.source_ip);
      const correlate::Place& p2 = cache.at(next.source_ip);
      double distance = HaversineKm(*p1.latitude, *p1.longitude, *p2.latitude, *p2.longitude);
      if (distance < params.min_distance_km || distance == 0) continue;
      int64_t elapsed = next.time - prev.time;
      int64_t floored = std::max(elapsed, params.min_interval_ms);
      double hours = static_cast<double>(std::max<int64_t>(floored, 1)) / 3'600'000.0;
      double speed = distance / hours;
      if (speed <= params.max_speed_kmh) continue;
      auto point = [&](const correlate::Activity& a, const correlate::Place& place) {
        TravelPoint p;
        p.id = a.id;
        p.event_id = a.event_id;
        p.source = a.source;
        p.time = a.time;
        p.action = a.action;
        p.source_ip = a.source_ip;
        p.place = place;
        return p;
      };
      TravelHop hop;
      hop.principal = principal;
      hop.from = point(prev, p1);
      hop.to = point(next, p2);
      hop.distance_km = distance;
      hop.elapsed_ms = elapsed;
      hop.speed_kmh = speed;
      hops.push_back(std::move(hop));
    }
  }
  std::stable_sort(hops.begin(), hops.end(), [](const TravelHop& x, const TravelHop& y) {
    return x.to.time != y.to.time ? x.to.time < y.to.time : x.principal < y.principal;
  });
  return hops;
}

}  // namespace cairn::correlators

namespace cairn::correlators {
namespace {

std::string PlaceText(const correlate::Place& place) {
  std::string name = place.country_name.empty() ? place.country_code : place.country_name;
  return place.city.empty() ? name : place.city + ", " + name;
}

class ImpossibleTravelCorrelator final : public correlate::Correlator {
 public:
  std::string name() const override { return "impossible_travel"; }
  std::string description() const override {
    return "consecutive actions of one principal from places too far apart for the time between";
  }
  Result<std::vector<correlate::Finding>> Run(
      const correlate::CorrelatorInput& input) const override {
    correlate::ParamReader reader(input.params);
    TravelParams p;
    CAIRN_ASSIGN_OR_RETURN(p.max_speed_kmh, reader.Double("max_speed_kmh", p.max_speed_kmh, 0));
    CAIRN_ASSIGN_OR_RETURN(p.min_distance_km,
                           reader.Double("min_distance_km", p.min_distance_km, 0));
    CAIRN_ASSIGN_OR_RETURN(p.min_interval_ms, reader.DurationMs("min_interval", p.min_interval_ms));
    CAIRN_TRY(reader.Finish());
    CAIRN_ASSIGN_OR_RETURN(std::vector<TravelHop> hops,
                           FindImpossibleTravel(input.events, input.geo, p));
    std::vector<correlate::Finding> findings;
    for (const TravelHop& h : hops) {
      correlate::Finding f;
      f.correlator = name();
      f.kind = "travel";
      f.severity = correlate::Severity::kHigh;
      f.score = h.speed_kmh;
      f.sentence = h.principal + " acted from " + h.from.source_ip + " (" +
                   PlaceText(h.from.place) + ") at " + internal::TimeText(h.from.time) +
                   " and from " + h.to.source_ip + " (" + PlaceText(h.to.place) + ") at " +
                   internal::TimeText(h.to.time) + ": " + FormatDouble(h.distance_km, 0) +
                   " km in " + std::to_string(h.elapsed_ms / 1000) + " s, " +
                   FormatDouble(h.speed_kmh, 0) + " km/h.";
      for (const TravelPoint* point : {&h.from, &h.to}) {
        correlate::Evidence e;
        e.id = point->id;
        e.time = point->time;
        e.source = point->source;
        e.event_id = point->event_id;
        e.note = point->action + " from " + point->source_ip;
        f.evidence.push_back(std::move(e));
      }
      f.fields = {{"principal", h.principal},
                  {"from_address", h.from.source_ip},
                  {"from_place", PlaceText(h.from.place)},
                  {"from_time", internal::TimeText(h.from.time)},
                  {"to_address", h.to.source_ip},
                  {"to_place", PlaceText(h.to.place)},
                  {"to_time", internal::TimeText(h.to.time)},
                  {"distance_km", internal::Num(h.distance_km)},
                  {"elapsed_ms", std::to_string(h.elapsed_ms)},
                  {"speed_kmh", internal::Num(h.speed_kmh)}};
      findings.push_back(std::move(f));
    }
    return findings;
  }
};

}  // namespace

std::unique_ptr<correlate::Correlator> MakeImpossibleTravelCorrelator() {
  return std::make_unique<ImpossibleTravelCorrelator>();
}

}  // namespace cairn::correlators
