#include "correlators/location_baseline.h"

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
const char* kOps = "arn:aws:iam::111122223333:user/ops";

Place At(const char* cc, const char* country, const char* city, double lat, double lon) {
  Place p;
  p.found = true;
  p.country_code = cc;
  p.country_name = country;
  p.city = city;
  p.latitude = lat;
  p.longitude = lon;
  return p;
}

// A fake geolocation that counts its calls.
struct FakeGeo {
  std::map<std::string, Place> places = {
      {"216.160.83.56", At("US", "United States", "Milton", 47.2513, -122.3149)},
      {"216.160.83.58", At("US", "United States", "Milton", 47.2513, -122.3149)},
      {"81.2.69.142", At("GB", "United Kingdom", "London", 51.5142, -0.0931)},
      {"2.125.160.216", At("GB", "United Kingdom", "Boxford", 51.75, -1.25)},
      {"89.160.20.115", At("SE", "Sweden", "Linköping", 58.4167, 15.6167)},
  };
  std::vector<std::string> calls;
  correlate::GeoLookup Lookup() {
    return [this](std::string_view ip) {
      calls.emplace_back(ip);
      auto it = places.find(std::string(ip));
      return it == places.end() ? Place{} : it->second;
    };
  }
};

Activity Act(int64_t id, int64_t minute, const std::string& arn, const std::string& ip,
             const std::string& action = "ListBuckets") {
  Activity a;
  a.id = id;
  a.time = kT + minute * 60'000;
  a.actor_arn = arn;
  a.actor_name = arn.substr(arn.rfind('/') + 1);
  a.source_ip = ip;
  a.action = action;
  a.event_id = "ev-" + std::to_string(id);
  return a;
}

std::vector<Activity> Baseline() {
  return {Act(1, -3000, kOps, "216.160.83.56"),    Act(2, -2000, kOps, "216.160.83.56"),
          Act(3, -1000, kOps, "s3.amazonaws.com"), Act(4, -900, kOps, "10.0.0.5"),
          Act(5, -800, kOps, "AWS Internal"),      Act(6, -700, kOps, "216.160.83.56")};
}

TEST(LocationBaselineTest, MustFireOnANewCountryAndAnUnknownNewNetwork) {
  FakeGeo geo;
  std::vector<Activity> incident = {
      Act(11, 0, kOps, "81.2.69.142", "ConsoleLogin"),
      Act(12, 1, kOps, "216.160.83.58"),  // same country, same /24: inside
      Act(13, 2, kOps, "81.2.69.142", "UpdateAccessKey"),
      Act(14, 3, kOps, "203.0.113.9"),  // unknown to the database, new network
      Act(15, 4, kOps, "not-an-ip"),
      Act(16, 5, "arn:aws:iam::111122223333:user/newbie", "89.160.20.115"),
      Act(17, 6, "", "81.2.69.142"),  // no principal
  };
  auto report = CompareLocations(Baseline(), incident, geo.Lookup());
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->baseline.size(), 1u);
  const PrincipalLocations& base = report->baseline[0];
  EXPECT_EQ(base.principal, kOps);
  EXPECT_EQ(base.events, 3);
  EXPECT_EQ(base.countries, (std::vector<std::string>{"US"}));
  EXPECT_EQ(base.cities, (std::vector<std::string>{"US/Milton"}));
  EXPECT_EQ(base.networks, (std::vector<std::string>{"216.160.83.0/24"}));
  EXPECT_EQ(base.addresses, (std::vector<std::string>{"216.160.83.56"}));
  EXPECT_EQ(report->skipped, 4);  // service name, private, "AWS Internal", not-an-ip

  ASSERT_EQ(report->outside.size(), 3u);
  EXPECT_EQ(report->outside[0].id, 11);
  EXPECT_EQ(report->outside[0].principal, kOps);
  EXPECT_EQ(report->outside[0].place.country_code, "GB");
  EXPECT_TRUE(report->outside[0].new_country);
  EXPECT_TRUE(report->outside[0].new_city);
  EXPECT_TRUE(report->outside[0].new_network);
  EXPECT_EQ(report->outside[0].network, "81.2.69.0/24");
  EXPECT_EQ(report->outside[0].reasons,
            (std::vector<std::string>{
                "81.2.69.142 is in London, United Kingdom, a country not seen for " +
                std::string(kOps) + " in the baseline"}));
  EXPECT_EQ(report->outside[1].id, 13);
  EXPECT_EQ(report->outside[2].id, 14);
  EXPECT_FALSE(report->outside[2].new_country);
  EXPECT_TRUE(report->outside[2].new_network);
  EXPECT_EQ(report->outside[2].reasons[0],
            "203.0.113.9 is not in the GeoIP database and its network 203.0.113.0/24 was not seen "
            "in the baseline");
  EXPECT_EQ(report->no_baseline,
            (std::vector<std::string>{"arn:aws:iam::111122223333:user/newbie"}));
  ASSERT_EQ(report->incident.size(), 2u);
  EXPECT_EQ(report->incident[1].principal, kOps);
  EXPECT_EQ(report->incident[1].countries, (std::vector<std::string>{"GB", "US"}));
  // One lookup per distinct locatable address.
  EXPECT_EQ(geo.calls.size(), 5u);
}

TEST(LocationBaselineTest, MustNotFireWhenTheIncidentComesFromTheBaselinePlaces) {
  FakeGeo geo;
  std::vector<Activity> incident = {
      Act(11, 0, kOps, "216.160.83.56"), Act(12, 1, kOps, "216.160.83.58"),
      Act(13, 2, kOps, "s3.amazonaws.com"), Act(14, 3, kOps, "192.168.1.20")};
  auto report = CompareLocations(Baseline(), incident, geo.Lookup());
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->outside.empty());
  EXPECT_TRUE(report->no_baseline.empty());
  auto empty = CompareLocations({}, {}, geo.Lookup());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->outside.empty());
  EXPECT_TRUE(empty->baseline.empty());
}

TEST(LocationBaselineTest, CityLevelSeesANewCityInAKnownCountry) {
  FakeGeo geo;
  std::vector<Activity> baseline = {Act(1, -100, kOps, "81.2.69.142")};
  std::vector<Activity> incident = {Act(2, 0, kOps, "2.125.160.216")};
  auto by_country = CompareLocations(baseline, incident, geo.Lookup());
  ASSERT_TRUE(by_country.ok());
  EXPECT_TRUE(by_country->outside.empty());
  LocationParams city;
  city.level = LocationLevel::kCity;
  auto by_city = CompareLocations(baseline, incident, geo.Lookup(), city);
  ASSERT_TRUE(by_city.ok());
  ASSERT_EQ(by_city->outside.size(), 1u);
  EXPECT_FALSE(by_city->outside[0].new_country);
  EXPECT_TRUE(by_city->outside[0].new_city);
  EXPECT_EQ(by_city->outside[0].reasons[0],
            "2.125.160.216 is in Boxford, United Kingdom, a city not seen for " +
                std::string(kOps) + " in the baseline");
  LocationParams network;
  network.level = LocationLevel::kNetwork;
  EXPECT_EQ(CompareLocations(baseline, incident, geo.Lookup(), network)->outside.size(), 1u);
}

TEST(LocationBaselineTest, PrincipalWithoutBaselineIsComparedOnlyWhenAsked) {
  FakeGeo geo;
  std::vector<Activity> incident = {
      Act(1, 0, "arn:aws:iam::111122223333:user/newbie", "89.160.20.115")};
  auto strict = CompareLocations({}, incident, geo.Lookup());
  ASSERT_TRUE(strict.ok());
  EXPECT_TRUE(strict->outside.empty());
  EXPECT_EQ(strict->no_baseline.size(), 1u);
  LocationParams loose;
  loose.require_baseline = false;
  auto all = CompareLocations({}, incident, geo.Lookup(), loose);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->outside.size(), 1u);
  EXPECT_TRUE(all->outside[0].new_country);
  EXPECT_EQ(all->outside[0].place.city, "Linköping");
}

TEST(LocationBaselineTest, WithoutGeolocationOnlyNetworksCount) {
  std::vector<Activity> incident = {Act(11, 0, kOps, "81.2.69.142"),
                                    Act(12, 1, kOps, "216.160.83.99")};
  auto report = CompareLocations(Baseline(), incident, correlate::GeoLookup());
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->outside.size(), 1u);
  EXPECT_EQ(report->outside[0].id, 11);
  EXPECT_FALSE(report->outside[0].place.found);
  EXPECT_TRUE(report->baseline[0].countries.empty());
}

TEST(LocationBaselineTest, LevelNames) {
  LocationLevel level = LocationLevel::kCountry;
  EXPECT_TRUE(LocationLevelFromName("network", &level));
  EXPECT_EQ(level, LocationLevel::kNetwork);
  EXPECT_FALSE(LocationLevelFromName("planet", &level));
  EXPECT_STREQ(LocationLevelName(LocationLevel::kCity), "city");
}

}  // namespace
}  // namespace cairn::correlators
