#pragma once
// Running a pipeline query over a case (docs/query-language.md).
//
//   parse  -> ParseQuery (engine/query/parser.h) gives a Pipeline (AST)
//   plan   -> the keyword scope, metadata predicates and time range become one SQLite statement
//             (FTS5 prefilter + indexed ts + source ids); names are resolved to field slots
//   execute-> events stream from SQLite through the record operators in C++; the first aggregate
//             turns the stream into rows; rows go to the RowSink as they are produced.
//
// Memory is bounded by the aggregate state (groups, signatures, buffered rows of sort), not by the
// number of events. Record output is in time order (ts, then insertion order).
// Thread-safety: one query per CaseStore at a time (the store is single-threaded).

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/time.h"
#include "engine/query/ast.h"
#include "engine/query/value.h"

namespace cairn::store {
class CaseStore;
}

namespace cairn::query {

struct QueryOptions {
  std::optional<TimeMs> from;   // inclusive
  std::optional<TimeMs> to;     // exclusive
  std::string geo_db_path;      // .mmdb for lookup/geoip; empty: those operators fail with kNotFound
  int tz_offset_minutes = 0;    // alignment of 1d/1w timeslices (spec §8.2)
  bool parse_ignore_case = false;   // spec §20 D8 flag
  bool outlier_skip_last = false;   // spec §12.2 step 8
  std::string geo_ip_field;     // spec §20 D1 (a): IP field for the 'lookup latitude, longitude' form
  bool newest_first = false;    // record output newest first (Sumo's UI order)
  // Borrowed, nullable: when set and it becomes true (e.g. from a SIGINT handler), the query stops
  // before the next event and fails with kIo "query cancelled".
  const std::atomic<bool>* cancel = nullptr;
  // Diagnosis and tests: json and json auto always build the whole document tree instead of
  // reading only the leaves the query uses (the two give the same answers).
  bool json_full_tree = false;
  // Read events from the case's event blocks where the query allows it (an unordered scan of
  // raw text and source metadata; store/event_blocks.h). false: always step the events table
  // (diagnosis and tests: the two give the same answers).
  bool use_event_blocks = true;
  // Threads a scan of event blocks may use: 1 keeps everything on the calling thread. Otherwise,
  // when the operators before the first aggregate can run as one copy per thread (Stage::
  // ParallelSafe), that many threads each read, decode and run a share of the blocks; else a
  // second thread reads and decodes blocks ahead of the operators.
  int threads = 2;
  // ... but only on a case of at least this many event blocks (about 50,000 events and up).
  int64_t read_ahead_min_blocks = 64;
};

// Receives result rows as they are produced. `columns` names the values (same vector object for
// every row of one shape; the shape changes at most when an operator such as transpose produces
// new columns). Return an error to stop the query.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual Status OnRow(const std::vector<std::string>& columns, const std::vector<Value>& values) = 0;
};

struct QueryStats {
  int64_t events_read = 0;     // rows returned by SQLite (after the FTS/metadata/time prefilter)
  int64_t events_matched = 0;  // after the exact scope check
  int64_t rows_out = 0;
  std::string sql;             // the statement that ran (for --explain and tests)
  int64_t blocks_read = 0;     // event blocks decoded (the events above them came from sql)
  int64_t blocks_skipped = 0;  // event blocks left out by their sources or time range
  int64_t blocks_header_only = 0;  // of blocks_read: only their ids, times and sources decoded
  int64_t blocks_from_leaves = 0;  // of those: their json keys read from leaf columns
  int threads = 1;             // threads that ran the operators before the first aggregate
  // Milliseconds spent planning (sources, scope, operators), scanning the events through the
  // streaming operators, and finishing (the blocking operators and the output rows).
  double plan_ms = 0, scan_ms = 0, finish_ms = 0;
  bool used_fts = false;
  bool ordered_by_time = false;
};

struct QueryResult {
  std::vector<std::string> columns;  // every column seen, in first-seen order
  bool aggregated = false;           // true when rows are aggregate rows (not events)
  std::vector<std::string> notices;  // for stderr: resolved shorthands, value hints, warnings
  std::string geo_db;                // description of the GeoIP database used ("" if none)
  QueryStats stats;
};

// Parses, plans and runs `query` on the store, streaming rows into sink.
// Errors: kParse (with a span into the query), kNotFound (GeoIP database missing),
// kUnsupported, kIo (SQLite).
Result<QueryResult> RunQuery(store::CaseStore& store, std::string_view query,
                             const QueryOptions& options, RowSink& sink);
Result<QueryResult> RunPipeline(store::CaseStore& store, const Pipeline& pipeline,
                                const QueryOptions& options, RowSink& sink);

// All rows in memory (tests, playbooks, reports). Rows are aligned to `columns` (null where a row
// has no such column).
struct QueryTable {
  std::vector<std::string> columns;
  std::vector<std::vector<Value>> rows;
  QueryResult result;

  // Index of a column (case-insensitive), or -1.
  int ColumnIndex(std::string_view name) const;
  // The value of column `name` in row `row` (null if absent).
  const Value& Get(size_t row, std::string_view name) const;
};
Result<QueryTable> RunQueryTable(store::CaseStore& store, std::string_view query,
                                 const QueryOptions& options);

// Renders a value for text output: times as ISO-8601 (tz applied), doubles with up to 6
// decimals, null as "".
std::string RenderValue(const Value& v, int tz_offset_minutes = 0, bool raw_times = false);

}  // namespace cairn::query
