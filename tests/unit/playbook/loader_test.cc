#include <gtest/gtest.h>

#include "engine/playbook/playbook.h"
#include "tests/testing/testing.h"

namespace cairn::playbook {
namespace {

constexpr const char* kValid = R"(name: demo
title: Demo
inputs:
  min_count: {default: 10, description: smallest spike}
steps:
  - id: series
    kind: query
    query: 'error | timeslice 1m | count by _timeslice'
  - id: onset
    kind: correlator
    correlator: spike-onset
    with:
      series: ${series.rows}
      min_count: ${inputs.min_count}
signals:
  - id: big
    when: onset.total > 100
    supports: malicious
    sentence: "spike of ${onset.total}"
findings:
  - id: spike
    severity: high
    sentence: "spike at ${onset.minute}"
    evidence: onset.evidence
    steps: [series, onset]
verdict:
  rules:
    - verdict: malicious
      when: big
      confidence: 0.9
  default: inconclusive
actions:
  - "look at ${onset.minute}"
)";

Error LoadError(const std::string& text) {
  auto r = ParsePlaybook(text, "pb.yaml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? Error::Internal("loaded") : r.error();
}

TEST(PlaybookLoaderTest, LoadsAValidPlaybook) {
  auto r = ParsePlaybook(kValid, "pb.yaml");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  EXPECT_EQ(r->name, "demo");
  ASSERT_EQ(r->steps.size(), 2u);
  EXPECT_EQ(r->steps[1].kind, StepKind::kCorrelator);
  EXPECT_EQ(r->steps[1].name, "spike-onset");
  EXPECT_EQ(r->steps[1].with.at("min_count"), "${inputs.min_count}");
  EXPECT_EQ(r->inputs[0].default_value, "10");
  EXPECT_EQ(r->findings[0].steps, (std::vector<std::string>{"series", "onset"}));
  EXPECT_EQ(r->verdict_rules[0].verdict, "malicious");
}

TEST(PlaybookLoaderTest, UnknownKeyGetsLineAndHint) {
  std::string text = kValid;
  text.replace(text.find("    kind: query"), 15, "    knid: query");
  Error e = LoadError(text);
  EXPECT_EQ(e.message(), "unknown key 'knid'");
  EXPECT_EQ(e.help(), "did you mean 'kind'?");
  EXPECT_EQ(e.span()->line, 7);
  EXPECT_EQ(e.span()->source, "pb.yaml");
}

TEST(PlaybookLoaderTest, UnknownStepKind) {
  std::string text = kValid;
  text.replace(text.find("kind: correlator"), 16, "kind: correlate");
  Error e = LoadError(text);
  EXPECT_EQ(e.message(), "unknown step kind 'correlate'");
  EXPECT_EQ(e.help(), "use query, correlator or graph");
  EXPECT_EQ(e.span()->line, 10);
}

TEST(PlaybookLoaderTest, ReferenceToUndefinedStep) {
  std::string text = kValid;
  text.replace(text.find("${series.rows}"), 14, "${serise.rows}");
  Error e = LoadError(text);
  EXPECT_EQ(e.message(), "'serise' is not defined here");
  EXPECT_EQ(e.help(), "did you mean 'series'?");
}

TEST(PlaybookLoaderTest, LaterStepIsNotVisibleEarlier) {
  std::string text = kValid;
  text.replace(text.find("'error | timeslice"), 18, "'${onset.minute} | timeslice");
  Error e = LoadError(text);
  EXPECT_EQ(e.message(), "'onset' is not defined here");
}

TEST(PlaybookLoaderTest, BadYamlAndMissingParts) {
  Error yaml = LoadError("name: x\nsteps: [\n");
  EXPECT_EQ(yaml.code(), ErrorCode::kSchema);
  EXPECT_NE(yaml.message().find("invalid YAML"), std::string::npos);
  EXPECT_GE(yaml.span()->line, 2);
  Error steps = LoadError("name: x\nverdict: {default: inconclusive}\n");
  EXPECT_EQ(steps.message(), "missing 'steps'");
  Error verdict = LoadError("name: x\nsteps:\n  - id: a\n    kind: query\n    query: error\n");
  EXPECT_EQ(verdict.message(), "missing 'verdict'");
}

TEST(PlaybookLoaderTest, BadSeverityVerdictAndExpression) {
  std::string sev = kValid;
  sev.replace(sev.find("severity: high"), 14, "severity: huge");
  EXPECT_EQ(LoadError(sev).message(), "unknown severity 'huge'");
  std::string verdict = kValid;
  verdict.replace(verdict.find("verdict: malicious"), 18, "verdict: evil");
  EXPECT_EQ(LoadError(verdict).message(), "unknown verdict 'evil'");
  std::string expr = kValid;
  expr.replace(expr.find("when: big"), 9, "when: big >");
  Error e = LoadError(expr);
  EXPECT_NE(e.message().find("malformed expression 'big >'"), std::string::npos);
  std::string dup = kValid;
  dup.replace(dup.find("id: onset"), 9, "id: series");
  EXPECT_EQ(LoadError(dup).message(), "duplicate step id 'series'");
}

TEST(PlaybookLoaderTest, ShippedPlaybooksLoad) {
  auto found = FindPlaybooks({(testing::SourceDir() / "playbooks").string()});
  for (const auto& [name, path] : found) {
    auto r = LoadPlaybookFile(path);
    EXPECT_TRUE(r.ok()) << path << ": " << (r.ok() ? "" : r.error().ToString());
    if (r.ok()) {
      EXPECT_EQ(r->name, name);
    }
  }
}

}  // namespace
}  // namespace cairn::playbook
