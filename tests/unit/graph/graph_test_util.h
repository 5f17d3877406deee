#pragma once
// Helpers of the graph tests: a case in memory, event builders and readers of the graph tables.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/store/case_store.h"

namespace cairn::graph::testutil {

inline constexpr const char* kAccount = "111122223333";

// A relation as stored, with both ends named by (kind, key).
struct EdgeRow {
  std::string src_kind, src_key, kind, dst_kind, dst_key;
  int64_t count = 0, errors = 0;
  TimeMs first = 0, last = 0;
  std::string samples, attrs;
};

struct EntityRow {
  std::string kind, key, label;
  int64_t count = 0;
  TimeMs first = 0, last = 0;
  std::string attrs;
};

class GraphCase {
 public:
  GraphCase() {
    auto opened = store::CaseStore::OpenMemory();
    EXPECT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    source_id_ = AddSource("events.json", "");
  }
  // A case in a file (created), for what needs more than one connection.
  explicit GraphCase(const std::string& path) {
    auto opened = store::CaseStore::Open(path, store::CaseStore::Mode::kCreate);
    EXPECT_TRUE(opened.ok());
    store_ = std::move(opened).value();
    source_id_ = AddSource("events.json", "");
  }

  store::CaseStore& store() { return *store_; }

  int64_t AddSource(const std::string& path, const std::string& host) {
    store::SourceRecord src;
    src.path = path;
    src.sha256 = path + "-sha";
    src.format = "test";
    src.host = host;
    auto id = store_->AddSource(src);
    EXPECT_TRUE(id.ok());
    return id.ok() ? *id : 0;
  }

  // Inserts the event, returns its events.id.
  int64_t Add(const store::Event& event, int64_t source_id = 0) {
    auto inserted = store_->InsertEvent(event, source_id ? source_id : source_id_);
    EXPECT_TRUE(inserted.ok() && *inserted);
    auto st = store_->Prepare("SELECT max(id) FROM events");
    EXPECT_TRUE(st.ok());
    EXPECT_TRUE(st->Step().ok());
    return st->Int(0);
  }

  std::vector<EdgeRow> Edges() {
    std::vector<EdgeRow> out;
    auto st = store_->Prepare(
        "SELECT s.kind, s.key, r.kind, d.kind, d.key, r.count, r.errors, r.first_seen, "
        "r.last_seen, r.sample_events, COALESCE(r.attrs, '') FROM relations r "
        "JOIN entities s ON s.id = r.src JOIN entities d ON d.id = r.dst "
        "ORDER BY s.kind, s.key, r.kind, d.kind, d.key");
    EXPECT_TRUE(st.ok());
    while (true) {
      auto row = st->Step();
      EXPECT_TRUE(row.ok());
      if (!row.ok() || !*row) break;
      EdgeRow e;
      e.src_kind = std::string(st->Text(0));
      e.src_key = std::string(st->Text(1));
      e.kind = std::string(st->Text(2));
      e.dst_kind = std::string(st->Text(3));
      e.dst_key = std::string(st->Text(4));
      e.count = st->Int(5);
      e.errors = st->Int(6);
      e.first = st->Int(7);
      e.last = st->Int(8);
      e.samples = std::string(st->Text(9));
      e.attrs = std::string(st->Text(10));
      out.push_back(std::move(e));
    }
    return out;
  }

  // "src_kind:src_key -kind-> dst_kind:dst_key" for every relation, sorted.
  std::vector<std::string> EdgeNames() {
    std::vector<std::string> out;
    for (const auto& e : Edges()) {
      out.push_back(e.src_kind + ":" + e.src_key + " -" + e.kind + "-> " + e.dst_kind + ":" +
                    e.dst_key);
    }
    return out;
  }

  std::optional<EdgeRow> FindEdge(const std::string& src_key, const std::string& kind,
                                  const std::string& dst_key) {
    for (auto& e : Edges()) {
      if (e.src_key == src_key && e.kind == kind && e.dst_key == dst_key) return e;
    }
    return std::nullopt;
  }

  std::vector<EntityRow> Entities() {
    std::vector<EntityRow> out;
    auto st = store_->Prepare(
        "SELECT kind, key, COALESCE(label, ''), count, first_seen, last_seen, COALESCE(attrs, '') "
        "FROM entities ORDER BY kind, key");
    EXPECT_TRUE(st.ok());
    while (true) {
      auto row = st->Step();
      if (!row.ok() || !*row) break;
      EntityRow e;
      e.kind = std::string(st->Text(0));
      e.key = std::string(st->Text(1));
      e.label = std::string(st->Text(2));
      e.count = st->Int(3);
      e.first = st->Int(4);
      e.last = st->Int(5);
      e.attrs = std::string(st->Text(6));
      out.push_back(std::move(e));
    }
    return out;
  }

  std::vector<std::string> EntityNames() {
    std::vector<std::string> out;
    for (const auto& e : Entities()) out.push_back(e.kind + ":" + e.key);
    return out;
  }

  std::optional<EntityRow> FindEntity(const std::string& kind, const std::string& key) {
    for (auto& e : Entities()) {
      if (e.kind == kind && e.key == key) return e;
    }
    return std::nullopt;
  }

 private:
  std::unique_ptr<store::CaseStore> store_;
  int64_t source_id_ = 0;
};

// A CloudTrail event by an IAM user of kAccount.
inline store::Event UserEvent(TimeMs t, const std::string& user, const std::string& key,
                              const std::string& ip, const std::string& action = "GetObject") {
  store::Event e;
  e.time = t;
  e.source_type = store::SourceType::kCloudTrail;
  e.raw = "{\"eventName\":\"" + action + "\",\"t\":" + std::to_string(t) + ",\"u\":\"" + user +
          "\"}";
  e.actor_arn = std::string("arn:aws:iam::") + kAccount + ":user/" + user;
  e.actor_type = "IAMUser";
  e.actor_name = user;
  e.access_key = key;
  e.action = action;
  e.source_ip = ip;
  e.account = kAccount;
  e.outcome = "success";
  return e;
}

inline store::Event Failed(store::Event e, const std::string& error_code) {
  e.outcome = "failure";
  e.error_code = error_code;
  e.raw += " ";  // distinct content
  return e;
}

}  // namespace cairn::graph::testutil
