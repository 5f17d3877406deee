#include <gtest/gtest.h>

#include "engine/report/report.h"
#include "tests/unit/report/incident_fixture.h"

namespace cairn::report {
namespace {

TEST(RunRecordTest, ReadsThePlaybookRunnerShape) {
  testing::IncidentFacts facts;
  facts.update_key_event = 42;
  facts.console_login_event_id = "ev-06";
  auto run = ParseRunRecord(testing::IncidentRunRecord(facts), "run.json");
  ASSERT_TRUE(run.has_value()) << run.error().ToString();
  EXPECT_TRUE(run->present);
  EXPECT_EQ(run->origin, "run.json");
  EXPECT_EQ(run->playbook, "credential-compromise — Credential compromise");
  EXPECT_EQ(run->verdict, "malicious");
  ASSERT_TRUE(run->confidence.has_value());
  EXPECT_DOUBLE_EQ(*run->confidence, 0.9);
  EXPECT_EQ(run->verdict_reason, "The key was disabled from an address never seen for this user.");
  ASSERT_EQ(run->findings.size(), 3u);
  const Finding& f = run->findings[0];
  EXPECT_EQ(f.id, "change-at-onset");
  EXPECT_EQ(f.severity, "high");
  EXPECT_EQ(f.steps, std::vector<std::string>{"changes_near_onset"});
  ASSERT_EQ(f.evidence.size(), 1u);
  EXPECT_EQ(f.evidence[0].event_id, 42);
  EXPECT_EQ(f.evidence[0].time, MakeTimeMs(2024, 1, 19, 9, 45, 10));
  EXPECT_EQ(f.evidence[0].source, "cloudtrail");
  EXPECT_EQ(f.evidence[0].text, "action=UpdateAccessKey; note=<b>bold</b>");
  // A CloudTrail eventID is kept as a reference to resolve against the case.
  EXPECT_EQ(run->findings[1].evidence[0].event_id, 0);
  EXPECT_EQ(run->findings[1].evidence[0].ref, "ev-06");
  EXPECT_EQ(run->findings[1].steps, (std::vector<std::string>{"actor_locations", "actor_history"}));
  // Signals: the fired one with its sentence, then the one that did not fire.
  ASSERT_EQ(run->signals.size(), 2u);
  EXPECT_EQ(run->signals[0].id, "new_location");
  EXPECT_EQ(run->signals[0].supports, "malicious");
  EXPECT_TRUE(run->signals[0].fired);
  EXPECT_EQ(run->signals[1].id, "usual_hours");
  EXPECT_FALSE(run->signals[1].fired);
  ASSERT_EQ(run->actions.size(), 2u);
  ASSERT_EQ(run->steps.size(), 4u);
  EXPECT_EQ(run->steps[0].kind, "correlator");
  EXPECT_EQ(run->steps[0].detail, "spike_onset");
  EXPECT_EQ(run->steps[0].status, "ok");
  EXPECT_EQ(run->steps[1].rows, 2);
  EXPECT_EQ(run->steps[2].rows, 3);
  EXPECT_EQ(run->steps[3].status, "skipped");
  EXPECT_EQ(run->steps[3].detail, "blast-radius");
  // The onset comes from the correlator step's output.
  EXPECT_EQ(run->onset, MakeTimeMs(2024, 1, 19, 9, 45, 0));
  // Entities flattened: actor, key, and both addresses.
  std::vector<std::string> values;
  for (const auto& e : run->entities) values.push_back(e.name + "=" + e.value);
  EXPECT_EQ(values, (std::vector<std::string>{"actor=key-manager", "addresses=81.2.69.142",
                                              "addresses=89.160.20.115", "key=AKIAAPPKEY000000001"}));
}

TEST(RunRecordTest, ToleratesOtherSpellingsAndMissingFields) {
  auto run = ParseRunRecord(
      R"({"verdict": {"verdict": "operational", "confidence": "high", "reason": "usual address"},
          "findings": ["a plain sentence", {"title": "t", "evidence": 7}],
          "steps": {"first": {"query": "error | count", "rows": 12, "error": "boom"}}})",
      "r.json");
  ASSERT_TRUE(run.has_value());
  EXPECT_EQ(run->verdict, "operational");
  EXPECT_FALSE(run->confidence.has_value());
  EXPECT_EQ(run->confidence_text, "high");
  EXPECT_EQ(run->verdict_reason, "usual address");
  ASSERT_EQ(run->findings.size(), 2u);
  EXPECT_EQ(run->findings[0].id, "finding-1");
  EXPECT_EQ(run->findings[0].sentence, "a plain sentence");
  EXPECT_EQ(run->findings[1].evidence.at(0).event_id, 7);
  ASSERT_EQ(run->steps.size(), 1u);
  EXPECT_EQ(run->steps[0].id, "first");
  EXPECT_EQ(run->steps[0].rows, 12);
  EXPECT_EQ(run->steps[0].status, "error: boom");
  EXPECT_TRUE(run->signals.empty());
}

TEST(RunRecordTest, RejectsNonJsonAndNonObjects) {
  auto bad = ParseRunRecord("{not json", "broken.json");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kParse);
  ASSERT_TRUE(bad.error().span().has_value());
  EXPECT_EQ(bad.error().span()->source, "broken.json");
  auto array = ParseRunRecord("[1,2]", "a.json");
  ASSERT_FALSE(array.has_value());
  EXPECT_EQ(array.error().message(), "the playbook run record is not a JSON object");
}

}  // namespace
}  // namespace cairn::report
