#pragma once
// Cairn's keyword index: which events contain which whole words. It is a prefilter: a lookup
// returns a superset of the events a keyword matches, and the query engine checks every candidate
// exactly (engine/query/scope.cc). docs/schema.md ("Keyword index") describes the tables.
//
// Keys: maximal runs of keyword bytes (ASCII letters and digits, '_', and every byte >= 0x80 -- the
// whole-word definition of the query language), ASCII-lower-cased, cut to kMaxKeywordBytes (a
// longer word is filed under its first kMaxKeywordBytes bytes, which keeps lookups a superset).
//
// Postings are built in memory by a KeywordIndexBuilder (any thread), turned into a
// KeywordSegment (sorted blocks of delta/varint-coded event ids) and written by
// CaseStore::WriteKeywordSegment. The meta key "kw_indexed_through" is the watermark: every event
// with an id at or below it is in the index; queries take the events above it as candidates.
//
// Lookup expressions (the argument of the SQL table function cairn_kw and of
// CaseStore::KeywordCandidates):
//   expr := key            events containing the whole word key
//         | key*           events containing a word starting with key
//         | (& expr...)    all of them          (| expr...)  any of them
//         | *              every event (no constraint)
// Keys are written lower-case, without quoting (keyword bytes never include ' ', '(', ')' or '*').

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/event_blocks.h"

namespace cairn::store {

constexpr size_t kMaxKeywordBytes = 32;

// Byte -> its lower-case form when it is a keyword byte, else 0.
inline constexpr std::array<unsigned char, 256> kKeywordFold = [] {
  std::array<unsigned char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
    if (word) t[static_cast<size_t>(c)] = static_cast<unsigned char>(c);
    if (c >= 'A' && c <= 'Z') t[static_cast<size_t>(c)] = static_cast<unsigned char>(c - 'A' + 'a');
  }
  return t;
}();

inline bool IsKeywordByte(unsigned char c) { return kKeywordFold[c] != 0; }

// Calls fn(std::string_view key) for every word of text in order (repeats included): its
// lower-cased first kMaxKeywordBytes bytes. The view is valid during the call only.
template <typename Fn>
void ForEachKeyword(std::string_view text, Fn&& fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  char key[kMaxKeywordBytes];
  size_t pos = 0;
  while (pos < n) {
    while (pos < n && kKeywordFold[p[pos]] == 0) ++pos;
    if (pos >= n) break;
    size_t len = 0;
    for (; pos < n; ++pos) {
      unsigned char folded = kKeywordFold[p[pos]];
      if (folded == 0) break;
      if (len < kMaxKeywordBytes) key[len++] = static_cast<char>(folded);
    }
    fn(std::string_view(key, len));
  }
}

// The postings of a run of events, encoded for the kw table: blocks of consecutive keys in byte
// order, each block a row.
struct KeywordSegment {
  struct Block {
    std::string first_key;
    std::string data;  // entries; format in keyword_index.cc
  };
  int64_t first_id = 0;   // first and last event id added (also events without words)
  int64_t last_id = 0;
  int64_t keys = 0;       // distinct keys
  int64_t postings = 0;   // (key, event) pairs
  std::vector<Block> blocks;
};

// In-memory postings of events added in increasing id order. Not thread-safe; cheap to move.
class KeywordIndexBuilder {
 public:
  KeywordIndexBuilder();
  ~KeywordIndexBuilder();
  KeywordIndexBuilder(KeywordIndexBuilder&&) noexcept;
  KeywordIndexBuilder& operator=(KeywordIndexBuilder&&) noexcept;

  // id must be greater than every id added before.
  void Add(int64_t id, std::string_view raw);
  bool empty() const;              // nothing added since construction or the last TakeSegment
  int64_t postings() const;
  int64_t keys() const;
  // Encodes what was added into a segment and starts over.
  KeywordSegment TakeSegment();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Decodes the entries of a block: fn(std::string_view key, std::string_view postings) for each
// in key order; fn returns false to stop. Returns false when the block is damaged.
template <typename Fn>
bool ForEachBlockEntry(std::string_view data, Fn&& fn);

// Appends the ids of encoded postings to out (ascending). False when damaged.
bool DecodePostings(std::string_view postings, std::vector<int64_t>* out);

namespace internal {
bool ReadVarintSlow(const unsigned char*& p, const unsigned char* end, uint64_t* out);
// LEB128, moving p past it; false when it runs past end or over 64 bits. Inline, with fast paths
// for one and two bytes: ids, times, lengths and posting deltas are mostly below 16,384 (the
// calls were 5 % of a scan's CPU).
inline bool ReadVarint(const unsigned char*& p, const unsigned char* end, uint64_t* out) {
  if (p < end && *p < 0x80) {
    *out = *p++;
    return true;
  }
  if (end - p >= 2 && p[1] < 0x80) {  // two bytes: text lengths, most time deltas
    *out = static_cast<uint64_t>(p[0] & 0x7f) | (static_cast<uint64_t>(p[1]) << 7);
    p += 2;
    return true;
  }
  return ReadVarintSlow(p, end, out);
}
void AppendVarint(std::string* out, uint64_t value);  // LEB128
}  // namespace internal

template <typename Fn>
bool ForEachBlockEntry(std::string_view data, Fn&& fn) {
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const auto* end = p + data.size();
  char key[kMaxKeywordBytes];
  size_t key_len = 0;
  while (p < end) {
    uint64_t shared = 0, suffix = 0, bytes = 0;
    if (!internal::ReadVarint(p, end, &shared) || !internal::ReadVarint(p, end, &suffix)) return false;
    if (shared > key_len || shared + suffix > kMaxKeywordBytes || suffix > static_cast<uint64_t>(end - p)) {
      return false;
    }
    for (uint64_t k = 0; k < suffix; ++k) key[shared + k] = static_cast<char>(p[k]);
    key_len = static_cast<size_t>(shared + suffix);
    p += suffix;
    if (!internal::ReadVarint(p, end, &bytes) || bytes > static_cast<uint64_t>(end - p)) return false;
    std::string_view postings(reinterpret_cast<const char*>(p), static_cast<size_t>(bytes));
    p += bytes;
    if (!fn(std::string_view(key, key_len), postings)) return true;
  }
  return true;
}

}  // namespace cairn::store
