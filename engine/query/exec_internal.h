#pragma once
// Internals shared by the planner and the operators of engine/query. Not a public header.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/common/result.h"
#include "engine/query/ast.h"
#include "engine/query/query.h"
#include "engine/query/regex_internal.h"
#include "engine/query/value.h"

namespace cairn::query {

// System fields read from the event row or its source (docs/query-language.md "Built-in fields").
enum class Builtin : uint8_t {
  kNone,
  kRaw, kMessageTime, kSourceCategory, kSourceName, kSourceHost, kSource, kCollector, kSize,
  kFormat, kMessageCount,
  kColumn,  // a typed column of the events table
};

// Field names, case-insensitive (spec §1.3): lower-cased key -> id; first spelling is displayed.
class FieldRegistry {
 public:
  FieldRegistry();
  int Intern(std::string_view name);
  int Find(std::string_view name) const;  // -1 when unknown
  const std::string& Display(int id) const { return display_[static_cast<size_t>(id)]; }
  void SetDisplay(int id, std::string name) { display_[static_cast<size_t>(id)] = std::move(name); }
  Builtin builtin(int id) const {
    return static_cast<size_t>(id) < builtin_.size() ? builtin_[static_cast<size_t>(id)] : Builtin::kNone;
  }
  // For kColumn builtins: the SQL column name.
  const std::string& column(int id) const { return column_[static_cast<size_t>(id)]; }
  size_t size() const { return display_.size(); }
  size_t builtin_count() const { return builtin_count_; }
  // Every builtin id that has been referenced by Intern since construction.
  const std::vector<bool>& referenced() const { return referenced_; }
  // From TrackLater() on, the builtins referenced are also noted here (BuildStages starts it at
  // the second operator): what the operators after the first one read.
  void TrackLater() {
    tracking_later_ = true;
    referenced_later_.assign(builtin_count_, false);
  }
  bool tracking_later() const { return tracking_later_; }
  bool referenced_later(int id) const {
    return !tracking_later_ || referenced_later_[static_cast<size_t>(id)];  // unknown: assume so
  }
  void Alias(std::string_view alias, int id) { by_key_[std::string(alias)] = id; }
  // Every (lower-case name or alias, id) known so far.
  const std::unordered_map<std::string, int>& Keys() const { return by_key_; }

 private:
  std::unordered_map<std::string, int> by_key_;
  std::vector<std::string> display_;
  std::vector<Builtin> builtin_;
  std::vector<std::string> column_;
  std::vector<bool> referenced_;
  std::vector<bool> referenced_later_;
  bool tracking_later_ = false;
  size_t builtin_count_ = 0;
};

// One event as read from SQLite; values of builtin fields indexed by field id (< builtin_count).
struct BaseEvent {
  int64_t id = 0;
  int64_t ts = 0;
  int64_t source_id = 0;
  std::vector<Value> values;
  // _raw as a view into the block being read: values[raw_index] becomes a copy of it on its first
  // Get, so a stage that reads the view (RawView) spares the copy. Own() copies it before keeping.
  size_t raw_index = SIZE_MAX;
  mutable std::string_view raw_view;
  mutable bool raw_pending = false;

  const Value& Get(size_t i) const {
    if (raw_pending && i == raw_index) {
      const_cast<Value&>(values[i]).SetString(raw_view);  // base events are never const objects
      raw_pending = false;
    }
    return values[i];
  }
};

struct Slot {
  Value value;
  bool set = false;
};

// A record (event) or a row (aggregate output). Field slots are indexed by field id.
struct Record {
  const BaseEvent* base = nullptr;
  std::shared_ptr<BaseEvent> owned;  // shared: copies of a buffered record share one base event
  std::vector<Slot> slots;
  size_t touched_lo = SIZE_MAX, touched_hi = 0;  // the slots At() handed out since UnsetSlots

  const Value& Get(int id) const {
    static const Value kNull;
    if (id < 0) return kNull;
    size_t i = static_cast<size_t>(id);
    if (i < slots.size() && slots[i].set) return slots[i].value;
    if (base && i < base->values.size()) return base->Get(i);
    return kNull;
  }
  // The text of field `id` when it is the event's _raw not yet copied (false otherwise: use Get).
  bool RawView(int id, std::string_view* out) const {
    size_t i = static_cast<size_t>(id);
    if (!base || !base->raw_pending || i != base->raw_index) return false;
    if (i < slots.size() && slots[i].set) return false;
    *out = base->raw_view;
    return true;
  }
  bool Has(int id) const {
    size_t i = static_cast<size_t>(id);
    return id >= 0 && i < slots.size() && slots[i].set;
  }
  // The slot of `id`, to set (every setter goes through here).
  Slot& At(int id) {
    size_t i = static_cast<size_t>(id);
    if (i >= slots.size()) slots.resize(i + 1);
    if (i < touched_lo) touched_lo = i;
    if (i > touched_hi) touched_hi = i;
    return slots[i];
  }
  // Unsets every slot (a record reused for the next event): only those At() handed out since the
  // last call. A record has a slot per field id, builtins included, of 64 bytes each: unsetting
  // them all was most of feeding an event to the operators.
  void UnsetSlots() {
    for (size_t i = touched_lo; i <= touched_hi && i < slots.size(); ++i) slots[i].set = false;
    touched_lo = SIZE_MAX;
    touched_hi = 0;
  }
  void Set(int id, Value v) {
    Slot& s = At(id);
    s.value = std::move(v);
    s.set = true;
  }
  void SetTime(int id, int64_t ms) {
    Slot& s = At(id);
    s.value.SetInt(ms, true);
    s.set = true;
  }
  void SetString(int id, std::string_view text) {
    Slot& s = At(id);
    s.value.SetString(text);
    s.set = true;
  }
  // Detaches from the SQLite row buffer so the record can be kept.
  void Own() {
    if (base && !owned) {
      if (base->raw_pending) base->Get(base->raw_index);
      owned = std::make_shared<BaseEvent>(*base);
      base = owned.get();
    }
  }
};

struct ExecContext {
  FieldRegistry fields;
  QueryOptions options;
  std::vector<std::string> notices;
  std::string geo_db;
  bool stop = false;  // a limit is satisfied and nothing before it needs more input
  std::optional<std::pair<TimeMs, TimeMs>> range;  // search range for buckets / fillmissing
  int64_t last_slice_ms = 0;                       // size of the most recent timeslice op
  // summarize compare: the range under study and the baseline range, [from, to) in ms. The SQL
  // reads both; summarize counts each event in the range(s) its time falls in.
  struct CompareRanges {
    TimeMs from = 0, to = 0;
    TimeMs baseline_from = 0, baseline_to = 0;
  };
  std::optional<CompareRanges> compare;
};

// ---- expressions (eval.cc) ----

// Resolves field names in an expression to ids (Expr::value.int of kField holds the id after this
// call; stored in Expr::op as text to keep Expr simple). Compiles glob patterns.
void ResolveExpr(Expr& e, FieldRegistry& fields);
Value Eval(const Expr& e, const Record& r);
bool Truthy(const Value& v);
// Spec §6.2 comparisons; false when either side is null.
bool CompareEq(const Value& a, const Value& b);
// -1/0/1 or nullopt when not comparable (mixed numeric/non-numeric).
std::optional<int> CompareOrder(const Value& a, const Value& b);
// -1/0/1: CompareOrder of two numbers (integers exactly, else as doubles).
int CompareNumbers(const Number& a, const Number& b);
// `field < number` (<, >, <=, >=; either side may be the field) decided without Eval: a field's
// order against a numeric literal is only ever its number's (CompareOrder: a non-numeric or null
// value against a number is not comparable, so false).
class NumericComparison {
 public:
  // Whether e has that shape (ResolveExpr done); *out then evaluates it.
  static bool Match(const Expr& e, NumericComparison* out);
  bool Holds(const Record& r) const {
    Number x;
    return ToNumber(r.Get(field_), &x) && Holds(x);
  }
  // For the field holding the string `text`.
  bool HoldsText(std::string_view text) const {
    Number x;
    if (PlainDigitsToNumber(text, &x) && literal_.is_int) {  // the common case, inline
      return HoldsInts(x.i, literal_.i);
    }
    return ToNumber(text, &x) && Holds(x);
  }
  int field() const { return field_; }

 private:
  bool HoldsInts(int64_t x, int64_t literal) const {
    switch (op_) {
      case Op::kLt: return x < literal;
      case Op::kGt: return x > literal;
      case Op::kLe: return x <= literal;
      case Op::kGe: return x >= literal;
    }
    return false;
  }
  bool Holds(const Number& x) const {
    const int c = CompareNumbers(x, literal_);
    switch (op_) {
      case Op::kLt: return c < 0;
      case Op::kGt: return c > 0;
      case Op::kLe: return c <= 0;
      case Op::kGe: return c >= 0;
    }
    return false;
  }

  enum class Op { kLt, kGt, kLe, kGe };
  int field_ = -1;
  Number literal_;
  Op op_ = Op::kLt;
};

// Sort order of spec §15.2 (numbers numerically before strings; nulls handled by the caller).
int SortCompare(const Value& a, const Value& b);
// Anchored glob with '*' (and '?' when question is true).
bool GlobMatch(std::string_view pattern, std::string_view text, bool caseless, bool question);

// ---- keyword scope (scope.cc) ----

class ScopeMatcher;
struct SourceInfo {
  std::vector<std::string> categories;
  std::string name;
  std::string path;
  std::string host;
  std::string format;
};

// The SQL of a keyword-index lookup in ScopePlan::where_sql: SQLite drives the statement by it,
// seeking each candidate's row. kKeywordFilterSql is the same test as a filter only (the unary +
// keeps SQLite from seeking by it), for a statement driven by a rowid range.
constexpr const char* kKeywordLookupSql = "e.id IN (SELECT id FROM cairn_kw(?))";
constexpr const char* kKeywordFilterSql = "+e.id IN (SELECT id FROM cairn_kw(?))";

struct ScopePlan {
  std::string where_sql;          // condition on alias e (empty: no constraint)
  std::vector<std::string> params;
  bool needs_raw = false;         // exact check needs raw
  bool needs_host = false;        // _sourceHost predicate needs events.host
  bool used_fts = false;
  // A keyword-index expression that every match satisfies (the whole scope, or one side of its
  // top-level AND); empty when the index lookups sit under an OR.
  std::string required_kw;
  // The keyword index decides the keywords exactly: every keyword is a whole ASCII word of fewer
  // than store::kMaxKeywordBytes bytes (no wildcard, no space or punctuation), and they all sit in
  // required_kw (the scope is a keyword, or an AND of keywords and source predicates). Then an
  // indexed event matches iff it is a candidate of required_kw and ScopeMatcher::MatchesSource
  // holds: no check on its text is needed.
  bool kw_exact = false;
};

class ScopeMatcher {
 public:
  // Compiles the scope; sources is the case's sources by id.
  static Result<std::unique_ptr<ScopeMatcher>> Create(const ScopeNode& scope,
                                                      const std::unordered_map<int64_t, SourceInfo>* sources,
                                                      std::string_view query_text);
  ~ScopeMatcher();
  const ScopePlan& plan() const { return plan_; }
  bool trivial() const;
  // Exact check (§2.2) of an event: raw text, source id, event host (may be empty).
  bool Matches(std::string_view raw, int64_t source_id, std::string_view event_host) const;
  // With plan().kw_exact: the scope of a candidate of required_kw, its keywords taken as found.
  bool MatchesSource(int64_t source_id) const;

 private:
  ScopeMatcher() = default;
  struct Node;
  std::unique_ptr<Node> root_;
  ScopePlan plan_;
  const std::unordered_map<int64_t, SourceInfo>* sources_ = nullptr;
  bool Eval(const Node& n, std::string_view raw, int64_t source_id, std::string_view host,
            bool keywords_found = false) const;
};

// Compiles one keyword (bare term or phrase) to its case-insensitive matcher (spec §2.2).
Result<std::shared_ptr<CompiledRegex>> CompileKeyword(std::string_view text, bool phrase);

}  // namespace cairn::query
