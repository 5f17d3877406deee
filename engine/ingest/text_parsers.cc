// Line parsers: S3 server access, Apache access/error, generic timestamped text.
#include <array>
#include <cstring>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/ingest/parsers.h"
#include "engine/ingest/text_util_internal.h"

namespace cairn::ingest {

using internal::AssignUnescaped;
using internal::Dash;
using internal::Field;
using internal::ParseUint;
using internal::SplitFields;
using internal::StripPort;
using store::Event;

void ResetEvent(Event* e) {
  e->time = 0;
  e->source_type = store::SourceType::kGeneric;
  e->line = 0;
  for (std::string* s : {&e->raw, &e->actor_arn, &e->actor_type, &e->actor_name, &e->access_key,
                         &e->action, &e->bucket, &e->object_key, &e->resource, &e->target_user,
                         &e->outcome, &e->error_code, &e->source_ip, &e->user_agent, &e->region,
                         &e->account, &e->request_id, &e->event_id, &e->host}) {
    s->clear();
  }
  e->status = 0;
  e->bytes = -1;
  e->dedupe = 0;
}

namespace {

constexpr size_t kMaxFields = 64;

std::string Quote(std::string_view s) {
  constexpr size_t kMax = 40;
  std::string out = "'";
  out += s.size() > kMax ? std::string(s.substr(0, kMax)) + "..." : std::string(s);
  out += "'";
  return out;
}

// Region from an S3 host header: bucket.s3.us-west-1.amazonaws.com, s3-eu-west-1.amazonaws.com,
// s3.dualstack.eu-west-1.amazonaws.com. Empty when not given in the name.
std::string_view RegionFromS3Host(std::string_view host) {
  constexpr std::string_view kSuffix = ".amazonaws.com";
  if (!EndsWith(host, kSuffix)) return {};
  std::string_view rest = host.substr(0, host.size() - kSuffix.size());
  // Walk labels from the right: the label after "s3"/"dualstack" is the region.
  size_t dot = rest.rfind('.');
  std::string_view last = dot == std::string_view::npos ? rest : rest.substr(dot + 1);
  if (StartsWith(last, "s3-") && last.find('-', 3) != std::string_view::npos) return last.substr(3);
  if (last == "s3" || last.find('-') == std::string_view::npos) return {};
  bool has_digit = false;
  for (char c : last) has_digit |= (c >= '0' && c <= '9');
  if (!has_digit) return {};
  return last;
}

void FillS3Actor(std::string_view requester, Event* e) {
  if (requester.empty() || requester == "-") {
    e->actor_type = "Anonymous";
    return;
  }
  if (StartsWith(requester, "arn:")) {
    e->actor_arn.assign(requester);
    size_t slash = requester.rfind('/');
    if (slash != std::string_view::npos) e->actor_name.assign(requester.substr(slash + 1));
    if (requester.find(":assumed-role/") != std::string_view::npos) {
      e->actor_type = "AssumedRole";
    } else if (requester.find(":user/") != std::string_view::npos) {
      e->actor_type = "IAMUser";
    } else if (requester.find(":federated-user/") != std::string_view::npos) {
      e->actor_type = "FederatedUser";
    } else if (requester.find(":role/") != std::string_view::npos) {
      e->actor_type = "Role";
    } else if (EndsWith(requester, ":root")) {
      e->actor_type = "Root";
      e->actor_name = "root";
    }
    return;
  }
  if (StartsWith(requester, "svc:") || requester == "AmazonS3" ||
      requester.find(".amazonaws.com") != std::string_view::npos) {
    e->actor_type = "AWSService";
    e->actor_name.assign(requester);
    return;
  }
  e->actor_type = "CanonicalUser";
  e->actor_name.assign(requester);
}

}  // namespace

size_t CountS3Fields(std::string_view line) {
  std::array<Field, kMaxFields> fields;
  return SplitFields(internal::TrimLineEnd(line), fields.data(), fields.size());
}

Status ParseS3AccessLine(std::string_view line, Event* e) {
  ResetEvent(e);
  e->source_type = store::SourceType::kS3Access;
  line = internal::TrimLineEnd(line);
  std::array<Field, kMaxFields> f;
  size_t n = SplitFields(line, f.data(), f.size());
  if (n < 18) {
    return Error::Parse("expected at least 18 fields, got " + std::to_string(n));
  }
  if (!f[2].bracketed) {
    return Error::Parse("expected [time] as field 3, got " + Quote(f[2].text));
  }
  auto t = ParseClfTime(f[2].text);
  if (!t) return Error::Parse("invalid time " + Quote(f[2].text) + " (expected dd/Mon/yyyy:HH:MM:SS +zzzz)");
  e->time = *t;
  int64_t status = 0;
  std::string_view status_text = Dash(f[9].text);
  if (!status_text.empty() && (!ParseUint(status_text, &status) || status > 999)) {
    return Error::Parse("expected HTTP status as field 10, got " + Quote(f[9].text));
  }
  e->raw.assign(line);
  e->account.assign(Dash(f[0].text));
  e->bucket.assign(Dash(f[1].text));
  e->source_ip.assign(Dash(f[3].text));
  FillS3Actor(f[4].text, e);
  e->request_id.assign(Dash(f[5].text));
  e->action.assign(Dash(f[6].text));
  e->object_key.assign(Dash(f[7].text));
  e->status = static_cast<int>(status);
  e->error_code.assign(Dash(f[10].text));
  int64_t bytes = 0;
  std::string_view bytes_text = f[11].text;
  if (bytes_text == "-") {
    e->bytes = 0;  // S3 writes '-' for zero bytes sent
  } else if (ParseUint(bytes_text, &bytes)) {
    e->bytes = bytes;
  }
  std::string_view agent = Dash(f[16].text);
  AssignUnescaped(agent, &e->user_agent);
  if (n > 22) e->region.assign(RegionFromS3Host(Dash(f[22].text)));
  if (status > 0) e->outcome = status >= 400 ? "failure" : "success";
  return Ok();
}

// ---- Apache access -------------------------------------------------------------------------------

namespace {

bool IsHttpMethod(std::string_view m) {
  if (m.empty() || m.size() > 24 || m[0] < 'A' || m[0] > 'Z') return false;
  for (char c : m) {
    if (!((c >= 'A' && c <= 'Z') || c == '-' || c == '_')) return false;
  }
  return true;
}

// "GET /path HTTP/1.1" -> method, target. Junk leaves both empty.
void ParseRequestLine(std::string_view request, Event* e) {
  size_t sp = request.find(' ');
  if (sp == std::string_view::npos) return;
  std::string_view method = request.substr(0, sp);
  if (!IsHttpMethod(method)) return;
  std::string_view rest = request.substr(sp + 1);
  size_t last = rest.rfind(' ');
  if (last != std::string_view::npos && StartsWith(rest.substr(last + 1), "HTTP/")) {
    rest = rest.substr(0, last);
  }
  e->action.assign(method);
  AssignUnescaped(Dash(rest), &e->object_key);
}

Status FinishApache(int64_t status, Event* e) {
  e->status = static_cast<int>(status);
  if (status > 0) e->outcome = status >= 500 ? "failure" : "success";
  return Ok();
}

Status ParseApacheAuto(std::string_view line, Event* e) {
  std::array<Field, kMaxFields> f;
  size_t n = SplitFields(line, f.data(), f.size());
  size_t time_idx = 0;
  while (time_idx < n && !f[time_idx].bracketed) ++time_idx;
  if (time_idx == n) return Error::Parse("no [time] field (expected an Apache access log line)");
  if (time_idx != 3 && time_idx != 4) {
    return Error::Parse("expected 3 or 4 fields before [time] (host ident user), got " +
                        std::to_string(time_idx));
  }
  auto t = ParseClfTime(f[time_idx].text);
  if (!t) return Error::Parse("invalid time " + Quote(f[time_idx].text) + " (expected dd/Mon/yyyy:HH:MM:SS +zzzz)");
  if (n < time_idx + 4) {
    return Error::Parse("expected \"request\" status bytes after [time], got " +
                        std::to_string(n - time_idx - 1) + " fields");
  }
  const Field& request = f[time_idx + 1];
  if (!request.quoted) return Error::Parse("expected a quoted request line, got " + Quote(request.text));
  int64_t status = 0;
  std::string_view status_text = Dash(f[time_idx + 2].text);
  if (!status_text.empty() && (!ParseUint(status_text, &status) || status > 999)) {
    return Error::Parse("expected HTTP status after the request, got " + Quote(f[time_idx + 2].text));
  }
  std::string_view bytes_text = f[time_idx + 3].text;
  int64_t bytes = 0;
  if (bytes_text == "-") {
    e->bytes = 0;  // CLF writes '-' for zero bytes
  } else if (ParseUint(bytes_text, &bytes)) {
    e->bytes = bytes;
  } else {
    return Error::Parse("expected byte count after the status, got " + Quote(bytes_text));
  }
  e->time = *t;
  size_t base = time_idx - 3;
  if (time_idx == 4) e->host.assign(StripPort(Dash(f[0].text)));
  e->source_ip.assign(StripPort(Dash(f[base].text)));
  e->actor_name.assign(Dash(f[base + 2].text));
  ParseRequestLine(request.text, e);
  // combined: "referer" "user agent", possibly after extra unquoted fields (%D) and followed by
  // extras (X-Forwarded-For="...").
  size_t k = time_idx + 4;
  size_t first_quoted = n;
  for (size_t j = k; j < n && j < k + 3; ++j) {
    if (f[j].quoted) {
      first_quoted = j;
      break;
    }
  }
  if (first_quoted + 1 < n && f[first_quoted + 1].quoted) {
    AssignUnescaped(Dash(f[first_quoted + 1].text), &e->user_agent);
  }
  return FinishApache(status, e);
}

// Minimal strptime for %{...}t: %Y %m %d %H %M %S %b %e %T %F %z, literal text otherwise.
std::optional<TimeMs> ParseStrftime(std::string_view fmt, std::string_view s) {
  if (fmt == "sec" || fmt == "msec" || fmt == "usec" || fmt == "msec_frac") {
    int64_t v = 0;
    if (!ParseUint(s, &v)) return std::nullopt;
    if (fmt == "sec") return v * 1000;
    if (fmt == "msec") return v;
    if (fmt == "usec") return v / 1000;
    return std::nullopt;
  }
  if (StartsWith(fmt, "begin:")) fmt.remove_prefix(6);
  if (StartsWith(fmt, "end:")) fmt.remove_prefix(4);
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, offset = 0;
  size_t p = 0;
  auto num = [&](int width, int* out) {
    int v = 0, k = 0;
    while (k < width && p < s.size() && s[p] == ' ' && k == 0 && width == 2) ++p;  // %e padding
    while (k < width && p < s.size() && s[p] >= '0' && s[p] <= '9') {
      v = v * 10 + (s[p] - '0');
      ++p;
      ++k;
    }
    *out = v;
    return k > 0;
  };
  for (size_t q = 0; q < fmt.size(); ++q) {
    if (fmt[q] != '%' || q + 1 >= fmt.size()) {
      if (p >= s.size() || s[p] != fmt[q]) return std::nullopt;
      ++p;
      continue;
    }
    char d = fmt[++q];
    bool ok = true;
    switch (d) {
      case 'Y': ok = num(4, &year); break;
      case 'm': ok = num(2, &month); break;
      case 'd': case 'e': ok = num(2, &day); break;
      case 'H': ok = num(2, &hour); break;
      case 'M': ok = num(2, &minute); break;
      case 'S': ok = num(2, &second); break;
      case 'T': ok = num(2, &hour) && p < s.size() && s[p++] == ':' && num(2, &minute) &&
                     p < s.size() && s[p++] == ':' && num(2, &second); break;
      case 'F': ok = num(4, &year) && p < s.size() && s[p++] == '-' && num(2, &month) &&
                     p < s.size() && s[p++] == '-' && num(2, &day); break;
      case 'b': case 'h':
        month = p + 3 <= s.size() ? MonthFromAbbrev(s.substr(p, 3)) : 0;
        ok = month != 0;
        p += 3;
        break;
      case 'z': {
        if (p >= s.size() || (s[p] != '+' && s[p] != '-')) return std::nullopt;
        int sign = s[p] == '-' ? -1 : 1;
        ++p;
        int hh = 0, mm = 0;
        ok = num(2, &hh);
        if (p < s.size() && s[p] == ':') ++p;
        ok = ok && num(2, &mm);
        offset = sign * (hh * 60 + mm);
        break;
      }
      case '%': ok = p < s.size() && s[p++] == '%'; break;
      default: return std::nullopt;
    }
    if (!ok) return std::nullopt;
  }
  if (p != s.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return std::nullopt;
  }
  return MakeTimeMs(year, month, day, hour, minute, second) - offset * 60000LL;
}

Status ParseApacheWithFormat(std::string_view line, const ApacheLogFormat& format, Event* e) {
  const auto& items = format.items();
  size_t p = 0;
  bool have_time = false;
  int64_t status = 0;
  for (size_t idx = 0; idx < items.size(); ++idx) {
    const auto& item = items[idx];
    if (item.literal) {
      if (line.substr(p, item.text.size()) != item.text) {
        return Error::Parse("line does not match the Apache LogFormat at byte " + std::to_string(p) +
                            " (expected " + Quote(item.text) + ")");
      }
      p += item.text.size();
      continue;
    }
    std::string_view value;
    if (item.text == "t" && item.arg.empty()) {
      if (p >= line.size() || line[p] != '[') {
        return Error::Parse("expected [time] at byte " + std::to_string(p));
      }
      size_t close = line.find(']', p);
      if (close == std::string_view::npos) return Error::Parse("unterminated [time]");
      value = line.substr(p + 1, close - p - 1);
      p = close + 1;
    } else if (idx + 1 < items.size() && items[idx + 1].literal) {
      const std::string& lit = items[idx + 1].text;
      size_t end = p;
      if (lit[0] == '"') {
        while (end < line.size() && line[end] != '"') {
          if (line[end] == '\\' && end + 1 < line.size()) ++end;
          ++end;
        }
      } else {
        end = line.find(lit, p);
      }
      if (end == std::string_view::npos || end > line.size()) {
        return Error::Parse("line does not match the Apache LogFormat: missing " + Quote(lit) +
                            " after byte " + std::to_string(p));
      }
      value = line.substr(p, end - p);
      p = end;
    } else if (idx + 1 == items.size()) {
      value = line.substr(p);
      p = line.size();
    } else {
      size_t end = line.find(' ', p);
      if (end == std::string_view::npos) end = line.size();
      value = line.substr(p, end - p);
      p = end;
    }
    const std::string& d = item.text;
    if (d == "h" || d == "a") {
      e->source_ip.assign(StripPort(Dash(value)));
    } else if (d == "u") {
      e->actor_name.assign(Dash(value));
    } else if (d == "t") {
      auto t = item.arg.empty() ? ParseClfTime(value) : ParseStrftime(item.arg, value);
      if (!t) return Error::Parse("invalid time " + Quote(value));
      e->time = *t;
      have_time = true;
    } else if (d == "r") {
      ParseRequestLine(value, e);
    } else if (d == "m") {
      if (IsHttpMethod(value)) e->action.assign(value);
    } else if (d == "U") {
      e->object_key.insert(0, std::string(Dash(value)));
    } else if (d == "q") {
      e->object_key.append(value);
    } else if (d == "s" || d == ">s" || d == "<s") {
      std::string_view v = Dash(value);
      if (!v.empty() && (!ParseUint(v, &status) || status > 999)) {
        return Error::Parse("expected HTTP status, got " + Quote(value));
      }
    } else if (d == "b" || d == "B" || d == "O") {
      int64_t bytes = 0;
      if (value == "-") {
        e->bytes = 0;
      } else if (ParseUint(value, &bytes)) {
        e->bytes = bytes;
      }
    } else if (d == "i" && item.arg == "user-agent") {
      AssignUnescaped(Dash(value), &e->user_agent);
    } else if (d == "v" || d == "V") {
      e->host.assign(StripPort(Dash(value)));
    }
  }
  if (!have_time) return Error::Parse("no time in line");
  return FinishApache(status, e);
}

}  // namespace

Result<ApacheLogFormat> ApacheLogFormat::Compile(std::string_view format) {
  if (format == "common") format = "%h %l %u %t \"%r\" %>s %b";
  else if (format == "combined") format = "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-Agent}i\"";
  else if (format == "vhost_combined") format = "%v:%p %h %l %u %t \"%r\" %>s %O \"%{Referer}i\" \"%{User-Agent}i\"";
  ApacheLogFormat out;
  std::string literal;
  bool has_time = false;
  auto flush = [&] {
    if (!literal.empty()) {
      out.items_.push_back({true, literal, ""});
      literal.clear();
    }
  };
  for (size_t k = 0; k < format.size(); ++k) {
    char c = format[k];
    if (c == '\\' && k + 1 < format.size()) {  // shell-style escapes as written in httpd.conf
      char next = format[++k];
      literal.push_back(next == 't' ? '\t' : next);
      continue;
    }
    if (c != '%') {
      literal.push_back(c);
      continue;
    }
    if (k + 1 >= format.size()) return Error::InvalidArgument("LogFormat ends with a lone '%'");
    if (format[k + 1] == '%') {
      literal.push_back('%');
      ++k;
      continue;
    }
    flush();
    ++k;
    Item item;
    // Modifiers: status conditions (!200,304) and < / >.
    while (k < format.size() && (format[k] == '!' || format[k] == ',' ||
                                 (format[k] >= '0' && format[k] <= '9'))) {
      ++k;
    }
    std::string prefix;
    if (k < format.size() && (format[k] == '>' || format[k] == '<')) prefix = format[k++];
    if (k < format.size() && format[k] == '{') {
      size_t close = format.find('}', k);
      if (close == std::string_view::npos) {
        return Error::InvalidArgument("unterminated %{...} in LogFormat at byte " + std::to_string(k));
      }
      item.arg = std::string(format.substr(k + 1, close - k - 1));
      k = close + 1;
    }
    if (k >= format.size()) return Error::InvalidArgument("LogFormat ends inside a directive");
    char d = format[k];
    if (d == '^' && k + 2 < format.size()) {
      item.text = std::string(format.substr(k, 3));
      k += 2;
    } else if (std::strchr("aAbBCDefhHiklLmnopPqrRsStTuUvVXIO", d) != nullptr) {
      item.text = prefix + d;
    } else {
      return Error::InvalidArgument(std::string("unknown LogFormat directive '%") + d + "'")
          .WithHelp("supported: %h %a %l %u %t %{fmt}t %r %m %U %q %s %>s %b %B %O %D %T %v %V %p "
                    "%{Header}i and the other mod_log_config directives");
    }
    if (item.text != "t" && item.text != "i" && item.text != "C" && item.text != "e" &&
        item.text != "n" && item.text != "o" && item.text != "p" && item.text != "P" &&
        item.text != "T" && item.text != "^ti" && item.text != "^to") {
      item.arg.clear();
    }
    if (item.text == "t") {
      has_time = true;
      if (item.arg != "sec" && item.arg != "msec" && item.arg != "usec") {
        // keep strftime argument as written
      }
    } else {
      item.arg = ToLower(item.arg);
    }
    out.items_.push_back(std::move(item));
  }
  flush();
  if (!has_time) return Error::InvalidArgument("LogFormat has no %t: events need a time");
  return out;
}

Status ParseApacheAccessLine(std::string_view line, const ApacheLogFormat* format, Event* e) {
  ResetEvent(e);
  e->source_type = store::SourceType::kApacheAccess;
  line = internal::TrimLineEnd(line);
  Status st = format ? ParseApacheWithFormat(line, *format, e) : ParseApacheAuto(line, e);
  if (!st.ok()) return st;
  e->raw.assign(line);
  return Ok();
}

// ---- Apache error --------------------------------------------------------------------------------

namespace {

bool IsBareAhLine(std::string_view line) {
  if (line.size() < 8 || line[0] != 'A' || line[1] != 'H' || line[7] != ':') return false;
  for (size_t k = 2; k < 7; ++k) {
    if (line[k] < '0' || line[k] > '9') return false;
  }
  return true;
}

// Inside the first brackets: ctime ("Mon Aug 31 07:15:38.664897 2015") or ISO with a zone that
// may be separated by a space ("2025-07-22 15:45:51.323610 +0200").
std::optional<TimeMs> ParseErrorTime(std::string_view s) {
  if (auto t = ParseCtime(s)) return t;
  if (s.size() >= 19 && s[4] == '-') {
    std::string norm(s);
    size_t sp = norm.rfind(' ');
    if (sp != std::string::npos && sp > 10 && sp + 1 < norm.size() &&
        (norm[sp + 1] == '+' || norm[sp + 1] == '-')) {
      norm.erase(sp, 1);
    }
    return ParseIso8601(norm);
  }
  return std::nullopt;
}

std::string_view FindAhCode(std::string_view s) {
  size_t pos = 0;
  while ((pos = s.find("AH", pos)) != std::string_view::npos) {
    if (pos + 8 <= s.size() && s[pos + 7] == ':' && (pos == 0 || s[pos - 1] == ' ' || s[pos - 1] == ']')) {
      bool digits = true;
      for (size_t k = pos + 2; k < pos + 7; ++k) digits &= (s[k] >= '0' && s[k] <= '9');
      if (digits) return s.substr(pos, 7);
    }
    pos += 2;
  }
  return {};
}

}  // namespace

bool IsApacheErrorRecordStart(std::string_view line) {
  if (IsBareAhLine(line)) return true;
  if (line.empty() || line[0] != '[') return false;
  size_t close = line.find(']');
  if (close == std::string_view::npos) return false;
  return ParseErrorTime(line.substr(1, close - 1)).has_value();
}

Status ParseApacheErrorLine(std::string_view line, Event* e) {
  ResetEvent(e);
  e->source_type = store::SourceType::kApacheError;
  line = internal::TrimLineEnd(line);
  if (IsBareAhLine(line)) {  // printed before the logger is set up: no time of its own
    e->raw.assign(line);
    e->error_code.assign(line.substr(0, 7));
    return Ok();
  }
  if (line.empty() || line[0] != '[') {
    return Error::Parse("expected '[time]' at the start of an Apache error record");
  }
  size_t close = line.find(']');
  if (close == std::string_view::npos) return Error::Parse("unterminated '[time]'");
  auto t = ParseErrorTime(line.substr(1, close - 1));
  if (!t) return Error::Parse("invalid time " + Quote(line.substr(1, close - 1)));
  e->time = *t;
  size_t p = close + 1;
  bool have_level = false;
  while (true) {
    while (p < line.size() && line[p] == ' ') ++p;
    if (p >= line.size() || line[p] != '[') break;
    size_t end = line.find(']', p);
    if (end == std::string_view::npos) break;
    std::string_view inner = line.substr(p + 1, end - p - 1);
    if (StartsWith(inner, "client ")) {
      e->source_ip.assign(StripPort(Trim(inner.substr(7))));
    } else if (StartsWith(inner, "pid ")) {
      // process id: kept in raw only
    } else if (!have_level && inner.find(' ') == std::string_view::npos) {
      have_level = true;
      if (!inner.empty() && inner[0] == ':') inner.remove_prefix(1);
      e->action.assign(inner);
    } else {
      break;  // the message itself starts with '['
    }
    p = end + 1;
  }
  std::string_view message = line.substr(p);
  if (e->source_ip.empty()) {
    size_t c = message.find("[client ");
    if (c != std::string_view::npos) {
      size_t end = message.find(']', c);
      if (end != std::string_view::npos) {
        e->source_ip.assign(StripPort(Trim(message.substr(c + 8, end - c - 8))));
      }
    }
  }
  e->error_code.assign(FindAhCode(message));
  e->raw.assign(line);
  return Ok();
}

// ---- Generic -------------------------------------------------------------------------------------

namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// ISO-like "YYYY-MM-DD[T ]HH:MM[:SS[.,frac]][Z|[ ]±hh[:mm]]" at s[0..]; returns length.
size_t ScanIso(std::string_view s, TimeMs* out) {
  if (s.size() < 16 || !IsDigit(s[0]) || !IsDigit(s[3]) || (s[4] != '-' && s[4] != '/') ||
      s[7] != s[4] || (s[10] != 'T' && s[10] != ' ') || s[13] != ':') {
    return 0;
  }
  size_t p = 16;
  if (p < s.size() && s[p] == ':') {
    p += 3;
    if (p > s.size()) return 0;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
      ++p;
      while (p < s.size() && IsDigit(s[p])) ++p;
    }
  }
  size_t body_end = p;
  size_t zone_start = p;
  if (p < s.size() && (s[p] == 'Z' || s[p] == 'z')) {
    ++p;
  } else {
    size_t q = p;
    if (q < s.size() && s[q] == ' ') ++q;
    if (q + 2 < s.size() + 0 && (s[q] == '+' || s[q] == '-') && IsDigit(s[q + 1]) &&
        q + 2 < s.size() && IsDigit(s[q + 2])) {
      zone_start = q;
      q += 3;
      if (q < s.size() && s[q] == ':') ++q;
      if (q + 1 < s.size() + 1 && q + 2 <= s.size() && IsDigit(s[q]) && IsDigit(s[q + 1])) q += 2;
      p = q;
    }
  }
  std::string norm(s.substr(0, body_end));
  norm.append(s.substr(zone_start, p - zone_start));
  if (norm[4] == '/') {
    norm[4] = '-';
    norm[7] = '-';
  }
  for (char& c : norm) {
    if (c == ',') c = '.';
  }
  auto t = ParseIso8601(norm);
  if (!t) return 0;
  *out = *t;
  return p;
}

// "Jan  5 14:03:01" (RFC 3164); returns length.
size_t ScanRfc3164(std::string_view s, int reference_year, TimeMs reference_time, TimeMs* out) {
  if (s.size() < 15 || s[3] != ' ' || s[9] != ':' || s[12] != ':') return 0;
  int month = MonthFromAbbrev(s.substr(0, 3));
  if (month == 0) return 0;
  int day = 0;
  if (s[4] == ' ' && IsDigit(s[5])) {
    day = s[5] - '0';
  } else if (IsDigit(s[4]) && IsDigit(s[5])) {
    day = (s[4] - '0') * 10 + (s[5] - '0');
  } else {
    return 0;
  }
  if (s[6] != ' ' || !IsDigit(s[7]) || !IsDigit(s[8]) || !IsDigit(s[10]) || !IsDigit(s[11]) ||
      !IsDigit(s[13]) || !IsDigit(s[14])) {
    return 0;
  }
  int hour = (s[7] - '0') * 10 + (s[8] - '0');
  int minute = (s[10] - '0') * 10 + (s[11] - '0');
  int second = (s[13] - '0') * 10 + (s[14] - '0');
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return 0;
  size_t len = 15;
  int millis = 0;
  if (len < s.size() && s[len] == '.') {  // rsyslog high-precision variant
    ++len;
    int scale = 100;
    while (len < s.size() && IsDigit(s[len])) {
      millis += scale * (s[len] - '0');
      scale /= 10;
      ++len;
    }
  }
  TimeMs t = MakeTimeMs(reference_year, month, day, hour, minute, second, millis);
  if (reference_time > 0 && t > reference_time + 86400000LL) {
    t = MakeTimeMs(reference_year - 1, month, day, hour, minute, second, millis);
  }
  *out = t;
  return len;
}

}  // namespace

size_t ParseLeadingTimestamp(std::string_view line, int reference_year, TimeMs reference_time,
                             TimeMs* out) {
  size_t p = 0;
  if (!line.empty() && line[0] == '<') {  // syslog PRI
    size_t close = line.find('>');
    if (close == std::string_view::npos || close > 4) return 0;
    p = close + 1;
    if (p + 2 < line.size() && line[p] == '1' && line[p + 1] == ' ') p += 2;  // RFC 5424 version
  }
  bool bracket = p < line.size() && line[p] == '[';
  size_t start = p + (bracket ? 1 : 0);
  std::string_view rest = line.substr(start);
  size_t len = ScanIso(rest, out);
  if (len == 0) len = ScanRfc3164(rest, reference_year, reference_time, out);
  if (len == 0) return 0;
  size_t end = start + len;
  if (bracket) {
    if (end >= line.size() || line[end] != ']') return 0;
    ++end;
  }
  return end;
}

Status ParseGenericLine(std::string_view line, int reference_year, TimeMs reference_time,
                        Event* e) {
  ResetEvent(e);
  e->source_type = store::SourceType::kGeneric;
  line = internal::TrimLineEnd(line);
  TimeMs t = 0;
  size_t len = ParseLeadingTimestamp(line, reference_year, reference_time, &t);
  if (len == 0) return Error::Parse("no recognisable timestamp at the start of the line");
  e->time = t;
  e->raw.assign(line);
  // Syslog: the token after the timestamp is the host when followed by "prog[pid]:" or "prog:".
  bool syslog = !line.empty() && (line[0] == '<' || (len >= 15 && MonthFromAbbrev(line.substr(0, 3)) != 0));
  if (syslog && len < line.size() && line[len] == ' ') {
    std::string_view rest = line.substr(len + 1);
    size_t sp = rest.find(' ');
    std::string_view host = rest.substr(0, sp);
    if (!host.empty() && host != "-" && host.back() != ':' && host.find('[') == std::string_view::npos) {
      e->host.assign(host);
    }
  }
  return Ok();
}

}  // namespace cairn::ingest
