// cairn playbook — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupPlaybook(CLI::App& app) {
  auto* cmd = app.add_subcommand("playbook", "(playbook: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn playbook' is not yet available")));
  });
}

}  // namespace cairn::cli
