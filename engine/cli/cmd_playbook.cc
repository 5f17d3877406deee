// cairn playbook list | show NAME | run NAME — declarative investigations (docs/playbooks.md).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/cli/cli_common.h"
#include "engine/cli/playbook_backend.h"
#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"
#include "engine/playbook/playbook.h"
#include "engine/playbook/runner.h"

namespace cairn::cli {
namespace {

std::vector<std::string> SearchDirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("CAIRN_PLAYBOOK_PATH"); env && *env) {
    for (auto part : Split(env, ':')) dirs.emplace_back(part);
  }
  std::error_code ec;
  auto exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    dirs.push_back((exe.parent_path() / "playbooks").string());
    dirs.push_back((exe.parent_path().parent_path() / "share/cairn/playbooks").string());
  }
  dirs.push_back(std::string(CAIRN_SOURCE_DIR) + "/playbooks");
  return dirs;
}

Result<playbook::Playbook> Resolve(const std::string& name) {
  if (EndsWith(name, ".yaml") || EndsWith(name, ".yml") || name.find('/') != std::string::npos) {
    return playbook::LoadPlaybookFile(name);
  }
  auto found = playbook::FindPlaybooks(SearchDirs());
  auto it = found.find(name);
  if (it == found.end()) {
    std::string names;
    std::string best;
    size_t best_d = 99;
    for (const auto& [n, p] : found) {
      names += (names.empty() ? "" : ", ") + n;
      size_t d = EditDistance(name, n);
      if (d < best_d) {
        best_d = d;
        best = n;
      }
    }
    Error e = Error::NotFound("no playbook named '" + name + "'");
    if (best_d <= 3) e.WithHelp("did you mean '" + best + "'? (known: " + names + ")");
    else e.WithHelp("known playbooks: " + names + "; or give a path to a .yaml file");
    return e;
  }
  return playbook::LoadPlaybookFile(it->second);
}

struct RunFlags {
  std::string name;
  std::string case_path;
  std::string from;
  std::string to;
  std::vector<std::string> sets;
  std::string geoip_db;
  std::string record;
  std::string format = "text";
  std::string tz = "UTC";
  bool exit_findings = false;
};

int DoList() {
  auto found = playbook::FindPlaybooks(SearchDirs());
  TextTable t({"playbook", "title", "file"});
  for (const auto& [name, path] : found) {
    auto pb = playbook::LoadPlaybookFile(path);
    t.AddRow({name, pb.ok() ? pb->title : "(invalid: " + pb.error().message() + ")", path});
  }
  std::fputs(t.Render(TerminalWidth()).c_str(), stdout);
  std::fputs("\ncorrelators available to steps:\n", stdout);
  for (const auto& [n, d] : PlaybookCorrelators()) std::printf("  %-18s %s\n", n.c_str(), d.c_str());
  return kExitOk;
}

int DoShow(const std::string& name) {
  auto pb = Resolve(name);
  if (!pb.ok()) return ReportError(pb.error());
  std::string out = pb->name + " — " + pb->title + "\n" + pb->source + "\n\n";
  if (!pb->description.empty()) out += pb->description + "\n\n";
  if (!pb->inputs.empty()) {
    out += "inputs (--set name=value):\n";
    for (const auto& in : pb->inputs) {
      out += "  " + in.name + " = " + in.default_value + (in.description.empty() ? "" : "   # " + in.description) + "\n";
    }
    out += "\n";
  }
  out += "steps:\n";
  for (const auto& s : pb->steps) {
    out += "  " + s.id + " (" + playbook::StepKindName(s.kind) + ")";
    if (s.kind == playbook::StepKind::kQuery) out += ": " + s.query;
    else out += ": " + s.name;
    if (!s.when.empty()) out += "   when " + s.when;
    out += "\n";
  }
  out += "\nsignals:\n";
  for (const auto& s : pb->signals) out += "  " + s.id + " → " + s.supports + " (weight " + FormatDouble(s.weight) + "): " + s.when + "\n";
  out += "\nverdict rules:\n";
  for (const auto& r : pb->verdict_rules) out += "  " + r.verdict + " when " + r.when + "\n";
  out += "  otherwise " + pb->default_verdict + "\n";
  for (auto line : Split(out, '\n')) std::fputs((TerminalSafe(line) + "\n").c_str(), stdout);
  return kExitOk;
}

int DoRun(const RunFlags& f) {
  auto pb = Resolve(f.name);
  if (!pb.ok()) return ReportError(pb.error());
  auto case_path = ResolveCasePath(f.case_path);
  if (!case_path.ok()) return ReportError(case_path.error());
  auto zone = ResolveTz(f.tz);
  if (!zone.ok()) return ReportError(zone.error());
  auto store = OpenCaseWithGraph(*case_path);
  if (!store.ok()) return ReportError(store.error());
  auto bounds = ResolveTimeBounds(**store, f.from, f.to);
  if (!bounds.ok()) return ReportError(bounds.error());
  playbook::RunOptions opt;
  for (const auto& s : f.sets) {
    auto eq = s.find('=');
    if (eq == std::string::npos) {
      return ReportError(Error::InvalidArgument("--set '" + s + "' is not key=value").WithHelp("e.g. --set min_count=20"));
    }
    opt.overrides[s.substr(0, eq)] = s.substr(eq + 1);
  }
  if (bounds->from) opt.window["from"] = FormatIso8601Compact(*bounds->from);
  if (bounds->to) opt.window["to"] = FormatIso8601Compact(*bounds->to);
  opt.now_ms = MonotonicMs;
  std::string geo_path = ResolveGeoDbPath(f.geoip_db);
  std::unique_ptr<geo::GeoDb> geo_db;
  if (!geo_path.empty()) {
    auto db = geo::GeoDb::Open(geo_path);
    if (!db.ok()) return ReportError(db.error());
    geo_db = std::move(db).value();
  } else {
    Warn("no GeoIP database found: locations are unknown (pass --geoip-db or run scripts/install-deps)");
  }
  CaseBackend backend(**store, geo_db.get(), geo_path, bounds->from, bounds->to);
  auto run = playbook::RunPlaybook(*pb, backend, opt);
  if (!run.ok()) return ReportError(run.error());
  playbook::Json record = std::move(run).value();
  if (!f.record.empty()) {
    std::ofstream out(f.record, std::ios::binary);
    out << record.dump(2) << "\n";
    if (!out) return ReportError(Error::Io("cannot write the run record to '" + f.record + "'"));
  }
  if (f.format == "json") {
    std::fputs((record.dump(2) + "\n").c_str(), stdout);
    if (!zone->is_utc()) Note("--tz does not apply to the run record: its times stay in UTC");
  } else {
    // The record keeps UTC (it is evidence, and `cairn report` reads it); the summary shows every
    // time it quotes in the --tz zone.
    std::string summary = RezoneIsoTimestamps(playbook::SummarizeRun(record), *zone);
    if (geo_db) summary += "\ngeoip: " + geo_db->Description() + "\n";
    if (!zone->is_utc()) summary += (geo_db ? "" : "\n") + ("times: " + zone->name() + ", each with its UTC offset\n");
    if (!f.record.empty()) summary += "record: " + f.record + "\n";
    // Log-derived text is made terminal-safe line by line (the summary's own newlines stay).
    for (auto line : Split(summary, '\n')) {
      std::string safe = TerminalSafe(line);
      std::fputs((safe + "\n").c_str(), stdout);
    }
  }
  if (f.exit_findings && !record["findings"].empty()) return kExitFindings;
  return kExitOk;
}

}  // namespace

void SetupPlaybook(CLI::App& app) {
  auto* cmd = app.add_subcommand("playbook", "list, show and run investigations (playbooks/*.yaml)");
  cmd->require_subcommand(1);
  cmd->footer("Examples:\n  cairn playbook list\n  cairn playbook show credential-compromise\n"
              "  cairn playbook run credential-compromise --case demo.cairn --record run.json\n"
              "  cairn playbook run principal-activity --case demo.cairn --set principal=alice\n"
              "  cairn playbook run credential-compromise --case demo.cairn --tz America/New_York\n"
              "--tz shows the summary's times in a zone (with their UTC offset); the run record (--record,\n"
              "--format json) always keeps UTC.");
  auto* list = cmd->add_subcommand("list", "the playbooks Cairn ships (and those on $CAIRN_PLAYBOOK_PATH)");
  list->callback([] { SetExitCode(DoList()); });
  auto show_name = std::make_shared<std::string>();
  auto* show = cmd->add_subcommand("show", "validate a playbook and show its inputs, steps and verdict rules");
  show->add_option("name", *show_name, "playbook name or .yaml path")->required();
  show->callback([show_name] { SetExitCode(DoShow(*show_name)); });
  auto flags = std::make_shared<RunFlags>();
  auto* run = cmd->add_subcommand("run", "run a playbook over a case and print its verdict");
  run->add_option("name", flags->name, "playbook name or .yaml path")->required();
  AddCaseFlag(run, &flags->case_path);
  AddTimeFlags(run, &flags->from, &flags->to);
  run->add_option("--set", flags->sets, "override an input: key=value (repeatable)");
  run->add_option("--geoip-db", flags->geoip_db, "GeoIP .mmdb (default: $CAIRN_GEOIP_DB, then the bundled one)");
  run->add_option("--record", flags->record, "write the machine-readable run record (JSON) to this file");
  AddFormatFlag(run, &flags->format, {"text", "json"}, "text");
  AddTzFlag(run, &flags->tz);
  run->add_flag("--exit-findings", flags->exit_findings, "exit with 1 when the run has findings");
  run->callback([flags] { SetExitCode(DoRun(*flags)); });
}

}  // namespace cairn::cli
