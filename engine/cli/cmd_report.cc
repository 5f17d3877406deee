// cairn report — the timeline report of a case (docs/report.md): HTML, Markdown or JSON.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"
#include "engine/report/render.h"
#include "engine/report/report.h"

namespace cairn::cli {
namespace {

struct ReportFlags {
  std::string case_path;
  std::string run_path;
  std::string from;
  std::string to;
  std::string geoip_db;
  std::string format;
  std::string out;
  std::string tz = "UTC";
  size_t max_rows = 1500;
};

Result<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Error::NotFound("cannot open the playbook run record '" + path + "'")
        .WithHelp("write one with 'cairn playbook run NAME --case FILE --record RUN.json'");
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Writes through a temporary file and a rename, so a failed run never leaves half a report.
Status WriteOutput(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Error::Io("cannot write '" + path + "'").WithHelp("check that the directory exists");
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) return Error::Io("cannot write '" + path + "' (disk full?)");
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) return Error::Io("cannot move the report into place at '" + path + "': " + ec.message());
  return Ok();
}

// Where the npm assets may be: the source tree, or beside/above the binary.
std::vector<std::string> AssetRoots() {
  namespace fs = std::filesystem;
  std::vector<std::string> roots = {CAIRN_SOURCE_DIR};
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path dir = exe.parent_path();
    for (int up = 0; up < 4 && !dir.empty(); ++up, dir = dir.parent_path()) {
      roots.push_back(dir.string());
      roots.push_back((dir / "share" / "cairn").string());
    }
  }
  return roots;
}

std::optional<TimeMs> GenerationTime() {
  // SOURCE_DATE_EPOCH (reproducible-builds.org) pins the time for reproducible reports.
  if (const char* epoch = std::getenv("SOURCE_DATE_EPOCH"); epoch && *epoch) {
    char* end = nullptr;
    long long seconds = std::strtoll(epoch, &end, 10);
    if (end && *end == '\0') return static_cast<TimeMs>(seconds) * 1000;
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string HumanSize(size_t bytes) {
  char buf[32];
  if (bytes >= 1024 * 1024) {
    std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  } else {
    std::snprintf(buf, sizeof buf, "%.1f KB", static_cast<double>(bytes) / 1024.0);
  }
  return buf;
}

Status RunReport(const ReportFlags& flags) {
  CAIRN_ASSIGN_OR_RETURN(std::string case_path, ResolveCasePath(flags.case_path));
  CAIRN_ASSIGN_OR_RETURN(TimeZone zone, ResolveTz(flags.tz));
  // Load the assets first: a missing install fails fast, before any work.
  report::HtmlAssets assets;
  if (flags.format == "html") {
    CAIRN_ASSIGN_OR_RETURN(assets, report::LoadHtmlAssets(AssetRoots()));
  }
  CAIRN_ASSIGN_OR_RETURN(auto store, store::CaseStore::Open(case_path, store::CaseStore::Mode::kReadOnly));
  CAIRN_ASSIGN_OR_RETURN(TimeBounds bounds, ResolveTimeBounds(*store, flags.from, flags.to));

  std::optional<report::RunSummary> run;
  if (!flags.run_path.empty()) {
    CAIRN_ASSIGN_OR_RETURN(std::string text, ReadWholeFile(flags.run_path));
    CAIRN_ASSIGN_OR_RETURN(run, report::ParseRunRecord(text, flags.run_path));
  }

  std::unique_ptr<geo::GeoDb> geo_db;
  std::string geo_description;
  bool explicit_geo = !flags.geoip_db.empty() || std::getenv("CAIRN_GEOIP_DB") != nullptr;
  std::string geo_path = ResolveGeoDbPath(flags.geoip_db);
  if (geo_path.empty()) {
    geo_description = "no GeoIP database found; pass --geoip-db FILE";
  } else {
    auto opened = geo::GeoDb::Open(geo_path);
    if (opened.has_value()) {
      geo_db = std::move(opened).value();
      geo_description = geo_db->Description();
    } else if (explicit_geo) {
      return std::move(opened).error().WithContext("opening the GeoIP database for the report's map");
    } else {
      geo_description = "GeoIP database unavailable: " + opened.error().message();
      Warn("the report has no map: " + opened.error().message());
    }
  }

  report::ReportOptions options;
  options.from = bounds.from;
  options.to = bounds.to;
  options.generated_at = GenerationTime();
  options.time_zone = zone;
  options.max_timeline_rows = flags.max_rows;
  CAIRN_ASSIGN_OR_RETURN(report::ReportData data,
                         report::BuildReport(*store, run ? &*run : nullptr, geo_db.get(),
                                             geo_description, options));
  std::string content;
  if (flags.format == "json") {
    content = report::RenderJson(data);
  } else if (flags.format == "md") {
    content = report::RenderMarkdown(data);
  } else {
    content = report::RenderHtml(data, assets);
  }
  if (flags.out.empty() || flags.out == "-") {
    std::fwrite(content.data(), 1, content.size(), stdout);
    return Ok();
  }
  CAIRN_TRY(WriteOutput(flags.out, content));
  std::string summary = "wrote " + flags.out + " (" + HumanSize(content.size()) + "): ";
  summary += data.run.present ? "verdict " + (data.run.verdict.empty() ? "unknown" : data.run.verdict) + ", " +
                                    std::to_string(data.run.findings.size()) + " findings, "
                              : "no playbook run, ";
  summary += std::to_string(data.timeline.size()) + " timeline rows, " + std::to_string(data.locations.size()) +
             " locations, " + std::to_string(data.nodes.size()) + " graph entities";
  if (data.spike.onset) summary += ", spike onset " + FormatIso8601Compact(*data.spike.onset, zone);
  Note(summary);
  return Ok();
}

}  // namespace

void SetupReport(CLI::App& app) {
  static ReportFlags flags;
  auto* cmd = app.add_subcommand("report", "write the timeline report of a case (HTML with charts, Markdown, JSON)");
  AddCaseFlag(cmd, &flags.case_path);
  cmd->add_option("--playbook-run", flags.run_path,
                  "playbook run record (cairn playbook run ... --record RUN.json): verdict, findings, steps");
  AddTimeFlags(cmd, &flags.from, &flags.to);
  cmd->add_option("--geoip-db", flags.geoip_db, "GeoIP database for the map (default: $CAIRN_GEOIP_DB)");
  AddFormatFlag(cmd, &flags.format, {"html", "md", "json"}, "html");
  AddTzFlag(cmd, &flags.tz);
  cmd->add_option("--out,-o", flags.out, "output file (default: standard output)");
  cmd->add_option("--max-rows", flags.max_rows, "timeline rows at most (evidence and severe rows are kept first)")
      ->capture_default_str()
      ->check(CLI::Range(size_t{1}, size_t{1000000}));
  cmd->footer(
      "Examples:\n"
      "  cairn report --case demo.cairn --playbook-run run.json --out report.html\n"
      "  cairn report --case demo.cairn --from 2024-01-19T09:00:00Z --to 2024-01-19T11:00:00Z --format md\n"
      "  cairn report --case demo.cairn --format json --out report.json\n"
      "  cairn report --case demo.cairn --format md --tz Europe/Berlin\n"
      "The HTML file is self-contained (charts, map and data inline) and makes no network request.\n"
      "--tz changes how times are written, in every format: ISO-8601 local time with the UTC offset in force\n"
      "at that instant (daylight saving time included), e.g. 2024-01-19T10:45:00+01:00; the JSON names the\n"
      "zone in report.time_zone. Times quoted in the run record's findings are rewritten in the zone too.");
  cmd->callback([] {
    Status status = RunReport(flags);
    SetExitCode(status.has_value() ? kExitOk : ReportError(status.error()));
  });
}

}  // namespace cairn::cli
