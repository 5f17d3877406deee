#include "engine/common/time.h"

#include <gtest/gtest.h>

namespace cairn {
namespace {

TEST(TimeTest, ParsesIso8601Forms) {
  EXPECT_EQ(ParseIso8601("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseIso8601("2019-02-06T00:00:00Z"), 1549411200000);
  EXPECT_EQ(ParseIso8601("2019-02-06T00:00:05.123Z"), 1549411205123);
  EXPECT_EQ(ParseIso8601("2019-02-06T02:00:00+02:00"), 1549411200000);
  EXPECT_EQ(ParseIso8601("2019-02-06 00:00:00"), 1549411200000);
  EXPECT_EQ(ParseIso8601("2019-02-06"), 1549411200000);
  EXPECT_EQ(ParseIso8601("2019-02-06T00:00Z"), 1549411200000);
  EXPECT_FALSE(ParseIso8601("2019-13-06T00:00:00Z"));
  EXPECT_FALSE(ParseIso8601("2019-02-06T00:00:00Zjunk"));
  EXPECT_FALSE(ParseIso8601("yesterday"));
}

TEST(TimeTest, ParsesClfTimeWithZones) {
  EXPECT_EQ(ParseClfTime("06/Feb/2019:00:00:38 +0000"), 1549411238000);
  EXPECT_EQ(ParseClfTime("06/Feb/2019:02:00:38 +0200"), 1549411238000);
  EXPECT_EQ(ParseClfTime("05/Feb/2019:19:00:38 -0500"), 1549411238000);
  EXPECT_FALSE(ParseClfTime("06/Foo/2019:00:00:38 +0000"));
}

TEST(TimeTest, ParsesCtime) {
  EXPECT_EQ(ParseCtime("Wed Feb 06 00:00:39 2019"), 1549411239000);
  EXPECT_EQ(ParseCtime("Wed Feb 06 00:00:39.664897 2019"), 1549411239664);
  EXPECT_FALSE(ParseCtime("Wed Feb 06 00:00:39"));
}

TEST(TimeTest, DurationsAndRelative) {
  EXPECT_EQ(ParseDuration("1m"), 60000);
  EXPECT_EQ(ParseDuration("1h30m"), 5400000);
  EXPECT_EQ(ParseDuration("7d"), 604800000);
  EXPECT_FALSE(ParseDuration("7x"));
  EXPECT_EQ(ParseRelative("-15m"), -900000);
  EXPECT_EQ(ParseRelative("now"), 0);
  EXPECT_FALSE(ParseRelative("15m"));
}

TEST(TimeTest, FormatsIso8601) {
  EXPECT_EQ(FormatIso8601(1549411205123), "2019-02-06T00:00:05.123Z");
  EXPECT_EQ(FormatIso8601Compact(1549411200000), "2019-02-06T00:00:00Z");
  EXPECT_EQ(FormatIso8601Compact(1549411200000, 120), "2019-02-06T02:00:00+02:00");
  EXPECT_EQ(FormatIso8601(-1), "1969-12-31T23:59:59.999Z");
}

TEST(TimeTest, TimeZoneOffsets) {
  EXPECT_EQ(ParseTzOffset("UTC"), 0);
  EXPECT_EQ(ParseTzOffset("+05:30"), 330);
  EXPECT_EQ(ParseTzOffset("-0800"), -480);
  EXPECT_FALSE(ParseTzOffset("Mars/Olympus"));
}

}  // namespace
}  // namespace cairn
