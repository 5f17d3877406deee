#pragma once
// Impossible travel: consecutive actions of one principal from two places so far apart, so close
// in time, that nobody could have travelled between them (great-circle distance by haversine over
// the elapsed time above a speed threshold). See docs/correlators.md.

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/common/result.h"
#include "engine/correlate/activity.h"

namespace cairn::correlators {

// Great-circle distance in km between two points in degrees (haversine, mean Earth radius
// 6371.0088 km). Pure.
double HaversineKm(double lat1, double lon1, double lat2, double lon2);

struct TravelParams {
  double max_speed_kmh = 1000;     // faster than this is impossible (a jet flies ~900 km/h)
  double min_distance_km = 200;    // closer pairs are ignored: GeoIP is not more precise than that
  int64_t min_interval_ms = 1000;  // elapsed time is floored at this (same-second pairs)
};

struct TravelPoint {
  int64_t id = 0;
  std::string event_id;
  std::string source;
  TimeMs time = 0;
  std::string action;
  std::string source_ip;
  correlate::Place place;
};

struct TravelHop {
  std::string principal;
  TravelPoint from;
  TravelPoint to;
  double distance_km = 0;
  int64_t elapsed_ms = 0;  // to.time - from.time (before flooring)
  double speed_kmh = 0;    // distance / max(elapsed, min_interval)
};

// Per principal (correlate::PrincipalOf), the events are ordered by time (then id); those whose
// address is locatable and located with coordinates are kept; each is compared with the previous
// kept one. A hop is reported when the distance is >= min_distance_km and the speed exceeds
// max_speed_kmh. Results ordered by `to` time, then principal. `geo` is called once per distinct
// address; an empty function yields no hops. Errors: kInvalidArgument for a non-positive speed,
// negative distance or interval.
Result<std::vector<TravelHop>> FindImpossibleTravel(std::span<const correlate::Activity> events,
                                                    const correlate::GeoLookup& geo,
                                                    const TravelParams& params = {});

}  // namespace cairn::correlators
