// `cairn report` end to end: the binary on a case file built by the fixture.
#include <gtest/gtest.h>

#include <cstdlib>
#include <nlohmann/json.hpp>

#include "tests/testing/testing.h"
#include "tests/unit/report/incident_fixture.h"

namespace cairn::report {
namespace {

using Json = nlohmann::json;

std::string Binary() {
  if (const char* env = std::getenv("CAIRN_BINARY"); env && *env) return env;
  return CAIRN_REPORT_CAIRN_BINARY;
}

class ReportCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    case_path_ = (dir_ / "incident.cairn").string();
    auto store = store::CaseStore::Open(case_path_, store::CaseStore::Mode::kCreate);
    ASSERT_TRUE(store.has_value()) << store.error().ToString();
    facts_ = testing::BuildIncidentCase(**store);
    run_path_ = (dir_ / "run.json").string();
    testing::WriteFile(run_path_, testing::IncidentRunRecord(facts_));
  }

  int Cairn(const std::string& args, std::string* out, std::string* err) {
    // An empty GeoIP path variable keeps the default lookup; the map is not what these tests check.
    return testing::RunCommand(Binary() + " report --case " + case_path_ + " " + args, out, err);
  }

  testing::TempDir dir_;
  std::string case_path_;
  std::string run_path_;
  testing::IncidentFacts facts_;
};

TEST_F(ReportCliTest, JsonToStdoutWithTheRunRecord) {
  std::string out, err;
  ASSERT_EQ(Cairn("--format json --playbook-run " + run_path_, &out, &err), 0) << err;
  Json j = Json::parse(out);
  EXPECT_EQ(j["verdict"]["verdict"], "malicious");
  EXPECT_EQ(j["timeline"]["rows"].size(), static_cast<size_t>(facts_.timeline_rows));
  EXPECT_EQ(j["spike"]["onset"], "2024-01-19T09:45:00Z");
  EXPECT_EQ(j["custody"]["sources"].size(), static_cast<size_t>(facts_.sources));
  EXPECT_EQ(j["report"]["case"], case_path_);
}

TEST_F(ReportCliTest, WindowFlagsAndMarkdownFile) {
  std::string out, err;
  std::string md_path = (dir_ / "report.md").string();
  ASSERT_EQ(Cairn("--format md --from 2024-01-19T09:40:00Z --to 2024-01-19T09:50:00Z --out " + md_path, &out, &err),
            0)
      << err;
  EXPECT_TRUE(out.empty());
  EXPECT_NE(err.find("wrote " + md_path), std::string::npos) << err;
  EXPECT_NE(err.find("26 timeline rows"), std::string::npos) << err;
  std::string md = testing::ReadFile(md_path);
  EXPECT_NE(md.find("## Timeline of notable events\n\n26 rows"), std::string::npos);
}

TEST_F(ReportCliTest, TzWritesTimesInTheZone) {
  std::string out, err;
  ASSERT_EQ(Cairn("--format json --tz -05:00 --playbook-run " + run_path_, &out, &err), 0) << err;
  Json j = Json::parse(out);
  EXPECT_EQ(j["report"]["time_zone"], "-05:00");
  EXPECT_EQ(j["spike"]["onset"], "2024-01-19T04:45:00-05:00");
  ASSERT_EQ(Cairn("--format md --tz America/New_York", &out, &err), 0) << err;
  EXPECT_NE(out.find("| Times | America/New\\_York (EST), each with its UTC offset |"), std::string::npos) << out;
  EXPECT_NE(out.find("2024-01-19T04:45:00-05:00"), std::string::npos);
  // An unknown zone is a usage error naming it.
  EXPECT_EQ(Cairn("--format md --tz Mars/Olympus", &out, &err), 2);
  EXPECT_NE(err.find("unknown time zone 'Mars/Olympus'"), std::string::npos) << err;
}

TEST_F(ReportCliTest, HtmlIsSelfContainedWhenTheAssetsAreInstalled) {
  std::string out, err;
  std::string html_path = (dir_ / "report.html").string();
  int rc = Cairn("--playbook-run " + run_path_ + " --out " + html_path, &out, &err);
  if (rc == 3 && err.find("chart assets are not installed") != std::string::npos) {
    EXPECT_NE(err.find("scripts/install-deps"), std::string::npos) << err;
    GTEST_SKIP() << "npm assets not installed (scripts/install-deps)";
  }
  ASSERT_EQ(rc, 0) << err;
  std::string html = testing::ReadFile(html_path);
  EXPECT_GT(html.size(), 1000000u);  // ECharts alone is about 1 MB
  EXPECT_EQ(html.find("<script>alert(1)"), std::string::npos);
  EXPECT_EQ(html.find(" src=\"http"), std::string::npos);
  EXPECT_NE(html.find("id=\"cairn-world\""), std::string::npos);
}

TEST_F(ReportCliTest, ErrorsHaveTheDocumentedExitCodes) {
  std::string out, err;
  testing::WriteFile(dir_ / "bad.json", "{ nope");
  EXPECT_EQ(Cairn("--format json --playbook-run " + (dir_ / "bad.json").string(), &out, &err), 3);
  EXPECT_NE(err.find("the playbook run record is not valid JSON"), std::string::npos) << err;
  EXPECT_EQ(Cairn("--format json --playbook-run " + (dir_ / "missing.json").string(), &out, &err), 3);
  EXPECT_NE(err.find("cannot open the playbook run record"), std::string::npos) << err;
  EXPECT_EQ(Cairn("--format pdf", &out, &err), 2);
  EXPECT_EQ(Cairn("--format json --from yesterday", &out, &err), 2);
  EXPECT_NE(err.find("cannot read --from 'yesterday'"), std::string::npos) << err;
  EXPECT_EQ(testing::RunCommand(Binary() + " report --format json --case " +
                                    (dir_ / "nope.cairn").string(),
                                &out, &err),
            3);
}

}  // namespace
}  // namespace cairn::report
