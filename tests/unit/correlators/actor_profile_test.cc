#include "correlators/actor_profile.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/common/time.h"

namespace cairn::correlators {
namespace {

using correlate::Activity;

const char* kOps = "arn:aws:iam::111122223333:user/keymgr";

Activity Act(int64_t id, TimeMs time, const std::string& action, const std::string& ip,
             const std::string& key = "", const std::string& target_user = "",
             const std::string& new_status = "") {
  Activity a;
  a.id = id;
  a.time = time;
  a.actor_arn = kOps;
  a.actor_name = "keymgr";
  a.access_key = "ASIAKEYMGR";
  a.action = action;
  a.source_ip = ip;
  a.resource = key;
  a.target_user = target_user;
  a.new_status = new_status;
  a.outcome = "success";
  a.event_id = "ev-" + std::to_string(id);
  return a;
}

TimeMs Day(int day, int hour, int minute, int second = 0) {
  return MakeTimeMs(2024, 1, day, hour, minute, second);
}

// The usual week: key rotation at 14:00 UTC from the office.
std::vector<Activity> Baseline() {
  return {
      Act(1, Day(10, 14, 0), "ListAccessKeys", "216.160.83.56", "", "app"),
      Act(2, Day(10, 14, 1), "CreateAccessKey", "216.160.83.56", "AKIAROT2", "app", "Active"),
      Act(3, Day(10, 14, 2), "UpdateAccessKey", "216.160.83.56", "AKIAROT1", "app", "Inactive"),
      Act(4, Day(12, 14, 5), "UpdateAccessKey", "216.160.83.56", "AKIAROT1", "app", "Inactive")};
}

TEST(ActorProfileTest, MustFireOnANightOfReconAndKeyChanges) {
  std::vector<Activity> events = {
      Act(20, Day(19, 3, 0), "ConsoleLogin", "81.2.69.142"),
      Act(21, Day(19, 3, 1), "ListUsers", "81.2.69.142"),
      Act(22, Day(19, 3, 2), "ListAccessKeys", "81.2.69.142", "", "app"),
      Act(23, Day(19, 3, 2, 30), "ListAccessKeys", "81.2.69.142", "", "bob"),
      Act(24, Day(19, 3, 3), "GetUser", "81.2.69.142", "", "bob"),
      Act(25, Day(19, 3, 5), "UpdateAccessKey", "81.2.69.142", "AKIAAPP", "app", "Inactive"),
      Act(26, Day(19, 3, 6), "UpdateAccessKey", "81.2.69.144", "AKIABOB", "bob", "Inactive"),
      Act(27, Day(19, 3, 7), "CreateAccessKey", "81.2.69.144", "AKIANEW", "keymgr", "Active"),
      Act(28, Day(19, 3, 8), "GetObject", "81.2.69.144"),
  };
  Activity someone_else = Act(29, Day(19, 3, 9), "DeleteUser", "216.160.83.56", "", "keymgr");
  someone_else.actor_arn = "arn:aws:iam::111122223333:user/admin";
  someone_else.actor_name = "admin";
  someone_else.access_key = "AKIAADMIN";
  events.push_back(someone_else);
  Activity failed = Act(30, Day(19, 3, 10), "UpdateAccessKey", "81.2.69.144", "AKIAROOT", "root");
  failed.outcome = "failure";
  failed.error_code = "AccessDenied";
  events.push_back(failed);

  auto profile = BuildActorProfile(events, Baseline(), "keymgr");
  ASSERT_TRUE(profile.ok()) << profile.error().ToString();
  const ActorProfile& p = *profile;
  EXPECT_EQ(p.events, 10);
  EXPECT_EQ(p.failures, 1);
  EXPECT_EQ(p.first, Day(19, 3, 0));
  EXPECT_EQ(p.last, Day(19, 3, 10));
  EXPECT_EQ(p.identities, (std::vector<std::string>{kOps, "keymgr"}));
  ASSERT_EQ(p.actions.size(), 7u);
  EXPECT_EQ(p.actions[0].action, "UpdateAccessKey");
  EXPECT_EQ(p.actions[0].count, 3);
  EXPECT_EQ(p.actions[0].failures, 1);
  EXPECT_EQ(p.actions[1].action, "ListAccessKeys");
  EXPECT_EQ(p.actions[1].count, 2);
  EXPECT_EQ(p.actions[2].action, "ConsoleLogin");  // count 1, then by name
  EXPECT_EQ(p.actions[6].action, "ListUsers");

  ASSERT_EQ(p.keys_touched.size(), 4u);
  EXPECT_EQ(p.keys_touched[0].key, "AKIAAPP");
  EXPECT_EQ(p.keys_touched[0].target_user, "app");
  EXPECT_EQ(p.keys_touched[0].new_status, "Inactive");
  EXPECT_EQ(p.keys_touched[2].action, "CreateAccessKey");
  EXPECT_EQ(p.keys_touched[2].new_status, "Active");
  EXPECT_TRUE(p.keys_touched[3].failed);
  EXPECT_EQ(p.keys_used, (std::vector<std::string>{"ASIAKEYMGR"}));

  ASSERT_EQ(p.users_affected.size(), 3u);      // keymgr itself is not "another user"
  EXPECT_EQ(p.users_affected[0].user, "bob");  // by count, descending
  EXPECT_EQ(p.users_affected[0].count, 3);
  EXPECT_EQ(p.users_affected[0].actions,
            (std::vector<std::string>{"GetUser", "ListAccessKeys", "UpdateAccessKey"}));
  EXPECT_EQ(p.users_affected[1].user, "app");
  EXPECT_EQ(p.users_affected[1].count, 2);
  EXPECT_EQ(p.users_affected[2].user, "root");

  ASSERT_EQ(p.addresses.size(), 2u);
  EXPECT_EQ(p.addresses[0].address, "81.2.69.142");
  EXPECT_EQ(p.addresses[0].count, 6);
  EXPECT_EQ(p.addresses[1].address, "81.2.69.144");
  EXPECT_EQ(p.addresses[1].first, Day(19, 3, 6));

  EXPECT_TRUE(p.has_baseline);
  EXPECT_EQ(p.baseline_events, 4);
  EXPECT_EQ(p.first_seen_actions,
            (std::vector<std::string>{"ConsoleLogin", "GetObject", "GetUser", "ListUsers"}));
  ASSERT_EQ(p.recon_bursts.size(), 1u);
  EXPECT_EQ(p.recon_bursts[0].start, Day(19, 3, 1));
  EXPECT_EQ(p.recon_bursts[0].end, Day(19, 3, 3));
  EXPECT_EQ(p.recon_bursts[0].calls, 4);
  EXPECT_EQ(p.recon_bursts[0].actions,
            (std::vector<std::string>{"GetUser", "ListAccessKeys", "ListUsers"}));
  EXPECT_EQ(p.recon_bursts[0].ids, (std::vector<int64_t>{21, 22, 23, 24}));
  ASSERT_EQ(p.logins.size(), 1u);
  EXPECT_EQ(p.logins[0].id, 20);
  EXPECT_EQ(p.logins[0].source_ip, "81.2.69.142");
  EXPECT_EQ(p.hours[3], 10);
  EXPECT_EQ(p.baseline_hours[14], 4);
  EXPECT_EQ(p.new_hours, (std::vector<int>{3}));
  EXPECT_EQ(p.event_ids, (std::vector<int64_t>{20, 21, 22, 23, 24, 25, 26, 27, 28, 30}));
}

TEST(ActorProfileTest, MustNotFireOnTheUsualRoutine) {
  // The same rotation a week later: nothing new, no recon burst, no other users beyond the usual.
  std::vector<Activity> events = {
      Act(40, Day(17, 14, 0), "ListAccessKeys", "216.160.83.56", "", "app"),
      Act(41, Day(17, 14, 1), "CreateAccessKey", "216.160.83.56", "AKIAROT3", "app", "Active"),
      Act(42, Day(17, 14, 2), "UpdateAccessKey", "216.160.83.56", "AKIAROT2", "app", "Inactive")};
  auto profile = BuildActorProfile(events, Baseline(), kOps);
  ASSERT_TRUE(profile.ok());
  EXPECT_EQ(profile->events, 3);
  EXPECT_TRUE(profile->first_seen_actions.empty());
  EXPECT_TRUE(profile->new_hours.empty());
  EXPECT_TRUE(profile->recon_bursts.empty());
  EXPECT_TRUE(profile->logins.empty());
  EXPECT_EQ(profile->addresses.size(), 1u);
}

TEST(ActorProfileTest, UnknownPrincipalAndNoBaseline) {
  auto nobody = BuildActorProfile(Baseline(), Baseline(), "ghost");
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ(nobody->events, 0);
  EXPECT_FALSE(nobody->has_baseline);
  auto fresh = BuildActorProfile(Baseline(), {}, "ASIAKEYMGR");  // by access key id
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(fresh->events, 4);
  EXPECT_FALSE(fresh->has_baseline);
  EXPECT_TRUE(fresh->first_seen_actions.empty());  // no baseline: nothing is called first-seen
  EXPECT_TRUE(fresh->new_hours.empty());
  EXPECT_EQ(BuildActorProfile({}, {}, "").error().code(), ErrorCode::kInvalidArgument);
}

TEST(ActorProfileTest, ReconAndLoginClassification) {
  EXPECT_TRUE(IsReconAction("ListUsers"));
  EXPECT_TRUE(IsReconAction("DescribeInstances"));
  EXPECT_TRUE(IsReconAction("GetCallerIdentity"));
  EXPECT_FALSE(IsReconAction("GetObject"));
  EXPECT_FALSE(IsReconAction("GetObjectAcl"));
  EXPECT_FALSE(IsReconAction("GetSessionToken"));
  EXPECT_FALSE(IsReconAction("UpdateAccessKey"));
  EXPECT_TRUE(IsLoginAction("ConsoleLogin"));
  EXPECT_TRUE(IsLoginAction("GetSessionToken"));
  EXPECT_FALSE(IsLoginAction("AssumeRole"));
}

}  // namespace
}  // namespace cairn::correlators
