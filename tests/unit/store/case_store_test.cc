#include "engine/store/case_store.h"
#include "engine/store/event_blocks.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/testing/testing.h"

namespace cairn::store {
namespace {

Event MakeEvent(TimeMs t, std::string raw, uint64_t dedupe = 0, std::string event_id = "") {
  Event e;
  e.time = t;
  e.source_type = SourceType::kCloudTrail;
  e.raw = std::move(raw);
  e.dedupe = dedupe;
  e.event_id = std::move(event_id);
  return e;
}

// A source to hang events on.
Result<int64_t> AddSource(CaseStore& s, const std::string& format) {
  SourceRecord src;
  src.path = "a." + format;
  src.sha256 = "abc";
  src.format = format;
  return s.AddSource(src);
}

TEST(CaseStoreTest, InsertsAndDeduplicatesByContent) {
  auto store = CaseStore::OpenMemory();
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto& s = **store;
  SourceRecord src;
  src.path = "a.json";
  src.sha256 = "abc";
  src.format = "cloudtrail";
  src.categories = {"aws/cloudtrail", "ct"};
  auto id = s.AddSource(src);
  ASSERT_TRUE(id.ok());
  auto first = s.InsertEvent(MakeEvent(1000, "{\"a\":1}", 42, "e1"), *id);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto again = s.InsertEvent(MakeEvent(1000, "{\"a\":1}", 42, "e1"), *id);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  // Same eventID, different content: kept, and recorded as a collision by FindCollisions.
  auto other = s.InsertEvent(MakeEvent(2000, "{\"a\":2}", 43, "e1"), *id);
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(*other);
  ASSERT_TRUE(s.InsertEvent(MakeEvent(3000, "{\"a\":3}", 44, "e2"), *id).ok());
  auto found = s.FindCollisions();
  ASSERT_TRUE(found.ok()) << found.error().ToString();
  EXPECT_EQ(*found, 1);
  EXPECT_EQ(*s.GetMeta("collisions_through"), std::optional<std::string>("3"));
  EXPECT_EQ(*s.FindCollisions(), 0);  // nothing new above the mark
  // A third copy of e1 and a second of e2, in a later round: each against the first.
  ASSERT_TRUE(s.InsertEvent(MakeEvent(4000, "{\"a\":4}", 45, "e1"), *id).ok());
  ASSERT_TRUE(s.InsertEvent(MakeEvent(5000, "{\"a\":5}", 46, "e2"), *id).ok());
  EXPECT_EQ(*s.FindCollisions(), 2);
  {
    auto rows = s.Prepare("SELECT event_id || ':' || first_event || ':' || other_event FROM collisions ORDER BY rowid");
    ASSERT_TRUE(rows.ok());
    std::vector<std::string> got;
    while (*rows->Step()) got.emplace_back(rows->Text(0));
    EXPECT_EQ(got, (std::vector<std::string>{"e1:1:2", "e1:1:4", "e2:3:5"}));
  }
  src.id = *id;
  src.events = 5;
  src.first_event = 1000;
  src.last_event = 5000;
  ASSERT_TRUE(s.FinishSource(src).ok());
  auto stats = s.Stats();
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ(stats->events, 5);
  EXPECT_EQ(stats->collisions, 3);
  EXPECT_EQ(stats->sources, 1);
  ASSERT_EQ(stats->by_category.size(), 2u);
  EXPECT_EQ(*stats->first_event, 1000);
  EXPECT_EQ(*stats->last_event, 5000);
}

TEST(CaseStoreTest, KeywordIndexIsCaseInsensitiveWholeWord) {
  auto store = CaseStore::OpenMemory();
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  SourceRecord src{};
  src.path = "s3.log";
  src.sha256 = "x";
  src.format = "s3_access";
  auto id = s.AddSource(src);
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(s.InsertEvent(MakeEvent(1, "PUT 403 InvalidAccessKeyId key_1"), *id).ok());
  ASSERT_TRUE(s.InsertEvent(MakeEvent(2, "GET 200 errors"), *id).ok());
  ASSERT_TRUE(s.IndexKeywords().ok());
  EXPECT_EQ(*s.KeywordCandidates("invalidaccesskeyid"), std::vector<int64_t>{1});
  EXPECT_TRUE(s.KeywordCandidates("error")->empty());  // "errors" is a different word
  EXPECT_EQ(*s.KeywordCandidates("key_1"), std::vector<int64_t>{1});  // '_' is part of a word
  auto st = s.Prepare("SELECT id FROM cairn_kw('(| get put)') ORDER BY id");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Int(0), 1);
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Int(0), 2);
  EXPECT_FALSE(*st->Step());
}

TEST(CaseStoreTest, RejectsNonCaseFiles) {
  testing::TempDir dir;
  testing::WriteFile(dir / "not-a-case.cairn", "hello, I am text");
  auto store = CaseStore::Open((dir / "not-a-case.cairn").string(), CaseStore::Mode::kReadOnly);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().code(), ErrorCode::kSchema);
  auto missing = CaseStore::Open((dir / "missing.cairn").string(), CaseStore::Mode::kReadOnly);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace cairn::store

namespace cairn::store {
namespace {

// A blob reader moves one handle from row to row: every row reads back exactly, whatever its
// size (the buffer grows and shrinks without stale bytes showing), a missing row is an error
// naming it, and the reader keeps working after one.
TEST(CaseStoreTest, BlobReaderReadsRowAfterRowAndRecoversFromAMissingOne) {
  auto store = CaseStore::OpenMemory();
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  ASSERT_TRUE(s.Exec("CREATE TABLE b(id INTEGER PRIMARY KEY, data BLOB NOT NULL)").ok());
  const std::vector<std::string> rows = {std::string(70000, 'a'), "bc", std::string("\0\1\2", 3), ""};
  for (size_t k = 0; k < rows.size(); ++k) {
    auto ins = s.Prepare("INSERT INTO b(id, data) VALUES(?, CAST(? AS BLOB))");
    ASSERT_TRUE(ins.ok());
    ins->Bind(1, static_cast<int64_t>(k + 1)).Bind(2, std::string_view(rows[k]));
    ASSERT_TRUE(ins->Step().ok());
  }
  auto reader = s.NewBlobReader("b", "data");
  ByteBuffer buf;
  for (size_t k = 0; k < rows.size(); ++k) {
    ASSERT_TRUE(reader->Read(static_cast<int64_t>(k + 1), &buf).ok()) << k;
    EXPECT_EQ(buf.view(), rows[k]) << k;
  }
  Status missing = reader->Read(9, &buf);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kIo);
  EXPECT_NE(missing.error().message().find("cannot read b.data of row 9"), std::string::npos)
      << missing.error().message();
  ASSERT_TRUE(reader->Read(2, &buf).ok());
  EXPECT_EQ(buf.view(), "bc");
  ASSERT_TRUE(reader->Read(1, &buf).ok());
  EXPECT_EQ(buf.view(), rows[0]);
  // Prefixes: the first bytes and the whole size; a prefix longer than the blob is the blob.
  size_t total = 0;
  ASSERT_TRUE(reader->ReadPrefix(1, 100, &buf, &total).ok());
  EXPECT_EQ(buf.view(), std::string(100, 'a'));
  EXPECT_EQ(total, 70000u);
  ASSERT_TRUE(reader->ReadPrefix(2, 100, &buf, &total).ok());
  EXPECT_EQ(buf.view(), "bc");
  EXPECT_EQ(total, 2u);
}

TEST(CaseStoreTest, NewCasesGetLargePagesAndOldOnesKeepTheirs) {
  testing::TempDir dir;
  const std::string fresh = (dir / "new.cairn").string();
  {
    auto store = CaseStore::Open(fresh, CaseStore::Mode::kCreate);
    ASSERT_TRUE(store.ok());
    EXPECT_EQ(testing::QueryInt(**store, "PRAGMA page_size"), 65536);
  }
  // A case made with SQLite's default pages (as before) opens and keeps them.
  const std::string old = (dir / "old.cairn").string();
  {
    auto store = CaseStore::Open(old, CaseStore::Mode::kCreate);
    ASSERT_TRUE(store.ok());
  }
  {
    // Rebuilt with 4 KiB pages: VACUUM may change the page size outside WAL mode.
    auto store = CaseStore::Open(old, CaseStore::Mode::kCreate);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Exec("PRAGMA journal_mode=DELETE; PRAGMA page_size=4096; VACUUM; PRAGMA journal_mode=WAL").ok());
    EXPECT_EQ(testing::QueryInt(**store, "PRAGMA page_size"), 4096);
  }
  auto reopened = CaseStore::Open(old, CaseStore::Mode::kCreate);
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(testing::QueryInt(**reopened, "PRAGMA page_size"), 4096);
}

// Collisions found in rounds, by one pass over the index or by a lookup per new event: the same
// rows, each new copy of an eventID against the first event with it.
TEST(CaseStoreTest, CollisionsAreTheSameByScanAndByLookup) {
  std::vector<std::vector<std::string>> tables;
  for (auto search : {CaseStore::CollisionSearch::kScan, CaseStore::CollisionSearch::kLookup,
                      CaseStore::CollisionSearch::kAuto}) {
    auto store = CaseStore::OpenMemory();
    ASSERT_TRUE(store.ok());
    auto& s = **store;
    auto id = AddSource(s, "cloudtrail");
    ASSERT_TRUE(id.ok());
    uint64_t content = 100;
    // Round 1: ids 1..40, eventIDs e0..e29 then e0..e9 again (10 collisions).
    for (int k = 0; k < 40; ++k) {
      ASSERT_TRUE(s.InsertEvent(MakeEvent(1000 + k, "{}", ++content, "e" + std::to_string(k % 30)), *id).ok());
    }
    auto first = s.FindCollisions(search);
    ASSERT_TRUE(first.ok()) << first.error().ToString();
    EXPECT_EQ(*first, 10);
    // Round 2: ids 41..43: e5 a third time, a new e99 twice, and an event without an eventID.
    ASSERT_TRUE(s.InsertEvent(MakeEvent(2000, "{}", ++content, "e5"), *id).ok());
    ASSERT_TRUE(s.InsertEvent(MakeEvent(2001, "{}", ++content, "e99"), *id).ok());
    ASSERT_TRUE(s.InsertEvent(MakeEvent(2002, "{}", ++content, "e99"), *id).ok());
    ASSERT_TRUE(s.InsertEvent(MakeEvent(2003, "{}", ++content, ""), *id).ok());
    auto second = s.FindCollisions(search);
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(*second, 2);
    auto rows = s.Prepare("SELECT event_id || ':' || first_event || ':' || other_event FROM collisions ORDER BY rowid");
    ASSERT_TRUE(rows.ok());
    std::vector<std::string> got;
    while (*rows->Step()) got.emplace_back(rows->Text(0));
    tables.push_back(got);
  }
  std::vector<std::string> expected;
  for (int k = 0; k < 10; ++k) expected.push_back("e" + std::to_string(k) + ":" + std::to_string(k + 1) + ":" + std::to_string(k + 31));
  expected.push_back("e5:6:41");
  expected.push_back("e99:42:43");
  EXPECT_EQ(tables[0], expected);
  EXPECT_EQ(tables[1], expected);
  EXPECT_EQ(tables[2], expected);
}

// cairn_raw(id): the text of each event from its block, across full and partial blocks, for
// events of the open transaction not yet in a block, after a rollback that frees ids for new
// events, for ids no event has, and an error naming a damaged block.
TEST(CaseStoreTest, CairnRawReadsEachEventsTextFromTheBlocks) {
  testing::TempDir dir;
  auto store = CaseStore::Open((dir / "c.cairn").string(), CaseStore::Mode::kCreate);
  ASSERT_TRUE(store.ok()) << store.error().ToString();
  auto& s = **store;
  auto source = AddSource(s, "generic");
  ASSERT_TRUE(source.ok());
  auto text_of = [](int n) { return "event " + std::to_string(n) + " " + std::string(static_cast<size_t>(n % 7) * 50, 'x'); };
  auto raw = [&](int64_t id) -> std::string {
    auto st = s.Prepare("SELECT coalesce(cairn_raw(?), '<null>')");
    EXPECT_TRUE(st.ok());
    st->Bind(1, id);
    auto row = st->Step();
    EXPECT_TRUE(row.ok()) << row.error().ToString();
    return row.ok() && *row ? std::string(st->Text(0)) : "<error>";
  };
  // Two full blocks and a partial one in the first transaction.
  const int n = static_cast<int>(2 * kBlockMaxEvents + 10);
  ASSERT_TRUE(s.Begin().ok());
  for (int k = 1; k <= n; ++k) {
    Event e = MakeEvent(1000 + k, text_of(k));
    ASSERT_TRUE(s.InsertEvent(e, *source).ok());
  }
  // Inside the transaction: the full blocks are written, the rest is still open.
  EXPECT_EQ(testing::QueryInt(s, "SELECT count(*) FROM event_blocks"), 2);
  EXPECT_EQ(raw(1), text_of(1));
  EXPECT_EQ(raw(n), text_of(n));
  ASSERT_TRUE(s.Commit().ok());
  EXPECT_EQ(testing::QueryInt(s, "SELECT count(*) FROM event_blocks"), 3);
  EXPECT_EQ(testing::QueryInt(s, "SELECT sum(events) FROM event_blocks"), n);
  // Every event, in id order and backwards (other blocks in between).
  EXPECT_EQ(testing::QueryInt(s, "SELECT count(*) FROM events WHERE cairn_raw(id) = 'event ' || id || ' ' || "
                                 "substr(printf('%.*c', 300, 'x'), 1, (id % 7) * 50)"), n);
  for (int k = n; k >= 1; k -= 997) EXPECT_EQ(raw(k), text_of(k)) << k;
  EXPECT_EQ(raw(0), "<null>");
  EXPECT_EQ(raw(n + 1), "<null>");
  // A rolled-back event's id goes to the next event: its text, not the old one.
  // (A full block of them was written and read, so a stale decoded block would show.)
  ASSERT_TRUE(s.Begin().ok());
  for (int k = 0; k <= static_cast<int>(kBlockMaxEvents); ++k) {
    ASSERT_TRUE(s.InsertEvent(MakeEvent(5, "rolled back " + std::to_string(k)), *source).ok());
  }
  EXPECT_EQ(testing::QueryInt(s, "SELECT count(*) FROM event_blocks"), 4);
  EXPECT_EQ(raw(n + 1), "rolled back 0");
  ASSERT_TRUE(s.Rollback().ok());
  EXPECT_EQ(raw(n + 1), "<null>");
  ASSERT_TRUE(s.InsertEvent(MakeEvent(6, "kept"), *source).ok());  // a transaction of its own
  EXPECT_EQ(raw(n + 1), "kept");
  EXPECT_EQ(testing::QueryInt(s, "SELECT count(*) FROM event_blocks"), 4);
  // Another connection reads the same text.
  {
    auto other = CaseStore::Open((dir / "c.cairn").string(), CaseStore::Mode::kReadOnly);
    ASSERT_TRUE(other.ok());
    EXPECT_EQ(testing::QueryInt(**other, "SELECT count(*) FROM events WHERE cairn_raw(id) IS NOT NULL"), n + 1);
  }
  // A damaged block: the statement fails and names it.
  ASSERT_TRUE(s.Exec("UPDATE event_block_data SET data = x'0100000000' WHERE first_id = 1").ok());
  {
    auto fresh = CaseStore::Open((dir / "c.cairn").string(), CaseStore::Mode::kReadOnly);
    ASSERT_TRUE(fresh.ok());
    auto st = (*fresh)->Prepare("SELECT cairn_raw(2)");
    ASSERT_TRUE(st.ok());
    auto row = st->Step();
    ASSERT_FALSE(row.ok());
    EXPECT_NE(row.error().message().find("event block 1 of the case is damaged"), std::string::npos)
        << row.error().message();
  }
}

}  // namespace
}  // namespace cairn::store
