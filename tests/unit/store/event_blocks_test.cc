// Event blocks: what the builder packs comes back from the decoder exactly, blocks are cut where
// documented, and a damaged blob is refused rather than misread.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/store/event_blocks.h"

namespace cairn::store {
namespace {

TEST(EventBlocksTest, RoundTripKeepsIdsTimesSourcesAndRawBytes) {
  EventBlockBuilder b;
  EXPECT_TRUE(b.empty());
  // Gaps in ids, times out of order (negative deltas), an empty raw, binary bytes.
  b.Add(7, 1549411200123, 3, "GET /a HTTP/1.1");
  b.Add(9, 1549411100000, 4, "");
  b.Add(10, -5, 3, std::string("x\0y\xff\n", 5));
  EXPECT_FALSE(b.empty());
  std::vector<EventBlock> blocks = b.Take();
  EXPECT_TRUE(b.empty());
  ASSERT_EQ(blocks.size(), 1u);
  const EventBlock& e = blocks[0];
  EXPECT_EQ(e.first_id, 7);
  EXPECT_EQ(e.last_id, 10);
  EXPECT_EQ(e.events, 3);
  EXPECT_EQ(e.min_ts, -5);
  EXPECT_EQ(e.max_ts, 1549411200123);
  EXPECT_EQ(e.sources, "3,4");

  DecodedBlock d;
  ASSERT_TRUE(d.Decode(e.data));
  ASSERT_EQ(d.size(), 3u);
  EXPECT_EQ(d.id(0), 7);
  EXPECT_EQ(d.id(1), 9);
  EXPECT_EQ(d.id(2), 10);
  EXPECT_EQ(d.ts(0), 1549411200123);
  EXPECT_EQ(d.ts(1), 1549411100000);
  EXPECT_EQ(d.ts(2), -5);
  EXPECT_EQ(d.source_id(0), 3);
  EXPECT_EQ(d.source_id(1), 4);
  EXPECT_EQ(d.source_id(2), 3);
  EXPECT_EQ(d.raw(0), "GET /a HTTP/1.1");
  EXPECT_EQ(d.raw(1), "");
  EXPECT_EQ(d.raw(2), std::string("x\0y\xff\n", 5));
}

TEST(EventBlocksTest, BlocksAreCutByEventCountAndByRawBytes) {
  EventBlockBuilder b;
  for (int64_t id = 1; id <= static_cast<int64_t>(kBlockMaxEvents) + 10; ++id) b.Add(id, id * 1000, 1, "line");
  std::vector<EventBlock> blocks = b.Take();
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].first_id, 1);
  EXPECT_EQ(blocks[0].last_id, static_cast<int64_t>(kBlockMaxEvents));
  EXPECT_EQ(blocks[0].events, static_cast<int64_t>(kBlockMaxEvents));
  EXPECT_EQ(blocks[1].first_id, static_cast<int64_t>(kBlockMaxEvents) + 1);
  EXPECT_EQ(blocks[1].events, 10);
  EXPECT_EQ(blocks[1].min_ts, (static_cast<int64_t>(kBlockMaxEvents) + 1) * 1000);

  // 300 KiB records: the fourth one takes a block past 1 MiB and closes it.
  std::string big(300 * 1024, 'a');
  for (int64_t id = 1; id <= 5; ++id) b.Add(id, 0, 2, big);
  blocks = b.Take();
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].events, 4);
  EXPECT_EQ(blocks[1].events, 1);
  DecodedBlock d;
  ASSERT_TRUE(d.Decode(blocks[0].data));
  EXPECT_EQ(d.raw(3), big);
  // The compressed blob is far smaller than the repetitive text.
  EXPECT_LT(blocks[0].data.size(), big.size() / 10);
}

TEST(EventBlocksTest, DamagedBlobsAreRefused) {
  EventBlockBuilder b;
  for (int64_t id = 1; id <= 50; ++id) b.Add(id, id, 1, "event number " + std::to_string(id));
  std::string good = b.Take()[0].data;
  DecodedBlock d;
  ASSERT_TRUE(d.Decode(good));
  EXPECT_EQ(d.raw(49), "event number 50");
  EXPECT_FALSE(d.Decode(""));
  EXPECT_FALSE(d.Decode(good.substr(0, 3)));
  EXPECT_FALSE(d.Decode(good.substr(0, good.size() - 1)));  // truncated LZ4 data
  std::string wrong_size = good;
  wrong_size[0] = static_cast<char>(wrong_size[0] + 1);      // payload size that does not match
  EXPECT_FALSE(d.Decode(wrong_size));
  std::string huge = good;
  huge[3] = static_cast<char>(0x7f);                          // claims ~2 GB
  EXPECT_FALSE(d.Decode(huge));
}

TEST(EventBlocksTest, HeadersDecodeFromAPrefixOfTheBlob) {
  // 4096 events of varied, poorly compressible text: the arrays need more than a few bytes of blob.
  EventBlockBuilder b;
  std::string text;
  uint64_t x = 88172645463325252ull;
  for (int64_t id = 1; id <= static_cast<int64_t>(kBlockMaxEvents); ++id) {
    text.clear();
    for (int k = 0; k < 40; ++k) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      text += static_cast<char>('a' + x % 26);
    }
    b.Add(id * 3, 1549411200000 + static_cast<int64_t>(x % 100000), 1 + id % 5, text);
  }
  std::vector<EventBlock> blocks = b.Take();
  ASSERT_EQ(blocks.size(), 1u);
  const std::string& blob = blocks[0].data;
  DecodedBlock whole;
  ASSERT_TRUE(whole.Decode(blob));
  ASSERT_TRUE(whole.has_text());

  DecodedBlock head;
  // Too short for the arrays: ask for more, never a wrong answer.
  EXPECT_EQ(head.DecodeHeader(std::string_view(blob).substr(0, 64), blob.size()), DecodedBlock::Header::kNeedMore);
  EXPECT_EQ(head.DecodeHeader(std::string_view(blob).substr(0, 2), blob.size()), DecodedBlock::Header::kDamaged);
  size_t prefix = 64;
  while (head.DecodeHeader(std::string_view(blob).substr(0, prefix), blob.size()) == DecodedBlock::Header::kNeedMore) {
    prefix *= 2;
  }
  EXPECT_LT(prefix, blob.size());  // a prefix was enough
  EXPECT_FALSE(head.has_text());
  ASSERT_EQ(head.size(), whole.size());
  for (size_t k = 0; k < whole.size(); ++k) {
    ASSERT_EQ(head.id(k), whole.id(k)) << k;
    ASSERT_EQ(head.ts(k), whole.ts(k)) << k;
    ASSERT_EQ(head.source_id(k), whole.source_id(k)) << k;
  }
  EXPECT_EQ(head.id(4095), 3 * 4096);
  // The whole blob as the prefix works too; a damaged whole blob is refused.
  EXPECT_EQ(head.DecodeHeader(blob, blob.size()), DecodedBlock::Header::kOk);
  // Too little of the payload decoded: more wanted; enough for the arrays (4096 events, a few
  // bytes each) and no more: read.
  EXPECT_EQ(head.DecodeHeader(blob, blob.size(), 1024), DecodedBlock::Header::kNeedMore);
  EXPECT_EQ(head.DecodeHeader(blob, blob.size(), 64 * 1024), DecodedBlock::Header::kOk);
  EXPECT_EQ(head.id(4095), 3 * 4096);
  std::string huge = blob;
  huge[3] = static_cast<char>(0x7f);
  EXPECT_EQ(head.DecodeHeader(huge, huge.size()), DecodedBlock::Header::kDamaged);
  EXPECT_EQ(head.DecodeHeader(std::string_view(blob).substr(0, 64), 32), DecodedBlock::Header::kDamaged);
}

TEST(EventBlocksTest, SourceListsParse) {
  std::vector<int64_t> ids;
  ASSERT_TRUE(ParseBlockSources("3,4,12", &ids));
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 4, 12}));
  ASSERT_TRUE(ParseBlockSources("", &ids));
  EXPECT_TRUE(ids.empty());
  EXPECT_FALSE(ParseBlockSources("3,,4", &ids));
  EXPECT_FALSE(ParseBlockSources("3;4", &ids));
}

}  // namespace
}  // namespace cairn::store
