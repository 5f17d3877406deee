#include "engine/common/time.h"

#include <cctype>
#include <cstdio>

#include "engine/common/time_zone.h"

namespace cairn {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t k = 0; k < n; ++k) {
    char c = s[pos + k];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

bool ValidCivil(int year, int month, int day, int hour, int minute, int second) {
  return year >= 1 && year <= 9999 && month >= 1 && month <= 12 && day >= 1 && day <= 31 &&
         hour >= 0 && hour <= 23 && minute >= 0 && minute <= 59 && second >= 0 && second <= 60;
}

// Parses "+hh:mm", "+hhmm", "+hh", "Z" at s[pos..]; returns offset in minutes and advances pos.
bool ParseZone(std::string_view s, size_t* pos, int* offset_minutes) {
  size_t p = *pos;
  if (p >= s.size()) return false;
  if (s[p] == 'Z' || s[p] == 'z') {
    *offset_minutes = 0;
    *pos = p + 1;
    return true;
  }
  if (s[p] != '+' && s[p] != '-') return false;
  int sign = s[p] == '-' ? -1 : 1;
  int hh = 0;
  int mm = 0;
  if (!Digits(s, p + 1, 2, &hh)) return false;
  p += 3;
  if (p < s.size() && s[p] == ':') ++p;
  if (Digits(s, p, 2, &mm)) p += 2;
  if (hh > 23 || mm > 59) return false;
  *offset_minutes = sign * (hh * 60 + mm);
  *pos = p;
  return true;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

TimeMs MakeTimeMs(int year, int month, int day, int hour, int minute, int second, int millis) {
  int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return ((days * 24 + hour) * 60 + minute) * 60000LL + second * 1000LL + millis;
}

int MonthFromAbbrev(std::string_view a) {
  static const char* kMonths[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                  "jul", "aug", "sep", "oct", "nov", "dec"};
  if (a.size() < 3) return 0;
  char lc[3] = {static_cast<char>(std::tolower(static_cast<unsigned char>(a[0]))),
                static_cast<char>(std::tolower(static_cast<unsigned char>(a[1]))),
                static_cast<char>(std::tolower(static_cast<unsigned char>(a[2])))};
  for (int m = 0; m < 12; ++m) {
    if (lc[0] == kMonths[m][0] && lc[1] == kMonths[m][1] && lc[2] == kMonths[m][2]) return m + 1;
  }
  return 0;
}

std::optional<TimeMs> ParseIso8601(std::string_view s) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
  if (!Digits(s, 0, 4, &year) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day)) {
    return std::nullopt;
  }
  size_t p = 10;
  int offset = 0;
  if (p < s.size() && (s[p] == 'T' || s[p] == 't' || s[p] == ' ')) {
    if (!Digits(s, p + 1, 2, &hour) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !Digits(s, p + 4, 2, &minute)) {
      return std::nullopt;
    }
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, &second)) return std::nullopt;
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        int scale = 100;
        size_t start = p;
        while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
          if (scale > 0) millis += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
        if (p == start) return std::nullopt;
      }
    }
    if (p < s.size()) {
      if (!ParseZone(s, &p, &offset)) return std::nullopt;
    }
  }
  if (p != s.size()) return std::nullopt;
  if (!ValidCivil(year, month, day, hour, minute, second)) return std::nullopt;
  return MakeTimeMs(year, month, day, hour, minute, second, millis) - offset * 60000LL;
}

std::optional<TimeMs> ParseClfTime(std::string_view s) {
  // 06/Feb/2019:00:00:38 +0000
  int day = 0, year = 0, hour = 0, minute = 0, second = 0;
  if (s.size() < 20 || !Digits(s, 0, 2, &day) || s[2] != '/' || s[6] != '/' ||
      !Digits(s, 7, 4, &year) || s[11] != ':' || !Digits(s, 12, 2, &hour) || s[14] != ':' ||
      !Digits(s, 15, 2, &minute) || s[17] != ':' || !Digits(s, 18, 2, &second)) {
    return std::nullopt;
  }
  int month = MonthFromAbbrev(s.substr(3, 3));
  if (month == 0) return std::nullopt;
  size_t p = 20;
  int millis = 0;
  if (p < s.size() && s[p] == '.') {  // %{msec_frac} extensions
    ++p;
    int scale = 100;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      if (scale > 0) millis += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
  }
  int offset = 0;
  if (p < s.size()) {
    if (s[p] != ' ') return std::nullopt;
    ++p;
    if (!ParseZone(s, &p, &offset) || p != s.size()) return std::nullopt;
  }
  if (!ValidCivil(year, month, day, hour, minute, second)) return std::nullopt;
  return MakeTimeMs(year, month, day, hour, minute, second, millis) - offset * 60000LL;
}

std::optional<TimeMs> ParseCtime(std::string_view s) {
  // "Mon Aug 31 07:15:38.664897 2015"
  if (s.size() < 24) return std::nullopt;
  int month = MonthFromAbbrev(s.substr(4, 3));
  if (month == 0 || s[3] != ' ' || s[7] != ' ') return std::nullopt;
  size_t p = 8;
  int day = 0;
  if (s[p] == ' ') ++p;  // "Aug  1"
  size_t dstart = p;
  while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) day = day * 10 + (s[p++] - '0');
  if (p == dstart || p >= s.size() || s[p] != ' ') return std::nullopt;
  ++p;
  int hour = 0, minute = 0, second = 0, millis = 0, year = 0;
  if (!Digits(s, p, 2, &hour) || s.size() < p + 8 || s[p + 2] != ':' || !Digits(s, p + 3, 2, &minute) ||
      s[p + 5] != ':' || !Digits(s, p + 6, 2, &second)) {
    return std::nullopt;
  }
  p += 8;
  if (p < s.size() && s[p] == '.') {
    ++p;
    int scale = 100;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      if (scale > 0) millis += (s[p] - '0') * scale;
      scale /= 10;
      ++p;
    }
  }
  if (p >= s.size() || s[p] != ' ' || !Digits(s, p + 1, 4, &year) || p + 5 != s.size()) {
    return std::nullopt;
  }
  if (!ValidCivil(year, month, day, hour, minute, second)) return std::nullopt;
  return MakeTimeMs(year, month, day, hour, minute, second, millis);
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int64_t total = 0;
  size_t p = 0;
  while (p < s.size()) {
    size_t start = p;
    int64_t n = 0;
    while (p < s.size() && std::isdigit(static_cast<unsigned char>(s[p]))) {
      n = n * 10 + (s[p] - '0');
      if (n > 1000000000000LL) return std::nullopt;
      ++p;
    }
    if (p == start) return std::nullopt;
    size_t ustart = p;
    while (p < s.size() && std::isalpha(static_cast<unsigned char>(s[p]))) ++p;
    std::string_view unit = s.substr(ustart, p - ustart);
    int64_t mult = 0;
    if (unit == "ms") mult = 1;
    else if (unit == "s") mult = 1000;
    else if (unit == "m") mult = 60000;
    else if (unit == "h") mult = 3600000;
    else if (unit == "d") mult = 86400000;
    else if (unit == "w") mult = 7 * 86400000LL;
    else return std::nullopt;
    total += n * mult;
  }
  return total;
}

std::optional<int64_t> ParseRelative(std::string_view s) {
  if (s == "now") return 0;
  if (s.size() < 2 || (s[0] != '-' && s[0] != '+')) return std::nullopt;
  auto d = ParseDuration(s.substr(1));
  if (!d) return std::nullopt;
  return s[0] == '-' ? -*d : *d;
}

std::string FormatIso8601(TimeMs t, int tz) {
  t += tz * 60000LL;
  int64_t days = t >= 0 ? t / 86400000 : (t - 86399999) / 86400000;
  int64_t ms_of_day = t - days * 86400000;
  // civil_from_days
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  y += (m <= 2);
  char buf[64];
  int hh = static_cast<int>(ms_of_day / 3600000);
  int mi = static_cast<int>(ms_of_day / 60000 % 60);
  int ss = static_cast<int>(ms_of_day / 1000 % 60);
  int ms = static_cast<int>(ms_of_day % 1000);
  if (tz == 0) {
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(y), m, d,
                  hh, mi, ss, ms);
  } else {
    int a = tz < 0 ? -tz : tz;
    std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03d%c%02d:%02d",
                  static_cast<long long>(y), m, d, hh, mi, ss, ms, tz < 0 ? '-' : '+', a / 60, a % 60);
  }
  return buf;
}

std::string FormatIso8601Compact(TimeMs t, int tz) {
  std::string s = FormatIso8601(t, tz);
  if (t % 1000 == 0) s.erase(19, 4);  // drop ".000"
  return s;
}

std::optional<int> ParseTzOffset(std::string_view tz, TimeMs at) {
  auto zone = TimeZone::Load(tz);
  if (!zone.has_value()) return std::nullopt;
  return zone->OffsetMinutesAt(at);
}

}  // namespace cairn
