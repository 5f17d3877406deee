#include "engine/store/event_leaves.h"

#include <lz4.h>

#include <algorithm>

#include "engine/common/json_scan.h"
#include "engine/common/strings.h"
#include "engine/store/keyword_index.h"  // varints

namespace cairn::store {

namespace {

using internal::AppendVarint;
using internal::ReadVarint;

void AppendBytes(std::string* out, std::string_view bytes) {
  AppendVarint(out, bytes.size());
  out->append(bytes);
}

bool ReadBytes(const unsigned char*& p, const unsigned char* end, std::string_view* out) {
  uint64_t n = 0;
  if (!ReadVarint(p, end, &n) || n > static_cast<uint64_t>(end - p)) return false;
  *out = std::string_view(reinterpret_cast<const char*>(p), n);
  p += n;
  return true;
}

struct Column {
  std::string path;
  TextMap<uint32_t> index;               // value -> position in values
  std::vector<std::string_view> values;  // keys of index (node-based map: the views stay valid)
  size_t bytes = 0;
  std::vector<std::pair<uint32_t, uint32_t>> rows;  // (row, value)
  bool dropped = false;
  uint32_t stamp = 0;  // 1 + the last row that set it
};

}  // namespace

// Column: varint values; each value as varint length + bytes; varint rows; per row a varint
// delta from the previous row (the first from 0) and a varint value index.
// Summary: varint kLeafFormat; varint events; varint failed rows, each a delta as above; varint
// dropped paths, each as varint length + bytes.
std::vector<std::pair<std::string, std::string>> BuildLeafRows(std::string_view texts,
                                                               const std::vector<uint32_t>& ends) {
  JsonAutoScanner scanner(0, false, {});
  TextMap<size_t> by_path;
  std::vector<Column> columns;
  std::vector<uint32_t> failed;
  std::vector<std::pair<size_t, JsonSpan>> leaves;  // of the current record: (column, span)
  std::string text;
  bool any = false;
  uint32_t begin = 0;
  for (size_t row = 0; row < ends.size(); ++row) {
    std::string_view raw = texts.substr(begin, ends[row] - begin);
    begin = ends[row];
    std::string_view t = Trim(raw);
    leaves.clear();
    bool ok = !t.empty() && t.front() == '{' &&
              scanner.ScanAll(t, [&](std::string_view path, const JsonSpan& span) {
                auto it = by_path.find(path);
                if (it == by_path.end()) {
                  it = by_path.emplace(std::string(path), columns.size()).first;
                  columns.emplace_back();
                  columns.back().path = std::string(path);
                }
                leaves.push_back({it->second, span});
              });
    if (!ok) {
      failed.push_back(static_cast<uint32_t>(row));
      continue;
    }
    any = true;
    const uint32_t stamp = static_cast<uint32_t>(row) + 1;
    // The last leaf of each path decides.
    for (size_t i = leaves.size(); i-- > 0;) {
      Column& c = columns[leaves[i].first];
      if (c.stamp == stamp) continue;
      c.stamp = stamp;
      const JsonSpan& span = leaves[i].second;
      // An empty path (a root key "") would be the summary's row: never stored.
      if (c.path.empty()) c.dropped = true;
      if (c.dropped || span.kind == JsonKind::kNull) continue;
      if (span.kind == JsonKind::kObject || span.kind == JsonKind::kArray) {
        c.dropped = true;
        continue;
      }
      text.clear();
      AppendJsonScalarText(span, &text);
      auto v = c.index.find(text);
      if (v == c.index.end()) {
        c.bytes += text.size() + 1;
        // A value per event or nearly (times, request ids, object keys) is no column worth
        // keeping: the text is as cheap to read.
        if (c.bytes > kLeafColumnMaxBytes || (c.values.size() >= 16 && c.values.size() + 1 > ends.size() / 2)) {
          c.dropped = true;
          continue;
        }
        v = c.index.emplace(text, static_cast<uint32_t>(c.values.size())).first;
        c.values.push_back(v->first);
      }
      c.rows.push_back({static_cast<uint32_t>(row), v->second});
    }
  }
  std::vector<std::pair<std::string, std::string>> out;
  if (!any) return out;
  std::sort(columns.begin(), columns.end(), [](const Column& a, const Column& b) { return a.path < b.path; });
  std::string summary;
  AppendVarint(&summary, kLeafFormat);
  AppendVarint(&summary, ends.size());
  AppendVarint(&summary, failed.size());
  uint32_t prev = 0;
  for (uint32_t r : failed) {
    AppendVarint(&summary, r - prev);
    prev = r;
  }
  size_t dropped = 0;
  for (const Column& c : columns) dropped += c.dropped ? 1 : 0;
  AppendVarint(&summary, dropped);
  for (const Column& c : columns) {
    if (c.dropped) AppendBytes(&summary, c.path);
  }
  out.emplace_back(std::string(), std::move(summary));
  for (const Column& c : columns) {
    if (c.dropped || c.path.empty()) continue;  // "" also when seen in failed records only
    std::string plain;
    AppendVarint(&plain, c.values.size());
    for (std::string_view v : c.values) AppendBytes(&plain, v);
    // Dense (a value index + 1 per event, 0 for none) when most events have the path, else
    // sparse (row deltas and value indexes of the events that have it). One row per record,
    // ascending.
    if (c.rows.size() * 4 >= ends.size()) {
      AppendVarint(&plain, 1);
      std::vector<uint32_t> dense(ends.size(), 0);
      for (const auto& [r, v] : c.rows) dense[r] = v + 1;
      for (uint32_t d : dense) AppendVarint(&plain, d);
    } else {
      AppendVarint(&plain, 0);
      AppendVarint(&plain, c.rows.size());
      uint32_t last = 0;
      for (const auto& [r, v] : c.rows) {
        AppendVarint(&plain, r - last);
        AppendVarint(&plain, v);
        last = r;
      }
    }
    std::string data;
    AppendVarint(&data, plain.size());
    const int bound = LZ4_compressBound(static_cast<int>(plain.size()));
    const size_t at = data.size();
    data.resize(at + static_cast<size_t>(bound));
    const int written = LZ4_compress_default(plain.data(), data.data() + at, static_cast<int>(plain.size()), bound);
    data.resize(at + static_cast<size_t>(written > 0 ? written : 0));
    out.emplace_back(c.path, std::move(data));
  }
  return out;
}

bool LeafSummary::Parse(std::string_view data) {
  failed.clear();
  dropped.clear();
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  const auto* end = p + data.size();
  uint64_t format = 0, n = 0, count = 0;
  if (!ReadVarint(p, end, &format) || format != kLeafFormat) return false;
  if (!ReadVarint(p, end, &n) || n > (1u << 24)) return false;
  events = static_cast<int64_t>(n);
  if (!ReadVarint(p, end, &count) || count > n) return false;
  uint64_t row = 0;
  for (uint64_t k = 0; k < count; ++k) {
    uint64_t delta = 0;
    if (!ReadVarint(p, end, &delta)) return false;
    row += delta;
    if (row >= n || (k > 0 && delta == 0)) return false;
    failed.push_back(static_cast<uint32_t>(row));
  }
  if (!ReadVarint(p, end, &count) || count > data.size()) return false;
  for (uint64_t k = 0; k < count; ++k) {
    std::string_view path;
    if (!ReadBytes(p, end, &path)) return false;
    dropped.emplace_back(path);
  }
  return p == end && std::is_sorted(dropped.begin(), dropped.end());
}

bool LeafSummary::IsDropped(std::string_view path) const {
  auto it = std::lower_bound(dropped.begin(), dropped.end(), path,
                             [](const std::string& a, std::string_view b) { return a < b; });
  return it != dropped.end() && *it == path;
}

void LeafColumn::Clear(size_t events) {
  data_.clear();
  values_.clear();
  rows_.assign(events, -1);
}

bool LeafColumn::Parse(std::string_view data, size_t events) {
  values_.clear();
  rows_.assign(events, -1);
  const auto* in = reinterpret_cast<const unsigned char*>(data.data());
  uint64_t size = 0;
  if (!ReadVarint(in, in + data.size(), &size) || size > (64u << 20)) return false;
  const size_t header = static_cast<size_t>(in - reinterpret_cast<const unsigned char*>(data.data()));
  data_.resize(size);
  const int got = LZ4_decompress_safe(data.data() + header, data_.data(), static_cast<int>(data.size() - header),
                                      static_cast<int>(size));
  if (got < 0 || static_cast<uint64_t>(got) != size) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(data_.data());
  const auto* end = p + data_.size();
  uint64_t n = 0;
  if (!ReadVarint(p, end, &n) || n > data_.size()) return false;
  for (uint64_t k = 0; k < n; ++k) {
    std::string_view v;
    if (!ReadBytes(p, end, &v)) return false;
    values_.push_back(v);
  }
  uint64_t mode = 0;
  if (!ReadVarint(p, end, &mode) || mode > 1) return false;
  if (mode == 1) {
    for (size_t row = 0; row < events; ++row) {
      uint64_t d = 0;
      if (!ReadVarint(p, end, &d) || d > values_.size()) return false;
      rows_[row] = static_cast<int32_t>(d) - 1;
    }
    return p == end;
  }
  if (!ReadVarint(p, end, &n) || n > events) return false;
  uint64_t row = 0;
  for (uint64_t k = 0; k < n; ++k) {
    uint64_t delta = 0, value = 0;
    if (!ReadVarint(p, end, &delta) || !ReadVarint(p, end, &value)) return false;
    row += delta;
    if (row >= events || value >= values_.size() || (k > 0 && delta == 0)) return false;
    rows_[row] = static_cast<int32_t>(value);
  }
  return p == end;
}

}  // namespace cairn::store
