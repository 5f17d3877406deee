#pragma once
// Tokeniser and variable detection of the log clusterer (internal to engine/cluster).

#include <cstdint>
#include <string_view>
#include <vector>

namespace cairn::cluster::internal {

enum class TokenKind : uint8_t {
  kWord,   // constant word
  kVar,    // variable (one or more raw tokens collapsed)
  kDelim,  // one delimiter character
  kEmpty,  // the empty value of "key=" or "()": a slot that may hold a value in other messages
  kPinned, // text between two kPinnedMarker characters: constant, never merged into a variable
};

// PrepareForClustering wraps the values of structured records that must stay as they are
// (CloudTrail eventName, errorCode, ...) in this control character; it never occurs in text logs.
constexpr char kPinnedMarker = '\x1f';

// A token of a message: a view into the message text.
struct Token {
  uint32_t begin = 0;  // byte offset into the message
  uint32_t size = 0;   // bytes
  TokenKind kind = TokenKind::kWord;
  bool space_before = false;  // whitespace precedes it in the message
};

// Splits message into tokens, classifies variables and collapses runs of variables. Clears and
// fills *out; at most max_tokens tokens (the rest becomes one trailing variable). Allocation-free
// once *out has grown to its working size.
void Tokenize(std::string_view message, size_t max_tokens, std::vector<Token>* out);

// The tokens as text ("<*>" for variables, "<>" for empty slots), space separated; for tests.
std::string_view TokenText(std::string_view message, const Token& token);

// True when the sub-token (no whitespace, no delimiter) is variable on its own: holds a digit,
// looks like a path, host name, e-mail address or long hex string.
bool IsVariableWord(std::string_view word);

}  // namespace cairn::cluster::internal
