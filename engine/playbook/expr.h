#pragma once
// The small expression language of playbooks (docs/playbooks.md, "Expressions").
//   literals: 12, 0.5, "text", true, false, null
//   paths:    onset.minute, changes.items[0].actor, inputs.window   (missing → null)
//   operators: == != < <= > >= and or not, + - (numbers), parentheses
//   functions: len(x), exists(x), any(list, "field"), count(list, "field", value), first(list),
//              join(list, "sep"), pluck(list, "field"), unique(list), default(x, y), lower(x),
//              ms("15m") (a duration in milliseconds), concat(a, b, ...) (lists joined), quote(x) (a query string literal with \" and \\ escaped)
// Templates: "text ${expr} text"; a value that is exactly "${expr}" yields the typed value.

#include <string>

#include <nlohmann/json.hpp>

#include "engine/common/result.h"

namespace cairn::playbook {

using Json = nlohmann::json;

// Checks that an expression parses (for the loader). The error's span column is 1-based within
// the expression.
Status CheckExpression(const std::string& expr);
// Collects the root names an expression refers to ("onset" for onset.minute).
std::vector<std::string> ExpressionRoots(const std::string& expr);

// Evaluates an expression against a context object (variables are its top-level keys).
Result<Json> Evaluate(const std::string& expr, const Json& context);
// Truthiness: false, null, 0, "", [] and {} are false.
bool Truthy(const Json& value);

// Expands "${...}" in a template. When the whole template is one ${expr}, returns the typed value;
// otherwise a string with each value rendered (strings bare, numbers shortest, lists joined by ", ").
Result<Json> ExpandTemplate(const std::string& text, const Json& context);
// Roots referenced by the ${...} parts of a template.
Result<std::vector<std::string>> TemplateRoots(const std::string& text);

// Renders a JSON value for a sentence: strings bare, numbers without trailing zeros.
std::string RenderValue(const Json& value);

}  // namespace cairn::playbook
