#include "engine/graph/relations.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/graph/graph_internal.h"
#include "tests/unit/graph/graph_test_util.h"

namespace cairn::graph {
namespace {

using testutil::Failed;
using testutil::GraphCase;
using testutil::UserEvent;
using ::testing::ElementsAre;

const std::string kAlice = "arn:aws:iam::111122223333:user/alice";
const std::string kAliceKey = "AKIAALICE00000000001";

TEST(DeriveRelationsTest, UserKeyAndAddress) {
  GraphCase c;
  auto e1 = UserEvent(1000, "alice", kAliceKey, "198.51.100.7");
  e1.user_agent = "aws-cli/2.13.0";
  c.Add(e1);
  c.Add(Failed(UserEvent(2000, "alice", kAliceKey, "198.51.100.7", "PutObject"), "AccessDenied"));
  c.Add(UserEvent(3000, "alice", kAliceKey, "198.51.100.7"));
  DeriveStats stats;
  ASSERT_TRUE(DeriveRelations(c.store(), &stats).ok());
  EXPECT_EQ(stats.events, 3);
  EXPECT_EQ(stats.upto, 3);

  EXPECT_THAT(c.EntityNames(), ElementsAre("ip:198.51.100.7", "key:" + kAliceKey, "user:" + kAlice,
                                           "user_agent:aws-cli/2.13.0"));
  auto alice = c.FindEntity("user", kAlice);
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->label, "alice");
  EXPECT_EQ(alice->count, 3);
  EXPECT_EQ(alice->first, 1000);
  EXPECT_EQ(alice->last, 3000);
  EXPECT_EQ(alice->attrs, R"({"account":"111122223333","type":"IAMUser"})");

  EXPECT_THAT(c.EdgeNames(),
              ElementsAre("key:" + kAliceKey + " -acted-from-> ip:198.51.100.7",
                          "user:" + kAlice + " -acted-from-> ip:198.51.100.7",
                          "user:" + kAlice + " -authenticated-with-> key:" + kAliceKey,
                          "user:" + kAlice + " -owns-> key:" + kAliceKey,
                          "user:" + kAlice + " -used-agent-> user_agent:aws-cli/2.13.0"));
  auto auth = c.FindEdge(kAlice, "authenticated-with", kAliceKey);
  ASSERT_TRUE(auth);
  EXPECT_EQ(auth->count, 3);
  EXPECT_EQ(auth->errors, 1);
  EXPECT_EQ(auth->first, 1000);
  EXPECT_EQ(auth->last, 3000);
  EXPECT_EQ(auth->samples, "[1,2,3]");
  auto owns = c.FindEdge(kAlice, "owns", kAliceKey);
  ASSERT_TRUE(owns);
  EXPECT_EQ(owns->errors, 0);
  auto agent = c.FindEdge(kAlice, "used-agent", "aws-cli/2.13.0");
  ASSERT_TRUE(agent);
  EXPECT_EQ(agent->count, 1);
  EXPECT_EQ(agent->samples, "[1]");
}

TEST(DeriveRelationsTest, IdempotentAndIncremental) {
  GraphCase c;
  for (int i = 1; i <= 3; ++i) c.Add(UserEvent(i * 1000, "alice", kAliceKey, "198.51.100.7"));
  ASSERT_TRUE(RelationsBehind(c.store()).value());
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
  EXPECT_FALSE(RelationsBehind(c.store()).value());
  auto before = c.EdgeNames();

  DeriveStats again;
  ASSERT_TRUE(DeriveRelations(c.store(), &again).ok());
  EXPECT_EQ(again.events, 0);
  EXPECT_EQ(again.relations, 0);
  EXPECT_EQ(c.FindEdge(kAlice, "authenticated-with", kAliceKey)->count, 3);

  for (int i = 4; i <= 8; ++i) c.Add(UserEvent(i * 1000, "alice", kAliceKey, "198.51.100.7"));
  EXPECT_TRUE(RelationsBehind(c.store()).value());
  DeriveStats more;
  ASSERT_TRUE(DeriveRelations(c.store(), &more).ok());
  EXPECT_EQ(more.events, 5);
  EXPECT_EQ(more.upto, 8);
  EXPECT_EQ(c.EdgeNames(), before);
  auto auth = c.FindEdge(kAlice, "authenticated-with", kAliceKey);
  EXPECT_EQ(auth->count, 8);
  EXPECT_EQ(auth->first, 1000);
  EXPECT_EQ(auth->last, 8000);
  // Each aggregated group contributes its first and last event: {1..3} then {4..8}.
  EXPECT_EQ(auth->samples, "[1,3,4,8]");
  EXPECT_EQ(c.FindEntity("user", kAlice)->count, 8);
  EXPECT_EQ(c.store().GetMeta(kRelationsUptoKey).value().value_or(""), "8");
}

TEST(DeriveRelationsTest, BucketRequestsCountStatusAndErrors) {
  GraphCase c;
  auto s3 = [](TimeMs t, const std::string& ip, int status, const std::string& error) {
    store::Event e;
    e.time = t;
    e.source_type = store::SourceType::kS3Access;
    e.raw = "s3 line " + std::to_string(t);
    e.actor_type = "Anonymous";
    e.bucket = "examplebucket";
    e.source_ip = ip;
    e.status = status;
    e.error_code = error;
    e.outcome = status >= 400 ? "failure" : "success";
    e.action = "REST.GET.OBJECT";
    return e;
  };
  c.Add(s3(1000, "192.0.2.3", 200, ""));
  c.Add(s3(2000, "192.0.2.3", 403, "AccessDenied"));
  c.Add(s3(3000, "192.0.2.3", 200, ""));
  auto bob = s3(4000, "192.0.2.4", 404, "NoSuchKey");
  bob.actor_type = "";
  bob.actor_arn = "arn:aws:iam::111122223333:user/bob";
  bob.actor_name = "bob";
  c.Add(bob);
  ASSERT_TRUE(DeriveRelations(c.store()).ok());

  auto anon = c.FindEdge("anonymous", "requested", "examplebucket");
  ASSERT_TRUE(anon);
  EXPECT_EQ(anon->count, 3);
  EXPECT_EQ(anon->errors, 1);
  EXPECT_EQ(anon->attrs, R"({"error_codes":{"AccessDenied":1},"status":{"200":2,"403":1}})");
  auto by_ip = c.FindEdge("192.0.2.3", "requested", "examplebucket");
  ASSERT_TRUE(by_ip);
  EXPECT_EQ(by_ip->attrs, anon->attrs);
  auto by_bob = c.FindEdge("arn:aws:iam::111122223333:user/bob", "requested", "examplebucket");
  ASSERT_TRUE(by_bob);
  EXPECT_EQ(by_bob->src_kind, "user");
  EXPECT_EQ(by_bob->errors, 1);
  EXPECT_EQ(by_bob->attrs, R"({"error_codes":{"NoSuchKey":1},"status":{"404":1}})");
  EXPECT_EQ(c.FindEntity("bucket", "examplebucket")->count, 4);
}

TEST(DeriveRelationsTest, CredentialChangesAndOwnership) {
  GraphCase c;
  const std::string admin = "arn:aws:iam::111122223333:user/admin";
  // bob's real ARN has a path: ownership found through a key call must land on it.
  auto bob = UserEvent(500, "bob", "AKIABOB0000000000001", "198.51.100.9", "ListBuckets");
  bob.actor_arn = "arn:aws:iam::111122223333:user/engineering/bob";
  c.Add(bob);

  auto update = UserEvent(1000, "admin", "AKIAADMIN00000000001", "203.0.113.5", "UpdateAccessKey");
  update.resource = "AKIABOB0000000000001";
  update.target_user = "bob";
  update.event_id = "ev-update";
  update.raw = R"({"eventName":"UpdateAccessKey","requestParameters":{"status":"Inactive","accessKeyId":"AKIABOB0000000000001","userName":"bob"}})";
  c.Add(update);
  auto create = UserEvent(2000, "admin", "AKIAADMIN00000000001", "203.0.113.5", "CreateAccessKey");
  create.resource = "AKIANEW0000000000001";
  create.target_user = "bob";
  create.event_id = "ev-create";
  create.raw = R"({"eventName":"CreateAccessKey","requestParameters":{"userName":"bob"},"responseElements":{"accessKey":{"accessKeyId":"AKIANEW0000000000001","status":"Active"}}})";
  c.Add(create);
  auto remove = Failed(UserEvent(3000, "admin", "AKIAADMIN00000000001", "203.0.113.5",
                                 "DeleteAccessKey"), "NoSuchEntity");
  remove.resource = "AKIAGONE000000000001";
  remove.target_user = "bob";
  remove.event_id = "ev-delete";
  c.Add(remove);
  // Own key: no userName in the call, so target_user is the caller's own name.
  auto own = UserEvent(4000, "admin", "AKIAADMIN00000000001", "203.0.113.5", "CreateAccessKey");
  own.resource = "AKIAADMIN00000000002";
  own.target_user = "admin";
  own.event_id = "ev-own";
  own.raw = R"({"eventName":"CreateAccessKey","responseElements":{"accessKey":{"status":"Active"}}})";
  c.Add(own);
  ASSERT_TRUE(DeriveRelations(c.store()).ok());

  const std::string bob_arn = "arn:aws:iam::111122223333:user/engineering/bob";
  auto changed = c.FindEdge(admin, "changed-credential", "AKIABOB0000000000001");
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->count, 1);
  EXPECT_EQ(changed->samples, "[2]");
  EXPECT_EQ(changed->attrs,
            R"({"changes":[{"action":"UpdateAccessKey","event":2,"event_id":"ev-update",)"
            R"("outcome":"success","status":"Inactive","time":1000}],"status":"Inactive"})");
  auto created = c.FindEdge(admin, "changed-credential", "AKIANEW0000000000001");
  ASSERT_TRUE(created);
  EXPECT_EQ(created->attrs,
            R"({"changes":[{"action":"CreateAccessKey","event":3,"event_id":"ev-create",)"
            R"("outcome":"success","status":"Active","time":2000}],"status":"Active"})");
  auto failed = c.FindEdge(admin, "changed-credential", "AKIAGONE000000000001");
  ASSERT_TRUE(failed);
  EXPECT_EQ(failed->errors, 1);
  EXPECT_EQ(failed->attrs,
            R"({"changes":[{"action":"DeleteAccessKey","event":4,"event_id":"ev-delete",)"
            R"("outcome":"failure","status":"Deleted","time":3000}]})");

  EXPECT_TRUE(c.FindEdge(bob_arn, "owns", "AKIABOB0000000000001"));
  EXPECT_TRUE(c.FindEdge(bob_arn, "owns", "AKIANEW0000000000001"));
  EXPECT_FALSE(c.FindEdge(bob_arn, "owns", "AKIAGONE000000000001"));  // the call failed
  EXPECT_TRUE(c.FindEdge(admin, "owns", "AKIAADMIN00000000002"));
  EXPECT_FALSE(c.FindEntity("user", "arn:aws:iam::111122223333:user/bob"));
  // Each key is counted once per event that names it.
  EXPECT_EQ(c.FindEntity("key", "AKIABOB0000000000001")->count, 2);
}

TEST(DeriveRelationsTest, ConsoleLoginsByRoot) {
  GraphCase c;
  auto login = [](TimeMs t, bool ok) {
    store::Event e;
    e.time = t;
    e.source_type = store::SourceType::kCloudTrail;
    e.raw = "{\"login\":" + std::to_string(t) + "}";
    e.actor_arn = "arn:aws:iam::111122223333:root";
    e.actor_type = "Root";
    e.actor_name = "root";
    e.action = "ConsoleLogin";
    e.source_ip = "203.0.113.9";
    e.account = "111122223333";
    e.outcome = ok ? "success" : "failure";
    return e;
  };
  c.Add(login(1000, false));
  c.Add(login(2000, true));
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
  auto logged = c.FindEdge("arn:aws:iam::111122223333:root", "logged-in-from", "203.0.113.9");
  ASSERT_TRUE(logged);
  EXPECT_EQ(logged->src_kind, "root");
  EXPECT_EQ(logged->count, 2);
  EXPECT_EQ(logged->errors, 1);
  auto acted = c.FindEdge("arn:aws:iam::111122223333:root", "acted-from", "203.0.113.9");
  ASSERT_TRUE(acted);
  EXPECT_EQ(acted->count, 2);
}

TEST(DeriveRelationsTest, WebServerServedAddresses) {
  GraphCase c;
  int64_t web = c.AddSource("web01/access.log", "web01");
  auto hit = [](TimeMs t, int status) {
    store::Event e;
    e.time = t;
    e.source_type = store::SourceType::kApacheAccess;
    e.raw = "apache " + std::to_string(t);
    e.source_ip = "198.51.100.20";
    e.actor_name = "jdoe";  // HTTP auth user: not an AWS principal
    e.action = "GET";
    e.status = status;
    e.user_agent = "curl/8.0";
    e.outcome = status >= 500 ? "failure" : "success";
    return e;
  };
  c.Add(hit(1000, 200), web);
  c.Add(hit(2000, 500), web);
  auto vhost = hit(3000, 200);
  vhost.host = "www.example.org";
  c.Add(vhost, web);
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
  EXPECT_THAT(c.EdgeNames(), ElementsAre("host:web01 -served-> ip:198.51.100.20",
                                         "host:www.example.org -served-> ip:198.51.100.20",
                                         "ip:198.51.100.20 -used-agent-> user_agent:curl/8.0"));
  auto served = c.FindEdge("web01", "served", "198.51.100.20");
  EXPECT_EQ(served->count, 2);
  EXPECT_EQ(served->errors, 1);
}

TEST(DeriveRelationsTest, ServiceNamesAreNotAddresses) {
  GraphCase c;
  store::Event e;
  e.time = 1000;
  e.source_type = store::SourceType::kCloudTrail;
  e.raw = "{\"svc\":1}";
  e.actor_type = "AWSService";
  e.actor_name = "cloudtrail.amazonaws.com";
  e.source_ip = "cloudtrail.amazonaws.com";
  e.action = "GetBucketAcl";
  e.bucket = "trail-bucket";
  e.outcome = "success";
  c.Add(e);
  e.raw = "{\"svc\":2}";
  e.source_ip = "AWS Internal";
  c.Add(e);
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
  EXPECT_THAT(c.EntityNames(),
              ElementsAre("bucket:trail-bucket", "service:cloudtrail.amazonaws.com"));
  EXPECT_THAT(c.EdgeNames(),
              ElementsAre("service:cloudtrail.amazonaws.com -requested-> bucket:trail-bucket"));
}

TEST(DeriveRelationsTest, AssumedRoleSessions) {
  GraphCase c;
  store::Event e;
  e.time = 1000;
  e.source_type = store::SourceType::kCloudTrail;
  e.raw = "{\"role\":1}";
  e.actor_arn = "arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-7";
  e.actor_type = "AssumedRole";
  e.actor_name = "Deployer";
  e.access_key = "ASIASESSION000000001";
  e.source_ip = "198.51.100.30";
  e.account = "111122223333";
  e.action = "DescribeInstances";
  e.outcome = "success";
  c.Add(e);
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
  const std::string session = "arn:aws:sts::111122223333:assumed-role/Deployer/ci-run-7";
  EXPECT_EQ(c.FindEntity("session", session)->label, "Deployer/ci-run-7");
  EXPECT_EQ(c.FindEntity("role", "arn:aws:iam::111122223333:role/Deployer")->label, "Deployer");
  EXPECT_THAT(c.EdgeNames(),
              ElementsAre("key:ASIASESSION000000001 -acted-from-> ip:198.51.100.30",
                          "session:" + session + " -acted-from-> ip:198.51.100.30",
                          "session:" + session +
                              " -assumed-role-> role:arn:aws:iam::111122223333:role/Deployer",
                          "session:" + session + " -authenticated-with-> key:ASIASESSION000000001"));
}

TEST(DeriveRelationsTest, RebuildsWhenRulesChange) {
  GraphCase c;
  c.Add(UserEvent(1000, "alice", kAliceKey, "198.51.100.7"));
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
  auto before = c.EdgeNames();
  ASSERT_TRUE(c.store().SetMeta(kRelationsVersionKey, "999").ok());
  EXPECT_TRUE(RelationsBehind(c.store()).value());
  DeriveStats stats;
  ASSERT_TRUE(DeriveRelations(c.store(), &stats).ok());
  EXPECT_TRUE(stats.rebuilt);
  EXPECT_EQ(stats.events, 1);
  EXPECT_EQ(c.EdgeNames(), before);
  EXPECT_EQ(c.FindEdge(kAlice, "authenticated-with", kAliceKey)->count, 1);
}

TEST(DeriveRelationsTest, EmptyCase) {
  GraphCase c;
  DeriveStats stats;
  ASSERT_TRUE(DeriveRelations(c.store(), &stats).ok());
  EXPECT_EQ(stats.events, 0);
  EXPECT_FALSE(RelationsBehind(c.store()).value());
  EXPECT_TRUE(c.Entities().empty());
}

TEST(DeriveRelationsTest, RefusesInsideAnOpenTransaction) {
  GraphCase c;
  c.Add(UserEvent(1000, "alice", kAliceKey, "198.51.100.7"));
  ASSERT_TRUE(c.store().Begin().ok());
  EXPECT_FALSE(DeriveRelations(c.store()).ok());
  ASSERT_TRUE(c.store().Rollback().ok());
  EXPECT_TRUE(c.Entities().empty());
  EXPECT_TRUE(RelationsBehind(c.store()).value());
}

TEST(LooksLikeIpTest, AddressesAndServiceNames) {
  EXPECT_TRUE(LooksLikeIp("198.51.100.7"));
  EXPECT_TRUE(LooksLikeIp("211.9.016.253"));  // anonymised sample with a leading zero
  EXPECT_TRUE(LooksLikeIp("2001:db8::1"));
  EXPECT_TRUE(LooksLikeIp("::ffff:10.0.0.1"));
  EXPECT_FALSE(LooksLikeIp("s3.amazonaws.com"));
  EXPECT_FALSE(LooksLikeIp("AWS Internal"));
  EXPECT_FALSE(LooksLikeIp("1.2.3"));
  EXPECT_FALSE(LooksLikeIp("256.1.1.1"));
  EXPECT_FALSE(LooksLikeIp(""));
  EXPECT_FALSE(LooksLikeIp("dead:beef"));  // one colon: a port or a label, not an address
}

TEST(ClassifyPrincipalTest, ArnsAndTypes) {
  auto user = ClassifyPrincipal("cloudtrail", "arn:aws:iam::111122223333:user/ops/carol", "IAMUser",
                                "carol", "111122223333");
  ASSERT_TRUE(user);
  EXPECT_EQ(user->kind, "user");
  EXPECT_EQ(user->label, "carol");
  EXPECT_EQ(user->account, "111122223333");
  auto s3_user = ClassifyPrincipal("s3_access", "arn:aws:iam::111122223333:user/dave", "", "", "");
  ASSERT_TRUE(s3_user);
  EXPECT_EQ(s3_user->kind, "user");
  EXPECT_EQ(s3_user->label, "dave");
  EXPECT_EQ(s3_user->type, "IAMUser");
  auto service = ClassifyPrincipal("cloudtrail", "", "AWSService", "ec2.amazonaws.com", "1");
  ASSERT_TRUE(service);
  EXPECT_EQ(service->kind, "service");
  EXPECT_EQ(service->key, "ec2.amazonaws.com");
  auto fed = ClassifyPrincipal("cloudtrail", "arn:aws:sts::111122223333:federated-user/eve",
                               "FederatedUser", "eve", "111122223333");
  ASSERT_TRUE(fed);
  EXPECT_EQ(fed->kind, "principal");
  EXPECT_FALSE(ClassifyPrincipal("apache_access", "", "", "jdoe", ""));
  EXPECT_FALSE(ClassifyPrincipal("cloudtrail", "", "", "", "111122223333"));
}

}  // namespace
}  // namespace cairn::graph
