#pragma once
// The raw text of one event, for SQL: the scalar function cairn_raw(id) that CaseStore registers
// on each of its connections. Since schema 4 the text lives in the event blocks only
// (event_blocks.h); cairn_raw finds the block that holds the id, decodes it (a few decoded blocks
// stay cached, so reading events in id order or in time order within a few files decodes each
// block once) and returns the text. Events of the open transaction that are not yet in a block
// are found in the connection's block builder. A case from before schema 4 opened read-only still
// has events.raw: ids that no block holds are read from there.
//
// Not thread-safe: one per connection, used by the connection's thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/store/event_blocks.h"

struct sqlite3;
struct sqlite3_stmt;

namespace cairn::store::internal {

class RawText {
 public:
  // pending: the connection's builder of the open transaction's events (may be null).
  RawText(sqlite3* db, const EventBlockBuilder* pending);
  ~RawText();
  RawText(const RawText&) = delete;
  RawText& operator=(const RawText&) = delete;

  // Registers cairn_raw(id) on the connection; this object must outlive it (or the connection
  // must be closed first). Returns an SQLite code.
  int Register();

  // The text of event id; nullopt when no event has that id. The view is valid until the next
  // call. Errors: kCorruptInput (a damaged block), kIo.
  Result<std::optional<std::string_view>> Find(int64_t id);

  // Forgets the cached block list and blocks (after a rollback, ids may be reused).
  void Invalidate();

  // Whether events still has its raw column (a case from before schema 4).
  void set_legacy_column(bool legacy) { legacy_column_ = legacy; }

 private:
  struct Range {
    int64_t first_id;
    int64_t last_id;
  };
  struct Cached {
    int64_t first_id = -1;
    uint64_t used = 0;
    DecodedBlock block;
  };
  Status Reload();
  Result<const DecodedBlock*> Block(int64_t first_id);
  sqlite3_stmt* Stmt(int slot, const char* sql);

  sqlite3* db_;
  const EventBlockBuilder* pending_;
  bool legacy_column_ = false;
  bool loaded_ = false;
  int64_t known_max_first_ = -1;  // max(first_id) when ranges_ was read
  std::vector<Range> ranges_;
  std::vector<Cached> cache_;
  uint64_t clock_ = 0;
  std::string legacy_text_;
  sqlite3_stmt* stmts_[4] = {nullptr, nullptr, nullptr, nullptr};
};

}  // namespace cairn::store::internal
