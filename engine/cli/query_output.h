#pragma once
// Printing query results for `cairn query` and `cairn shell`: table (aligned, fitted to a width,
// thousands separators), csv, json (one array) and jsonl, plus the sparkline drawn under a table of
// counts per _timeslice. Every cell is made terminal-safe (log lines are attacker-controlled).

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/time.h"
#include "engine/query/query.h"

namespace cairn::cli {

struct PrintOptions {
  std::string format = "table";  // table | csv | json | jsonl
  int tz_offset_minutes = 0;     // times are printed in this zone
  bool raw_times = false;        // times as epoch milliseconds
  int max_width = 0;             // table width limit (0: none); the terminal's width on a tty
  bool chart = false;            // sparkline under a table keyed by _timeslice with one number
};

// A RowSink that renders rows through `writer` (which returns false when its output is gone, e.g.
// a pager that was quit: the query is then stopped). csv/json/jsonl stream; a table is buffered
// until Finish() (column widths need every row) or until the shape of the rows changes.
class QueryPrinter final : public query::RowSink {
 public:
  using Writer = std::function<bool(std::string_view)>;
  QueryPrinter(PrintOptions options, Writer writer);

  Status OnRow(const std::vector<std::string>& columns, const std::vector<query::Value>& values) override;
  // Flushes the table (and its sparkline), closes the JSON array; "(no results)" for an empty table.
  void Finish();
  int64_t rows() const { return count_; }

 private:
  void FlushTable();
  bool Write(std::string_view text);

  PrintOptions options_;
  Writer writer_;
  bool writer_ok_ = true;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> numeric_;
  // (time, number) of each buffered row while the shape is [_timeslice, one number].
  std::vector<std::pair<TimeMs, double>> series_;
  bool series_ok_ = true;
  int64_t count_ = 0;
};

// The JSON text of a value (times as ISO-8601 strings in the zone unless raw_times; NaN as null).
std::string JsonValue(const query::Value& value, int tz_offset_minutes, bool raw_times);

// ▁▂▃▄▅▆▇█ for the values scaled between their minimum and maximum (all equal: all ▄). When there
// are more values than max_width (> 0), neighbours are summed into max_width cells first.
std::string Sparkline(const std::vector<double>& values, size_t max_width);

// The chart line printed under a time-sliced count table: the series sorted by time, gaps of the
// smallest step filled with zeros, then "▁▂▃… min M, max N" fitted to max_width (0: no limit).
// Empty when there are fewer than two points.
std::string TimesliceChart(std::vector<std::pair<TimeMs, double>> series, int max_width);

}  // namespace cairn::cli
