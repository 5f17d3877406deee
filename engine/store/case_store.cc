#include "engine/store/case_store.h"

#include <sqlite3.h>
#include <sys/mman.h>

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <utility>

#include "engine/common/strings.h"
#include "engine/store/keyword_index_internal.h"
#include "engine/store/raw_text_internal.h"

namespace cairn::store {

const char* SourceTypeName(SourceType type) {
  switch (type) {
    case SourceType::kCloudTrail: return "cloudtrail";
    case SourceType::kS3Access: return "s3_access";
    case SourceType::kApacheAccess: return "apache_access";
    case SourceType::kApacheError: return "apache_error";
    case SourceType::kGeneric: return "generic";
  }
  return "generic";
}

bool SourceTypeFromName(std::string_view name, SourceType* out) {
  for (auto t : {SourceType::kCloudTrail, SourceType::kS3Access, SourceType::kApacheAccess,
                 SourceType::kApacheError, SourceType::kGeneric}) {
    if (name == SourceTypeName(t)) {
      *out = t;
      return true;
    }
  }
  return false;
}

namespace {

struct DbCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StmtFinalizer {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};

Error SqlError(sqlite3* db, std::string_view what) {
  return Error::Io(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

constexpr const char* kSchemaSql = R"SQL(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sources(
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  format TEXT NOT NULL,
  source_name TEXT,
  host TEXT,
  events INTEGER NOT NULL DEFAULT 0,
  rejects INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0,
  ingested_at INTEGER NOT NULL,
  first_event INTEGER,
  last_event INTEGER,
  note TEXT,
  complete INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS sources_sha ON sources(sha256);
CREATE TABLE IF NOT EXISTS source_categories(
  source_id INTEGER NOT NULL,
  category TEXT NOT NULL,
  PRIMARY KEY(source_id, category)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events(
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  source_id INTEGER NOT NULL,
  source_type TEXT NOT NULL,
  line INTEGER NOT NULL,
  actor_arn TEXT, actor_type TEXT, actor_name TEXT, access_key TEXT, action TEXT,
  bucket TEXT, object_key TEXT, resource TEXT, target_user TEXT, outcome TEXT, status INTEGER, error_code TEXT,
  source_ip TEXT, user_agent TEXT, region TEXT, account TEXT, request_id TEXT, bytes INTEGER,
  event_id TEXT, host TEXT, dedupe INTEGER
);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_source ON events(source_id);
-- Identical records have the same time, so (ts, dedupe) drops the same duplicates as the content
-- hash alone (older cases' events_dedupe), while inserts in time order touch a few pages of it.
CREATE UNIQUE INDEX IF NOT EXISTS events_dedupe_ts ON events(ts, dedupe) WHERE dedupe IS NOT NULL;
DROP INDEX IF EXISTS events_dedupe;
CREATE TABLE IF NOT EXISTS kw_segments(
  seg INTEGER PRIMARY KEY,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  keys INTEGER NOT NULL,
  postings INTEGER NOT NULL,
  blocks INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS kw(
  id INTEGER PRIMARY KEY,
  seg INTEGER NOT NULL,
  first_key BLOB NOT NULL,
  postings BLOB NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS kw_key ON kw(seg, first_key);
CREATE TABLE IF NOT EXISTS event_blocks(
  first_id INTEGER PRIMARY KEY,
  last_id INTEGER NOT NULL,
  min_ts INTEGER NOT NULL,
  max_ts INTEGER NOT NULL,
  events INTEGER NOT NULL,
  sources TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS event_block_data(first_id INTEGER PRIMARY KEY, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS event_block_leaves(
  first_id INTEGER NOT NULL,
  path TEXT NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY(first_id, path)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rejects(
  id INTEGER PRIMARY KEY,
  source_id INTEGER NOT NULL,
  line INTEGER,
  offset INTEGER,
  reason TEXT NOT NULL,
  raw TEXT
);
CREATE TABLE IF NOT EXISTS collisions(
  event_id TEXT NOT NULL,
  first_event INTEGER NOT NULL,
  other_event INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS entities(
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  label TEXT,
  first_seen INTEGER,
  last_seen INTEGER,
  count INTEGER NOT NULL DEFAULT 0,
  attrs TEXT,
  UNIQUE(kind, key)
);
CREATE TABLE IF NOT EXISTS relations(
  id INTEGER PRIMARY KEY,
  src INTEGER NOT NULL,
  dst INTEGER NOT NULL,
  kind TEXT NOT NULL,
  first_seen INTEGER,
  last_seen INTEGER,
  count INTEGER NOT NULL DEFAULT 0,
  errors INTEGER NOT NULL DEFAULT 0,
  sample_events TEXT,
  attrs TEXT,
  UNIQUE(src, dst, kind)
);
CREATE TABLE IF NOT EXISTS saved_queries(name TEXT PRIMARY KEY, query TEXT NOT NULL) WITHOUT ROWID;
)SQL";

constexpr const char* kEventIdIndexSql =
    "CREATE INDEX IF NOT EXISTS events_event_id ON events(event_id) WHERE event_id IS NOT NULL";
// Meta key: every event with an id at or below it has been checked for collisions.
constexpr const char* kCollisionsMetaKey = "collisions_through";

enum Slot {
  kInsertEvent, kInsertReject, kInsertKwSegment, kInsertKwBlock, kInsertEventBlock, kInsertEventBlockData, kInsertEventBlockLeaf,
  kSlotCount
};

}  // namespace

struct Statement::Impl {
  sqlite3* db = nullptr;
  std::unique_ptr<sqlite3_stmt, StmtFinalizer> stmt;
};

struct CaseStore::Db {
  std::unique_ptr<sqlite3, DbCloser> handle;
  // The open transaction's events not yet written in a block (event_blocks.h).
  EventBlockBuilder pending;
  // cairn_raw(id) on this connection; destroyed before the connection is closed.
  std::unique_ptr<internal::RawText> raw_text;
};

Statement::Statement() : impl_(std::make_unique<Impl>()) {}
Statement::~Statement() = default;
Statement::Statement(Statement&&) noexcept = default;
Statement& Statement::operator=(Statement&&) noexcept = default;

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(impl_->stmt.get(), index, value);
  return *this;
}
Statement& Statement::Bind(int index, double value) {
  sqlite3_bind_double(impl_->stmt.get(), index, value);
  return *this;
}
Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(impl_->stmt.get(), index, text.data(), text.size(), SQLITE_TRANSIENT,
                      SQLITE_UTF8);
  return *this;
}
Statement& Statement::BindStatic(int index, std::string_view text) {
  sqlite3_bind_text64(impl_->stmt.get(), index, text.data(), text.size(), SQLITE_STATIC,
                      SQLITE_UTF8);
  return *this;
}
Statement& Statement::BindOptionalStatic(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : BindStatic(index, text);
}
Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(impl_->stmt.get(), index);
  return *this;
}
Statement& Statement::BindOptional(int index, std::string_view text) {
  return text.empty() ? BindNull(index) : Bind(index, text);
}

Result<bool> Statement::Step() {
  int rc = sqlite3_step(impl_->stmt.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return SqlError(impl_->db, "query failed");
}

Status Statement::Run() {
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) break;
  }
  Reset();
  return Ok();
}

void Statement::Reset() {
  sqlite3_reset(impl_->stmt.get());
  sqlite3_clear_bindings(impl_->stmt.get());
}

int Statement::ColumnCount() const { return sqlite3_column_count(impl_->stmt.get()); }
std::string Statement::ColumnName(int col) const {
  const char* n = sqlite3_column_name(impl_->stmt.get(), col);
  return n ? n : "";
}
Statement::Type Statement::ColumnType(int col) const {
  switch (sqlite3_column_type(impl_->stmt.get(), col)) {
    case SQLITE_INTEGER: return Type::kInt;
    case SQLITE_FLOAT: return Type::kReal;
    case SQLITE_TEXT: return Type::kText;
    case SQLITE_BLOB: return Type::kBlob;
    default: return Type::kNull;
  }
}
bool Statement::IsNull(int col) const {
  return sqlite3_column_type(impl_->stmt.get(), col) == SQLITE_NULL;
}
int64_t Statement::Int(int col) const { return sqlite3_column_int64(impl_->stmt.get(), col); }
double Statement::Real(int col) const { return sqlite3_column_double(impl_->stmt.get(), col); }
std::string_view Statement::Text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(impl_->stmt.get(), col));
  if (!p) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(impl_->stmt.get(), col))};
}

std::string_view Statement::Blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(impl_->stmt.get(), col));
  if (!p) return {};
  return {p, static_cast<size_t>(sqlite3_column_bytes(impl_->stmt.get(), col))};
}

CaseStore::CaseStore() : db_(std::make_unique<Db>()) {}
CaseStore::~CaseStore() {
  cache_.clear();  // finalize statements before closing
  db_->raw_text.reset();
}

Status CaseStore::RegisterFunctions(const std::string& what) {
  sqlite3* db = db_->handle.get();
  if (internal::RegisterKeywordFunction(db) != SQLITE_OK) return SqlError(db, "cannot set up " + what);
  db_->raw_text = std::make_unique<internal::RawText>(db, &db_->pending);
  if (db_->raw_text->Register() != SQLITE_OK) return SqlError(db, "cannot set up " + what);
  return Ok();
}

namespace {

// Once, before the first connection: SQLite's page cache takes its page buffers from one pool
// mapped and populated in a single call, instead of from malloc'd memory whose first touch costs
// a page fault per 4 KiB: 16 per 64 KiB page, about 10 µs each on a virtual machine, for the
// first 31 pages of each connection (its default cache). Populating costs 0.7 µs a page here, so
// the 4 MiB pool costs about 0.7 ms and spares the 10 ms those faults took in a query. A cache
// that outgrows the pool (ingest's) takes the rest from malloc, as before. When SQLite was set
// up already (another user of the library in the process), nothing changes.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    constexpr int kSlots = 64;
    int header = 0;
    if (sqlite3_config(SQLITE_CONFIG_PCACHE_HDRSZ, &header) != SQLITE_OK) return;
    const int slot = (65536 + header + 7) & ~7;  // the largest page (new cases use it)
    const size_t bytes = static_cast<size_t>(slot) * kSlots;
    void* pool = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (pool == MAP_FAILED) return;
    if (sqlite3_config(SQLITE_CONFIG_PAGECACHE, pool, slot, kSlots) != SQLITE_OK) munmap(pool, bytes);
  });
}

}  // namespace

Result<std::unique_ptr<CaseStore>> CaseStore::Open(const std::string& path, Mode mode) {
  ConfigureSqliteOnce();
  bool exists = std::filesystem::exists(path);
  if (!exists && mode != Mode::kCreate) {
    return Error::NotFound("case file '" + path + "' does not exist")
        .WithHelp("create it with: cairn ingest EVIDENCE... --case " + path);
  }
  std::unique_ptr<CaseStore> store(new CaseStore());
  store->path_ = path;
  int flags = mode == Mode::kReadOnly ? SQLITE_OPEN_READONLY
                                      : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
  store->db_->handle.reset(raw);
  if (rc != SQLITE_OK) return SqlError(raw, "cannot open case '" + path + "'");
  sqlite3_busy_timeout(raw, 5000);
  CAIRN_TRY(store->RegisterFunctions("case '" + path + "'"));
  CAIRN_TRY(store->InitSchema(mode != Mode::kReadOnly));
  return store;
}

Result<std::unique_ptr<CaseStore>> CaseStore::OpenMemory() {
  ConfigureSqliteOnce();
  std::unique_ptr<CaseStore> store(new CaseStore());
  store->path_ = ":memory:";
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(":memory:", &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  store->db_->handle.reset(raw);
  if (rc != SQLITE_OK) return SqlError(raw, "cannot open in-memory case");
  CAIRN_TRY(store->RegisterFunctions("the in-memory case"));
  CAIRN_TRY(store->InitSchema(true));
  return store;
}

Status CaseStore::InitSchema(bool writable) {
  sqlite3* db = db_->handle.get();
  bool new_case = false;  // no table yet
  // Is this a Cairn case at all?
  {
    auto prepared = Prepare("SELECT count(*) FROM sqlite_master WHERE type='table'");
    if (!prepared.ok()) {
      return Error::Schema("'" + path_ + "' is not a Cairn case file")
          .WithReason(std::string(sqlite3_errmsg(db)))
          .WithHelp("a case is the SQLite file written by 'cairn ingest --case FILE'");
    }
    Statement st = std::move(prepared).value();
    auto step = st.Step();
    if (!step.ok()) {
      return Error::Schema("'" + path_ + "' is not a Cairn case file")
          .WithReason(std::string(sqlite3_errmsg(db)))
          .WithHelp("a case is the SQLite file written by 'cairn ingest --case FILE'");
    }
    int64_t tables = st.Int(0);
    new_case = tables == 0;
    if (tables > 0) {
      CAIRN_ASSIGN_OR_RETURN(
          Statement probe,
          Prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='meta'"));
      CAIRN_TRY(probe.Step());
      if (probe.Int(0) == 0) {
        return Error::Schema("'" + path_ + "' is an SQLite database but not a Cairn case file");
      }
      CAIRN_ASSIGN_OR_RETURN(auto version, GetMeta("schema_version"));
      if (version && std::stoi(*version) > kSchemaVersion) {
        return Error::Schema("case '" + path_ + "' has schema version " + *version +
                             ", newer than this cairn (" + std::to_string(kSchemaVersion) + ")")
            .WithHelp("use a newer cairn to open it");
      }
    } else if (!writable) {
      return Error::Schema("'" + path_ + "' is not a Cairn case file (empty database)");
    }
  }
  // No memory map: without one SQLite reads a blob's overflow pages with one pread each straight
  // into the caller's buffer (its direct overflow read), where a map costs a page fault per page,
  // a copy out of every page and the unmapping at exit. Measured on the 10 M-event bench case, the
  // status query went 0.85-0.94 s -> 0.65-0.69 s; the other queries and ingest did not change.
  // Readers keep SQLite's small default page cache: a scan recycles its pages, where a large
  // cache allocates (and faults in) a fresh 64 KiB page for each (the status query took 1.8 s
  // with 256 MiB of cache, 0.72 s with 16 MiB).
  if (path_ != ":memory:") CAIRN_TRY(Exec("PRAGMA mmap_size=0"));
  // Before schema 4 the raw text was a column of events.
  bool legacy = false;
  {
    CAIRN_ASSIGN_OR_RETURN(Statement probe,
                           Prepare("SELECT count(*) FROM pragma_table_info('events') WHERE name='raw'"));
    CAIRN_TRY(probe.Step());
    legacy = probe.Int(0) > 0;
  }
  if (!writable) {
    db_->raw_text->set_legacy_column(legacy);
    return Ok();
  }
  // A new case gets 64 KiB pages (SQLite's largest): a 1 MiB event block is 16 overflow pages
  // instead of 256, and inserts split and write fewer pages. Measured on the r140 bench corpus,
  // ingest is 13-35 % faster per format and the status query at 10 M events 8 % (pages read by
  // pread beyond the 2 GiB memory map). Only before the first table and WAL: an existing case
  // keeps its size.
  if (new_case) CAIRN_TRY(Exec("PRAGMA page_size=65536"));
  CAIRN_TRY(Exec("PRAGMA journal_mode=WAL"));
  CAIRN_TRY(Exec("PRAGMA synchronous=NORMAL"));
  CAIRN_TRY(Exec("PRAGMA foreign_keys=OFF"));
  CAIRN_TRY(Exec("PRAGMA cache_size=-262144"));
  CAIRN_TRY(Exec("PRAGMA temp_store=MEMORY"));
  char* err = nullptr;
  if (sqlite3_exec(db, kSchemaSql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error::Schema("cannot create the case schema in '" + path_ + "': " + msg);
  }
  CAIRN_TRY(Exec(kEventIdIndexSql));  // (a killed bulk ingest may have left the case without it)
  // Cases from before the watermark checked each event as it was inserted.
  CAIRN_ASSIGN_OR_RETURN(auto collisions_mark, GetMeta(kCollisionsMetaKey));
  if (!collisions_mark) {
    CAIRN_ASSIGN_OR_RETURN(Statement max_st, Prepare("SELECT coalesce(max(id), 0) FROM events"));
    CAIRN_TRY(max_st.Step());
    const int64_t max_id = max_st.Int(0);
    max_st.Reset();
    CAIRN_TRY(SetMeta(kCollisionsMetaKey, std::to_string(max_id)));
  }
  if (legacy) return MoveRawTextToBlocks();
  CAIRN_ASSIGN_OR_RETURN(auto flag, GetMeta(kEventBlocksMetaKey));
  if (!flag) CAIRN_TRY(SetMeta(kEventBlocksMetaKey, "1"));
  return SetMeta("schema_version", std::to_string(kSchemaVersion));
}

// A case from before schema 4: the text of every event not yet in a block goes into blocks, then
// the column goes (SQLite rewrites the table), all in one transaction. A case from before the kw
// tables loses its FTS5 table here too (it reads events.raw); its events are indexed anew.
Status CaseStore::MoveRawTextToBlocks() {
  CAIRN_TRY(Begin());
  auto run = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(Statement probe,
                           Prepare("SELECT count(*) FROM sqlite_master WHERE name='events_fts'"));
    CAIRN_TRY(probe.Step());
    bool has_fts = probe.Int(0) > 0;
    probe.Reset();  // a statement still stepping would keep the table locked
    if (has_fts) {
      CAIRN_TRY(Exec("DROP TABLE events_fts"));
      CAIRN_TRY(Exec("DELETE FROM kw; DELETE FROM kw_segments"));
      CAIRN_TRY(SetMeta(internal::kKeywordWatermarkKey, "0"));
    }
    // Schema 3: blocks hold every event up to the keyword watermark. Before: no valid blocks.
    CAIRN_ASSIGN_OR_RETURN(auto flag, GetMeta(kEventBlocksMetaKey));
    int64_t start = 0;
    if (flag && *flag == "1") {
      CAIRN_ASSIGN_OR_RETURN(Statement last, Prepare("SELECT coalesce(max(last_id), 0) FROM event_blocks"));
      CAIRN_TRY(last.Step());
      start = last.Int(0);
    } else {
      CAIRN_TRY(Exec("DELETE FROM event_blocks; DELETE FROM event_block_data; DELETE FROM event_block_leaves"));
    }
    {
      CAIRN_ASSIGN_OR_RETURN(Statement st,
                             Prepare("SELECT id, ts, source_id, raw FROM events WHERE id>? ORDER BY id"));
      st.Bind(1, start);
      EventBlockBuilder builder;
      while (true) {
        CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        builder.Add(st.Int(0), st.Int(1), st.Int(2), st.Text(3));
        if (builder.has_full()) {
          for (const auto& block : builder.TakeFull()) CAIRN_TRY(WriteEventBlock(block));
        }
      }
      for (const auto& block : builder.Take()) CAIRN_TRY(WriteEventBlock(block));
    }
    cache_.clear();  // the cached statements name events' columns
    CAIRN_TRY(Exec("ALTER TABLE events DROP COLUMN raw"));
    CAIRN_TRY(SetMeta(kEventBlocksMetaKey, "1"));
    return SetMeta("schema_version", std::to_string(kSchemaVersion));
  };
  Status st = run();
  if (!st.ok()) {
    (void)Rollback();
    return Error::Schema("cannot move the raw text of case '" + path_ + "' into event blocks")
        .WithReason(st.error().message());
  }
  return Commit();
}

CaseStore::BlobReader::BlobReader(CaseStore& store, const char* table, const char* column)
    : store_(store), table_(table), column_(column) {}

CaseStore::BlobReader::~BlobReader() { sqlite3_blob_close(blob_); }

std::unique_ptr<CaseStore::BlobReader> CaseStore::NewBlobReader(const char* table, const char* column) {
  return std::unique_ptr<BlobReader>(new BlobReader(*this, table, column));
}

Status CaseStore::BlobReader::Read(int64_t rowid, ByteBuffer* out) {
  size_t total = 0;
  return ReadPrefix(rowid, SIZE_MAX, out, &total);
}

Status CaseStore::BlobReader::ReadPrefix(int64_t rowid, size_t max_bytes, ByteBuffer* out, size_t* total) {
  sqlite3* db = store_.db_->handle.get();
  // A failed reopen leaves the handle aborted: it is closed, and the next read opens a new one.
  if (blob_ && sqlite3_blob_reopen(blob_, rowid) != SQLITE_OK) {
    sqlite3_blob_close(blob_);
    blob_ = nullptr;
    return SqlError(db, std::string("cannot read ") + table_ + "." + column_ + " of row " + std::to_string(rowid));
  }
  if (!blob_ && sqlite3_blob_open(db, "main", table_, column_, rowid, 0, &blob_) != SQLITE_OK) {
    sqlite3_blob_close(blob_);
    blob_ = nullptr;
    return SqlError(db, std::string("cannot read ") + table_ + "." + column_ + " of row " + std::to_string(rowid));
  }
  *total = static_cast<size_t>(sqlite3_blob_bytes(blob_));
  out->Resize(std::min(*total, max_bytes));
  if (sqlite3_blob_read(blob_, out->data(), static_cast<int>(out->size()), 0) != SQLITE_OK) {
    return SqlError(db, std::string("cannot read ") + table_ + "." + column_ + " of row " + std::to_string(rowid));
  }
  return Ok();
}

Status CaseStore::Begin() { return Exec("BEGIN IMMEDIATE"); }

Status CaseStore::Commit() {
  // The transaction's last events go into a (partial) block of their own before it ends.
  if (!db_->pending.empty()) {
    for (const auto& block : db_->pending.Take()) CAIRN_TRY(WriteEventBlock(block));
  }
  return Exec("COMMIT");
}

Status CaseStore::Rollback() {
  db_->pending.Clear();
  db_->raw_text->Invalidate();  // blocks of the transaction are gone, their ids will be reused
  return Exec("ROLLBACK");
}

Status CaseStore::Exec(std::string_view sql) {
  char* err = nullptr;
  std::string text(sql);
  if (sqlite3_exec(db_->handle.get(), text.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return Error::Io("SQL failed: " + msg).WithNote(text.substr(0, 200));
  }
  return Ok();
}

Result<Statement> CaseStore::Prepare(std::string_view sql) {
  Statement st;
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_->handle.get(), sql.data(), static_cast<int>(sql.size()), 0, &raw,
                              nullptr);
  if (rc != SQLITE_OK) {
    return Error::Io(std::string("cannot prepare SQL: ") + sqlite3_errmsg(db_->handle.get()))
        .WithNote(std::string(sql.substr(0, 300)));
  }
  st.impl_->db = db_->handle.get();
  st.impl_->stmt.reset(raw);
  return st;
}

Result<Statement*> CaseStore::Cached(int slot, std::string_view sql) {
  if (cache_.size() < kSlotCount) cache_.resize(kSlotCount);
  auto& entry = cache_[static_cast<size_t>(slot)];
  if (!entry) {
    CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare(sql));
    entry = std::make_unique<Statement>(std::move(st));
  }
  entry->Reset();
  return entry.get();
}

Result<std::optional<std::string>> CaseStore::GetMeta(std::string_view key) {
  CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT value FROM meta WHERE key=?"));
  st.Bind(1, key);
  CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(std::string(st.Text(0)));
}

Status CaseStore::SetMeta(std::string_view key, std::string_view value) {
  CAIRN_ASSIGN_OR_RETURN(Statement st,
                         Prepare("INSERT INTO meta(key,value) VALUES(?,?) "
                                 "ON CONFLICT(key) DO UPDATE SET value=excluded.value"));
  st.Bind(1, key).Bind(2, value);
  return st.Run();
}

namespace {
constexpr const char* kSourceColumns =
    "id, path, size, sha256, format, source_name, host, events, rejects, duplicates, ingested_at, "
    "note, first_event, last_event";

SourceRecord ReadSource(const Statement& st) {
  SourceRecord s;
  s.id = st.Int(0);
  s.path = st.Text(1);
  s.size = st.Int(2);
  s.sha256 = st.Text(3);
  s.format = st.Text(4);
  s.source_name = st.Text(5);
  s.host = st.Text(6);
  s.events = st.Int(7);
  s.rejects = st.Int(8);
  s.duplicates = st.Int(9);
  s.ingested_at = st.Int(10);
  s.note = st.Text(11);
  s.first_event = st.Int(12);
  s.last_event = st.Int(13);
  return s;
}
}  // namespace

Result<std::optional<SourceRecord>> CaseStore::FindSourceBySha(const std::string& sha256) {
  CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare(std::string("SELECT ") + kSourceColumns +
                                               " FROM sources WHERE sha256=? AND complete=1 "
                                               "ORDER BY id LIMIT 1"));
  st.Bind(1, sha256);
  CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
  if (!row) return std::optional<SourceRecord>();
  return std::optional<SourceRecord>(ReadSource(st));
}

Result<int64_t> CaseStore::AddSource(const SourceRecord& s) {
  CAIRN_ASSIGN_OR_RETURN(Statement st,
                         Prepare("INSERT INTO sources(path,size,sha256,format,source_name,host,"
                                 "ingested_at,note) VALUES(?,?,?,?,?,?,?,?)"));
  st.Bind(1, s.path).Bind(2, s.size).Bind(3, s.sha256).Bind(4, s.format);
  st.BindOptional(5, s.source_name).BindOptional(6, s.host).Bind(7, s.ingested_at);
  st.BindOptional(8, s.note);
  CAIRN_TRY(st.Run());
  int64_t id = sqlite3_last_insert_rowid(db_->handle.get());
  CAIRN_ASSIGN_OR_RETURN(Statement cat, Prepare("INSERT OR IGNORE INTO source_categories VALUES(?,?)"));
  for (const auto& c : s.categories) {
    cat.Bind(1, id).Bind(2, c);
    CAIRN_TRY(cat.Run());
  }
  return id;
}

Status CaseStore::FinishSource(const SourceRecord& s) {
  CAIRN_ASSIGN_OR_RETURN(Statement st,
                         Prepare("UPDATE sources SET events=?, rejects=?, duplicates=?, note=?, "
                                 "first_event=?, last_event=?, complete=1 WHERE id=?"));
  st.Bind(1, s.events).Bind(2, s.rejects).Bind(3, s.duplicates).BindOptional(4, s.note);
  if (s.events > 0) {
    st.Bind(5, s.first_event).Bind(6, s.last_event);
  } else {
    st.BindNull(5).BindNull(6);
  }
  st.Bind(7, s.id);
  return st.Run();
}

Result<std::vector<SourceRecord>> CaseStore::ListSources() {
  CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare(std::string("SELECT ") + kSourceColumns +
                                               " FROM sources WHERE complete=1 ORDER BY id"));
  std::vector<SourceRecord> out;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back(ReadSource(st));
  }
  // One pass over the categories (in source order, like out) rather than a lookup per source.
  CAIRN_ASSIGN_OR_RETURN(Statement cat, Prepare("SELECT source_id, category FROM source_categories "
                                                "ORDER BY source_id, category"));
  size_t at = 0;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, cat.Step());
    if (!row) break;
    const int64_t source_id = cat.Int(0);
    while (at < out.size() && out[at].id < source_id) ++at;
    if (at < out.size() && out[at].id == source_id) out[at].categories.emplace_back(cat.Text(1));
  }
  return out;
}

Result<bool> CaseStore::InsertEvent(const Event& e, int64_t source_id, int64_t* id_out) {
  if (!sqlite3_get_autocommit(db_->handle.get())) return InsertEventInTransaction(e, source_id, id_out);
  // Outside a transaction: the row and its block are still written together.
  CAIRN_TRY(Begin());
  Result<bool> inserted = InsertEventInTransaction(e, source_id, id_out);
  Status done = inserted.ok() ? Commit() : Status(inserted.error());
  if (!done.ok()) {
    (void)Rollback();
    return std::move(done).error();
  }
  return inserted;
}

Result<bool> CaseStore::InsertEventInTransaction(const Event& e, int64_t source_id, int64_t* id_out) {
  CAIRN_ASSIGN_OR_RETURN(
      Statement * ins,
      Cached(kInsertEvent,
             "INSERT OR IGNORE INTO events(ts,source_id,source_type,line,actor_arn,actor_type,"
             "actor_name,access_key,action,bucket,object_key,resource,target_user,outcome,status,"
             "error_code,source_ip,user_agent,region,account,request_id,bytes,event_id,host,dedupe) "
             "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"));
  // The event outlives the step: its strings are bound without copies.
  Statement& st = *ins;
  st.Bind(1, e.time).Bind(2, source_id).BindStatic(3, SourceTypeName(e.source_type));
  st.Bind(4, e.line);
  st.BindOptionalStatic(5, e.actor_arn).BindOptionalStatic(6, e.actor_type);
  st.BindOptionalStatic(7, e.actor_name).BindOptionalStatic(8, e.access_key);
  st.BindOptionalStatic(9, e.action).BindOptionalStatic(10, e.bucket);
  st.BindOptionalStatic(11, e.object_key).BindOptionalStatic(12, e.resource);
  st.BindOptionalStatic(13, e.target_user).BindOptionalStatic(14, e.outcome);
  if (e.status > 0) st.Bind(15, static_cast<int64_t>(e.status)); else st.BindNull(15);
  st.BindOptionalStatic(16, e.error_code).BindOptionalStatic(17, e.source_ip);
  st.BindOptionalStatic(18, e.user_agent).BindOptionalStatic(19, e.region);
  st.BindOptionalStatic(20, e.account).BindOptionalStatic(21, e.request_id);
  if (e.bytes >= 0) st.Bind(22, e.bytes); else st.BindNull(22);
  st.BindOptionalStatic(23, e.event_id).BindOptionalStatic(24, e.host);
  if (e.dedupe != 0) st.Bind(25, static_cast<int64_t>(e.dedupe)); else st.BindNull(25);
  CAIRN_ASSIGN_OR_RETURN(bool ignored_row, st.Step());
  (void)ignored_row;
  sqlite3* db = db_->handle.get();
  if (sqlite3_changes(db) == 0) return false;  // duplicate content
  int64_t id = sqlite3_last_insert_rowid(db);
  if (id_out) *id_out = id;
  // The raw text goes into the event blocks only; a full block is written at once.
  db_->pending.Add(id, e.time, source_id, e.raw);
  if (db_->pending.has_full()) {
    for (const auto& block : db_->pending.TakeFull()) CAIRN_TRY(WriteEventBlock(block));
  }
  return true;
}

// ---- collisions: CloudTrail eventIDs seen with different content ----

Status CaseStore::DropEventIdIndex() { return Exec("DROP INDEX IF EXISTS events_event_id"); }

Result<int64_t> CaseStore::FindCollisions(CollisionSearch search) {
  CAIRN_TRY(Begin());
  int64_t found = 0;
  auto run = [&]() -> Status {
    // A bulk ingest dropped the index: it is built again in one sort, far cheaper than keeping
    // it up to date row by row.
    CAIRN_TRY(Exec(kEventIdIndexSql));
    CAIRN_ASSIGN_OR_RETURN(auto mark, GetMeta(kCollisionsMetaKey));
    const int64_t through = mark ? std::stoll(*mark) : 0;
    CAIRN_ASSIGN_OR_RETURN(Statement max_st, Prepare("SELECT coalesce(max(id), 0) FROM events"));
    CAIRN_TRY(max_st.Step());
    const int64_t max_id = max_st.Int(0);
    max_st.Reset();
    if (max_id <= through) return Ok();
    CAIRN_ASSIGN_OR_RETURN(Statement count_st,
                           Prepare("SELECT count(*), (SELECT count(*) FROM events WHERE id > ?1 AND "
                                   "event_id IS NOT NULL) FROM events WHERE event_id IS NOT NULL"));
    count_st.Bind(1, through);
    CAIRN_TRY(count_st.Step());
    const int64_t with_id = count_st.Int(0), new_with_id = count_st.Int(1);
    count_st.Reset();
    // (event_id, first event, the other event), for each new event whose eventID an earlier event has.
    struct Pair {
      std::string event_id;
      int64_t first = 0, other = 0;
    };
    std::vector<Pair> pairs;
    const bool scan = search == CollisionSearch::kScan ||
                      (search == CollisionSearch::kAuto && new_with_id * 10 >= with_id);
    if (scan) {
      // Many new events: one pass over the index, grouped by eventID.
      CAIRN_ASSIGN_OR_RETURN(
          Statement st,
          Prepare("SELECT e.event_id, e.id FROM events e JOIN (SELECT event_id FROM events WHERE event_id IS "
                  "NOT NULL GROUP BY event_id HAVING count(*) > 1 AND max(id) > ?1) d ON d.event_id = e.event_id "
                  "ORDER BY e.event_id, e.id"));
      st.Bind(1, through);
      std::string current;
      int64_t first = 0;
      while (true) {
        CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        std::string_view event_id = st.Text(0);
        const int64_t id = st.Int(1);
        if (event_id != current) {
          current.assign(event_id);
          first = id;
        } else if (id > through) {
          pairs.push_back({current, first, id});
        }
      }
    } else {
      // A few: one index lookup each.
      CAIRN_ASSIGN_OR_RETURN(
          Statement st, Prepare("SELECT id, event_id FROM events WHERE id > ?1 AND event_id IS NOT NULL ORDER BY id"));
      CAIRN_ASSIGN_OR_RETURN(Statement first_st,
                             Prepare("SELECT min(id) FROM events WHERE event_id = ?1 AND id < ?2"));
      st.Bind(1, through);
      while (true) {
        CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
        if (!row) break;
        first_st.Reset();
        first_st.Bind(1, st.Text(1)).Bind(2, st.Int(0));
        CAIRN_TRY(first_st.Step());
        if (!first_st.IsNull(0)) pairs.push_back({std::string(st.Text(1)), first_st.Int(0), st.Int(0)});
      }
    }
    std::sort(pairs.begin(), pairs.end(), [](const Pair& a, const Pair& b) { return a.other < b.other; });
    CAIRN_ASSIGN_OR_RETURN(Statement ins, Prepare("INSERT INTO collisions VALUES(?,?,?)"));
    for (const Pair& p : pairs) {
      ins.Reset();
      ins.Bind(1, std::string_view(p.event_id)).Bind(2, p.first).Bind(3, p.other);
      CAIRN_TRY(ins.Run());
    }
    found = static_cast<int64_t>(pairs.size());
    return SetMeta(kCollisionsMetaKey, std::to_string(max_id));
  };
  Status st = run();
  if (!st.ok()) {
    (void)Rollback();
    return std::move(st).error();
  }
  CAIRN_TRY(Commit());
  return found;
}

Status CaseStore::InsertReject(int64_t source_id, const Reject& r) {
  CAIRN_ASSIGN_OR_RETURN(
      Statement * st,
      Cached(kInsertReject, "INSERT INTO rejects(source_id,line,offset,reason,raw) VALUES(?,?,?,?,?)"));
  st->Bind(1, source_id).Bind(2, r.line).Bind(3, r.offset).Bind(4, r.reason);
  constexpr size_t kMaxRaw = 64 * 1024;
  st->Bind(5, std::string_view(r.raw).substr(0, kMaxRaw));
  return st->Run();
}

// ---- keyword index (keyword_index.h) ----

Result<std::optional<int64_t>> CaseStore::KeywordWatermark() {
  CAIRN_ASSIGN_OR_RETURN(auto value, GetMeta(internal::kKeywordWatermarkKey));
  if (!value) return std::optional<int64_t>();
  return std::optional<int64_t>(std::stoll(*value));
}

Result<int64_t> CaseStore::StartKeywordIndex() {
  CAIRN_ASSIGN_OR_RETURN(auto watermark, KeywordWatermark());
  if (watermark) return *watermark;
  // A case from before the kw tables (its FTS5 table went with events.raw, MoveRawTextToBlocks):
  // every event gets indexed anew.
  CAIRN_TRY(SetMeta(internal::kKeywordWatermarkKey, "0"));
  return int64_t{0};
}

Status CaseStore::ForEachEventAbove(int64_t after, const EventTextFn& fn) {
  CAIRN_ASSIGN_OR_RETURN(Statement blocks,
                         Prepare("SELECT first_id FROM event_blocks WHERE last_id>? ORDER BY first_id"));
  blocks.Bind(1, after);
  std::vector<int64_t> first_ids;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, blocks.Step());
    if (!row) break;
    first_ids.push_back(blocks.Int(0));
  }
  blocks.Reset();
  CAIRN_ASSIGN_OR_RETURN(Statement data, Prepare("SELECT data FROM event_block_data WHERE first_id=?"));
  DecodedBlock block;
  for (int64_t first_id : first_ids) {
    data.Bind(1, first_id);
    CAIRN_ASSIGN_OR_RETURN(bool row, data.Step());
    if (!row || !block.Decode(data.Blob(0))) {
      return Error::CorruptInput("event block " + std::to_string(first_id) + " of the case is damaged")
          .WithHelp("re-ingest the evidence into a new case");
    }
    data.Reset();
    for (size_t k = 0; k < block.size(); ++k) {
      if (block.id(k) > after) CAIRN_TRY(fn(block.id(k), block.ts(k), block.source_id(k), block.raw(k)));
    }
  }
  return Ok();
}

Status CaseStore::WriteEventBlock(const EventBlock& block) {
  CAIRN_ASSIGN_OR_RETURN(
      Statement * ins,
      Cached(kInsertEventBlock, "INSERT INTO event_blocks(first_id,last_id,min_ts,max_ts,events,sources) "
                                "VALUES(?,?,?,?,?,?)"));
  ins->Bind(1, block.first_id).Bind(2, block.last_id).Bind(3, block.min_ts).Bind(4, block.max_ts);
  ins->Bind(5, block.events).Bind(6, std::string_view(block.sources));
  CAIRN_TRY(ins->Run());
  CAIRN_ASSIGN_OR_RETURN(Statement * data,
                         Cached(kInsertEventBlockData, "INSERT INTO event_block_data(first_id,data) VALUES(?,?)"));
  data->Bind(1, block.first_id);
  sqlite3_bind_blob64(data->impl_->stmt.get(), 2, block.data.data(), block.data.size(), SQLITE_STATIC);
  CAIRN_TRY(data->Run());
  if (block.leaves.empty()) return Ok();
  CAIRN_ASSIGN_OR_RETURN(Statement * leaf,
                         Cached(kInsertEventBlockLeaf, "INSERT INTO event_block_leaves(first_id,path,data) VALUES(?,?,?)"));
  for (const auto& [path, bytes] : block.leaves) {
    leaf->Bind(1, block.first_id).Bind(2, std::string_view(path));
    sqlite3_bind_blob64(leaf->impl_->stmt.get(), 3, bytes.data(), bytes.size(), SQLITE_STATIC);
    CAIRN_TRY(leaf->Run());
  }
  return Ok();
}

Status CaseStore::WriteKeywordSegment(const KeywordSegment& segment) {
  sqlite3* db = db_->handle.get();
  if (!segment.blocks.empty()) {
    CAIRN_ASSIGN_OR_RETURN(
        Statement * seg,
        Cached(kInsertKwSegment, "INSERT INTO kw_segments(first_id,last_id,keys,postings,blocks) "
                                 "VALUES(?,?,?,?,?)"));
    seg->Bind(1, segment.first_id).Bind(2, segment.last_id).Bind(3, segment.keys);
    seg->Bind(4, segment.postings).Bind(5, static_cast<int64_t>(segment.blocks.size()));
    CAIRN_TRY(seg->Run());
    int64_t seg_id = sqlite3_last_insert_rowid(db);
    CAIRN_ASSIGN_OR_RETURN(Statement * ins,
                           Cached(kInsertKwBlock, "INSERT INTO kw(seg,first_key,postings) VALUES(?,?,?)"));
    sqlite3_stmt* st = ins->impl_->stmt.get();
    for (const auto& block : segment.blocks) {
      sqlite3_bind_int64(st, 1, seg_id);
      sqlite3_bind_blob64(st, 2, block.first_key.data(), block.first_key.size(), SQLITE_STATIC);
      sqlite3_bind_blob64(st, 3, block.data.data(), block.data.size(), SQLITE_STATIC);
      CAIRN_TRY(ins->Run());
    }
  }
  CAIRN_ASSIGN_OR_RETURN(auto watermark, KeywordWatermark());
  if (!watermark || segment.last_id > *watermark) {
    CAIRN_TRY(SetMeta(internal::kKeywordWatermarkKey, std::to_string(segment.last_id)));
  }
  return Ok();
}

Status CaseStore::IndexKeywords() {
  CAIRN_TRY(Begin());
  auto run = [&]() -> Status {
    CAIRN_ASSIGN_OR_RETURN(int64_t watermark, StartKeywordIndex());
    KeywordIndexBuilder builder;
    CAIRN_TRY(ForEachEventAbove(watermark, [&](int64_t id, int64_t, int64_t, std::string_view raw) -> Status {
      builder.Add(id, raw);
      return Ok();
    }));
    if (builder.empty()) return Ok();
    return WriteKeywordSegment(builder.TakeSegment());
  };
  Status st = run();
  if (!st.ok()) {
    (void)Rollback();
    return st;
  }
  return Commit();
}

Result<std::vector<int64_t>> CaseStore::KeywordCandidates(std::string_view expr) {
  CAIRN_ASSIGN_OR_RETURN(internal::KeywordCandidateSet set,
                         internal::EvalKeywordExpression(db_->handle.get(), expr));
  std::vector<int64_t> out = std::move(set.ids);
  for (int64_t id = set.range_from; id <= set.range_to; ++id) out.push_back(id);
  return out;
}

Result<CaseStats> CaseStore::Stats() {
  CaseStats s;
  {
    CAIRN_ASSIGN_OR_RETURN(Statement st,
                           Prepare("SELECT count(*), coalesce(sum(events),0), coalesce(sum(rejects),0), "
                                   "coalesce(sum(duplicates),0) FROM sources WHERE complete=1"));
    CAIRN_TRY(st.Step());
    s.sources = st.Int(0);
    s.duplicates = st.Int(3);
  }
  {
    CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT count(*), min(ts), max(ts) FROM events"));
    CAIRN_TRY(st.Step());
    s.events = st.Int(0);
    if (s.events > 0) {
      s.first_event = st.Int(1);
      s.last_event = st.Int(2);
    }
  }
  {
    CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT count(*) FROM rejects"));
    CAIRN_TRY(st.Step());
    s.rejects = st.Int(0);
  }
  {
    CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT count(*) FROM collisions"));
    CAIRN_TRY(st.Step());
    s.collisions = st.Int(0);
  }
  {
    CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT source_type, count(*) FROM events "
                                                 "GROUP BY source_type ORDER BY 2 DESC, 1"));
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      s.by_source_type.push_back({std::string(st.Text(0)), st.Int(1)});
    }
  }
  {
    CAIRN_ASSIGN_OR_RETURN(Statement st,
                           Prepare("SELECT c.category, sum(s.events) FROM source_categories c "
                                   "JOIN sources s ON s.id=c.source_id WHERE s.complete=1 "
                                   "GROUP BY c.category ORDER BY 2 DESC, 1"));
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      s.by_category.push_back({std::string(st.Text(0)), st.Int(1)});
    }
  }
  return s;
}

Result<std::vector<RejectRecord>> CaseStore::ListRejects(int64_t limit) {
  CAIRN_ASSIGN_OR_RETURN(Statement st,
                         Prepare("SELECT r.source_id, s.path, r.line, r.offset, r.reason, r.raw "
                                 "FROM rejects r JOIN sources s ON s.id=r.source_id "
                                 "ORDER BY r.id LIMIT ?"));
  st.Bind(1, limit);
  std::vector<RejectRecord> out;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    RejectRecord r;
    r.source_id = st.Int(0);
    r.path = st.Text(1);
    r.reject.line = st.Int(2);
    r.reject.offset = st.Int(3);
    r.reject.reason = st.Text(4);
    r.reject.raw = st.Text(5);
    out.push_back(std::move(r));
  }
  return out;
}

Result<std::optional<std::pair<TimeMs, TimeMs>>> CaseStore::TimeRange() {
  CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT min(ts), max(ts) FROM events"));
  CAIRN_TRY(st.Step());
  if (st.IsNull(0)) return std::optional<std::pair<TimeMs, TimeMs>>();
  return std::optional<std::pair<TimeMs, TimeMs>>(std::make_pair(st.Int(0), st.Int(1)));
}

Result<std::string> CaseStore::ContentHash() {
  CAIRN_ASSIGN_OR_RETURN(Statement st, Prepare("SELECT sha256 FROM sources WHERE complete=1 "
                                               "ORDER BY sha256"));
  uint64_t h = 14695981039346656037ULL;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    for (char c : st.Text(0)) {
      h ^= static_cast<unsigned char>(c);
      h *= 1099511628211ULL;
    }
  }
  CAIRN_ASSIGN_OR_RETURN(Statement cnt, Prepare("SELECT count(*) FROM events"));
  CAIRN_TRY(cnt.Step());
  return Hex64(h) + "-" + std::to_string(cnt.Int(0));
}

}  // namespace cairn::store
