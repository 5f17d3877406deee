// cairn summarize: clusters plain messages (one per line) outside a case, the standalone entry
// point of the `summarize` / LogReduce operator (engine/cluster). Used by bench/loghub/run.
//
//   cairn summarize --input FILE [--format table|csv|json]   the signature table
//   cairn summarize --input FILE --assign                    `line,signature_id` per input line
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/cli/cli_common.h"
#include "engine/cluster/log_cluster.h"
#include "engine/common/strings.h"

namespace cairn::cli {
namespace {

struct SummarizeOptions {
  std::string input;
  std::string format;
  bool assign = false;
  bool raw = false;
};

struct FileCloser {
  void operator()(std::FILE* file) const {
    if (file != nullptr && file != stdin) std::fclose(file);
  }
};

// Buffered stdout writer (the assignment output is one short line per input line).
class Output {
 public:
  Output() { buffer_.reserve(kFlushAt + 256); }
  ~Output() { Flush(); }
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;
  void Append(std::string_view text) {
    buffer_.append(text);
    if (buffer_.size() >= kFlushAt) Flush();
  }
  void Flush() {
    if (!buffer_.empty()) std::fwrite(buffer_.data(), 1, buffer_.size(), stdout);
    buffer_.clear();
  }

 private:
  static constexpr size_t kFlushAt = 1 << 16;
  std::string buffer_;
};

// Feeds every line of the input to the clusterer (a trailing CR is dropped; the last line needs no
// newline). Returns the number of lines.
Result<int64_t> FeedLines(const SummarizeOptions& options, cluster::LogClusterer* clusterer) {
  std::unique_ptr<std::FILE, FileCloser> file;
  if (options.input == "-") {
    file.reset(stdin);
  } else {
    file.reset(std::fopen(options.input.c_str(), "rb"));
    if (!file) {
      int err = errno;
      Error error = err == ENOENT ? Error::NotFound("input file '" + options.input + "' not found")
                                  : Error::Io("cannot open '" + options.input + "'");
      return error.WithReason(std::strerror(err));
    }
  }
  constexpr size_t kChunk = 1 << 20;
  std::vector<char> buffer(kChunk);
  std::string carry;  // a line split across reads
  std::string scratch;
  int64_t lines = 0;
  auto add = [&](std::string_view line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    clusterer->Add(options.raw ? line : cluster::PrepareForClustering(line, &scratch));
    ++lines;
  };
  while (true) {
    size_t got = std::fread(buffer.data(), 1, buffer.size(), file.get());
    if (got == 0) break;
    std::string_view chunk(buffer.data(), got);
    size_t start = 0;
    while (true) {
      size_t newline = chunk.find('\n', start);
      if (newline == std::string_view::npos) break;
      if (!carry.empty()) {
        carry.append(chunk.substr(start, newline - start));
        add(carry);
        carry.clear();
      } else {
        add(chunk.substr(start, newline - start));
      }
      start = newline + 1;
    }
    carry.append(chunk.substr(start));
  }
  if (std::ferror(file.get()) != 0) {
    return Error::Io("cannot read '" + options.input + "'").WithReason(std::strerror(errno));
  }
  if (!carry.empty()) add(carry);
  return lines;
}

void PrintAssignments(const cluster::LogClusterer& clusterer) {
  std::vector<cluster::Signature> signatures = clusterer.Signatures();
  std::vector<size_t> assignments = clusterer.Assignments();
  Output out;
  out.Append("line,signature_id\n");
  char number[24];
  for (size_t idx = 0; idx < assignments.size(); ++idx) {
    int len = std::snprintf(number, sizeof(number), "%zu,", idx + 1);
    out.Append(std::string_view(number, static_cast<size_t>(len)));
    out.Append(signatures[assignments[idx]].id);
    out.Append("\n");
  }
}

void PrintSignatures(const cluster::LogClusterer& clusterer, const std::string& format) {
  std::vector<cluster::Signature> signatures = clusterer.Signatures();
  Output out;
  if (format == "csv") {
    out.Append("_signature_id,_signature,_count,score\n");
    for (const auto& sig : signatures) {
      out.Append(sig.id + "," + CsvField(sig.text) + "," + std::to_string(sig.count) + "," +
                 FormatDouble(sig.score, 2) + "\n");
    }
  } else if (format == "json") {
    out.Append("[");
    for (size_t idx = 0; idx < signatures.size(); ++idx) {
      const auto& sig = signatures[idx];
      out.Append(idx == 0 ? "\n" : ",\n");
      out.Append("{\"_signature_id\":" + JsonQuote(sig.id) + ",\"_signature\":" +
                 JsonQuote(sig.text) + ",\"_count\":" + std::to_string(sig.count) +
                 ",\"score\":" + FormatDouble(sig.score, 2) + "}");
    }
    out.Append(signatures.empty() ? "]\n" : "\n]\n");
  } else {
    TextTable table({"_signature_id", "_signature", "_count", "score"});
    table.SetRightAligned(2);
    table.SetRightAligned(3);
    for (const auto& sig : signatures) {
      table.AddRow({sig.id, sig.text, WithThousands(sig.count), FormatDouble(sig.score, 2)});
    }
    out.Append(table.Render(StdoutIsTty() ? TerminalWidth() : 0));
  }
}

int RunSummarize(const SummarizeOptions& options) {
  cluster::LogClusterer clusterer;
  clusterer.set_keep_assignments(options.assign);
  Result<int64_t> lines = FeedLines(options, &clusterer);
  if (!lines.has_value()) {
    Error error = lines.error();
    error.WithContext("reading messages for summarize");
    return ReportError(error);
  }
  if (options.assign) {
    PrintAssignments(clusterer);
  } else {
    PrintSignatures(clusterer, options.format);
  }
  return kExitOk;
}

}  // namespace

void SetupSummarize(CLI::App& app) {
  auto options = std::make_shared<SummarizeOptions>();
  auto* cmd = app.add_subcommand(
      "summarize",
      "cluster plain messages (one per line) into signatures, as the summarize/logreduce operator "
      "does");
  cmd->add_option("--input", options->input, "file with one message per line ('-' = stdin)")
      ->required();
  AddFormatFlag(cmd, &options->format, {"table", "csv", "json"}, "table");
  cmd->add_flag("--assign", options->assign,
                "print 'line,signature_id' (CSV) for every input line, in order, instead of the "
                "signature table");
  cmd->add_flag("--raw", options->raw,
                "cluster the lines as they are (no timestamp stripping, no JSON rendering)");
  cmd->footer(
      "Output columns: _signature_id (16 hex digits, FNV-1a of the signature), _signature "
      "(varying tokens shown as **********), _count, score (rarity 0-10).\n"
      "Examples:\n"
      "  cairn summarize --input messages.txt\n"
      "  cairn summarize --input - --assign < messages.txt");
  cmd->callback([options] { SetExitCode(RunSummarize(*options)); });
}

}  // namespace cairn::cli
