// Runs the credential-compromise playbook as a user would (the cairn binary) on the reference
// incident, malicious and benign, several seeds, and compares the run record with the generator's
// answer file: onset minute, actor, the credential-change event, keys, buckets and the verdict.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "tests/testing/testing.h"

namespace cairn {
namespace {

using Json = nlohmann::json;

struct Case {
  const char* variant;
  int seed;
};

Json ReadJson(const std::filesystem::path& p) {
  std::ifstream in(p);
  return Json::parse(in);
}

std::set<std::string> AsSet(const Json& list) {
  std::set<std::string> out;
  if (list.is_array()) {
    for (const auto& v : list) {
      if (v.is_string()) out.insert(v.get<std::string>());
    }
  }
  return out;
}

class PlaybookE2eTest : public ::testing::TestWithParam<Case> {};

TEST_P(PlaybookE2eTest, CredentialCompromiseMatchesAnswerFile) {
  const Case& c = GetParam();
  testing::TempDir dir;
  std::string cairn = testing::CairnBinary();
  std::string ev = (dir / "ev").string();
  std::string kase = (dir / "case.cairn").string();
  std::string run = (dir / "run.json").string();
  std::string out;
  std::string err;
  ASSERT_EQ(testing::RunCommand(cairn + " simulate --variant " + c.variant + " --seed " +
                                    std::to_string(c.seed) + " --days 3 --out " + ev, &out, &err),
            0)
      << err;
  ASSERT_EQ(testing::RunCommand(cairn + " ingest " + ev + "/AWSLogs " + ev + "/s3-access " + ev +
                                    "/apache --case " + kase, &out, &err),
            0)
      << err;
  ASSERT_EQ(testing::RunCommand(cairn + " playbook run credential-compromise --case " + kase +
                                    " --record " + run + " --geoip-db " +
                                    (testing::SharedData() / "geoip/GeoIP2-City-Test.mmdb").string(),
                                &out, &err),
            0)
      << err;
  Json answer = ReadJson(dir / "ev/answer.json");
  Json rec = ReadJson(run);
  EXPECT_EQ(rec["verdict"], answer["expected_verdict"]);
  EXPECT_EQ(rec["entities"]["onset"], answer["onset_minute"]);
  EXPECT_EQ(rec["entities"]["actor"], answer["actor"]["user_name"]);
  EXPECT_EQ(rec["entities"]["actor_arn"], answer["actor"]["arn"]);
  EXPECT_EQ(rec["entities"]["change_event"], answer["credential_change"]["event_id"]);
  EXPECT_EQ(rec["entities"]["affected_key"], answer["affected_key"]["access_key_id"]);
  EXPECT_EQ(rec["entities"]["key_owner"], answer["affected_key"]["owner"]);
  std::set<std::string> keys;
  for (const auto& k : answer["keys_touched"]) keys.insert(k["access_key_id"].get<std::string>());
  EXPECT_EQ(AsSet(rec["entities"]["keys_touched"]), keys);
  EXPECT_EQ(AsSet(rec["entities"]["buckets"]), AsSet(answer["affected_buckets"]));
  std::set<std::string> hosts;
  for (const auto& h : answer["affected_hosts"]) hosts.insert(h["host"].get<std::string>());
  EXPECT_EQ(AsSet(rec["entities"]["hosts"]), hosts);
  // The change event is cited as evidence of the credential-change finding.
  bool cited = false;
  for (const auto& f : rec["findings"]) {
    if (f["id"] != "credential_change") continue;
    for (const auto& e : f["evidence"]) cited |= e.value("event_id", "") == answer["credential_change"]["event_id"];
  }
  EXPECT_TRUE(cited);
  EXPECT_TRUE(rec["errors"].empty()) << rec["errors"].dump();

  // Recommended actions: each key the answer file says was disabled is named by exactly one
  // action (the application key by its own, not again among "the other keys").
  for (const auto& k : answer["keys_touched"]) {
    if (k.value("status", "") != "Inactive") continue;
    const std::string id = k["access_key_id"].get<std::string>();
    int naming = 0;
    for (const auto& a : rec["actions"]) naming += a.get<std::string>().find(id) != std::string::npos;
    if (rec["verdict"] == "malicious") {
      EXPECT_EQ(naming, 1) << id << " in " << rec["actions"].dump();
    } else {
      EXPECT_LE(naming, 1) << id << " in " << rec["actions"].dump();
    }
  }

  // The dependency walk (entity graph) leads from the failing addresses to the affected key,
  // with the relations it followed as evidence.
  const Json* deps = nullptr;
  for (const auto& step : rec["steps"]) {
    if (step["id"] == "deps") deps = &step;
  }
  ASSERT_NE(deps, nullptr);
  EXPECT_EQ((*deps)["output"]["key"], answer["affected_key"]["access_key_id"]);
  EXPECT_EQ((*deps)["output"]["key_owner"], answer["affected_key"]["owner"]);
  EXPECT_FALSE((*deps)["output"]["evidence"].empty());

  // principal-activity on the actor: its blast radius in the graph reaches every key it touched.
  std::string pa = (dir / "pa.json").string();
  ASSERT_EQ(testing::RunCommand(cairn + " playbook run principal-activity --case " + kase + " --set principal=" +
                                    answer["actor"]["user_name"].get<std::string>() + " --record " + pa +
                                    " --geoip-db " +
                                    (testing::SharedData() / "geoip/GeoIP2-City-Test.mmdb").string(),
                                &out, &err),
            0)
      << err;
  std::set<std::string> reachable = AsSet(ReadJson(pa)["entities"]["reachable_keys"]);
  for (const auto& k : keys) EXPECT_TRUE(reachable.count(k)) << k << " not reachable from the actor";
}

// --tz: the summary quotes every time in the zone (with its offset) and names the zone; the run
// record keeps UTC whatever the zone.
TEST(PlaybookTzE2eTest, SummaryInTheZoneRecordInUtc) {
  testing::TempDir dir;
  std::string cairn = testing::CairnBinary();
  std::string ev = (dir / "ev").string();
  std::string kase = (dir / "case.cairn").string();
  std::string run = (dir / "run.json").string();
  std::string out;
  std::string err;
  ASSERT_EQ(testing::RunCommand(cairn + " simulate --variant malicious --seed 7 --days 1 --out " + ev, &out, &err), 0)
      << err;
  ASSERT_EQ(testing::RunCommand(cairn + " ingest " + ev + "/AWSLogs " + ev + "/s3-access " + ev + "/apache --case " +
                                    kase, &out, &err),
            0)
      << err;
  const std::string geo = " --geoip-db " + (testing::SharedData() / "geoip/GeoIP2-City-Test.mmdb").string();
  std::string utc_out;
  ASSERT_EQ(testing::RunCommand(cairn + " playbook run credential-compromise --case " + kase + geo, &utc_out, &err), 0)
      << err;
  ASSERT_EQ(testing::RunCommand(cairn + " playbook run credential-compromise --case " + kase + geo +
                                    " --tz Asia/Kolkata --record " + run, &out, &err),
            0)
      << err;
  Json rec = ReadJson(run);
  const std::string onset = rec["entities"]["onset"].get<std::string>();  // UTC, e.g. 2024-03-13T16:04:00Z
  ASSERT_EQ(onset.back(), 'Z') << onset;
  EXPECT_NE(utc_out.find(onset), std::string::npos);
  EXPECT_EQ(out.find(onset), std::string::npos) << out;
  EXPECT_NE(out.find("+05:30"), std::string::npos) << out;
  EXPECT_NE(out.find("times: Asia/Kolkata, each with its UTC offset"), std::string::npos) << out;
  // --format json prints the record, in UTC, and says that --tz does not apply to it.
  ASSERT_EQ(testing::RunCommand(cairn + " playbook run credential-compromise --case " + kase + geo +
                                    " --tz Asia/Kolkata --format json", &out, &err),
            0)
      << err;
  EXPECT_EQ(Json::parse(out)["entities"]["onset"], onset);
  EXPECT_NE(err.find("--tz does not apply to the run record"), std::string::npos) << err;
  // An unknown zone is a usage error that names it.
  EXPECT_EQ(testing::RunCommand(cairn + " playbook run credential-compromise --case " + kase + " --tz Asia/Kolkatta",
                                &out, &err),
            2);
  EXPECT_NE(err.find("unknown time zone 'Asia/Kolkatta'"), std::string::npos) << err;
}

INSTANTIATE_TEST_SUITE_P(Variants, PlaybookE2eTest,
                         ::testing::Values(Case{"malicious", 7}, Case{"benign", 7}, Case{"malicious", 23},
                                           Case{"benign", 42}),
                         [](const ::testing::TestParamInfo<Case>& param_info) {
                           return std::string(param_info.param.variant[0] == 'm' ? "Malicious" : "Benign") +
                                  "Seed" + std::to_string(param_info.param.seed);
                         });

}  // namespace
}  // namespace cairn
