#pragma once
// Helpers shared by the line parsers of the ingest module (not a public header).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::ingest::internal {

// A field of a space-separated log line. text excludes surrounding quotes/brackets.
struct Field {
  std::string_view text;
  bool quoted = false;    // was "..."
  bool bracketed = false; // was [...]
  size_t offset = 0;      // byte offset of the field start in the line
};

// Splits line into fields separated by spaces. A field starting with '"' runs to the closing
// unescaped '"' (\" and \\ are escapes); one starting with '[' runs to ']'. A '"' inside an
// unquoted field (X-Forwarded-For="a, b") also protects spaces up to its closing quote.
// Stops after max_fields fields (the rest of the line is then not split). Returns the count.
size_t SplitFields(std::string_view line, Field* fields, size_t max_fields);

// "-" means absent.
inline std::string_view Dash(std::string_view s) { return s == "-" ? std::string_view() : s; }

// Copies s into out, replacing the escapes \" and \\ (Apache/S3 quoting) by the plain character.
void AssignUnescaped(std::string_view s, std::string* out);

// Non-negative decimal integer; false when s is empty or has a non-digit.
bool ParseUint(std::string_view s, int64_t* out);

// "1.2.3.4:5678" -> "1.2.3.4"; "[::1]:80" -> "::1"; anything else unchanged.
std::string_view StripPort(std::string_view s);

// Trailing '\r' and spaces removed.
std::string_view TrimLineEnd(std::string_view s);

}  // namespace cairn::ingest::internal
