#pragma once
// Shared plumbing of the subcommands: the only code that prints, reads argv or picks exit codes.
// Exit codes (docs/cli.md): 0 ok, 1 findings present (opt-in), 2 usage, 3 bad input/query/playbook,
// 70 internal error.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "engine/common/result.h"
#include "engine/common/time.h"
#include "engine/common/time_zone.h"
#include "engine/store/case_store.h"

namespace cairn::cli {

constexpr int kExitOk = 0;
constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInput = 3;
constexpr int kExitInternal = 70;

// Exit code of an error: kInternal -> 70, kInvalidArgument -> 2, everything else -> 3.
int ExitCodeFor(const Error& error);

// Renders an error to stderr in the lnav/Falco layout (error/reason/-->/snippet+caret/help/notes).
// With json=true prints one JSON object instead. Returns ExitCodeFor(error).
int ReportError(const Error& error, bool json = false);

// Prints "warning: ..." / "note: ..." to stderr.
void Warn(const std::string& message);
void Note(const std::string& message);

// Is stdout / stderr a terminal? Colour is used only on a terminal and when NO_COLOR is unset.
bool StdoutIsTty();
bool StderrIsTty();
bool UseColor();
int TerminalWidth();   // columns of the terminal (ioctl, COLUMNS), 100 when unknown
int TerminalHeight();  // rows of the terminal (ioctl, LINES), 24 when unknown

// --case FILE, else $CAIRN_CASE. Errors with kInvalidArgument when neither is given.
Result<std::string> ResolveCasePath(const std::string& flag_value);
// --geoip-db FILE, else $CAIRN_GEOIP_DB, else data/geoip/default-ipv4.mmdb beside the binary's
// source tree / installed data, else MaxMind's test database in ../shared/data/geoip. Empty string
// when none exists.
std::string ResolveGeoDbPath(const std::string& flag_value);

// Time bounds from --from/--to (ISO-8601 or relative to the case's last event).
struct TimeBounds {
  std::optional<TimeMs> from;  // inclusive
  std::optional<TimeMs> to;    // exclusive
};
Result<TimeBounds> ResolveTimeBounds(store::CaseStore& store, const std::string& from,
                                     const std::string& to);

// The zone of --tz: "UTC" (the default), a fixed offset ("+02:00", "-0530") or a zone name such as
// Europe/Berlin read from the system zone database, with its daylight saving time
// (TimeZone::Load). kInvalidArgument for an unknown zone (the message names it, the help gives
// the forms); kCorruptInput for a damaged zone file. Times are printed with FormatIso8601(t, zone):
// local wall-clock time with the offset in force at that instant.
Result<TimeZone> ResolveTz(const std::string& tz);

// The case and zone of a command that reads a case: --case (ResolveCasePath), --tz (ResolveTz),
// then the case opened read-only; the first error in that order.
struct CaseToRead {
  std::unique_ptr<store::CaseStore> store;
  TimeZone zone;
};
Result<CaseToRead> OpenCaseToRead(const std::string& case_flag, const std::string& tz_flag);

// A query aligns 1d/1w timeslices to one UTC offset (QueryOptions::tz_offset_minutes): the zone's
// offset at the end of the time range (--to, else the case's last event, else now's epoch 0).
int AlignmentOffsetMinutes(const TimeZone& zone, store::CaseStore& store, const TimeBounds& bounds);

// Adds the standard flags to a subcommand, bound to the given strings.
void AddCaseFlag(CLI::App* cmd, std::string* case_path);
void AddTimeFlags(CLI::App* cmd, std::string* from, std::string* to);
// --tz ZONE bound to *tz (default "UTC"): the zone times are printed in.
void AddTzFlag(CLI::App* cmd, std::string* tz);
void AddFormatFlag(CLI::App* cmd, std::string* format, const std::vector<std::string>& allowed,
                   const std::string& default_value);

// An aligned text table, fitted to the terminal width (long cells are cut with an ellipsis when
// the table would not fit). Cells are made terminal-safe. Right-aligns numeric columns.
class TextTable {
 public:
  explicit TextTable(std::vector<std::string> headers);
  void AddRow(std::vector<std::string> cells);
  void SetRightAligned(size_t col, bool right = true);
  // Renders with the given maximum width (0 = no limit).
  std::string Render(int max_width) const;
  size_t rows() const { return rows_.size(); }

  // The column widths Render uses: the widest cell (or header) of each column, the widest columns
  // then narrowed (not below 8) until the table fits max_width (0 = no limit).
  std::vector<size_t> ColumnWidths(int max_width) const;
  // One rendered line (with its newline) of cells laid out in `widths`: cells cut with "…" when
  // wider, numeric columns right-aligned except in the header, trailing spaces dropped; the header
  // is bold when colour is on. Cells are used as given (AddRow made its cells terminal-safe).
  std::string RenderLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                         bool header) const;
  const std::vector<std::string>& headers() const { return headers_; }

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<bool> right_;
};

// A progress bar on stderr when stderr is a terminal; silent otherwise.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  // done/total in the unit given (bytes when bytes=true); extra text after the bar.
  void Update(int64_t done, int64_t total, const std::string& extra, bool bytes = false);
  void Finish();

 private:
  std::string label_;
  bool enabled_;
  int64_t last_draw_ms_ = 0;
  int64_t start_ms_;
  bool finished_ = false;
};

// Monotonic milliseconds (for progress rates and step timings only).
int64_t MonotonicMs();

// Subcommand registration. Each Setup* adds its subcommand to app; the subcommand's callback stores
// its exit code through SetExitCode.
void SetExitCode(int code);
int GetExitCode();

void SetupIngest(CLI::App& app);
void SetupSources(CLI::App& app);
void SetupStats(CLI::App& app);
void SetupQuery(CLI::App& app);
void SetupSql(CLI::App& app);
void SetupSummarize(CLI::App& app);
void SetupGraph(CLI::App& app);
void SetupPlaybook(CLI::App& app);
void SetupReport(CLI::App& app);
void SetupShell(CLI::App& app);
void SetupGeoip(CLI::App& app);
void SetupSimulate(CLI::App& app);

}  // namespace cairn::cli
