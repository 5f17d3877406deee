// parse's anchor search without a regex engine (ParseLiteralSearch, stages_internal.h) against
// the regex it stands for, and parse queries whose exact answers pin the captures down.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/query/regex_internal.h"
#include "engine/query/stages_internal.h"
#include "tests/unit/query/fixture.h"

namespace cairn::query {
namespace {

using store::SourceType;
using testing::CaseBuilder;
using Groups = std::vector<std::pair<size_t, size_t>>;

// The regex MakeParseStage compiles for literals L0..Ln: every byte escaped.
std::string RegexOf(const std::vector<std::string>& literals) {
  std::string re;
  for (size_t k = 0; k < literals.size(); ++k) {
    for (char c : literals[k]) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      re += buf;
    }
    if (k + 1 < literals.size()) re += (k + 2 == literals.size() && literals.back().empty()) ? "(.*)" : "(.*?)";
  }
  return re;
}

void ExpectSameAsRegex(const std::vector<std::string>& literals, const std::string& text) {
  CompiledRegex::Options o;
  o.dotall = true;
  auto re = CompiledRegex::Compile(RegexOf(literals), o);
  ASSERT_TRUE(re.ok());
  Groups want, got;
  bool want_match = (*re)->Search(text, 0, &want);
  bool got_match = ParseLiteralSearch(literals, text, &got);
  std::string where = "literals:";
  for (const auto& l : literals) where += " [" + l + "]";
  where += " text: [" + text + "]";
  ASSERT_EQ(got_match, want_match) << where;
  if (want_match) {
    EXPECT_EQ(got, want) << where;
  }
}

TEST(ParseLiteralTest, ExactGroups) {
  Groups g;
  // The status query's anchor: the first `HTTP/1.1" `, then the first space after it.
  std::string line = R"(1.2.3.4 - - [x] "GET / HTTP/1.1" 403 199 "-" "HTTP/1.1" 200 )";
  ASSERT_TRUE(ParseLiteralSearch({"HTTP/1.1\" ", " "}, line, &g));
  EXPECT_EQ(line.substr(g[1].first, g[1].second - g[1].first), "403");
  EXPECT_EQ(g[0].first, line.find("HTTP/1.1\" "));
  // Empty last literal: the last capture takes the rest, newlines included.
  ASSERT_TRUE(ParseLiteralSearch({"a=", ";", ""}, "xa=1;b\nc", &g));
  EXPECT_EQ(g, (Groups{{1, 8}, {3, 4}, {5, 8}}));
  // Adjacent stars: the first capture is empty.
  ASSERT_TRUE(ParseLiteralSearch({"k", "", "v"}, "kxyv", &g));
  EXPECT_EQ(g, (Groups{{0, 4}, {1, 1}, {1, 3}}));
  // Empty first literal: the match starts at 0.
  ASSERT_TRUE(ParseLiteralSearch({"", "="}, "ab=c=", &g));
  EXPECT_EQ(g, (Groups{{0, 3}, {0, 2}}));
  EXPECT_FALSE(ParseLiteralSearch({"a", "b"}, "ba", &g));
  EXPECT_FALSE(ParseLiteralSearch({"abc"}, "ab", &g));
}

TEST(ParseLiteralTest, SameMatchAsTheRegexOnRandomInputs) {
  std::mt19937 rng(20240314);
  const std::string alphabet = "ab\" \n";
  auto random_text = [&](size_t max_len) {
    std::string s;
    size_t n = rng() % (max_len + 1);
    for (size_t i = 0; i < n; ++i) s += alphabet[rng() % alphabet.size()];
    return s;
  };
  for (int round = 0; round < 3000; ++round) {
    std::vector<std::string> literals;
    size_t parts = 1 + rng() % 4;
    for (size_t k = 0; k < parts; ++k) literals.push_back(random_text(3));
    ExpectSameAsRegex(literals, random_text(24));
    if (::testing::Test::HasFailure()) return;
  }
}

TEST(ParseLiteralTest, QueriesGiveTheRegexAnswers) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  c.Add(src, "2019-02-06T00:00:00Z", "k=v1; user=alice; x=abcdefghijklmnopqrstuvwxyz;");
  c.Add(src, "2019-02-06T00:00:01Z", "k=v2; user=bob;");
  c.Add(src, "2019-02-06T00:00:02Z", "nothing here");
  auto t = c.Run("| parse \"user=*;\" as u | count by u | sort by u asc");
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.Get(0, "u").str(), "alice");
  EXPECT_EQ(t.Get(1, "u").str(), "bob");
  // A parse of a field written by the parse before it, into a field created after it (its slot
  // lies beyond the input's): the first event must read the input intact.
  auto chained = c.Run("| parse \"k=*;\" as k | parse field=k \"v*\" as n | count by n | sort by n asc");
  ASSERT_EQ(chained.rows.size(), 2u);
  EXPECT_EQ(chained.Get(0, "n").str(), "1");
  EXPECT_EQ(chained.Get(1, "n").str(), "2");
  // The input is also an output: captures are read before any is written.
  auto self = c.Run("| parse \"x=*;\" as x | parse field=x \"abc*xyz\" as x | fields x");
  ASSERT_EQ(self.rows.size(), 1u);
  EXPECT_EQ(self.Get(0, "x").str(), "defghijklmnopqrstuvw");
  // nodrop: the unmatched event keeps a null capture.
  auto kept = c.Run("| parse \"user=*;\" as u nodrop | where isNull(u) | count");
  ASSERT_EQ(kept.rows.size(), 1u);
  EXPECT_EQ(kept.Get(0, "_count").int_value(), 1);
  // Case-insensitive parsing stays on the regex engine.
  QueryOptions ci;
  ci.parse_ignore_case = true;
  auto upper = c.Run("| parse \"USER=*;\" as u | count by u | sort by u asc", ci);
  ASSERT_EQ(upper.rows.size(), 2u);
  EXPECT_EQ(upper.Get(0, "u").str(), "alice");
  // parse regex reading a longer input in place.
  auto re = c.Run("| parse regex \"x=(?<tail>[a-z]{3})\" | fields tail");
  ASSERT_EQ(re.rows.size(), 1u);
  EXPECT_EQ(re.Get(0, "tail").str(), "abc");
}

// parse followed by `where CAPTURE > N` drops the records the where would drop before setting its
// captures (ParseStage's filter): the answers are those of the same where evaluated in full
// (`and 1 = 1` keeps it off the shortcut), capture by capture.
TEST(ParseLiteralTest, ANumericWhereRightAfterParseKeepsItsAnswers) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  const std::vector<std::string> lines = {
      "s=403; t=1;", "s=200; t=2;", "s=-; t=3;", "s=500.5; t=404;", "s= 404 ; t=5;", "s=abc; t=999;",
      "s=1e3; t=7;", "s=; t=8;", "no capture here", "s=401; t=100;", "s=+401; t=1000;", "s=400; t=401;",
  };
  int second = 0;
  for (const std::string& line : lines) {
    c.Add(src, "2019-02-06T00:00:" + std::string(second < 10 ? "0" : "") + std::to_string(second) + "Z", line);
    ++second;
  }
  auto rows = [](const QueryTable& t, const std::string& field) {
    std::vector<std::string> out;
    for (size_t k = 0; k < t.rows.size(); ++k) out.push_back(t.Get(k, field).ToText());
    std::sort(out.begin(), out.end());
    return out;
  };
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"| parse \"s=*;\" as s | where s > 400 | fields s", {" 404 ", "+401", "1e3", "401", "403", "500.5"}},
      {"| parse \"s=*;\" as s | where 400 >= s | fields s", {"200", "400"}},
      {"| parse \"s=*; t=*;\" as s, t | where t > 400 | fields t", {"1000", "401", "404", "999"}},
      // Two captures into one field: the last one is the field's.
      {"| parse \"s=*; t=*;\" as x, x | where x <= 8 | fields x", {"1", "2", "3", "5", "7", "8"}},
      // nodrop: the line without the anchor has a null capture, which no comparison passes.
      {"| parse \"s=*;\" as s nodrop | where s >= 401 | fields s", {" 404 ", "+401", "1e3", "401", "403", "500.5"}},
      // The input is the output.
      {"| parse \"s=*;\" as s | parse field=s \"4*\" as s | where s > 0 | fields s", {"01", "01", "03", "04 "}},
  };
  for (const auto& [query, want] : cases) {
    std::string full = query;
    full.replace(full.find(" | fields"), 0, " and 1 = 1");
    const std::string field = query.substr(query.rfind(' ') + 1);  // the one `fields` keeps
    EXPECT_EQ(rows(c.Run(query), field), want) << query;
    EXPECT_EQ(rows(c.Run(full), field), want) << full;
  }
}

// A scan of event blocks lets a first `parse` (no nodrop) drop events by their text before their
// records are made (Stage::DropsText), and the records it keeps reuse its match: the answers, and
// the count of events in scope, are those of the same queries on the events table.
TEST(ParseLiteralTest, DroppingEventsByTheirTextKeepsTheAnswers) {
  CaseBuilder c;
  auto src = c.Source({"t"}, SourceType::kGeneric);
  const std::vector<std::string> lines = {
      "s=403; t=1;", "s=200; t=2;", "s=-; t=3;", "s=500.5; t=404;", "no capture here", "s=401; t=100;",
      "x s=405; s=200; t=9;", "s=", "s=410;", "t=7; s=7;",
  };
  int second = 0;
  for (const std::string& line : lines) c.Add(src, "2019-02-06T00:00:0" + std::to_string(second++) + "Z", line);
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"| parse \"s=*;\" as s | where s > 400 | count by s", {"401 1", "403 1", "405 1", "410 1", "500.5 1"}},
      {"| parse \"s=*;\" as s | count by s",
       {"- 1", "200 1", "401 1", "403 1", "405 1", "410 1", "500.5 1", "7 1"}},
      {"| parse \"s=*; t=*;\" as s, t | where t > 5 | count by s, t", {"401 100 1", "405; s=200 9 1", "500.5 404 1"}},
      {"| parse \"s=*;\" as s nodrop | where isNull(s) | count", {"2"}},
      // The input is the output; and a second parse, which is not the scan's first operator.
      {"| parse \"s=*;\" as _raw | where _raw < 300 | count by _raw", {"200 1", "7 1"}},
      {"| parse \"s=*;\" as s | parse \"t=*;\" as t | where t < 5 | count by s, t", {"- 3 1", "200 2 1", "403 1 1"}},
  };
  auto render = [](const QueryTable& t) {
    std::vector<std::string> out;
    for (const auto& row : t.rows) {
      std::string line;
      for (const auto& v : row) line += (line.empty() ? "" : " ") + RenderValue(v);
      out.push_back(line);
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  QueryOptions rows_only;
  rows_only.use_event_blocks = false;
  std::vector<QueryTable> from_rows;
  for (const auto& [query, want] : cases) {
    from_rows.push_back(c.Run(query, rows_only));
    EXPECT_EQ(render(from_rows.back()), want) << query;
    EXPECT_EQ(from_rows.back().result.stats.blocks_read, 0) << query;
  }
  ASSERT_TRUE(c.store().IndexKeywords().ok());  // the blocks are below the watermark now
  for (size_t k = 0; k < cases.size(); ++k) {
    const QueryTable blocks = c.Run(cases[k].first);
    EXPECT_EQ(render(blocks), cases[k].second) << cases[k].first;
    EXPECT_GT(blocks.result.stats.blocks_read, 0) << cases[k].first;
    EXPECT_EQ(blocks.result.stats.events_matched, from_rows[k].result.stats.events_matched) << cases[k].first;
    EXPECT_EQ(blocks.result.stats.events_matched, 10) << cases[k].first;
  }
}

}  // namespace
}  // namespace cairn::query
