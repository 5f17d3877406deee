#include "engine/common/time_zone.h"

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace cairn {
namespace {

// Tests that read the system zone database skip when it is not installed (Debian: tzdata).
#define CAIRN_REQUIRE_ZONEINFO()                                                           \
  do {                                                                                     \
    std::error_code ec;                                                                    \
    if (!std::filesystem::exists(std::string(kDefaultZoneinfoDir) + "/Europe/Berlin", ec)) \
      GTEST_SKIP() << "no zone database at " << kDefaultZoneinfoDir << " (install tzdata)"; \
  } while (0)

TimeZone MustLoad(std::string_view name) {
  auto zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.has_value()) << (zone.has_value() ? "" : zone.error().ToString());
  return zone.has_value() ? *zone : TimeZone::Utc();
}

TimeMs At(std::string_view iso) { return ParseIso8601(iso).value(); }

ZoneOffset Offset(int seconds, std::string abbreviation, bool dst) {
  return ZoneOffset{seconds, std::move(abbreviation), dst};
}

// ---- a synthetic TZif file (RFC 8536), so the reader is tested without the system database ----

struct TzifType {
  int32_t utoff;
  bool dst;
  std::string abbreviation;
};

void PutBigEndian(std::string* out, uint64_t value, int bytes) {
  for (int idx = bytes - 1; idx >= 0; --idx) out->push_back(static_cast<char>((value >> (8 * idx)) & 0xFF));
}

std::string Block(const std::vector<int64_t>& times, const std::vector<uint8_t>& idxs,
                  const std::vector<TzifType>& types, int time_size) {
  std::string chars;
  std::vector<uint8_t> desig;
  for (const auto& type : types) {
    desig.push_back(static_cast<uint8_t>(chars.size()));
    chars += type.abbreviation + '\0';
  }
  std::string out = "TZif";
  out.push_back('2');
  out += std::string(15, '\0');
  for (uint64_t count : {uint64_t{0}, uint64_t{0}, uint64_t{0}, uint64_t{times.size()}, uint64_t{types.size()},
                         uint64_t{chars.size()}}) {
    PutBigEndian(&out, count, 4);
  }
  for (int64_t t : times) PutBigEndian(&out, static_cast<uint64_t>(t), time_size);
  for (uint8_t idx : idxs) out.push_back(static_cast<char>(idx));
  for (size_t idx = 0; idx < types.size(); ++idx) {
    PutBigEndian(&out, static_cast<uint32_t>(types[idx].utoff), 4);
    out.push_back(types[idx].dst ? 1 : 0);
    out.push_back(static_cast<char>(desig[idx]));
  }
  out += chars;
  return out;
}

// Version 2: an empty version 1 block (allowed), then the 64-bit block and the footer.
std::string Tzif(const std::vector<int64_t>& times, const std::vector<uint8_t>& idxs,
                 const std::vector<TzifType>& types, const std::string& footer) {
  std::string v1 = Block({}, {}, {types.front()}, 4);
  return v1 + Block(times, idxs, types, 8) + "\n" + footer + "\n";
}

// ---- fixed offsets and UTC ----

TEST(TimeZoneTest, UtcAndFixedOffsets) {
  auto utc = MustLoad("UTC");
  EXPECT_TRUE(utc.is_utc());
  EXPECT_EQ(utc.OffsetAt(At("2026-07-01T00:00:00Z")), Offset(0, "UTC", false));
  EXPECT_TRUE(MustLoad("Z").is_utc());
  EXPECT_TRUE(MustLoad("gmt").is_utc());
  EXPECT_TRUE(MustLoad("").is_utc());

  auto plus2 = MustLoad("+02:00");
  EXPECT_FALSE(plus2.is_utc());
  EXPECT_EQ(plus2.OffsetAt(0), Offset(7200, "+02:00", false));
  EXPECT_EQ(MustLoad("-0530").OffsetMinutesAt(0), -330);
  EXPECT_EQ(MustLoad("+05").OffsetMinutesAt(0), 300);
  EXPECT_TRUE(MustLoad("+00:00").is_utc());
}

TEST(TimeZoneTest, RejectsMalformedOffsets) {
  for (const char* bad : {"+25:00", "+02:70", "+2:00", "+020", "-", "+02:00junk"}) {
    auto zone = TimeZone::Load(bad);
    ASSERT_FALSE(zone.has_value()) << bad;
    EXPECT_EQ(zone.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(zone.error().message().find(bad), std::string::npos);
  }
}

TEST(TimeZoneTest, UnknownZoneNamesTheZoneAndTheForms) {
  auto zone = TimeZone::Load("Mars/Olympus_Mons");
  ASSERT_FALSE(zone.has_value());
  EXPECT_EQ(zone.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(zone.error().message(), "unknown time zone 'Mars/Olympus_Mons'");
  EXPECT_NE(zone.error().help().find("+02:00"), std::string::npos);
  EXPECT_NE(zone.error().help().find("Europe/Berlin"), std::string::npos);
}

TEST(TimeZoneTest, RefusesNamesThatLeaveTheDatabase) {
  for (const char* bad : {"../../etc/passwd", "/etc/localtime", "Europe/../Europe/Berlin", "Europe//Berlin"}) {
    auto zone = TimeZone::Load(bad);
    ASSERT_FALSE(zone.has_value()) << bad;
    EXPECT_EQ(zone.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(TimeZoneTest, MissingDatabaseIsSaid) {
  auto zone = TimeZone::Load("Europe/Berlin", "/nonexistent/zoneinfo");
  ASSERT_FALSE(zone.has_value());
  ASSERT_FALSE(zone.error().notes().empty());
  EXPECT_NE(zone.error().notes()[0].find("tzdata"), std::string::npos);
  // Fixed offsets work without it.
  EXPECT_TRUE(TimeZone::Load("+01:00", "/nonexistent/zoneinfo").has_value());
}

// ---- the system database (exact values checked against Python's zoneinfo) ----

TEST(TimeZoneTest, BerlinSpringForward) {
  CAIRN_REQUIRE_ZONEINFO();
  auto berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(At("2026-03-29T00:59:59Z")), Offset(3600, "CET", false));
  EXPECT_EQ(berlin.OffsetAt(At("2026-03-29T00:59:59.999Z")), Offset(3600, "CET", false));
  EXPECT_EQ(berlin.OffsetAt(At("2026-03-29T01:00:00Z")), Offset(7200, "CEST", true));
  EXPECT_EQ(FormatIso8601Compact(At("2026-03-29T00:59:59Z"), berlin), "2026-03-29T01:59:59+01:00");
  EXPECT_EQ(FormatIso8601Compact(At("2026-03-29T01:00:00Z"), berlin), "2026-03-29T03:00:00+02:00");
  EXPECT_EQ(FormatIso8601(At("2026-03-29T01:00:00Z"), berlin), "2026-03-29T03:00:00.000+02:00");
}

TEST(TimeZoneTest, BerlinFallBack) {
  CAIRN_REQUIRE_ZONEINFO();
  auto berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(At("2026-10-25T00:59:59Z")), Offset(7200, "CEST", true));
  EXPECT_EQ(berlin.OffsetAt(At("2026-10-25T01:00:00Z")), Offset(3600, "CET", false));
  // The repeated local hour: 02:59:59 CEST is followed by 02:00:00 CET.
  EXPECT_EQ(FormatIso8601Compact(At("2026-10-25T00:59:59Z"), berlin), "2026-10-25T02:59:59+02:00");
  EXPECT_EQ(FormatIso8601Compact(At("2026-10-25T01:00:00Z"), berlin), "2026-10-25T02:00:00+01:00");
}

TEST(TimeZoneTest, NewYorkNovemberFallBack) {
  CAIRN_REQUIRE_ZONEINFO();
  auto new_york = MustLoad("America/New_York");
  EXPECT_EQ(new_york.OffsetAt(At("2026-11-01T05:59:59Z")), Offset(-4 * 3600, "EDT", true));
  EXPECT_EQ(new_york.OffsetAt(At("2026-11-01T06:00:00Z")), Offset(-5 * 3600, "EST", false));
  EXPECT_EQ(FormatIso8601Compact(At("2026-11-01T05:59:59Z"), new_york), "2026-11-01T01:59:59-04:00");
  EXPECT_EQ(FormatIso8601Compact(At("2026-11-01T06:00:00Z"), new_york), "2026-11-01T01:00:00-05:00");
  // And the March spring-forward.
  EXPECT_EQ(new_york.OffsetAt(At("2026-03-08T06:59:59Z")).abbreviation, "EST");
  EXPECT_EQ(new_york.OffsetAt(At("2026-03-08T07:00:00Z")).abbreviation, "EDT");
}

TEST(TimeZoneTest, FarFutureUsesTheFooterRule) {
  CAIRN_REQUIRE_ZONEINFO();
  // Past the last stored transition (2037 in "fat" files, earlier in "slim" ones).
  auto berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(At("2100-03-28T00:59:59Z")), Offset(3600, "CET", false));
  EXPECT_EQ(berlin.OffsetAt(At("2100-03-28T01:00:00Z")), Offset(7200, "CEST", true));
  EXPECT_EQ(FormatIso8601Compact(At("2100-07-01T12:00:00Z"), berlin), "2100-07-01T14:00:00+02:00");
  auto new_york = MustLoad("America/New_York");
  EXPECT_EQ(new_york.OffsetAt(At("2200-11-02T05:59:59Z")), Offset(-4 * 3600, "EDT", true));
  EXPECT_EQ(new_york.OffsetAt(At("2200-11-02T06:00:00Z")), Offset(-5 * 3600, "EST", false));
  // Southern hemisphere: daylight time spans the new year.
  auto sydney = MustLoad("Australia/Sydney");
  EXPECT_EQ(sydney.OffsetAt(At("2150-01-15T00:00:00Z")), Offset(11 * 3600, "AEDT", true));
  EXPECT_EQ(sydney.OffsetAt(At("2150-07-15T00:00:00Z")), Offset(10 * 3600, "AEST", false));
}

TEST(TimeZoneTest, HalfHourAndNoDstZones) {
  CAIRN_REQUIRE_ZONEINFO();
  auto kolkata = MustLoad("Asia/Kolkata");
  EXPECT_EQ(kolkata.OffsetAt(At("2024-01-19T09:45:00Z")), Offset(19800, "IST", false));
  EXPECT_EQ(kolkata.OffsetAt(At("2024-07-19T09:45:00Z")), Offset(19800, "IST", false));
  EXPECT_EQ(FormatIso8601Compact(At("2024-01-19T09:45:00Z"), kolkata), "2024-01-19T15:15:00+05:30");
  auto tokyo = MustLoad("Asia/Tokyo");
  EXPECT_EQ(tokyo.OffsetAt(At("2024-07-19T09:45:00Z")), Offset(9 * 3600, "JST", false));
  EXPECT_EQ(tokyo.OffsetAt(At("2300-01-01T00:00:00Z")), Offset(9 * 3600, "JST", false));
  EXPECT_EQ(tokyo.AbbreviationsBetween(At("2024-01-01T00:00:00Z"), At("2024-12-31T00:00:00Z")), "JST");
}

TEST(TimeZoneTest, ZeroOffsetZoneIsNotPrintedAsUtc) {
  CAIRN_REQUIRE_ZONEINFO();
  auto london = MustLoad("Europe/London");
  EXPECT_EQ(FormatIso8601Compact(At("2024-01-19T09:45:00Z"), london), "2024-01-19T09:45:00+00:00");
  EXPECT_EQ(FormatIso8601Compact(At("2024-07-19T09:45:00Z"), london), "2024-07-19T10:45:00+01:00");
  EXPECT_EQ(FormatIso8601Compact(At("2024-01-19T09:45:00Z"), TimeZone::Utc()), "2024-01-19T09:45:00Z");
}

TEST(TimeZoneTest, LocalMeanTimeBeforeTheFirstTransition) {
  CAIRN_REQUIRE_ZONEINFO();
  auto berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.OffsetAt(At("1850-01-01T00:00:00Z")), Offset(3208, "LMT", false));
  // Seconds of the offset are dropped in print, so the text still names the same instant.
  std::string text = FormatIso8601Compact(At("1850-01-01T00:00:00Z"), berlin);
  EXPECT_EQ(text, "1850-01-01T00:53:00+00:53");
  EXPECT_EQ(ParseIso8601(text), At("1850-01-01T00:00:00Z"));
}

TEST(TimeZoneTest, AbbreviationsOverARange) {
  CAIRN_REQUIRE_ZONEINFO();
  auto berlin = MustLoad("Europe/Berlin");
  EXPECT_EQ(berlin.AbbreviationsBetween(At("2026-01-01T00:00:00Z"), At("2026-02-01T00:00:00Z")), "CET");
  EXPECT_EQ(berlin.AbbreviationsBetween(At("2026-01-01T00:00:00Z"), At("2026-12-01T00:00:00Z")), "CET/CEST");
  EXPECT_EQ(berlin.AbbreviationsBetween(At("2099-01-01T00:00:00Z"), At("2099-12-01T00:00:00Z")), "CET/CEST");
}

TEST(TimeZoneTest, SuggestsTheSpellingForTheWrongCase) {
  CAIRN_REQUIRE_ZONEINFO();
  auto zone = TimeZone::Load("europe/berlin");
  ASSERT_FALSE(zone.has_value());
  EXPECT_NE(zone.error().help().find("did you mean 'Europe/Berlin'?"), std::string::npos) << zone.error().help();
}

TEST(TimeZoneTest, ParseTzOffsetFollowsDst) {
  CAIRN_REQUIRE_ZONEINFO();
  EXPECT_EQ(ParseTzOffset("Europe/Berlin", At("2026-01-15T12:00:00Z")), 60);
  EXPECT_EQ(ParseTzOffset("Europe/Berlin", At("2026-07-15T12:00:00Z")), 120);
}

// ---- the TZif reader and POSIX rules on synthetic input ----

TEST(TimeZoneTest, ReadsSyntheticTzif) {
  // Two transitions, then a footer with no daylight time.
  std::vector<TzifType> types = {{3600, false, "AAA"}, {7200, true, "BBB"}, {10800, false, "CCC"}};
  auto zone = TimeZone::FromTzif("Test/Zone", Tzif({1000, 2000}, {1, 2}, types, "CCC-3"));
  ASSERT_TRUE(zone.has_value()) << zone.error().ToString();
  EXPECT_EQ(zone->name(), "Test/Zone");
  EXPECT_EQ(zone->OffsetAt(999'999), Offset(3600, "AAA", false));    // before the first transition
  EXPECT_EQ(zone->OffsetAt(1'000'000), Offset(7200, "BBB", true));   // at the first
  EXPECT_EQ(zone->OffsetAt(1'999'999), Offset(7200, "BBB", true));
  EXPECT_EQ(zone->OffsetAt(2'000'000), Offset(10800, "CCC", false));  // at the last
  EXPECT_EQ(zone->OffsetAt(9'000'000'000'000), Offset(10800, "CCC", false));  // footer
  EXPECT_EQ(zone->OffsetAt(-5'000'000), Offset(3600, "AAA", false));  // negative instants
}

TEST(TimeZoneTest, SyntheticTzifWithoutTransitionsUsesTheFooter) {
  auto zone = TimeZone::FromTzif("Test/Rule", Tzif({}, {}, {{-18000, false, "EST"}}, "EST5EDT,M3.2.0,M11.1.0"));
  ASSERT_TRUE(zone.has_value()) << zone.error().ToString();
  EXPECT_EQ(zone->OffsetAt(At("2026-11-01T05:59:59Z")).abbreviation, "EDT");
  EXPECT_EQ(zone->OffsetAt(At("2026-11-01T06:00:00Z")).abbreviation, "EST");
}

TEST(TimeZoneTest, RejectsDamagedTzif) {
  std::vector<TzifType> types = {{3600, false, "AAA"}, {7200, true, "BBB"}};
  std::string good = Tzif({1000, 2000}, {1, 0}, types, "AAA-1");
  ASSERT_TRUE(TimeZone::FromTzif("ok", good).has_value());
  EXPECT_FALSE(TimeZone::FromTzif("empty", "").has_value());
  EXPECT_FALSE(TimeZone::FromTzif("magic", "TZxf" + good.substr(4)).has_value());
  for (size_t cut : {good.size() - 1, good.size() - 10, good.size() / 2, size_t{50}}) {
    auto zone = TimeZone::FromTzif("cut", good.substr(0, cut));
    ASSERT_FALSE(zone.has_value()) << cut;
    EXPECT_EQ(zone.error().code(), ErrorCode::kCorruptInput);
  }
  // A transition naming type 5 of 2.
  EXPECT_FALSE(TimeZone::FromTzif("type", Tzif({1000}, {5}, types, "AAA-1")).has_value());
  // Transitions out of order.
  EXPECT_FALSE(TimeZone::FromTzif("order", Tzif({2000, 1000}, {1, 0}, types, "AAA-1")).has_value());
  // A footer that is not a rule.
  EXPECT_FALSE(TimeZone::FromTzif("footer", Tzif({1000}, {1}, types, "1AAA")).has_value());
}

TEST(TimeZoneTest, PosixRules) {
  auto new_york = TimeZone::FromPosixRule("ny", "EST5EDT,M3.2.0,M11.1.0");
  ASSERT_TRUE(new_york.has_value()) << new_york.error().ToString();
  EXPECT_EQ(new_york->OffsetAt(At("2026-03-08T06:59:59Z")), Offset(-5 * 3600, "EST", false));
  EXPECT_EQ(new_york->OffsetAt(At("2026-03-08T07:00:00Z")), Offset(-4 * 3600, "EDT", true));

  // Quoted names, minutes in offsets, Julian days with explicit times.
  auto quoted = TimeZone::FromPosixRule("q", "<+0530>-5:30");
  ASSERT_TRUE(quoted.has_value());
  EXPECT_EQ(quoted->OffsetAt(0), Offset(19800, "+0530", false));
  auto julian = TimeZone::FromPosixRule("j", "AAA0BBB,J60/0,J300/0");  // March 1 .. October 27
  ASSERT_TRUE(julian.has_value());
  EXPECT_EQ(julian->OffsetAt(At("2024-02-29T23:59:59Z")).abbreviation, "AAA");  // leap day not counted
  EXPECT_EQ(julian->OffsetAt(At("2024-03-01T00:00:00Z")).abbreviation, "BBB");
  EXPECT_EQ(julian->OffsetAt(At("2023-03-01T00:00:00Z")).abbreviation, "BBB");
  auto zero_based = TimeZone::FromPosixRule("n", "AAA0BBB,59/0,299/0");  // day 59: Feb 29 in a leap year
  ASSERT_TRUE(zero_based.has_value());
  EXPECT_EQ(zero_based->OffsetAt(At("2024-02-29T00:00:00Z")).abbreviation, "BBB");
  EXPECT_EQ(zero_based->OffsetAt(At("2023-02-28T23:59:59Z")).abbreviation, "AAA");

  // Southern hemisphere: DST from October to April.
  auto south = TimeZone::FromPosixRule("s", "AEST-10AEDT,M10.1.0,M4.1.0/3");
  ASSERT_TRUE(south.has_value());
  EXPECT_EQ(south->OffsetAt(At("2031-01-01T00:00:00Z")).abbreviation, "AEDT");
  EXPECT_EQ(south->OffsetAt(At("2031-06-01T00:00:00Z")).abbreviation, "AEST");
  EXPECT_EQ(south->OffsetAt(At("2031-12-31T23:00:00Z")).abbreviation, "AEDT");

  // All-year daylight time (RFC 8536 version 3 example).
  auto always = TimeZone::FromPosixRule("a", "EST5EDT,0/0,J365/25");
  ASSERT_TRUE(always.has_value());
  for (const char* iso : {"2030-01-01T00:00:00Z", "2030-06-01T00:00:00Z", "2030-12-31T23:59:59Z", "2031-01-01T05:00:00Z"}) {
    EXPECT_EQ(always->OffsetAt(At(iso)).abbreviation, "EDT") << iso;
  }
  // Negative rule times (version 3).
  auto negative = TimeZone::FromPosixRule("neg", "<-03>3<-02>,M3.5.0/-2,M10.5.0/-1");
  ASSERT_TRUE(negative.has_value()) << negative.error().ToString();
  EXPECT_EQ(negative->OffsetAt(At("2030-07-01T00:00:00Z")), Offset(-7200, "-02", true));

  for (const char* bad : {"", "AB1", "EST", "EST5EDT,M13.1.0,M11.1.0", "EST5EDT,M3.2.0", "EST5EDT,M3.2.0,M11.1.0x"}) {
    EXPECT_FALSE(TimeZone::FromPosixRule("bad", bad).has_value()) << bad;
  }
}

TEST(TimeZoneTest, RezonesTimestampsInText) {
  auto plus2 = TimeZone::Fixed(120);
  EXPECT_EQ(RezoneIsoTimestamps("first 2024-01-19T09:45:00Z, last 2024-01-19T23:59:59.250Z.", plus2),
            "first 2024-01-19T11:45:00+02:00, last 2024-01-20T01:59:59.250+02:00.");
  // Not times in UTC, or not standing alone: kept.
  for (const char* kept : {"2024-01-19T09:45:00+01:00", "x2024-01-19T09:45:00Z", "2024-01-19T09:45:00Zulu",
                           "2024-01-19T09:45Z", "2024-13-19T09:45:00Z", "T", "", "2024-01-19T09:45:00.Z"}) {
    EXPECT_EQ(RezoneIsoTimestamps(kept, plus2), kept);
  }
  EXPECT_EQ(RezoneIsoTimestamps("at 2024-01-19T09:45:00Z", TimeZone::Utc()), "at 2024-01-19T09:45:00Z");
  EXPECT_EQ(RezoneIsoTimestamps("(2024-01-19T09:45:00Z)", TimeZone::Fixed(-330)), "(2024-01-19T04:15:00-05:30)");
}

}  // namespace
}  // namespace cairn
