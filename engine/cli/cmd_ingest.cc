// cairn ingest — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupIngest(CLI::App& app) {
  auto* cmd = app.add_subcommand("ingest", "(ingest: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn ingest' is not yet available")));
  });
}

}  // namespace cairn::cli
