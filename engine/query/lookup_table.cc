// lookup ... from csv://FILE on COLUMN=FIELD: joins each record/row with a CSV table (spec §14.2,
// "lookup … from path://…"): header required, values matched case-insensitively, no match gives
// nulls, records are never dropped.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "engine/common/strings.h"
#include "engine/query/parser.h"
#include "engine/query/stages_internal.h"

namespace cairn::query {

namespace {

// Splits CSV text into rows of fields (RFC 4180: quoted fields may hold commas, quotes written
// twice and line breaks; CR before LF is dropped). Blank lines are skipped.
std::vector<std::vector<std::string>> SplitCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;  // the current row has content
  for (size_t pos = 0; pos < text.size(); ++pos) {
    char c = text[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field += '"';
          ++pos;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

Error SpanError(Error e, const Pipeline& p, TextSpan span) {
  return std::move(e.WithSpan(SpanAt(p.text, span.offset, span.length)));
}

class CsvLookupStage final : public Stage {
 public:
  Status Begin(const Shape& in) override {
    Shape out = in;
    for (int id : out_ids_) AddColumn(&out, id);
    return next_->Begin(out);
  }
  bool OrderInsensitive() const override { return true; }
  Status Push(Record& r) override {
    std::string key;
    bool null_key = false;
    for (int id : join_fields_) {
      const Value& v = r.Get(id);
      if (v.is_null()) {
        null_key = true;
        break;
      }
      key += ToLower(v.ToText());
      key += '\x1f';
    }
    const std::vector<Value>* match = nullptr;
    if (!null_key) {
      auto it = table_.find(key);
      if (it != table_.end()) match = &it->second;
    }
    for (size_t k = 0; k < out_ids_.size(); ++k) r.Set(out_ids_[k], match ? (*match)[k] : Value::Null());
    return next_->Push(r);
  }

  std::vector<int> join_fields_;
  std::vector<int> out_ids_;
  // Lower-cased joined key -> output values (in out_ids_ order). The first row of a key wins.
  std::unordered_map<std::string, std::vector<Value>> table_;
};

}  // namespace

Result<std::unique_ptr<Stage>> MakeCsvLookupStage(const Pipeline& p, const Operator& op, ExecContext& ctx,
                                                  std::vector<std::string>* created) {
  const std::string& path = op.lookup_table;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    int err = errno;
    Error e = err == ENOENT ? Error::NotFound("lookup table '" + path + "' not found")
                            : Error::Io("cannot read lookup table '" + path + "'");
    e.WithReason(std::strerror(err));
    e.WithHelp("the path is relative to the current directory; a table is a CSV file with a header line");
    return SpanError(std::move(e), p, op.lookup_table_span);
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto rows = SplitCsv(buffer.str());
  if (rows.empty()) {
    return SpanError(Error::InvalidArgument("lookup table '" + path + "' is empty")
                         .WithHelp("a table is a CSV file whose first line names the columns"),
                     p, op.lookup_table_span);
  }
  std::vector<std::string> header = rows.front();
  std::string column_list;
  for (auto& h : header) {
    h = std::string(Trim(h));
    if (!column_list.empty()) column_list += ", ";
    column_list += h;
  }
  auto column_of = [&](const std::string& name) -> int {
    for (size_t k = 0; k < header.size(); ++k) {
      if (EqualsIgnoreCase(header[k], name)) return static_cast<int>(k);
    }
    return -1;
  };

  auto stage = std::make_unique<CsvLookupStage>();
  // Join columns. 'on COLUMN=FIELD' names the table column first (as in 'on ip=FIELD'); when only
  // the right-hand name is a column of the table, the pair is read the other way round.
  std::vector<int> join_cols;
  for (size_t k = 0; k < op.lookup_join.size(); ++k) {
    auto [column, field] = op.lookup_join[k];
    int col = column_of(column);
    if (col < 0 && column_of(field) >= 0) {
      std::swap(column, field);
      col = column_of(column);
    }
    if (col < 0) {
      return SpanError(Error::InvalidArgument("lookup table '" + path + "' has no column '" + column + "'")
                           .WithReason("its columns are: " + column_list)
                           .WithHelp("write on COLUMN=FIELD: COLUMN names a column of the table, FIELD a "
                                     "field of the events"),
                       p, op.lookup_join_spans[k]);
    }
    join_cols.push_back(col);
    stage->join_fields_.push_back(ctx.fields.Intern(field));
  }
  // Output columns ('*': every column that is not a join column).
  std::vector<int> out_cols;
  for (const auto& c : op.lookup_columns) {
    if (c.name == "*") {
      for (size_t k = 0; k < header.size(); ++k) {
        if (std::find(join_cols.begin(), join_cols.end(), static_cast<int>(k)) != join_cols.end()) continue;
        out_cols.push_back(static_cast<int>(k));
        stage->out_ids_.push_back(ctx.fields.Intern(header[k]));
        created->push_back(header[k]);
      }
      continue;
    }
    int col = column_of(c.name);
    if (col < 0) {
      return SpanError(Error::InvalidArgument("lookup table '" + path + "' has no column '" + c.alias + "'")
                           .WithReason("its columns are: " + column_list),
                       p, op.span);
    }
    out_cols.push_back(col);
    stage->out_ids_.push_back(ctx.fields.Intern(c.alias));
    created->push_back(c.alias);
  }
  for (size_t row_idx = 1; row_idx < rows.size(); ++row_idx) {
    const auto& row = rows[row_idx];
    std::string key;
    for (int col : join_cols) {
      key += ToLower(static_cast<size_t>(col) < row.size() ? row[static_cast<size_t>(col)] : std::string());
      key += '\x1f';
    }
    if (stage->table_.count(key)) continue;
    std::vector<Value> values;
    values.reserve(out_cols.size());
    for (int col : out_cols) {
      size_t c = static_cast<size_t>(col);
      values.push_back(c < row.size() && !row[c].empty() ? Value::String(row[c]) : Value::Null());
    }
    stage->table_.emplace(std::move(key), std::move(values));
  }
  return std::unique_ptr<Stage>(std::move(stage));
}

}  // namespace cairn::query
