#include "engine/graph/entity_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/graph/relations.h"
#include "tests/unit/graph/graph_test_util.h"

namespace cairn::graph {
namespace {

using testutil::GraphCase;
using testutil::UserEvent;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr TimeMs kHour = 3600 * 1000;

// alice and bob read the same bucket hours apart; carol shares only their user agent; admin
// disables alice's key; a web server served alice's address; "backup" is both a user and a bucket.
class EntityGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto with_bucket = [](store::Event e, const std::string& bucket, const std::string& agent) {
      e.bucket = bucket;
      e.user_agent = agent;
      return e;
    };
    c_.Add(with_bucket(UserEvent(1 * kHour, "alice", "AKIAALICE00000000001", "198.51.100.1"),
                       "finance-data", "aws-cli/2.13"));
    c_.Add(with_bucket(UserEvent(2 * kHour, "alice", "AKIAALICE00000000001", "198.51.100.1"),
                       "finance-data", "aws-cli/2.13"));
    c_.Add(with_bucket(UserEvent(10 * kHour, "bob", "AKIABOB0000000000001", "198.51.100.2"),
                       "finance-data", "aws-cli/2.13"));
    c_.Add(with_bucket(UserEvent(11 * kHour, "carol", "AKIACAROL00000000001", "198.51.100.3",
                                 "ListBuckets"), "", "aws-cli/2.13"));
    auto update = UserEvent(3 * kHour, "admin", "AKIAADMIN00000000001", "203.0.113.5",
                            "UpdateAccessKey");
    update.resource = "AKIAALICE00000000001";
    update.target_user = "alice";
    update.event_id = "ev-1";
    c_.Add(update);
    c_.Add(with_bucket(UserEvent(4 * kHour, "backup", "AKIABACKUP0000000001", "198.51.100.4"),
                       "backup", ""));
    int64_t web = c_.AddSource("web01/access.log", "web01");
    store::Event hit;
    hit.time = 5 * kHour;
    hit.source_type = store::SourceType::kApacheAccess;
    hit.raw = "apache";
    hit.source_ip = "198.51.100.1";
    hit.status = 200;
    hit.outcome = "success";
    c_.Add(hit, web);
    ASSERT_TRUE(DeriveRelations(c_.store()).ok());
    auto loaded = EntityGraph::Load(c_.store());
    ASSERT_TRUE(loaded.ok()) << loaded.error().ToString();
    graph_ = std::make_unique<EntityGraph>(std::move(loaded).value());
  }

  const Entity& Get(const std::string& ref) {
    auto resolved = graph_->Resolve(ref);
    EXPECT_TRUE(resolved.ok()) << ref << ": " << (resolved.ok() ? "" : resolved.error().ToString());
    static const Entity kNone;
    return resolved.ok() ? **resolved : kNone;
  }

  std::vector<std::string> Refs(const std::vector<Reached>& reached) {
    std::vector<std::string> out;
    for (const auto& r : reached) out.push_back(std::to_string(r.depth) + " " + EntityRef(*r.entity));
    return out;
  }

  GraphCase c_;
  std::unique_ptr<EntityGraph> graph_;
};

TEST_F(EntityGraphTest, ResolvesForgivingReferences) {
  const std::string alice_arn = "arn:aws:iam::111122223333:user/alice";
  EXPECT_EQ(Get("user:alice").key, alice_arn);
  EXPECT_EQ(Get("alice").key, alice_arn);
  EXPECT_EQ(Get("ALICE").key, alice_arn);
  EXPECT_EQ(Get("User: alice").key, alice_arn);
  EXPECT_EQ(Get(alice_arn).kind, "user");
  EXPECT_EQ(Get("AKIAALICE00000000001").kind, "key");
  EXPECT_EQ(Get("198.51.100.1").kind, "ip");
  EXPECT_EQ(Get("bucket:finance-data").kind, "bucket");
  EXPECT_EQ(Get("finance-data").kind, "bucket");
  EXPECT_EQ(Get("host:web01").kind, "host");
  EXPECT_EQ(Get("ua:aws-cli/2.13").kind, "user_agent");
  // EntityRef round-trips.
  for (const auto& entity : graph_->entities()) {
    EXPECT_EQ(Get(EntityRef(entity)).id, entity.id) << EntityRef(entity);
  }
}

TEST_F(EntityGraphTest, AmbiguousAndUnknownReferencesExplain) {
  auto ambiguous = graph_->Resolve("backup");
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_THAT(ambiguous.error().message(), HasSubstr("ambiguous"));
  ASSERT_EQ(ambiguous.error().notes().size(), 2u);
  EXPECT_THAT(ambiguous.error().notes()[0], HasSubstr("bucket:backup"));
  EXPECT_THAT(ambiguous.error().notes()[1], HasSubstr("user:backup"));
  EXPECT_EQ(Get("bucket:backup").kind, "bucket");

  auto typo = graph_->Resolve("user:alcie");
  ASSERT_FALSE(typo.ok());
  EXPECT_EQ(typo.error().code(), ErrorCode::kNotFound);
  ASSERT_FALSE(typo.error().notes().empty());
  EXPECT_EQ(typo.error().notes()[0], "did you mean user:alice?");

  auto empty = graph_->Resolve("  ");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code(), ErrorCode::kInvalidArgument);
  auto missing_ip = graph_->Resolve("192.0.2.99");
  ASSERT_FALSE(missing_ip.ok());
  EXPECT_EQ(missing_ip.error().code(), ErrorCode::kNotFound);
}

TEST_F(EntityGraphTest, NeighborsInWindow) {
  const Entity& alice = Get("user:alice");
  std::vector<std::string> all;
  for (const auto& n : graph_->Neighbors(alice.id, {})) {
    all.push_back(std::string(n.outgoing ? "-> " : "<- ") + n.edge->kind + " " +
                  EntityRef(*n.entity));
  }
  EXPECT_THAT(all, ElementsAre("-> acted-from ip:198.51.100.1",
                               "-> authenticated-with key:AKIAALICE00000000001",
                               "-> owns key:AKIAALICE00000000001",
                               "-> requested bucket:finance-data",
                               "-> used-agent ua:aws-cli/2.13"));
  TimeWindow late{10 * kHour, 12 * kHour};
  EXPECT_TRUE(graph_->Neighbors(alice.id, late).empty());
  TimeWindow early{0, 2 * kHour};  // [0, 2h): alice's first event only
  EXPECT_EQ(graph_->Neighbors(alice.id, early).size(), 5u);

  const Entity& key = Get("AKIAALICE00000000001");
  bool changed = false;
  for (const auto& n : graph_->Neighbors(key.id, {})) {
    if (n.edge->kind == kEdgeChangedCredential) {
      changed = true;
      EXPECT_FALSE(n.outgoing);
      EXPECT_EQ(EntityRef(*n.entity), "user:admin");
      EXPECT_THAT(n.edge->attrs, HasSubstr("\"event_id\":\"ev-1\""));
    }
  }
  EXPECT_TRUE(changed);
}

TEST_F(EntityGraphTest, ShortestPathWithinWindow) {
  const Entity& alice = Get("user:alice");
  const Entity& bob = Get("user:bob");
  auto path = graph_->ShortestPath(alice.id, bob.id, {});
  ASSERT_TRUE(path.ok()) << path.error().ToString();
  ASSERT_EQ(path->size(), 2u);
  EXPECT_EQ(EntityRef(*(*path)[0].from), "user:alice");
  EXPECT_EQ((*path)[0].edge->kind, "requested");
  EXPECT_EQ(EntityRef(*(*path)[0].to), "bucket:finance-data");
  EXPECT_EQ((*path)[1].edge->kind, "requested");
  EXPECT_EQ((*path)[1].edge->src, bob.id);  // walked against the edge's direction
  EXPECT_EQ(EntityRef(*(*path)[1].to), "user:bob");

  WalkOptions before_bob;
  before_bob.window = {0, 5 * kHour};
  auto none = graph_->ShortestPath(alice.id, bob.id, before_bob);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(none.error().message(), HasSubstr("in the time window"));

  auto same = graph_->ShortestPath(alice.id, alice.id, {});
  ASSERT_TRUE(same.ok());
  EXPECT_TRUE(same->empty());
}

TEST_F(EntityGraphTest, UserAgentsAreEndpointsUnlessAllowed) {
  const Entity& alice = Get("user:alice");
  const Entity& carol = Get("user:carol");
  EXPECT_FALSE(graph_->ShortestPath(alice.id, carol.id, {}).ok());
  WalkOptions through;
  through.through_user_agents = true;
  auto path = graph_->ShortestPath(alice.id, carol.id, through);
  ASSERT_TRUE(path.ok());
  ASSERT_EQ(path->size(), 2u);
  EXPECT_EQ(EntityRef(*(*path)[0].to), "ua:aws-cli/2.13");
  // As an endpoint, an agent is always reachable.
  EXPECT_TRUE(graph_->ShortestPath(alice.id, Get("ua:aws-cli/2.13").id, {}).ok());
}

TEST_F(EntityGraphTest, BlastRadiusFollowsAccess) {
  EXPECT_THAT(Refs(graph_->BlastRadius(Get("AKIAALICE00000000001").id, {})),
              ElementsAre("1 bucket:finance-data", "1 ip:198.51.100.1", "2 host:web01"));
  EXPECT_THAT(Refs(graph_->BlastRadius(Get("user:alice").id, {})),
              ElementsAre("1 bucket:finance-data", "1 ip:198.51.100.1",
                          "1 key:AKIAALICE00000000001", "1 ua:aws-cli/2.13", "2 host:web01"));
  WalkOptions one_hop;
  one_hop.max_depth = 1;
  EXPECT_THAT(Refs(graph_->BlastRadius(Get("user:admin").id, one_hop)),
              ElementsAre("1 ip:203.0.113.5", "1 key:AKIAADMIN00000000001",
                          "1 key:AKIAALICE00000000001"));
  auto deep = graph_->BlastRadius(Get("user:admin").id, {});
  EXPECT_THAT(Refs(deep), ElementsAre("1 ip:203.0.113.5", "1 key:AKIAADMIN00000000001",
                                      "1 key:AKIAALICE00000000001", "2 bucket:finance-data",
                                      "2 ip:198.51.100.1", "3 host:web01"));
  EXPECT_EQ(deep[3].via->kind, "requested");
  EXPECT_EQ(EntityRef(*deep[3].parent), "key:AKIAALICE00000000001");
  WalkOptions before_change;
  before_change.window = {0, 3 * kHour};
  EXPECT_THAT(Refs(graph_->BlastRadius(Get("user:admin").id, before_change)), ElementsAre());
}

}  // namespace
}  // namespace cairn::graph
