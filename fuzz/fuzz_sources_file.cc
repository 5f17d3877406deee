// libFuzzer: sources files, Apache LogFormat strings and glob matching.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/ingest/ingest.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  (void)cairn::ingest::ParseSourcesFile(text, "fuzz");
  auto fmt = cairn::ingest::ApacheLogFormat::Compile(text);
  if (fmt.ok()) {
    cairn::store::Event event;
    (void)cairn::ingest::ParseApacheAccessLine(text, &*fmt, &event);
  }
  size_t half = size / 2;
  (void)cairn::ingest::GlobMatch(text.substr(0, half), text.substr(half));
  return 0;
}
