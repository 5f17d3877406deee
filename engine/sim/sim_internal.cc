#include "engine/sim/sim_internal.h"

#include <zlib.h>

#include <cstdio>

namespace cairn::sim::internal {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr const char* kWeekdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

void Append2(std::string* out, int v) {
  out->push_back(static_cast<char>('0' + v / 10 % 10));
  out->push_back(static_cast<char>('0' + v % 10));
}
void Append4(std::string* out, int v) {
  Append2(out, v / 100);
  Append2(out, v % 100);
}

}  // namespace

std::string Rng::Uuid() {
  std::string s = LowerHex(32);
  s[12] = '4';
  s[16] = "89ab"[Below(4)];
  return s.substr(0, 8) + "-" + s.substr(8, 4) + "-" + s.substr(12, 4) + "-" + s.substr(16, 4) +
         "-" + s.substr(20);
}

Civil ToCivil(TimeMs t) {
  int64_t days = t >= 0 ? t / 86400000 : (t - 86399999) / 86400000;
  int64_t ms_of_day = t - days * 86400000;
  Civil c{};
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday (4)
  // Howard Hinnant's civil_from_days.
  int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = static_cast<int>(yoe + era * 400 + (c.month <= 2 ? 1 : 0));
  c.hour = static_cast<int>(ms_of_day / 3600000);
  c.minute = static_cast<int>(ms_of_day / 60000 % 60);
  c.second = static_cast<int>(ms_of_day / 1000 % 60);
  c.millis = static_cast<int>(ms_of_day % 1000);
  return c;
}

void AppendIsoSeconds(std::string* out, TimeMs t) {
  const Civil c = ToCivil(t);
  Append4(out, c.year);
  out->push_back('-');
  Append2(out, c.month);
  out->push_back('-');
  Append2(out, c.day);
  out->push_back('T');
  Append2(out, c.hour);
  out->push_back(':');
  Append2(out, c.minute);
  out->push_back(':');
  Append2(out, c.second);
  out->push_back('Z');
}

std::string IsoSeconds(TimeMs t) {
  std::string s;
  AppendIsoSeconds(&s, t);
  return s;
}

void AppendClf(std::string* out, TimeMs t) {
  const Civil c = ToCivil(t);
  Append2(out, c.day);
  out->push_back('/');
  out->append(kMonths[c.month - 1]);
  out->push_back('/');
  Append4(out, c.year);
  out->push_back(':');
  Append2(out, c.hour);
  out->push_back(':');
  Append2(out, c.minute);
  out->push_back(':');
  Append2(out, c.second);
  out->append(" +0000");
}

void AppendErrorLogTime(std::string* out, TimeMs t, int micros) {
  const Civil c = ToCivil(t);
  out->append(kWeekdays[c.weekday]);
  out->push_back(' ');
  out->append(kMonths[c.month - 1]);
  out->push_back(' ');
  Append2(out, c.day);
  out->push_back(' ');
  Append2(out, c.hour);
  out->push_back(':');
  Append2(out, c.minute);
  out->push_back(':');
  Append2(out, c.second);
  char frac[16];
  std::snprintf(frac, sizeof frac, ".%06d", micros % 1000000);
  out->append(frac);
  out->push_back(' ');
  Append4(out, c.year);
}

std::string AwsLongDate(TimeMs t) {
  const Civil c = ToCivil(t);
  const int hour12 = c.hour % 12 == 0 ? 12 : c.hour % 12;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%s %d, %d %d:%02d:%02d %s", kMonths[c.month - 1], c.day, c.year,
                hour12, c.minute, c.second, c.hour < 12 ? "AM" : "PM");
  return buf;
}

std::string CloudTrailStamp(TimeMs t) {
  const Civil c = ToCivil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d%02d%02dT%02d%02dZ", c.year, c.month, c.day, c.hour,
                c.minute);
  return buf;
}

std::string DatePath(TimeMs t) {
  const Civil c = ToCivil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d/%02d/%02d", c.year, c.month, c.day);
  return buf;
}

std::string S3LogStamp(TimeMs t) {
  const Civil c = ToCivil(t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d-%02d-%02d-%02d", c.year, c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

void AppendJsonString(std::string* out, std::string_view s) {
  out->push_back('"');
  size_t run = 0;  // start of the pending run of characters that need no escaping
  for (size_t idx = 0; idx < s.size(); ++idx) {
    const auto c = static_cast<unsigned char>(s[idx]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(s.data() + run, idx - run);
    run = idx + 1;
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\n': out->append("\\n"); break;
      case '\t': out->append("\\t"); break;
      case '\r': out->append("\\r"); break;
      default: {
        char buf[16];
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out->append(buf);
      }
    }
  }
  out->append(s.data() + run, s.size() - run);
  out->push_back('"');
}

Result<std::string> GzipDeterministic(std::string_view data) {
  z_stream zs{};
  // Level 3: the fast deflate path (generation speed matters for benchmark corpora).
  // windowBits 15 + 16: a gzip wrapper. Without deflateSetHeader zlib writes mtime 0, no name,
  // xfl 0 and the OS byte of the build platform (3 on Unix), so the output is a pure function of
  // the input.
  if (deflateInit2(&zs, 3, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Error::Internal("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  const size_t written = out.size() - zs.avail_out;
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return Error::Internal("deflate did not finish");
  out.resize(written);
  return out;
}

}  // namespace cairn::sim::internal
