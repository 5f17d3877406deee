// cairn sources --case FILE: the chain of custody (every file with its size, sha256 and counts).
#include <cstdio>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

struct SourcesArgs {
  std::string case_path;
  std::string format;
  std::string tz = "UTC";
};

int RunSources(const SourcesArgs& args) {
  auto opened = OpenCaseToRead(args.case_path, args.tz);
  if (!opened.ok()) return ReportError(opened.error());
  const TimeZone& zone = opened->zone;
  auto sources = opened->store->ListSources();
  if (!sources.ok()) return ReportError(sources.error());
  int64_t events = 0, rejects = 0, duplicates = 0;
  for (const auto& s : *sources) {
    events += s.events;
    rejects += s.rejects;
    duplicates += s.duplicates;
  }
  if (args.format == "json") {
    std::string out = "{\"events\":" + std::to_string(events) + ",\"rejects\":" +
                      std::to_string(rejects) + ",\"duplicates\":" + std::to_string(duplicates) +
                      ",\"sources\":[";
    bool first = true;
    for (const auto& s : *sources) {
      if (!first) out += ",";
      first = false;
      out += "{\"id\":" + std::to_string(s.id) + ",\"path\":" + JsonQuote(s.path) +
             ",\"size\":" + std::to_string(s.size) + ",\"sha256\":" + JsonQuote(s.sha256) +
             ",\"format\":" + JsonQuote(s.format) + ",\"categories\":[";
      for (size_t k = 0; k < s.categories.size(); ++k) {
        out += (k ? "," : "") + JsonQuote(s.categories[k]);
      }
      out += "],\"source_name\":" + JsonQuote(s.source_name) + ",\"host\":" + JsonQuote(s.host) +
             ",\"events\":" + std::to_string(s.events) + ",\"rejects\":" +
             std::to_string(s.rejects) + ",\"duplicates\":" + std::to_string(s.duplicates) +
             ",\"ingested_at\":" + JsonQuote(FormatIso8601(s.ingested_at, zone));
      if (s.events > 0) {
        out += ",\"first_event\":" + JsonQuote(FormatIso8601(s.first_event, zone)) +
               ",\"last_event\":" + JsonQuote(FormatIso8601(s.last_event, zone));
      }
      out += ",\"note\":" + JsonQuote(s.note) + "}";
    }
    out += "]}\n";
    std::fputs(out.c_str(), stdout);
    return kExitOk;
  }
  TextTable table({"path", "size", "sha256", "format", "categories", "events", "rejects", "dups",
                   "note"});
  for (size_t col : {1, 5, 6, 7}) table.SetRightAligned(col);
  for (const auto& s : *sources) {
    table.AddRow({s.path, WithThousands(s.size), s.sha256.substr(0, 12), s.format,
                  Join(s.categories, ","), WithThousands(s.events), WithThousands(s.rejects),
                  WithThousands(s.duplicates), s.note});
  }
  std::string out = table.Render(StdoutIsTty() ? TerminalWidth() : 0);
  out += WithThousands(static_cast<int64_t>(sources->size())) + " sources, " +
         WithThousands(events) + " events, " + WithThousands(rejects) + " rejects, " +
         WithThousands(duplicates) + " duplicates\n";
  std::fputs(out.c_str(), stdout);
  return kExitOk;
}

}  // namespace

void SetupSources(CLI::App& app) {
  auto args = std::make_shared<SourcesArgs>();
  auto* cmd = app.add_subcommand("sources", "list the files in a case: path, size, sha256, format, counts");
  AddCaseFlag(cmd, &args->case_path);
  AddFormatFlag(cmd, &args->format, {"table", "json"}, "table");
  AddTzFlag(cmd, &args->tz);
  cmd->callback([args] { SetExitCode(RunSources(*args)); });
}

}  // namespace cairn::cli
