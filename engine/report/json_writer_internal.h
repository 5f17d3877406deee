#pragma once
// A small streaming JSON writer for the report renderers. Strings go through JsonEscapeTo, which
// escapes <, > and &, so the output can be embedded in an HTML <script> element as is.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/common/time_zone.h"

namespace cairn::report {

class JsonWriter {
 public:
  // Times are written as ISO-8601 in `zone` (with the offset; "Z" for UTC).
  explicit JsonWriter(TimeZone zone = TimeZone()) : zone_(std::move(zone)) {}

  JsonWriter& BeginObject() { return Open('{'); }
  JsonWriter& EndObject() { return Close('}'); }
  JsonWriter& BeginArray() { return Open('['); }
  JsonWriter& EndArray() { return Close(']'); }

  JsonWriter& Key(std::string_view key) {
    Separate();
    out_ += '"';
    JsonEscapeTo(key, &out_);
    out_ += "\":";
    after_key_ = true;
    return *this;
  }
  JsonWriter& String(std::string_view value) {
    Separate();
    out_ += '"';
    JsonEscapeTo(value, &out_);
    out_ += '"';
    return *this;
  }
  JsonWriter& Int(int64_t value) {
    Separate();
    out_ += std::to_string(value);
    return *this;
  }
  JsonWriter& Double(double value) {
    Separate();
    out_ += FormatDouble(value, 4);
    return *this;
  }
  JsonWriter& Bool(bool value) {
    Separate();
    out_ += value ? "true" : "false";
    return *this;
  }
  JsonWriter& Null() {
    Separate();
    out_ += "null";
    return *this;
  }
  JsonWriter& Time(TimeMs t) { return String(FormatIso8601Compact(t, zone_)); }
  JsonWriter& OptTime(const std::optional<TimeMs>& t) { return t ? Time(*t) : Null(); }
  JsonWriter& OptDouble(const std::optional<double>& v) { return v ? Double(*v) : Null(); }
  JsonWriter& Strings(const std::vector<std::string>& values) {
    BeginArray();
    for (const auto& v : values) String(v);
    return EndArray();
  }

  // Key + value shorthands.
  JsonWriter& Field(std::string_view key, std::string_view value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const char* value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, const std::string& value) { return Key(key).String(value); }
  JsonWriter& Field(std::string_view key, int64_t value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, int value) { return Key(key).Int(value); }
  JsonWriter& Field(std::string_view key, bool value) { return Key(key).Bool(value); }

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void Separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (!first_.empty()) {
      if (!first_.back()) out_ += ',';
      first_.back() = false;
    }
  }
  JsonWriter& Open(char c) {
    Separate();
    out_ += c;
    first_.push_back(true);
    return *this;
  }
  JsonWriter& Close(char c) {
    out_ += c;
    if (!first_.empty()) first_.pop_back();
    return *this;
  }

  TimeZone zone_;
  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace cairn::report
