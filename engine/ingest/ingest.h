#pragma once
// Ingest: evidence files -> the case store. Detects each file's format by content, parses it with
// the per-format parsers (engine/ingest/parsers.h) and writes events, rejects and the file's
// sources row in one transaction, so a killed ingest leaves a consistent case and running it again
// completes it exactly once (files whose sha256 is already in the case are skipped).
//
// The library never prints: progress and per-file outcomes go to an IngestObserver.
// Thread-safety: one Ingest call per CaseStore at a time.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/common/result.h"
#include "engine/ingest/parsers.h"
#include "engine/store/case_store.h"

namespace cairn::ingest {

struct IngestOptions {
  std::vector<std::string> paths;       // files and directories (recursive, sorted order)
  std::string format;                   // "" or "auto": detect; else a SourceTypeName
  std::vector<std::string> categories;  // _sourceCategory values for every file (repeatable)
  std::string source_name;              // _sourceName for every file (default: the path)
  std::string host;                     // _sourceHost for every file
  std::string sources_file;             // path of a sources file (docs/schema.md#sources-file)
  std::string apache_format;            // Apache LogFormat for access logs ("" = recognise stock)
  // Files per transaction when they are small; a file is never split across transactions.
  int64_t batch_events = 50000;
  int64_t batch_files = 256;
  // Files larger than this (on disk) are not read whole: they are hashed in a first pass, then
  // decompressed and parsed in chunks of chunk_bytes. Smaller files are read whole (fewer calls).
  int64_t stream_above_bytes = 16 << 20;
  int64_t chunk_bytes = 4 << 20;
  // The keyword index is written as a new segment at the first commit after this many postings
  // (word, event) gathered in memory, and at the end (docs/schema.md "Keyword index").
  int64_t keyword_flush_postings = 8'000'000;
  // Reference time for syslog lines without a year; 0 = the file's modification time.
  TimeMs reference_time = 0;
  // Recorded as sources.ingested_at (the CLI passes the wall clock; the library never reads it).
  TimeMs ingested_at = 0;
  // The CloudTrail eventID index: kept up to date row by row, or dropped for the load and built
  // again at the end (one sort). Auto rebuilds it when the evidence may add a tenth of the case's
  // events or more (an estimate from its size: 500 bytes an event).
  enum class EventIdIndex { kAuto, kKeep, kRebuild };
  EventIdIndex event_id_index = EventIdIndex::kAuto;
};

// What happened to one file.
struct FileOutcome {
  std::string path;
  std::string format;      // SourceTypeName, or "unknown", "empty", "cloudtrail_digest"
  int64_t size = 0;
  int64_t events = 0;      // events stored
  int64_t duplicates = 0;  // records already in the case
  int64_t rejects = 0;
  std::string first_reject;  // reason of the first reject
  std::string note;
  bool skipped = false;      // already in the case (same sha256): nothing written
};

struct IngestSummary {
  int64_t files = 0;          // files seen
  int64_t files_ingested = 0; // files recorded in the sources table by this run
  int64_t files_skipped = 0;  // already in the case
  int64_t files_unrecognised = 0;
  int64_t bytes = 0;          // bytes read (on disk)
  int64_t events = 0;
  int64_t duplicates = 0;
  int64_t rejects = 0;
  std::vector<FileOutcome> outcomes;  // in processing order
};

// Callbacks of a running ingest. Default implementations do nothing.
class IngestObserver {
 public:
  virtual ~IngestObserver() = default;
  // After the paths were expanded: number of files and their total size.
  virtual void OnPlan(int64_t files, int64_t bytes) { (void)files; (void)bytes; }
  // Called at least once per file and every few thousand events.
  virtual void OnProgress(int64_t files_done, int64_t bytes_done, int64_t events) {
    (void)files_done; (void)bytes_done; (void)events;
  }
  virtual void OnFileDone(const FileOutcome& outcome) { (void)outcome; }
};

// Ingests every file under options.paths into store.
// Errors: kNotFound (a path does not exist), kInvalidArgument (unknown --format, bad
// --apache-format, unreadable sources file), kIo (the case cannot be written). Damaged input never
// fails the call: it becomes rejects and notes in the summary.
Result<IngestSummary> Ingest(store::CaseStore& store, const IngestOptions& options,
                             IngestObserver* observer = nullptr);

// Format detection by content (the first lines of the decompressed text). Returns a
// SourceTypeName, or "" when nothing matches. apache_format (may be null) is tried as well.
std::string DetectFormat(std::string_view head, const ApacheLogFormat* apache_format = nullptr);

// SHA-256 of bytes as 64 lower-case hex digits.
std::string Sha256Hex(std::string_view bytes);

// Decompresses gzip data (multi-member allowed) into out. On damage returns kCorruptInput and
// keeps in out everything decompressed before the damage.
Status Gunzip(std::string_view compressed, std::string* out);

// One rule of a sources file: "GLOB key=value ..." (see docs/schema.md).
struct SourceRule {
  std::string glob;
  std::vector<std::string> categories;
  std::string host;
  std::string source_name;
  std::string format;
};
// Parses a sources file's text. Errors: kParse with the line number.
Result<std::vector<SourceRule>> ParseSourcesFile(std::string_view text, const std::string& name);
// Glob match: '*' any run without '/', '**' any run, '?' one character. A pattern without '/'
// is matched against the file name only.
bool GlobMatch(std::string_view pattern, std::string_view path);

// Server name derived from an Apache log path when obvious ("web01/access.log" -> "web01",
// "www.example.com-access_log" -> "www.example.com"), else "".
std::string ApacheHostFromPath(const std::string& path);

}  // namespace cairn::ingest
