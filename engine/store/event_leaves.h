#pragma once
// Leaf columns: the JSON leaves of an event block's events, one column per flattened path, so that
// `json auto keys "userIdentity.userName" | count by ...` over millions of CloudTrail records reads
// two small columns per block instead of every record's text (engine/query/query.cc).
//
// A block's columns are rows of event_block_leaves(first_id, path, data), written with the block
// (same transaction) by CaseStore. Path "" is the block's summary. The leaves are the ones
// `json auto` reports with its defaults (no maxdepth, arrays of scalars as one leaf), found by
// the same scanner (engine/common/json_scan.h), with the same lower-case paths; the value of a
// path is its last leaf in the record, as `json auto` keeps it. docs/schema.md ("Leaf columns")
// has the blob formats.
//
// What a column holds, exactly:
// - a row for every path that occurs in some record the scanner accepted (a record the scanner
//   gives up on, or text that is not a JSON object, is a "failed" row of the summary: a reader
//   must take it from the text);
// - per event, the scalar text of the path's last leaf (strings unescaped, numbers as written,
//   true/false), or nothing when the path is absent or its last leaf is null;
// - when a path's last leaf is an object or an array (an empty one, or one of scalars), or its
//   distinct values pass kLeafColumnMaxBytes in the block, or number more than 16 and half its
//   events (times, request ids: a column would cost as much as the text), the column is
//   "dropped": listed in the summary, not stored. A reader of a dropped path takes the text.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cairn::store {

constexpr int kLeafFormat = 1;
constexpr size_t kLeafColumnMaxBytes = 16 << 10;

// The rows of one block, path -> data ("" first), or none when no event is a JSON object.
// texts: the events' raw text back to back; ends[k]: the end of event k's text.
std::vector<std::pair<std::string, std::string>> BuildLeafRows(std::string_view texts,
                                                               const std::vector<uint32_t>& ends);

// The summary row of a block.
struct LeafSummary {
  int64_t events = 0;
  std::vector<uint32_t> failed;       // rows (positions in the block), ascending
  std::vector<std::string> dropped;   // paths, ascending
  bool Parse(std::string_view data);  // false when damaged or of another format
  bool IsDropped(std::string_view path) const;
};

// One stored column.
class LeafColumn {
 public:
  // False when damaged (or a row beyond `events`).
  bool Parse(std::string_view data, size_t events);
  // The value at a row, or nullptr (absent or null). Valid while the column lives.
  const std::string_view* at(size_t row) const {
    int32_t v = rows_[row];
    return v < 0 ? nullptr : &values_[static_cast<size_t>(v)];
  }
  // An empty column: every row absent.
  void Clear(size_t events);

 private:
  std::string data_;
  std::vector<std::string_view> values_;
  std::vector<int32_t> rows_;
};

}  // namespace cairn::store
