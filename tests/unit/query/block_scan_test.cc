// The shares of a parallel block scan (query/block_scan_internal.h): drawing blocks from one
// counter, they cover every kept block exactly once, each in id order, however unevenly they go.
#include "engine/query/block_scan_internal.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <vector>

#include "engine/store/case_store.h"
#include "tests/testing/testing.h"

namespace cairn::query {
namespace {

using store::CaseStore;

// A case whose blocks each hold the events of one transaction: 40 transactions of 3 events,
// alternating between two sources. Returns the id of the first source.
int64_t FillCase(CaseStore& s) {
  int64_t first = 0, second = 0;
  for (int k = 0; k < 2; ++k) {
    store::SourceRecord src;
    src.path = "source" + std::to_string(k) + ".log";
    src.sha256 = "abc" + std::to_string(k);
    src.format = "generic";
    auto id = s.AddSource(src);
    EXPECT_TRUE(id.ok());
    (k == 0 ? first : second) = *id;
  }
  for (int t = 0; t < 40; ++t) {
    EXPECT_TRUE(s.Begin().ok());
    for (int e = 0; e < 3; ++e) {
      store::Event ev;
      ev.time = 1000 * (t * 3 + e);
      ev.raw = "line " + std::to_string(t) + "." + std::to_string(e);
      EXPECT_TRUE(s.InsertEvent(ev, t % 2 == 0 ? first : second).ok());
    }
    EXPECT_TRUE(s.Commit().ok());
  }
  return first;
}

// Every block's first id, in the order Next() yields them.
std::vector<int64_t> Drain(BlockScan& scan, int64_t n) {
  std::vector<int64_t> out;
  for (int64_t k = 0; k < n; ++k) {
    auto block = scan.Next();
    EXPECT_TRUE(block.ok());
    if (!block.ok() || *block == nullptr) break;
    out.push_back((*block)->id(0));
  }
  return out;
}

TEST(BlockScanTest, SharesDrawingFromOneCounterCoverEachKeptBlockOnce) {
  testing::TempDir dir;
  const std::string path = (dir / "c.cairn").string();
  auto writer = CaseStore::Open(path, CaseStore::Mode::kCreate);
  ASSERT_TRUE(writer.ok()) << writer.error().ToString();
  const int64_t kept_source = FillCase(**writer);
  ASSERT_EQ(testing::QueryInt(**writer, "SELECT count(*) FROM event_blocks"), 40);
  const int64_t through = testing::QueryInt(**writer, "SELECT max(last_id) FROM event_blocks");
  // The blocks of the first source: every other one.
  std::vector<int64_t> expected;
  {
    auto st = (*writer)->Prepare("SELECT first_id FROM event_blocks WHERE sources = '" +
                                 std::to_string(kept_source) + "' ORDER BY first_id");
    ASSERT_TRUE(st.ok());
    while (*st->Step()) expected.push_back(st->Int(0));
  }
  ASSERT_EQ(expected.size(), 20u);

  auto other = CaseStore::Open(path, CaseStore::Mode::kReadOnly);
  ASSERT_TRUE(other.ok()) << other.error().ToString();
  BlockScan::KeepFn keep = [&](int64_t, int64_t, int64_t, int64_t, const std::vector<int64_t>& sources) {
    return std::find(sources.begin(), sources.end(), kept_source) != sources.end();
  };
  std::atomic<int64_t> claims{0};
  BlockScan fast(**writer, keep, BlockScan::Stripe{through, &claims});
  BlockScan slow(**other, keep, BlockScan::Stripe{through, &claims});
  // The fast share takes three blocks for each one the slow share takes.
  std::vector<int64_t> got_fast, got_slow;
  while (true) {
    auto f = Drain(fast, 3);
    auto s = Drain(slow, 1);
    got_fast.insert(got_fast.end(), f.begin(), f.end());
    got_slow.insert(got_slow.end(), s.begin(), s.end());
    if (f.size() < 3 && s.empty()) break;
  }
  EXPECT_EQ(got_fast.size(), 15u);
  EXPECT_EQ(got_slow.size(), 5u);
  EXPECT_TRUE(std::is_sorted(got_fast.begin(), got_fast.end()));
  EXPECT_TRUE(std::is_sorted(got_slow.begin(), got_slow.end()));
  std::vector<int64_t> all = got_fast;
  all.insert(all.end(), got_slow.begin(), got_slow.end());
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, expected);  // each kept block once: none twice, none missed
  EXPECT_EQ(fast.blocks_read() + slow.blocks_read(), 20);
  EXPECT_EQ(fast.blocks_skipped(), 20);  // every share walks (and skips) the same blocks
  EXPECT_EQ(slow.blocks_skipped(), 20);

  // Without a counter, one share takes every kept block.
  BlockScan alone(**other, keep, BlockScan::Stripe{through});
  EXPECT_EQ(Drain(alone, 100), expected);
}

}  // namespace
}  // namespace cairn::query
