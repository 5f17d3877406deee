// cairn geoip — placeholder until its issue lands.
#include "engine/cli/cli_common.h"

namespace cairn::cli {

void SetupGeoip(CLI::App& app) {
  auto* cmd = app.add_subcommand("geoip", "(geoip: not yet available)");
  cmd->allow_extras();
  cmd->callback([] {
    SetExitCode(ReportError(Error::Unsupported("'cairn geoip' is not yet available")));
  });
}

}  // namespace cairn::cli
