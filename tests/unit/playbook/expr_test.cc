#include "engine/playbook/expr.h"

#include <gtest/gtest.h>

namespace cairn::playbook {
namespace {

Json Ctx() {
  return Json::parse(R"({
    "onset": {"found": true, "minute": "2024-01-19T09:45:00Z", "total": 412},
    "changes": {"items": [{"actor": "a", "new_location": true}, {"actor": "b", "new_location": false},
                          {"actor": "a", "new_location": false}]},
    "inputs": {"min": 10}
  })");
}

TEST(PlaybookExprTest, PathsComparisonsAndLogic) {
  EXPECT_EQ(*Evaluate("onset.total > inputs.min", Ctx()), true);
  EXPECT_EQ(*Evaluate("onset.found and not changes.missing", Ctx()), true);
  EXPECT_EQ(*Evaluate("onset.total == 412 or false", Ctx()), true);
  EXPECT_EQ(*Evaluate("changes.items[1].actor", Ctx()), "b");
  EXPECT_TRUE(Evaluate("changes.items[9].actor", Ctx())->is_null());
  EXPECT_EQ(*Evaluate("onset.total - 12", Ctx()), 400);
}

TEST(PlaybookExprTest, ListFunctions) {
  EXPECT_EQ(*Evaluate("len(changes.items)", Ctx()), 3);
  EXPECT_EQ(*Evaluate("any(changes.items, \"new_location\")", Ctx()), true);
  EXPECT_EQ(*Evaluate("count(changes.items, \"actor\", \"a\")", Ctx()), 2);
  EXPECT_EQ(*Evaluate("unique(pluck(changes.items, \"actor\"))", Ctx()), Json::parse(R"(["a","b"])"));
  EXPECT_EQ(*Evaluate("join(unique(pluck(changes.items, \"actor\")), \"+\")", Ctx()), "a+b");
  EXPECT_EQ(*Evaluate("default(nothing.here, 7)", Ctx()), 7);
  EXPECT_EQ(*Evaluate("quote(\"a\\\"b\")", Ctx()), "\"a\\\"b\"");
}

TEST(PlaybookExprTest, WithoutDropsValuesAndTheItemsOfLists) {
  EXPECT_EQ(*Evaluate("without(pluck(changes.items, \"actor\"), \"a\")", Ctx()), Json::parse(R"(["b"])"));
  EXPECT_EQ(*Evaluate("without(pluck(changes.items, \"actor\"), changes.items[1].actor)", Ctx()),
            Json::parse(R"(["a","a"])"));
  EXPECT_EQ(*Evaluate("without(concat(1, 2, 3, 2), concat(2, 9), 3)", Ctx()), Json::parse("[1]"));
  // Nothing to drop (a missing value), or nothing to drop from.
  EXPECT_EQ(*Evaluate("without(pluck(changes.items, \"actor\"), nothing.here)", Ctx()),
            Json::parse(R"(["a","b","a"])"));
  EXPECT_EQ(*Evaluate("without(onset.total, 412)", Ctx()), Json::array());
  EXPECT_EQ(*Evaluate("len(without(pluck(changes.items, \"actor\"), \"a\", \"b\"))", Ctx()), 0);
}

TEST(PlaybookExprTest, TemplatesKeepTypesWhenWhole) {
  EXPECT_EQ(*ExpandTemplate("${onset.total}", Ctx()), 412);
  EXPECT_EQ(*ExpandTemplate("spike of ${onset.total} errors at ${onset.minute}", Ctx()),
            "spike of 412 errors at 2024-01-19T09:45:00Z");
  auto roots = TemplateRoots("a ${onset.total} b ${len(changes.items)}");
  ASSERT_TRUE(roots.ok());
  EXPECT_EQ(*roots, (std::vector<std::string>{"onset", "changes"}));
}

TEST(PlaybookExprTest, ErrorsPointAtTheSpot) {
  auto r = Evaluate("onset.total >", Ctx());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message(), "unexpected end of expression");
  EXPECT_EQ(r.error().span()->column, 14);
  auto f = Evaluate("size(x)", Ctx());
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.error().message(), "unknown function 'size'");
  auto t = ExpandTemplate("open ${onset", Ctx());
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message(), "unterminated '${' in template");
}

}  // namespace
}  // namespace cairn::playbook
