#include "engine/common/time_zone.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>
#include <utility>

namespace cairn {
namespace {

constexpr int64_t kSecondsPerDay = 86400;
// Zone files are a few KiB; anything much larger is not a zone file.
constexpr std::uintmax_t kMaxZoneFileBytes = 1 << 20;

int64_t FloorDiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// The proleptic Gregorian year of a day number (days since 1970-01-01; Hinnant's civil_from_days).
int64_t YearFromDays(int64_t days) {
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  return static_cast<int64_t>(yoe) + era * 400 + (mp >= 10 ? 1 : 0);
}

// "+02:00", "-05:30", "+00:53" (seconds are not shown).
std::string OffsetText(int offset_seconds) {
  int minutes = offset_seconds / 60;
  char sign = minutes < 0 ? '-' : '+';
  if (minutes < 0) minutes = -minutes;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%c%02d:%02d", sign, minutes / 60, minutes % 60);
  return buf;
}

// A fixed offset as given to --tz: "+02:00", "-0530", "+05", "+5". Minutes east of UTC.
bool ParseFixedOffset(std::string_view text, int* minutes) {
  if (text.size() < 2 || (text[0] != '+' && text[0] != '-')) return false;
  const int sign = text[0] == '-' ? -1 : 1;
  std::string digits;
  for (size_t idx = 1; idx < text.size(); ++idx) {
    char c = text[idx];
    if (c == ':' && idx == 3 && digits.size() == 2) continue;
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    digits += c;
  }
  int hours = 0;
  int mins = 0;
  if (digits.size() == 1 || digits.size() == 2) {
    hours = std::stoi(digits);
  } else if (digits.size() == 4) {
    hours = std::stoi(digits.substr(0, 2));
    mins = std::stoi(digits.substr(2));
  } else {
    return false;
  }
  if (hours > 23 || mins > 59) return false;
  *minutes = sign * (hours * 60 + mins);
  return true;
}

// Bounds-checked big-endian reads over the bytes of a TZif file.
class ByteReader {
 public:
  explicit ByteReader(std::string_view data) : data_(data) {}
  bool Has(size_t count) const { return count <= data_.size() - pos_; }
  size_t pos() const { return pos_; }
  void Skip(size_t count) { pos_ += count; }
  uint8_t U8() { return static_cast<uint8_t>(data_[pos_++]); }
  uint32_t U32() {
    uint32_t v = 0;
    for (int idx = 0; idx < 4; ++idx) v = (v << 8) | U8();
    return v;
  }
  int64_t I32() { return static_cast<int32_t>(U32()); }
  int64_t I64() {
    uint64_t v = 0;
    for (int idx = 0; idx < 8; ++idx) v = (v << 8) | U8();
    return static_cast<int64_t>(v);
  }
  std::string_view Rest() const { return data_.substr(pos_); }
  std::string_view Take(size_t count) {
    std::string_view out = data_.substr(pos_, count);
    pos_ += count;
    return out;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

struct TzifCounts {
  uint32_t isutcnt = 0, isstdcnt = 0, leapcnt = 0, timecnt = 0, typecnt = 0, charcnt = 0;
  // Bytes of the data block that follows the header, with `time_size`-byte transition times.
  size_t BlockSize(size_t time_size) const {
    return static_cast<size_t>(timecnt) * time_size + timecnt + static_cast<size_t>(typecnt) * 6 + charcnt +
           static_cast<size_t>(leapcnt) * (time_size + 4) + isstdcnt + isutcnt;
  }
};

// Reads a 44-byte TZif header. Returns the version character ('\0', '2', '3', ...).
bool ReadHeader(ByteReader& in, TzifCounts* counts, char* version) {
  if (!in.Has(44)) return false;
  if (in.Take(4) != "TZif") return false;
  *version = static_cast<char>(in.U8());
  in.Skip(15);
  counts->isutcnt = in.U32();
  counts->isstdcnt = in.U32();
  counts->leapcnt = in.U32();
  counts->timecnt = in.U32();
  counts->typecnt = in.U32();
  counts->charcnt = in.U32();
  return true;
}

// A small cursor over a POSIX TZ string.
class RuleCursor {
 public:
  explicit RuleCursor(std::string_view text) : text_(text) {}
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  // std/dst designation: "<...>" (quoted, may hold digits and signs) or three or more letters.
  bool Name(std::string* out) {
    if (Consume('<')) {
      size_t close = text_.find('>', pos_);
      if (close == std::string_view::npos || close - pos_ < 1) return false;
      *out = std::string(text_.substr(pos_, close - pos_));
      pos_ = close + 1;
      return true;
    }
    size_t start = pos_;
    while (!AtEnd() && std::isalpha(static_cast<unsigned char>(Peek()))) ++pos_;
    if (pos_ - start < 3) return false;
    *out = std::string(text_.substr(start, pos_ - start));
    return true;
  }
  bool Number(int max_value, int* out) {
    size_t start = pos_;
    int64_t v = 0;
    while (!AtEnd() && std::isdigit(static_cast<unsigned char>(Peek())) && pos_ - start < 4) {
      v = v * 10 + (text_[pos_++] - '0');
    }
    if (pos_ == start || v > max_value) return false;
    *out = static_cast<int>(v);
    return true;
  }
  // [+-]hh[:mm[:ss]] in seconds; hours up to max_hours (24 for offsets, 167 for rule times: RFC 8536
  // version 3 extends POSIX).
  bool Duration(int max_hours, int64_t* seconds) {
    int sign = 1;
    if (Consume('-')) sign = -1;
    else Consume('+');
    int hours = 0, minutes = 0, secs = 0;
    if (!Number(max_hours, &hours)) return false;
    if (Consume(':')) {
      if (!Number(59, &minutes)) return false;
      if (Consume(':') && !Number(59, &secs)) return false;
    }
    *seconds = sign * (static_cast<int64_t>(hours) * 3600 + minutes * 60 + secs);
    return true;
  }
  bool StartsOffset() const {
    char c = Peek();
    return c == '+' || c == '-' || std::isdigit(static_cast<unsigned char>(c));
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

// The zone names under `dir` whose path matches `name` ignoring letter case ("europe/berlin" ->
// "Europe/Berlin"). Empty when there is none.
std::string CaseInsensitiveMatch(const std::filesystem::path& dir, std::string_view name) {
  namespace fs = std::filesystem;
  fs::path current = dir;
  std::string matched;
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    std::error_code ec;
    bool found = false;
    for (fs::directory_iterator it(current, ec), end; !ec && it != end; it.increment(ec)) {
      std::string entry = it->path().filename().string();
      if (entry.size() != part.size()) continue;
      bool same = std::equal(entry.begin(), entry.end(), part.begin(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
      });
      if (same) {
        current /= entry;
        matched += (matched.empty() ? "" : "/") + entry;
        found = true;
        break;
      }
    }
    if (!found) return "";
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  std::error_code ec;
  return fs::is_regular_file(current, ec) ? matched : "";
}

bool ValidZoneName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.back() == '/') return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' && c != '+' && c != '.') {
      return false;
    }
  }
  // No ".", ".." or empty path components: the name stays inside the zone directory.
  size_t start = 0;
  while (start <= name.size()) {
    size_t slash = name.find('/', start);
    std::string_view part = name.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return true;
}

bool IsUtcName(std::string_view name) {
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return lower == "utc" || lower == "z" || lower == "gmt" || lower == "etc/utc" || lower == "zulu";
}

}  // namespace

TimeZone::TimeZone() { fixed_ = ZoneOffset{0, "UTC", false}; }

TimeZone TimeZone::Fixed(int offset_minutes) {
  TimeZone zone;
  if (offset_minutes == 0) return zone;
  zone.kind_ = Kind::kFixed;
  zone.fixed_ = ZoneOffset{offset_minutes * 60, OffsetText(offset_minutes * 60), false};
  zone.name_ = zone.fixed_.abbreviation;
  return zone;
}

Result<TimeZone> TimeZone::Load(std::string_view name, std::string_view zoneinfo_dir) {
  const std::string help = "use UTC, an offset like +02:00 or -0530, or a zone name like Europe/Berlin";
  if (name.empty() || IsUtcName(name)) return TimeZone();
  if (name[0] == '+' || name[0] == '-') {
    int minutes = 0;
    if (!ParseFixedOffset(name, &minutes)) {
      return Error::InvalidArgument("cannot read the time zone offset '" + std::string(name) + "'")
          .WithHelp("write offsets as +hh:mm, +hhmm or +hh (at most 23:59), e.g. +02:00 or -0530");
    }
    return Fixed(minutes);
  }
  namespace fs = std::filesystem;
  const fs::path dir{std::string(zoneinfo_dir)};
  auto unknown = [&]() {
    Error error = Error::InvalidArgument("unknown time zone '" + std::string(name) + "'");
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      error.WithNote("the time zone database " + dir.string() +
                     " is missing (install the tzdata package); only UTC and fixed offsets work without it");
      return error.WithHelp(help);
    }
    std::string match = ValidZoneName(name) ? CaseInsensitiveMatch(dir, name) : "";
    if (!match.empty() && match != name) return error.WithHelp("did you mean '" + match + "'? (" + help + ")");
    return error.WithHelp(help + " (the names are those under " + dir.string() + ")");
  };
  if (!ValidZoneName(name)) return unknown();
  const fs::path file = dir / std::string(name);
  std::error_code ec;
  if (!fs::is_regular_file(file, ec)) return unknown();
  auto size = fs::file_size(file, ec);
  if (ec || size > kMaxZoneFileBytes) {
    return Error::CorruptInput("the zone file '" + file.string() + "' is not a time zone file");
  }
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) return Error::Io("cannot read the zone file '" + file.string() + "'");
  auto zone = FromTzif(std::string(name), bytes);
  if (!zone.has_value()) return std::move(zone).error().WithContext("reading " + file.string());
  return zone;
}

Result<TimeZone> TimeZone::FromTzif(std::string name, std::string_view bytes) {
  auto corrupt = [&](const std::string& what) {
    return Error::CorruptInput("the zone '" + name + "' is not valid TZif: " + what)
        .WithHelp("reinstall the tzdata package, or use a fixed offset like +02:00");
  };
  ByteReader in(bytes);
  TzifCounts counts;
  char version = 0;
  if (!ReadHeader(in, &counts, &version)) return corrupt("no TZif header");
  size_t time_size = 4;
  if (version >= '2') {
    // Skip the 32-bit block: version 2+ repeats everything with 64-bit times after it.
    if (!in.Has(counts.BlockSize(4))) return corrupt("truncated version 1 data");
    in.Skip(counts.BlockSize(4));
    char version2 = 0;
    if (!ReadHeader(in, &counts, &version2)) return corrupt("no second header");
    time_size = 8;
  }
  if (counts.typecnt == 0) return corrupt("no local time types");
  if (counts.charcnt == 0) return corrupt("no abbreviations");
  if ((counts.isutcnt != 0 && counts.isutcnt != counts.typecnt) ||
      (counts.isstdcnt != 0 && counts.isstdcnt != counts.typecnt)) {
    return corrupt("indicator counts do not match the types");
  }
  if (!in.Has(counts.BlockSize(time_size))) return corrupt("truncated data");

  TimeZone zone;
  zone.kind_ = Kind::kRules;
  zone.name_ = std::move(name);
  zone.transitions_.resize(counts.timecnt);
  for (auto& transition : zone.transitions_) transition.at_seconds = time_size == 8 ? in.I64() : in.I32();
  for (auto& transition : zone.transitions_) {
    transition.type = in.U8();
    if (transition.type >= counts.typecnt) return corrupt("a transition names a type that does not exist");
  }
  for (size_t idx = 1; idx < zone.transitions_.size(); ++idx) {
    if (zone.transitions_[idx].at_seconds <= zone.transitions_[idx - 1].at_seconds) {
      return corrupt("transitions out of order");
    }
  }
  std::vector<std::pair<int64_t, uint8_t>> raw_types(counts.typecnt);
  for (auto& [utoff, desigidx] : raw_types) {
    utoff = in.I32();
    uint8_t isdst = in.U8();
    desigidx = in.U8();
    if (isdst > 1) return corrupt("a daylight-saving flag is neither 0 nor 1");
    if (utoff <= -89999 || utoff >= 93599) return corrupt("an offset out of range");
    zone.types_.push_back(ZoneOffset{static_cast<int>(utoff), "", isdst == 1});
  }
  std::string_view chars = in.Take(counts.charcnt);
  for (size_t idx = 0; idx < raw_types.size(); ++idx) {
    size_t at = raw_types[idx].second;
    size_t nul = chars.find('\0', at);
    if (at >= chars.size() || nul == std::string_view::npos) return corrupt("an abbreviation out of bounds");
    zone.types_[idx].abbreviation = std::string(chars.substr(at, nul - at));
  }
  // Leap-second records and the standard/wall and UT/local indicators are not needed for display.
  in.Skip(static_cast<size_t>(counts.leapcnt) * (time_size + 4) + counts.isstdcnt + counts.isutcnt);

  if (version >= '2') {
    std::string_view rest = in.Rest();
    if (rest.empty() || rest[0] != '\n') return corrupt("no footer");
    size_t end = rest.find('\n', 1);
    if (end == std::string_view::npos) return corrupt("unterminated footer");
    std::string_view footer = rest.substr(1, end - 1);
    if (!footer.empty()) {
      auto rule = ParsePosixRule(footer);
      if (!rule.has_value()) return corrupt("cannot read the footer rule '" + std::string(footer) + "'");
      zone.footer_ = std::move(rule).value();
      zone.has_footer_ = true;
    }
  }
  return zone;
}

Result<TimeZone> TimeZone::FromPosixRule(std::string name, std::string_view rule) {
  CAIRN_ASSIGN_OR_RETURN(PosixRule parsed, ParsePosixRule(rule));
  TimeZone zone;
  zone.kind_ = Kind::kRules;
  zone.name_ = std::move(name);
  zone.types_.push_back(parsed.std_type);
  zone.footer_ = std::move(parsed);
  zone.has_footer_ = true;
  return zone;
}

Result<TimeZone::PosixRule> TimeZone::ParsePosixRule(std::string_view text) {
  auto bad = [&](const char* what) {
    return Error::InvalidArgument("cannot read the POSIX TZ rule '" + std::string(text) + "': " + what)
        .WithHelp("the form is std offset [dst [offset] [,start[/time],end[/time]]], e.g. CET-1CEST,M3.5.0,M10.5.0/3");
  };
  RuleCursor cur(text);
  PosixRule rule;
  int64_t seconds = 0;
  if (!cur.Name(&rule.std_type.abbreviation)) return bad("no standard time name");
  // POSIX offsets count west of Greenwich: "CET-1" is one hour east.
  if (!cur.Duration(24, &seconds)) return bad("no standard time offset");
  rule.std_type.utc_offset_seconds = static_cast<int>(-seconds);
  if (cur.AtEnd()) return rule;
  if (!cur.Name(&rule.dst_type.abbreviation)) return bad("no daylight time name");
  rule.has_dst = true;
  rule.dst_type.is_dst = true;
  rule.dst_type.utc_offset_seconds = rule.std_type.utc_offset_seconds + 3600;
  if (cur.StartsOffset()) {
    if (!cur.Duration(24, &seconds)) return bad("malformed daylight time offset");
    rule.dst_type.utc_offset_seconds = static_cast<int>(-seconds);
  }
  if (cur.AtEnd()) {
    // No dates: POSIX leaves them to the implementation; glibc uses the US rules.
    rule.start = DateRule{DateRule::Form::kMonthWeekDay, 0, 3, 2, 7200};
    rule.end = DateRule{DateRule::Form::kMonthWeekDay, 0, 11, 1, 7200};
    return rule;
  }
  auto date = [&](DateRule* out) -> bool {
    if (!cur.Consume(',')) return false;
    if (cur.Consume('J')) {
      out->form = DateRule::Form::kJulianNoLeap;
      if (!cur.Number(365, &out->day) || out->day < 1) return false;
    } else if (cur.Consume('M')) {
      out->form = DateRule::Form::kMonthWeekDay;
      if (!cur.Number(12, &out->month) || out->month < 1) return false;
      if (!cur.Consume('.') || !cur.Number(5, &out->week) || out->week < 1) return false;
      if (!cur.Consume('.') || !cur.Number(6, &out->day)) return false;
    } else {
      out->form = DateRule::Form::kZeroBasedDay;
      if (!cur.Number(365, &out->day)) return false;
    }
    out->time_seconds = 7200;
    if (cur.Consume('/') && !cur.Duration(167, &out->time_seconds)) return false;
    return true;
  };
  if (!date(&rule.start)) return bad("malformed start date");
  if (!date(&rule.end)) return bad("malformed end date");
  if (!cur.AtEnd()) return bad("unexpected text after the end date");
  return rule;
}

int64_t TimeZone::RuleDayStartLocal(const DateRule& rule, int64_t year) {
  const int64_t jan1 = DaysFromCivil(year, 1, 1);
  switch (rule.form) {
    case DateRule::Form::kJulianNoLeap:
      // Day 1..365, February 29 never counted: day 60 is March 1 in every year.
      return jan1 + rule.day - 1 + (IsLeapYear(year) && rule.day >= 60 ? 1 : 0);
    case DateRule::Form::kZeroBasedDay:
      return jan1 + rule.day;
    case DateRule::Form::kMonthWeekDay: {
      const int64_t first = DaysFromCivil(year, static_cast<unsigned>(rule.month), 1);
      const int64_t weekday_of_first = ((first + 4) % 7 + 7) % 7;  // 1970-01-01 was a Thursday (4)
      int64_t day_of_month = 1 + (rule.day - weekday_of_first + 7) % 7 + (rule.week - 1) * 7;
      const int last = DaysInMonth(year, rule.month);
      while (day_of_month > last) day_of_month -= 7;  // week 5 means the last such weekday
      return first + day_of_month - 1;
    }
  }
  return jan1;
}

ZoneOffset TimeZone::RuleOffsetAt(int64_t at_seconds) const {
  if (!footer_.has_dst) return footer_.std_type;
  const int std_off = footer_.std_type.utc_offset_seconds;
  const int dst_off = footer_.dst_type.utc_offset_seconds;
  const int64_t year = YearFromDays(FloorDiv(at_seconds + std_off, kSecondsPerDay));
  // The transitions of the neighbouring years, in UTC: the start is given in local standard time,
  // the end in local daylight time. At equal instants the start sorts last (all-year DST rules such
  // as "EST5EDT,0/0,J365/25" end one year exactly when the next begins).
  struct Event {
    int64_t at;
    bool dst;
  };
  Event events[6];
  size_t count = 0;
  for (int64_t y = year - 1; y <= year + 1; ++y) {
    events[count++] = {RuleDayStartLocal(footer_.start, y) * kSecondsPerDay + footer_.start.time_seconds - std_off, true};
    events[count++] = {RuleDayStartLocal(footer_.end, y) * kSecondsPerDay + footer_.end.time_seconds - dst_off, false};
  }
  std::sort(events, events + count, [](const Event& a, const Event& b) {
    return a.at != b.at ? a.at < b.at : (!a.dst && b.dst);
  });
  bool dst = false;
  for (size_t idx = 0; idx < count && events[idx].at <= at_seconds; ++idx) dst = events[idx].dst;
  return dst ? footer_.dst_type : footer_.std_type;
}

ZoneOffset TimeZone::OffsetAt(TimeMs t) const {
  if (kind_ != Kind::kRules) return fixed_;
  const int64_t at = FloorDiv(t, 1000);
  if (transitions_.empty()) return has_footer_ ? RuleOffsetAt(at) : types_.front();
  if (at < transitions_.front().at_seconds) return types_.front();
  if (at > transitions_.back().at_seconds && has_footer_) return RuleOffsetAt(at);
  auto it = std::upper_bound(transitions_.begin(), transitions_.end(), at,
                             [](int64_t value, const Transition& tr) { return value < tr.at_seconds; });
  return types_[std::prev(it)->type];
}

int TimeZone::OffsetMinutesAt(TimeMs t) const { return OffsetAt(t).utc_offset_seconds / 60; }

std::string TimeZone::AbbreviationsBetween(TimeMs from, TimeMs to) const {
  if (kind_ != Kind::kRules) return fixed_.abbreviation;
  std::vector<std::string> seen;
  auto add = [&](const std::string& abbreviation) {
    if (std::find(seen.begin(), seen.end(), abbreviation) == seen.end()) seen.push_back(abbreviation);
  };
  add(OffsetAt(from).abbreviation);
  const int64_t from_s = FloorDiv(from, 1000);
  const int64_t to_s = FloorDiv(to, 1000);
  for (const auto& transition : transitions_) {
    if (transition.at_seconds > from_s && transition.at_seconds <= to_s) add(types_[transition.type].abbreviation);
  }
  if (has_footer_ && footer_.has_dst && (transitions_.empty() || to_s > transitions_.back().at_seconds)) {
    // Past the table the rule switches twice a year: sample every 30 days (a century at most).
    int64_t start = transitions_.empty() ? from_s : std::max(from_s, transitions_.back().at_seconds);
    for (int64_t at = start, steps = 0; at <= to_s && steps < 1200; at += 30 * kSecondsPerDay, ++steps) {
      add(RuleOffsetAt(at).abbreviation);
    }
  }
  add(OffsetAt(to).abbreviation);
  std::string out;
  for (const auto& abbreviation : seen) out += (out.empty() ? "" : "/") + abbreviation;
  return out;
}

std::string FormatIso8601(TimeMs t, const TimeZone& zone) {
  if (zone.is_utc()) return FormatIso8601(t, 0);
  const int minutes = zone.OffsetMinutesAt(t);
  std::string text = FormatIso8601(t, minutes);
  if (minutes == 0 && !text.empty() && text.back() == 'Z') text.replace(text.size() - 1, 1, "+00:00");
  return text;
}

std::string FormatIso8601Compact(TimeMs t, const TimeZone& zone) {
  std::string text = FormatIso8601(t, zone);
  if (t % 1000 == 0) text.erase(19, 4);  // drop ".000"
  return text;
}

std::string RezoneIsoTimestamps(std::string_view text, const TimeZone& zone) {
  if (zone.is_utc()) return std::string(text);
  auto digits = [&](size_t at, size_t count) {
    if (at + count > text.size()) return false;
    for (size_t idx = at; idx < at + count; ++idx) {
      if (!std::isdigit(static_cast<unsigned char>(text[idx]))) return false;
    }
    return true;
  };
  auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out;
  out.reserve(text.size());
  size_t copied = 0;
  // "YYYY-MM-DDTHH:MM:SS" is 19 characters; find each 'T' at offset 10 of one.
  for (size_t t_pos = text.find('T', 10); t_pos != std::string_view::npos; t_pos = text.find('T', t_pos + 1)) {
    const size_t start = t_pos - 10;
    if (start < copied || (start > 0 && is_word(text[start - 1]))) continue;
    if (!digits(start, 4) || text[start + 4] != '-' || !digits(start + 5, 2) || text[start + 7] != '-' ||
        !digits(start + 8, 2) || !digits(start + 11, 2) || start + 19 > text.size() || text[start + 13] != ':' ||
        !digits(start + 14, 2) || text[start + 16] != ':' || !digits(start + 17, 2)) {
      continue;
    }
    size_t end = start + 19;
    bool fraction = false;
    if (end < text.size() && text[end] == '.') {
      size_t frac_end = end + 1;
      while (frac_end < text.size() && std::isdigit(static_cast<unsigned char>(text[frac_end]))) ++frac_end;
      if (frac_end == end + 1) continue;
      fraction = true;
      end = frac_end;
    }
    if (end >= text.size() || text[end] != 'Z') continue;
    ++end;
    if (end < text.size() && is_word(text[end])) continue;
    auto parsed = ParseIso8601(text.substr(start, end - start));
    if (!parsed) continue;
    out.append(text.substr(copied, start - copied));
    out += fraction ? FormatIso8601(*parsed, zone) : FormatIso8601Compact(*parsed, zone);
    copied = end;
  }
  out.append(text.substr(copied));
  return out;
}

}  // namespace cairn
