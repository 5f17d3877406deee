#include "tests/unit/report/incident_fixture.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <map>

#include "engine/common/strings.h"

// The CloudTrail records below name only the fields they set (designated initializers); GCC 12
// warns about the others although they have default member initializers.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace cairn::testing {
namespace {

using store::CaseStore;
using store::Event;
using store::SourceRecord;
using store::SourceType;

TimeMs At(int hour, int minute, int second = 0) { return MakeTimeMs(2024, 1, 19, hour, minute, second); }

std::string Clf(TimeMs t) {
  // "19/Jan/2024:09:45:00 +0000"
  std::string iso = FormatIso8601Compact(t);
  return iso.substr(8, 2) + "/Jan/2024:" + iso.substr(11, 8) + " +0000";
}

class Writer {
 public:
  Writer(CaseStore& store, const std::string& path, const std::string& format,
         const std::string& category, const std::string& host)
      : store_(store) {
    src_.path = path;
    src_.size = 0;
    src_.sha256 = std::string(64, '0');
    src_.format = format;
    src_.categories = {category};
    src_.source_name = path;
    src_.host = host;
    src_.ingested_at = MakeTimeMs(2024, 2, 1, 12, 0, 0);
    auto id = store.AddSource(src_);
    EXPECT_TRUE(id.has_value());
    src_.id = id.has_value() ? *id : 0;
  }

  int64_t Add(Event e) {
    e.line = ++line_;
    src_.size += static_cast<int64_t>(e.raw.size()) + 1;
    // A distinct, deterministic pseudo-hash per source so custody rows differ.
    digest_ = digest_ * 1099511628211ULL ^ Fnv1a(e.raw);
    auto inserted = store_.InsertEvent(e, src_.id);
    EXPECT_TRUE(inserted.has_value() && *inserted) << e.raw;
    if (src_.events == 0 || e.time < src_.first_event) src_.first_event = e.time;
    if (src_.events == 0 || e.time > src_.last_event) src_.last_event = e.time;
    ++src_.events;
    auto st = store_.Prepare("SELECT max(id) FROM events");
    EXPECT_TRUE(st.has_value());
    auto row = st->Step();
    EXPECT_TRUE(row.has_value() && *row);
    return st->Int(0);
  }

  void Finish() {
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(digest_));
    src_.sha256 = std::string(hex) + std::string(hex) + std::string(hex) + std::string(hex);
    auto st = store_.Prepare("UPDATE sources SET sha256=?, size=? WHERE id=?");
    ASSERT_TRUE(st.has_value());
    st->Bind(1, src_.sha256).Bind(2, src_.size).Bind(3, src_.id);
    ASSERT_TRUE(st->Run().has_value());
    ASSERT_TRUE(store_.FinishSource(src_).has_value());
  }

 private:
  static uint64_t Fnv1a(const std::string& s) {
    uint64_t h = 1469598103934665603ULL;
    for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
    return h;
  }

  CaseStore& store_;
  SourceRecord src_;
  int64_t line_ = 0;
  uint64_t digest_ = 7;
};

constexpr const char* kWebIp = "10.0.0.11";  // private: never located
constexpr const char* kLaptopIp = "216.160.83.57";

Event S3(TimeMs t, const std::string& bucket, const std::string& key, int status, const std::string& error,
         const std::string& ip, const std::string& requester, const std::string& ua = "aws-sdk-java/1.12") {
  Event e;
  e.time = t;
  e.source_type = SourceType::kS3Access;
  e.account = "111122223333";
  e.bucket = bucket;
  e.source_ip = ip;
  if (requester == "-") {
    e.actor_type = "Anonymous";
  } else {
    e.actor_arn = requester;
    e.actor_name = requester.substr(requester.rfind('/') + 1);
  }
  e.action = "REST.PUT.OBJECT";
  e.object_key = key;
  e.status = status;
  e.error_code = error;
  e.outcome = status >= 400 ? "failure" : "success";
  e.user_agent = ua;
  e.bytes = status >= 400 ? 243 : 0;
  static int request = 0;
  char rid[17];
  std::snprintf(rid, sizeof rid, "3E57427F%08X", ++request);
  e.request_id = rid;
  e.raw = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be " + bucket + " [" + Clf(t) + "] " +
          ip + " " + requester + " " + rid + " REST.PUT.OBJECT " + key + " \"PUT /" + bucket + "/" + key +
          " HTTP/1.1\" " + std::to_string(status) + " " + (error.empty() ? "-" : error) + " " +
          std::to_string(e.bytes) + " 524288 38 - \"-\" \"" + ua + "\" - s9lzHYrFp76ZVxRcpX9+5cjAnEH2ROuNkd2BHfIa6UkFVdtjf5mKR3/eTPFvsiP/XV/VLi31234= SigV4 ECDHE-RSA-AES128-GCM-SHA256 AuthHeader " +
          bucket + ".s3.amazonaws.com TLSv1.2";
  return e;
}

Event Apache(TimeMs t, const std::string& method, const std::string& path, int status,
             const std::string& ua = "Mozilla/5.0 (X11; Linux x86_64)") {
  Event e;
  e.time = t;
  e.source_type = SourceType::kApacheAccess;
  e.source_ip = "198.51.100.23";
  e.action = method;
  e.object_key = path;
  e.status = status;
  e.bytes = status >= 500 ? 381 : 1234;
  e.user_agent = ua;
  e.host = "web1";
  e.outcome = status >= 500 ? "failure" : "success";
  e.raw = "198.51.100.23 - - [" + Clf(t) + "] \"" + method + " " + path + " HTTP/1.1\" " + std::to_string(status) +
          " " + std::to_string(e.bytes) + " \"https://photos.example.com/\" \"" + ua + "\"";
  return e;
}

struct CtArgs {
  std::string name;
  std::string source = "iam.amazonaws.com";
  std::string user;
  std::string ip;
  bool read_only = false;
  std::string category = "Management";
  std::string key_acted_on;
  std::string target_user;
  std::string error;
  std::string ua = "aws-cli/2.15.0 Python/3.11";
  std::string event_id;
};

Event CloudTrail(TimeMs t, const CtArgs& a) {
  Event e;
  e.time = t;
  e.source_type = SourceType::kCloudTrail;
  e.actor_arn = "arn:aws:iam::111122223333:user/" + a.user;
  e.actor_type = "IAMUser";
  e.actor_name = a.user;
  e.access_key = a.user == "key-manager" ? "AKIAKEYMANAGER00001" : (a.user == "app-user" ? "AKIAAPPKEY000000001" : "");
  e.action = a.name;
  e.resource = a.key_acted_on;
  e.target_user = a.target_user;
  e.outcome = a.error.empty() ? "success" : "failure";
  e.error_code = a.error;
  e.source_ip = a.ip;
  e.user_agent = a.ua;
  e.region = "us-east-1";
  e.account = "111122223333";
  e.event_id = a.event_id;
  e.request_id = "req-" + a.event_id;
  std::string ua_json = JsonQuote(a.ua);
  std::string params = "null";
  if (!a.key_acted_on.empty()) {
    params = "{\"accessKeyId\":\"" + a.key_acted_on + "\",\"userName\":\"" + a.target_user + "\"}";
  } else if (!a.target_user.empty()) {
    params = "{\"userName\":\"" + a.target_user + "\"}";
  }
  e.raw = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":\"AIDA" + a.user +
          "\",\"arn\":\"" + e.actor_arn + "\",\"accountId\":\"111122223333\",\"userName\":\"" + a.user +
          "\"},\"eventTime\":\"" + FormatIso8601Compact(t) + "\",\"eventSource\":\"" + a.source +
          "\",\"eventName\":\"" + a.name + "\",\"awsRegion\":\"us-east-1\",\"sourceIPAddress\":\"" + a.ip +
          "\",\"userAgent\":" + ua_json + ",\"requestParameters\":" + params +
          (a.error.empty() ? "" : ",\"errorCode\":\"" + a.error + "\",\"errorMessage\":\"not authorized\"") +
          ",\"requestID\":\"req-" + a.event_id + "\",\"eventID\":\"" + a.event_id + "\",\"readOnly\":" +
          (a.read_only ? "true" : "false") + ",\"eventType\":\"AwsApiCall\",\"managementEvent\":" +
          (a.category == "Data" ? "false" : "true") + ",\"recipientAccountId\":\"111122223333\",\"eventCategory\":\"" +
          a.category + "\"}";
  return e;
}

class FakeGeo final : public geo::GeoDb {
 public:
  Result<geo::Location> Lookup(std::string_view ip) const override {
    geo::Location loc;
    auto starts = [&](const char* prefix) { return ip.substr(0, std::string_view(prefix).size()) == prefix; };
    if (starts("216.160.83.")) {
      Set(&loc, 47.2513, -122.3149, "US", "United States", "Milton");
    } else if (starts("81.2.69.")) {
      Set(&loc, 51.5142, -0.0931, "GB", "United Kingdom", "London");
    } else if (starts("89.160.20.")) {
      Set(&loc, 58.4167, 15.6167, "SE", "Sweden", "Linköping");
    }
    return loc;
  }
  std::string Description() const override { return "fixture GeoIP (MaxMind test locations)"; }
  std::vector<std::string> Paths() const override { return {}; }

 private:
  static void Set(geo::Location* loc, double lat, double lon, const char* cc, const char* country,
                  const char* city) {
    loc->found = true;
    loc->latitude = lat;
    loc->longitude = lon;
    loc->country_code = cc;
    loc->country_name = country;
    loc->city = city;
  }
};

}  // namespace

IncidentFacts BuildIncidentCase(CaseStore& store) {
  IncidentFacts facts;
  facts.onset = At(9, 45);
  EXPECT_TRUE(store.Begin().has_value());

  // --- S3 server access log: 300 uploads (200), 5 NoSuchKey (404), 4 laptop 403s, 440 spike 403s.
  {
    Writer s3(store, "logs/s3/photos-access.log", "s3_access", "S3/Access", "");
    for (int m = 0; m < 150; ++m) {
      TimeMs t = At(8, 0) + m * 60000LL;
      s3.Add(S3(t + 5000, "photos-a", "u/" + std::to_string(m) + ".jpg", 200, "", kWebIp, "arn:aws:iam::111122223333:user/app-user"));
      s3.Add(S3(t + 9000, "photos-b", "u/" + std::to_string(m) + ".jpg", 200, "", kWebIp, "arn:aws:iam::111122223333:user/app-user"));
    }
    for (int minute : {7, 37, 67, 97, 127}) {  // 08:07, 08:37, 09:07, 09:37, 10:07
      s3.Add(S3(At(8, 0) + minute * 60000LL + 20000, "photos-a", "missing.jpg", 404, "NoSuchKey", kWebIp,
                "arn:aws:iam::111122223333:user/app-user"));
    }
    for (int minute : {10, 40, 65, 90}) {  // 08:10, 08:40, 09:05, 09:30: a mistyped key, one a minute
      s3.Add(S3(At(8, 0) + minute * 60000LL + 30000, "photos-a", "test.txt", 403, "InvalidAccessKeyId",
                kLaptopIp, "-", "aws-cli/2.15.0"));
    }
    // 09:45..10:04: 20 + (i % 5) per minute over two buckets (sum 440); the first carries payloads.
    for (int i = 0; i < 20; ++i) {
      TimeMs t = At(9, 45) + i * 60000LL;
      int n = 20 + (i % 5);
      for (int k = 0; k < n; ++k) {
        std::string key = (i == 0 && k == 0) ? std::string("</script><script>alert(1)</script>.jpg")
                                             : "u/" + std::to_string(i) + "-" + std::to_string(k) + ".jpg";
        s3.Add(S3(t + 1000 + k * 100, k % 2 == 0 ? "photos-a" : "photos-b", key, 403, "InvalidAccessKeyId",
                  kWebIp, "-", i == 0 && k == 0 ? kXssScript : "aws-sdk-java/1.12"));
      }
    }
    s3.Finish();
  }

  // --- Apache access log: 150 uploads (200), then 5 x 502 per minute for 20 minutes (100).
  {
    Writer web(store, "logs/web1/access.log", "apache_access", "Apache/Access", "web1");
    for (int m = 0; m < 150; ++m) web.Add(Apache(At(8, 0) + m * 60000LL + 2000, "POST", "/upload", 200));
    for (int i = 0; i < 20; ++i) {
      for (int k = 0; k < 5; ++k) {
        TimeMs t = At(9, 45) + i * 60000LL + 3000 + k * 1000;
        if (i == 1 && k == 0) {
          facts.xss_apache_event = web.Add(Apache(t, "POST", std::string("/upload/") + kXssImg, 502, kXssScript));
        } else {
          web.Add(Apache(t, "POST", "/upload", 502));
        }
      }
    }
    web.Finish();
  }

  // --- Apache error log: one proxy error per minute during the incident (20).
  {
    Writer err(store, "logs/web1/error.log", "apache_error", "Apache/Error", "web1");
    for (int i = 0; i < 20; ++i) {
      Event e;
      e.time = At(9, 45) + i * 60000LL + 4000;
      e.source_type = SourceType::kApacheError;
      e.action = "proxy:error";
      e.error_code = "AH00957";
      e.source_ip = "198.51.100.23";
      e.raw = "[" + FormatIso8601Compact(e.time) + "] [proxy:error] [pid 2211] (111)Connection refused: "
              "AH00957: HTTP: attempt to connect to 127.0.0.1:8080 (uploader) failed";
      err.Add(e);
    }
    err.Finish();
  }

  // --- CloudTrail: 13 records; 10 are notable (9 management rows + 1 failure).
  {
    Writer ct(store, "logs/cloudtrail/111122223333_CloudTrail_us-east-1.json", "cloudtrail", "AWS/CloudTrail", "");
    auto add = [&](TimeMs t, CtArgs a) { return ct.Add(CloudTrail(t, a)); };
    add(At(8, 15), {.name = "ConsoleLogin", .source = "signin.amazonaws.com", .user = "admin-alice",
                    .ip = "216.160.83.58", .event_id = "ev-01"});
    add(At(8, 30), {.name = "ListAccessKeys", .user = "key-manager", .ip = "216.160.83.56", .read_only = true,
                    .event_id = "ev-02"});
    add(At(8, 31), {.name = "CreateAccessKey", .user = "key-manager", .ip = "216.160.83.56",
                    .key_acted_on = "AKIAROTATED00000001", .target_user = "ci-bot", .event_id = "ev-03"});
    add(At(9, 0), {.name = "PutObject", .source = "s3.amazonaws.com", .user = "app-user", .ip = kWebIp,
                   .category = "Data", .event_id = "ev-04"});
    add(At(9, 1), {.name = "DescribeInstances", .source = "ec2.amazonaws.com", .user = "admin-alice",
                   .ip = "216.160.83.58", .read_only = true, .event_id = "ev-05"});
    facts.console_login_event = add(At(9, 40), {.name = "ConsoleLogin", .source = "signin.amazonaws.com",
                                                .user = "key-manager", .ip = "81.2.69.142", .ua = kXssScript,
                                                .event_id = "ev-06"});
    facts.console_login_event_id = "ev-06";
    add(At(9, 41), {.name = "ListUsers", .user = "key-manager", .ip = "81.2.69.142", .read_only = true,
                    .event_id = "ev-07"});
    add(At(9, 42), {.name = "ListAccessKeys", .user = "key-manager", .ip = "81.2.69.142", .read_only = true,
                    .event_id = "ev-08"});
    facts.update_key_event = add(At(9, 45, 10), {.name = "UpdateAccessKey", .user = "key-manager", .ip = "81.2.69.142",
                                                 .key_acted_on = "AKIAAPPKEY000000001", .target_user = "app-user",
                                                 .event_id = "ev-09"});
    add(At(9, 47), {.name = "UpdateAccessKey", .user = "key-manager", .ip = "89.160.20.115",
                    .key_acted_on = "AKIAOTHERKEY0000001", .target_user = "bob", .event_id = "ev-10"});
    add(At(9, 48), {.name = "DeleteUser", .user = "key-manager", .ip = "89.160.20.115", .target_user = "bob",
                    .error = "AccessDenied", .event_id = "ev-11"});
    add(At(10, 5), {.name = "UpdateAccessKey", .user = "admin-alice", .ip = "216.160.83.58",
                    .key_acted_on = "AKIAAPPKEY000000001", .target_user = "app-user", .event_id = "ev-12"});
    add(At(9, 44), {.name = "AssumeRole", .source = "sts.amazonaws.com", .user = "app-user", .ip = kWebIp,
                    .event_id = "ev-13"});
    ct.Finish();
  }
  EXPECT_TRUE(store.Commit().has_value());
  return facts;
}

void AddIncidentRelations(CaseStore& store) {
  std::string sql =
      "INSERT INTO entities(id, kind, key, label, first_seen, last_seen, count) VALUES "
      "(1,'principal','arn:aws:iam::111122223333:user/key-manager','key-manager'," + std::to_string(At(8, 30)) + "," +
      std::to_string(At(9, 48)) + ",8),"
      "(2,'ip','81.2.69.142','81.2.69.142'," + std::to_string(At(9, 40)) + "," + std::to_string(At(9, 45)) + ",4),"
      "(3,'access_key','AKIAAPPKEY000000001','AKIAAPPKEY000000001'," + std::to_string(At(8, 0)) + "," +
      std::to_string(At(10, 5)) + ",900),"
      "(4,'principal','arn:aws:iam::111122223333:user/app-user','app-user'," + std::to_string(At(8, 0)) + "," +
      std::to_string(At(10, 29)) + ",900),"
      "(5,'bucket','photos-a','photos-a'," + std::to_string(At(8, 0)) + "," + std::to_string(At(10, 29)) + ",500),"
      "(6,'ip','216.160.83.56','216.160.83.56'," + std::to_string(At(8, 30)) + "," + std::to_string(At(8, 31)) + ",2),"
      "(7,'bucket','unrelated-logs','unrelated-logs'," + std::to_string(At(8, 0)) + "," + std::to_string(At(8, 5)) + ",3);"
      "INSERT INTO relations(src, dst, kind, first_seen, last_seen, count, errors) VALUES "
      "(1,2,'from_ip'," + std::to_string(At(9, 40)) + "," + std::to_string(At(9, 45)) + ",4,0),"
      "(1,3,'changed_key'," + std::to_string(At(9, 45)) + "," + std::to_string(At(9, 45)) + ",1,0),"
      "(4,3,'owns_key'," + std::to_string(At(8, 0)) + "," + std::to_string(At(10, 5)) + ",1,0),"
      "(3,5,'accessed'," + std::to_string(At(8, 0)) + "," + std::to_string(At(10, 4)) + ",520,220),"
      "(1,6,'from_ip'," + std::to_string(At(8, 30)) + "," + std::to_string(At(8, 31)) + ",2,0),"
      "(4,7,'accessed'," + std::to_string(At(8, 0)) + "," + std::to_string(At(8, 5)) + ",3,0);";
  ASSERT_TRUE(store.Exec(sql).has_value());
}

std::string IncidentRunRecord(const IncidentFacts& facts) {
  return std::string(R"J({
  "playbook": "credential-compromise",
  "title": "Credential compromise",
  "verdict": "malicious",
  "confidence": 0.9,
  "reasons": ["The key was disabled from an address never seen for this user."],
  "evidence_for": [
    {"signal": "new_location", "supports": "malicious", "weight": 2,
     "sentence": "key-manager acted from 81.2.69.142 (London, GB), never seen before"}
  ],
  "evidence_against": [],
  "signals": {"new_location": true, "usual_hours": false},
  "findings": [
    {"id": "change-at-onset", "severity": "high", "title": "Access key disabled at the spike onset",
     "sentence": "key-manager disabled AKIAAPPKEY000000001 (app-user) at 09:45:10Z, the minute the 403s began",
     "evidence": [{"event_id": )J") +
         std::to_string(facts.update_key_event) + R"J(, "time": "2024-01-19T09:45:10Z", "source": "cloudtrail",
                   "action": "UpdateAccessKey", "note": ")J" + std::string("<b>bold</b>") + R"J("}],
     "steps": ["changes_near_onset"]},
    {"id": "new-location", "severity": "high", "title": "Console login from a new country",
     "sentence": "key-manager logged in from GB for the first time",
     "evidence": [{"eventID": ")J" + facts.console_login_event_id + R"J("}],
     "steps": ["actor_locations", "actor_history"]},
    {"id": "spike", "severity": "medium", "title": "Upload failures",
     "sentence": "S3 403 InvalidAccessKeyId from 09:45",
     "evidence": [{"event_id": 99999999, "source": "s3_access"}],
     "steps": ["spike_onset"]}
  ],
  "entities": {"actor": "key-manager", "key": "AKIAAPPKEY000000001", "addresses": ["81.2.69.142", "89.160.20.115"]},
  "actions": ["Revoke key-manager's sessions and keys", "Re-enable or rotate AKIAAPPKEY000000001"],
  "steps": [
    {"id": "spike_onset", "kind": "correlator", "correlator": "spike_onset", "duration_ms": 4,
     "output": {"onset": "2024-01-19T09:45:00Z", "series": "s3 403"}},
    {"id": "changes_near_onset", "kind": "query", "query": "_sourceCategory=AWS/CloudTrail | where action matches \"Update*\"",
     "duration_ms": 12, "output": [{"a": 1}, {"a": 2}]},
    {"id": "actor_locations", "kind": "query", "query": "... | lookup latitude, longitude", "output": [1, 2, 3]},
    {"id": "actor_history", "kind": "graph", "walk": "blast-radius", "skipped": true}
  ]
})J";
}

std::unique_ptr<geo::GeoDb> FakeGeoDb() { return std::make_unique<FakeGeo>(); }

}  // namespace cairn::testing
