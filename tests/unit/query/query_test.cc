#include "engine/query/query.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "engine/common/strings.h"
#include "tests/testing/testing.h"
#include "tests/unit/query/fixture.h"

namespace cairn::query {
namespace {

using testing::CaseBuilder;
using store::SourceType;

std::vector<std::string> Col(const QueryTable& t, const std::string& name) {
  std::vector<std::string> out;
  int c = t.ColumnIndex(name);
  EXPECT_GE(c, 0) << "no column " << name;
  if (c < 0) return out;
  for (const auto& row : t.rows) {
    const Value& v = row[static_cast<size_t>(c)];
    out.push_back(v.is_null() ? "null" : RenderValue(v));
  }
  return out;
}

std::vector<std::string> Rounded(const QueryTable& t, const std::string& name) {
  std::vector<std::string> out;
  int c = t.ColumnIndex(name);
  EXPECT_GE(c, 0) << "no column " << name;
  if (c < 0) return out;
  for (const auto& row : t.rows) {
    const Value& v = row[static_cast<size_t>(c)];
    if (v.is_null()) out.push_back("null");
    else out.push_back(FormatDouble(std::round(v.AsDouble() * 1e4) / 1e4, 4));
  }
  return out;
}

using Strings = std::vector<std::string>;

// Records r1-r9 of spec §2.4 / §17.
class ArticleFixture : public ::testing::Test {
 protected:
  void SetUp() override {
    apache_ = c_.Source({"Apache/Access"}, SourceType::kApacheAccess);
    apache_err_ = c_.Source({"apache/error"}, SourceType::kApacheError);
    s3_aws_ = c_.Source({"s3_aws_logs"}, SourceType::kS3Access);
    s3_ = c_.Source({"S3/Access"}, SourceType::kS3Access);
    app_ = c_.Source({"app"}, SourceType::kGeneric);
    c_.Add(apache_, "2019-02-06T00:00:38Z",
           "203.0.113.7 - - [06/Feb/2019:00:00:38 +0000] \"GET /admin HTTP/1.1\" 403 199 \"-\" \"curl/7.64\"", 403);
    c_.Add(apache_err_, "2019-02-06T00:00:39Z",
           "[Wed Feb 06 00:00:39 2019] [error] [client 203.0.113.7] File does not exist: /var/www/x");
    c_.Add(s3_aws_, "2019-02-06T00:01:20Z",
           "79a5 mybucket [06/Feb/2019:00:01:20 +0000] 192.0.2.3 - 3E57 REST.GET.OBJECT key1 \"GET /b/key1 "
           "HTTP/1.1\" 403 InvalidAccessKeyId 243 - 7 - \"-\" \"aws-cli/2.0\" -", 403, "InvalidAccessKeyId");
    c_.Add(s3_, "2019-02-06T00:01:20Z",
           "79a5 mybucket [06/Feb/2019:00:01:20 +0000] 192.0.2.4 - 3E58 REST.GET.OBJECT key2 \"GET /b/key2 "
           "HTTP/1.1\" 403 AccessDenied 243 - 5 - \"-\" \"aws-cli/2.0\" -", 403, "AccessDenied");
    c_.Add(app_, "2019-02-06T00:02:00Z", "errors: 3 retries");
    c_.Add(apache_, "2019-02-06T00:00:41Z",
           "203.0.113.7 - - [06/Feb/2019:00:00:41 +0000] \"GET /x HTTP/1.1\" 404 209 \"-\" \"curl/7.64\"", 404);
    c_.Add(apache_, "2019-02-06T00:01:15Z",
           "198.51.100.2 - - [06/Feb/2019:00:01:15 +0000] \"GET /y HTTP/1.0\" 404 209 \"-\" \"Mozilla/5.0\"", 404);
    c_.Add(s3_, "2019-02-06T00:01:50Z",
           "79a5 mybucket [06/Feb/2019:00:01:50 +0000] 192.0.2.4 - 3E59 REST.GET.OBJECT key3 \"GET /b/key3 "
           "HTTP/1.1\" 403 AccessDenied 243 - 5 - \"-\" \"aws-cli/2.0\" -", 403, "AccessDenied");
    c_.Add(s3_, "2019-02-06T00:00:10Z",
           "79a5 mybucket [06/Feb/2019:00:00:10 +0000] 192.0.2.4 - 3E60 REST.PUT.OBJECT key4 \"PUT /b/key4 "
           "HTTP/1.1\" 400 InvalidArgument 300 - 9 - \"-\" \"aws-cli/2.0\" -", 400, "InvalidArgument");    // Lookups go through the keyword index (the tests below then check it answers right).
    ASSERT_TRUE(c_.store().IndexKeywords().ok());
  }
  // Which fixture records (by key) a scope matches.
  Strings Keys(const std::string& scope) {
    auto t = c_.Run(scope + " | parse regex \"(?<k>key\\d|/admin|/x|/y|\\[error\\]|errors)\" nodrop");
    return Col(t, "k");
  }
  CaseBuilder c_;
  int64_t apache_ = 0, apache_err_ = 0, s3_aws_ = 0, s3_ = 0, app_ = 0;
};

TEST_F(ArticleFixture, ScopeMatchesWholeTermsCaseInsensitively) {
  EXPECT_EQ(Keys("error"), (Strings{"[error]"}));
  EXPECT_EQ(Keys("ERROR"), (Strings{"[error]"}));
  EXPECT_EQ(Keys("\"InvalidAccessKeyID\""), (Strings{"key1"}));
  EXPECT_EQ(Keys("_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\""), (Strings{"key1"}));
  EXPECT_EQ(Keys("_sourceCategory=S3/Access OR _sourceCategory=Apache/Access"),
            (Strings{"key4", "/admin", "/x", "/y", "key2", "key3"}));
  EXPECT_EQ(Keys("*error*"), (Strings{"[error]", "errors"}));
  EXPECT_EQ(Keys("403 NOT AccessDenied"), (Strings{"/admin", "key1"}));
  EXPECT_EQ(Keys("_sourceCategory=s3/*"), (Strings{"key4", "key2", "key3"}));
  EXPECT_EQ(Keys("_sourceCategory=\"s3/*\""), Strings{});
  EXPECT_EQ(Keys("_sourcecategory=S3"), Strings{});
  EXPECT_EQ(Keys("curl*"), (Strings{"/admin", "/x"}));
  EXPECT_EQ(Keys("*456*"), Strings{});
  EXPECT_EQ(Keys("REST.?ET.OBJECT"), (Strings{"key1", "key2", "key3"}));
  EXPECT_EQ(Keys("\"GET /b/key1\""), (Strings{"key1"}));
  EXPECT_EQ(Keys("(key1 OR key2) aws"), (Strings{"key1", "key2"}));
  EXPECT_EQ(Keys("*"), (Strings{"key4", "/admin", "[error]", "/x", "/y", "key1", "key2", "key3", "errors"}));
  EXPECT_EQ(Keys("!_sourceCategory=S3/Access 403"), (Strings{"/admin", "key1"}));
}

TEST_F(ArticleFixture, ScopeIsPushedIntoSqlite) {
  auto t = c_.Run("_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | count");
  EXPECT_TRUE(t.result.stats.used_fts);
  EXPECT_NE(t.result.stats.sql.find("e.id IN (SELECT id FROM cairn_kw(?))"), std::string::npos);
  EXPECT_NE(t.result.stats.sql.find("e.source_id IN (" + std::to_string(s3_aws_) + ")"), std::string::npos);
  EXPECT_EQ(t.result.stats.events_read, 1);
  EXPECT_EQ(Col(t, "_count"), Strings{"1"});
  // aggregates need no time order and no raw text
  auto u = c_.Run("_sourceCategory=S3/Access | count by status");
  EXPECT_FALSE(u.result.stats.ordered_by_time);
  EXPECT_EQ(u.result.stats.sql.find("cairn_raw"), std::string::npos);
  EXPECT_EQ(Col(u, "status"), (Strings{"403", "400"}));
  EXPECT_EQ(Col(u, "_count"), (Strings{"2", "1"}));
  // A typed column and the raw text: SQL reads the text from the event blocks.
  auto v = c_.Run("_sourceCategory=S3/Access | parse \"HTTP/1.1\\\" * \" as code | count by status, code");
  EXPECT_NE(v.result.stats.sql.find("cairn_raw(e.id)"), std::string::npos);
  EXPECT_EQ(Col(v, "status"), (Strings{"403", "400"}));
  EXPECT_EQ(Col(v, "code"), (Strings{"403", "400"}));
  // wildcards that FTS cannot express scan
  auto w = c_.Run("*456* | count");
  EXPECT_FALSE(w.result.stats.used_fts);
  // time range
  QueryOptions o;
  o.from = *ParseIso8601("2019-02-06T00:01:00Z");
  o.to = *ParseIso8601("2019-02-06T00:01:30Z");
  auto r = c_.Run("| count", o);
  EXPECT_EQ(Col(r, "_count"), Strings{"3"});
}

TEST_F(ArticleFixture, Q2StatusCodesPerMinuteTransposed) {
  auto t = c_.Run(
      "_sourceCategory=S3/Access OR _sourceCategory=Apache/Access | parse \"HTTP/1.1\\\" * \" as "
      "status_code | where status_code > 400 | timeslice 1m | count by status_code, _timeslice | "
      "transpose row _timeslice column status_code");
  EXPECT_EQ(t.columns, (Strings{"_timeslice", "403", "404"}));
  EXPECT_EQ(Col(t, "_timeslice"), (Strings{"2019-02-06T00:00:00Z", "2019-02-06T00:01:00Z"}));
  EXPECT_EQ(t.rows[0][0].int_value(), 1549411200000);
  EXPECT_EQ(Col(t, "403"), (Strings{"1", "2"}));
  EXPECT_EQ(Col(t, "404"), (Strings{"1", "null"}));
  EXPECT_TRUE(t.result.aggregated);
}

TEST_F(ArticleFixture, Q2AggregateStepDefaultOrder) {
  auto t = c_.Run(
      "_sourceCategory=S3/Access OR _sourceCategory=Apache/Access | parse \"HTTP/1.1\\\" * \" as "
      "status_code | where status_code > 400 | timeslice 1m | count by status_code, _timeslice");
  EXPECT_EQ(t.columns, (Strings{"status_code", "_timeslice", "_count"}));
  EXPECT_EQ(Col(t, "status_code"), (Strings{"403", "404", "403"}));
  EXPECT_EQ(Col(t, "_count"), (Strings{"1", "1", "2"}));
}

TEST_F(ArticleFixture, Q3Raw403Lines) {
  auto t = c_.Run("| parse \"HTTP/1.1\\\" * \" as status_code | where status_code = 403");
  EXPECT_FALSE(t.result.aggregated);
  EXPECT_EQ(t.columns, (Strings{"_messageTime", "status_code", "_raw"}));
  EXPECT_EQ(Col(t, "status_code"), (Strings{"403", "403", "403", "403"}));
  auto raw = Col(t, "_raw");
  ASSERT_EQ(raw.size(), 4u);
  EXPECT_NE(raw[0].find("/admin"), std::string::npos);
  EXPECT_NE(raw[1].find("InvalidAccessKeyId"), std::string::npos);
  EXPECT_NE(raw[2].find("key2"), std::string::npos);
  EXPECT_NE(raw[3].find("key3"), std::string::npos);
  EXPECT_EQ(Col(t, "_messageTime")[0], "2019-02-06T00:00:38Z");
}

TEST_F(ArticleFixture, Q4OneMinuteNoBaseline) {
  auto t = c_.Run(
      "_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | timeslice 1m | count as "
      "access_key_errors by _timeslice | outlier access_key_errors");
  EXPECT_EQ(t.columns, (Strings{"_timeslice", "access_key_errors", "access_key_errors_error",
                                "access_key_errors_std", "access_key_errors_lower",
                                "access_key_errors_upper", "access_key_errors_indicator",
                                "access_key_errors_violation"}));
  EXPECT_EQ(Col(t, "_timeslice"), Strings{"2019-02-06T00:01:00Z"});
  EXPECT_EQ(Col(t, "access_key_errors_error"), Strings{"null"});
  EXPECT_EQ(Col(t, "access_key_errors_indicator"), Strings{"0"});
  EXPECT_EQ(Col(t, "access_key_errors_violation"), Strings{"0"});
}

TEST_F(ArticleFixture, ParseNodropAndMultiField) {
  auto t = c_.Run("_sourceCategory=Apache/Access | parse \"HTTP/1.1\\\" * \" as status_code nodrop");
  EXPECT_EQ(Col(t, "status_code"), (Strings{"403", "404", "null"}));
  auto m = c_.Run("_sourceCategory=Apache/Access | parse \"\\\"* * HTTP/1.1\\\" * * \" as method, uri, status, bytes");
  EXPECT_EQ(Col(m, "method"), (Strings{"GET", "GET"}));
  EXPECT_EQ(Col(m, "uri"), (Strings{"/admin", "/x"}));
  EXPECT_EQ(Col(m, "status"), (Strings{"403", "404"}));
  EXPECT_EQ(Col(m, "bytes"), (Strings{"199", "209"}));
  auto greedy = c_.Run("/admin | parse \"HTTP/1.1\\\" * *\" as status, rest");
  EXPECT_EQ(Col(greedy, "rest"), Strings{"199 \"-\" \"curl/7.64\""});
  // user fields shadow the typed column of the same name
  auto shadow = c_.Run("/admin | parse \"HTTP/1.1\\\" *3 \" as status | fields status");
  EXPECT_EQ(Col(shadow, "status"), Strings{"40"});
  auto typed = c_.Run("/admin | fields status, source_type");
  EXPECT_EQ(Col(typed, "status"), Strings{"403"});
  EXPECT_EQ(Col(typed, "source_type"), Strings{"apache_access"});
}

TEST_F(ArticleFixture, ParseRegexNamedGroupsAndMulti) {
  auto t = c_.Run("_sourceCategory=Apache/Access | parse regex \"\\\"(?<method>[A-Z]+) (?<uri>\\S+) "
                  "HTTP/[\\d.]+\\\" (?<status>\\d{3})\"");
  EXPECT_EQ(Col(t, "uri"), (Strings{"/admin", "/x", "/y"}));
  EXPECT_EQ(Col(t, "status"), (Strings{"403", "404", "404"}));
  auto m = c_.Run("/admin | parse regex \"(?<ip>\\d+\\.\\d+\\.\\d+\\.\\d+)\" multi");
  EXPECT_EQ(Col(m, "ip"), (Strings{"203.0.113.7"}));
  auto field = c_.Run("key1 | parse regex \"(?<op>REST\\.\\S+)\" | parse regex field=op \"[A-Z]+\\.(?<verb>\\w+)\"");
  EXPECT_EQ(Col(field, "verb"), Strings{"GET"});
  auto dropped = c_.Run("| parse regex \"(?<x>no such text)\" | count");
  EXPECT_EQ(Col(dropped, "_count"), Strings{"0"});
}

TEST_F(ArticleFixture, WhereCoercionRules) {
  const char* base = "| parse \"HTTP/1.1\\\" * \" as status_code nodrop ";
  auto gt = c_.Run(std::string(base) + "| where status_code > 400 | count");
  EXPECT_EQ(Col(gt, "_count"), Strings{"5"});  // 403 x4, 404 x1 (the HTTP/1.0 404 is null)
  auto in = c_.Run(std::string(base) + "| where status_code in (\"403\", \"404\") | count");
  EXPECT_EQ(Col(in, "_count"), Strings{"5"});
  auto innum = c_.Run(std::string(base) + "| where status_code in (404) | count");
  EXPECT_EQ(Col(innum, "_count"), Strings{"1"});
  auto nulls = c_.Run(std::string(base) + "| where isNull(status_code) | count");
  EXPECT_EQ(Col(nulls, "_count"), Strings{"3"});
  auto neq = c_.Run(std::string(base) + "| where status_code != 403 | count");
  EXPECT_EQ(Col(neq, "_count"), Strings{"2"});  // null compares false
  auto notm = c_.Run(std::string(base) + "| where !(status_code matches \"4*\") | count");
  EXPECT_EQ(Col(notm, "_count"), Strings{"3"});  // the nulls pass
  auto re = c_.Run(std::string(base) + "| where status_code matches /^40[34]$/ | count");
  EXPECT_EQ(Col(re, "_count"), Strings{"5"});
}

TEST(WhereTest, ComparisonTable) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  for (const char* v : {"403", "404", "400", "200", "-", "0403", "IAMUser"}) {
    c.Add(src, "2019-02-06T00:00:00Z", std::string("v=") + v + ";");
  }
  auto q = [&](const std::string& cond) {
    return Col(c.Run("| parse \"v=*;\" as v | where " + cond), "v");
  };
  EXPECT_EQ(q("v > 400"), (Strings{"403", "404", "0403"}));
  EXPECT_EQ(q("v = 403"), (Strings{"403", "0403"}));
  EXPECT_EQ(q("v = \"403\""), (Strings{"403"}));
  EXPECT_EQ(q("v = \"iamuser\""), Strings{});
  // a number never compares with a non-numeric string; two strings compare as text
  EXPECT_EQ(q("v < 300"), (Strings{"200"}));
  EXPECT_EQ(q("v < \"A\""), (Strings{"403", "404", "400", "200", "-", "0403"}));
  EXPECT_EQ(q("v contains \"AM\""), (Strings{"IAMUser"}));
  EXPECT_EQ(q("num(v) + 1 = 201"), (Strings{"200"}));
  EXPECT_EQ(q("isBlank(\"  \") and v = 200"), (Strings{"200"}));
  EXPECT_EQ(q("isEmpty(\"\") and length(v) = 7"), (Strings{"IAMUser"}));
  auto assigned = c.Run("| parse \"v=*;\" as v | if(v matches \"4*\", \"client\", \"other\") as cls | "
                        "v > 400 ? \"big\" : \"small\" as size | count by cls, size");
  // "0403" does not match the glob "4*" but is numerically > 400
  EXPECT_EQ(Col(assigned, "cls"), (Strings{"other", "client", "client", "other"}));
  EXPECT_EQ(Col(assigned, "size"), (Strings{"small", "big", "small", "big"}));
  EXPECT_EQ(Col(assigned, "_count"), (Strings{"3", "2", "1", "1"}));
  auto arith = c.Run("| 3 + 2 * 4 as a | 7 / 2 as b | 8 / 2 as d | 7 % 3 as e | \"x\" + 1 as f | limit 1 "
                     "| fields a, b, d, e, f");
  EXPECT_EQ(Col(arith, "a"), Strings{"11"});
  EXPECT_EQ(Col(arith, "b"), Strings{"3.5"});
  EXPECT_EQ(Col(arith, "d"), Strings{"4"});
  EXPECT_EQ(Col(arith, "e"), Strings{"1"});
  EXPECT_EQ(Col(arith, "f"), Strings{"null"});
}

TEST(TimesliceTest, WorkedExample) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  for (const char* t : {"2019-02-06T00:00:05Z", "2019-02-06T00:00:59.999Z", "2019-02-06T00:01:00Z",
                        "2019-02-06T00:02:30Z"}) {
    c.Add(src, t, "x");
  }
  auto t = c.Run("| timeslice 1m");
  EXPECT_EQ(Col(t, "_timeslice"), (Strings{"2019-02-06T00:00:00Z", "2019-02-06T00:00:00Z",
                                          "2019-02-06T00:01:00Z", "2019-02-06T00:02:00Z"}));
  EXPECT_EQ(t.rows[3][static_cast<size_t>(t.ColumnIndex("_timeslice"))].int_value(), 1549411320000);
  auto alias = c.Run("| timeslice 2h as hrs | count by hrs");
  EXPECT_EQ(Col(alias, "hrs"), Strings{"2019-02-06T00:00:00Z"});
  auto end = c.Run("| timeslice 1m | fields __timeslice_end | limit 1");
  EXPECT_EQ(end.rows.size(), 1u);
  auto week = c.Run("| timeslice 1w | count by _timeslice");
  EXPECT_EQ(Col(week, "_timeslice"), Strings{"2019-02-04T00:00:00Z"});  // Monday
  QueryOptions tz;
  tz.tz_offset_minutes = 120;
  auto day = c.Run("| timeslice 1d | count by _timeslice", tz);
  EXPECT_EQ(Col(day, "_timeslice"), Strings{"2019-02-05T22:00:00Z"});
  auto buckets = c.Run("| timeslice 3 buckets | count by _timeslice");
  EXPECT_EQ(Col(buckets, "_timeslice"), (Strings{"2019-02-06T00:00:00Z", "2019-02-06T00:01:00Z", "2019-02-06T00:02:00Z"}));
}

TEST(AggregateTest, FunctionsAndNames) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  const char* rows[] = {"u=a s=10", "u=a s=20", "u=b s=5", "u=b s=-", "u=c s=1.5", "u=a s=30"};
  for (const char* r : rows) c.Add(src, "2019-02-06T00:00:00Z", r);
  auto t = c.Run("| parse \"u=* s=*\" as u, s | count, count(s) as with_s, count_distinct(s), sum(s), avg(s), "
                 "min(s), max(s), stddev(s), pct(s, 50, 95) by u");
  EXPECT_EQ(t.columns, (Strings{"u", "_count", "with_s", "_count_distinct", "_sum", "_avg", "_min", "_max",
                                "_stddev", "_s_pct_50", "_s_pct_95"}));
  EXPECT_EQ(Col(t, "with_s"), (Strings{"3", "2", "1"}));
  EXPECT_EQ(Col(t, "u"), (Strings{"a", "b", "c"}));  // first aggregate (count) desc, then key
  EXPECT_EQ(Col(t, "_count_distinct"), (Strings{"3", "2", "1"}));
  EXPECT_EQ(Col(t, "_sum"), (Strings{"60", "5", "1.5"}));
  EXPECT_EQ(Col(t, "_avg"), (Strings{"20", "5", "1.5"}));
  EXPECT_EQ(Col(t, "_min"), (Strings{"10", "5", "1.5"}));
  EXPECT_EQ(Col(t, "_max"), (Strings{"30", "5", "1.5"}));
  EXPECT_EQ(Col(t, "_stddev"), (Strings{"10", "0", "0"}));
  EXPECT_EQ(Col(t, "_s_pct_50"), (Strings{"20", "5", "1.5"}));
  EXPECT_EQ(Col(t, "_s_pct_95"), (Strings{"30", "5", "1.5"}));
  auto empty = c.Run("nothing_matches_this | count");
  EXPECT_EQ(Col(empty, "_count"), Strings{"0"});
  auto empty_grouped = c.Run("nothing_matches_this | count by x");
  EXPECT_TRUE(empty_grouped.rows.empty());
  auto alias = c.Run("| parse \"u=* s=*\" as u, s | count as n, sum(s) as total group by u | sort by n asc, u");
  EXPECT_EQ(Col(alias, "u"), (Strings{"c", "b", "a"}));
  EXPECT_EQ(Col(alias, "total"), (Strings{"1.5", "5", "60"}));
  auto form = c.Run("| parse \"u=* s=*\" as u, s | count u");
  EXPECT_EQ(Col(form, "_count"), (Strings{"3", "2", "1"}));
}

TEST(AggregateTest, CountFrequentTopTotalFieldsSortLimit) {
  CaseBuilder c;
  auto s3 = c.Source({"S3/Access"}, SourceType::kS3Access);
  auto ap = c.Source({"Apache/Access"}, SourceType::kApacheAccess);
  auto app = c.Source({"app"}, SourceType::kGeneric);
  for (int k = 0; k < 3; ++k) c.Add(s3, "2019-02-06T00:00:00Z", "a");
  for (int k = 0; k < 2; ++k) c.Add(ap, "2019-02-06T00:00:00Z", "b");
  c.Add(app, "2019-02-06T00:00:00Z", "c");
  auto top = c.Run("| top 2 _sourceCategory");
  EXPECT_EQ(Col(top, "_sourceCategory"), (Strings{"S3/Access", "Apache/Access"}));
  EXPECT_EQ(Col(top, "_count"), (Strings{"3", "2"}));
  auto cf = c.Run("| count_frequent _sourceCategory");
  EXPECT_EQ(Col(cf, "_approxcount"), (Strings{"3", "2", "1"}));
  auto total = c.Run("| count by _sourceCategory | total _count");
  EXPECT_EQ(Col(total, "_total"), (Strings{"6", "6", "6"}));
  auto fields = c.Run("| count by _sourceCategory | fields - _count");
  EXPECT_EQ(fields.columns, Strings{"_sourceCategory"});
  auto asc = c.Run("| count by _sourceCategory | sort by _count asc | limit 1");
  EXPECT_EQ(Col(asc, "_sourceCategory"), Strings{"app"});
  auto desc = c.Run("| count by _sourceCategory | sort _count");
  EXPECT_EQ(Col(desc, "_count"), (Strings{"3", "2", "1"}));
  auto plus = c.Run("| count by _sourceCategory | sort by +_count | limit 1");
  EXPECT_EQ(Col(plus, "_count"), Strings{"1"});
  auto limited = c.Run("| limit 2");
  EXPECT_EQ(limited.rows.size(), 2u);
}

TEST(SortTest, TextVersusNumbersAndNullsLast) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  for (const char* v : {"x=9;", "x=10;", "y"}) c.Add(src, "2019-02-06T00:00:00Z", v);
  auto text = c.Run("| parse \"x=*;\" as x nodrop | sort by x");
  EXPECT_EQ(Col(text, "x"), (Strings{"9", "10", "null"}));
  auto num = c.Run("| parse \"x=*;\" as x nodrop | num(x) | sort by x");
  EXPECT_EQ(Col(num, "x"), (Strings{"10", "9", "null"}));
  auto asc = c.Run("| parse \"x=*;\" as x nodrop | num(x) | sort by x asc");
  EXPECT_EQ(Col(asc, "x"), (Strings{"9", "10", "null"}));
}

void AddSeries(CaseBuilder& c, int64_t src, const std::vector<int>& per_minute) {
  for (size_t m = 0; m < per_minute.size(); ++m) {
    for (int k = 0; k < per_minute[m]; ++k) {
      char t[64];
      std::snprintf(t, sizeof t, "2019-02-06T00:%02zu:%02dZ", m, k % 60);
      c.Add(src, t, "403 InvalidAccessKeyId");
    }
  }
}

TEST(OutlierTest, WorkedExampleA) {
  CaseBuilder c;
  auto src = c.Source({"s3_aws_logs"}, SourceType::kS3Access);
  AddSeries(c, src, {4, 6, 5, 5, 6, 31, 5, 4});
  auto t = c.Run("_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | timeslice 1m | count as "
                 "access_key_errors by _timeslice | outlier access_key_errors");
  EXPECT_EQ(Col(t, "access_key_errors"), (Strings{"4", "6", "5", "5", "6", "31", "5", "4"}));
  EXPECT_EQ(Rounded(t, "access_key_errors_error"), (Strings{"null", "null", "0", "0", "1", "25.8", "-4.5", "-4.8571"}));
  EXPECT_EQ(Rounded(t, "access_key_errors_std"),
            (Strings{"null", "null", "1.4142", "1", "0.8165", "0.8367", "10.5594", "9.7882"}));
  EXPECT_EQ(Rounded(t, "access_key_errors_lower"),
            (Strings{"null", "null", "0.7574", "2", "2.5505", "2.69", "-22.1781", "-20.5076"}));
  EXPECT_EQ(Rounded(t, "access_key_errors_upper"),
            (Strings{"null", "null", "9.2426", "8", "7.4495", "7.71", "41.1781", "38.2218"}));
  EXPECT_EQ(Col(t, "access_key_errors_indicator"), (Strings{"0", "0", "0", "0", "0", "1", "0", "0"}));
  EXPECT_EQ(Col(t, "access_key_errors_violation"), (Strings{"0", "0", "0", "0", "0", "1", "0", "0"}));
  QueryOptions skip;
  skip.outlier_skip_last = true;
  auto s = c.Run("| timeslice 1m | count by _timeslice | outlier _count", skip);
  EXPECT_EQ(Rounded(s, "_count_error").back(), "null");
}

TEST(OutlierTest, WorkedExampleBConsecutive) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  AddSeries(c, src, {10, 11, 10, 11, 10, 30, 35, 10});
  auto t = c.Run("| timeslice 1m | count by _timeslice | outlier _count window=5, threshold=2, consecutive=2");
  EXPECT_EQ(Rounded(t, "_count_std"), (Strings{"null", "null", "0.7071", "0.5774", "0.5774", "0.5477", "8.735", "12.276"}));
  EXPECT_EQ(Rounded(t, "_count_lower"), (Strings{"null", "null", "9.0858", "9.1786", "9.3453", "9.3046", "-3.07", "-5.352"}));
  EXPECT_EQ(Rounded(t, "_count_upper"), (Strings{"null", "null", "11.9142", "11.488", "11.6547", "11.4954", "31.87", "43.752"}));
  EXPECT_EQ(Col(t, "_count_indicator"), (Strings{"0", "0", "0", "0", "0", "1", "1", "0"}));
  EXPECT_EQ(Col(t, "_count_violation"), (Strings{"0", "0", "0", "0", "0", "0", "1", "0"}));
  auto plus = c.Run("| timeslice 1m | count by _timeslice | outlier _count window=5 threshold=2 direction=-");
  EXPECT_EQ(Col(plus, "_count_indicator"), (Strings{"0", "0", "0", "0", "0", "0", "0", "0"}));
}

TEST(OutlierTest, ReferenceScriptSecondSeries) {
  // outlier_calc.py: [10,12,11,40,45,12,11], window=3, threshold=2, consecutive=2
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  AddSeries(c, src, {10, 12, 11, 40, 45, 12, 11});
  auto t = c.Run("| timeslice 1m | count by _timeslice | outlier _count window=3,threshold=2,consecutive=2");
  EXPECT_EQ(Rounded(t, "_count_error"), (Strings{"null", "null", "0", "29", "24", "-20", "-21.3333"}));
  EXPECT_EQ(Rounded(t, "_count_upper"), (Strings{"null", "null", "13.8284", "13", "53.9242", "68.7151", "67.9049"}));
  EXPECT_EQ(Col(t, "_count_indicator"), (Strings{"0", "0", "0", "1", "0", "0", "0"}));
  EXPECT_EQ(Col(t, "_count_violation"), (Strings{"0", "0", "0", "0", "0", "0", "0"}));
}

TEST(OutlierTest, NeedsTimeseries) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  c.Add(src, "2019-02-06T00:00:00Z", "x");
  Error e = c.RunError("| outlier x");
  EXPECT_NE(e.message().find("outlier needs a time series"), std::string::npos);
  ASSERT_TRUE(e.span().has_value());
  EXPECT_EQ(e.span()->column, 3);
  Error f = c.RunError("| count by x | outlier _count");
  EXPECT_NE(f.message().find("_timeslice"), std::string::npos);
  Error g = c.RunError("| transpose row a column b");
  EXPECT_NE(g.message().find("transpose needs an aggregate"), std::string::npos);
  Error h = c.RunError("| fillmissing timeslice");
  EXPECT_NE(h.message().find("fillmissing needs an aggregate"), std::string::npos);
  Error i = c.RunError("| count by x | fillmissing timeslice");
  EXPECT_NE(i.message().find("needs a timeslice"), std::string::npos);
  Error geo = c.RunError("| geoip source_ip");
  EXPECT_EQ(geo.code(), ErrorCode::kNotFound);
  Error parse = c.RunError("| cuont");
  EXPECT_EQ(parse.code(), ErrorCode::kParse);
}

TEST(FillMissingTest, FillsTimeslicesAndValues) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  AddSeries(c, src, {4, 0, 5});
  auto t = c.Run("| timeslice 1m | count by _timeslice | fillmissing timeslice");
  EXPECT_EQ(Col(t, "_timeslice"), (Strings{"2019-02-06T00:00:00Z", "2019-02-06T00:01:00Z", "2019-02-06T00:02:00Z"}));
  EXPECT_EQ(Col(t, "_count"), (Strings{"4", "0", "5"}));
  auto v = c.Run("| parse \"* *\" as status, err | count by status | fillmissing values(\"403\", \"500\") in status "
                 "with -1 for _count");
  EXPECT_EQ(Col(v, "status"), (Strings{"403", "500"}));
  EXPECT_EQ(Col(v, "_count"), (Strings{"9", "-1"}));
}

TEST(TransposeTest, SeveralValueFieldsAndAsList) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  for (const char* r : {"u=a s=403", "u=a s=404", "u=b s=403", "u=b s=403"}) c.Add(src, "2019-02-06T00:00:00Z", r);
  auto t = c.Run("| parse \"u=* s=*\" as u, s | count by u, s | transpose row u column s");
  EXPECT_EQ(t.columns, (Strings{"u", "403", "404"}));
  EXPECT_EQ(Col(t, "403"), (Strings{"1", "2"}));
  EXPECT_EQ(Col(t, "404"), (Strings{"1", "null"}));
  auto as = c.Run("| parse \"u=* s=*\" as u, s | count by u, s | transpose row u column s as %\"404\"");
  EXPECT_EQ(as.columns, (Strings{"u", "404"}));
  auto two = c.Run("| parse \"u=* s=*\" as u, s | count, count_distinct(u) by u, s | transpose row u column s");
  EXPECT_EQ(two.columns, (Strings{"u", "403__count", "403__count_distinct", "404__count", "404__count_distinct"}));
  auto where = c.Run("| parse \"u=* s=*\" as u, s | count by u, s | transpose row u column s | where %\"403\" > 1");
  EXPECT_EQ(Col(where, "u"), Strings{"b"});
}

TEST(JsonTest, AutoKeysCaseInsensitiveAndHint) {
  CaseBuilder c;
  auto src = c.Source({"cloudtrail"}, SourceType::kCloudTrail);
  c.Add(src, "2019-02-06T00:00:05Z",
        R"({"eventTime":"2019-02-06T00:00:05Z","userIdentity":{"type":"suspicious-user","userName":"mallory"},"eventName":"GetObject","sourceIPAddress":"81.2.69.142"})");
  c.Add(src, "2019-02-06T00:00:06Z",
        R"({"eventTime":"2019-02-06T00:00:06Z","userIdentity":{"type":"IAMUser","userName":"alice"},"eventName":"ListBuckets","sourceIPAddress":"81.2.69.160"})");
  c.Add(src, "2019-02-06T00:00:07Z",
        R"({"eventTime":"2019-02-06T00:00:07Z","userIdentity":{"type":"suspicious-user"},"eventName":"GetObject","sourceIPAddress":"175.16.199.0"})");
  c.Add(src, "2019-02-06T00:00:08Z",
        R"({"eventTime":"2019-02-06T00:00:08Z","userIdentity":{"type":"suspicious-user"},"eventName":"PutObject","sourceIPAddress":"81.2.69.142"})");
  c.Add(src, "2019-02-06T00:00:09Z",
        R"({"eventTime":"2019-02-06T00:00:09Z","userIdentity":{"type":"suspicious-user"},"eventName":"GetObject","sourceIPAddress":"s3.amazonaws.com"})");
  c.Add(src, "2019-02-06T00:00:10Z", "plain text, no json");
  auto all = c.Run("| json auto keys \"useridentity.type\" | fields useridentity.type, %\"userIdentity.userName\", eventName");
  EXPECT_EQ(Col(all, "useridentity.type"),
            (Strings{"suspicious-user", "IAMUser", "suspicious-user", "suspicious-user", "suspicious-user", "null"}));
  EXPECT_EQ(Col(all, "userIdentity.userName"), (Strings{"mallory", "alice", "null", "null", "null", "null"}));
  EXPECT_EQ(Col(all, "eventName"), (Strings{"GetObject", "ListBuckets", "GetObject", "PutObject", "GetObject", "null"}));
  auto q5 = c.Run("| json auto keys \"useridentity.type\" | where %\"useridentity.type\" = \"suspicious-user\"");
  EXPECT_EQ(q5.rows.size(), 4u);
  EXPECT_EQ(q5.columns, (Strings{"_messageTime", "useridentity.type", "_raw"}));
  // plain json keys are case-sensitive: the record is dropped
  auto plain = c.Run("| json \"useridentity.type\" | count");
  EXPECT_EQ(Col(plain, "_count"), Strings{"0"});
  auto exact = c.Run("| json \"userIdentity.type\", \"userIdentity.userName\" as t, n nodrop | count by t, n");
  EXPECT_EQ(Col(exact, "t"), (Strings{"suspicious-user", "IAMUser", "suspicious-user", "null"}));
  auto hint = c.Run("| json auto keys \"useridentity.type\" | where %\"useridentity.type\" = \"mallory\"");
  EXPECT_TRUE(hint.rows.empty());
  ASSERT_EQ(hint.result.notices.size(), 1u);
  EXPECT_EQ(hint.result.notices[0], "useridentity.type has 2 values in scope: suspicious-user (4), IAMUser (1)");
  auto user = c.Run("| json auto | where %\"userIdentity.userName\" = \"mallory\" | count");
  EXPECT_EQ(Col(user, "_count"), Strings{"1"});
  auto depth = c.Run("| json auto maxdepth 1 | count by userIdentity");
  EXPECT_EQ(depth.rows.size(), 4u);
  auto refonly = c.Run("| json auto keys \"eventname\" refonly | count by %\"userIdentity.type\"");
  EXPECT_EQ(Col(refonly, "_count"), Strings{"6"});
}

TEST(JsonTest, BlobLocatorArraysAndPaths) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  c.Add(src, "2019-02-06T00:00:00Z",
        R"(2019-02-06 INFO payload {"a":{"b":[1,2]},"c":[{"d":"x"},{"d":"y"}],"n":1.50,"t":true,"z":null})");
  auto t = c.Run("| json auto | fields %\"a.b\", %\"c[1].d\", n, t, z");
  EXPECT_EQ(Col(t, "a.b"), Strings{"[1,2]"});
  EXPECT_EQ(Col(t, "c[1].d"), Strings{"y"});
  EXPECT_EQ(Col(t, "n"), Strings{"1.50"});
  EXPECT_EQ(Col(t, "t"), Strings{"true"});
  EXPECT_EQ(Col(t, "z"), Strings{"null"});
  auto arr = c.Run("| json auto extractarrays | fields %\"a.b[1]\"");
  EXPECT_EQ(Col(arr, "a.b[1]"), Strings{"2"});
  auto path = c.Run("| json \"c[*].d\", \"a.b[0]\", \"['n']\" as ds, first, n");
  EXPECT_EQ(Col(path, "ds"), Strings{"[\"x\",\"y\"]"});
  EXPECT_EQ(Col(path, "first"), Strings{"1"});
  EXPECT_EQ(Col(path, "n"), Strings{"1.50"});
}

TEST(GeoTest, ShorthandLookupResolvesTheIpField) {
  auto db = cairn::testing::SharedData() / "geoip" / "GeoIP2-City-Test.mmdb";
  if (!std::filesystem::exists(db)) GTEST_SKIP() << "no test GeoIP database at " << db;
  CaseBuilder c;
  auto src = c.Source({"cloudtrail"}, SourceType::kCloudTrail);
  const char* ips[] = {"81.2.69.142", "81.2.69.160", "175.16.199.0", "81.2.69.142", "s3.amazonaws.com"};
  const char* types[] = {"suspicious-user", "IAMUser", "suspicious-user", "suspicious-user", "suspicious-user"};
  for (int k = 0; k < 5; ++k) {
    c.Add(src, "2019-02-06T00:00:0" + std::to_string(k) + "Z",
          std::string(R"({"userIdentity":{"type":")") + types[k] + R"("},"sourceIPAddress":")" + ips[k] + "\"}");
  }
  QueryOptions o;
  o.geo_db_path = db.string();
  auto t = c.Run("| json auto keys \"useridentity.type\", \"sourceIPAddress\" | where %\"useridentity.type\" = "
                 "\"suspicious-user\" | lookup latitude, longitude | count by latitude, longitude | sort _count", o);
  EXPECT_EQ(t.columns, (Strings{"latitude", "longitude", "_count"}));
  EXPECT_EQ(Col(t, "latitude"), (Strings{"51.5142", "43.88", "null"}));
  EXPECT_EQ(Col(t, "longitude"), (Strings{"-0.0931", "125.3228", "null"}));
  EXPECT_EQ(Col(t, "_count"), (Strings{"2", "1", "1"}));
  ASSERT_FALSE(t.result.notices.empty());
  EXPECT_EQ(t.result.notices[0], "resolved to: lookup latitude, longitude from geo://location on ip = sourceIPAddress");
  EXPECT_FALSE(t.result.geo_db.empty());
  auto g = c.Run("| json auto | geoip sourceIPAddress | count by country_code", o);
  EXPECT_EQ(Col(g, "country_code"), (Strings{"GB", "CN", "null"}));
  auto full = c.Run("| json auto | lookup country_name as country from geo://location on ip=sourceIPAddress "
                    "| count by country", o);
  EXPECT_EQ(Col(full, "country"), (Strings{"United Kingdom", "China", "null"}));
}

TEST(SummarizeTest, GroupsErrorMessages) {
  CaseBuilder c;
  auto src = c.Source({"app"}, SourceType::kGeneric);
  const char* msgs[] = {"error: connection to 10.0.0.5 timed out after 30s",
                        "[error] File does not exist: /var/www/favicon.ico",
                        "error: connection to 10.0.0.9 timed out after 45s",
                        "[error] File does not exist: /var/www/robots.txt",
                        "error: connection to 10.0.0.7 timed out after 30s",
                        "ERROR AccessDenied for user bob",
                        "INFO request ok",
                        "errors: 3 retries"};
  for (const char* m : msgs) c.Add(src, "2019-02-06T00:00:00Z", m);
  auto t = c.Run("error | summarize");
  EXPECT_EQ(t.result.stats.events_matched, 6);
  EXPECT_EQ(Col(t, "_count"), (Strings{"3", "2", "1"}));
  EXPECT_NE(Col(t, "_signature")[0].find("connection to"), std::string::npos);
  EXPECT_EQ(Col(t, "_signature_id")[0].size(), 16u);
  EXPECT_EQ(Col(t, "_relevance"), (Strings{"5", "5", "5"}));
  auto lr = c.Run("error | logreduce limit=1");
  EXPECT_EQ(lr.rows.size(), 1u);
  auto least = c.Run("error | logreduce criteria=leastcommon");
  EXPECT_EQ(Col(least, "_count"), (Strings{"1", "2", "3"}));
  auto alias = c.Run("error | summarize | where signature matches \"*File*\"");
  EXPECT_EQ(Col(alias, "_count"), Strings{"2"});
}

TEST(RenderTest, TimesAndNumbers) {
  EXPECT_EQ(RenderValue(Value::Time(1549411260000)), "2019-02-06T00:01:00Z");
  EXPECT_EQ(RenderValue(Value::Time(1549411260000), 60), "2019-02-06T01:01:00+01:00");
  EXPECT_EQ(RenderValue(Value::Time(1549411260000), 0, true), "1549411260000");
  EXPECT_EQ(RenderValue(Value::Double(2.5)), "2.5");
  EXPECT_EQ(RenderValue(Value::Null()), "");
  auto n = ParseNumber(" 0403 ");
  ASSERT_TRUE(n.has_value());
  EXPECT_EQ(n->int_value(), 403);
  EXPECT_FALSE(ParseNumber("-").has_value());
  EXPECT_FALSE(ParseNumber("1e").has_value());
  EXPECT_TRUE(ParseNumber(".5")->is_double());
}

}  // namespace
}  // namespace cairn::query
