#include "engine/ingest/ingest.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/ingest/keyword_indexer_internal.h"
#include "engine/ingest/reader_internal.h"
#include "engine/ingest/text_util_internal.h"

namespace cairn::ingest {

using store::Event;
using store::Reject;
using store::SourceType;

namespace fs = std::filesystem;

constexpr size_t kMaxLine = 1024 * 1024;

std::string DetectFormat(std::string_view head, const ApacheLogFormat* apache_format) {
  size_t p = 0;
  if (StartsWith(head, "\xEF\xBB\xBF")) p = 3;
  while (p < head.size() && (head[p] == ' ' || head[p] == '\n' || head[p] == '\r' || head[p] == '\t')) ++p;
  if (p >= head.size()) return "";
  if (head[p] == '{') return "cloudtrail";
  if (head[p] == '[') {  // a JSON array, or a bracketed timestamp ("[Mon Aug 31 ...")
    size_t q = p + 1;
    while (q < head.size() && (head[q] == ' ' || head[q] == '\n' || head[q] == '\r' || head[q] == '\t')) ++q;
    if (q >= head.size() || head[q] == '{' || head[q] == ']' || head[q] == '[') return "cloudtrail";
  }
  int checked = 0, s3 = 0, access = 0, error = 0, generic = 0;
  Event e;
  size_t pos = p;
  while (pos < head.size() && checked < 50) {
    size_t nl = head.find('\n', pos);
    bool complete = nl != std::string_view::npos;
    std::string_view line = head.substr(pos, complete ? nl - pos : std::string_view::npos);
    pos = complete ? nl + 1 : head.size();
    if (!complete && checked > 0) break;  // cut by the sniff window
    if (Trim(line).empty()) continue;
    ++checked;
    if (ParseS3AccessLine(line, &e).ok()) ++s3;
    if (ParseApacheAccessLine(line, nullptr, &e).ok() ||
        (apache_format && ParseApacheAccessLine(line, apache_format, &e).ok())) {
      ++access;
    }
    if (!line.empty() && line[0] == '[' && ParseApacheErrorLine(line, &e).ok()) ++error;
    TimeMs t = 0;
    if (ParseLeadingTimestamp(line, 2000, 0, &t) > 0) ++generic;
  }
  if (checked == 0) return "";
  struct Candidate {
    int count;
    const char* name;
  };
  Candidate order[] = {{s3, "s3_access"}, {access, "apache_access"}, {error, "apache_error"},
                       {generic, "generic"}};
  const Candidate* best = nullptr;
  for (const auto& c : order) {
    if (c.count > 0 && (!best || c.count > best->count)) best = &c;
  }
  if (!best || best->count * 2 < checked) return "";
  return best->name;
}

namespace {

bool ReadWholeFile(const std::string& path, std::string* out, std::string* error) {
  FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) {
    *error = std::strerror(errno);
    return false;
  }
  out->clear();
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && st.st_size > 0) out->reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out->append(buf, n);
  bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) *error = "read error";
  return !bad;
}

TimeMs FileMtime(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<TimeMs>(st.st_mtime) * 1000;
}

int YearOf(TimeMs t) {
  std::string iso = FormatIso8601(t);
  return std::atoi(iso.substr(0, 4).c_str());
}

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

// Per-file writer: counts and the store calls of one source.
class FileWriter final : public CloudTrailSink {
 public:
  FileWriter(store::CaseStore& store, internal::KeywordIndexer& indexer, store::SourceRecord& source,
             FileOutcome& outcome, IngestObserver* observer, std::function<void()> progress)
      : store_(store), indexer_(indexer), source_(source), outcome_(outcome),
        progress_(std::move(progress)) {
    (void)observer;
  }

  Status Add(Event& e) {
    int64_t id = 0;
    CAIRN_ASSIGN_OR_RETURN(bool inserted, store_.InsertEvent(e, source_.id, &id));
    if (!inserted) {
      ++source_.duplicates;
      return Ok();
    }
    indexer_.Add(id, e.raw);
    if (source_.events == 0 || e.time < source_.first_event) source_.first_event = e.time;
    if (source_.events == 0 || e.time > source_.last_event) source_.last_event = e.time;
    ++source_.events;
    if ((source_.events & 8191) == 0) progress_();
    return Ok();
  }

  // first: report it as the file's first reject even when others came before (stream damage
  // found at the end).
  Status AddReject(std::string_view reason, std::string_view raw, int64_t offset, int64_t line,
                   bool first = false) {
    Reject r;
    r.line = line;
    r.offset = offset;
    r.reason.assign(reason);
    r.raw.assign(raw.substr(0, 64 * 1024));
    if (source_.rejects == 0 || first) outcome_.first_reject = r.reason;
    ++source_.rejects;
    return store_.InsertReject(source_.id, r);
  }

  // first: after the notes about the file as a whole (empty, unknown format), before the others.
  void AddNote(std::string_view note, bool first = false) {
    for (const auto& n : notes_) {
      if (n == note) return;
    }
    if (first) {
      notes_.insert(notes_.begin() + static_cast<std::ptrdiff_t>(file_notes_), std::string(note));
    } else {
      notes_.emplace_back(note);
    }
  }
  // The notes added so far are about the file as a whole.
  void MarkFileNotes() { file_notes_ = notes_.size(); }

  std::string Notes() const { return Join(notes_, "; "); }

  // CloudTrailSink
  Status OnRecord(Event& event) override { return Add(event); }
  Status OnReject(std::string_view reason, std::string_view raw, int64_t offset,
                  int64_t line) override {
    return AddReject(reason, raw, offset, line);
  }
  void OnNote(std::string_view note) override { AddNote(note); }

 private:
  store::CaseStore& store_;
  internal::KeywordIndexer& indexer_;
  store::SourceRecord& source_;
  FileOutcome& outcome_;
  std::function<void()> progress_;
  std::vector<std::string> notes_;
  size_t file_notes_ = 0;
};

// A source of text chunks for the parsers: the whole text at once (files read into memory), or
// a FileReader's chunks (streamed files), starting with the bytes already read for detection.
class ChunkInput {
 public:
  explicit ChunkInput(std::string_view text) : text_(text) {}
  ChunkInput(internal::FileReader* reader, std::string* buffer, size_t chunk_bytes)
      : reader_(reader), buffer_(buffer), chunk_bytes_(chunk_bytes) {}

  // The next chunk (valid until the next call); empty at the end. Errors: kIo.
  Result<std::string_view> Next() {
    if (!reader_) {
      std::string_view out = first_ ? text_ : std::string_view();
      first_ = false;
      return out;
    }
    if (first_) {
      first_ = false;
      if (!buffer_->empty()) return std::string_view(*buffer_);
    }
    buffer_->clear();
    CAIRN_ASSIGN_OR_RETURN(size_t n, reader_->Read(buffer_, chunk_bytes_));
    (void)n;
    return std::string_view(*buffer_);
  }
  // Reads the next chunk and appends it to *out; false at the end. Errors: kIo.
  Result<bool> AppendTo(std::string* out) {
    if (!reader_) {
      if (!first_) return false;
      first_ = false;
      out->append(text_);
      return !text_.empty();
    }
    if (first_) {
      first_ = false;
      if (!buffer_->empty()) {
        out->append(*buffer_);
        return true;
      }
    }
    CAIRN_ASSIGN_OR_RETURN(size_t n, reader_->Read(out, chunk_bytes_));
    return n > 0;
  }
  bool streaming() const { return reader_ != nullptr; }

 private:
  std::string_view text_;
  internal::FileReader* reader_ = nullptr;
  std::string* buffer_ = nullptr;
  size_t chunk_bytes_ = 0;
  bool first_ = true;
};

// Splits chunks into lines: OnLine(line, line_no, offset) for each, with the same numbering, '\r'
// handling, blank-line skipping and 1 MiB limit whether the text comes whole or in chunks. A line
// cut by a chunk boundary is carried over; one longer than 1 MiB is not kept whole (only its
// first 64 KiB, for the reject).
class LineFeeder {
 public:
  using Callback = std::function<Status(std::string_view, int64_t, int64_t)>;
  LineFeeder(FileWriter& writer, int64_t* invalid_utf8, Callback fn)
      : writer_(writer), invalid_utf8_(invalid_utf8), fn_(std::move(fn)) {}

  Status Feed(std::string_view chunk) {
    size_t pos = 0;
    if (!carry_.empty() || overlong_) {
      const void* hit = std::memchr(chunk.data(), '\n', chunk.size());
      size_t end = hit ? static_cast<size_t>(static_cast<const char*>(hit) - chunk.data()) : chunk.size();
      Append(chunk.substr(0, end));
      offset_ += static_cast<int64_t>(end + (hit ? 1 : 0));
      if (!hit) return Ok();
      CAIRN_TRY(CompleteCarry());
      pos = end + 1;
    }
    while (pos < chunk.size()) {
      const void* hit = std::memchr(chunk.data() + pos, '\n', chunk.size() - pos);
      if (!hit) {
        carry_offset_ = offset_;
        Append(chunk.substr(pos));
        offset_ += static_cast<int64_t>(chunk.size() - pos);
        return Ok();
      }
      size_t end = static_cast<size_t>(static_cast<const char*>(hit) - chunk.data());
      CAIRN_TRY(Line(chunk.substr(pos, end - pos), offset_, static_cast<int64_t>(end - pos)));
      offset_ += static_cast<int64_t>(end - pos + 1);
      pos = end + 1;
    }
    return Ok();
  }

  // The last line when the text does not end with a newline.
  Status Finish() {
    if (carry_.empty() && !overlong_) return Ok();
    return CompleteCarry();
  }

 private:
  static constexpr size_t kKeptOfLongLine = 64 * 1024;

  void Append(std::string_view part) {
    if (part.empty()) return;
    carry_length_ += static_cast<int64_t>(part.size());
    last_char_ = part.back();
    if (overlong_) {
      if (carry_.size() < kKeptOfLongLine) {
        carry_.append(part.substr(0, kKeptOfLongLine - carry_.size()));
      }
      return;
    }
    carry_.append(part);
    if (carry_.size() > kMaxLine + 1) {  // longer than 1 MiB even without a trailing '\r'
      overlong_ = true;
      carry_.resize(kKeptOfLongLine);
    }
  }

  Status CompleteCarry() {
    Status st = overlong_ ? Line(carry_, carry_offset_, carry_length_, last_char_)
                          : Line(carry_, carry_offset_, carry_length_);
    carry_.clear();
    carry_length_ = 0;
    overlong_ = false;
    return st;
  }

  // length is the line's full length (the view may hold only the first 64 KiB of a long line).
  Status Line(std::string_view line, int64_t offset, int64_t length, char last = 0) {
    ++line_no_;
    if (!line.empty() && line.size() == static_cast<size_t>(length)) last = line.back();
    if (last == '\r') {
      --length;
      if (line.size() > static_cast<size_t>(length)) line.remove_suffix(1);
    }
    if (length > static_cast<int64_t>(kMaxLine)) {
      return writer_.AddReject("line longer than 1 MiB (" + std::to_string(length) + " bytes)", line,
                               offset, line_no_);
    }
    if (Trim(line).empty()) return Ok();
    if (!IsAscii(line) && !IsValidUtf8(line)) ++*invalid_utf8_;
    return fn_(line, line_no_, offset);
  }

  FileWriter& writer_;
  int64_t* invalid_utf8_;
  Callback fn_;
  int64_t offset_ = 0;  // offset of the next byte fed
  int64_t line_no_ = 0;
  std::string carry_;   // a line cut by the chunk boundary (first 64 KiB when overlong)
  int64_t carry_offset_ = 0;
  int64_t carry_length_ = 0;
  char last_char_ = 0;
  bool overlong_ = false;
};

Status FeedLines(ChunkInput& input, LineFeeder& feeder) {
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view chunk, input.Next());
    if (chunk.empty()) break;
    CAIRN_TRY(feeder.Feed(chunk));
  }
  return feeder.Finish();
}

struct Parsers {
  CloudTrailParser cloudtrail;
  std::unique_ptr<ApacheLogFormat> apache_format;
  Event event;
};

Status ParseLines(SourceType type, ChunkInput& input, const std::string& path,
                  const IngestOptions& options, Parsers& parsers, FileWriter& writer) {
  Event& e = parsers.event;
  int64_t invalid_utf8 = 0;
  if (type == SourceType::kS3Access || type == SourceType::kApacheAccess) {
    const ApacheLogFormat* fmt = parsers.apache_format.get();
    LineFeeder feeder(writer, &invalid_utf8,
                      [&](std::string_view line, int64_t line_no, int64_t offset) -> Status {
                        Status st = type == SourceType::kS3Access
                                        ? ParseS3AccessLine(line, &e)
                                        : ParseApacheAccessLine(line, fmt, &e);
                        if (!st.ok()) {
                          return writer.AddReject(st.error().message(), line, offset, line_no);
                        }
                        e.line = line_no;
                        return writer.Add(e);
                      });
    CAIRN_TRY(FeedLines(input, feeder));
  } else if (type == SourceType::kApacheError) {
    // Records may span lines: a line not starting with '[' continues the previous record.
    // Bare "AHnnnnn:" lines have no time: they take the previous record's (or the next one's).
    std::string pending_raw;
    int64_t pending_line = 0, pending_offset = 0;
    bool have_pending = false;
    TimeMs last_time = 0;
    bool have_time = false;
    std::vector<Event> untimed;
    auto flush = [&]() -> Status {
      if (!have_pending) return Ok();
      have_pending = false;
      std::string_view first = pending_raw;
      size_t nl = first.find('\n');
      if (nl != std::string_view::npos) first = first.substr(0, nl);
      Status st = ParseApacheErrorLine(first, &e);
      if (!st.ok()) return writer.AddReject(st.error().message(), pending_raw, pending_offset, pending_line);
      e.raw = pending_raw;
      e.line = pending_line;
      if (e.time == 0 && first[0] != '[') {
        if (!have_time) {
          untimed.push_back(e);
          return Ok();
        }
        e.time = last_time;
        return writer.Add(e);
      }
      last_time = e.time;
      have_time = true;
      for (Event& u : untimed) {
        u.time = e.time;
        CAIRN_TRY(writer.Add(u));
      }
      untimed.clear();
      return writer.Add(e);
    };
    LineFeeder feeder(writer, &invalid_utf8,
                      [&](std::string_view line, int64_t line_no, int64_t offset) -> Status {
                        if (IsApacheErrorRecordStart(line)) {
                          CAIRN_TRY(flush());
                          pending_raw.assign(line);
                          pending_line = line_no;
                          pending_offset = offset;
                          have_pending = true;
                          return Ok();
                        }
                        if (have_pending) {
                          pending_raw.push_back('\n');
                          pending_raw.append(line);
                          return Ok();
                        }
                        return writer.AddReject(
                            "continuation line without a preceding Apache error record", line,
                            offset, line_no);
                      });
    CAIRN_TRY(FeedLines(input, feeder));
    CAIRN_TRY(flush());
    for (const Event& u : untimed) {
      CAIRN_TRY(writer.AddReject("Apache error record without a time (no timed record in the file)",
                                 u.raw, -1, u.line));
    }
  } else {  // generic
    TimeMs reference = options.reference_time > 0 ? options.reference_time : FileMtime(path);
    int year = reference > 0 ? YearOf(reference) : 1970;
    TimeMs last_time = 0;
    bool have_time = false;
    std::vector<Event> untimed;
    int64_t inherited = 0;
    LineFeeder feeder(writer, &invalid_utf8,
                      [&](std::string_view line, int64_t line_no, int64_t) -> Status {
                        Status st = ParseGenericLine(line, year, reference, &e);
                        e.line = line_no;
                        if (!st.ok()) {
                          // No timestamp of its own: the line keeps the previous line's time.
                          ResetEvent(&e);
                          e.source_type = SourceType::kGeneric;
                          e.raw.assign(internal::TrimLineEnd(line));
                          e.line = line_no;
                          ++inherited;
                          if (!have_time) {
                            untimed.push_back(e);
                            return Ok();
                          }
                          e.time = last_time;
                          return writer.Add(e);
                        }
                        last_time = e.time;
                        if (!have_time) {
                          have_time = true;
                          for (Event& u : untimed) {
                            u.time = e.time;
                            CAIRN_TRY(writer.Add(u));
                          }
                          untimed.clear();
                        }
                        return writer.Add(e);
                      });
    CAIRN_TRY(FeedLines(input, feeder));
    for (const Event& u : untimed) {
      CAIRN_TRY(writer.AddReject("no recognisable timestamp", u.raw, -1, u.line));
    }
    if (inherited > 0) {
      writer.AddNote(std::to_string(inherited) +
                     " lines without a timestamp of their own took the previous line's time");
    }
  }
  if (invalid_utf8 > 0) {
    writer.AddNote(std::to_string(invalid_utf8) + " lines with invalid UTF-8 (kept as bytes)");
  }
  return Ok();
}

// Tracks JSON nesting over a stream to find where a CloudTrail document can be cut without
// changing how it parses: the start of a line whose first non-blank character is '{' at nesting
// depth 0 outside strings (the same points the document walker resynchronises at).
class JsonCutFinder {
 public:
  // Scans text[from, text.size()) and returns the last cut point found in it (0 if none).
  size_t Scan(std::string_view text, size_t from) {
    size_t cut = 0;
    for (size_t pos = from; pos < text.size(); ++pos) {
      char c = text[pos];
      if (in_string_) {
        if (escape_) {
          escape_ = false;
        } else if (c == '\\') {
          escape_ = true;
        } else if (c == '"') {
          in_string_ = false;
        }
        continue;
      }
      if (line_start_) {
        if (c == ' ' || c == '\t' || c == '\r') continue;
        line_start_ = false;
        if (c == '{' && depth_ == 0) cut = line_begin_;
      }
      switch (c) {
        case '"': in_string_ = true; break;
        case '{': case '[': ++depth_; break;
        case '}': case ']': if (depth_ > 0) --depth_; break;
        case '\n':
          if (depth_ == 0) {
            line_start_ = true;
            line_begin_ = pos + 1;
          }
          break;
        default: break;
      }
    }
    return cut;
  }
  // The buffer lost its first n bytes.
  void Shift(size_t n) { line_begin_ -= std::min(line_begin_, n); }

 private:
  int64_t depth_ = 0;
  bool in_string_ = false, escape_ = false, line_start_ = false;
  size_t line_begin_ = 0;
};

// Parses a CloudTrail document: whole when it came whole; streamed in pieces cut between top-level
// values otherwise (a single top-level value, such as one {"Records":[...]}, is held whole).
Status ParseCloudTrail(ChunkInput& input, size_t chunk_bytes, CloudTrailParser& parser,
                       FileWriter& writer) {
  std::string buffer;
  if (!input.streaming()) {
    CAIRN_ASSIGN_OR_RETURN(std::string_view text, input.Next());
    return parser.ParseDocument(text, writer);
  }
  JsonCutFinder finder;
  size_t scanned = 0;
  int64_t base_offset = 0, base_line = 1;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool more, input.AppendTo(&buffer));
    if (!more) break;
    if (buffer.size() < chunk_bytes) continue;
    size_t cut = finder.Scan(buffer, scanned);
    scanned = buffer.size();
    if (cut == 0) continue;
    std::string_view part(buffer.data(), cut);
    CAIRN_TRY(parser.ParseDocument(part, writer, base_offset, base_line));
    base_offset += static_cast<int64_t>(cut);
    base_line += std::count(part.begin(), part.end(), '\n');
    buffer.erase(0, cut);
    finder.Shift(cut);
    scanned -= cut;
  }
  if (buffer.empty()) return Ok();
  return parser.ParseDocument(buffer, writer, base_offset, base_line);
}


// Expands the input paths into a deterministic list of regular files.
Status ExpandPaths(const std::vector<std::string>& paths, const std::vector<std::string>& exclude,
                   std::vector<std::pair<std::string, int64_t>>* files) {
  for (const auto& path : paths) {
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (ec || !fs::exists(status)) {
      return Error::NotFound("input path '" + path + "' does not exist")
          .WithHelp("pass files or directories of evidence: cairn ingest PATH... --case FILE");
    }
    std::vector<std::pair<std::string, int64_t>> found;
    auto consider = [&](const fs::path& p) {
      std::error_code ec2;
      if (!fs::is_regular_file(p, ec2)) return;
      std::error_code ec3;
      auto canon = fs::weakly_canonical(p, ec3).string();
      for (const auto& x : exclude) {
        if (canon == x) return;
      }
      auto size = fs::file_size(p, ec2);
      found.emplace_back(p.string(), ec2 ? 0 : static_cast<int64_t>(size));
    };
    if (fs::is_directory(status)) {
      fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
      if (ec) return Error::Io("cannot read directory '" + path + "': " + ec.message());
      for (auto end = fs::recursive_directory_iterator(); it != end; it.increment(ec)) {
        if (ec) return Error::Io("cannot read directory '" + path + "': " + ec.message());
        consider(it->path());
      }
      std::sort(found.begin(), found.end());
    } else {
      consider(path);
    }
    files->insert(files->end(), found.begin(), found.end());
  }
  return Ok();
}

}  // namespace

Result<IngestSummary> Ingest(store::CaseStore& store, const IngestOptions& options,
                             IngestObserver* observer) {
  IngestObserver null_observer;
  if (!observer) observer = &null_observer;
  std::string forced = options.format == "auto" ? "" : options.format;
  SourceType forced_type = SourceType::kGeneric;
  if (!forced.empty() && !store::SourceTypeFromName(forced, &forced_type)) {
    return Error::InvalidArgument("unknown format '" + forced + "'")
        .WithHelp("formats: auto, cloudtrail, s3_access, apache_access, apache_error, generic");
  }
  Parsers parsers;
  if (!options.apache_format.empty()) {
    CAIRN_ASSIGN_OR_RETURN(ApacheLogFormat fmt, ApacheLogFormat::Compile(options.apache_format));
    parsers.apache_format = std::make_unique<ApacheLogFormat>(std::move(fmt));
  }
  std::vector<SourceRule> rules;
  if (!options.sources_file.empty()) {
    std::string text, err;
    if (!ReadWholeFile(options.sources_file, &text, &err)) {
      return Error::InvalidArgument("cannot read sources file '" + options.sources_file + "': " + err);
    }
    CAIRN_ASSIGN_OR_RETURN(rules, ParseSourcesFile(text, options.sources_file));
    for (const auto& r : rules) {
      SourceType t;
      if (!r.format.empty() && r.format != "auto" && !store::SourceTypeFromName(r.format, &t)) {
        return Error::InvalidArgument("unknown format '" + r.format + "' in sources file '" +
                                      options.sources_file + "'");
      }
    }
  }
  std::vector<std::string> exclude;
  if (store.path() != ":memory:") {
    std::error_code ec;
    std::string canon = fs::weakly_canonical(store.path(), ec).string();
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) exclude.push_back(canon + suffix);
  }
  std::vector<std::pair<std::string, int64_t>> files;
  CAIRN_TRY(ExpandPaths(options.paths, exclude, &files));
  int64_t total_bytes = 0;
  for (const auto& f : files) total_bytes += f.second;
  observer->OnPlan(static_cast<int64_t>(files.size()), total_bytes);

  // A big load drops the eventID index (with the first file that is not already in the case, so
  // that a rerun over ingested files costs no rebuild) and builds it again at the end
  // (FindCollisions).
  bool drop_event_id_index = false;
  {
    CAIRN_ASSIGN_OR_RETURN(store::Statement max_st, store.Prepare("SELECT coalesce(max(id), 0) FROM events"));
    CAIRN_TRY(max_st.Step());
    const int64_t existing = max_st.Int(0);
    drop_event_id_index = options.event_id_index == IngestOptions::EventIdIndex::kRebuild ||
                          (options.event_id_index == IngestOptions::EventIdIndex::kAuto &&
                           total_bytes / 500 * 10 >= existing);
  }
  // The keyword index: events above its watermark (a killed ingest, a case from before the kw
  // tables) are indexed first, then each event as it is inserted, on the indexer's thread. (The
  // event blocks need no such catching up: CaseStore writes them with the events.)
  internal::KeywordIndexer indexer(std::max<int64_t>(options.keyword_flush_postings, 1));
  {
    CAIRN_TRY(store.Begin());
    auto watermark = store.StartKeywordIndex();
    if (!watermark.ok()) {
      (void)store.Rollback();
      return std::move(watermark).error();
    }
    CAIRN_TRY(store.Commit());
    CAIRN_TRY(store.ForEachEventAbove(*watermark, [&](int64_t id, int64_t, int64_t, std::string_view raw) -> Status {
      indexer.Add(id, raw);
      return Ok();
    }));
    indexer.Commit();
  }
  // Writes the segments the indexer has ready (inside the open transaction).
  auto write_segments = [&](std::vector<store::KeywordSegment> segments) -> Status {
    for (const auto& segment : segments) CAIRN_TRY(store.WriteKeywordSegment(segment));
    return Ok();
  };

  IngestSummary summary;
  bool in_tx = false;
  int64_t tx_events = 0, tx_files = 0;
  int64_t bytes_done = 0;
  std::string content, text;
  auto fail = [&](Error error) -> Error {
    if (in_tx) (void)store.Rollback();
    return error;
  };
  for (size_t file_idx = 0; file_idx < files.size(); ++file_idx) {
    const std::string& path = files[file_idx].first;
    FileOutcome outcome;
    outcome.path = path;
    // Small files are read whole; big ones are hashed, then parsed from a stream of chunks.
    bool stream = files[file_idx].second > options.stream_above_bytes;
    std::string sha;
    if (!stream) {
      std::string err;
      if (!ReadWholeFile(path, &content, &err)) {
        return fail(Error::Io("cannot read '" + path + "': " + err));
      }
      outcome.size = static_cast<int64_t>(content.size());
      sha = Sha256Hex(content);
    } else {
      auto hashed = internal::Sha256OfFile(path, &outcome.size);
      if (!hashed.ok()) {
        return fail(Error::Io("cannot read '" + path + "': " + hashed.error().message()));
      }
      sha = std::move(hashed).value();
    }
    ++summary.files;
    summary.bytes += outcome.size;
    auto existing = store.FindSourceBySha(sha);
    if (!existing.ok()) return fail(std::move(existing).error());
    if (existing->has_value()) {
      outcome.skipped = true;
      outcome.format = (*existing)->format;
      outcome.note = "already in the case (same sha256 as '" + (*existing)->path + "')";
      ++summary.files_skipped;
      bytes_done += outcome.size;
      observer->OnFileDone(outcome);
      observer->OnProgress(static_cast<int64_t>(file_idx + 1), bytes_done, summary.events);
      summary.outcomes.push_back(std::move(outcome));
      continue;
    }
    // Metadata: flags win over the sources file, which wins over the defaults.
    std::vector<std::string> categories = options.categories;
    std::string host = options.host, source_name = options.source_name, format = forced;
    bool rule_categories = false;
    for (const auto& r : rules) {
      if (!GlobMatch(r.glob, path)) continue;
      for (const auto& c : r.categories) {
        if (std::find(categories.begin(), categories.end(), c) == categories.end()) {
          categories.push_back(c);
          rule_categories = true;
        }
      }
      if (options.host.empty() && !r.host.empty()) host = r.host;
      if (options.source_name.empty() && !r.source_name.empty()) source_name = r.source_name;
      if (forced.empty() && !r.format.empty() && r.format != "auto") format = r.format;
    }
    (void)rule_categories;
    std::vector<std::string> notes;
    std::string_view data = content;
    bool gzip = false;
    bool empty = false;
    std::string gzip_error;
    internal::FileReader reader;
    const size_t chunk_bytes = static_cast<size_t>(std::max<int64_t>(options.chunk_bytes, 4096));
    if (!stream) {
      gzip = content.size() >= 2 && static_cast<unsigned char>(content[0]) == 0x1f &&
             static_cast<unsigned char>(content[1]) == 0x8b;
      if (gzip) {
        Status st = Gunzip(content, &text);
        if (!st.ok()) gzip_error = st.error().message();
        data = text;
      }
      empty = Trim(data.substr(0, 4096)).empty() && Trim(data).empty();
    } else {
      Status opened = reader.Open(path);
      if (!opened.ok()) {
        return fail(Error::Io("cannot read '" + path + "': " + opened.error().message()));
      }
      gzip = reader.gzip();
      // The head: enough for detection (64 KiB) and at least one non-blank byte, or everything.
      content.clear();
      bool blank = true;
      while (blank || content.size() < 65536) {
        size_t before = content.size();
        auto n = reader.Read(&content, chunk_bytes);
        if (!n.ok()) return fail(Error::Io("cannot read '" + path + "': " + n.error().message()));
        if (*n == 0) break;
        if (blank) blank = Trim(std::string_view(content).substr(before)).empty();
      }
      empty = blank;
      data = content;
    }
    if (format.empty() && !empty) format = DetectFormat(data.substr(0, 65536), parsers.apache_format.get());
    store::SourceRecord source;
    source.path = path;
    source.size = outcome.size;
    source.sha256 = sha;
    source.ingested_at = options.ingested_at;
    if (empty) {
      source.format = "empty";
      notes.push_back(gzip ? "empty after decompression" : "empty file");
    } else if (format.empty()) {
      source.format = "unknown";
      std::string_view first = data.substr(0, std::min<size_t>(data.find('\n'), 60));
      notes.push_back("format not recognised (no CloudTrail JSON, S3, Apache or timestamped lines); "
                      "first line: '" + TerminalSafe(first) + "'");
      ++summary.files_unrecognised;
    } else {
      source.format = format;
      if (format == "cloudtrail" && LooksLikeCloudTrailDigest(data)) source.format = "cloudtrail_digest";
    }
    if (categories.empty()) categories.push_back(source.format);
    SourceType type = SourceType::kGeneric;
    bool parse = !empty && !format.empty() && store::SourceTypeFromName(format, &type);
    if (host.empty() && parse && (type == SourceType::kApacheAccess || type == SourceType::kApacheError)) {
      host = ApacheHostFromPath(path);
    }
    source.categories = categories;
    source.source_name = source_name.empty() ? path : source_name;
    source.host = host;
    if (!in_tx) {
      CAIRN_TRY(store.Begin());
      in_tx = true;
    }
    if (drop_event_id_index) {
      Status dropped = store.DropEventIdIndex();
      if (!dropped.ok()) return fail(std::move(dropped).error());
      drop_event_id_index = false;
    }
    auto id = store.AddSource(source);
    if (!id.ok()) return fail(std::move(id).error());
    source.id = *id;
    int64_t files_done = static_cast<int64_t>(file_idx);
    auto progress = [&]() {
      observer->OnProgress(files_done, bytes_done, summary.events + source.events);
    };
    FileWriter writer(store, indexer, source, outcome, observer, progress);
    for (const auto& n : notes) writer.AddNote(n);
    writer.MarkFileNotes();
    if (!gzip_error.empty()) {
      writer.AddNote(gzip_error);
      Status st = writer.AddReject(gzip_error, "", static_cast<int64_t>(text.size()), 0);
      if (!st.ok()) return fail(std::move(st).error());
    }
    int64_t repaired_before = parsers.cloudtrail.utf8_repaired();
    if (parse) {
      // A file carrying events of several kinds never happens: one parser per file.
      ChunkInput input = stream ? ChunkInput(&reader, &content, chunk_bytes) : ChunkInput(data);
      Status st = type == SourceType::kCloudTrail
                      ? ParseCloudTrail(input, chunk_bytes, parsers.cloudtrail, writer)
                      : ParseLines(type, input, path, options, parsers, writer);
      if (!st.ok()) return fail(std::move(st).error());
    }
    if (stream && gzip && reader.gzip_error().empty()) {
      // Not parsed (empty or unknown): still read to the end, so that damage is reported.
      std::string sink;
      while (true) {
        sink.clear();
        auto n = reader.Read(&sink, chunk_bytes);
        if (!n.ok()) return fail(Error::Io("cannot read '" + path + "': " + n.error().message()));
        if (*n == 0) break;
      }
    }
    if (stream && !reader.gzip_error().empty()) {
      // Known only at the end of a stream; reported first, as for a file read whole.
      writer.AddNote(reader.gzip_error(), /*first=*/true);
      Status st = writer.AddReject(reader.gzip_error(), "", reader.bytes_out(), 0, /*first=*/true);
      if (!st.ok()) return fail(std::move(st).error());
    }
    if (parse) {
      if (type == SourceType::kCloudTrail && source.events == 0 && source.duplicates == 0 &&
          source.rejects > 0 && source.format == "cloudtrail") {
        writer.AddNote("JSON, but no CloudTrail record in it (expected {\"Records\":[...]}, an array "
                       "or lines of records with eventTime/eventName)");
      }
    }
    int64_t repaired = parsers.cloudtrail.utf8_repaired() - repaired_before;
    if (repaired > 0) {
      writer.AddNote("invalid UTF-8 replaced by U+FFFD in " + std::to_string(repaired) + " records");
    }
    source.note = writer.Notes();
    if (source.rejects > 0 && source.note.empty()) {
      source.note = std::to_string(source.rejects) + " rejected: " + outcome.first_reject;
    }
    Status fin = store.FinishSource(source);
    if (!fin.ok()) return fail(std::move(fin).error());
    outcome.format = source.format;
    outcome.events = source.events;
    outcome.duplicates = source.duplicates;
    outcome.rejects = source.rejects;
    outcome.note = source.note;
    summary.events += source.events;
    summary.duplicates += source.duplicates;
    summary.rejects += source.rejects;
    ++summary.files_ingested;
    tx_events += source.events + source.rejects;
    ++tx_files;
    bytes_done += outcome.size;
    if (tx_events >= options.batch_events || tx_files >= options.batch_files) {
      Status written = write_segments(indexer.TakeReady());
      if (!written.ok()) return fail(std::move(written).error());
      CAIRN_TRY(store.Commit());
      indexer.Commit();
      in_tx = false;
      tx_events = 0;
      tx_files = 0;
    }
    observer->OnFileDone(outcome);
    observer->OnProgress(static_cast<int64_t>(file_idx + 1), bytes_done, summary.events);
    summary.outcomes.push_back(std::move(outcome));
  }
  if (in_tx) {
    Status written = write_segments(indexer.TakeReady());
    if (!written.ok()) return fail(std::move(written).error());
    CAIRN_TRY(store.Commit());
    in_tx = false;
  }
  indexer.Commit();
  CAIRN_ASSIGN_OR_RETURN(std::vector<store::KeywordSegment> rest, indexer.Finish());
  if (!rest.empty()) {
    CAIRN_TRY(store.Begin());
    in_tx = true;
    Status written = write_segments(std::move(rest));
    if (!written.ok()) return fail(std::move(written).error());
    CAIRN_TRY(store.Commit());
  }
  // Collisions of the new events (and of a killed run's) with the events before them.
  CAIRN_ASSIGN_OR_RETURN(int64_t collisions, store.FindCollisions());
  (void)collisions;
  return summary;
}

}  // namespace cairn::ingest
