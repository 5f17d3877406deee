#include "engine/ingest/text_util_internal.h"

namespace cairn::ingest::internal {

size_t SplitFields(std::string_view line, Field* fields, size_t max_fields) {
  size_t count = 0;
  size_t pos = 0;
  const size_t n = line.size();
  while (pos < n && count < max_fields) {
    while (pos < n && line[pos] == ' ') ++pos;
    if (pos >= n) break;
    Field& f = fields[count++];
    f.offset = pos;
    f.quoted = false;
    f.bracketed = false;
    if (line[pos] == '"') {
      size_t start = ++pos;
      while (pos < n && line[pos] != '"') {
        if (line[pos] == '\\' && pos + 1 < n) ++pos;
        ++pos;
      }
      f.text = line.substr(start, pos - start);
      f.quoted = true;
      if (pos < n) ++pos;  // closing quote
      // A quoted field is normally followed by a space; glue anything else to it.
      while (pos < n && line[pos] != ' ') ++pos;
      continue;
    }
    if (line[pos] == '[') {
      size_t close = line.find(']', pos + 1);
      if (close != std::string_view::npos) {
        f.text = line.substr(pos + 1, close - pos - 1);
        f.bracketed = true;
        pos = close + 1;
        continue;
      }
    }
    size_t start = pos;
    while (pos < n && line[pos] != ' ') {
      if (line[pos] == '"') {
        ++pos;
        while (pos < n && line[pos] != '"') {
          if (line[pos] == '\\' && pos + 1 < n) ++pos;
          ++pos;
        }
        if (pos < n) ++pos;
        continue;
      }
      ++pos;
    }
    f.text = line.substr(start, pos - start);
  }
  return count;
}

void AssignUnescaped(std::string_view s, std::string* out) {
  if (s.find('\\') == std::string_view::npos) {
    out->assign(s);
    return;
  }
  out->clear();
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '\\' && k + 1 < s.size() && (s[k + 1] == '"' || s[k + 1] == '\\')) ++k;
    out->push_back(s[k]);
  }
}

bool ParseUint(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 18) return false;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

std::string_view StripPort(std::string_view s) {
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close != std::string_view::npos) return s.substr(1, close - 1);
    return s;
  }
  size_t colon = s.find(':');
  if (colon == std::string_view::npos || s.find(':', colon + 1) != std::string_view::npos) {
    return s;  // no port, or IPv6
  }
  std::string_view port = s.substr(colon + 1);
  if (port.empty()) return s;
  for (char c : port) {
    if (c < '0' || c > '9') return s;
  }
  return s.substr(0, colon);
}

std::string_view TrimLineEnd(std::string_view s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

}  // namespace cairn::ingest::internal
