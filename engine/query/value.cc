#include "engine/query/value.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "engine/common/strings.h"

namespace cairn::query {

std::string Value::ToText() const {
  switch (kind_) {
    case Kind::kNull: return "";
    case Kind::kString: return str_;
    case Kind::kInt: return std::to_string(int_);
    case Kind::kDouble: return FormatDouble(double_, 6);
    case Kind::kBool: return bool_ ? "true" : "false";
  }
  return "";
}

void Value::AppendText(std::string* out) const {
  switch (kind_) {
    case Kind::kNull: return;
    case Kind::kString: *out += str_; return;
    case Kind::kInt: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, int_);
      (void)ec;  // 24 bytes hold any int64
      out->append(buf, static_cast<size_t>(end - buf));
      return;
    }
    case Kind::kDouble: *out += FormatDouble(double_, 6); return;
    case Kind::kBool: *out += bool_ ? "true" : "false"; return;
  }
}

bool Value::operator==(const Value& o) const {
  if (kind_ != o.kind_) return false;
  switch (kind_) {
    case Kind::kNull: return true;
    case Kind::kString: return str_ == o.str_;
    case Kind::kInt: return int_ == o.int_;
    case Kind::kDouble: return double_ == o.double_;
    case Kind::kBool: return bool_ == o.bool_;
  }
  return false;
}

std::optional<Value> ParseNumber(std::string_view text) {
  std::string_view s = Trim(text);
  if (s.empty()) return std::nullopt;
  size_t i = 0;
  if (s[i] == '+' || s[i] == '-') ++i;
  size_t int_digits = 0, frac_digits = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++int_digits;
  bool has_dot = false;
  if (i < s.size() && s[i] == '.') {
    has_dot = true;
    ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i, ++frac_digits;
  }
  if (int_digits == 0 && frac_digits == 0) return std::nullopt;
  bool has_exp = false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    size_t j = i + 1;
    if (j < s.size() && (s[j] == '+' || s[j] == '-')) ++j;
    size_t exp_digits = 0;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
    has_exp = true;
    i = j;
  }
  if (i != s.size()) return std::nullopt;
  if (!has_dot && !has_exp) {
    int64_t v = 0;
    std::string_view digits = s;
    if (digits[0] == '+') digits.remove_prefix(1);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    if (ec == std::errc() && ptr == digits.data() + digits.size()) return Value::Int(v);
  }
  std::string copy(s);
  double d = std::strtod(copy.c_str(), nullptr);
  if (!std::isfinite(d)) return std::nullopt;
  if (has_dot || has_exp) {
    if (d == std::floor(d) && std::fabs(d) < 9.2e18 && !has_dot && has_exp) {
      return Value::Int(static_cast<int64_t>(d));
    }
  }
  return Value::Double(d);
}

bool ToNumber(const Value& v, Number* out) {
  switch (v.kind()) {
    case Value::Kind::kInt:
      out->is_int = true;
      out->i = v.int_value();
      return true;
    case Value::Kind::kDouble:
      out->is_int = false;
      out->d = v.double_value();
      return true;
    case Value::Kind::kString: return ToNumber(std::string_view(v.str()), out);
    default: return false;
  }
}

bool ToNumber(std::string_view s, Number* out) {
  // Plain digits inline; anything else (signs, blanks, dots, exponents, 19 digits and more) here.
  if (PlainDigitsToNumber(s, out)) return true;
  auto n = ParseNumber(s);
  if (!n) return false;
  out->is_int = n->is_int();
  out->i = n->int_value();
  out->d = n->double_value();
  return true;
}

std::optional<Value> ToNum(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kInt: return Value::Int(v.int_value());
    case Value::Kind::kDouble: return v;
    case Value::Kind::kString: return ParseNumber(v.str());
    default: return std::nullopt;
  }
}

}  // namespace cairn::query
