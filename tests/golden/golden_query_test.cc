// Golden tests of the query language: every tests/golden/query/*.test file is one test
// (tests/golden/README.md describes the format). Each block of a file runs a query on the file's
// case and compares the rendered result (CSV with NULL for null, then the notices) with the
// expected text, or checks that the query fails with a message matching a regex.
//
// On an intended change, regenerate the expected text and review the diff:
//   CAIRN_GOLDEN_UPDATE=1 build/tests/golden/cairn_golden_tests   (then: git diff tests/golden)
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/query/query.h"
#include "engine/store/case_store.h"
#include "tests/testing/testing.h"

namespace cairn::query {
namespace {

namespace fs = std::filesystem;

fs::path GoldenDir() { return cairn::testing::SourceDir() / "tests" / "golden" / "query"; }

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(GoldenDir(), ec)) {
    if (entry.path().extension() == ".test") names.push_back(entry.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// ---- the .test format ----------------------------------------------------------------------

struct Block {
  bool expect_error = false;
  std::map<std::string, std::string> options;  // from, to, head, geo-ip-field
  std::string query;
  std::vector<std::string> expected;  // lines after ----
  size_t expected_begin = 0;          // line index of the first expected line in the file
  size_t expected_end = 0;            // one past the last
};

struct GoldenFile {
  std::vector<std::string> lines;
  std::map<std::string, std::string> header;  // name, description, case, geoip
  std::vector<std::string> ingest;            // "# ingest:" lines, in order
  std::vector<Block> blocks;
};

// Header lines "# key: value" (before the first block); blocks start with "query [k=v ...]" or
// "error [k=v ...]", then the query (one or more lines), "----", the expected lines, and end at
// a blank line or the end of the file. Other lines starting with '#' are comments.
GoldenFile ParseGolden(const std::string& text) {
  GoldenFile file;
  file.lines = SplitLines(text);
  const auto& lines = file.lines;
  size_t idx = 0;
  while (idx < lines.size()) {
    const std::string& line = lines[idx];
    if (line.empty() || line[0] == '#') {
      if (file.blocks.empty() && line.size() > 2 && line[0] == '#') {
        std::string body(Trim(std::string_view(line).substr(1)));
        size_t colon = body.find(':');
        if (colon != std::string::npos) {
          std::string key = ToLower(Trim(std::string_view(body).substr(0, colon)));
          std::string value(Trim(std::string_view(body).substr(colon + 1)));
          if (key == "ingest") file.ingest.push_back(value);
          else file.header[key] = value;
        }
      }
      ++idx;
      continue;
    }
    Block block;
    std::istringstream head(line);
    std::string word;
    head >> word;
    if (word != "query" && word != "error") {
      ADD_FAILURE() << "line " << idx + 1 << ": expected 'query' or 'error', found '" << line << "'";
      return file;
    }
    block.expect_error = word == "error";
    while (head >> word) {
      size_t eq = word.find('=');
      if (eq != std::string::npos) block.options[word.substr(0, eq)] = word.substr(eq + 1);
    }
    ++idx;
    while (idx < lines.size() && lines[idx] != "----") {
      if (!block.query.empty()) block.query += "\n";
      block.query += lines[idx++];
    }
    ++idx;  // ----
    block.expected_begin = std::min(idx, lines.size());
    while (idx < lines.size() && !lines[idx].empty()) block.expected.push_back(lines[idx++]);
    block.expected_end = std::min(idx, lines.size());
    file.blocks.push_back(std::move(block));
  }
  return file;
}

// ---- rendering -------------------------------------------------------------------------------

std::string Cell(const Value& v) {
  if (v.is_null()) return "NULL";
  std::string text = RenderValue(v);
  bool quote = text.empty() || text == "NULL" ||
               text.find_first_of(",\"\n\r") != std::string::npos;
  if (!quote) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c == '\n' ? ' ' : c;
  }
  return out + "\"";
}

// Header, rows (the first `head` ones when head >= 0, then "... N rows"), then "note: ..." lines.
std::vector<std::string> Render(const QueryTable& table, long head) {
  std::vector<std::string> out;
  std::string header;
  for (size_t k = 0; k < table.columns.size(); ++k) header += (k ? "," : "") + Cell(Value::String(table.columns[k]));
  out.push_back(header);
  size_t shown = head >= 0 ? std::min(table.rows.size(), static_cast<size_t>(head)) : table.rows.size();
  for (size_t row_idx = 0; row_idx < shown; ++row_idx) {
    std::string line;
    for (size_t col_idx = 0; col_idx < table.rows[row_idx].size(); ++col_idx) {
      line += (col_idx ? "," : "") + Cell(table.rows[row_idx][col_idx]);
    }
    out.push_back(line);
  }
  if (head >= 0) out.push_back("... " + std::to_string(table.rows.size()) + " rows");
  for (const auto& note : table.result.notices) out.push_back("note: " + note);
  return out;
}

// ---- cases -----------------------------------------------------------------------------------

// "incident": the reference incident (cairn simulate --variant malicious --seed 7), its
// s3-access/, apache/ and AWSLogs/ folders ingested with the article's categories. Other cases
// are built from the file's "# ingest:" lines (paths relative to tests/golden/query/). Cases are
// cached under the build tree, keyed by the case and by the cairn binary's size and time, so the
// golden tests (one process each under ctest) build each case once per build of cairn.
std::vector<std::string> IngestCommands(const GoldenFile& file, const fs::path& evidence) {
  if (file.header.count("case") && file.header.at("case") == "incident") {
    std::string e = evidence.string();
    return {e + "/s3-access --category S3/Access --category s3_aws_logs",
            e + "/apache/*/access_log* --category Apache/Access",
            e + "/apache/*/error_log* --category Apache/Error", e + "/AWSLogs --category CloudTrail"};
  }
  std::vector<std::string> out;
  for (const auto& line : file.ingest) out.push_back((GoldenDir() / line).string());
  return out;
}

// The build of cairn a cached case was made by (its size and time).
std::string BinaryStamp() {
  struct stat st {};
  std::string bin = cairn::testing::CairnBinary();
  if (stat(bin.c_str(), &st) != 0) return "";
  return std::to_string(st.st_size) + "|" + std::to_string(st.st_mtime);
}

std::string CaseKey(const GoldenFile& file) {
  std::string key = file.header.count("case") ? file.header.at("case") : "";
  for (const auto& line : file.ingest) key += "|" + line;
  key += "|" + BinaryStamp();
  return Hex64(Fnv1a64(key));
}

// Cases made by earlier builds of cairn are never read again: remove them (each holds a case and
// its evidence, tens of MB).
void RemoveStaleCases(const fs::path& cache) {
  std::string stamp = BinaryStamp();
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(cache, ec)) {
    fs::path marker = entry.path() / "binary";
    if (!fs::exists(marker)) continue;
    std::ifstream in(marker);
    std::string made_by((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (made_by != stamp) fs::remove_all(entry.path(), ec);
  }
}

// Returns the path of the case file, building it when needed; "" (and a failure) on error.
std::string BuildCase(const GoldenFile& file) {
  fs::path cache = CAIRN_GOLDEN_CACHE_DIR;
  fs::path dir = cache / CaseKey(file);
  fs::path case_path = dir / "case.cairn";
  if (fs::exists(dir / "ok")) return case_path.string();
  fs::create_directories(cache);
  fs::path tmp = cache / ("tmp-" + std::to_string(getpid()));
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  std::string bin = cairn::testing::CairnBinary();
  std::string log;
  bool incident = file.header.count("case") && file.header.at("case") == "incident";
  if (incident) {
    std::string cmd = bin + " simulate --variant malicious --seed 7 --out " + (tmp / "evidence").string();
    if (cairn::testing::RunCommand(cmd, &log, &log) != 0) {
      ADD_FAILURE() << cmd << "\n" << log;
      return "";
    }
  }
  for (const auto& args : IngestCommands(file, tmp / "evidence")) {
    std::string cmd = bin + " ingest " + args + " --case " + (tmp / "case.cairn").string();
    if (cairn::testing::RunCommand(cmd, &log, &log) != 0) {
      ADD_FAILURE() << cmd << "\n" << log;
      return "";
    }
  }
  if (incident) {
    // Kept for the checks of the expected outputs (answer.json, awk, jq); see tests/golden/README.md.
    fs::rename(tmp / "evidence", tmp / "evidence-kept", ec);
  }
  cairn::testing::WriteFile(tmp / "binary", BinaryStamp());
  cairn::testing::WriteFile(tmp / "ok", "");
  fs::rename(tmp, dir, ec);  // another process may have won the race: use its copy
  if (ec) fs::remove_all(tmp, ec);
  RemoveStaleCases(cache);
  return case_path.string();
}

// ---- the test --------------------------------------------------------------------------------

class GoldenQueryTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenQueryTest, MatchesExpected) {
  fs::path path = GoldenDir() / (GetParam() + ".test");
  std::string text = cairn::testing::ReadFile(path);
  GoldenFile file = ParseGolden(text);
  ASSERT_FALSE(file.blocks.empty()) << path << ": no query blocks";
  std::string case_path = BuildCase(file);
  ASSERT_FALSE(case_path.empty());
  auto opened = store::CaseStore::Open(case_path, store::CaseStore::Mode::kReadOnly);
  ASSERT_TRUE(opened.ok()) << opened.error().ToString();
  auto store = std::move(opened).value();

  const char* update_env = std::getenv("CAIRN_GOLDEN_UPDATE");
  bool update = update_env != nullptr && *update_env != '\0' && std::string(update_env) != "0";
  std::vector<std::pair<size_t, std::vector<std::string>>> replacements;  // block -> new expected
  for (size_t block_idx = 0; block_idx < file.blocks.size(); ++block_idx) {
    const Block& block = file.blocks[block_idx];
    SCOPED_TRACE(path.string() + ":" + std::to_string(block.expected_begin) + ": " + block.query);
    QueryOptions options;
    for (const auto& [key, value] : block.options) {
      if (key == "from" || key == "to") {
        auto t = ParseIso8601(value);
        ASSERT_TRUE(t.has_value()) << key << "=" << value;
        (key == "from" ? options.from : options.to) = *t;
      } else if (key == "geo-ip-field") {
        options.geo_ip_field = value;
      }
    }
    if (file.header.count("geoip")) {
      options.geo_db_path = (cairn::testing::SharedData() / "geoip" / file.header.at("geoip")).string();
    }
    std::string query = block.query;
    for (size_t at = query.find("@DIR@"); at != std::string::npos; at = query.find("@DIR@")) {
      query.replace(at, 5, GoldenDir().string());
    }
    auto result = RunQueryTable(*store, query, options);
    std::vector<std::string> actual;
    if (block.expect_error) {
      ASSERT_FALSE(result.ok()) << "the query should have failed";
      std::string message = result.error().ToString();
      if (update) {
        std::string first = SplitLines(message).empty() ? message : SplitLines(message).front();
        actual = {std::regex_replace(first, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)")};
        // Regexes are written by hand; an update keeps them unless they no longer match.
        std::string pattern;
        for (const auto& l : block.expected) pattern += (pattern.empty() ? "" : "\n") + l;
        if (!pattern.empty() && std::regex_search(message, std::regex(pattern))) actual = block.expected;
        replacements.emplace_back(block_idx, actual);
        continue;
      }
      std::string pattern;
      for (const auto& l : block.expected) pattern += (pattern.empty() ? "" : "\n") + l;
      EXPECT_TRUE(std::regex_search(message, std::regex(pattern)))
          << "error message:\n" << message << "\ndoes not match:\n" << pattern;
      continue;
    }
    ASSERT_TRUE(result.ok()) << result.error().ToString();
    long head = block.options.count("head") ? std::stol(block.options.at("head")) : -1;
    actual = Render(*result, head);
    if (update) {
      replacements.emplace_back(block_idx, actual);
      continue;
    }
    if (actual != block.expected) {
      std::string diff;
      size_t n = std::max(actual.size(), block.expected.size());
      for (size_t line_idx = 0; line_idx < n; ++line_idx) {
        const std::string* want = line_idx < block.expected.size() ? &block.expected[line_idx] : nullptr;
        const std::string* got = line_idx < actual.size() ? &actual[line_idx] : nullptr;
        if (want && got && *want == *got) {
          diff += "  " + *want + "\n";
          continue;
        }
        if (want) diff += "- " + *want + "\n";
        if (got) diff += "+ " + *got + "\n";
      }
      ADD_FAILURE() << "output differs from " << path.filename().string() << " (- expected, + actual):\n"
                    << diff
                    << "If the change is intended: CAIRN_GOLDEN_UPDATE=1 " << "<build>/tests/golden/cairn_golden_tests"
                    << " --gtest_filter='*" << GetParam() << "*', then review git diff tests/golden";
    }
  }
  if (update && !replacements.empty()) {
    std::vector<std::string> lines = file.lines;
    for (auto it = replacements.rbegin(); it != replacements.rend(); ++it) {
      const Block& block = file.blocks[it->first];
      lines.erase(lines.begin() + static_cast<long>(block.expected_begin),
                  lines.begin() + static_cast<long>(block.expected_end));
      lines.insert(lines.begin() + static_cast<long>(block.expected_begin), it->second.begin(), it->second.end());
    }
    std::string out;
    for (const auto& l : lines) out += l + "\n";
    cairn::testing::WriteFile(path, out);
  }
}

INSTANTIATE_TEST_SUITE_P(Query, GoldenQueryTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           // article-q1-summarize -> ArticleQ1Summarize (no underscores in names)
                           std::string name;
                           bool upper = true;
                           for (char c : param_info.param) {
                             if (!std::isalnum(static_cast<unsigned char>(c))) {
                               upper = true;
                               continue;
                             }
                             name += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
                             upper = false;
                           }
                           return name;
                         });

}  // namespace
}  // namespace cairn::query
