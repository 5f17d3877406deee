#include "correlators/spike_onset.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "engine/common/time.h"

namespace cairn::correlators {
namespace {

using correlate::SeriesPoint;

const TimeMs kStart = MakeTimeMs(2024, 1, 19, 9, 0, 0);
constexpr int64_t kMinute = 60'000;

TimeMs Minute(int64_t idx) { return kStart + idx * kMinute; }

// A dense series starting at kStart.
std::vector<SeriesPoint> Dense(const std::vector<int64_t>& counts) {
  std::vector<SeriesPoint> out;
  for (size_t idx = 0; idx < counts.size(); ++idx) {
    out.push_back({Minute(static_cast<int64_t>(idx)), counts[idx]});
  }
  return out;
}

// Transcription of the query language's outlier indicator (spec §12.2, direction "+") over a
// dense series, independent of the implementation under test.
std::vector<int> OutlierIndicators(const std::vector<int64_t>& v, int window, double threshold) {
  std::vector<int> out;
  for (size_t idx = 0; idx < v.size(); ++idx) {
    size_t first = idx >= static_cast<size_t>(window) ? idx - window : 0;
    size_t n = idx - first;
    if (n < 2) {
      out.push_back(0);
      continue;
    }
    double mean = 0;
    for (size_t k = first; k < idx; ++k) mean += static_cast<double>(v[k]);
    mean /= static_cast<double>(n);
    double ss = 0;
    for (size_t k = first; k < idx; ++k)
      ss += (static_cast<double>(v[k]) - mean) * (static_cast<double>(v[k]) - mean);
    double sd = std::sqrt(ss / static_cast<double>(n - 1));
    out.push_back(static_cast<double>(v[idx]) > mean + threshold * sd ? 1 : 0);
  }
  return out;
}

TEST(SpikeOnsetTest, MustFireOnASustainedSpikeOverSparseBackground) {
  // Background: single errors at minutes 3, 9 and 14; spike from minute 20 to 27. Sparse input.
  std::vector<SeriesPoint> series = {{Minute(3), 1},   {Minute(9), 1},   {Minute(14), 1},
                                     {Minute(20), 12}, {Minute(21), 30}, {Minute(22), 28},
                                     {Minute(23), 31}, {Minute(24), 25}, {Minute(25), 29},
                                     {Minute(26), 27}, {Minute(27), 30}};
  SpikeParams params;
  params.to = Minute(35);
  auto spikes = FindSpikes(series, params);
  ASSERT_TRUE(spikes.ok()) << spikes.error().ToString();
  ASSERT_EQ(spikes->size(), 1u);
  const Spike& s = spikes->front();
  EXPECT_EQ(s.onset, Minute(20));
  EXPECT_EQ(s.core, Minute(20));
  EXPECT_EQ(s.end, Minute(27));
  EXPECT_FALSE(s.ongoing);
  EXPECT_EQ(s.peak, 31);
  EXPECT_EQ(s.peak_minute, Minute(23));
  EXPECT_EQ(s.total, 212);
  EXPECT_EQ(s.buckets, 8);
  EXPECT_EQ(s.baseline_points, 10);
  EXPECT_DOUBLE_EQ(s.baseline_mean, 0.1);                 // minutes 10..19: one error
  EXPECT_NEAR(s.baseline_sd, std::sqrt(0.1), 1e-12);      // sample sd
  EXPECT_NEAR(s.upper, 0.1 + 3 * std::sqrt(0.1), 1e-12);  // 1.048683
  // Context: window buckets before the onset to quiet buckets after the end, zero-filled.
  ASSERT_EQ(s.context.size(), 20u);
  EXPECT_EQ(s.context.front(), (SeriesPoint{Minute(10), 0}));
  EXPECT_EQ(s.context[4], (SeriesPoint{Minute(14), 1}));
  EXPECT_EQ(s.context[10], (SeriesPoint{Minute(20), 12}));
  EXPECT_EQ(s.context.back(), (SeriesPoint{Minute(29), 0}));
}

TEST(SpikeOnsetTest, MustNotFireOnSparseSingleErrorsThatOutlierFlags) {
  // Three hours of at most one error a minute (the mistyped-key laptop).
  std::vector<int64_t> counts(180, 0);
  for (size_t idx = 0; idx < counts.size(); ++idx) {
    if (idx % 7 == 3 || idx % 11 == 5) counts[idx] = 1;
  }
  for (size_t idx = 80; idx < 100; ++idx) counts[idx] = 0;   // a quiet stretch (sd = 0) ...
  for (size_t idx = 100; idx < 106; ++idx) counts[idx] = 1;  // ... then six minutes of one each
  // The raw outlier does flag some of them (sd = 0 over a zero baseline) ...
  std::vector<int> flags = OutlierIndicators(counts, 10, 3.0);
  int flagged = 0;
  for (int f : flags) flagged += f;
  EXPECT_GT(flagged, 0);
  // ... but no sustained spike exists.
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  EXPECT_TRUE(spikes->empty());
}

TEST(SpikeOnsetTest, OnsetIsAPointThatOutlierFlags) {
  std::vector<int64_t> counts = {0, 1, 0, 0, 2, 0, 1, 0, 0, 0, 0, 1, 0, 9, 14, 15, 16, 12, 3, 0, 0};
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  std::vector<int> flags = OutlierIndicators(counts, 10, 3.0);
  int64_t onset_idx = (spikes->front().onset - kStart) / kMinute;
  EXPECT_EQ(onset_idx, 13);
  EXPECT_EQ(flags[static_cast<size_t>(onset_idx)], 1);
  EXPECT_EQ(spikes->front().end, Minute(17));
  EXPECT_EQ(spikes->front().total, 66);
}

TEST(SpikeOnsetTest, MatchesTheSpecWorkedExampleWhenTheFloorsAllowOneBucket) {
  // spec §12.3: 4 6 5 5 6 31 5 4 -> 00:05 flagged with baseline mean 5.2, sd 0.8367, upper 7.71.
  SpikeParams params;
  params.min_duration = 1;
  auto spikes = FindSpikes(Dense({4, 6, 5, 5, 6, 31, 5, 4}), params);
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  EXPECT_EQ(spikes->front().onset, Minute(5));
  EXPECT_EQ(spikes->front().end, Minute(5));
  EXPECT_DOUBLE_EQ(spikes->front().baseline_mean, 5.2);
  EXPECT_NEAR(spikes->front().baseline_sd, std::sqrt(0.7), 1e-12);
  EXPECT_NEAR(spikes->front().upper, 5.2 + 3 * std::sqrt(0.7), 1e-12);
  EXPECT_EQ(spikes->front().total, 31);
}

TEST(SpikeOnsetTest, EmptyInputAndAllZerosYieldNothing) {
  auto empty = FindSpikes({});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  auto zeros = FindSpikes(Dense(std::vector<int64_t>(60, 0)));
  ASSERT_TRUE(zeros.ok());
  EXPECT_TRUE(zeros->empty());
  SpikeParams ranged;
  ranged.from = Minute(0);
  ranged.to = Minute(59);
  auto nothing = FindSpikes({}, ranged);
  ASSERT_TRUE(nothing.ok());
  EXPECT_TRUE(nothing->empty());
}

TEST(SpikeOnsetTest, SpikeAlreadyUnderWayAtTheFirstMinuteHasNoBaselineAndIsNotReported) {
  auto spikes = FindSpikes(Dense({40, 40, 40, 40, 0, 0, 0, 0, 0, 0, 0, 0}));
  ASSERT_TRUE(spikes.ok());
  EXPECT_TRUE(spikes->empty());
}

TEST(SpikeOnsetTest, SpikeAtTheThirdMinuteHasTheMinimalBaseline) {
  auto spikes = FindSpikes(Dense({0, 0, 40, 41, 42, 0, 0, 0}));
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  EXPECT_EQ(spikes->front().onset, Minute(2));
  EXPECT_EQ(spikes->front().baseline_points, 2);
  EXPECT_EQ(spikes->front().end, Minute(4));
  EXPECT_EQ(spikes->front().total, 123);
  EXPECT_EQ(spikes->front().context.front(), (SeriesPoint{Minute(0), 0}));
  EXPECT_EQ(spikes->front().context.back(), (SeriesPoint{Minute(6), 0}));
}

TEST(SpikeOnsetTest, FindsTwoSeparateSpikes) {
  std::vector<int64_t> counts(15, 0);
  for (int64_t c : {20, 20, 20, 20, 20}) counts.push_back(c);  // minutes 15..19
  for (int idx = 0; idx < 20; ++idx) counts.push_back(0);      // minutes 20..39
  for (int64_t c : {50, 60, 55, 50}) counts.push_back(c);      // minutes 40..43
  for (int idx = 0; idx < 5; ++idx) counts.push_back(0);       // minutes 44..48
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 2u);
  EXPECT_EQ((*spikes)[0].onset, Minute(15));
  EXPECT_EQ((*spikes)[0].end, Minute(19));
  EXPECT_EQ((*spikes)[0].total, 100);
  EXPECT_EQ((*spikes)[1].onset, Minute(40));
  EXPECT_EQ((*spikes)[1].end, Minute(43));
  EXPECT_EQ((*spikes)[1].peak, 60);
  EXPECT_EQ((*spikes)[1].peak_minute, Minute(41));
  EXPECT_EQ((*spikes)[1].total, 215);
}

TEST(SpikeOnsetTest, ShortBlipIsNotSustained) {
  std::vector<int64_t> counts(12, 0);
  counts.push_back(40);
  counts.push_back(40);
  for (int idx = 0; idx < 10; ++idx) counts.push_back(0);
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  EXPECT_TRUE(spikes->empty());
  SpikeParams one;
  one.min_duration = 2;
  auto fired = FindSpikes(Dense(counts), one);
  ASSERT_TRUE(fired.ok());
  ASSERT_EQ(fired->size(), 1u);
  EXPECT_EQ(fired->front().onset, Minute(12));
  EXPECT_EQ(fired->front().end, Minute(13));
}

TEST(SpikeOnsetTest, PartialFirstMinuteJoinsAsLeadIn) {
  std::vector<int64_t> counts(12, 0);
  for (int64_t c : {2, 30, 30, 30, 0, 0, 0}) counts.push_back(c);
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  const Spike& s = spikes->front();
  EXPECT_EQ(s.onset, Minute(12));
  EXPECT_EQ(s.core, Minute(13));
  EXPECT_EQ(s.total, 92);
  EXPECT_EQ(s.buckets, 4);
  EXPECT_DOUBLE_EQ(s.baseline_mean, 0.2);
  EXPECT_NEAR(s.baseline_sd, std::sqrt(0.4), 1e-12);
  SpikeParams no_lead_in;
  no_lead_in.max_lead_in = 0;
  EXPECT_EQ(FindSpikes(Dense(counts), no_lead_in)->front().onset, Minute(13));
}

TEST(SpikeOnsetTest, ShortDipDoesNotEndTheSpikeButQuietBucketsDo) {
  std::vector<int64_t> counts(12, 0);
  for (int64_t c : {20, 20, 20, 3, 20, 20, 0, 0, 20, 0, 0}) counts.push_back(c);
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  EXPECT_EQ(spikes->front().end, Minute(17));
  EXPECT_EQ(spikes->front().total, 103);
  EXPECT_FALSE(spikes->front().ongoing);
}

TEST(SpikeOnsetTest, SpikeRunningToTheEndIsOngoing) {
  std::vector<int64_t> counts(12, 0);
  for (int64_t c : {20, 25, 30, 35}) counts.push_back(c);
  auto spikes = FindSpikes(Dense(counts));
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  EXPECT_TRUE(spikes->front().ongoing);
  EXPECT_EQ(spikes->front().end, Minute(15));
  EXPECT_EQ(spikes->front().total, 110);
}

TEST(SpikeOnsetTest, UnsortedRepeatedAndUnalignedPointsAreBucketed) {
  std::vector<SeriesPoint> series;
  for (int idx = 0; idx < 12; ++idx) series.push_back({Minute(idx), 0});
  // Minute 12 given as three points within the minute, out of order.
  series.push_back({Minute(14) + 5'000, 10});
  series.push_back({Minute(12) + 30'000, 4});
  series.push_back({Minute(13), 10});
  series.push_back({Minute(12) + 10'000, 3});
  series.push_back({Minute(12) + 59'999, 3});
  auto spikes = FindSpikes(series);
  ASSERT_TRUE(spikes.ok());
  ASSERT_EQ(spikes->size(), 1u);
  EXPECT_EQ(spikes->front().onset, Minute(12));
  EXPECT_EQ(spikes->front().context[10], (SeriesPoint{Minute(12), 10}));
  EXPECT_EQ(spikes->front().total, 30);
}

TEST(SpikeOnsetTest, RejectsBadParameters) {
  SpikeParams bad;
  bad.window = 1;
  auto r = FindSpikes(Dense({1, 2, 3}), bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  SpikeParams range;
  range.from = Minute(10);
  range.to = Minute(5);
  EXPECT_FALSE(FindSpikes({}, range).ok());
  SpikeParams huge;
  huge.max_buckets = 100;
  EXPECT_FALSE(FindSpikes(std::vector<SeriesPoint>{{Minute(0), 1}, {Minute(500), 1}}, huge).ok());
}

}  // namespace
}  // namespace cairn::correlators
