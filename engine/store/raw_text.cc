#include "engine/store/raw_text_internal.h"

#include <sqlite3.h>

#include <algorithm>

namespace cairn::store::internal {

namespace {

constexpr size_t kCachedBlocks = 16;  // decoded blocks kept (up to about 1 MiB of text each)

enum Slot { kMaxFirst, kRanges, kData, kLegacy };

void RawFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  if (argc != 1 || sqlite3_value_type(argv[0]) == SQLITE_NULL) {
    sqlite3_result_null(ctx);
    return;
  }
  auto* self = static_cast<RawText*>(sqlite3_user_data(ctx));
  auto found = self->Find(sqlite3_value_int64(argv[0]));
  if (!found.ok()) {
    sqlite3_result_error(ctx, found.error().message().c_str(), -1);
    return;
  }
  if (!*found) {
    sqlite3_result_null(ctx);
    return;
  }
  std::string_view text = **found;
  sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

}  // namespace

RawText::RawText(sqlite3* db, const EventBlockBuilder* pending) : db_(db), pending_(pending) {}

RawText::~RawText() {
  for (sqlite3_stmt* st : stmts_) sqlite3_finalize(st);
}

int RawText::Register() {
  return sqlite3_create_function_v2(db_, "cairn_raw", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, this,
                                    &RawFunction, nullptr, nullptr, nullptr);
}

sqlite3_stmt* RawText::Stmt(int slot, const char* sql) {
  sqlite3_stmt*& st = stmts_[slot];
  if (st) {
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return st;
  }
  if (sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    st = nullptr;
  }
  return st;
}

void RawText::Invalidate() {
  loaded_ = false;
  ranges_.clear();
  known_max_first_ = -1;
  for (Cached& c : cache_) c.first_id = -1;
}

Status RawText::Reload() {
  sqlite3_stmt* st = Stmt(kRanges, "SELECT first_id, last_id FROM event_blocks ORDER BY first_id");
  if (!st) return Error::Io(std::string("cannot read the event blocks: ") + sqlite3_errmsg(db_));
  ranges_.clear();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ranges_.push_back({sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1)});
  }
  sqlite3_reset(st);
  if (rc != SQLITE_DONE) return Error::Io(std::string("cannot read the event blocks: ") + sqlite3_errmsg(db_));
  known_max_first_ = ranges_.empty() ? -1 : ranges_.back().first_id;
  loaded_ = true;
  return Ok();
}

Result<const DecodedBlock*> RawText::Block(int64_t first_id) {
  ++clock_;
  for (Cached& c : cache_) {
    if (c.first_id == first_id) {
      c.used = clock_;
      return &c.block;
    }
  }
  Cached* slot = nullptr;
  if (cache_.size() < kCachedBlocks) {
    slot = &cache_.emplace_back();
  } else {
    slot = &*std::min_element(cache_.begin(), cache_.end(),
                              [](const Cached& a, const Cached& b) { return a.used < b.used; });
  }
  slot->first_id = -1;
  sqlite3_stmt* st = Stmt(kData, "SELECT data FROM event_block_data WHERE first_id=?");
  if (!st) return Error::Io(std::string("cannot read the event blocks: ") + sqlite3_errmsg(db_));
  sqlite3_bind_int64(st, 1, first_id);
  int rc = sqlite3_step(st);
  bool ok = false;
  if (rc == SQLITE_ROW) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(st, 0));
    ok = slot->block.Decode(std::string_view(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, 0))));
  }
  sqlite3_reset(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return Error::Io(std::string("cannot read event block ") + std::to_string(first_id) + ": " + sqlite3_errmsg(db_));
  }
  if (!ok) {
    return Error::CorruptInput("event block " + std::to_string(first_id) + " of the case is damaged")
        .WithHelp("re-ingest the evidence into a new case");
  }
  slot->first_id = first_id;
  slot->used = clock_;
  return &slot->block;
}

Result<std::optional<std::string_view>> RawText::Find(int64_t id) {
  using Found = std::optional<std::string_view>;
  if (pending_) {
    if (auto open = pending_->FindOpen(id)) return Found(*open);
  }
  if (!loaded_) CAIRN_TRY(Reload());
  auto in_range = [&]() -> const Range* {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), id,
                               [](int64_t v, const Range& r) { return v < r.first_id; });
    if (it == ranges_.begin()) return nullptr;
    --it;
    return id <= it->last_id ? &*it : nullptr;
  };
  const Range* range = in_range();
  if (!range) {
    // Blocks written since the list was read (by this connection or another)?
    sqlite3_stmt* st = Stmt(kMaxFirst, "SELECT max(first_id) FROM event_blocks");
    if (!st) return Error::Io(std::string("cannot read the event blocks: ") + sqlite3_errmsg(db_));
    int64_t max_first = -1;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      max_first = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (max_first != known_max_first_) {
      CAIRN_TRY(Reload());
      range = in_range();
    }
  }
  if (range) {
    CAIRN_ASSIGN_OR_RETURN(const DecodedBlock* block, Block(range->first_id));
    size_t lo = 0, hi = block->size();
    while (lo < hi) {
      size_t mid = (lo + hi) / 2;
      if (block->id(mid) < id) lo = mid + 1; else hi = mid;
    }
    if (lo < block->size() && block->id(lo) == id) return Found(block->raw(lo));
  }
  if (legacy_column_) {
    sqlite3_stmt* st = Stmt(kLegacy, "SELECT raw FROM events WHERE id=?");
    if (!st) return Error::Io(std::string("cannot read events.raw: ") + sqlite3_errmsg(db_));
    sqlite3_bind_int64(st, 1, id);
    bool row = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (row) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      legacy_text_.assign(p ? p : "", static_cast<size_t>(sqlite3_column_bytes(st, 0)));
    }
    sqlite3_reset(st);
    if (row) return Found(std::string_view(legacy_text_));
  }
  return Found();
}

}  // namespace cairn::store::internal
