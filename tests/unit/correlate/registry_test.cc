#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/correlate/correlator.h"

namespace cairn::correlate {
namespace {

// A correlator that reports how many events it was given, to check dispatch by name.
class CountingCorrelator final : public Correlator {
 public:
  explicit CountingCorrelator(std::string name) : name_(std::move(name)) {}
  std::string name() const override { return name_; }
  std::string description() const override { return "counts events"; }
  Result<std::vector<Finding>> Run(const CorrelatorInput& input) const override {
    Finding f;
    f.correlator = name_;
    f.fields["events"] = std::to_string(input.events.size());
    return std::vector<Finding>{f};
  }

 private:
  std::string name_;
};

TEST(RegistryTest, FindsRegisteredCorrelatorsByNameAndListsThemSorted) {
  Registry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<CountingCorrelator>("zeta")).ok());
  ASSERT_TRUE(registry.Register(std::make_unique<CountingCorrelator>("alpha")).ok());
  EXPECT_EQ(registry.size(), 2u);
  EXPECT_EQ(registry.Names(), (std::vector<std::string>{"alpha", "zeta"}));
  const Correlator* c = registry.Find("zeta");
  ASSERT_NE(c, nullptr);
  CorrelatorInput input;
  input.events.resize(3);
  auto findings = c->Run(input);
  ASSERT_TRUE(findings.ok());
  EXPECT_EQ(findings->at(0).fields.at("events"), "3");
  EXPECT_EQ(registry.Find("beta"), nullptr);
}

TEST(RegistryTest, RejectsDuplicateEmptyAndNullNames) {
  Registry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<CountingCorrelator>("spike")).ok());
  Status dup = registry.Register(std::make_unique<CountingCorrelator>("spike"));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(dup.error().message(), "correlator 'spike' is already registered");
  EXPECT_FALSE(registry.Register(std::make_unique<CountingCorrelator>("")).ok());
  EXPECT_FALSE(registry.Register(nullptr).ok());
  EXPECT_EQ(registry.size(), 1u);
}

TEST(RegistryTest, GetSuggestsTheNearestNameForATypo) {
  Registry registry;
  ASSERT_TRUE(registry.Register(std::make_unique<CountingCorrelator>("spike_onset")).ok());
  ASSERT_TRUE(registry.Register(std::make_unique<CountingCorrelator>("actor_profile")).ok());
  auto found = registry.Get("spike_onset");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ((*found)->name(), "spike_onset");
  auto missing = registry.Get("spike_onst");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().message(), "unknown correlator 'spike_onst'");
  EXPECT_EQ(missing.error().help(), "did you mean 'spike_onset'?");
  ASSERT_EQ(missing.error().notes().size(), 1u);
  EXPECT_EQ(missing.error().notes()[0], "known correlators: actor_profile, spike_onset");
}

TEST(FindingTest, SeverityNamesAndEvidenceOfAnActivity) {
  EXPECT_STREQ(SeverityName(Severity::kInfo), "info");
  EXPECT_STREQ(SeverityName(Severity::kHigh), "high");
  Activity a;
  a.id = 42;
  a.time = 1700000000000;
  a.source = "trail.json";
  a.event_id = "e-1";
  Evidence e = EvidenceOf(a, "why");
  EXPECT_EQ(e, (Evidence{42, 1700000000000, "trail.json", "e-1", "why"}));
}

}  // namespace
}  // namespace cairn::correlate
