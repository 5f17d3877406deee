#pragma once
// Lexer and parser of the pipeline language (docs/query-language.md, spec §1.4–§16).
// Pure functions, thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/query/ast.h"

namespace cairn::query {

// Parses a whole query. Errors are kParse (kUnsupported for recognised but unavailable features)
// with a SourceSpan (source "query", 1-based line/column, byte offset, length and the offending
// line as snippet) and, where one exists, a "did you mean" help line.
Result<Pipeline> ParseQuery(std::string_view query);

// Replaces // and /* */ comments by spaces (spec §1.5: only outside strings and regex literals;
// '//' starts a comment only at line start or after whitespace). Offsets are preserved.
std::string StripComments(std::string_view query);

// Builds the SourceSpan of [offset, offset+length) in query (line/column/snippet).
SourceSpan SpanAt(std::string_view query, int64_t offset, int64_t length);

// Operator names the parser knows (for hints and docs).
const std::vector<std::string>& OperatorNames();
// Function names usable in expressions.
const std::vector<std::string>& FunctionNames();
// Geo field names of lookup/geoip (spec §14.2).
const std::vector<std::string>& GeoFieldNames();

// Unescaping rules of spec §1.5 for a string body (without the quotes).
std::string UnescapeOrdinary(std::string_view body);
std::string UnescapeAnchor(std::string_view body);
std::string UnescapeRegex(std::string_view body);

}  // namespace cairn::query
