// Man page and completion scripts generated from a CLI11 tree.
#include "engine/cli/cli_docs.h"

#include <gtest/gtest.h>

namespace cairn::cli {
namespace {

struct Tree {
  CLI::App app{"cairn — test tree", "cairn"};
  std::string case_path, format, entity;
  bool flag = false;
  Tree() {
    auto* query = app.add_subcommand("query", "run a pipeline query");
    query->add_option("--case", case_path, "case file");
    query->add_option("--format", format, "output format")->check(CLI::IsMember({"table", "csv", "json"}));
    query->add_flag("--raw-times", flag, "epoch ms");
    query->footer("Examples:\n  cairn query 'error | count' --case demo.cairn");
    auto* graph = app.add_subcommand("graph", "walk the graph");
    auto* show = graph->add_subcommand("show", "an entity's relations");
    show->add_option("entity", entity, "entity reference");
    auto* hidden = app.add_subcommand("secret", "not documented");
    hidden->group("");
  }
};

TEST(CliDocsTest, OptionChoicesComeFromIsMember) {
  Tree t;
  auto* opt = t.app.get_subcommand("query")->get_option("--format");
  EXPECT_EQ(OptionChoices(*opt), (std::vector<std::string>{"table", "csv", "json"}));
  EXPECT_TRUE(OptionChoices(*t.app.get_subcommand("query")->get_option("--case")).empty());
}

TEST(CliDocsTest, ManPageHasEveryVisibleCommand) {
  Tree t;
  std::string man = ManPage(t.app);
  EXPECT_EQ(man.rfind(".TH CAIRN 1", 0), 0u);
  EXPECT_NE(man.find(".SS \"cairn query\""), std::string::npos);
  EXPECT_NE(man.find(".SS \"cairn graph show [ENTITY]\""), std::string::npos);
  EXPECT_NE(man.find(".B \\-\\-format \\fItable|csv|json\\fR"), std::string::npos);
  EXPECT_NE(man.find("cairn query 'error | count' \\-\\-case demo.cairn"), std::string::npos);
  EXPECT_NE(man.find(".SH EXIT STATUS"), std::string::npos);
  EXPECT_EQ(man.find("secret"), std::string::npos);
}

TEST(CliDocsTest, BashCompletionKnowsCommandsFlagsAndChoices) {
  Tree t;
  std::string bash = BashCompletion(t.app);
  EXPECT_NE(bash.find("complete -o filenames -F _cairn cairn"), std::string::npos);
  EXPECT_NE(bash.find("/query|/graph|/graph/show"), std::string::npos);
  EXPECT_NE(bash.find("\"/query --format\") COMPREPLY=($(compgen -W \"table csv json\""), std::string::npos);
  EXPECT_NE(bash.find("\"/query\") words=\""), std::string::npos);
  EXPECT_NE(bash.find("--raw-times"), std::string::npos);
  EXPECT_EQ(bash.find("secret"), std::string::npos);
}

TEST(CliDocsTest, ZshCompletionDescribesCommands) {
  Tree t;
  std::string zsh = ZshCompletion(t.app);
  EXPECT_EQ(zsh.rfind("#compdef cairn", 0), 0u);
  EXPECT_NE(zsh.find("'query:run a pipeline query'"), std::string::npos);
  EXPECT_NE(zsh.find("'--format[output format]:value:(table csv json)'"), std::string::npos);
  EXPECT_NE(zsh.find("'show:an entitys relations'"), std::string::npos);
}

}  // namespace
}  // namespace cairn::cli
