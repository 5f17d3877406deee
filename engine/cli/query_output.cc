#include "engine/cli/query_output.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

// Blocks of the sparkline, lowest to highest (3 bytes each in UTF-8).
const char* const kBlocks[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

// Rows of a time-sliced series kept for the sparkline, at most (16 bytes each).
constexpr size_t kMaxSeriesPoints = 1'000'000;

std::string FormatNumber(double v) {
  if (std::floor(v) == v && std::fabs(v) < 9e15) return WithThousands(static_cast<int64_t>(v));
  return FormatDouble(v, 2);
}

}  // namespace

std::string CellText(const query::Value& v, const TimeZone& zone, bool raw_times) {
  if (v.is_time() && !raw_times) return FormatIso8601Compact(v.int_value(), zone);
  return v.ToText();
}

std::string JsonValue(const query::Value& v, const TimeZone& zone, bool raw_times) {
  switch (v.kind()) {
    case query::Value::Kind::kNull: return "null";
    case query::Value::Kind::kString: return JsonQuote(v.str());
    case query::Value::Kind::kBool: return v.bool_value() ? "true" : "false";
    case query::Value::Kind::kInt:
      if (v.is_time() && !raw_times) return JsonQuote(CellText(v, zone, false));
      return std::to_string(v.int_value());
    case query::Value::Kind::kDouble: {
      std::string s = FormatDouble(v.double_value(), 6);
      return (s == "NaN" || s == "Infinity" || s == "-Infinity") ? "null" : s;
    }
  }
  return "null";
}

std::string Sparkline(const std::vector<double>& values, size_t max_width) {
  std::vector<double> cells = values;
  if (max_width > 0 && cells.size() > max_width) {
    // Sum neighbours: cell c covers values [c*n/w, (c+1)*n/w).
    std::vector<double> merged(max_width, 0.0);
    for (size_t idx = 0; idx < values.size(); ++idx) merged[idx * max_width / values.size()] += values[idx];
    cells = std::move(merged);
  }
  if (cells.empty()) return "";
  auto [lo_it, hi_it] = std::minmax_element(cells.begin(), cells.end());
  double lo = *lo_it, hi = *hi_it;
  std::string out;
  for (double v : cells) {
    size_t level = 3;
    if (hi > lo && std::isfinite(v)) {
      level = static_cast<size_t>(std::lround((v - lo) / (hi - lo) * 7.0));
      level = std::min<size_t>(level, 7);
    }
    out += kBlocks[level];
  }
  return out;
}

std::string TimesliceChart(std::vector<std::pair<TimeMs, double>> series, int max_width) {
  if (series.size() < 2) return "";
  std::sort(series.begin(), series.end());
  TimeMs step = 0;
  for (size_t idx = 1; idx < series.size(); ++idx) {
    TimeMs gap = series[idx].first - series[idx - 1].first;
    if (gap > 0 && (step == 0 || gap < step)) step = gap;
  }
  std::vector<double> values;
  const TimeMs span = series.back().first - series.front().first;
  if (step > 0 && span / step < 100000) {
    // One cell per step, empty slices counting zero (count by _timeslice omits them).
    values.assign(static_cast<size_t>(span / step) + 1, 0.0);
    for (const auto& [t, v] : series) values[static_cast<size_t>((t - series.front().first) / step)] += v;
  } else {
    for (const auto& point : series) values.push_back(point.second);
  }
  double lo = *std::min_element(values.begin(), values.end());
  double hi = *std::max_element(values.begin(), values.end());
  std::string legend = "  min " + FormatNumber(lo) + ", max " + FormatNumber(hi);
  size_t room = 0;
  if (max_width > 0) {
    room = static_cast<size_t>(max_width) > legend.size() + 8 ? static_cast<size_t>(max_width) - legend.size()
                                                                : 8;
  }
  return Sparkline(values, room) + legend;
}

QueryPrinter::QueryPrinter(PrintOptions options, Writer writer)
    : options_(std::move(options)), writer_(std::move(writer)) {}

bool QueryPrinter::Write(std::string_view text) {
  if (writer_ok_) writer_ok_ = writer_(text);
  return writer_ok_;
}

Status QueryPrinter::OnRow(const std::vector<std::string>& columns, const std::vector<query::Value>& values) {
  const TimeZone& zone = options_.zone;
  const bool raw = options_.raw_times;
  if (options_.format == "table") {
    if (header_.empty() || columns != header_) {
      if (!header_.empty()) FlushTable();
      header_ = columns;
      series_.clear();
      series_ok_ = columns.size() == 2 && EqualsIgnoreCase(columns[0], "_timeslice");
    }
    std::vector<std::string> cells;
    cells.reserve(values.size());
    for (const auto& v : values) {
      // Thousands separators in tables only (csv/json keep raw numbers).
      if (v.is_int() && !v.is_time()) cells.push_back(WithThousands(v.int_value()));
      else cells.push_back(CellText(v, zone, raw));
    }
    if (series_ok_) {
      if (values.size() == 2 && values[0].is_int() && values[1].is_number() && !values[1].is_time() &&
          series_.size() < kMaxSeriesPoints) {
        series_.emplace_back(values[0].int_value(), values[1].AsDouble());
      } else {
        series_ok_ = false;
        series_ = {};
      }
    }
    if (streaming_) {
      StreamRow(std::move(cells));
      if (!writer_ok_) return Error::Io("output closed");
      return Ok();
    }
    if (numeric_.size() < values.size()) numeric_.resize(values.size(), true);
    for (size_t col_idx = 0; col_idx < values.size(); ++col_idx) {
      const auto& v = values[col_idx];
      if (!v.is_null() && !(v.is_number() && !v.is_time())) numeric_[col_idx] = false;
    }
    rows_.push_back(std::move(cells));
    if (rows_.size() >= std::max<size_t>(options_.table_sample_rows, 1)) {
      StartStreaming();
      if (!writer_ok_) return Error::Io("output closed");
    }
    return Ok();
  }
  std::string line;
  if (options_.format == "csv") {
    if (columns != header_) {
      header_ = columns;
      for (size_t col_idx = 0; col_idx < columns.size(); ++col_idx) {
        line += (col_idx ? "," : "") + CsvField(columns[col_idx]);
      }
      line += "\n";
    }
    for (size_t col_idx = 0; col_idx < values.size(); ++col_idx) {
      line += (col_idx ? "," : "") + CsvField(CellText(values[col_idx], zone, raw));
    }
    line += "\n";
  } else {
    std::string obj = "{";
    for (size_t col_idx = 0; col_idx < values.size(); ++col_idx) {
      obj += (col_idx ? "," : "") + JsonQuote(columns[col_idx]) + ":" + JsonValue(values[col_idx], zone, raw);
    }
    obj += "}";
    line = options_.format == "json" ? (count_ ? ",\n" : "[\n") + obj : obj + "\n";
  }
  ++count_;
  if (!Write(line)) return Error::Io("output closed");
  return Ok();
}

void QueryPrinter::StartStreaming() {
  TextTable table(header_);
  for (size_t col_idx = 0; col_idx < numeric_.size(); ++col_idx) table.SetRightAligned(col_idx, numeric_[col_idx]);
  for (auto& row : rows_) table.AddRow(std::move(row));
  count_ += static_cast<int64_t>(rows_.size());
  rows_ = {};  // release the sample's memory
  widths_ = table.ColumnWidths(options_.max_width);
  Write(table.Render(options_.max_width));
  // Keep the layout only: the rows are out.
  streaming_.emplace(header_);
  for (size_t col_idx = 0; col_idx < numeric_.size(); ++col_idx) streaming_->SetRightAligned(col_idx, numeric_[col_idx]);
}

void QueryPrinter::StreamRow(std::vector<std::string> cells) {
  cells.resize(widths_.size());
  size_t total = 0;
  for (size_t width : widths_) total += width;
  if (!widths_.empty()) total += 2 * (widths_.size() - 1);
  for (size_t col_idx = 0; col_idx < cells.size(); ++col_idx) {
    cells[col_idx] = TerminalSafe(cells[col_idx]);
    const size_t want = DisplayWidth(cells[col_idx]);
    if (want <= widths_[col_idx]) continue;
    // Widen from this row on while the line fits; cut the rest (already printed rows stay as they are).
    size_t grow = want - widths_[col_idx];
    if (options_.max_width > 0) {
      const size_t limit = static_cast<size_t>(options_.max_width);
      grow = total >= limit ? 0 : std::min(grow, limit - total);
    }
    widths_[col_idx] += grow;
    total += grow;
  }
  ++count_;
  Write(streaming_->RenderLine(cells, widths_, false));
}

void QueryPrinter::FlushTable() {
  if (header_.empty()) return;
  if (streaming_) {
    streaming_.reset();
    widths_.clear();
    numeric_.clear();
    if (options_.chart && series_ok_) {
      std::string chart = TimesliceChart(std::move(series_), options_.max_width);
      if (!chart.empty()) Write(chart + "\n");
    }
    series_.clear();
    return;
  }
  TextTable table(header_);
  for (size_t col_idx = 0; col_idx < numeric_.size(); ++col_idx) table.SetRightAligned(col_idx, numeric_[col_idx]);
  for (auto& row : rows_) table.AddRow(std::move(row));
  count_ += static_cast<int64_t>(rows_.size());
  rows_.clear();
  numeric_.clear();
  std::string out = table.Render(options_.max_width);
  if (options_.chart && series_ok_) {
    std::string chart = TimesliceChart(std::move(series_), options_.max_width);
    if (!chart.empty()) out += chart + "\n";
  }
  series_.clear();
  Write(out);
}

void QueryPrinter::Finish() {
  if (options_.format == "table") {
    FlushTable();
    if (count_ == 0 && header_.empty()) Write("(no results)\n");
  } else if (options_.format == "json") {
    Write(count_ ? "\n]\n" : "[]\n");
  }
}

}  // namespace cairn::cli
