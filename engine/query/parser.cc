#include "engine/query/parser.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <optional>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/query/regex_internal.h"

namespace cairn::query {

namespace {

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

const std::vector<std::string> kMetaNames = {"_sourcecategory", "_sourcehost", "_sourcename", "_source",
                                             "_collector",      "_index",      "_view"};
const std::vector<std::string> kAggFuncs = {"count", "count_distinct", "sum", "avg",
                                            "min",   "max",            "stddev", "pct"};

}  // namespace

const std::vector<std::string>& OperatorNames() {
  static const std::vector<std::string> names = {
      "parse", "extract", "json", "where", "timeslice", "count", "count_distinct", "sum", "avg",
      "min", "max", "stddev", "pct", "count_frequent", "top", "transpose", "outlier", "logreduce",
      "summarize", "logcompare", "lookup", "geoip", "sort", "order", "limit", "fields", "fillmissing", "total",
      "if", "num", "number", "tolong", "tostring"};
  return names;
}

const std::vector<std::string>& FunctionNames() {
  static const std::vector<std::string> names = {
      "num", "number", "tolong", "toint", "tostring", "isnull", "isempty", "isblank", "isnumeric",
      "if", "contains", "length", "tolowercase", "touppercase", "trim", "concat", "abs", "round",
      "ceil", "floor", "substring", "replace", "sqrt", "min", "max"};
  return names;
}

const std::vector<std::string>& GeoFieldNames() {
  static const std::vector<std::string> names = {
      "latitude", "longitude", "continent", "country_code", "country_name", "region", "city",
      "state", "postal_code", "connection_type", "country_cf", "state_cf", "city_cf"};
  return names;
}

std::string UnescapeOrdinary(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size() && (body[i + 1] == '"' || body[i + 1] == '\\')) {
      out += body[++i];
    } else {
      out += body[i];
    }
  }
  return out;
}

std::string UnescapeAnchor(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size()) {
      char n = body[i + 1];
      if (n == '"' || n == '\\') { out += n; ++i; continue; }
      if (n == 'n') { out += '\n'; ++i; continue; }
      if (n == 'r') { out += '\r'; ++i; continue; }
      if (n == 't') { out += '\t'; ++i; continue; }
    }
    out += body[i];
  }
  return out;
}

std::string UnescapeRegex(std::string_view body) {
  std::string out;
  out.reserve(body.size());
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == '"') {
      out += '"';
      ++i;
    } else {
      out += body[i];
    }
  }
  return out;
}

std::string StripComments(std::string_view q) {
  std::string out(q);
  size_t i = 0;
  bool after_matches = false;  // a '/' right after 'matches' opens a regex literal
  while (i < out.size()) {
    char c = out[i];
    if (c == '"') {
      ++i;
      while (i < out.size() && out[i] != '"') i += (out[i] == '\\' && i + 1 < out.size()) ? 2 : 1;
      ++i;
      after_matches = false;
      continue;
    }
    if (c == '/' && after_matches) {
      ++i;
      while (i < out.size() && out[i] != '/') i += (out[i] == '\\' && i + 1 < out.size()) ? 2 : 1;
      ++i;
      after_matches = false;
      continue;
    }
    bool at_boundary = i == 0 || IsSpace(out[i - 1]);
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '/' && at_boundary) {
      while (i < out.size() && out[i] != '\n') out[i++] = ' ';
      continue;
    }
    if (c == '/' && i + 1 < out.size() && out[i + 1] == '*' && at_boundary) {
      size_t end = out.find("*/", i + 2);
      size_t stop = end == std::string::npos ? out.size() : end + 2;
      for (; i < stop; ++i) {
        if (out[i] != '\n') out[i] = ' ';
      }
      continue;
    }
    if (IsIdentStart(c)) {
      size_t j = i;
      while (j < out.size() && IsIdentChar(out[j])) ++j;
      after_matches = EqualsIgnoreCase(std::string_view(out).substr(i, j - i), "matches");
      i = j;
      continue;
    }
    if (!IsSpace(c)) after_matches = false;
    ++i;
  }
  return out;
}

SourceSpan SpanAt(std::string_view query, int64_t offset, int64_t length) {
  SourceSpan span;
  span.source = "query";
  offset = std::clamp<int64_t>(offset, 0, static_cast<int64_t>(query.size()));
  size_t line_start = 0;
  int64_t line = 1;
  for (size_t i = 0; i < static_cast<size_t>(offset); ++i) {
    if (query[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  size_t line_end = query.find('\n', line_start);
  if (line_end == std::string_view::npos) line_end = query.size();
  span.line = line;
  span.column = offset - static_cast<int64_t>(line_start) + 1;
  span.offset = offset;
  span.length = std::max<int64_t>(1, std::min<int64_t>(length, static_cast<int64_t>(line_end) - offset));
  span.snippet = std::string(query.substr(line_start, line_end - line_start));
  return span;
}

namespace {

std::string Suggest(std::string_view word, const std::vector<std::string>& candidates) {
  std::string lower = ToLower(word);
  size_t best = std::string::npos;
  std::string best_name;
  for (const auto& c : candidates) {
    size_t d = EditDistance(lower, c);
    if (d < best) {
      best = d;
      best_name = c;
    }
  }
  size_t limit = lower.size() <= 4 ? 1 : (lower.size() <= 8 ? 2 : 3);
  if (best <= limit) return best_name;
  return "";
}

struct Token {
  enum class Kind { kEnd, kIdent, kWord, kString, kFieldRef, kPunct, kPipe };
  Kind kind = Kind::kEnd;
  std::string text;  // ident/word/punct text; string: raw body; fieldref: the name (unescaped)
  int64_t offset = 0;
  int64_t length = 0;
};

class Parser {
 public:
  Parser(std::string_view original, std::string stripped)
      : original_(original), src_(std::move(stripped)) {}

  Result<Pipeline> Run() {
    Pipeline p;
    p.text = std::string(original_);
    CAIRN_ASSIGN_OR_RETURN(p.scope, ParseScope());
    while (true) {
      SkipSpace();
      if (pos_ >= src_.size()) break;
      if (src_[pos_] != '|') return Err("expected '|' before the next operator", pos_, 1);
      size_t bar = pos_;
      ++pos_;
      Op op;
      op.span.offset = static_cast<int64_t>(bar);
      CAIRN_ASSIGN_OR_RETURN(Operator parsed, ParseOperator(bar));
      Token end = Peek();
      size_t stop = static_cast<size_t>(end.offset);
      parsed.text = std::string(Trim(std::string_view(original_).substr(bar + 1, stop - bar - 1)));
      if (end.kind != Token::Kind::kEnd && end.kind != Token::Kind::kPipe) {
        return Err("unexpected '" + end.text + "' at the end of '" + OpName(parsed) + "'",
                   static_cast<size_t>(end.offset), static_cast<size_t>(end.length))
            .WithHelp("operators are separated by '|'");
      }
      p.ops.push_back(std::move(parsed));
    }
    return p;
  }

 private:
  using Op = Operator;

  static std::string OpName(const Operator& op) {
    std::string t = op.text;
    return t.substr(0, t.find(' '));
  }

  Error Err(const std::string& message, size_t offset, size_t length) const {
    return std::move(Error::Parse(message).WithSpan(
        SpanAt(original_, static_cast<int64_t>(offset), static_cast<int64_t>(length))));
  }
  Error Err(const std::string& message, const Token& t) const {
    if (t.kind == Token::Kind::kEnd || t.kind == Token::Kind::kPipe) {
      return Err(message + ", found " + (t.kind == Token::Kind::kEnd ? "the end of the query" : "'|'"),
                 static_cast<size_t>(t.offset), 1);
    }
    return Err(message + ", found '" + t.text + "'", static_cast<size_t>(t.offset),
               static_cast<size_t>(t.length));
  }

  void SkipSpace() {
    while (pos_ < src_.size() && IsSpace(src_[pos_])) ++pos_;
  }

  // ---- scope ------------------------------------------------------------------------------

  Result<ScopeNode> ParseScope() {
    SkipSpace();
    if (pos_ >= src_.size() || src_[pos_] == '|') return ScopeNode{};
    CAIRN_ASSIGN_OR_RETURN(ScopeNode n, ScopeOr());
    SkipSpace();
    if (pos_ < src_.size() && src_[pos_] == ')') {
      return Err("unbalanced ')' in the search expression", pos_, 1);
    }
    return n;
  }

  // Peeks the next scope word (without consuming); returns its lower-case text.
  std::string PeekScopeWord() {
    SkipSpace();
    size_t j = pos_;
    while (j < src_.size() && !IsSpace(src_[j]) && src_[j] != '(' && src_[j] != ')' &&
           src_[j] != '|' && src_[j] != '"') {
      ++j;
    }
    return ToLower(std::string_view(src_).substr(pos_, j - pos_));
  }

  bool ScopeAtEnd() {
    SkipSpace();
    return pos_ >= src_.size() || src_[pos_] == '|' || src_[pos_] == ')';
  }

  Result<ScopeNode> ScopeOr() {
    CAIRN_ASSIGN_OR_RETURN(ScopeNode first, ScopeAnd());
    ScopeNode node;
    node.kind = ScopeNode::Kind::kOr;
    node.children.push_back(std::move(first));
    while (!ScopeAtEnd() && PeekScopeWord() == "or") {
      size_t at = pos_;
      pos_ += 2;
      if (ScopeAtEnd()) return Err("'OR' needs a term on its right", at, 2);
      CAIRN_ASSIGN_OR_RETURN(ScopeNode next, ScopeAnd());
      node.children.push_back(std::move(next));
    }
    if (node.children.size() == 1) return std::move(node.children[0]);
    return node;
  }

  Result<ScopeNode> ScopeAnd() {
    CAIRN_ASSIGN_OR_RETURN(ScopeNode first, ScopeNot());
    ScopeNode node;
    node.kind = ScopeNode::Kind::kAnd;
    node.children.push_back(std::move(first));
    while (!ScopeAtEnd()) {
      std::string w = PeekScopeWord();
      if (w == "or") break;
      if (w == "and") {
        size_t at = pos_;
        pos_ += 3;
        if (ScopeAtEnd()) return Err("'AND' needs a term on its right", at, 3);
      }
      CAIRN_ASSIGN_OR_RETURN(ScopeNode next, ScopeNot());
      node.children.push_back(std::move(next));
    }
    if (node.children.size() == 1) return std::move(node.children[0]);
    return node;
  }

  Result<ScopeNode> ScopeNot() {
    SkipSpace();
    size_t at = pos_;
    bool negate = false;
    if (pos_ < src_.size() && src_[pos_] == '!') {
      ++pos_;
      negate = true;
    } else if (PeekScopeWord() == "not") {
      pos_ += 3;
      negate = true;
    }
    if (negate) {
      if (ScopeAtEnd()) return Err("'NOT' needs a term on its right", at, 3);
      CAIRN_ASSIGN_OR_RETURN(ScopeNode inner, ScopeNot());
      ScopeNode node;
      node.kind = ScopeNode::Kind::kNot;
      node.span = {static_cast<int64_t>(at), static_cast<int64_t>(pos_ - at)};
      node.children.push_back(std::move(inner));
      return node;
    }
    return ScopeAtom();
  }

  Result<std::string> ReadQuotedBody(size_t* start_out) {
    // at '"'
    size_t start = pos_;
    ++pos_;
    size_t body = pos_;
    while (pos_ < src_.size() && src_[pos_] != '"') {
      pos_ += (src_[pos_] == '\\' && pos_ + 1 < src_.size()) ? 2 : 1;
    }
    if (pos_ >= src_.size()) return Err("unterminated string: missing closing '\"'", start, 1);
    std::string raw = src_.substr(body, pos_ - body);
    ++pos_;
    if (start_out) *start_out = start;
    return raw;
  }

  Result<ScopeNode> ScopeAtom() {
    SkipSpace();
    size_t at = pos_;
    char c = src_[pos_];
    if (c == '(') {
      ++pos_;
      if (ScopeAtEnd() && pos_ < src_.size() && src_[pos_] == ')') return Err("empty parentheses", at, 2);
      CAIRN_ASSIGN_OR_RETURN(ScopeNode inner, ScopeOr());
      SkipSpace();
      if (pos_ >= src_.size() || src_[pos_] != ')') return Err("missing ')' to close this '('", at, 1);
      ++pos_;
      return inner;
    }
    if (c == '"') {
      CAIRN_ASSIGN_OR_RETURN(std::string raw, ReadQuotedBody(nullptr));
      ScopeNode n;
      n.kind = ScopeNode::Kind::kPhrase;
      n.text = UnescapeOrdinary(raw);
      n.span = {static_cast<int64_t>(at), static_cast<int64_t>(pos_ - at)};
      if (Trim(n.text).empty()) return Err("empty phrase", at, pos_ - at);
      return n;
    }
    size_t j = pos_;
    while (j < src_.size() && !IsSpace(src_[j]) && src_[j] != '(' && src_[j] != ')' &&
           src_[j] != '|' && src_[j] != '"') {
      ++j;
    }
    std::string word = src_.substr(pos_, j - pos_);
    // metadata predicate?
    if (!word.empty() && word[0] == '_') {
      size_t eq = word.find('=');
      std::string name = ToLower(word.substr(0, eq));
      bool known = std::find(kMetaNames.begin(), kMetaNames.end(), name) != kMetaNames.end();
      bool has_eq = eq != std::string::npos;
      size_t k = j;
      if (!has_eq) {
        while (k < src_.size() && IsSpace(src_[k])) ++k;
        has_eq = known && k < src_.size() && src_[k] == '=';
      }
      if (has_eq && !known) {
        std::string hint = Suggest(name, kMetaNames);
        if (!hint.empty()) {
          return std::move(Err("unknown metadata field '" + word.substr(0, eq) + "'", at, name.size())
                               .WithHelp("did you mean '" + hint + "'?"));
        }
      }
      if (has_eq && known) {
        ScopeNode n;
        n.kind = ScopeNode::Kind::kMeta;
        n.meta_name = name;
        if (eq != std::string::npos) {
          pos_ = pos_ + eq + 1;
        } else {
          pos_ = k + 1;
        }
        // value
        while (pos_ < src_.size() && (src_[pos_] == ' ' || src_[pos_] == '\t')) ++pos_;
        if (pos_ < src_.size() && src_[pos_] == '"') {
          CAIRN_ASSIGN_OR_RETURN(std::string raw, ReadQuotedBody(nullptr));
          n.text = UnescapeOrdinary(raw);
          n.meta_quoted = true;
        } else {
          size_t v = pos_;
          while (pos_ < src_.size() && !IsSpace(src_[pos_]) && src_[pos_] != '(' &&
                 src_[pos_] != ')' && src_[pos_] != '|' && src_[pos_] != '"') {
            ++pos_;
          }
          n.text = src_.substr(v, pos_ - v);
          if (n.text.empty()) return Err("missing value after '" + name + "='", at, pos_ - at);
        }
        n.span = {static_cast<int64_t>(at), static_cast<int64_t>(pos_ - at)};
        return n;
      }
    }
    pos_ = j;
    ScopeNode n;
    n.span = {static_cast<int64_t>(at), static_cast<int64_t>(j - at)};
    if (word == "*") {
      n.kind = ScopeNode::Kind::kAll;
      return n;
    }
    n.kind = ScopeNode::Kind::kTerm;
    n.text = word;
    return n;
  }

  // ---- operator tokens --------------------------------------------------------------------

  Result<Token> Lex() {
    SkipSpace();
    Token t;
    t.offset = static_cast<int64_t>(pos_);
    if (pos_ >= src_.size()) {
      t.kind = Token::Kind::kEnd;
      return t;
    }
    char c = src_[pos_];
    if (c == '|' && !(pos_ + 1 < src_.size() && src_[pos_ + 1] == '|')) {
      t.kind = Token::Kind::kPipe;
      t.text = "|";
      t.length = 1;
      return t;  // not consumed
    }
    if (c == '"') {
      CAIRN_ASSIGN_OR_RETURN(t.text, ReadQuotedBody(nullptr));
      t.kind = Token::Kind::kString;
      t.length = static_cast<int64_t>(pos_) - t.offset;
      return t;
    }
    if (c == '%' && pos_ + 1 < src_.size() && (src_[pos_ + 1] == '"' || IsIdentStart(src_[pos_ + 1]))) {
      ++pos_;
      t.kind = Token::Kind::kFieldRef;
      if (src_[pos_] == '"') {
        CAIRN_ASSIGN_OR_RETURN(std::string raw, ReadQuotedBody(nullptr));
        t.text = UnescapeOrdinary(raw);
        if (t.text.empty()) return Err("empty field name %\"\"", static_cast<size_t>(t.offset), 3);
      } else {
        size_t s = pos_;
        while (pos_ < src_.size() &&
               (IsIdentChar(src_[pos_]) || src_[pos_] == '.' || src_[pos_] == '[' || src_[pos_] == ']')) {
          ++pos_;
        }
        t.text = src_.substr(s, pos_ - s);
      }
      t.length = static_cast<int64_t>(pos_) - t.offset;
      return t;
    }
    if (IsIdentStart(c)) {
      size_t s = pos_;
      while (pos_ < src_.size() && (IsIdentChar(src_[pos_]) ||
                                    (src_[pos_] == '.' && pos_ + 1 < src_.size() &&
                                     IsIdentChar(src_[pos_ + 1])))) {
        ++pos_;
      }
      t.kind = Token::Kind::kIdent;
      t.text = src_.substr(s, pos_ - s);
      t.length = static_cast<int64_t>(pos_ - s);
      return t;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) ||
        (c == '.' && pos_ + 1 < src_.size() && std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])))) {
      size_t s = pos_;
      while (pos_ < src_.size() && (IsIdentChar(src_[pos_]) || src_[pos_] == '.')) {
        // exponent sign
        ++pos_;
        if ((src_[pos_ - 1] == 'e' || src_[pos_ - 1] == 'E') && pos_ < src_.size() &&
            (src_[pos_] == '+' || src_[pos_] == '-') && pos_ + 1 < src_.size() &&
            std::isdigit(static_cast<unsigned char>(src_[pos_ + 1])) &&
            std::isdigit(static_cast<unsigned char>(src_[s]))) {
          ++pos_;
        }
      }
      t.kind = Token::Kind::kWord;
      t.text = src_.substr(s, pos_ - s);
      t.length = static_cast<int64_t>(pos_ - s);
      return t;
    }
    static const char* kTwo[] = {"==", "!=", "<>", "<=", ">=", "&&", "||", "+-"};
    for (const char* two : kTwo) {
      if (src_.compare(pos_, 2, two) == 0) {
        t.kind = Token::Kind::kPunct;
        t.text = two;
        t.length = 2;
        pos_ += 2;
        return t;
      }
    }
    if (std::string_view("=<>!+-*/%(),?:[]").find(c) != std::string_view::npos) {
      t.kind = Token::Kind::kPunct;
      t.text = std::string(1, c);
      t.length = 1;
      ++pos_;
      return t;
    }
    return Err(std::string("unexpected character '") + c + "'", pos_, 1);
  }

  Token Peek() {
    size_t save = pos_;
    auto t = Lex();
    pos_ = save;
    if (!t.ok()) {
      Token bad;
      bad.kind = Token::Kind::kPunct;
      bad.offset = static_cast<int64_t>(pos_);
      bad.text = "?";
      return bad;
    }
    // "+-" is only a token after direction=; elsewhere split it.
    return std::move(t).value();
  }

  Result<Token> Next() { return Lex(); }

  bool PeekIs(std::string_view word) {
    Token t = Peek();
    return (t.kind == Token::Kind::kIdent || t.kind == Token::Kind::kPunct) && EqualsIgnoreCase(t.text, word);
  }
  bool Accept(std::string_view word) {
    if (!PeekIs(word)) return false;
    (void)Lex();
    return true;
  }
  Status Expect(std::string_view word, const std::string& what) {
    Token t = Peek();
    if (!((t.kind == Token::Kind::kIdent || t.kind == Token::Kind::kPunct) && EqualsIgnoreCase(t.text, word))) {
      return Err("expected " + what, t);
    }
    (void)Lex();
    return Ok();
  }

  // A field name: bare identifier, %"quoted" or %path. Used for field=, by lists, as names.
  Result<std::string> FieldName(const std::string& what) {
    Token t = Peek();
    if (t.kind == Token::Kind::kIdent || t.kind == Token::Kind::kFieldRef) {
      (void)Lex();
      return t.text;
    }
    return Err("expected " + what, t);
  }

  Result<std::vector<std::string>> FieldList(const std::string& what) {
    std::vector<std::string> out;
    CAIRN_ASSIGN_OR_RETURN(std::string first, FieldName(what));
    out.push_back(first);
    while (Accept(",")) {
      CAIRN_ASSIGN_OR_RETURN(std::string next, FieldName(what));
      out.push_back(next);
    }
    return out;
  }

  // New (output) field names: as above, but reject reserved names starting with a digit.
  Result<std::vector<std::string>> NewFieldList(const std::string& what) { return FieldList(what); }

  Result<int64_t> Integer(const std::string& what) {
    Token t = Peek();
    if (t.kind == Token::Kind::kWord) {
      bool digits = std::all_of(t.text.begin(), t.text.end(),
                                [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      if (digits && t.text.size() < 18) {
        (void)Lex();
        return std::stoll(t.text);
      }
    }
    return Err("expected " + what, t);
  }

  Result<std::string> QuotedString(const std::string& what, Token* tok = nullptr) {
    Token t = Peek();
    if (t.kind != Token::Kind::kString) return Err("expected " + what, t);
    (void)Lex();
    if (tok) *tok = t;
    return t.text;
  }

  // ---- operators --------------------------------------------------------------------------

  Result<Operator> ParseOperator(size_t bar) {
    Token head = Peek();
    if (head.kind == Token::Kind::kEnd || head.kind == Token::Kind::kPipe) {
      return Err("missing operator after '|'", bar, 1);
    }
    Operator op;
    op.span = {head.offset, head.length};
    std::string name = ToLower(head.text);
    if (head.kind == Token::Kind::kIdent) {
      size_t save = pos_;
      (void)Lex();
      bool call = PeekIs("(");
      if (name == "parse") return ParseParse(std::move(op));
      if (name == "extract") return ParseRegexOp(std::move(op));
      if (name == "json") return ParseJson(std::move(op));
      if (name == "where") return ParseWhere(std::move(op));
      if (name == "timeslice") return ParseTimeslice(std::move(op));
      if (name == "count_frequent") return ParseCountFrequent(std::move(op));
      if (name == "top") return ParseTop(std::move(op));
      if (name == "transpose") return ParseTranspose(std::move(op));
      if (name == "outlier") return ParseOutlier(std::move(op));
      if (name == "logreduce" || name == "summarize") {
        op.text = name;
        return ParseLogReduce(std::move(op), false);
      }
      if (name == "logcompare") return ParseLogReduce(std::move(op), true);
      if (name == "lookup") return ParseLookup(std::move(op));
      if (name == "geoip") return ParseGeoip(std::move(op));
      if (name == "sort" || name == "order") return ParseSort(std::move(op));
      if (name == "limit") return ParseLimit(std::move(op));
      if (name == "fields") return ParseFields(std::move(op));
      if (name == "fillmissing") return ParseFillMissing(std::move(op));
      if (name == "total") return ParseTotal(std::move(op));
      bool is_agg = std::find(kAggFuncs.begin(), kAggFuncs.end(), name) != kAggFuncs.end();
      // min/max are also scalar functions: min(x) by ... is the aggregate; treat as aggregate.
      if (is_agg) {
        pos_ = save;
        return ParseAggregate(std::move(op));
      }
      pos_ = save;
      if (call || name == "true" || name == "false" || name == "null") return ParseAssign(std::move(op));
      // An expression starting with a field name ("x + 1 as y") or an unknown operator.
      size_t before = pos_;
      auto assign = ParseAssign(op);
      if (assign.ok()) {
        Token end = Peek();
        if (end.kind == Token::Kind::kEnd || end.kind == Token::Kind::kPipe) return assign;
      }
      pos_ = before;
      Error e = Err("unknown operator '" + head.text + "'", head);
      e = Err("unknown operator '" + head.text + "'", static_cast<size_t>(head.offset),
              static_cast<size_t>(head.length));
      std::string hint = Suggest(name, OperatorNames());
      if (!hint.empty()) e.WithHelp("did you mean '" + hint + "'?");
      else e.WithHelp("see docs/query-language.md for the list of operators");
      return e;
    }
    if (head.kind == Token::Kind::kWord || head.kind == Token::Kind::kString ||
        head.kind == Token::Kind::kFieldRef || head.text == "(" || head.text == "-" || head.text == "!") {
      return ParseAssign(std::move(op));
    }
    return Err("expected an operator", head);
  }

  Result<Operator> ParseParse(Operator op) {
    if (PeekIs("regex")) {
      (void)Lex();
      return ParseRegexOp(std::move(op));
    }
    op.kind = Operator::Kind::kParse;
    CAIRN_TRY(ParseFieldOption(&op));
    Token pat;
    CAIRN_ASSIGN_OR_RETURN(std::string raw, QuotedString("a quoted pattern after 'parse'", &pat));
    op.pattern = UnescapeAnchor(raw);
    op.pattern_span = {pat.offset, pat.length};
    if (op.pattern.find("**") != std::string::npos) {
      size_t at = static_cast<size_t>(pat.offset) + 1 + raw.find("**");
      return std::move(Err("'**' in a parse pattern: two adjacent captures have no anchor between them",
                           at, 2)
                           .WithHelp("put literal text between the two '*'"));
    }
    size_t stars = static_cast<size_t>(std::count(op.pattern.begin(), op.pattern.end(), '*'));
    if (stars == 0) {
      return std::move(Err("parse pattern has no '*' capture", pat)
                           .WithHelp("mark the text to extract with '*', e.g. parse \"user=* \" as user"));
    }
    CAIRN_TRY(Expect("as", "'as' and field names after the parse pattern"));
    CAIRN_ASSIGN_OR_RETURN(op.names, NewFieldList("a field name"));
    if (op.names.size() != stars) {
      return Err("parse pattern has " + std::to_string(stars) + " capture(s) but " +
                     std::to_string(op.names.size()) + " field name(s)",
                 static_cast<size_t>(pat.offset), static_cast<size_t>(pat.length));
    }
    if (Accept("nodrop")) op.nodrop = true;
    if (PeekIs("field")) return Err("'field=' must come right after 'parse'", Peek());
    return op;
  }

  Status ParseFieldOption(Operator* op) {
    if (PeekIs("field")) {
      size_t save = pos_;
      (void)Lex();
      if (Accept("=")) {
        CAIRN_ASSIGN_OR_RETURN(op->input_field, FieldName("a field name after 'field='"));
        return Ok();
      }
      pos_ = save;
    }
    return Ok();
  }

  Result<Operator> ParseRegexOp(Operator op) {
    op.kind = Operator::Kind::kParseRegex;
    CAIRN_TRY(ParseFieldOption(&op));
    Token pat;
    CAIRN_ASSIGN_OR_RETURN(std::string raw, QuotedString("a quoted regular expression", &pat));
    op.pattern = UnescapeRegex(raw);
    op.pattern_span = {pat.offset, pat.length};
    size_t err_off = 0;
    auto re = CompiledRegex::Compile(op.pattern, {}, &err_off);
    if (!re.ok()) {
      return Err(re.error().message(), static_cast<size_t>(pat.offset) + 1 + std::min(err_off, raw.size()), 1);
    }
    if (static_cast<size_t>((*re)->capture_count()) != (*re)->named_groups().size()) {
      return std::move(Err("parse regex has an unnamed capturing group", pat)
                           .WithHelp("name it (?<name>...) or make it non-capturing (?:...)"));
    }
    if ((*re)->named_groups().empty()) {
      return std::move(Err("parse regex needs at least one named group", pat)
                           .WithHelp("name what to extract: (?<user>\\w+)"));
    }
    for (const auto& g : (*re)->named_groups()) op.names.push_back(g.first);
    while (true) {
      if (Accept("multi")) { op.multi = true; continue; }
      if (Accept("nodrop")) { op.nodrop = true; continue; }
      break;
    }
    if (PeekIs("as")) {
      return std::move(Err("parse regex takes its field names from the named groups", Peek())
                           .WithHelp("remove 'as ...' and name the groups (?<name>...)"));
    }
    return op;
  }

  Result<Operator> ParseJson(Operator op) {
    op.kind = Operator::Kind::kJson;
    if (Accept("auto")) {
      op.json_auto = true;
      while (true) {
        Token t = Peek();
        if (PeekIs("field")) {
          CAIRN_TRY(ParseFieldOption(&op));
          if (op.input_field.empty()) return Err("expected 'field=NAME'", t);
          continue;
        }
        if (Accept("maxdepth")) {
          CAIRN_ASSIGN_OR_RETURN(int64_t d, Integer("a depth after 'maxdepth'"));
          if (d < 1) return Err("maxdepth must be at least 1", t);
          op.maxdepth = static_cast<int>(d);
          continue;
        }
        if (Accept("extractarrays")) { op.extract_arrays = true; continue; }
        if (Accept("refonly")) { op.refonly = true; continue; }
        if (Accept("nodrop")) { op.nodrop = true; continue; }
        if (Accept("keys") || (t.kind == Token::Kind::kString && op.keys.empty())) {
          CAIRN_TRY(KeyList(&op));
          continue;
        }
        if (Accept("as")) {
          if (op.keys.empty()) return Err("'as' needs 'keys' before it", t);
          CAIRN_ASSIGN_OR_RETURN(op.names, NewFieldList("a field name"));
          continue;
        }
        break;
      }
      if (op.refonly && op.keys.empty()) return Err("'refonly' needs 'keys'", Peek());
    } else {
      CAIRN_TRY(ParseFieldOption(&op));
      if (Peek().kind != Token::Kind::kString) return Err("expected a quoted key after 'json'", Peek());
      CAIRN_TRY(KeyList(&op));
      if (Accept("as")) {
      CAIRN_ASSIGN_OR_RETURN(op.names, NewFieldList("a field name"));
    }
      if (Accept("nodrop")) op.nodrop = true;
    }
    if (!op.names.empty() && op.names.size() != op.keys.size()) {
      return Err("json has " + std::to_string(op.keys.size()) + " key(s) but " +
                     std::to_string(op.names.size()) + " name(s) after 'as'",
                 static_cast<size_t>(op.span.offset), static_cast<size_t>(op.span.length));
    }
    return op;
  }

  Status KeyList(Operator* op) {
    do {
      CAIRN_ASSIGN_OR_RETURN(std::string raw, QuotedString("a quoted key"));
      op->keys.push_back(UnescapeOrdinary(raw));
    } while (Accept(","));
    return Ok();
  }

  Result<Operator> ParseWhere(Operator op) {
    op.kind = Operator::Kind::kWhere;
    Token t = Peek();
    if (t.kind == Token::Kind::kEnd || t.kind == Token::Kind::kPipe) {
      return Err("'where' needs a condition", static_cast<size_t>(op.span.offset),
                 static_cast<size_t>(op.span.length));
    }
    CAIRN_ASSIGN_OR_RETURN(op.expr, ParseExpr());
    if (op.expr.kind == Expr::Kind::kLiteral && !op.expr.value.is_bool()) {
      return Err("'where' needs a condition, not a value", static_cast<size_t>(t.offset),
                 static_cast<size_t>(t.length));
    }
    return op;
  }

  Result<Operator> ParseAssign(Operator op) {
    op.kind = Operator::Kind::kAssign;
    CAIRN_ASSIGN_OR_RETURN(op.expr, ParseExpr());
    if (Accept("as")) {
      CAIRN_ASSIGN_OR_RETURN(op.target, FieldName("a field name after 'as'"));
      return op;
    }
    static const std::vector<std::string> casts = {"num", "number", "tolong", "toint", "tostring"};
    if (op.expr.kind == Expr::Kind::kCall &&
        std::find(casts.begin(), casts.end(), op.expr.name) != casts.end() && op.expr.args.size() == 1 &&
        op.expr.args[0].kind == Expr::Kind::kField) {
      op.target = op.expr.args[0].name;
      return op;
    }
    return Err("expected 'as NAME' after the expression", Peek());
  }

  Result<int64_t> DurationWord(const Token& t) {
    auto d = ParseDuration(t.text);
    if (!d || *d <= 0) return Err("expected a time span such as 1m, 5m, 1h, 1d", t);
    return *d;
  }

  Result<Operator> ParseTimeslice(Operator op) {
    op.kind = Operator::Kind::kTimeslice;
    Accept("by");
    Token t = Peek();
    if (t.kind == Token::Kind::kWord) {
      (void)Lex();
      bool digits = std::all_of(t.text.begin(), t.text.end(),
                                [](char ch) { return std::isdigit(static_cast<unsigned char>(ch)); });
      if (digits && PeekIs("buckets")) {
        (void)Lex();
        op.buckets = std::stoll(t.text);
        if (op.buckets <= 0) return Err("the number of buckets must be positive", t);
      } else {
        std::string unit = t.text.substr(t.text.find_first_not_of("0123456789"));
        if (t.text.back() == 'M' || unit == "mo" || unit == "month") {
          return std::move(Err("timeslice does not support months", t)
                               .WithHelp("use days or weeks (1d, 1w)"));
        }
        CAIRN_ASSIGN_OR_RETURN(op.slice_ms, DurationWord(t));
      }
    } else if (t.kind != Token::Kind::kEnd && t.kind != Token::Kind::kPipe && !PeekIs("as")) {
      return Err("expected a time span such as 1m, 5m, 1h, 1d", t);
    }
    if (Accept("as")) {
      CAIRN_ASSIGN_OR_RETURN(op.alias, FieldName("a field name after 'as'"));
    }
    return op;
  }

  Result<AggCall> ParseAggCall() {
    Token t = Peek();
    if (t.kind != Token::Kind::kIdent) return Err("expected an aggregate function", t);
    std::string fn = ToLower(t.text);
    if (std::find(kAggFuncs.begin(), kAggFuncs.end(), fn) == kAggFuncs.end()) {
      Error e = Err("unknown aggregate function '" + t.text + "'", t);
      std::string hint = Suggest(fn, kAggFuncs);
      if (!hint.empty()) e.WithHelp("did you mean '" + hint + "'?");
      return e;
    }
    (void)Lex();
    AggCall call;
    call.func = fn;
    call.span = {t.offset, t.length};
    if (Accept("(")) {
      if (fn == "count" && Accept(")")) return call;
      if (fn == "count" && Accept("*")) {
        CAIRN_TRY(Expect(")", "')'"));
        return call;
      }
      Token ft = Peek();
      CAIRN_ASSIGN_OR_RETURN(call.field, FieldName("a field name inside " + fn + "()"));
      if (PeekIs("+") || PeekIs("-") || PeekIs("*") || PeekIs("/")) {
        return std::move(Err("arithmetic is not allowed inside an aggregate", Peek())
                             .WithHelp("compute it first: | x * 2 as y | " + fn + "(y)"));
      }
      if (fn == "pct") {
        while (Accept(",")) {
          Token pt = Peek();
          if (pt.kind != Token::Kind::kWord) return Err("expected a percentile number", pt);
          (void)Lex();
          auto v = ParseNumber(pt.text);
          if (!v || v->AsDouble() < 0 || v->AsDouble() > 100) {
            return Err("percentile must be a number between 0 and 100", pt);
          }
          call.percentiles.push_back(v->AsDouble());
          call.percentile_texts.push_back(pt.text);
        }
        if (call.percentiles.empty()) {
          call.percentiles.push_back(95);
          call.percentile_texts.push_back("95");
        }
      }
      CAIRN_TRY(Expect(")", "')' to close " + fn + "("));
      (void)ft;
    } else if (fn != "count") {
      return Err("'" + fn + "' needs a field: " + fn + "(FIELD)", Peek());
    }
    return call;
  }

  Result<Operator> ParseAggregate(Operator op) {
    op.kind = Operator::Kind::kAggregate;
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(AggCall call, ParseAggCall());
      if (Accept("as")) {
      CAIRN_ASSIGN_OR_RETURN(call.alias, FieldName("a field name after 'as'"));
    }
      op.aggs.push_back(std::move(call));
      // "count _timeslice, user" form
      if (op.aggs.size() == 1 && op.aggs[0].func == "count" && op.aggs[0].field.empty() &&
          op.aggs[0].alias.empty()) {
        Token t = Peek();
        if ((t.kind == Token::Kind::kIdent || t.kind == Token::Kind::kFieldRef) &&
            !EqualsIgnoreCase(t.text, "by") && !EqualsIgnoreCase(t.text, "group")) {
          CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name"));
          return op;
        }
      }
      if (!PeekIs(",")) break;
      (void)Lex();
    }
    if (Accept("group")) {
      CAIRN_TRY(Expect("by", "'by' after 'group'"));
      CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name after 'by'"));
    } else if (Accept("by")) {
      CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name after 'by'"));
    }
    return op;
  }

  Result<Operator> ParseCountFrequent(Operator op) {
    op.kind = Operator::Kind::kCountFrequent;
    CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name after 'count_frequent'"));
    return op;
  }

  Result<Operator> ParseTop(Operator op) {
    op.kind = Operator::Kind::kTop;
    CAIRN_ASSIGN_OR_RETURN(op.limit, Integer("a number after 'top' (top 10 FIELD)"));
    if (op.limit <= 0) return Err("top needs a positive number", Peek());
    CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name"));
    if (Accept("by")) {
      CAIRN_ASSIGN_OR_RETURN(op.top_by, FieldName("a field or 'count' after 'by'"));
    }
    return op;
  }

  Result<Operator> ParseTranspose(Operator op) {
    op.kind = Operator::Kind::kTranspose;
    CAIRN_TRY(Expect("row", "'row' after 'transpose'"));
    CAIRN_ASSIGN_OR_RETURN(op.rows, FieldList("a field name after 'row'"));
    CAIRN_TRY(Expect("column", "'column' after the row fields"));
    CAIRN_ASSIGN_OR_RETURN(op.columns, FieldList("a field name after 'column'"));
    if (Accept("as")) {
      do {
        if (Accept("*")) {
          op.as_list.push_back("*");
          break;
        }
        CAIRN_ASSIGN_OR_RETURN(std::string n, FieldName("a column name or '*' after 'as'"));
        op.as_list.push_back(n);
      } while (Accept(","));
    }
    return op;
  }

  Result<Operator> ParseOutlier(Operator op) {
    op.kind = Operator::Kind::kOutlier;
    CAIRN_ASSIGN_OR_RETURN(op.field, FieldName("the field to watch after 'outlier'"));
    while (true) {
      Accept(",");
      Token t = Peek();
      if (t.kind != Token::Kind::kIdent) break;
      std::string key = ToLower(t.text);
      if (key == "by") {
        (void)Lex();
        CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name after 'by'"));
        continue;
      }
      if (key != "window" && key != "threshold" && key != "consecutive" && key != "direction") {
        Error e = Err("unknown outlier option '" + t.text + "'", t);
        std::string hint = Suggest(key, {"window", "threshold", "consecutive", "direction", "by"});
        if (!hint.empty()) e.WithHelp("did you mean '" + hint + "'?");
        return e;
      }
      (void)Lex();
      CAIRN_TRY(Expect("=", "'=' after '" + key + "'"));
      Token v = Peek();
      if (key == "direction") {
        std::string dir;
        if (v.kind == Token::Kind::kString) {
          (void)Lex();
          dir = v.text;
        } else if (v.kind == Token::Kind::kPunct && (v.text == "+-" || v.text == "+" || v.text == "-")) {
          (void)Lex();
          dir = v.text;
          if (dir == "+" && PeekIs("-")) {
            (void)Lex();
            dir = "+-";
          }
        }
        if (dir != "+-" && dir != "+" && dir != "-") return Err("direction must be +-, + or -", v);
        op.direction = dir;
        continue;
      }
      if (v.kind != Token::Kind::kWord) return Err("expected a number after '" + key + "='", v);
      (void)Lex();
      auto num = ParseNumber(v.text);
      if (!num) return Err("expected a number after '" + key + "='", v);
      if (key == "threshold") {
        op.threshold = num->AsDouble();
        if (op.threshold <= 0) return Err("threshold must be positive", v);
      } else {
        if (!num->is_int() || num->int_value() < 1) return Err(key + " must be a positive integer", v);
        (key == "window" ? op.window : op.consecutive) = num->int_value();
      }
    }
    if (op.window < 2) return Err("window must be at least 2", static_cast<size_t>(op.span.offset), 7);
    return op;
  }

  // A signed duration word such as -1d, 24h or -90m; returns the magnitude in ms (> 0).
  Result<int64_t> ShiftDuration(const std::string& what) {
    Accept("-");
    Token d = Peek();
    if (d.kind != Token::Kind::kWord) return Err("expected " + what, d);
    (void)Lex();
    auto ms = ParseDuration(d.text);
    if (!ms || *ms <= 0) return Err("expected " + what, d);
    return *ms;
  }

  Result<int64_t> QuotedTime(const std::string& what) {
    Token t = Peek();
    if (t.kind != Token::Kind::kString) {
      return std::move(Err("expected " + what, t).WithHelp("write the time in quotes: \"2019-02-05T10:00:00Z\""));
    }
    (void)Lex();
    auto ms = ParseIso8601(UnescapeOrdinary(t.text));
    if (!ms) return Err("expected " + what + " (ISO-8601)", t);
    return *ms;
  }

  Result<Operator> ParseLogReduce(Operator op, bool logcompare) {
    op.kind = Operator::Kind::kLogReduce;
    std::string name = logcompare ? "logcompare" : ToLower(op.text.empty() ? "summarize" : op.text);
    if (logcompare) {
      op.compare = true;
      // Sumo's form: logcompare timeshift -24h
      if (Accept("timeshift")) {
        Accept("=");
        CAIRN_ASSIGN_OR_RETURN(op.baseline_shift_ms, ShiftDuration("a time shift such as -24h after 'timeshift'"));
      }
    }
    if (Accept("(")) {
      CAIRN_ASSIGN_OR_RETURN(op.input_field, FieldName("a field name"));
      CAIRN_TRY(Expect(")", "')'"));
    } else {
      CAIRN_TRY(ParseFieldOption(&op));
    }
    while (true) {
      Accept(",");
      Token t = Peek();
      if (t.kind != Token::Kind::kIdent) break;
      std::string key = ToLower(t.text);
      if (key == "by") {
        (void)Lex();
        CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name after 'by'"));
      } else if (key == "limit") {
        (void)Lex();
        CAIRN_TRY(Expect("=", "'=' after 'limit'"));
        CAIRN_ASSIGN_OR_RETURN(op.limit, Integer("a number after 'limit='"));
      } else if (key == "criteria") {
        (void)Lex();
        CAIRN_TRY(Expect("=", "'=' after 'criteria'"));
        Token v = Peek();
        if (PeekIs("mostcommon")) {
          (void)Lex();
        } else if (PeekIs("leastcommon")) {
          (void)Lex();
          op.least_common = true;
        } else {
          return Err("criteria must be mostcommon or leastcommon", v);
        }
      } else if (key == "optimize") {
        (void)Lex();
      } else if (key == "details") {
        (void)Lex();
        op.details = true;
      } else if (key == "signature") {
        (void)Lex();
        CAIRN_TRY(Expect("=", "'=' after 'signature'"));
        Token v = Peek();
        std::string id;
        if (v.kind == Token::Kind::kString) {
          id = UnescapeOrdinary(v.text);
        } else if (v.kind == Token::Kind::kWord || v.kind == Token::Kind::kIdent) {
          id = v.text;
        } else {
          return Err("expected a signature id after 'signature='", v);
        }
        (void)Lex();
        id = ToLower(Trim(id));
        if (id.empty() || id.size() > 16 ||
            !std::all_of(id.begin(), id.end(), [](char ch) { return std::isxdigit(static_cast<unsigned char>(ch)); })) {
          return std::move(Err("'" + id + "' is not a signature id", v)
                               .WithHelp("a signature id is 16 hex digits (or their first few), as in the "
                                         "_signature_id column of summarize"));
        }
        op.details = true;
        op.signature_filter = id;
      } else if (key == "compare") {
        (void)Lex();
        op.compare = true;
      } else if (key == "baseline" || key == "timeshift") {
        (void)Lex();
        CAIRN_TRY(Expect("=", "'=' after '" + key + "'"));
        CAIRN_ASSIGN_OR_RETURN(op.baseline_shift_ms,
                               ShiftDuration("a time shift such as -1d after '" + key + "='"));
        op.compare = true;
      } else if (key == "baseline_from" || key == "baseline_to") {
        (void)Lex();
        CAIRN_TRY(Expect("=", "'=' after '" + key + "'"));
        CAIRN_ASSIGN_OR_RETURN(int64_t at, QuotedTime("a time after '" + key + "='"));
        (key == "baseline_from" ? op.baseline_from : op.baseline_to) = at;
        op.compare = true;
      } else {
        std::string hint = Suggest(key, {"by", "limit", "criteria", "optimize", "details", "signature", "compare",
                                         "baseline", "baseline_from", "baseline_to"});
        Error e = Err("unknown option of '" + name + "'", t);
        if (!hint.empty()) e.WithHelp("did you mean '" + hint + "'?");
        return e;
      }
    }
    if (op.baseline_from.has_value() != op.baseline_to.has_value()) {
      return Err("'baseline_from' and 'baseline_to' go together", static_cast<size_t>(op.span.offset),
                 static_cast<size_t>(op.span.length));
    }
    if (op.baseline_from && *op.baseline_from >= *op.baseline_to) {
      return Err("the baseline range is empty: baseline_from must be before baseline_to",
                 static_cast<size_t>(op.span.offset), static_cast<size_t>(op.span.length));
    }
    if (op.baseline_from && op.baseline_shift_ms) {
      return Err("give either baseline=SHIFT or baseline_from/baseline_to, not both",
                 static_cast<size_t>(op.span.offset), static_cast<size_t>(op.span.length));
    }
    if (op.compare && !op.baseline_from && op.baseline_shift_ms == 0) op.baseline_shift_ms = 86400000;
    return op;
  }

  Result<Operator> ParseLookup(Operator op) {
    op.kind = Operator::Kind::kLookup;
    do {
      LookupColumn col;
      Token t = Peek();
      if (Accept("*")) {
        col.name = "*";
      } else {
        CAIRN_ASSIGN_OR_RETURN(col.name, FieldName("a column name after 'lookup'"));
        col.alias = col.name;  // the spelling as written, unless 'as' renames it
        col.name = ToLower(col.name);
      }
      if (Accept("as")) {
        CAIRN_ASSIGN_OR_RETURN(col.alias, FieldName("a field name after 'as'"));
      }
      if (col.alias.empty()) col.alias = col.name;
      if (col.name != "*" && std::find(GeoFieldNames().begin(), GeoFieldNames().end(), col.name) ==
                                 GeoFieldNames().end()) {
        col.name = "?" + col.name;  // checked below once the source is known
      }
      op.lookup_columns.push_back(col);
      (void)t;
    } while (Accept(","));
    auto check_geo_names = [&](bool shorthand) -> Status {
      for (size_t i = 0; i < op.lookup_columns.size(); ++i) {
        const auto& c = op.lookup_columns[i];
        if (c.name == "*") continue;
        if (c.name[0] == '?') {
          std::string bad = c.name.substr(1);
          Error e = Err("'" + bad + "' is not a geo field", static_cast<size_t>(op.span.offset),
                        static_cast<size_t>(op.span.length));
          std::string hint = Suggest(bad, GeoFieldNames());
          if (!hint.empty()) {
            e.WithHelp("did you mean '" + hint + "'?");
          } else {
            e.WithHelp(shorthand ? "'lookup' without 'from' is a geo lookup; fields: latitude, longitude, "
                                   "country_code, country_name, region, city, state, postal_code, continent"
                                 : "geo fields: latitude, longitude, country_code, country_name, region, "
                                   "city, state, postal_code, continent");
          }
          return e;
        }
      }
      return Ok();
    };
    if (!Accept("from")) {
      op.lookup_shorthand = true;
      CAIRN_TRY(check_geo_names(true));
      return op;
    }
    // source: geo://location, csv://PATH, path://"PATH" or path://PATH
    SkipSpace();
    size_t s = pos_;
    std::string table;
    if (src_.compare(pos_, 7, "path://") == 0 || src_.compare(pos_, 6, "csv://") == 0) {
      pos_ += src_[pos_] == 'p' ? 7 : 6;
      if (pos_ < src_.size() && src_[pos_] == '"') {
        CAIRN_ASSIGN_OR_RETURN(std::string raw, ReadQuotedBody(nullptr));
        table = UnescapeOrdinary(raw);
      } else {
        size_t b = pos_;
        while (pos_ < src_.size() && !IsSpace(src_[pos_]) && src_[pos_] != '|') ++pos_;
        table = src_.substr(b, pos_ - b);
      }
      if (table.empty()) {
        return std::move(Err("missing the table path after '" + src_.substr(s, pos_ - s) + "'", s, pos_ - s)
                             .WithHelp("e.g. lookup owner from csv://tables/keys.csv on access_key=access_key"));
      }
    } else {
      while (pos_ < src_.size() && !IsSpace(src_[pos_]) && src_[pos_] != '|') ++pos_;
      std::string source = src_.substr(s, pos_ - s);
      if (!EqualsIgnoreCase(source, "geo://location")) {
        return std::move(Err("lookup source '" + source + "' is not supported", s, pos_ - s)
                             .WithHelp("use 'from geo://location on ip=FIELD' or 'from csv://FILE.csv on COLUMN=FIELD'"));
      }
    }
    if (!table.empty()) {
      // A CSV table: the output columns are checked against its header when it is loaded.
      op.lookup_table = table;
      op.lookup_table_span = {static_cast<int64_t>(s), static_cast<int64_t>(pos_ - s)};
      for (auto& c : op.lookup_columns) {
        if (!c.name.empty() && c.name[0] == '?') c.name = c.name.substr(1);
      }
      CAIRN_TRY(Expect("on", "'on COLUMN=FIELD' after the lookup table"));
      do {
        Token k = Peek();
        CAIRN_ASSIGN_OR_RETURN(std::string column, FieldName("a table column in 'on COLUMN=FIELD'"));
        std::string field = column;  // 'on key' alone: the same name on both sides
        if (Accept("=")) {
          CAIRN_ASSIGN_OR_RETURN(field, FieldName("the event field in 'on COLUMN=FIELD'"));
        }
        Token end = Peek();
        op.lookup_join.emplace_back(column, field);
        op.lookup_join_spans.push_back({k.offset, end.offset - k.offset});
      } while (Accept(",") || Accept("and"));
      return op;
    }
    CAIRN_TRY(check_geo_names(false));
    CAIRN_TRY(Expect("on", "'on ip=FIELD' after the lookup source"));
    Token k = Peek();
    CAIRN_ASSIGN_OR_RETURN(std::string key, FieldName("'ip' in 'on ip=FIELD'"));
    if (!EqualsIgnoreCase(key, "ip")) return Err("a geo lookup joins on 'ip': on ip=FIELD", k);
    CAIRN_TRY(Expect("=", "'=' in 'on ip=FIELD'"));
    CAIRN_ASSIGN_OR_RETURN(op.lookup_ip_field, FieldName("the field holding the address"));
    return op;
  }

  Result<Operator> ParseGeoip(Operator op) {
    op.kind = Operator::Kind::kGeoip;
    CAIRN_ASSIGN_OR_RETURN(op.input_field, FieldName("the field holding the address after 'geoip'"));
    while (true) {
      Accept(",");
      Token t = Peek();
      if (t.kind != Token::Kind::kIdent) break;
      (void)Lex();
      std::string n = ToLower(t.text);
      if (std::find(GeoFieldNames().begin(), GeoFieldNames().end(), n) == GeoFieldNames().end()) {
        Error e = Err("'" + t.text + "' is not a geo field", t);
        std::string hint = Suggest(n, GeoFieldNames());
        if (!hint.empty()) e.WithHelp("did you mean '" + hint + "'?");
        return e;
      }
      op.names.push_back(n);
    }
    return op;
  }

  Result<Operator> ParseSort(Operator op) {
    op.kind = Operator::Kind::kSort;
    Accept("by");
    do {
      SortKey key;
      if (Accept("+")) key.descending = false;
      else if (Accept("-")) key.descending = true;
      Token t = Peek();
      if (t.kind == Token::Kind::kEnd || t.kind == Token::Kind::kPipe) return Err("expected a sort key", t);
      CAIRN_ASSIGN_OR_RETURN(key.expr, ParseAdd());
      if (Accept("asc")) key.descending = false;
      else if (Accept("desc")) key.descending = true;
      op.sort_keys.push_back(std::move(key));
    } while (Accept(","));
    return op;
  }

  Result<Operator> ParseLimit(Operator op) {
    op.kind = Operator::Kind::kLimit;
    Token t = Peek();
    CAIRN_ASSIGN_OR_RETURN(op.limit, Integer("a number after 'limit'"));
    if (op.limit <= 0) return Err("limit must be positive", t);
    return op;
  }

  Result<Operator> ParseFields(Operator op) {
    op.kind = Operator::Kind::kFields;
    if (Accept("-")) op.deny = true;
    else Accept("+");
    CAIRN_ASSIGN_OR_RETURN(op.names, FieldList("a field name"));
    for (size_t i = 0; i < op.names.size(); ++i) {
      for (size_t k = 0; k < i; ++k) {
        if (EqualsIgnoreCase(op.names[i], op.names[k])) {
          return Err("field '" + op.names[i] + "' is named twice", static_cast<size_t>(op.span.offset),
                     static_cast<size_t>(op.span.length));
        }
      }
    }
    return op;
  }

  Result<Value> Constant() {
    Token t = Peek();
    if (t.kind == Token::Kind::kString) {
      (void)Lex();
      return Value::String(UnescapeOrdinary(t.text));
    }
    if (PeekIs("null")) {
      (void)Lex();
      return Value::Null();
    }
    bool neg = Accept("-");
    t = Peek();
    if (t.kind == Token::Kind::kWord) {
      auto v = ParseNumber(t.text);
      if (v) {
        (void)Lex();
        if (neg) return v->is_int() ? Value::Int(-v->int_value()) : Value::Double(-v->double_value());
        return *v;
      }
    }
    return Err("expected a constant (number, \"string\" or null)", t);
  }

  Result<Operator> ParseFillMissing(Operator op) {
    op.kind = Operator::Kind::kFillMissing;
    do {
      FillGenerator g;
      Token t = Peek();
      if (Accept("timeslice")) {
        g.kind = FillGenerator::Kind::kTimeslice;
        g.field = "_timeslice";
        if (Accept("(")) {
          Token d = Peek();
          if (d.kind != Token::Kind::kWord) return Err("expected a time span", d);
          (void)Lex();
          CAIRN_ASSIGN_OR_RETURN(g.size_ms, DurationWord(d));
          CAIRN_TRY(Expect(")", "')'"));
        }
        if (Accept("in")) {
      CAIRN_ASSIGN_OR_RETURN(g.field, FieldName("a field name after 'in'"));
    }
      } else if (Accept("values")) {
        if (Accept("all")) {
          g.kind = FillGenerator::Kind::kValuesAll;
        } else {
          g.kind = FillGenerator::Kind::kValues;
          CAIRN_TRY(Expect("(", "'(' or 'all' after 'values'"));
          do {
            CAIRN_ASSIGN_OR_RETURN(std::string raw, QuotedString("a quoted value"));
            g.values.push_back(UnescapeOrdinary(raw));
          } while (Accept(","));
          CAIRN_TRY(Expect(")", "')'"));
        }
        CAIRN_TRY(Expect("in", "'in FIELD' after the values"));
        CAIRN_ASSIGN_OR_RETURN(g.field, FieldName("a field name after 'in'"));
      } else {
        return Err("expected 'timeslice' or 'values' after 'fillmissing'", t);
      }
      op.generators.push_back(std::move(g));
    } while (Accept(","));
    if (Accept("with")) {
      do {
        FillDefault f;
        CAIRN_ASSIGN_OR_RETURN(f.value, Constant());
        CAIRN_TRY(Expect("for", "'for FIELD' after the fill value"));
        CAIRN_ASSIGN_OR_RETURN(f.field, FieldName("a field name after 'for'"));
        op.fills.push_back(std::move(f));
      } while (Accept(","));
    }
    if (Accept("takelast")) op.take_last = true;
    return op;
  }

  Result<Operator> ParseTotal(Operator op) {
    op.kind = Operator::Kind::kTotal;
    CAIRN_ASSIGN_OR_RETURN(op.field, FieldName("a field name after 'total'"));
    if (Accept("as")) {
      CAIRN_ASSIGN_OR_RETURN(op.alias, FieldName("a field name after 'as'"));
    }
    if (Accept("by")) {
      CAIRN_ASSIGN_OR_RETURN(op.by, FieldList("a field name after 'by'"));
    }
    return op;
  }

  // ---- expressions ------------------------------------------------------------------------

  Result<Expr> ParseExpr() {
    CAIRN_ASSIGN_OR_RETURN(Expr cond, ParseOr());
    if (PeekIs("?")) {
      Token q = Peek();
      (void)Lex();
      CAIRN_ASSIGN_OR_RETURN(Expr a, ParseExpr());
      CAIRN_TRY(Expect(":", "':' in 'cond ? a : b'"));
      CAIRN_ASSIGN_OR_RETURN(Expr b, ParseExpr());
      Expr e;
      e.kind = Expr::Kind::kTernary;
      e.span = {q.offset, q.length};
      e.args.push_back(std::move(cond));
      e.args.push_back(std::move(a));
      e.args.push_back(std::move(b));
      return e;
    }
    return cond;
  }

  static Expr Binary(std::string op, Expr a, Expr b, const Token& t) {
    Expr e;
    e.kind = Expr::Kind::kBinary;
    e.op = std::move(op);
    e.span = {t.offset, t.length};
    e.args.push_back(std::move(a));
    e.args.push_back(std::move(b));
    return e;
  }

  Result<Expr> ParseOr() {
    CAIRN_ASSIGN_OR_RETURN(Expr left, ParseAnd());
    while (PeekIs("or") || PeekIs("||")) {
      Token t = Peek();
      (void)Lex();
      CAIRN_ASSIGN_OR_RETURN(Expr right, ParseAnd());
      left = Binary("or", std::move(left), std::move(right), t);
    }
    return left;
  }

  Result<Expr> ParseAnd() {
    CAIRN_ASSIGN_OR_RETURN(Expr left, ParseNot());
    while (PeekIs("and") || PeekIs("&&")) {
      Token t = Peek();
      (void)Lex();
      CAIRN_ASSIGN_OR_RETURN(Expr right, ParseNot());
      left = Binary("and", std::move(left), std::move(right), t);
    }
    return left;
  }

  Result<Expr> ParseNot() {
    if (PeekIs("!") || PeekIs("not")) {
      Token t = Peek();
      (void)Lex();
      CAIRN_ASSIGN_OR_RETURN(Expr inner, ParseNot());
      Expr e;
      e.kind = Expr::Kind::kUnary;
      e.op = "!";
      e.span = {t.offset, t.length};
      e.args.push_back(std::move(inner));
      return e;
    }
    return ParseCmp();
  }

  Result<Expr> ParseCmp() {
    CAIRN_ASSIGN_OR_RETURN(Expr left, ParseAdd());
    Token t = Peek();
    static const std::vector<std::string> ops = {"=", "==", "!=", "<>", "<", ">", "<=", ">="};
    if (t.kind == Token::Kind::kPunct && std::find(ops.begin(), ops.end(), t.text) != ops.end()) {
      (void)Lex();
      if (PeekIs("=")) {
        return std::move(Err("unexpected '='", Peek()).WithHelp("comparison operators are =, ==, !=, <, >, <=, >="));
      }
      CAIRN_ASSIGN_OR_RETURN(Expr right, ParseAdd());
      std::string op = t.text == "==" ? "=" : (t.text == "<>" ? "!=" : t.text);
      return Binary(op, std::move(left), std::move(right), t);
    }
    if (PeekIs("matches")) {
      (void)Lex();
      Expr e;
      e.kind = Expr::Kind::kMatches;
      e.span = {t.offset, t.length};
      e.args.push_back(std::move(left));
      SkipSpace();
      if (pos_ < src_.size() && src_[pos_] == '/') {
        size_t start = pos_;
        ++pos_;
        std::string body;
        while (pos_ < src_.size() && src_[pos_] != '/') {
          if (src_[pos_] == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '/') {
            body += '/';
            pos_ += 2;
            continue;
          }
          body += src_[pos_++];
        }
        if (pos_ >= src_.size()) return Err("unterminated regular expression: missing closing '/'", start, 1);
        ++pos_;
        e.is_regex = true;
        e.pattern = body;
        size_t err_off = 0;
        auto re = CompiledRegex::Compile(body, {}, &err_off);
        if (!re.ok()) return Err(re.error().message(), start + 1 + std::min(err_off, body.size()), 1);
        e.regex = std::move(re).value();
        return e;
      }
      Token p = Peek();
      if (p.kind == Token::Kind::kString) {
        (void)Lex();
        e.pattern = UnescapeOrdinary(p.text);
        return e;
      }
      if (p.kind == Token::Kind::kIdent || p.kind == Token::Kind::kFieldRef) {
        CAIRN_ASSIGN_OR_RETURN(Expr f, ParsePrimary());
        e.args.push_back(std::move(f));
        return e;
      }
      return Err("expected a \"glob\", /regex/ or field after 'matches'", p);
    }
    bool negate = false;
    size_t save = pos_;
    if (PeekIs("not")) {
      (void)Lex();
      if (!PeekIs("in")) {
        pos_ = save;
        return left;
      }
      negate = true;
    }
    if (PeekIs("in")) {
      (void)Lex();
      Expr e;
      e.kind = Expr::Kind::kIn;
      e.negate = negate;
      e.span = {t.offset, t.length};
      e.args.push_back(std::move(left));
      CAIRN_TRY(Expect("(", "'(' after 'in'"));
      do {
        CAIRN_ASSIGN_OR_RETURN(Expr item, ParseExpr());
        e.args.push_back(std::move(item));
      } while (Accept(","));
      CAIRN_TRY(Expect(")", "')' to close the 'in' list"));
      return e;
    }
    if (PeekIs("contains")) {
      (void)Lex();
      CAIRN_ASSIGN_OR_RETURN(Expr right, ParseAdd());
      Expr e;
      e.kind = Expr::Kind::kContains;
      e.span = {t.offset, t.length};
      e.args.push_back(std::move(left));
      e.args.push_back(std::move(right));
      return e;
    }
    return left;
  }

  Result<Expr> ParseAdd() {
    CAIRN_ASSIGN_OR_RETURN(Expr left, ParseMul());
    while (true) {
      Token t = Peek();
      if (t.kind == Token::Kind::kPunct && t.text == "+-") {
        // "a +-b": split
        (void)Lex();
        pos_ = static_cast<size_t>(t.offset) + 1;
        t.text = "+";
      } else if (t.kind == Token::Kind::kPunct && (t.text == "+" || t.text == "-")) {
        (void)Lex();
      } else {
        break;
      }
      CAIRN_ASSIGN_OR_RETURN(Expr right, ParseMul());
      left = Binary(t.text, std::move(left), std::move(right), t);
    }
    return left;
  }

  Result<Expr> ParseMul() {
    CAIRN_ASSIGN_OR_RETURN(Expr left, ParseUnary());
    while (true) {
      Token t = Peek();
      if (t.kind == Token::Kind::kPunct && (t.text == "*" || t.text == "/" || t.text == "%")) {
        (void)Lex();
        CAIRN_ASSIGN_OR_RETURN(Expr right, ParseUnary());
        left = Binary(t.text, std::move(left), std::move(right), t);
      } else {
        break;
      }
    }
    return left;
  }

  Result<Expr> ParseUnary() {
    if (PeekIs("-")) {
      Token t = Peek();
      (void)Lex();
      CAIRN_ASSIGN_OR_RETURN(Expr inner, ParseUnary());
      Expr e;
      e.kind = Expr::Kind::kUnary;
      e.op = "-";
      e.span = {t.offset, t.length};
      e.args.push_back(std::move(inner));
      return e;
    }
    return ParsePrimary();
  }

  Result<Value> NumberLiteral(const Token& t) {
    const std::string& s = t.text;
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E') && i + 1 < s.size() &&
        (std::isdigit(static_cast<unsigned char>(s[i + 1])) || s[i + 1] == '+' || s[i + 1] == '-')) {
      auto v = ParseNumber(s);
      if (v) return *v;
    }
    auto base = ParseNumber(s.substr(0, i));
    if (!base) return Err("invalid number '" + s + "'", t);
    std::string suffix = s.substr(i);
    if (suffix.empty()) return *base;
    static const std::vector<std::pair<std::string, double>> mult = {
        {"k", 1e3},   {"K", 1e3},   {"M", 1e6},   {"G", 1e9},   {"B", 1e9},   {"T", 1e12},
        {"P", 1e15},  {"Ki", 1024.0}, {"Mi", 1048576.0}, {"Gi", 1073741824.0},
        {"Ti", 1099511627776.0}, {"Pi", 1125899906842624.0},
        {"ns", 1e-6}, {"us", 1e-3}, {"ms", 1},     {"s", 1000},  {"m", 60000}, {"h", 3600000},
        {"d", 86400000}, {"w", 604800000}};
    for (const auto& [name, factor] : mult) {
      if (suffix == name) {
        double v = base->AsDouble() * factor;
        if (v == std::floor(v) && std::fabs(v) < 9e18) return Value::Int(static_cast<int64_t>(v));
        return Value::Double(v);
      }
    }
    return std::move(Err("invalid number '" + s + "': unknown suffix '" + suffix + "'", t)
                         .WithHelp("size suffixes: k M G T P Ki Mi Gi Ti Pi; time suffixes: ns us ms s m h d w"));
  }

  Result<Expr> ParsePrimary() {
    CAIRN_ASSIGN_OR_RETURN(Token t, Next());
    Expr e;
    e.span = {t.offset, t.length};
    switch (t.kind) {
      case Token::Kind::kWord: {
        e.kind = Expr::Kind::kLiteral;
        CAIRN_ASSIGN_OR_RETURN(e.value, NumberLiteral(t));
        return e;
      }
      case Token::Kind::kString:
        e.kind = Expr::Kind::kLiteral;
        e.value = Value::String(UnescapeOrdinary(t.text));
        return e;
      case Token::Kind::kFieldRef:
        e.kind = Expr::Kind::kField;
        e.name = t.text;
        e.key = ToLower(t.text);
        return e;
      case Token::Kind::kIdent: {
        std::string lower = ToLower(t.text);
        if (PeekIs("(")) {
          (void)Lex();
          const auto& fns = FunctionNames();
          if (std::find(fns.begin(), fns.end(), lower) == fns.end()) {
            Error err = Err("unknown function '" + t.text + "'", t);
            std::string hint = Suggest(lower, fns);
            if (!hint.empty()) err.WithHelp("did you mean '" + hint + "'?");
            return err;
          }
          e.kind = Expr::Kind::kCall;
          e.name = lower;
          if (!Accept(")")) {
            do {
              CAIRN_ASSIGN_OR_RETURN(Expr arg, ParseExpr());
              e.args.push_back(std::move(arg));
            } while (Accept(","));
            CAIRN_TRY(Expect(")", "')' to close " + t.text + "("));
          }
          return CheckCall(std::move(e), t);
        }
        if (lower == "true" || lower == "false") {
          e.kind = Expr::Kind::kLiteral;
          e.value = Value::Bool(lower == "true");
          return e;
        }
        if (lower == "null") {
          e.kind = Expr::Kind::kLiteral;
          return e;
        }
        static const std::vector<std::string> reserved = {"and", "or", "not", "matches", "in",
                                                          "contains", "as", "by"};
        if (std::find(reserved.begin(), reserved.end(), lower) != reserved.end()) {
          return Err("expected a value or field", t);
        }
        e.kind = Expr::Kind::kField;
        e.name = t.text;
        e.key = lower;
        return e;
      }
      case Token::Kind::kPunct:
        if (t.text == "(") {
          CAIRN_ASSIGN_OR_RETURN(Expr inner, ParseExpr());
          CAIRN_TRY(Expect(")", "')'"));
          return inner;
        }
        return Err("expected a value or field", t);
      default:
        return Err("expected a value or field", t);
    }
  }

  Result<Expr> CheckCall(Expr e, const Token& t) {
    struct Arity {
      const char* name;
      size_t min;
      size_t max;
    };
    static const Arity arities[] = {
        {"num", 1, 1}, {"number", 1, 1}, {"tolong", 1, 1}, {"toint", 1, 1}, {"tostring", 1, 1},
        {"isnull", 1, 1}, {"isempty", 1, 1}, {"isblank", 1, 1}, {"isnumeric", 1, 1}, {"if", 3, 3},
        {"contains", 2, 2}, {"length", 1, 1}, {"tolowercase", 1, 1}, {"touppercase", 1, 1},
        {"trim", 1, 1}, {"concat", 1, 64}, {"abs", 1, 1}, {"round", 1, 2}, {"ceil", 1, 1},
        {"floor", 1, 1}, {"substring", 2, 3}, {"replace", 3, 3}, {"sqrt", 1, 1}, {"min", 2, 64},
        {"max", 2, 64}};
    for (const auto& a : arities) {
      if (e.name == a.name) {
        if (e.args.size() < a.min || e.args.size() > a.max) {
          std::string want = a.min == a.max ? std::to_string(a.min)
                                            : std::to_string(a.min) + " to " + std::to_string(a.max);
          return Err(t.text + "() takes " + want + " argument(s), got " + std::to_string(e.args.size()), t);
        }
      }
    }
    if (e.name == "if") {
      const Expr& a = e.args[1];
      const Expr& b = e.args[2];
      if (a.kind == Expr::Kind::kLiteral && b.kind == Expr::Kind::kLiteral && !a.value.is_null() &&
          !b.value.is_null()) {
        bool a_num = ToNum(a.value).has_value();
        bool b_num = ToNum(b.value).has_value();
        bool same = a.value.kind() == b.value.kind() || (a_num && b_num) ||
                    (a.value.is_number() && b_num) || (b.value.is_number() && a_num);
        if (!same) return Err("if() branches differ in type", t);
      }
    }
    return e;
  }

  std::string_view original_;
  std::string src_;
  size_t pos_ = 0;
};

}  // namespace

Result<Pipeline> ParseQuery(std::string_view query) {
  if (query.size() > 15000) {
    return std::move(Error::Parse("query is longer than 15,000 characters")
                         .WithSpan(SpanAt(query, 15000, 1)));
  }
  Parser parser(query, StripComments(query));
  return parser.Run();
}

}  // namespace cairn::query
