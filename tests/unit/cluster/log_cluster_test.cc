#include "engine/cluster/log_cluster.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "engine/common/strings.h"

namespace cairn::cluster {
namespace {

struct Clustered {
  std::vector<Signature> signatures;
  std::vector<size_t> assignments;
};

Clustered Cluster(const std::vector<std::string>& messages, const Options& options = {}) {
  LogClusterer clusterer(options);
  clusterer.set_keep_assignments(true);
  for (const auto& message : messages) clusterer.Add(message);
  return {clusterer.Signatures(), clusterer.Assignments()};
}

std::vector<std::string> Texts(const std::vector<Signature>& signatures) {
  std::vector<std::string> out;
  for (const auto& sig : signatures) out.push_back(sig.text);
  return out;
}

// The worked example of spec section 13.3 (messages m1-m6, in scope of "error").
const std::vector<std::string> kSpecExample = {
    "error: connection to 10.0.0.5 timed out after 30s",
    "[error] File does not exist: /var/www/favicon.ico",
    "error: connection to 10.0.0.9 timed out after 45s",
    "[error] File does not exist: /var/www/robots.txt",
    "error: connection to 10.0.0.7 timed out after 30s",
    "ERROR AccessDenied for user bob",
};

TEST(LogClustererTest, GroupsTheSpecExampleWithItsSignaturesAndIds) {
  Clustered result = Cluster(kSpecExample);
  ASSERT_EQ(result.signatures.size(), 3u);
  EXPECT_EQ(result.signatures[0].text, "error: connection to ********** timed out after **********");
  EXPECT_EQ(result.signatures[0].id, "2cb984f50f9de51f");
  EXPECT_EQ(result.signatures[0].count, 3);
  EXPECT_EQ(result.signatures[1].text, "[error] File does not exist: **********");
  EXPECT_EQ(result.signatures[1].id, "11f3a348f505e9fc");
  EXPECT_EQ(result.signatures[1].count, 2);
  EXPECT_EQ(result.signatures[2].text, "ERROR AccessDenied for user bob");
  EXPECT_EQ(result.signatures[2].id, "81ada2fd72cab337");
  EXPECT_EQ(result.signatures[2].count, 1);
  EXPECT_EQ(result.assignments, (std::vector<size_t>{0, 1, 0, 1, 0, 2}));
}

TEST(LogClustererTest, IdsAreFnvOfTheSignatureText) {
  for (const auto& sig : Cluster(kSpecExample).signatures) {
    EXPECT_EQ(sig.id, Hex64(Fnv1a64(sig.text)));
  }
}

TEST(LogClustererTest, IsDeterministicAndIdsDoNotDependOnOrder) {
  Clustered first = Cluster(kSpecExample);
  Clustered again = Cluster(kSpecExample);
  ASSERT_EQ(first.signatures.size(), again.signatures.size());
  for (size_t idx = 0; idx < first.signatures.size(); ++idx) {
    EXPECT_EQ(first.signatures[idx].id, again.signatures[idx].id);
    EXPECT_EQ(first.signatures[idx].count, again.signatures[idx].count);
  }
  EXPECT_EQ(first.assignments, again.assignments);
  std::vector<std::string> reversed(kSpecExample.rbegin(), kSpecExample.rend());
  Clustered backwards = Cluster(reversed);
  auto key = [](const std::vector<Signature>& sigs) {
    std::vector<std::tuple<std::string, std::string, int64_t>> out;
    for (const auto& sig : sigs) out.emplace_back(sig.id, sig.text, sig.count);
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(key(first.signatures), key(backwards.signatures));
}

TEST(LogClustererTest, MergesAPositionHoldingManyDistinctWords) {
  Clustered result = Cluster({
      "Failed password for root from 10.0.0.1 port 22 ssh2",
      "Failed password for ftp from 10.0.0.2 port 2201 ssh2",
      "Failed password for root from 10.0.0.3 port 22 ssh2",
      "Failed password for git from 10.0.0.4 port 22 ssh2",
  });
  EXPECT_EQ(Texts(result.signatures),
            (std::vector<std::string>{
                "Failed password for ********** from ********** port **********"}));
  EXPECT_EQ(result.signatures[0].count, 4);
}

TEST(LogClustererTest, KeepsTwoValuedAndUpperCaseWordsApart) {
  Clustered result = Cluster({
      "onReceive action: android.intent.action.SCREEN_ON",
      "onReceive action: android.intent.action.SCREEN_OFF",
      "onReceive action: android.intent.action.SCREEN_ON",
      "peer state now LOOKING for leader",
      "peer state now LEADING for leader",
      "peer state now FOLLOWING for leader",
  });
  EXPECT_EQ(Texts(result.signatures),
            (std::vector<std::string>{"onReceive action: android.intent.action.SCREEN_ON",
                                      "onReceive action: android.intent.action.SCREEN_OFF",
                                      "peer state now FOLLOWING for leader",
                                      "peer state now LEADING for leader",
                                      "peer state now LOOKING for leader"}));
}

TEST(LogClustererTest, NeedsEnoughCommonWordsToMergeDistinctWords) {
  Clustered result = Cluster({"cupsd startup succeeded", "hcid startup succeeded",
                              "sdpd startup succeeded"});
  EXPECT_EQ(result.signatures.size(), 3u);
}

TEST(LogClustererTest, AVariableInOneMemberMakesThePositionVariable) {
  Clustered result = Cluster({
      "reverse mapping checking getaddrinfo for ns.example [10.1.1.1] failed",
      "reverse mapping checking getaddrinfo for 10-1-1-2.example [10.1.1.2] failed",
  });
  EXPECT_EQ(Texts(result.signatures),
            (std::vector<std::string>{
                "reverse mapping checking getaddrinfo for ********** [**********] failed"}));
}

TEST(LogClustererTest, FillsEmptySlotsAndVariableLengthLists) {
  Clustered result = Cluster({
      "connection from 10.0.0.1 () at Sun Jul 10 03:55:15 2005",
      "connection from 10.0.0.2 (host-2.example.net) at Mon Jul 11 04:00:01 2005",
      "BLOCK* ask 10.0.0.1:50010 to delete blk_1",
      "BLOCK* ask 10.0.0.2:50010 to delete blk_2 blk_3 blk_4",
  });
  EXPECT_EQ(Texts(result.signatures),
            (std::vector<std::string>{"BLOCK* ask ********** to delete **********",
                                      "connection from ********** (**********) at **********"}));
  EXPECT_EQ(result.assignments, (std::vector<size_t>{1, 1, 0, 0}));
}

TEST(LogClustererTest, StreamingConsolidationMatchesLaterMessagesToMergedTemplates) {
  Options options;
  options.consolidate_every = 8;
  std::vector<std::string> messages;
  for (int idx = 0; idx < 5000; ++idx) {
    std::string user = "user";
    for (int rest = idx; rest > 0; rest /= 26) user += static_cast<char>('a' + rest % 26);
    messages.push_back("Invalid login for " + user + " from host gateway ok");
    if (idx % 10 == 0) messages.push_back("session closed for good reason today");
  }
  Clustered result = Cluster(messages, options);
  EXPECT_EQ(Texts(result.signatures),
            (std::vector<std::string>{"Invalid login for ********** from host gateway ok",
                                      "session closed for good reason today"}));
  EXPECT_EQ(result.signatures[0].count, 5000);
  EXPECT_EQ(result.signatures[1].count, 500);
  EXPECT_EQ(result.assignments.size(), 5500u);
  EXPECT_EQ(result.assignments[1], 1u);
  EXPECT_EQ(result.assignments[2], 0u);
}

TEST(LogClustererTest, ScoresRarity) {
  Clustered result = Cluster({"job done ok", "job done ok", "job done ok", "disk failed hard"});
  ASSERT_EQ(result.signatures.size(), 2u);
  EXPECT_DOUBLE_EQ(result.signatures[0].score, 2.08);  // 10 * ln(4/3) / ln(4)
  EXPECT_DOUBLE_EQ(result.signatures[1].score, 10);
}

TEST(LogClustererTest, KeepsAssignmentsOnlyWhenAsked) {
  LogClusterer clusterer;
  clusterer.Add("a b c");
  clusterer.Add("a b c");
  EXPECT_TRUE(clusterer.Assignments().empty());
  EXPECT_EQ(clusterer.message_count(), 2);
  ASSERT_EQ(clusterer.Signatures().size(), 1u);
  EXPECT_EQ(clusterer.Signatures()[0].count, 2);
}

TEST(LogClustererTest, HandlesEmptyAndBlankMessages) {
  Clustered result = Cluster({"", "   ", "x"});
  EXPECT_EQ(Texts(result.signatures), (std::vector<std::string>{"", "x"}));
  EXPECT_EQ(result.signatures[0].count, 2);
}

TEST(LogClustererTest, SignatureOfMapsReplayedClusterNumbersToFinalSignatures) {
  // Drill-down (summarize details) replays the messages into a fresh clusterer and maps the
  // numbers Add returns through the first clusterer: the result equals Assignments().
  std::vector<std::string> messages;
  for (int k = 0; k < 50; ++k) {
    messages.push_back("Failed password for user" + std::string(1, static_cast<char>('a' + k % 7)) +
                       " from 10.0.0." + std::to_string(k) + " port 22 ssh2");
    messages.push_back("session opened for user root by (uid=" + std::to_string(k) + ")");
    if (k % 10 == 0) messages.push_back("Received disconnect from 10.1.1." + std::to_string(k));
  }
  LogClusterer first;
  first.set_keep_assignments(true);
  for (const auto& m : messages) first.Add(m);
  auto assignments = first.Assignments();
  LogClusterer replay;
  for (size_t k = 0; k < messages.size(); ++k) {
    EXPECT_EQ(first.SignatureOf(replay.Add(messages[k])), assignments[k]) << messages[k];
  }
  EXPECT_EQ(first.SignatureOf(1u << 30), first.Signatures().size());
}

}  // namespace
}  // namespace cairn::cluster
