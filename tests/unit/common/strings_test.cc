#include "engine/common/strings.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(StringsTest, JsonQuoteEscapesControlAndHtml) {
  EXPECT_EQ(JsonQuote("a\"b\\c\n"), R"("a\"b\\c\n")");
  EXPECT_EQ(JsonQuote("<script>"), R"("\u003cscript\u003e")");
  EXPECT_EQ(JsonQuote(std::string("\x01", 1)), R"("\u0001")");
  EXPECT_EQ(JsonQuote("\xff"), R"("\ufffd")");
  EXPECT_EQ(JsonQuote("é"), "\"é\"");
}

TEST(StringsTest, TerminalSafeNeutralisesEscapes) {
  EXPECT_EQ(TerminalSafe("\x1b[31mred"), "\\x1b[31mred");
  EXPECT_EQ(TerminalSafe("a\tb"), "a\\tb");
  EXPECT_EQ(TerminalSafe("\xc2\x9b" "2J"), "\\xc2\\x9b2J");
  EXPECT_EQ(TerminalSafe("Linköping"), "Linköping");
}

TEST(StringsTest, HtmlAndCsv) {
  EXPECT_EQ(HtmlEscape("\"><img src=x onerror=alert(1)>"),
            "&quot;&gt;&lt;img src=x onerror=alert(1)&gt;");
  EXPECT_EQ(CsvField("a,b"), "\"a,b\"");
  EXPECT_EQ(CsvField("say \"hi\""), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(CsvField("plain"), "plain");
}

TEST(StringsTest, NumbersAndHashes) {
  EXPECT_EQ(WithThousands(1234567), "1,234,567");
  EXPECT_EQ(WithThousands(-1000), "-1,000");
  EXPECT_EQ(WithThousands(999), "999");
  EXPECT_EQ(FormatDouble(0.5), "0.5");
  EXPECT_EQ(FormatDouble(12.0), "12");
  EXPECT_EQ(FormatDouble(1.41421356), "1.414214");
  EXPECT_EQ(Hex64(Fnv1a64("")), "cbf29ce484222325");
  EXPECT_EQ(EditDistance("cuont", "count"), 1u);
  EXPECT_EQ(EditDistance("knid", "kind"), 1u);
  EXPECT_EQ(EditDistance("knid", "id"), 2u);
  EXPECT_EQ(EditDistance("", "abc"), 3u);
}

TEST(StringsTest, Utf8Validation) {
  EXPECT_TRUE(IsValidUtf8("plain ascii"));
  EXPECT_TRUE(IsValidUtf8("Linköping"));
  EXPECT_FALSE(IsValidUtf8("\xc3\x28"));
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // surrogate
}

// FindLiteral against string_view::find: every start offset of every haystack over a small
// alphabet (so that partial matches are common), needles of 1 to 20 bytes, haystacks of 0 to 70
// bytes (the SIMD loop and its scalar tail both run), plus the parse anchor of the article.
TEST(StringsTest, FindLiteralAgreesWithFind) {
  std::string alphabet = "ab\"";
  uint64_t state = 12345;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return static_cast<unsigned>(state >> 33);
  };
  int checked = 0, found = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string hay(next() % 71, ' ');
    for (char& c : hay) c = alphabet[next() % alphabet.size()];
    std::string needle(1 + next() % 20, ' ');
    for (char& c : needle) c = alphabet[next() % alphabet.size()];
    // Plant the needle in half of the haystacks, at a random place.
    if (round % 2 == 0 && needle.size() <= hay.size()) {
      hay.replace(next() % (hay.size() - needle.size() + 1), needle.size(), needle);
    }
    for (size_t from = 0; from <= hay.size() + 1; ++from) {
      size_t want = std::string_view(hay).find(needle, from);
      ASSERT_EQ(FindLiteral(hay, needle, from), want) << "hay '" << hay << "' needle '" << needle
                                                      << "' from " << from;
      ++checked;
      if (want != std::string_view::npos) ++found;
    }
  }
  EXPECT_GT(found, checked / 10);  // the comparison covered hits, not only misses
  EXPECT_EQ(FindLiteral("abc", "", 2), 2u);
  EXPECT_EQ(FindLiteral("abc", "", 4), std::string_view::npos);
  std::string line = "10.0.0.1 - - [13/Mar/2024:14:04:05 +0000] \"GET /a HTTP/1.1\\\" x HTTP/1.1\" 403 12";
  EXPECT_EQ(FindLiteral(line, "HTTP/1.1\" "), line.rfind("HTTP/1.1\" "));
  EXPECT_EQ(FindLiteral(line, "HTTP/1.1\" "), 63u);
}

}  // namespace
}  // namespace cairn
