// cairn shell driven as a user would, in tmux: type a query and read the screen, complete a field
// name with Tab, continue a query over two lines, save and run a query, page a long result, cancel
// a long query with Ctrl-C and get the prompt back. Plus the scriptable form (stdin not a tty) and
// the generated completion scripts and man page.
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "engine/common/strings.h"
#include "tests/testing/testing.h"

namespace cairn {
namespace {

std::string Q(const std::filesystem::path& p) { return "'" + p.string() + "'"; }

std::string Cairn(const std::string& args, int* rc, std::string* err = nullptr) {
  std::string out;
  *rc = testing::RunCommand(testing::CairnBinary() + " " + args, &out, err);
  return out;
}

bool HaveTmux() {
  std::string out;
  return testing::RunCommand("command -v tmux", &out) == 0 && !out.empty();
}

// One tmux server (private socket) running `cairn shell` in a 140x40 window.
class TmuxShell {
 public:
  TmuxShell(const testing::TempDir& dir, const std::filesystem::path& case_path, const std::string& env = "")
      : socket_("cairn-test-" + std::to_string(getpid()) + "-" + std::to_string(counter_++)) {
    std::string command = "env TERM=xterm NO_COLOR=1 HOME=" + Q(dir.path()) +
                          " CAIRN_HISTORY=" + Q(dir / "history") + " " + env + " " +
                          testing::CairnBinary() + " shell --case " + Q(case_path);
    Tmux("new-session -d -s t -x 140 -y 40 " + Q(std::filesystem::path(command)));
    Tmux("set-option -g remain-on-exit on");
  }
  ~TmuxShell() { Tmux("kill-server"); }
  TmuxShell(const TmuxShell&) = delete;
  TmuxShell& operator=(const TmuxShell&) = delete;

  void Type(const std::string& text) { Tmux("send-keys -t t -l " + Q(std::filesystem::path(text))); }
  void Key(const std::string& key) { Tmux("send-keys -t t " + key); }
  std::string Screen() { return Tmux("capture-pane -p -t t"); }
  // Has the shell exited? (The pane stays, dead, or the session is gone.)
  bool Exited() {
    std::string dead = Tmux("list-panes -t t -F '#{pane_dead}'");
    return dead.empty() || dead[0] == '1';
  }
  void Clear() { Tmux("clear-history -t t"); }

  // Polls the screen until pred holds (or timeout); returns the last screen.
  std::string WaitFor(const std::function<bool(const std::string&)>& pred, int timeout_ms = 10000) {
    std::string screen;
    for (int waited = 0; waited < timeout_ms; waited += 50) {
      screen = Screen();
      if (pred(screen)) return screen;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ADD_FAILURE() << "timed out waiting; screen:\n" << screen;
    return screen;
  }
  std::string WaitForText(const std::string& text, int timeout_ms = 10000) {
    return WaitFor([&](const std::string& s) { return s.find(text) != std::string::npos; }, timeout_ms);
  }
  // The number of lines that start with the prompt.
  static int Prompts(const std::string& screen) {
    int count = 0;
    for (auto line : Split(screen, '\n')) count += StartsWith(line, "cairn> ") || line == "cairn>";
    return count;
  }

 private:
  std::string Tmux(const std::string& args) {
    std::string out;
    testing::RunCommand("tmux -L " + socket_ + " -f /dev/null " + args, &out);
    return out;
  }

  static inline int counter_ = 0;
  std::string socket_;
};

class ShellCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testing::TempDir();
    auto data = testing::SharedData();
    int rc = 0;
    std::string err;
    Cairn("ingest " + Q(data / "s3-access") + " " + Q(data / "apache-access") + " " +
              Q(data / "cloudtrail" / "aws-docs") + " --case " + Q(*dir_ / "small.cairn"),
          &rc, &err);
    ASSERT_EQ(rc, 0) << err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static std::filesystem::path Case() { return *dir_ / "small.cairn"; }

  static testing::TempDir* dir_;
};
testing::TempDir* ShellCliTest::dir_ = nullptr;

TEST_F(ShellCliTest, ScriptedFromStdin) {
  int rc = 0;
  std::string err;
  testing::WriteFile(*dir_ / "script.txt",
                     "# a comment\n"
                     "\\format csv\n"
                     "* | count by _sourceCategory |\n"
                     "  sort by _sourceCategory\n"
                     "\\save by-category\n"
                     "\\saved\n"
                     "\\run by-category\n"
                     "\\timerange -1h\n"
                     "\\timerange clear\n");
  std::string out = Cairn("shell --case " + Q(Case()) + " < " + Q(*dir_ / "script.txt"), &rc, &err);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(out.find("format: csv"), std::string::npos) << out;
  EXPECT_NE(out.find("_sourceCategory,_count\n"), std::string::npos) << out;
  EXPECT_NE(out.find("saved 'by-category'"), std::string::npos) << out;
  EXPECT_NE(out.find("by-category  * | count by _sourceCategory |   sort by _sourceCategory"), std::string::npos)
      << out;
  EXPECT_NE(out.find("time range: all events"), std::string::npos) << out;
  // \run printed the csv a second time
  size_t first = out.find("_sourceCategory,_count");
  EXPECT_NE(out.find("_sourceCategory,_count", first + 1), std::string::npos) << out;
}

TEST_F(ShellCliTest, ScriptedErrorsSetTheExitCode) {
  int rc = 0;
  std::string err;
  testing::WriteFile(*dir_ / "bad.txt", "* | bogus_operator\n\\format xml\n");
  Cairn("shell --case " + Q(Case()) + " < " + Q(*dir_ / "bad.txt"), &rc, &err);
  EXPECT_EQ(rc, 2) << err;  // the last error: \format xml is a usage error
  EXPECT_NE(err.find("unknown operator 'bogus_operator'"), std::string::npos) << err;
  EXPECT_NE(err.find("unknown format 'xml'"), std::string::npos) << err;
  Cairn("shell --case " + Q(*dir_ / "missing.cairn") + " < /dev/null", &rc, &err);
  EXPECT_EQ(rc, 3) << err;
}

TEST_F(ShellCliTest, TypeQueryCompleteFieldAndPage) {
  if (!HaveTmux()) GTEST_SKIP() << "tmux is not installed (scripts/install-deps installs it)";
  // A pager that marks what went through it.
  testing::WriteFile(*dir_ / "pager.sh", "#!/bin/sh\nexec sed 's/^/PAGED:/'\n");
  std::filesystem::permissions(*dir_ / "pager.sh", std::filesystem::perms::owner_all);
  TmuxShell shell(*dir_, Case(), "PAGER=" + (*dir_ / "pager.sh").string());
  std::string screen = shell.WaitForText("cairn>");
  ASSERT_NE(screen.find("cairn shell on"), std::string::npos) << screen;

  // Tab completes the field name: "_sourceC" -> "_sourceCategory".
  shell.Type("* | count by _sourceC");
  shell.Key("Tab");
  screen = shell.WaitForText("count by _sourceCategory");
  ASSERT_NE(screen.find("cairn> * | count by _sourceCategory"), std::string::npos) << screen;
  shell.Key("Enter");
  screen = shell.WaitForText(" ms)");
  EXPECT_NE(screen.find("_sourceCategory"), std::string::npos) << screen;
  EXPECT_NE(screen.find("_count"), std::string::npos) << screen;
  EXPECT_NE(screen.find("rows, "), std::string::npos) << screen;

  // Tab after '|' lists operators starting with the prefix; a unique one is completed.
  shell.Key("C-l");
  shell.Type("* | times");
  shell.Key("Tab");
  shell.Type("1m");  // the completion added a blank after the operator
  screen = shell.WaitForText("timeslice 1m");
  EXPECT_NE(screen.find("cairn> * | timeslice 1m"), std::string::npos) << screen;
  shell.Key("C-u");

  // A query over two lines, its result longer than the screen goes through the pager.
  shell.Type("* |");
  shell.Key("Enter");
  screen = shell.WaitForText("  ...>");  // (capture-pane drops trailing blanks)
  ASSERT_NE(screen.find("\n  ...>"), std::string::npos) << screen;
  shell.Type("fields _raw");
  shell.Key("Enter");
  screen = shell.WaitForText("PAGED:");
  EXPECT_NE(screen.find("PAGED:"), std::string::npos) << screen;
  shell.WaitForText(" ms)");

  // \help lists the commands; \quit leaves.
  shell.Key("C-l");
  shell.Type("\\help");
  shell.Key("Enter");
  screen = shell.WaitForText("\\timerange [FROM [TO] | clear]");
  EXPECT_NE(screen.find("\\save NAME"), std::string::npos) << screen;
  shell.Type("\\quit");
  shell.Key("Enter");
  for (int waited = 0; waited < 5000 && !shell.Exited(); waited += 50) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(shell.Exited()) << shell.Screen();
  // The history survives: a new shell recalls the first query with four Up arrows.
  std::string history = testing::ReadFile(*dir_ / "history");
  EXPECT_NE(history.find("count\\040by\\040_sourceCategory"), std::string::npos) << history;
  TmuxShell again(*dir_, Case());
  again.WaitForText("cairn>");
  for (int k = 0; k < 4; ++k) again.Key("Up");
  screen = again.WaitForText("cairn> * | count by _sourceCategory");
  EXPECT_NE(screen.find("cairn> * | count by _sourceCategory"), std::string::npos) << screen;
}

TEST_F(ShellCliTest, CtrlCCancelsTheQueryNotTheShell) {
  if (!HaveTmux()) GTEST_SKIP() << "tmux is not installed (scripts/install-deps installs it)";
  // A case big enough for a query that runs for seconds.
  testing::TempDir big;
  std::string access;
  const int kLines = 20000;
  access.reserve(static_cast<size_t>(kLines) * 120);
  for (int k = 0; k < kLines; ++k) {
    access += "198.51.100." + std::to_string(k % 250) + " - - [10/Oct/2000:13:" + std::to_string(10 + k / 6000 % 50) +
              ":" + std::to_string(10 + k % 50) + " -0700] \"GET /page/" + std::to_string(k) +
              " HTTP/1.0\" " + (k % 7 == 0 ? "500" : "200") + " " + std::to_string(k % 9000) + "\n";
  }
  testing::WriteFile(big / "access.log", access);
  int rc = 0;
  std::string err;
  Cairn("ingest " + Q(big / "access.log") + " --case " + Q(big / "big.cairn"), &rc, &err);
  ASSERT_EQ(rc, 0) << err;

  TmuxShell shell(*dir_, big / "big.cairn");
  shell.WaitForText("cairn>");
  // Ctrl-C at the prompt drops the line and keeps the shell.
  shell.Type("this line is dropped");
  shell.Key("C-c");
  std::string screen = shell.WaitFor([](const std::string& s) { return TmuxShell::Prompts(s) >= 2; });
  ASSERT_GE(TmuxShell::Prompts(screen), 2) << screen;

  // Every character times every digit of every line: about half a minute on this case.
  shell.Key("C-l");
  shell.Type("* | parse regex \"(?<c>.)\" multi | parse regex \"(?<d>[0-9])\" multi | count by c, d");
  shell.Key("Enter");
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  screen = shell.Screen();
  ASSERT_EQ(screen.find(" ms)"), std::string::npos) << "the query finished too fast to cancel:\n" << screen;
  auto start = std::chrono::steady_clock::now();
  shell.Key("C-c");
  screen = shell.WaitForText("query cancelled", 5000);
  EXPECT_NE(screen.find("query cancelled"), std::string::npos) << screen;
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  screen = shell.WaitFor([](const std::string& s) { return TmuxShell::Prompts(s) >= 2; });
  EXPECT_GE(TmuxShell::Prompts(screen), 2) << screen;
  EXPECT_FALSE(shell.Exited()) << screen;

  // The shell still answers.
  shell.Type("* | count");
  shell.Key("Enter");
  screen = shell.WaitForText("20,000");
  EXPECT_NE(screen.find("20,000"), std::string::npos) << screen;
}

TEST(CairnDocsCliTest, CompletionScriptsAndManPage) {
  int rc = 0;
  std::string bash = Cairn("completion bash", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(bash.find("complete -o filenames -F _cairn cairn"), std::string::npos);
  EXPECT_NE(bash.find("/playbook/run"), std::string::npos);
  EXPECT_NE(bash.find("\"/query --format\") COMPREPLY=($(compgen -W \"table csv json jsonl\""), std::string::npos)
      << bash;
  // The script is valid bash and completes subcommands.
  std::string out;
  testing::WriteFile(std::filesystem::temp_directory_path() / ("cairn-completion-" + std::to_string(getpid())), bash);
  std::string script = (std::filesystem::temp_directory_path() / ("cairn-completion-" + std::to_string(getpid()))).string();
  rc = testing::RunCommand("bash -c 'source " + script +
                               " && COMP_WORDS=(cairn qu) && COMP_CWORD=1 && _cairn && echo \"${COMPREPLY[@]}\""
                               " && COMP_WORDS=(cairn query x --format j) && COMP_CWORD=4 && _cairn && echo "
                               "\"${COMPREPLY[@]}\"'",
                           &out);
  std::filesystem::remove(script);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(out, "query\njson jsonl\n");
  std::string zsh = Cairn("completion zsh", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(zsh.rfind("#compdef cairn", 0), 0u);
  Cairn("completion fish", &rc);
  EXPECT_EQ(rc, 2);
  std::string man = Cairn("help-man", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(man.find(".SS \"cairn shell\""), std::string::npos);
  EXPECT_NE(man.find(".SH EXIT STATUS"), std::string::npos);
  std::string help = Cairn("--help", &rc);
  EXPECT_EQ(help.find("\n  help-man "), std::string::npos) << "help-man is not listed: " << help;
  EXPECT_NE(help.find("\n  completion "), std::string::npos) << help;
}

TEST(CairnTzCliTest, StatsPrintsTimesInTheZone) {
  testing::TempDir dir;
  int rc = 0;
  std::string err;
  Cairn("ingest " + Q(testing::SharedData() / "apache-access") + " --case " + Q(dir / "c.cairn"), &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  std::string utc = Cairn("stats --case " + Q(dir / "c.cairn") + " --format json", &rc);
  std::string paris = Cairn("stats --case " + Q(dir / "c.cairn") + " --format json --tz +02:00", &rc);
  EXPECT_EQ(rc, 0);
  EXPECT_NE(utc.find("Z\""), std::string::npos) << utc;
  EXPECT_NE(paris.find("+02:00\""), std::string::npos) << paris;
  Cairn("stats --case " + Q(dir / "c.cairn") + " --tz Mars/Olympus", &rc, &err);
  EXPECT_EQ(rc, 2) << err;
}

TEST(CairnTzCliTest, GraphPrintsTimesInTheZone) {
  testing::TempDir dir;
  int rc = 0;
  std::string err;
  Cairn("ingest " + Q(testing::SharedData() / "apache-access") + " --case " + Q(dir / "c.cairn"), &rc, &err);
  ASSERT_EQ(rc, 0) << err;
  std::string utc = Cairn("graph show --case " + Q(dir / "c.cairn") + " --format json", &rc, &err);
  EXPECT_EQ(rc, 0) << err;
  std::string shifted = Cairn("graph show --case " + Q(dir / "c.cairn") + " --format json --tz -05:00", &rc, &err);
  EXPECT_EQ(rc, 0) << err;
  EXPECT_NE(utc.find("Z\""), std::string::npos) << utc;
  EXPECT_EQ(shifted.find("Z\""), std::string::npos) << shifted;
  EXPECT_NE(shifted.find("-05:00\""), std::string::npos) << shifted;
  Cairn("graph show --case " + Q(dir / "c.cairn") + " --tz Mars/Olympus", &rc, &err);
  EXPECT_EQ(rc, 2) << err;
}

}  // namespace
}  // namespace cairn
