#pragma once
// Time zones for display (--tz). Cairn stores and computes in UTC (engine/common/time.h); a
// TimeZone only says which UTC offset and abbreviation a reader's zone has at a given instant, so
// that times can be printed as local wall-clock time with their offset.
//
// Three kinds of zone:
//   - UTC ("UTC", "Z", "GMT", "utc"), printed with "Z";
//   - a fixed offset ("+02:00", "-0530", "+05"), the same at every instant;
//   - an IANA zone name ("Europe/Berlin"), read from the system zone database (TZif files, RFC 8536,
//     under /usr/share/zoneinfo: Debian's tzdata package). Daylight saving time follows the file's
//     transitions and, past the last one, its POSIX TZ footer rule ("CET-1CEST,M3.5.0,M10.5.0/3").
//
// GCC 12's libstdc++ has no std::chrono::locate_zone, and the C library's localtime_r() works through
// the process-global TZ variable, so the TZif reader is ours (about 400 lines, no dependency).
// Leap-second records ("right/" zones) are read past and ignored.
//
// TimeZone is a value type: copyable, immutable after construction, safe to share between threads.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/time.h"

namespace cairn {

// Where Debian (and most Unix systems) keep the zone database.
inline constexpr std::string_view kDefaultZoneinfoDir = "/usr/share/zoneinfo";

// The local time type in force at an instant.
struct ZoneOffset {
  int utc_offset_seconds = 0;  // local = UTC + offset (east of Greenwich is positive)
  std::string abbreviation;    // "CET", "CEST", "IST", "-03"; "UTC" for UTC; "+02:00" for a fixed offset
  bool is_dst = false;

  bool operator==(const ZoneOffset&) const = default;
};

class TimeZone {
 public:
  // UTC.
  TimeZone();

  static TimeZone Utc() { return TimeZone(); }
  // A fixed offset east of UTC in minutes; Fixed(0) is UTC.
  static TimeZone Fixed(int offset_minutes);

  // Resolves a --tz value: UTC, a fixed offset, or a zone name looked up under zoneinfo_dir.
  // Errors: kInvalidArgument for a malformed offset or a name that is not in the database (the
  // message names the zone; the help line gives the accepted forms and, when the name differs only
  // in letter case, the right spelling; a note says when the database itself is missing);
  // kCorruptInput when the zone file is not valid TZif.
  static Result<TimeZone> Load(std::string_view name, std::string_view zoneinfo_dir = kDefaultZoneinfoDir);

  // Parses the bytes of a TZif file (versions 1 to 4; the 64-bit section of version 2+ is used).
  // `name` is kept for display. Errors: kCorruptInput naming `name` and what is wrong.
  static Result<TimeZone> FromTzif(std::string name, std::string_view bytes);

  // A zone described only by a POSIX TZ rule, e.g. "EST5EDT,M3.2.0,M11.1.0" or "<+0530>-5:30".
  // Errors: kInvalidArgument when the rule does not parse.
  static Result<TimeZone> FromPosixRule(std::string name, std::string_view rule);

  // The name as given ("Europe/Berlin", "+02:00", "UTC").
  const std::string& name() const { return name_; }
  // True for UTC itself (times are printed with "Z"), false for zones that merely sit at +00:00.
  bool is_utc() const { return kind_ == Kind::kUtc; }

  // The offset and abbreviation at an instant (epoch milliseconds). Instants before the first
  // transition take the file's first local time type; after the last, the footer rule (or the last
  // type when the file has no rule).
  ZoneOffset OffsetAt(TimeMs t) const;
  // OffsetAt(t) in whole minutes (truncated toward zero: local-mean-time offsets such as +00:53:28
  // are shown as +00:53, so that the printed text still names the same instant).
  int OffsetMinutesAt(TimeMs t) const;

  // The distinct abbreviations used from `from` to `to` (inclusive, epoch ms), in order of first
  // use, e.g. "CET/CEST"; "UTC" for UTC and "+02:00" for a fixed offset. For legends.
  std::string AbbreviationsBetween(TimeMs from, TimeMs to) const;

 private:
  enum class Kind { kUtc, kFixed, kRules };

  // A POSIX TZ rule: std offset, optional dst offset and the two yearly transitions.
  struct DateRule {
    enum class Form { kJulianNoLeap, kZeroBasedDay, kMonthWeekDay } form = Form::kMonthWeekDay;
    int day = 0;           // Jn: 1..365; n: 0..365; Mm.w.d: weekday 0 (Sunday) .. 6
    int month = 0;         // Mm.w.d only: 1..12
    int week = 0;          // Mm.w.d only: 1..5 (5 = last)
    int64_t time_seconds = 7200;  // local time of day of the transition (may be < 0 or > 24h)
  };
  struct PosixRule {
    ZoneOffset std_type;
    bool has_dst = false;
    ZoneOffset dst_type;
    DateRule start;  // dst begins (in local standard time)
    DateRule end;    // dst ends (in local daylight time)
  };
  struct Transition {
    int64_t at_seconds = 0;  // UTC
    size_t type = 0;         // index into types_
  };

  static Result<PosixRule> ParsePosixRule(std::string_view rule);
  static int64_t RuleDayStartLocal(const DateRule& rule, int64_t year);
  ZoneOffset RuleOffsetAt(int64_t at_seconds) const;

  Kind kind_ = Kind::kUtc;
  std::string name_ = "UTC";
  ZoneOffset fixed_;                   // kUtc, kFixed
  std::vector<ZoneOffset> types_;      // kRules: local time types of the TZif file
  std::vector<Transition> transitions_;  // kRules: ascending
  bool has_footer_ = false;
  PosixRule footer_;
};

// ISO-8601 in the zone's local time with the offset in force at t: "2026-03-29T03:00:00.000+02:00".
// UTC is printed with "Z"; a zone at +00:00 other than UTC (Europe/London in winter) with "+00:00".
std::string FormatIso8601(TimeMs t, const TimeZone& zone);
// As FormatIso8601 without ".000" when the milliseconds are zero.
std::string FormatIso8601Compact(TimeMs t, const TimeZone& zone);

// `text` with every UTC time written as ISO-8601 with "Z" ("2024-01-19T09:45:00Z",
// "2024-01-19T09:45:00.123Z", standing alone: not inside a longer word or number) rewritten in
// `zone` by FormatIso8601Compact, or FormatIso8601 when it had a fraction. Everything else is kept
// byte for byte; for UTC the text is returned unchanged. For text output that quotes times.
std::string RezoneIsoTimestamps(std::string_view text, const TimeZone& zone);

}  // namespace cairn
