// cairn shell — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupShell(CLI::App& app) {
  auto* cmd = app.add_subcommand("shell", "(shell: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn shell' is not yet available")));
  });
}

}  // namespace cairn::cli
