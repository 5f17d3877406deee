// cairn report — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupReport(CLI::App& app) {
  auto* cmd = app.add_subcommand("report", "(report: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn report' is not yet available")));
  });
}

}  // namespace cairn::cli
