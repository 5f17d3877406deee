// The article's queries verbatim on a generated incident (cairn simulate + cairn ingest), checked
// against the generator's answer file and against independent tools (awk, jq) on the raw files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/query/query.h"
#include "engine/store/case_store.h"
#include "tests/testing/testing.h"

namespace cairn::query {
namespace {

class ArticleQueriesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new cairn::testing::TempDir();
    std::string bin = cairn::testing::CairnBinary();
    std::string out = (dir_->path() / "demo").string();
    std::string c = (dir_->path() / "c.cairn").string();
    std::string log;
    ok_ = cairn::testing::RunCommand(bin + " simulate --variant malicious --seed 11 --days 2 --out " + out, &log) == 0;
    const char* ingest[] = {"/s3-access --category S3/Access --category s3_aws_logs",
                            "/apache/*/access_log --category Apache/Access",
                            "/apache/*/error_log --category Apache/Error", "/AWSLogs --category CloudTrail"};
    for (const char* part : ingest) {
      std::string cmd = bin + " ingest " + out + part + " --case " + c;
      ok_ = ok_ && cairn::testing::RunCommand(cmd, &log) == 0;
    }
    if (!ok_) return;
    answer_ = nlohmann::json::parse(cairn::testing::ReadFile(dir_->path() / "demo" / "answer.json"));
    auto s = store::CaseStore::Open(c, store::CaseStore::Mode::kReadOnly);
    ok_ = s.ok();
    if (ok_) store_ = std::move(s).value().release();
  }
  static void TearDownTestSuite() {
    delete store_;
    delete dir_;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "cairn simulate/ingest not available";
  }
  QueryTable Run(const std::string& q, QueryOptions o = {}) {
    auto r = RunQueryTable(*store_, q, o);
    EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.error().ToString());
    return r.ok() ? std::move(r).value() : QueryTable{};
  }
  static std::string Shell(const std::string& cmd) {
    std::string out;
    EXPECT_EQ(cairn::testing::RunCommand(cmd, &out), 0) << cmd;
    return out;
  }
  static std::string Demo() { return (dir_->path() / "demo").string(); }

  static inline cairn::testing::TempDir* dir_ = nullptr;
  static inline store::CaseStore* store_ = nullptr;
  static inline bool ok_ = false;
  static inline nlohmann::json answer_;
};

const char* kQ2 =
    "_sourceCategory=S3/Access OR _sourceCategory=Apache/Access | parse \"HTTP/1.1\\\" * \" as status_code "
    "| where status_code > 400 | timeslice 1m | count by status_code, _timeslice";

TEST_F(ArticleQueriesTest, StatusCountsPerMinuteEqualAwk) {
  auto t = Run(kQ2);
  std::map<std::string, int64_t> ours;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    ours[RenderValue(t.Get(r, "_timeslice")) + " " + t.Get(r, "status_code").ToText()] = t.Get(r, "_count").int_value();
  }
  std::string awk = Shell(
      "find " + Demo() + "/s3-access " + Demo() + "/apache -type f ! -name 'error_log*' -exec zcat -f {} + | "
      "awk '{ i = index($0, \"HTTP/1.1\\\" \"); if (!i) next; split(substr($0, i + 10), a, \" \"); "
      "s = a[1]; if (s !~ /^[0-9]+$/ || s + 0 <= 400) next; j = index($0, \"[\"); "
      "print substr($0, j + 1, 17), s }' | sort | uniq -c");
  std::map<std::string, int64_t> theirs;
  std::istringstream in(awk);
  int64_t n;
  std::string minute, status;
  while (in >> n >> minute >> status) {
    auto t0 = ParseClfTime(minute + ":00 +0000");
    ASSERT_TRUE(t0.has_value()) << minute;
    theirs[FormatIso8601Compact(*t0) + " " + status] = n;
  }
  EXPECT_GT(theirs.size(), 10u);
  EXPECT_EQ(ours, theirs);
}

TEST_F(ArticleQueriesTest, TransposedStatusTableJumpsAtOnset) {
  auto t = Run(std::string(kQ2) + " | transpose row _timeslice column status_code");
  ASSERT_GE(t.ColumnIndex("403"), 0);
  std::string onset = answer_["onset_minute"];
  int64_t before = 0, at = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    std::string ts = RenderValue(t.Get(r, "_timeslice"));
    const Value& v = t.Get(r, "403");
    int64_t count = v.is_null() ? 0 : v.int_value();
    if (ts == onset) at = count;
    else if (ts < onset) before = std::max(before, count);
  }
  EXPECT_GE(at, answer_["invalid_access_key_per_minute"][onset].get<int64_t>());
  EXPECT_GT(at, 5 * std::max<int64_t>(before, 1));
}

TEST_F(ArticleQueriesTest, Raw403LinesCarryInvalidAccessKeyIdFromOnset) {
  auto t = Run("| parse \"HTTP/1.1\\\" * \" as status_code | where status_code = 403 | count by error_code");
  EXPECT_EQ(t.Get(0, "error_code").ToText(), "InvalidAccessKeyId");
  EXPECT_EQ(t.Get(0, "_count").int_value(), answer_["invalid_access_key_total"].get<int64_t>());
}

TEST_F(ArticleQueriesTest, OutlierFlagsTheOnsetMinuteFirst) {
  auto t = Run("_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | timeslice 1m | count as "
               "access_key_errors by _timeslice | outlier access_key_errors");
  std::string first;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (t.Get(r, "access_key_errors_violation").int_value() == 1) {
      first = RenderValue(t.Get(r, "_timeslice"));
      break;
    }
  }
  EXPECT_EQ(first, answer_["onset_minute"].get<std::string>());
}

TEST_F(ArticleQueriesTest, CloudTrailWindowShowsTheCredentialChange) {
  std::string onset = answer_["onset_minute"];
  QueryOptions o;
  o.from = *ParseIso8601(onset) - 5 * 60000;
  o.to = *ParseIso8601(onset) + 2 * 60000;
  auto t = Run("_sourceCategory=CloudTrail | json auto keys \"eventName\", \"userIdentity.userName\", \"eventID\" "
               "| where eventName = \"UpdateAccessKey\"", o);
  bool found = false;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (t.Get(r, "eventID").ToText() == answer_["credential_change"]["event_id"].get<std::string>()) {
      found = true;
      EXPECT_EQ(t.Get(r, "userIdentity.userName").ToText(), answer_["actor"]["user_name"].get<std::string>());
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ArticleQueriesTest, Query5AsWrittenHintsAndTheUserNameVariantFindsTheActor) {
  auto t = Run("| json auto keys \"useridentity.type\" | where %\"useridentity.type\" = \"suspicious-user\"");
  EXPECT_TRUE(t.rows.empty());
  ASSERT_FALSE(t.result.notices.empty());
  EXPECT_TRUE(StartsWith(t.result.notices[0], "useridentity.type has ")) << t.result.notices[0];
  EXPECT_NE(t.result.notices[0].find("IAMUser ("), std::string::npos);
  std::string actor = answer_["actor"]["user_name"];
  auto u = Run("| json auto keys \"useridentity.userName\" | where %\"useridentity.userName\" = \"" + actor +
               "\" | count by eventName");
  int64_t updates = 0;
  for (size_t r = 0; r < u.rows.size(); ++r) {
    if (u.Get(r, "eventName").ToText() == "UpdateAccessKey") updates = u.Get(r, "_count").int_value();
  }
  int64_t expected = 0;
  for (const auto& e : answer_["update_access_key_events"]) {
    if (e["actor"] == actor) ++expected;
  }
  EXPECT_EQ(updates, expected);
}

TEST_F(ArticleQueriesTest, Query6PutsTheActorInEuropeAgainstAUsBaseline) {
  auto db = cairn::testing::SharedData() / "geoip" / "GeoIP2-City-Test.mmdb";
  QueryOptions o;
  o.geo_db_path = db.string();
  auto q6 = Run("| json auto keys \"useridentity.type\", \"sourceIPAddress\" | where %\"useridentity.type\" = "
                "\"suspicious-user\" | lookup latitude, longitude | count by latitude, longitude | sort _count", o);
  EXPECT_TRUE(q6.rows.empty());
  std::string actor = answer_["actor"]["user_name"];
  auto t = Run("| json auto keys \"useridentity.userName\", \"sourceIPAddress\" | where %\"useridentity.userName\" = \"" +
               actor + "\" | lookup latitude, longitude, country_code | count by country_code, latitude, longitude", o);
  std::map<std::string, int64_t> by_country;
  for (size_t r = 0; r < t.rows.size(); ++r) by_country[t.Get(r, "country_code").ToText()] += t.Get(r, "_count").int_value();
  EXPECT_GT(by_country[answer_["actor"]["country"].get<std::string>()], 0);
  EXPECT_GT(by_country[answer_["actor_baseline"]["country"].get<std::string>()], 0);
}

TEST_F(ArticleQueriesTest, PerUserCloudTrailCountsEqualJq) {
  auto t = Run("_sourceCategory=CloudTrail | json auto keys \"userIdentity.userName\" | count by %\"userIdentity.userName\"");
  std::map<std::string, int64_t> ours;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    const Value& u = t.Get(r, "userIdentity.userName");
    ours[u.is_null() ? "-" : u.ToText()] = t.Get(r, "_count").int_value();
  }
  std::string jq = Shell("find " + Demo() + "/AWSLogs -name '*.json.gz' -exec zcat {} + | "
                         "jq -r '.Records[] | .userIdentity.userName // \"-\"' | sort | uniq -c");
  std::map<std::string, int64_t> theirs;
  std::istringstream in(jq);
  int64_t n;
  std::string user;
  while (in >> n >> user) theirs[user] = n;
  EXPECT_GT(theirs.size(), 3u);
  EXPECT_EQ(ours, theirs);
}

TEST_F(ArticleQueriesTest, SummarizeCountsEveryErrorEvent) {
  auto t = Run("error | summarize");
  int64_t total = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) total += t.Get(r, "_count").int_value();
  EXPECT_GT(t.rows.size(), 1u);
  EXPECT_EQ(total, t.result.stats.events_matched);
}

// summarize compare of the incident window against the same window the day before: the
// InvalidAccessKeyId upload failures are new (or grown); the background is the same.
TEST_F(ArticleQueriesTest, SummarizeCompareShowsTheFailuresAsNewAndTheBackgroundAsSame) {
  TimeMs onset = *ParseIso8601(answer_["onset_minute"].get<std::string>());
  TimeMs recovery = *ParseIso8601(answer_["recovery"]["minute"].get<std::string>());
  QueryOptions window;
  window.from = onset - 10 * 60000;
  window.to = recovery + 3 * 60000;
  auto t = Run("_sourceCategory=S3/Access | summarize compare baseline=-1d", window);
  ASSERT_GT(t.rows.size(), 2u);
  // The first row (largest change among new/grown) is the failed PUTs, with every one of them.
  std::string first_sig = t.Get(0, "_signature").ToText();
  EXPECT_NE(first_sig.find("InvalidAccessKeyId"), std::string::npos) << first_sig;
  EXPECT_NE(first_sig.find("PUT"), std::string::npos) << first_sig;
  std::string status = t.Get(0, "_status").ToText();
  EXPECT_TRUE(status == "new" || status == "grown") << status;
  int64_t failures = 0;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    if (t.Get(r, "_signature").ToText().find("InvalidAccessKeyId") != std::string::npos) {
      failures += t.Get(r, "_count").int_value();
      EXPECT_NE(t.Get(r, "_status").ToText(), "same");
    }
  }
  auto raw = Run("_sourceCategory=S3/Access AND \"InvalidAccessKeyId\" | count", window);
  EXPECT_EQ(failures, raw.Get(0, "_count").int_value());
  // Over a few hours around the onset, the busy background signatures (the app's successful
  // requests) are the same as the day before.
  QueryOptions hours;
  hours.from = onset - 60 * 60000;
  hours.to = onset + 120 * 60000;
  auto wide = Run("_sourceCategory=S3/Access | summarize compare baseline=-1d | where _baseline_count >= 20", hours);
  ASSERT_FALSE(wide.rows.empty());
  for (size_t r = 0; r < wide.rows.size(); ++r) {
    EXPECT_EQ(wide.Get(r, "_status").ToText(), "same") << wide.Get(r, "_signature").ToText();
  }
  // Ids agree with a plain summarize of the window.
  auto plain = Run("_sourceCategory=S3/Access | summarize", window);
  bool found = false;
  for (size_t r = 0; r < plain.rows.size(); ++r) found |= plain.Get(r, "_signature_id") == t.Get(0, "_signature_id");
  EXPECT_TRUE(found);
}

// Drill-down: the events of the failed-upload signature are the InvalidAccessKeyId PUT lines.
TEST_F(ArticleQueriesTest, SummarizeDrillDownListsTheSignaturesMessages) {
  auto table = Run("_sourceCategory=S3/Access AND \"InvalidAccessKeyId\" | summarize");
  ASSERT_FALSE(table.rows.empty());
  std::string id = table.Get(0, "_signature_id").ToText();
  auto events = Run("_sourceCategory=S3/Access AND \"InvalidAccessKeyId\" | summarize signature=\"" + id +
                    "\" | count by error_code, status");
  ASSERT_EQ(events.rows.size(), 1u);
  EXPECT_EQ(events.Get(0, "error_code").ToText(), "InvalidAccessKeyId");
  EXPECT_EQ(events.Get(0, "_count").int_value(), table.Get(0, "_count").int_value());
}

}  // namespace
}  // namespace cairn::query
