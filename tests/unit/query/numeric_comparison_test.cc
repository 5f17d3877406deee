// `where FIELD < NUMBER` and its kin are decided without Eval (NumericComparison, exec_internal.h):
// for every operator, either operand order and values of every kind, the shortcut must give what
// the general evaluator gives.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "engine/query/exec_internal.h"
#include "engine/query/parser.h"

namespace cairn::query {
namespace {

// The where expression of `* | where TEXT`, its fields resolved in `fields`.
Expr WhereExpr(const std::string& text, FieldRegistry& fields) {
  auto p = ParseQuery("* | where " + text);
  EXPECT_TRUE(p.ok()) << text;
  if (!p.ok()) return Expr();
  EXPECT_EQ(p->ops.size(), 1u);
  Expr e = p->ops.at(0).expr;
  ResolveExpr(e, fields);
  return e;
}

TEST(NumericComparisonTest, AgreesWithEvalOnEveryKindOfValue) {
  const std::vector<Value> values = {
      Value::Null(),           Value::Int(399),          Value::Int(400),         Value::Int(401),
      Value::Int(-5),          Value::Double(400.0),     Value::Double(400.5),    Value::Double(399.999),
      Value::String("403"),    Value::String("400"),     Value::String("200"),    Value::String("400.25"),
      Value::String("4e2"),    Value::String(" 401 "),   Value::String("+401"),   Value::String("-"),
      Value::String(""),       Value::String("abc"),     Value::String("403x"),   Value::Bool(true),
      Value::Time(401),        Value::String("99999999999999999999"),
  };
  const std::vector<std::string> shapes = {
      "status > 400",  "status < 400",  "status >= 400", "status <= 400",   "400 < status",
      "400 > status",  "400 <= status", "400 >= status", "status > 400.25", "status <= 0.5",
      "status > 1e2",
  };
  int decided = 0;
  for (const std::string& shape : shapes) {
    FieldRegistry fields;
    Expr e = WhereExpr(shape, fields);
    NumericComparison fast;
    ASSERT_TRUE(NumericComparison::Match(e, &fast)) << shape;
    const int id = fields.Find("status");
    ASSERT_GE(id, 0);
    for (const Value& v : values) {
      Record r;
      r.Set(id, v);
      const bool want = Truthy(Eval(e, r));
      EXPECT_EQ(fast.Holds(r), want) << shape << " with " << v.ToText();
      ++decided;
    }
    // A field the record does not have is null: never true.
    EXPECT_FALSE(fast.Holds(Record())) << shape;
  }
  EXPECT_EQ(decided, static_cast<int>(shapes.size() * values.size()));
}

TEST(NumericComparisonTest, OnlyAFieldAgainstANumberIsTakenOver) {
  for (const char* text : {"status > \"400\"", "status = 400", "status != 400", "a > b", "status + 1 > 400",
                                  "400 > 300", "status > 400 and status < 500", "!(status > 400)"}) {
    FieldRegistry fields;
    Expr e = WhereExpr(text, fields);
    NumericComparison fast;
    EXPECT_FALSE(NumericComparison::Match(e, &fast)) << text;
  }
}

}  // namespace
}  // namespace cairn::query
