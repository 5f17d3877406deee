// cairn query 'QUERY' --case FILE: runs a pipeline query (docs/query-language.md).
#include <cstdio>
#include <memory>

#include "engine/cli/cli_common.h"
#include "engine/cli/query_output.h"
#include "engine/common/strings.h"
#include "engine/query/query.h"

namespace cairn::cli {
namespace {

struct QueryArgs {
  std::string query;
  std::string case_path;
  std::string from;
  std::string to;
  std::string format;
  std::string geoip_db;
  std::string tz = "UTC";
  std::string geo_ip_field;
  bool raw_times = false;
  bool newest_first = false;
  bool parse_ignore_case = false;
  bool outlier_skip_last = false;
  bool explain = false;
  bool chart = false;
  int threads = 2;
};

int RunQueryCommand(const QueryArgs& args) {
  auto opened = OpenCaseToRead(args.case_path, args.tz);
  if (!opened.ok()) return ReportError(opened.error());
  store::CaseStore& store = *opened->store;
  const TimeZone& zone = opened->zone;
  auto bounds = ResolveTimeBounds(store, args.from, args.to);
  if (!bounds.ok()) return ReportError(bounds.error());

  query::QueryOptions options;
  options.from = bounds->from;
  options.to = bounds->to;
  options.tz_offset_minutes = AlignmentOffsetMinutes(zone, store, *bounds);
  options.geo_db_path = ResolveGeoDbPath(args.geoip_db);
  options.geo_ip_field = args.geo_ip_field;
  options.newest_first = args.newest_first;
  options.parse_ignore_case = args.parse_ignore_case;
  options.outlier_skip_last = args.outlier_skip_last;
  options.threads = args.threads;

  PrintOptions print;
  print.format = args.format;
  print.zone = zone;
  print.raw_times = args.raw_times;
  print.max_width = StdoutIsTty() ? TerminalWidth() : 0;  // cut wide cells on a terminal only
  print.chart = args.chart || StdoutIsTty();
  QueryPrinter sink(print, [](std::string_view text) {
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  });
  int64_t start = MonotonicMs();
  auto result = query::RunQuery(store, args.query, options, sink);
  if (!result.ok()) {
    sink.Finish();
    std::fflush(stdout);
    return ReportError(result.error());
  }
  sink.Finish();
  std::fflush(stdout);
  for (const auto& n : result->notices) Note(n);
  if (!result->geo_db.empty()) Note("GeoIP database: " + result->geo_db);
  if (args.explain) {
    Note("sql: " + result->stats.sql);
    if (result->stats.blocks_read + result->stats.blocks_skipped > 0) {
      Note("event blocks: " + WithThousands(result->stats.blocks_read) + " read, " +
           WithThousands(result->stats.blocks_skipped) + " skipped" +
           (result->stats.blocks_header_only > 0
                ? " (" + WithThousands(result->stats.blocks_header_only) + " read for their ids and times only" +
                      (result->stats.blocks_from_leaves > 0
                           ? ", " + WithThousands(result->stats.blocks_from_leaves) + " through their leaf columns"
                           : "") +
                      ")"
                : "") +
           (result->stats.threads > 1 ? ", on " + std::to_string(result->stats.threads) + " threads" : ""));
    }
    Note("events read " + WithThousands(result->stats.events_read) + ", matched " +
         WithThousands(result->stats.events_matched) + ", rows " + WithThousands(result->stats.rows_out) +
         ", " + std::to_string(MonotonicMs() - start) + " ms");
    char phases[160];
    std::snprintf(phases, sizeof phases, "time: planning %.1f ms, scan %.1f ms, finish and output %.1f ms",
                  result->stats.plan_ms, result->stats.scan_ms, result->stats.finish_ms);
    Note(phases);
  }
  return kExitOk;
}

}  // namespace

void SetupQuery(CLI::App& app) {
  auto args = std::make_shared<QueryArgs>();
  auto* cmd = app.add_subcommand("query", "run a pipeline query (Sumo Logic style) over a case");
  cmd->add_option("query", args->query, "the query, e.g. 'error | summarize'")->required();
  AddCaseFlag(cmd, &args->case_path);
  AddTimeFlags(cmd, &args->from, &args->to);
  AddFormatFlag(cmd, &args->format, {"table", "csv", "json", "jsonl"}, "table");
  cmd->add_option("--geoip-db", args->geoip_db, "GeoIP .mmdb for lookup/geoip (default: $CAIRN_GEOIP_DB)");
  AddTzFlag(cmd, &args->tz);
  cmd->add_option("--geo-ip-field", args->geo_ip_field,
                  "IP field for the shorthand 'lookup latitude, longitude' (default: inferred)");
  cmd->add_flag("--raw-times", args->raw_times, "print times as epoch milliseconds");
  cmd->add_flag("--newest-first", args->newest_first, "events newest first (Sumo's order)");
  cmd->add_flag("--parse-ignore-case", args->parse_ignore_case, "parse anchors ignore letter case");
  cmd->add_flag("--outlier-skip-last", args->outlier_skip_last,
                "outlier ignores the newest bucket of each series (as Sumo does)");
  cmd->add_flag("--explain", args->explain, "print the SQL, counts and times (planning, scan, finish) to stderr");
  cmd->add_option("--threads", args->threads, "threads of a scan of event blocks (1: all on one thread)")
      ->check(CLI::Range(1, 64));
  cmd->add_flag("--chart", args->chart,
                "sparkline under a table of counts per _timeslice (default: on a terminal only)");
  cmd->footer(
      "Examples:\n"
      "  cairn query 'error | summarize' --case demo.cairn\n"
      "  cairn query '_sourceCategory=S3/Access OR _sourceCategory=Apache/Access | parse \"HTTP/1.1\\\" * \" "
      "as status_code | where status_code > 400 | timeslice 1m | count by status_code, _timeslice | "
      "transpose row _timeslice column status_code' --case demo.cairn\n"
      "  cairn query '_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | timeslice 1m | count as "
      "access_key_errors by _timeslice | outlier access_key_errors' --case demo.cairn --format json\n"
      "Keyword search is case-insensitive; where comparisons are case-sensitive "
      "(\"InvalidAccessKeyID\" finds InvalidAccessKeyId, where x = \"InvalidAccessKeyID\" does not).\n"
      "See docs/query-language.md.");
  cmd->callback([args] { SetExitCode(RunQueryCommand(*args)); });
}

}  // namespace cairn::cli
