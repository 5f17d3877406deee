// libFuzzer: the leaf columns (store/event_leaves.h). The input, cut at newlines, is a block of
// records: its columns must parse back, one value or none per event, and the summary must name
// rows and paths that exist. The input itself is also read as a column and as a summary (blobs of
// a case file that may have been tampered with): refused or read, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/store/event_leaves.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  cairn::store::LeafColumn column;
  cairn::store::LeafSummary summary;
  (void)column.Parse(input, 64);
  (void)summary.Parse(input);

  std::vector<uint32_t> ends;
  for (size_t k = 0; k < input.size(); ++k) {
    if (input[k] == '\n') ends.push_back(static_cast<uint32_t>(k + 1));
  }
  ends.push_back(static_cast<uint32_t>(input.size()));
  const auto rows = cairn::store::BuildLeafRows(input, ends);
  if (rows.empty()) return 0;
  if (!rows[0].first.empty() || !summary.Parse(rows[0].second)) __builtin_trap();
  if (summary.events != static_cast<int64_t>(ends.size())) __builtin_trap();
  for (uint32_t f : summary.failed) {
    if (f >= ends.size()) __builtin_trap();
  }
  for (size_t k = 1; k < rows.size(); ++k) {
    if (rows[k].first.empty() || summary.IsDropped(rows[k].first)) __builtin_trap();
    if (!column.Parse(rows[k].second, ends.size())) __builtin_trap();
    for (uint32_t f : summary.failed) {
      if (column.at(f) != nullptr) __builtin_trap();  // a failed record has no values
    }
  }
  return 0;
}
