#pragma once
// A small, hand-built incident for the report tests (unit and browser): a key-management user
// logs in from new European addresses and disables the app's access key at 09:45; the web servers'
// uploads then fail with S3 403 InvalidAccessKeyId and Apache 502 for 20 minutes, until an admin
// re-enables the key. Some fields carry XSS payloads. Every count the tests assert follows from
// the construction below (see the comments in incident_fixture.cc).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/common/time.h"
#include "engine/geo/geo_db.h"
#include "engine/store/case_store.h"

namespace cairn::testing {

inline constexpr const char* kXssScript = "<script>alert(1)</script>";
inline constexpr const char* kXssImg = "\"><img src=x onerror=alert(1)>";

struct IncidentFacts {
  TimeMs onset = 0;                 // 09:45
  int64_t update_key_event = 0;     // events.id of the UpdateAccessKey at the onset
  int64_t console_login_event = 0;  // events.id of the actor's ConsoleLogin from the new address
  std::string console_login_event_id;  // its CloudTrail eventID
  int64_t xss_apache_event = 0;     // the Apache 502 whose path and user agent carry payloads
  // Expected report numbers without a run record (and without a time window).
  int64_t timeline_rows = 99;
  int64_t timeline_high = 64;
  int64_t timeline_medium = 27;
  int64_t timeline_low = 8;
  int64_t notable_events = 579;
  int64_t spike_total = 444;        // s3_access 403 InvalidAccessKeyId in the window
  int64_t spike_peak = 20;          // the onset minute's count
  int64_t spike_points = 24;        // 4 scattered laptop errors + 20 incident minutes
  int64_t locations = 4;            // 2 incident (GB, SE), 2 baseline (US)
  int64_t incident_locations = 2;
  int64_t sources = 4;
  int64_t total_events = 1032;
};

// Fills an empty case. Returns the facts, or aborts the test (gtest ASSERT) on store errors.
IncidentFacts BuildIncidentCase(store::CaseStore& store);

// Adds an entities/relations graph (as graph::DeriveRelations would) for the relations path.
void AddIncidentRelations(store::CaseStore& store);

// A playbook run record (the engine/playbook runner's shape) citing the fixture's events.
std::string IncidentRunRecord(const IncidentFacts& facts);

// A GeoDb that knows the fixture's networks (MaxMind test-database locations).
std::unique_ptr<geo::GeoDb> FakeGeoDb();

}  // namespace cairn::testing
