// summarize details / signature= (drill-down), summarize compare (baseline ranges), and the
// operators of issue 4's gaps: lookup from a CSV table, fillmissing takeLast.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "tests/testing/testing.h"
#include "tests/unit/query/fixture.h"

namespace cairn::query {
namespace {

using store::SourceType;
using testing::CaseBuilder;
using Strings = std::vector<std::string>;

Strings Col(const QueryTable& t, const std::string& name) {
  Strings out;
  int c = t.ColumnIndex(name);
  EXPECT_GE(c, 0) << "no column " << name;
  if (c < 0) return out;
  for (const auto& row : t.rows) {
    const Value& v = row[static_cast<size_t>(c)];
    out.push_back(v.is_null() ? "null" : RenderValue(v));
  }
  return out;
}

// Day 1 (baseline): 4 timeouts, 2 missing files, 1 AccessDenied. Day 2: 4 timeouts, 2 missing
// files, 12 InvalidAccessKeyId, 0 AccessDenied.
class SummarizeModesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = c_.Source({"app"}, SourceType::kGeneric);
    for (const char* day : {"2019-02-05", "2019-02-06"}) {
      std::string d = day;
      c_.Add(src_, d + "T10:00:00Z", "error: connection to 10.0.0.5 timed out after 30s");
      c_.Add(src_, d + "T10:01:00Z", "[error] File does not exist: /var/www/favicon.ico");
      c_.Add(src_, d + "T10:02:00Z", "error: connection to 10.0.0.9 timed out after 45s");
      c_.Add(src_, d + "T10:03:00Z", "[error] File does not exist: /var/www/robots.txt");
      c_.Add(src_, d + "T10:04:00Z", "error: connection to 10.0.0.7 timed out after 30s");
      c_.Add(src_, d + "T10:05:00Z", "error: connection to 10.0.0.8 timed out after 31s");
    }
    c_.Add(src_, "2019-02-05T10:06:00Z", "ERROR AccessDenied for user bob");
    for (int k = 0; k < 12; ++k) {
      c_.Add(src_, "2019-02-06T10:1" + std::to_string(k % 10) + ":00Z",
             "error: PUT failed 403 InvalidAccessKeyId key AKIA" + std::to_string(1000 + k));
    }
  }
  QueryOptions Day2() {
    QueryOptions o;
    o.from = *ParseIso8601("2019-02-06T00:00:00Z");
    o.to = *ParseIso8601("2019-02-07T00:00:00Z");
    return o;
  }
  CaseBuilder c_;
  int64_t src_ = 0;
};

TEST_F(SummarizeModesTest, DetailsGivesEveryEventItsSignature) {
  auto table = c_.Run("error | summarize");
  auto details = c_.Run("error | summarize details");
  EXPECT_FALSE(details.result.aggregated);
  ASSERT_EQ(details.rows.size(), 25u);
  // Every event carries the id and text of one of the table's signatures, and the counts agree.
  Strings ids = Col(table, "_signature_id"), counts = Col(table, "_count");
  for (size_t k = 0; k < ids.size(); ++k) {
    size_t n = 0;
    for (const auto& id : Col(details, "_signature_id")) n += id == ids[k];
    EXPECT_EQ(std::to_string(n), counts[k]) << ids[k];
  }
  // Events keep their time order and their raw text.
  EXPECT_EQ(Col(details, "_messageTime").front(), "2019-02-05T10:00:00Z");
  EXPECT_NE(Col(details, "_raw").front().find("timed out"), std::string::npos);
}

TEST_F(SummarizeModesTest, DrillDownBySignatureIdOrPrefix) {
  auto table = c_.Run("error | summarize");
  std::string id = Col(table, "_signature_id")[1];  // the second most common signature
  auto by_where = c_.Run("error | summarize details | where _signature_id = \"" + id + "\"");
  auto by_option = c_.Run("error | summarize signature=\"" + id + "\"");
  auto by_prefix = c_.Run("error | summarize signature=" + id.substr(0, 6));
  EXPECT_EQ(std::to_string(by_where.rows.size()), Col(table, "_count")[1]);
  EXPECT_EQ(Col(by_option, "_raw"), Col(by_where, "_raw"));
  EXPECT_EQ(Col(by_prefix, "_raw"), Col(by_where, "_raw"));
  // Later operators see the events: count them per day.
  auto per_day = c_.Run("error | summarize signature=\"" + id + "\" | timeslice 1d | count by _timeslice");
  EXPECT_EQ(per_day.rows.size(), 2u);
  // Drill-down within a range gives the ids of the summary of that range.
  auto day2 = c_.Run("error | summarize", Day2());
  auto day2_details = c_.Run("error | summarize details", Day2());
  for (const auto& d : Col(day2_details, "_signature_id")) {
    EXPECT_NE(std::find(Col(day2, "_signature_id").begin(), Col(day2, "_signature_id").end(), d),
              Col(day2, "_signature_id").end());
  }
}

TEST_F(SummarizeModesTest, BadSignatureIdIsAParseError) {
  Error e = c_.RunError("error | summarize signature=\"xyz\"");
  EXPECT_EQ(e.code(), ErrorCode::kParse);
  EXPECT_NE(e.message().find("not a signature id"), std::string::npos);
  Error opt = c_.RunError("error | summarize detials");
  EXPECT_EQ(opt.help(), "did you mean 'details'?");
}

TEST_F(SummarizeModesTest, CompareAgainstTheDayBefore) {
  auto t = c_.Run("error | summarize compare baseline=-1d", Day2());
  EXPECT_EQ(t.columns, (Strings{"_signature_id", "_signature", "_count", "_baseline_count", "_delta", "_status"}));
  Strings status = Col(t, "_status");
  Strings sig = Col(t, "_signature");
  ASSERT_EQ(t.rows.size(), 4u);
  // new first, then gone, then same (largest change first, then by text).
  EXPECT_EQ(status, (Strings{"new", "gone", "same", "same"}));
  EXPECT_NE(sig[0].find("InvalidAccessKeyId"), std::string::npos);
  EXPECT_EQ(Col(t, "_count")[0], "12");
  EXPECT_EQ(Col(t, "_baseline_count")[0], "0");
  EXPECT_EQ(Col(t, "_delta")[0], "12");
  EXPECT_NE(sig[1].find("AccessDenied"), std::string::npos);
  EXPECT_EQ(Col(t, "_delta")[1], "-1");
  EXPECT_EQ(Col(t, "_count")[2], "4");
  EXPECT_EQ(Col(t, "_baseline_count")[2], "4");
  ASSERT_FALSE(t.result.notices.empty());
  EXPECT_EQ(t.result.notices[0],
            "compare: 2019-02-06T00:00:00Z to 2019-02-07T00:00:00Z against the baseline "
            "2019-02-05T00:00:00Z to 2019-02-06T00:00:00Z");
  // The same signature has the same id in both ranges and in the compare output.
  auto both = c_.Run("error | summarize");
  Strings ids = Col(both, "_signature_id");
  for (const auto& id : Col(t, "_signature_id")) EXPECT_NE(std::find(ids.begin(), ids.end(), id), ids.end());
}

TEST_F(SummarizeModesTest, CompareDefaultsAndExplicitBaseline) {
  // Without --from/--to: the last day of the scope against the day before it.
  auto implicit = c_.Run("error | summarize compare");
  EXPECT_EQ(Col(implicit, "_status").front(), "new");
  auto sumo = c_.Run("error | logcompare timeshift -24h", Day2());
  auto explicit_range = c_.Run(
      "error | summarize compare baseline_from=\"2019-02-05T00:00:00Z\" baseline_to=\"2019-02-06T00:00:00Z\"",
      Day2());
  auto shifted = c_.Run("error | summarize compare baseline=-1d", Day2());
  EXPECT_EQ(Col(sumo, "_status"), Col(shifted, "_status"));
  EXPECT_EQ(Col(explicit_range, "_status"), Col(shifted, "_status"));
  EXPECT_EQ(Col(explicit_range, "_signature_id"), Col(shifted, "_signature_id"));
  // The implicit range ends just after the last event in scope and spans the shift.
  ASSERT_FALSE(implicit.result.notices.empty());
  EXPECT_EQ(implicit.result.notices[0],
            "compare: 2019-02-05T10:19:00.001Z to 2019-02-06T10:19:00.001Z against the baseline "
            "2019-02-04T10:19:00.001Z to 2019-02-05T10:19:00.001Z");
  Error e = c_.RunError("error | summarize compare baseline_from=\"2019-02-05T00:00:00Z\"");
  EXPECT_NE(e.message().find("go together"), std::string::npos);
}

TEST_F(SummarizeModesTest, CompareDetailsTagsEventsWithRangeAndStatus) {
  auto t = c_.Run("error | summarize compare details | where _status = \"new\"", Day2());
  ASSERT_EQ(t.rows.size(), 12u);
  EXPECT_EQ(Col(t, "_range").front(), "range");
  auto base = c_.Run("error | summarize compare details | where _range = \"baseline\"", Day2());
  EXPECT_EQ(base.rows.size(), 7u);
}

TEST(CompareStatusTest, GrownShrunkAndSameNeedALargeChange) {
  CaseBuilder c;
  auto src = c.Source({"app"}, SourceType::kGeneric);
  auto add = [&](const std::string& day, const std::string& text, int n) {
    for (int k = 0; k < n; ++k) c.Add(src, day + "T10:00:00Z", text);
  };
  add("2019-02-05", "upload ok", 100);
  add("2019-02-06", "upload ok", 120);  // within chance: same
  add("2019-02-05", "thumbnail failed", 10);
  add("2019-02-06", "thumbnail failed", 40);  // grown
  add("2019-02-05", "cache miss", 60);
  add("2019-02-06", "cache miss", 10);  // shrunk
  QueryOptions o;
  o.from = *ParseIso8601("2019-02-06T00:00:00Z");
  o.to = *ParseIso8601("2019-02-07T00:00:00Z");
  auto t = c.Run("| summarize compare baseline=-1d", o);
  EXPECT_EQ(Col(t, "_signature"), (Strings{"thumbnail failed", "cache miss", "upload ok"}));
  EXPECT_EQ(Col(t, "_status"), (Strings{"grown", "shrunk", "same"}));
  EXPECT_EQ(Col(t, "_delta"), (Strings{"30", "-50", "20"}));
}

// ---- lookup from a CSV table ----------------------------------------------------------------

class LookupTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    table_ = (dir_ / "keys.csv").string();
    cairn::testing::WriteFile(table_,
                              "access_key,owner,team\r\n"
                              "AKIAAPP,photo-app,\"web, uploads\"\n"
                              "akiaops,key-rotator,ops\n"
                              "AKIAAPP,duplicate,ignored\n");
    auto src = c_.Source({"s3"}, SourceType::kGeneric);
    for (const char* r : {"key=AKIAAPP s=403", "key=AKIAOPS s=200", "key=AKIANEW s=200", "nokey s=200"}) {
      c_.Add(src, "2019-02-06T00:00:00Z", r);
    }
  }
  cairn::testing::TempDir dir_;
  std::string table_;
  CaseBuilder c_;
};

TEST_F(LookupTableTest, JoinsCaseInsensitivelyAndKeepsUnmatchedRecords) {
  auto t = c_.Run("| parse \"key=* \" as k nodrop | lookup owner, team as group from csv://" + table_ +
                  " on access_key=k");
  EXPECT_EQ(Col(t, "owner"), (Strings{"photo-app", "key-rotator", "null", "null"}));
  EXPECT_EQ(Col(t, "group"), (Strings{"web, uploads", "ops", "null", "null"}));
  // path://"..." (the spec's form), the pair written the other way round, '*', aggregates.
  auto p = c_.Run("| parse \"key=* \" as k | lookup * from path://\"" + table_ + "\" on k=access_key | count by owner");
  EXPECT_EQ(Col(p, "owner"), (Strings{"key-rotator", "photo-app", "null"}));
  EXPECT_GE(p.ColumnIndex("owner"), 0);
  auto same_name = c_.Run("| parse \"key=* \" as access_key | lookup owner from csv://" + table_ + " on access_key");
  EXPECT_EQ(Col(same_name, "owner").front(), "photo-app");
}

TEST_F(LookupTableTest, MissingFileOrColumnIsAClearError) {
  Error file = c_.RunError("| lookup owner from csv://" + (dir_ / "nope.csv").string() + " on access_key=k");
  EXPECT_EQ(file.code(), ErrorCode::kNotFound);
  EXPECT_NE(file.message().find("lookup table"), std::string::npos);
  EXPECT_NE(file.message().find("nope.csv' not found"), std::string::npos);
  ASSERT_TRUE(file.span().has_value());
  Error column = c_.RunError("| lookup owner from csv://" + table_ + " on user=k");
  EXPECT_EQ(column.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(column.message().find("has no column 'user'"), std::string::npos);
  EXPECT_NE(column.reason().find("access_key, owner, team"), std::string::npos);
  Error out = c_.RunError("| lookup ownr from csv://" + table_ + " on access_key=k");
  EXPECT_NE(out.message().find("has no column 'ownr'"), std::string::npos);
  Error source = c_.RunError("| lookup owner from s3://bucket/keys.csv on access_key=k");
  EXPECT_EQ(source.code(), ErrorCode::kParse);
}

// ---- fillmissing takeLast -----------------------------------------------------------------

TEST(FillMissingTakeLastTest, CopiesThePreviousSliceOfTheSameSeries) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  c.Add(src, "2019-02-06T00:00:10Z", "h=a v=1");
  c.Add(src, "2019-02-06T00:00:20Z", "h=b v=1");
  c.Add(src, "2019-02-06T00:00:30Z", "h=b v=1");
  c.Add(src, "2019-02-06T00:02:10Z", "h=a v=1");
  c.Add(src, "2019-02-06T00:02:10Z", "h=a v=1");
  c.Add(src, "2019-02-06T00:02:10Z", "h=a v=1");
  auto plain = c.Run("| parse \"h=* \" as h | timeslice 1m | count by _timeslice, h "
                     "| fillmissing timeslice, values all in h");
  auto last = c.Run("| parse \"h=* \" as h | timeslice 1m | count by _timeslice, h "
                    "| fillmissing timeslice, values all in h takeLast");
  EXPECT_EQ(Col(last, "_timeslice"), Col(plain, "_timeslice"));
  EXPECT_EQ(Col(last, "h"), (Strings{"a", "b", "a", "b", "a", "b"}));
  EXPECT_EQ(Col(plain, "_count"), (Strings{"1", "2", "0", "0", "3", "0"}));
  EXPECT_EQ(Col(last, "_count"), (Strings{"1", "2", "1", "2", "3", "2"}));
  // A generated row with no earlier row keeps the default.
  auto first = c.Run("| parse \"h=* \" as h | where h = \"a\" | timeslice 1m | count by _timeslice "
                     "| fillmissing timeslice takeLast");
  EXPECT_EQ(Col(first, "_count"), (Strings{"1", "1", "3"}));
}

}  // namespace
}  // namespace cairn::query
