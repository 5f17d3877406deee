// cairn simulate — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupSimulate(CLI::App& app) {
  auto* cmd = app.add_subcommand("simulate", "(simulate: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn simulate' is not yet available")));
  });
}

}  // namespace cairn::cli
