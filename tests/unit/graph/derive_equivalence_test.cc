// DeriveRelations gives the same graph however its work is split: a scan split among threads
// gives the very same tables (ids included) as one scan, and deriving in two steps as events
// arrive gives the same entities and relations as deriving once.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph/graph_internal.h"
#include "engine/graph/relations.h"
#include "tests/unit/graph/graph_test_util.h"

namespace cairn::graph {
namespace {

using testutil::GraphCase;

// A varied mix: IAM users with keys, assumed-role sessions, root console logins (some failed), an
// AWS service, S3 access logs (anonymous and signed, statuses and error codes), Apache hits with
// and without a virtual host, and key changes on other users' keys. Deterministic.
std::vector<store::Event> MixedEvents(int count) {
  std::vector<store::Event> events;
  const std::string account = testutil::kAccount;
  for (int n = 0; n < count; ++n) {
    store::Event e;
    e.time = 1'700'000'000'000 + static_cast<TimeMs>((n * 7919) % count) * 1000;  // not in id order
    e.raw = "{\"n\":" + std::to_string(n) + "}";
    e.outcome = n % 17 == 0 ? "failure" : "success";
    if (e.outcome == "failure") e.error_code = n % 2 ? "AccessDenied" : "NoSuchKey";
    std::string user = "user" + std::to_string(n % 7);
    std::string ip = n % 5 == 0 ? "203.0.113." + std::to_string(n % 3)
                                : "198.51.100." + std::to_string(n % 11);
    e.user_agent = "agent-" + std::to_string(n % 4);
    e.account = account;
    switch (n % 9) {
      case 0: case 1: case 2:  // IAM user, sometimes reading a bucket
        e.source_type = store::SourceType::kCloudTrail;
        e.actor_arn = "arn:aws:iam::" + account + ":user/" + user;
        e.actor_type = "IAMUser";
        e.actor_name = user;
        e.access_key = "AKIA" + std::to_string(1000 + n % 7);
        e.action = n % 3 == 0 ? "GetObject" : "DescribeInstances";
        if (e.action == "GetObject") e.bucket = "bucket-" + std::to_string(n % 4);
        e.source_ip = ip;
        break;
      case 3:  // assumed-role session
        e.source_type = store::SourceType::kCloudTrail;
        e.actor_arn = "arn:aws:sts::" + account + ":assumed-role/Role" + std::to_string(n % 3) +
                      "/session" + std::to_string(n % 5);
        e.actor_type = "AssumedRole";
        e.actor_name = "Role" + std::to_string(n % 3);
        e.access_key = "ASIA" + std::to_string(2000 + n % 5);
        e.action = "AssumeRole";
        e.source_ip = ip;
        break;
      case 4:  // root console login
        e.source_type = store::SourceType::kCloudTrail;
        e.actor_type = "Root";
        e.action = "ConsoleLogin";
        e.source_ip = ip;
        break;
      case 5:  // AWS service: its name is not an address
        e.source_type = store::SourceType::kCloudTrail;
        e.actor_type = "AWSService";
        e.actor_name = "ec2.amazonaws.com";
        e.source_ip = "ec2.amazonaws.com";
        e.action = "AssumeRole";
        break;
      case 6:  // S3 access log
        e.source_type = store::SourceType::kS3Access;
        if (n % 2) {
          e.actor_type = "Anonymous";
        } else {
          e.actor_arn = "arn:aws:iam::" + account + ":user/" + user;
        }
        e.bucket = "bucket-" + std::to_string(n % 3);
        e.status = e.outcome == "failure" ? 403 : 200;
        e.action = "REST.GET.OBJECT";
        e.source_ip = ip;
        e.account.clear();
        break;
      case 7:  // Apache, with a virtual host or the source's host
        e.source_type = store::SourceType::kApacheAccess;
        e.source_ip = ip;
        e.action = "GET";
        e.status = 200;
        if (n % 2) e.host = "www.example.org";
        e.account.clear();
        break;
      default: {  // key changes on another user's key
        e.source_type = store::SourceType::kCloudTrail;
        e.actor_arn = "arn:aws:iam::" + account + ":user/admin";
        e.actor_type = "IAMUser";
        e.actor_name = "admin";
        e.access_key = "AKIAADMIN";
        static const char* kActions[] = {"CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey"};
        e.action = kActions[n % 3];
        e.resource = "AKIA" + std::to_string(1000 + n % 7);
        e.target_user = user;
        e.event_id = "ev-" + std::to_string(n);
        e.raw = R"({"requestParameters":{"status":")" + std::string(n % 2 ? "Active" : "Inactive") +
                R"("},"n":)" + std::to_string(n) + "}";
        e.source_ip = ip;
        break;
      }
    }
    events.push_back(std::move(e));
  }
  return events;
}

// Every column of both tables, in id order.
std::string DumpTables(store::CaseStore& store) {
  std::string out;
  for (const char* sql : {"SELECT id, kind, key, label, first_seen, last_seen, count, attrs "
                          "FROM entities ORDER BY id",
                          "SELECT id, src, dst, kind, first_seen, last_seen, count, errors, "
                          "sample_events, attrs FROM relations ORDER BY id"}) {
    auto st = store.Prepare(sql);
    EXPECT_TRUE(st.ok());
    if (!st.ok()) return out;
    while (true) {
      auto row = st->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      for (int col = 0; col < st->ColumnCount(); ++col) {
        out += st->IsNull(col) ? "NULL" : std::string(st->Text(col));
        out += '|';
      }
      out += '\n';
    }
  }
  return out;
}

class DeriveEquivalenceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cairn-derive-eq-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Adds events [from, to) to *existing, or to a new case in a file named name (returned). Apache
  // events come from a source with a host (the second source of every case).
  std::unique_ptr<GraphCase> MakeCase(const std::string& name,
                                      const std::vector<store::Event>& events, size_t from,
                                      size_t to, GraphCase* existing = nullptr) {
    std::unique_ptr<GraphCase> created;
    GraphCase* c = existing;
    if (c == nullptr) {
      created = std::make_unique<GraphCase>((dir_ / name).string());
      c = created.get();
      web_source_ = c->AddSource("web01/access.log", "web01");
    }
    for (size_t index = from; index < to; ++index) {
      bool web = events[index].source_type == store::SourceType::kApacheAccess;
      c->Add(events[index], web ? web_source_ : 0);
    }
    return created;
  }

  std::filesystem::path dir_;
  int64_t web_source_ = 0;
};

TEST_F(DeriveEquivalenceTest, ThreadedScanGivesTheSameTablesAsOneScan) {
  auto events = MixedEvents(3000);
  auto one = MakeCase("one.cairn", events, 0, events.size());
  auto split = MakeCase("split.cairn", events, 0, events.size());
  DeriveStats one_stats, split_stats;
  ASSERT_TRUE(DeriveRelations(one->store(), &one_stats, DeriveTuning{1, 1}).ok());
  ASSERT_TRUE(DeriveRelations(split->store(), &split_stats, DeriveTuning{1, 3}).ok());
  EXPECT_EQ(one_stats.events, 3000);
  EXPECT_EQ(split_stats.events, 3000);
  EXPECT_EQ(one_stats.groups, split_stats.groups);
  std::string tables = DumpTables(one->store());
  EXPECT_GT(tables.size(), 1000u);
  EXPECT_EQ(DumpTables(split->store()), tables);

  // And again for the events that follow (incremental, merged with the stored rows).
  auto more = MixedEvents(4500);
  MakeCase("", more, 3000, more.size(), one.get());
  MakeCase("", more, 3000, more.size(), split.get());
  ASSERT_TRUE(DeriveRelations(one->store(), &one_stats, DeriveTuning{1, 1}).ok());
  ASSERT_TRUE(DeriveRelations(split->store(), &split_stats, DeriveTuning{1, 4}).ok());
  EXPECT_EQ(split_stats.events, 1500);
  EXPECT_EQ(DumpTables(split->store()), DumpTables(one->store()));
}

TEST_F(DeriveEquivalenceTest, TwoStepsGiveTheSameGraphAsOne) {
  auto events = MixedEvents(3000);
  auto once = MakeCase("once.cairn", events, 0, events.size());
  auto steps = MakeCase("steps.cairn", events, 0, 1234);
  ASSERT_TRUE(DeriveRelations(once->store()).ok());
  ASSERT_TRUE(DeriveRelations(steps->store()).ok());
  MakeCase("", events, 1234, events.size(), steps.get());
  ASSERT_TRUE(DeriveRelations(steps->store()).ok());

  auto entities = once->Entities();
  auto stepped_entities = steps->Entities();
  ASSERT_EQ(stepped_entities.size(), entities.size());
  for (size_t index = 0; index < entities.size(); ++index) {
    const auto& a = entities[index];
    const auto& b = stepped_entities[index];
    SCOPED_TRACE(a.kind + ":" + a.key);
    EXPECT_EQ(b.kind + ":" + b.key, a.kind + ":" + a.key);
    EXPECT_EQ(b.label, a.label);
    EXPECT_EQ(b.count, a.count);
    EXPECT_EQ(b.first, a.first);
    EXPECT_EQ(b.last, a.last);
    EXPECT_EQ(b.attrs, a.attrs);
  }
  auto edges = once->Edges();
  auto stepped_edges = steps->Edges();
  ASSERT_EQ(stepped_edges.size(), edges.size());
  EXPECT_GT(edges.size(), 50u);
  auto ends = [](const std::string& samples) {  // "[1,5,9]" -> "1..9"
    return samples.substr(1, samples.find_first_of(",]") - 1) + ".." +
           samples.substr(samples.find_last_of("[,") + 1,
                          samples.size() - samples.find_last_of("[,") - 2);
  };
  for (size_t index = 0; index < edges.size(); ++index) {
    const auto& a = edges[index];
    const auto& b = stepped_edges[index];
    std::string name = a.src_kind + ":" + a.src_key + " -" + a.kind + "-> " + a.dst_kind + ":" +
                       a.dst_key;
    SCOPED_TRACE(name);
    EXPECT_EQ(b.src_kind + ":" + b.src_key + " -" + b.kind + "-> " + b.dst_kind + ":" + b.dst_key,
              name);
    EXPECT_EQ(b.count, a.count);
    EXPECT_EQ(b.errors, a.errors);
    EXPECT_EQ(b.first, a.first);
    EXPECT_EQ(b.last, a.last);
    EXPECT_EQ(b.attrs, a.attrs);
    // Samples are the first and last events of the aggregated groups: a step boundary splits
    // groups, so the events in between may differ, never the relation's first and last.
    EXPECT_EQ(ends(b.samples), ends(a.samples));
  }
}

}  // namespace
}  // namespace cairn::graph
