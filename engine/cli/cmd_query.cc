// cairn query 'QUERY' --case FILE: runs a pipeline query (docs/query-language.md).
#include <cstdio>
#include <memory>

#include "engine/cli/cli_common.h"
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
};

std::string JsonValue(const query::Value& v, int tz, bool raw_times) {
  switch (v.kind()) {
    case query::Value::Kind::kNull: return "null";
    case query::Value::Kind::kString: return JsonQuote(v.str());
    case query::Value::Kind::kBool: return v.bool_value() ? "true" : "false";
    case query::Value::Kind::kInt:
      if (v.is_time() && !raw_times) return JsonQuote(query::RenderValue(v, tz));
      return std::to_string(v.int_value());
    case query::Value::Kind::kDouble: {
      std::string s = FormatDouble(v.double_value(), 6);
      return (s == "NaN" || s == "Infinity" || s == "-Infinity") ? "null" : s;
    }
  }
  return "null";
}

// Streams csv/json/jsonl; buffers table output (column widths need every row).
class CliSink final : public query::RowSink {
 public:
  CliSink(std::string format, int tz, bool raw_times)
      : format_(std::move(format)), tz_(tz), raw_times_(raw_times) {}

  Status OnRow(const std::vector<std::string>& columns, const std::vector<query::Value>& values) override {
    if (format_ == "table") {
      if (header_.empty() || columns != header_) {
        if (!header_.empty()) Flush();
        header_ = columns;
      }
      std::vector<std::string> cells;
      for (const auto& v : values) {
        if (v.is_int() && !v.is_time()) cells.push_back(WithThousands(v.int_value()));
        else cells.push_back(query::RenderValue(v, tz_, raw_times_));
      }
      if (numeric_.size() < values.size()) numeric_.resize(values.size(), true);
      for (size_t k = 0; k < values.size(); ++k) {
        if (!values[k].is_null() && !(values[k].is_number() && !values[k].is_time())) numeric_[k] = false;
      }
      rows_.push_back(std::move(cells));
      return Ok();
    }
    std::string line;
    if (format_ == "csv") {
      if (columns != header_) {
        header_ = columns;
        for (size_t k = 0; k < columns.size(); ++k) line += (k ? "," : "") + CsvField(columns[k]);
        line += "\n";
      }
      for (size_t k = 0; k < values.size(); ++k) {
        line += (k ? "," : "") + CsvField(query::RenderValue(values[k], tz_, raw_times_));
      }
      line += "\n";
    } else {
      std::string obj = "{";
      for (size_t k = 0; k < values.size(); ++k) {
        obj += (k ? "," : "") + JsonQuote(columns[k]) + ":" + JsonValue(values[k], tz_, raw_times_);
      }
      obj += "}";
      if (format_ == "json") {
        line = (count_ ? ",\n" : "[\n") + obj;
      } else {
        line = obj + "\n";
      }
    }
    ++count_;
    std::fputs(line.c_str(), stdout);
    return Ok();
  }

  void Finish() {
    if (format_ == "table") {
      Flush();
      if (count_ == 0 && header_.empty()) std::fputs("(no results)\n", stdout);
    } else if (format_ == "json") {
      std::fputs(count_ ? "\n]\n" : "[]\n", stdout);
    }
    std::fflush(stdout);
  }

 private:
  void Flush() {
    if (header_.empty()) return;
    TextTable table(header_);
    for (size_t k = 0; k < numeric_.size(); ++k) table.SetRightAligned(k, numeric_[k]);
    for (auto& r : rows_) table.AddRow(std::move(r));
    count_ += static_cast<int64_t>(rows_.size());
    rows_.clear();
    std::fputs(table.Render(StdoutIsTty() ? TerminalWidth() : 0).c_str(), stdout);
  }

  std::string format_;
  int tz_;
  bool raw_times_;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> numeric_;
  int64_t count_ = 0;
};

int RunQueryCommand(const QueryArgs& args) {
  auto case_path = ResolveCasePath(args.case_path);
  if (!case_path.ok()) return ReportError(case_path.error());
  auto tz = ResolveTz(args.tz);
  if (!tz.ok()) return ReportError(tz.error());
  auto store = store::CaseStore::Open(*case_path, store::CaseStore::Mode::kReadOnly);
  if (!store.ok()) return ReportError(store.error());
  auto bounds = ResolveTimeBounds(**store, args.from, args.to);
  if (!bounds.ok()) return ReportError(bounds.error());

  query::QueryOptions options;
  options.from = bounds->from;
  options.to = bounds->to;
  options.tz_offset_minutes = *tz;
  options.geo_db_path = ResolveGeoDbPath(args.geoip_db);
  options.geo_ip_field = args.geo_ip_field;
  options.newest_first = args.newest_first;
  options.parse_ignore_case = args.parse_ignore_case;
  options.outlier_skip_last = args.outlier_skip_last;

  CliSink sink(args.format, *tz, args.raw_times);
  int64_t start = MonotonicMs();
  auto result = query::RunQuery(**store, args.query, options, sink);
  if (!result.ok()) {
    sink.Finish();
    return ReportError(result.error());
  }
  sink.Finish();
  for (const auto& n : result->notices) Note(n);
  if (!result->geo_db.empty()) Note("GeoIP database: " + result->geo_db);
  if (args.explain) {
    Note("sql: " + result->stats.sql);
    Note("events read " + WithThousands(result->stats.events_read) + ", matched " +
         WithThousands(result->stats.events_matched) + ", rows " + WithThousands(result->stats.rows_out) +
         ", " + std::to_string(MonotonicMs() - start) + " ms");
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
  cmd->add_option("--tz", args->tz, "time zone for output and 1d/1w timeslices (UTC, +02:00, Europe/Paris)")
      ->capture_default_str();
  cmd->add_option("--geo-ip-field", args->geo_ip_field,
                  "IP field for the shorthand 'lookup latitude, longitude' (default: inferred)");
  cmd->add_flag("--raw-times", args->raw_times, "print times as epoch milliseconds");
  cmd->add_flag("--newest-first", args->newest_first, "events newest first (Sumo's order)");
  cmd->add_flag("--parse-ignore-case", args->parse_ignore_case, "parse anchors ignore letter case");
  cmd->add_flag("--outlier-skip-last", args->outlier_skip_last,
                "outlier ignores the newest bucket of each series (as Sumo does)");
  cmd->add_flag("--explain", args->explain, "print the SQL and counts to stderr");
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
