#pragma once
// The case file: one SQLite database (WAL) holding the evidence of one investigation.
//
// Tables (see docs/schema.md for every column):
//   meta(key, value)                      schema version, derived-state watermarks
//   sources(...)                          chain of custody: path, size, sha256, format, counts
//   source_categories(source_id, category)
//   events(...)                           normalized events (typed columns)
//   event_blocks(...), event_block_data   the events' raw text, as LZ4 column blocks
//                                         (event_blocks.h); SQL reads it with cairn_raw(id)
//   kw_segments(...), kw(...)             Cairn's keyword index over the raw text (keyword_index.h);
//                                         meta "kw_indexed_through" is its watermark. Cases from
//                                         before it carry an FTS5 table events_fts instead, until
//                                         the next ingest replaces it
//   rejects(...)                          lines/records that did not parse
//   collisions(event_id, ...)             CloudTrail eventIDs seen with different content
//   entities(...), relations(...)         entity graph tables (filled by graph::DeriveRelations)
//   saved_queries(name, query)            the shell's saved queries
//
// Thread-safety: a CaseStore is used by one thread at a time.
// Errors: every call returns Status/Result; SQLite messages are wrapped into Error (kIo, kSchema).

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/byte_buffer.h"
#include "engine/common/result.h"
#include "engine/store/event.h"
#include "engine/store/keyword_index.h"

struct sqlite3_blob;  // <sqlite3.h>, included by case_store.cc only

namespace cairn::store {

// 5: blocks of JSON events have leaf columns (event_block_leaves; older blocks have none and are
// read from their text). 4: the raw text is in the event blocks only (3: event_blocks beside
// events.raw; 2: the keyword index is the kw tables; 1: FTS5 events_fts). Older cases opened for
// writing are upgraded.
constexpr int kSchemaVersion = 5;

// A prepared statement. Columns and parameters are 0-based for columns, 1-based for parameters
// (as in SQLite). Obtained from CaseStore::Prepare; must not outlive its store.
class Statement {
 public:
  enum class Type { kNull, kInt, kReal, kText, kBlob };

  Statement();
  ~Statement();
  Statement(Statement&&) noexcept;
  Statement& operator=(Statement&&) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, double value);
  Statement& Bind(int index, std::string_view text);  // copied (SQLITE_TRANSIENT)
  Statement& BindNull(int index);
  // Text, or NULL when empty.
  Statement& BindOptional(int index, std::string_view text);
  // Not copied (SQLITE_STATIC): text must stay valid and unchanged until the statement is reset
  // or rebound. Saves a copy per value on hot insert paths.
  Statement& BindStatic(int index, std::string_view text);
  Statement& BindOptionalStatic(int index, std::string_view text);

  // Runs one step: true when a row is available, false when done.
  Result<bool> Step();
  // Step() until done (for statements that return no rows).
  Status Run();
  void Reset();  // reset and clear bindings

  int ColumnCount() const;
  std::string ColumnName(int col) const;
  Type ColumnType(int col) const;
  bool IsNull(int col) const;
  int64_t Int(int col) const;
  double Real(int col) const;
  // View valid until the next Step/Reset.
  std::string_view Text(int col) const;
  std::string_view Blob(int col) const;  // the bytes of a BLOB (or text) column, no copy

  struct Impl;

 private:
  friend class CaseStore;
  std::unique_ptr<Impl> impl_;
};

struct SourceRecord {
  int64_t id = 0;
  std::string path;
  int64_t size = 0;
  std::string sha256;
  std::string format;                   // detected or forced format name
  std::vector<std::string> categories;  // _sourceCategory values (several allowed)
  std::string source_name;              // _sourceName (default: the path)
  std::string host;                     // _sourceHost
  int64_t events = 0;
  int64_t rejects = 0;
  int64_t duplicates = 0;               // records already in the case (same content)
  TimeMs ingested_at = 0;
  std::string note;                     // e.g. "CloudTrail digest file: skipped"
  TimeMs first_event = 0;
  TimeMs last_event = 0;
};

struct RejectRecord {
  int64_t source_id = 0;
  std::string path;
  Reject reject;
};

struct CaseStats {
  int64_t events = 0;
  int64_t rejects = 0;
  int64_t sources = 0;
  int64_t duplicates = 0;
  int64_t collisions = 0;
  std::optional<TimeMs> first_event;
  std::optional<TimeMs> last_event;
  struct Count {
    std::string key;
    int64_t events = 0;
  };
  std::vector<Count> by_source_type;
  std::vector<Count> by_category;
};

class CaseStore {
 public:
  enum class Mode { kReadOnly, kReadWrite, kCreate };  // kCreate: create if missing

  // Opens (or creates) the case at path, creating/migrating the schema in kCreate/kReadWrite.
  // Every connection has the SQL function cairn_raw(id): the raw text of event id (NULL when no
  // such event), read from the event blocks.
  // Errors: kNotFound (kReadOnly/kReadWrite on a missing file), kSchema (not a Cairn case, or a
  // newer schema), kIo.
  static Result<std::unique_ptr<CaseStore>> Open(const std::string& path, Mode mode);
  // An in-memory case (tests).
  static Result<std::unique_ptr<CaseStore>> OpenMemory();

  ~CaseStore();
  CaseStore(const CaseStore&) = delete;
  CaseStore& operator=(const CaseStore&) = delete;

  const std::string& path() const { return path_; }

  Status Begin();
  // Writes the transaction's last, partial event block, then commits.
  Status Commit();
  Status Rollback();
  Status Exec(std::string_view sql);
  Result<Statement> Prepare(std::string_view sql);
  // Reads BLOBs of one table.column, row after row, into a buffer whose capacity is reused:
  // SQLite's incremental blob I/O (no allocation per row, unlike a column read of a blob that
  // spans overflow pages), with one blob handle moved from row to row (sqlite3_blob_reopen)
  // rather than one compiled per row. The handle holds the connection's read transaction: keep a
  // reader for the length of one scan, and destroy it before the store.
  class BlobReader {
   public:
    ~BlobReader();
    BlobReader(const BlobReader&) = delete;
    BlobReader& operator=(const BlobReader&) = delete;
    // The blob of row rowid into *out. Errors: kIo (no such row).
    Status Read(int64_t rowid, ByteBuffer* out);
    // Its first min(max_bytes, size) bytes; *total is the whole blob's size. Only the pages of
    // the prefix are read (a big blob is a chain of overflow pages).
    Status ReadPrefix(int64_t rowid, size_t max_bytes, ByteBuffer* out, size_t* total);

   private:
    friend class CaseStore;
    BlobReader(CaseStore& store, const char* table, const char* column);
    CaseStore& store_;
    const char* table_;
    const char* column_;
    ::sqlite3_blob* blob_ = nullptr;
  };
  std::unique_ptr<BlobReader> NewBlobReader(const char* table, const char* column);

  // meta table
  Result<std::optional<std::string>> GetMeta(std::string_view key);
  Status SetMeta(std::string_view key, std::string_view value);

  // Sources. FindSourceBySha returns the completed source with that content, if any.
  Result<std::optional<SourceRecord>> FindSourceBySha(const std::string& sha256);
  Result<int64_t> AddSource(const SourceRecord& source);
  Status FinishSource(const SourceRecord& source);  // writes counts, note, first/last event
  Result<std::vector<SourceRecord>> ListSources();

  // Inserts the event and sets *id (when given) to its id. Returns false when an event with the
  // same non-zero dedupe hash is already in the case (nothing inserted). A CloudTrail eventID
  // already present with different content is inserted too; FindCollisions records it.
  // The keyword index is not touched: events above its watermark are candidates of every keyword
  // lookup until indexed (ingest::Ingest does it on a thread of its own; IndexKeywords here).
  // The raw text goes into the event blocks (event_blocks.h), the rest into events; outside a
  // transaction the call is a transaction of its own.
  Result<bool> InsertEvent(const Event& event, int64_t source_id, int64_t* id = nullptr);
  Status InsertReject(int64_t source_id, const Reject& reject);
  // Collisions (a CloudTrail eventID already in the case with other content; both events are
  // kept) are found after the inserts: FindCollisions checks every event above meta
  // "collisions_through" against the events before it, records (event_id, the first event with
  // that id, the new one) in id order of the new one, raises the mark, and returns how many it
  // found; in a transaction of its own. It (re)builds the eventID index when missing: a bulk
  // ingest drops it first (DropEventIdIndex), since one sort at the end costs far less than
  // keeping a random-keyed index up to date row by row.
  // kAuto: one pass over the eventID index when the new events are a tenth or more of those with
  // an eventID, else one index lookup per new event (the same rows either way).
  enum class CollisionSearch { kAuto, kScan, kLookup };
  Result<int64_t> FindCollisions(CollisionSearch search = CollisionSearch::kAuto);
  Status DropEventIdIndex();

  // Keyword index (keyword_index.h). The watermark: every event with id <= it is indexed;
  // nullopt when the case has no kw index yet.
  Result<std::optional<int64_t>> KeywordWatermark();
  // Inside a transaction: makes sure the case has a kw index (a case from before it gets
  // watermark 0) and returns the watermark.
  Result<int64_t> StartKeywordIndex();
  // Inside a transaction: writes the segment's blocks and raises the watermark to its last_id.
  // Segments must come in id order, above the watermark.
  Status WriteKeywordSegment(const KeywordSegment& segment);
  // Indexes every event above the watermark, in one transaction of its own.
  Status IndexKeywords();
  // Calls fn for every committed event with id > after, in id order, with its raw text (read
  // from the event blocks). Errors: kCorruptInput (a damaged block), kIo, or fn's.
  using EventTextFn = std::function<Status(int64_t id, int64_t ts, int64_t source_id, std::string_view raw)>;
  Status ForEachEventAbove(int64_t after, const EventTextFn& fn);
  // The candidate event ids of a lookup expression (keyword_index.h), ascending: a superset of the
  // events it describes. Errors: kInvalidArgument (bad expression), kIo, kCorruptInput.
  Result<std::vector<int64_t>> KeywordCandidates(std::string_view expr);

  Result<CaseStats> Stats();
  Result<std::vector<RejectRecord>> ListRejects(int64_t limit);

  // Time range of all events; nullopt when the case is empty.
  Result<std::optional<std::pair<TimeMs, TimeMs>>> TimeRange();

  // A hash of the case content (sources' sha256 and event count), for playbook run records.
  Result<std::string> ContentHash();

 private:
  CaseStore();
  Status InitSchema(bool create);
  Status RegisterFunctions(const std::string& what);
  Status MoveRawTextToBlocks();
  Result<bool> InsertEventInTransaction(const Event& event, int64_t source_id, int64_t* id_out);
  Status WriteEventBlock(const EventBlock& block);
  Result<Statement*> Cached(int slot, std::string_view sql);

  struct Db;
  std::unique_ptr<Db> db_;
  std::string path_;
  std::vector<std::unique_ptr<Statement>> cache_;
};

}  // namespace cairn::store
