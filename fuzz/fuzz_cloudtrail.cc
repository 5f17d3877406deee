// libFuzzer: every CloudTrail envelope shape through CloudTrailParser::ParseDocument.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/ingest/parsers.h"

namespace {
class NullSink final : public cairn::ingest::CloudTrailSink {
 public:
  cairn::Status OnRecord(cairn::store::Event& event) override {
    // Invariants: a record has a compact raw text and a non-zero dedupe hash.
    if (event.raw.empty() || event.dedupe == 0) __builtin_trap();
    return cairn::Ok();
  }
  cairn::Status OnReject(std::string_view, std::string_view, int64_t, int64_t line) override {
    if (line < 1) __builtin_trap();
    return cairn::Ok();
  }
  void OnNote(std::string_view) override {}
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static cairn::ingest::CloudTrailParser parser;
  NullSink sink;
  (void)parser.ParseDocument(std::string_view(reinterpret_cast<const char*>(data), size), sink);
  return 0;
}
