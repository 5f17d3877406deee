// cairn ingest PATH... --case FILE: evidence files into a case (engine/ingest).
#include <chrono>
#include <cstdio>
#include <map>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"
#include "engine/graph/relations.h"
#include "engine/ingest/ingest.h"

namespace cairn::cli {
namespace {

struct IngestArgs {
  std::vector<std::string> paths;
  std::string case_path;
  std::string format = "auto";
  std::vector<std::string> categories;
  std::string source_name;
  std::string host;
  std::string sources_file;
  std::string apache_format;
};

// Draws the progress bar (terminal only) from the ingest callbacks.
class ProgressObserver final : public ingest::IngestObserver {
 public:
  ProgressObserver() : progress_("ingest"), start_ms_(MonotonicMs()) {}

  void OnPlan(int64_t files, int64_t bytes) override {
    files_ = files;
    bytes_ = bytes;
  }
  void OnProgress(int64_t files_done, int64_t bytes_done, int64_t events) override {
    double secs = static_cast<double>(MonotonicMs() - start_ms_) / 1000.0;
    char buf[160];
    std::snprintf(buf, sizeof buf, "  %lld/%lld files  %s events  %s ev/s",
                  static_cast<long long>(files_done), static_cast<long long>(files_),
                  WithThousands(events).c_str(),
                  WithThousands(secs > 0.05 ? static_cast<int64_t>(static_cast<double>(events) / secs) : 0)
                      .c_str());
    progress_.Update(bytes_done, bytes_, buf, true);
  }
  void Finish() { progress_.Finish(); }

 private:
  Progress progress_;
  int64_t start_ms_;
  int64_t files_ = 0;
  int64_t bytes_ = 0;
};

std::string Mb(int64_t bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", static_cast<double>(bytes) / 1e6);
  return buf;
}

int RunIngest(const IngestArgs& args) {
  auto case_path = ResolveCasePath(args.case_path);
  if (!case_path.ok()) return ReportError(case_path.error());
  auto store = store::CaseStore::Open(*case_path, store::CaseStore::Mode::kCreate);
  if (!store.ok()) return ReportError(store.error());
  ingest::IngestOptions options;
  options.paths = args.paths;
  options.format = args.format;
  options.categories = args.categories;
  options.source_name = args.source_name;
  options.host = args.host;
  options.sources_file = args.sources_file;
  options.apache_format = args.apache_format;
  options.ingested_at = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
  ProgressObserver observer;
  int64_t start = MonotonicMs();
  auto result = ingest::Ingest(**store, options, &observer);
  observer.Finish();
  if (!result.ok()) {
    Error error = std::move(result).error();
    error.WithContext("ingesting into case '" + *case_path + "'");
    return ReportError(error);
  }
  // Entities and relations follow the events (idempotent: folds in only what is new, so a rerun
  // after a kill completes it too).
  Status derived = graph::DeriveRelations(**store);
  if (!derived.ok()) {
    Error error = std::move(derived).error();
    error.WithContext("deriving the entity graph of case '" + *case_path + "'");
    return ReportError(error);
  }
  const ingest::IngestSummary& s = *result;
  double secs = static_cast<double>(MonotonicMs() - start) / 1000.0;
  std::string line = "ingested " + WithThousands(s.files_ingested) + " file" +
                     (s.files_ingested == 1 ? "" : "s") + " (" + Mb(s.bytes) + ") in " +
                     FormatDouble(secs, 2) + " s: " + WithThousands(s.events) + " events";
  if (secs > 0.01 && s.events > 0) {
    line += " (" + WithThousands(static_cast<int64_t>(static_cast<double>(s.events) / secs)) + "/s)";
  }
  line += ", " + WithThousands(s.duplicates) + " duplicates, " + WithThousands(s.rejects) + " rejected";
  if (s.files_skipped > 0) {
    line += "; " + WithThousands(s.files_skipped) + " file" + (s.files_skipped == 1 ? "" : "s") +
            " already in the case";
  }
  std::fprintf(stderr, "%s\n", line.c_str());
  // Per-file problems: rejects (first reason) and notes; capped so a pile of small files stays
  // readable.
  int shown = 0;
  constexpr int kMaxShown = 20;
  int64_t hidden = 0;
  for (const auto& o : s.outcomes) {
    if (o.skipped) continue;
    bool has_problem = o.rejects > 0 || !o.note.empty();
    if (!has_problem) continue;
    if (shown >= kMaxShown) {
      ++hidden;
      continue;
    }
    ++shown;
    if (o.rejects > 0) {
      Warn(WithThousands(o.rejects) + (o.format == "cloudtrail" ? " record" : " line") +
           (o.rejects == 1 ? "" : "s") + " rejected in " + o.path + ": " + o.first_reject);
    }
    if (!o.note.empty() && (o.rejects == 0 || o.note.find(o.first_reject) == std::string::npos)) {
      Note(o.path + ": " + o.note);
    }
  }
  if (hidden > 0) {
    Note(WithThousands(hidden) + " more files with rejects or notes: see 'cairn sources --case " +
         *case_path + "'");
  }
  if (s.rejects > 0) {
    Note("rejected lines are kept in the case: 'cairn stats --case " + *case_path + "' lists them");
  }
  bool anything = s.events > 0 || s.duplicates > 0 || s.files_skipped > 0 || s.rejects > 0;
  if (!anything) {
    Error error = s.files == 0 ? Error::NotFound("no files to ingest")
                               : Error::Parse("nothing ingestible: " + WithThousands(s.files) +
                                              " file" + (s.files == 1 ? "" : "s") +
                                              " read, no events found");
    if (s.files_unrecognised > 0) {
      error.WithReason(WithThousands(s.files_unrecognised) + " file" +
                       (s.files_unrecognised == 1 ? " has" : "s have") + " no recognised format");
    }
    error.WithHelp("force a format with --format cloudtrail|s3_access|apache_access|apache_error|generic");
    return ReportError(error);
  }
  return kExitOk;
}

}  // namespace

void SetupIngest(CLI::App& app) {
  auto args = std::make_shared<IngestArgs>();
  auto* cmd = app.add_subcommand("ingest", "load evidence files (CloudTrail, S3 access, Apache, text) into a case");
  cmd->add_option("paths", args->paths, "files or directories (recursive; .gz is read)")->required();
  AddCaseFlag(cmd, &args->case_path);
  cmd->add_option("--format", args->format, "input format (default: detected per file)")
      ->check(CLI::IsMember({"auto", "cloudtrail", "s3_access", "apache_access", "apache_error", "generic"}))
      ->capture_default_str();
  cmd->add_option("--category", args->categories,
                  "_sourceCategory for these files (repeatable; default: the format name)");
  cmd->add_option("--source-name", args->source_name, "_sourceName (default: the file path)");
  cmd->add_option("--host", args->host, "_sourceHost (default: server name from Apache paths)");
  cmd->add_option("--sources", args->sources_file,
                  "sources file mapping path globs to category/host/name/format (docs/schema.md)");
  cmd->add_option("--apache-format", args->apache_format,
                  "Apache LogFormat of the access logs, e.g. '%h %l %u %t \"%r\" %>s %b' or 'combined'");
  cmd->footer(
      "Examples:\n"
      "  cairn ingest evidence/ --case case.cairn\n"
      "  cairn ingest s3logs/ --case case.cairn --category S3/Access --category s3_aws_logs\n"
      "Re-running the same command adds nothing; an interrupted run completes on the next one.");
  cmd->callback([args] { SetExitCode(RunIngest(*args)); });
}

}  // namespace cairn::cli
