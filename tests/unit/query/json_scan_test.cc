// The selective JSON scanners (engine/common/json_scan.h): their own contract, and that
// a query answered through them equals the same query answered by the reference tree, on real
// CloudTrail records and on tricky hand-written documents.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "engine/common/json_scan.h"
#include "tests/testing/testing.h"
#include "tests/unit/query/fixture.h"

namespace cairn::query {
namespace {

using store::SourceType;
using testing::CaseBuilder;

struct Leaf {
  std::string path;
  std::string text;
  bool operator==(const Leaf& o) const { return path == o.path && text == o.text; }
};

// Runs the auto scanner and returns (interest path, raw span text) per reported leaf plus the
// number of other leaves.
bool ScanAuto(std::string_view doc, const std::vector<std::string>& interest, std::vector<Leaf>* leaves,
              int64_t* others, int maxdepth = 0, bool extract_arrays = false) {
  JsonAutoScanner scanner(maxdepth, extract_arrays, interest);
  leaves->clear();
  *others = 0;
  return scanner.Scan(
      doc, [&](size_t i, const JsonSpan& span) { leaves->push_back({interest[i], std::string(span.text)}); },
      [&](int64_t n) { *others += n; });
}

TEST(JsonScanTest, AutoReportsInterestingLeavesAndCountsTheRest) {
  std::vector<Leaf> leaves;
  int64_t others = 0;
  std::string doc =
      R"({"userIdentity":{"type":"IAMUser","userName":"a\u00e9 b","arn":"x"},"event Name":"Get",)"
      R"("resources":[{"ARN":"r1"},{"ARN":"r2","t":[1,2]}],"tags":["a","b"],"e":{},"n":null})";
  ASSERT_TRUE(ScanAuto(doc, {"useridentity.username", "event_name", "resources[1].arn", "tags", "e"}, &leaves,
                       &others));
  std::vector<Leaf> want = {{"useridentity.username", "\"a\\u00e9 b\""},
                            {"event_name", "\"Get\""},
                            {"resources[1].arn", "\"r2\""},
                            {"tags", "[\"a\",\"b\"]"},
                            {"e", "{}"}};
  EXPECT_EQ(leaves, want);
  // type, arn, resources[0].ARN, resources[1].t, n
  EXPECT_EQ(others, 5);
}

TEST(JsonScanTest, AutoHonoursMaxdepthAndExtractArrays) {
  std::vector<Leaf> leaves;
  int64_t others = 0;
  std::string doc = R"({"a":{"b":{"c":1}},"l":[1,[2,3],{"k":"v"}],"s":[4,5]})";
  ASSERT_TRUE(ScanAuto(doc, {"a.b", "a"}, &leaves, &others, /*maxdepth=*/1));
  EXPECT_EQ(leaves, (std::vector<Leaf>{{"a", R"({"b":{"c":1}})"}}));
  EXPECT_EQ(others, 2);  // l and s as whole leaves
  ASSERT_TRUE(ScanAuto(doc, {"l[1]", "l[2].k", "s[1]", "s"}, &leaves, &others, 0, /*extract_arrays=*/true));
  EXPECT_EQ(leaves, (std::vector<Leaf>{{"l[1]", "[2,3]"}, {"l[2].k", "\"v\""}, {"s[1]", "5"}}));
  EXPECT_EQ(others, 3);  // a.b.c, l[0], s[0]
}

TEST(JsonScanTest, RefusesWhatTheReferenceParserRejectsOrMightRead) {
  std::vector<Leaf> leaves;
  int64_t others = 0;
  const char* bad[] = {
      R"({"a":1,})",                 // trailing comma
      R"({"a":01})",                 // leading zero
      R"({"a":"\x"})",               // unknown escape
      "{\"a\":\"tab\there\"}",       // raw control character
      "{\"a\":\"\xC3\x28\"}",        // invalid UTF-8
      "{\"a\":\"\xED\xA0\x80\"}",    // UTF-8 encoded surrogate
      R"({"a":"\udc00"})",           // lone low surrogate
      R"({"a":"\ud800x"})",          // high surrogate without its pair
      R"({"a":1e999})",              // float overflow
      R"({"a":12345678901234567890})",  // 20-digit integer: the reference decides
      R"({"a":tru})",
      R"({"a":1} x)",                // something after the value
      R"([1,2])",                    // not an object
      R"({"a" 1})",
  };
  for (const char* doc : bad) EXPECT_FALSE(ScanAuto(doc, {"a"}, &leaves, &others)) << doc;
  std::string deep(300, '[');
  EXPECT_FALSE(ScanAuto("{\"a\":" + deep + std::string(300, ']') + "}", {"a"}, &leaves, &others));
}

TEST(JsonScanTest, ScalarTextMatchesTheReferenceTree) {
  EXPECT_EQ(JsonScalarText({JsonKind::kString, R"("a\"b\\c\/\n\u00e9\ud83d\ude00")"}), "a\"b\\c/\n\xC3\xA9\xF0\x9F\x98\x80");
  EXPECT_EQ(JsonScalarText({JsonKind::kNumber, "-0"}), "0");
  EXPECT_EQ(JsonScalarText({JsonKind::kNumber, "1.50"}), "1.50");
  EXPECT_EQ(JsonScalarText({JsonKind::kNumber, "-12E+3"}), "-12E+3");
  EXPECT_EQ(JsonScalarText({JsonKind::kTrue, "true"}), "true");
}

// Strings are scanned sixteen bytes at a time: escapes, UTF-8 and errors at every offset around
// those blocks, in values and in keys.
TEST(JsonScanTest, StringsAtEveryOffsetDecodeExactly) {
  for (size_t pad = 0; pad < 40; ++pad) {
    std::string p(pad, 'x');
    EXPECT_EQ(JsonScalarText({JsonKind::kString, "\"" + p + "\""}), p);
    EXPECT_EQ(JsonScalarText({JsonKind::kString, "\"" + p + "\\\"q\\u00e9\\ud83d\\ude00" + p + "\""}),
              p + "\"q\xC3\xA9\xF0\x9F\x98\x80" + p);
    EXPECT_EQ(JsonScalarText({JsonKind::kString, "\"" + p + "\xC3\xA9" + p + "\\n\""}), p + "\xC3\xA9" + p + "\n");
    std::vector<Leaf> leaves;
    int64_t others = 0;
    // A key with an escaped quote, a \u escape for a capital and a space: the flattened path is
    // its unescaped text lower-cased, with '_' for the space.
    std::string doc = "{\"" + p + "U\\u0053er\\\"n ame\":\"" + p + "v\\/1\",\"k" + p + "\":[1]}";
    ASSERT_TRUE(ScanAuto(doc, {p + "user\"n_ame", "k" + p}, &leaves, &others)) << doc;
    EXPECT_EQ(leaves, (std::vector<Leaf>{{p + "user\"n_ame", "\"" + p + "v\\/1\""}, {"k" + p, "[1]"}})) << doc;
    EXPECT_EQ(others, 0);
    // Rejected wherever the fault sits.
    for (std::string bad : {p + "\t", p + "\xC3\x28", p + "\\x", p + "\\ud800", p + "\xED\xA0\x80"}) {
      EXPECT_FALSE(ScanAuto("{\"a\":\"" + bad + "\"}", {"a"}, &leaves, &others)) << pad;
      EXPECT_FALSE(ScanAuto("{\"" + bad + "\":1}", {"a"}, &leaves, &others)) << pad;
    }
    EXPECT_FALSE(ScanAuto("{\"a\":\"" + p, {"a"}, &leaves, &others)) << pad;  // unterminated
    EXPECT_FALSE(ScanAuto("{\"" + p, {"a"}, &leaves, &others)) << pad;
  }
  // The path scanner compares escaped keys by their unescaped text too.
  JsonPathScanner scanner({"a\"b.c", "\xC3\xA9"});
  std::vector<JsonSpan> spans;
  std::vector<bool> found;
  ASSERT_TRUE(scanner.Scan(R"({"a\"b":{"\u0063":"yes"},"\u00e9":2})", &spans, &found));
  EXPECT_EQ(found, (std::vector<bool>{true, true}));
  EXPECT_EQ(spans[0].text, "\"yes\"");
  EXPECT_EQ(spans[1].text, "2");
}

TEST(JsonScanTest, PathScannerFollowsTheFirstMemberOfEachName) {
  EXPECT_TRUE(JsonPathScanner::Supports("userIdentity.userName"));
  EXPECT_FALSE(JsonPathScanner::Supports("a[0]"));
  EXPECT_FALSE(JsonPathScanner::Supports("$.a"));
  EXPECT_FALSE(JsonPathScanner::Supports("a..b"));
  JsonPathScanner scanner({"a.b", "a", "c", "x.y"});
  std::vector<JsonSpan> spans;
  std::vector<bool> found;
  ASSERT_TRUE(scanner.Scan(R"({"x":5,"a":{"b":1,"b":2},"a":{"b":3},"x":{"y":1}})", &spans, &found));
  EXPECT_EQ(found, (std::vector<bool>{true, true, false, false}));
  EXPECT_EQ(spans[0].text, "1");
  EXPECT_EQ(spans[1].text, R"({"b":1,"b":2})");
}

// --- equivalence with the reference implementation, through whole queries ------------------

std::map<std::string, int64_t> Counts(const QueryTable& t, const std::string& field, const std::string& count) {
  std::map<std::string, int64_t> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    std::string key = RenderValue(t.Get(r, field));
    if (t.Get(r, field).is_null()) key = "<null>";
    out[key] += count.empty() ? 1 : t.Get(r, count).int_value();
  }
  return out;
}

std::vector<std::string> TrickyDocuments() {
  return {
      R"({"userIdentity":{"type":"IAMUser","userName":"alice"},"eventName":"A","requestParameters":{"bucketName":"b1"}})",
      R"({"useridentity":{"type":"x"},"userIdentity":{"type":"y"},"eventName":-0,"requestParameters":null})",
      R"({"user Identity":{"type":"spaced"},"eventName":1.50,"requestParameters":{"bucketName":["a","b"]}})",
      R"({"userIdentity":{"type":"esc\"aped\u00e9"},"eventName":true,"resources":[{"ARN":"r1"},{"ARN":"r2"}]})",
      R"({"userIdentity":{},"eventName":{},"resources":[],"requestParameters":{"bucketName":{"k":[1,{"z":2}]}}})",
      R"(  {"userIdentity":{"type":"padded"},"eventName":"B"}  )",
      R"(prefix text {"userIdentity":{"type":"embedded"},"eventName":"C"})",
      R"({"userIdentity":{"type":"broken"},"eventName":"D",})",
      R"({"eventName":"E","n":12345678901234567890,"userIdentity":{"type":"big"}})",
      "not json at all",
      "",
  };
}

std::vector<std::string> CloudTrailRecords() {
  std::vector<std::string> out;
  std::ifstream in(cairn::testing::SharedData() / "cloudtrail" / "stratus-red-team" / "derived" /
                   "all_detonations.jsonl");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

// A document with more than 100 leaves before the one asked for: the 100-field cap of json auto
// applies to the fields it extracts by itself, in document order.
std::string ManyLeaves() {
  std::string doc = "{";
  for (int i = 0; i < 120; ++i) doc += "\"f" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  doc += "\"late\":\"x\",\"userIdentity\":{\"type\":\"late-type\"}}";
  return doc;
}

class JsonEquivalenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto src = c_.Source({"ct"}, SourceType::kCloudTrail);
    int k = 0;
    auto add = [&](const std::string& raw) {
      char ts[32];
      std::snprintf(ts, sizeof ts, "2024-01-01T00:%02d:%02dZ", (k / 60) % 60, k % 60);
      ++k;
      c_.Add(src, ts, raw);
    };
    records_ = CloudTrailRecords();
    for (const auto& r : records_) add(r);
    for (const auto& d : TrickyDocuments()) add(d);
    add(ManyLeaves());
  }
  CaseBuilder c_;
  std::vector<std::string> records_;
};

// Every value of every row, rendered: the whole answer of a query.
std::vector<std::string> Rendered(const QueryTable& t) {
  std::vector<std::string> out;
  for (size_t r = 0; r < t.rows.size(); ++r) {
    std::string row;
    for (const auto& col : t.columns) {
      const Value& v = t.Get(r, col);
      row += col + "=" + (v.is_null() ? "<null>" : RenderValue(v)) + "|";
    }
    out.push_back(row);
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST_F(JsonEquivalenceTest, JsonAutoEqualsTheFullTree) {
  ASSERT_GT(records_.size(), 10u) << "real CloudTrail sample missing under " << cairn::testing::SharedData();
  QueryOptions full;
  full.json_full_tree = true;
  const char* paths[] = {"useridentity.type", "useridentity.username", "eventname", "requestparameters.bucketname",
                         "resources[1].arn", "useridentity.sessioncontext.sessionissuer.username",
                         "tlsdetails.tlsversion", "requestparameters", "user_identity.type", "late", "n"};
  size_t compared = 0;
  for (const char* p : paths) {
    std::string key = std::string("%\"") + p + "\"";
    std::vector<std::string> queries = {
        std::string("| json auto keys \"") + p + "\" | count by " + key,
        std::string("| json auto | count by ") + key,
        std::string("| json auto keys \"") + p + "\" refonly | fields " + key,
        std::string("| json auto | where !isNull(") + key + ") | fields " + key + ", awsRegion",
        std::string("| json auto maxdepth 2 | count by ") + key,
        std::string("| json auto extractarrays | count by ") + key,
    };
    for (const auto& q : queries) {
      auto fast = c_.Run(q);
      auto ref = c_.Run(q, full);
      EXPECT_EQ(Rendered(fast), Rendered(ref)) << q;
      compared += ref.rows.size();
    }
  }
  EXPECT_GT(compared, 1000u);
  // The record with 120 leaves before "late": a referenced key is read past the 100-field cap of
  // json auto, a merely named field is not.
  auto late = c_.Run("| json auto keys \"useridentity.type\" | count by %\"useridentity.type\"");
  EXPECT_EQ(Counts(late, "useridentity.type", "_count")["late-type"], 1);
  auto capped = c_.Run("| json auto | count by late");
  EXPECT_EQ(Counts(capped, "late", "_count").count("x"), 0u);
}

TEST_F(JsonEquivalenceTest, PlainJsonKeysEqualTheFullTree) {
  QueryOptions full;
  full.json_full_tree = true;
  const char* keys[] = {"userIdentity.type", "userIdentity.userName", "eventName", "requestParameters.bucketName",
                        "requestParameters", "eventName.x"};
  for (const char* k : keys) {
    for (const std::string& q : {std::string("| json \"") + k + "\" as v nodrop | count by v",
                                 std::string("| json \"") + k + "\" as v | fields v",
                                 // "$.k": the same path to the full reader, and not a plain key
                                 std::string("| json \"$.") + k + "\" as v nodrop | count by v"}) {
      auto fast = c_.Run(q);
      auto ref = c_.Run(q, full);
      EXPECT_EQ(Rendered(fast), Rendered(ref)) << q;
    }
  }
}

}  // namespace
}  // namespace cairn::query
