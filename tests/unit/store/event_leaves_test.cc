// Leaf columns (engine/store/event_leaves.h): what a block's columns hold for each event is what
// `json auto` would extract from its text, and what they cannot hold is said so.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "engine/store/event_leaves.h"

namespace cairn::store {
namespace {

struct Built {
  std::map<std::string, std::string> rows;  // path -> data
  LeafSummary summary;
};

Built Build(const std::vector<std::string>& records) {
  std::string texts;
  std::vector<uint32_t> ends;
  for (const auto& r : records) {
    texts += r;
    ends.push_back(static_cast<uint32_t>(texts.size()));
  }
  Built b;
  for (auto& [path, data] : BuildLeafRows(texts, ends)) b.rows[path] = data;
  if (b.rows.count("")) {
    EXPECT_TRUE(b.summary.Parse(b.rows[""]));
  }
  return b;
}

// The column of path as one string per event: the value, or "-" for none.
std::vector<std::string> Column(const Built& b, const std::string& path, size_t events) {
  LeafColumn c;
  auto it = b.rows.find(path);
  EXPECT_NE(it, b.rows.end()) << path;
  if (it == b.rows.end()) return {};
  EXPECT_TRUE(c.Parse(it->second, events)) << path;
  std::vector<std::string> out;
  for (size_t k = 0; k < events; ++k) out.push_back(c.at(k) ? std::string(*c.at(k)) : "-");
  return out;
}

TEST(EventLeavesTest, ColumnsHoldTheLastScalarLeafOfEachPath) {
  Built b = Build({
      R"({"userIdentity":{"type":"IAMUser","userName":"alice"},"sourceIPAddress":"10.0.0.1","n":-0})",
      "GET /index.html HTTP/1.1",  // not JSON: a failed row
      R"(  {"USERIDENTITY":{"UserName":"bob"},"userIdentity":{"userName":null},"n":1.50,"ok":true}  )",
      R"({"userIdentity":{"userName":"caf\u00e9 \"x\""},"sourceIPAddress":"10.0.0.1","tags":["a","b"]})",
      R"({"broken": )",  // invalid: a failed row
      R"({"a b":{"C":"spaces"},"resources":[{"arn":"r1"},{"arn":"r2"}],"empty":{}})",
  });
  ASSERT_TRUE(b.rows.count(""));
  EXPECT_EQ(b.summary.events, 6);
  EXPECT_EQ(b.summary.failed, (std::vector<uint32_t>{1, 4}));
  // Arrays of scalars and empty objects are leaves that are not scalars: dropped.
  EXPECT_EQ(b.summary.dropped, (std::vector<std::string>{"empty", "tags"}));
  EXPECT_TRUE(b.summary.IsDropped("tags"));
  EXPECT_FALSE(b.summary.IsDropped("useridentity.username"));
  // Keys are matched without case, as json auto does; the last leaf decides (a null: none).
  EXPECT_EQ(Column(b, "useridentity.username", 6),
            (std::vector<std::string>{"alice", "-", "-", "caf\xC3\xA9 \"x\"", "-", "-"}));
  EXPECT_EQ(Column(b, "useridentity.type", 6), (std::vector<std::string>{"IAMUser", "-", "-", "-", "-", "-"}));
  EXPECT_EQ(Column(b, "sourceipaddress", 6), (std::vector<std::string>{"10.0.0.1", "-", "-", "10.0.0.1", "-", "-"}));
  EXPECT_EQ(Column(b, "n", 6), (std::vector<std::string>{"0", "-", "1.50", "-", "-", "-"}));
  EXPECT_EQ(Column(b, "ok", 6), (std::vector<std::string>{"-", "-", "true", "-", "-", "-"}));
  EXPECT_EQ(Column(b, "a_b.c", 6), (std::vector<std::string>{"-", "-", "-", "-", "-", "spaces"}));
  EXPECT_EQ(Column(b, "resources[1].arn", 6), (std::vector<std::string>{"-", "-", "-", "-", "-", "r2"}));
  EXPECT_FALSE(b.rows.count("broken"));  // seen only in a record the scanner gave up on
  EXPECT_FALSE(b.rows.count("tags"));
}

TEST(EventLeavesTest, AValuePerEventIsDroppedAndFewValuesAreKept) {
  std::vector<std::string> records;
  for (int k = 0; k < 200; ++k) {
    records.push_back(R"({"eventID":"id-)" + std::to_string(k) + R"(","user":"u)" + std::to_string(k % 3) +
                      (k % 50 == 0 ? R"(","rare":"yes)" : "") + R"("})");
  }
  Built b = Build(records);
  EXPECT_TRUE(b.summary.failed.empty());
  EXPECT_EQ(b.summary.dropped, (std::vector<std::string>{"eventid"}));
  std::vector<std::string> user = Column(b, "user", 200);
  ASSERT_EQ(user.size(), 200u);
  EXPECT_EQ(user[0], "u0");
  EXPECT_EQ(user[199], "u1");
  std::vector<std::string> rare = Column(b, "rare", 200);  // sparse: 4 of 200
  EXPECT_EQ(std::count(rare.begin(), rare.end(), "yes"), 4);
  EXPECT_EQ(rare[150], "yes");
  EXPECT_EQ(rare[151], "-");
  // Compressed: far below the text of the values.
  EXPECT_LT(b.rows["user"].size(), 200u);
}

TEST(EventLeavesTest, AnEmptyKeyIsNeverTheSummarysRow) {
  // {"": ...} is valid JSON; its path "" is the summary's: listed as not stored instead. A path
  // seen only in a record the scanner gave up on has a column without values.
  Built b = Build({R"({"":null,"a":"x"})", R"({"":1,"a":"y"})", R"({"b":1,"c":)"});
  EXPECT_EQ(b.summary.dropped, (std::vector<std::string>{""}));
  EXPECT_EQ(b.summary.failed, (std::vector<uint32_t>{2}));
  EXPECT_EQ(Column(b, "a", 3), (std::vector<std::string>{"x", "y", "-"}));
  EXPECT_EQ(Column(b, "b", 3), (std::vector<std::string>{"-", "-", "-"}));
  // Seen in a failed record only: no row at all.
  Built only = Build({R"({"a":"x"})", R"({"":1}})"});
  EXPECT_TRUE(only.summary.dropped.empty());
  EXPECT_EQ(only.rows.size(), 2u);  // the summary and "a"
}

TEST(EventLeavesTest, TextWithoutJsonHasNoColumnsAndDamageIsRefused) {
  EXPECT_TRUE(BuildLeafRows("abcdef", {3, 6}).empty());
  Built b = Build({R"({"a":"x"})", R"({"a":"y"})"});
  LeafColumn c;
  EXPECT_TRUE(c.Parse(b.rows["a"], 2));
  EXPECT_FALSE(c.Parse(b.rows["a"], 1));  // a row beyond the block
  std::string cut = b.rows["a"].substr(0, b.rows["a"].size() - 1);
  EXPECT_FALSE(c.Parse(cut, 2));
  EXPECT_FALSE(c.Parse("", 2));
  LeafSummary s;
  EXPECT_FALSE(s.Parse(""));
  EXPECT_FALSE(s.Parse(b.rows[""].substr(0, 2)));
  std::string other_format = b.rows[""];
  other_format[0] = 9;
  EXPECT_FALSE(s.Parse(other_format));
}

}  // namespace
}  // namespace cairn::store
