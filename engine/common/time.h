#pragma once
// Time in Cairn: int64 milliseconds since the Unix epoch, always UTC (docs/schema.md).
// Parsers for the timestamp shapes met in evidence, and the one formatter used for output.
// All functions are pure and thread-safe; none reads the wall clock.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cairn {

using TimeMs = int64_t;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t year, unsigned month, unsigned day);

// Milliseconds of a UTC calendar time. No range checks beyond what the caller did.
TimeMs MakeTimeMs(int year, int month, int day, int hour, int minute, int second, int millis = 0);

// 1..12 from an English month abbreviation ("Jan", case-insensitive); 0 when unknown.
int MonthFromAbbrev(std::string_view abbrev);

// ISO-8601 / RFC 3339: "2024-01-19T09:45:00Z", "2024-01-19T09:45:00.123+02:00",
// "2024-01-19 09:45:00", "2024-01-19T09:45Z", "2024-01-19" (midnight). No zone means UTC.
// Fractional seconds beyond milliseconds are truncated.
std::optional<TimeMs> ParseIso8601(std::string_view text);

// Apache / S3 access-log time without brackets: "06/Feb/2019:00:00:38 +0000".
std::optional<TimeMs> ParseClfTime(std::string_view text);

// Apache error-log time without brackets: "Mon Aug 31 07:15:38.664897 2015" or
// "Mon Aug 31 16:27:04 2015" (local time of the server; taken as UTC, as the log has no zone).
std::optional<TimeMs> ParseCtime(std::string_view text);

// Relative time "-15m", "-7d", "-1h30m", "+2h", "now": returns the offset in ms (negative for the past).
std::optional<int64_t> ParseRelative(std::string_view text);

// Duration "1m", "5m", "1h", "1d", "1w", "30s", "250ms": milliseconds; nullopt when malformed.
std::optional<int64_t> ParseDuration(std::string_view text);

// "2024-01-19T09:45:00.123Z" (milliseconds always shown). tz_offset_minutes shifts the wall time
// and replaces Z by +hh:mm.
std::string FormatIso8601(TimeMs t, int tz_offset_minutes = 0);

// "2024-01-19T09:45:00Z" when the milliseconds are zero, else with ".123".
std::string FormatIso8601Compact(TimeMs t, int tz_offset_minutes = 0);

// The UTC offset in minutes at `at` of a --tz value: "UTC", "Z", "+02:00", "-0530", or a zone name
// (Europe/Paris) read from the system zone database (TimeZone::Load in time_zone.h, which also
// gives the error and the abbreviation). nullopt when the zone is unknown.
std::optional<int> ParseTzOffset(std::string_view tz, TimeMs at = 0);

}  // namespace cairn
