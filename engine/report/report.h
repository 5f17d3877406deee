#pragma once
// The timeline report's content model (docs/report.md) and how it is gathered from a case.
//
// BuildReport reads the case (events, sources, entities/relations), an optional playbook run
// record, and a GeoIP database, and returns a ReportData: verdict and findings with evidence, the
// notable-event timeline, status codes per minute, the spike series with its outlier band and
// onset, the principals' locations, the incident subgraph and the chain of custody. The renderers
// (engine/report/render.h) turn the same ReportData into HTML, Markdown or JSON, so the three
// formats always carry the same content.
//
// Every string in ReportData that comes from evidence is untrusted: renderers escape it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/time.h"
#include "engine/common/time_zone.h"
#include "engine/store/case_store.h"

namespace cairn::geo {
class GeoDb;
}

namespace cairn::report {

// ---- the playbook run record (cairn playbook run --record), read tolerantly ----

struct EvidenceItem {
  int64_t event_id = 0;         // events.id when known (resolved from event_id/id/eventID), else 0
  std::string ref;              // the reference as written in the record (id or CloudTrail eventID)
  std::optional<TimeMs> time;
  std::string source;           // source type or name
  std::string text;             // the other fields as "key=value; ..." (or the item itself)
};

struct Finding {
  std::string id;
  std::string severity;             // info, low, medium, high, critical (as written)
  std::string title;
  std::string sentence;
  std::vector<std::string> steps;   // ids of the playbook steps that produced it
  std::vector<EvidenceItem> evidence;
};

struct StepRecord {
  std::string id;
  std::string kind;          // query, correlator, graph, ...
  std::string description;
  std::string detail;        // the query text or correlator call
  std::string status;        // ok, error, skipped (as written)
  std::optional<int64_t> rows;
  std::optional<double> duration_ms;
};

struct Signal {
  std::string id;
  std::string supports;      // malicious | operational
  std::string sentence;
  bool fired = true;
};

struct NamedValue {
  std::string name;
  std::string value;
};

struct RunSummary {
  bool present = false;
  std::string origin;              // the record's path (as given)
  std::string playbook;
  std::string verdict;             // malicious | operational | inconclusive (as written)
  std::optional<double> confidence;
  std::string confidence_text;     // when the record gives a non-numeric confidence
  std::string verdict_reason;
  std::vector<Finding> findings;
  std::vector<StepRecord> steps;
  std::vector<NamedValue> entities;  // flattened: one value per row ("actor", "user:x")
  std::vector<Signal> signals;
  std::vector<std::string> actions;
  std::optional<TimeMs> onset;       // when the record names the spike onset
};

// Parses a run record (JSON). Unknown fields are ignored; missing ones stay empty.
// Errors: kParse (not JSON, or the top level is not an object).
Result<RunSummary> ParseRunRecord(std::string_view json, const std::string& origin);

// ---- the report ----

enum class Severity { kHigh, kMedium, kLow };
const char* SeverityName(Severity severity);  // "high", "medium", "low"

// One row of the unified timeline: an event, or the first event of a group of similar errors in
// the same minute (similar > 0 counts the others).
struct TimelineRow {
  int64_t event_id = 0;
  TimeMs time = 0;
  std::string source_type;     // cloudtrail, s3_access, ...
  std::string source_name;     // _sourceName of its source
  Severity severity = Severity::kLow;
  std::string kind;            // error, iam-change, login, change, read, evidence
  std::string summary;         // one line, plain text
  std::string actor;
  std::string access_key;
  std::string source_ip;
  std::string action;          // CloudTrail eventName, S3 operation, HTTP method, log level
  std::string target;          // bucket/object, resource or target user (display form)
  std::string resource;        // the resource column (e.g. the access key acted on)
  std::string target_user;     // the IAM user acted on
  int status = 0;
  std::string error_code;
  std::string user_agent;
  std::string raw;             // the original line or record (truncated to 16 KiB)
  int64_t similar = 0;         // other events folded into this row (same minute/source/code/target)
  std::vector<std::string> findings;  // ids of the findings citing this event
};

struct StatusMinute {
  TimeMs minute = 0;
  int status = 0;
  int64_t count = 0;
};

struct SpikePoint {
  TimeMs minute = 0;
  int64_t count = 0;
  std::optional<double> lower;
  std::optional<double> upper;
  bool flagged = false;  // outside the band (indicator)
};

struct Spike {
  bool present = false;
  std::string label;          // "s3_access 403 InvalidAccessKeyId"
  std::string source_type;
  int status = 0;
  std::string error_code;
  std::vector<SpikePoint> points;  // non-empty minutes of the series, ascending
  std::optional<TimeMs> onset;     // first flagged minute of the burst that holds the peak
  TimeMs peak_minute = 0;
  int64_t peak_count = 0;
  int64_t total = 0;
  int window = 10;
  double threshold = 3.0;
};

struct Location {
  std::string ip;
  std::vector<std::string> principals;
  double latitude = 0;
  double longitude = 0;
  std::string city;
  std::string country_code;
  std::string country;
  int64_t events = 0;
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  bool incident = false;  // first seen for its principal(s) in the incident window (or named by the run)
};

struct GraphNode {
  std::string id;      // unique within the report
  std::string kind;    // principal, access_key, ip, bucket, host, ...
  std::string label;
  int64_t count = 0;
  bool seed = false;   // named by the run or involved in the incident's notable events
};

struct GraphEdge {
  std::string source;
  std::string target;
  std::string kind;
  int64_t count = 0;
  int64_t errors = 0;
  std::optional<TimeMs> first_seen;
  std::optional<TimeMs> last_seen;
};

struct CustodySource {
  std::string path;
  int64_t size = 0;
  std::string sha256;
  std::string format;
  std::vector<std::string> categories;
  std::string source_name;
  std::string host;
  int64_t events = 0;
  int64_t rejects = 0;
  int64_t duplicates = 0;
  TimeMs ingested_at = 0;
  std::string note;
};

struct ReportData {
  std::string title;                 // "Incident report"
  // The zone the renderers print times in (--tz): ISO-8601 with the offset in force at each instant,
  // "Z" for UTC. Every time in ReportData is UTC; only the rendering changes.
  TimeZone time_zone;
  std::string case_path;
  std::string case_hash;             // CaseStore::ContentHash
  std::optional<TimeMs> generated_at;
  std::optional<TimeMs> window_from;  // --from (inclusive)
  std::optional<TimeMs> window_to;    // --to (exclusive)
  std::optional<TimeMs> first_event;  // of the events inside the window
  std::optional<TimeMs> last_event;
  int64_t events_in_window = 0;
  std::string geo_description;        // the GeoIP database used, or why there is none

  RunSummary run;

  std::vector<TimelineRow> timeline;  // chronological
  int64_t timeline_notable = 0;       // notable events before folding and capping
  int64_t timeline_groups = 0;        // rows before capping
  bool timeline_capped = false;

  std::vector<StatusMinute> status_per_minute;  // S3 and Apache access statuses, ascending
  Spike spike;
  std::optional<TimeMs> incident_start;  // onset minus the look-back used for "new" locations

  std::vector<Location> locations;
  std::vector<GraphNode> nodes;
  std::vector<GraphEdge> edges;
  std::string graph_origin;  // "relations table" or "derived from the timeline events"

  std::vector<CustodySource> sources;
  int64_t total_events = 0;
  int64_t total_rejects = 0;
};

struct ReportOptions {
  std::optional<TimeMs> from;
  std::optional<TimeMs> to;
  std::optional<TimeMs> generated_at;  // injected clock; omitted from the report when unset
  TimeZone time_zone;                  // copied to ReportData::time_zone (display only)
  size_t max_timeline_rows = 1500;
  size_t max_graph_nodes = 60;
  int64_t incident_lookback_ms = 60LL * 60 * 1000;  // before the onset, for "new" locations
};

// Builds the report. geo may be null (no map; geo_description says so). run may be null.
// Errors: kIo from the store.
Result<ReportData> BuildReport(store::CaseStore& store, const RunSummary* run,
                               const geo::GeoDb* geo, std::string geo_description,
                               const ReportOptions& options);

}  // namespace cairn::report
