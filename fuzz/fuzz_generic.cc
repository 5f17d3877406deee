// libFuzzer: the generic line parser. A line either parses or yields a reason; never crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/ingest/parsers.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view line(reinterpret_cast<const char*>(data), size);
  static cairn::store::Event event;
  cairn::Status st = cairn::ingest::ParseGenericLine(line, 2024, 0, \&event);
  if (!st.ok() && st.error().message().empty()) __builtin_trap();
  return 0;
}
