#include "correlators/impossible_travel.h"

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/common/time.h"

namespace cairn::correlators {
namespace {

using correlate::Activity;
using correlate::Place;

const TimeMs kT = MakeTimeMs(2024, 1, 19, 9, 0, 0);
constexpr int64_t kMinute = 60'000;
const char* kOps = "arn:aws:iam::111122223333:user/ops";
// Haversine distances computed independently (Python, R = 6371.0088 km).
constexpr double kMiltonLondonKm = 7732.339730236462;
constexpr double kLondonBoxfordKm = 84.04252667869427;

Place At(const char* cc, const char* city, double lat, double lon) {
  Place p;
  p.found = true;
  p.country_code = cc;
  p.city = city;
  p.latitude = lat;
  p.longitude = lon;
  return p;
}

correlate::GeoLookup Geo() {
  static const std::map<std::string, Place> places = {
      {"216.160.83.56", At("US", "Milton", 47.2513, -122.3149)},
      {"81.2.69.142", At("GB", "London", 51.5142, -0.0931)},
      {"81.2.69.143", At("GB", "London", 51.5142, -0.0931)},
      {"2.125.160.216", At("GB", "Boxford", 51.75, -1.25)},
      {"67.43.156.1",
       [] {
         Place p;
         p.found = true;
         p.country_code = "BT";
         return p;
       }()},
  };
  return [](std::string_view ip) {
    auto it = places.find(std::string(ip));
    return it == places.end() ? Place{} : it->second;
  };
}

Activity Act(int64_t id, int64_t at_ms, const std::string& arn, const std::string& ip) {
  Activity a;
  a.id = id;
  a.time = kT + at_ms;
  a.actor_arn = arn;
  a.source_ip = ip;
  a.action = "ListUsers";
  a.event_id = "ev-" + std::to_string(id);
  return a;
}

TEST(HaversineTest, KnownDistances) {
  EXPECT_NEAR(HaversineKm(47.2513, -122.3149, 51.5142, -0.0931), kMiltonLondonKm, 1e-6);
  EXPECT_NEAR(HaversineKm(0, 0, 0, 1), 111.1950802335329, 1e-6);
  EXPECT_DOUBLE_EQ(HaversineKm(10, 20, 10, 20), 0.0);
  EXPECT_NEAR(HaversineKm(0, 0, 0, 180), 3.14159265358979323846 * 6371.0088, 1e-6);
}

TEST(ImpossibleTravelTest, MustFireOnUsThenLondonHalfAnHourLater) {
  std::vector<Activity> events = {Act(2, 30 * kMinute, kOps, "81.2.69.142"),
                                  Act(1, 0, kOps, "216.160.83.56"),
                                  Act(3, 31 * kMinute, kOps, "81.2.69.143")};
  auto hops = FindImpossibleTravel(events, Geo());
  ASSERT_TRUE(hops.ok());
  ASSERT_EQ(hops->size(), 1u);
  const TravelHop& h = hops->front();
  EXPECT_EQ(h.principal, kOps);
  EXPECT_EQ(h.from.id, 1);
  EXPECT_EQ(h.to.id, 2);
  EXPECT_EQ(h.from.source_ip, "216.160.83.56");
  EXPECT_EQ(h.to.place.city, "London");
  EXPECT_NEAR(h.distance_km, kMiltonLondonKm, 1e-6);
  EXPECT_EQ(h.elapsed_ms, 30 * kMinute);
  EXPECT_NEAR(h.speed_kmh, kMiltonLondonKm * 2, 1e-6);  // 15464.68 km/h
}

TEST(ImpossibleTravelTest, MustNotFireOnAPlausibleJourney) {
  // Milton, then London a day later (322 km/h); London then Boxford a minute later (84 km apart,
  // below the 200 km floor); private and service addresses; unlocated addresses.
  std::vector<Activity> events = {Act(1, 0, kOps, "216.160.83.56"),
                                  Act(2, 24 * 60 * kMinute, kOps, "81.2.69.142"),
                                  Act(3, 24 * 60 * kMinute + kMinute, kOps, "2.125.160.216"),
                                  Act(4, 24 * 60 * kMinute + 2 * kMinute, kOps, "10.0.0.1"),
                                  Act(5, 24 * 60 * kMinute + 3 * kMinute, kOps, "s3.amazonaws.com"),
                                  Act(6, 24 * 60 * kMinute + 4 * kMinute, kOps, "198.51.100.7"),
                                  Act(7, 24 * 60 * kMinute + 5 * kMinute, kOps, "67.43.156.1")};
  auto hops = FindImpossibleTravel(events, Geo());
  ASSERT_TRUE(hops.ok());
  EXPECT_TRUE(hops->empty());
  EXPECT_NEAR(HaversineKm(51.5142, -0.0931, 51.75, -1.25), kLondonBoxfordKm, 1e-6);
  EXPECT_TRUE(FindImpossibleTravel({}, Geo())->empty());
  EXPECT_TRUE(FindImpossibleTravel(events, correlate::GeoLookup())->empty());
}

TEST(ImpossibleTravelTest, PrincipalsAreSeparateAndSameSecondIsFloored) {
  const char* other = "arn:aws:iam::111122223333:user/dev";
  std::vector<Activity> events = {
      Act(1, 0, kOps, "216.160.83.56"), Act(2, 1000, other, "81.2.69.142"),
      Act(3, 2000, kOps, "216.160.83.56"), Act(4, 2000, other, "216.160.83.56")};
  auto hops = FindImpossibleTravel(events, Geo());
  ASSERT_TRUE(hops.ok());
  ASSERT_EQ(hops->size(), 1u);
  EXPECT_EQ(hops->front().principal, other);
  EXPECT_EQ(hops->front().elapsed_ms, 1000);
  EXPECT_NEAR(hops->front().speed_kmh, kMiltonLondonKm * 3600, 1e-3);

  std::vector<Activity> same_second = {Act(1, 0, kOps, "216.160.83.56"),
                                       Act(2, 0, kOps, "81.2.69.142")};
  auto floored = FindImpossibleTravel(same_second, Geo());
  ASSERT_TRUE(floored.ok());
  ASSERT_EQ(floored->size(), 1u);
  EXPECT_EQ(floored->front().elapsed_ms, 0);
  EXPECT_NEAR(floored->front().speed_kmh, kMiltonLondonKm * 3600, 1e-3);  // 1 s floor
}

TEST(ImpossibleTravelTest, ThresholdsAreParameters) {
  std::vector<Activity> events = {Act(1, 0, kOps, "216.160.83.56"),
                                  Act(2, 24 * 60 * kMinute, kOps, "81.2.69.142")};
  TravelParams slow;
  slow.max_speed_kmh = 300;  // 322 km/h is now too fast
  auto hops = FindImpossibleTravel(events, Geo(), slow);
  ASSERT_TRUE(hops.ok());
  ASSERT_EQ(hops->size(), 1u);
  EXPECT_NEAR(hops->front().speed_kmh, kMiltonLondonKm / 24, 1e-9);
  TravelParams bad;
  bad.max_speed_kmh = 0;
  EXPECT_EQ(FindImpossibleTravel(events, Geo(), bad).error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::correlators
