#include "correlators/change_near_onset.h"

#include <vector>

#include <gtest/gtest.h>

#include "engine/common/time.h"

namespace cairn::correlators {
namespace {

using correlate::Activity;

const TimeMs kOnset = MakeTimeMs(2024, 1, 19, 9, 45, 0);
constexpr int64_t kSecond = 1000;
const char* kActor = "arn:aws:iam::111122223333:user/keymgr";

Activity Change(int64_t id, int64_t offset_seconds, const std::string& action,
                const std::string& resource, const std::string& target_user,
                const std::string& new_status = "") {
  Activity a;
  a.id = id;
  a.time = kOnset + offset_seconds * kSecond;
  a.source = "cloudtrail/trail.json";
  a.event_id = "ev-" + std::to_string(id);
  a.actor_arn = kActor;
  a.actor_name = "keymgr";
  a.action = action;
  a.resource = resource;
  a.target_user = target_user;
  a.new_status = new_status;
  a.source_ip = "81.2.69.142";
  a.outcome = "success";
  return a;
}

std::vector<Activity> Fixture() {
  std::vector<Activity> events;
  events.push_back(Change(101, -40, "UpdateAccessKey", "AKIAAPP", "app", "Inactive"));
  events.push_back(Change(102, -600, "CreateAccessKey", "AKIANEW", "other", "Active"));
  events.push_back(Change(103, -300, "ConsoleLogin", "", ""));
  events.push_back(Change(104, 30, "UpdateAccessKey", "AKIAOTHER", "bob", "Inactive"));
  events.push_back(Change(105, -1200, "DeleteAccessKey", "AKIAOLD", "app"));
  events.push_back(
      Change(106, -120, "AttachUserPolicy", "arn:aws:iam::aws:policy/ReadOnly", "app"));
  Activity failed = Change(107, 90, "UpdateAccessKey", "AKIAAPP", "app", "Inactive");
  failed.outcome = "failure";
  failed.error_code = "AccessDenied";
  events.push_back(failed);
  events.push_back(Change(108, 180, "UpdateAccessKey", "AKIAAPP", "app", "Active"));
  events.push_back(Change(109, -100, "ListAccessKeys", "", "app"));
  return events;
}

TEST(ChangeNearOnsetTest, MustFireRankingTheChangeOnTheDependencyFirst) {
  std::vector<Activity> events = Fixture();
  std::set<std::string> deps = {"AKIAAPP", "arn:aws:iam::111122223333:user/app"};
  auto changes = FindChangesNearOnset(events, kOnset, deps);
  ASSERT_TRUE(changes.ok()) << changes.error().ToString();
  ASSERT_EQ(changes->size(), 5u);
  const auto& c = *changes;
  EXPECT_EQ(c[0].id, 101);
  EXPECT_EQ(c[1].id, 106);
  EXPECT_EQ(c[2].id, 104);
  EXPECT_EQ(c[3].id, 107);
  EXPECT_EQ(c[4].id, 102);
  EXPECT_NEAR(c[0].score, (1 - 40.0 / 900) + 1 + 0.25, 1e-12);     // 2.205556
  EXPECT_NEAR(c[1].score, (1 - 120.0 / 900) + 1, 1e-12);           // 1.866667
  EXPECT_NEAR(c[2].score, 1 + 0.25, 1e-12);                        // in the onset minute
  EXPECT_NEAR(c[3].score, (0.25 * 0.5 + 1 + 0.25) * 0.25, 1e-12);  // failed, after the minute
  EXPECT_NEAR(c[4].score, 1 - 600.0 / 900, 1e-12);

  EXPECT_EQ(c[0].offset_ms, -40'000);
  EXPECT_EQ(c[0].action, "UpdateAccessKey");
  EXPECT_EQ(c[0].kind, ChangeKind::kAccessKey);
  EXPECT_EQ(c[0].actor, kActor);
  EXPECT_EQ(c[0].target_key, "AKIAAPP");
  EXPECT_EQ(c[0].target_user, "app");
  EXPECT_EQ(c[0].new_status, "Inactive");
  EXPECT_EQ(c[0].event_id, "ev-101");
  EXPECT_TRUE(c[0].dependency);
  EXPECT_TRUE(c[0].disruptive);
  EXPECT_FALSE(c[0].failed);
  EXPECT_EQ(c[0].reasons,
            (std::vector<std::string>{"40s before the onset",
                                      "acts on access key AKIAAPP, which the failing requests used",
                                      "sets the status to Inactive"}));
  EXPECT_EQ(c[1].kind, ChangeKind::kPolicy);
  EXPECT_EQ(c[1].target, "arn:aws:iam::aws:policy/ReadOnly");
  EXPECT_EQ(c[1].reasons[1], "acts on user app, on whom the failing requests depended");
  EXPECT_EQ(c[2].reasons[0], "made in the onset minute");
  EXPECT_FALSE(c[2].dependency);
  EXPECT_TRUE(c[3].failed);
  EXPECT_EQ(c[3].reasons.back(), "the call failed (AccessDenied): it changed nothing");
  EXPECT_EQ(c[4].reasons, (std::vector<std::string>{"10m00s before the onset"}));
}

TEST(ChangeNearOnsetTest, WithoutDependenciesProximityAndDisruptionDecide) {
  std::vector<Activity> events = Fixture();
  auto changes = FindChangesNearOnset(events, kOnset, {});
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 5u);
  EXPECT_EQ((*changes)[0].id, 104);  // 1.25
  EXPECT_EQ((*changes)[1].id, 101);  // 1.205556
  EXPECT_EQ((*changes)[2].id, 106);  // 0.866667
  EXPECT_EQ((*changes)[3].id, 102);  // 0.333333
  EXPECT_EQ((*changes)[4].id, 107);  // 0.09375
}

TEST(ChangeNearOnsetTest, MustNotFireWithoutChangesInTheWindow) {
  std::vector<Activity> events;
  events.push_back(Change(1, -300, "ConsoleLogin", "", ""));
  events.push_back(Change(2, -200, "ListUsers", "", ""));
  events.push_back(Change(3, -100, "GetObject", "", ""));
  events.push_back(Change(4, -16 * 60, "UpdateAccessKey", "AKIAAPP", "app", "Inactive"));
  events.push_back(Change(5, 121, "DeleteAccessKey", "AKIAAPP", "app"));
  auto changes = FindChangesNearOnset(events, kOnset, {"AKIAAPP"});
  ASSERT_TRUE(changes.ok());
  EXPECT_TRUE(changes->empty());
  auto empty = FindChangesNearOnset({}, kOnset, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(ChangeNearOnsetTest, WindowBoundsAreInclusiveAndConfigurable) {
  std::vector<Activity> events;
  events.push_back(Change(1, -15 * 60, "DeleteUser", "", "old"));
  events.push_back(Change(2, 120, "CreateLoginProfile", "", "eve"));
  auto changes = FindChangesNearOnset(events, kOnset, {});
  ASSERT_TRUE(changes.ok());
  ASSERT_EQ(changes->size(), 2u);
  EXPECT_EQ((*changes)[0].id, 1);  // 0 + 0.25 (disruptive)
  EXPECT_NEAR((*changes)[0].score, 0.25, 1e-12);
  EXPECT_EQ((*changes)[1].id, 2);  // 0.25 * (1 - 60/60) = 0
  EXPECT_NEAR((*changes)[1].score, 0.0, 1e-12);
  ChangeParams narrow;
  narrow.before_ms = 60'000;
  narrow.after_ms = 0;
  narrow.include_failed = false;
  EXPECT_TRUE(FindChangesNearOnset(events, kOnset, {}, narrow)->empty());
  ChangeParams bad;
  bad.before_ms = -1;
  EXPECT_EQ(FindChangesNearOnset(events, kOnset, {}, bad).error().code(),
            ErrorCode::kInvalidArgument);
}

TEST(ChangeNearOnsetTest, ClassifiesChangeActions) {
  EXPECT_EQ(ClassifyChange("UpdateAccessKey"), ChangeKind::kAccessKey);
  EXPECT_EQ(ClassifyChange("PutRolePolicy"), ChangeKind::kPolicy);
  EXPECT_EQ(ClassifyChange("CreateUser"), ChangeKind::kUser);
  EXPECT_EQ(ClassifyChange("UpdateLoginProfile"), ChangeKind::kLoginProfile);
  EXPECT_EQ(ClassifyChange("DeactivateMFADevice"), ChangeKind::kMfa);
  EXPECT_EQ(ClassifyChange("UpdateAssumeRolePolicy"), ChangeKind::kRole);
  EXPECT_EQ(ClassifyChange("PutBucketPolicy"), ChangeKind::kBucketPolicy);
  EXPECT_EQ(ClassifyChange("DisableKey"), ChangeKind::kKmsKey);
  EXPECT_EQ(ClassifyChange("ListAccessKeys"), std::nullopt);
  EXPECT_EQ(ClassifyChange("updateaccesskey"), std::nullopt);
  EXPECT_STREQ(ChangeKindName(ChangeKind::kLoginProfile), "login_profile");
  EXPECT_TRUE(IsDisruptive("UpdateAccessKey", "Inactive"));
  EXPECT_FALSE(IsDisruptive("UpdateAccessKey", "Active"));
  EXPECT_TRUE(IsDisruptive("DetachRolePolicy", ""));
  EXPECT_TRUE(IsDisruptive("ScheduleKeyDeletion", ""));
  EXPECT_FALSE(IsDisruptive("CreateUser", ""));
}

}  // namespace
}  // namespace cairn::correlators
