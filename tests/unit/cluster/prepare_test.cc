#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/cluster/log_cluster.h"
#include "tests/testing/testing.h"

namespace cairn::cluster {
namespace {

std::vector<std::string> ReadLines(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string FirstLine(const std::string& dataset) {
  auto lines = ReadLines(cairn::testing::SharedData() / "loghub-2k" / dataset /
                         (dataset + "_2k.log"));
  return lines.empty() ? "" : lines.front();
}

// The value of "key":"value" in a raw JSON line (enough for the flat string fields used here).
std::string RawField(const std::string& json, const std::string& key) {
  std::string needle = "\"" + key + "\":\"";
  size_t at = json.find(needle);
  if (at == std::string::npos) return "";
  size_t start = at + needle.size();
  return json.substr(start, json.find('"', start) - start);
}

TEST(PrepareForClusteringTest, RendersACloudTrailRecordByStructure) {
  auto lines = ReadLines(cairn::testing::SharedData() / "cloudtrail" / "elastic-integrations" /
                         "test-console-login-json.log");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(PrepareForClustering(lines[0]),
            "eventSource=\x1fsignin.amazonaws.com\x1f eventName=\x1f" "ConsoleLogin\x1f "
            "userIdentity.type=\x1fIAMUser\x1f responseElements.ConsoleLogin=\x1fSuccess\x1f");
  EXPECT_EQ(PrepareForClustering(lines[1]),
            "eventSource=\x1fsignin.amazonaws.com\x1f eventName=\x1f" "ConsoleLogin\x1f "
            "userIdentity.type=\x1fIAMUser\x1f responseElements.ConsoleLogin=\x1f" "Failure\x1f "
            "errorMessage: Failed authentication");
}

TEST(PrepareForClusteringTest, CloudTrailSignaturesFollowEventNamesNotRawBytes) {
  auto lines = ReadLines(cairn::testing::SharedData() / "cloudtrail" / "panther-analysis" /
                         "derived" / "panther_cloudtrail_records.jsonl");
  ASSERT_GT(lines.size(), 400u);
  LogClusterer clusterer;
  clusterer.set_keep_assignments(true);
  std::string scratch;
  for (const auto& line : lines) clusterer.Add(PrepareForClustering(line, &scratch));
  auto signatures = clusterer.Signatures();
  auto assignments = clusterer.Assignments();
  std::map<size_t, std::set<std::string>> names_by_signature;
  std::set<std::string> names;
  for (size_t idx = 0; idx < lines.size(); ++idx) {
    std::string name = RawField(lines[idx], "eventName");
    if (name.empty()) continue;
    names.insert(name);
    names_by_signature[assignments[idx]].insert(name);
  }
  for (const auto& [sig, sig_names] : names_by_signature) {
    EXPECT_EQ(sig_names.size(), 1u) << signatures[sig].text;
  }
  EXPECT_GE(names_by_signature.size(), names.size());
  // The IAM users' successful console sign-ins (13 records, each with its own user, address,
  // time and ids) fold into one signature.
  const Signature* logins = nullptr;
  for (const auto& sig : signatures) {
    if (sig.text ==
        "eventSource=signin.amazonaws.com eventName=ConsoleLogin eventType=AwsConsoleSignIn "
        "userIdentity.type=IAMUser responseElements.ConsoleLogin=Success") {
      logins = &sig;
    }
  }
  ASSERT_NE(logins, nullptr);
  EXPECT_EQ(logins->count, 13);
  // The rendered signature text carries no marker characters.
  for (const auto& sig : signatures) EXPECT_EQ(sig.text.find('\x1f'), std::string::npos);
}

TEST(PrepareForClusteringTest, RendersOtherJsonAsSortedFieldsWithoutIdValues) {
  EXPECT_EQ(PrepareForClustering(R"({"b":1,"a":"x y","requestId":"r-1","n":{"k":true},"l":[1,2]})"),
            "a=x y b=1 l=[2] n.k=true requestId=");
  EXPECT_EQ(PrepareForClustering("{not json}"), "{not json}");
}

TEST(PrepareForClusteringTest, StripsRecognisedLeadingTimestamps) {
  EXPECT_EQ(PrepareForClustering(FirstLine("Apache")),
            "[notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties");
  EXPECT_EQ(PrepareForClustering(FirstLine("Linux")),
            "sshd(pam_unix)[19939]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh "
            "ruser= rhost=218.188.2.4");
  EXPECT_EQ(PrepareForClustering(FirstLine("Zookeeper")),
            "- INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - "
            "Notification time out: 3200");
  EXPECT_EQ(PrepareForClustering("2024-03-01T10:00:00.123Z user login ok"), "user login ok");
  EXPECT_EQ(PrepareForClustering("2024-03-01T10:00:00+01:00 user login ok"), "user login ok");
  // Not timestamps: left alone.
  EXPECT_EQ(PrepareForClustering("2024-03-01 was a Friday"), "2024-03-01 was a Friday");
  EXPECT_EQ(PrepareForClustering("Invalid user admin from 1.2.3.4"),
            "Invalid user admin from 1.2.3.4");
}

}  // namespace
}  // namespace cairn::cluster
