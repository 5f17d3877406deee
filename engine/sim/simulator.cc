#include "engine/sim/simulator.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "engine/common/strings.h"
#include "engine/sim/sim_internal.h"
#include "engine/sim/world.h"

namespace cairn::sim {

const char* VariantName(Variant variant) {
  return variant == Variant::kMalicious ? "malicious" : "benign";
}

bool VariantFromName(std::string_view name, Variant* out) {
  if (name == "malicious") {
    *out = Variant::kMalicious;
    return true;
  }
  if (name == "benign") {
    *out = Variant::kBenign;
    return true;
  }
  return false;
}

namespace {

namespace fs = std::filesystem;
using internal::AppendClf;
using internal::AppendErrorLogTime;
using internal::AwsLongDate;
using internal::IamUser;
using internal::IsoSeconds;
using internal::kDay;
using internal::kHour;
using internal::kMinute;
using internal::kSecond;
using internal::Obj;
using internal::Rng;
using internal::Role;
using internal::WebServer;
using internal::World;

constexpr TimeMs kCloudTrailWindow = 5 * kMinute;

const std::vector<std::string> kBrowsers = {
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/121.0.6167.101 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:122.0) Gecko/20100101 Firefox/122.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.144"};
const std::vector<std::string> kScannerAgents = {
    "Mozilla/5.0 zgrab/0.x", "python-requests/2.31.0", "curl/8.4.0",
    "Mozilla/5.0 (compatible; CensysInspect/1.1; +https://about.censys.io/)", "Go-http-client/1.1"};
const std::vector<std::string> kScannerPaths = {
    "/wp-login.php", "/.env", "/.git/config", "/phpmyadmin/index.php", "/admin/config.php",
    "/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/cgi-bin/luci", "/server-status",
    "/.aws/credentials", "/actuator/health"};
const std::vector<std::string> kStaticPaths = {
    "/", "/static/css/app.3f9a1c.css", "/static/js/app.8e21d4.js", "/static/js/vendor.41bb07.js",
    "/static/img/logo.svg", "/upload", "/login", "/api/feed?page=1", "/api/feed?page=2",
    "/static/fonts/inter-var.woff2", "/about"};

const char kWebSdkAgent[] =
    "aws-sdk-php/3.300.8 OS/Linux/6.1.72-96.166.amzn2023.x86_64 lang/php/8.2.15 GuzzleHttp/7";
const char kBotoAgent[] =
    "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.209-198.858.amzn2.x86_64 md/arch#x86_64 "
    "lang/python#3.11.6 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51";
const char kCliAgent[] =
    "aws-cli/2.15.30 md/awscrt#0.19.19 ua/2.0 os/macos#23.3.0 md/arch#arm64 lang/python#3.11.8 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#source md/prompt#off";
const char kCiAgent[] =
    "aws-cli/2.13.25 Python/3.11.5 Linux/5.15.0-1051-aws exe/x86_64.ubuntu.22 prompt/off";
const char kJavaAgent[] =
    "aws-sdk-java/2.21.29 Linux/5.10.205-195.807.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.9+8-LTS "
    "Java/17.0.9 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy";
const char kGoAgent[] =
    "aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64 api/cloudwatch#1.34.2";
const char kAttackerBrowser[] =
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:123.0) Gecko/20100101 Firefox/123.0";
const char kAdminBrowser[] =
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/121.0.0.0 Safari/537.36";

// ---------------------------------------------------------------------------------------------
// CloudTrail records.

// One CloudTrail record before rendering; fields in AWS's order.
struct Ct {
  TimeMs time = 0;
  std::string identity;  // userIdentity JSON
  std::string source;    // eventSource
  std::string name;      // eventName
  int region = 0;        // index into World::regions
  std::string ip;
  std::string agent;
  std::string error_code, error_message;
  std::string request_parameters = "null";
  std::string response_elements = "null";
  std::string additional;  // additionalEventData JSON, empty = absent
  std::string request_id;  // empty = absent
  std::string event_id;
  bool read_only = true;
  std::string resources;  // JSON array, empty = absent
  std::string event_type = "AwsApiCall";
  bool management = true;
  std::string tls_host;  // empty = no tlsDetails
  bool console = false;  // sessionCredentialFromConsole
};

std::string RenderCt(const Ct& ct, const World& w) {
  std::string s;
  s.reserve(1200);
  Obj o(&s);
  o.Str("eventVersion", ct.management ? "1.10" : "1.09");
  o.Raw("userIdentity", ct.identity);
  o.Str("eventTime", IsoSeconds(ct.time));
  o.Str("eventSource", ct.source);
  o.Str("eventName", ct.name);
  o.Str("awsRegion", w.regions[ct.region]);
  o.Str("sourceIPAddress", ct.ip);
  o.Str("userAgent", ct.agent);
  if (!ct.error_code.empty()) o.Str("errorCode", ct.error_code);
  if (!ct.error_message.empty()) o.Str("errorMessage", ct.error_message);
  o.Raw("requestParameters", ct.request_parameters);
  o.Raw("responseElements", ct.response_elements);
  if (!ct.additional.empty()) o.Raw("additionalEventData", ct.additional);
  if (!ct.request_id.empty()) o.Str("requestID", ct.request_id);
  o.Str("eventID", ct.event_id);
  o.Bool("readOnly", ct.read_only);
  if (!ct.resources.empty()) o.Raw("resources", ct.resources);
  o.Str("eventType", ct.event_type);
  o.Bool("managementEvent", ct.management);
  o.Str("recipientAccountId", w.account);
  o.Str("eventCategory", ct.management ? "Management" : "Data");
  if (!ct.tls_host.empty()) {
    o.Key("tlsDetails");
    Obj tls(&s);
    tls.Str("tlsVersion", "TLSv1.3").Str("cipherSuite", "TLS_AES_128_GCM_SHA256");
    tls.Str("clientProvidedHostHeader", ct.tls_host);
    tls.End();
  }
  if (ct.console) o.Str("sessionCredentialFromConsole", "true");
  o.End();
  return s;
}

std::string IamUserIdentity(const World& w, const IamUser& user, const std::string& key) {
  std::string s;
  Obj o(&s);
  o.Str("type", "IAMUser").Str("principalId", user.principal_id).Str("arn", user.arn);
  o.Str("accountId", w.account);
  if (!key.empty()) o.Str("accessKeyId", key);
  o.Str("userName", user.name);
  o.End();
  return s;
}

// An IAM user's console session (temporary ASIA credentials after ConsoleLogin).
std::string ConsoleIdentity(const World& w, const IamUser& user, const std::string& session_key,
                            TimeMs created) {
  std::string s;
  Obj o(&s);
  o.Str("type", "IAMUser").Str("principalId", user.principal_id).Str("arn", user.arn);
  o.Str("accountId", w.account).Str("accessKeyId", session_key).Str("userName", user.name);
  o.Raw("sessionContext", "{\"sessionIssuer\":{},\"webIdFederationData\":{},\"attributes\":{\"creationDate\":\"" +
                              IsoSeconds(created) + "\",\"mfaAuthenticated\":\"false\"}}");
  o.End();
  return s;
}

std::string AssumedRoleIdentity(const World& w, const Role& role, const std::string& session,
                                const std::string& session_key, TimeMs created,
                                const std::string& invoked_by = "") {
  std::string s;
  Obj o(&s);
  o.Str("type", "AssumedRole").Str("principalId", role.role_id + ":" + session);
  std::string role_path_name = role.arn.substr(role.arn.find(":role/") + 6);
  const auto slash = role_path_name.rfind('/');
  if (slash != std::string::npos) role_path_name = role_path_name.substr(slash + 1);
  o.Str("arn", "arn:aws:sts::" + w.account + ":assumed-role/" + role_path_name + "/" + session);
  o.Str("accountId", w.account).Str("accessKeyId", session_key);
  o.Key("sessionContext");
  {
    Obj sc(&s);
    sc.Key("sessionIssuer");
    Obj issuer(&s);
    issuer.Str("type", "Role").Str("principalId", role.role_id).Str("arn", role.arn);
    issuer.Str("accountId", w.account).Str("userName", role.name);
    issuer.End();
    sc.Raw("webIdFederationData", "{}");
    sc.Raw("attributes", "{\"creationDate\":\"" + IsoSeconds(created) +
                             "\",\"mfaAuthenticated\":\"false\"}");
    sc.End();
  }
  if (!invoked_by.empty()) o.Str("invokedBy", invoked_by);
  o.End();
  return s;
}

std::string AwsServiceIdentity(const std::string& invoked_by) {
  return "{\"type\":\"AWSService\",\"invokedBy\":\"" + invoked_by + "\"}";
}

std::string Quote(std::string_view v) {
  std::string s;
  internal::AppendJsonString(&s, v);
  return s;
}

std::string S3HostId(Rng& rng) {
  return rng.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 75) + "=";
}

// ---------------------------------------------------------------------------------------------
// Output sinks.

struct Line {
  TimeMs time = 0;
  int target = 0;  // bucket or web server index
  std::string text;
  bool invalid_key_403 = false;  // an S3 line with 403 InvalidAccessKeyId
};

struct CtItem {
  TimeMs time = 0;
  int region = 0;
  std::string json;
};

class Output {
 public:
  Output(const World& w, fs::path root, uint64_t seed)
      : w_(w), root_(std::move(root)), rng_(seed ^ 0x0b17ca5e0f11e5ULL) {
    s3_batches_.resize(w.buckets.size());
    s3_deadline_.resize(w.buckets.size(), 0);
    ct_windows_.resize(w.regions.size());
    access_buf_.resize(w.web.size());
    error_buf_.resize(w.web.size());
  }

  Status Open() {
    std::error_code ec;
    for (const auto& server : w_.web) {
      fs::create_directories(root_ / "apache" / server.host, ec);
      if (ec) return Error::Io("cannot create directory " + (root_ / "apache" / server.host).string() + ": " + ec.message());
      for (const char* name : {"access_log", "error_log"}) {
        const fs::path path = root_ / "apache" / server.host / name;
        std::FILE* f = std::fopen(path.c_str(), "wb");
        if (f == nullptr) return Error::Io("cannot write " + path.string());
        files_.emplace_back(f, &std::fclose);
      }
    }
    for (const auto& bucket : w_.buckets) {
      fs::create_directories(root_ / "s3-access" / bucket, ec);
      if (ec) return Error::Io("cannot create directory " + (root_ / "s3-access" / bucket).string());
    }
    stats.files += static_cast<int64_t>(files_.size());
    return Ok();
  }

  void CloudTrail(CtItem item) {
    const TimeMs delivered = item.time + rng_.Range(20, 290) * kSecond;
    const int64_t window = delivered / kCloudTrailWindow;
    ct_windows_[item.region][window].push_back(std::move(item));
  }

  void S3(Line line) {
    if (line.invalid_key_403) ++invalid_key_per_minute[line.time / kMinute];
    auto& batch = s3_batches_[line.target];
    if (batch.empty()) s3_deadline_[line.target] = line.time + rng_.Range(60, 900) * kSecond;
    batch.push_back(std::move(line));
  }

  void Access(Line line) { access_buf_[line.target].push_back(std::move(line)); }
  void ErrorLog(Line line) { error_buf_[line.target].push_back(std::move(line)); }

  // Called at the start of each simulated minute: writes everything that can no longer change.
  Status Advance(TimeMs now) {
    for (int region = 0; region < static_cast<int>(ct_windows_.size()); ++region) {
      auto& windows = ct_windows_[region];
      while (!windows.empty() && (windows.begin()->first + 1) * kCloudTrailWindow <= now - 5 * kMinute) {
        CAIRN_TRY(WriteCloudTrail(region, windows.begin()->first, &windows.begin()->second));
        windows.erase(windows.begin());
      }
    }
    for (size_t bucket = 0; bucket < s3_batches_.size(); ++bucket) {
      if (!s3_batches_[bucket].empty() && now >= s3_deadline_[bucket]) {
        CAIRN_TRY(WriteS3(static_cast<int>(bucket)));
      }
    }
    return FlushApache(false);
  }

  Status Finish() {
    for (int region = 0; region < static_cast<int>(ct_windows_.size()); ++region) {
      for (auto& [window, items] : ct_windows_[region]) {
        CAIRN_TRY(WriteCloudTrail(region, window, &items));
      }
      ct_windows_[region].clear();
    }
    for (size_t bucket = 0; bucket < s3_batches_.size(); ++bucket) {
      if (!s3_batches_[bucket].empty()) CAIRN_TRY(WriteS3(static_cast<int>(bucket)));
    }
    CAIRN_TRY(FlushApache(true));
    for (auto& f : files_) {
      if (std::fflush(f.get()) != 0) return Error::Io("write failed in " + root_.string());
    }
    files_.clear();
    return Ok();
  }

  SimStats stats;
  std::map<int64_t, int> invalid_key_per_minute;  // minute index -> S3 403 InvalidAccessKeyId count

 private:
  Status WriteFile(const fs::path& path, const std::string& data) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return Error::Io("cannot write " + path.string());
    const size_t n = std::fwrite(data.data(), 1, data.size(), f);
    const int rc = std::fclose(f);
    if (n != data.size() || rc != 0) return Error::Io("write failed: " + path.string());
    stats.files += 1;
    stats.bytes += static_cast<int64_t>(data.size());
    return Ok();
  }

  Status WriteCloudTrail(int region, int64_t window, std::vector<CtItem>* items) {
    std::stable_sort(items->begin(), items->end(),
                     [](const CtItem& a, const CtItem& b) { return a.time < b.time; });
    // CloudTrail files are not in time order: records arrive from many hosts. Swap some
    // neighbours so that a reader cannot rely on order.
    for (size_t idx = 0; idx + 1 < items->size(); ++idx) {
      if (rng_.Chance(0.3)) {
        const size_t other = std::min(items->size() - 1, idx + 1 + rng_.Below(3));
        std::swap((*items)[idx], (*items)[other]);
      }
    }
    std::string body = "{\"Records\":[";
    for (size_t idx = 0; idx < items->size(); ++idx) {
      if (idx > 0) body.push_back(',');
      body += (*items)[idx].json;
    }
    body += "]}";
    stats.cloudtrail_records += static_cast<int64_t>(items->size());
    const TimeMs stamp = (window + 1) * kCloudTrailWindow;
    const std::string& region_name = w_.regions[region];
    const fs::path dir = root_ / "AWSLogs" / w_.account / "CloudTrail" / region_name / internal::DatePath(stamp);
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) return Error::Io("cannot create directory " + dir.string() + ": " + ec.message());
    const std::string name = w_.account + "_CloudTrail_" + region_name + "_" +
                             internal::CloudTrailStamp(stamp) + "_" + rng_.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 16) + ".json.gz";
    CAIRN_ASSIGN_OR_RETURN(std::string gz, internal::GzipDeterministic(body));
    return WriteFile(dir / name, gz);
  }

  Status WriteS3(int bucket) {
    auto& batch = s3_batches_[bucket];
    std::stable_sort(batch.begin(), batch.end(),
                     [](const Line& a, const Line& b) { return a.time < b.time; });
    std::string body;
    for (const auto& line : batch) {
      body += line.text;
      body.push_back('\n');
    }
    stats.s3_access_lines += static_cast<int64_t>(batch.size());
    const TimeMs delivered = std::max(batch.back().time, s3_deadline_[bucket]) + rng_.Range(30, 600) * kSecond;
    const std::string name = internal::S3LogStamp(delivered) + "-" + rng_.UpperHex(16);
    batch.clear();
    return WriteFile(root_ / "s3-access" / w_.buckets[bucket] / name, body);
  }

  Status FlushApache(bool all) {
    for (size_t server = 0; server < w_.web.size(); ++server) {
      for (int kind = 0; kind < 2; ++kind) {
        auto& lines = kind == 0 ? access_buf_[server] : error_buf_[server];
        if (lines.empty() || (!all && lines.size() < 2000)) continue;
        std::stable_sort(lines.begin(), lines.end(),
                         [](const Line& a, const Line& b) { return a.time < b.time; });
        std::string body;
        for (const auto& line : lines) {
          body += line.text;
          body.push_back('\n');
        }
        (kind == 0 ? stats.apache_access_lines : stats.apache_error_lines) += static_cast<int64_t>(lines.size());
        std::FILE* f = files_[server * 2 + static_cast<size_t>(kind)].get();
        if (std::fwrite(body.data(), 1, body.size(), f) != body.size()) {
          return Error::Io("write failed in " + (root_ / "apache").string());
        }
        stats.bytes += static_cast<int64_t>(body.size());
        lines.clear();
      }
    }
    return Ok();
  }

  const World& w_;
  fs::path root_;
  Rng rng_;
  std::vector<std::map<int64_t, std::vector<CtItem>>> ct_windows_;
  std::vector<std::vector<Line>> s3_batches_;
  std::vector<TimeMs> s3_deadline_;
  std::vector<std::vector<Line>> access_buf_, error_buf_;
  std::vector<std::unique_ptr<std::FILE, int (*)(std::FILE*)>> files_;
};

// ---------------------------------------------------------------------------------------------
// The ground truth recorded while the incident is scripted.

struct KeyTouch {
  std::string key, owner, event_name, event_id, status;
  TimeMs time = 0;
};
struct UpdateKeyEvent {
  std::string event_id, actor, actor_arn, source_ip, status, key, target_user;
  TimeMs time = 0;
};
struct Truth {
  std::string change_event_id;
  std::string actor_session_key;
  std::vector<KeyTouch> touched;
  std::vector<std::pair<std::string, std::string>> actor_events;  // (eventName, eventID) in order
  std::vector<UpdateKeyEvent> update_events;
  std::string recovery_event_id;
  const IamUser* recovery_admin = nullptr;
  std::string recovery_ip;
  std::string new_key;  // the key created at the incident (malicious: actor's own; benign: app's)
};

// ---------------------------------------------------------------------------------------------

class Generator {
 public:
  Generator(const World& w, Output* out)
      : w_(w), out_(out), script_rng_(w.seed ^ 0x5c219700aa11ULL), rng_(w.seed ^ 0x7aff1c0000beefULL) {}

  void BuildScripts() {
    ScriptIncident();
    ScriptDeveloperTypos();
    ScriptBackground();
    std::stable_sort(script_ct_.begin(), script_ct_.end(),
                     [](const CtItem& a, const CtItem& b) { return a.time < b.time; });
    std::stable_sort(script_s3_.begin(), script_s3_.end(),
                     [](const Line& a, const Line& b) { return a.time < b.time; });
  }

  Status Run() {
    size_t next_ct = 0, next_s3 = 0;
    for (TimeMs minute = w_.start; minute < w_.end; minute += kMinute) {
      CAIRN_TRY(out_->Advance(minute));
      Traffic(minute);
      while (next_ct < script_ct_.size() && script_ct_[next_ct].time < minute + kMinute) {
        out_->CloudTrail(std::move(script_ct_[next_ct++]));
      }
      while (next_s3 < script_s3_.size() && script_s3_[next_s3].time < minute + kMinute) {
        out_->S3(std::move(script_s3_[next_s3++]));
      }
    }
    return out_->Finish();
  }

  const Truth& truth() const { return truth_; }
  const std::vector<std::string>& dev_error_times() const { return dev_error_times_; }

 private:
  // --- key state -------------------------------------------------------------------------------
  struct KeyState {
    TimeMs time;
    bool active;
  };
  bool KeyActive(const std::string& key, TimeMs t) const {
    auto it = key_changes_.find(key);
    if (it == key_changes_.end()) return true;
    bool active = true;
    for (const auto& change : it->second) {
      if (change.time <= t) active = change.active;
    }
    return active;
  }

  // --- CloudTrail helpers ----------------------------------------------------------------------
  Ct NewCt(TimeMs t, const std::string& identity, const std::string& source, const std::string& name,
           int region, const std::string& ip, const std::string& agent, Rng& rng) {
    Ct ct;
    ct.time = t;
    ct.identity = identity;
    ct.source = source;
    ct.name = name;
    ct.region = region;
    ct.ip = ip;
    ct.agent = agent;
    ct.request_id = rng.Uuid();
    ct.event_id = rng.Uuid();
    if (ip.find('.') != std::string::npos && ip.find("amazonaws.com") == std::string::npos) {
      ct.tls_host = source == "signin.amazonaws.com" ? "signin.aws.amazon.com"
                    : source == "iam.amazonaws.com" || source == "sts.amazonaws.com"
                        ? source
                        : source.substr(0, source.find('.')) + "." + w_.regions[region] + ".amazonaws.com";
    }
    return ct;
  }
  void Script(const Ct& ct) { script_ct_.push_back({ct.time, ct.region, RenderCt(ct, w_)}); }

  // An IAM call (global service, recorded in us-east-1).
  Ct Iam(TimeMs t, const std::string& identity, const std::string& name, const std::string& ip,
         const std::string& agent, std::string request_parameters, bool read_only) {
    Ct ct = NewCt(t, identity, "iam.amazonaws.com", name, 0, ip, agent, script_rng_);
    ct.request_parameters = std::move(request_parameters);
    ct.read_only = read_only;
    return ct;
  }

  Ct ConsoleLogin(TimeMs t, const IamUser& user, const std::string& ip, const std::string& agent,
                  bool success) {
    Ct ct = NewCt(t, IamUserIdentity(w_, user, ""), "signin.amazonaws.com", "ConsoleLogin", 0, ip,
                  agent, script_rng_);
    ct.request_id.clear();
    ct.read_only = false;
    ct.event_type = "AwsConsoleSignIn";
    ct.response_elements = success ? "{\"ConsoleLogin\":\"Success\"}" : "{\"ConsoleLogin\":\"Failure\"}";
    if (!success) ct.error_message = "Failed authentication";
    ct.additional = "{\"LoginTo\":\"https://console.aws.amazon.com/console/home?region=" + w_.app_region +
                    "&state=hashArgs%23&isauthcode=true\",\"MobileVersion\":\"No\",\"MFAUsed\":\"No\"}";
    return ct;
  }

  std::string UpdateKeyParams(const std::string& user, const std::string& key, bool active) {
    return "{\"userName\":" + Quote(user) + ",\"accessKeyId\":\"" + key + "\",\"status\":\"" +
           (active ? "Active" : "Inactive") + "\"}";
  }

  // --- the incident ----------------------------------------------------------------------------
  void RecordUpdate(const Ct& ct, const IamUser& actor, const IamUser& target, const std::string& key,
                    bool active) {
    truth_.update_events.push_back({ct.event_id, actor.name, actor.arn, ct.ip, active ? "Active" : "Inactive",
                                    key, target.name, ct.time});
    key_changes_[key].push_back({ct.time, active});
  }

  void ScriptIncident() {
    Rng& r = script_rng_;
    const IamUser& km = w_.keymgmt;
    const std::string app_key = w_.app_user.KeyAt(w_.onset);
    const bool malicious = w_.variant == Variant::kMalicious;
    if (malicious) {
      const std::string ip = w_.attacker_ip;
      TimeMs t = w_.onset - r.Range(6, 11) * kMinute - r.Range(0, 59) * kSecond;
      const TimeMs login = t;
      truth_.actor_session_key = "ASIA" + r.UpperAlnum(16);
      const std::string identity = ConsoleIdentity(w_, km, truth_.actor_session_key, login);
      Ct ct = ConsoleLogin(login, km, ip, kAttackerBrowser, true);
      Script(ct);
      truth_.actor_events.push_back({ct.name, ct.event_id});
      t += r.Range(40, 90) * kSecond;
      auto console_call = [&](TimeMs at, const std::string& name, std::string params, bool read_only) {
        Ct c = Iam(at, identity, name, ip, "AWS Internal", std::move(params), read_only);
        c.console = true;
        return c;
      };
      ct = console_call(t, "ListUsers", "null", true);
      Script(ct);
      truth_.actor_events.push_back({ct.name, ct.event_id});
      std::vector<const IamUser*> targets;
      targets.push_back(&w_.app_user);
      for (const auto& u : w_.service_users) targets.push_back(&u);
      targets.push_back(&w_.developer);
      for (const IamUser* u : targets) {
        t += r.Range(8, 35) * kSecond;
        if (t >= w_.onset - 5 * kSecond) break;
        ct = console_call(t, "ListAccessKeys", "{\"userName\":" + Quote(u->name) + "}", true);
        Script(ct);
        truth_.actor_events.push_back({ct.name, ct.event_id});
      }
      // T0: the app's key.
      ct = console_call(w_.onset, "UpdateAccessKey", UpdateKeyParams(w_.app_user.name, app_key, false), false);
      Script(ct);
      truth_.change_event_id = ct.event_id;
      truth_.actor_events.push_back({ct.name, ct.event_id});
      truth_.touched.push_back({app_key, w_.app_user.name, ct.name, ct.event_id, "Inactive", ct.time});
      RecordUpdate(ct, km, w_.app_user, app_key, false);
      // Then the keys of several other users, over the next minutes.
      std::vector<const IamUser*> others(targets.begin() + 1, targets.end());
      r.Shuffle(&others);
      const size_t count = static_cast<size_t>(r.Range(3, static_cast<int64_t>(others.size())));
      t = w_.onset;
      for (size_t idx = 0; idx < count; ++idx) {
        t += r.Range(40, 150) * kSecond;
        const IamUser& u = *others[idx];
        const std::string key = u.KeyAt(t);
        ct = console_call(t, "UpdateAccessKey", UpdateKeyParams(u.name, key, false), false);
        Script(ct);
        truth_.actor_events.push_back({ct.name, ct.event_id});
        truth_.touched.push_back({key, u.name, ct.name, ct.event_id, "Inactive", ct.time});
        RecordUpdate(ct, km, u, key, false);
      }
      // Persistence: a new key for the compromised user itself.
      t += r.Range(60, 180) * kSecond;
      truth_.new_key = "AKIA" + r.UpperAlnum(16);
      ct = console_call(t, "CreateAccessKey", "{\"userName\":" + Quote(km.name) + "}", false);
      ct.response_elements = "{\"accessKey\":{\"userName\":" + Quote(km.name) + ",\"accessKeyId\":\"" +
                             truth_.new_key + "\",\"status\":\"Active\",\"createDate\":\"" +
                             AwsLongDate(t) + "\"}}";
      Script(ct);
      truth_.actor_events.push_back({ct.name, ct.event_id});
      truth_.touched.push_back({truth_.new_key, km.name, ct.name, ct.event_id, "Active", ct.time});
      t += r.Range(20, 60) * kSecond;
      ct = console_call(t, "ListAccessKeys", "{\"userName\":" + Quote(km.name) + "}", true);
      Script(ct);
      truth_.actor_events.push_back({ct.name, ct.event_id});
    } else {
      // Benign: the automation rotates the app key from its usual address with its usual key.
      const std::string identity = IamUserIdentity(w_, km, km.KeyAt(w_.onset));
      TimeMs t = w_.onset - r.Range(2, 6) * kMinute - r.Range(0, 59) * kSecond;
      Ct ct = Iam(t, identity, "ListAccessKeys", w_.keymgmt_ip, kBotoAgent,
                  "{\"userName\":" + Quote(w_.app_user.name) + "}", true);
      Script(ct);
      truth_.actor_events.push_back({ct.name, ct.event_id});
      t += r.Range(2, 10) * kSecond;
      truth_.new_key = "AKIA" + r.UpperAlnum(16);
      ct = Iam(t, identity, "CreateAccessKey", w_.keymgmt_ip, kBotoAgent,
               "{\"userName\":" + Quote(w_.app_user.name) + "}", false);
      ct.response_elements = "{\"accessKey\":{\"userName\":" + Quote(w_.app_user.name) +
                             ",\"accessKeyId\":\"" + truth_.new_key +
                             "\",\"status\":\"Active\",\"createDate\":\"" + AwsLongDate(t) + "\"}}";
      Script(ct);
      truth_.actor_events.push_back({ct.name, ct.event_id});
      truth_.touched.push_back({truth_.new_key, w_.app_user.name, ct.name, ct.event_id, "Active", ct.time});
      ct = Iam(w_.onset, identity, "UpdateAccessKey", w_.keymgmt_ip, kBotoAgent,
               UpdateKeyParams(w_.app_user.name, app_key, false), false);
      Script(ct);
      truth_.change_event_id = ct.event_id;
      truth_.actor_events.push_back({ct.name, ct.event_id});
      truth_.touched.push_back({app_key, w_.app_user.name, ct.name, ct.event_id, "Inactive", ct.time});
      RecordUpdate(ct, km, w_.app_user, app_key, false);
    }
    // Recovery: an admin, from the office, signs in and re-enables the app's key.
    const IamUser& admin = w_.admins[r.Below(w_.admins.size())];
    const std::string ip = w_.office_ips[r.Below(w_.office_ips.size())];
    const TimeMs login = w_.recovery - r.Range(3, 6) * kMinute;
    Script(ConsoleLogin(login, admin, ip, kAdminBrowser, true));
    const std::string session = "ASIA" + r.UpperAlnum(16);
    const std::string identity = ConsoleIdentity(w_, admin, session, login);
    Ct ct = Iam(w_.recovery - r.Range(40, 100) * kSecond, identity, "ListAccessKeys", ip, "AWS Internal",
                "{\"userName\":" + Quote(w_.app_user.name) + "}", true);
    ct.console = true;
    Script(ct);
    ct = Iam(w_.recovery, identity, "UpdateAccessKey", ip, "AWS Internal",
             UpdateKeyParams(w_.app_user.name, app_key, true), false);
    ct.console = true;
    Script(ct);
    truth_.recovery_event_id = ct.event_id;
    truth_.recovery_admin = &admin;
    truth_.recovery_ip = ip;
    RecordUpdate(ct, admin, w_.app_user, app_key, true);
  }

  // --- background management activity ------------------------------------------------------------
  void ScriptBackground() {
    Rng& r = script_rng_;
    const int app = w_.app_region_idx;
    for (int day = 0; day < w_.days; ++day) {
      const TimeMs midnight = w_.start + day * kDay;
      const int weekday = internal::ToCivil(midnight).weekday;
      const bool workday = weekday != 0 && weekday != 6;

      // EC2 instance profiles refresh their credentials about every hour.
      for (size_t s = 0; s < w_.web.size(); ++s) {
        const TimeMs offset = static_cast<TimeMs>((s * 17 + 5) % 60) * kMinute;
        for (int hour = 0; hour < 24; ++hour) {
          const TimeMs t = midnight + hour * kHour + offset + r.Range(0, 59) * kSecond;
          Ct ct = NewCt(t, AwsServiceIdentity("ec2.amazonaws.com"), "sts.amazonaws.com", "AssumeRole", app,
                        "ec2.amazonaws.com", "ec2.amazonaws.com", r);
          const std::string session = "i-0" + r.LowerHex(16);
          ct.request_parameters = "{\"roleArn\":\"" + w_.web_instance_role.arn + "\",\"roleSessionName\":\"" + session + "\"}";
          ct.response_elements = "{\"credentials\":{\"accessKeyId\":\"ASIA" + r.UpperAlnum(16) +
                                 "\",\"sessionToken\":\"" + r.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40) +
                                 "\",\"expiration\":\"" + AwsLongDate(t + 6 * kHour) + "\"}}";
          ct.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"" + w_.web_instance_role.arn + "\"}]";
          ct.event_type = "AwsApiCall";
          ct.read_only = true;
          Script(ct);
        }
      }

      // The key-management automation: upload sessions and a daily key inventory, in its hours.
      const TimeMs work = midnight + w_.usual_start_hour * kHour;
      for (TimeMs t = work; t < work + 8 * kHour; t += kMinute) {
        if (!r.Chance(0.12)) continue;
        const TimeMs at = t + r.Range(0, 59) * kSecond;
        if (at >= w_.end) break;
        const std::string key = w_.keymgmt.KeyAt(at);
        Ct ct = NewCt(at, IamUserIdentity(w_, w_.keymgmt, key), "sts.amazonaws.com", "AssumeRole", 0,
                      w_.keymgmt_ip, kBotoAgent, r);
        const std::string session = "upload-" + r.LowerHex(12);
        ct.request_parameters = "{\"roleArn\":\"" + w_.upload_session_role.arn + "\",\"roleSessionName\":\"" +
                                session + "\",\"durationSeconds\":900}";
        ct.response_elements = "{\"credentials\":{\"accessKeyId\":\"ASIA" + r.UpperAlnum(16) +
                               "\",\"sessionToken\":\"" + r.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40) +
                               "\",\"expiration\":\"" + AwsLongDate(at + 15 * kMinute) +
                               "\"},\"assumedRoleUser\":{\"assumedRoleId\":\"" + w_.upload_session_role.role_id + ":" +
                               session + "\",\"arn\":\"arn:aws:sts::" + w_.account + ":assumed-role/" +
                               w_.upload_session_role.name + "/" + session + "\"}}";
        ct.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"" + w_.upload_session_role.arn + "\"}]";
        Script(ct);
      }
      {
        TimeMs t = work + r.Range(5, 20) * kMinute;
        const std::string identity = IamUserIdentity(w_, w_.keymgmt, w_.keymgmt.KeyAt(t));
        Script(Iam(t, identity, "ListUsers", w_.keymgmt_ip, kBotoAgent, "null", true));
        std::vector<const IamUser*> users = {&w_.app_user, &w_.developer};
        for (const auto& u : w_.service_users) users.push_back(&u);
        for (const IamUser* u : users) {
          t += r.Range(1, 3) * kSecond;
          Script(Iam(t, identity, "ListAccessKeys", w_.keymgmt_ip, kBotoAgent, "{\"userName\":" + Quote(u->name) + "}", true));
          t += r.Range(1, 3) * kSecond;
          Script(Iam(t, identity, "GetAccessKeyLastUsed", w_.keymgmt_ip, kBotoAgent,
                     "{\"accessKeyId\":\"" + u->KeyAt(t) + "\"}", true));
        }
      }

      // Admins: console sessions in US hours.
      for (const IamUser& admin : w_.admins) {
        const int sessions = workday ? static_cast<int>(r.Range(0, 2)) : (r.Chance(0.25) ? 1 : 0);
        for (int n = 0; n < sessions; ++n) {
          const TimeMs login = midnight + r.Range(13 * 60, 23 * 60) * kMinute + r.Range(0, 59) * kSecond;
          AdminSession(admin, login);
        }
      }

      // CI deploys on workdays.
      if (workday) {
        const int deploys = static_cast<int>(r.Range(1, 3));
        for (int n = 0; n < deploys; ++n) Deploy(midnight + r.Range(14 * 60, 23 * 60) * kMinute + r.Range(0, 59) * kSecond);
      }
      // Nightly backup.
      Backup(midnight + r.Range(3 * 60, 5 * 60) * kMinute + r.Range(0, 59) * kSecond);
      // Developer: a couple of sessions from the laptop.
      const int dev_sessions = workday ? static_cast<int>(r.Range(1, 3)) : static_cast<int>(r.Range(0, 1));
      for (int n = 0; n < dev_sessions; ++n) DeveloperSession(midnight + r.Range(15 * 60, 24 * 60 - 30) * kMinute);
    }

    // Metrics polling and AWS Config, spread over the period.
    for (TimeMs t = w_.start; t < w_.end; t += kMinute) {
      if (r.Chance(0.03)) Metrics(t + r.Range(0, 59) * kSecond);
      if (r.Chance(0.015)) ConfigCall(t + r.Range(0, 59) * kSecond, app);
      if (r.Chance(0.005)) ConfigCall(t + r.Range(0, 59) * kSecond, w_.quiet_region_idx);
    }

    // One ordinary rotation early in the week, of a service user's key: the automation's routine.
    if (w_.rotation != 0) {
      const IamUser& svc = w_.service_users[1];
      const TimeMs t = w_.rotation;
      const std::string identity = IamUserIdentity(w_, w_.keymgmt, w_.keymgmt.KeyAt(t));
      const std::string old_key = svc.keys[0].id;
      const std::string new_key = svc.keys[1].id;
      Ct ct = Iam(t, identity, "CreateAccessKey", w_.keymgmt_ip, kBotoAgent, "{\"userName\":" + Quote(svc.name) + "}", false);
      ct.response_elements = "{\"accessKey\":{\"userName\":" + Quote(svc.name) + ",\"accessKeyId\":\"" +
                             new_key + "\",\"status\":\"Active\",\"createDate\":\"" + AwsLongDate(t) + "\"}}";
      Script(ct);
      ct = Iam(t + 40 * kMinute, identity, "UpdateAccessKey", w_.keymgmt_ip, kBotoAgent,
               UpdateKeyParams(svc.name, old_key, false), false);
      Script(ct);
      RecordUpdate(ct, w_.keymgmt, svc, old_key, false);
      if (t + 26 * kHour < w_.end) {
        Ct del = Iam(t + 26 * kHour, identity, "DeleteAccessKey", w_.keymgmt_ip, kBotoAgent,
                     "{\"userName\":" + Quote(svc.name) + ",\"accessKeyId\":\"" + old_key + "\"}", false);
        Script(del);
      }
    }
  }

  void AdminSession(const IamUser& admin, TimeMs login) {
    Rng& r = script_rng_;
    const std::string ip = w_.office_ips[r.Below(w_.office_ips.size())];
    if (r.Chance(0.05)) Script(ConsoleLogin(login - r.Range(15, 40) * kSecond, admin, ip, kAdminBrowser, false));
    Script(ConsoleLogin(login, admin, ip, kAdminBrowser, true));
    const std::string identity = ConsoleIdentity(w_, admin, "ASIA" + r.UpperAlnum(16), login);
    const int calls = 3 + r.Poisson(8);
    TimeMs t = login + r.Range(20, 90) * kSecond;
    const int app = w_.app_region_idx;
    for (int n = 0; n < calls; ++n) {
      t += r.Range(5, 400) * kSecond;
      if (t >= w_.end) break;
      Ct ct;
      switch (r.Below(12)) {
        case 0: ct = NewCt(t, identity, "ec2.amazonaws.com", "DescribeInstances", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"maxResults\":1000,\"instancesSet\":{},\"filterSet\":{}}"; break;
        case 1: ct = NewCt(t, identity, "ec2.amazonaws.com", "DescribeSecurityGroups", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"securityGroupSet\":{},\"securityGroupIdSet\":{},\"filterSet\":{}}"; break;
        case 2: ct = NewCt(t, identity, "s3.amazonaws.com", "ListBuckets", app, ip, "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]", r);
          ct.request_parameters = "{\"Host\":\"s3." + w_.app_region + ".amazonaws.com\"}"; break;
        case 3: {
          const std::string& bucket = w_.buckets[r.Below(w_.buckets.size())];
          ct = NewCt(t, identity, "s3.amazonaws.com", "GetBucketPolicy", app, ip, "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488]", r);
          ct.request_parameters = "{\"bucketName\":" + Quote(bucket) + ",\"Host\":\"" + bucket + ".s3." + w_.app_region + ".amazonaws.com\",\"policy\":\"\"}";
          ct.error_code = "NoSuchBucketPolicy";
          ct.error_message = "The bucket policy does not exist";
          ct.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" + bucket + "\"}]";
          break;
        }
        case 4: ct = Iam(t, identity, "ListUsers", ip, "AWS Internal", "null", true); ct.console = true; break;
        case 5: ct = Iam(t, identity, "ListRoles", ip, "AWS Internal", "null", true); ct.console = true; break;
        case 6: {
          const IamUser& u = r.Chance(0.5) ? w_.app_user : w_.service_users[r.Below(w_.service_users.size())];
          ct = Iam(t, identity, "ListAccessKeys", ip, "AWS Internal", "{\"userName\":" + Quote(u.name) + "}", true);
          ct.console = true;
          break;
        }
        case 7: ct = NewCt(t, identity, "cloudtrail.amazonaws.com", "LookupEvents", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"maxResults\":50}"; break;
        case 8: ct = NewCt(t, identity, "monitoring.amazonaws.com", "DescribeAlarms", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"maxRecords\":100}"; break;
        case 9: ct = NewCt(t, identity, "logs.amazonaws.com", "DescribeLogGroups", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"limit\":50}"; break;
        case 10: ct = NewCt(t, identity, "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"targetGroupArn\":\"arn:aws:elasticloadbalancing:" + w_.app_region + ":" + w_.account + ":targetgroup/" + w_.company + "-web/" + r.LowerHex(16) + "\"}"; break;
        default: ct = NewCt(t, identity, "ec2.amazonaws.com", "DescribeVpcs", app, ip, "AWS Internal", r);
          ct.request_parameters = "{\"vpcSet\":{},\"filterSet\":{}}"; break;
      }
      ct.console = true;
      Script(ct);
    }
  }

  void Deploy(TimeMs t) {
    Rng& r = script_rng_;
    const IamUser& ci = w_.service_users[0];
    const std::string key = ci.KeyAt(t);
    if (!KeyActive(key, t) || t >= w_.end) return;
    const std::string session = "ci-run-" + std::to_string(r.Range(100000, 999999));
    Ct ct = NewCt(t, IamUserIdentity(w_, ci, key), "sts.amazonaws.com", "AssumeRole", w_.app_region_idx,
                  w_.ci_ip, kCiAgent, r);
    const std::string session_key = "ASIA" + r.UpperAlnum(16);
    ct.request_parameters = "{\"roleArn\":\"" + w_.deploy_role.arn + "\",\"roleSessionName\":\"" + session + "\"}";
    ct.response_elements = "{\"credentials\":{\"accessKeyId\":\"" + session_key + "\",\"sessionToken\":\"" +
                           r.Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 40) +
                           "\",\"expiration\":\"" + AwsLongDate(t + kHour) + "\"},\"assumedRoleUser\":{\"assumedRoleId\":\"" +
                           w_.deploy_role.role_id + ":" + session + "\",\"arn\":\"arn:aws:sts::" + w_.account +
                           ":assumed-role/" + w_.deploy_role.name + "/" + session + "\"}}";
    ct.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::IAM::Role\",\"ARN\":\"" + w_.deploy_role.arn + "\"}]";
    Script(ct);
    const std::string identity = AssumedRoleIdentity(w_, w_.deploy_role, session, session_key, t);
    TimeMs at = t + r.Range(2, 6) * kSecond;
    Ct c = NewCt(at, identity, "ec2.amazonaws.com", "DescribeInstances", w_.app_region_idx, w_.ci_ip, kCiAgent, r);
    c.request_parameters = "{\"instancesSet\":{},\"filterSet\":{\"items\":[{\"name\":\"tag:Role\",\"valueSet\":{\"items\":[{\"value\":\"web\"}]}}]}}";
    Script(c);
    for (const auto& server : w_.web) {
      at += r.Range(5, 40) * kSecond;
      c = NewCt(at, identity, "ssm.amazonaws.com", "SendCommand", w_.app_region_idx, w_.ci_ip, kCiAgent, r);
      c.read_only = false;
      c.request_parameters = "{\"instanceIds\":[\"i-0" + r.LowerHex(16) + "\"],\"documentName\":\"AWS-RunShellScript\",\"comment\":\"deploy " + server.host + "\"}";
      c.response_elements = "{\"command\":{\"commandId\":\"" + r.Uuid() + "\",\"documentName\":\"AWS-RunShellScript\",\"status\":\"Pending\"}}";
      Script(c);
    }
  }

  void Backup(TimeMs t) {
    Rng& r = script_rng_;
    const IamUser& svc = w_.service_users[1];
    if (t >= w_.end) return;
    const std::string key = svc.KeyAt(t);
    if (!KeyActive(key, t)) return;
    const std::string identity = IamUserIdentity(w_, svc, key);
    Ct ct = NewCt(t, identity, "ec2.amazonaws.com", "DescribeVolumes", w_.app_region_idx, w_.backup_ip, kJavaAgent, r);
    ct.request_parameters = "{\"volumeSet\":{},\"filterSet\":{}}";
    Script(ct);
    TimeMs at = t;
    for (size_t n = 0; n < w_.web.size(); ++n) {
      at += r.Range(2, 20) * kSecond;
      ct = NewCt(at, identity, "ec2.amazonaws.com", "CreateSnapshot", w_.app_region_idx, w_.backup_ip, kJavaAgent, r);
      ct.read_only = false;
      ct.request_parameters = "{\"volumeId\":\"vol-0" + r.LowerHex(16) + "\",\"description\":\"nightly " + w_.web[n].host + "\"}";
      ct.response_elements = "{\"requestId\":\"" + ct.request_id + "\",\"snapshotId\":\"snap-0" + r.LowerHex(16) + "\",\"status\":\"pending\"}";
      Script(ct);
    }
  }

  void Metrics(TimeMs t) {
    Rng& r = script_rng_;
    const IamUser& svc = w_.service_users[2];
    const std::string key = svc.KeyAt(t);
    if (!KeyActive(key, t)) return;
    Ct ct = NewCt(t, IamUserIdentity(w_, svc, key), "monitoring.amazonaws.com",
                  r.Chance(0.04) ? "ListMetrics" : "GetMetricData", w_.app_region_idx, w_.analytics_ip, kGoAgent, r);
    if (ct.name == "ListMetrics") {
      ct.error_code = "AccessDenied";
      ct.error_message = "User: " + svc.arn + " is not authorized to perform: cloudwatch:ListMetrics because no identity-based policy allows the cloudwatch:ListMetrics action";
      ct.request_parameters = "{\"namespace\":\"AWS/S3\"}";
    } else {
      ct.request_parameters = "{\"startTime\":\"" + IsoSeconds(t - 10 * kMinute) + "\",\"endTime\":\"" + IsoSeconds(t) + "\"}";
    }
    Script(ct);
  }

  void ConfigCall(TimeMs t, int region) {
    Rng& r = script_rng_;
    const std::string identity = AssumedRoleIdentity(w_, w_.config_role, "AWSConfig-Describe",
                                                     "ASIA" + r.UpperAlnum(16), t - r.Range(60, 3000) * kSecond,
                                                     "config.amazonaws.com");
    Ct ct;
    if (region == w_.app_region_idx && r.Chance(0.7)) {
      const std::string& bucket = w_.buckets[r.Below(w_.buckets.size())];
      static const char* kCalls[] = {"GetBucketAcl", "GetBucketVersioning", "GetBucketLogging", "GetBucketEncryption"};
      ct = NewCt(t, identity, "s3.amazonaws.com", kCalls[r.Below(4)], region, "config.amazonaws.com", "config.amazonaws.com", r);
      ct.request_parameters = "{\"bucketName\":" + Quote(bucket) + ",\"Host\":\"" + bucket + ".s3." + w_.app_region + ".amazonaws.com\"}";
      ct.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" + bucket + "\"}]";
    } else {
      ct = NewCt(t, identity, "ec2.amazonaws.com", r.Chance(0.5) ? "DescribeInstances" : "DescribeSecurityGroups", region,
                 "config.amazonaws.com", "config.amazonaws.com", r);
      ct.request_parameters = "{\"filterSet\":{}}";
    }
    Script(ct);
  }

  void DeveloperSession(TimeMs t) {
    Rng& r = script_rng_;
    const IamUser& dev = w_.developer;
    const std::string key = dev.KeyAt(t);
    if (!KeyActive(key, t) || t + 10 * kMinute >= w_.end) return;
    Ct ct = NewCt(t, IamUserIdentity(w_, dev, key), "sts.amazonaws.com", "GetCallerIdentity", 0, w_.dev_ip,
                  std::string(kCliAgent) + " md/command#sts.get-caller-identity", r);
    Script(ct);
    const int requests = static_cast<int>(r.Range(1, 4));
    TimeMs at = t;
    for (int n = 0; n < requests; ++n) {
      at += r.Range(10, 120) * kSecond;
      DeveloperS3(at, static_cast<int>(r.Below(w_.buckets.size())), false);
    }
  }

 public:
  // The developer's laptop lists a bucket; with bad_key, the mistyped key is used.
  void DeveloperS3(TimeMs t, int bucket_idx, bool bad_key) {
    Rng& r = script_rng_;
    const IamUser& dev = w_.developer;
    const std::string& bucket = w_.buckets[bucket_idx];
    const std::string request_id = r.UpperHex(16);
    const std::string host_id = S3HostId(r);
    const std::string agent = std::string(kCliAgent) + " md/command#s3api.list-objects-v2";
    const int bytes = bad_key ? 351 : static_cast<int>(r.Range(900, 9000));
    std::string line = w_.canonical_owner + " " + bucket + " [";
    AppendClf(&line, t);
    line += "] " + w_.dev_ip + " " + (bad_key ? "-" : dev.arn) + " " + request_id +
            " REST.GET.BUCKET - \"GET /?list-type=2&prefix=uploads%2F&encoding-type=url HTTP/1.1\" " +
            (bad_key ? "403 InvalidAccessKeyId " : "200 - ") + std::to_string(bytes) + " - " +
            std::to_string(r.Range(8, 90)) + " " + (bad_key ? "-" : std::to_string(r.Range(5, 60))) + " \"-\" \"" +
            agent + "\" - " + host_id + " SigV4 TLS_AES_128_GCM_SHA256 AuthHeader " + bucket + ".s3." +
            w_.app_region + ".amazonaws.com TLSv1.3 - -";
    script_s3_.push_back({t, bucket_idx, std::move(line), bad_key});
    if (bad_key) return;  // requests that fail authentication never reach CloudTrail
    Ct ct = NewCt(t, IamUserIdentity(w_, dev, dev.KeyAt(t)), "s3.amazonaws.com", "ListObjects", w_.app_region_idx,
                  w_.dev_ip, "[" + agent + "]", r);
    ct.request_id = request_id;
    ct.management = false;
    ct.request_parameters = "{\"bucketName\":" + Quote(bucket) + ",\"Host\":\"" + bucket + ".s3." + w_.app_region +
                            ".amazonaws.com\",\"list-type\":\"2\",\"prefix\":\"uploads/\",\"encoding-type\":\"url\"}";
    ct.additional = "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"" + host_id + "\",\"bytesTransferredOut\":" + std::to_string(bytes) + "}";
    ct.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" + bucket + "\"}]";
    Script(ct);
  }

  // The mistyped key: a handful of errors spread over the period, never two in one minute, one
  // of them shortly before the onset (a distractor for onset detection).
  void ScriptDeveloperTypos() {
    Rng& r = script_rng_;
    const int count = 2 + w_.days;
    std::vector<TimeMs> times;
    times.push_back(w_.onset - r.Range(4, 30) * kMinute - r.Range(0, 59) * kSecond);
    int attempts = 0;
    while (static_cast<int>(times.size()) < count && attempts++ < 10000) {
      const TimeMs t = w_.start + 30 * kMinute + static_cast<TimeMs>(r.Below(static_cast<uint64_t>(w_.end - w_.start - 60 * kMinute)));
      if (t > w_.onset - 40 * kMinute && t < w_.recovery + 10 * kMinute) continue;
      bool close = false;
      for (TimeMs other : times) close = close || (t > other - 2 * kHour && t < other + 2 * kHour);
      if (close) continue;
      times.push_back(t);
    }
    for (TimeMs t : times) {
      const TimeMs at = t - t % kSecond;
      const int bucket = static_cast<int>(r.Below(w_.buckets.size()));
      DeveloperS3(at, bucket, true);
      // The developer notices and retries with the right key.
      if (KeyActive(w_.developer.KeyAt(at), at + 2 * kMinute)) DeveloperS3(at + r.Range(30, 100) * kSecond, bucket, false);
      dev_error_times_.push_back(IsoSeconds(at));
    }
    std::sort(dev_error_times_.begin(), dev_error_times_.end());
  }

 private:
  // --- web traffic, minute by minute -----------------------------------------------------------
  double Diurnal(TimeMs t) const {
    const double hour = static_cast<double>(t % kDay) / static_cast<double>(kHour);
    return 1.0 + 0.6 * std::cos(2 * 3.141592653589793 * (hour - 19.0) / 24.0);
  }

  void Traffic(TimeMs minute) {
    const double rate = w_.rate * Diurnal(minute);
    int uploads = rng_.Poisson(0.2 * rate);
    const int views = rng_.Poisson(0.3 * rate);
    const int statics = rng_.Poisson(0.45 * rate);
    const int scanners = rng_.Poisson(0.015 * w_.rate);
    const int anonymous = rng_.Poisson(0.004 * w_.rate);
    const int denied = rng_.Poisson(0.002 * w_.rate);
    const int warnings = rng_.Poisson(0.006 * w_.rate);
    const bool outage = minute + kMinute > w_.onset && minute < w_.recovery;
    // The minute of the onset starts with uploads already in flight.
    if (minute <= w_.onset && w_.onset < minute + kMinute) {
      for (TimeMs delta : {2, 5, 9}) Upload(w_.onset + delta * kSecond, 1);
    }
    for (int n = 0; n < uploads; ++n) Upload(minute + rng_.Range(0, 59999), 1);
    for (int n = 0; n < views; ++n) View(minute + rng_.Range(0, 59999));
    for (int n = 0; n < statics; ++n) Static(minute + rng_.Range(0, 59999));
    for (int n = 0; n < scanners; ++n) Scanner(minute + rng_.Range(0, 59999));
    for (int n = 0; n < anonymous; ++n) AnonymousS3(minute + rng_.Range(0, 59999));
    for (int n = 0; n < denied; ++n) AnalyticsDenied(minute + rng_.Range(0, 59999));
    for (int n = 0; n < warnings; ++n) PhpWarning(minute + rng_.Range(0, 59999));
    if (outage) {
      // The upload workers retry queued uploads: tens of failing PUTs a minute.
      const int retries = rng_.Poisson(std::max(20.0, 8.0 * w_.rate));
      for (int n = 0; n < retries; ++n) {
        const TimeMs t = minute + rng_.Range(0, 59999);
        if (t < w_.onset || t >= w_.recovery) continue;
        const int server = static_cast<int>(rng_.Below(w_.web.size()));
        const int bucket = static_cast<int>(rng_.Below(w_.buckets.size()));
        S3FromWeb(t, bucket, server, true, "uploads/" + DayPath(t) + rng_.LowerHex(20) + w_.bucket_suffix[bucket],
                  rng_.Range(150000, 6000000));
      }
    }
    if (minute >= w_.recovery - w_.recovery % kMinute && minute < w_.recovery + 2 * kMinute) {
      // The queue drains once the key works again.
      const int drained = rng_.Poisson(std::max(10.0, 4.0 * w_.rate));
      for (int n = 0; n < drained; ++n) {
        const TimeMs t = minute + rng_.Range(0, 59999);
        if (t < w_.recovery) continue;
        const int server = static_cast<int>(rng_.Below(w_.web.size()));
        const int bucket = static_cast<int>(rng_.Below(w_.buckets.size()));
        S3FromWeb(t, bucket, server, true, "uploads/" + DayPath(t) + rng_.LowerHex(20) + w_.bucket_suffix[bucket],
                  rng_.Range(150000, 6000000));
      }
    }
    // Daily graceful restart after log rotation, per server.
    if (minute % kDay == 3 * kHour + 10 * kMinute) {
      for (size_t s = 0; s < w_.web.size(); ++s) Restart(minute + static_cast<TimeMs>(s) * 7 * kSecond + rng_.Range(0, 999), static_cast<int>(s));
    }
  }

  std::string DayPath(TimeMs t) const {
    const auto c = internal::ToCivil(t);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d/%02d/%02d/", c.year, c.month, c.day);
    return buf;
  }

  void AccessLine(TimeMs t, int server, const std::string& client, const char* method, const std::string& path,
                  int status, const std::string& bytes, const std::string& referer, const std::string& agent,
                  const char* protocol = "HTTP/1.1") {
    std::string line;
    line.reserve(256);
    line += client;
    line += " - - [";
    AppendClf(&line, t);
    line += "] \"";
    line += method;
    line += ' ';
    line += path;
    line += ' ';
    line += protocol;
    line += "\" ";
    line += std::to_string(status);
    line += ' ';
    line += bytes;
    line += " \"";
    line += referer;
    line += "\" \"";
    line += agent;
    line += '"';
    out_->Access({t, server, std::move(line), false});
  }

  void ErrorLine(TimeMs t, int server, const char* module_level, const std::string& client,
                 const std::string& message, const std::string& os_error = "") {
    const WebServer& s = w_.web[server];
    std::string line = "[";
    AppendErrorLogTime(&line, t, static_cast<int>(t % 1000) * 1000 + static_cast<int>(rng_.Below(1000)));
    line += "] [";
    line += module_level;
    line += "] [pid " + std::to_string(s.pids[rng_.Below(s.pids.size())]) + ":tid " +
            std::to_string(s.tids[rng_.Below(s.tids.size())]) + "] ";
    if (!os_error.empty()) line += os_error + ": ";
    if (!client.empty()) line += "[client " + client + ":" + std::to_string(rng_.Range(1024, 65535)) + "] ";
    line += message;
    out_->ErrorLog({t, server, std::move(line), false});
  }

  // One S3 request from a web server, signed with the app key. Returns false when it failed.
  bool S3FromWeb(TimeMs t, int bucket_idx, int server, bool put, const std::string& key, int64_t size) {
    const WebServer& s = w_.web[server];
    const std::string& bucket = w_.buckets[bucket_idx];
    const std::string app_key = w_.app_user.KeyAt(t);
    const bool key_ok = KeyActive(app_key, t);
    const bool missing = key_ok && !put && rng_.Chance(0.04);
    const std::string request_id = rng_.UpperHex(16);
    const std::string host_id = S3HostId(rng_);
    const int64_t total = put ? rng_.Range(40, 900) : rng_.Range(8, 300);
    std::string line;
    line.reserve(520);
    line += w_.canonical_owner;
    line += ' ';
    line += bucket;
    line += " [";
    AppendClf(&line, t);
    line += "] ";
    line += s.ip;
    line += ' ';
    line += key_ok ? w_.app_user.arn : "-";
    line += ' ';
    line += request_id;
    line += put ? " REST.PUT.OBJECT " : " REST.GET.OBJECT ";
    line += key;
    line += put ? " \"PUT /" : " \"GET /";
    line += key;
    line += " HTTP/1.1\" ";
    int64_t bytes_out = 0;
    if (!key_ok) {
      line += "403 InvalidAccessKeyId 331 ";
      line += put ? std::to_string(size) : "-";
      line += " " + std::to_string(rng_.Range(3, 25)) + " -";
    } else if (missing) {
      bytes_out = 313;
      line += "404 NoSuchKey 313 - " + std::to_string(rng_.Range(5, 30)) + " -";
    } else if (put) {
      line += "200 - - " + std::to_string(size) + " " + std::to_string(total) + " " + std::to_string(rng_.Range(5, 40));
    } else {
      bytes_out = size;
      line += "200 - " + std::to_string(size) + " " + std::to_string(size) + " " + std::to_string(total) + " " +
              std::to_string(rng_.Range(3, 25));
    }
    line += " \"-\" \"";
    line += kWebSdkAgent;
    line += "\" - ";
    line += host_id;
    line += " SigV4 TLS_AES_128_GCM_SHA256 AuthHeader ";
    line += bucket + ".s3." + w_.app_region + ".amazonaws.com TLSv1.3 - -";
    out_->S3({t, bucket_idx, std::move(line), !key_ok});
    if (!key_ok) return false;  // authentication failures never reach CloudTrail

    Ct ct = NewCt(t, IamUserIdentity(w_, w_.app_user, app_key), "s3.amazonaws.com", put ? "PutObject" : "GetObject",
                  w_.app_region_idx, s.ip, std::string("[") + kWebSdkAgent + "]", rng_);
    ct.request_id = request_id;
    ct.management = false;
    ct.read_only = !put;
    const std::string host = bucket + ".s3." + w_.app_region + ".amazonaws.com";
    ct.tls_host = host;
    ct.request_parameters = "{\"bucketName\":" + Quote(bucket) + ",\"Host\":\"" + host + "\",\"key\":" + Quote(key) + "}";
    if (missing) {
      ct.error_code = "NoSuchKey";
      ct.error_message = "The specified key does not exist.";
    }
    const bool kms = bucket_idx == w_.kms_bucket;
    if (put) {
      ct.response_elements = kms ? "{\"x-amz-server-side-encryption-aws-kms-key-id\":\"" + w_.kms_key_arn +
                                       "\",\"x-amz-server-side-encryption\":\"aws:kms\"}"
                                 : "{\"x-amz-server-side-encryption\":\"AES256\"}";
    }
    ct.additional = "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":" +
                    std::to_string(put ? size : 0) + ",\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"" + host_id +
                    "\",\"bytesTransferredOut\":" + std::to_string(bytes_out) + "}";
    ct.resources = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::" + bucket + "/" + key +
                   "\"},{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" + bucket + "\"}]";
    out_->CloudTrail({t, ct.region, RenderCt(ct, w_)});
    if (kms && !missing) {
      // S3 asks KMS for a data key on the caller's behalf: the caller's identity, S3's address.
      std::string identity = IamUserIdentity(w_, w_.app_user, app_key);
      identity.insert(identity.size() - 1, ",\"invokedBy\":\"s3.amazonaws.com\"");
      Ct k = NewCt(t + rng_.Range(5, 40), identity, "kms.amazonaws.com", put ? "GenerateDataKey" : "Decrypt",
                   w_.app_region_idx, "s3.amazonaws.com", "s3.amazonaws.com", rng_);
      k.request_parameters = "{\"encryptionContext\":{\"aws:s3:arn\":\"arn:aws:s3:::" + bucket + "/" + key +
                             "\"},\"keyId\":\"" + w_.kms_key_arn + "\"" + (put ? ",\"keySpec\":\"AES_256\"" : "") +
                             ",\"encryptionAlgorithm\":\"SYMMETRIC_DEFAULT\"}";
      k.resources = "[{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::KMS::Key\",\"ARN\":\"" + w_.kms_key_arn + "\"}]";
      out_->CloudTrail({k.time, k.region, RenderCt(k, w_)});
    }
    return !missing;
  }

  void Upload(TimeMs t, int attempt) {
    const int server = static_cast<int>(rng_.Below(w_.web.size()));
    const std::string& client = rng_.Pick(w_.client_ips);
    const std::string& agent = rng_.Pick(kBrowsers);
    const std::string id = rng_.LowerHex(20);
    const int64_t size = rng_.Range(150000, 6000000);
    bool ok = true;
    TimeMs done = t;
    for (int b = 0; b < static_cast<int>(w_.buckets.size()); ++b) {
      const TimeMs at = t + rng_.Range(30, 400);
      done = std::max(done, at);
      const int64_t object_size = b == 0 ? size : size / (3 + b * 2);
      ok = S3FromWeb(at, b, server, true, "uploads/" + DayPath(t) + id + w_.bucket_suffix[b], object_size) && ok;
    }
    const std::string referer = "https://" + w_.domain + "/upload";
    if (ok) {
      AccessLine(t, server, client, "POST", "/api/upload", 200, std::to_string(rng_.Range(96, 180)), referer, agent);
    } else if (rng_.Chance(0.8)) {
      AccessLine(t, server, client, "POST", "/api/upload", 500, "527", referer, agent);
      ErrorLine(done + rng_.Range(50, 400), server, "proxy_fcgi:error", client,
                "AH01071: Got error 'PHP message: [upload] S3 PutObject failed for s3://" + w_.buckets[0] +
                    "/uploads/" + DayPath(t) + id + w_.bucket_suffix[0] +
                    ": InvalidAccessKeyId (403): The AWS Access Key Id you provided does not exist in our records.', referer: " +
                    referer);
    } else {
      AccessLine(t, server, client, "POST", "/api/upload", 502, "341", referer, agent);
      ErrorLine(done + rng_.Range(50, 400), server, "proxy_fcgi:error", client,
                "AH01075: Error dispatching request to : (passing brigade to output filters), referer: " + referer,
                "(104)Connection reset by peer");
    }
    // Users try again once.
    if (!ok && attempt == 1 && rng_.Chance(0.6)) {
      const TimeMs again = t + rng_.Range(3, 20) * kSecond;
      if (again / kMinute == t / kMinute) Upload(again, 2);
    }
  }

  void View(TimeMs t) {
    const int server = static_cast<int>(rng_.Below(w_.web.size()));
    const std::string& client = rng_.Pick(w_.client_ips);
    const std::string& agent = rng_.Pick(kBrowsers);
    const int bucket = static_cast<int>(w_.buckets.size() > 1 ? 1 + rng_.Below(w_.buckets.size() - 1) : 0);
    const TimeMs day_back = t - static_cast<TimeMs>(rng_.Below(20)) * kDay;
    const std::string id = rng_.LowerHex(20);
    const std::string key = "uploads/" + DayPath(day_back) + id + w_.bucket_suffix[bucket];
    const int64_t size = rng_.Range(20000, 900000);
    const TimeMs at = t + rng_.Range(5, 60);
    const std::string app_key = w_.app_user.KeyAt(at);
    const bool key_ok = KeyActive(app_key, at);
    const bool found = S3FromWeb(at, bucket, server, false, key, size);
    const std::string path = "/photos/" + id + w_.bucket_suffix[bucket];
    const std::string referer = "https://" + w_.domain + "/";
    if (found) {
      AccessLine(t, server, client, "GET", path, 200, std::to_string(size), referer, agent);
    } else if (key_ok) {
      AccessLine(t, server, client, "GET", path, 404, "196", referer, agent);
    } else {
      AccessLine(t, server, client, "GET", path, 500, "527", referer, agent);
      ErrorLine(at + rng_.Range(20, 200), server, "proxy_fcgi:error", client,
                "AH01071: Got error 'PHP message: [media] S3 GetObject failed for s3://" + w_.buckets[bucket] + "/" + key +
                    ": InvalidAccessKeyId (403): The AWS Access Key Id you provided does not exist in our records.', referer: " +
                    referer);
    }
  }

  void Static(TimeMs t) {
    const int server = static_cast<int>(rng_.Below(w_.web.size()));
    const std::string& client = rng_.Pick(w_.client_ips);
    const std::string& agent = rng_.Pick(kBrowsers);
    if (rng_.Chance(0.02)) {
      AccessLine(t, server, client, "GET", "/favicon.ico", 404, "196", "-", agent);
      ErrorLine(t + rng_.Range(0, 3), server, "core:info", client,
                "AH00128: File does not exist: /var/www/html/favicon.ico");
      return;
    }
    const std::string& path = rng_.Pick(kStaticPaths);
    const bool cached = path.rfind("/static/", 0) == 0 && rng_.Chance(0.35);
    AccessLine(t, server, client, "GET", path, cached ? 304 : 200,
               cached ? "-" : std::to_string(rng_.Range(900, 240000)),
               path == "/" ? "-" : "https://" + w_.domain + "/", agent);
  }

  void Scanner(TimeMs t) {
    const int server = static_cast<int>(rng_.Below(w_.web.size()));
    const std::string& client = rng_.Pick(w_.scanner_ips);
    const std::string& path = rng_.Pick(kScannerPaths);
    const bool hidden = path.rfind("/.", 0) == 0 || path == "/server-status";
    AccessLine(t, server, client, "GET", path, hidden ? 403 : 404, hidden ? "199" : "196", "-",
               rng_.Pick(kScannerAgents), rng_.Chance(0.2) ? "HTTP/1.0" : "HTTP/1.1");
    if (hidden) {
      ErrorLine(t + rng_.Range(0, 3), server, "authz_core:error", client,
                "AH01630: client denied by server configuration: /var/www/html" + path);
    } else {
      ErrorLine(t + rng_.Range(0, 3), server, "core:info", client, "AH00128: File does not exist: /var/www/html" + path);
    }
  }

  void AnonymousS3(TimeMs t) {
    const int bucket_idx = static_cast<int>(rng_.Below(w_.buckets.size()));
    const std::string& bucket = w_.buckets[bucket_idx];
    std::string line = w_.canonical_owner + " " + bucket + " [";
    AppendClf(&line, t);
    line += "] " + rng_.Pick(w_.scanner_ips) + " - " + rng_.UpperHex(16) +
            " REST.GET.BUCKET - \"GET /?list-type=2 HTTP/1.1\" 403 AccessDenied 243 - " +
            std::to_string(rng_.Range(2, 20)) + " - \"-\" \"" + rng_.Pick(kScannerAgents) + "\" - " + S3HostId(rng_) +
            " - - - " + bucket + ".s3.amazonaws.com - - -";
    out_->S3({t, bucket_idx, std::move(line), false});
  }

  // The analytics role tries to read originals it is not allowed to read.
  void AnalyticsDenied(TimeMs t) {
    const int bucket_idx = 0;
    const std::string& bucket = w_.buckets[bucket_idx];
    const std::string key = "uploads/" + DayPath(t - kDay) + rng_.LowerHex(20) + w_.bucket_suffix[0];
    const std::string session = "analytics-" + rng_.LowerHex(8);
    const std::string arn = "arn:aws:sts::" + w_.account + ":assumed-role/" + w_.analytics_role.name + "/" + session;
    const std::string request_id = rng_.UpperHex(16);
    const std::string host_id = S3HostId(rng_);
    std::string line = w_.canonical_owner + " " + bucket + " [";
    AppendClf(&line, t);
    line += "] " + w_.analytics_ip + " " + arn + " " + request_id + " REST.GET.OBJECT " + key + " \"GET /" + key +
            " HTTP/1.1\" 403 AccessDenied 243 - " + std::to_string(rng_.Range(3, 30)) + " - \"-\" \"" + kJavaAgent +
            "\" - " + host_id + " SigV4 TLS_AES_128_GCM_SHA256 AuthHeader " + bucket + ".s3." + w_.app_region +
            ".amazonaws.com TLSv1.3 - -";
    out_->S3({t, bucket_idx, std::move(line), false});
    Ct ct = NewCt(t, AssumedRoleIdentity(w_, w_.analytics_role, session, "ASIA" + rng_.UpperAlnum(16), t - 20 * kMinute),
                  "s3.amazonaws.com", "GetObject", w_.app_region_idx, w_.analytics_ip, std::string("[") + kJavaAgent + "]", rng_);
    ct.request_id = request_id;
    ct.management = false;
    ct.error_code = "AccessDenied";
    ct.error_message = "Access Denied";
    ct.request_parameters = "{\"bucketName\":" + Quote(bucket) + ",\"Host\":\"" + bucket + ".s3." + w_.app_region +
                            ".amazonaws.com\",\"key\":" + Quote(key) + "}";
    ct.additional = "{\"SignatureVersion\":\"SigV4\",\"CipherSuite\":\"TLS_AES_128_GCM_SHA256\",\"bytesTransferredIn\":0,\"AuthenticationMethod\":\"AuthHeader\",\"x-amz-id-2\":\"" + host_id + "\",\"bytesTransferredOut\":243}";
    ct.resources = "[{\"type\":\"AWS::S3::Object\",\"ARN\":\"arn:aws:s3:::" + bucket + "/" + key +
                   "\"},{\"accountId\":\"" + w_.account + "\",\"type\":\"AWS::S3::Bucket\",\"ARN\":\"arn:aws:s3:::" + bucket + "\"}]";
    out_->CloudTrail({t, ct.region, RenderCt(ct, w_)});
  }

  void PhpWarning(TimeMs t) {
    const int server = static_cast<int>(rng_.Below(w_.web.size()));
    static const char* kWarnings[] = {
        "PHP Warning:  Undefined array key \"caption\" in /var/www/app/src/Controller/UploadController.php on line 88",
        "PHP Deprecated:  strftime() is deprecated in /var/www/app/src/View/Helpers.php on line 41",
        "PHP Warning:  exif_read_data(upload.jpg): Illegal IFD size in /var/www/app/src/Image/Exif.php on line 27"};
    ErrorLine(t, server, "proxy_fcgi:error", rng_.Pick(w_.client_ips),
              std::string("AH01071: Got error 'PHP message: ") + kWarnings[rng_.Below(3)] + "', referer: https://" +
                  w_.domain + "/upload");
  }

  void Restart(TimeMs t, int server) {
    ErrorLine(t, server, "mpm_event:notice", "", "AH00493: SIGUSR1 received.  Doing graceful restart");
    ErrorLine(t + 40, server, "ssl:warn", "",
              "AH01909: " + w_.web[server].host + ".internal:443:0 server certificate does NOT include an ID which matches the server name");
    ErrorLine(t + 80, server, "mpm_event:notice", "",
              "AH00489: Apache/2.4.58 (Amazon Linux) OpenSSL/3.0.8 configured -- resuming normal operations");
    ErrorLine(t + 81, server, "core:notice", "", "AH00094: Command line: '/usr/sbin/httpd -D FOREGROUND'");
  }

  const World& w_;
  Output* out_;
  Rng script_rng_;
  Rng rng_;
  std::vector<CtItem> script_ct_;
  std::vector<Line> script_s3_;
  std::map<std::string, std::vector<KeyState>> key_changes_;
  Truth truth_;
  std::vector<std::string> dev_error_times_;
};

// ---------------------------------------------------------------------------------------------
// answer.json

std::string MinuteIso(TimeMs t) { return IsoSeconds(t - t % kMinute); }

std::string AnswerJson(const World& w, const Generator& g, const Output& out) {
  const Truth& truth = g.truth();
  const bool malicious = w.variant == Variant::kMalicious;
  const std::string actor_ip = malicious ? w.attacker_ip : w.keymgmt_ip;
  const internal::Place place = internal::PlaceOf(actor_ip);
  std::string s;
  auto q = [](const std::string& v) { return Quote(v); };
  s += "{\n";
  s += "  \"variant\": " + q(VariantName(w.variant)) + ",\n";
  s += "  \"seed\": " + std::to_string(w.seed) + ",\n";
  s += "  \"expected_verdict\": " + q(malicious ? "malicious" : "operational") + ",\n";
  s += "  \"account\": " + q(w.account) + ",\n";
  s += "  \"region\": " + q(w.app_region) + ",\n";
  s += "  \"period\": {\"start\": " + q(IsoSeconds(w.start)) + ", \"end\": " + q(IsoSeconds(w.end)) + "},\n";
  s += "  \"onset_minute\": " + q(MinuteIso(w.onset)) + ",\n";
  s += "  \"credential_change\": {\"event_id\": " + q(truth.change_event_id) +
       ", \"event_name\": \"UpdateAccessKey\", \"time\": " + q(IsoSeconds(w.onset)) +
       ", \"status\": \"Inactive\", \"access_key_id\": " + q(w.app_user.KeyAt(w.onset)) +
       ", \"target_user\": " + q(w.app_user.name) + "},\n";
  s += "  \"actor\": {\"user_name\": " + q(w.keymgmt.name) + ", \"arn\": " + q(w.keymgmt.arn) +
       ", \"type\": \"IAMUser\", \"source_ip\": " + q(actor_ip) + ", \"country\": " + q(place.country) +
       ", \"city\": " + q(place.city) + ", \"access_key_id\": " +
       q(malicious ? truth.actor_session_key : w.keymgmt.KeyAt(w.onset)) + ", \"console_session\": " +
       (malicious ? "true" : "false") + "},\n";
  s += "  \"actor_baseline\": {\"source_ips\": [" + q(w.keymgmt_ip) + "], \"country\": \"US\", \"usual_hours_utc\": [" +
       std::to_string(w.usual_start_hour) + ", " + std::to_string((w.usual_start_hour + 8) % 24) + "]},\n";
  s += "  \"affected_key\": {\"access_key_id\": " + q(w.app_user.KeyAt(w.onset)) + ", \"owner\": " + q(w.app_user.name) +
       ", \"owner_arn\": " + q(w.app_user.arn) + "},\n";
  s += "  \"keys_touched\": [";
  for (size_t idx = 0; idx < truth.touched.size(); ++idx) {
    const auto& k = truth.touched[idx];
    s += std::string(idx ? ",\n    " : "\n    ") + "{\"access_key_id\": " + q(k.key) + ", \"owner\": " + q(k.owner) +
         ", \"event_name\": " + q(k.event_name) + ", \"event_id\": " + q(k.event_id) + ", \"status\": " + q(k.status) +
         ", \"time\": " + q(IsoSeconds(k.time)) + "}";
  }
  s += "\n  ],\n";
  s += "  \"new_key\": " + q(truth.new_key) + ",\n";
  s += "  \"actor_incident_events\": [";
  for (size_t idx = 0; idx < truth.actor_events.size(); ++idx) {
    s += std::string(idx ? ", " : "") + "{\"event_name\": " + q(truth.actor_events[idx].first) +
         ", \"event_id\": " + q(truth.actor_events[idx].second) + "}";
  }
  s += "],\n";
  std::vector<UpdateKeyEvent> updates = truth.update_events;
  std::stable_sort(updates.begin(), updates.end(),
                   [](const UpdateKeyEvent& a, const UpdateKeyEvent& b) { return a.time < b.time; });
  s += "  \"update_access_key_events\": [";
  for (size_t idx = 0; idx < updates.size(); ++idx) {
    const auto& u = updates[idx];
    s += std::string(idx ? ",\n    " : "\n    ") + "{\"event_id\": " + q(u.event_id) + ", \"time\": " +
         q(IsoSeconds(u.time)) + ", \"actor\": " + q(u.actor) + ", \"actor_arn\": " + q(u.actor_arn) +
         ", \"source_ip\": " + q(u.source_ip) + ", \"status\": " + q(u.status) + ", \"access_key_id\": " + q(u.key) +
         ", \"target_user\": " + q(u.target_user) + "}";
  }
  s += "\n  ],\n";
  s += "  \"affected_buckets\": [";
  for (size_t idx = 0; idx < w.buckets.size(); ++idx) s += std::string(idx ? ", " : "") + q(w.buckets[idx]);
  s += "],\n  \"affected_hosts\": [";
  for (size_t idx = 0; idx < w.web.size(); ++idx) {
    s += std::string(idx ? ", " : "") + "{\"host\": " + q(w.web[idx].host) + ", \"ip\": " + q(w.web[idx].ip) + "}";
  }
  s += "],\n";
  s += "  \"recovery\": {\"time\": " + q(IsoSeconds(w.recovery)) + ", \"minute\": " + q(MinuteIso(w.recovery)) +
       ", \"event_id\": " + q(truth.recovery_event_id) + ", \"admin\": " + q(truth.recovery_admin->name) +
       ", \"admin_arn\": " + q(truth.recovery_admin->arn) + ", \"source_ip\": " + q(truth.recovery_ip) +
       ", \"country\": \"US\"},\n";
  // Per-minute S3 403 InvalidAccessKeyId counts from 10 minutes before the onset to 10 after.
  const int64_t onset_minute = w.onset / kMinute;
  s += "  \"invalid_access_key_per_minute\": {";
  for (int64_t m = onset_minute - 10; m <= onset_minute + 10; ++m) {
    auto it = out.invalid_key_per_minute.find(m);
    s += std::string(m == onset_minute - 10 ? "" : ", ") + q(IsoSeconds(m * kMinute)) + ": " +
         std::to_string(it == out.invalid_key_per_minute.end() ? 0 : it->second);
  }
  s += "},\n";
  int background_max = 0;
  int64_t total = 0;
  for (const auto& [m, count] : out.invalid_key_per_minute) {
    total += count;
    if (m < onset_minute || m > w.recovery / kMinute) background_max = std::max(background_max, count);
  }
  s += "  \"invalid_access_key_background_max\": " + std::to_string(background_max) + ",\n";
  s += "  \"invalid_access_key_total\": " + std::to_string(total) + ",\n";
  s += "  \"mistyped_key\": {\"user\": " + q(w.developer.name) + ", \"source_ip\": " + q(w.dev_ip) + ", \"times\": [";
  const auto& typos = g.dev_error_times();
  for (size_t idx = 0; idx < typos.size(); ++idx) s += std::string(idx ? ", " : "") + q(typos[idx]);
  s += "]},\n";
  s += "  \"event_counts\": {\"cloudtrail\": " + std::to_string(out.stats.cloudtrail_records) +
       ", \"s3_access\": " + std::to_string(out.stats.s3_access_lines) +
       ", \"apache_access\": " + std::to_string(out.stats.apache_access_lines) +
       ", \"apache_error\": " + std::to_string(out.stats.apache_error_lines) + "}\n";
  s += "}\n";
  return s;
}

Status PrepareOutDir(const SimOptions& options) {
  std::error_code ec;
  const fs::path root(options.out_dir);
  if (fs::exists(root, ec)) {
    if (!fs::is_directory(root, ec)) return Error::InvalidArgument("--out '" + options.out_dir + "' is not a directory");
    if (!fs::is_empty(root, ec)) {
      if (!options.overwrite) {
        return Error::InvalidArgument("output directory '" + options.out_dir + "' is not empty")
            .WithHelp("choose an empty directory, or pass --force to replace a previous simulation there");
      }
      for (const char* name : {"AWSLogs", "s3-access", "apache", "answer.json"}) {
        fs::remove_all(root / name, ec);
        if (ec) return Error::Io("cannot remove " + (root / name).string() + ": " + ec.message());
      }
    }
  }
  fs::create_directories(root, ec);
  if (ec) return Error::Io("cannot create directory '" + options.out_dir + "': " + ec.message());
  return Ok();
}

}  // namespace

Result<SimStats> Simulate(const SimOptions& options) {
  if (options.days < 1 || options.days > 366) {
    return Error::InvalidArgument("--days must be between 1 and 366, got " + std::to_string(options.days));
  }
  if (!(options.rate > 0) || options.rate > 100000) {
    return Error::InvalidArgument("--rate must be in (0, 100000], got " + FormatDouble(options.rate));
  }
  if (options.out_dir.empty()) return Error::InvalidArgument("an output directory is required (--out DIR)");
  CAIRN_TRY(PrepareOutDir(options));

  const World world = internal::BuildWorld(options);
  Output out(world, fs::path(options.out_dir), options.seed);
  CAIRN_TRY(out.Open());
  Generator generator(world, &out);
  generator.BuildScripts();
  CAIRN_TRY(generator.Run());

  SimStats stats = out.stats;
  stats.onset_minute = MinuteIso(world.onset);
  const fs::path answer = fs::path(options.out_dir) / "answer.json";
  const std::string json = AnswerJson(world, generator, out);
  std::FILE* f = std::fopen(answer.c_str(), "wb");
  if (f == nullptr) return Error::Io("cannot write " + answer.string());
  const size_t n = std::fwrite(json.data(), 1, json.size(), f);
  if (std::fclose(f) != 0 || n != json.size()) return Error::Io("write failed: " + answer.string());
  stats.answer_path = answer.string();
  return stats;
}

}  // namespace cairn::sim
