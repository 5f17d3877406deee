#pragma once
// Reading a correlator's named parameters (a playbook step's `with:` map, already templated) into
// typed values, with errors that name the parameter and the expected form.

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "engine/common/result.h"
#include "engine/common/time.h"

namespace cairn::correlate {

using Params = std::map<std::string, std::string>;

// Reads parameters by name; remembers which ones were read so that Finish() can reject the rest
// (a typo in a playbook must not silently fall back to a default). Borrows `params`, which must
// outlive the reader. Not thread-safe.
class ParamReader {
 public:
  explicit ParamReader(const Params& params) : params_(params) {}

  // Each returns `fallback` when the parameter is absent, kInvalidArgument when malformed.
  Result<int64_t> Int(std::string_view name, int64_t fallback,
                      int64_t min_value = std::numeric_limits<int64_t>::min());
  Result<double> Double(std::string_view name, double fallback,
                        double min_value = -std::numeric_limits<double>::max());
  Result<bool> Bool(std::string_view name, bool fallback);  // true/false/yes/no/1/0
  // A duration: "90s", "15m", "1h", or plain milliseconds. Must be >= 0.
  Result<int64_t> DurationMs(std::string_view name, int64_t fallback);
  // A time: ISO-8601 or epoch milliseconds. nullopt when absent.
  Result<std::optional<TimeMs>> Time(std::string_view name);
  std::string String(std::string_view name, std::string fallback);

  // kInvalidArgument naming the first parameter never read ("did you mean" for near misses).
  Status Finish() const;

 private:
  const std::string* Find(std::string_view name);

  const Params& params_;
  std::set<std::string, std::less<>> used_;
};

}  // namespace cairn::correlate
