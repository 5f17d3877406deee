// Expression evaluation (spec §6.2, §7).
#include <algorithm>
#include <cctype>
#include <cmath>

#include "engine/common/strings.h"
#include "engine/query/exec_internal.h"

namespace cairn::query {

void ResolveExpr(Expr& e, FieldRegistry& fields) {
  if (e.kind == Expr::Kind::kField) e.field_id = fields.Intern(e.name);
  for (auto& a : e.args) ResolveExpr(a, fields);
}

bool Truthy(const Value& v) { return v.is_bool() && v.bool_value(); }

bool GlobMatch(std::string_view p, std::string_view t, bool caseless, bool question) {
  size_t pi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  auto eq = [&](char a, char b) {
    if (caseless) return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    return a == b;
  };
  while (ti < t.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      mark = ti;
    } else if (pi < p.size() && ((question && p[pi] == '?') || eq(p[pi], t[ti]))) {
      ++pi;
      ++ti;
    } else if (star != std::string_view::npos) {
      pi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '*') ++pi;
  return pi == p.size();
}

namespace {

int CmpDouble(double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); }

int CmpNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) {
    return a.int_value() < b.int_value() ? -1 : (a.int_value() > b.int_value() ? 1 : 0);
  }
  return CmpDouble(a.AsDouble(), b.AsDouble());
}

// The binary operators, told apart by their spelling's characters (no string compares per event).
enum class BinOp { kAnd, kOr, kEq, kNe, kLt, kGt, kLe, kGe, kAdd, kSub, kMul, kDiv, kMod, kOther };

BinOp ClassifyOp(const std::string& op) {
  if (op.size() == 1) {
    switch (op[0]) {
      case '=': return BinOp::kEq;
      case '<': return BinOp::kLt;
      case '>': return BinOp::kGt;
      case '+': return BinOp::kAdd;
      case '-': return BinOp::kSub;
      case '*': return BinOp::kMul;
      case '/': return BinOp::kDiv;
      case '%': return BinOp::kMod;
      default: return BinOp::kOther;
    }
  }
  if (op.size() == 2) {
    if (op[1] == '=') {
      if (op[0] == '!') return BinOp::kNe;
      if (op[0] == '<') return BinOp::kLe;
      if (op[0] == '>') return BinOp::kGe;
    }
    if (op[0] == 'o' && op[1] == 'r') return BinOp::kOr;
    return BinOp::kOther;
  }
  if (op == "and") return BinOp::kAnd;
  return BinOp::kOther;
}

Value Arith(BinOp op, const Value& a, const Value& b) {
  Number x, y;
  if (!ToNumber(a, &x) || !ToNumber(b, &y)) return Value::Null();
  if (x.is_int && y.is_int && op != BinOp::kDiv) {
    int64_t p = x.i, q = y.i, r = 0;
    if (op == BinOp::kAdd && !__builtin_add_overflow(p, q, &r)) return Value::Int(r);
    if (op == BinOp::kSub && !__builtin_sub_overflow(p, q, &r)) return Value::Int(r);
    if (op == BinOp::kMul && !__builtin_mul_overflow(p, q, &r)) return Value::Int(r);
    if (op == BinOp::kMod) return q == 0 ? Value::Null() : Value::Int(p % q);
  }
  double p = x.AsDouble(), q = y.AsDouble();
  double r = 0;
  if (op == BinOp::kAdd) r = p + q;
  else if (op == BinOp::kSub) r = p - q;
  else if (op == BinOp::kMul) r = p * q;
  else if (op == BinOp::kDiv) {
    if (q == 0) return Value::Null();
    r = p / q;
    if (x.is_int && y.is_int && r == std::floor(r) && std::fabs(r) < 9e18) {
      return Value::Int(static_cast<int64_t>(r));
    }
  } else if (op == BinOp::kMod) {
    if (q == 0) return Value::Null();
    r = std::fmod(p, q);
  }
  return Value::Double(r);
}

std::string Text(const Value& v) { return v.ToText(); }

}  // namespace

int CompareNumbers(const Number& a, const Number& b) {
  if (a.is_int && b.is_int) return a.i < b.i ? -1 : (a.i > b.i ? 1 : 0);
  return CmpDouble(a.AsDouble(), b.AsDouble());
}

bool NumericComparison::Match(const Expr& e, NumericComparison* out) {
  if (e.kind != Expr::Kind::kBinary || e.args.size() != 2) return false;
  const Expr* field = &e.args[0];
  const Expr* literal = &e.args[1];
  bool flipped = false;
  if (field->kind != Expr::Kind::kField) {
    std::swap(field, literal);
    flipped = true;
  }
  if (field->kind != Expr::Kind::kField || field->field_id < 0 || literal->kind != Expr::Kind::kLiteral ||
      !literal->value.is_number()) {
    return false;
  }
  Op op;
  switch (ClassifyOp(e.op)) {
    case BinOp::kLt: op = flipped ? Op::kGt : Op::kLt; break;
    case BinOp::kGt: op = flipped ? Op::kLt : Op::kGt; break;
    case BinOp::kLe: op = flipped ? Op::kGe : Op::kLe; break;
    case BinOp::kGe: op = flipped ? Op::kLe : Op::kGe; break;
    default: return false;
  }
  out->field_ = field->field_id;
  out->op_ = op;
  if (!ToNumber(literal->value, &out->literal_)) return false;
  return true;
}

bool CompareEq(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return false;
  if (a.is_number() || b.is_number()) {
    Number x, y;
    if (ToNumber(a, &x) && ToNumber(b, &y)) return CompareNumbers(x, y) == 0;
  }
  if (a.is_bool() || b.is_bool()) return Text(a) == Text(b);
  if (a.is_string() && b.is_string()) return a.str() == b.str();
  return Text(a) == Text(b);
}

std::optional<int> CompareOrder(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return std::nullopt;
  Number x, y;
  if (ToNumber(a, &x) && ToNumber(b, &y)) return CompareNumbers(x, y);
  if (a.is_number() || b.is_number()) return std::nullopt;  // type mismatch
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  std::string s = Text(a), t = Text(b);
  int c = s.compare(t);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int SortCompare(const Value& a, const Value& b) {
  bool an = a.is_number(), bn = b.is_number();
  if (an && bn) return CmpNumbers(a, b);
  if (an != bn) return an ? -1 : 1;  // numbers before strings (ascending)
  if (a.is_string() && b.is_string()) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  std::string s = Text(a), t = Text(b);
  int c = s.compare(t);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

namespace {

Value CallFunction(const Expr& e, const Record& r) {
  const std::string& fn = e.name;
  if (fn == "if") {
    Value c = Eval(e.args[0], r);
    Value a = Eval(e.args[Truthy(c) ? 1 : 2], r);
    return a;
  }
  std::vector<Value> args;
  args.reserve(e.args.size());
  for (const auto& a : e.args) args.push_back(Eval(a, r));
  const Value& x = args[0];
  if (fn == "num" || fn == "number") {
    auto n = ToNum(x);
    return n ? *n : Value::Null();
  }
  if (fn == "tolong" || fn == "toint") {
    auto n = ToNum(x);
    if (!n) return Value::Null();
    if (n->is_int()) return *n;
    double d = std::trunc(n->double_value());
    if (std::fabs(d) > 9.2e18) return Value::Null();
    return Value::Int(static_cast<int64_t>(d));
  }
  if (fn == "tostring") return x.is_null() ? Value::Null() : Value::String(x.ToText());
  if (fn == "isnull") return Value::Bool(x.is_null());
  if (fn == "isempty") return Value::Bool(x.is_null() || (x.is_string() && x.str().empty()));
  if (fn == "isblank") {
    if (x.is_null()) return Value::Bool(true);
    if (!x.is_string()) return Value::Bool(false);
    return Value::Bool(Trim(x.str()).empty());
  }
  if (fn == "isnumeric") return Value::Bool(ToNum(x).has_value());
  if (fn == "contains") {
    if (x.is_null() || args[1].is_null()) return Value::Bool(false);
    std::string a = x.ToText(), b = args[1].ToText();
    if (a.empty() && b.empty()) return Value::Bool(true);
    if (a.empty() || b.empty()) return Value::Bool(false);
    return Value::Bool(a.find(b) != std::string::npos);
  }
  if (fn == "length") return x.is_null() ? Value::Null() : Value::Int(static_cast<int64_t>(x.ToText().size()));
  if (fn == "tolowercase") return x.is_null() ? Value::Null() : Value::String(ToLower(x.ToText()));
  if (fn == "touppercase") {
    if (x.is_null()) return Value::Null();
    std::string s = x.ToText();
    for (auto& ch : s) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    return Value::String(s);
  }
  if (fn == "trim") return x.is_null() ? Value::Null() : Value::String(std::string(Trim(x.ToText())));
  if (fn == "concat") {
    std::string s;
    for (const auto& a : args) s += a.ToText();
    return Value::String(s);
  }
  if (fn == "substring") {
    if (x.is_null()) return Value::Null();
    std::string s = x.ToText();
    auto start = ToNum(args[1]);
    if (!start) return Value::Null();
    int64_t b = std::clamp<int64_t>(static_cast<int64_t>(start->AsDouble()), 0, static_cast<int64_t>(s.size()));
    int64_t end = static_cast<int64_t>(s.size());
    if (args.size() > 2) {
      auto en = ToNum(args[2]);
      if (!en) return Value::Null();
      end = std::clamp<int64_t>(static_cast<int64_t>(en->AsDouble()), b, static_cast<int64_t>(s.size()));
    }
    return Value::String(s.substr(static_cast<size_t>(b), static_cast<size_t>(end - b)));
  }
  if (fn == "replace") {
    if (x.is_null()) return Value::Null();
    std::string s = x.ToText(), from = args[1].ToText(), to = args[2].ToText();
    if (from.empty()) return Value::String(s);
    std::string out;
    size_t pos = 0;
    while (true) {
      size_t f = s.find(from, pos);
      if (f == std::string::npos) break;
      out += s.substr(pos, f - pos) + to;
      pos = f + from.size();
    }
    out += s.substr(pos);
    return Value::String(out);
  }
  if (fn == "min" || fn == "max") {
    std::optional<Value> best;
    for (const auto& a : args) {
      auto n = ToNum(a);
      if (!n) continue;
      if (!best || (fn == "min" ? CmpNumbers(*n, *best) < 0 : CmpNumbers(*n, *best) > 0)) best = n;
    }
    return best ? *best : Value::Null();
  }
  auto n = ToNum(x);
  if (!n) return Value::Null();
  if (fn == "abs") return n->is_int() ? Value::Int(n->int_value() < 0 ? -n->int_value() : n->int_value())
                                      : Value::Double(std::fabs(n->double_value()));
  if (fn == "ceil") return n->is_int() ? *n : Value::Int(static_cast<int64_t>(std::ceil(n->double_value())));
  if (fn == "floor") return n->is_int() ? *n : Value::Int(static_cast<int64_t>(std::floor(n->double_value())));
  if (fn == "sqrt") return n->AsDouble() < 0 ? Value::Null() : Value::Double(std::sqrt(n->AsDouble()));
  if (fn == "round") {
    if (args.size() > 1) {
      auto d = ToNum(args[1]);
      if (!d) return Value::Null();
      double f = std::pow(10.0, std::floor(d->AsDouble()));
      return Value::Double(std::round(n->AsDouble() * f) / f);
    }
    return n->is_int() ? *n : Value::Int(static_cast<int64_t>(std::llround(n->double_value())));
  }
  return Value::Null();
}

}  // namespace

namespace {

// Eval without a copy for fields and literals (the operands of most comparisons): a reference to
// the record's or the expression's value; anything else is evaluated into *tmp.
const Value& EvalRef(const Expr& e, const Record& r, Value* tmp) {
  if (e.kind == Expr::Kind::kField) return r.Get(e.field_id);
  if (e.kind == Expr::Kind::kLiteral) return e.value;
  *tmp = Eval(e, r);
  return *tmp;
}

}  // namespace

Value Eval(const Expr& e, const Record& r) {
  switch (e.kind) {
    case Expr::Kind::kLiteral: return e.value;
    case Expr::Kind::kField: return r.Get(e.field_id);
    case Expr::Kind::kUnary: {
      Value v = Eval(e.args[0], r);
      if (e.op == "!") return Value::Bool(!Truthy(v));
      auto n = ToNum(v);
      if (!n) return Value::Null();
      return n->is_int() ? Value::Int(-n->int_value()) : Value::Double(-n->double_value());
    }
    case Expr::Kind::kBinary: {
      BinOp op = ClassifyOp(e.op);
      if (op == BinOp::kAnd) return Value::Bool(Truthy(Eval(e.args[0], r)) && Truthy(Eval(e.args[1], r)));
      if (op == BinOp::kOr) return Value::Bool(Truthy(Eval(e.args[0], r)) || Truthy(Eval(e.args[1], r)));
      Value ta, tb;
      const Value& a = EvalRef(e.args[0], r, &ta);
      const Value& b = EvalRef(e.args[1], r, &tb);
      switch (op) {
        case BinOp::kEq: return Value::Bool(CompareEq(a, b));
        case BinOp::kNe:
          if (a.is_null() || b.is_null()) return Value::Bool(false);
          return Value::Bool(!CompareEq(a, b));
        case BinOp::kLt:
        case BinOp::kGt:
        case BinOp::kLe:
        case BinOp::kGe: {
          auto c = CompareOrder(a, b);
          if (!c) return Value::Bool(false);
          if (op == BinOp::kLt) return Value::Bool(*c < 0);
          if (op == BinOp::kGt) return Value::Bool(*c > 0);
          if (op == BinOp::kLe) return Value::Bool(*c <= 0);
          return Value::Bool(*c >= 0);
        }
        default: return Arith(op, a, b);
      }
    }
    case Expr::Kind::kCall: return CallFunction(e, r);
    case Expr::Kind::kMatches: {
      Value ta;
      const Value& a = EvalRef(e.args[0], r, &ta);
      if (a.is_null()) return Value::Bool(false);
      if (e.is_regex && a.is_string()) return Value::Bool(e.regex->Matches(a.str()));
      std::string text = a.ToText();
      if (e.is_regex) return Value::Bool(e.regex->Matches(text));
      if (e.args.size() > 1) {
        Value p = Eval(e.args[1], r);
        if (p.is_null()) return Value::Bool(false);
        return Value::Bool(GlobMatch(p.ToText(), text, false, false));
      }
      return Value::Bool(GlobMatch(e.pattern, text, false, false));
    }
    case Expr::Kind::kIn: {
      Value ta;
      const Value& a = EvalRef(e.args[0], r, &ta);
      if (a.is_null()) return Value::Bool(false);
      bool found = false;
      Value tb;
      for (size_t i = 1; i < e.args.size() && !found; ++i) found = CompareEq(a, EvalRef(e.args[i], r, &tb));
      return Value::Bool(e.negate ? !found : found);
    }
    case Expr::Kind::kContains: {
      Value a = Eval(e.args[0], r);
      Value b = Eval(e.args[1], r);
      if (a.is_null() || b.is_null()) return Value::Bool(false);
      std::string s = a.ToText(), t = b.ToText();
      if (s.empty() && t.empty()) return Value::Bool(true);
      if (s.empty() || t.empty()) return Value::Bool(false);
      return Value::Bool(s.find(t) != std::string::npos);
    }
    case Expr::Kind::kTernary: {
      Value c = Eval(e.args[0], r);
      return Eval(e.args[Truthy(c) ? 1 : 2], r);
    }
  }
  return Value::Null();
}

}  // namespace cairn::query
