#pragma once
// The outlier band of a time series, computed exactly as the query language's `outlier` operator
// (docs/query-language.md §12.2): for each point, the baseline is the up-to-`window` previous
// points (the current one excluded); mean ± threshold · sample stddev; strict inequalities; a
// violation after `consecutive` flagged points in a row. Pure functions, thread-safe.

#include <cstddef>
#include <optional>
#include <vector>

namespace cairn::report {

struct OutlierOptions {
  int window = 10;
  double threshold = 3.0;
  int consecutive = 1;
  bool above = true;  // flag points above the upper bound
  bool below = true;  // flag points below the lower bound
};

struct OutlierPoint {
  std::optional<double> mean;  // null while the baseline has fewer than 2 points
  std::optional<double> stddev;
  std::optional<double> lower;
  std::optional<double> upper;
  bool indicator = false;
  bool violation = false;
};

// One output point per input value, in order.
std::vector<OutlierPoint> ComputeOutlier(const std::vector<double>& values,
                                         const OutlierOptions& options = {});

}  // namespace cairn::report
