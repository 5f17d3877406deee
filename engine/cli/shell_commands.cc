#include "engine/cli/shell_commands.h"

#include <algorithm>
#include <cctype>

#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

constexpr size_t kMaxCandidates = 200;

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Characters that end a word for completion (operators and punctuation of the query language).
bool IsWordBreak(char c) {
  return IsBlank(c) || c == '|' || c == '(' || c == ')' || c == ',' || c == '"' || c == '=' ||
         c == '!' || c == '<' || c == '>';
}

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
  });
}

std::vector<std::string> SplitArgs(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    while (pos < text.size() && IsBlank(text[pos])) ++pos;
    if (pos >= text.size()) break;
    std::string arg;
    if (text[pos] == '"') {
      ++pos;
      while (pos < text.size() && text[pos] != '"') arg += text[pos++];
      if (pos < text.size()) ++pos;
    } else {
      while (pos < text.size() && !IsBlank(text[pos])) arg += text[pos++];
    }
    out.push_back(std::move(arg));
  }
  return out;
}

Error Usage(const std::string& what, const char* usage) {
  return Error::InvalidArgument(what).WithHelp(std::string("usage: ") + usage);
}

void AddMatches(const std::vector<std::string>& pool, std::string_view prefix, std::vector<std::string>* out) {
  for (const auto& candidate : pool) {
    if (candidate.size() >= prefix.size() && EqualsIgnoreCase(std::string_view(candidate).substr(0, prefix.size()), prefix)) {
      out->push_back(candidate);
    }
  }
}

// Sorts and deduplicates each group, keeping the groups in order (fields before entities).
std::vector<std::string> Finish(std::vector<std::vector<std::string>> groups) {
  std::vector<std::string> out;
  for (auto& group : groups) {
    std::sort(group.begin(), group.end());
    for (auto& candidate : group) {
      if (std::find(out.begin(), out.end(), candidate) == out.end()) out.push_back(std::move(candidate));
      if (out.size() >= kMaxCandidates) return out;
    }
  }
  return out;
}

}  // namespace

const std::vector<ShellCommandHelp>& ShellCommandHelps() {
  static const std::vector<ShellCommandHelp> helps = {
      {"\\timerange", "\\timerange [FROM [TO] | clear]",
       "limit the next queries to a time range (ISO-8601 or relative to the case's last event: -1h); "
       "no argument shows it"},
      {"\\format", "\\format [table|csv|json|jsonl]", "output format of the next queries"},
      {"\\tz", "\\tz [ZONE]", "time zone times are printed in (UTC, +02:00, Europe/Paris)"},
      {"\\save", "\\save NAME", "save the last query in the case under NAME"},
      {"\\run", "\\run NAME", "run a saved query"},
      {"\\saved", "\\saved", "list the saved queries"},
      {"\\help", "\\help", "this help (also \\h, \\?)"},
      {"\\quit", "\\quit", "leave the shell (also \\q, Ctrl-D)"},
  };
  return helps;
}

std::vector<std::string> ShellCommandNames() {
  std::vector<std::string> names;
  for (const auto& h : ShellCommandHelps()) names.emplace_back(h.name);
  for (const char* alias : {"\\h", "\\?", "\\q", "\\exit"}) names.emplace_back(alias);
  return names;
}

Result<ShellCommand> ParseShellCommand(std::string_view line) {
  std::string_view text = Trim(line);
  if (text.empty() || text[0] != '\\') return Error::InvalidArgument("not a shell command");
  size_t name_end = 1;
  while (name_end < text.size() && !IsBlank(text[name_end])) ++name_end;
  std::string name = ToLower(text.substr(0, name_end));
  ShellCommand cmd;
  cmd.args = SplitArgs(text.substr(name_end));
  const size_t argc = cmd.args.size();
  auto usage_of = [](ShellCommandKind kind) {
    return ShellCommandHelps()[static_cast<size_t>(kind)].usage;
  };
  if (name == "\\timerange") {
    cmd.kind = ShellCommandKind::kTimerange;
    if (argc > 2) return Usage("\\timerange takes at most two times", usage_of(cmd.kind));
    if (argc == 2 && EqualsIgnoreCase(cmd.args[0], "clear")) {
      return Usage("\\timerange clear takes no time", usage_of(cmd.kind));
    }
  } else if (name == "\\format") {
    cmd.kind = ShellCommandKind::kFormat;
    if (argc > 1) return Usage("\\format takes one format", usage_of(cmd.kind));
    if (argc == 1) {
      cmd.args[0] = ToLower(cmd.args[0]);
      const auto& f = cmd.args[0];
      if (f != "table" && f != "csv" && f != "json" && f != "jsonl") {
        return Usage("unknown format '" + f + "'", usage_of(cmd.kind));
      }
    }
  } else if (name == "\\tz") {
    cmd.kind = ShellCommandKind::kTz;
    if (argc > 1) return Usage("\\tz takes one zone", usage_of(cmd.kind));
  } else if (name == "\\save" || name == "\\run") {
    cmd.kind = name == "\\save" ? ShellCommandKind::kSave : ShellCommandKind::kRun;
    if (argc != 1) return Usage(name + " needs a name", usage_of(cmd.kind));
    if (!ValidName(cmd.args[0])) {
      return Usage("bad query name '" + cmd.args[0] + "' (letters, digits, '_', '-', '.')", usage_of(cmd.kind));
    }
  } else if (name == "\\saved" || name == "\\help" || name == "\\h" || name == "\\?" || name == "\\quit" ||
             name == "\\q" || name == "\\exit") {
    cmd.kind = name == "\\saved"                    ? ShellCommandKind::kSaved
               : (name == "\\quit" || name == "\\q" || name == "\\exit") ? ShellCommandKind::kQuit
                                                                          : ShellCommandKind::kHelp;
    if (argc != 0) return Usage(name + " takes no argument", usage_of(cmd.kind));
  } else {
    return Error::InvalidArgument("unknown shell command '" + name + "'").WithHelp("\\help lists the commands");
  }
  return cmd;
}

bool LineContinues(std::string_view line) {
  std::string_view text = Trim(line);
  if (text.empty()) return false;
  return text.back() == '|' || text.back() == '\\';
}

bool AppendQueryLine(std::string* buffer, std::string_view line) {
  bool more = LineContinues(line);
  std::string_view text = line;
  if (more) {
    while (IsBlank(text.back())) text.remove_suffix(1);  // LineContinues: a non-blank exists
    if (text.back() == '\\') text.remove_suffix(1);
  }
  if (!buffer->empty()) *buffer += "\n";
  *buffer += text;
  return !more;
}

Completion CompleteShellInput(std::string_view text, const CompletionSources& sources) {
  Completion result;
  // The current line (earlier lines of a multi-line query only matter for quotes and pipes).
  size_t line_start = text.rfind('\n');
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  std::string_view line = text.substr(line_start);
  size_t lead = 0;
  while (lead < line.size() && IsBlank(line[lead])) ++lead;
  if (line_start == 0 && lead < line.size() && line[lead] == '\\') {
    size_t name_end = lead;
    while (name_end < line.size() && !IsBlank(line[name_end])) ++name_end;
    if (name_end == line.size()) {
      result.start = line_start + lead;
      std::vector<std::string> names;
      AddMatches(ShellCommandNames(), line.substr(lead), &names);
      result.candidates = Finish({names});
      return result;
    }
    std::string name = ToLower(line.substr(lead, name_end - lead));
    size_t word = line.size();
    while (word > name_end && !IsBlank(line[word - 1])) --word;
    result.start = line_start + word;
    std::string_view prefix = line.substr(word);
    std::vector<std::string> found;
    if (name == "\\format") AddMatches({"table", "csv", "json", "jsonl"}, prefix, &found);
    else if (name == "\\run") AddMatches(sources.saved, prefix, &found);
    else if (name == "\\timerange") AddMatches({"clear"}, prefix, &found);
    result.candidates = Finish({found});
    return result;
  }

  // Is the cursor inside double quotes? (Backslash escapes the next character.)
  bool in_quotes = false;
  size_t quote_at = 0;
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] == '\\' && in_quotes) {
      ++pos;
    } else if (text[pos] == '"') {
      in_quotes = !in_quotes;
      quote_at = pos;
    }
  }
  size_t word = text.size();
  if (in_quotes) {
    word = quote_at + 1;
  } else {
    while (word > 0 && !IsWordBreak(text[word - 1])) --word;
  }
  result.start = word;
  std::string_view prefix = text.substr(word);
  if (in_quotes) {
    std::vector<std::string> found;
    AddMatches(sources.entities, prefix, &found);
    result.candidates = Finish({found});
    return result;
  }
  // What precedes the word (blanks skipped)?
  size_t before = word;
  while (before > 0 && IsBlank(text[before - 1])) --before;
  char prev = before > 0 ? text[before - 1] : '\0';
  if (prev == '|') {
    std::vector<std::string> found;
    AddMatches(sources.operators, prefix, &found);
    result.candidates = Finish({found});
    return result;
  }
  if (prev == '=') {
    size_t field_end = before - 1;
    while (field_end > 0 && (text[field_end - 1] == '!' || IsBlank(text[field_end - 1]))) --field_end;
    size_t field_start = field_end;
    while (field_start > 0 && !IsWordBreak(text[field_start - 1])) --field_start;
    std::string_view field = text.substr(field_start, field_end - field_start);
    std::vector<std::string> found;
    AddMatches(EqualsIgnoreCase(field, "_sourceCategory") ? sources.categories : sources.entities, prefix, &found);
    result.candidates = Finish({found});
    return result;
  }
  std::vector<std::string> fields, entities;
  AddMatches(sources.fields, prefix, &fields);
  if (prefix.empty() || prefix[0] != '_') AddMatches(sources.entities, prefix, &entities);
  result.candidates = Finish({fields, entities});
  return result;
}

std::string CommonPrefix(const std::vector<std::string>& candidates) {
  if (candidates.empty()) return "";
  std::string prefix = candidates.front();
  for (const auto& candidate : candidates) {
    size_t len = 0;
    while (len < prefix.size() && len < candidate.size() && prefix[len] == candidate[len]) ++len;
    prefix.resize(len);
  }
  return prefix;
}

}  // namespace cairn::cli
