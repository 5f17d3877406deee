#include "engine/sim/simulator.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "engine/common/time.h"
#include "tests/testing/testing.h"

namespace cairn::sim {
namespace {

namespace fs = std::filesystem;
using cairn::testing::ReadFile;
using cairn::testing::TempDir;
using nlohmann::json;

std::string Gunzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 32), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  std::string out;
  char buf[65536];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

// Splits an S3 server access log line into fields: space separated, "quoted" and [bracketed]
// fields kept whole (without their delimiters).
std::vector<std::string> S3Fields(const std::string& line) {
  std::vector<std::string> fields;
  size_t pos = 0;
  while (pos < line.size()) {
    if (line[pos] == ' ') {
      ++pos;
      continue;
    }
    char close = ' ';
    if (line[pos] == '"') close = '"';
    if (line[pos] == '[') close = ']';
    const size_t start = close == ' ' ? pos : pos + 1;
    size_t end = line.find(close, start);
    if (end == std::string::npos) end = line.size();
    fields.push_back(line.substr(start, end - start));
    pos = end + 1;
  }
  return fields;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    lines.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

// Everything a run wrote, decoded.
struct Evidence {
  json answer;
  std::vector<json> records;                        // all CloudTrail records
  std::vector<std::string> cloudtrail_files;        // relative paths
  std::vector<std::string> cloudtrail_bodies;       // decompressed
  std::map<std::string, std::vector<std::string>> s3_lines;  // bucket -> lines
  std::vector<std::string> s3_objects;              // object names
  std::map<std::string, std::vector<std::string>> access_lines, error_lines;  // host -> lines
};

Evidence Load(const fs::path& root) {
  Evidence ev;
  ev.answer = json::parse(ReadFile(root / "answer.json"));
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& path : files) {
    const std::string rel = fs::relative(path, root).string();
    if (rel.rfind("AWSLogs/", 0) == 0) {
      ev.cloudtrail_files.push_back(rel);
      ev.cloudtrail_bodies.push_back(Gunzip(ReadFile(path)));
      const json doc = json::parse(ev.cloudtrail_bodies.back());
      for (const auto& record : doc["Records"]) ev.records.push_back(record);
    } else if (rel.rfind("s3-access/", 0) == 0) {
      ev.s3_objects.push_back(path.filename().string());
      for (auto& line : Lines(ReadFile(path))) ev.s3_lines[path.parent_path().filename().string()].push_back(line);
    } else if (rel.rfind("apache/", 0) == 0) {
      auto& target = path.filename() == "access_log" ? ev.access_lines : ev.error_lines;
      target[path.parent_path().filename().string()] = Lines(ReadFile(path));
    }
  }
  return ev;
}

SimOptions Options(const fs::path& out, Variant variant, uint64_t seed, int days = 2) {
  SimOptions options;
  options.variant = variant;
  options.seed = seed;
  options.days = days;
  options.rate = 2.0;
  options.out_dir = out.string();
  return options;
}

std::map<std::string, std::string> Snapshot(const fs::path& root) {
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file()) files[fs::relative(entry.path(), root).string()] = ReadFile(entry.path());
  }
  return files;
}

// Shared runs: generating takes a moment, so each variant is generated once per test binary.
class SimulatorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    malicious_dir_ = new TempDir();
    benign_dir_ = new TempDir();
    auto m = Simulate(Options(malicious_dir_->path(), Variant::kMalicious, 11));
    ASSERT_TRUE(m.has_value()) << m.error().ToString();
    malicious_stats_ = new SimStats(*m);
    auto b = Simulate(Options(benign_dir_->path(), Variant::kBenign, 11));
    ASSERT_TRUE(b.has_value()) << b.error().ToString();
    malicious_ = new Evidence(Load(malicious_dir_->path()));
    benign_ = new Evidence(Load(benign_dir_->path()));
  }
  static void TearDownTestSuite() {
    delete malicious_;
    delete benign_;
    delete malicious_stats_;
    delete malicious_dir_;
    delete benign_dir_;
  }

  static TempDir* malicious_dir_;
  static TempDir* benign_dir_;
  static Evidence* malicious_;
  static Evidence* benign_;
  static SimStats* malicious_stats_;
};
TempDir* SimulatorTest::malicious_dir_ = nullptr;
TempDir* SimulatorTest::benign_dir_ = nullptr;
Evidence* SimulatorTest::malicious_ = nullptr;
Evidence* SimulatorTest::benign_ = nullptr;
SimStats* SimulatorTest::malicious_stats_ = nullptr;

const json* FindEvent(const Evidence& ev, const std::string& event_id) {
  for (const auto& r : ev.records) {
    if (r.value("eventID", "") == event_id) return &r;
  }
  return nullptr;
}

// Per-minute counts of S3 403 InvalidAccessKeyId lines (minute ISO -> count).
std::map<std::string, int> InvalidKeyPerMinute(const Evidence& ev) {
  std::map<std::string, int> counts;
  for (const auto& [bucket, lines] : ev.s3_lines) {
    for (const auto& line : lines) {
      const auto f = S3Fields(line);
      if (f[9] != "403" || f[10] != "InvalidAccessKeyId") continue;
      const auto t = ParseClfTime(f[2]);
      EXPECT_TRUE(t.has_value()) << f[2];
      counts[FormatIso8601Compact(*t - *t % 60000)]++;
    }
  }
  return counts;
}

TEST(SimulatorDeterminismTest, SameSeedGivesIdenticalBytes) {
  TempDir a, b;
  ASSERT_TRUE(Simulate(Options(a.path(), Variant::kMalicious, 5, 1)).has_value());
  ASSERT_TRUE(Simulate(Options(b.path(), Variant::kMalicious, 5, 1)).has_value());
  const auto first = Snapshot(a.path());
  const auto second = Snapshot(b.path());
  ASSERT_GT(first.size(), 100u);
  EXPECT_TRUE(first == second);
}

TEST(SimulatorDeterminismTest, DifferentSeedsChangeNamesAndOnset) {
  TempDir a, b;
  ASSERT_TRUE(Simulate(Options(a.path(), Variant::kMalicious, 1, 1)).has_value());
  ASSERT_TRUE(Simulate(Options(b.path(), Variant::kMalicious, 2, 1)).has_value());
  const json x = json::parse(ReadFile(a.path() / "answer.json"));
  const json y = json::parse(ReadFile(b.path() / "answer.json"));
  EXPECT_NE(x["account"], y["account"]);
  EXPECT_NE(x["onset_minute"], y["onset_minute"]);
  EXPECT_NE(x["affected_buckets"], y["affected_buckets"]);
  EXPECT_NE(x["affected_key"]["access_key_id"], y["affected_key"]["access_key_id"]);
  EXPECT_NE(x["credential_change"]["event_id"], y["credential_change"]["event_id"]);
}

TEST(SimulatorOptionsTest, RejectsBadOptionsAndNonEmptyDirectory) {
  TempDir dir;
  SimOptions options = Options(dir.path(), Variant::kMalicious, 1, 0);
  auto r = Simulate(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  options.days = 1;
  options.rate = 0;
  r = Simulate(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);

  cairn::testing::WriteFile(dir.path() / "notes.txt", "keep me");
  options.rate = 1;
  r = Simulate(options);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument);
  options.overwrite = true;
  ASSERT_TRUE(Simulate(options).has_value());
  ASSERT_TRUE(Simulate(options).has_value());  // a second run replaces the first
  EXPECT_EQ(ReadFile(dir.path() / "notes.txt"), "keep me");
  const json answer = json::parse(ReadFile(dir.path() / "answer.json"));
  EXPECT_EQ(answer["event_counts"]["s3_access"].get<int64_t>(), [&] {
    int64_t n = 0;
    for (const auto& [b, lines] : Load(dir.path()).s3_lines) n += static_cast<int64_t>(lines.size());
    return n;
  }());
}

TEST_F(SimulatorTest, CloudTrailFilesFollowTheDeliveryLayout) {
  const Evidence& ev = *malicious_;
  const std::string account = ev.answer["account"];
  const std::regex name("AWSLogs/" + account + "/CloudTrail/([a-z0-9-]+)/(\\d{4})/(\\d{2})/(\\d{2})/" + account +
                        "_CloudTrail_([a-z0-9-]+)_(\\d{4})(\\d{2})(\\d{2})T\\d{4}Z_[A-Za-z0-9]{16}\\.json\\.gz");
  ASSERT_GT(ev.cloudtrail_files.size(), 100u);
  std::set<std::string> regions;
  for (const auto& file : ev.cloudtrail_files) {
    std::smatch m;
    ASSERT_TRUE(std::regex_match(file, m, name)) << file;
    EXPECT_EQ(m[1], m[5]);
    EXPECT_EQ(m[2].str() + m[3].str() + m[4].str(), m[6].str() + m[7].str() + m[8].str());
    regions.insert(m[1]);
  }
  EXPECT_TRUE(regions.count("us-east-1"));
  EXPECT_TRUE(regions.count(ev.answer["region"].get<std::string>()));
  // Compact, no final newline; gzip members with mtime 0.
  for (const auto& body : ev.cloudtrail_bodies) {
    ASSERT_EQ(body.rfind("{\"Records\":[", 0), 0u);
    ASSERT_EQ(body.back(), '}');
    ASSERT_EQ(body.find('\n'), std::string::npos);
  }
  const std::string gz = ReadFile(malicious_dir_->path() / ev.cloudtrail_files[0]);
  ASSERT_GT(gz.size(), 10u);
  EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
  EXPECT_EQ(gz.substr(4, 4), std::string(4, '\0'));  // mtime
  EXPECT_EQ(gz[3] & 0x08, 0);                         // no file name
  // Records inside at least one file are not in time order.
  bool unordered = false;
  for (const auto& body : ev.cloudtrail_bodies) {
    std::string last;
    const json doc = json::parse(body);
    for (const auto& r : doc["Records"]) {
      const std::string t = r["eventTime"];
      if (t < last) unordered = true;
      last = t;
    }
  }
  EXPECT_TRUE(unordered);
}

TEST_F(SimulatorTest, CloudTrailRecordsHaveTheRealSchema) {
  const Evidence& ev = *malicious_;
  std::set<std::string> types, names, service_ips;
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> ids;
  for (const auto& r : ev.records) {
    for (const char* field : {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
                              "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "eventID",
                              "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory"}) {
      ASSERT_TRUE(r.contains(field)) << field << " missing in " << r.dump();
    }
    EXPECT_TRUE(std::regex_match(r["eventID"].get<std::string>(), uuid));
    EXPECT_TRUE(ids.insert(r["eventID"]).second) << "duplicate eventID";
    EXPECT_TRUE(ParseIso8601(r["eventTime"].get<std::string>()).has_value());
    types.insert(r["userIdentity"]["type"]);
    names.insert(r["eventName"]);
    const std::string ip = r["sourceIPAddress"];
    if (ip.find("amazonaws.com") != std::string::npos) service_ips.insert(ip);
    if (r["userIdentity"]["type"] == "AssumedRole") {
      EXPECT_EQ(r["userIdentity"]["sessionContext"]["sessionIssuer"]["type"], "Role");
    }
    if (r["userIdentity"].contains("accessKeyId")) {
      EXPECT_TRUE(std::regex_match(r["userIdentity"]["accessKeyId"].get<std::string>(),
                                   std::regex("(AKIA|ASIA)[A-Z0-9]{16}")));
    }
  }
  EXPECT_EQ(types, (std::set<std::string>{"AWSService", "AssumedRole", "IAMUser"}));
  for (const char* name : {"ConsoleLogin", "AssumeRole", "ListUsers", "ListAccessKeys", "DescribeInstances",
                           "PutObject", "GetObject", "UpdateAccessKey", "CreateAccessKey", "GenerateDataKey"}) {
    EXPECT_TRUE(names.count(name)) << name;
  }
  EXPECT_TRUE(service_ips.count("s3.amazonaws.com"));
  EXPECT_TRUE(service_ips.count("ec2.amazonaws.com"));
  EXPECT_TRUE(service_ips.count("config.amazonaws.com"));
}

TEST_F(SimulatorTest, S3LinesHaveEveryAwsField) {
  const Evidence& ev = *malicious_;
  const std::regex object_name("\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9A-F]{16}");
  for (const auto& name : ev.s3_objects) EXPECT_TRUE(std::regex_match(name, object_name)) << name;
  EXPECT_GT(ev.s3_objects.size(), 50u);
  std::set<std::string> codes;
  for (const auto& [bucket, lines] : ev.s3_lines) {
    for (const auto& line : lines) {
      const auto f = S3Fields(line);
      ASSERT_EQ(f.size(), 26u) << line;  // bucket owner .. aclRequired
      EXPECT_EQ(f[1], bucket);
      EXPECT_TRUE(ParseClfTime(f[2]).has_value()) << f[2];
      EXPECT_TRUE(std::regex_match(f[5], std::regex("[0-9A-F]{16}")));
      EXPECT_NE(f[8].find(" HTTP/1.1"), std::string::npos);
      codes.insert(f[9] + " " + f[10]);
    }
  }
  for (const char* code : {"200 -", "404 NoSuchKey", "403 AccessDenied", "403 InvalidAccessKeyId"}) {
    EXPECT_TRUE(codes.count(code)) << code;
  }
}

TEST_F(SimulatorTest, ApacheLogsAreCombinedAndErrorLog24) {
  const Evidence& ev = *malicious_;
  const std::regex combined(
      R"(\S+ - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "[A-Z]+ \S+ HTTP/1\.[01]" \d{3} (\d+|-) "[^"]*" "[^"]*")");
  const std::regex error24(
      R"(\[\w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2}\.\d{6} \d{4}\] \[\w+:\w+\] \[pid \d+:tid \d+\] .+)");
  ASSERT_EQ(ev.access_lines.size(), ev.answer["affected_hosts"].size());
  ASSERT_GE(ev.access_lines.size(), 3u);
  int upload_5xx = 0;
  for (const auto& [host, lines] : ev.access_lines) {
    for (const auto& line : lines) {
      ASSERT_TRUE(std::regex_match(line, combined)) << line;
      if (line.find("\"POST /api/upload HTTP/1.1\" 50") != std::string::npos) ++upload_5xx;
    }
  }
  EXPECT_GT(upload_5xx, 5);
  int upstream = 0;
  for (const auto& [host, lines] : ev.error_lines) {
    for (const auto& line : lines) {
      ASSERT_TRUE(std::regex_match(line, error24)) << line;
      if (line.find("InvalidAccessKeyId") != std::string::npos) ++upstream;
    }
  }
  EXPECT_GT(upstream, 5);
}

TEST_F(SimulatorTest, MaliciousAnswerMatchesTheEvidence) {
  const Evidence& ev = *malicious_;
  const json& a = ev.answer;
  EXPECT_EQ(a["variant"], "malicious");
  EXPECT_EQ(a["expected_verdict"], "malicious");
  EXPECT_EQ(malicious_stats_->onset_minute, a["onset_minute"]);
  // The credential change is in CloudTrail, by the actor, from the address given, on the app key.
  const json* change = FindEvent(ev, a["credential_change"]["event_id"]);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ((*change)["eventName"], "UpdateAccessKey");
  EXPECT_EQ((*change)["userIdentity"]["userName"], a["actor"]["user_name"]);
  EXPECT_EQ((*change)["userIdentity"]["arn"], a["actor"]["arn"]);
  EXPECT_EQ((*change)["sourceIPAddress"], a["actor"]["source_ip"]);
  EXPECT_EQ((*change)["requestParameters"]["accessKeyId"], a["affected_key"]["access_key_id"]);
  EXPECT_EQ((*change)["requestParameters"]["userName"], a["affected_key"]["owner"]);
  EXPECT_EQ((*change)["requestParameters"]["status"], "Inactive");
  EXPECT_EQ((*change)["eventTime"].get<std::string>().substr(0, 16), a["onset_minute"].get<std::string>().substr(0, 16));
  const std::string country = a["actor"]["country"];
  EXPECT_TRUE(country == "GB" || country == "SE") << country;
  // The address was never used by the actor before the incident.
  const TimeMs onset = *ParseIso8601(a["onset_minute"].get<std::string>());
  int logins = 0;
  for (const auto& r : ev.records) {
    if (r["userIdentity"].value("userName", "") != a["actor"]["user_name"]) continue;
    if (r["sourceIPAddress"] == a["actor"]["source_ip"]) {
      EXPECT_GT(*ParseIso8601(r["eventTime"].get<std::string>()), onset - 15 * 60000);
      if (r["eventName"] == "ConsoleLogin") ++logins;
    }
  }
  EXPECT_EQ(logins, 1);
  // Every key the actor touched is backed by an event that names it.
  ASSERT_GE(a["keys_touched"].size(), 5u);  // app key, >= 3 other users' keys, a new key
  std::set<std::string> owners;
  for (const auto& k : a["keys_touched"]) {
    const json* r = FindEvent(ev, k["event_id"]);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ((*r)["eventName"], k["event_name"]);
    EXPECT_EQ((*r)["userIdentity"]["userName"], a["actor"]["user_name"]);
    const std::string key = k["event_name"] == "CreateAccessKey"
                                ? (*r)["responseElements"]["accessKey"]["accessKeyId"].get<std::string>()
                                : (*r)["requestParameters"]["accessKeyId"].get<std::string>();
    EXPECT_EQ(key, k["access_key_id"]);
    owners.insert(k["owner"]);
  }
  EXPECT_GE(owners.size(), 4u);
  // Recovery by an admin from the US.
  const json* recovery = FindEvent(ev, a["recovery"]["event_id"]);
  ASSERT_NE(recovery, nullptr);
  EXPECT_EQ((*recovery)["requestParameters"]["status"], "Active");
  EXPECT_EQ((*recovery)["requestParameters"]["accessKeyId"], a["affected_key"]["access_key_id"]);
  EXPECT_EQ((*recovery)["userIdentity"]["userName"], a["recovery"]["admin"]);
  EXPECT_EQ((*recovery)["sourceIPAddress"].get<std::string>().rfind("216.160.83.", 0), 0u);
}

TEST_F(SimulatorTest, SpikeCountsMatchTheAnswerAndStopAfterRecovery) {
  for (const Evidence* ev : {malicious_, benign_}) {
    const json& a = ev->answer;
    const auto counts = InvalidKeyPerMinute(*ev);
    for (const auto& [minute, expected] : a["invalid_access_key_per_minute"].items()) {
      const auto it = counts.find(minute);
      EXPECT_EQ(it == counts.end() ? 0 : it->second, expected.get<int>()) << minute;
    }
    const std::string onset = a["onset_minute"];
    const std::string recovery = a["recovery"]["minute"];
    int background_max = 0;
    std::string first_spike;
    for (const auto& [minute, count] : counts) {
      if (minute < onset || minute > recovery) background_max = std::max(background_max, count);
      if (count > 1 && first_spike.empty()) first_spike = minute;
      if (minute >= onset && minute < recovery) {
        EXPECT_GE(count, 10) << minute;
      }
    }
    EXPECT_EQ(background_max, 1);
    EXPECT_EQ(a["invalid_access_key_background_max"], 1);
    EXPECT_EQ(first_spike, onset);
    // Every upload bucket fails, and only the web servers (and the laptop) fail.
    std::set<std::string> buckets, ips;
    for (const auto& [bucket, lines] : ev->s3_lines) {
      for (const auto& line : lines) {
        const auto f = S3Fields(line);
        if (f[10] != "InvalidAccessKeyId") continue;
        EXPECT_EQ(f[4], "-");
        buckets.insert(f[1]);
        ips.insert(f[3]);
      }
    }
    std::set<std::string> expected_buckets(a["affected_buckets"].begin(), a["affected_buckets"].end());
    EXPECT_EQ(buckets, expected_buckets);
    std::set<std::string> expected_ips = {a["mistyped_key"]["source_ip"].get<std::string>()};
    for (const auto& h : a["affected_hosts"]) expected_ips.insert(h["ip"].get<std::string>());
    EXPECT_EQ(ips, expected_ips);
  }
}

TEST_F(SimulatorTest, WebServersRequestsLinkIpsToTheAppKey) {
  const Evidence& ev = *malicious_;
  const json& a = ev.answer;
  const std::string key = a["affected_key"]["access_key_id"];
  const std::string onset = a["onset_minute"];
  std::set<std::string> ct_ips, s3_ips;
  for (const auto& r : ev.records) {
    if (r["eventName"] == "PutObject" && r["userIdentity"].value("accessKeyId", "") == key &&
        r["eventTime"].get<std::string>() < onset) {
      EXPECT_EQ(r["userIdentity"]["userName"], a["affected_key"]["owner"]);
      ct_ips.insert(r["sourceIPAddress"]);
    }
  }
  for (const auto& [bucket, lines] : ev.s3_lines) {
    for (const auto& line : lines) {
      const auto f = S3Fields(line);
      if (f[4] == a["affected_key"]["owner_arn"] && f[6] == "REST.PUT.OBJECT" && f[9] == "200") s3_ips.insert(f[3]);
    }
  }
  std::set<std::string> hosts;
  for (const auto& h : a["affected_hosts"]) hosts.insert(h["ip"]);
  EXPECT_EQ(ct_ips, hosts);
  EXPECT_EQ(s3_ips, hosts);
}

TEST_F(SimulatorTest, BenignVariantIsARotationFromTheUsualPlace) {
  const Evidence& ev = *benign_;
  const json& a = ev.answer;
  EXPECT_EQ(a["variant"], "benign");
  EXPECT_EQ(a["expected_verdict"], "operational");
  EXPECT_EQ(a["actor"]["country"], "US");
  EXPECT_EQ(a["actor"]["source_ip"], a["actor_baseline"]["source_ips"][0]);
  const json* change = FindEvent(ev, a["credential_change"]["event_id"]);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ((*change)["userIdentity"]["accessKeyId"], a["actor"]["access_key_id"]);
  EXPECT_EQ((*change)["userAgent"].get<std::string>().rfind("Boto3/", 0), 0u);
  // The hour is inside the actor's usual hours.
  const int hour = std::stoi(a["onset_minute"].get<std::string>().substr(11, 2));
  const int start = a["actor_baseline"]["usual_hours_utc"][0];
  EXPECT_GE((hour - start + 24) % 24, 1);
  EXPECT_LT((hour - start + 24) % 24, 8);
  // Only the app key and a new key for the app: no other users' keys, no console login.
  ASSERT_EQ(a["keys_touched"].size(), 2u);
  for (const auto& k : a["keys_touched"]) EXPECT_EQ(k["owner"], a["affected_key"]["owner"]);
  for (const auto& r : ev.records) {
    if (r["userIdentity"].value("userName", "") == a["actor"]["user_name"]) {
      EXPECT_NE(r["eventName"], "ConsoleLogin");
      EXPECT_EQ(r["sourceIPAddress"], a["actor"]["source_ip"]);
    }
  }
}

TEST_F(SimulatorTest, EventCountsInTheAnswerMatchTheFiles) {
  for (const Evidence* ev : {malicious_, benign_}) {
    int64_t s3 = 0, access = 0, errors = 0;
    for (const auto& [b, lines] : ev->s3_lines) s3 += static_cast<int64_t>(lines.size());
    for (const auto& [h, lines] : ev->access_lines) access += static_cast<int64_t>(lines.size());
    for (const auto& [h, lines] : ev->error_lines) errors += static_cast<int64_t>(lines.size());
    const json& c = ev->answer["event_counts"];
    EXPECT_EQ(c["cloudtrail"].get<int64_t>(), static_cast<int64_t>(ev->records.size()));
    EXPECT_EQ(c["s3_access"].get<int64_t>(), s3);
    EXPECT_EQ(c["apache_access"].get<int64_t>(), access);
    EXPECT_EQ(c["apache_error"].get<int64_t>(), errors);
  }
}

}  // namespace
}  // namespace cairn::sim
