#pragma once
// A query value: null, string, int64, double or boolean (docs/query-language.md, "Values").
// Integers may carry a "time" mark (epoch milliseconds: _messageTime, _timeslice) so that output
// renders them as ISO-8601; arithmetic and comparison treat them as ordinary integers.
// Values are small and copyable; strings are owned.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "engine/common/strings.h"  // TextMap

namespace cairn::query {

class Value {
 public:
  enum class Kind : uint8_t { kNull, kString, kInt, kDouble, kBool };

  Value() = default;
  static Value Null() { return Value(); }
  static Value String(std::string s) {
    Value v;
    v.kind_ = Kind::kString;
    v.str_ = std::move(s);
    return v;
  }
  static Value Int(int64_t i) {
    Value v;
    v.kind_ = Kind::kInt;
    v.int_ = i;
    return v;
  }
  static Value Time(int64_t ms) {
    Value v = Int(ms);
    v.time_ = true;
    return v;
  }
  static Value Double(double d) {
    Value v;
    v.kind_ = Kind::kDouble;
    v.double_ = d;
    return v;
  }
  static Value Bool(bool b) {
    Value v;
    v.kind_ = Kind::kBool;
    v.bool_ = b;
    return v;
  }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_int() const { return kind_ == Kind::kInt; }
  bool is_double() const { return kind_ == Kind::kDouble; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_time() const { return kind_ == Kind::kInt && time_; }

  const std::string& str() const { return str_; }
  int64_t int_value() const { return int_; }
  double double_value() const { return double_; }
  bool bool_value() const { return bool_; }

  // Sets a string in place, reusing the buffer (hot loops).
  void SetString(std::string_view s) {
    kind_ = Kind::kString;
    time_ = false;
    str_.assign(s.data(), s.size());
  }
  // Sets an integer (a time when `time`) in place, keeping the string buffer (hot loops).
  void SetInt(int64_t i, bool time = false) {
    kind_ = Kind::kInt;
    time_ = time;
    int_ = i;
    str_.clear();
  }
  // Makes the value an empty string and returns its buffer to fill in place (hot loops).
  std::string& ResetString() {
    kind_ = Kind::kString;
    time_ = false;
    str_.clear();
    return str_;
  }
  // Makes the value null, keeping the string buffer for later reuse.
  void SetNull() {
    kind_ = Kind::kNull;
    time_ = false;
    str_.clear();
  }

  // Number as double (int converted); 0 for non-numbers.
  double AsDouble() const {
    return kind_ == Kind::kInt ? static_cast<double>(int_) : (kind_ == Kind::kDouble ? double_ : 0);
  }

  // Textual form used for comparisons, group keys and csv output: strings as-is, integers in
  // decimal (times too: raw milliseconds), doubles with up to 6 decimals, "true"/"false", "" for
  // null.
  std::string ToText() const;
  // Appends ToText() to *out without a temporary string.
  void AppendText(std::string* out) const;

  bool operator==(const Value& o) const;

 private:
  Kind kind_ = Kind::kNull;
  bool time_ = false;
  bool bool_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string str_;
};


// The [ENGINE] toNum coercion of the spec (§1.2): numbers as-is; strings that (trimmed) match
// [+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)? become int64 (integral and in range) or double; anything
// else is not numeric (nullopt).
std::optional<Value> ToNum(const Value& v);
std::optional<Value> ParseNumber(std::string_view text);

// ToNum without building a Value (hot loops: comparisons and arithmetic).
struct Number {
  bool is_int = false;
  int64_t i = 0;
  double d = 0;
  double AsDouble() const { return is_int ? static_cast<double>(i) : d; }
};
// false when v is not numeric (ToNum's nullopt).
bool ToNumber(const Value& v, Number* out);
// The same for a string value's text.
bool ToNumber(std::string_view text, Number* out);
// Its plain-digits case inline (status codes, ports, byte counts: most numeric text): 1 to 18
// digits and nothing else. False for any other text, which ToNumber reads.
inline bool PlainDigitsToNumber(std::string_view text, Number* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t n = 0;
  for (char c : text) {
    const unsigned d = static_cast<unsigned char>(c) - static_cast<unsigned>('0');
    if (d > 9) return false;
    n = n * 10 + static_cast<int64_t>(d);
  }
  out->is_int = true;
  out->i = n;
  return true;
}

}  // namespace cairn::query
