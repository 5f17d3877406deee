// cairn sources — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupSources(CLI::App& app) {
  auto* cmd = app.add_subcommand("sources", "(sources: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn sources' is not yet available")));
  });
}

}  // namespace cairn::cli
