#include "engine/query/parser.h"

#include <gtest/gtest.h>

namespace cairn::query {
namespace {

struct ErrorCase {
  const char* query;
  const char* message;  // substring of the message
  int column;           // 1-based column of the caret
  const char* help;     // substring of the help line ("" = none expected)
};

class PipelineParserErrorTest : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(PipelineParserErrorTest, PointsAtTheOffendingToken) {
  const ErrorCase& c = GetParam();
  auto r = ParseQuery(c.query);
  ASSERT_FALSE(r.ok()) << c.query;
  const Error& e = r.error();
  EXPECT_EQ(e.code(), ErrorCode::kParse) << c.query;
  EXPECT_NE(e.message().find(c.message), std::string::npos) << c.query << " -> " << e.message();
  ASSERT_TRUE(e.span().has_value()) << c.query;
  EXPECT_EQ(e.span()->source, "query");
  EXPECT_EQ(e.span()->column, c.column) << c.query << " -> " << e.message();
  EXPECT_EQ(e.span()->snippet, std::string(c.query).substr(0, std::string(c.query).find('\n')));
  if (*c.help) {
    EXPECT_NE(e.help().find(c.help), std::string::npos) << c.query << " -> " << e.help();
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, PipelineParserErrorTest,
    ::testing::Values(
        ErrorCase{"error | cuont by x", "unknown operator 'cuont'", 9, "did you mean 'count'?"},
        ErrorCase{"| wehre x = 1", "unknown operator 'wehre'", 3, "did you mean 'where'?"},
        ErrorCase{"| frobnicate", "unknown operator 'frobnicate'", 3, "docs/query-language.md"},
        ErrorCase{"error |", "missing operator after '|'", 7, ""},
        ErrorCase{"(error", "missing ')'", 1, ""},
        ErrorCase{"error)", "unbalanced ')'", 6, ""},
        ErrorCase{"error OR", "'OR' needs a term", 7, ""},
        ErrorCase{"error AND", "'AND' needs a term", 7, ""},
        ErrorCase{"NOT", "'NOT' needs a term", 1, ""},
        ErrorCase{"\"abc", "unterminated string", 1, ""},
        ErrorCase{"_sourceCategroy=S3/Access", "unknown metadata field '_sourceCategroy'", 1,
                  "did you mean '_sourcecategory'?"},
        ErrorCase{"_sourceCategory=", "missing value", 1, ""},
        ErrorCase{"| parse \"a=* b=*\" as x", "2 capture(s) but 1 field name(s)", 9, ""},
        ErrorCase{"| parse \"a=**\" as x, y", "'**'", 12, "literal text"},
        ErrorCase{"| parse \"abc\" as x", "no '*' capture", 9, ""},
        ErrorCase{"| parse \"a=*\" x", "expected 'as'", 15, ""},
        ErrorCase{"| parse as x", "expected a quoted pattern", 9, ""},
        ErrorCase{"| parse \"a=*\" as x nodrop field=y", "'field=' must come right after 'parse'", 27, ""},
        ErrorCase{"| parse regex \"(\\d+)\"", "unnamed capturing group", 15, "(?:...)"},
        ErrorCase{"| parse regex \"abc\"", "at least one named group", 15, ""},
        ErrorCase{"| parse regex \"(?<a>[a-\"", "invalid regular expression", 24, ""},
        ErrorCase{"| parse regex \"(?<a>x)\" as y", "named groups", 25, ""},
        ErrorCase{"| json", "expected a quoted key", 7, ""},
        ErrorCase{"| json \"a\", \"b\" as x", "2 key(s) but 1 name(s)", 3, ""},
        ErrorCase{"| json auto maxdepth 0", "maxdepth must be at least 1", 13, ""},
        ErrorCase{"| json auto refonly", "'refonly' needs 'keys'", 20, ""},
        ErrorCase{"| where", "'where' needs a condition", 3, ""},
        ErrorCase{"| where 42", "not a value", 9, ""},
        ErrorCase{"| where x = = 1", "unexpected '='", 13, ""},
        ErrorCase{"| where x matches", "expected a \"glob\"", 18, ""},
        ErrorCase{"| where x matches /ab", "unterminated regular expression", 19, ""},
        ErrorCase{"| where x in 1", "expected '(' after 'in'", 14, ""},
        ErrorCase{"| where x in (1, 2", "expected ')'", 19, ""},
        ErrorCase{"| where lenght(x) > 1", "unknown function 'lenght'", 9, "did you mean 'length'?"},
        ErrorCase{"| where isNull(x, y)", "takes 1 argument(s), got 2", 9, ""},
        ErrorCase{"| if(x = 1, \"a\", 2) as y", "branches differ in type", 3, ""},
        ErrorCase{"| where x > 10q", "unknown suffix 'q'", 13, "size suffixes"},
        ErrorCase{"| x + 1", "unknown operator 'x'", 3, ""},
        ErrorCase{"| num(x) + 1", "expected 'as NAME'", 13, ""},
        ErrorCase{"| timeslice 1x", "expected a time span", 13, ""},
        ErrorCase{"| timeslice 2M", "does not support months", 13, "1d, 1w"},
        ErrorCase{"| timeslice 0 buckets", "must be positive", 13, ""},
        ErrorCase{"| timeslice foo", "expected a time span", 13, ""},
        ErrorCase{"| count by", "expected a field name after 'by'", 11, ""},
        ErrorCase{"| sum by x", "'sum' needs a field", 7, ""},
        ErrorCase{"| sum(x * 2)", "arithmetic is not allowed", 9, "compute it first"},
        ErrorCase{"| pct(x, 150)", "between 0 and 100", 10, ""},
        ErrorCase{"| count, cuont", "unknown aggregate function 'cuont'", 10, "did you mean 'count'?"},
        ErrorCase{"| count group x", "expected 'by' after 'group'", 15, ""},
        ErrorCase{"| top x", "expected a number after 'top'", 7, ""},
        ErrorCase{"| transpose column x", "expected 'row'", 13, ""},
        ErrorCase{"| transpose row a", "expected 'column'", 18, ""},
        ErrorCase{"| outlier x windw=5", "unknown outlier option 'windw'", 13, "did you mean 'window'?"},
        ErrorCase{"| outlier x window=1", "window must be at least 2", 3, ""},
        ErrorCase{"| outlier x threshold=-1", "expected a number", 23, ""},
        ErrorCase{"| outlier x direction=up", "direction must be", 23, ""},
        ErrorCase{"| outlier x consecutive=0", "must be a positive integer", 25, ""},
        ErrorCase{"| summarize criteria=sometimes", "criteria must be", 22, ""},
        ErrorCase{"| lookup latitude, altitude", "'altitude' is not a geo field", 3, "did you mean 'latitude'?"},
        ErrorCase{"| lookup x from s3://t.csv on a=b", "not supported", 17, "csv://FILE.csv"},
        ErrorCase{"| lookup x from csv:// on a=b", "missing the table path", 17, "csv://"},
        ErrorCase{"| lookup x from csv://t.csv", "'on COLUMN=FIELD'", 28, ""},
        ErrorCase{"| summarize detials", "unknown option of 'summarize'", 13, "did you mean 'details'?"},
        ErrorCase{"| summarize signature=\"zz\"", "is not a signature id", 23, "16 hex digits"},
        ErrorCase{"| summarize compare baseline=yesterday", "a time shift such as -1d", 30, ""},
        ErrorCase{"| summarize baseline_from=\"2019-02-05T00:00:00Z\"", "go together", 3, ""},
        ErrorCase{"| summarize baseline_from=2019 baseline_to=2020", "expected a time", 27, "in quotes"},
        ErrorCase{"| lookup latitude from geo://location on host=x", "joins on 'ip'", 42, ""},
        ErrorCase{"| geoip ip cty", "'cty' is not a geo field", 12, "did you mean 'city'?"},
        ErrorCase{"| sort", "expected a sort key", 7, ""},
        ErrorCase{"| limit 0", "limit must be positive", 9, ""},
        ErrorCase{"| limit x", "expected a number after 'limit'", 9, ""},
        ErrorCase{"| fields a, A", "named twice", 3, ""},
        ErrorCase{"| fillmissing foo", "expected 'timeslice' or 'values'", 15, ""},
        ErrorCase{"| fillmissing values (\"a\")", "expected 'in FIELD'", 27, ""},
        ErrorCase{"| fillmissing timeslice with x for y", "expected a constant", 30, ""},
        ErrorCase{"| total", "expected a field name after 'total'", 8, ""},
        ErrorCase{"| count by x y", "unexpected 'y' at the end of 'count'", 14, "separated by '|'"},
        ErrorCase{"| where x = 1 $", "unexpected character '$'", 15, ""},
        ErrorCase{"| where %\"\" = 1", "empty field name", 9, ""}));

TEST(PipelineParserTest, ParsesTheArticleQueriesVerbatim) {
  const char* queries[] = {
      "error | summarize",
      "_sourceCategory=S3/Access OR _sourceCategory=Apache/Access | parse \"HTTP/1.1\\\" * \" as "
      "status_code | where status_code > 400 | timeslice 1m | count by status_code, _timeslice | "
      "transpose row _timeslice column status_code",
      "| parse \"HTTP/1.1\\\" * \" as status_code | where status_code = 403",
      "_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | timeslice 1m | count as "
      "access_key_errors by _timeslice | outlier access_key_errors",
      "| json auto keys \"useridentity.type\" | where %\"useridentity.type\" = \"suspicious-user\"",
      "| json auto keys \"useridentity.type\", \"sourceIPAddress\" | where %\"useridentity.type\" = "
      "\"suspicious-user\" | lookup latitude, longitude | count by latitude, longitude | sort _count",
  };
  for (const char* q : queries) {
    auto r = ParseQuery(q);
    EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.error().ToString());
  }
  auto q2 = ParseQuery(queries[1]);
  ASSERT_TRUE(q2.ok());
  EXPECT_EQ(q2->scope.kind, ScopeNode::Kind::kOr);
  ASSERT_EQ(q2->ops.size(), 5u);
  EXPECT_EQ(q2->ops[0].pattern, "HTTP/1.1\" * ");
  EXPECT_EQ(q2->ops[0].names, std::vector<std::string>{"status_code"});
  EXPECT_EQ(q2->ops[2].slice_ms, 60000);
  EXPECT_EQ(q2->ops[3].by, (std::vector<std::string>{"status_code", "_timeslice"}));
  EXPECT_EQ(q2->ops[4].rows, std::vector<std::string>{"_timeslice"});
  auto q6 = ParseQuery(queries[5]);
  ASSERT_TRUE(q6.ok());
  EXPECT_TRUE(q6->ops[2].lookup_shorthand);
  EXPECT_EQ(q6->ops[0].keys, (std::vector<std::string>{"useridentity.type", "sourceIPAddress"}));
}

TEST(PipelineParserTest, ParsesSumoDocumentationQueries) {
  const char* queries[] = {
      "| parse \"* * [*] * * * * * \\\"* HTTP/1.1\\\" * * * * * * * \\\"*\\\" *\" as bucket_owner, bucket, "
      "time, remoteIP, requester, request_ID, operation, key, request_URI, status_code, error_code, "
      "bytes_sent, object_size, total_time, turn_time, referrer, user_agent, version_ID\n"
      "| parse regex field=operation \"[A-Z]+\\.(?<operation>[\\w.]+)\"\n| count by operation",
      "_sourceCategory=AWS_EAGLE (*Security* OR *Network*)\n| parse \"\\\"userName\\\":\\\"*\\\"\" as user\n"
      "| parse \"\\\"eventName\\\":\\\"*\\\"\" as event\n"
      "| parse regex field=event \"^(?<event_type>[A-Z][a-z]+?)[A-Z]\"\n"
      "| where (event matches \"*Security*\" OR event matches \"*Network*\") and event_type in "
      "(\"Create\",\"Delete\")\n| count by event\n| sort _count",
      "_sourceCategory=admin_users\n| parse \"*\" as admin_user\n| count as count by admin_user\n| fields -count",
      "| timeslice by 1m | count _timeslice, user | transpose row _timeslice column user as %\"alice\", *",
      "| outlier size_in_bytes BY ip window=8, threshold=2.5, consecutive=2, direction=+",
      "| logreduce(partition) by region limit=5,criteria=mostcommon",
      "| json auto field=x maxdepth 2 keys \"a\", \"b\" refonly as p, q",
      "| json \"meta.type\", \"Actor[0].Type\" as t, a nodrop",
      "| if(isNull(c), \"unknown\", c) as c | 3 + 2 as val | num(x) | x > 1 ? \"big\" : \"small\" as size",
      "| where !(x matches /12\\.1[34]\\..*/) and y not in (1, 2) and contains(a, \"b\") and z contains \"q\"",
      "| fillmissing timeslice(1m), values(\"a\", \"b\") in user with 0 for _count takeLast",
      "| total _count as grand by user | top 5 user by _count | sort by +_count, -user asc | limit 3",
      "// a comment\n| count /* inline */ by x // trailing",
      "http://host/x | count",
      "| lookup latitude, longitude, country_code as cc from geo://location on ip=src_ip",
      "| geoip src_ip country_code, city | count_frequent country_code, city",
      "| where x > 10k and y < 1Mi and z >= 5m and w = -3",
  };
  for (const char* q : queries) {
    auto r = ParseQuery(q);
    EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.error().ToString());
  }
}

TEST(PipelineParserTest, ScopePrecedenceIsNotAndOr) {
  auto r = ParseQuery("a b OR NOT c d");
  ASSERT_TRUE(r.ok());
  const ScopeNode& s = r->scope;
  ASSERT_EQ(s.kind, ScopeNode::Kind::kOr);
  ASSERT_EQ(s.children.size(), 2u);
  EXPECT_EQ(s.children[0].kind, ScopeNode::Kind::kAnd);
  EXPECT_EQ(s.children[1].kind, ScopeNode::Kind::kAnd);
  EXPECT_EQ(s.children[1].children[0].kind, ScopeNode::Kind::kNot);
  EXPECT_EQ(s.children[1].children[1].text, "d");
}

TEST(PipelineParserTest, MetadataPredicatesAndPhrases) {
  auto r = ParseQuery("_sourceCategory = \"S3 Access\" \"Invalid \\\"key\\\"\" !_sourceHost=web*");
  ASSERT_TRUE(r.ok()) << r.error().ToString();
  const ScopeNode& s = r->scope;
  ASSERT_EQ(s.kind, ScopeNode::Kind::kAnd);
  EXPECT_EQ(s.children[0].kind, ScopeNode::Kind::kMeta);
  EXPECT_EQ(s.children[0].meta_name, "_sourcecategory");
  EXPECT_EQ(s.children[0].text, "S3 Access");
  EXPECT_TRUE(s.children[0].meta_quoted);
  EXPECT_EQ(s.children[1].kind, ScopeNode::Kind::kPhrase);
  EXPECT_EQ(s.children[1].text, "Invalid \"key\"");
  EXPECT_EQ(s.children[2].kind, ScopeNode::Kind::kNot);
  EXPECT_EQ(s.children[2].children[0].text, "web*");
}

TEST(PipelineParserTest, UnescapingDependsOnContext) {
  EXPECT_EQ(UnescapeOrdinary("a\\\"b\\\\c\\n"), "a\"b\\c\\n");
  EXPECT_EQ(UnescapeAnchor("a\\\"b\\nc\\td"), "a\"b\nc\td");
  EXPECT_EQ(UnescapeRegex("\\d+\\.\\\"x"), "\\d+\\.\"x");
}

TEST(PipelineParserTest, CommentsAreStrippedOutsideStringsOnly) {
  EXPECT_EQ(StripComments("a // b\nc"), "a     \nc");
  EXPECT_EQ(StripComments("\"x // y\""), "\"x // y\"");
  EXPECT_EQ(StripComments("http://host/x"), "http://host/x");
  EXPECT_EQ(StripComments("a /* b */ c"), "a         c");
  EXPECT_EQ(StripComments("x matches /a //b/"), "x matches /a //b/");
}

TEST(PipelineParserTest, NumberSuffixes) {
  auto r = ParseQuery("| where a > 10k and b > 1Ki and c > 5m and d > 1.5");
  ASSERT_TRUE(r.ok());
  const Expr& e = r->ops[0].expr;
  EXPECT_EQ(e.args[0].args[0].args[0].args[1].value.int_value(), 10000);
  EXPECT_EQ(e.args[0].args[0].args[1].args[1].value.int_value(), 1024);
  EXPECT_EQ(e.args[0].args[1].args[1].value.int_value(), 300000);
  EXPECT_DOUBLE_EQ(e.args[1].args[1].value.double_value(), 1.5);
}

}  // namespace
}  // namespace cairn::query
