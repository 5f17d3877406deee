// Planner and executor: scope -> SQL, operators -> stage chain, streaming loop.
#include "engine/query/query.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <optional>
#include <chrono>
#include <thread>
#include <unordered_map>

#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"
#include "engine/query/block_scan_internal.h"
#include "engine/query/parser.h"
#include "engine/query/stages_internal.h"
#include "engine/store/case_store.h"
#include "engine/store/event_blocks.h"
#include "engine/store/event_leaves.h"

namespace cairn::query {

namespace {

struct BuiltinDef {
  const char* display;
  Builtin kind;
  const char* column;  // SQL column for kColumn
};

const BuiltinDef kBuiltins[] = {
    {"_raw", Builtin::kRaw, "raw"},
    {"_messageTime", Builtin::kMessageTime, "ts"},
    {"_sourceCategory", Builtin::kSourceCategory, ""},
    {"_sourceName", Builtin::kSourceName, ""},
    {"_sourceHost", Builtin::kSourceHost, "host"},
    {"_source", Builtin::kSource, ""},
    {"_collector", Builtin::kCollector, ""},
    {"_size", Builtin::kSize, "raw"},
    {"_format", Builtin::kFormat, ""},
    {"_messageCount", Builtin::kMessageCount, "line"},
    {"source_type", Builtin::kColumn, "source_type"},
    {"line", Builtin::kColumn, "line"},
    {"actor_arn", Builtin::kColumn, "actor_arn"},
    {"actor_type", Builtin::kColumn, "actor_type"},
    {"actor_name", Builtin::kColumn, "actor_name"},
    {"access_key", Builtin::kColumn, "access_key"},
    {"action", Builtin::kColumn, "action"},
    {"bucket", Builtin::kColumn, "bucket"},
    {"object_key", Builtin::kColumn, "object_key"},
    {"resource", Builtin::kColumn, "resource"},
    {"target_user", Builtin::kColumn, "target_user"},
    {"outcome", Builtin::kColumn, "outcome"},
    {"status", Builtin::kColumn, "status"},
    {"error_code", Builtin::kColumn, "error_code"},
    {"source_ip", Builtin::kColumn, "source_ip"},
    {"user_agent", Builtin::kColumn, "user_agent"},
    {"region", Builtin::kColumn, "region"},
    {"account", Builtin::kColumn, "account"},
    {"request_id", Builtin::kColumn, "request_id"},
    {"bytes", Builtin::kColumn, "bytes"},
    {"event_id", Builtin::kColumn, "event_id"},
    {"host", Builtin::kColumn, "host"},
};

}  // namespace

FieldRegistry::FieldRegistry() {
  for (const auto& b : kBuiltins) {
    int id = static_cast<int>(display_.size());
    by_key_[ToLower(b.display)] = id;
    display_.emplace_back(b.display);
    builtin_.push_back(b.kind);
    column_.emplace_back(b.column);
    referenced_.push_back(false);
  }
  builtin_count_ = display_.size();
}

int FieldRegistry::Intern(std::string_view name) {
  std::string key = ToLower(name);
  auto it = by_key_.find(key);
  if (it != by_key_.end()) {
    if (static_cast<size_t>(it->second) < builtin_count_) {
      referenced_[static_cast<size_t>(it->second)] = true;
      if (tracking_later_) referenced_later_[static_cast<size_t>(it->second)] = true;
    }
    return it->second;
  }
  int id = static_cast<int>(display_.size());
  by_key_.emplace(std::move(key), id);
  display_.emplace_back(name);
  return id;
}

int FieldRegistry::Find(std::string_view name) const {
  auto it = by_key_.find(ToLower(name));
  return it == by_key_.end() ? -1 : it->second;
}

std::string RenderValue(const Value& v, int tz_offset_minutes, bool raw_times) {
  if (v.is_time() && !raw_times) return FormatIso8601Compact(v.int_value(), tz_offset_minutes);
  return v.ToText();
}

int QueryTable::ColumnIndex(std::string_view name) const {
  for (size_t i = 0; i < columns.size(); ++i) {
    if (EqualsIgnoreCase(columns[i], name)) return static_cast<int>(i);
  }
  return -1;
}

const Value& QueryTable::Get(size_t row, std::string_view name) const {
  static const Value kNull;
  int c = ColumnIndex(name);
  if (c < 0 || row >= rows.size()) return kNull;
  return rows[row][static_cast<size_t>(c)];
}

namespace {

Error PlanError(const Pipeline& p, const Operator& op, std::string message) {
  return std::move(Error::Parse(std::move(message)).WithSpan(SpanAt(p.text, op.span.offset, op.span.length)));
}

bool EndsWithIp(const std::string& name) {
  std::string l = ToLower(name);
  return l == "ip" || EndsWith(l, "ip") || EndsWith(l, "ipaddr") || EndsWith(l, "ipaddress") ||
         EndsWith(l, "ip_address");
}

class TableSink final : public RowSink {
 public:
  explicit TableSink(QueryTable* table) : table_(table) {}
  Status OnRow(const std::vector<std::string>& columns, const std::vector<Value>& values) override {
    if (&columns != last_columns_ || columns.size() != map_.size()) {
      last_columns_ = &columns;
      map_.clear();
      for (const auto& c : columns) {
        int idx = table_->ColumnIndex(c);
        if (idx < 0) {
          table_->columns.push_back(c);
          for (auto& row : table_->rows) row.emplace_back();
          idx = static_cast<int>(table_->columns.size()) - 1;
        }
        map_.push_back(idx);
      }
    }
    std::vector<Value> row(table_->columns.size());
    for (size_t k = 0; k < values.size(); ++k) row[static_cast<size_t>(map_[k])] = values[k];
    table_->rows.push_back(std::move(row));
    return Ok();
  }

 private:
  QueryTable* table_;
  const std::vector<std::string>* last_columns_ = nullptr;
  std::vector<int> map_;
};

}  // namespace

Result<QueryResult> RunQuery(store::CaseStore& store, std::string_view query,
                             const QueryOptions& options, RowSink& sink) {
  CAIRN_ASSIGN_OR_RETURN(Pipeline p, ParseQuery(query));
  return RunPipeline(store, p, options, sink);
}

Result<QueryTable> RunQueryTable(store::CaseStore& store, std::string_view query,
                                 const QueryOptions& options) {
  QueryTable table;
  TableSink sink(&table);
  CAIRN_ASSIGN_OR_RETURN(table.result, RunQuery(store, query, options, sink));
  for (const auto& c : table.result.columns) {
    if (table.ColumnIndex(c) < 0) table.columns.push_back(c);
  }
  for (auto& row : table.rows) row.resize(table.columns.size());
  return table;
}

namespace {

class DiscardSink final : public RowSink {
 public:
  Status OnRow(const std::vector<std::string>&, const std::vector<Value>&) override { return Ok(); }
};

// One run of the pipeline. model/details_op: the 'summarize details' operator (index into p.ops)
// and its model, or null/-1.
Result<QueryResult> RunPipelineOnce(store::CaseStore& store, const Pipeline& p, const QueryOptions& options,
                                    RowSink& sink, SummarizeModel* model, size_t details_op);

}  // namespace

Result<QueryResult> RunPipeline(store::CaseStore& store, const Pipeline& p,
                                const QueryOptions& options, RowSink& sink) {
  size_t details_op = p.ops.size();
  for (size_t k = 0; k < p.ops.size(); ++k) {
    if (p.ops[k].kind == Operator::Kind::kLogReduce && p.ops[k].details) {
      details_op = k;
      break;
    }
  }
  if (details_op == p.ops.size()) return RunPipelineOnce(store, p, options, sink, nullptr, details_op);
  // 'summarize details': a first pass up to summarize learns the signatures, the second pass
  // streams the events with them (stages_internal.h).
  auto model = NewSummarizeModel();
  Pipeline first = p;
  first.ops.resize(details_op + 1);
  DiscardSink discard;
  auto learned = RunPipelineOnce(store, first, options, discard, model.get(), details_op);
  if (!learned.ok()) return learned.error();
  SetSummarizeLearning(model.get(), false);
  return RunPipelineOnce(store, p, options, sink, model.get(), details_op);
}

namespace {

// A typed column of the events table that the query reads (SQL path only).
struct Fetch {
  int id;
  int col;
  bool integer;
};

// A source's metadata fields.
struct SourceValues {
  Value category, name, host, format;
};

// What every EventFeeder of a query shares, read-only while events flow.
struct FeedPlan {
  const FieldRegistry* fields = nullptr;
  std::vector<bool> need;  // builtin field ids the query reads
  bool need_raw = false;
  bool need_host = false;
  std::vector<Fetch> fetch;
  const std::unordered_map<int64_t, SourceValues>* source_values = nullptr;
};

// Turns events into the records the stages see: the builtin fields of one event at a time, in a
// record reused from event to event. One per thread of a scan.
class EventFeeder {
 public:
  explicit EventFeeder(const FeedPlan& plan) : plan_(plan) {
    const FieldRegistry& f = *plan.fields;
    id_raw_ = Index(f, "_raw");
    id_mt_ = Index(f, "_messagetime");
    id_cat_ = Index(f, "_sourcecategory");
    id_name_ = Index(f, "_sourcename");
    id_shost_ = Index(f, "_sourcehost");
    id_src_ = Index(f, "_source");
    id_coll_ = Index(f, "_collector");
    id_size_ = Index(f, "_size");
    id_fmt_ = Index(f, "_format");
    id_host_ = Index(f, "host");
    base_.values.resize(f.builtin_count());
    base_.values[id_coll_] = Value::String("local");
    base_.raw_index = id_raw_;
    rec_.base = &base_;
  }
  EventFeeder(const EventFeeder&) = delete;
  EventFeeder& operator=(const EventFeeder&) = delete;

  // One event into `head`; st (nullable) holds its typed columns.
  // leaves (nullable): the values of the head's json keys, from leaf columns (head->PushJsonLeaves).
  Status Push(Stage* head, int64_t id, int64_t ts, int64_t source_id, std::string_view raw,
              std::string_view host, store::Statement* st,
              const std::vector<const std::string_view*>* leaves = nullptr) {
    static const Value kNull;
    ++events_matched;
    std::vector<Value>& values = base_.values;
    base_.id = id;
    base_.ts = ts;
    if (plan_.need_raw) {
      base_.raw_view = raw;
      base_.raw_pending = true;
    }
    values[id_mt_].SetInt(ts, true);
    if (plan_.need[id_size_]) values[id_size_] = Value::Int(static_cast<int64_t>(raw.size()));
    // Consecutive events mostly share their source: its fields are set when it changes.
    if (source_id != base_.source_id || !source_set_) {
      base_.source_id = source_id;
      source_set_ = true;
      auto sv = plan_.source_values->find(source_id);
      source_ = sv == plan_.source_values->end() ? nullptr : &sv->second;
      values[id_cat_] = source_ ? source_->category : kNull;
      values[id_name_] = source_ ? source_->name : kNull;
      values[id_src_] = source_ ? source_->name : kNull;
      values[id_fmt_] = source_ ? source_->format : kNull;
    }
    if (plan_.need_host) {
      if (!host.empty()) {
        values[id_host_].SetString(host);
        values[id_shost_].SetString(host);
      } else {
        values[id_host_] = kNull;
        values[id_shost_] = source_ ? source_->host : kNull;
      }
    }
    if (st) {
      for (const Fetch& f : plan_.fetch) {
        Value& v = values[static_cast<size_t>(f.id)];
        if (st->IsNull(f.col)) v = kNull;
        else if (f.integer) v = Value::Int(st->Int(f.col));
        else v.SetString(st->Text(f.col));
      }
    }
    rec_.UnsetSlots();
    rec_.owned.reset();
    rec_.base = &base_;
    return leaves ? head->PushJsonLeaves(rec_, *leaves) : head->Push(rec_);
  }

  int64_t events_read = 0;     // events looked at
  int64_t events_matched = 0;  // events pushed

 private:
  static size_t Index(const FieldRegistry& f, std::string_view name) { return static_cast<size_t>(f.Find(name)); }
  const FeedPlan& plan_;
  BaseEvent base_;
  Record rec_;
  bool source_set_ = false;
  const SourceValues* source_ = nullptr;
  size_t id_raw_, id_mt_, id_cat_, id_name_, id_shost_, id_src_, id_coll_, id_size_, id_fmt_, id_host_;
};

// The leaf columns of one block at a time (store/event_leaves.h), on one connection, for a scan
// whose first operator reads them (Stage::JsonLeafPaths); and the whole block when they cannot
// stand in for its text.
class LeafReader {
 public:
  LeafReader(store::CaseStore& conn, const std::vector<std::string>& keys, const std::vector<std::string>& others)
      : conn_(conn), keys_(keys), others_(others), columns_(keys.size()) {}

  // Whether the columns of the block stand in for its text, except at its failed rows (AnyFailed):
  // it has them, no key path is dropped, and no other path occurs in it.
  Result<bool> Load(int64_t first_id, size_t events) {
    first_id_ = first_id;
    CAIRN_ASSIGN_OR_RETURN(bool found, Get(""));
    if (!found) return false;
    if (!summary_.Parse(st_->Blob(0)) || summary_.events != static_cast<int64_t>(events)) return Damaged();
    for (const std::string& other : others_) {
      if (summary_.IsDropped(other)) return false;
      CAIRN_ASSIGN_OR_RETURN(bool present, Get(other));
      if (present) return false;
    }
    for (size_t k = 0; k < keys_.size(); ++k) {
      if (summary_.IsDropped(keys_[k])) return false;
      CAIRN_ASSIGN_OR_RETURN(bool present, Get(keys_[k]));
      if (!present) columns_[k].Clear(events);
      else if (!columns_[k].Parse(st_->Blob(0), events)) return Damaged();
    }
    st_->Reset();
    return true;
  }
  // Whether an event at one of these rows (ascending) is one the columns do not hold.
  bool AnyFailed(const std::vector<size_t>& rows) const {
    auto f = summary_.failed.begin();
    for (size_t row : rows) {
      while (f != summary_.failed.end() && *f < row) ++f;
      if (f == summary_.failed.end()) return false;
      if (*f == row) return true;
    }
    return false;
  }
  const store::LeafColumn& column(size_t k) const { return columns_[k]; }

  // The whole block, text included.
  Result<const store::DecodedBlock*> ReadWhole(int64_t first_id) {
    if (!blobs_) blobs_ = conn_.NewBlobReader("event_block_data", "data");
    CAIRN_TRY(blobs_->Read(first_id, &data_));
    if (!whole_.Decode(data_.view())) return BlockScan::Damaged(first_id);
    return &whole_;
  }

  int64_t blocks = 0;  // blocks read through their columns

 private:
  // Steps st_ to the row of path in the current block; false when there is none.
  Result<bool> Get(std::string_view path) {
    if (!st_) {
      CAIRN_ASSIGN_OR_RETURN(store::Statement st,
                             conn_.Prepare("SELECT data FROM event_block_leaves WHERE first_id = ?1 AND path = ?2"));
      st_ = std::make_unique<store::Statement>(std::move(st));
    }
    st_->Reset();
    st_->Bind(1, first_id_).Bind(2, path);
    return st_->Step();
  }
  Error Damaged() const {
    return Error::CorruptInput("the leaf columns of event block " + std::to_string(first_id_) + " are damaged")
        .WithHelp("re-ingest the evidence into a new case");
  }

  store::CaseStore& conn_;
  const std::vector<std::string>& keys_;
  const std::vector<std::string>& others_;
  std::unique_ptr<store::Statement> st_;
  int64_t first_id_ = 0;
  store::LeafSummary summary_;
  std::vector<store::LeafColumn> columns_;
  std::unique_ptr<store::CaseStore::BlobReader> blobs_;
  ByteBuffer data_;
  store::DecodedBlock whole_;
};

// The stage chain of a pipeline, unlinked. Building it interns the fields the operators name, in
// operator order: two builds of one pipeline on two fresh contexts give the same field ids.
struct BuiltStages {
  std::vector<std::unique_ptr<Stage>> stages;
  std::unique_ptr<geo::GeoDb> geo_db;
  bool aggregated = false;
};

Result<BuiltStages> BuildStages(const Pipeline& p, const QueryOptions& options, ExecContext& ctx,
                                SummarizeModel* model, size_t details_op) {
  BuiltStages b;
  auto& stages = b.stages;
  auto& geo_db = b.geo_db;
  bool& aggregated = b.aggregated;
  bool blocking_before = false;
  std::vector<std::string> created;      // field names created by earlier operators
  std::string last_json_ip_key;          // D1 (b)
  bool json_auto_seen = false;
  auto add = [&](std::unique_ptr<Stage> s) {
    if (s->Blocking()) blocking_before = true;
    stages.push_back(std::move(s));
  };
  auto open_geo = [&]() -> Status {
    if (geo_db) return Ok();
    if (options.geo_db_path.empty()) {
      return Error::NotFound("no GeoIP database for lookup/geoip")
          .WithHelp("pass --geoip-db FILE.mmdb or set CAIRN_GEOIP_DB");
    }
    CAIRN_ASSIGN_OR_RETURN(geo_db, geo::GeoDb::Open(options.geo_db_path));
    ctx.geo_db = geo_db->Description();
    return Ok();
  };
  // From the second operator on, the builtin fields named are also noted apart (the first one
  // may read its input from leaf columns instead: FieldRegistry::referenced_later).
  for (const Operator& op : p.ops) {
    if (&op != &p.ops.front() && !ctx.fields.tracking_later()) ctx.fields.TrackLater();
    switch (op.kind) {
      case Operator::Kind::kParse: {
        CAIRN_ASSIGN_OR_RETURN(auto s, MakeParseStage(op, ctx));
        add(std::move(s));
        created.insert(created.end(), op.names.begin(), op.names.end());
        break;
      }
      case Operator::Kind::kParseRegex: {
        CAIRN_ASSIGN_OR_RETURN(auto s, MakeRegexStage(op, ctx));
        add(std::move(s));
        created.insert(created.end(), op.names.begin(), op.names.end());
        break;
      }
      case Operator::Kind::kJson: {
        // Selective: later operators and the output only see fields the query names (unnamed
        // auto-extracted fields are never output columns), so json auto need read no others.
        // Kept off before logreduce/summarize, which reads whole events.
        bool selective = !options.json_full_tree;
        for (const Operator* later = &op + 1; later < p.ops.data() + p.ops.size(); ++later) {
          if (later->kind == Operator::Kind::kLogReduce) selective = false;
        }
        CAIRN_ASSIGN_OR_RETURN(auto s, MakeJsonStage(op, ctx, selective));
        add(std::move(s));
        if (op.json_auto) json_auto_seen = true;
        for (size_t k = 0; k < op.keys.size(); ++k) {
          const std::string& name = k < op.names.size() ? op.names[k] : op.keys[k];
          created.push_back(name);
          if (EndsWithIp(name)) last_json_ip_key = name;
        }
        break;
      }
      case Operator::Kind::kWhere: add(MakeWhereStage(op, ctx)); break;
      case Operator::Kind::kAssign:
        add(MakeAssignStage(op, ctx));
        created.push_back(op.target);
        break;
      case Operator::Kind::kTimeslice:
        add(MakeTimesliceStage(op, ctx));
        created.push_back(op.alias.empty() ? "_timeslice" : op.alias);
        break;
      case Operator::Kind::kAggregate:
        add(MakeAggregateStage(op, ctx));
        aggregated = true;
        break;
      case Operator::Kind::kCountFrequent:
        add(MakeCountFrequentStage(op, ctx));
        aggregated = true;
        break;
      case Operator::Kind::kTop: {
        if (!aggregated) {
          Operator count = op;
          count.kind = Operator::Kind::kAggregate;
          AggCall c;
          c.func = "count";
          count.aggs = {c};
          add(MakeAggregateStage(count, ctx));
          aggregated = true;
        }
        std::string by = op.top_by.empty() || EqualsIgnoreCase(op.top_by, "count") ? "_count" : op.top_by;
        SortKey key;
        key.expr.kind = Expr::Kind::kField;
        key.expr.name = by;
        key.expr.key = ToLower(by);
        key.descending = true;
        add(MakeSortStage({key}, ctx));
        add(MakeLimitStage(op.limit, ctx, false));
        break;
      }
      case Operator::Kind::kTranspose: {
        if (!aggregated) {
          return std::move(PlanError(p, op, "transpose needs an aggregate before it")
                               .WithHelp("e.g. count by _timeslice, status | transpose row _timeslice column status"));
        }
        CAIRN_ASSIGN_OR_RETURN(auto s, MakeTransposeStage(op, ctx));
        add(std::move(s));
        break;
      }
      case Operator::Kind::kOutlier: {
        if (!aggregated) {
          return std::move(PlanError(p, op, "outlier needs a time series before it")
                               .WithHelp("e.g. timeslice 1m | count by _timeslice | outlier _count"));
        }
        CAIRN_ASSIGN_OR_RETURN(auto s, MakeOutlierStage(op, ctx));
        add(std::move(s));
        break;
      }
      case Operator::Kind::kLogReduce: {
        bool details = &op == &p.ops[std::min(details_op, p.ops.size() - 1)] && model != nullptr;
        add(MakeLogReduceStage(op, ctx, details ? model : nullptr));
        if (details) {
          created.insert(created.end(), {"_signature_id", "_signature"});
        } else {
          aggregated = true;
        }
        break;
      }
      case Operator::Kind::kLookup: {
        if (!op.lookup_table.empty()) {
          CAIRN_ASSIGN_OR_RETURN(auto s, MakeCsvLookupStage(p, op, ctx, &created));
          add(std::move(s));
          break;
        }
        std::string ip_field = op.lookup_ip_field;
        if (op.lookup_shorthand) {
          if (!options.geo_ip_field.empty()) {
            ip_field = options.geo_ip_field;
          } else if (!last_json_ip_key.empty()) {
            ip_field = last_json_ip_key;
          } else {
            for (const char* cand : {"sourceIPAddress", "remote_ip", "client_ip", "src_ip", "c_ip", "ip"}) {
              bool exists = std::any_of(created.begin(), created.end(),
                                        [&](const std::string& c) { return EqualsIgnoreCase(c, cand); });
              if (exists || (json_auto_seen && std::string(cand) == "sourceIPAddress")) {
                ip_field = cand;
                break;
              }
            }
            if (ip_field.empty() && !aggregated) ip_field = "source_ip";
          }
          if (ip_field.empty()) {
            return std::move(PlanError(p, op, "cannot tell which field holds the IP address for this lookup")
                                 .WithHelp("write: lookup latitude, longitude from geo://location on ip=FIELD"));
          }
          std::string cols;
          for (const auto& c : op.lookup_columns) {
            if (!cols.empty()) cols += ", ";
            cols += c.name;
            if (!EqualsIgnoreCase(c.alias, c.name)) cols += " as " + c.alias;
          }
          ctx.notices.push_back("resolved to: lookup " + cols + " from geo://location on ip = " + ip_field);
        }
        CAIRN_TRY(open_geo());
        std::vector<LookupColumn> columns;
        for (const auto& c : op.lookup_columns) {
          if (c.name == "*") {
            for (const auto& g : GeoFieldNames()) columns.push_back({g, g});
          } else {
            columns.push_back(c);
          }
        }
        for (const auto& c : columns) created.push_back(c.alias);
        add(MakeGeoStage(ctx.fields.Intern(ip_field), columns, geo_db.get(), ctx));
        break;
      }
      case Operator::Kind::kGeoip: {
        CAIRN_TRY(open_geo());
        std::vector<LookupColumn> columns;
        std::vector<std::string> names = op.names;
        if (names.empty()) names = {"latitude", "longitude", "country_code", "country_name", "city", "state"};
        for (const auto& n : names) columns.push_back({n, n});
        for (const auto& c : columns) created.push_back(c.alias);
        add(MakeGeoStage(ctx.fields.Intern(op.input_field), columns, geo_db.get(), ctx));
        break;
      }
      case Operator::Kind::kSort: add(MakeSortStage(op.sort_keys, ctx)); break;
      case Operator::Kind::kLimit: add(MakeLimitStage(op.limit, ctx, !blocking_before)); break;
      case Operator::Kind::kFields: add(MakeFieldsStage(op, ctx)); break;
      case Operator::Kind::kFillMissing: {
        if (!aggregated) {
          return std::move(PlanError(p, op, "fillmissing needs an aggregate before it")
                               .WithHelp("e.g. timeslice 1m | count by _timeslice | fillmissing timeslice"));
        }
        CAIRN_ASSIGN_OR_RETURN(auto s, MakeFillMissingStage(op, ctx));
        add(std::move(s));
        break;
      }
      case Operator::Kind::kTotal: add(MakeTotalStage(op, ctx)); break;
    }
  }
  if (!ctx.fields.tracking_later()) ctx.fields.TrackLater();
  return b;
}

Result<QueryResult> RunPipelineOnce(store::CaseStore& store, const Pipeline& p, const QueryOptions& options,
                                    RowSink& sink, SummarizeModel* model, size_t details_op) {
  const auto started = std::chrono::steady_clock::now();
  auto ms_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
  };
  QueryResult result;
  ExecContext ctx;
  ctx.options = options;

  // Sources (metadata).
  CAIRN_ASSIGN_OR_RETURN(auto source_list, store.ListSources());
  std::unordered_map<int64_t, SourceInfo> sources;
  sources.reserve(source_list.size());
  for (auto& s : source_list) {
    SourceInfo info;
    info.categories = std::move(s.categories);
    info.name = std::move(s.source_name);
    info.path = std::move(s.path);
    info.host = std::move(s.host);
    info.format = std::move(s.format);
    sources.emplace(s.id, std::move(info));
  }
  source_list = {};
  CAIRN_ASSIGN_OR_RETURN(auto scope, ScopeMatcher::Create(p.scope, &sources, p.text));
  const ScopePlan& sp = scope->plan();

  // WHERE clause shared by the range pre-pass and the main statement.
  std::string where;
  std::vector<std::string> params = sp.params;
  if (options.from) where += " AND e.ts >= " + std::to_string(*options.from);
  if (options.to) where += " AND e.ts < " + std::to_string(*options.to);
  if (!sp.where_sql.empty()) where += " AND " + sp.where_sql;
  std::string where_clause = where.empty() ? "" : " WHERE " + where.substr(5);
  auto bind_params = [&](store::Statement& st) {
    for (size_t k = 0; k < params.size(); ++k) st.Bind(static_cast<int>(k + 1), std::string_view(params[k]));
  };

  // summarize compare: the range under study is --from/--to (a missing end comes from the
  // events in scope: the last one, and the shift before it); the baseline is that range shifted
  // back, or baseline_from/baseline_to. The statement then reads both ranges.
  const Operator* compare_op = nullptr;
  for (const Operator& op : p.ops) {
    if (op.kind == Operator::Kind::kLogReduce && op.compare) {
      compare_op = &op;
      break;
    }
  }
  if (compare_op) {
    ExecContext::CompareRanges c;
    std::optional<TimeMs> last;
    if (!options.to || !options.from) {
      CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare("SELECT max(e.ts) FROM events e" + where_clause));
      bind_params(st);
      CAIRN_TRY(st.Step());
      if (!st.IsNull(0)) last = st.Int(0);
    }
    c.to = options.to ? *options.to : (last ? *last + 1 : 0);
    if (options.from) {
      c.from = *options.from;
    } else if (compare_op->baseline_from) {
      c.from = *compare_op->baseline_to;
    } else {
      c.from = c.to - compare_op->baseline_shift_ms;
    }
    if (compare_op->baseline_from) {
      c.baseline_from = *compare_op->baseline_from;
      c.baseline_to = *compare_op->baseline_to;
    } else {
      c.baseline_from = c.from - compare_op->baseline_shift_ms;
      c.baseline_to = c.to - compare_op->baseline_shift_ms;
    }
    if (c.from >= c.to && (options.from || options.to || last)) {
      return std::move(PlanError(p, *compare_op, "the range to compare is empty (" + FormatIso8601Compact(c.from) +
                                                     " to " + FormatIso8601Compact(c.to) + ")")
                           .WithHelp("give --from/--to for the window under study"));
    }
    ctx.compare = c;
    auto range_sql = [](TimeMs from, TimeMs to) {
      return "(e.ts >= " + std::to_string(from) + " AND e.ts < " + std::to_string(to) + ")";
    };
    where = " AND (" + range_sql(c.from, c.to) + " OR " + range_sql(c.baseline_from, c.baseline_to) + ")";
    if (!sp.where_sql.empty()) where += " AND " + sp.where_sql;
    where_clause = " WHERE " + where.substr(5);
    ctx.notices.push_back("compare: " + FormatIso8601Compact(c.from) + " to " + FormatIso8601Compact(c.to) +
                          " against the baseline " + FormatIso8601Compact(c.baseline_from) + " to " +
                          FormatIso8601Compact(c.baseline_to));
  }

  // Search range (timeslice N buckets / without size).
  bool need_range = std::any_of(p.ops.begin(), p.ops.end(), [](const Operator& op) {
    return op.kind == Operator::Kind::kTimeslice && op.slice_ms == 0;
  });
  if (need_range) {
    if (options.from && options.to) {
      ctx.range = std::make_pair(*options.from, *options.to - 1);
    } else {
      CAIRN_ASSIGN_OR_RETURN(store::Statement st,
                             store.Prepare("SELECT min(e.ts), max(e.ts) FROM events e" + where_clause));
      for (size_t k = 0; k < params.size(); ++k) st.Bind(static_cast<int>(k + 1), std::string_view(params[k]));
      CAIRN_TRY(st.Step());
      if (!st.IsNull(0)) {
        ctx.range = std::make_pair(options.from.value_or(st.Int(0)), options.to ? *options.to - 1 : st.Int(1));
      }
    }
  }

  CAIRN_ASSIGN_OR_RETURN(BuiltStages built, BuildStages(p, options, ctx, model, details_op));
  std::vector<std::unique_ptr<Stage>>& stages = built.stages;
  const bool aggregated = built.aggregated;
  if (!aggregated) {
    ctx.fields.Intern("_raw");
    ctx.fields.Intern("_messageTime");
  }
  OutputStage output(ctx, sink, result);
  for (size_t k = 0; k < stages.size(); ++k) {
    stages[k]->set_next(k + 1 < stages.size() ? stages[k + 1].get() : static_cast<Stage*>(&output));
  }
  Stage* head = stages.empty() ? static_cast<Stage*>(&output) : stages.front().get();

  // Input order: needed unless the first order-sensitive point is an order-insensitive blocking stage.
  bool ordered = true;
  for (const auto& s : stages) {
    if (!s->OrderInsensitive()) break;
    if (s->Blocking()) {
      ordered = false;
      break;
    }
  }

  // Columns to fetch.
  const FieldRegistry& fields = ctx.fields;
  std::vector<bool> need(fields.builtin_count(), false);
  for (size_t id = 0; id < fields.builtin_count(); ++id) need[id] = fields.referenced()[id];
  bool need_raw = sp.needs_raw || need[static_cast<size_t>(fields.Find("_raw"))] ||
                  need[static_cast<size_t>(fields.Find("_size"))];
  bool need_host = sp.needs_host || need[static_cast<size_t>(fields.Find("_sourcehost"))] ||
                   need[static_cast<size_t>(fields.Find("host"))];
  std::string select = "SELECT e.id, e.ts, e.source_id";
  int next_col = 3;
  int raw_col = -1, host_col = -1;
  if (need_raw) {
    select += ", cairn_raw(e.id)";
    raw_col = next_col++;
  }
  if (need_host) {
    select += ", e.host";
    host_col = next_col++;
  }
  std::vector<Fetch> fetch;
  for (size_t id = 0; id < fields.builtin_count(); ++id) {
    if (!need[id]) continue;
    Builtin b = fields.builtin(static_cast<int>(id));
    if (b != Builtin::kColumn && b != Builtin::kMessageCount) continue;
    const std::string& column = fields.column(static_cast<int>(id));
    if (column == "host") continue;
    bool integer = column == "status" || column == "bytes" || column == "line";
    select += ", e." + column;
    fetch.push_back({static_cast<int>(id), next_col++, integer});
  }
  // Event blocks (store/event_blocks.h) serve an unordered scan that needs no typed column:
  // every event up to the last block comes from them, the events above it from SQL.
  // Keyword lookups are fine when every match must satisfy one (sp.required_kw): the blocks that
  // hold none of its candidates are left out, and so are the events that are not candidates.
  bool use_blocks = options.use_event_blocks && !ordered && !need_host && fetch.empty() &&
                    (!sp.used_fts || !sp.required_kw.empty());
  if (use_blocks) {
    CAIRN_ASSIGN_OR_RETURN(auto flag, store.GetMeta(store::kEventBlocksMetaKey));
    use_blocks = flag && *flag == "1";
  }

  // Per-source metadata values.
  std::unordered_map<int64_t, SourceValues> source_values;
  source_values.reserve(sources.size());
  for (const auto& [id, info] : sources) {
    SourceValues v;
    if (!info.categories.empty()) v.category = Value::String(info.categories.front());
    v.name = Value::String(info.name.empty() ? info.path : info.name);
    if (!info.host.empty()) v.host = Value::String(info.host);
    v.format = Value::String(info.format);
    source_values[id] = std::move(v);
  }
  FeedPlan feed_plan;
  feed_plan.fields = &fields;
  feed_plan.need = need;
  feed_plan.need_raw = need_raw;
  feed_plan.need_host = need_host;
  feed_plan.fetch = fetch;
  feed_plan.source_values = &source_values;

  CAIRN_TRY(head->Begin(Shape{}));
  EventFeeder feeder(feed_plan);
  result.stats.plan_ms = ms_since(started);
  const auto scan_started = std::chrono::steady_clock::now();

  int64_t blocks_through = 0;  // the events with id <= it came from blocks
  if (use_blocks) {
    // Time ranges an event must fall in (half-open); none: any time.
    std::vector<std::pair<int64_t, int64_t>> ranges;
    if (ctx.compare) {
      ranges = {{ctx.compare->from, ctx.compare->to}, {ctx.compare->baseline_from, ctx.compare->baseline_to}};
    } else if (options.from || options.to) {
      ranges = {{options.from.value_or(INT64_MIN), options.to.value_or(INT64_MAX)}};
    }
    // Whether [lo, hi] (inclusive) meets a range; an event's time is overlaps(ts, ts).
    auto overlaps = [&](int64_t lo, int64_t hi) {
      if (ranges.empty()) return true;
      for (const auto& r : ranges) {
        if (hi >= r.first && lo < r.second) return true;
      }
      return false;
    };
    // Without keywords the scope depends on the source alone: decided once per source.
    // So it does when the keyword index decides the keywords exactly (ScopePlan::kw_exact): the
    // events are the candidates, each kept by its source.
    const bool per_source = !sp.needs_raw || sp.kw_exact;
    auto source_scope = [&](int64_t id) {
      return sp.kw_exact ? scope->MatchesSource(id) : scope->Matches(std::string_view(), id, std::string_view());
    };
    std::unordered_map<int64_t, bool> source_in_scope;
    if (per_source) {
      for (const auto& [id, info] : sources) source_in_scope[id] = source_scope(id);
    }
    // A source not listed (not complete) gets the scope's own answer, as in the SQL path (where a
    // metadata predicate lists the complete sources and `*` takes every event). No keyword node
    // is evaluated here, so the reader's thread may call it too.
    auto source_may_match = [&](int64_t id) {
      if (!per_source) return true;
      auto it = source_in_scope.find(id);
      return it != source_in_scope.end() ? it->second : source_scope(id);
    };
    // Then, unless an operator reads the text (_raw, _size), a block's ids, times and sources are
    // all the scan needs: only the head of its blob is read and decoded.
    const bool pipeline_raw = need[static_cast<size_t>(fields.Find("_raw"))] ||
                              need[static_cast<size_t>(fields.Find("_size"))];
    // So when the first operator is a `json auto` that can read the case's leaf columns
    // (store/event_leaves.h) and no later one reads the text: a block whose columns cannot stand
    // in for its text (none, a key path dropped, another field's path present, an event in scope
    // the scanner gave up on) is then read whole after all (LeafReader).
    std::vector<std::string> leaf_keys, leaf_others;
    bool leaves = per_source && !stages.empty() && stages.front()->JsonLeafPaths(&leaf_keys, &leaf_others) &&
                  !fields.referenced_later(fields.Find("_raw")) && !fields.referenced_later(fields.Find("_size"));
    if (leaves) {
      CAIRN_ASSIGN_OR_RETURN(store::Statement probe,
                             store.Prepare("SELECT count(*) FROM sqlite_master WHERE name='event_block_leaves'"));
      CAIRN_ASSIGN_OR_RETURN(bool row, probe.Step());
      leaves = row && probe.Int(0) > 0;
    }
    BlockScan::HeaderOnlyFn header_only;
    if (per_source && (!pipeline_raw || leaves)) header_only = [](int64_t) { return true; };
    // Blocks are kept by time and source, on a reader's thread too: ranges and source_in_scope
    // do not change during the scan.
    // With keywords: the candidates of sp.required_kw among the events the blocks hold, all below
    // one watermark read here (the scans read blocks up to it, whatever an ingest adds meanwhile).
    const bool by_keyword = sp.used_fts;
    std::vector<int64_t> candidates;
    CAIRN_ASSIGN_OR_RETURN(const int64_t watermark, BlockScan::Watermark(store));
    if (by_keyword) {
      // Straight from the index (one SQL row per candidate costs more than the rest of such a
      // query); the events above the watermark it adds are not in any block read.
      CAIRN_ASSIGN_OR_RETURN(candidates, store.KeywordCandidates(sp.required_kw));
      // Ascending already, as a rule (the index's ids, then those above its watermark).
      if (!std::is_sorted(candidates.begin(), candidates.end())) std::sort(candidates.begin(), candidates.end());
      candidates.erase(std::upper_bound(candidates.begin(), candidates.end(), watermark), candidates.end());
    }
    BlockScan::KeepFn keep = [&](int64_t first_id, int64_t last_id, int64_t min_ts, int64_t max_ts,
                                 const std::vector<int64_t>& block_sources) {
      if (by_keyword) {
        auto c = std::lower_bound(candidates.begin(), candidates.end(), first_id);
        if (c == candidates.end() || *c > last_id) return false;
      }
      return overlaps(min_ts, max_ts) && std::any_of(block_sources.begin(), block_sources.end(), source_may_match);
    };
    // Feeds the events of the blocks `scan` yields that the time range and the scope keep.
    const bool all_times = ranges.empty();
    // stop: checked per event; abort (nullable): per block, set when another thread failed.
    std::atomic<int64_t> leaf_blocks{0};
    // conn: the calling thread's connection (leaf columns, and the text of a block read for its
    // header only when the columns cannot stand in for it).
    auto feed_blocks = [&](BlockScan& scan, EventFeeder& into, Stage* chain, const bool* stop,
                           const std::atomic<bool>* abort, store::CaseStore& conn) -> Status {
      int64_t last_source = -1;
      bool last_in_scope = false;
      // A first stage that drops events by their text (parse with no nodrop): it sees the text
      // before the event's record is made, and most events of such a scan go no further.
      const bool by_text = feed_plan.need_raw && chain->DropsByText(fields.Find("_raw"));
      LeafReader leaf_reader(conn, leaf_keys, leaf_others);
      std::vector<size_t> rows;  // of a block read through its leaf columns: the events in scope
      std::vector<const std::string_view*> values(leaf_keys.size());
      while (!*stop && !(abort && abort->load(std::memory_order_relaxed))) {
        if (options.cancel && options.cancel->load(std::memory_order_relaxed)) return Error::Io("query cancelled");
        CAIRN_ASSIGN_OR_RETURN(const store::DecodedBlock* block, scan.Next());
        if (!block) break;
        bool from_leaves = false;
        if (leaves && !block->has_text() && block->size() > 0) {
          CAIRN_ASSIGN_OR_RETURN(from_leaves, leaf_reader.Load(block->id(0), block->size()));
          rows.clear();
        }
        // The next candidate (by_keyword): events come in id order.
        auto candidate = by_keyword && block->size()
                             ? std::lower_bound(candidates.begin(), candidates.end(), block->id(0))
                             : candidates.end();
        for (size_t k = 0; k < block->size() && !*stop; ++k) {
          // Every event: one event of a costly pipeline (parse regex multi, say) can take
          // milliseconds, and Ctrl-C should not wait for 64 of them.
          if (options.cancel && options.cancel->load(std::memory_order_relaxed)) return Error::Io("query cancelled");
          if (by_keyword) {
            const int64_t id = block->id(k);
            while (candidate != candidates.end() && *candidate < id) ++candidate;
            if (candidate == candidates.end() || *candidate != id) continue;
          }
          ++into.events_read;
          const int64_t ts = block->ts(k);
          if (!all_times && !overlaps(ts, ts)) continue;
          const int64_t source_id = block->source_id(k);
          std::string_view raw = block->has_text() ? block->raw(k) : std::string_view();
          if (per_source) {
            // Consecutive events mostly share their source.
            if (source_id != last_source) {
              last_source = source_id;
              last_in_scope = source_may_match(source_id);
            }
            if (!last_in_scope) continue;
          } else if (!scope->Matches(raw, source_id, std::string_view())) {
            continue;
          }
          if (leaves && !block->has_text()) {
            rows.push_back(k);  // pushed below, once the block is known to be readable so
            continue;
          }
          if (by_text && block->has_text() && chain->DropsText(raw)) {
            ++into.events_matched;  // in scope, dropped by the first operator
            continue;
          }
          CAIRN_TRY(into.Push(chain, block->id(k), ts, source_id, raw, std::string_view(), nullptr));
        }
        if (!leaves || block->has_text()) continue;
        // The events in scope of a block read for its header only: from the columns, or (when
        // the columns cannot stand in for an event in scope) from the text after all.
        if (from_leaves && leaf_reader.AnyFailed(rows)) from_leaves = false;
        if (from_leaves) {
          ++leaf_reader.blocks;
          for (size_t k : rows) {
            if (*stop) break;
            for (size_t j = 0; j < values.size(); ++j) values[j] = leaf_reader.column(j).at(k);
            CAIRN_TRY(into.Push(chain, block->id(k), block->ts(k), block->source_id(k), std::string_view(),
                                std::string_view(), nullptr, &values));
          }
          continue;
        }
        CAIRN_ASSIGN_OR_RETURN(const store::DecodedBlock* whole, leaf_reader.ReadWhole(block->id(0)));
        for (size_t k : rows) {
          if (*stop) break;
          CAIRN_TRY(into.Push(chain, whole->id(k), whole->ts(k), whole->source_id(k), whole->raw(k),
                              std::string_view(), nullptr));
        }
      }
      leaf_blocks += leaf_reader.blocks;
      return Ok();
    };
    // Both cores: one copy of the stages up to the first blocking one per thread, each on its
    // share of the blocks, folded together before Finish (Stage::MergeFrom). Only when those
    // stages allow it and the case is big enough to pay for another connection. The scope's
    // matchers are shared: they are immutable (CompiledRegex keeps match data per thread).
    size_t first_blocking = stages.size();
    for (size_t k = 0; k < stages.size(); ++k) {
      if (stages[k]->Blocking()) {
        first_blocking = k;
        break;
      }
    }
    bool parallel = options.threads != 1 && model == nullptr && first_blocking < stages.size() &&
                    store.path() != ":memory:" &&
                    std::all_of(stages.begin(), stages.begin() + static_cast<std::ptrdiff_t>(first_blocking) + 1,
                                [](const auto& st) { return st->ParallelSafe(); });
    if (parallel) {
      CAIRN_ASSIGN_OR_RETURN(store::Statement count, store.Prepare("SELECT count(*) FROM event_blocks"));
      CAIRN_ASSIGN_OR_RETURN(bool row, count.Step());
      parallel = row && count.Int(0) >= options.read_ahead_min_blocks;
    }
    if (parallel) {
      const int threads = options.threads > 1 ? options.threads : 2;
      // The other threads' copies, built on fresh contexts like ctx: their field ids are ctx's.
      struct Worker {
        ExecContext ctx;
        BuiltStages built;
        std::unique_ptr<EventFeeder> feeder;
        int64_t blocks_read = 0, header_only = 0;
        Status status = Ok();
        std::thread thread;
      };
      std::vector<std::unique_ptr<Worker>> workers;
      for (int w = 1; w < threads; ++w) {
        auto worker = std::make_unique<Worker>();
        worker->ctx.options = options;
        worker->ctx.range = ctx.range;
        worker->ctx.compare = ctx.compare;
        CAIRN_ASSIGN_OR_RETURN(worker->built, BuildStages(p, options, worker->ctx, nullptr, details_op));
        auto& ws = worker->built.stages;
        if (worker->ctx.fields.size() > fields.size() || ws.size() != stages.size()) {
          return Error::Internal("a parallel copy of the query's stages differs from the original");
        }
        for (size_t k = 0; k < first_blocking; ++k) ws[k]->set_next(ws[k + 1].get());
        worker->feeder = std::make_unique<EventFeeder>(feed_plan);
        workers.push_back(std::move(worker));
      }
      const bool never = false;  // no stage before a blocking one stops a scan (limit is not ParallelSafe)
      std::atomic<int64_t> claims{0};  // the shares draw the kept blocks from it in turn
      // Set when a share fails: the others stop at their next block. The joiner also runs when
      // this thread leaves early (an exception): a joinable thread must not be destroyed.
      std::atomic<bool> abort{false};
      struct Joiner {
        std::vector<std::unique_ptr<Worker>>& workers;
        std::atomic<bool>& abort;
        void Join() {
          for (auto& w : workers) {
            if (w->thread.joinable()) w->thread.join();
          }
        }
        ~Joiner() {
          abort = true;
          Join();
        }
      } joiner{workers, abort};
      for (size_t w = 0; w < workers.size(); ++w) {
        Worker* worker = workers[w].get();
        worker->thread = std::thread([&, worker] {
          try {
            worker->status = [&]() -> Status {
              CAIRN_ASSIGN_OR_RETURN(auto conn, store::CaseStore::Open(store.path(), store::CaseStore::Mode::kReadOnly));
              BlockScan share(*conn, keep, BlockScan::Stripe{watermark, &claims}, header_only);
              CAIRN_TRY(feed_blocks(share, *worker->feeder, worker->built.stages.front().get(), &never, &abort, *conn));
              worker->blocks_read = share.blocks_read();
              worker->header_only = share.blocks_header_only();
              return Ok();
            }();
          } catch (const std::exception& e) {
            worker->status = Error::Internal(std::string("a query thread failed: ") + e.what());
          }
          if (!worker->status.ok()) abort = true;
        });
      }
      BlockScan share(store, keep, BlockScan::Stripe{watermark, &claims}, header_only);
      Status mine = feed_blocks(share, feeder, head, &never, &abort, store);
      if (!mine.ok()) abort = true;
      joiner.Join();
      CAIRN_TRY(mine);
      for (auto& w : workers) {
        CAIRN_TRY(w->status);
        for (size_t k = 0; k <= first_blocking; ++k) CAIRN_TRY(stages[k]->MergeFrom(*w->built.stages[k]));
        feeder.events_read += w->feeder->events_read;
        feeder.events_matched += w->feeder->events_matched;
        result.stats.blocks_read += w->blocks_read;
        result.stats.blocks_header_only += w->header_only;
      }
      blocks_through = share.through();
      result.stats.blocks_read += share.blocks_read();
      result.stats.blocks_header_only += share.blocks_header_only();
      result.stats.blocks_skipped = share.blocks_skipped();
      result.stats.threads = threads;
    } else {
      // Read ahead on a thread, up to the watermark of the moment; with keywords, on this thread
      // (few blocks), up to the candidates' watermark.
      std::optional<BlockScan> scan;
      if (by_keyword) scan.emplace(store, keep, BlockScan::Stripe{watermark}, header_only);
      else scan.emplace(store, keep, options.threads != 1, options.read_ahead_min_blocks, header_only);
      Status st = feed_blocks(*scan, feeder, head, &ctx.stop, nullptr, store);
      scan->Stop();
      CAIRN_TRY(st);
      blocks_through = scan->through();
      result.stats.blocks_read = scan->blocks_read();
      result.stats.blocks_header_only = scan->blocks_header_only();
      result.stats.blocks_skipped = scan->blocks_skipped();
    }
    result.stats.blocks_from_leaves = leaf_blocks.load();
    if (blocks_through > 0) {
      // The rowid range drives; keyword lookups only filter it.
      for (size_t at = where_clause.find(kKeywordLookupSql); at != std::string::npos;
           at = where_clause.find(kKeywordLookupSql, at + std::string_view(kKeywordFilterSql).size())) {
        where_clause.replace(at, std::string_view(kKeywordLookupSql).size(), kKeywordFilterSql);
      }
      where_clause += (where_clause.empty() ? " WHERE " : " AND ") + std::string("e.id > ") + std::to_string(blocks_through);
    }
  }

  // The events above the blocks: a rowid range, which no index on source or time would narrow.
  std::string sql = select + (blocks_through > 0 ? " FROM events e NOT INDEXED" : " FROM events e") + where_clause;
  if (ordered) sql += options.newest_first ? " ORDER BY e.ts DESC, e.id DESC" : " ORDER BY e.ts, e.id";
  result.stats.sql = sql;
  result.stats.used_fts = sp.used_fts;
  result.stats.ordered_by_time = ordered;

  CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare(sql));
  for (size_t k = 0; k < params.size(); ++k) st.Bind(static_cast<int>(k + 1), std::string_view(params[k]));
  while (!ctx.stop) {
    if (options.cancel && options.cancel->load(std::memory_order_relaxed)) return Error::Io("query cancelled");
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    ++feeder.events_read;
    const int64_t source_id = st.Int(2);
    std::string_view raw = raw_col >= 0 ? st.Text(raw_col) : std::string_view();
    std::string_view host = host_col >= 0 ? st.Text(host_col) : std::string_view();
    if (!scope->trivial() && !scope->Matches(raw, source_id, host)) continue;
    CAIRN_TRY(feeder.Push(head, st.Int(0), st.Int(1), source_id, raw, host, &st));
  }
  result.stats.events_read = feeder.events_read;
  result.stats.events_matched = feeder.events_matched;
  result.stats.scan_ms = ms_since(scan_started);
  const auto finish_started = std::chrono::steady_clock::now();
  CAIRN_TRY(head->Finish());
  result.stats.finish_ms = ms_since(finish_started);
  result.notices = std::move(ctx.notices);
  result.geo_db = ctx.geo_db;
  return result;
}

}  // namespace

}  // namespace cairn::query
