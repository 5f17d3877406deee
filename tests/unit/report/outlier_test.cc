#include "engine/report/outlier.h"

#include <gtest/gtest.h>

namespace cairn::report {
namespace {

// docs/query-language.md §12.3, worked example A (defaults).
TEST(OutlierTest, MatchesWorkedExampleA) {
  auto out = ComputeOutlier({4, 6, 5, 5, 6, 31, 5, 4});
  ASSERT_EQ(out.size(), 8u);
  EXPECT_FALSE(out[0].upper.has_value());
  EXPECT_FALSE(out[1].upper.has_value());
  EXPECT_NEAR(*out[2].stddev, 1.4142, 1e-4);
  EXPECT_NEAR(*out[2].lower, 0.7574, 1e-4);
  EXPECT_NEAR(*out[2].upper, 9.2426, 1e-4);
  EXPECT_NEAR(*out[4].upper, 7.4495, 1e-4);
  EXPECT_NEAR(*out[5].mean, 5.2, 1e-9);
  EXPECT_NEAR(*out[5].upper, 7.71, 1e-2);
  EXPECT_TRUE(out[5].indicator);
  EXPECT_TRUE(out[5].violation);
  EXPECT_NEAR(*out[6].upper, 41.1781, 1e-4);
  EXPECT_NEAR(*out[7].lower, -20.5076, 1e-4);
  int flagged = 0;
  for (const auto& p : out) flagged += p.indicator ? 1 : 0;
  EXPECT_EQ(flagged, 1);
}

// §12.4, worked example B: window=5, threshold=2, consecutive=2.
TEST(OutlierTest, MatchesWorkedExampleBWithConsecutive) {
  OutlierOptions options;
  options.window = 5;
  options.threshold = 2;
  options.consecutive = 2;
  auto out = ComputeOutlier({10, 11, 10, 11, 10, 30, 35, 10}, options);
  EXPECT_NEAR(*out[5].mean, 10.4, 1e-9);
  EXPECT_NEAR(*out[5].upper, 11.4954, 1e-4);
  EXPECT_TRUE(out[5].indicator);
  EXPECT_FALSE(out[5].violation);
  EXPECT_NEAR(*out[6].upper, 31.87, 1e-2);
  EXPECT_TRUE(out[6].indicator);
  EXPECT_TRUE(out[6].violation);
  EXPECT_NEAR(*out[7].upper, 43.752, 1e-3);
  EXPECT_FALSE(out[7].indicator);
}

TEST(OutlierTest, FlatBaselineFlagsAnyChange) {
  auto out = ComputeOutlier({1, 1, 1, 1, 2, 1});
  EXPECT_FALSE(out[3].indicator);
  EXPECT_TRUE(out[4].indicator);
  EXPECT_EQ(*out[4].stddev, 0.0);
  EXPECT_FALSE(out[5].indicator);  // 1 against baseline {1,1,1,1,2}: inside the band
}

TEST(OutlierTest, DirectionAboveOnlyIgnoresDrops) {
  OutlierOptions options;
  options.below = false;
  auto out = ComputeOutlier({10, 10, 10, 0}, options);
  EXPECT_FALSE(out[3].indicator);
  options.below = true;
  EXPECT_TRUE(ComputeOutlier({10, 10, 10, 0}, options)[3].indicator);
}

}  // namespace
}  // namespace cairn::report
