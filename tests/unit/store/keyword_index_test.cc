#include "engine/store/keyword_index.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/store/case_store.h"
#include "tests/testing/testing.h"

namespace cairn::store {
namespace {

using Ids = std::vector<int64_t>;

std::vector<std::string> Keys(std::string_view text) {
  std::vector<std::string> out;
  ForEachKeyword(text, [&](std::string_view key) { out.emplace_back(key); });
  return out;
}

TEST(KeywordIndexTest, TokenizerTakesWholeWordsLowerCased) {
  EXPECT_EQ(Keys("GET /b/Key_1 HTTP/1.1 403"),
            (std::vector<std::string>{"get", "b", "key_1", "http", "1", "1", "403"}));
  EXPECT_EQ(Keys(""), std::vector<std::string>{});
  EXPECT_EQ(Keys("  --  "), std::vector<std::string>{});
  // '_' and digits are word bytes; so is every byte >= 0x80 (UTF-8 stays whole, only ASCII folds).
  EXPECT_EQ(Keys("__init__ 0xFF x9y"), (std::vector<std::string>{"__init__", "0xff", "x9y"}));
  EXPECT_EQ(Keys("Caf\xC3\xA9-\xC3\x89" "COLE"),
            (std::vector<std::string>{"caf\xC3\xA9", "\xC3\x89" "cole"}));
  EXPECT_EQ(Keys("a\xE2\x80\x99s b"), (std::vector<std::string>{"a\xE2\x80\x99s", "b"}));
  EXPECT_EQ(Keys("bad\xFF\xFEutf8"), (std::vector<std::string>{"bad\xFF\xFEutf8"}));
  // JSON punctuation separates.
  EXPECT_EQ(Keys("{\"eventName\":\"GetObject\",\"x\":[1,2]}"),
            (std::vector<std::string>{"eventname", "getobject", "x", "1", "2"}));
  // Long words are cut to kMaxKeywordBytes.
  std::string long_word(100, 'A');
  auto keys = Keys("x " + long_word + " y");
  ASSERT_EQ(keys.size(), 3u);
  EXPECT_EQ(keys[1], std::string(kMaxKeywordBytes, 'a'));
}

// Every (key, ids) in the case's kw tables.
std::map<std::string, std::set<int64_t>> DumpIndex(CaseStore& store) {
  std::map<std::string, std::set<int64_t>> out;
  auto st = store.Prepare("SELECT postings FROM kw ORDER BY seg, first_key");
  EXPECT_TRUE(st.ok());
  while (*st->Step()) {
    std::string_view data = st->Text(0);
    bool ok = ForEachBlockEntry(data, [&](std::string_view key, std::string_view postings) {
      Ids ids;
      EXPECT_TRUE(DecodePostings(postings, &ids));
      EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
      out[std::string(key)].insert(ids.begin(), ids.end());
      return true;
    });
    EXPECT_TRUE(ok);
  }
  return out;
}

struct Corpus {
  std::vector<std::pair<int64_t, std::string>> events;
  std::map<std::string, std::set<int64_t>> expected;
};

// Deterministic events: common words, rare ones, long ones and shared prefixes.
Corpus MakeCorpus(int count, int64_t first_id = 1, int64_t id_step = 1) {
  Corpus c;
  uint64_t state = 88172645463325252ULL;
  auto next = [&]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int64_t id = first_id;
  for (int k = 0; k < count; ++k, id += id_step) {
    std::string raw = "GET user" + std::to_string(next() % 500) + " req-" + std::to_string(next()) +
                      " status=" + std::to_string(200 + next() % 5) + " Prefix" +
                      std::to_string(next() % 40) + " " + std::string(20 + next() % 30, 'z') +
                      std::to_string(next() % 3) + " get";
    c.events.emplace_back(id, raw);
    ForEachKeyword(raw, [&](std::string_view key) { c.expected[std::string(key)].insert(id); });
  }
  return c;
}

TEST(KeywordIndexTest, PostingsRoundTripThroughSegments) {
  auto store = CaseStore::OpenMemory();
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  ASSERT_TRUE(s.Begin().ok());
  ASSERT_TRUE(s.StartKeywordIndex().ok());
  Corpus c = MakeCorpus(3000, 5, 3);  // gaps between ids; several segments and many blocks
  KeywordIndexBuilder builder;
  int64_t segments = 0;
  for (size_t k = 0; k < c.events.size(); ++k) {
    builder.Add(c.events[k].first, c.events[k].second);
    if (k % 1000 == 999) {
      KeywordSegment seg = builder.TakeSegment();
      EXPECT_GT(seg.blocks.size(), 3u);
      EXPECT_EQ(seg.last_id, c.events[k].first);
      ASSERT_TRUE(s.WriteKeywordSegment(seg).ok());
      ++segments;
    }
  }
  EXPECT_TRUE(builder.empty());
  ASSERT_TRUE(s.Commit().ok());
  EXPECT_EQ(segments, 3);
  EXPECT_EQ(*s.KeywordWatermark(), c.events.back().first);
  EXPECT_EQ(DumpIndex(s), c.expected);

  // Exact lookups.
  for (const char* key : {"get", "user17", "status", "204", "prefix3"}) {
    auto ids = s.KeywordCandidates(key);
    ASSERT_TRUE(ids.ok()) << ids.error().ToString();
    const auto& want = c.expected[key];
    EXPECT_EQ(*ids, Ids(want.begin(), want.end())) << key;
  }
  EXPECT_TRUE(s.KeywordCandidates("nosuchword")->empty());
  EXPECT_TRUE(s.KeywordCandidates("gett")->empty());
  // A long word is found under its first kMaxKeywordBytes bytes (all z-runs longer than that).
  auto z = s.KeywordCandidates(std::string(60, 'z') + "1");
  ASSERT_TRUE(z.ok());
  const auto& cut = c.expected[std::string(kMaxKeywordBytes, 'z')];  // z-runs of 32 and more
  EXPECT_GT(cut.size(), 100u);
  EXPECT_EQ(*z, Ids(cut.begin(), cut.end()));

  // Prefixes: across blocks and segments.
  auto prefix = [&](const std::string& p) {
    std::set<int64_t> want;
    for (const auto& [key, ids] : c.expected) {
      if (key.compare(0, p.size(), p) == 0) want.insert(ids.begin(), ids.end());
    }
    return Ids(want.begin(), want.end());
  };
  for (const char* p : {"user1", "user", "prefix1", "req", "g", "st", "a", "zzzz", "0"}) {
    auto ids = s.KeywordCandidates(std::string(p) + "*");
    ASSERT_TRUE(ids.ok());
    EXPECT_EQ(*ids, prefix(p)) << p;
  }
  // AND / OR.
  auto both = s.KeywordCandidates("(& user17 prefix3)");
  ASSERT_TRUE(both.ok());
  Ids want_both;
  for (int64_t id : c.expected["user17"]) {
    if (c.expected["prefix3"].count(id)) want_both.push_back(id);
  }
  EXPECT_EQ(*both, want_both);
  auto either = s.KeywordCandidates("(| user17 (& prefix3 get) nosuchword)");
  ASSERT_TRUE(either.ok());
  std::set<int64_t> want_either(c.expected["user17"].begin(), c.expected["user17"].end());
  want_either.insert(c.expected["prefix3"].begin(), c.expected["prefix3"].end());
  EXPECT_EQ(*either, Ids(want_either.begin(), want_either.end()));

  // The table function gives the same, and errors are reported.
  auto st = s.Prepare("SELECT count(*) FROM cairn_kw('user17')");
  ASSERT_TRUE(st.ok());
  ASSERT_TRUE(*st->Step());
  EXPECT_EQ(st->Int(0), static_cast<int64_t>(c.expected["user17"].size()));
  EXPECT_FALSE(s.KeywordCandidates("(& user17").ok());
  EXPECT_FALSE(s.KeywordCandidates("").ok());
  EXPECT_FALSE(s.KeywordCandidates("a b").ok());
}

Event MakeEvent(std::string raw) {
  Event e;
  e.time = 1000;
  e.source_type = SourceType::kGeneric;
  e.raw = std::move(raw);
  return e;
}

// A generic source in s: its id.
Result<int64_t> AddGenericSource(CaseStore& s) {
  SourceRecord src;
  src.path = "x.log";
  src.sha256 = "x";
  src.format = "generic";
  return s.AddSource(src);
}

TEST(KeywordIndexTest, EventsAboveTheWatermarkAreAlwaysCandidates) {
  auto store = CaseStore::OpenMemory();
  ASSERT_TRUE(store.ok());
  auto& s = **store;
  auto source = AddGenericSource(s);
  ASSERT_TRUE(source.ok());
  // No index at all: every event is a candidate.
  ASSERT_TRUE(s.InsertEvent(MakeEvent("alpha beta"), *source).ok());
  ASSERT_TRUE(s.InsertEvent(MakeEvent("gamma"), *source).ok());
  EXPECT_EQ(*s.KeywordCandidates("beta"), (Ids{1, 2}));
  ASSERT_TRUE(s.IndexKeywords().ok());
  EXPECT_EQ(*s.KeywordWatermark(), 2);
  EXPECT_EQ(*s.KeywordCandidates("beta"), (Ids{1}));
  EXPECT_EQ(*s.KeywordCandidates("BETA"), (Ids{1}));  // keys fold like the tokenizer
  EXPECT_EQ(*s.KeywordCandidates("*"), (Ids{1, 2}));
  // Inserted but not yet indexed: a candidate of every lookup.
  ASSERT_TRUE(s.InsertEvent(MakeEvent("delta"), *source).ok());
  EXPECT_EQ(*s.KeywordCandidates("beta"), (Ids{1, 3}));
  EXPECT_EQ(*s.KeywordCandidates("(& beta delta)"), (Ids{3}));
  ASSERT_TRUE(s.IndexKeywords().ok());
  EXPECT_EQ(*s.KeywordCandidates("beta"), (Ids{1}));
  EXPECT_EQ(*s.KeywordCandidates("delta"), (Ids{3}));
  EXPECT_EQ(*s.KeywordCandidates("(| alpha delta)"), (Ids{1, 3}));
  EXPECT_EQ(*s.KeywordCandidates("(| alpha *)"), (Ids{1, 2, 3}));
  ASSERT_TRUE(s.IndexKeywords().ok());  // nothing new: no segment
  auto segs = s.Prepare("SELECT count(*) FROM kw_segments");
  ASSERT_TRUE(*segs->Step());
  EXPECT_EQ(segs->Int(0), 2);
}

// A case written before the kw tables: FTS5 events_fts (over events.raw) answers until the case is
// opened for writing, which moves the text into blocks and drops it; the next indexing indexes
// every event.
TEST(KeywordIndexTest, CasesWithTheOldFtsIndexKeepWorkingAndMigrate) {
  testing::TempDir dir;
  auto path = (dir / "old.cairn").string();
  {
    auto store = CaseStore::Open(path, CaseStore::Mode::kCreate);
    ASSERT_TRUE(store.ok());
    auto& s = **store;
    auto source = AddGenericSource(s);
    ASSERT_TRUE(source.ok());
    ASSERT_TRUE(s.InsertEvent(MakeEvent("PUT 403 InvalidAccessKeyId key_1"), *source).ok());
    ASSERT_TRUE(s.InsertEvent(MakeEvent("GET 200 errors caf\xC3\xA9"), *source).ok());
    ASSERT_TRUE(s.InsertEvent(MakeEvent("GET 404 error"), *source).ok());
    // What a schema-1 case holds: the text in events.raw, an FTS5 index over it, no blocks.
    ASSERT_TRUE(s.Exec("ALTER TABLE events ADD COLUMN raw TEXT; UPDATE events SET raw = cairn_raw(id); "
                       "DELETE FROM event_blocks; DELETE FROM event_block_data; DELETE FROM meta WHERE key='event_blocks';"
                       "CREATE VIRTUAL TABLE events_fts USING fts5(raw, content='events', content_rowid='id', "
                       "detail=full, columnsize=0, tokenize=\"unicode61 remove_diacritics 0 tokenchars '_'\");"
                       "INSERT INTO events_fts(rowid, raw) SELECT id, raw FROM events;"
                       "DROP TABLE kw; DROP TABLE kw_segments; UPDATE meta SET value='1' "
                       "WHERE key='schema_version'")
                    .ok());
  }
  {
    auto store = CaseStore::Open(path, CaseStore::Mode::kReadOnly);
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    auto& s = **store;
    EXPECT_FALSE(s.KeywordWatermark()->has_value());
    EXPECT_EQ(*s.KeywordCandidates("invalidaccesskeyid"), (Ids{1}));
    EXPECT_EQ(*s.KeywordCandidates("error"), (Ids{3}));
    EXPECT_EQ(*s.KeywordCandidates("err*"), (Ids{2, 3}));
    EXPECT_EQ(*s.KeywordCandidates("(& get (| 404 200))"), (Ids{2, 3}));
    EXPECT_EQ(*s.KeywordCandidates("key_1"), (Ids{1}));
    // Non-ASCII keys are not asked of FTS5 (it splits them otherwise): every event.
    EXPECT_EQ(*s.KeywordCandidates("caf\xC3\xA9"), (Ids{1, 2, 3}));
    EXPECT_EQ(*s.KeywordCandidates("(& get caf\xC3\xA9)"), (Ids{2, 3}));
  }
  {
    auto store = CaseStore::Open(path, CaseStore::Mode::kReadWrite);  // creates the kw tables
    ASSERT_TRUE(store.ok()) << store.error().ToString();
    auto& s = **store;
    auto fts = s.Prepare("SELECT count(*) FROM sqlite_master WHERE name LIKE 'events_fts%'");
    ASSERT_TRUE(*fts->Step());
    EXPECT_EQ(fts->Int(0), 0);
    fts->Reset();
    EXPECT_EQ(*s.KeywordWatermark(), 0);
    EXPECT_EQ(*s.KeywordCandidates("error"), (Ids{1, 2, 3}));  // nothing indexed: every event
    ASSERT_TRUE(s.IndexKeywords().ok());
    EXPECT_EQ(*s.KeywordWatermark(), 3);
    EXPECT_EQ(*s.KeywordCandidates("error"), (Ids{3}));
    EXPECT_EQ(*s.KeywordCandidates("caf\xC3\xA9"), (Ids{2}));
    EXPECT_EQ(*s.KeywordCandidates("err*"), (Ids{2, 3}));
  }
}

// LEB128 as read by every decoder of the case (postings, event blocks, leaf columns): each length
// of encoding, and the fast paths' edges, read back exactly; truncated or overlong input refused.
TEST(KeywordIndexTest, VarintsReadBackAtEveryLength) {
  std::vector<uint64_t> values;
  for (int bits = 0; bits <= 64; ++bits) {
    const uint64_t top = bits == 64 ? UINT64_MAX : (uint64_t{1} << bits);
    for (uint64_t v : {top - 1, top, top + 1}) values.push_back(v);
  }
  std::string bytes;
  for (uint64_t v : values) internal::AppendVarint(&bytes, v);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const auto* end = p + bytes.size();
  for (uint64_t want : values) {
    uint64_t got = 0;
    ASSERT_TRUE(internal::ReadVarint(p, end, &got)) << want;
    EXPECT_EQ(got, want);
  }
  EXPECT_EQ(p, end);

  // 127, 128 and 16,383 take 1, 2 and 2 bytes; 16,384 takes 3.
  for (auto [value, length] : std::vector<std::pair<uint64_t, size_t>>{{127, 1}, {128, 2}, {16383, 2}, {16384, 3}}) {
    std::string one;
    internal::AppendVarint(&one, value);
    EXPECT_EQ(one.size(), length) << value;
    // Every proper prefix is refused, and leaves nothing read past its end.
    for (size_t cut = 0; cut < one.size(); ++cut) {
      const auto* q = reinterpret_cast<const unsigned char*>(one.data());
      uint64_t got = 0;
      EXPECT_FALSE(internal::ReadVarint(q, q + cut, &got)) << value << " cut at " << cut;
    }
  }
  // Eleven continuation bytes: more than 64 bits.
  const std::string overlong(11, '\x80');
  const auto* q = reinterpret_cast<const unsigned char*>(overlong.data());
  uint64_t got = 0;
  EXPECT_FALSE(internal::ReadVarint(q, q + overlong.size(), &got));
}

}  // namespace
}  // namespace cairn::store
