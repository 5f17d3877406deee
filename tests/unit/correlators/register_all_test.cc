#include "correlators/register_all.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/common/time.h"

namespace cairn::correlators {
namespace {

using correlate::Activity;
using correlate::CorrelatorInput;
using correlate::Finding;
using correlate::Registry;

const TimeMs kT = MakeTimeMs(2024, 1, 19, 9, 0, 0);
constexpr int64_t kMinute = 60'000;

Registry MakeRegistry() {
  Registry registry;
  Status status = RegisterAll(registry);
  EXPECT_TRUE(status.ok());
  return registry;
}

Result<std::vector<Finding>> RunByName(const Registry& registry, const std::string& name,
                                       const CorrelatorInput& input) {
  CAIRN_ASSIGN_OR_RETURN(const correlate::Correlator* c, registry.Get(name));
  return c->Run(input);
}

TEST(RegisterAllTest, RegistersTheFiveCorrelatorsOnce) {
  Registry registry = MakeRegistry();
  EXPECT_EQ(registry.Names(),
            (std::vector<std::string>{"actor_profile", "change_near_onset", "impossible_travel",
                                      "location_baseline", "spike_onset"}));
  for (const std::string& name : registry.Names()) {
    EXPECT_FALSE(registry.Find(name)->description().empty()) << name;
  }
  Status again = RegisterAll(registry);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().code(), ErrorCode::kInvalidArgument);
}

TEST(RegisterAllTest, SpikeOnsetByNameBindsTheOnset) {
  Registry registry = MakeRegistry();
  CorrelatorInput input;
  for (int idx = 0; idx < 12; ++idx)
    input.series.push_back({kT + idx * kMinute, idx % 5 == 0 ? 1 : 0});
  for (int idx = 12; idx < 16; ++idx) input.series.push_back({kT + idx * kMinute, 8});
  input.params = {{"min_count", "6"}, {"window", "10"}, {"to", std::to_string(kT + 20 * kMinute)}};
  auto findings = RunByName(registry, "spike_onset", input);
  ASSERT_TRUE(findings.ok()) << findings.error().ToString();
  ASSERT_EQ(findings->size(), 1u);
  const Finding& f = findings->front();
  EXPECT_EQ(f.correlator, "spike_onset");
  EXPECT_EQ(f.kind, "spike");
  EXPECT_EQ(f.fields.at("onset"), "2024-01-19T09:12:00Z");
  EXPECT_EQ(f.fields.at("end"), "2024-01-19T09:15:00Z");
  EXPECT_EQ(f.fields.at("total"), "32");
  EXPECT_EQ(f.fields.at("ongoing"), "false");
  EXPECT_EQ(f.evidence.size(), 16u);  // minutes 2..17 of the zero-filled series
  EXPECT_EQ(f.evidence.front().time, kT + 2 * kMinute);
  EXPECT_EQ(f.evidence[10].note, "count=8");

  input.params = {{"min_count", "9"}};
  EXPECT_TRUE(RunByName(registry, "spike_onset", input)->empty());
  input.params = {{"min_cont", "9"}};
  auto typo = RunByName(registry, "spike_onset", input);
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().message(), "unknown parameter 'min_cont'");
  EXPECT_EQ(typo.error().help(), "did you mean 'min_count'?");
}

TEST(RegisterAllTest, ChangeNearOnsetNeedsAnOnsetAndCitesTheEvent) {
  Registry registry = MakeRegistry();
  Activity change;
  change.id = 77;
  change.time = kT - 30'000;
  change.source = "trail.json";
  change.event_id = "ev-77";
  change.actor_arn = "arn:aws:iam::111122223333:user/keymgr";
  change.action = "UpdateAccessKey";
  change.resource = "AKIAAPP";
  change.target_user = "app";
  change.new_status = "Inactive";
  change.source_ip = "81.2.69.142";
  CorrelatorInput input;
  input.events = {change};
  input.dependencies = {"AKIAAPP"};
  auto missing = RunByName(registry, "change_near_onset", input);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message(), "change_near_onset needs an onset");
  input.params = {{"onset", "2024-01-19T09:00:00Z"}};
  auto findings = RunByName(registry, "change_near_onset", input);
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  const Finding& f = findings->front();
  EXPECT_EQ(f.severity, correlate::Severity::kHigh);
  EXPECT_EQ(f.fields.at("target_key"), "AKIAAPP");
  EXPECT_EQ(f.fields.at("dependency"), "true");
  EXPECT_EQ(f.fields.at("offset_ms"), "-30000");
  EXPECT_EQ(f.evidence, (std::vector<correlate::Evidence>{
                            {77, kT - 30'000, "trail.json", "ev-77", "UpdateAccessKey"}}));
  EXPECT_EQ(f.sentence,
            "UpdateAccessKey by arn:aws:iam::111122223333:user/keymgr from 81.2.69.142 at "
            "2024-01-19T08:59:30Z on access key AKIAAPP of user app (status Inactive): 30s before "
            "the onset; acts on access key AKIAAPP, which the failing requests used; sets the "
            "status to Inactive.");
}

TEST(RegisterAllTest, LocationAndTravelAndProfileByName) {
  Registry registry = MakeRegistry();
  auto geo = [](std::string_view ip) {
    correlate::Place p;
    if (ip == "216.160.83.56") {
      p = {true, "US", "United States", "Milton", 47.2513, -122.3149, ""};
    } else if (ip == "81.2.69.142") {
      p = {true, "GB", "United Kingdom", "London", 51.5142, -0.0931, ""};
    }
    return p;
  };
  auto act = [](int64_t id, TimeMs t, const char* ip, const char* action) {
    Activity a;
    a.id = id;
    a.time = t;
    a.actor_arn = "arn:aws:iam::111122223333:user/keymgr";
    a.actor_name = "keymgr";
    a.source_ip = ip;
    a.action = action;
    return a;
  };
  CorrelatorInput input;
  input.geo = geo;
  input.baseline_events = {act(1, kT - 1000 * kMinute, "216.160.83.56", "ListUsers")};
  input.events = {act(2, kT, "216.160.83.56", "ListUsers"),
                  act(3, kT + 10 * kMinute, "81.2.69.142", "UpdateAccessKey"),
                  act(4, kT + 11 * kMinute, "81.2.69.142", "UpdateAccessKey")};

  auto locations = RunByName(registry, "location_baseline", input);
  ASSERT_TRUE(locations.ok());
  ASSERT_EQ(locations->size(), 2u);
  EXPECT_EQ((*locations)[0].kind, "new_location");
  EXPECT_EQ((*locations)[0].fields.at("address"), "81.2.69.142");
  EXPECT_EQ((*locations)[0].fields.at("count"), "2");
  EXPECT_EQ((*locations)[0].fields.at("baseline_countries"), "US");
  EXPECT_EQ((*locations)[0].evidence.size(), 2u);
  EXPECT_EQ((*locations)[1].kind, "locations");
  EXPECT_EQ((*locations)[1].fields.at("incident_countries"), "GB,US");

  auto travel = RunByName(registry, "impossible_travel", input);
  ASSERT_TRUE(travel.ok());
  ASSERT_EQ(travel->size(), 1u);
  EXPECT_EQ((*travel)[0].fields.at("from_place"), "Milton, United States");
  EXPECT_EQ((*travel)[0].fields.at("to_place"), "London, United Kingdom");
  EXPECT_EQ((*travel)[0].fields.at("distance_km"), "7732.34");

  input.params = {{"principal", "keymgr"}};
  auto profile = RunByName(registry, "actor_profile", input);
  ASSERT_TRUE(profile.ok());
  ASSERT_EQ(profile->size(), 1u);
  EXPECT_EQ((*profile)[0].fields.at("actions"), "UpdateAccessKey=2,ListUsers=1");
  EXPECT_EQ((*profile)[0].fields.at("first_seen_actions"), "UpdateAccessKey");
  EXPECT_EQ((*profile)[0].fields.at("event_ids"), "2,3,4");
  input.params = {};
  EXPECT_EQ(RunByName(registry, "actor_profile", input).error().code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace cairn::correlators
