#pragma once
// Physical operators ("stages") of the executor. Internal to engine/query.
//
// Stages form a chain. Begin(shape) announces the columns of the rows that follow; Push(record)
// delivers one record/row; Finish() ends the stream. Streaming stages (parse, where, ...) work in
// Push and forward; blocking stages (aggregates, sort, transpose, outlier, ...) collect in Push and
// emit their rows from Finish, announcing their output shape first.

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/strings.h"
#include "engine/query/exec_internal.h"

namespace cairn::geo {
class GeoDb;
}

namespace cairn::query {

struct Shape {
  bool aggregated = false;
  std::vector<int> cols;  // aggregated: the row columns; records: fields shown between
                          // _messageTime and _raw
};

void AddColumn(Shape* shape, int id);

class Stage {
 public:
  virtual ~Stage() = default;
  virtual Status Begin(const Shape& in) { return next_->Begin(in); }
  virtual Status Push(Record& r) = 0;
  virtual Status Finish() { return next_->Finish(); }
  // True when the stage's result does not depend on the order of its input records.
  virtual bool OrderInsensitive() const { return false; }
  virtual bool Blocking() const { return false; }
  // Parallel scans (query.cc): the stages up to the first blocking one may run as one copy per
  // thread, each copy on its own share of the events, when each keeps no state across records or
  // only state that MergeFrom folds together; that first blocking stage must be one too.
  virtual bool ParallelSafe() const { return false; }
  // Folds in the state of `other`, a copy of this stage (built from the same operator, with field
  // ids equal to this one's) that saw other records. Called before Finish, on one thread.
  virtual Status MergeFrom(Stage& other) {
    (void)other;
    return Ok();
  }

  // `json auto` reading leaf columns (store/event_leaves.h) rather than the text: the lower-case
  // paths of its keys, in order, and the other paths whose leaves would land in a field of the
  // query. False when this stage cannot take its input from leaf columns. Call after Begin.
  virtual bool JsonLeafPaths(std::vector<std::string>* keys, std::vector<std::string>* others) const {
    (void)keys;
    (void)others;
    return false;
  }
  // Pushes r with the keys' values from the columns (nullptr: absent or null), as Push would have
  // extracted them from the text. Only after JsonLeafPaths returned true, and only for a record
  // in which none of the other paths occurs.
  virtual Status PushJsonLeaves(Record& r, const std::vector<const std::string_view*>& values) {
    (void)r;
    (void)values;
    return Error::Internal("this operator does not read leaf columns");
  }

  // The first stage of a scan, when it reads the event's text (field raw_field, _raw): whether it
  // may drop events by their text alone (DropsText). False for every stage that cannot.
  virtual bool DropsByText(int raw_field) const {
    (void)raw_field;
    return false;
  }
  // After DropsByText(raw_field) returned true: whether this stage would drop the event whose
  // _raw is raw, whatever its other fields. A scan then skips the event without making its
  // record; for an event kept it must call Push next, which may reuse the work done here.
  virtual bool DropsText(std::string_view raw) {
    (void)raw;
    return false;
  }

  // A stage that only passes on the records where one field, compared with a number, holds
  // (`where FIELD > 400`): that comparison. The stage before it may drop the other records early
  // (parse does, before setting its captures). Null for every other stage.
  virtual const NumericComparison* NumericFilter() const { return nullptr; }

  void set_next(Stage* next) {
    next_ = next;
    Linked();
  }

 protected:
  // Called when next_ is set (the next stage is built by then).
  virtual void Linked() {}
  Stage* next_ = nullptr;
};

// Factories. `ctx` outlives the stages. Errors are kParse with spans (name checks done here).
Result<std::unique_ptr<Stage>> MakeParseStage(const Operator& op, ExecContext& ctx);
Result<std::unique_ptr<Stage>> MakeRegexStage(const Operator& op, ExecContext& ctx);
// selective: every field the rest of the pipeline can see is named in the query, so `json auto`
// need only read the leaves of those names.
Result<std::unique_ptr<Stage>> MakeJsonStage(const Operator& op, ExecContext& ctx, bool selective);
std::unique_ptr<Stage> MakeWhereStage(Operator op, ExecContext& ctx);
std::unique_ptr<Stage> MakeAssignStage(Operator op, ExecContext& ctx);
std::unique_ptr<Stage> MakeTimesliceStage(const Operator& op, ExecContext& ctx);
std::unique_ptr<Stage> MakeAggregateStage(const Operator& op, ExecContext& ctx);
std::unique_ptr<Stage> MakeCountFrequentStage(const Operator& op, ExecContext& ctx);
std::unique_ptr<Stage> MakeSortStage(std::vector<SortKey> keys, ExecContext& ctx);
std::unique_ptr<Stage> MakeLimitStage(int64_t n, ExecContext& ctx, bool can_stop);
std::unique_ptr<Stage> MakeFieldsStage(const Operator& op, ExecContext& ctx);
Result<std::unique_ptr<Stage>> MakeTransposeStage(const Operator& op, ExecContext& ctx);
Result<std::unique_ptr<Stage>> MakeOutlierStage(const Operator& op, ExecContext& ctx);
Result<std::unique_ptr<Stage>> MakeFillMissingStage(const Operator& op, ExecContext& ctx);
std::unique_ptr<Stage> MakeTotalStage(const Operator& op, ExecContext& ctx);

// summarize 'details' runs the query twice: the first pass trains the clusterers (model->learning),
// the second replays the same messages into fresh clusterers and maps each message to the
// signature the first pass ended with (LogClusterer::SignatureOf), so every event gets its final
// signature with memory bounded by the number of signatures. Opaque; owned by the planner.
struct SummarizeModel;
struct SummarizeModelDeleter {
  void operator()(SummarizeModel* model) const;
};
using SummarizeModelPtr = std::unique_ptr<SummarizeModel, SummarizeModelDeleter>;
SummarizeModelPtr NewSummarizeModel();
void SetSummarizeLearning(SummarizeModel* model, bool learning);
// model: null unless op.details.
std::unique_ptr<Stage> MakeLogReduceStage(const Operator& op, ExecContext& ctx, SummarizeModel* model);
// lookup ... from csv://FILE: loads the table (errors: kNotFound for a missing file, kInvalidArgument
// for a missing column, with a span into the query). Appends the output field names to *created.
Result<std::unique_ptr<Stage>> MakeCsvLookupStage(const Pipeline& p, const Operator& op, ExecContext& ctx,
                                                  std::vector<std::string>* created);
// ip_field: the field holding the address; columns: (geo name, output name).
std::unique_ptr<Stage> MakeGeoStage(int ip_field, std::vector<LookupColumn> columns,
                                    const geo::GeoDb* db, ExecContext& ctx);

// parse's anchor search without a regex engine: literals L0..Ln of the pattern L0 * L1 * ... Ln;
// the same match and groups as CompiledRegex::Search of L0(.*?)L1(.*?)...Ln with dotall, case-
// sensitive (the last capture is (.*) when Ln is empty). groups: [0] the match, [k] capture k.
bool ParseLiteralSearch(const std::vector<std::string>& literals, std::string_view text,
                        std::vector<std::pair<size_t, size_t>>* groups);
// ParseLiteralSearch with the literals prepared (one LiteralFinder each), inline: parse runs it
// on every event of a scan. Why the first occurrences give the regex's match: stages.cc.
inline bool SearchLiterals(const std::vector<LiteralFinder>& literals, std::string_view text,
                          std::vector<std::pair<size_t, size_t>>* groups) {
  constexpr size_t npos = std::string_view::npos;
  const size_t n = literals.size();
  groups->assign(n, {npos, npos});
  if (n == 0) return false;
  const bool last_greedy = n >= 2 && literals.back().size() == 0;
  const size_t start = literals[0].Find(text);
  if (start == npos) return false;
  size_t pos = start + literals[0].size();
  for (size_t k = 1; k < n; ++k) {
    if (k + 1 == n && last_greedy) {
      (*groups)[k] = {pos, text.size()};
      pos = text.size();
      break;
    }
    const size_t found = literals[k].Find(text, pos);
    if (found == npos) return false;
    (*groups)[k] = {pos, found};
    pos = found + literals[k].size();
  }
  (*groups)[0] = {start, pos};
  return true;
}

// The end of the chain: converts records/rows to values for the RowSink.
class OutputStage final : public Stage {
 public:
  OutputStage(ExecContext& ctx, RowSink& sink, QueryResult& result);
  Status Begin(const Shape& in) override;
  Status Push(Record& r) override;
  Status Finish() override { return Ok(); }

 private:
  ExecContext& ctx_;
  RowSink& sink_;
  QueryResult& result_;
  std::vector<int> ids_;
  std::vector<std::string> names_;
  std::vector<Value> values_;
};

}  // namespace cairn::query
