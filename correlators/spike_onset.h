#pragma once
// Spike onset: the minute a sustained spike of a count series begins, and where it ends.
//
// Consistent with the query language's `outlier` (spec §12.2): the onset minute is always a point
// that `outlier F window=W threshold=T direction=+` flags on the zero-filled series (`fillmissing`)
// — trailing window of up to W earlier points, the current point excluded, sample standard
// deviation, strict `x > mean + T·sd`, at least 2 baseline points. On top of that, to be robust to
// sparse background noise (one error a minute over a flat zero baseline has sd = 0 and is an
// `outlier`), a spike must also reach `min_count` and stay elevated for `min_duration` consecutive
// buckets. See docs/correlators.md for the full contract.

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/common/result.h"
#include "engine/correlate/activity.h"

namespace cairn::correlators {

struct SpikeParams {
  int64_t bucket_ms = 60'000;  // bucket width; points are floored to it and summed
  int window = 10;             // outlier trailing window (points)
  double threshold = 3.0;      // outlier threshold (standard deviations)
  int64_t min_count = 5;       // a bucket counts as elevated only at or above this count
  int min_duration = 3;        // consecutive elevated buckets, from the core minute, to confirm
  int max_lead_in = 1;         // flagged buckets just before the core minute that join the spike
  int quiet_buckets = 2;       // consecutive non-elevated buckets that end a spike
  std::optional<TimeMs> from;  // series range to zero-fill; default first point
  std::optional<TimeMs> to;    // (inclusive) default last point
  int64_t max_buckets = 5'000'000;  // refuse longer dense series (kInvalidArgument)
};

struct Spike {
  TimeMs onset = 0;        // first bucket of the spike
  TimeMs core = 0;         // first bucket meeting min_count (== onset unless a lead-in joined)
  TimeMs end = 0;          // last elevated bucket
  bool ongoing = false;    // the series ended while still elevated (end = last bucket)
  TimeMs peak_minute = 0;  // first bucket holding the peak
  int64_t peak = 0;
  int64_t total = 0;         // sum over [onset, end]
  int64_t buckets = 0;       // (end - onset) / bucket_ms + 1
  double baseline_mean = 0;  // outlier baseline at the core bucket
  double baseline_sd = 0;
  double upper = 0;  // baseline_mean + threshold * baseline_sd; "elevated" means > upper
  int64_t baseline_points = 0;
  std::vector<correlate::SeriesPoint> context;  // dense series from onset-window to end+quiet
};

// Finds every sustained spike, earliest first. Input points may be unsorted, sparse and repeated
// (summed per bucket); missing buckets count 0. Errors: kInvalidArgument for bad parameters
// (window < 2, threshold < 0, min_count < 1, min_duration < 1, bucket_ms < 1, from > to, or a
// range longer than max_buckets). An empty series yields no spike.
Result<std::vector<Spike>> FindSpikes(std::span<const correlate::SeriesPoint> series,
                                      const SpikeParams& params = {});

}  // namespace cairn::correlators
