// Query output: sparkline rendering, the time-sliced chart, width fitting and thousands separators.
#include "engine/cli/query_output.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

TEST(SparklineTest, ScalesBetweenMinAndMax) {
  EXPECT_EQ(Sparkline({0, 1, 2, 3, 4, 5, 6, 7}, 0), "▁▂▃▄▅▆▇█");
  EXPECT_EQ(Sparkline({10, 80}, 0), "▁█");
  EXPECT_EQ(Sparkline({5, 5, 5}, 0), "▄▄▄");
  EXPECT_EQ(Sparkline({}, 0), "");
}

TEST(SparklineTest, SumsNeighboursToFitTheWidth) {
  // 8 values into 4 cells: pairs summed -> 1, 1, 1, 9
  EXPECT_EQ(Sparkline({0, 1, 0, 1, 1, 0, 4, 5}, 4), "▁▁▁█");
  EXPECT_EQ(DisplayWidth(Sparkline(std::vector<double>(1000, 1.0), 37)), 37u);
}

TEST(SparklineTest, ChartFillsEmptySlicesWithZero) {
  const TimeMs minute = 60000;
  // slices at 0, 1, 3 minutes (2 is missing: count by _timeslice leaves it out)
  std::string chart = TimesliceChart({{3 * minute, 8}, {0, 4}, {minute, 8}}, 0);
  EXPECT_EQ(chart, "▅█▁█  min 0, max 8");
  EXPECT_EQ(TimesliceChart({{0, 1}}, 0), "");  // one point: no chart
  EXPECT_EQ(TimesliceChart({{0, 1000}, {minute, 2500}}, 0), "▁█  min 1,000, max 2,500");
}

TEST(TextTableTest, FitsTheWidthWithAnEllipsis) {
  TextTable table({"name", "message"});
  table.AddRow({"alice", std::string(200, 'x')});
  std::string fitted = table.Render(40);
  for (auto line : Split(fitted, '\n')) EXPECT_LE(DisplayWidth(line), 40u) << line;
  EXPECT_NE(fitted.find("…"), std::string::npos);
  std::string unlimited = table.Render(0);
  EXPECT_EQ(unlimited.find("…"), std::string::npos);
  EXPECT_NE(unlimited.find(std::string(200, 'x')), std::string::npos);
}

TEST(TextTableTest, CellsAreTerminalSafe) {
  TextTable table({"raw"});
  table.AddRow({"evil\x1b[2Jline"});
  std::string out = table.Render(0);
  EXPECT_EQ(out.find('\x1b'), std::string::npos);
}

std::string Print(const std::string& format, bool chart, int width,
                  const std::vector<std::vector<query::Value>>& rows, const std::vector<std::string>& columns) {
  std::string out;
  PrintOptions options;
  options.format = format;
  options.chart = chart;
  options.max_width = width;
  QueryPrinter printer(options, [&out](std::string_view text) {
    out += text;
    return true;
  });
  for (const auto& row : rows) EXPECT_TRUE(printer.OnRow(columns, row).ok());
  printer.Finish();
  return out;
}

TEST(QueryPrinterTest, ThousandsSeparatorsInTablesOnly) {
  std::vector<std::string> columns = {"bucket", "_count"};
  std::vector<std::vector<query::Value>> rows = {{query::Value::String("logs"), query::Value::Int(1234567)}};
  EXPECT_NE(Print("table", false, 0, rows, columns).find("1,234,567"), std::string::npos);
  EXPECT_EQ(Print("csv", false, 0, rows, columns), "bucket,_count\nlogs,1234567\n");
  EXPECT_EQ(Print("jsonl", false, 0, rows, columns), "{\"bucket\":\"logs\",\"_count\":1234567}\n");
  EXPECT_EQ(Print("json", false, 0, rows, columns), "[\n{\"bucket\":\"logs\",\"_count\":1234567}\n]\n");
}

TEST(QueryPrinterTest, SparklineUnderTimeslicedCounts) {
  ::setenv("NO_COLOR", "1", 1);
  std::vector<std::string> columns = {"_timeslice", "errors"};
  std::vector<std::vector<query::Value>> rows;
  for (int k = 0; k < 8; ++k) rows.push_back({query::Value::Time(k * 60000), query::Value::Int(k)});
  std::string with_chart = Print("table", true, 0, rows, columns);
  EXPECT_NE(with_chart.find("▁▂▃▄▅▆▇█  min 0, max 7"), std::string::npos) << with_chart;
  EXPECT_EQ(Print("table", false, 0, rows, columns).find("▁"), std::string::npos);
  EXPECT_EQ(Print("csv", true, 0, rows, columns).find("▁"), std::string::npos);
  // Two number columns: not a single series, no chart.
  std::vector<std::vector<query::Value>> wide = {{query::Value::Time(0), query::Value::Int(1), query::Value::Int(2)},
                                                 {query::Value::Time(60000), query::Value::Int(3), query::Value::Int(4)}};
  EXPECT_EQ(Print("table", true, 0, wide, {"_timeslice", "a", "b"}).find("▁"), std::string::npos);
}

TEST(QueryPrinterTest, EmptyResult) {
  EXPECT_EQ(Print("table", false, 0, {}, {}), "(no results)\n");
  EXPECT_EQ(Print("json", false, 0, {}, {}), "[]\n");
}

}  // namespace
}  // namespace cairn::cli
