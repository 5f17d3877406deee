// The keyword scope (spec §2): exact matching in C++ and the keyword-index prefilter.
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <functional>

#include "engine/common/strings.h"
#include "engine/query/exec_internal.h"
#include "engine/query/parser.h"
#include "engine/store/keyword_index.h"

namespace cairn::query {

namespace {

bool IsTermChar(unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; }

constexpr const char* kTermClass = "[A-Za-z0-9_\\x80-\\xff]";

void AppendEscaped(std::string* out, char c) {
  if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
    *out += c;
  } else {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
    *out += buf;
  }
}

// Keyword-index lookup (engine/store/keyword_index.h) for a keyword, a superset of its exact
// matches: every maximal run of word characters (and, in a bare term, wildcards) in it is a whole
// word of a matching event, so the lookup is the AND of the runs: a whole key for a run without
// wildcards, the prefix before the first wildcard otherwise ("*abc" and "?x" say nothing). Empty
// when the index cannot help.
std::string KwForKeyword(std::string_view text, bool phrase) {
  auto wild = [&](char c) { return !phrase && (c == '*' || c == '?'); };
  std::vector<std::string> keys;
  size_t pos = 0;
  while (pos < text.size()) {
    if (!IsTermChar(static_cast<unsigned char>(text[pos])) && !wild(text[pos])) {
      ++pos;
      continue;
    }
    size_t start = pos;
    size_t literal_end = std::string_view::npos;
    while (pos < text.size() && (IsTermChar(static_cast<unsigned char>(text[pos])) || wild(text[pos]))) {
      if (wild(text[pos]) && literal_end == std::string_view::npos) literal_end = pos;
      ++pos;
    }
    bool whole = literal_end == std::string_view::npos;
    std::string_view literal = text.substr(start, (whole ? pos : literal_end) - start);
    if (literal.empty()) continue;
    std::string key;
    for (char c : literal) key += static_cast<char>(store::kKeywordFold[static_cast<unsigned char>(c)]);
    if (!whole) key += '*';
    keys.push_back(std::move(key));
  }
  if (keys.empty()) return "";
  if (keys.size() == 1) return keys[0];
  return "(& " + Join(keys, " ") + ")";
}


}  // namespace

Result<std::shared_ptr<CompiledRegex>> CompileKeyword(std::string_view text, bool phrase) {
  std::string re;
  auto term_or_wild = [&](char c) {
    return IsTermChar(static_cast<unsigned char>(c)) || (!phrase && (c == '*' || c == '?'));
  };
  if (!text.empty() && term_or_wild(text.front())) re += "(?<![A-Za-z0-9_\\x80-\\xff])";
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!phrase && c == '*') {
      bool left = i > 0 && IsTermChar(static_cast<unsigned char>(text[i - 1]));
      bool right = i + 1 < text.size() && IsTermChar(static_cast<unsigned char>(text[i + 1]));
      re += kTermClass;
      re += (left || right) ? "*" : "+";
      continue;
    }
    if (!phrase && c == '?') {
      re += kTermClass;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      while (i + 1 < text.size() && (text[i + 1] == ' ' || text[i + 1] == '\t' || text[i + 1] == '\n' ||
                                     text[i + 1] == '\r')) {
        ++i;
      }
      re += "\\s+";
      continue;
    }
    AppendEscaped(&re, c);
  }
  if (!text.empty() && term_or_wild(text.back())) re += "(?![A-Za-z0-9_\\x80-\\xff])";
  CompiledRegex::Options opts;
  opts.caseless = true;
  return CompiledRegex::Compile(re, opts);
}

struct ScopeMatcher::Node {
  ScopeNode::Kind kind = ScopeNode::Kind::kAll;
  std::vector<std::unique_ptr<Node>> children;
  std::shared_ptr<CompiledRegex> regex;
  std::string meta_name;
  std::string meta_value;
  bool meta_quoted = false;
  // source id -> match, for metadata predicates not depending on the event
  std::unordered_map<int64_t, bool> by_source;
};

ScopeMatcher::~ScopeMatcher() = default;

namespace {

bool MetaMatches(const std::string& pattern, bool quoted, std::string_view value) {
  if (quoted) return EqualsIgnoreCase(pattern, value);
  return GlobMatch(pattern, value, true, true);
}

bool SourceMeta(const std::string& name, const std::string& pattern, bool quoted, const SourceInfo& s) {
  if (name == "_sourcecategory") {
    return std::any_of(s.categories.begin(), s.categories.end(),
                       [&](const std::string& c) { return MetaMatches(pattern, quoted, c); });
  }
  if (name == "_sourcename") return MetaMatches(pattern, quoted, s.name.empty() ? s.path : s.name);
  if (name == "_source") return MetaMatches(pattern, quoted, s.name.empty() ? s.path : s.name);
  if (name == "_collector") return MetaMatches(pattern, quoted, "local");
  if (name == "_sourcehost") return !s.host.empty() && MetaMatches(pattern, quoted, s.host);
  return false;  // _index, _view: no such metadata in a case
}

struct SqlFrag {
  bool pure_kw = false;  // expressible as one keyword-index lookup (in kw)
  std::string kw;
  std::string sql;        // otherwise a SQL condition; empty = no constraint
};

}  // namespace

Result<std::unique_ptr<ScopeMatcher>> ScopeMatcher::Create(
    const ScopeNode& scope, const std::unordered_map<int64_t, SourceInfo>* sources,
    std::string_view query_text) {
  std::unique_ptr<ScopeMatcher> m(new ScopeMatcher());
  m->sources_ = sources;
  // Build nodes.
  std::function<Result<std::unique_ptr<Node>>(const ScopeNode&)> build =
      [&](const ScopeNode& s) -> Result<std::unique_ptr<Node>> {
    auto n = std::make_unique<Node>();
    n->kind = s.kind;
    switch (s.kind) {
      case ScopeNode::Kind::kTerm:
      case ScopeNode::Kind::kPhrase: {
        auto re = CompileKeyword(s.text, s.kind == ScopeNode::Kind::kPhrase);
        if (!re.ok()) {
          return std::move(Error::Parse("cannot use keyword '" + s.text + "': " + re.error().message())
                               .WithSpan(SpanAt(query_text, s.span.offset, s.span.length)));
        }
        n->regex = std::move(re).value();
        m->plan_.needs_raw = true;
        break;
      }
      case ScopeNode::Kind::kMeta:
        n->meta_name = s.meta_name;
        n->meta_value = s.text;
        n->meta_quoted = s.meta_quoted;
        if (s.meta_name == "_sourcehost") m->plan_.needs_host = true;
        for (const auto& [id, info] : *sources) {
          n->by_source[id] = SourceMeta(s.meta_name, s.text, s.meta_quoted, info);
        }
        break;
      default:
        for (const auto& c : s.children) {
          CAIRN_ASSIGN_OR_RETURN(auto child, build(c));
          n->children.push_back(std::move(child));
        }
    }
    return n;
  };
  CAIRN_ASSIGN_OR_RETURN(m->root_, build(scope));

  // SQL prefilter (a superset of the exact matches).
  std::vector<std::string>& params = m->plan_.params;
  bool used_fts = false;
  std::function<SqlFrag(const ScopeNode&)> frag = [&](const ScopeNode& s) -> SqlFrag {
    SqlFrag f;
    switch (s.kind) {
      case ScopeNode::Kind::kAll: return f;
      case ScopeNode::Kind::kTerm:
      case ScopeNode::Kind::kPhrase: {
        std::string kw = KwForKeyword(s.text, s.kind == ScopeNode::Kind::kPhrase);
        if (!kw.empty()) {
          f.pure_kw = true;
          f.kw = kw;
        }
        return f;
      }
      case ScopeNode::Kind::kMeta: {
        if (s.meta_name == "_sourcehost") return f;
        std::vector<int64_t> matching;
        for (const auto& [id, info] : *sources) {
          if (SourceMeta(s.meta_name, s.text, s.meta_quoted, info)) matching.push_back(id);
        }
        std::sort(matching.begin(), matching.end());
        std::string ids;
        for (int64_t id : matching) {
          if (!ids.empty()) ids += ",";
          ids += std::to_string(id);
        }
        f.sql = ids.empty() ? "0" : "e.source_id IN (" + ids + ")";
        return f;
      }
      case ScopeNode::Kind::kNot: {
        const ScopeNode& c = s.children[0];
        if (c.kind == ScopeNode::Kind::kMeta && c.meta_name != "_sourcehost") {
          SqlFrag inner = frag(c);
          f.sql = "NOT (" + inner.sql + ")";
        }
        return f;
      }
      case ScopeNode::Kind::kAnd: {
        std::vector<std::string> kw, sql;
        for (const auto& c : s.children) {
          SqlFrag cf = frag(c);
          if (cf.pure_kw) kw.push_back(cf.kw);
          else if (!cf.sql.empty()) sql.push_back(cf.sql);
        }
        if (sql.empty() && !kw.empty()) {
          f.pure_kw = true;
          f.kw = kw.size() == 1 ? kw[0] : "(& " + Join(kw, " ") + ")";
          return f;
        }
        if (!kw.empty()) {
          params.push_back(kw.size() == 1 ? kw[0] : "(& " + Join(kw, " ") + ")");
          used_fts = true;
          sql.push_back(kKeywordLookupSql);
          if (&s == &scope) m->plan_.required_kw = params.back();
        }
        if (!sql.empty()) f.sql = "(" + Join(sql, " AND ") + ")";
        return f;
      }
      case ScopeNode::Kind::kOr: {
        std::vector<SqlFrag> parts;
        for (const auto& c : s.children) {
          SqlFrag cf = frag(c);
          if (!cf.pure_kw && cf.sql.empty()) return SqlFrag{};  // one side unconstrained
          parts.push_back(cf);
        }
        bool all_kw = std::all_of(parts.begin(), parts.end(), [](const SqlFrag& p) { return p.pure_kw; });
        if (all_kw) {
          std::vector<std::string> kw;
          for (auto& p : parts) kw.push_back(p.kw);
          f.pure_kw = true;
          f.kw = "(| " + Join(kw, " ") + ")";
          return f;
        }
        std::vector<std::string> sql;
        for (auto& p : parts) {
          if (p.pure_kw) {
            params.push_back(p.kw);
            used_fts = true;
            sql.push_back(kKeywordLookupSql);
          } else {
            sql.push_back(p.sql);
          }
        }
        f.sql = "(" + Join(sql, " OR ") + ")";
        return f;
      }
    }
    return f;
  };
  SqlFrag top = frag(scope);
  if (top.pure_kw) {
    params.push_back(top.kw);
    used_fts = true;
    m->plan_.where_sql = kKeywordLookupSql;
    m->plan_.required_kw = top.kw;
  } else {
    m->plan_.where_sql = top.sql;
  }
  m->plan_.used_fts = used_fts;

  // Exact by the index: see ScopePlan::kw_exact.
  auto exact_keyword = [](const ScopeNode& s) {
    if (s.kind != ScopeNode::Kind::kTerm && s.kind != ScopeNode::Kind::kPhrase) return false;
    if (s.text.empty() || s.text.size() >= store::kMaxKeywordBytes) return false;
    return std::all_of(s.text.begin(), s.text.end(), [](char c) {
      unsigned char u = static_cast<unsigned char>(c);
      return u < 0x80 && (std::isalnum(u) || u == '_');
    });
  };
  std::function<bool(const ScopeNode&)> keyword_free = [&](const ScopeNode& s) {
    if (s.kind == ScopeNode::Kind::kTerm || s.kind == ScopeNode::Kind::kPhrase) return false;
    if (s.kind == ScopeNode::Kind::kMeta && s.meta_name == "_sourcehost") return false;
    return std::all_of(s.children.begin(), s.children.end(), keyword_free);
  };
  if (!m->plan_.required_kw.empty()) {
    if (scope.kind == ScopeNode::Kind::kAnd) {
      m->plan_.kw_exact = std::all_of(scope.children.begin(), scope.children.end(),
                                      [&](const ScopeNode& c) { return exact_keyword(c) || keyword_free(c); });
    } else {
      m->plan_.kw_exact = exact_keyword(scope);
    }
  }
  return m;
}

bool ScopeMatcher::trivial() const { return root_->kind == ScopeNode::Kind::kAll; }

bool ScopeMatcher::Matches(std::string_view raw, int64_t source_id, std::string_view host) const {
  return Eval(*root_, raw, source_id, host);
}

bool ScopeMatcher::MatchesSource(int64_t source_id) const {
  return Eval(*root_, std::string_view(), source_id, std::string_view(), true);
}

bool ScopeMatcher::Eval(const Node& n, std::string_view raw, int64_t source_id, std::string_view host,
                        bool keywords_found) const {
  switch (n.kind) {
    case ScopeNode::Kind::kAll: return true;
    case ScopeNode::Kind::kTerm:
    case ScopeNode::Kind::kPhrase: return keywords_found || n.regex->Matches(raw);
    case ScopeNode::Kind::kMeta: {
      if (n.meta_name == "_sourcehost" && !host.empty()) {
        return MetaMatches(n.meta_value, n.meta_quoted, host);
      }
      auto it = n.by_source.find(source_id);
      return it != n.by_source.end() && it->second;
    }
    case ScopeNode::Kind::kNot: return !Eval(*n.children[0], raw, source_id, host, keywords_found);
    case ScopeNode::Kind::kAnd:
      for (const auto& c : n.children) {
        if (!Eval(*c, raw, source_id, host, keywords_found)) return false;
      }
      return true;
    case ScopeNode::Kind::kOr:
      for (const auto& c : n.children) {
        if (Eval(*c, raw, source_id, host, keywords_found)) return true;
      }
      return false;
  }
  return false;
}

}  // namespace cairn::query
