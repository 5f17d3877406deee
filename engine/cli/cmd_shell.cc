// cairn shell --case FILE: the analyst's interactive prompt (docs/cli.md, "cairn shell").
//
// Line editing and persistent history come from libedit; Tab completes operators, field names,
// entity names and backslash commands (shell_commands.h). A line ending with '|' or '\' continues
// the query. Results longer than the screen go through $PAGER (less with LESS=FRX by default).
// Ctrl-C sets a flag the query executor polls (QueryOptions::cancel): it stops the running query,
// never the shell. With stdin not a terminal the shell reads queries line by line (scriptable).
#include <histedit.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "engine/cli/cli_common.h"
#include "engine/cli/query_output.h"
#include "engine/cli/shell_commands.h"
#include "engine/common/strings.h"
#include "engine/graph/relations.h"
#include "engine/query/parser.h"
#include "engine/query/query.h"

namespace cairn::cli {
namespace {

// Set by SIGINT. std::atomic<bool> is lock-free here, so storing to it in a handler is safe.
std::atomic<bool> g_cancel{false};
volatile sig_atomic_t g_sigint = 0;
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnSigint(int /*signo*/) {
  g_sigint = 1;
  g_cancel.store(true, std::memory_order_relaxed);
}

struct ShellArgs {
  std::string case_path;
  std::string from;
  std::string to;
  std::string format;
  std::string tz = "UTC";
  std::string geoip_db;
};

std::string HistoryPath() {
  if (const char* env = std::getenv("CAIRN_HISTORY"); env && *env) return env;
  if (const char* home = std::getenv("HOME"); home && *home) return std::string(home) + "/.cairn_history";
  return "";
}

// Output of one query: straight to stdout, or into $PAGER once it is longer than the screen.
class PagedWriter {
 public:
  explicit PagedWriter(bool may_page) : may_page_(may_page), max_lines_(TerminalHeight() - 2) {}
  ~PagedWriter() { Finish(); }
  PagedWriter(const PagedWriter&) = delete;
  PagedWriter& operator=(const PagedWriter&) = delete;

  bool Write(std::string_view text) {
    if (broken_) return false;
    if (pager_) return Put(pager_, text);
    buffer_.append(text);
    for (char c : text) lines_ += c == '\n' ? 1 : 0;
    if (may_page_ && lines_ > max_lines_) {
      const char* env = std::getenv("PAGER");
      std::string command = env && *env ? env : "less";
      setenv("LESS", "FRX", 0);  // as git does: quit if one screen, raw colours, no init
      std::fflush(stdout);
      pager_ = popen(command.c_str(), "w");
      if (!pager_) {
        may_page_ = false;
      } else {
        std::string pending = std::move(buffer_);
        buffer_.clear();
        return Put(pager_, pending);
      }
    }
    if (!may_page_ && buffer_.size() > (1u << 16)) Drain();
    return true;
  }

  void Finish() {
    if (pager_) {
      pclose(pager_);
      pager_ = nullptr;
    }
    Drain();
  }

 private:
  bool Put(std::FILE* out, std::string_view text) {
    if (std::fwrite(text.data(), 1, text.size(), out) != text.size()) broken_ = true;
    return !broken_;
  }
  void Drain() {
    if (!buffer_.empty()) Put(stdout, buffer_);
    buffer_.clear();
    std::fflush(stdout);
  }

  bool may_page_;
  int64_t max_lines_;
  int64_t lines_ = 0;
  std::string buffer_;
  std::FILE* pager_ = nullptr;
  bool broken_ = false;
};

// Stops the output as soon as Ctrl-C is pressed (the executor stops at the next event).
class CancellableSink final : public query::RowSink {
 public:
  explicit CancellableSink(query::RowSink& inner) : inner_(inner) {}
  Status OnRow(const std::vector<std::string>& columns, const std::vector<query::Value>& values) override {
    if (g_cancel.load(std::memory_order_relaxed)) return Error::Io("query cancelled");
    return inner_.OnRow(columns, values);
  }

 private:
  query::RowSink& inner_;
};

class Shell {
 public:
  Shell(ShellArgs args, std::unique_ptr<store::CaseStore> store, bool writable, bool interactive)
      : args_(std::move(args)), store_(std::move(store)), writable_(writable), interactive_(interactive) {}

  Status Init() {
    CAIRN_ASSIGN_OR_RETURN(tz_, ResolveTz(args_.tz));
    format_ = args_.format;
    CAIRN_ASSIGN_OR_RETURN(bounds_, ResolveTimeBounds(*store_, args_.from, args_.to));
    LoadCompletions();
    return Ok();
  }

  // Runs until \quit or end of input. Returns the exit code.
  int Run() { return interactive_ ? RunInteractive() : RunScript(); }

 private:
  // ---- input loops ------------------------------------------------------------------------------

  int RunScript() {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!pending_.empty() || !IsComment(line)) {
        if (!Feed(line)) break;
      }
    }
    if (!pending_.empty()) Execute(std::exchange(pending_, {}));
    return last_error_;
  }

  int RunInteractive() {
    EditLine* el = el_init("cairn", stdin, stdout, stderr);
    History* hist = history_init();
    HistEvent ev;
    history(hist, &ev, H_SETSIZE, 5000);
    history(hist, &ev, H_SETUNIQUE, 1);
    const std::string history_path = HistoryPath();
    if (!history_path.empty()) history(hist, &ev, H_LOAD, history_path.c_str());
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_CLIENTDATA, this);
    el_set(el, EL_PROMPT, &Shell::Prompt);
    el_set(el, EL_ADDFN, "cairn-complete", "complete a query word", &Shell::CompleteFn);
    el_set(el, EL_BIND, "^I", "cairn-complete", nullptr);
    el_source(el, nullptr);  // ~/.editrc, as other libedit programs
    std::printf("cairn shell on %s — \\help for commands, Tab completes, Ctrl-C cancels a query, "
                "Ctrl-D quits\n",
                TerminalSafe(store_->path()).c_str());
    std::fflush(stdout);
    while (true) {
      g_sigint = 0;
      int count = 0;
      errno = 0;
      const char* raw = el_gets(el, &count);
      if (raw == nullptr || count <= 0) {
        if (g_sigint || errno == EINTR) {
          // Ctrl-C at the prompt: drop the line (and any unfinished multi-line query).
          pending_.clear();
          el_reset(el);
          std::fputs("^C\n", stdout);
          std::fflush(stdout);
          continue;
        }
        std::fputs("\n", stdout);
        break;
      }
      std::string line(raw, static_cast<size_t>(count));
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (pending_.empty() && Trim(line).empty()) continue;
      if (!Feed(line, [&](const std::string& input) {
            std::string entry = input;
            for (char& c : entry) {
              if (c == '\n') c = ' ';
            }
            history(hist, &ev, H_ENTER, entry.c_str());
            SaveHistory(hist, history_path);
          })) {
        break;
      }
    }
    SaveHistory(hist, history_path);
    history_end(hist);
    el_end(el);
    return kExitOk;
  }

  static bool IsComment(std::string_view line) {
    std::string_view text = Trim(line);
    return text.empty() || text[0] == '#' || StartsWith(text, "//");
  }

  // Adds a line to the pending input; runs it once complete. Returns false to quit.
  template <typename OnComplete>
  bool Feed(const std::string& line, OnComplete on_complete) {
    if (pending_.empty() && !Trim(line).empty() && Trim(line)[0] == '\\') {
      on_complete(std::string(Trim(line)));
      return Execute(std::string(Trim(line)));
    }
    if (!AppendQueryLine(&pending_, line)) return true;
    std::string input = std::exchange(pending_, {});
    if (Trim(input).empty()) return true;
    on_complete(input);
    return Execute(input);
  }
  bool Feed(const std::string& line) {
    return Feed(line, [](const std::string&) {});
  }

  static void SaveHistory(History* hist, const std::string& path) {
    if (path.empty()) return;
    HistEvent ev;
    if (history(hist, &ev, H_SAVE, path.c_str()) >= 0) chmod(path.c_str(), 0600);  // queries name people
  }

  // ---- libedit callbacks ------------------------------------------------------------------------

  static Shell* From(EditLine* el) {
    void* data = nullptr;
    el_get(el, EL_CLIENTDATA, &data);
    return static_cast<Shell*>(data);
  }

  static char* Prompt(EditLine* el) {
    static char normal[] = "cairn> ";
    static char more[] = "  ...> ";
    return From(el)->pending_.empty() ? normal : more;
  }

  static unsigned char CompleteFn(EditLine* el, int /*ch*/) {
    Shell* shell = From(el);
    const LineInfo* info = el_line(el);
    std::string current(info->buffer, static_cast<size_t>(info->cursor - info->buffer));
    std::string text = shell->pending_.empty() ? current : shell->pending_ + "\n" + current;
    Completion completion = CompleteShellInput(text, shell->completions_);
    const size_t line_offset = text.size() - current.size();
    if (completion.candidates.empty() || completion.start < line_offset) return CC_ERROR;
    const size_t typed = text.size() - completion.start;
    std::string replacement;
    if (completion.candidates.size() == 1) {
      replacement = completion.candidates.front();
      bool word_done = StartsWith(replacement, "\\") ||
                       std::find(shell->completions_.operators.begin(), shell->completions_.operators.end(),
                                 replacement) != shell->completions_.operators.end();
      if (word_done) replacement += " ";
    } else {
      replacement = CommonPrefix(completion.candidates);
      if (replacement.size() <= typed) {
        // Nothing more to insert: list the candidates under the line.
        std::string list = "\n";
        size_t width = 0;
        for (const auto& c : completion.candidates) width = std::max(width, DisplayWidth(c));
        const size_t columns = std::max<size_t>(1, static_cast<size_t>(TerminalWidth()) / (width + 2));
        for (size_t idx = 0; idx < completion.candidates.size(); ++idx) {
          std::string cell = TerminalSafe(completion.candidates[idx]);
          list += cell;
          if ((idx + 1) % columns == 0 || idx + 1 == completion.candidates.size()) list += "\n";
          else list += std::string(width + 2 - DisplayWidth(cell), ' ');
        }
        std::fputs(list.c_str(), stdout);
        std::fflush(stdout);
        return CC_REDISPLAY;
      }
    }
    el_deletestr(el, static_cast<int>(typed));
    el_insertstr(el, replacement.c_str());
    return CC_REFRESH;
  }

  // ---- completion sources -----------------------------------------------------------------------

  void LoadCompletions() {
    CompletionSources& c = completions_;
    for (const auto& name : query::OperatorNames()) c.operators.push_back(name);
    c.fields = {"_raw", "_messageTime", "_sourceCategory", "_sourceName", "_sourceHost", "_source",
                "_collector", "_size", "_format", "_messageCount", "_timeslice"};
    static const std::set<std::string> kInternal = {"id", "ts", "source_id", "raw", "dedupe"};
    for (const auto& row : Column("SELECT name FROM pragma_table_info('events')")) {
      if (!kInternal.count(row)) c.fields.push_back(row);
    }
    c.categories = Column("SELECT DISTINCT category FROM source_categories ORDER BY 1");
    c.entities = Column("SELECT key FROM entities ORDER BY count DESC LIMIT 20000");
    c.saved = Column("SELECT name FROM saved_queries ORDER BY 1");
  }

  std::vector<std::string> Column(const std::string& sql) {
    std::vector<std::string> out;
    auto st = store_->Prepare(sql);
    if (!st.ok()) return out;
    while (true) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      if (!st->IsNull(0)) out.emplace_back(st->Text(0));
    }
    return out;
  }

  void AddResultFields(const std::vector<std::string>& columns) {
    for (const auto& name : columns) {
      if (std::find(completions_.fields.begin(), completions_.fields.end(), name) == completions_.fields.end()) {
        completions_.fields.push_back(name);
      }
    }
  }

  // ---- commands ---------------------------------------------------------------------------------

  // Runs one complete input (a query or a backslash command). Returns false to quit.
  bool Execute(const std::string& input) {
    std::string_view text = Trim(input);
    if (!text.empty() && text[0] == '\\') {
      auto cmd = ParseShellCommand(text);
      if (!cmd.ok()) {
        last_error_ = ReportError(cmd.error());
        return true;
      }
      if (cmd->kind == ShellCommandKind::kQuit) return false;
      Status done = DoCommand(*cmd);
      if (!done.ok()) last_error_ = ReportError(done.error());
      return true;
    }
    Status ran = RunQueryText(std::string(text));
    if (!ran.ok()) last_error_ = ReportError(ran.error());
    return true;
  }

  Status DoCommand(const ShellCommand& cmd) {
    switch (cmd.kind) {
      case ShellCommandKind::kTimerange: return DoTimerange(cmd.args);
      case ShellCommandKind::kFormat:
        if (!cmd.args.empty()) format_ = cmd.args[0];
        Print("format: " + format_ + "\n");
        return Ok();
      case ShellCommandKind::kTz:
        if (!cmd.args.empty()) {
          CAIRN_ASSIGN_OR_RETURN(tz_, ResolveTz(cmd.args[0]));
        }
        Print("time zone: " + tz_.name() + "\n");
        return Ok();
      case ShellCommandKind::kSave: return DoSave(cmd.args[0]);
      case ShellCommandKind::kRun: {
        CAIRN_ASSIGN_OR_RETURN(std::string saved, LoadSaved(cmd.args[0]));
        if (interactive_) Print(TerminalSafe(saved) + "\n");
        return RunQueryText(saved);
      }
      case ShellCommandKind::kSaved: return DoSaved();
      case ShellCommandKind::kHelp: PrintHelp(); return Ok();
      case ShellCommandKind::kQuit: return Ok();
    }
    return Ok();
  }

  Status DoTimerange(const std::vector<std::string>& args) {
    if (args.size() == 1 && EqualsIgnoreCase(args[0], "clear")) {
      bounds_ = TimeBounds{};
    } else if (!args.empty()) {
      CAIRN_ASSIGN_OR_RETURN(bounds_, ResolveTimeBounds(*store_, args[0], args.size() > 1 ? args[1] : ""));
    }
    if (!bounds_.from && !bounds_.to) {
      Print("time range: all events\n");
    } else {
      Print("time range: " + (bounds_.from ? FormatIso8601(*bounds_.from, tz_) : std::string("(start)")) +
            " .. " + (bounds_.to ? FormatIso8601(*bounds_.to, tz_) : std::string("(end)")) + "\n");
    }
    return Ok();
  }

  Status DoSave(const std::string& name) {
    if (last_query_.empty()) {
      return Error::InvalidArgument("no query to save yet").WithHelp("run a query, then \\save NAME");
    }
    if (!writable_) {
      return Error::Io("cannot save: the case is open read-only").WithHelp("check the case file's permissions");
    }
    CAIRN_ASSIGN_OR_RETURN(
        store::Statement st,
        store_->Prepare("INSERT INTO saved_queries(name, query) VALUES(?, ?) "
                        "ON CONFLICT(name) DO UPDATE SET query = excluded.query"));
    st.Bind(1, std::string_view(name)).Bind(2, std::string_view(last_query_));
    CAIRN_TRY(st.Run());
    if (std::find(completions_.saved.begin(), completions_.saved.end(), name) == completions_.saved.end()) {
      completions_.saved.push_back(name);
    }
    Print("saved '" + name + "'\n");
    return Ok();
  }

  Result<std::string> LoadSaved(const std::string& name) {
    CAIRN_ASSIGN_OR_RETURN(store::Statement st, store_->Prepare("SELECT query FROM saved_queries WHERE name = ?"));
    st.Bind(1, std::string_view(name));
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) {
      return Error::NotFound("no saved query '" + name + "'").WithHelp("\\saved lists the saved queries");
    }
    return std::string(st.Text(0));
  }

  Status DoSaved() {
    CAIRN_ASSIGN_OR_RETURN(store::Statement st,
                           store_->Prepare("SELECT name, query FROM saved_queries ORDER BY name"));
    TextTable table({"name", "query"});
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      std::string query(st.Text(1));
      for (char& c : query) {
        if (c == '\n') c = ' ';
      }
      table.AddRow({std::string(st.Text(0)), query});
    }
    if (table.rows() == 0) Print("(no saved queries)\n");
    else Print(table.Render(StdoutIsTty() ? TerminalWidth() : 0));
    return Ok();
  }

  void PrintHelp() {
    std::string out = "Type a query (docs/query-language.md); end a line with | or \\ to continue it.\n";
    out += "Tab completes operators, fields, entity names and commands. Ctrl-C cancels a running query.\n\n";
    TextTable table({"command", "what"});
    for (const auto& h : ShellCommandHelps()) table.AddRow({h.usage, h.what});
    out += table.Render(StdoutIsTty() ? TerminalWidth() : 0);
    out += "\nExamples: \\timerange -1h   \\timerange 2024-01-19T09:00:00Z 2024-01-19T10:00:00Z   "
           "\\format csv   \\save errors   \\run errors\n";
    Print(out);
  }

  static void Print(const std::string& text) {
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }

  // ---- queries ----------------------------------------------------------------------------------

  Status RunQueryText(const std::string& text) {
    const bool tty = StdoutIsTty();
    query::QueryOptions options;
    options.from = bounds_.from;
    options.to = bounds_.to;
    options.tz_offset_minutes = AlignmentOffsetMinutes(tz_, *store_, bounds_);
    options.geo_db_path = ResolveGeoDbPath(args_.geoip_db);
    options.cancel = &g_cancel;
    PrintOptions print;
    print.format = format_;
    print.zone = tz_;
    print.max_width = tty ? TerminalWidth() : 0;
    print.chart = tty;
    g_cancel.store(false);
    g_sigint = 0;
    last_query_ = text;
    int64_t start = MonotonicMs();
    PagedWriter out(interactive_ && tty);
    QueryPrinter printer(print, [&out](std::string_view chunk) { return out.Write(chunk); });
    CancellableSink sink(printer);
    auto result = query::RunQuery(*store_, text, options, sink);
    const bool cancelled = g_cancel.exchange(false);
    if (cancelled) {
      out.Finish();
      std::fputs("query cancelled\n", stderr);
      return Ok();
    }
    printer.Finish();
    out.Finish();
    if (!result.ok()) return result.error();
    AddResultFields(result->columns);
    for (const auto& notice : result->notices) Note(notice);
    if (!result->geo_db.empty()) Note("GeoIP database: " + result->geo_db);
    if (interactive_) {
      std::fprintf(stderr, "(%s rows, %lld ms)\n", WithThousands(printer.rows()).c_str(),
                   static_cast<long long>(MonotonicMs() - start));
    }
    return Ok();
  }

  ShellArgs args_;
  std::unique_ptr<store::CaseStore> store_;
  bool writable_;
  bool interactive_;
  std::string format_ = "table";
  TimeZone tz_;
  TimeBounds bounds_;
  std::string pending_;     // an unfinished multi-line query
  std::string last_query_;  // for \save
  int last_error_ = kExitOk;
  CompletionSources completions_;
};

int RunShell(const ShellArgs& args) {
  auto case_path = ResolveCasePath(args.case_path);
  if (!case_path.ok()) return ReportError(case_path.error());
  bool writable = true;
  auto store = store::CaseStore::Open(*case_path, store::CaseStore::Mode::kReadWrite);
  if (!store.ok()) {
    if (store.error().code() == ErrorCode::kNotFound) return ReportError(store.error());
    writable = false;
    store = store::CaseStore::Open(*case_path, store::CaseStore::Mode::kReadOnly);
    if (!store.ok()) return ReportError(store.error());
    Warn("the case is open read-only: \\save is unavailable");
  }
  if (writable) {
    // Entity names for completion come from the graph tables: bring them up to date.
    auto behind = graph::RelationsBehind(**store);
    if (behind.ok() && *behind) {
      if (StderrIsTty()) Note("indexing the entity graph (entity names complete from it)");
      if (Status derived = graph::DeriveRelations(**store); !derived.ok()) {
        Warn("entity names will not complete: " + derived.error().ToString());
      }
    }
  }
  const bool interactive = isatty(STDIN_FILENO) == 1;
  Shell shell(args, std::move(store).value(), writable, interactive);
  if (Status init = shell.Init(); !init.ok()) return ReportError(init.error());

  struct sigaction action {};
  action.sa_handler = OnSigint;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a read at the prompt returns with EINTR
  struct sigaction old_int {}, old_pipe {};
  sigaction(SIGINT, &action, &old_int);
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  sigaction(SIGPIPE, &ignore, &old_pipe);  // a pager quit early: writes fail, the query stops
  int code = shell.Run();
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGPIPE, &old_pipe, nullptr);
  return code;
}

}  // namespace

void SetupShell(CLI::App& app) {
  auto args = std::make_shared<ShellArgs>();
  auto* cmd = app.add_subcommand("shell", "interactive prompt: queries with history, completion and paging");
  AddCaseFlag(cmd, &args->case_path);
  AddTimeFlags(cmd, &args->from, &args->to);
  AddFormatFlag(cmd, &args->format, {"table", "csv", "json", "jsonl"}, "table");
  AddTzFlag(cmd, &args->tz);
  cmd->add_option("--geoip-db", args->geoip_db, "GeoIP .mmdb for lookup/geoip (default: $CAIRN_GEOIP_DB)");
  cmd->footer(
      "Examples:\n"
      "  cairn shell --case demo.cairn\n"
      "  cairn> _sourceCategory=s3_access | count by status\n"
      "  cairn> \\timerange -1h\n"
      "  cairn> \\save status-counts\n"
      "  echo 'error | count by _sourceCategory' | cairn shell --case demo.cairn --format csv\n"
      "Commands: \\timerange, \\format, \\tz, \\save, \\run, \\saved, \\help, \\quit. History: "
      "$CAIRN_HISTORY or ~/.cairn_history. Pager: $PAGER (default less -FRX).");
  cmd->callback([args] { SetExitCode(RunShell(*args)); });
}

}  // namespace cairn::cli
