// Query output: sparkline rendering, the time-sliced chart, width fitting and thousands separators.
#include "engine/cli/query_output.h"

#include <gtest/gtest.h>

#include <algorithm>
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

// A printer that records, for every row handed to it, how much output had been written by then.
struct StreamProbe {
  std::string out;
  std::vector<size_t> written_before_row;
};

void Feed(QueryPrinter& printer, StreamProbe& probe, const std::vector<std::string>& columns,
          const std::vector<std::vector<query::Value>>& rows) {
  for (const auto& row : rows) {
    probe.written_before_row.push_back(probe.out.size());
    ASSERT_TRUE(printer.OnRow(columns, row).ok());
  }
  printer.Finish();
}

// Rows (k % 100, "r<k>" padded with dots): the first rows are as wide as the last ones.
std::vector<std::vector<query::Value>> NumberedRows(int count, size_t text_width = 5) {
  std::vector<std::vector<query::Value>> rows;
  for (int k = 0; k < count; ++k) {
    std::string text = "r" + std::to_string(k);
    text.resize(std::max(text.size(), text_width), '.');
    rows.push_back({query::Value::Int(k % 100), query::Value::String(text)});
  }
  return rows;
}

TEST(QueryPrinterTest, TableStreamsPastTheSample) {
  ::setenv("NO_COLOR", "1", 1);
  const int kRows = 2500;
  PrintOptions options;  // the default sample: 1,000 rows
  StreamProbe probe;
  QueryPrinter printer(options, [&probe](std::string_view text) {
    probe.out += text;
    return true;
  });
  Feed(printer, probe, {"n", "text"}, NumberedRows(kRows));
  // Nothing before the sample is full; the header and the first 1,000 rows once it is; then one line
  // per row, each written before the next row is given: the last row has not been seen yet when
  // all the others are out.
  EXPECT_EQ(probe.written_before_row[999], 0u);
  EXPECT_GT(probe.written_before_row[1000], 0u);
  EXPECT_NE(probe.out.substr(0, probe.written_before_row[kRows - 1]).find("r2498"), std::string::npos);
  EXPECT_EQ(probe.out.substr(0, probe.written_before_row[kRows - 1]).find("r2499"), std::string::npos);
  for (int k = 1001; k < kRows; ++k) {
    ASSERT_GT(probe.written_before_row[static_cast<size_t>(k)], probe.written_before_row[static_cast<size_t>(k - 1)]) << k;
  }
  EXPECT_EQ(printer.rows(), kRows);
  // The same layout as the whole table rendered at once: the widths of the sample fit every row.
  TextTable whole({"n", "text"});
  whole.SetRightAligned(0);
  for (const auto& row : NumberedRows(kRows)) whole.AddRow({WithThousands(row[0].int_value()), row[1].str()});
  EXPECT_EQ(probe.out, whole.Render(0));
}

TEST(QueryPrinterTest, SmallTablesAreUnchanged) {
  ::setenv("NO_COLOR", "1", 1);
  auto rows = NumberedRows(999);
  StreamProbe probe;
  QueryPrinter printer(PrintOptions{}, [&probe](std::string_view text) {
    probe.out += text;
    return true;
  });
  Feed(printer, probe, {"n", "text"}, rows);
  EXPECT_EQ(probe.written_before_row.back(), 0u);  // buffered: widths from every row
  TextTable whole({"n", "text"});
  whole.SetRightAligned(0);
  for (const auto& row : rows) whole.AddRow({WithThousands(row[0].int_value()), row[1].str()});
  EXPECT_EQ(probe.out, whole.Render(0));
}

TEST(QueryPrinterTest, StreamedRowsWidenInAPipeAndCutOnATerminal) {
  ::setenv("NO_COLOR", "1", 1);
  std::vector<std::vector<query::Value>> rows = NumberedRows(4);
  rows.push_back({query::Value::Int(4), query::Value::String(std::string(60, 'w'))});
  rows.push_back({query::Value::Int(5), query::Value::String("after")});
  auto print = [&](int width) {
    PrintOptions options;
    options.table_sample_rows = 2;
    options.max_width = width;
    std::string out;
    QueryPrinter printer(options, [&out](std::string_view text) {
      out += text;
      return true;
    });
    for (const auto& row : rows) EXPECT_TRUE(printer.OnRow({"n", "text", "tail"}, {row[0], row[1], query::Value::String("z")}).ok());
    printer.Finish();
    return out;
  };
  // In a pipe nothing is lost: the column widens from the long row on.
  std::string piped = print(0);
  EXPECT_NE(piped.find(std::string(60, 'w') + "  z"), std::string::npos) << piped;
  EXPECT_NE(piped.find("after" + std::string(55, ' ') + "  z"), std::string::npos) << piped;
  EXPECT_NE(piped.find("r0...  z\n"), std::string::npos) << piped;  // the sample kept its widths
  // On a 40-column terminal the long cell widens to the limit and is cut there.
  std::string fitted = print(40);
  for (auto line : Split(fitted, '\n')) EXPECT_LE(DisplayWidth(line), 40u) << line;
  EXPECT_NE(fitted.find("…"), std::string::npos);
}

TEST(QueryPrinterTest, TimesInTheZone) {
  std::vector<std::string> columns = {"_messagetime", "n"};
  // 2026-03-29T00:30:00Z and 02:30:00Z: either side of Berlin's spring-forward.
  std::vector<std::vector<query::Value>> rows = {{query::Value::Time(1774744200000), query::Value::Int(1)},
                                                 {query::Value::Time(1774751400000), query::Value::Int(2)}};
  auto print = [&](const std::string& format, const TimeZone& zone) {
    PrintOptions options;
    options.format = format;
    options.zone = zone;
    std::string out;
    QueryPrinter printer(options, [&out](std::string_view text) {
      out += text;
      return true;
    });
    for (const auto& row : rows) EXPECT_TRUE(printer.OnRow(columns, row).ok());
    printer.Finish();
    return out;
  };
  EXPECT_EQ(print("csv", TimeZone::Utc()), "_messagetime,n\n2026-03-29T00:30:00Z,1\n2026-03-29T02:30:00Z,2\n");
  EXPECT_EQ(print("jsonl", TimeZone::Fixed(-300)),
            "{\"_messagetime\":\"2026-03-28T19:30:00-05:00\",\"n\":1}\n"
            "{\"_messagetime\":\"2026-03-28T21:30:00-05:00\",\"n\":2}\n");
  auto berlin = TimeZone::Load("Europe/Berlin");
  if (!berlin.has_value()) GTEST_SKIP() << "no zone database (install tzdata)";
  EXPECT_EQ(print("csv", *berlin), "_messagetime,n\n2026-03-29T01:30:00+01:00,1\n2026-03-29T04:30:00+02:00,2\n");
  std::string table = print("table", *berlin);
  EXPECT_NE(table.find("2026-03-29T01:30:00+01:00"), std::string::npos) << table;
  EXPECT_NE(table.find("2026-03-29T04:30:00+02:00"), std::string::npos) << table;
}

TEST(QueryPrinterTest, EmptyResult) {
  EXPECT_EQ(Print("table", false, 0, {}, {}), "(no results)\n");
  EXPECT_EQ(Print("json", false, 0, {}, {}), "[]\n");
}

}  // namespace
}  // namespace cairn::cli
