// cairn simulate: generates the reference incident (engine/sim) into a directory.
#include <cstdio>
#include <string>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"
#include "engine/sim/simulator.h"

namespace cairn::cli {
namespace {

struct SimulateArgs {
  std::string variant = "malicious";
  uint64_t seed = 1;
  std::string out;
  int days = 7;
  double rate = 3.0;
  bool force = false;
  bool quiet = false;
};

int RunSimulate(const SimulateArgs& args) {
  sim::SimOptions options;
  if (!sim::VariantFromName(args.variant, &options.variant)) {
    return ReportError(Error::InvalidArgument("unknown variant '" + args.variant + "'")
                           .WithHelp("use --variant malicious or --variant benign"));
  }
  options.seed = args.seed;
  options.days = args.days;
  options.rate = args.rate;
  options.out_dir = args.out;
  options.overwrite = args.force;
  const int64_t start = MonotonicMs();
  auto stats = sim::Simulate(options);
  if (!stats) return ReportError(stats.error());
  const int64_t elapsed = std::max<int64_t>(1, MonotonicMs() - start);
  if (!args.quiet) {
    std::printf("simulated %s incident (seed %llu, %d days) into %s\n", args.variant.c_str(),
                static_cast<unsigned long long>(args.seed), args.days, TerminalSafe(args.out).c_str());
    TextTable table({"source", "events"});
    table.SetRightAligned(1);
    table.AddRow({"cloudtrail", WithThousands(stats->cloudtrail_records)});
    table.AddRow({"s3_access", WithThousands(stats->s3_access_lines)});
    table.AddRow({"apache_access", WithThousands(stats->apache_access_lines)});
    table.AddRow({"apache_error", WithThousands(stats->apache_error_lines)});
    table.AddRow({"total", WithThousands(stats->events())});
    std::fputs(table.Render(TerminalWidth()).c_str(), stdout);
    std::printf("%s files, %s bytes in %lld ms (%s events/s)\n", WithThousands(stats->files).c_str(),
                WithThousands(stats->bytes).c_str(), static_cast<long long>(elapsed),
                WithThousands(stats->events() * 1000 / elapsed).c_str());
    std::printf("answer file (for tests; the engine never reads it): %s\n",
                TerminalSafe(stats->answer_path).c_str());
  }
  return kExitOk;
}

}  // namespace

void SetupSimulate(CLI::App& app) {
  auto args = std::make_shared<SimulateArgs>();
  auto* cmd = app.add_subcommand("simulate", "Generate the reference incident: CloudTrail, S3 access and Apache logs");
  cmd->add_option("--variant", args->variant, "malicious (a stolen key-management login) or benign (a rotation)")
      ->check(CLI::IsMember({"malicious", "benign"}));
  cmd->add_option("--seed", args->seed, "seed: names, addresses, keys and times all derive from it");
  cmd->add_option("--out", args->out, "output directory (created; must be empty unless --force)")->required();
  cmd->add_option("--days", args->days, "length of the period in days")->check(CLI::Range(1, 366));
  cmd->add_option("--rate", args->rate, "background events per minute per source type, roughly")
      ->check(CLI::Range(0.001, 100000.0));
  cmd->add_flag("--force", args->force, "replace a previous simulation in --out");
  cmd->add_flag("-q,--quiet", args->quiet, "print nothing on success");
  cmd->footer(
      "Examples:\n"
      "  cairn simulate --variant malicious --seed 7 --out data/demo/evidence\n"
      "  cairn simulate --variant benign --seed 7 --days 2 --out /tmp/benign\n"
      "  cairn simulate --seed 1 --days 30 --rate 200 --out /tmp/bench   # millions of events\n"
      "Writes AWSLogs/ (CloudTrail), s3-access/<bucket>/, apache/<host>/{access_log,error_log} and\n"
      "answer.json (the ground truth, for tests). The same options always give the same bytes.");
  cmd->callback([args] { SetExitCode(RunSimulate(*args)); });
}

}  // namespace cairn::cli
