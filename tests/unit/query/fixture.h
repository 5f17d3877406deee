#pragma once
// Small in-memory cases for the query tests, built through CaseStore::InsertEvent with the typed
// columns filled as the parsers would (engine/store/event.h contract).
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/time.h"
#include "engine/query/query.h"
#include "engine/store/case_store.h"

namespace cairn::query::testing {

class CaseBuilder {
 public:
  CaseBuilder() {
    auto s = store::CaseStore::OpenMemory();
    EXPECT_TRUE(s.ok());
    store_ = std::move(s).value();
  }
  int64_t Source(std::vector<std::string> categories, store::SourceType type,
                 const std::string& host = "") {
    store::SourceRecord src;
    src.path = "/evidence/" + std::to_string(++counter_) + ".log";
    src.size = 1;
    src.sha256 = std::to_string(counter_);
    src.format = store::SourceTypeName(type);
    src.categories = std::move(categories);
    src.host = host;
    auto id = store_->AddSource(src);
    EXPECT_TRUE(id.ok());
    src.id = *id;
    src.events = 1;
    EXPECT_TRUE(store_->FinishSource(src).ok());
    types_[*id] = type;
    return *id;
  }
  // An event; status parsed from the raw HTTP line when present.
  void Add(int64_t source, const std::string& iso_time, const std::string& raw, int status = 0,
           const std::string& error_code = "") {
    store::Event e;
    auto t = ParseIso8601(iso_time);
    EXPECT_TRUE(t.has_value()) << iso_time;
    e.time = *t;
    e.source_type = types_[source];
    e.line = ++line_;
    e.raw = raw;
    e.status = status;
    e.error_code = error_code;
    e.outcome = status >= 400 ? "failure" : (status ? "success" : "");
    EXPECT_TRUE(store_->InsertEvent(e, source).ok());
  }
  store::CaseStore& store() { return *store_; }

  QueryTable Run(const std::string& q, QueryOptions options = {}) {
    auto r = RunQueryTable(*store_, q, options);
    EXPECT_TRUE(r.ok()) << q << ": " << (r.ok() ? "" : r.error().ToString());
    if (!r.ok()) return {};
    return std::move(r).value();
  }
  Error RunError(const std::string& q, QueryOptions options = {}) {
    auto r = RunQueryTable(*store_, q, options);
    EXPECT_FALSE(r.ok()) << q;
    if (r.ok()) return Error::Internal("query unexpectedly succeeded");
    return r.error();
  }

 private:
  std::unique_ptr<store::CaseStore> store_;
  std::map<int64_t, store::SourceType> types_;
  int counter_ = 0;
  int64_t line_ = 0;
};

}  // namespace cairn::query::testing
