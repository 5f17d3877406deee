// cairn query — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupQuery(CLI::App& app) {
  auto* cmd = app.add_subcommand("query", "(query: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn query' is not yet available")));
  });
}

}  // namespace cairn::cli
