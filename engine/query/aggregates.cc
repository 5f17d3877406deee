// Blocking operators: aggregates, count_frequent, sort, transpose, outlier, fillmissing, total,
// logreduce/summarize.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "engine/cluster/log_cluster.h"
#include "engine/common/strings.h"
#include "engine/query/stages_internal.h"

namespace cairn::query {

namespace {

void AppendKey(std::string* key, const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kNull: *key += 'n'; break;
    case Value::Kind::kString: *key += 's'; *key += v.str(); break;
    default: *key += 'v'; v.AppendText(key); break;
  }
  *key += '\x1f';
}

// Ascending comparison with nulls last.
int KeyCompare(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null() ? 0 : (a.is_null() ? 1 : -1);
  return SortCompare(a, b);
}

// An output row before it is emitted: (field id, value) in the order they are set; a later one
// of the same id wins, as in a Record. A Record per row would hold a slot for every field id.
struct CompactRow {
  std::vector<std::pair<int, Value>> sets;
  void Set(int id, Value v) { sets.emplace_back(id, std::move(v)); }
  const Value& Get(int id) const {
    static const Value kNull;
    for (size_t i = sets.size(); i-- > 0;) {
      if (sets[i].first == id) return sets[i].second;
    }
    return kNull;
  }
  bool Has(int id) const {
    return std::any_of(sets.begin(), sets.end(), [id](const auto& s) { return s.first == id; });
  }
};

// Blocking stage base: collects rows; Emit() announces the shape and pushes rows.
class BlockingStage : public Stage {
 public:
  explicit BlockingStage(ExecContext& ctx) : ctx_(ctx) {}
  bool Blocking() const override { return true; }
  Status Begin(const Shape& in) override {
    in_ = in;
    return Ok();
  }

 protected:
  Status Emit(const Shape& shape, std::vector<Record>& rows) {
    CAIRN_TRY(next_->Begin(shape));
    for (auto& r : rows) {
      CAIRN_TRY(next_->Push(r));
    }
    return next_->Finish();
  }
  // Emit for compact rows, through one reused Record.
  Status EmitRows(const Shape& shape, std::vector<CompactRow>& rows) {
    CAIRN_TRY(next_->Begin(shape));
    Record out;
    for (CompactRow& row : rows) {
      out.UnsetSlots();
      for (auto& [id, v] : row.sets) out.Set(id, std::move(v));
      CAIRN_TRY(next_->Push(out));
    }
    return next_->Finish();
  }
  ExecContext& ctx_;
  Shape in_;
};

// ---- aggregate ----------------------------------------------------------------------------

struct AggState {
  int64_t count = 0;
  bool all_int = true;
  bool overflow = false;
  int64_t isum = 0;
  double dsum = 0;
  int64_t n = 0;
  double mean = 0, m2 = 0;  // Welford
  // What only min, max, count_distinct and pct keep: made on first use, so that a group of
  // counts and sums is a few words (groups are many: one per minute and value, per thread).
  struct Extra {
    std::optional<Value> min, max;
    std::unordered_set<std::string> distinct;
    std::vector<double> values;
  };
  std::unique_ptr<Extra> extra;
  Extra& x() {
    if (!extra) extra = std::make_unique<Extra>();
    return *extra;
  }
};

class AggregateStage final : public BlockingStage {
 public:
  AggregateStage(const Operator& op, ExecContext& ctx) : BlockingStage(ctx), aggs_(op.aggs) {
    for (const auto& b : op.by) keys_.push_back(ctx.fields.Intern(b));
    for (auto& a : aggs_) {
      funcs_.push_back(FuncOf(a.func));
      field_ids_.push_back(a.field.empty() ? -1 : ctx.fields.Intern(a.field));
      if (a.func == "pct") {
        for (size_t k = 0; k < a.percentiles.size(); ++k) {
          std::string name = !a.alias.empty() && a.percentiles.size() == 1
                                 ? a.alias
                                 : "_" + a.field + "_pct_" + a.percentile_texts[k];
          out_ids_.push_back(ctx.fields.Intern(name));
        }
      } else {
        out_ids_.push_back(ctx.fields.Intern(a.alias.empty() ? "_" + a.func : a.alias));
      }
    }
    timeslice_ = ctx.fields.Find("_timeslice");
  }
  bool OrderInsensitive() const override { return true; }
  bool ParallelSafe() const override { return true; }

  // Group by group, state by state. Sums of doubles and stddev may differ from a one-thread run
  // in the last bits (another order of additions); counts, integer sums, min, max, pct and
  // count_distinct are exact.
  Status MergeFrom(Stage& other) override {
    auto& o = static_cast<AggregateStage&>(other);
    last_group_ = nullptr;
    o.last_group_ = nullptr;
    // Their groups that are not ours move over as they are (nodes, not copies); those left in
    // o are ours too, and fold into ours.
    groups_.merge(o.groups_);
    for (auto& [key, theirs] : o.groups_) {
      Group& ours = groups_.find(key)->second;
      for (size_t k = 0; k < aggs_.size(); ++k) Merge(ours.states[k], theirs.states[k]);
    }
    o.groups_.clear();
    if (groups_.size() > 1000000) return TooManyGroups();
    return Ok();
  }

  Status Push(Record& r) override {
    // Consecutive events often fall in the same group: the last one is checked first, on the
    // values themselves (the same values make the same key; others go the key's way).
    Group* gp = SameKeysAsLast(r) ? last_group_ : nullptr;
    if (gp == nullptr) {
      key_.clear();
      for (int id : keys_) AppendKey(&key_, r.Get(id));
      if (last_group_ != nullptr && key_ == last_key_) gp = last_group_;
    }
    if (gp == nullptr) {
      auto it = groups_.find(key_);
      if (it == groups_.end()) {
        if (groups_.size() >= 1000000) return TooManyGroups();
        Group g;
        for (int id : keys_) g.keys.push_back(r.Get(id));
        g.states.resize(aggs_.size());
        it = groups_.emplace(key_, std::move(g)).first;
      }
      gp = &it->second;  // node-based map: stays valid as groups are added
      last_group_ = gp;
      last_key_.assign(key_);
      last_values_.resize(keys_.size());
      for (size_t k = 0; k < keys_.size(); ++k) last_values_[k] = r.Get(keys_[k]);
    }
    Group& g = *gp;
    for (size_t k = 0; k < aggs_.size(); ++k) {
      AggState& s = g.states[k];
      Func f = funcs_[k];
      if (f == Func::kCount) {
        if (field_ids_[k] < 0 || !r.Get(field_ids_[k]).is_null()) ++s.count;
        continue;
      }
      const Value& v = r.Get(field_ids_[k]);
      if (f == Func::kCountDistinct) {
        if (v.is_null()) continue;
        text_.clear();
        v.AppendText(&text_);
        auto& distinct = s.x().distinct;
        if (distinct.find(text_) == distinct.end()) distinct.insert(text_);
        continue;
      }
      if (f == Func::kOther) continue;
      auto num = ToNum(v);
      if (!num) continue;
      ++s.n;
      double d = num->AsDouble();
      switch (f) {
        case Func::kSum:
        case Func::kAvg:
          if (num->is_int() && s.all_int && !s.overflow) {
            if (__builtin_add_overflow(s.isum, num->int_value(), &s.isum)) s.overflow = true;
          } else {
            s.all_int = false;
          }
          s.dsum += d;
          break;
        case Func::kMin:
          if (auto& min = s.x().min; !min || SortCompare(*num, *min) < 0) min = *num;
          break;
        case Func::kMax:
          if (auto& max = s.x().max; !max || SortCompare(*num, *max) > 0) max = *num;
          break;
        case Func::kStddev: {
          double delta = d - s.mean;
          s.mean += delta / static_cast<double>(s.n);
          s.m2 += delta * (d - s.mean);
          break;
        }
        case Func::kPct: s.x().values.push_back(d); break;
        default: break;
      }
    }
    return Ok();
  }

  Status Finish() override {
    std::vector<Group*> order;
    if (groups_.empty() && keys_.empty()) {
      Group g;
      g.states.resize(aggs_.size());
      groups_.emplace("", std::move(g));
    }
    last_group_ = nullptr;
    for (auto& [k, g] : groups_) order.push_back(&g);
    // Rows are kept as their field assignments, in order (a later one of the same id wins, as
    // in a Record), and emitted through one reused Record: a Record per row would hold a slot
    // for every field id.
    std::vector<Row> rows;
    rows.reserve(order.size());
    for (Group* g : order) {
      Row r;
      r.sets.reserve(keys_.size() + out_ids_.size());
      for (size_t k = 0; k < keys_.size(); ++k) r.Set(keys_[k], std::move(g->keys[k]));
      size_t out = 0;
      for (size_t k = 0; k < aggs_.size(); ++k) {
        const AggState& s = g->states[k];
        const std::string& fn = aggs_[k].func;
        if (fn == "count") {
          r.Set(out_ids_[out++], Value::Int(s.count));
        } else if (fn == "count_distinct") {
          r.Set(out_ids_[out++], Value::Int(s.extra ? static_cast<int64_t>(s.extra->distinct.size()) : 0));
        } else if (fn == "sum") {
          r.Set(out_ids_[out++], s.all_int && !s.overflow ? Value::Int(s.isum) : Value::Double(s.dsum));
        } else if (fn == "avg") {
          r.Set(out_ids_[out++], s.n ? Value::Double(s.dsum / static_cast<double>(s.n)) : Value::Null());
        } else if (fn == "min") {
          r.Set(out_ids_[out++], s.extra && s.extra->min ? *s.extra->min : Value::Null());
        } else if (fn == "max") {
          r.Set(out_ids_[out++], s.extra && s.extra->max ? *s.extra->max : Value::Null());
        } else if (fn == "stddev") {
          Value v = s.n == 0 ? Value::Null()
                             : Value::Double(s.n == 1 ? 0.0 : std::sqrt(s.m2 / static_cast<double>(s.n - 1)));
          r.Set(out_ids_[out++], v);
        } else if (fn == "pct") {
          std::vector<double> sorted = s.extra ? s.extra->values : std::vector<double>();
          std::sort(sorted.begin(), sorted.end());
          for (double p : aggs_[k].percentiles) {
            if (sorted.empty()) {
              r.Set(out_ids_[out++], Value::Null());
              continue;
            }
            double rank = std::ceil(p / 100.0 * static_cast<double>(sorted.size()));
            size_t idx = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
            idx = std::min(idx, sorted.size() - 1);
            double v = sorted[idx];
            r.Set(out_ids_[out++], v == std::floor(v) && std::fabs(v) < 9e18
                                       ? Value::Int(static_cast<int64_t>(v))
                                       : Value::Double(v));
          }
        }
      }
      rows.push_back(std::move(r));
    }
    // Deterministic default order (spec §9.2).
    auto ts_pos = std::find(keys_.begin(), keys_.end(), timeslice_);
    if (timeslice_ >= 0 && ts_pos != keys_.end()) {
      std::vector<int> order_keys = {timeslice_};
      for (int id : keys_) {
        if (id != timeslice_) order_keys.push_back(id);
      }
      std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        for (int id : order_keys) {
          int c = KeyCompare(a.Get(id), b.Get(id));
          if (c) return c < 0;
        }
        return false;
      });
    } else {
      int first = out_ids_.empty() ? -1 : out_ids_[0];
      std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
        if (first >= 0) {
          const Value& x = a.Get(first);
          const Value& y = b.Get(first);
          if (!(x.is_null() && y.is_null())) {
            if (x.is_null() != y.is_null()) return y.is_null();
            int c = SortCompare(x, y);
            if (c) return c > 0;
          }
        }
        for (int id : keys_) {
          int c = KeyCompare(a.Get(id), b.Get(id));
          if (c) return c < 0;
        }
        return false;
      });
    }
    Shape shape;
    shape.aggregated = true;
    for (int id : keys_) AddColumn(&shape, id);
    for (int id : out_ids_) AddColumn(&shape, id);
    groups_.clear();
    return EmitRows(shape, rows);
  }

 private:
  struct Group {
    std::vector<Value> keys;
    std::vector<AggState> states;
  };
  using Row = CompactRow;
  enum class Func : uint8_t { kCount, kCountDistinct, kSum, kAvg, kMin, kMax, kStddev, kPct, kOther };
  static Error TooManyGroups() {
    return Error::Unsupported("more than 1,000,000 groups in an aggregate")
        .WithHelp("narrow the search or group by fewer fields");
  }
  static void Merge(AggState& a, AggState& b) {
    a.count += b.count;
    if (!b.all_int) a.all_int = false;
    if (b.overflow || __builtin_add_overflow(a.isum, b.isum, &a.isum)) a.overflow = true;
    a.dsum += b.dsum;
    // Welford states combine as in Chan et al.'s pairwise update.
    if (b.n > 0) {
      const double na = static_cast<double>(a.n), nb = static_cast<double>(b.n), n = na + nb;
      const double delta = b.mean - a.mean;
      a.mean += delta * nb / n;
      a.m2 += b.m2 + delta * delta * na * nb / n;
    }
    a.n += b.n;
    if (b.extra) {
      AggState::Extra& ax = a.x();
      AggState::Extra& bx = *b.extra;
      ax.distinct.merge(bx.distinct);
      if (bx.min && (!ax.min || SortCompare(*bx.min, *ax.min) < 0)) ax.min = std::move(bx.min);
      if (bx.max && (!ax.max || SortCompare(*bx.max, *ax.max) > 0)) ax.max = std::move(bx.max);
      ax.values.insert(ax.values.end(), bx.values.begin(), bx.values.end());
    }
  }
  static Func FuncOf(const std::string& fn) {
    if (fn == "count") return Func::kCount;
    if (fn == "count_distinct") return Func::kCountDistinct;
    if (fn == "sum") return Func::kSum;
    if (fn == "avg") return Func::kAvg;
    if (fn == "min") return Func::kMin;
    if (fn == "max") return Func::kMax;
    if (fn == "stddev") return Func::kStddev;
    if (fn == "pct") return Func::kPct;
    return Func::kOther;
  }
  std::vector<AggCall> aggs_;
  std::vector<Func> funcs_;
  std::vector<int> keys_;
  std::vector<int> field_ids_;
  std::vector<int> out_ids_;
  int timeslice_ = -1;
  std::unordered_map<std::string, Group> groups_;
  std::string key_;
  // Whether the record's key values are those of last_group_ (last_values_): equal values, and
  // zeros of one sign (0 and -0 print differently, so are different keys). Values that differ may
  // still share a key (an int and a double of one number): the key text decides those.
  bool SameKeysAsLast(const Record& r) const {
    if (last_group_ == nullptr || last_values_.size() != keys_.size()) return false;
    for (size_t k = 0; k < keys_.size(); ++k) {
      const Value& v = r.Get(keys_[k]);
      const Value& w = last_values_[k];
      if (!(v == w) || (v.is_double() && std::signbit(v.double_value()) != std::signbit(w.double_value()))) {
        return false;
      }
    }
    return true;
  }

  Group* last_group_ = nullptr;  // the group of the previous event, whose key is last_key_
  std::string last_key_;
  std::vector<Value> last_values_;  // and whose key values these are
  std::string text_;  // count_distinct's value as text
};

// ---- count_frequent ------------------------------------------------------------------------

class CountFrequentStage final : public BlockingStage {
 public:
  CountFrequentStage(const Operator& op, ExecContext& ctx) : BlockingStage(ctx) {
    for (const auto& b : op.by) keys_.push_back(ctx.fields.Intern(b));
    out_ = ctx.fields.Intern("_approxcount");
  }
  bool OrderInsensitive() const override { return true; }
  Status Push(Record& r) override {
    key_.clear();
    for (int id : keys_) AppendKey(&key_, r.Get(id));
    auto it = groups_.find(key_);
    if (it == groups_.end()) {
      std::vector<Value> k;
      for (int id : keys_) k.push_back(r.Get(id));
      it = groups_.emplace(key_, std::make_pair(std::move(k), int64_t{0})).first;
    }
    ++it->second.second;
    return Ok();
  }
  Status Finish() override {
    std::vector<Record> rows;
    for (auto& [k, g] : groups_) {
      Record r;
      for (size_t i = 0; i < keys_.size(); ++i) r.Set(keys_[i], g.first[i]);
      r.Set(out_, Value::Int(g.second));
      rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(), [&](const Record& a, const Record& b) {
      int64_t x = a.Get(out_).int_value(), y = b.Get(out_).int_value();
      if (x != y) return x > y;
      for (int id : keys_) {
        int c = KeyCompare(a.Get(id), b.Get(id));
        if (c) return c < 0;
      }
      return false;
    });
    if (rows.size() > 10000) rows.resize(10000);
    Shape shape;
    shape.aggregated = true;
    for (int id : keys_) AddColumn(&shape, id);
    AddColumn(&shape, out_);
    return Emit(shape, rows);
  }

 private:
  std::vector<int> keys_;
  int out_;
  std::unordered_map<std::string, std::pair<std::vector<Value>, int64_t>> groups_;
  std::string key_;
};

// ---- sort --------------------------------------------------------------------------------

class SortStage final : public BlockingStage {
 public:
  SortStage(std::vector<SortKey> keys, ExecContext& ctx) : BlockingStage(ctx), keys_(std::move(keys)) {
    for (auto& k : keys_) ResolveExpr(k.expr, ctx.fields);
  }
  Status Push(Record& r) override {
    r.Own();
    rows_.push_back(r);
    return Ok();
  }
  Status Finish() override {
    std::vector<std::vector<Value>> sort_values(rows_.size());
    for (size_t i = 0; i < rows_.size(); ++i) {
      for (const auto& k : keys_) sort_values[i].push_back(Eval(k.expr, rows_[i]));
    }
    std::vector<size_t> idx(rows_.size());
    for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
    std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
      for (size_t k = 0; k < keys_.size(); ++k) {
        const Value& x = sort_values[a][k];
        const Value& y = sort_values[b][k];
        if (x.is_null() || y.is_null()) {
          if (x.is_null() == y.is_null()) continue;
          return y.is_null();  // nulls last in both directions
        }
        int c = SortCompare(x, y);
        if (c) return keys_[k].descending ? c > 0 : c < 0;
      }
      return false;
    });
    std::vector<Record> sorted;
    sorted.reserve(rows_.size());
    for (size_t i : idx) sorted.push_back(std::move(rows_[i]));
    rows_.clear();
    return Emit(in_, sorted);
  }

 private:
  std::vector<SortKey> keys_;
  std::vector<Record> rows_;
};

// ---- transpose ---------------------------------------------------------------------------

class TransposeStage final : public BlockingStage {
 public:
  TransposeStage(const Operator& op, ExecContext& ctx) : BlockingStage(ctx), as_(op.as_list) {
    for (const auto& n : op.rows) rows_.push_back(ctx.fields.Intern(n));
    for (const auto& n : op.columns) cols_.push_back(ctx.fields.Intern(n));
  }
  Status Begin(const Shape& in) override {
    CAIRN_TRY(BlockingStage::Begin(in));
    value_fields_.clear();
    for (int id : in_.cols) {
      if (std::find(rows_.begin(), rows_.end(), id) != rows_.end()) continue;
      if (std::find(cols_.begin(), cols_.end(), id) != cols_.end()) continue;
      if (ctx_.fields.Display(id) == "__timeslice_end") continue;
      value_fields_.push_back(id);
    }
    read_ = rows_;
    read_.insert(read_.end(), cols_.begin(), cols_.end());
    read_.insert(read_.end(), value_fields_.begin(), value_fields_.end());
    return Ok();
  }
  // Keeps only the values Finish reads (rows_, cols_ and value fields), not the whole record.
  Status Push(Record& r) override {
    Kept k;
    k.values.reserve(read_.size());
    for (int id : read_) k.values.push_back(r.Get(id));
    input_.push_back(std::move(k));
    return Ok();
  }
  Status Finish() override {
    const std::vector<int>& value_fields = value_fields_;
    // Row groups
    std::map<std::string, size_t> row_index;
    std::vector<CompactRow> out;
    std::vector<std::string> dyn_names;
    std::unordered_map<std::string, int> dyn_ids;
    int64_t skipped = 0;
    for (const Kept& kept : input_) {
      KeptView in(kept, read_);
      std::string col_name;
      bool null_col = false;
      for (size_t k = 0; k < cols_.size(); ++k) {
        const Value& v = in.Get(cols_[k]);
        if (v.is_null()) null_col = true;
        if (k) col_name += "_";
        col_name += v.ToText();
      }
      if (null_col) {
        ++skipped;
        continue;
      }
      std::string key;
      for (int id : rows_) AppendKey(&key, in.Get(id));
      auto it = row_index.find(key);
      if (it == row_index.end()) {
        CompactRow r;
        for (int id : rows_) r.Set(id, in.Get(id));
        out.push_back(std::move(r));
        it = row_index.emplace(key, out.size() - 1).first;
      }
      for (int vf : value_fields) {
        std::string name = value_fields.size() == 1 ? col_name : col_name + "_" + ctx_.fields.Display(vf);
        auto d = dyn_ids.find(name);
        if (d == dyn_ids.end()) {
          int id = ctx_.fields.Intern(name);
          d = dyn_ids.emplace(name, id).first;
          dyn_names.push_back(name);
        }
        out[it->second].Set(d->second, in.Get(vf));
      }
    }
    input_.clear();
    if (skipped) {
      ctx_.notices.push_back("transpose skipped " + std::to_string(skipped) +
                             " row(s) whose column field is null");
    }
    bool all_numeric = std::all_of(dyn_names.begin(), dyn_names.end(),
                                   [](const std::string& n) { return ParseNumber(n).has_value(); });
    std::sort(dyn_names.begin(), dyn_names.end(), [&](const std::string& a, const std::string& b) {
      if (all_numeric) {
        double x = ParseNumber(a)->AsDouble(), y = ParseNumber(b)->AsDouble();
        if (x != y) return x < y;
      }
      return a < b;
    });
    for (auto& r : out) {
      for (const auto& n : dyn_names) {
        int id = dyn_ids[n];
        if (!r.Has(id)) r.Set(id, Value::Null());
      }
    }
    std::stable_sort(out.begin(), out.end(), [&](const CompactRow& a, const CompactRow& b) {
      for (int id : rows_) {
        int c = KeyCompare(a.Get(id), b.Get(id));
        if (c) return c < 0;
      }
      return false;
    });
    Shape shape;
    shape.aggregated = true;
    for (int id : rows_) AddColumn(&shape, id);
    if (as_.empty()) {
      for (const auto& n : dyn_names) AddColumn(&shape, dyn_ids[n]);
    } else {
      for (const auto& n : as_) {
        if (n == "*") {
          for (const auto& d : dyn_names) AddColumn(&shape, dyn_ids[d]);
        } else {
          int id = ctx_.fields.Intern(n);
          for (auto& r : out) {
            if (!r.Has(id)) r.Set(id, Value::Null());
          }
          AddColumn(&shape, id);
        }
      }
    }
    return EmitRows(shape, out);
  }

 private:
  // An input record's values of read_, in that order; Get(id) as Record::Get for those ids.
  struct Kept {
    std::vector<Value> values;
  };
  class KeptView {
   public:
    KeptView(const Kept& k, const std::vector<int>& ids) : k_(k), ids_(ids) {}
    const Value& Get(int id) const {
      for (size_t i = 0; i < ids_.size(); ++i) {
        if (ids_[i] == id) return k_.values[i];
      }
      static const Value kNull;
      return kNull;
    }
   private:
    const Kept& k_;
    const std::vector<int>& ids_;
  };
  std::vector<std::string> as_;
  std::vector<int> rows_;
  std::vector<int> cols_;
  std::vector<int> value_fields_;
  std::vector<int> read_;  // rows_, cols_, value_fields_
  std::vector<Kept> input_;
};

// ---- outlier -----------------------------------------------------------------------------

class OutlierStage final : public BlockingStage {
 public:
  OutlierStage(const Operator& op, ExecContext& ctx, int timeslice)
      : BlockingStage(ctx), op_(op), timeslice_(timeslice) {
    field_ = ctx.fields.Intern(op.field);
    for (const auto& b : op.by) by_.push_back(ctx.fields.Intern(b));
    const std::string& base = op.field;
    for (const char* suffix : {"_error", "_std", "_lower", "_upper", "_indicator", "_violation"}) {
      outs_.push_back(ctx.fields.Intern(base + suffix));
    }
  }
  Status Push(Record& r) override {
    r.Own();
    rows_.push_back(r);
    return Ok();
  }
  Status Finish() override {
    if (std::find(in_.cols.begin(), in_.cols.end(), timeslice_) == in_.cols.end()) {
      return Error::InvalidArgument("outlier needs the _timeslice column")
          .WithHelp("put 'timeslice 1m' and an aggregate 'by _timeslice' (not aliased) before outlier");
    }
    std::map<std::string, std::vector<size_t>> series;
    for (size_t i = 0; i < rows_.size(); ++i) {
      std::string key;
      for (int id : by_) AppendKey(&key, rows_[i].Get(id));
      series[key].push_back(i);
    }
    for (auto& [key, idx] : series) {
      std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) {
        return KeyCompare(rows_[a].Get(timeslice_), rows_[b].Get(timeslice_)) < 0;
      });
      std::vector<double> history;
      int64_t run = 0;
      for (size_t pos = 0; pos < idx.size(); ++pos) {
        Record& r = rows_[idx[pos]];
        auto x = ToNum(r.Get(field_));
        bool last = pos + 1 == idx.size();
        auto set_empty = [&] {
          for (size_t k = 0; k < 4; ++k) r.Set(outs_[k], Value::Null());
          r.Set(outs_[4], Value::Int(0));
          r.Set(outs_[5], Value::Int(0));
        };
        if (!x) {
          set_empty();
          run = 0;
          continue;
        }
        double v = x->AsDouble();
        size_t n = std::min<size_t>(history.size(), static_cast<size_t>(op_.window));
        if (n < 2 || (last && ctx_.options.outlier_skip_last)) {
          set_empty();
          run = 0;
          history.push_back(v);
          continue;
        }
        double mean = 0;
        for (size_t k = history.size() - n; k < history.size(); ++k) mean += history[k];
        mean /= static_cast<double>(n);
        double ss = 0;
        for (size_t k = history.size() - n; k < history.size(); ++k) ss += (history[k] - mean) * (history[k] - mean);
        double sd = std::sqrt(ss / static_cast<double>(n - 1));
        double lower = mean - op_.threshold * sd, upper = mean + op_.threshold * sd;
        bool up = op_.direction != "-" && v > upper;
        bool down = op_.direction != "+" && v < lower;
        int64_t ind = (up || down) ? 1 : 0;
        run = ind ? run + 1 : 0;
        r.Set(outs_[0], Value::Double(v - mean));
        r.Set(outs_[1], Value::Double(sd));
        r.Set(outs_[2], Value::Double(lower));
        r.Set(outs_[3], Value::Double(upper));
        r.Set(outs_[4], Value::Int(ind));
        r.Set(outs_[5], Value::Int(run >= op_.consecutive ? 1 : 0));
        history.push_back(v);
      }
    }
    Shape shape = in_;
    for (int id : outs_) AddColumn(&shape, id);
    return Emit(shape, rows_);
  }

 private:
  Operator op_;
  int timeslice_;
  int field_;
  std::vector<int> by_;
  std::vector<int> outs_;
  std::vector<Record> rows_;
};

// ---- fillmissing -------------------------------------------------------------------------

class FillMissingStage final : public BlockingStage {
 public:
  FillMissingStage(const Operator& op, ExecContext& ctx, int64_t slice_ms)
      : BlockingStage(ctx), op_(op), slice_ms_(slice_ms) {
    for (const auto& g : op.generators) key_ids_.push_back(ctx.fields.Intern(g.field));
    for (const auto& f : op.fills) fill_ids_.push_back(ctx.fields.Intern(f.field));
  }
  Status Push(Record& r) override {
    r.Own();
    rows_.push_back(r);
    return Ok();
  }
  Status Finish() override {
    std::vector<std::vector<Value>> domains;
    for (size_t g = 0; g < op_.generators.size(); ++g) {
      const FillGenerator& gen = op_.generators[g];
      int id = key_ids_[g];
      std::vector<Value> dom;
      if (gen.kind == FillGenerator::Kind::kTimeslice) {
        int64_t size = gen.size_ms ? gen.size_ms : slice_ms_;
        if (size <= 0) {
          return Error::InvalidArgument("fillmissing timeslice needs a timeslice before it or a size")
              .WithHelp("write fillmissing timeslice(1m)");
        }
        std::optional<int64_t> lo, hi;
        if (ctx_.options.from && ctx_.options.to) {
          lo = *ctx_.options.from - ((*ctx_.options.from % size) + size) % size;
          hi = *ctx_.options.to - 1;
        } else {
          for (const auto& r : rows_) {
            auto n = ToNum(r.Get(id));
            if (!n || !n->is_int()) continue;
            int64_t t = n->int_value();
            if (!lo || t < *lo) lo = t;
            if (!hi || t > *hi) hi = t;
          }
        }
        if (lo && hi) {
          for (int64_t t = *lo; t <= *hi && dom.size() < 10000; t += size) dom.push_back(Value::Time(t));
        }
      } else if (gen.kind == FillGenerator::Kind::kValues) {
        for (const auto& v : gen.values) dom.push_back(Value::String(v));
      } else {
        std::set<std::string> seen;
        for (const auto& r : rows_) {
          const Value& v = r.Get(id);
          if (!v.is_null() && seen.insert(v.ToText()).second) dom.push_back(v);
        }
      }
      domains.push_back(std::move(dom));
    }
    std::unordered_set<std::string> present;
    for (const auto& r : rows_) {
      std::string key;
      for (int id : key_ids_) AppendKey(&key, Normal(r.Get(id)));
      present.insert(key);
    }
    // Default per non-key column: type of existing values.
    std::unordered_map<int, Value> defaults;
    for (int id : in_.cols) {
      if (std::find(key_ids_.begin(), key_ids_.end(), id) != key_ids_.end()) continue;
      Value def;
      for (const auto& r : rows_) {
        const Value& v = r.Get(id);
        if (v.is_null()) continue;
        if (v.is_int() && !v.is_time()) def = Value::Int(0);
        else if (v.is_double()) def = Value::Double(0);
        else if (v.is_bool()) def = Value::Bool(false);
        break;
      }
      defaults[id] = def;
    }
    for (size_t k = 0; k < fill_ids_.size(); ++k) defaults[fill_ids_[k]] = op_.fills[k].value;
    std::vector<size_t> pos(domains.size(), 0);
    bool any = !domains.empty() && std::all_of(domains.begin(), domains.end(), [](const auto& d) { return !d.empty(); });
    size_t generated = 0;
    while (any && generated < 10000) {
      std::string key;
      for (size_t g = 0; g < domains.size(); ++g) AppendKey(&key, Normal(domains[g][pos[g]]));
      if (!present.count(key)) {
        Record r;
        for (size_t g = 0; g < domains.size(); ++g) r.Set(key_ids_[g], domains[g][pos[g]]);
        for (const auto& [id, v] : defaults) r.Set(id, v);
        rows_.push_back(std::move(r));
        generated_.push_back(rows_.size() - 1);
        ++generated;
      }
      size_t g = domains.size();
      while (g > 0) {
        --g;
        if (++pos[g] < domains[g].size()) break;
        pos[g] = 0;
        if (g == 0) any = false;
      }
    }
    std::vector<bool> is_generated(rows_.size(), false);
    for (size_t idx : generated_) is_generated[idx] = true;
    std::vector<size_t> order(rows_.size());
    for (size_t idx = 0; idx < order.size(); ++idx) order[idx] = idx;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      for (int id : key_ids_) {
        int c = KeyCompare(rows_[a].Get(id), rows_[b].Get(id));
        if (c) return c < 0;
      }
      return false;
    });
    std::vector<Record> sorted;
    sorted.reserve(rows_.size());
    std::vector<bool> sorted_generated;
    for (size_t idx : order) {
      sorted.push_back(std::move(rows_[idx]));
      sorted_generated.push_back(is_generated[idx]);
    }
    rows_ = std::move(sorted);
    if (op_.take_last) TakeLast(sorted_generated, defaults);
    Shape shape = in_;
    for (int id : key_ids_) AddColumn(&shape, id);
    return Emit(shape, rows_);
  }

 private:
  static Value Normal(const Value& v) {
    auto n = ToNum(v);
    return n ? *n : v;
  }
  // takeLast: a generated row takes the non-key values of the previous row of its series (the
  // rows with the same values of the other keys), in the order of the timeslice key (or of the
  // last generator's key when there is no timeslice generator). Rows are sorted by all keys, so
  // within one series they come in that order. A generated row with no previous row keeps the
  // defaults.
  void TakeLast(const std::vector<bool>& generated, const std::unordered_map<int, Value>& defaults) {
    size_t order_gen = op_.generators.size() - 1;
    for (size_t g = 0; g < op_.generators.size(); ++g) {
      if (op_.generators[g].kind == FillGenerator::Kind::kTimeslice) {
        order_gen = g;
        break;
      }
    }
    std::unordered_map<std::string, size_t> last;  // series key -> index of its latest row
    for (size_t idx = 0; idx < rows_.size(); ++idx) {
      std::string series;
      for (size_t g = 0; g < key_ids_.size(); ++g) {
        if (g != order_gen) AppendKey(&series, Normal(rows_[idx].Get(key_ids_[g])));
      }
      auto it = last.find(series);
      if (generated[idx] && it != last.end()) {
        const Record& prev = rows_[it->second];
        for (const auto& [id, def] : defaults) rows_[idx].Set(id, prev.Get(id));
      }
      last[series] = idx;
    }
  }
  Operator op_;
  int64_t slice_ms_;
  std::vector<size_t> generated_;  // indexes into rows_ of the generated rows (before sorting)
  std::vector<int> key_ids_;
  std::vector<int> fill_ids_;
  std::vector<Record> rows_;
};

// ---- total -------------------------------------------------------------------------------

class TotalStage final : public BlockingStage {
 public:
  TotalStage(const Operator& op, ExecContext& ctx) : BlockingStage(ctx) {
    field_ = ctx.fields.Intern(op.field);
    out_ = ctx.fields.Intern(op.alias.empty() ? "_total" : op.alias);
    for (const auto& b : op.by) by_.push_back(ctx.fields.Intern(b));
  }
  Status Push(Record& r) override {
    r.Own();
    rows_.push_back(r);
    return Ok();
  }
  Status Finish() override {
    std::unordered_map<std::string, std::pair<bool, std::pair<int64_t, double>>> sums;
    auto key_of = [&](const Record& r) {
      std::string k;
      for (int id : by_) AppendKey(&k, r.Get(id));
      return k;
    };
    for (const auto& r : rows_) {
      auto& s = sums[key_of(r)];
      auto n = ToNum(r.Get(field_));
      if (!n) continue;
      if (!n->is_int()) s.first = true;
      s.second.first += n->is_int() ? n->int_value() : 0;
      s.second.second += n->AsDouble();
    }
    for (auto& r : rows_) {
      auto& s = sums[key_of(r)];
      r.Set(out_, s.first ? Value::Double(s.second.second) : Value::Int(s.second.first));
    }
    Shape shape = in_;
    AddColumn(&shape, out_);
    return Emit(shape, rows_);
  }

 private:
  int field_;
  int out_;
  std::vector<int> by_;
  std::vector<Record> rows_;
};

// ---- logreduce / summarize ---------------------------------------------------------------

// The compare status of a signature seen `count` times in the range under study and `baseline`
// times in the baseline range; `scale` = length of the range / length of the baseline range.
// A change counts when it is both large (half the expected count or more) and beyond chance
// (more than 3 standard deviations of a Poisson count, 3·sqrt(expected)).
const char* CompareStatus(int64_t count, int64_t baseline, double scale) {
  if (baseline == 0) return count > 0 ? "new" : "same";
  if (count == 0) return "gone";
  double expected = static_cast<double>(baseline) * scale;
  double tolerance = std::max(3.0 * std::sqrt(expected), expected / 2.0);
  if (static_cast<double>(count) > expected + tolerance) return "grown";
  if (static_cast<double>(count) < expected - tolerance) return "shrunk";
  return "same";
}

int StatusRank(const std::string& status) {
  static const char* kOrder[] = {"new", "grown", "shrunk", "gone", "same"};
  for (int k = 0; k < 5; ++k) {
    if (status == kOrder[k]) return k;
  }
  return 5;
}

}  // namespace

struct SummarizeModel {
  struct Trained {
    std::unique_ptr<cluster::LogClusterer> clusterer;
    std::vector<cluster::Signature> signatures;
    std::vector<std::string> status;  // compare: per signature index
  };
  bool learning = true;
  std::unordered_map<std::string, Trained> groups;  // by-group key -> first-pass clusterer
};

SummarizeModelPtr NewSummarizeModel() { return SummarizeModelPtr(new SummarizeModel()); }
void SummarizeModelDeleter::operator()(SummarizeModel* model) const { delete model; }
void SetSummarizeLearning(SummarizeModel* model, bool learning) { model->learning = learning; }

namespace {

// Modes: the signature table (default); 'compare' (signature table with baseline counts);
// 'details' (two passes, see stages_internal.h): the first pass learns (model->learning), the
// second streams the events with their signature.
class LogReduceStage final : public BlockingStage {
 public:
  LogReduceStage(const Operator& op, ExecContext& ctx, SummarizeModel* model)
      : BlockingStage(ctx), op_(op), model_(model) {
    input_ = op.input_field.empty() ? -1 : ctx.fields.Intern(op.input_field);
    raw_ = ctx.fields.Intern("_raw");
    for (const auto& b : op.by) by_.push_back(ctx.fields.Intern(b));
    id_ = ctx.fields.Intern("_signature_id");
    sig_ = ctx.fields.Intern("_signature");
    ctx.fields.Alias("signature", sig_);
    count_ = ctx.fields.Intern("_count");
    if (op.compare) {
      baseline_count_ = ctx.fields.Intern("_baseline_count");
      delta_ = ctx.fields.Intern("_delta");
      status_ = ctx.fields.Intern("_status");
    }
    if (op.details && op.compare) range_ = ctx.fields.Intern("_range");
    if (!op.details) {
      relevance_ = ctx.fields.Intern("_relevance");
      score_ = ctx.fields.Intern("_score");
    }
  }
  bool Blocking() const override { return !Streaming(); }
  Status Begin(const Shape& in) override {
    in_ = in;
    if (!Streaming()) return Ok();
    Shape out = in;
    for (int id : {id_, sig_, status_, range_}) {
      if (id >= 0) AddColumn(&out, id);
    }
    return next_->Begin(out);
  }
  Status Push(Record& r) override {
    std::string key;
    for (int id : by_) AppendKey(&key, r.Get(id));
    auto it = groups_.find(key);
    if (it == groups_.end()) {
      Group g;
      for (int id : by_) g.keys.push_back(r.Get(id));
      g.clusterer = std::make_unique<cluster::LogClusterer>();
      it = groups_.emplace(key, std::move(g)).first;
    }
    Group& group = it->second;
    std::string_view text;
    if (input_ >= 0) {
      const Value& v = r.Get(input_);
      if (v.is_null()) return Ok();
      scratch_text_ = v.ToText();
      text = scratch_text_;
    } else {
      const Value& raw = r.Get(raw_);
      if (raw.is_string()) {
        text = cluster::PrepareForClustering(raw.str(), &scratch_);
      } else {
        scratch_text_ = raw.ToText();
        text = cluster::PrepareForClustering(scratch_text_, &scratch_);
      }
    }
    size_t cluster_number = group.clusterer->Add(text);
    bool in_range = true, in_baseline = false;
    if (ctx_.compare) {
      int64_t ts = r.base ? r.base->ts : 0;
      const auto& c = *ctx_.compare;
      in_range = ts >= c.from && ts < c.to;
      in_baseline = ts >= c.baseline_from && ts < c.baseline_to;
      if (!Streaming()) {
        if (group.counts.size() <= cluster_number) group.counts.resize(cluster_number + 1);
        if (in_range) ++group.counts[cluster_number].first;
        if (in_baseline) ++group.counts[cluster_number].second;
      }
    }
    if (!Streaming()) return Ok();
    // Second pass of 'details': the message's final signature from the first pass.
    auto trained = model_->groups.find(key);
    if (trained == model_->groups.end()) return Ok();  // cannot happen: same input as pass one
    const auto& t = trained->second;
    size_t sig_index = t.clusterer->SignatureOf(cluster_number);
    if (sig_index >= t.signatures.size()) return Ok();
    const cluster::Signature& sig = t.signatures[sig_index];
    if (!op_.signature_filter.empty() && !StartsWith(sig.id, op_.signature_filter)) return Ok();
    r.Set(id_, Value::String(sig.id));
    r.Set(sig_, Value::String(sig.text));
    if (status_ >= 0 && sig_index < t.status.size()) r.Set(status_, Value::String(t.status[sig_index]));
    if (range_ >= 0) {
      r.Set(range_, Value::String(in_range && in_baseline ? "both" : (in_range ? "range" : "baseline")));
    }
    return next_->Push(r);
  }
  Status Finish() override {
    if (Streaming()) return next_->Finish();
    std::vector<Record> rows;
    std::vector<std::pair<const std::string*, Group*>> ordered;
    for (auto& [k, g] : groups_) ordered.emplace_back(&k, &g);
    std::sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
      for (size_t k = 0; k < a.second->keys.size(); ++k) {
        int c = KeyCompare(a.second->keys[k], b.second->keys[k]);
        if (c) return c < 0;
      }
      return false;
    });
    bool learning = model_ != nullptr;
    for (auto& [key, g] : ordered) {
      auto sigs = g->clusterer->Signatures();
      std::vector<std::string> status;
      if (op_.compare) {
        CAIRN_DCHECK(ctx_.compare.has_value());  // the planner sets the ranges for 'compare'
        const auto& c = *ctx_.compare;
        double scale = static_cast<double>(c.to - c.from) / static_cast<double>(c.baseline_to - c.baseline_from);
        std::vector<std::pair<int64_t, int64_t>> per_sig(sigs.size());
        for (size_t n = 0; n < g->counts.size(); ++n) {
          size_t idx = g->clusterer->SignatureOf(n);
          if (idx >= sigs.size()) continue;
          per_sig[idx].first += g->counts[n].first;
          per_sig[idx].second += g->counts[n].second;
        }
        for (const auto& [count, baseline] : per_sig) status.emplace_back(CompareStatus(count, baseline, scale));
        if (!learning) CAIRN_TRY(CompareRows(*g, sigs, per_sig, status, &rows));
      }
      if (learning) {
        SummarizeModel::Trained t;
        t.signatures = std::move(sigs);
        t.status = std::move(status);
        t.clusterer = std::move(g->clusterer);
        model_->groups[*key] = std::move(t);
        continue;
      }
      if (op_.compare) continue;
      if (op_.least_common) {
        std::stable_sort(sigs.begin(), sigs.end(), [](const cluster::Signature& a, const cluster::Signature& b) {
          return a.count < b.count;
        });
      }
      if (op_.limit > 0 && sigs.size() > static_cast<size_t>(op_.limit)) sigs.resize(static_cast<size_t>(op_.limit));
      for (const auto& s : sigs) {
        Record r;
        for (size_t k = 0; k < by_.size(); ++k) r.Set(by_[k], g->keys[k]);
        r.Set(id_, Value::String(s.id));
        r.Set(sig_, Value::String(s.text));
        r.Set(count_, Value::Int(s.count));
        r.Set(relevance_, Value::Int(5));
        r.Set(score_, Value::Double(s.score));
        rows.push_back(std::move(r));
      }
    }
    groups_.clear();
    if (learning) return Ok();  // first pass of 'details': nothing to emit
    Shape shape;
    shape.aggregated = true;
    for (int id : by_) AddColumn(&shape, id);
    if (op_.compare) {
      for (int id : {id_, sig_, count_, baseline_count_, delta_, status_}) AddColumn(&shape, id);
    } else {
      for (int id : {id_, sig_, count_, relevance_, score_}) AddColumn(&shape, id);
    }
    return Emit(shape, rows);
  }

 private:
  struct Group {
    std::vector<Value> keys;
    std::unique_ptr<cluster::LogClusterer> clusterer;
    // compare: (in range, in baseline) counts per cluster number
    std::vector<std::pair<int64_t, int64_t>> counts;
  };

  bool Streaming() const { return model_ != nullptr && !model_->learning; }

  Status CompareRows(const Group& g, const std::vector<cluster::Signature>& sigs,
                     const std::vector<std::pair<int64_t, int64_t>>& per_sig,
                     const std::vector<std::string>& status, std::vector<Record>* rows) {
    std::vector<size_t> order;
    for (size_t idx = 0; idx < sigs.size(); ++idx) {
      if (per_sig[idx].first || per_sig[idx].second) order.push_back(idx);
    }
    std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      int ra = StatusRank(status[a]), rb = StatusRank(status[b]);
      if (ra != rb) return ra < rb;
      int64_t da = std::abs(per_sig[a].first - per_sig[a].second);
      int64_t db = std::abs(per_sig[b].first - per_sig[b].second);
      if (da != db) return da > db;
      if (per_sig[a].first != per_sig[b].first) return per_sig[a].first > per_sig[b].first;
      return sigs[a].text < sigs[b].text;
    });
    if (op_.limit > 0 && order.size() > static_cast<size_t>(op_.limit)) order.resize(static_cast<size_t>(op_.limit));
    for (size_t idx : order) {
      Record r;
      for (size_t k = 0; k < by_.size(); ++k) r.Set(by_[k], g.keys[k]);
      r.Set(id_, Value::String(sigs[idx].id));
      r.Set(sig_, Value::String(sigs[idx].text));
      r.Set(count_, Value::Int(per_sig[idx].first));
      r.Set(baseline_count_, Value::Int(per_sig[idx].second));
      r.Set(delta_, Value::Int(per_sig[idx].first - per_sig[idx].second));
      r.Set(status_, Value::String(status[idx]));
      rows->push_back(std::move(r));
    }
    return Ok();
  }

  Operator op_;
  SummarizeModel* model_;  // borrowed, null unless 'details'
  int input_;
  int raw_;
  std::vector<int> by_;
  int id_, sig_, count_;
  int relevance_ = -1, score_ = -1;
  int baseline_count_ = -1, delta_ = -1, status_ = -1, range_ = -1;
  std::unordered_map<std::string, Group> groups_;
  std::string scratch_;
  std::string scratch_text_;
};

}  // namespace

std::unique_ptr<Stage> MakeAggregateStage(const Operator& op, ExecContext& ctx) {
  return std::make_unique<AggregateStage>(op, ctx);
}
std::unique_ptr<Stage> MakeCountFrequentStage(const Operator& op, ExecContext& ctx) {
  return std::make_unique<CountFrequentStage>(op, ctx);
}
std::unique_ptr<Stage> MakeSortStage(std::vector<SortKey> keys, ExecContext& ctx) {
  return std::make_unique<SortStage>(std::move(keys), ctx);
}
Result<std::unique_ptr<Stage>> MakeTransposeStage(const Operator& op, ExecContext& ctx) {
  return std::unique_ptr<Stage>(new TransposeStage(op, ctx));
}
Result<std::unique_ptr<Stage>> MakeOutlierStage(const Operator& op, ExecContext& ctx) {
  int ts = ctx.fields.Intern("_timeslice");
  return std::unique_ptr<Stage>(new OutlierStage(op, ctx, ts));
}
Result<std::unique_ptr<Stage>> MakeFillMissingStage(const Operator& op, ExecContext& ctx) {
  return std::unique_ptr<Stage>(new FillMissingStage(op, ctx, ctx.last_slice_ms));
}
std::unique_ptr<Stage> MakeTotalStage(const Operator& op, ExecContext& ctx) {
  return std::make_unique<TotalStage>(op, ctx);
}
std::unique_ptr<Stage> MakeLogReduceStage(const Operator& op, ExecContext& ctx, SummarizeModel* model) {
  return std::make_unique<LogReduceStage>(op, ctx, model);
}

}  // namespace cairn::query
