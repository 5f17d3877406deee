#include "engine/report/report.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/unit/report/incident_fixture.h"

namespace cairn::report {
namespace {

class ReportBuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::CaseStore::OpenMemory();
    ASSERT_TRUE(store.has_value());
    store_ = std::move(store).value();
    facts_ = testing::BuildIncidentCase(*store_);
    geo_ = testing::FakeGeoDb();
  }

  ReportData Build(const RunSummary* run = nullptr, ReportOptions options = {}) {
    auto data = BuildReport(*store_, run, geo_.get(), geo_->Description(), options);
    EXPECT_TRUE(data.has_value()) << data.error().ToString();
    return data.has_value() ? std::move(data).value() : ReportData{};
  }

  static std::map<std::string, int64_t> CountBySeverity(const ReportData& d) {
    std::map<std::string, int64_t> out;
    for (const auto& r : d.timeline) out[SeverityName(r.severity)]++;
    return out;
  }

  std::unique_ptr<store::CaseStore> store_;
  testing::IncidentFacts facts_;
  std::unique_ptr<geo::GeoDb> geo_;
};

TEST_F(ReportBuildTest, TimelineFoldsErrorsPerMinuteAndKeepsManagementEvents) {
  ReportData d = Build();
  EXPECT_EQ(static_cast<int64_t>(d.timeline.size()), facts_.timeline_rows);
  EXPECT_EQ(d.timeline_notable, facts_.notable_events);
  EXPECT_FALSE(d.timeline_capped);
  auto sev = CountBySeverity(d);
  EXPECT_EQ(sev["high"], facts_.timeline_high);
  EXPECT_EQ(sev["medium"], facts_.timeline_medium);
  EXPECT_EQ(sev["low"], facts_.timeline_low);
  EXPECT_TRUE(std::is_sorted(d.timeline.begin(), d.timeline.end(),
                             [](const TimelineRow& a, const TimelineRow& b) { return a.time < b.time; }));
  // Data events, read-only non-IAM calls and STS sessions are not notable.
  for (const auto& r : d.timeline) {
    EXPECT_NE(r.summary.rfind("PutObject", 0), 0u) << r.summary;
    EXPECT_NE(r.summary.rfind("DescribeInstances", 0), 0u);
    EXPECT_NE(r.summary.rfind("AssumeRole", 0), 0u);
  }
  // The onset minute's first S3 group: 10 of the 20 events went to photos-a (k even).
  auto first_spike = std::find_if(d.timeline.begin(), d.timeline.end(), [&](const TimelineRow& r) {
    return r.source_type == "s3_access" && r.time >= facts_.onset;
  });
  ASSERT_NE(first_spike, d.timeline.end());
  EXPECT_EQ(first_spike->similar, 9);
  EXPECT_EQ(first_spike->severity, Severity::kHigh);
  EXPECT_EQ(first_spike->target, "photos-a/</script><script>alert(1)</script>.jpg");
  EXPECT_EQ(first_spike->user_agent, testing::kXssScript);
  EXPECT_EQ(first_spike->summary,
            "REST.PUT.OBJECT photos-a/</script><script>alert(1)</script>.jpg → 403 InvalidAccessKeyId "
            "(+9 similar in this minute)");
  // The key change at the onset, with actor, target and the raw record.
  auto change = std::find_if(d.timeline.begin(), d.timeline.end(),
                             [&](const TimelineRow& r) { return r.event_id == facts_.update_key_event; });
  ASSERT_NE(change, d.timeline.end());
  EXPECT_EQ(change->kind, "iam-change");
  EXPECT_EQ(change->summary, "UpdateAccessKey by key-manager on AKIAAPPKEY000000001 (user app-user)");
  EXPECT_EQ(change->source_ip, "81.2.69.142");
  EXPECT_EQ(change->source_name, "logs/cloudtrail/111122223333_CloudTrail_us-east-1.json");
  EXPECT_NE(change->raw.find("\"eventName\":\"UpdateAccessKey\""), std::string::npos);
}

TEST_F(ReportBuildTest, SpikeIsTheS3InvalidKeySeriesWithOnsetAtTheFirstFlaggedMinute) {
  ReportData d = Build();
  const Spike& s = d.spike;
  ASSERT_TRUE(s.present);
  EXPECT_EQ(s.label, "s3_access 403 InvalidAccessKeyId");
  ASSERT_TRUE(s.onset.has_value());
  EXPECT_EQ(*s.onset, facts_.onset);
  EXPECT_EQ(s.peak_minute, facts_.onset);
  EXPECT_EQ(s.peak_count, facts_.spike_peak);
  EXPECT_EQ(s.total, facts_.spike_total);
  ASSERT_EQ(static_cast<int64_t>(s.points.size()), facts_.spike_points);
  // The scattered laptop errors are not flagged; the onset minute is, against a flat band of 1.
  for (size_t idx = 0; idx < 4; ++idx) EXPECT_FALSE(s.points[idx].flagged);
  EXPECT_TRUE(s.points[4].flagged);
  EXPECT_DOUBLE_EQ(*s.points[4].upper, 1.0);
  EXPECT_FALSE(s.points[5].flagged);
  ASSERT_TRUE(d.incident_start.has_value());
  EXPECT_EQ(*d.incident_start, facts_.onset - 3600 * 1000);
}

TEST_F(ReportBuildTest, StatusPerMinuteCountsAccessLogsOnly) {
  ReportData d = Build();
  std::map<int, int64_t> by_status;
  for (const auto& m : d.status_per_minute) by_status[m.status] += m.count;
  EXPECT_EQ(by_status[200], 450);  // 300 S3 uploads + 150 Apache uploads
  EXPECT_EQ(by_status[403], 444);
  EXPECT_EQ(by_status[404], 5);
  EXPECT_EQ(by_status[502], 100);
  EXPECT_EQ(by_status.size(), 4u);
  TimeMs onset = facts_.onset;
  int64_t at_onset_403 = 0;
  for (const auto& m : d.status_per_minute) {
    if (m.minute == onset && m.status == 403) at_onset_403 = m.count;
  }
  EXPECT_EQ(at_onset_403, 20);
}

TEST_F(ReportBuildTest, LocationsSeparateNewAddressesFromTheBaseline) {
  ReportData d = Build();
  ASSERT_EQ(static_cast<int64_t>(d.locations.size()), facts_.locations);
  std::map<std::string, const Location*> by_ip;
  for (const auto& l : d.locations) by_ip[l.ip] = &l;
  ASSERT_TRUE(by_ip.count("81.2.69.142"));
  EXPECT_TRUE(by_ip["81.2.69.142"]->incident);
  EXPECT_EQ(by_ip["81.2.69.142"]->city, "London");
  EXPECT_EQ(by_ip["81.2.69.142"]->events, 4);  // login, two listings, the key change
  EXPECT_EQ(by_ip["81.2.69.142"]->principals, std::vector<std::string>{"key-manager"});
  EXPECT_TRUE(by_ip.at("89.160.20.115")->incident);
  EXPECT_FALSE(by_ip.at("216.160.83.56")->incident);
  EXPECT_FALSE(by_ip.at("216.160.83.58")->incident);
  EXPECT_EQ(by_ip.at("216.160.83.58")->events, 3);
  EXPECT_EQ(by_ip.at("216.160.83.58")->principals, std::vector<std::string>{"admin-alice"});
  // Incident addresses are listed first.
  EXPECT_TRUE(d.locations[0].incident);
  EXPECT_TRUE(d.locations[1].incident);
}

TEST_F(ReportBuildTest, WithoutGeoDbThereAreNoLocations) {
  auto data = BuildReport(*store_, nullptr, nullptr, "none", {});
  ASSERT_TRUE(data.has_value());
  EXPECT_TRUE(data->locations.empty());
  EXPECT_EQ(data->geo_description, "none");
}

TEST_F(ReportBuildTest, RunRecordEvidenceIsResolvedAndMarked) {
  auto run = ParseRunRecord(testing::IncidentRunRecord(facts_), "run.json");
  ASSERT_TRUE(run.has_value());
  ReportData d = Build(&*run);
  ASSERT_EQ(d.run.findings.size(), 3u);
  EXPECT_EQ(d.run.findings[0].evidence[0].event_id, facts_.update_key_event);
  // The CloudTrail eventID "ev-06" resolves to the ConsoleLogin's row id and fills in its time.
  EXPECT_EQ(d.run.findings[1].evidence[0].event_id, facts_.console_login_event);
  EXPECT_EQ(d.run.findings[1].evidence[0].time, MakeTimeMs(2024, 1, 19, 9, 40, 0));
  EXPECT_EQ(d.run.findings[1].evidence[0].source, "cloudtrail");
  // An id that is not in the case stays a plain reference.
  EXPECT_EQ(d.run.findings[2].evidence[0].event_id, 0);
  EXPECT_EQ(d.run.findings[2].evidence[0].ref, "99999999");
  auto sev = CountBySeverity(d);
  EXPECT_EQ(sev["high"], facts_.timeline_high + 1);  // the login is cited: raised to high
  EXPECT_EQ(sev["medium"], facts_.timeline_medium - 1);
  auto login = std::find_if(d.timeline.begin(), d.timeline.end(),
                            [&](const TimelineRow& r) { return r.event_id == facts_.console_login_event; });
  ASSERT_NE(login, d.timeline.end());
  EXPECT_EQ(login->findings, std::vector<std::string>{"new-location"});
  // The run names the actor: the map shows only the actor's addresses.
  EXPECT_EQ(d.locations.size(), 3u);
  int incident = 0;
  for (const auto& l : d.locations) incident += l.incident ? 1 : 0;
  EXPECT_EQ(incident, 2);
}

TEST_F(ReportBuildTest, TimeWindowRestrictsEverySection) {
  ReportOptions options;
  options.from = MakeTimeMs(2024, 1, 19, 9, 40, 0);
  options.to = MakeTimeMs(2024, 1, 19, 9, 50, 0);
  ReportData d = Build(nullptr, options);
  for (const auto& r : d.timeline) {
    EXPECT_GE(r.time, *options.from);
    EXPECT_LT(r.time, *options.to);
  }
  // 5 minutes x (2 S3 + 1 Apache 502 + 1 error-log) groups + 6 CloudTrail rows (09:40..09:48).
  EXPECT_EQ(d.timeline.size(), 5u * 4 + 6);
  for (const auto& m : d.status_per_minute) EXPECT_GE(m.minute, *options.from);
  // Only 09:45..09:49 of the 403 series: no baseline before it, so no outlier.
  EXPECT_FALSE(d.spike.present);
  // 110 S3 403s + 20 S3 200s + 10 Apache 200s + 25 Apache 502s + 5 error-log lines + 7 CloudTrail.
  EXPECT_EQ(d.events_in_window, 177);
}

TEST_F(ReportBuildTest, CapKeepsTheMostSevereRowsNearTheOnset) {
  ReportOptions options;
  options.max_timeline_rows = 10;
  ReportData d = Build(nullptr, options);
  ASSERT_EQ(d.timeline.size(), 10u);
  EXPECT_TRUE(d.timeline_capped);
  EXPECT_EQ(d.timeline_groups, facts_.timeline_rows);
  for (const auto& r : d.timeline) {
    EXPECT_EQ(r.severity, Severity::kHigh);
    EXPECT_LE(std::abs(r.time - facts_.onset), 3 * 60 * 1000) << r.summary;
  }
}

TEST_F(ReportBuildTest, DerivedGraphLinksTheActorItsAddressesAndTheFailingBuckets) {
  ReportData d = Build();
  EXPECT_EQ(d.graph_origin, "derived from the timeline events");
  std::map<std::string, const GraphNode*> nodes;
  for (const auto& n : d.nodes) nodes[n.id] = &n;
  auto has_edge = [&](const std::string& a, const std::string& b) -> const GraphEdge* {
    for (const auto& e : d.edges) {
      if (e.source == a && e.target == b) return &e;
    }
    return nullptr;
  };
  ASSERT_TRUE(nodes.count("principal:key-manager"));
  EXPECT_TRUE(nodes["principal:key-manager"]->seed);
  EXPECT_NE(has_edge("principal:key-manager", "ip:81.2.69.142"), nullptr);
  EXPECT_NE(has_edge("principal:key-manager", "ip:89.160.20.115"), nullptr);
  const GraphEdge* change = has_edge("principal:key-manager", "access_key:AKIAAPPKEY000000001");
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->kind, "UpdateAccessKey");
  EXPECT_EQ(change->count, 1);  // the admin's re-enable comes from admin-alice
  EXPECT_NE(has_edge("principal:app-user", "access_key:AKIAAPPKEY000000001"), nullptr);
  EXPECT_NE(has_edge("principal:admin-alice", "access_key:AKIAAPPKEY000000001"), nullptr);
  // The failed DeleteUser acted on a user: an edge to that principal, counted as an error.
  const GraphEdge* failed = has_edge("principal:key-manager", "principal:bob");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->errors, 1);
  const GraphEdge* s3 = has_edge("ip:10.0.0.11", "bucket:photos-a");
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->kind, "403 InvalidAccessKeyId");
  EXPECT_EQ(s3->errors, s3->count);
  // 20 minutes x photos-a's share (k even): 10+11+11+12+12 per 5 minutes = 56 x 4 = 224.
  EXPECT_EQ(s3->count, 224);
  for (const auto& e : d.edges) {
    EXPECT_TRUE(nodes.count(e.source)) << e.source;
    EXPECT_TRUE(nodes.count(e.target)) << e.target;
  }
}

TEST_F(ReportBuildTest, GraphFromRelationsTableAroundTheSeeds) {
  testing::AddIncidentRelations(*store_);
  auto run = ParseRunRecord(testing::IncidentRunRecord(facts_), "run.json");
  ASSERT_TRUE(run.has_value());
  ReportData d = Build(&*run);
  EXPECT_EQ(d.graph_origin, "relations table");
  std::vector<std::string> labels;
  for (const auto& n : d.nodes) labels.push_back(n.label);
  std::sort(labels.begin(), labels.end());
  // The relation to an unrelated bucket (08:00-08:05, before the incident window) is left out;
  // the baseline address 216.160.83.56 (08:30) too.
  EXPECT_EQ(labels, (std::vector<std::string>{"81.2.69.142", "AKIAAPPKEY000000001", "app-user", "key-manager",
                                              "photos-a"}));
  EXPECT_EQ(d.edges.size(), 4u);
  for (const auto& n : d.nodes) {
    if (n.label == "key-manager" || n.label == "AKIAAPPKEY000000001" || n.label == "81.2.69.142") {
      EXPECT_TRUE(n.seed) << n.label;
    }
  }
}

TEST_F(ReportBuildTest, CustodyListsEverySourceWithItsHash) {
  ReportData d = Build();
  ASSERT_EQ(static_cast<int64_t>(d.sources.size()), facts_.sources);
  EXPECT_EQ(d.total_events, facts_.total_events);
  int64_t sum = 0;
  for (const auto& s : d.sources) {
    sum += s.events;
    EXPECT_EQ(s.sha256.size(), 64u);
    EXPECT_GT(s.size, 0);
  }
  EXPECT_EQ(sum, facts_.total_events);
  EXPECT_EQ(d.sources[0].path, "logs/s3/photos-access.log");
  EXPECT_EQ(d.sources[0].events, 749);
  EXPECT_EQ(d.sources[0].categories, std::vector<std::string>{"S3/Access"});
}

}  // namespace
}  // namespace cairn::report
