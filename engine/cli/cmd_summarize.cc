// cairn summarize — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupSummarize(CLI::App& app) {
  auto* cmd = app.add_subcommand("summarize", "(summarize: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn summarize' is not yet available")));
  });
}

}  // namespace cairn::cli
