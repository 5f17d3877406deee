#include "correlators/spike_onset.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include "correlators/format_internal.h"
#include "correlators/register_all.h"

namespace cairn::correlators {
namespace {

TimeMs FloorTo(TimeMs t, int64_t width) {
  TimeMs q = t / width;
  if (t % width != 0 && t < 0) --q;
  return q * width;
}

// The `outlier` statistics of point idx (spec §12.2 steps 2-4) over a dense series.
struct Band {
  bool valid = false;  // baseline has at least 2 points
  int64_t points = 0;
  double mean = 0;
  double sd = 0;
  double upper = 0;
};

Band OutlierBand(const std::vector<int64_t>& values, size_t idx, int window, double threshold) {
  Band band;
  size_t first = idx >= static_cast<size_t>(window) ? idx - static_cast<size_t>(window) : 0;
  band.points = static_cast<int64_t>(idx - first);
  if (band.points < 2) return band;
  double sum = 0;
  for (size_t k = first; k < idx; ++k) sum += static_cast<double>(values[k]);
  band.mean = sum / static_cast<double>(band.points);
  double squares = 0;
  for (size_t k = first; k < idx; ++k) {
    double d = static_cast<double>(values[k]) - band.mean;
    squares += d * d;
  }
  band.sd = std::sqrt(squares / static_cast<double>(band.points - 1));
  band.upper = band.mean + threshold * band.sd;
  band.valid = true;
  return band;
}

bool Flagged(const Band& band, int64_t value) {
  return band.valid && static_cast<double>(value) > band.upper;
}

Status Validate(const SpikeParams& p) {
  if (p.bucket_ms < 1) return Error::InvalidArgument("spike_onset: bucket_ms must be >= 1");
  if (p.window < 2) return Error::InvalidArgument("spike_onset: window must be >= 2");
  if (!(p.threshold >= 0)) return Error::InvalidArgument("spike_onset: threshold must be >= 0");
  if (p.min_count < 1) return Error::InvalidArgument("spike_onset: min_count must be >= 1");
  if (p.min_duration < 1) return Error::InvalidArgument("spike_onset: min_duration must be >= 1");
  if (p.max_lead_in < 0) return Error::InvalidArgument("spike_onset: max_lead_in must be >= 0");
  if (p.quiet_buckets < 1) return Error::InvalidArgument("spike_onset: quiet_buckets must be >= 1");
  if (p.from && p.to && *p.from > *p.to) {
    return Error::InvalidArgument("spike_onset: the series range starts after it ends");
  }
  return Ok();
}

}  // namespace

Result<std::vector<Spike>> FindSpikes(std::span<const correlate::SeriesPoint> series,
                                      const SpikeParams& params) {
  CAIRN_TRY(Validate(params));
  const int64_t width = params.bucket_ms;
  // Bucket, sort and sum (a sorted vector: a map costs ~10x on a year of minutes).
  std::vector<std::pair<TimeMs, int64_t>> sparse;
  sparse.reserve(series.size());
  const bool has_lo = params.from.has_value(), has_hi = params.to.has_value();
  const TimeMs lo = has_lo ? FloorTo(*params.from, width) : std::numeric_limits<TimeMs>::min();
  const TimeMs hi = has_hi ? FloorTo(*params.to, width) : std::numeric_limits<TimeMs>::max();
  for (const auto& point : series) {
    TimeMs bucket = FloorTo(point.minute, width);
    if (bucket < lo || bucket > hi) continue;
    sparse.emplace_back(bucket, point.count);
  }
  if (!std::is_sorted(sparse.begin(), sparse.end())) std::sort(sparse.begin(), sparse.end());
  std::vector<Spike> spikes;
  if (sparse.empty() && !(has_lo && has_hi)) return spikes;
  const TimeMs first = has_lo ? lo : sparse.front().first;
  const TimeMs last = has_hi ? hi : sparse.back().first;
  const int64_t n_buckets = (last - first) / width + 1;
  if (n_buckets > params.max_buckets) {
    return Error::InvalidArgument("spike_onset: the series spans " + std::to_string(n_buckets) +
                                  " buckets, more than max_buckets (" +
                                  std::to_string(params.max_buckets) + ")");
  }
  std::vector<int64_t> values(static_cast<size_t>(n_buckets), 0);
  for (const auto& [bucket, count] : sparse) {
    values[static_cast<size_t>((bucket - first) / width)] += count;
  }
  auto time_of = [&](size_t idx) { return first + static_cast<int64_t>(idx) * width; };

  const size_t n = values.size();
  const size_t duration = static_cast<size_t>(params.min_duration);
  size_t scan_start = 0;
  for (size_t core = 0; core < n; ++core) {
    if (core < scan_start || values[core] < params.min_count) continue;
    Band band = OutlierBand(values, core, params.window, params.threshold);
    if (!Flagged(band, values[core])) continue;
    auto elevated = [&](size_t idx) {
      return values[idx] >= params.min_count && static_cast<double>(values[idx]) > band.upper;
    };
    if (core + duration > n) continue;  // cannot be confirmed: the series ends too soon
    bool sustained = true;
    for (size_t k = core; k < core + duration && sustained; ++k) sustained = elevated(k);
    if (!sustained) continue;

    // Lead-in: a partial first bucket (the change happened late in it) is still an `outlier`
    // point though below min_count; it belongs to the spike.
    size_t onset = core;
    for (int step = 0; step < params.max_lead_in; ++step) {
      if (onset == 0 || onset - 1 < scan_start) break;
      size_t candidate = onset - 1;
      if (!Flagged(OutlierBand(values, candidate, params.window, params.threshold),
                   values[candidate])) {
        break;
      }
      onset = candidate;
    }

    size_t end = core + duration - 1;
    int quiet = 0;
    size_t idx = end + 1;
    for (; idx < n; ++idx) {
      if (elevated(idx)) {
        end = idx;
        quiet = 0;
      } else if (++quiet >= params.quiet_buckets) {
        break;
      }
    }

    Spike spike;
    spike.onset = time_of(onset);
    spike.core = time_of(core);
    spike.end = time_of(end);
    spike.ongoing = end == n - 1;
    spike.baseline_mean = band.mean;
    spike.baseline_sd = band.sd;
    spike.upper = band.upper;
    spike.baseline_points = band.points;
    spike.buckets = static_cast<int64_t>(end - onset + 1);
    for (size_t k = onset; k <= end; ++k) {
      spike.total += values[k];
      if (values[k] > spike.peak) {
        spike.peak = values[k];
        spike.peak_minute = time_of(k);
      }
    }
    size_t context_first = onset >= static_cast<size_t>(params.window)
                               ? onset - static_cast<size_t>(params.window)
                               : 0;
    size_t context_last = std::min(n - 1, end + static_cast<size_t>(params.quiet_buckets));
    for (size_t k = context_first; k <= context_last; ++k) {
      spike.context.push_back({time_of(k), values[k]});
    }
    spikes.push_back(std::move(spike));
    scan_start = end + 1;
    core = end;  // the loop's ++ moves past the spike
  }
  return spikes;
}

}  // namespace cairn::correlators

namespace cairn::correlators {
namespace {

class SpikeOnsetCorrelator final : public correlate::Correlator {
 public:
  std::string name() const override { return "spike_onset"; }
  std::string description() const override {
    return "the minute a sustained spike of a count series begins (outlier-consistent), its end, "
           "peak and total";
  }
  Result<std::vector<correlate::Finding>> Run(
      const correlate::CorrelatorInput& input) const override {
    correlate::ParamReader reader(input.params);
    SpikeParams p;
    CAIRN_ASSIGN_OR_RETURN(p.bucket_ms, reader.DurationMs("bucket", p.bucket_ms));
    CAIRN_ASSIGN_OR_RETURN(int64_t window, reader.Int("window", p.window, 2));
    CAIRN_ASSIGN_OR_RETURN(p.threshold, reader.Double("threshold", p.threshold, 0));
    CAIRN_ASSIGN_OR_RETURN(p.min_count, reader.Int("min_count", p.min_count, 1));
    CAIRN_ASSIGN_OR_RETURN(int64_t duration, reader.Int("min_duration", p.min_duration, 1));
    CAIRN_ASSIGN_OR_RETURN(int64_t lead_in, reader.Int("max_lead_in", p.max_lead_in, 0));
    CAIRN_ASSIGN_OR_RETURN(int64_t quiet, reader.Int("quiet", p.quiet_buckets, 1));
    CAIRN_ASSIGN_OR_RETURN(p.from, reader.Time("from"));
    CAIRN_ASSIGN_OR_RETURN(p.to, reader.Time("to"));
    CAIRN_TRY(reader.Finish());
    constexpr int64_t kMaxSmall = 1'000'000;
    p.window = static_cast<int>(std::min(window, kMaxSmall));
    p.min_duration = static_cast<int>(std::min(duration, kMaxSmall));
    p.max_lead_in = static_cast<int>(std::min(lead_in, kMaxSmall));
    p.quiet_buckets = static_cast<int>(std::min(quiet, kMaxSmall));
    CAIRN_ASSIGN_OR_RETURN(std::vector<Spike> spikes, FindSpikes(input.series, p));

    std::vector<correlate::Finding> findings;
    for (const Spike& s : spikes) {
      correlate::Finding f;
      f.correlator = name();
      f.kind = "spike";
      f.severity = correlate::Severity::kMedium;
      f.score = static_cast<double>(s.total);
      f.sentence =
          "A sustained spike began at " + internal::TimeText(s.onset) + ": " +
          std::to_string(s.total) + " in " + std::to_string(s.buckets) + " bucket(s), peak " +
          std::to_string(s.peak) + " at " + internal::TimeText(s.peak_minute) +
          ", against a baseline of " + internal::Num(s.baseline_mean) + " ± " +
          internal::Num(s.baseline_sd) + "; " +
          (s.ongoing ? "still elevated when the series ends at " : "last elevated bucket ") +
          internal::TimeText(s.end) + ".";
      for (const correlate::SeriesPoint& point : s.context) {
        correlate::Evidence e;
        e.time = point.minute;
        e.note = "count=" + std::to_string(point.count);
        f.evidence.push_back(std::move(e));
      }
      f.fields = {{"onset", internal::TimeText(s.onset)},
                  {"onset_ms", std::to_string(s.onset)},
                  {"core", internal::TimeText(s.core)},
                  {"end", internal::TimeText(s.end)},
                  {"end_ms", std::to_string(s.end)},
                  {"ongoing", internal::BoolText(s.ongoing)},
                  {"peak", std::to_string(s.peak)},
                  {"peak_minute", internal::TimeText(s.peak_minute)},
                  {"total", std::to_string(s.total)},
                  {"buckets", std::to_string(s.buckets)},
                  {"baseline_mean", internal::Num(s.baseline_mean)},
                  {"baseline_sd", internal::Num(s.baseline_sd)},
                  {"upper", internal::Num(s.upper)}};
      findings.push_back(std::move(f));
    }
    return findings;
  }
};

}  // namespace

std::unique_ptr<correlate::Correlator> MakeSpikeOnsetCorrelator() {
  return std::make_unique<SpikeOnsetCorrelator>();
}

}  // namespace cairn::correlators
