#pragma once
// Helpers shared by the correlator wrappers (not public): field text for Finding::fields.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/common/strings.h"
#include "engine/common/time.h"

namespace cairn::correlators::internal {

inline std::string TimeText(TimeMs t) { return FormatIso8601Compact(t); }
inline std::string Num(double v) { return FormatDouble(v, 3); }
inline std::string BoolText(bool v) { return v ? "true" : "false"; }
inline std::string List(const std::vector<std::string>& items) { return Join(items, ","); }

}  // namespace cairn::correlators::internal
