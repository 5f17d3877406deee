#include "engine/common/result.h"

namespace cairn {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kSchema: return "schema";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kCorruptInput: return "corrupt_input";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

std::string Error::ToString() const {
  std::string out = message_;
  if (!reason_.empty()) out += " (" + reason_ + ")";
  if (span_ && !span_->source.empty()) {
    out += " at " + span_->source;
    if (span_->line > 0) out += ":" + std::to_string(span_->line);
    if (span_->column > 0) out += ":" + std::to_string(span_->column);
  }
  for (const auto& ctx : context_) out += "; " + ctx;
  return out;
}

}  // namespace cairn
