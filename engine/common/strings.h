#pragma once
// Small string helpers shared by every module. Pure functions, thread-safe.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cairn {

// ASCII lower-case copy (bytes >= 0x80 unchanged).
std::string ToLower(std::string_view s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);
std::string_view Trim(std::string_view s);
// The first occurrence of `needle` in `hay` at or after `from` (npos if none): string_view::find,
// but a start whose last byte differs is rejected without a call to memcmp. Hot: parse anchors,
// event after event.
size_t FindLiteral(std::string_view hay, std::string_view needle, size_t from = 0);

// FindLiteral with the needle prepared once, for one needle searched in text after text (a parse
// anchor): Find is inline, and the needle's first, last and middle bytes are read beforehand.
// Keeps a view of the needle: it must outlive the finder.
class LiteralFinder {
 public:
  explicit LiteralFinder(std::string_view needle) : needle_(needle) {
    const size_t k = needle.size();
    if (k >= 2) {
      head_ = needle[0];
      tail_ = needle[k - 1];
      middle_ = k - 2;
      words_ = middle_ >= 8 && middle_ <= 16;
      if (words_) {
        std::memcpy(&mid_lo_, needle.data() + 1, 8);
        std::memcpy(&mid_hi_, needle.data() + 1 + middle_ - 8, 8);
      }
    }
  }
  std::string_view needle() const { return needle_; }
  size_t size() const { return needle_.size(); }

  // The first occurrence of the needle in hay at or after `from` (npos if none).
  size_t Find(std::string_view hay, size_t from = 0) const {
    constexpr size_t npos = std::string_view::npos;
    const size_t k = needle_.size();
    if (from > hay.size()) return npos;
    if (k == 0) return from;
    if (hay.size() - from < k) return npos;
    const char* s = hay.data();
    if (k == 1) {
      const void* p = std::memchr(s + from, needle_[0], hay.size() - from);
      return p ? static_cast<size_t>(static_cast<const char*>(p) - s) : npos;
    }
    const char* const end = s + (hay.size() - k) + 1;  // one past the last possible start
    for (const char* p = s + from; p < end;) {
      p = static_cast<const char*>(std::memchr(p, head_, static_cast<size_t>(end - p)));
      if (p == nullptr) break;
      if (p[k - 1] == tail_) {
        bool same;
        if (words_) {
          // The bytes between head and tail as two overlapping 8-byte words (8 to 16 of them).
          uint64_t lo, hi;
          std::memcpy(&lo, p + 1, 8);
          std::memcpy(&hi, p + 1 + middle_ - 8, 8);
          same = lo == mid_lo_ && hi == mid_hi_;
        } else {
          same = std::memcmp(p + 1, needle_.data() + 1, middle_) == 0;
        }
        if (same) return static_cast<size_t>(p - s);
      }
      ++p;
    }
    return npos;
  }

 private:
  std::string_view needle_;
  char head_ = 0, tail_ = 0;
  size_t middle_ = 0;
  bool words_ = false;
  uint64_t mid_lo_ = 0, mid_hi_ = 0;
};
std::vector<std::string_view> Split(std::string_view s, char sep);
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// JSON string literal (with quotes) of arbitrary bytes; invalid UTF-8 bytes become U+FFFD.
std::string JsonQuote(std::string_view s);
// Appends the JSON-escaped body (no quotes) to out.
void JsonEscapeTo(std::string_view s, std::string* out);

// CSV field per RFC 4180: quoted when it holds a comma, quote, CR or LF.
std::string CsvField(std::string_view s);

// Text safe for a terminal: control characters (including ESC) and invalid UTF-8 are shown as
// \xNN escapes, so attacker-controlled log text cannot move the cursor or change colours.
std::string TerminalSafe(std::string_view s);

// HTML text/attribute escaping of & < > " ' .
std::string HtmlEscape(std::string_view s);

// True when s is valid UTF-8.
bool IsValidUtf8(std::string_view s);

// Number of display columns (code points; no East Asian width handling).
size_t DisplayWidth(std::string_view s);

// "1,234,567" for tables.
std::string WithThousands(int64_t n);

// Shortest round-trip text of a double without exponent for ordinary magnitudes ("0.5", "12", "1e+300").
std::string FormatDouble(double v, int max_decimals = 6);

// 64-bit FNV-1a hash.
uint64_t Fnv1a64(std::string_view s);
// 16 lower-case hex digits.
std::string Hex64(uint64_t v);

// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean" hints.
size_t EditDistance(std::string_view a, std::string_view b);

// Hash and equality for maps keyed by std::string that hot loops look up by std::string_view,
// without building a string per lookup (C++20 heterogeneous lookup).
struct TextHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
struct TextEq {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};
template <class T>
using TextMap = std::unordered_map<std::string, T, TextHash, TextEq>;

}  // namespace cairn
