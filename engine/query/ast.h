#pragma once
// The abstract syntax tree of a pipeline query (docs/query-language.md). Produced by
// ParseQuery (engine/query/parser.h), consumed by the planner/executor (engine/query/query.h).
// Nodes are plain values; a span (byte offset and length into the query text) is kept on every
// node that an error may point at.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/query/value.h"

namespace cairn::query {

struct TextSpan {
  int64_t offset = 0;
  int64_t length = 0;
};

// The keyword expression before the first '|' (spec §2).
struct ScopeNode {
  enum class Kind { kAll, kAnd, kOr, kNot, kTerm, kPhrase, kMeta };
  Kind kind = Kind::kAll;
  std::vector<ScopeNode> children;
  std::string text;       // kTerm: the bare term; kPhrase: unescaped phrase; kMeta: the value
  std::string meta_name;  // kMeta: lower-case metadata name (_sourcecategory, ...)
  bool meta_quoted = false;
  TextSpan span;
};

class CompiledRegex;  // PCRE2 code, defined in regex_internal.h

// An expression of where / assignment / if / sort (spec §6).
struct Expr {
  enum class Kind {
    kLiteral,   // value
    kField,     // name (display spelling), lower-case key in key
    kUnary,     // op: "-" or "!"; args[0]
    kBinary,    // op: + - * / % = != < > <= >= and or; args[0], args[1]
    kCall,      // name (lower-case function name); args
    kMatches,   // args[0] matches (pattern text | regex | args[1] field); is_regex
    kIn,        // args[0] [not] in (args[1..])
    kContains,  // args[0] contains args[1]
    kTernary,   // args[0] ? args[1] : args[2]
  };
  Kind kind = Kind::kLiteral;
  std::string op;
  std::string name;
  std::string key;
  Value value;
  std::vector<Expr> args;
  bool negate = false;
  bool is_regex = false;
  std::string pattern;  // kMatches with a literal pattern (glob or regex text)
  std::shared_ptr<const CompiledRegex> regex;  // shared: compiled once, immutable, copied with AST
  int field_id = -1;    // kField: resolved by the planner
  TextSpan span;
};

struct AggCall {
  std::string func;   // count, count_distinct, sum, avg, min, max, stddev, pct
  std::string field;  // empty for plain count
  std::vector<double> percentiles;
  std::vector<std::string> percentile_texts;  // as written (for the _f_pct_p name)
  std::string alias;  // empty: default name
  TextSpan span;
};

struct SortKey {
  Expr expr;
  bool descending = true;
};

struct LookupColumn {
  std::string name;   // lower-case geo field name
  std::string alias;  // output name (defaults to name)
};

struct FillGenerator {
  enum class Kind { kTimeslice, kValues, kValuesAll };
  Kind kind = Kind::kTimeslice;
  int64_t size_ms = 0;  // kTimeslice: 0 = the previous timeslice's size
  std::string field;    // key field (default _timeslice)
  std::vector<std::string> values;
};

struct FillDefault {
  Value value;
  std::string field;
};

struct Operator {
  enum class Kind {
    kParse, kParseRegex, kJson, kWhere, kAssign, kTimeslice, kAggregate, kCountFrequent, kTop,
    kTranspose, kOutlier, kLogReduce, kLookup, kGeoip, kSort, kLimit, kFields, kFillMissing,
    kTotal,
  };
  Kind kind = Kind::kWhere;
  TextSpan span;             // the operator keyword
  std::string text;          // the whole operator text, for messages

  // parse / parse regex / json / logreduce / lookup / geoip: input field ("" = _raw)
  std::string input_field;
  std::string pattern;                 // parse anchor pattern (unescaped) or regex
  TextSpan pattern_span;
  std::vector<std::string> names;      // output names (parse, json as, geoip fields, fields list)
  bool nodrop = false;
  bool multi = false;
  // json
  bool json_auto = false;
  bool refonly = false;
  bool extract_arrays = false;
  int maxdepth = 0;                    // 0 = unlimited
  std::vector<std::string> keys;
  // where / assign / if
  Expr expr;
  std::string target;                  // assign: output name
  // timeslice
  int64_t slice_ms = 0;
  int64_t buckets = 0;
  std::string alias;                   // timeslice as / total as
  // aggregates, count_frequent, top, outlier by, logreduce by, total by
  std::vector<AggCall> aggs;
  std::vector<std::string> by;
  int64_t limit = 0;                   // top N, limit N, logreduce limit
  std::string top_by;                  // top ... by <field/agg>
  // transpose
  std::vector<std::string> rows;
  std::vector<std::string> columns;
  std::vector<std::string> as_list;    // transpose as (may contain "*")
  // outlier
  std::string field;                   // outlier / total target
  int64_t window = 10;
  double threshold = 3.0;
  int64_t consecutive = 1;
  std::string direction = "+-";
  // logreduce
  bool least_common = false;
  bool details = false;                // 'details': the events, each with its signature
  std::string signature_filter;        // 'signature="ID"': details of the signatures whose id
                                       // starts with this text
  bool compare = false;                // 'compare': signatures of the range vs a baseline range
  int64_t baseline_shift_ms = 0;       // compare: baseline = range shifted back by this (> 0)
  std::optional<int64_t> baseline_from;  // compare: explicit baseline range [from, to) in ms
  std::optional<int64_t> baseline_to;
  // lookup
  std::vector<LookupColumn> lookup_columns;
  std::string lookup_ip_field;         // empty: the shorthand (resolved by the planner)
  bool lookup_shorthand = false;
  std::string lookup_table;            // CSV table path (from csv://... or path://"..."); "" = geo
  TextSpan lookup_table_span;
  // CSV join: (table column, event field) pairs, each with the span of the pair.
  std::vector<std::pair<std::string, std::string>> lookup_join;
  std::vector<TextSpan> lookup_join_spans;
  // sort
  std::vector<SortKey> sort_keys;
  // fields
  bool deny = false;
  // fillmissing
  std::vector<FillGenerator> generators;
  std::vector<FillDefault> fills;
  bool take_last = false;
};

struct Pipeline {
  std::string text;       // the query as given
  ScopeNode scope;
  std::vector<Operator> ops;
};

}  // namespace cairn::query
