// File-level helpers: SHA-256, gzip, sources files, globbing, Apache host names.
#include <openssl/evp.h>
#include <zlib.h>

#include <cstring>

#include "engine/common/strings.h"
#include "engine/ingest/ingest.h"

namespace cairn::ingest {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static const char* kHex = "0123456789abcdef";
  std::string out;
  out.reserve(64);
  for (unsigned int k = 0; k < len; ++k) {
    out.push_back(kHex[digest[k] >> 4]);
    out.push_back(kHex[digest[k] & 15]);
  }
  return out;
}

Status Gunzip(std::string_view compressed, std::string* out) {
  out->clear();
  z_stream zs;
  std::memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return Error::Internal("zlib initialisation failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  zs.avail_in = static_cast<uInt>(compressed.size());
  out->reserve(compressed.size() * 6);
  Status result;
  while (true) {
    if (out->capacity() - out->size() < 65536) out->reserve(out->capacity() * 2 + 65536);
    size_t old = out->size();
    size_t room = out->capacity() - old;
    out->resize(old + room);
    zs.next_out = reinterpret_cast<Bytef*>(out->data() + old);
    zs.avail_out = static_cast<uInt>(room);
    int rc = inflate(&zs, Z_NO_FLUSH);
    out->resize(old + (room - zs.avail_out));
    if (rc == Z_STREAM_END) {
      // Skip padding zeros; another gzip member may follow (concatenated .gz).
      while (zs.avail_in > 0 && *zs.next_in == 0) {
        ++zs.next_in;
        --zs.avail_in;
      }
      if (zs.avail_in == 0) break;
      inflateReset(&zs);
      continue;
    }
    if (rc == Z_OK) continue;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      result = Error::CorruptInput("truncated gzip: the compressed data ends after " +
                                   std::to_string(compressed.size()) + " bytes (" +
                                   std::to_string(out->size()) + " bytes recovered)");
      break;
    }
    if (rc == Z_BUF_ERROR) continue;
    result = Error::CorruptInput(std::string("corrupt gzip data at compressed byte ") +
                                 std::to_string(compressed.size() - zs.avail_in) + ": " +
                                 (zs.msg ? zs.msg : "inflate failed") + " (" +
                                 std::to_string(out->size()) + " bytes recovered)");
    break;
  }
  inflateEnd(&zs);
  return result;
}

namespace {

bool GlobMatchAt(std::string_view p, std::string_view s) {
  size_t pi = 0, si = 0;
  // Iterative matcher with backtracking on the last star (separately for '*' and '**').
  size_t star_p = std::string_view::npos, star_s = 0;
  bool star_any = false;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star_any = pi + 1 < p.size() && p[pi + 1] == '*';
      pi += star_any ? 2 : 1;
      if (star_any && pi < p.size() && p[pi] == '/') {
        // "**/" also matches zero directories.
        if (GlobMatchAt(p.substr(pi + 1), s.substr(si))) return true;
      }
      star_p = pi;
      star_s = si;
      continue;
    }
    if (pi < p.size() && (p[pi] == '?' ? s[si] != '/' : p[pi] == s[si])) {
      ++pi;
      ++si;
      continue;
    }
    if (star_p != std::string_view::npos && (star_any || s[star_s] != '/')) {
      pi = star_p;
      si = ++star_s;
      continue;
    }
    return false;
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view path) {
  if (pattern.find('/') == std::string_view::npos) {
    size_t slash = path.rfind('/');
    if (slash != std::string_view::npos) path = path.substr(slash + 1);
  }
  return GlobMatchAt(pattern, path);
}

Result<std::vector<SourceRule>> ParseSourcesFile(std::string_view text, const std::string& name) {
  std::vector<SourceRule> rules;
  int64_t line_no = 0;
  for (std::string_view line : Split(text, '\n')) {
    ++line_no;
    line = Trim(line);
    if (line.empty() || line[0] == '#') continue;
    // Tokens separated by blanks; a value may be "double quoted" to hold spaces.
    std::vector<std::string> tokens;
    size_t p = 0;
    while (p < line.size()) {
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
      if (p >= line.size()) break;
      std::string tok;
      while (p < line.size() && line[p] != ' ' && line[p] != '\t') {
        if (line[p] == '"') {
          size_t close = line.find('"', p + 1);
          if (close == std::string_view::npos) {
            return Error::Parse("unterminated quote in sources file")
                .WithSpan({name, line_no, static_cast<int64_t>(p + 1), -1, 1, std::string(line)});
          }
          tok.append(line.substr(p + 1, close - p - 1));
          p = close + 1;
        } else {
          tok.push_back(line[p++]);
        }
      }
      tokens.push_back(std::move(tok));
    }
    SourceRule rule;
    rule.glob = tokens[0];
    for (size_t k = 1; k < tokens.size(); ++k) {
      const std::string& t = tokens[k];
      size_t eq = t.find('=');
      if (eq == std::string::npos) {
        return Error::Parse("expected key=value, got '" + t + "'")
            .WithSpan({name, line_no, 0, -1, 0, std::string(line)})
            .WithHelp("keys: category (repeatable or comma-separated), host, name, format");
      }
      std::string key = t.substr(0, eq);
      std::string value = t.substr(eq + 1);
      if (key == "category" || key == "categories") {
        for (std::string_view c : Split(value, ',')) {
          if (!Trim(c).empty()) rule.categories.emplace_back(Trim(c));
        }
      } else if (key == "host") {
        rule.host = value;
      } else if (key == "name" || key == "source_name") {
        rule.source_name = value;
      } else if (key == "format") {
        rule.format = value;
      } else {
        return Error::Parse("unknown key '" + key + "' in sources file")
            .WithSpan({name, line_no, 0, -1, 0, std::string(line)})
            .WithHelp("keys: category (repeatable or comma-separated), host, name, format");
      }
    }
    rules.push_back(std::move(rule));
  }
  return rules;
}

namespace {

bool LooksLikeServerName(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  bool letter = false, digit_or_dot = false;
  for (char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      letter = true;
    } else if ((c >= '0' && c <= '9') || c == '.') {
      digit_or_dot = true;
    } else if (c != '-') {
      return false;
    }
  }
  return letter && digit_or_dot;
}

bool IsGenericLogWord(std::string_view s) {
  static constexpr std::string_view kWords[] = {"apache", "apache2", "httpd", "ssl", "other_vhosts",
                                                "logs", "log", "var", "www", "access", "error",
                                                "custom", "default", "site", "sites", "web"};
  std::string lower = ToLower(s);
  for (auto w : kWords) {
    if (lower == w) return true;
  }
  return false;
}

}  // namespace

std::string ApacheHostFromPath(const std::string& path) {
  std::string_view p = path;
  size_t slash = p.rfind('/');
  std::string_view base = slash == std::string_view::npos ? p : p.substr(slash + 1);
  std::string_view dir = slash == std::string_view::npos ? std::string_view() : p.substr(0, slash);
  // Strip compression and rotation suffixes: access.log.2.gz, access_log-20240101.
  for (std::string_view ext : {".gz", ".bz2", ".xz"}) {
    if (EndsWith(base, ext)) base.remove_suffix(ext.size());
  }
  while (!base.empty()) {
    size_t dot = base.find_last_of(".-");
    if (dot == std::string_view::npos) break;
    std::string_view tail = base.substr(dot + 1);
    bool digits = !tail.empty();
    for (char c : tail) digits &= (c >= '0' && c <= '9');
    if (!digits) break;
    base = base.substr(0, dot);
  }
  for (std::string_view suffix : {"access_log", "access.log", "error_log", "error.log",
                                  "access", "error"}) {
    if (!EndsWith(base, suffix)) continue;
    std::string_view stem = base.substr(0, base.size() - suffix.size());
    if (stem.empty()) {
      // access.log inside a directory named after the server.
      size_t ds = dir.rfind('/');
      std::string_view parent = ds == std::string_view::npos ? dir : dir.substr(ds + 1);
      if (LooksLikeServerName(parent) && !IsGenericLogWord(parent)) return std::string(parent);
      return "";
    }
    char sep = stem.back();
    if (sep != '-' && sep != '_' && sep != '.') return "";
    stem.remove_suffix(1);
    if (LooksLikeServerName(stem) && !IsGenericLogWord(stem)) return std::string(stem);
    return "";
  }
  return "";
}

}  // namespace cairn::ingest
