#pragma once
// Keyword index internals shared by case_store.cc and keyword_index.cc (the SQLite side).

#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/common/result.h"

struct sqlite3;

namespace cairn::store::internal {

// Meta key of the watermark: every event with id <= its value is in the kw tables.
constexpr const char* kKeywordWatermarkKey = "kw_indexed_through";

// The candidates of a lookup expression (keyword_index.h): ids ascending, then every id in
// [range_from, range_to] (the events above the watermark; empty when range_from > range_to).
struct KeywordCandidateSet {
  std::vector<int64_t> ids;
  int64_t range_from = 1;
  int64_t range_to = 0;
};

// Evaluates expr against the kw tables (or, in a case from before them that still has its FTS5
// table events_fts, against that). Errors: kInvalidArgument (bad expression), kIo.
Result<KeywordCandidateSet> EvalKeywordExpression(sqlite3* db, std::string_view expr);

// Registers the eponymous table function cairn_kw(expr) -> (id) on db. Returns an SQLite code.
int RegisterKeywordFunction(sqlite3* db);

}  // namespace cairn::store::internal
