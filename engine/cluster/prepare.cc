// PrepareForClustering: what text of a raw event the clusterer sees. Text lines lose a recognised
// leading timestamp / syslog header; JSON objects (CloudTrail) become a rendering of their
// structure and the values that matter. The JSON reader here is a small tolerant flattener: the
// cluster module has no third-party dependencies and needs only scalar paths.
#include <algorithm>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/cluster/log_cluster.h"
#include "engine/cluster/tokenizer_internal.h"

namespace cairn::cluster {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsBlank(char c) { return c == ' ' || c == '\t'; }

// Matches a pattern against the start of s: 'd' digit, 'D' digit or space, 'U' upper-case letter,
// 'l' lower-case letter, any other char literally.
bool MatchShape(std::string_view s, std::string_view shape) {
  if (s.size() < shape.size()) return false;
  for (size_t idx = 0; idx < shape.size(); ++idx) {
    char c = s[idx];
    switch (shape[idx]) {
      case 'd': if (!IsDigit(c)) return false; break;
      case 'D': if (!IsDigit(c) && c != ' ') return false; break;
      case 'U': if (!IsUpper(c)) return false; break;
      case 'l': if (!IsLower(c)) return false; break;
      default: if (c != shape[idx]) return false; break;
    }
  }
  return true;
}

// Length of a leading "hh:mm:ss" with optional fraction, or 0.
size_t TimeLength(std::string_view s) {
  if (!MatchShape(s, "dd:dd:dd")) return 0;
  size_t len = 8;
  if (len < s.size() && (s[len] == '.' || s[len] == ',')) {
    size_t frac = len + 1;
    while (frac < s.size() && IsDigit(s[frac])) ++frac;
    if (frac > len + 1) len = frac;
  }
  return len;
}

size_t SkipBlanks(std::string_view s, size_t pos) {
  while (pos < s.size() && IsBlank(s[pos])) ++pos;
  return pos;
}

// Length of a recognised leading timestamp or syslog header including the blanks after it, or 0.
size_t LeadingHeaderLength(std::string_view s) {
  // ISO-8601: 2015-07-29T17:41:44.747Z, 2015-07-29 17:41:44,747, with optional zone.
  if (MatchShape(s, "dddd-dd-dd") && s.size() > 11 && (s[10] == 'T' || s[10] == ' ')) {
    size_t time = TimeLength(s.substr(11));
    if (time > 0) {
      size_t pos = 11 + time;
      if (pos < s.size() && s[pos] == 'Z') {
        ++pos;
      } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-') &&
                 (MatchShape(s.substr(pos + 1), "dd:dd") || MatchShape(s.substr(pos + 1), "dddd"))) {
        pos += s[pos + 3] == ':' ? 6 : 5;
      }
      if (pos == s.size() || IsBlank(s[pos])) return SkipBlanks(s, pos);
    }
    return 0;
  }
  // Apache error log: [Sun Dec 04 04:47:44 2005] or [Sun Dec 04 04:47:44.123456 2005].
  if (MatchShape(s, "[Ull Ull dd ")) {
    size_t time = TimeLength(s.substr(12));
    if (time > 0 && MatchShape(s.substr(12 + time), " dddd]")) {
      return SkipBlanks(s, 12 + time + 6);
    }
    return 0;
  }
  // Syslog (RFC 3164): "Jun 14 15:16:01 host " — the host name goes with the timestamp.
  if (MatchShape(s, "Ull Dd ")) {
    size_t time = TimeLength(s.substr(7));
    if (time == 0 || 7 + time >= s.size() || !IsBlank(s[7 + time])) return 0;
    size_t host = SkipBlanks(s, 7 + time);
    size_t host_end = host;
    while (host_end < s.size() && !IsBlank(s[host_end])) ++host_end;
    // Only when something follows the host and the host is not itself the tag ("sshd[1]:").
    if (host_end < s.size() && host_end > host && s[host_end - 1] != ':') {
      return SkipBlanks(s, host_end);
    }
    return SkipBlanks(s, 7 + time);
  }
  return 0;
}

// ---- JSON flattening ----------------------------------------------------------------------

struct JsonField {
  std::string path;   // dotted path of a scalar ("userIdentity.type")
  std::string value;  // the scalar as text (strings unescaped); "[n]" for arrays
};

class JsonFlattener {
 public:
  explicit JsonFlattener(std::string_view text) : text_(text) {}

  bool Parse(std::vector<JsonField>* out) {
    out_ = out;
    std::string path;
    SkipSpace();
    if (!ParseValue(&path, 0)) return false;
    SkipSpace();
    return pos_ == text_.size();
  }

 private:
  static constexpr int kMaxDepth = 8;

  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\n')) {
      ++pos_;
    }
  }

  bool ParseString(std::string* out) {
    if (pos_ >= text_.size() || text_[pos_] != '"') return false;
    ++pos_;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= text_.size()) return false;
      char esc = text_[pos_++];
      switch (esc) {
        case 'n': out->push_back(' '); break;
        case 't': out->push_back(' '); break;
        case 'r': out->push_back(' '); break;
        case 'b': case 'f': break;
        case 'u':
          // Non-ASCII escapes are kept as one placeholder character: only structure matters.
          if (pos_ + 4 > text_.size()) return false;
          pos_ += 4;
          out->push_back('?');
          break;
        default: out->push_back(esc); break;
      }
    }
    return false;
  }

  bool ParseValue(std::string* path, int depth) {
    if (depth > kMaxDepth || pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '{') {
      ++pos_;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == '}') {
        ++pos_;
        return true;
      }
      while (true) {
        SkipSpace();
        std::string key;
        if (!ParseString(&key)) return false;
        SkipSpace();
        if (pos_ >= text_.size() || text_[pos_] != ':') return false;
        ++pos_;
        SkipSpace();
        size_t saved = path->size();
        if (!path->empty()) path->push_back('.');
        path->append(key);
        if (!ParseValue(path, depth + 1)) return false;
        path->resize(saved);
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (pos_ < text_.size() && text_[pos_] == '}') {
          ++pos_;
          return true;
        }
        return false;
      }
    }
    if (c == '[') {
      ++pos_;
      size_t count = 0;
      SkipSpace();
      if (pos_ < text_.size() && text_[pos_] == ']') {
        ++pos_;
      } else {
        while (true) {
          SkipSpace();
          // Array elements are not flattened (their number varies); parse to skip them.
          std::vector<JsonField>* saved_out = out_;
          std::vector<JsonField> discard;
          out_ = &discard;
          bool ok = ParseValue(path, depth + 1);
          out_ = saved_out;
          if (!ok) return false;
          ++count;
          SkipSpace();
          if (pos_ < text_.size() && text_[pos_] == ',') {
            ++pos_;
            continue;
          }
          if (pos_ < text_.size() && text_[pos_] == ']') {
            ++pos_;
            break;
          }
          return false;
        }
      }
      out_->push_back({*path, "[" + std::to_string(count) + "]"});
      return true;
    }
    if (c == '"') {
      std::string value;
      if (!ParseString(&value)) return false;
      out_->push_back({*path, std::move(value)});
      return true;
    }
    size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != ',' && text_[pos_] != '}' && text_[pos_] != ']' &&
           text_[pos_] != ' ' && text_[pos_] != '\n' && text_[pos_] != '\r' && text_[pos_] != '\t') {
      ++pos_;
    }
    if (pos_ == start) return false;
    out_->push_back({*path, std::string(text_.substr(start, pos_ - start))});
    return true;
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::vector<JsonField>* out_ = nullptr;
};

const JsonField* FindField(const std::vector<JsonField>& fields, std::string_view path) {
  for (const JsonField& field : fields) {
    if (field.path == path) return &field;
  }
  return nullptr;
}

// A value the clusterer must keep as it is (never a variable, never merged): between
// kPinnedMarker characters (see tokenizer_internal.h).
void AppendPinned(std::string_view key, std::string_view value, std::string* out) {
  if (!out->empty()) out->push_back(' ');
  out->append(key);
  out->push_back('=');
  out->push_back(internal::kPinnedMarker);
  for (char c : value) {
    if (c != internal::kPinnedMarker) out->push_back(c);
  }
  out->push_back(internal::kPinnedMarker);
}

// Lower-cased last path segment ends like an identifier, time or secret: its value is dropped.
bool IsIdLikeKey(std::string_view path) {
  size_t dot = path.rfind('.');
  std::string key(path.substr(dot == std::string_view::npos ? 0 : dot + 1));
  for (char& c : key) {
    if (IsUpper(c)) c = static_cast<char>(c - 'A' + 'a');
  }
  auto ends = [&](std::string_view suffix) {
    return key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(),
                                                      suffix) == 0;
  };
  return ends("id") || ends("ids") || ends("arn") || ends("time") || ends("date") ||
         ends("token") || ends("key") || ends("uuid") || ends("timestamp") || ends("address") ||
         ends("ip") || ends("agent") || ends("username") || ends("hostname") || ends("account") ||
         ends("signature");
}

// CloudTrail: the fields that say what happened, by whom (kind) and how it ended.
void RenderCloudTrail(const std::vector<JsonField>& fields, std::string* out) {
  static constexpr std::string_view kPinnedPaths[] = {
      "eventSource", "eventName", "eventType", "userIdentity.type", "errorCode",
      "responseElements.ConsoleLogin"};
  for (std::string_view path : kPinnedPaths) {
    const JsonField* field = FindField(fields, path);
    if (field != nullptr && field->value != "null") AppendPinned(path, field->value, out);
  }
  if (const JsonField* message = FindField(fields, "errorMessage")) {
    out->append(" errorMessage: ");
    out->append(message->value);
  }
}

// Other JSON: the scalar fields sorted by path, values of id-like fields dropped.
void RenderGenericJson(std::vector<JsonField> fields, std::string* out) {
  std::stable_sort(fields.begin(), fields.end(),
                   [](const JsonField& a, const JsonField& b) { return a.path < b.path; });
  for (const JsonField& field : fields) {
    if (!out->empty()) out->push_back(' ');
    out->append(field.path);
    out->push_back('=');
    if (!IsIdLikeKey(field.path)) out->append(field.value);
  }
}

}  // namespace

std::string_view PrepareForClustering(std::string_view raw, std::string* scratch) {
  size_t start = 0;
  while (start < raw.size() && (IsBlank(raw[start]) || raw[start] == '\r' || raw[start] == '\n')) {
    ++start;
  }
  std::string_view text = raw.substr(start);
  while (!text.empty() && (text.back() == '\r' || text.back() == '\n' || IsBlank(text.back()))) {
    text.remove_suffix(1);
  }
  if (!text.empty() && text.front() == '{' && text.back() == '}') {
    std::vector<JsonField> fields;
    JsonFlattener flattener(text);
    if (flattener.Parse(&fields)) {
      scratch->clear();
      if (FindField(fields, "eventSource") != nullptr && FindField(fields, "eventName") != nullptr) {
        RenderCloudTrail(fields, scratch);
      } else {
        RenderGenericJson(std::move(fields), scratch);
      }
      return *scratch;
    }
  }
  return text.substr(LeadingHeaderLength(text));
}

std::string PrepareForClustering(std::string_view raw) {
  std::string scratch;
  return std::string(PrepareForClustering(raw, &scratch));
}

}  // namespace cairn::cluster
