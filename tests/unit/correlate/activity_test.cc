#include <gtest/gtest.h>

#include "engine/correlate/activity.h"

namespace cairn::correlate {
namespace {

store::Event CloudTrailKeyEvent(const std::string& raw) {
  store::Event e;
  e.time = 1705657500000;
  e.source_type = store::SourceType::kCloudTrail;
  e.raw = raw;
  e.actor_arn = "arn:aws:iam::111122223333:user/ops";
  e.actor_type = "IAMUser";
  e.actor_name = "ops";
  e.access_key = "AKIAOPS";
  e.action = "UpdateAccessKey";
  e.resource = "AKIATARGET";
  e.target_user = "web";
  e.outcome = "success";
  e.source_ip = "81.2.69.142";
  e.event_id = "ev-1";
  return e;
}

TEST(FromEventTest, CopiesTheCorrelationFieldsAndReadsTheNewStatus) {
  store::Event e = CloudTrailKeyEvent(
      R"({"eventName":"UpdateAccessKey","requestParameters":{"accessKeyId":"AKIATARGET",)"
      R"("status":"Inactive","userName":"web"}})");
  Activity a = FromEvent(7, e, "trail.json");
  EXPECT_EQ(a.id, 7);
  EXPECT_EQ(a.time, 1705657500000);
  EXPECT_EQ(a.source, "trail.json");
  EXPECT_EQ(a.event_id, "ev-1");
  EXPECT_EQ(a.actor_arn, "arn:aws:iam::111122223333:user/ops");
  EXPECT_EQ(a.resource, "AKIATARGET");
  EXPECT_EQ(a.target_user, "web");
  EXPECT_EQ(a.new_status, "Inactive");
  EXPECT_EQ(a.source_ip, "81.2.69.142");
}

TEST(FromEventTest, ReadsTheCreatedKeyStatusAndToleratesBadJson) {
  store::Event created = CloudTrailKeyEvent(
      R"({"eventName":"CreateAccessKey","responseElements":{"accessKey":{"accessKeyId":"AKIANEW",)"
      R"("status":"Active","userName":"web"}}})");
  created.action = "CreateAccessKey";
  EXPECT_EQ(FromEvent(1, created).new_status, "Active");
  store::Event broken = CloudTrailKeyEvent("{not json");
  EXPECT_EQ(FromEvent(2, broken).new_status, "");
  store::Event other = CloudTrailKeyEvent(R"({"requestParameters":{"status":"Enabled"}})");
  other.action = "PutBucketVersioning";  // not a credential call: raw is not read
  EXPECT_EQ(FromEvent(3, other).new_status, "");
}

TEST(PrincipalTest, PrefersTheArnAndMatchesNameCaseInsensitivelyOrKey) {
  Activity a;
  a.actor_arn = "arn:aws:iam::111122223333:user/Ops";
  a.actor_name = "Ops";
  a.access_key = "AKIAOPS";
  EXPECT_EQ(PrincipalOf(a), "arn:aws:iam::111122223333:user/Ops");
  EXPECT_TRUE(MatchesPrincipal(a, "ops"));
  EXPECT_TRUE(MatchesPrincipal(a, "AKIAOPS"));
  EXPECT_TRUE(MatchesPrincipal(a, "arn:aws:iam::111122223333:user/Ops"));
  EXPECT_FALSE(MatchesPrincipal(a, "arn:aws:iam::111122223333:user/ops2"));
  EXPECT_FALSE(MatchesPrincipal(a, ""));
  Activity anonymous;
  EXPECT_EQ(PrincipalOf(anonymous), "");
  anonymous.actor_name = "web";
  EXPECT_EQ(PrincipalOf(anonymous), "web");
}

}  // namespace
}  // namespace cairn::correlate
