#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "engine/cluster/tokenizer_internal.h"

namespace cairn::cluster::internal {
namespace {

// The tokens of a message as text: "<*>" for variables, "<>" for empty slots.
std::string Tokens(std::string_view message) {
  std::vector<Token> tokens;
  Tokenize(message, 256, &tokens);
  std::string out;
  for (const Token& token : tokens) {
    if (!out.empty()) out += ' ';
    out += TokenText(message, token);
  }
  return out;
}

TEST(TokenizerTest, SplitsKeyValuePairsAndMasksAttachedValues) {
  EXPECT_EQ(Tokens("check pass; user=root uid=0"), "check pass ; user = <*> uid = <*>");
}

TEST(TokenizerTest, MarksEmptyValuesAsSlots) {
  EXPECT_EQ(Tokens("logname= uid=0 from 10.1.2.3 () ok"),
            "logname = <> uid = <*> from <*> ( <> ) ok");
}

TEST(TokenizerTest, MasksDateNamesNextToNumbers) {
  EXPECT_EQ(Tokens("connection at Sun Jul 10 03:55:15 2005"), "connection at <*>");
  EXPECT_EQ(Tokens("may I come in"), "may I come in");
}

TEST(TokenizerTest, CollapsesRunsOfVariables) {
  EXPECT_EQ(Tokens("ask 10.250.14.38:50010 to delete blk_1 blk_-2 blk_3"),
            "ask <*> to delete <*>");
  EXPECT_EQ(Tokens("onExtend:1514038530000 14 0 4"), "onExtend : <*>");
}

TEST(TokenizerTest, KeepsAddressesWithColonsWhole) {
  EXPECT_EQ(Tokens("from [fe80::1ff:fe23:4567:890a] port"), "from [ <*> ] port");
  EXPECT_EQ(Tokens("mac 00:1a:2b:3c:4d:5e up"), "mac <*> up");
}

TEST(TokenizerTest, KeepsPinnedValuesAsOneConstantToken) {
  std::string message = "eventName=\x1f" "Create User\x1f next";
  std::vector<Token> tokens;
  Tokenize(message, 256, &tokens);
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[2].kind, TokenKind::kPinned);
  EXPECT_EQ(TokenText(message, tokens[2]), "Create User");
  EXPECT_EQ(TokenText(message, tokens[3]), "next");
}

TEST(TokenizerTest, CapsTheNumberOfTokens) {
  std::vector<Token> tokens;
  Tokenize("a b c d e f g h", 4, &tokens);
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens.back().kind, TokenKind::kVar);
}

TEST(VariableWordTest, RecognisesGeneralValueShapes) {
  EXPECT_TRUE(IsVariableWord("blk_-6952295868487656571"));
  EXPECT_TRUE(IsVariableWord("/var/www/favicon.ico"));
  EXPECT_TRUE(IsVariableWord("usr/lib/x"));
  EXPECT_TRUE(IsVariableWord("ns.marryaldkfaczcz.com"));
  EXPECT_TRUE(IsVariableWord("biblioteka.wsi.edu.pl"));
  EXPECT_TRUE(IsVariableWord("alice@example.org"));
  EXPECT_TRUE(IsVariableWord("cafebabecafe"));
  EXPECT_TRUE(IsVariableWord("C:\\Windows\\System32"));
  EXPECT_FALSE(IsVariableWord("android.intent.action.SCREEN_ON"));
  EXPECT_FALSE(IsVariableWord("rpc.statd"));
  EXPECT_FALSE(IsVariableWord("com.huawei.health"));
  EXPECT_FALSE(IsVariableWord("PIIX/ICH"));
  EXPECT_FALSE(IsVariableWord("failure"));
  EXPECT_FALSE(IsVariableWord("/"));
}

}  // namespace
}  // namespace cairn::cluster::internal
