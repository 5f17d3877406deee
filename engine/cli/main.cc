// cairn: security forensics and audit correlation. Entry point: subcommand dispatch only.
#include <cstdio>
#include <exception>

#include <CLI/CLI.hpp>

#include "engine/cli/cli_common.h"
#include "engine/cli/cli_docs.h"
#include "engine/common/memory.h"

int main(int argc, char** argv) {
  using namespace cairn::cli;  // NOLINT(google-build-using-namespace): main only
  cairn::TuneAllocator();
  CLI::App app{"cairn — one timeline and one entity graph from CloudTrail, S3 and Apache logs", "cairn"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "cairn 0.1.0");
  app.footer(
      "Examples:\n"
      "  cairn simulate --variant malicious --seed 7 --out data/demo\n"
      "  cairn ingest data/demo --case demo.cairn\n"
      "  cairn query '_sourceCategory=s3_aws_logs AND \"InvalidAccessKeyID\" | timeslice 1m | count by _timeslice' --case demo.cairn\n"
      "  cairn playbook run credential-compromise --case demo.cairn\n"
      "  cairn shell --case demo.cairn\n"
      "Environment: CAIRN_CASE (default --case), CAIRN_GEOIP_DB (default --geoip-db), CAIRN_HISTORY,\n"
      "PAGER, NO_COLOR.\n"
      "Exit codes: 0 ok, 1 findings present (opt-in), 2 usage, 3 bad input/query/playbook, 70 internal.\n"
      "Completion: source <(cairn completion bash). Man page: cairn help-man | man -l -");
  SetupIngest(app);
  SetupSources(app);
  SetupStats(app);
  SetupQuery(app);
  SetupSql(app);
  SetupSummarize(app);
  SetupGraph(app);
  SetupPlaybook(app);
  SetupReport(app);
  SetupShell(app);
  SetupGeoip(app);
  SetupSimulate(app);
  SetupDocs(app);  // last: walks the subcommands above
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error: %s\n", e.what());
    return kExitInternal;
  }
  return GetExitCode();
}
