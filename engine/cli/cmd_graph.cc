// cairn graph — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupGraph(CLI::App& app) {
  auto* cmd = app.add_subcommand("graph", "(graph: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn graph' is not yet available")));
  });
}

}  // namespace cairn::cli
