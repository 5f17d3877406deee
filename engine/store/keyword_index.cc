// The keyword index: in-memory postings (KeywordIndexBuilder), their block encoding, and the
// lookup side (expressions, the cairn_kw table function).
//
// Block format (one kw row): entries in key order, each
//   varint shared   bytes shared with the previous key of the block (0 for the first)
//   varint suffix   length of the rest of the key, then those bytes
//   varint n        length of the postings, then the postings: event ids ascending, each as the
//                   varint of its difference to the previous one (the first: the id itself)
// A block is closed before it passes kBlockBytes (a single larger entry gets a block of its own),
// so most rows fit in one 4 KiB page.
#include "engine/store/keyword_index.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <optional>

#include "engine/common/memory.h"
#include "engine/store/keyword_index_internal.h"

namespace cairn::store {

namespace internal {

bool ReadVarintSlow(const unsigned char*& p, const unsigned char* end, uint64_t* out) {
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (p >= end) return false;
    unsigned char b = *p++;
    value |= static_cast<uint64_t>(b & 0x7f) << shift;
    if ((b & 0x80) == 0) {
      *out = value;
      return true;
    }
  }
  return false;
}

void AppendVarint(std::string* out, uint64_t value) {
  char buf[10];
  size_t n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out->append(buf, n);
}

}  // namespace internal

namespace {

constexpr size_t kBlockBytes = 3900;

using internal::AppendVarint;

size_t VarintSize(uint64_t value) {
  size_t n = 1;
  while (value >= 0x80) {
    value >>= 7;
    ++n;
  }
  return n;
}

uint64_t HashKey(std::string_view key) {
  const char* p = key.data();
  size_t n = key.size();
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xff51afd7ed558ccdULL);
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, 8);
    h = (h ^ v) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
    p += 8;
    n -= 8;
  }
  if (n > 0) {
    uint64_t v = 0;
    std::memcpy(&v, p, n);
    h = (h ^ v) * 0x94d049bb133111ebULL;
  }
  h ^= h >> 32;
  h *= 0xd6e8feb86659fd93ULL;
  h ^= h >> 32;
  return h;
}

}  // namespace

bool DecodePostings(std::string_view postings, std::vector<int64_t>* out) {
  // At most a byte per id. Geometric growth: one list is read segment by segment, and an exact
  // reserve per segment would copy the whole list each time.
  const size_t need = out->size() + postings.size();
  if (need > out->capacity()) out->reserve(std::max(need, 2 * out->capacity()));
  const auto* p = reinterpret_cast<const unsigned char*>(postings.data());
  const auto* end = p + postings.size();
  int64_t id = 0;
  while (p < end) {
    uint64_t delta = 0;
    if (!internal::ReadVarint(p, end, &delta)) return false;
    id += static_cast<int64_t>(delta);
    out->push_back(id);
  }
  return true;
}

// ---- builder ----

struct KeywordIndexBuilder::Impl {
  struct Entry {
    uint64_t hash;
    uint32_t key_offset;
    uint32_t key_length;
    int64_t last_id;
    std::string postings;
  };
  std::string arena;             // key bytes
  std::vector<Entry> entries;
  // (hash tag << 32) | (entry index + 1), 0 = empty; size a power of two. The tag (high bits of
  // the hash) spares a visit to the entry for most slots of other keys.
  std::vector<uint64_t> slots;
  int64_t postings = 0;
  int64_t first_id = 0;
  int64_t last_id = 0;
  bool any = false;

  Impl() { slots.assign(1 << 16, 0); }

  // Starts over, keeping the memory (the next segment needs about as much).
  void Clear() {
    arena.clear();
    entries.clear();
    std::fill(slots.begin(), slots.end(), 0);
    postings = 0;
    first_id = last_id = 0;
    any = false;
  }

  std::string_view Key(const Entry& e) const { return {arena.data() + e.key_offset, e.key_length}; }

  static uint64_t SlotValue(uint64_t hash, size_t idx) {
    return (hash & 0xffffffff00000000ULL) | static_cast<uint64_t>(idx + 1);
  }

  void Grow() {
    std::vector<uint64_t> bigger(slots.size() * 2, 0);
    const size_t mask = bigger.size() - 1;
    for (size_t idx = 0; idx < entries.size(); ++idx) {
      size_t slot = entries[idx].hash & mask;
      while (bigger[slot] != 0) slot = (slot + 1) & mask;
      bigger[slot] = SlotValue(entries[idx].hash, idx);
    }
    slots.swap(bigger);
  }

  void AddKey(int64_t id, std::string_view key) {
    const uint64_t hash = HashKey(key);
    const uint64_t tag = hash & 0xffffffff00000000ULL;
    const size_t mask = slots.size() - 1;
    size_t slot = hash & mask;
    while (true) {
      uint64_t s = slots[slot];
      if (s == 0) break;
      if ((s & 0xffffffff00000000ULL) != tag) {
        slot = (slot + 1) & mask;
        continue;
      }
      Entry& e = entries[(s & 0xffffffffULL) - 1];
      if (e.hash == hash && e.key_length == key.size() &&
          std::memcmp(arena.data() + e.key_offset, key.data(), key.size()) == 0) {
        if (e.last_id != id) {
          AppendVarint(&e.postings, static_cast<uint64_t>(id - e.last_id));
          e.last_id = id;
          ++postings;
        }
        return;
      }
      slot = (slot + 1) & mask;
    }
    Entry e{hash, static_cast<uint32_t>(arena.size()), static_cast<uint32_t>(key.size()), id, {}};
    arena.append(key);
    AppendVarint(&e.postings, static_cast<uint64_t>(id));
    entries.push_back(std::move(e));
    slots[slot] = SlotValue(hash, entries.size() - 1);
    ++postings;
    if (entries.size() * 2 > slots.size()) Grow();
  }
};

KeywordIndexBuilder::KeywordIndexBuilder() : impl_(std::make_unique<Impl>()) {}
KeywordIndexBuilder::~KeywordIndexBuilder() = default;
KeywordIndexBuilder::KeywordIndexBuilder(KeywordIndexBuilder&&) noexcept = default;
KeywordIndexBuilder& KeywordIndexBuilder::operator=(KeywordIndexBuilder&&) noexcept = default;

void KeywordIndexBuilder::Add(int64_t id, std::string_view raw) {
  Impl& m = *impl_;
  if (!m.any) {
    m.first_id = id;
    m.any = true;
  }
  m.last_id = id;
  ForEachKeyword(raw, [&](std::string_view key) { m.AddKey(id, key); });
}

bool KeywordIndexBuilder::empty() const { return !impl_->any; }
int64_t KeywordIndexBuilder::postings() const { return impl_->postings; }
int64_t KeywordIndexBuilder::keys() const { return static_cast<int64_t>(impl_->entries.size()); }

KeywordSegment KeywordIndexBuilder::TakeSegment() {
  Impl& m = *impl_;
  KeywordSegment seg;
  seg.first_id = m.first_id;
  seg.last_id = m.last_id;
  seg.keys = static_cast<int64_t>(m.entries.size());
  seg.postings = m.postings;
  // Byte order of the keys: by their first 8 bytes as a big-endian number (keys hold no 0 byte, so
  // the zero padding of a shorter key sorts it first), the whole keys only on a tie.
  struct SortKey {
    uint64_t prefix;
    uint32_t idx;
  };
  std::vector<SortKey> order(m.entries.size());
  for (size_t idx = 0; idx < order.size(); ++idx) {
    std::string_view key = m.Key(m.entries[idx]);
    uint64_t prefix = 0;
    for (size_t k = 0; k < 8; ++k) {
      prefix = (prefix << 8) | (k < key.size() ? static_cast<unsigned char>(key[k]) : 0U);
    }
    order[idx] = {prefix, static_cast<uint32_t>(idx)};
  }
  std::sort(order.begin(), order.end(), [&](const SortKey& a, const SortKey& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return m.Key(m.entries[a.idx]) < m.Key(m.entries[b.idx]);
  });
  KeywordSegment::Block* block = nullptr;
  std::string_view previous;
  for (const SortKey& sorted : order) {
    const uint32_t idx = sorted.idx;
    const Impl::Entry& e = m.entries[idx];
    std::string_view key = m.Key(e);
    size_t shared = 0;
    if (block) {
      size_t limit = std::min(previous.size(), key.size());
      while (shared < limit && previous[shared] == key[shared]) ++shared;
    }
    auto entry_size = [&](size_t sh) {
      return VarintSize(sh) + VarintSize(key.size() - sh) + (key.size() - sh) +
             VarintSize(e.postings.size()) + e.postings.size();
    };
    if (block && block->data.size() + entry_size(shared) > kBlockBytes) block = nullptr;
    if (!block) {
      seg.blocks.emplace_back();
      block = &seg.blocks.back();
      block->first_key.assign(key);
      shared = 0;
    }
    AppendVarint(&block->data, shared);
    AppendVarint(&block->data, key.size() - shared);
    block->data.append(key.substr(shared));
    AppendVarint(&block->data, e.postings.size());
    block->data.append(e.postings);
    previous = key;
  }
  m.Clear();
  return seg;
}

// ---- lookup ----

namespace internal {
namespace {

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using Stmt = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

Error DbError(sqlite3* db, std::string_view what) {
  return Error::Io(std::string(what) + ": " + sqlite3_errmsg(db));
}

Result<Stmt> PrepareStmt(sqlite3* db, const char* sql) {
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
    return DbError(db, "cannot read the keyword index");
  }
  return Stmt(raw);
}

// One lookup expression (keyword_index.h).
struct KwNode {
  enum class Kind { kKey, kPrefix, kAnd, kOr, kAll };
  Kind kind = Kind::kAll;
  std::string key;
  std::vector<KwNode> children;
};

class KwParser {
 public:
  explicit KwParser(std::string_view text) : text_(text) {}

  Result<KwNode> ParseAll() {
    CAIRN_ASSIGN_OR_RETURN(KwNode node, Parse());
    SkipSpace();
    if (pos_ != text_.size()) return Bad("unexpected text after the expression");
    return node;
  }

 private:
  Error Bad(std::string_view what) const {
    return Error::InvalidArgument("bad keyword lookup '" + std::string(text_) + "': " + std::string(what));
  }
  void SkipSpace() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
  }
  Result<KwNode> Parse() {
    SkipSpace();
    if (pos_ >= text_.size()) return Bad("expression expected");
    KwNode node;
    char c = text_[pos_];
    if (c == '(') {
      ++pos_;
      if (pos_ >= text_.size() || (text_[pos_] != '&' && text_[pos_] != '|')) return Bad("'&' or '|' expected");
      node.kind = text_[pos_] == '&' ? KwNode::Kind::kAnd : KwNode::Kind::kOr;
      ++pos_;
      while (true) {
        SkipSpace();
        if (pos_ >= text_.size()) return Bad("')' expected");
        if (text_[pos_] == ')') {
          ++pos_;
          break;
        }
        CAIRN_ASSIGN_OR_RETURN(KwNode child, Parse());
        node.children.push_back(std::move(child));
      }
      if (node.children.empty()) return Bad("empty group");
      return node;
    }
    if (c == '*') {
      ++pos_;
      return node;  // kAll
    }
    size_t start = pos_;
    while (pos_ < text_.size() && IsKeywordByte(static_cast<unsigned char>(text_[pos_]))) ++pos_;
    if (pos_ == start) return Bad("key expected at offset " + std::to_string(start));
    node.key.reserve(pos_ - start);
    for (size_t k = start; k < pos_; ++k) {
      node.key.push_back(static_cast<char>(kKeywordFold[static_cast<unsigned char>(text_[k])]));
    }
    node.kind = KwNode::Kind::kKey;
    if (pos_ < text_.size() && text_[pos_] == '*') {
      ++pos_;
      node.kind = KwNode::Kind::kPrefix;
    }
    return node;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

void Intersect(std::vector<int64_t>* acc, const std::vector<int64_t>& other) {
  std::vector<int64_t> out;
  out.reserve(std::min(acc->size(), other.size()));
  std::set_intersection(acc->begin(), acc->end(), other.begin(), other.end(), std::back_inserter(out));
  acc->swap(out);
}

void Unite(std::vector<int64_t>* acc, const std::vector<int64_t>& other) {
  std::vector<int64_t> out;
  out.reserve(acc->size() + other.size());
  std::set_union(acc->begin(), acc->end(), other.begin(), other.end(), std::back_inserter(out));
  acc->swap(out);
}

void SortUnique(std::vector<int64_t>* ids) {
  if (!std::is_sorted(ids->begin(), ids->end())) std::sort(ids->begin(), ids->end());
  ids->erase(std::unique(ids->begin(), ids->end()), ids->end());
}

void BindBlob(sqlite3_stmt* st, int index, std::string_view bytes) {
  sqlite3_bind_blob64(st, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

std::string_view ColumnBlob(sqlite3_stmt* st, int col) {
  const void* p = sqlite3_column_blob(st, col);
  if (!p) return {};
  return {static_cast<const char*>(p), static_cast<size_t>(sqlite3_column_bytes(st, col))};
}

// The ids of encoded postings that are also in within (ascending), appended to out. False when
// damaged. Intersects without holding the whole list.
bool DecodePostingsWithin(std::string_view postings, const std::vector<int64_t>& within,
                          std::vector<int64_t>* out) {
  const auto* p = reinterpret_cast<const unsigned char*>(postings.data());
  const auto* end = p + postings.size();
  auto next = within.begin();
  int64_t id = 0;
  while (p < end && next != within.end()) {
    uint64_t delta = 0;
    if (!internal::ReadVarint(p, end, &delta)) return false;
    id += static_cast<int64_t>(delta);
    if (*next < id) next = std::lower_bound(next, within.end(), id);
    if (next != within.end() && *next == id) out->push_back(id);
  }
  return true;
}

// Reads postings from the kw tables, segment by segment.
class KwReader {
 public:
  Status Open(sqlite3* db) {
    db_ = db;
    CAIRN_ASSIGN_OR_RETURN(Stmt segs, PrepareStmt(db, "SELECT seg FROM kw_segments ORDER BY seg"));
    while (true) {
      int rc = sqlite3_step(segs.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return DbError(db, "cannot read the keyword index");
      segments_.push_back(sqlite3_column_int64(segs.get(), 0));
    }
    CAIRN_ASSIGN_OR_RETURN(floor_, PrepareStmt(db, "SELECT first_key, postings FROM kw WHERE seg=?1 AND "
                                                   "first_key<=?2 ORDER BY first_key DESC LIMIT 1"));
    CAIRN_ASSIGN_OR_RETURN(range_, PrepareStmt(db, "SELECT first_key, postings FROM kw WHERE seg=?1 AND "
                                                   "first_key>=?2 ORDER BY first_key"));
    return Ok();
  }

  // Events containing the word key (already folded; cut to kMaxKeywordBytes here); only those in
  // *within when given.
  Status Exact(std::string_view key, std::vector<int64_t>* out, const std::vector<int64_t>* within = nullptr) {
    key = key.substr(0, kMaxKeywordBytes);
    // Without `within`, every segment's postings are gathered first (a byte or more per id), so
    // that the ids go into memory reserved once: growing the list segment by segment copied it
    // and touched fresh pages again and again (a third of a keyword query's candidate time).
    gathered_.clear();
    ends_.clear();
    for (int64_t seg : segments_) {
      sqlite3_stmt* st = floor_.get();
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, seg);
      BindBlob(st, 2, key);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_DONE) continue;
      if (rc != SQLITE_ROW) return DbError(db_, "cannot read the keyword index");
      bool ok = true;
      bool damaged = !ForEachBlockEntry(ColumnBlob(st, 1), [&](std::string_view k, std::string_view postings) {
        if (k < key) return true;
        if (k != key) return false;
        if (within) {
          ok = DecodePostingsWithin(postings, *within, out);
        } else {
          gathered_.append(postings);
          ends_.push_back(gathered_.size());
        }
        return false;
      });
      if (damaged || !ok) return Error::CorruptInput("the keyword index of the case is damaged");
    }
    sqlite3_reset(floor_.get());
    if (!within) {
      out->reserve(out->size() + gathered_.size());
      // Mapped in one call: first writes into it took a page fault per 4 KiB (half of the
      // candidates' time for a word in 359,000 events).
      PopulateForWrite(out->data() + out->size(), gathered_.size() * sizeof(int64_t));
      size_t begin = 0;
      for (size_t end : ends_) {
        if (!DecodePostings(std::string_view(gathered_).substr(begin, end - begin), out)) {
          return Error::CorruptInput("the keyword index of the case is damaged");
        }
        begin = end;
      }
    }
    SortUnique(out);
    return Ok();
  }

  // Events containing a word starting with prefix.
  Status Prefix(std::string_view prefix, std::vector<int64_t>* out) {
    if (prefix.size() >= kMaxKeywordBytes) return Exact(prefix, out);
    for (int64_t seg : segments_) {
      sqlite3_stmt* st = floor_.get();
      sqlite3_reset(st);
      sqlite3_bind_int64(st, 1, seg);
      BindBlob(st, 2, prefix);
      int rc = sqlite3_step(st);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return DbError(db_, "cannot read the keyword index");
      std::string start = rc == SQLITE_ROW ? std::string(ColumnBlob(st, 0)) : std::string();
      sqlite3_reset(st);
      sqlite3_stmt* rs = range_.get();
      sqlite3_reset(rs);
      sqlite3_bind_int64(rs, 1, seg);
      BindBlob(rs, 2, start);
      bool done = false;
      while (!done) {
        rc = sqlite3_step(rs);
        if (rc == SQLITE_DONE) break;
        if (rc != SQLITE_ROW) return DbError(db_, "cannot read the keyword index");
        std::string_view first = ColumnBlob(rs, 0);
        if (first > prefix && first.substr(0, prefix.size()) != prefix) break;
        bool ok = true;
        bool damaged = !ForEachBlockEntry(ColumnBlob(rs, 1), [&](std::string_view k, std::string_view postings) {
          if (k.substr(0, prefix.size()) == prefix) {
            ok = ok && DecodePostings(postings, out);
            return true;
          }
          if (k > prefix) {
            done = true;
            return false;
          }
          return true;
        });
        if (damaged || !ok) return Error::CorruptInput("the keyword index of the case is damaged");
      }
      sqlite3_reset(rs);
    }
    SortUnique(out);
    return Ok();
  }

 private:
  sqlite3* db_ = nullptr;
  std::vector<int64_t> segments_;
  std::string gathered_;      // Exact: the postings of every segment, back to back
  std::vector<size_t> ends_;  // and where each segment's end
  Stmt floor_;
  Stmt range_;
};

// nullopt: no constraint (every event).
Result<std::optional<std::vector<int64_t>>> Eval(KwReader& reader, const KwNode& node) {
  using Ids = std::optional<std::vector<int64_t>>;
  switch (node.kind) {
    case KwNode::Kind::kAll: return Ids();
    case KwNode::Kind::kKey: {
      std::vector<int64_t> ids;
      CAIRN_TRY(reader.Exact(node.key, &ids));
      return Ids(std::move(ids));
    }
    case KwNode::Kind::kPrefix: {
      std::vector<int64_t> ids;
      CAIRN_TRY(reader.Prefix(node.key, &ids));
      return Ids(std::move(ids));
    }
    case KwNode::Kind::kAnd: {
      Ids acc;
      for (const KwNode& child : node.children) {
        if (acc && child.kind == KwNode::Kind::kKey) {  // the common case: words of a phrase
          std::vector<int64_t> ids;
          CAIRN_TRY(reader.Exact(child.key, &ids, &*acc));
          acc = std::move(ids);
          if (acc->empty()) break;
          continue;
        }
        CAIRN_ASSIGN_OR_RETURN(Ids ids, Eval(reader, child));
        if (!ids) continue;
        if (!acc) {
          acc = std::move(ids);
        } else {
          Intersect(&*acc, *ids);
        }
        if (acc->empty()) break;
      }
      return acc;
    }
    case KwNode::Kind::kOr: {
      std::vector<int64_t> acc;
      for (const KwNode& child : node.children) {
        CAIRN_ASSIGN_OR_RETURN(Ids ids, Eval(reader, child));
        if (!ids) return Ids();
        Unite(&acc, *ids);
      }
      return Ids(std::move(acc));
    }
  }
  return Ids();
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

// The FTS5 MATCH text of a lookup, for cases from before the kw tables. "" = no constraint
// (the FTS5 unicode61 tokenizer splits non-ASCII text differently: such keys are not looked up).
std::string FtsMatch(const KwNode& node) {
  switch (node.kind) {
    case KwNode::Kind::kAll: return "";
    case KwNode::Kind::kKey: return IsAscii(node.key) ? "\"" + node.key + "\"" : "";
    case KwNode::Kind::kPrefix: return IsAscii(node.key) ? "\"" + node.key + "\" *" : "";
    case KwNode::Kind::kAnd:
    case KwNode::Kind::kOr: {
      std::vector<std::string> parts;
      for (const KwNode& child : node.children) {
        std::string part = FtsMatch(child);
        if (part.empty()) {
          if (node.kind == KwNode::Kind::kOr) return "";
          continue;
        }
        parts.push_back(std::move(part));
      }
      if (parts.empty()) return "";
      std::string out = "(";
      for (size_t k = 0; k < parts.size(); ++k) {
        if (k) out += node.kind == KwNode::Kind::kAnd ? " AND " : " OR ";
        out += parts[k];
      }
      return out + ")";
    }
  }
  return "";
}

Result<std::optional<int64_t>> ReadWatermark(sqlite3* db) {
  CAIRN_ASSIGN_OR_RETURN(Stmt st, PrepareStmt(db, "SELECT value FROM meta WHERE key=?1"));
  sqlite3_bind_text(st.get(), 1, kKeywordWatermarkKey, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return std::optional<int64_t>();
  if (rc != SQLITE_ROW) return DbError(db, "cannot read the keyword index");
  return std::optional<int64_t>(sqlite3_column_int64(st.get(), 0));
}

Result<int64_t> QueryInt(sqlite3* db, const char* sql) {
  CAIRN_ASSIGN_OR_RETURN(Stmt st, PrepareStmt(db, sql));
  int rc = sqlite3_step(st.get());
  if (rc == SQLITE_DONE) return int64_t{0};
  if (rc != SQLITE_ROW) return DbError(db, "cannot read the keyword index");
  return sqlite3_column_int64(st.get(), 0);
}

}  // namespace

Result<KeywordCandidateSet> EvalKeywordExpression(sqlite3* db, std::string_view expr) {
  CAIRN_ASSIGN_OR_RETURN(KwNode node, KwParser(expr).ParseAll());
  KeywordCandidateSet out;
  CAIRN_ASSIGN_OR_RETURN(int64_t max_id, QueryInt(db, "SELECT coalesce(max(id), 0) FROM events"));
  CAIRN_ASSIGN_OR_RETURN(std::optional<int64_t> watermark, ReadWatermark(db));
  if (!watermark) {
    CAIRN_ASSIGN_OR_RETURN(int64_t has_fts, QueryInt(db, "SELECT count(*) FROM sqlite_master WHERE "
                                                         "name='events_fts'"));
    std::string match = has_fts ? FtsMatch(node) : "";
    if (match.empty()) {  // nothing indexed, or nothing the old index can answer: every event
      out.range_to = max_id;
      return out;
    }
    CAIRN_ASSIGN_OR_RETURN(Stmt st, PrepareStmt(db, "SELECT rowid FROM events_fts WHERE events_fts MATCH ?1 "
                                                    "ORDER BY rowid"));
    sqlite3_bind_text64(st.get(), 1, match.data(), match.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    while (true) {
      int rc = sqlite3_step(st.get());
      if (rc == SQLITE_DONE) break;
      if (rc != SQLITE_ROW) return DbError(db, "keyword search failed");
      out.ids.push_back(sqlite3_column_int64(st.get(), 0));
    }
    return out;
  }
  KwReader reader;
  CAIRN_TRY(reader.Open(db));
  CAIRN_ASSIGN_OR_RETURN(std::optional<std::vector<int64_t>> ids, Eval(reader, node));
  if (!ids) {
    out.range_to = max_id;
    return out;
  }
  // Postings may hold ids above the watermark (never written so, but harmless): the range covers them.
  while (!ids->empty() && ids->back() > *watermark) ids->pop_back();
  out.ids = std::move(*ids);
  out.range_from = *watermark + 1;
  out.range_to = max_id;
  return out;
}

// ---- cairn_kw(expr): the table function ----

namespace {

struct KwCursor {
  sqlite3_vtab_cursor base;  // first: SQLite casts
  KeywordCandidateSet set;
  size_t pos = 0;
  int64_t next_in_range = 0;
  int64_t current = 0;
  bool eof = true;

  void Advance() {
    if (pos < set.ids.size()) {
      current = set.ids[pos++];
      eof = false;
      return;
    }
    if (next_in_range <= set.range_to) {
      current = next_in_range++;
      eof = false;
      return;
    }
    eof = true;
  }
};

struct KwVtab {
  sqlite3_vtab base;  // first: SQLite casts
  sqlite3* db = nullptr;
};

constexpr int kColumnId = 0;
constexpr int kColumnExpr = 1;

int KwConnect(sqlite3* db, void*, int, const char* const*, sqlite3_vtab** out, char**) {
  int rc = sqlite3_declare_vtab(db, "CREATE TABLE x(id INTEGER, expr HIDDEN)");
  if (rc != SQLITE_OK) return rc;
  auto* vtab = new (std::nothrow) KwVtab();
  if (!vtab) return SQLITE_NOMEM;
  vtab->db = db;
  *out = &vtab->base;
  return SQLITE_OK;
}

int KwDisconnect(sqlite3_vtab* vtab) {
  delete reinterpret_cast<KwVtab*>(vtab);
  return SQLITE_OK;
}

int KwBestIndex(sqlite3_vtab*, sqlite3_index_info* info) {
  int expr_constraint = -1;
  for (int k = 0; k < info->nConstraint; ++k) {
    const auto& c = info->aConstraint[k];
    if (c.iColumn != kColumnExpr || c.op != SQLITE_INDEX_CONSTRAINT_EQ) continue;
    if (!c.usable) return SQLITE_CONSTRAINT;
    expr_constraint = k;
  }
  if (expr_constraint < 0) return SQLITE_CONSTRAINT;  // cairn_kw needs its argument
  info->aConstraintUsage[expr_constraint].argvIndex = 1;
  info->aConstraintUsage[expr_constraint].omit = 1;
  info->idxNum = 1;
  info->estimatedCost = 100;
  info->estimatedRows = 1000;
  if (info->nOrderBy == 1 && (info->aOrderBy[0].iColumn == kColumnId || info->aOrderBy[0].iColumn < 0) &&
      !info->aOrderBy[0].desc) {
    info->orderByConsumed = 1;
  }
  return SQLITE_OK;
}

int KwOpen(sqlite3_vtab*, sqlite3_vtab_cursor** out) {
  auto* cursor = new (std::nothrow) KwCursor();
  if (!cursor) return SQLITE_NOMEM;
  *out = &cursor->base;
  return SQLITE_OK;
}

int KwClose(sqlite3_vtab_cursor* cursor) {
  delete reinterpret_cast<KwCursor*>(cursor);
  return SQLITE_OK;
}

int KwFilter(sqlite3_vtab_cursor* base, int, const char*, int argc, sqlite3_value** argv) {
  auto* cursor = reinterpret_cast<KwCursor*>(base);
  auto* vtab = reinterpret_cast<KwVtab*>(base->pVtab);
  try {
    cursor->set = KeywordCandidateSet();
    cursor->pos = 0;
    cursor->eof = true;
    if (argc < 1) return SQLITE_OK;
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
    std::string_view expr = text ? std::string_view(text, static_cast<size_t>(sqlite3_value_bytes(argv[0])))
                                 : std::string_view();
    auto set = EvalKeywordExpression(vtab->db, expr);
    if (!set.ok()) {
      sqlite3_free(vtab->base.zErrMsg);
      vtab->base.zErrMsg = sqlite3_mprintf("%s", set.error().message().c_str());
      return SQLITE_ERROR;
    }
    cursor->set = std::move(set).value();
    cursor->next_in_range = cursor->set.range_from;
    cursor->Advance();
    return SQLITE_OK;
  } catch (const std::exception& e) {
    sqlite3_free(vtab->base.zErrMsg);
    vtab->base.zErrMsg = sqlite3_mprintf("keyword lookup failed: %s", e.what());
    return SQLITE_ERROR;
  }
}

int KwNext(sqlite3_vtab_cursor* base) {
  reinterpret_cast<KwCursor*>(base)->Advance();
  return SQLITE_OK;
}

int KwEof(sqlite3_vtab_cursor* base) { return reinterpret_cast<KwCursor*>(base)->eof ? 1 : 0; }

int KwColumn(sqlite3_vtab_cursor* base, sqlite3_context* ctx, int col) {
  if (col == kColumnId) {
    sqlite3_result_int64(ctx, reinterpret_cast<KwCursor*>(base)->current);
  } else {
    sqlite3_result_null(ctx);
  }
  return SQLITE_OK;
}

int KwRowid(sqlite3_vtab_cursor* base, sqlite3_int64* rowid) {
  *rowid = reinterpret_cast<KwCursor*>(base)->current;
  return SQLITE_OK;
}

const sqlite3_module& KwModule() {
  static const sqlite3_module module = [] {
    sqlite3_module m{};
    m.iVersion = 0;
    m.xCreate = nullptr;  // eponymous-only
    m.xConnect = KwConnect;
    m.xBestIndex = KwBestIndex;
    m.xDisconnect = KwDisconnect;
    m.xDestroy = KwDisconnect;
    m.xOpen = KwOpen;
    m.xClose = KwClose;
    m.xFilter = KwFilter;
    m.xNext = KwNext;
    m.xEof = KwEof;
    m.xColumn = KwColumn;
    m.xRowid = KwRowid;
    return m;
  }();
  return module;
}

}  // namespace

int RegisterKeywordFunction(sqlite3* db) {
  return sqlite3_create_module_v2(db, "cairn_kw", &KwModule(), nullptr, nullptr);
}

}  // namespace internal

}  // namespace cairn::store
