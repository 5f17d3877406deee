// Planner and executor: scope -> SQL, operators -> stage chain, streaming loop.
#include "engine/query/query.h"

#include <algorithm>
#include <unordered_map>

#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"
#include "engine/query/block_scan_internal.h"
#include "engine/query/parser.h"
#include "engine/query/stages_internal.h"
#include "engine/store/case_store.h"
#include "engine/store/event_blocks.h"

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
    if (static_cast<size_t>(it->second) < builtin_count_) referenced_[static_cast<size_t>(it->second)] = true;
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

Result<QueryResult> RunPipelineOnce(store::CaseStore& store, const Pipeline& p, const QueryOptions& options,
                                    RowSink& sink, SummarizeModel* model, size_t details_op) {
  QueryResult result;
  ExecContext ctx;
  ctx.options = options;

  // Sources (metadata).
  CAIRN_ASSIGN_OR_RETURN(auto source_list, store.ListSources());
  std::unordered_map<int64_t, SourceInfo> sources;
  for (const auto& s : source_list) {
    SourceInfo info;
    info.categories = s.categories;
    info.name = s.source_name;
    info.path = s.path;
    info.host = s.host;
    info.format = s.format;
    sources[s.id] = std::move(info);
  }
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

  // Stages.
  std::vector<std::unique_ptr<Stage>> stages;
  std::unique_ptr<geo::GeoDb> geo_db;
  bool aggregated = false;
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
  for (const Operator& op : p.ops) {
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
    select += ", e.raw";
    raw_col = next_col++;
  }
  if (need_host) {
    select += ", e.host";
    host_col = next_col++;
  }
  struct Fetch {
    int id;
    int col;
    bool integer;
  };
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
  bool use_blocks = options.use_event_blocks && !ordered && !need_host && fetch.empty() && !sp.used_fts;
  if (use_blocks) {
    CAIRN_ASSIGN_OR_RETURN(auto flag, store.GetMeta(store::kEventBlocksMetaKey));
    use_blocks = flag && *flag == "1";
  }

  // Per-source metadata values.
  struct SourceValues {
    Value category, name, host, format;
  };
  std::unordered_map<int64_t, SourceValues> source_values;
  for (const auto& [id, info] : sources) {
    SourceValues v;
    if (!info.categories.empty()) v.category = Value::String(info.categories.front());
    v.name = Value::String(info.name.empty() ? info.path : info.name);
    if (!info.host.empty()) v.host = Value::String(info.host);
    v.format = Value::String(info.format);
    source_values[id] = std::move(v);
  }
  const int id_raw = fields.Find("_raw"), id_mt = fields.Find("_messagetime"),
            id_cat = fields.Find("_sourcecategory"), id_name = fields.Find("_sourcename"),
            id_shost = fields.Find("_sourcehost"), id_src = fields.Find("_source"),
            id_coll = fields.Find("_collector"), id_size = fields.Find("_size"),
            id_fmt = fields.Find("_format"), id_host = fields.Find("host");

  CAIRN_TRY(head->Begin(Shape{}));
  BaseEvent base;
  base.values.resize(fields.builtin_count());
  Record rec;
  rec.base = &base;
  static const Value kNull;
  // One event into the pipeline; st (nullable) holds its typed columns.
  auto push = [&](std::string_view raw, std::string_view host, store::Statement* st) -> Status {
    ++result.stats.events_matched;
    if (need_raw) base.values[static_cast<size_t>(id_raw)].SetString(raw);
    base.values[static_cast<size_t>(id_mt)] = Value::Time(base.ts);
    if (need[static_cast<size_t>(id_size)]) base.values[static_cast<size_t>(id_size)] = Value::Int(static_cast<int64_t>(raw.size()));
    auto sv = source_values.find(base.source_id);
    const SourceValues* svp = sv == source_values.end() ? nullptr : &sv->second;
    base.values[static_cast<size_t>(id_cat)] = svp ? svp->category : kNull;
    base.values[static_cast<size_t>(id_name)] = svp ? svp->name : kNull;
    base.values[static_cast<size_t>(id_src)] = svp ? svp->name : kNull;
    base.values[static_cast<size_t>(id_fmt)] = svp ? svp->format : kNull;
    base.values[static_cast<size_t>(id_coll)] = Value::String("local");
    if (need_host) {
      if (!host.empty()) {
        base.values[static_cast<size_t>(id_host)].SetString(host);
        base.values[static_cast<size_t>(id_shost)].SetString(host);
      } else {
        base.values[static_cast<size_t>(id_host)] = kNull;
        base.values[static_cast<size_t>(id_shost)] = svp ? svp->host : kNull;
      }
    }
    if (st) {
      for (const Fetch& f : fetch) {
        Value& v = base.values[static_cast<size_t>(f.id)];
        if (st->IsNull(f.col)) v = kNull;
        else if (f.integer) v = Value::Int(st->Int(f.col));
        else v.SetString(st->Text(f.col));
      }
    }
    for (auto& slot : rec.slots) slot.set = false;
    rec.owned.reset();
    rec.base = &base;
    return head->Push(rec);
  };

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
    const bool per_source = !sp.needs_raw;
    std::unordered_map<int64_t, bool> source_in_scope;
    if (per_source) {
      for (const auto& [id, info] : sources) source_in_scope[id] = scope->Matches(std::string_view(), id, std::string_view());
    }
    // A source not listed (not complete) gets the scope's own answer, as in the SQL path (where a
    // metadata predicate lists the complete sources and `*` takes every event). No keyword node
    // is evaluated here, so the reader's thread may call it too.
    auto source_may_match = [&](int64_t id) {
      if (!per_source) return true;
      auto it = source_in_scope.find(id);
      return it != source_in_scope.end() ? it->second : scope->Matches(std::string_view(), id, std::string_view());
    };
    // Blocks are kept by time and source on the reader's thread: ranges and source_in_scope do not
    // change during the scan.
    BlockScan scan(
        store,
        [&](int64_t min_ts, int64_t max_ts, const std::vector<int64_t>& block_sources) {
          return overlaps(min_ts, max_ts) &&
                 std::any_of(block_sources.begin(), block_sources.end(), source_may_match);
        },
        options.threads != 1, options.read_ahead_min_blocks);
    while (!ctx.stop) {
      if (options.cancel && options.cancel->load(std::memory_order_relaxed)) return Error::Io("query cancelled");
      CAIRN_ASSIGN_OR_RETURN(const store::DecodedBlock* block, scan.Next());
      if (!block) break;
      const bool all_times = ranges.empty();
      for (size_t k = 0; k < block->size() && !ctx.stop; ++k) {
        if ((k & 63) == 63 && options.cancel && options.cancel->load(std::memory_order_relaxed)) {
          return Error::Io("query cancelled");
        }
        ++result.stats.events_read;
        base.id = block->id(k);
        base.ts = block->ts(k);
        base.source_id = block->source_id(k);
        if (!all_times && !overlaps(base.ts, base.ts)) continue;
        std::string_view raw = block->raw(k);
        if (per_source ? !source_may_match(base.source_id)
                       : !scope->Matches(raw, base.source_id, std::string_view())) {
          continue;
        }
        CAIRN_TRY(push(raw, std::string_view(), nullptr));
      }
    }
    scan.Stop();
    blocks_through = scan.through();
    result.stats.blocks_read = scan.blocks_read();
    result.stats.blocks_skipped = scan.blocks_skipped();
    if (blocks_through > 0) {
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
    ++result.stats.events_read;
    base.id = st.Int(0);
    base.ts = st.Int(1);
    base.source_id = st.Int(2);
    std::string_view raw = raw_col >= 0 ? st.Text(raw_col) : std::string_view();
    std::string_view host = host_col >= 0 ? st.Text(host_col) : std::string_view();
    if (!scope->trivial() && !scope->Matches(raw, base.source_id, host)) continue;
    CAIRN_TRY(push(raw, host, &st));
  }
  CAIRN_TRY(head->Finish());
  result.notices = std::move(ctx.notices);
  result.geo_db = ctx.geo_db;
  return result;
}

}  // namespace

}  // namespace cairn::query
