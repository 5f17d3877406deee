// Tokeniser of the log clusterer: whitespace words split at delimiters, general-purpose variable
// detection, collapsing of variable runs. Works on views; never allocates per token.
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <vector>

#include "engine/cluster/tokenizer_internal.h"

namespace cairn::cluster::internal {
namespace {

enum CharClass : uint16_t {
  kSpaceChar = 1,
  kDelimChar = 2,
  kDigitChar = 4,
  kJoinerChar = 8,   // a delimiter that may sit inside one value: "a:b", "a,b", "a|b"
  kHexChar = 16,
  kLowerChar = 32,
  kUpperChar = 64,
  kAddrChar = 128,   // hex digits, ':' '.' '%': what an IPv6/MAC address is made of
  kHintChar = 256,   // '.', '/', '\\', '@': a word holding one may be a path, host or address
  kStopChar = 512,   // ends a whitespace word: whitespace or the pinned-value marker
  kColonChar = 1024,
};

constexpr std::array<uint16_t, 256> MakeClasses() {
  std::array<uint16_t, 256> table{};
  for (unsigned char c : std::string_view(" \t\r\n\v\f")) table[c] |= kSpaceChar | kStopChar;
  table[static_cast<unsigned char>(kPinnedMarker)] |= kStopChar;
  for (unsigned char c : std::string_view("=:,;()[]{}\"'<>|")) table[c] |= kDelimChar;
  for (unsigned char c : std::string_view(":,|")) table[c] |= kJoinerChar;
  table[static_cast<unsigned char>(':')] |= kColonChar;
  for (int c = '0'; c <= '9'; ++c) table[c] |= kDigitChar | kHexChar | kAddrChar;
  for (int c = 'a'; c <= 'z'; ++c) table[c] |= kLowerChar;
  for (int c = 'A'; c <= 'Z'; ++c) table[c] |= kUpperChar;
  for (int c = 'a'; c <= 'f'; ++c) table[c] |= kHexChar | kAddrChar;
  for (int c = 'A'; c <= 'F'; ++c) table[c] |= kHexChar | kAddrChar;
  for (unsigned char c : std::string_view(":.%")) table[c] |= kAddrChar;
  for (unsigned char c : std::string_view("./\\@")) table[c] |= kHintChar;
  return table;
}

constexpr std::array<uint16_t, 256> kClasses = MakeClasses();

inline uint16_t Class(char c) { return kClasses[static_cast<unsigned char>(c)]; }
inline bool IsSpace(char c) { return (Class(c) & kSpaceChar) != 0; }
inline bool IsDelim(char c) { return (Class(c) & kDelimChar) != 0; }

char ClosingOf(char c) {
  switch (c) {
    case '(': return ')';
    case '[': return ']';
    case '{': return '}';
    case '<': return '>';
    case '"': return '"';
    case '\'': return '\'';
    default: return 0;
  }
}

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t idx = 0; idx < word.size(); ++idx) {
    char c = word[idx];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[idx]) return false;
  }
  return true;
}

// Month and weekday names: part of a date when next to a number ("Sun Jul 10 03:55:15 2005").
bool IsDateName(std::string_view word) {
  static constexpr std::string_view kShort[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                                "aug", "sep", "oct", "nov", "dec", "mon", "tue",
                                                "wed", "thu", "fri", "sat", "sun"};
  static constexpr std::string_view kLong[] = {
      "january", "february", "march", "april", "may", "june", "july", "august", "september",
      "october", "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday",
      "saturday", "sunday"};
  if (word.size() < 3 || word.size() > 9) return false;
  char prefix[3];
  for (size_t idx = 0; idx < 3; ++idx) {
    char c = word[idx];
    prefix[idx] = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
  }
  for (size_t idx = 0; idx < std::size(kShort); ++idx) {
    const std::string_view name = kShort[idx];
    if (name[0] != prefix[0] || name[1] != prefix[1] || name[2] != prefix[2]) continue;
    return word.size() == 3 || EqualsLower(word, kLong[idx]);
  }
  return false;
}

// Top-level domains that make "name.tld" a host name even with a single dot.
bool IsCommonTld(std::string_view label) {
  static constexpr std::string_view kTlds[] = {
      "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io", "local", "lan",
      "internal", "arpa", "localdomain"};
  for (std::string_view tld : kTlds) {
    if (label == tld) return true;
  }
  return false;
}

// "ns.example.com", "host.example.co.uk": lower-case last label that is a known TLD, or any
// two-letter label with at least two dots.
bool IsHostName(std::string_view word) {
  if (word.size() < 4 || word.front() == '.' || word.back() == '.') return false;
  size_t dots = 0;
  size_t last_dot = 0;
  char prev = 0;
  for (size_t idx = 0; idx < word.size(); ++idx) {
    char c = word[idx];
    if (c == '.') {
      if (prev == '.') return false;
      ++dots;
      last_dot = idx;
    } else if ((Class(c) & (kLowerChar | kUpperChar | kDigitChar)) == 0 && c != '-') {
      return false;
    }
    prev = c;
  }
  if (dots == 0) return false;
  std::string_view tld = word.substr(last_dot + 1);
  for (char c : tld) {
    if ((Class(c) & kLowerChar) == 0) return false;
  }
  if (IsCommonTld(tld)) return true;
  return dots >= 2 && tld.size() == 2;
}

// A whole whitespace word that is an IPv6 or MAC address (or a time "03:55:15"): hex digits,
// ':' '.' '%' only, at least two colons and a digit. Kept as one variable so that addresses with
// different numbers of groups give the same token count.
bool IsAddressWord(std::string_view word) {
  size_t colons = 0;
  bool digit = false;
  for (char c : word) {
    uint16_t cls = Class(c);
    if ((cls & kAddrChar) == 0) return false;
    if (c == ':') ++colons;
    if ((cls & kDigitChar) != 0) digit = true;
  }
  return colons >= 2 && digit;
}

class Emitter {
 public:
  Emitter(std::vector<Token>* out, size_t max_tokens) : out_(out), max_tokens_(max_tokens) {}
  bool full() const { return out_->size() >= max_tokens_; }
  void Emit(size_t begin, size_t size, TokenKind kind, bool space_before) {
    out_->push_back(Token{static_cast<uint32_t>(begin), static_cast<uint32_t>(size), kind,
                          space_before});
  }

 private:
  std::vector<Token>* out_;
  size_t max_tokens_;
};

// Splits one whitespace word [begin, end) into sub-tokens.
void SplitWord(std::string_view message, size_t begin, size_t end, bool space_before,
               bool has_colon, Emitter* emitter) {
  std::string_view word = message.substr(begin, end - begin);
  // Addresses with colons stay whole (after peeling brackets and trailing punctuation).
  if (has_colon) {
    size_t core_begin = 0;
    size_t core_end = word.size();
    while (core_begin < core_end && (word[core_begin] == '[' || word[core_begin] == '(' ||
                                     word[core_begin] == '<' || word[core_begin] == '"' ||
                                     word[core_begin] == '\'')) {
      ++core_begin;
    }
    while (core_end > core_begin &&
           (word[core_end - 1] == ']' || word[core_end - 1] == ')' || word[core_end - 1] == '>' ||
            word[core_end - 1] == '"' || word[core_end - 1] == '\'' || word[core_end - 1] == ',' ||
            word[core_end - 1] == ';' || word[core_end - 1] == '.')) {
      --core_end;
    }
    if (core_end > core_begin &&
        IsAddressWord(word.substr(core_begin, core_end - core_begin))) {
      bool first = true;
      for (size_t idx = 0; idx < core_begin; ++idx) {
        emitter->Emit(begin + idx, 1, TokenKind::kDelim, first && space_before);
        first = false;
      }
      emitter->Emit(begin + core_begin, core_end - core_begin, TokenKind::kVar,
                    first && space_before);
      for (size_t idx = core_end; idx < word.size(); ++idx) {
        // Trailing '.' is not a delimiter: keep it as a word so the text renders as it was.
        TokenKind kind = IsDelim(word[idx]) ? TokenKind::kDelim : TokenKind::kWord;
        emitter->Emit(begin + idx, 1, kind, false);
      }
      return;
    }
  }
  bool first = true;
  bool after_attached_equals = false;  // previous sub-token is '=' glued to something before it
  size_t pos = begin;
  while (pos < end && !emitter->full()) {
    char c = message[pos];
    if (IsDelim(c)) {
      emitter->Emit(pos, 1, TokenKind::kDelim, first && space_before);
      bool attached = pos > begin;
      char closing = ClosingOf(c);
      if (closing != 0 && pos + 1 < end && message[pos + 1] == closing) {
        emitter->Emit(pos + 1, 0, TokenKind::kEmpty, false);
      }
      if (c == '=' && attached && pos + 1 == end &&
          (end == message.size() || message[end] != kPinnedMarker)) {
        emitter->Emit(pos + 1, 0, TokenKind::kEmpty, false);
      }
      after_attached_equals = c == '=' && attached;
      ++pos;
    } else {
      size_t stop = pos;
      uint16_t seen = 0;
      uint16_t common = kHexChar;
      for (; stop < end; ++stop) {
        uint16_t cls = Class(message[stop]);
        if ((cls & kDelimChar) != 0) break;
        seen |= cls;
        common &= cls;
      }
      std::string_view sub = message.substr(pos, stop - pos);
      // Fast path: a digit decides; letters only (no . / \\ @, not long hex) is a constant.
      bool variable = after_attached_equals || (seen & kDigitChar) != 0 ||
                      (((seen & kHintChar) != 0 || (common != 0 && sub.size() >= 8)) &&
                       IsVariableWord(sub));
      emitter->Emit(pos, stop - pos, variable ? TokenKind::kVar : TokenKind::kWord,
                    first && space_before);
      after_attached_equals = false;
      pos = stop;
    }
    first = false;
  }
}

}  // namespace

bool IsVariableWord(std::string_view word) {
  if (word.empty()) return false;
  bool all_hex = true;
  size_t slashes = 0;
  size_t at_sign = std::string_view::npos;
  for (size_t idx = 0; idx < word.size(); ++idx) {
    char c = word[idx];
    uint16_t cls = Class(c);
    if ((cls & kDigitChar) != 0) return true;
    if ((cls & kHexChar) == 0) all_hex = false;
    if (c == '/') ++slashes;
    if (c == '\\') return true;  // a Windows path or an escape sequence
    if (c == '@' && at_sign == std::string_view::npos) at_sign = idx;
  }
  if (word.size() > 1 && (word[0] == '/' || (word[0] == '~' && word[1] == '/'))) return true;
  if (slashes >= 2) return true;
  if (all_hex && word.size() >= 8) return true;
  if (at_sign != std::string_view::npos && at_sign > 0 &&
      word.find('.', at_sign) != std::string_view::npos) {
    return true;
  }
  return IsHostName(word);
}

std::string_view TokenText(std::string_view message, const Token& token) {
  switch (token.kind) {
    case TokenKind::kVar: return "<*>";
    case TokenKind::kEmpty: return "<>";
    default: return message.substr(token.begin, token.size);
  }
}

void Tokenize(std::string_view message, size_t max_tokens, std::vector<Token>* out) {
  out->clear();
  if (max_tokens < 2) max_tokens = 2;
  Emitter emitter(out, max_tokens - 1);
  const size_t size = message.size();
  size_t pos = 0;
  bool space = false;
  while (pos < size) {
    if (IsSpace(message[pos])) {
      space = true;
      ++pos;
      continue;
    }
    if (emitter.full()) {
      // Too many tokens: the rest of the message is one variable.
      out->push_back(Token{static_cast<uint32_t>(pos), static_cast<uint32_t>(size - pos),
                           TokenKind::kVar, space});
      break;
    }
    if (message[pos] == kPinnedMarker) {
      size_t close = message.find(kPinnedMarker, pos + 1);
      if (close == std::string_view::npos) close = size;
      out->push_back(Token{static_cast<uint32_t>(pos + 1), static_cast<uint32_t>(close - pos - 1),
                           TokenKind::kPinned, space && !out->empty()});
      space = false;
      pos = close < size ? close + 1 : size;
      continue;
    }
    size_t end = pos;
    uint16_t seen = 0;
    for (; end < size; ++end) {
      uint16_t cls = Class(message[end]);
      if ((cls & kStopChar) != 0) break;
      seen |= cls;
    }
    SplitWord(message, pos, end, space && !out->empty(), (seen & kColonChar) != 0, &emitter);
    space = false;
    pos = end;
  }

  // Month/weekday names next to a number or another date name are part of a date.
  std::vector<Token>& tokens = *out;
  const size_t count = tokens.size();
  auto is_date_word = [&](size_t idx) {
    return tokens[idx].kind == TokenKind::kWord &&
           IsDateName(message.substr(tokens[idx].begin, tokens[idx].size));
  };
  for (size_t idx = 0; idx < count; ++idx) {
    if (!is_date_word(idx)) continue;
    bool left = idx > 0 && (tokens[idx - 1].kind == TokenKind::kVar || is_date_word(idx - 1));
    bool right =
        idx + 1 < count && (tokens[idx + 1].kind == TokenKind::kVar || is_date_word(idx + 1));
    if (left || right) tokens[idx].kind = TokenKind::kVar;
  }

  // Collapse runs: var var -> var; var joiner var -> var (no whitespace around the joiner).
  size_t write = 0;
  for (size_t read = 0; read < count; ++read) {
    const Token token = tokens[read];
    if (token.kind == TokenKind::kVar && write > 0) {
      Token& prev = tokens[write - 1];
      if (prev.kind == TokenKind::kVar) {
        prev.size = token.begin + token.size - prev.begin;
        continue;
      }
      if (write > 1 && prev.kind == TokenKind::kDelim && !prev.space_before &&
          !token.space_before && (Class(message[prev.begin]) & kJoinerChar) != 0 &&
          tokens[write - 2].kind == TokenKind::kVar) {
        Token& run = tokens[write - 2];
        run.size = token.begin + token.size - run.begin;
        --write;
        continue;
      }
    }
    tokens[write++] = token;
  }
  tokens.resize(write);
}

}  // namespace cairn::cluster::internal
