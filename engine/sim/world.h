#pragma once
// The simulated stack (internal to engine/sim): who exists, which addresses they use, and when the
// incident happens. Built once from the seed by BuildWorld(); every later step only reads it.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/common/time.h"
#include "engine/sim/sim_internal.h"
#include "engine/sim/simulator.h"

namespace cairn::sim::internal {

constexpr TimeMs kSecond = 1000;
constexpr TimeMs kMinute = 60 * kSecond;
constexpr TimeMs kHour = 60 * kMinute;
constexpr TimeMs kDay = 24 * kHour;

// An IAM user and the access keys it holds over time (the key in use is the last one whose
// `since` is <= t).
struct IamUser {
  std::string name;
  std::string arn;
  std::string principal_id;  // AIDA...
  struct Key {
    std::string id;  // AKIA...
    TimeMs since = 0;
  };
  std::vector<Key> keys;
  const std::string& KeyAt(TimeMs t) const;
};

struct Role {
  std::string name;
  std::string arn;
  std::string role_id;  // AROA...
};

struct WebServer {
  std::string host;
  std::string ip;
  std::vector<int> pids;
  std::vector<uint64_t> tids;
};

struct World {
  Variant variant = Variant::kMalicious;
  uint64_t seed = 0;
  int days = 7;
  double rate = 3;

  std::string account;          // 12 digits
  std::string canonical_owner;  // 64 hex, the bucket owner in S3 access logs
  std::string company;
  std::string domain;           // www.<company>.example
  std::string app_region;
  std::vector<std::string> regions;  // [0] us-east-1 (global services), then app region, quiet one
  int app_region_idx = 0;
  int quiet_region_idx = 0;

  IamUser app_user;     // the web app's user; its key signs every S3 request of the web servers
  IamUser keymgmt;      // the key-management automation (the incident's actor)
  std::vector<IamUser> admins;
  IamUser developer;    // has a laptop and once in a while a mistyped key
  std::vector<IamUser> service_users;  // ci deployer, backup, metrics
  std::string dev_bad_key;

  Role upload_session_role, deploy_role, web_instance_role, analytics_role, config_role;
  std::string kms_key_arn;

  std::vector<std::string> buckets;  // upload buckets
  std::vector<std::string> bucket_suffix;  // per bucket object key suffix
  int kms_bucket = 0;                // the bucket whose objects are encrypted with SSE-KMS
  std::vector<WebServer> web;

  std::vector<std::string> office_ips;  // admins (US)
  std::string keymgmt_ip;               // the key-management automation's usual address (US)
  std::string dev_ip;                   // the developer's laptop (US)
  std::string ci_ip, backup_ip, analytics_ip;
  std::string attacker_ip;              // malicious variant only
  std::string attacker_country, attacker_city;
  std::vector<std::string> client_ips;  // the photo app's visitors
  std::vector<std::string> scanner_ips;

  int usual_start_hour = 14;  // keymgmt's working hours: [usual_start_hour, +8h) UTC
  TimeMs start = 0;           // period start (midnight UTC)
  TimeMs end = 0;
  TimeMs onset = 0;           // the UpdateAccessKey that disables the app key (whole second)
  TimeMs recovery = 0;        // the admin's UpdateAccessKey Status=Active (whole second)
  // A routine rotation of service_users[1]'s key early in the period (0 = none): CreateAccessKey
  // at `rotation`, the service switches 15 minutes later, the old key is deactivated after 40.
  TimeMs rotation = 0;
};

// Draws the whole world from the seed.
World BuildWorld(const SimOptions& options);

// Geolocation of the addresses the generator uses that must geolocate (MaxMind test networks).
struct Place {
  const char* country;
  const char* city;
};
Place PlaceOf(const std::string& ip);

}  // namespace cairn::sim::internal
