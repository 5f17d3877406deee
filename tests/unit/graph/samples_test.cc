// The entity graph of real third-party samples (../shared/data/cloudtrail), ingested as a user
// would: entities and relations as read from the records themselves.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/graph/entity_graph.h"
#include "engine/graph/relations.h"
#include "engine/ingest/ingest.h"
#include "tests/testing/testing.h"
#include "tests/unit/graph/graph_test_util.h"

namespace cairn::graph {
namespace {

using testutil::GraphCase;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

void IngestSample(GraphCase& c, const std::string& relative) {
  ingest::IngestOptions options;
  options.paths = {(cairn::testing::SharedData() / "cloudtrail" / relative).string()};
  auto summary = ingest::Ingest(c.store(), options);
  ASSERT_TRUE(summary.ok()) << summary.error().ToString();
  ASSERT_GT(summary->events, 0);
  ASSERT_TRUE(DeriveRelations(c.store()).ok());
}

TEST(GraphSamplesTest, StratusIamBackdoorUser) {
  GraphCase c;
  IngestSample(c, "stratus-red-team/aws.persistence.iam-backdoor-user.json");
  const std::string christophe = "arn:aws:iam::946986569305:user/christophe";
  const std::string backdoor = "arn:aws:iam::946986569305:user/stratus-red-team-backdoor-u-user";
  const std::string agent = "stratus-red-team_f3f19dcd-8552-47ca-a01e-0e1f5578d15e";
  EXPECT_THAT(c.EntityNames(),
              ElementsAre("ip:211.9.016.253", "key:AKIA30BEZSJBVKOFKZW0",
                          "key:AKIAL80DWDVKKM0UXEER", "user:" + christophe, "user:" + backdoor,
                          "user_agent:" + agent));
  EXPECT_THAT(c.EdgeNames(),
              ElementsAre("key:AKIA30BEZSJBVKOFKZW0 -acted-from-> ip:211.9.016.253",
                          "user:" + christophe + " -acted-from-> ip:211.9.016.253",
                          "user:" + christophe + " -authenticated-with-> key:AKIA30BEZSJBVKOFKZW0",
                          "user:" + christophe +
                              " -changed-credential-> key:AKIAL80DWDVKKM0UXEER",
                          "user:" + christophe + " -owns-> key:AKIA30BEZSJBVKOFKZW0",
                          "user:" + christophe + " -used-agent-> user_agent:" + agent,
                          "user:" + backdoor + " -owns-> key:AKIAL80DWDVKKM0UXEER"));
  auto change = c.FindEdge(christophe, "changed-credential", "AKIAL80DWDVKKM0UXEER");
  ASSERT_TRUE(change);
  EXPECT_EQ(change->count, 1);
  EXPECT_EQ(change->first, MakeTimeMs(2024, 7, 30, 21, 53, 13));
  EXPECT_THAT(change->attrs, HasSubstr("\"event_id\":\"c64c4ded-ef03-4e5c-81eb-153b118d72f2\""));
  EXPECT_THAT(change->attrs, HasSubstr("\"status\":\"Active\""));
  EXPECT_THAT(change->attrs, HasSubstr("\"action\":\"CreateAccessKey\""));
}

TEST(GraphSamplesTest, PantherRootConsoleCompromise) {
  GraphCase c;
  IngestSample(c, "panther-analysis/enrichment-example");
  const std::string root = "arn:aws:iam::493859302102:root";
  EXPECT_THAT(c.EntityNames(),
              ElementsAre("ip:136.24.229.58", "ip:200.58.83.179", "key:AKIA5ZZZK44445XXFFVB",
                          "root:" + root, "user_agent:Mozilla",
                          "user_agent:console.amazonaws.com"));
  EXPECT_EQ(c.FindEntity("root", root)->count, 11);
  // The attacker's address: three failed console logins, one success, then key creation.
  auto attacker_logins = c.FindEdge(root, "logged-in-from", "200.58.83.179");
  ASSERT_TRUE(attacker_logins);
  EXPECT_EQ(attacker_logins->count, 4);
  EXPECT_EQ(attacker_logins->errors, 3);
  EXPECT_EQ(attacker_logins->first, MakeTimeMs(2020, 10, 30, 23, 25, 32));
  auto attacker_acts = c.FindEdge(root, "acted-from", "200.58.83.179");
  ASSERT_TRUE(attacker_acts);
  EXPECT_EQ(attacker_acts->count, 7);
  EXPECT_EQ(attacker_acts->errors, 3);
  EXPECT_EQ(attacker_acts->last, MakeTimeMs(2020, 11, 1, 8, 36, 2));
  // The owner's address: successful logins only.
  auto owner_logins = c.FindEdge(root, "logged-in-from", "136.24.229.58");
  ASSERT_TRUE(owner_logins);
  EXPECT_EQ(owner_logins->count, 3);
  EXPECT_EQ(owner_logins->errors, 0);
  EXPECT_EQ(c.FindEdge(root, "acted-from", "136.24.229.58")->count, 4);
  // Root created a key for itself.
  auto created = c.FindEdge(root, "changed-credential", "AKIA5ZZZK44445XXFFVB");
  ASSERT_TRUE(created);
  EXPECT_THAT(created->attrs, HasSubstr("\"status\":\"Active\""));
  EXPECT_TRUE(c.FindEdge(root, "owns", "AKIA5ZZZK44445XXFFVB"));
  EXPECT_EQ(c.FindEdge(root, "used-agent", "Mozilla")->count, 6);
  EXPECT_EQ(c.FindEdge(root, "used-agent", "console.amazonaws.com")->count, 5);
  EXPECT_EQ(c.Edges().size(), 8u);

  // Walks: the new key is one hop from root; the two addresses meet at root.
  auto g = EntityGraph::Load(c.store());
  ASSERT_TRUE(g.ok());
  auto attacker = g->Resolve("200.58.83.179");
  auto owner = g->Resolve("136.24.229.58");
  ASSERT_TRUE(attacker.ok() && owner.ok());
  auto path = g->ShortestPath((*attacker)->id, (*owner)->id, {});
  ASSERT_TRUE(path.ok());
  ASSERT_EQ(path->size(), 2u);
  EXPECT_EQ(EntityRef(*(*path)[0].to), "root:493859302102");
  // Before the attacker's first login the two addresses are not connected.
  WalkOptions before;
  before.window.to = MakeTimeMs(2020, 10, 30, 0, 0, 0);
  EXPECT_FALSE(g->ShortestPath((*attacker)->id, (*owner)->id, before).ok());
  auto root_ref = g->Resolve("root");
  ASSERT_TRUE(root_ref.ok());
  EXPECT_EQ((*root_ref)->key, root);
}

}  // namespace
}  // namespace cairn::graph
