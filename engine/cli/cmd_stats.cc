// cairn stats --case FILE: what a case holds (counts per source type and category, time range,
// rejects with their most frequent reasons).
#include <cstdio>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

struct StatsArgs {
  std::string case_path;
  std::string format;
  std::string tz = "UTC";
};

struct ReasonCount {
  std::string reason;
  int64_t count = 0;
  std::string example_path;
  int64_t example_line = 0;
};

Result<std::vector<ReasonCount>> TopRejectReasons(store::CaseStore& store, int64_t limit) {
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement st,
      store.Prepare("SELECT r.reason, count(*), min(s.path), min(r.line) FROM rejects r "
                    "JOIN sources s ON s.id=r.source_id GROUP BY r.reason "
                    "ORDER BY 2 DESC, 1 LIMIT ?"));
  st.Bind(1, limit);
  std::vector<ReasonCount> out;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({std::string(st.Text(0)), st.Int(1), std::string(st.Text(2)), st.Int(3)});
  }
  return out;
}

Result<std::vector<store::CaseStats::Count>> CountBy(store::CaseStore& store, const char* sql) {
  CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare(sql));
  std::vector<store::CaseStats::Count> out;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    out.push_back({st.IsNull(0) ? std::string("(none)") : std::string(st.Text(0)), st.Int(1)});
  }
  return out;
}

std::string JsonCounts(const std::vector<store::CaseStats::Count>& counts) {
  std::string out = "{";
  for (size_t k = 0; k < counts.size(); ++k) {
    out += (k ? "," : "") + JsonQuote(counts[k].key) + ":" + std::to_string(counts[k].events);
  }
  return out + "}";
}

int RunStats(const StatsArgs& args) {
  auto opened = OpenCaseToRead(args.case_path, args.tz);
  if (!opened.ok()) return ReportError(opened.error());
  store::CaseStore& store = *opened->store;
  const TimeZone& zone = opened->zone;
  auto stats = store.Stats();
  if (!stats.ok()) return ReportError(stats.error());
  auto reasons = TopRejectReasons(store, 5);
  if (!reasons.ok()) return ReportError(reasons.error());
  auto outcomes = CountBy(store, "SELECT outcome, count(*) FROM events GROUP BY outcome ORDER BY 2 DESC, 1");
  if (!outcomes.ok()) return ReportError(outcomes.error());
  const store::CaseStats& s = *stats;
  if (args.format == "json") {
    std::string out = "{\"events\":" + std::to_string(s.events) + ",\"rejects\":" +
                      std::to_string(s.rejects) + ",\"sources\":" + std::to_string(s.sources) +
                      ",\"duplicates\":" + std::to_string(s.duplicates) +
                      ",\"collisions\":" + std::to_string(s.collisions);
    if (s.first_event) {
      out += ",\"first_event\":" + JsonQuote(FormatIso8601(*s.first_event, zone)) +
             ",\"last_event\":" + JsonQuote(FormatIso8601(*s.last_event, zone));
    } else {
      out += ",\"first_event\":null,\"last_event\":null";
    }
    out += ",\"by_source_type\":" + JsonCounts(s.by_source_type) +
           ",\"by_category\":" + JsonCounts(s.by_category) + ",\"by_outcome\":" + JsonCounts(*outcomes) +
           ",\"reject_reasons\":[";
    for (size_t k = 0; k < reasons->size(); ++k) {
      const auto& r = (*reasons)[k];
      out += std::string(k ? "," : "") + "{\"reason\":" + JsonQuote(r.reason) +
             ",\"count\":" + std::to_string(r.count) + ",\"example\":" +
             JsonQuote(r.example_path + ":" + std::to_string(r.example_line)) + "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  std::string out;
  out += "case:       " + store.path() + "\n";
  out += "events:     " + WithThousands(s.events) + "\n";
  out += "sources:    " + WithThousands(s.sources) + " files\n";
  out += "rejects:    " + WithThousands(s.rejects) + "\n";
  out += "duplicates: " + WithThousands(s.duplicates) + " (same record delivered more than once)\n";
  out += "collisions: " + WithThousands(s.collisions) + " (same eventID, different content)\n";
  if (s.first_event) {
    out += "time range: " + FormatIso8601(*s.first_event, zone) + " .. " + FormatIso8601(*s.last_event, zone) + "\n";
  }
  int width = StdoutIsTty() ? TerminalWidth() : 0;
  TextTable types({"source type", "events"});
  types.SetRightAligned(1);
  for (const auto& c : s.by_source_type) types.AddRow({c.key, WithThousands(c.events)});
  out += "\n" + types.Render(width);
  TextTable cats({"category", "events"});
  cats.SetRightAligned(1);
  for (const auto& c : s.by_category) cats.AddRow({c.key, WithThousands(c.events)});
  out += "\n" + cats.Render(width);
  if (!reasons->empty()) {
    TextTable rej({"rejects", "reason", "first at"});
    rej.SetRightAligned(0);
    for (const auto& r : *reasons) {
      rej.AddRow({WithThousands(r.count), r.reason, r.example_path + ":" + std::to_string(r.example_line)});
    }
    out += "\n" + rej.Render(width);
  }
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void SetupStats(CLI::App& app) {
  auto args = std::make_shared<StatsArgs>();
  auto* cmd = app.add_subcommand("stats", "what a case holds: counts per source type and category, time range, rejects");
  AddCaseFlag(cmd, &args->case_path);
  AddFormatFlag(cmd, &args->format, {"table", "json"}, "table");
  AddTzFlag(cmd, &args->tz);
  cmd->callback([args] { SetExitCode(RunStats(*args)); });
}

}  // namespace cairn::cli
