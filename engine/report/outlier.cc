#include "engine/report/outlier.h"

#include <algorithm>
#include <cmath>

namespace cairn::report {

std::vector<OutlierPoint> ComputeOutlier(const std::vector<double>& values,
                                         const OutlierOptions& options) {
  std::vector<OutlierPoint> out(values.size());
  const size_t window = static_cast<size_t>(std::max(1, options.window));
  int run = 0;
  for (size_t idx = 0; idx < values.size(); ++idx) {
    size_t begin = idx > window ? idx - window : 0;
    size_t n = idx - begin;
    OutlierPoint& point = out[idx];
    if (n >= 2) {
      double sum = 0;
      for (size_t k = begin; k < idx; ++k) sum += values[k];
      double mean = sum / static_cast<double>(n);
      double squares = 0;
      for (size_t k = begin; k < idx; ++k) squares += (values[k] - mean) * (values[k] - mean);
      double sd = std::sqrt(squares / static_cast<double>(n - 1));
      point.mean = mean;
      point.stddev = sd;
      point.lower = mean - options.threshold * sd;
      point.upper = mean + options.threshold * sd;
      point.indicator = (options.above && values[idx] > *point.upper) ||
                        (options.below && values[idx] < *point.lower);
    }
    run = point.indicator ? run + 1 : 0;
    point.violation = point.indicator && run >= std::max(1, options.consecutive);
  }
  return out;
}

}  // namespace cairn::report
