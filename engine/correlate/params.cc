#include "engine/correlate/params.h"

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "engine/common/strings.h"

namespace cairn::correlate {
namespace {

Error Malformed(std::string_view name, const std::string& value, std::string_view expected) {
  return Error::InvalidArgument("parameter '" + std::string(name) + "' has value '" + value +
                                "', expected " + std::string(expected));
}

bool ParseInt(const std::string& text, int64_t* out) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

const std::string* ParamReader::Find(std::string_view name) {
  used_.emplace(name);
  auto it = params_.find(std::string(name));
  return it == params_.end() ? nullptr : &it->second;
}

Result<int64_t> ParamReader::Int(std::string_view name, int64_t fallback, int64_t min_value) {
  const std::string* text = Find(name);
  if (text == nullptr) return fallback;
  int64_t v = 0;
  if (!ParseInt(std::string(Trim(*text)), &v)) return Malformed(name, *text, "an integer");
  if (v < min_value) {
    return Malformed(name, *text, "an integer >= " + std::to_string(min_value));
  }
  return v;
}

Result<double> ParamReader::Double(std::string_view name, double fallback, double min_value) {
  const std::string* text = Find(name);
  if (text == nullptr) return fallback;
  std::string t(Trim(*text));
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v)) {
    return Malformed(name, *text, "a number");
  }
  if (v < min_value) return Malformed(name, *text, "a number >= " + FormatDouble(min_value));
  return v;
}

Result<bool> ParamReader::Bool(std::string_view name, bool fallback) {
  const std::string* text = Find(name);
  if (text == nullptr) return fallback;
  std::string t = ToLower(Trim(*text));
  if (t == "true" || t == "yes" || t == "1") return true;
  if (t == "false" || t == "no" || t == "0") return false;
  return Malformed(name, *text, "true or false");
}

Result<int64_t> ParamReader::DurationMs(std::string_view name, int64_t fallback) {
  const std::string* text = Find(name);
  if (text == nullptr) return fallback;
  std::string t(Trim(*text));
  int64_t v = 0;
  if (ParseInt(t, &v) && v >= 0) return v;
  std::optional<int64_t> d = ParseDuration(t);
  if (!d || *d < 0) return Malformed(name, *text, "a duration such as 90s, 15m or 1h");
  return *d;
}

Result<std::optional<TimeMs>> ParamReader::Time(std::string_view name) {
  const std::string* text = Find(name);
  if (text == nullptr) return std::optional<TimeMs>();
  std::string t(Trim(*text));
  int64_t v = 0;
  if (ParseInt(t, &v)) return std::optional<TimeMs>(v);
  std::optional<TimeMs> parsed = ParseIso8601(t);
  if (!parsed) return Malformed(name, *text, "an ISO-8601 time or epoch milliseconds");
  return parsed;
}

std::string ParamReader::String(std::string_view name, std::string fallback) {
  const std::string* text = Find(name);
  return text == nullptr ? fallback : *text;
}

Status ParamReader::Finish() const {
  for (const auto& [key, value] : params_) {
    if (used_.count(key) != 0) continue;
    Error err = Error::InvalidArgument("unknown parameter '" + key + "'");
    std::string best;
    size_t best_distance = 3;
    std::vector<std::string> known(used_.begin(), used_.end());
    for (const std::string& candidate : known) {
      size_t d = EditDistance(key, candidate);
      if (d < best_distance) {
        best_distance = d;
        best = candidate;
      }
    }
    if (!best.empty()) {
      err.WithHelp("did you mean '" + best + "'?");
    } else {
      err.WithHelp("known parameters: " + Join(known, ", "));
    }
    return err;
  }
  return Ok();
}

}  // namespace cairn::correlate
