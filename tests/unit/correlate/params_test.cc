#include <gtest/gtest.h>

#include "engine/common/time.h"
#include "engine/correlate/params.h"

namespace cairn::correlate {
namespace {

TEST(ParamReaderTest, ReadsTypedValuesAndFallsBackWhenAbsent) {
  Params params = {{"window", "12"},
                   {"threshold", "2.5"},
                   {"before", "15m"},
                   {"after", "90000"},
                   {"strict", "yes"},
                   {"level", "city"},
                   {"onset", "2024-01-19T09:45:00Z"}};
  ParamReader reader(params);
  EXPECT_EQ(*reader.Int("window", 10), 12);
  EXPECT_EQ(*reader.Int("min_count", 5), 5);
  EXPECT_DOUBLE_EQ(*reader.Double("threshold", 3.0), 2.5);
  EXPECT_EQ(*reader.DurationMs("before", 0), 900000);
  EXPECT_EQ(*reader.DurationMs("after", 0), 90000);
  EXPECT_EQ(*reader.Bool("strict", false), true);
  EXPECT_EQ(reader.String("level", "country"), "city");
  auto onset = reader.Time("onset");
  ASSERT_TRUE(onset.ok());
  EXPECT_EQ(**onset, MakeTimeMs(2024, 1, 19, 9, 45, 0));
  EXPECT_FALSE(reader.Time("to")->has_value());
  EXPECT_TRUE(reader.Finish().ok());
}

TEST(ParamReaderTest, RejectsMalformedAndOutOfRangeValues) {
  Params params = {{"window", "ten"}, {"threshold", "-1"}, {"before", "soon"}, {"flag", "maybe"}};
  ParamReader reader(params);
  auto window = reader.Int("window", 10);
  ASSERT_FALSE(window.ok());
  EXPECT_EQ(window.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(window.error().message(), "parameter 'window' has value 'ten', expected an integer");
  auto threshold = reader.Double("threshold", 3, 0);
  ASSERT_FALSE(threshold.ok());
  EXPECT_EQ(threshold.error().message(),
            "parameter 'threshold' has value '-1', expected a number >= 0");
  EXPECT_FALSE(reader.DurationMs("before", 0).ok());
  EXPECT_FALSE(reader.Bool("flag", false).ok());
}

TEST(ParamReaderTest, FinishRejectsUnknownParametersWithASuggestion) {
  Params params = {{"treshold", "2"}};
  ParamReader reader(params);
  EXPECT_DOUBLE_EQ(*reader.Double("threshold", 3.0), 3.0);
  Status status = reader.Finish();
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message(), "unknown parameter 'treshold'");
  EXPECT_EQ(status.error().help(), "did you mean 'threshold'?");
}

}  // namespace
}  // namespace cairn::correlate
