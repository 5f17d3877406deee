#include "engine/playbook/runner.h"

#include <gtest/gtest.h>

namespace cairn::playbook {
namespace {

constexpr const char* kPlaybook = R"(name: demo
inputs:
  threshold: 5
steps:
  - id: series
    kind: query
    query: 'error | count by _timeslice'
  - id: onset
    kind: correlator
    correlator: spike-onset
    with:
      rows: ${series.rows}
      threshold: ${inputs.threshold}
  - id: walk
    kind: graph
    walk: blast-radius
    when: onset.found
    with:
      entity: "user:${onset.actor}"
  - id: never
    kind: query
    query: 'nothing'
    when: not onset.found
signals:
  - id: big
    when: onset.total > inputs.threshold
    supports: malicious
    weight: 2
    sentence: "spike of ${onset.total}"
    evidence: onset.evidence
  - id: usual_place
    when: onset.usual
    supports: operational
    sentence: "from the usual place"
findings:
  - id: spike
    severity: high
    sentence: "spike by ${onset.actor}"
    evidence: onset.evidence
  - id: hidden
    severity: low
    sentence: "never shown"
    when: "false"
verdict:
  rules:
    - verdict: malicious
      when: score.malicious > score.operational
      confidence: 0.5 + 0.2
  default: inconclusive
entities:
  actor: onset.actor
actions:
  - text: "disable ${onset.actor}"
    when: big
)";

class FakeBackend : public Backend {
 public:
  Result<Json> RunQuery(const std::string& query, const Json&) override {
    queries.push_back(query);
    return Json{{"rows", Json::array({{{"_count", 3}}, {{"_count", 40}}})}};
  }
  Result<Json> RunCorrelator(const std::string& name, const Json& args) override {
    last_args = args;
    if (name != "spike-onset") return Error::NotFound("no correlator " + name);
    return Json{{"found", true}, {"total", 43}, {"actor", "mallory"}, {"usual", false},
                {"evidence", Json::array({{{"event_id", "e1"}, {"time", "t1"}}})}};
  }
  Result<Json> RunGraph(const std::string& walk, const Json& args) override {
    walks.push_back(walk + " " + args["entity"].get<std::string>());
    return Json{{"nodes", 2}};
  }
  Json CaseInfo() override { return {{"content_hash", "h1"}}; }
  std::vector<std::string> queries;
  std::vector<std::string> walks;
  Json last_args;
};

TEST(PlaybookRunnerTest, RunsStepsAndDecides) {
  auto pb = ParsePlaybook(kPlaybook, "pb.yaml");
  ASSERT_TRUE(pb.ok()) << pb.error().ToString();
  FakeBackend backend;
  auto r = RunPlaybook(*pb, backend, {});
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const Json& rec = *r;
  EXPECT_EQ(rec["verdict"], "malicious");
  EXPECT_DOUBLE_EQ(rec["confidence"].get<double>(), 0.7);
  EXPECT_EQ(backend.queries, (std::vector<std::string>{"error | count by _timeslice"}));
  EXPECT_EQ(backend.walks, (std::vector<std::string>{"blast-radius user:mallory"}));
  EXPECT_EQ(backend.last_args["threshold"], 5);
  EXPECT_EQ(backend.last_args["rows"].size(), 2u);
  ASSERT_EQ(rec["findings"].size(), 1u);
  EXPECT_EQ(rec["findings"][0]["sentence"], "spike by mallory");
  EXPECT_EQ(rec["findings"][0]["evidence"][0]["event_id"], "e1");
  EXPECT_EQ(rec["reasons"], Json::array({"spike of 43"}));
  EXPECT_EQ(rec["entities"]["actor"], "mallory");
  EXPECT_EQ(rec["actions"], Json::array({"disable mallory"}));
  ASSERT_EQ(rec["steps"].size(), 4u);
  EXPECT_EQ(rec["steps"][3]["skipped"], true);
  EXPECT_EQ(rec["steps"][0]["case_hash"], "h1");
  EXPECT_EQ(rec["steps"][0]["query"], "error | count by _timeslice");
}

TEST(PlaybookRunnerTest, OverridesAreTypedAndChecked) {
  auto pb = ParsePlaybook(kPlaybook, "pb.yaml");
  ASSERT_TRUE(pb.ok());
  FakeBackend backend;
  RunOptions opt;
  opt.overrides["threshold"] = "100";
  auto r = RunPlaybook(*pb, backend, opt);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["verdict"], "inconclusive");  // 43 is not > 100: no signal
  EXPECT_EQ(backend.last_args["threshold"], 100);
  opt.overrides["nope"] = "1";
  auto bad = RunPlaybook(*pb, backend, opt);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.error().help(), "its inputs are: threshold");
}

TEST(PlaybookRunnerTest, SummaryShowsThreePiecesOfEvidenceWithTheFileName) {
  Json record = Json::parse(R"({
    "playbook": "demo", "verdict": "malicious", "confidence": 0.9,
    "reasons": ["r1"],
    "findings": [{"severity": "high", "sentence": "s1", "evidence": [
      {"time": "2024-03-19T14:04:03Z", "event_id": "e1", "source": "/cases/x/AWSLogs/1/f1.json.gz", "summary": "A"},
      {"time": "2024-03-19T14:05:00Z", "event_id": "e2", "source": "relative.log", "summary": "B"},
      {"time": "2024-03-19T14:06:00Z", "event_id": "e3", "source": "/ends/with/", "summary": "C"},
      {"time": "2024-03-19T14:07:00Z", "event_id": "e4", "source": "/d/f4", "summary": "D"}]}],
    "actions": ["act"]
  })");
  std::string summary = SummarizeRun(record);
  EXPECT_NE(summary.find("  [high] s1\n"
                         "      2024-03-19T14:04:03Z e1 (f1.json.gz) A\n"
                         "      2024-03-19T14:05:00Z e2 (relative.log) B\n"
                         "      2024-03-19T14:06:00Z e3 (/ends/with/) C\n"
                         "      … 1 more\n"),
            std::string::npos)
      << summary;
  EXPECT_EQ(summary.find("/cases/x"), std::string::npos) << summary;
}

}  // namespace
}  // namespace cairn::playbook
