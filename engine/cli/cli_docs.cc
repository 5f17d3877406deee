#include "engine/cli/cli_docs.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <string_view>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

bool Hidden(const CLI::App* app) { return app->get_group().empty(); }

std::vector<const CLI::App*> Children(const CLI::App& app) {
  return app.get_subcommands([](const CLI::App* sub) { return !Hidden(sub); });
}

bool IsFlag(const CLI::Option* opt) { return opt->get_expected_max() == 0; }

// Named options (not positionals), help flags included.
std::vector<const CLI::Option*> NamedOptions(const CLI::App& app) {
  return app.get_options([](const CLI::Option* opt) { return !opt->get_lnames().empty(); });
}

std::string Upper(std::string text) {
  for (char& c : text) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  }
  return text;
}

std::string LongName(const CLI::Option* opt) { return "--" + opt->get_lnames().front(); }

// Walks the tree depth first: fn(path, app) with path like "graph show" ("" for the root).
void Walk(const CLI::App& app, const std::string& path,
          const std::function<void(const std::string&, const CLI::App&)>& fn) {
  fn(path, app);
  for (const CLI::App* sub : Children(app)) {
    Walk(*sub, path.empty() ? sub->get_name() : path + " " + sub->get_name(), fn);
  }
}

// roff: escape backslashes and dashes; a line must not start with '.' or '\''.
std::string Roff(std::string_view text) {
  std::string out;
  bool line_start = true;
  for (char c : text) {
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    if (c == '\\') out += "\\e";
    else if (c == '-') out += "\\-";
    else out += c;
    line_start = c == '\n';
  }
  return out;
}

// Text for a completion description: one line, no quotes or brackets.
std::string Plain(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += ' ';
    else if (c == '\'' || c == '"' || c == '`' || c == '$' || c == '\\') continue;
    else if (c == '[' || c == '(') out += '(';
    else if (c == ']' || c == ')') out += ')';
    else out += c;
  }
  return out;
}

std::string Escaped(std::string_view text, char special) {
  std::string out;
  for (char c : text) {
    if (c == special) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

std::vector<std::string> OptionChoices(const CLI::Option& option) {
  std::string type = option.get_type_name();
  size_t open = type.find('{');
  size_t close = type.find('}', open == std::string::npos ? 0 : open);
  if (open == std::string::npos || close == std::string::npos) return {};
  std::vector<std::string> out;
  for (auto part : Split(std::string_view(type).substr(open + 1, close - open - 1), ',')) {
    auto choice = Trim(part);
    if (!choice.empty()) out.emplace_back(choice);
  }
  return out;
}

std::string ManPage(const CLI::App& app) {
  std::string out;
  out += ".TH CAIRN 1 \"\" \"cairn 0.1.0\" \"User Commands\"\n";
  std::string description = app.get_description();
  for (const char* prefix : {"cairn — ", "cairn - "}) {
    if (StartsWith(description, prefix)) description = description.substr(std::string_view(prefix).size());
  }
  out += ".SH NAME\ncairn \\- " + Roff(description) + "\n";
  out += ".SH SYNOPSIS\n.B cairn\n.I COMMAND\n[\\fIOPTIONS\\fR]\n";
  out += ".SH DESCRIPTION\n";
  out += "Cairn turns CloudTrail, S3 server access logs and Apache logs into one timeline and one "
         "entity graph in a single SQLite case file, queries it with a Sumo Logic\\-style pipeline "
         "language and runs playbooks. Every command has \\fB\\-\\-help\\fR; this page is generated "
         "from the same definitions.\n";
  out += ".SH COMMANDS\n";
  Walk(app, "", [&](const std::string& path, const CLI::App& cmd) {
    if (path.empty()) return;
    out += ".SS \"cairn " + Roff(path);
    for (const CLI::Option* opt : cmd.get_options([](const CLI::Option* o) { return o->get_positional(); })) {
      std::string name = opt->get_name();
      out += opt->get_required() ? " " + Roff(Upper(name)) : " [" + Roff(Upper(name)) + "]";
    }
    out += "\"\n" + Roff(cmd.get_description()) + "\n";
    for (const CLI::Option* opt : NamedOptions(cmd)) {
      out += ".TP\n.B " + Roff(LongName(opt));
      if (!IsFlag(opt)) {
        auto choices = OptionChoices(*opt);
        out += choices.empty() ? " \\fIVALUE\\fR" : " \\fI" + Roff(Join(choices, "|")) + "\\fR";
      }
      out += "\n" + Roff(opt->get_description());
      if (!opt->get_default_str().empty()) out += " (default: " + Roff(opt->get_default_str()) + ")";
      out += "\n";
    }
    std::string footer = cmd.get_footer();
    // CLI11 copies the parent's footer into each subcommand: print only a command's own.
    const CLI::App* parent = cmd.get_parent();
    if (parent && parent->get_footer() == footer) footer.clear();
    if (!Trim(footer).empty()) out += ".PP\n.nf\n" + Roff(std::string(Trim(footer))) + "\n.fi\n";
  });
  if (!Trim(app.get_footer()).empty()) {
    out += ".SH EXAMPLES\n.nf\n" + Roff(std::string(Trim(app.get_footer()))) + "\n.fi\n";
  }
  out += ".SH ENVIRONMENT\n";
  out += ".TP\n.B CAIRN_CASE\nthe case file when \\fB\\-\\-case\\fR is not given\n";
  out += ".TP\n.B CAIRN_GEOIP_DB\nthe GeoIP database when \\fB\\-\\-geoip\\-db\\fR is not given\n";
  out += ".TP\n.B CAIRN_PLAYBOOK_PATH\nextra playbook folders, colon\\-separated\n";
  out += ".TP\n.B CAIRN_HISTORY\nthe history file of \\fBcairn shell\\fR (default ~/.cairn_history)\n";
  out += ".TP\n.B PAGER\nthe pager of \\fBcairn shell\\fR (default less, with LESS=FRX when unset)\n";
  out += ".TP\n.B NO_COLOR\nno colour even on a terminal\n";
  out += ".SH FILES\n";
  out += ".TP\n.B /usr/share/zoneinfo\nthe time zone database (Debian package tzdata) read for zone names given to "
         "\\fB\\-\\-tz\\fR, such as Europe/Berlin\n";
  out += ".SH EXIT STATUS\n";
  out += ".TP\n.B 0\nsuccess\n";
  out += ".TP\n.B 1\nfindings present (only with \\fB\\-\\-exit\\-findings\\fR)\n";
  out += ".TP\n.B 2\nusage error: unknown flag, missing argument, malformed value\n";
  out += ".TP\n.B 3\nbad input: unreadable evidence, a query or playbook that does not parse, a missing case\n";
  out += ".TP\n.B 70\ninternal error (a bug)\n";
  out += ".SH SEE ALSO\ndocs/cli.md, docs/query-language.md, docs/playbooks.md\n";
  return out;
}

std::string BashCompletion(const CLI::App& app) {
  std::string paths, value_cases, option_cases;
  Walk(app, "", [&](const std::string& path, const CLI::App& cmd) {
    std::string key = path;
    for (char& c : key) {
      if (c == ' ') c = '/';
    }
    if (!path.empty()) paths += (paths.empty() ? "" : "|") + std::string("/") + key;
    std::vector<std::string> words;
    for (const CLI::App* sub : Children(cmd)) words.push_back(sub->get_name());
    for (const CLI::Option* opt : NamedOptions(cmd)) {
      words.push_back(LongName(opt));
      if (IsFlag(opt)) continue;
      auto choices = OptionChoices(*opt);
      value_cases += "    \"/" + key + " " + LongName(opt) + "\") ";
      value_cases += choices.empty() ? "COMPREPLY=($(compgen -f -- \"$cur\"))"
                                     : "COMPREPLY=($(compgen -W \"" + Join(choices, " ") + "\" -- \"$cur\"))";
      value_cases += "; return ;;\n";
    }
    bool positional = !cmd.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
    option_cases += "    \"/" + key + "\") words=\"" + Join(words, " ") + "\"; files=" + (positional ? "1" : "0") +
                    " ;;\n";
  });
  std::string out;
  out += "# bash completion for cairn (generated by `cairn completion bash`)\n";
  out += "# Load it with: source <(cairn completion bash)\n";
  out += "_cairn() {\n";
  out += "  local cur prev path=\"\" words=\"\" files=0 w i\n";
  out += "  cur=\"${COMP_WORDS[COMP_CWORD]}\"\n";
  out += "  prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
  out += "  for ((i = 1; i < COMP_CWORD; i++)); do\n";
  out += "    w=\"${COMP_WORDS[i]}\"\n";
  out += "    case \"$path/$w\" in\n      " + paths + ") path=\"$path/$w\" ;;\n    esac\n";
  out += "  done\n";
  out += "  case \"/${path#/} $prev\" in\n" + value_cases + "  esac\n";
  out += "  case \"/${path#/}\" in\n" + option_cases + "  esac\n";
  out += "  if [[ \"$cur\" == -* || $files == 0 ]]; then\n";
  out += "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n";
  out += "  else\n";
  out += "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\") $(compgen -f -- \"$cur\"))\n";
  out += "  fi\n";
  out += "}\n";
  out += "complete -o filenames -F _cairn cairn\n";
  return out;
}

std::string ZshCompletion(const CLI::App& app) {
  std::string paths, cases;
  Walk(app, "", [&](const std::string& path, const CLI::App& cmd) {
    std::string key = path;
    for (char& c : key) {
      if (c == ' ') c = '/';
    }
    if (!path.empty()) paths += (paths.empty() ? "" : "|") + std::string("/") + key;
    std::string specs;
    for (const CLI::Option* opt : NamedOptions(cmd)) {
      std::string spec = "'" + LongName(opt) + "[" + Escaped(Plain(opt->get_description()), ':') + "]";
      if (!IsFlag(opt)) {
        auto choices = OptionChoices(*opt);
        spec += choices.empty() ? ":value:_files" : ":value:(" + Join(choices, " ") + ")";
      }
      specs += " \\\n        " + spec + "'";
    }
    auto children = Children(cmd);
    cases += "    \"/" + key + "\")\n";
    if (!children.empty()) {
      cases += "      local -a cmds\n      cmds=(";
      for (const CLI::App* sub : children) {
        cases += " '" + sub->get_name() + ":" + Escaped(Plain(sub->get_description()), ':') + "'";
      }
      cases += " )\n";
      cases += "      if [[ $PREFIX == -* ]]; then\n        _arguments" + specs + "\n";
      cases += "      else\n        _describe 'command' cmds\n      fi ;;\n";
    } else {
      bool positional = !cmd.get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
      cases += "      _arguments" + specs + (positional ? " \\\n        '*:file:_files'" : "") + " ;;\n";
    }
  });
  std::string out;
  out += "#compdef cairn\n";
  out += "# zsh completion for cairn (generated by `cairn completion zsh`)\n";
  out += "# Install: cairn completion zsh > \"${fpath[1]}/_cairn\", or: source <(cairn completion zsh)\n";
  out += "_cairn() {\n";
  out += "  local p=\"\" w i\n";
  out += "  for ((i = 2; i < CURRENT; i++)); do\n";
  out += "    w=${words[i]}\n";
  out += "    case \"$p/$w\" in\n      " + paths + ") p=\"$p/$w\" ;;\n    esac\n";
  out += "  done\n";
  out += "  case \"/${p#/}\" in\n" + cases + "  esac\n";
  out += "}\n";
  out += "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _cairn \"$@\"; else compdef _cairn cairn; fi\n";
  return out;
}

void SetupDocs(CLI::App& app) {
  auto shell = std::make_shared<std::string>();
  auto* completion = app.add_subcommand("completion", "print a shell completion script (bash or zsh)");
  completion->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
  completion->footer(
      "Examples:\n"
      "  source <(cairn completion bash)                  # in ~/.bashrc\n"
      "  cairn completion zsh > \"${fpath[1]}/_cairn\"      # then restart zsh");
  completion->callback([&app, shell] {
    std::string text = *shell == "bash" ? BashCompletion(app) : ZshCompletion(app);
    std::fputs(text.c_str(), stdout);
    SetExitCode(kExitOk);
  });
  auto* man = app.add_subcommand("help-man", "print the man page cairn(1) in roff");
  man->group("");  // hidden: a build step (make man) and packagers call it
  man->callback([&app] {
    std::fputs(ManPage(app).c_str(), stdout);
    SetExitCode(kExitOk);
  });
}

}  // namespace cairn::cli
