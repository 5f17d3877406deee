#include "engine/cli/cli_common.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "engine/common/strings.h"

namespace cairn::cli {
namespace {
int g_exit_code = kExitOk;

std::string Bold(const std::string& s, const char* color) {
  if (!UseColor()) return s;
  return std::string("\x1b[1;") + color + "m" + s + "\x1b[0m";
}
}  // namespace

void SetExitCode(int code) { g_exit_code = code; }
int GetExitCode() { return g_exit_code; }

int ExitCodeFor(const Error& error) {
  switch (error.code()) {
    case ErrorCode::kInternal: return kExitInternal;
    case ErrorCode::kInvalidArgument: return kExitUsage;
    default: return kExitInput;
  }
}

int ReportError(const Error& error, bool json) {
  if (json) {
    std::string out = "{\"error\":" + JsonQuote(error.message()) +
                      ",\"code\":" + JsonQuote(ErrorCodeName(error.code()));
    if (!error.reason().empty()) out += ",\"reason\":" + JsonQuote(error.reason());
    if (!error.help().empty()) out += ",\"help\":" + JsonQuote(error.help());
    if (error.span()) {
      const auto& s = *error.span();
      out += ",\"source\":" + JsonQuote(s.source) + ",\"line\":" + std::to_string(s.line) +
             ",\"column\":" + std::to_string(s.column);
    }
    out += "}\n";
    std::fputs(out.c_str(), stderr);
    return ExitCodeFor(error);
  }
  std::string out = Bold("error:", "31") + " " + TerminalSafe(error.message()) + "\n";
  if (!error.reason().empty()) out += "reason: " + TerminalSafe(error.reason()) + "\n";
  if (error.span()) {
    const auto& s = *error.span();
    if (!s.source.empty() || s.line > 0) {
      out += " --> " + TerminalSafe(s.source);
      if (s.line > 0) out += ":" + std::to_string(s.line);
      if (s.column > 0) out += ":" + std::to_string(s.column);
      out += "\n";
    }
    if (!s.snippet.empty()) {
      std::string snippet = TerminalSafe(s.snippet);
      out += "  " + snippet + "\n";
      if (s.column > 0) {
        std::string caret(static_cast<size_t>(s.column - 1) + 2, ' ');
        caret += std::string(static_cast<size_t>(std::max<int64_t>(1, s.length)), '^');
        out += Bold(caret, "32") + "\n";
      }
    }
  }
  for (const auto& note : error.notes()) out += "note: " + TerminalSafe(note) + "\n";
  for (auto it = error.context().rbegin(); it != error.context().rend(); ++it) {
    out += "  while " + TerminalSafe(*it) + "\n";
  }
  if (!error.help().empty()) out += Bold("help:", "36") + " " + TerminalSafe(error.help()) + "\n";
  std::fputs(out.c_str(), stderr);
  return ExitCodeFor(error);
}

void Warn(const std::string& message) {
  std::fprintf(stderr, "%s %s\n", Bold("warning:", "33").c_str(), TerminalSafe(message).c_str());
}
void Note(const std::string& message) {
  std::fprintf(stderr, "%s %s\n", Bold("note:", "36").c_str(), TerminalSafe(message).c_str());
}

bool StdoutIsTty() { return isatty(STDOUT_FILENO) == 1; }
bool StderrIsTty() { return isatty(STDERR_FILENO) == 1; }
bool UseColor() {
  const char* no_color = std::getenv("NO_COLOR");
  return (no_color == nullptr || *no_color == '\0') && StdoutIsTty();
}

int TerminalWidth() {
  struct winsize ws {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* cols = std::getenv("COLUMNS")) {
    int c = std::atoi(cols);
    if (c > 0) return c;
  }
  return 100;
}

int TerminalHeight() {
  struct winsize ws {};
  if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0) return ws.ws_row;
  if (const char* lines = std::getenv("LINES")) {
    int l = std::atoi(lines);
    if (l > 0) return l;
  }
  return 24;
}

Result<std::string> ResolveCasePath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("CAIRN_CASE"); env && *env) return std::string(env);
  return Error::InvalidArgument("no case given")
      .WithHelp("pass --case FILE.cairn or set CAIRN_CASE");
}

std::string ResolveGeoDbPath(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  if (const char* env = std::getenv("CAIRN_GEOIP_DB"); env && *env) return env;
  namespace fs = std::filesystem;
  std::vector<fs::path> roots;
  roots.emplace_back(CAIRN_SOURCE_DIR);
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) roots.push_back(exe.parent_path().parent_path());
  for (const auto& root : roots) {
    for (const char* rel : {"data/geoip/default-ipv4.mmdb", "../shared/data/geoip/GeoIP2-City-Test.mmdb"}) {
      fs::path p = root / rel;
      if (fs::exists(p, ec)) return fs::weakly_canonical(p, ec).string();
    }
  }
  return "";
}

Result<TimeBounds> ResolveTimeBounds(store::CaseStore& store, const std::string& from,
                                     const std::string& to) {
  TimeBounds b;
  std::optional<TimeMs> last;
  auto resolve = [&](const std::string& text, const char* flag) -> Result<std::optional<TimeMs>> {
    if (text.empty()) return std::optional<TimeMs>();
    if (auto abs = ParseIso8601(text)) return std::optional<TimeMs>(*abs);
    if (auto rel = ParseRelative(text)) {
      if (!last) {
        CAIRN_ASSIGN_OR_RETURN(auto range, store.TimeRange());
        last = range ? range->second + 1 : 0;
      }
      return std::optional<TimeMs>(*last + *rel);
    }
    return Error::InvalidArgument(std::string("cannot read ") + flag + " '" + text + "'")
        .WithHelp("use ISO-8601 (2024-01-19T09:45:00Z) or a time relative to the case's last event "
                  "(-15m, -7d)");
  };
  CAIRN_ASSIGN_OR_RETURN(b.from, resolve(from, "--from"));
  CAIRN_ASSIGN_OR_RETURN(b.to, resolve(to, "--to"));
  return b;
}

Result<CaseToRead> OpenCaseToRead(const std::string& case_flag, const std::string& tz_flag) {
  CAIRN_ASSIGN_OR_RETURN(std::string path, ResolveCasePath(case_flag));
  CAIRN_ASSIGN_OR_RETURN(TimeZone zone, ResolveTz(tz_flag));
  CAIRN_ASSIGN_OR_RETURN(auto store, store::CaseStore::Open(path, store::CaseStore::Mode::kReadOnly));
  return CaseToRead{std::move(store), std::move(zone)};
}

Result<TimeZone> ResolveTz(const std::string& tz) {
  auto zone = TimeZone::Load(tz);
  if (!zone.has_value()) return std::move(zone).error().WithContext("reading --tz");
  return zone;
}

int AlignmentOffsetMinutes(const TimeZone& zone, store::CaseStore& store, const TimeBounds& bounds) {
  if (zone.is_utc()) return 0;
  if (bounds.to) return zone.OffsetMinutesAt(*bounds.to - 1);
  auto range = store.TimeRange();
  if (range.has_value() && *range) return zone.OffsetMinutesAt((*range)->second);
  return zone.OffsetMinutesAt(0);
}

void AddCaseFlag(CLI::App* cmd, std::string* case_path) {
  cmd->add_option("--case", *case_path, "case file (default: $CAIRN_CASE)");
}
void AddTimeFlags(CLI::App* cmd, std::string* from, std::string* to) {
  cmd->add_option("--from", *from, "start: ISO-8601 or relative to the case's last event (-15m, -7d)");
  cmd->add_option("--to", *to, "end (exclusive): ISO-8601 or relative");
}
void AddTzFlag(CLI::App* cmd, std::string* tz) {
  if (tz->empty()) *tz = "UTC";
  cmd->add_option("--tz", *tz,
                  "time zone times are printed in, with their UTC offset: UTC, a fixed offset (+02:00) or a "
                  "zone name (Europe/Berlin, daylight saving time included)")
      ->capture_default_str();
}
void AddFormatFlag(CLI::App* cmd, std::string* format, const std::vector<std::string>& allowed,
                   const std::string& default_value) {
  *format = default_value;
  cmd->add_option("--format", *format, "output format")
      ->check(CLI::IsMember(allowed))
      ->capture_default_str();
}

TextTable::TextTable(std::vector<std::string> headers)
    : headers_(std::move(headers)), right_(headers_.size(), false) {}

void TextTable::AddRow(std::vector<std::string> cells) {
  cells.resize(headers_.size());
  for (auto& c : cells) c = TerminalSafe(c);
  rows_.push_back(std::move(cells));
}

void TextTable::SetRightAligned(size_t col, bool right) {
  if (col < right_.size()) right_[col] = right;
}

namespace {
std::string Fit(const std::string& s, size_t width) {
  size_t w = DisplayWidth(s);
  if (w <= width) return s;
  // cut at a code point boundary
  std::string out;
  size_t count = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    bool start = (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80;
    if (start) {
      if (count + 1 >= width) break;
      ++count;
    }
    out += s[i];
  }
  return out + "…";
}
}  // namespace

std::vector<size_t> TextTable::ColumnWidths(int max_width) const {
  size_t ncol = headers_.size();
  std::vector<size_t> width(ncol, 0);
  for (size_t c = 0; c < ncol; ++c) width[c] = DisplayWidth(headers_[c]);
  for (const auto& row : rows_) {
    for (size_t c = 0; c < ncol; ++c) width[c] = std::max(width[c], DisplayWidth(row[c]));
  }
  if (max_width > 0 && ncol > 0) {
    size_t total = 0;
    for (auto w : width) total += w;
    total += 2 * (ncol - 1);
    // Shrink the widest columns until the table fits (never below 8 columns wide).
    while (total > static_cast<size_t>(max_width)) {
      auto widest = std::max_element(width.begin(), width.end());
      if (*widest <= 8) break;
      size_t excess = total - static_cast<size_t>(max_width);
      size_t cut = std::min(excess, *widest - 8);
      *widest -= cut;
      total -= cut;
    }
  }
  return width;
}

std::string TextTable::RenderLine(const std::vector<std::string>& cells, const std::vector<size_t>& widths,
                                  bool header) const {
  const size_t ncol = std::min(widths.size(), cells.size());
  std::string line;
  for (size_t c = 0; c < ncol; ++c) {
    std::string cell = Fit(cells[c], widths[c]);
    size_t pad = widths[c] - std::min(widths[c], DisplayWidth(cell));
    if (c < right_.size() && right_[c] && !header) line += std::string(pad, ' ') + cell;
    else line += cell + (c + 1 < ncol ? std::string(pad, ' ') : "");
    if (c + 1 < ncol) line += "  ";
  }
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (header && UseColor()) line = "\x1b[1m" + line + "\x1b[0m";
  return line + "\n";
}

std::string TextTable::Render(int max_width) const {
  const std::vector<size_t> widths = ColumnWidths(max_width);
  std::string out = RenderLine(headers_, widths, true);
  for (const auto& row : rows_) out += RenderLine(row, widths, false);
  return out;
}

int64_t MonotonicMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

Progress::Progress(std::string label)
    : label_(std::move(label)), enabled_(StderrIsTty()), start_ms_(MonotonicMs()) {}

Progress::~Progress() { Finish(); }

void Progress::Update(int64_t done, int64_t total, const std::string& extra, bool bytes) {
  if (!enabled_ || finished_) return;
  int64_t now = MonotonicMs();
  if (now - last_draw_ms_ < 100 && done < total) return;
  last_draw_ms_ = now;
  double frac = total > 0 ? static_cast<double>(done) / static_cast<double>(total) : 0.0;
  frac = std::clamp(frac, 0.0, 1.0);
  const int bar = 24;
  int filled = static_cast<int>(frac * bar);
  std::string s = "\r" + label_ + " [" + std::string(static_cast<size_t>(filled), '#') +
                  std::string(static_cast<size_t>(bar - filled), '.') + "] ";
  char buf[64];
  if (bytes) {
    std::snprintf(buf, sizeof buf, "%.1f/%.1f MB", static_cast<double>(done) / 1e6,
                  static_cast<double>(total) / 1e6);
  } else {
    std::snprintf(buf, sizeof buf, "%lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
  }
  s += buf;
  double elapsed = static_cast<double>(now - start_ms_) / 1000.0;
  if (frac > 0.01 && frac < 1.0 && elapsed > 0.5) {
    std::snprintf(buf, sizeof buf, " ETA %.0fs", elapsed / frac - elapsed);
    s += buf;
  }
  if (!extra.empty()) s += " " + extra;
  s += "\x1b[K";
  std::fputs(s.c_str(), stderr);
  std::fflush(stderr);
}

void Progress::Finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (last_draw_ms_ != 0) {
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
  }
}

}  // namespace cairn::cli
