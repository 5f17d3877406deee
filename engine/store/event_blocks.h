#pragma once
// Event blocks: where a case keeps the raw text of its events. A block holds up to
// kBlockMaxEvents consecutive events (or about kBlockMaxRawBytes of raw text): their ids, times,
// source ids and raw text, LZ4-compressed in one blob. A query that reads every event of a few
// sources decodes blocks instead of stepping one SQLite row per event (engine/query/query.cc);
// SQL reads one event's text with the function cairn_raw(id) (raw_text_internal.h).
//
// CaseStore::InsertEvent adds each event to a builder; full blocks are written at once, the last
// partial one at CaseStore::Commit, in the same transaction as the events. So every committed
// event is in exactly one block, and blocks never span two transactions (nor, therefore, the
// keyword watermark, which is always at a commit). Cases from before schema 4 kept the text in
// events.raw: opening one for writing moves it into blocks (CaseStore::Open). docs/schema.md
// ("Event blocks") has the tables and the blob format.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/byte_buffer.h"

namespace cairn::store {

// Meta key: "1" when every event is in event_blocks (schema 3: every event at or below the
// keyword watermark).
constexpr const char* kEventBlocksMetaKey = "event_blocks";

constexpr size_t kBlockMaxEvents = 4096;
constexpr size_t kBlockMaxRawBytes = 1 << 20;

// One encoded block, as stored in a row of event_blocks.
struct EventBlock {
  int64_t first_id = 0;
  int64_t last_id = 0;
  int64_t min_ts = 0;
  int64_t max_ts = 0;
  int64_t events = 0;
  std::string sources;  // the distinct source ids, ascending, comma-separated ("3,4")
  std::string data;     // 4-byte little-endian payload size, then the LZ4 block of the payload
  // Its leaf columns (store/event_leaves.h): rows of event_block_leaves, path -> data.
  std::vector<std::pair<std::string, std::string>> leaves;
};

// Builds blocks from events added in increasing id order. Not thread-safe.
class EventBlockBuilder {
 public:
  void Add(int64_t id, int64_t ts, int64_t source_id, std::string_view raw);
  bool empty() const { return ids_.empty() && done_.empty(); }
  // True when a block is full and waits in TakeFull().
  bool has_full() const { return !done_.empty(); }
  // The full blocks built so far; the events not yet in a full block stay.
  std::vector<EventBlock> TakeFull();
  // Every block built so far, the events not yet in a full block included.
  std::vector<EventBlock> Take();
  // The raw text of an event added and not yet in a full block, or nullptr.
  std::optional<std::string_view> FindOpen(int64_t id) const;
  // Forgets everything added (a rolled-back transaction).
  void Clear();

 private:
  void Seal();
  std::vector<int64_t> ids_, ts_, source_ids_;
  std::vector<uint32_t> ends_;
  std::string text_;
  std::string payload_;  // scratch
  std::vector<EventBlock> done_;
};

// A decoded block. Reuse one across blocks: its buffers keep their capacity.
class DecodedBlock {
 public:
  // False when the blob is damaged (bad sizes, LZ4 error, inconsistent arrays).
  bool Decode(std::string_view data);
  // Only the ids, times and source ids, from the blob's first bytes (`prefix`; the blob has
  // blob_size), decoding at most max_output bytes of the payload: raw() must not be called after
  // it. kNeedMore: the prefix or max_output is too short, try longer ones. The arrays come first
  // in the payload, so a few KiB usually hold them.
  enum class Header { kOk, kNeedMore, kDamaged };
  Header DecodeHeader(std::string_view prefix, size_t blob_size, size_t max_output = SIZE_MAX);
  bool has_text() const { return text_ != nullptr; }
  size_t size() const { return ids_.size(); }
  int64_t id(size_t k) const { return ids_[k]; }
  int64_t ts(size_t k) const { return ts_[k]; }
  int64_t source_id(size_t k) const { return source_ids_[k]; }
  std::string_view raw(size_t k) const {  // only when has_text()
    uint32_t begin = k == 0 ? 0 : ends_[k - 1];
    return std::string_view(text_ + begin, ends_[k] - begin);
  }

 private:
  // The arrays at p (moved past them); false when they do not fit before end.
  bool ReadHeader(const unsigned char*& p, const unsigned char* end);

  ByteBuffer payload_;
  const char* text_ = nullptr;
  std::vector<int64_t> ids_, ts_, source_ids_;
  std::vector<uint32_t> ends_;
};

// Parses EventBlock::sources ("3,4") into ids; false when malformed.
bool ParseBlockSources(std::string_view text, std::vector<int64_t>* out);

}  // namespace cairn::store
