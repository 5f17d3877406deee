// Selective JSON scanners for the json operator; see json_scan_internal.h.
//
// Validation follows RFC 8259 as strictly as the reference parser (nlohmann::json): UTF-8 by the
// ranges of Unicode table 3-7, no raw control characters in strings, escapes including paired
// surrogates, the number grammar with finite floats only, literals, nothing after the value.
#include "engine/common/json_scan.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace cairn {

namespace {

constexpr int kMaxNesting = 256;

bool IsWs(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

void AppendUtf8(std::string* out, uint32_t cp) {
  if (cp < 0x80) {
    *out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    *out += static_cast<char>(0xC0 | (cp >> 6));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *out += static_cast<char>(0xE0 | (cp >> 12));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    *out += static_cast<char>(0xF0 | (cp >> 18));
    *out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    *out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    *out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// A validating cursor over the text. Every method leaves `p` after what it read and returns
// false on anything the reference parser would reject (or that we do not handle exactly).
struct Cursor {
  const char* p;
  const char* end;

  void Ws() {
    while (p < end && IsWs(*p)) ++p;
  }
  bool Peek(char c) const { return p < end && *p == c; }

  // One UTF-8 sequence starting with a byte >= 0x80.
  bool Utf8() {
    auto u = [&](const char* q) { return static_cast<unsigned char>(*q); };
    unsigned char c = u(p);
    auto cont = [&](int k, unsigned char lo, unsigned char hi) {
      if (end - p <= k) return false;
      unsigned char b = u(p + k);
      return b >= lo && b <= hi;
    };
    if (c < 0xC2) return false;
    if (c < 0xE0) {
      if (!cont(1, 0x80, 0xBF)) return false;
      p += 2;
      return true;
    }
    if (c < 0xF0) {
      unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
      if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF)) return false;
      p += 3;
      return true;
    }
    if (c < 0xF5) {
      unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
      if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF) || !cont(3, 0x80, 0xBF)) return false;
      p += 4;
      return true;
    }
    return false;
  }

  bool Hex4(uint32_t* cp) {
    if (end - p < 4) return false;
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      int d = HexDigit(p[k]);
      if (d < 0) return false;
      v = v * 16 + static_cast<uint32_t>(d);
    }
    p += 4;
    *cp = v;
    return true;
  }

  // Moves p to the first byte at or after it that ends a plain run inside a string: '"', '\\',
  // a control character or a byte >= 0x80 (or to end). Sixteen bytes at a time where it can.
  void PlainRun() {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
      __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
      // Signed: bytes >= 0x80 are negative, so one compare finds them and the controls.
      __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                 _mm_cmplt_epi8(v, space));
      unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hit));
      if (mask != 0) {
        p += __builtin_ctz(mask);
        return;
      }
      p += 16;
    }
#endif
    while (p < end) {
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) return;
      ++p;
    }
  }

  // A string at '"'. When `out` is given, the unescaped text is appended to it. `*escaped`
  // (when given) tells whether the string held an escape, i.e. whether its unescaped text
  // differs from the bytes between the quotes.
  bool String(std::string* out, bool* escaped = nullptr) {
    ++p;
    const char* run = p;
    if (escaped) *escaped = false;
    while (true) {
      PlainRun();
      if (p >= end) return false;
      unsigned char c = static_cast<unsigned char>(*p);
      if (c == '"') {
        if (out) out->append(run, static_cast<size_t>(p - run));
        ++p;
        return true;
      }
      if (c < 0x20) return false;
      if (c >= 0x80) {
        if (!Utf8()) return false;
        continue;
      }
      // A backslash.
      if (escaped) *escaped = true;
      if (out) out->append(run, static_cast<size_t>(p - run));
      ++p;
      if (p >= end) return false;
      char e = *p++;
      char simple = 0;
      switch (e) {
        case '"': simple = '"'; break;
        case '\\': simple = '\\'; break;
        case '/': simple = '/'; break;
        case 'b': simple = '\b'; break;
        case 'f': simple = '\f'; break;
        case 'n': simple = '\n'; break;
        case 'r': simple = '\r'; break;
        case 't': simple = '\t'; break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xDC00 && cp <= 0xDFFF) return false;  // a low surrogate first
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = 0;
            if (end - p < 2 || p[0] != '\\' || p[1] != 'u') return false;
            p += 2;
            if (!Hex4(&lo) || lo < 0xDC00 || lo > 0xDFFF) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          if (out) AppendUtf8(out, cp);
          break;
        }
        default: return false;
      }
      if (simple && out) *out += simple;
      run = p;
    }
  }

  // A string at '"' read as a key: *key views the unescaped text, which is the text itself
  // when the key has no escape (no copy) and else is decoded into *scratch.
  bool Key(std::string* scratch, std::string_view* key) {
    const char* start = p + 1;
    bool escaped = false;
    if (!String(nullptr, &escaped)) return false;
    if (!escaped) {
      *key = std::string_view(start, static_cast<size_t>(p - 1 - start));
      return true;
    }
    scratch->clear();
    Cursor again{start - 1, end};
    again.String(scratch);
    *key = *scratch;
    return true;
  }

  bool Number() {
    const char* start = p;
    if (Peek('-')) ++p;
    if (p >= end) return false;
    if (*p == '0') {
      ++p;
    } else if (*p >= '1' && *p <= '9') {
      while (p < end && *p >= '0' && *p <= '9') ++p;
    } else {
      return false;
    }
    size_t int_digits = static_cast<size_t>(p - start) - (*start == '-' ? 1 : 0);
    bool is_float = false;
    if (Peek('.')) {
      ++p;
      if (p >= end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p;
      is_float = true;
    }
    if (Peek('e') || Peek('E')) {
      ++p;
      if (Peek('+') || Peek('-')) ++p;
      if (p >= end || *p < '0' || *p > '9') return false;
      while (p < end && *p >= '0' && *p <= '9') ++p;
      is_float = true;
    }
    if (!is_float) return int_digits < 19;  // longer integers: let the reference parser decide
    size_t n = static_cast<size_t>(p - start);
    char buf[64];
    if (n < sizeof buf) {  // strtod needs a terminated copy; no allocation for usual tokens
      std::memcpy(buf, start, n);
      buf[n] = '\0';
      return std::isfinite(std::strtod(buf, nullptr));
    }
    std::string token(start, n);
    return std::isfinite(std::strtod(token.c_str(), nullptr));
  }

  bool Literal(const char* word) {
    size_t n = std::strlen(word);
    if (static_cast<size_t>(end - p) < n || std::memcmp(p, word, n) != 0) return false;
    p += n;
    return true;
  }

  // The members of an object (at '{') or the elements of an array (at '['): each member's key
  // is read (its unescaped text into *key when given, see Key()), then `value()` reads the
  // value at the cursor.
  template <class F>
  bool Items(std::string* scratch, std::string_view* key, F&& value) {
    bool object = *p == '{';
    char close = object ? '}' : ']';
    ++p;
    Ws();
    if (Peek(close)) {
      ++p;
      return true;
    }
    while (true) {
      Ws();
      if (object) {
        if (!Peek('"')) return false;
        if (key ? !Key(scratch, key) : !String(nullptr)) return false;
        Ws();
        if (!Peek(':')) return false;
        ++p;
        Ws();
      }
      if (!value()) return false;
      Ws();
      if (Peek(',')) {
        ++p;
        continue;
      }
      if (Peek(close)) {
        ++p;
        return true;
      }
      return false;
    }
  }

  // Any value; `depth` counts the containers around it.
  bool Skip(int depth) {
    if (p >= end) return false;
    switch (*p) {
      case '"': return String(nullptr);
      case 't': return Literal("true");
      case 'f': return Literal("false");
      case 'n': return Literal("null");
      case '{':
      case '[':
        if (depth >= kMaxNesting) return false;
        return Items(nullptr, nullptr, [&] { return Skip(depth + 1); });
      default: return Number();
    }
  }

  // A value as a span.
  bool Value(int depth, JsonSpan* span) {
    const char* start = p;
    if (p >= end) return false;
    switch (*p) {
      case '"': span->kind = JsonKind::kString; break;
      case 't': span->kind = JsonKind::kTrue; break;
      case 'f': span->kind = JsonKind::kFalse; break;
      case 'n': span->kind = JsonKind::kNull; break;
      case '{': span->kind = JsonKind::kObject; break;
      case '[': span->kind = JsonKind::kArray; break;
      default: span->kind = JsonKind::kNumber; break;
    }
    if (!Skip(depth)) return false;
    span->text = std::string_view(start, static_cast<size_t>(p - start));
    return true;
  }
};

void AppendPathKey(std::string* path, std::string_view key) {
  size_t at = path->size();
  path->resize(at + key.size());
  char* out = path->data() + at;
  for (char c : key) {
    if (c == ' ') c = '_';
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    *out++ = c;
  }
}

}  // namespace

std::string JsonScalarText(const JsonSpan& span) {
  std::string out;
  AppendJsonScalarText(span, &out);
  return out;
}

void AppendJsonScalarText(const JsonSpan& span, std::string* out) {
  switch (span.kind) {
    case JsonKind::kTrue: *out += "true"; return;
    case JsonKind::kFalse: *out += "false"; return;
    case JsonKind::kNumber:
      if (span.text == "-0") *out += '0';
      else *out += span.text;
      return;
    case JsonKind::kString: {
      if (span.text.size() >= 2 && std::memchr(span.text.data(), '\\', span.text.size()) == nullptr) {
        *out += span.text.substr(1, span.text.size() - 2);  // validated by the scanner: no escapes
        return;
      }
      Cursor c{span.text.data(), span.text.data() + span.text.size()};
      c.String(out);
      return;
    }
    default: return;
  }
}

// ---- json auto ---------------------------------------------------------------------------

JsonAutoScanner::JsonAutoScanner(int maxdepth, bool extract_arrays, const std::vector<std::string>& interest)
    : maxdepth_(maxdepth), extract_arrays_(extract_arrays) {
  for (size_t i = 0; i < interest.size(); ++i) {
    const std::string& path = interest[i];
    interest_.emplace(path, i);
    if (interest_lengths_.size() <= path.size()) interest_lengths_.resize(path.size() + 1);
    interest_lengths_[path.size()] = true;
    for (size_t k = 1; k < path.size(); ++k) {
      if (path[k] != '.' && path[k] != '[') continue;
      prefixes_[path.substr(0, k)] = true;
      if (prefix_lengths_.size() <= k) prefix_lengths_.resize(k + 1);
      prefix_lengths_[k] = true;
    }
  }
}

struct JsonAutoScanner::Walker {
  JsonAutoScanner& s;
  Cursor c;
  const std::function<void(size_t, const JsonSpan&)>& leaf;
  const std::function<void(int64_t)>& others;
  const std::function<void(std::string_view, const JsonSpan&)>* all;  // ScanAll's callback
  std::string path;     // lower-case flattened path of the value being read
  std::string scratch;  // an escaped key, unescaped
  std::string_view key;
  int64_t pending = 0;

  void Flush() {
    if (pending > 0) others(pending);
    pending = 0;
  }
  void Leaf(const JsonSpan& span, bool counting) {
    if (all) {
      (*all)(path, span);
      return;
    }
    if (!counting && path.size() < s.interest_lengths_.size() && s.interest_lengths_[path.size()]) {
      auto it = s.interest_.find(path);
      if (it != s.interest_.end()) {
        Flush();
        leaf(it->second, span);
        return;
      }
    }
    ++pending;
  }
  bool Wanted(size_t len) const {
    if (all) return true;
    return (len < s.interest_lengths_.size() && s.interest_lengths_[len]) ||
           (len < s.prefix_lengths_.size() && s.prefix_lengths_[len]);
  }
  bool Leads() const {
    if (all) return true;
    return path.size() < s.prefix_lengths_.size() && s.prefix_lengths_[path.size()] && s.prefixes_.count(path) > 0;
  }

  // The members of an object at '{', flattened at `depth` (members of the root are at 1).
  bool Object(int depth, bool counting) {
    if (depth > kMaxNesting) return false;
    size_t base = path.size();
    bool ok = c.Items(&scratch, counting ? nullptr : &key, [&] {
      if (!counting) {
        // A path of a length no interest or prefix has is neither, and nothing under it is an
        // interest: the member is only counted, and its path need not be built.
        size_t len = base + (base > 0 ? 1 : 0) + key.size();
        if (!Wanted(len)) return Member(depth, true);
        path.resize(base);
        if (base > 0) path += '.';
        AppendPathKey(&path, key);
      }
      return Member(depth, counting);
    });
    if (!counting) path.resize(base);
    return ok;
  }

  bool Member(int depth, bool counting) {
    if (c.p >= c.end) return false;
    bool at_max = s.maxdepth_ != 0 && depth >= s.maxdepth_;
    if (*c.p == '{' && !at_max) {
      const char* start = c.p;
      Cursor peek{c.p + 1, c.end};
      peek.Ws();
      if (peek.Peek('}')) {  // an empty object is a leaf of its own
        c.p = peek.p + 1;
        Leaf({JsonKind::kObject, std::string_view(start, static_cast<size_t>(c.p - start))}, counting);
        return true;
      }
      return Object(depth + 1, counting || !Leads());
    }
    if (*c.p == '[' && !at_max) return Array(depth, counting);
    JsonSpan span;
    if (!c.Value(depth, &span)) return false;
    Leaf(span, counting);
    return true;
  }

  bool Array(int depth, bool counting) {
    const char* start = c.p;
    // First pass: validate, and learn whether it is empty or holds only scalars.
    bool empty = true, scalars = true;
    bool ok = c.Items(nullptr, nullptr, [&] {
      if (c.Peek('{') || c.Peek('[')) scalars = false;
      empty = false;
      return c.Skip(depth + 1);
    });
    if (!ok) return false;
    if (empty || (scalars && !s.extract_arrays_)) {
      Leaf({JsonKind::kArray, std::string_view(start, static_cast<size_t>(c.p - start))}, counting);
      return true;
    }
    const char* after = c.p;
    bool descend = !counting && Leads();
    // Second pass: one leaf per element, objects flattened further while within maxdepth.
    c.p = start + 1;
    size_t base = path.size();
    for (size_t i = 0;; ++i) {
      c.Ws();
      if (c.Peek(']')) break;
      if (descend) {
        path.resize(base);
        path += '[';
        path += std::to_string(i);
        path += ']';
      }
      bool object = c.Peek('{');
      if (object && (s.maxdepth_ == 0 || depth + 1 < s.maxdepth_)) {
        if (!Object(depth + 1, !descend || !Leads())) return false;
      } else {
        JsonSpan span;
        if (!c.Value(depth + 1, &span)) return false;
        Leaf(span, !descend);
      }
      c.Ws();
      if (c.Peek(',')) ++c.p;
    }
    if (descend) path.resize(base);
    c.p = after;
    return true;
  }
};

bool JsonAutoScanner::Scan(std::string_view text, const std::function<void(size_t, const JsonSpan&)>& leaf,
                           const std::function<void(int64_t)>& others) {
  Walker w{*this, Cursor{text.data(), text.data() + text.size()}, leaf, others, nullptr, {}, {}, {}, 0};
  w.c.Ws();
  if (!w.c.Peek('{')) return false;
  if (!w.Object(1, false)) return false;
  w.c.Ws();
  if (w.c.p != w.c.end) return false;
  w.Flush();
  return true;
}

bool JsonAutoScanner::ScanAll(std::string_view text,
                              const std::function<void(std::string_view, const JsonSpan&)>& leaf) {
  static const std::function<void(size_t, const JsonSpan&)> kNoLeaf = [](size_t, const JsonSpan&) {};
  static const std::function<void(int64_t)> kNoOthers = [](int64_t) {};
  Walker w{*this, Cursor{text.data(), text.data() + text.size()}, kNoLeaf, kNoOthers, &leaf, {}, {}, {}, 0};
  w.c.Ws();
  if (!w.c.Peek('{')) return false;
  if (!w.Object(1, false)) return false;
  w.c.Ws();
  return w.c.p == w.c.end;
}

// ---- json with plain keys ----------------------------------------------------------------

bool JsonPathScanner::Supports(std::string_view key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  for (size_t i = 0; i < key.size(); ++i) {
    char c = key[i];
    if (c == '[' || c == ']' || c == '\'' || c == '"' || c == '$' || c == '*') return false;
    if (c == '.' && i + 1 < key.size() && key[i + 1] == '.') return false;
  }
  return true;
}

JsonPathScanner::JsonPathScanner(const std::vector<std::string>& keys) : key_count_(keys.size()) {
  nodes_.emplace_back();
  for (size_t k = 0; k < keys.size(); ++k) {
    size_t node = 0;
    std::string_view rest = keys[k];
    while (true) {
      size_t dot = rest.find('.');
      std::string part(rest.substr(0, dot));
      auto it = nodes_[node].children.find(part);
      size_t next;
      if (it == nodes_[node].children.end()) {
        next = nodes_.size();
        nodes_[node].children.emplace(part, next);
        nodes_.emplace_back();
      } else {
        next = it->second;
      }
      node = next;
      if (dot == std::string_view::npos) break;
      rest = rest.substr(dot + 1);
    }
    nodes_[node].keys.push_back(k);
  }
}

struct JsonPathScanner::Walker {
  JsonPathScanner& s;
  Cursor c;
  std::vector<JsonSpan>* spans;
  std::vector<bool>* found;
  std::vector<bool> seen;
  std::string scratch;
  std::string_view key;

  bool Object(size_t node, int depth) {
    if (depth > kMaxNesting) return false;
    return c.Items(&scratch, &key, [&] {
      const Node& n = s.nodes_[node];
      auto it = n.children.find(key);
      if (it == n.children.end() || seen[it->second]) return c.Skip(depth);
      size_t child = it->second;
      seen[child] = true;  // the first member of a name is the one a path follows
      const char* start = c.p;
      JsonSpan span;
      if (!s.nodes_[child].children.empty() && c.Peek('{')) {
        span.kind = JsonKind::kObject;
        if (!Object(child, depth + 1)) return false;
      } else if (!c.Value(depth, &span)) {
        return false;
      }
      span.text = std::string_view(start, static_cast<size_t>(c.p - start));
      for (size_t k : s.nodes_[child].keys) {
        (*spans)[k] = span;
        (*found)[k] = true;
      }
      return true;
    });
  }
};

bool JsonPathScanner::Scan(std::string_view text, std::vector<JsonSpan>* spans, std::vector<bool>* found) {
  spans->assign(key_count_, JsonSpan{});
  found->assign(key_count_, false);
  Walker w{*this, Cursor{text.data(), text.data() + text.size()}, spans, found,
           std::vector<bool>(nodes_.size(), false), {}, {}};
  w.c.Ws();
  if (!w.c.Peek('{')) return false;
  if (!w.Object(0, 1)) return false;
  w.c.Ws();
  return w.c.p == w.c.end;
}

}  // namespace cairn
