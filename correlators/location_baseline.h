#pragma once
// Location baseline: per principal, the countries, cities and networks its requests came from in a
// baseline window, and the incident-window events that came from somewhere outside that baseline.
// AWS service names ("s3.amazonaws.com", "AWS Internal"), private/reserved addresses and text that
// is not an IP are not locations and are skipped. See docs/correlators.md.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/common/result.h"
#include "engine/correlate/activity.h"

namespace cairn::correlators {

// How far from the baseline an address must be to count as "outside".
enum class LocationLevel {
  kCountry,  // a country not seen in the baseline (default)
  kCity,     // a city (or, when the city is unknown, a country) not seen
  kNetwork,  // a network not seen
};
// "country", "city", "network"; and the inverse (false when unknown).
const char* LocationLevelName(LocationLevel level);
bool LocationLevelFromName(std::string_view name, LocationLevel* out);

struct LocationParams {
  LocationLevel level = LocationLevel::kCountry;
  // Principals with no locatable baseline address are not compared (listed in no_baseline).
  // false: everything such a principal did from a locatable address is "outside".
  bool require_baseline = true;
};

// Where one principal's requests came from in one window. Lists are sorted and unique.
struct PrincipalLocations {
  std::string principal;
  int64_t events = 0;                  // events with a locatable address
  std::vector<std::string> countries;  // ISO codes of located addresses
  std::vector<std::string> cities;     // "CC/City" of located addresses with a city
  std::vector<std::string> networks;   // Place::network, else DefaultNetworkOf(ip)
  std::vector<std::string> addresses;
};

struct OutsideEvent {
  int64_t id = 0;
  std::string event_id;
  std::string source;
  TimeMs time = 0;
  std::string principal;
  std::string action;
  std::string source_ip;
  correlate::Place place;  // as returned by the lookup
  std::string network;
  bool new_country = false;  // located, country absent from the baseline
  bool new_city = false;     // located with a city, "CC/City" absent from the baseline
  bool new_network = false;
  std::vector<std::string> reasons;
};

struct LocationReport {
  std::vector<PrincipalLocations> baseline;  // by principal
  std::vector<PrincipalLocations> incident;  // by principal
  std::vector<OutsideEvent> outside;         // by time, then id
  std::vector<std::string> no_baseline;      // principals active in the incident without baseline
  int64_t skipped = 0;  // incident+baseline events whose address is not a location
};

// Compares the incident events with the baseline events, principal by principal
// (correlate::PrincipalOf; events without a principal are skipped). `geo` is called once per
// distinct locatable address; an empty function means nothing is located (network level only).
// An address the lookup does not know (found == false) is outside iff its network is new.
// Never fails today; returns Result for parameter checks to come.
Result<LocationReport> CompareLocations(std::span<const correlate::Activity> baseline_events,
                                        std::span<const correlate::Activity> incident_events,
                                        const correlate::GeoLookup& geo,
                                        const LocationParams& params = {});

}  // namespace cairn::correlators
