// cairn stats — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupStats(CLI::App& app) {
  auto* cmd = app.add_subcommand("stats", "(stats: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn stats' is not yet available")));
  });
}

}  // namespace cairn::cli
