#pragma once
// Documentation generated from the CLI11 tree, so that --help, the man page and the shell
// completion scripts never disagree: `cairn help-man` (hidden) prints cairn(1) in roff, and
// `cairn completion bash|zsh` prints a completion script.

#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace cairn::cli {

// The man page cairn(1): NAME, SYNOPSIS, DESCRIPTION, one COMMANDS subsection per (nested)
// subcommand with its options and examples (the --help footer), ENVIRONMENT, EXIT STATUS.
// Hidden subcommands (empty group) are left out.
std::string ManPage(const CLI::App& app);

// Completion scripts: subcommands (nested), each command's flags, the choices of options checked
// with CLI::IsMember (e.g. --format), file names for other option values and positionals.
std::string BashCompletion(const CLI::App& app);
std::string ZshCompletion(const CLI::App& app);

// The choices of an option's IsMember check ("{table,csv}" in its type name), or empty.
std::vector<std::string> OptionChoices(const CLI::Option& option);

// Adds `completion bash|zsh` and the hidden `help-man` to app (call after every other Setup*).
void SetupDocs(CLI::App& app);

}  // namespace cairn::cli
