#pragma once
// Printing query results for `cairn query` and `cairn shell`: table (aligned, fitted to a width,
// thousands separators), csv, json (one array) and jsonl, plus the sparkline drawn under a table of
// counts per _timeslice. Every cell is made terminal-safe (log lines are attacker-controlled).
// Every format streams: memory stays bounded however many rows a query returns.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/cli/cli_common.h"
#include "engine/common/time.h"
#include "engine/common/time_zone.h"
#include "engine/query/query.h"

namespace cairn::cli {

struct PrintOptions {
  std::string format = "table";  // table | csv | json | jsonl
  TimeZone zone;                 // times are printed in this zone (ISO-8601 with the offset; UTC: Z)
  bool raw_times = false;        // times as epoch milliseconds
  int max_width = 0;             // table width limit (0: none); the terminal's width on a tty
  bool chart = false;            // sparkline under a table keyed by _timeslice with one number
  // A table holds at most this many rows: its column widths are taken from them, then the rest
  // stream through (see QueryPrinter). At least 1.
  size_t table_sample_rows = 1000;
};

// A RowSink that renders rows through `writer` (which returns false when its output is gone, e.g.
// a pager that was quit: the query is then stopped).
//
// csv, json (one array: "[" with the first row, "]" at Finish) and jsonl write each row as it comes.
// A table keeps its first table_sample_rows rows: when the result is no longer, it is printed at
// Finish() exactly as TextTable renders it (widths from every row). A longer result is printed
// when the sample is full, with the widths of the sample, and every further row is written as it
// comes: a wider cell widens its column from that row on while the line still fits max_width (always
// when max_width is 0, so nothing is lost in a pipe), and is cut with "…" beyond it. Numeric
// alignment is decided by the sample. A change in the shape of the rows ends the table and starts
// a new one. The sparkline's series (16 bytes a row) is dropped past a million rows.
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
  void StartStreaming();
  void StreamRow(std::vector<std::string> cells);
  bool Write(std::string_view text);

  PrintOptions options_;
  Writer writer_;
  bool writer_ok_ = true;
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;  // the sample, until the table streams
  std::vector<bool> numeric_;
  // While a table streams: its layout (headers and alignment) and the current column widths.
  std::optional<TextTable> streaming_;
  std::vector<size_t> widths_;
  // (time, number) of each buffered row while the shape is [_timeslice, one number].
  std::vector<std::pair<TimeMs, double>> series_;
  bool series_ok_ = true;
  int64_t count_ = 0;
};

// The JSON text of a value (times as ISO-8601 strings in the zone unless raw_times; NaN as null).
std::string JsonValue(const query::Value& value, const TimeZone& zone, bool raw_times);
// The text of a value in a table or csv cell: times as ISO-8601 in the zone (epoch ms when
// raw_times), everything else as query::Value::ToText.
std::string CellText(const query::Value& value, const TimeZone& zone, bool raw_times);

// ▁▂▃▄▅▆▇█ for the values scaled between their minimum and maximum (all equal: all ▄). When there
// are more values than max_width (> 0), neighbours are summed into max_width cells first.
std::string Sparkline(const std::vector<double>& values, size_t max_width);

// The chart line printed under a time-sliced count table: the series sorted by time, gaps of the
// smallest step filled with zeros, then "▁▂▃… min M, max N" fitted to max_width (0: no limit).
// Empty when there are fewer than two points.
std::string TimesliceChart(std::vector<std::pair<TimeMs, double>> series, int max_width);

}  // namespace cairn::cli
