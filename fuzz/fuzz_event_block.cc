// libFuzzer: the event-block decoder (store/event_blocks.h), which reads blobs from a case file
// that may have been tampered with. A blob either decodes to consistent events or is refused;
// never a crash or a read out of bounds. Inputs that decode are also rebuilt and decoded again:
// the builder must give back the same events.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "engine/store/event_blocks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view blob(reinterpret_cast<const char*>(data), size);
  static cairn::store::DecodedBlock block, again, head;
  // The header from any prefix: refused, more wanted, or read.
  for (size_t prefix : {size_t{4}, size_t{64}, size_t{4096}, blob.size()}) {
    if (prefix <= blob.size()) (void)head.DecodeHeader(blob.substr(0, prefix), blob.size());
  }
  if (!block.Decode(blob)) return 0;
  // A blob that decodes has the same arrays from its head.
  if (head.DecodeHeader(blob, blob.size()) != cairn::store::DecodedBlock::Header::kOk || head.size() != block.size()) {
    __builtin_trap();
  }
  for (size_t k = 0; k < block.size(); ++k) {
    if (head.id(k) != block.id(k) || head.ts(k) != block.ts(k) || head.source_id(k) != block.source_id(k)) __builtin_trap();
  }
  cairn::store::EventBlockBuilder builder;
  size_t bytes = 0;
  for (size_t k = 0; k < block.size(); ++k) {
    bytes += block.raw(k).size();
    if (k > 0 && block.id(k) <= block.id(k - 1)) return 0;  // the builder wants rising ids
    builder.Add(block.id(k), block.ts(k), block.source_id(k), block.raw(k));
  }
  (void)bytes;
  size_t k = 0;
  for (const auto& b : builder.Take()) {
    if (!again.Decode(b.data)) __builtin_trap();
    for (size_t j = 0; j < again.size(); ++j, ++k) {
      if (again.id(j) != block.id(k) || again.ts(j) != block.ts(k) || again.source_id(j) != block.source_id(k) ||
          again.raw(j) != block.raw(k)) {
        __builtin_trap();
      }
    }
  }
  if (k != block.size()) __builtin_trap();
  return 0;
}
