#include "engine/playbook/expr.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <memory>
#include <set>

#include "engine/common/strings.h"
#include "engine/common/time.h"

namespace cairn::playbook {
namespace {

enum class Tok { kEnd, kNumber, kString, kIdent, kOp };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;
  double number = 0;
  size_t pos = 0;
};

Error ExprError(const std::string& expr, size_t pos, const std::string& msg) {
  SourceSpan span;
  span.source = "expression";
  span.line = 1;
  span.column = static_cast<int64_t>(pos) + 1;
  span.offset = static_cast<int64_t>(pos);
  span.snippet = expr;
  return Error::Parse(msg).WithSpan(span);
}

Result<std::vector<Token>> Lex(const std::string& s) {
  std::vector<Token> out;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
      continue;
    }
    Token t;
    t.pos = i;
    if (std::isdigit(static_cast<unsigned char>(c))) {
      size_t j = i;
      while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
      t.kind = Tok::kNumber;
      t.text = s.substr(i, j - i);
      try {
        t.number = std::stod(t.text);
      } catch (...) {
        return ExprError(s, i, "malformed number '" + t.text + "'");
      }
      i = j;
    } else if (c == '"' || c == '\'') {
      char q = c;
      size_t j = i + 1;
      std::string val;
      while (j < s.size() && s[j] != q) {
        if (s[j] == '\\' && j + 1 < s.size()) ++j;
        val += s[j++];
      }
      if (j >= s.size()) return ExprError(s, i, "unterminated string");
      t.kind = Tok::kString;
      t.text = val;
      i = j + 1;
    } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < s.size() && (std::isalnum(static_cast<unsigned char>(s[j])) || s[j] == '_' || s[j] == '-')) ++j;
      // a trailing '-' is never part of a name
      while (j > i && s[j - 1] == '-') --j;
      t.kind = Tok::kIdent;
      t.text = s.substr(i, j - i);
      i = j;
    } else {
      static const char* kOps[] = {"==", "!=", "<=", ">=", "&&", "||", "<", ">", "!", "(", ")",
                                   "[", "]", ".", ",", "+", "-"};
      bool found = false;
      for (const char* op : kOps) {
        size_t n = std::char_traits<char>::length(op);
        if (s.compare(i, n, op) == 0) {
          t.kind = Tok::kOp;
          t.text = op;
          i += n;
          found = true;
          break;
        }
      }
      if (!found) return ExprError(s, i, std::string("unexpected character '") + c + "'");
    }
    out.push_back(std::move(t));
  }
  Token end;
  end.pos = s.size();
  out.push_back(end);
  return out;
}

struct Node {
  enum class Kind { kLiteral, kPath, kUnary, kBinary, kCall } kind = Kind::kLiteral;
  Json literal;
  std::string op;                       // unary/binary operator or function name
  std::vector<std::string> path;        // kPath: root then keys ("[n]" stored as "#n")
  std::vector<std::unique_ptr<Node>> kids;
};

class Parser {
 public:
  Parser(const std::string& src, std::vector<Token> toks) : src_(src), toks_(std::move(toks)) {}

  Result<std::unique_ptr<Node>> ParseAll() {
    CAIRN_ASSIGN_OR_RETURN(auto n, Or());
    if (Peek().kind != Tok::kEnd) return ExprError(src_, Peek().pos, "unexpected '" + Peek().text + "'");
    return n;
  }

 private:
  const Token& Peek() const { return toks_[idx_]; }
  bool IsOp(const char* op) const { return Peek().kind == Tok::kOp && Peek().text == op; }
  bool IsWord(const char* w) const { return Peek().kind == Tok::kIdent && EqualsIgnoreCase(Peek().text, w); }

  static std::unique_ptr<Node> Binary(std::string op, std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    auto n = std::make_unique<Node>();
    n->kind = Node::Kind::kBinary;
    n->op = std::move(op);
    n->kids.push_back(std::move(a));
    n->kids.push_back(std::move(b));
    return n;
  }

  Result<std::unique_ptr<Node>> Or() {
    CAIRN_ASSIGN_OR_RETURN(auto left, And());
    while (IsWord("or") || IsOp("||")) {
      ++idx_;
      CAIRN_ASSIGN_OR_RETURN(auto right, And());
      left = Binary("or", std::move(left), std::move(right));
    }
    return left;
  }
  Result<std::unique_ptr<Node>> And() {
    CAIRN_ASSIGN_OR_RETURN(auto left, Not());
    while (IsWord("and") || IsOp("&&")) {
      ++idx_;
      CAIRN_ASSIGN_OR_RETURN(auto right, Not());
      left = Binary("and", std::move(left), std::move(right));
    }
    return left;
  }
  Result<std::unique_ptr<Node>> Not() {
    if (IsWord("not") || IsOp("!")) {
      ++idx_;
      CAIRN_ASSIGN_OR_RETURN(auto inner, Not());
      auto n = std::make_unique<Node>();
      n->kind = Node::Kind::kUnary;
      n->op = "not";
      n->kids.push_back(std::move(inner));
      return n;
    }
    return Cmp();
  }
  Result<std::unique_ptr<Node>> Cmp() {
    CAIRN_ASSIGN_OR_RETURN(auto left, Add());
    for (const char* op : {"==", "!=", "<=", ">=", "<", ">"}) {
      if (IsOp(op)) {
        ++idx_;
        CAIRN_ASSIGN_OR_RETURN(auto right, Add());
        return Binary(op, std::move(left), std::move(right));
      }
    }
    return left;
  }
  Result<std::unique_ptr<Node>> Add() {
    CAIRN_ASSIGN_OR_RETURN(auto left, Primary());
    while (IsOp("+") || IsOp("-")) {
      std::string op = Peek().text;
      ++idx_;
      CAIRN_ASSIGN_OR_RETURN(auto right, Primary());
      left = Binary(op, std::move(left), std::move(right));
    }
    return left;
  }
  Result<std::unique_ptr<Node>> Primary() {
    const Token& t = Peek();
    auto n = std::make_unique<Node>();
    if (t.kind == Tok::kNumber) {
      n->literal = t.number;
      if (t.text.find('.') == std::string::npos) n->literal = static_cast<int64_t>(t.number);
      ++idx_;
      return n;
    }
    if (t.kind == Tok::kString) {
      n->literal = t.text;
      ++idx_;
      return n;
    }
    if (IsOp("-")) {
      ++idx_;
      CAIRN_ASSIGN_OR_RETURN(auto inner, Primary());
      auto zero = std::make_unique<Node>();
      zero->literal = 0;
      return Binary("-", std::move(zero), std::move(inner));
    }
    if (IsOp("(")) {
      ++idx_;
      CAIRN_ASSIGN_OR_RETURN(auto inner, Or());
      if (!IsOp(")")) return ExprError(src_, Peek().pos, "expected ')'");
      ++idx_;
      return inner;
    }
    if (t.kind == Tok::kIdent) {
      std::string name = t.text;
      ++idx_;
      if (name == "true" || name == "false") {
        n->literal = name == "true";
        return n;
      }
      if (name == "null") {
        n->literal = nullptr;
        return n;
      }
      if (IsOp("(")) {
        ++idx_;
        n->kind = Node::Kind::kCall;
        n->op = name;
        static const std::set<std::string> kFuncs = {"len", "exists", "any", "count", "first",
                                                      "join", "pluck", "unique", "default", "lower",
                                                      "max", "min", "sum", "quote", "concat", "without",
                                                      "ms"};
        if (!kFuncs.count(name)) return ExprError(src_, t.pos, "unknown function '" + name + "'");
        if (!IsOp(")")) {
          while (true) {
            CAIRN_ASSIGN_OR_RETURN(auto arg, Or());
            n->kids.push_back(std::move(arg));
            if (IsOp(",")) {
              ++idx_;
              continue;
            }
            break;
          }
        }
        if (!IsOp(")")) return ExprError(src_, Peek().pos, "expected ')' after arguments of " + name);
        ++idx_;
        return n;
      }
      n->kind = Node::Kind::kPath;
      n->path.push_back(name);
      while (true) {
        if (IsOp(".")) {
          ++idx_;
          if (Peek().kind != Tok::kIdent && Peek().kind != Tok::kNumber) {
            return ExprError(src_, Peek().pos, "expected a name after '.'");
          }
          n->path.push_back(Peek().text);
          ++idx_;
        } else if (IsOp("[")) {
          ++idx_;
          if (Peek().kind == Tok::kNumber) {
            n->path.push_back("#" + Peek().text);
          } else if (Peek().kind == Tok::kString) {
            n->path.push_back(Peek().text);
          } else {
            return ExprError(src_, Peek().pos, "expected an index or a quoted key in [ ]");
          }
          ++idx_;
          if (!IsOp("]")) return ExprError(src_, Peek().pos, "expected ']'");
          ++idx_;
        } else {
          break;
        }
      }
      return n;
    }
    if (t.kind == Tok::kEnd) return ExprError(src_, t.pos, "unexpected end of expression");
    return ExprError(src_, t.pos, "unexpected '" + t.text + "'");
  }

  const std::string& src_;
  std::vector<Token> toks_;
  size_t idx_ = 0;
};

Result<std::unique_ptr<Node>> ParseExpr(const std::string& expr) {
  CAIRN_ASSIGN_OR_RETURN(auto toks, Lex(expr));
  Parser p(expr, std::move(toks));
  return p.ParseAll();
}

const Json& NullJson() {
  static const Json kNull;
  return kNull;
}

const Json& Lookup(const Json& root, const std::vector<std::string>& path) {
  const Json* cur = &root;
  for (const auto& key : path) {
    if (!key.empty() && key[0] == '#') {
      size_t idx = static_cast<size_t>(std::stoll(key.substr(1)));
      if (!cur->is_array() || idx >= cur->size()) return NullJson();
      cur = &(*cur)[idx];
    } else {
      if (!cur->is_object()) return NullJson();
      auto it = cur->find(key);
      if (it == cur->end()) return NullJson();
      cur = &*it;
    }
  }
  return *cur;
}

bool Equal(const Json& a, const Json& b) {
  if (a.is_number() && b.is_number()) return a.get<double>() == b.get<double>();
  return a == b;
}

Json Call(const std::string& fn, const std::vector<Json>& args) {
  auto arg = [&](size_t i) -> const Json& { return i < args.size() ? args[i] : NullJson(); };
  if (fn == "len") {
    const Json& x = arg(0);
    if (x.is_array() || x.is_object()) return static_cast<int64_t>(x.size());
    if (x.is_string()) return static_cast<int64_t>(x.get<std::string>().size());
    return 0;
  }
  if (fn == "exists") return !arg(0).is_null();
  if (fn == "default") return arg(0).is_null() ? arg(1) : arg(0);
  if (fn == "lower") return arg(0).is_string() ? Json(ToLower(arg(0).get<std::string>())) : arg(0);
  if (fn == "ms") {
    // A duration ("15m", "7d") or a number of milliseconds, as milliseconds.
    if (arg(0).is_number()) return arg(0);
    if (arg(0).is_string()) {
      if (auto d = ParseDuration(arg(0).get<std::string>())) return *d;
    }
    return Json();
  }
  if (fn == "concat") {
    Json out = Json::array();
    for (const auto& a : args) {
      if (a.is_array()) {
        for (const auto& item : a) out.push_back(item);
      } else if (!a.is_null()) {
        out.push_back(a);
      }
    }
    return out;
  }
  if (fn == "without") {
    // The first list without the values of the other arguments (each item of a list argument).
    if (!arg(0).is_array()) return Json::array();
    auto dropped = [&](const Json& item) {
      for (size_t i = 1; i < args.size(); ++i) {
        if (args[i].is_array()) {
          for (const auto& d : args[i]) {
            if (Equal(item, d)) return true;
          }
        } else if (Equal(item, args[i])) {
          return true;
        }
      }
      return false;
    };
    Json out = Json::array();
    for (const auto& item : arg(0)) {
      if (!dropped(item)) out.push_back(item);
    }
    return out;
  }
  if (fn == "quote") {
    // A query string literal: double quotes with \ and " escaped, so values taken from evidence
    // cannot break out of the query text they are spliced into.
    std::string text = RenderValue(arg(0));
    std::string out = "\"";
    for (char c : text) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  if (fn == "first") return arg(0).is_array() && !arg(0).empty() ? arg(0)[0] : Json();
  if (fn == "pluck" || fn == "any" || fn == "count" || fn == "unique" || fn == "join" ||
      fn == "max" || fn == "min" || fn == "sum") {
    const Json& list = arg(0);
    if (!list.is_array()) {
      if (fn == "any") return false;
      if (fn == "count" || fn == "sum") return 0;
      if (fn == "join") return "";
      return Json::array();
    }
    std::string field = arg(1).is_string() ? arg(1).get<std::string>() : "";
    auto get = [&](const Json& item) -> Json {
      if (field.empty() || fn == "join") return item;
      if (item.is_object()) {
        auto it = item.find(field);
        return it == item.end() ? Json() : *it;
      }
      return Json();
    };
    if (fn == "pluck") {
      Json out = Json::array();
      for (const auto& item : list) out.push_back(get(item));
      return out;
    }
    if (fn == "any") {
      for (const auto& item : list) {
        if (Truthy(get(item))) return true;
      }
      return false;
    }
    if (fn == "count") {
      int64_t n = 0;
      for (const auto& item : list) {
        Json v = get(item);
        if (args.size() >= 3 ? Equal(v, args[2]) : Truthy(v)) ++n;
      }
      return n;
    }
    if (fn == "unique") {
      Json out = Json::array();
      for (const auto& item : list) {
        Json v = get(item);
        if (std::none_of(out.begin(), out.end(), [&](const Json& o) { return o == v; })) out.push_back(v);
      }
      return out;
    }
    if (fn == "join") {
      std::string sep = arg(1).is_string() ? arg(1).get<std::string>() : ", ";
      std::string out;
      for (size_t i = 0; i < list.size(); ++i) {
        if (i) out += sep;
        out += RenderValue(list[i]);
      }
      return out;
    }
    // max/min/sum over numbers
    bool any = false;
    double acc = 0;
    for (const auto& item : list) {
      Json v = get(item);
      if (!v.is_number()) continue;
      double d = v.get<double>();
      if (!any) acc = fn == "sum" ? 0 : d;
      if (fn == "sum") acc += d;
      else if (fn == "max") acc = std::max(acc, d);
      else acc = std::min(acc, d);
      any = true;
    }
    if (!any) return fn == "sum" ? Json(0) : Json();
    if (acc == std::floor(acc) && std::fabs(acc) < 9e15) return static_cast<int64_t>(acc);
    return acc;
  }
  return Json();
}

Json Eval(const Node& n, const Json& ctx) {
  switch (n.kind) {
    case Node::Kind::kLiteral: return n.literal;
    case Node::Kind::kPath: return Lookup(ctx, n.path);
    case Node::Kind::kUnary: return !Truthy(Eval(*n.kids[0], ctx));
    case Node::Kind::kCall: {
      std::vector<Json> args;
      for (const auto& k : n.kids) args.push_back(Eval(*k, ctx));
      return Call(n.op, args);
    }
    case Node::Kind::kBinary: {
      if (n.op == "and") return Truthy(Eval(*n.kids[0], ctx)) && Truthy(Eval(*n.kids[1], ctx));
      if (n.op == "or") return Truthy(Eval(*n.kids[0], ctx)) || Truthy(Eval(*n.kids[1], ctx));
      Json a = Eval(*n.kids[0], ctx);
      Json b = Eval(*n.kids[1], ctx);
      if (n.op == "==") return Equal(a, b);
      if (n.op == "!=") return !Equal(a, b);
      if (n.op == "+" || n.op == "-") {
        if (!a.is_number() || !b.is_number()) {
          if (n.op == "+" && (a.is_string() || b.is_string())) return RenderValue(a) + RenderValue(b);
          return Json();
        }
        if (a.is_number_integer() && b.is_number_integer()) {
          return n.op == "+" ? a.get<int64_t>() + b.get<int64_t>() : a.get<int64_t>() - b.get<int64_t>();
        }
        return n.op == "+" ? a.get<double>() + b.get<double>() : a.get<double>() - b.get<double>();
      }
      // ordering: numbers numerically, strings lexicographically, else false
      int cmp = 0;
      if (a.is_number() && b.is_number()) {
        double x = a.get<double>();
        double y = b.get<double>();
        cmp = x < y ? -1 : (x > y ? 1 : 0);
      } else if (a.is_string() && b.is_string()) {
        cmp = a.get<std::string>().compare(b.get<std::string>());
      } else {
        return false;
      }
      if (n.op == "<") return cmp < 0;
      if (n.op == "<=") return cmp <= 0;
      if (n.op == ">") return cmp > 0;
      return cmp >= 0;
    }
  }
  return Json();
}

void CollectRoots(const Node& n, std::vector<std::string>* out) {
  if (n.kind == Node::Kind::kPath && !n.path.empty()) {
    if (std::find(out->begin(), out->end(), n.path[0]) == out->end()) out->push_back(n.path[0]);
  }
  for (const auto& k : n.kids) CollectRoots(*k, out);
}

// Splits a template into literal text and ${...} expressions.
struct Piece {
  bool is_expr = false;
  std::string text;
  size_t pos = 0;
};

Result<std::vector<Piece>> SplitTemplate(const std::string& text) {
  std::vector<Piece> out;
  size_t i = 0;
  std::string lit;
  while (i < text.size()) {
    if (text.compare(i, 2, "${") == 0) {
      size_t depth = 0;
      size_t j = i + 2;
      bool in_str = false;
      char q = 0;
      for (; j < text.size(); ++j) {
        char c = text[j];
        if (in_str) {
          if (c == '\\') ++j;
          else if (c == q) in_str = false;
          continue;
        }
        if (c == '"' || c == '\'') {
          in_str = true;
          q = c;
        } else if (c == '{') {
          ++depth;
        } else if (c == '}') {
          if (depth == 0) break;
          --depth;
        }
      }
      if (j >= text.size()) {
        SourceSpan span;
        span.source = "template";
        span.line = 1;
        span.column = static_cast<int64_t>(i) + 1;
        span.snippet = text;
        return Error::Parse("unterminated '${' in template").WithSpan(span).WithHelp("close it with '}'");
      }
      if (!lit.empty()) out.push_back({false, lit, 0});
      lit.clear();
      out.push_back({true, text.substr(i + 2, j - i - 2), i + 2});
      i = j + 1;
    } else {
      lit += text[i++];
    }
  }
  if (!lit.empty()) out.push_back({false, lit, 0});
  return out;
}

}  // namespace

bool Truthy(const Json& v) {
  if (v.is_null()) return false;
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_number()) return v.get<double>() != 0;
  if (v.is_string()) return !v.get<std::string>().empty();
  return !v.empty();
}

std::string RenderValue(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  if (v.is_number()) return FormatDouble(v.get<double>(), 4);
  if (v.is_array()) {
    std::string out;
    for (size_t i = 0; i < v.size(); ++i) {
      if (i) out += ", ";
      out += RenderValue(v[i]);
    }
    return out;
  }
  return v.dump();
}

Status CheckExpression(const std::string& expr) {
  CAIRN_ASSIGN_OR_RETURN(auto node, ParseExpr(expr));
  (void)node;
  return Ok();
}

std::vector<std::string> ExpressionRoots(const std::string& expr) {
  std::vector<std::string> out;
  auto node = ParseExpr(expr);
  if (node.ok()) CollectRoots(**node, &out);
  return out;
}

Result<Json> Evaluate(const std::string& expr, const Json& context) {
  CAIRN_ASSIGN_OR_RETURN(auto node, ParseExpr(expr));
  return Eval(*node, context);
}

Result<Json> ExpandTemplate(const std::string& text, const Json& context) {
  CAIRN_ASSIGN_OR_RETURN(auto pieces, SplitTemplate(text));
  if (pieces.size() == 1 && pieces[0].is_expr) return Evaluate(pieces[0].text, context);
  std::string out;
  for (const auto& p : pieces) {
    if (!p.is_expr) {
      out += p.text;
      continue;
    }
    CAIRN_ASSIGN_OR_RETURN(Json v, Evaluate(p.text, context));
    out += RenderValue(v);
  }
  return Json(out);
}

Result<std::vector<std::string>> TemplateRoots(const std::string& text) {
  CAIRN_ASSIGN_OR_RETURN(auto pieces, SplitTemplate(text));
  std::vector<std::string> out;
  for (const auto& p : pieces) {
    if (!p.is_expr) continue;
    CAIRN_ASSIGN_OR_RETURN(auto node, ParseExpr(p.text));
    CollectRoots(*node, &out);
  }
  return out;
}

}  // namespace cairn::playbook
