// The pure parts of cairn shell: backslash commands, multi-line input, completion candidates.
#include "engine/cli/shell_commands.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace cairn::cli {
namespace {

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(ShellCommandTest, ParsesEveryCommand) {
  auto tr = ParseShellCommand("\\timerange -1h");
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->kind, ShellCommandKind::kTimerange);
  EXPECT_EQ(tr->args, std::vector<std::string>{"-1h"});
  auto two = ParseShellCommand("  \\timerange 2024-01-19T09:00:00Z   2024-01-19T10:00:00Z  ");
  ASSERT_TRUE(two.ok());
  EXPECT_EQ(two->args.size(), 2u);
  auto show = ParseShellCommand("\\timerange");
  ASSERT_TRUE(show.ok());
  EXPECT_TRUE(show->args.empty());
  auto fmt = ParseShellCommand("\\format CSV");
  ASSERT_TRUE(fmt.ok());
  EXPECT_EQ(fmt->kind, ShellCommandKind::kFormat);
  EXPECT_EQ(fmt->args[0], "csv");
  EXPECT_EQ(ParseShellCommand("\\save errors-1.v2")->kind, ShellCommandKind::kSave);
  EXPECT_EQ(ParseShellCommand("\\run errors")->kind, ShellCommandKind::kRun);
  EXPECT_EQ(ParseShellCommand("\\saved")->kind, ShellCommandKind::kSaved);
  EXPECT_EQ(ParseShellCommand("\\tz Europe/Paris")->kind, ShellCommandKind::kTz);
  for (const char* help : {"\\help", "\\h", "\\?"}) EXPECT_EQ(ParseShellCommand(help)->kind, ShellCommandKind::kHelp);
  for (const char* quit : {"\\quit", "\\q", "\\exit"}) EXPECT_EQ(ParseShellCommand(quit)->kind, ShellCommandKind::kQuit);
}

TEST(ShellCommandTest, QuotedArgumentKeepsBlanks) {
  auto tr = ParseShellCommand("\\timerange \"2024-01-19 09:00:00\"");
  ASSERT_TRUE(tr.ok());
  EXPECT_EQ(tr->args, std::vector<std::string>{"2024-01-19 09:00:00"});
}

TEST(ShellCommandTest, RejectsBadUsageWithHelp) {
  for (const char* bad : {"\\format xml", "\\format csv json", "\\save", "\\run", "\\save a/b", "\\save two words",
                          "\\timerange a b c", "\\timerange clear -1h", "\\quit now", "\\saved x", "\\bogus"}) {
    auto r = ParseShellCommand(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << bad;
    EXPECT_FALSE(r.error().help().empty()) << bad;
  }
  EXPECT_NE(ParseShellCommand("\\bogus").error().message().find("'\\bogus'"), std::string::npos);
}

TEST(ShellInputTest, PipeOrBackslashContinuesTheQuery) {
  EXPECT_TRUE(LineContinues("error |"));
  EXPECT_TRUE(LineContinues("error | count \\  "));
  EXPECT_FALSE(LineContinues("error | count"));
  EXPECT_FALSE(LineContinues(""));
  std::string buffer;
  EXPECT_FALSE(AppendQueryLine(&buffer, "_sourceCategory=s3 |"));
  EXPECT_FALSE(AppendQueryLine(&buffer, "  count by status \\"));
  EXPECT_TRUE(AppendQueryLine(&buffer, "  , bucket"));
  EXPECT_EQ(buffer, "_sourceCategory=s3 |\n  count by status \n  , bucket");
}

CompletionSources Sources() {
  CompletionSources s;
  s.operators = {"count", "count_distinct", "where", "timeslice", "parse"};
  s.fields = {"_sourceCategory", "_sourceHost", "_raw", "source_ip", "status", "actor_name"};
  s.entities = {"alice", "arn:aws:iam::111122223333:user/alice", "203.0.113.7", "status-page"};
  s.categories = {"s3_access", "cloudtrail", "apache/access"};
  s.saved = {"errors", "error-rate"};
  return s;
}

TEST(ShellCompletionTest, OperatorsAfterPipe) {
  auto c = CompleteShellInput("error | co", Sources());
  EXPECT_EQ(c.start, 8u);
  EXPECT_EQ(c.candidates, (std::vector<std::string>{"count", "count_distinct"}));
  auto all = CompleteShellInput("error |", Sources());
  EXPECT_EQ(all.candidates.size(), 5u);
  auto multi = CompleteShellInput("error |\n  ti", Sources());
  EXPECT_EQ(multi.candidates, std::vector<std::string>{"timeslice"});
  EXPECT_EQ(multi.start, 10u);
}

TEST(ShellCompletionTest, FieldsCaseInsensitiveThenEntities) {
  auto c = CompleteShellInput("_sourcec", Sources());
  EXPECT_EQ(c.start, 0u);
  EXPECT_EQ(c.candidates, std::vector<std::string>{"_sourceCategory"});
  auto s = CompleteShellInput("error | where sta", Sources());
  // fields first, then entity names
  EXPECT_EQ(s.candidates, (std::vector<std::string>{"status", "status-page"}));
  EXPECT_EQ(s.start, 14u);
  auto underscore = CompleteShellInput("_s", Sources());
  EXPECT_TRUE(Contains(underscore.candidates, "_sourceHost"));
  EXPECT_FALSE(Contains(underscore.candidates, "status-page"));
}

TEST(ShellCompletionTest, ValuesAfterEquals) {
  auto cat = CompleteShellInput("_sourceCategory=s3", Sources());
  EXPECT_EQ(cat.start, 16u);
  EXPECT_EQ(cat.candidates, std::vector<std::string>{"s3_access"});
  auto ent = CompleteShellInput("* | where actor_name = al", Sources());
  EXPECT_EQ(ent.candidates, std::vector<std::string>{"alice"});
  auto arn = CompleteShellInput("arn:aws:iam::1111", Sources());
  EXPECT_EQ(arn.candidates, std::vector<std::string>{"arn:aws:iam::111122223333:user/alice"});
  EXPECT_EQ(arn.start, 0u);
}

TEST(ShellCompletionTest, EntitiesInsideQuotes) {
  auto c = CompleteShellInput("\"203.", Sources());
  EXPECT_EQ(c.start, 1u);
  EXPECT_EQ(c.candidates, std::vector<std::string>{"203.0.113.7"});
  auto spaced = CompleteShellInput("\"arn:aws:iam::111122223333:user/", Sources());
  EXPECT_EQ(spaced.candidates.size(), 1u);
}

TEST(ShellCompletionTest, BackslashCommandsAndTheirArguments) {
  auto c = CompleteShellInput("\\sa", Sources());
  EXPECT_EQ(c.candidates, (std::vector<std::string>{"\\save", "\\saved"}));
  EXPECT_EQ(c.start, 0u);
  auto fmt = CompleteShellInput("\\format js", Sources());
  EXPECT_EQ(fmt.candidates, (std::vector<std::string>{"json", "jsonl"}));
  EXPECT_EQ(fmt.start, 8u);
  auto run = CompleteShellInput("\\run error-", Sources());
  EXPECT_EQ(run.candidates, std::vector<std::string>{"error-rate"});
  auto tr = CompleteShellInput("\\timerange cl", Sources());
  EXPECT_EQ(tr.candidates, std::vector<std::string>{"clear"});
}

TEST(ShellCompletionTest, CommonPrefixIsByteWise) {
  EXPECT_EQ(CommonPrefix({"count", "count_distinct"}), "count");
  EXPECT_EQ(CommonPrefix({"json", "jsonl"}), "json");
  EXPECT_EQ(CommonPrefix({"a", "b"}), "");
  EXPECT_EQ(CommonPrefix({}), "");
}

}  // namespace
}  // namespace cairn::cli
