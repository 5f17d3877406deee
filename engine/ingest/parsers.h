#pragma once
// The per-format parsers of the ingest module, exposed for unit tests and fuzzers.
//
// Each line parser fills an Event from one line of text and returns an Error (kParse) whose
// message is the reject reason ("expected at least 18 fields, got 4") when the line cannot be
// parsed. They never print, never throw, and do not touch the case store. The Event passed in is
// reset first (its strings keep their capacity, so a reused Event avoids per-line allocations).
// Thread-safety: the free functions are pure; CloudTrailParser and ApacheErrorParser hold state
// and are used by one thread at a time.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/store/event.h"

namespace cairn::ingest {

// Clears every field of event (keeping string capacity).
void ResetEvent(store::Event* event);

// ---- S3 server access logs -------------------------------------------------------------------
// One line in the documented space-separated format: 18 fields at least (bucket owner ... version
// id), any number of further trailing fields (host id, signature version, cipher suite, auth type,
// host header, TLS version, access point ARN, aclRequired, and later additions) are accepted.
// Quoted fields may contain spaces and \" escapes; `-` means absent; any time zone offset.
Status ParseS3AccessLine(std::string_view line, store::Event* event);
// Number of fields the S3 tokenizer finds in line (for diagnostics and tests).
size_t CountS3Fields(std::string_view line);

// ---- Apache access logs ----------------------------------------------------------------------
// A compiled Apache LogFormat string ("%h %l %u %t \"%r\" %>s %b"). The names "common",
// "combined" and "vhost_combined" select the stock formats.
class ApacheLogFormat {
 public:
  // Errors: kInvalidArgument for an unknown directive or an unterminated %{...}.
  static Result<ApacheLogFormat> Compile(std::string_view format);

  struct Item {
    bool literal = false;
    std::string text;  // literal text, or the directive letter(s) ("h", ">s", "i")
    std::string arg;   // the {argument} of %{X}i, lower-cased
  };
  const std::vector<Item>& items() const { return items_; }

 private:
  std::vector<Item> items_;
};

// Parses an access line. With format == nullptr the stock formats are recognised by shape:
// common, combined, vhost_combined (`%v:%p %h ...`), and combined with trailing extras (response
// time, X-Forwarded-For=...); requests that are `-`, binary junk, or contain spaces are kept.
Status ParseApacheAccessLine(std::string_view line, const ApacheLogFormat* format,
                             store::Event* event);

// ---- Apache error logs -----------------------------------------------------------------------
// Parses one record's first line (2.2 `[ctime] [level] [client ip] msg`, 2.4
// `[ctime.us] [module:level] [pid N:tid N] [client ip:port] AHnnnnn: msg`, or an ISO timestamp).
Status ParseApacheErrorLine(std::string_view line, store::Event* event);
// True when line starts a new error-log record (begins with '[' and a recognised timestamp), or is a
// bare "AHnnnnn: ..." startup line.
bool IsApacheErrorRecordStart(std::string_view line);

// ---- Generic text ----------------------------------------------------------------------------
// Length of a recognised timestamp at the start of line (syslog RFC 3164 with or without <PRI>,
// RFC 5424, ISO-8601 with ' ' or 'T', optional brackets), 0 when there is none. RFC 3164 has no
// year: reference_year is used, and a time more than a day after reference_time goes to the year
// before (the usual rotation rule).
size_t ParseLeadingTimestamp(std::string_view line, int reference_year, TimeMs reference_time,
                             TimeMs* out);
// A generic event: time from the leading timestamp, host from syslog headers, raw = line.
Status ParseGenericLine(std::string_view line, int reference_year, TimeMs reference_time,
                        store::Event* event);

// ---- CloudTrail ------------------------------------------------------------------------------
// Receives what a CloudTrail document holds. Implemented by the ingest driver and by tests.
class CloudTrailSink {
 public:
  virtual ~CloudTrailSink() = default;
  // One parsed record; event.raw is the compact (minified) record.
  virtual Status OnRecord(store::Event& event) = 0;
  // A value or record that could not be used (reason, the offending text, its byte offset and
  // 1-based line within the document).
  virtual Status OnReject(std::string_view reason, std::string_view raw, int64_t offset,
                          int64_t line) = 0;
  // A file-level note ("CloudTrail digest file: skipped", "invalid UTF-8 replaced in 2 records").
  virtual void OnNote(std::string_view note) = 0;
};

// Parses any CloudTrail shape: {"Records":[...]} (compact or pretty), bare arrays, JSON Lines or
// concatenated objects of single records, EventBridge wrappers (record in "detail"), lookup-events
// output ({"Events":[{"CloudTrailEvent":"..."}]}), CloudWatch Logs DATA_MESSAGE (record in each
// logEvents[].message; CONTROL_MESSAGE skipped), Insights records. Digest files are recognised and
// reported through OnNote only. A malformed value becomes a reject and parsing resumes at the next
// line; records before damage (truncation) are kept. Records without a parseable eventTime are
// rejected ("CloudTrail record without eventTime"). Reuses its simdjson parsers between calls.
class CloudTrailParser {
 public:
  CloudTrailParser();
  ~CloudTrailParser();
  CloudTrailParser(const CloudTrailParser&) = delete;
  CloudTrailParser& operator=(const CloudTrailParser&) = delete;

  // Errors: only those returned by the sink.
  Status ParseDocument(std::string_view text, CloudTrailSink& sink);
  // A piece of a larger document cut between top-level values (streamed files): offsets and line
  // numbers given to the sink count from base_offset and base_line (the piece's first line).
  Status ParseDocument(std::string_view text, CloudTrailSink& sink, int64_t base_offset,
                       int64_t base_line);

  // Parses one record's JSON text (any whitespace) into event. Errors (kParse): invalid JSON, not
  // an object, not a CloudTrail record, missing/unparseable eventTime.
  Status ParseRecord(std::string_view json, store::Event* event);

  // Records whose invalid UTF-8 was replaced by U+FFFD so far.
  int64_t utf8_repaired() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// True when text (the start of a file) looks like a CloudTrail digest file.
bool LooksLikeCloudTrailDigest(std::string_view text);

}  // namespace cairn::ingest
