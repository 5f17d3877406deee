#pragma once
// Loghub-2k evaluation helpers, header-only and dependency-free so that the bench tool builds
// anywhere: reading a `*_structured_corrected.csv` file (RFC 4180, quoted fields with commas,
// quotes and newlines) and the grouping accuracy of the log-parsing benchmark.

#include <cstddef>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace cairn::bench {

// Parses CSV text into rows of fields. Quoted fields may hold commas, doubled quotes and
// newlines. A trailing CR of a line is dropped.
inline std::vector<std::vector<std::string>> ParseCsv(std::string_view text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool field_started = false;
  size_t pos = 0;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  while (pos < text.size()) {
    char c = text[pos];
    if (quoted) {
      if (c == '"') {
        if (pos + 1 < text.size() && text[pos + 1] == '"') {
          field.push_back('"');
          pos += 2;
          continue;
        }
        quoted = false;
      } else {
        field.push_back(c);
      }
      ++pos;
      continue;
    }
    if (c == '"' && !field_started) {
      quoted = true;
      field_started = true;
    } else if (c == ',') {
      end_field();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && pos + 1 < text.size() && text[pos + 1] == '\n') ++pos;
      end_field();
      rows.push_back(std::move(row));
      row.clear();
    } else {
      field.push_back(c);
      field_started = true;
    }
    ++pos;
  }
  if (field_started || !row.empty()) {
    end_field();
    rows.push_back(std::move(row));
  }
  return rows;
}

struct LabeledLine {
  std::string content;         // the Content column (the message after the header)
  std::string event_id;        // the EventId column
  std::string event_template;  // the EventTemplate column: the (corrected) true template
};

// Reads a structured Loghub file. Returns false (with *error) on I/O or format problems.
inline bool ReadStructuredCsv(const std::string& path, std::vector<LabeledLine>* out,
                              std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open '" + path + "'";
    return false;
  }
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  auto rows = ParseCsv(text);
  if (rows.empty()) {
    *error = "'" + path + "' is empty";
    return false;
  }
  size_t content_col = rows[0].size();
  size_t event_col = rows[0].size();
  size_t template_col = rows[0].size();
  for (size_t col = 0; col < rows[0].size(); ++col) {
    if (rows[0][col] == "Content") content_col = col;
    if (rows[0][col] == "EventId") event_col = col;
    if (rows[0][col] == "EventTemplate") template_col = col;
  }
  if (content_col == rows[0].size() || event_col == rows[0].size() ||
      template_col == rows[0].size()) {
    *error = "'" + path + "' lacks a Content, EventId or EventTemplate column";
    return false;
  }
  out->clear();
  for (size_t row_idx = 1; row_idx < rows.size(); ++row_idx) {
    const auto& row = rows[row_idx];
    if (row.size() == 1 && row[0].empty()) continue;  // blank line
    if (row.size() != rows[0].size()) {
      *error = "'" + path + "' row " + std::to_string(row_idx + 1) + " has " +
               std::to_string(row.size()) + " fields, expected " + std::to_string(rows[0].size());
      return false;
    }
    out->push_back({row[content_col], row[event_col], row[template_col]});
  }
  return true;
}

// Grouping accuracy as defined by the log-parsing benchmark (logpai/logparser evaluator): a
// line counts as correct only when the set of lines of its predicted group equals the set of
// lines sharing its true template. truth[i] and predicted[i] label line i; both the same size.
// The truth label is the corrected EventTemplate text (bench/README.md: the logparser script
// labels by EventId, which differs in one place, Linux E17/E18/E19 = one corrected template).
inline double GroupingAccuracy(const std::vector<std::string>& truth,
                               const std::vector<std::string>& predicted) {
  if (truth.empty() || truth.size() != predicted.size()) return 0;
  std::unordered_map<std::string, size_t> truth_size;
  for (const auto& label : truth) ++truth_size[label];
  struct Group {
    size_t size = 0;
    const std::string* label = nullptr;
    bool pure = true;
  };
  std::unordered_map<std::string, Group> groups;
  for (size_t idx = 0; idx < predicted.size(); ++idx) {
    Group& group = groups[predicted[idx]];
    ++group.size;
    if (group.label == nullptr) {
      group.label = &truth[idx];
    } else if (*group.label != truth[idx]) {
      group.pure = false;
    }
  }
  size_t correct = 0;
  for (const auto& [id, group] : groups) {
    if (group.pure && truth_size[*group.label] == group.size) correct += group.size;
  }
  return static_cast<double>(correct) / static_cast<double>(truth.size());
}

}  // namespace cairn::bench
