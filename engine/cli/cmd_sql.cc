// cairn sql 'SELECT ...' --case FILE: one read-only SQL statement over the case's tables, with
// Cairn's functions (cairn_raw(id): an event's raw text, from the event blocks; cairn_kw(expr): the
// keyword index), printed like query results. The escape hatch for what the pipeline language does
// not say, and the way other tools get the raw text out (the sqlite3 shell lacks cairn_raw).
#include <cstdio>

#include "engine/cli/cli_common.h"
#include "engine/cli/query_output.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

struct SqlArgs {
  std::string sql;
  std::string case_path;
  std::string format = "table";
  std::string tz = "UTC";
};

// One statement: text after the first ';' must be blank (or comments are not worth parsing here).
Status CheckOneStatement(std::string_view sql) {
  bool in_single = false, in_double = false;
  for (size_t k = 0; k < sql.size(); ++k) {
    char c = sql[k];
    if (in_single) { in_single = c != '\''; continue; }
    if (in_double) { in_double = c != '"'; continue; }
    if (c == '\'') in_single = true;
    else if (c == '"') in_double = true;
    else if (c == ';') {
      for (size_t j = k + 1; j < sql.size(); ++j) {
        if (sql[j] != ' ' && sql[j] != '\n' && sql[j] != '\t' && sql[j] != '\r' && sql[j] != ';') {
          return Error::InvalidArgument("cairn sql runs one statement; text follows the ';' at offset " +
                                        std::to_string(k))
              .WithHelp("run each statement with its own 'cairn sql'");
        }
      }
      break;
    }
  }
  return Ok();
}

int RunSql(const SqlArgs& args) {
  if (auto st = CheckOneStatement(args.sql); !st.ok()) return ReportError(st.error());
  // Read-only: the case is evidence; a write fails in SQLite ("attempt to write a readonly database").
  auto opened = OpenCaseToRead(args.case_path, args.tz);
  if (!opened.ok()) return ReportError(opened.error());
  auto prepared = opened->store->Prepare(args.sql);
  if (!prepared.ok()) {
    return ReportError(Error::InvalidArgument("bad SQL").WithReason(prepared.error().message()));
  }
  store::Statement& st = *prepared;
  std::vector<std::string> columns;
  for (int c = 0; c < st.ColumnCount(); ++c) columns.push_back(st.ColumnName(c));

  PrintOptions print;
  print.format = args.format;
  print.zone = opened->zone;
  print.max_width = StdoutIsTty() ? TerminalWidth() : 0;
  QueryPrinter sink(print, [](std::string_view text) {
    return std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  });
  std::vector<query::Value> values(columns.size());
  while (true) {
    auto row = st.Step();
    if (!row.ok()) {
      sink.Finish();
      std::fflush(stdout);
      return ReportError(row.error());
    }
    if (!*row) break;
    for (size_t c = 0; c < columns.size(); ++c) {
      const int col = static_cast<int>(c);
      switch (st.ColumnType(col)) {
        case store::Statement::Type::kNull: values[c] = query::Value::Null(); break;
        case store::Statement::Type::kInt: values[c] = query::Value::Int(st.Int(col)); break;
        case store::Statement::Type::kReal: values[c] = query::Value::Double(st.Real(col)); break;
        case store::Statement::Type::kText: values[c] = query::Value::String(std::string(st.Text(col))); break;
        case store::Statement::Type::kBlob: {
          std::string_view blob = st.Blob(col);
          values[c] = query::Value::String("<blob " + std::to_string(blob.size()) + " bytes>");
          break;
        }
      }
    }
    if (!sink.OnRow(columns, values).ok()) break;  // the reader of the output went away
  }
  sink.Finish();
  std::fflush(stdout);
  return kExitOk;
}

}  // namespace

void SetupSql(CLI::App& app) {
  auto args = std::make_shared<SqlArgs>();
  auto* cmd = app.add_subcommand("sql", "run one read-only SQL statement over a case (with cairn_raw and cairn_kw)");
  cmd->add_option("sql", args->sql, "the statement, e.g. 'SELECT count(*) FROM events'")->required();
  AddCaseFlag(cmd, &args->case_path);
  AddFormatFlag(cmd, &args->format, {"table", "csv", "json", "jsonl"}, "table");
  AddTzFlag(cmd, &args->tz);
  cmd->footer(
      "Examples:\n"
      "  cairn sql 'SELECT source_type, count(*) FROM events GROUP BY 1' --case demo.cairn\n"
      "  cairn sql \"SELECT id, cairn_raw(id) AS raw FROM events WHERE error_code = 'InvalidAccessKeyId' "
      "LIMIT 5\" --case demo.cairn --format jsonl\n"
      "  cairn sql \"SELECT count(*) FROM cairn_kw('(& accessdenied getobject)')\" --case demo.cairn\n"
      "The raw text of an event is cairn_raw(id) (the events table holds the typed fields); the tables are in "
      "docs/schema.md. The case is opened read-only.");
  cmd->callback([args] { SetExitCode(RunSql(*args)); });
}

}  // namespace cairn::cli
