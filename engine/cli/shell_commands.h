#pragma once
// The pure parts of `cairn shell` (no terminal, no case): backslash commands, multi-line input and
// tab-completion candidates. cmd_shell.cc wires them to libedit and the case.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"

namespace cairn::cli {

enum class ShellCommandKind { kTimerange, kFormat, kTz, kSave, kRun, kSaved, kHelp, kQuit };

struct ShellCommand {
  ShellCommandKind kind = ShellCommandKind::kHelp;
  std::vector<std::string> args;  // validated: see ParseShellCommand
};

// One line of \help per command: usage and what it does.
struct ShellCommandHelp {
  const char* name;   // "\timerange"
  const char* usage;  // "\timerange [FROM [TO] | clear]"
  const char* what;
};
const std::vector<ShellCommandHelp>& ShellCommandHelps();

// Names of the backslash commands (with the backslash), aliases included ("\q", "\?").
std::vector<std::string> ShellCommandNames();

// Parses a line that starts with '\' (leading/trailing blanks allowed). Arguments are split on
// blanks; a double-quoted argument may hold blanks.
//   \timerange            show          \timerange clear    remove the range
//   \timerange FROM [TO]  ISO-8601 or relative to the case's last event (-1h)
//   \format [table|csv|json|jsonl]      \tz [ZONE]          (no argument: show the current one)
//   \save NAME   \run NAME   (NAME: letters, digits, '_', '-', '.')
//   \saved   \help (\h, \?)   \quit (\q, \exit)
// Errors: kInvalidArgument naming the command, with the usage as help.
Result<ShellCommand> ParseShellCommand(std::string_view line);

// Multi-line queries: a line whose last non-blank character is '|' or '\' continues on the next
// line. AppendQueryLine adds `line` to `buffer` (a trailing '\' is dropped, lines are joined with
// '\n') and returns true when the query is complete.
bool LineContinues(std::string_view line);
bool AppendQueryLine(std::string* buffer, std::string_view line);

// What the shell can complete, gathered from the case (see cmd_shell.cc).
struct CompletionSources {
  std::vector<std::string> operators;   // query::OperatorNames()
  std::vector<std::string> fields;      // _sourceCategory, typed columns, ...
  std::vector<std::string> entities;    // entity keys from the entities table
  std::vector<std::string> categories;  // _sourceCategory values
  std::vector<std::string> saved;       // saved query names (for \run)
};

// The candidates for the word that ends at the cursor: `text` is the line before the cursor
// (earlier lines of a multi-line query included). `start` is the byte offset in text where the
// word being completed begins; every candidate replaces text[start..]. Rules:
//   a line starting with '\' and no blank yet  -> backslash commands
//   \format / \run argument                    -> formats / saved names
//   right after '|' (or at "* |")              -> operators
//   after FIELD= where FIELD is _sourceCategory -> category values; after another FIELD= -> entities
//   inside double quotes                       -> entities
//   a word starting with '_'                   -> fields
//   otherwise                                  -> fields, then entities
// Matching is a case-insensitive prefix match; candidates are sorted, unique, at most 200.
struct Completion {
  size_t start = 0;
  std::vector<std::string> candidates;
};
Completion CompleteShellInput(std::string_view text, const CompletionSources& sources);

// The longest common prefix of the candidates (byte-wise, case-sensitive).
std::string CommonPrefix(const std::vector<std::string>& candidates);

}  // namespace cairn::cli
