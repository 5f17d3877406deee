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

}  // namespace
}  // namespace cairn
