// cairn_loghub_eval: the dependency-free half of the Loghub-2k harness (bench/loghub/run).
//   cairn_loghub_eval content STRUCTURED.csv          prints the Content column, one per line
//   cairn_loghub_eval score STRUCTURED.csv ASSIGN.csv  prints the grouping accuracy of the
//                                                     `line,signature_id` assignment against
//                                                     the EventTemplate labels, then against
//                                                     the EventId labels
// Exit status: 0 ok, 2 usage, 3 bad input.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "bench/loghub/loghub_eval.h"

namespace {

int Usage() {
  std::fputs("usage: cairn_loghub_eval content STRUCTURED.csv\n"
             "       cairn_loghub_eval score STRUCTURED.csv ASSIGN.csv\n",
             stderr);
  return 2;
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "error: %s\n", message.c_str());
  return 3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) return Usage();
  std::string mode = argv[1];
  std::vector<cairn::bench::LabeledLine> lines;
  std::string error;
  if (!cairn::bench::ReadStructuredCsv(argv[2], &lines, &error)) return Fail(error);
  if (mode == "content" && argc == 3) {
    std::string out;
    for (const auto& line : lines) {
      for (char c : line.content) out.push_back(c == '\n' || c == '\r' ? ' ' : c);
      out.push_back('\n');
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  if (mode == "score" && argc == 4) {
    std::ifstream in(argv[3], std::ios::binary);
    if (!in) return Fail(std::string("cannot open '") + argv[3] + "'");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto rows = cairn::bench::ParseCsv(text);
    if (rows.empty() || rows[0].size() != 2 || rows[0][0] != "line" ||
        rows[0][1] != "signature_id") {
      return Fail("assignment file must start with the header 'line,signature_id'");
    }
    std::vector<std::string> truth;
    std::vector<std::string> truth_ids;
    std::vector<std::string> predicted(lines.size());
    for (const auto& line : lines) {
      truth.push_back(line.event_template);
      truth_ids.push_back(line.event_id);
    }
    std::vector<bool> seen(lines.size(), false);
    for (size_t row_idx = 1; row_idx < rows.size(); ++row_idx) {
      const auto& row = rows[row_idx];
      if (row.size() != 2) return Fail("bad assignment row " + std::to_string(row_idx + 1));
      char* end = nullptr;
      size_t number = std::strtoul(row[0].c_str(), &end, 10);
      if (end == row[0].c_str() || *end != '\0' || number < 1 || number > lines.size() || seen[number - 1]) {
        return Fail("bad or repeated line number " + row[0]);
      }
      seen[number - 1] = true;
      predicted[number - 1] = row[1];
    }
    for (size_t idx = 0; idx < seen.size(); ++idx) {
      if (!seen[idx]) return Fail("no assignment for line " + std::to_string(idx + 1));
    }
    std::printf("%.4f %.4f\n", cairn::bench::GroupingAccuracy(truth, predicted),
                cairn::bench::GroupingAccuracy(truth_ids, predicted));
    return 0;
  }
  return Usage();
}
