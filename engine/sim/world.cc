#include "engine/sim/world.h"

#include <algorithm>
#include <cstdio>

namespace cairn::sim::internal {
namespace {

const std::vector<std::string> kCompanies = {
    "lumigram", "picnest", "framely", "snapcrate", "photarium", "glintly",
    "pixlane", "shutterloft", "imagora", "viewnook", "clickhaven", "photonest"};
const std::vector<std::string> kAppUserNames = {"{c}-web-app", "svc-{c}-uploads", "{c}-s3-writer",
                                                "webapp-{c}", "{c}-photo-uploader"};
const std::vector<std::string> kKeyMgmtNames = {"key-broker", "iam-key-manager", "svc-keyrotator",
                                                "credential-vendor", "keymaster", "{c}-key-service"};
const std::vector<std::string> kPeople = {
    "maria.garcia", "james.chen", "priya.patel", "tom.nguyen", "olivia.smith", "david.kim",
    "sara.lopez", "alex.morgan", "nina.rossi", "ben.carter", "lucas.meyer", "emma.jones",
    "omar.haddad", "grace.liu", "ivan.petrov", "zoe.adams"};
const std::vector<std::string> kRegions = {"us-east-1", "us-east-2", "us-west-2", "us-west-1"};
const std::vector<std::string> kQuietRegions = {"eu-west-1", "ap-southeast-2", "ca-central-1",
                                                "eu-central-1"};
const std::vector<std::string> kBucketRoles = {"originals", "thumbs", "medium", "archive"};
const std::vector<std::string> kBucketSuffix = {".jpg", "_thumb.jpg", "_1080.jpg", ".orig"};
const std::vector<std::string> kHostPrefixes = {"web", "www", "app", "front"};

std::string Fill(const std::string& pattern, const std::string& company) {
  std::string out = pattern;
  const auto pos = out.find("{c}");
  if (pos != std::string::npos) out.replace(pos, 3, company);
  return out;
}

std::string Ipv4(int a, int b, int c, int d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%d.%d.%d.%d", a, b, c, d);
  return buf;
}

IamUser MakeUser(Rng& rng, const std::string& account, const std::string& name) {
  IamUser user;
  user.name = name;
  user.arn = "arn:aws:iam::" + account + ":user/" + name;
  user.principal_id = "AIDA" + rng.UpperAlnum(17);
  user.keys.push_back({"AKIA" + rng.UpperAlnum(16), 0});
  return user;
}

Role MakeRole(Rng& rng, const std::string& account, const std::string& name,
              const std::string& path = "") {
  return {name, "arn:aws:iam::" + account + ":role/" + path + name, "AROA" + rng.UpperAlnum(17)};
}

}  // namespace

const std::string& IamUser::KeyAt(TimeMs t) const {
  const Key* current = &keys.front();
  for (const auto& key : keys) {
    if (key.since <= t) current = &key;
  }
  return current->id;
}

Place PlaceOf(const std::string& ip) {
  if (ip.rfind("216.160.83.", 0) == 0) return {"US", "Milton"};
  if (ip.rfind("81.2.69.", 0) == 0) return {"GB", "London"};
  if (ip.rfind("89.160.20.", 0) == 0) return {"SE", "Linköping"};
  if (ip.rfind("2.125.160.", 0) == 0) return {"GB", "Boxford"};
  if (ip.rfind("175.16.199.", 0) == 0) return {"CN", "Changchun"};
  return {"", ""};
}

World BuildWorld(const SimOptions& options) {
  Rng rng(options.seed ^ 0x5eed0f3a11ce0001ULL);
  World w;
  w.variant = options.variant;
  w.seed = options.seed;
  w.days = options.days;
  w.rate = options.rate;

  w.account = std::to_string(rng.Range(1, 9)) + rng.Chars("0123456789", 11);
  w.canonical_owner = rng.LowerHex(64);
  w.company = rng.Pick(kCompanies);
  w.domain = "www." + w.company + ".example";
  w.app_region = rng.Pick(kRegions);
  w.regions.push_back("us-east-1");
  if (w.app_region != "us-east-1") w.regions.push_back(w.app_region);
  w.app_region_idx = static_cast<int>(w.regions.size()) - 1;
  w.regions.push_back(rng.Pick(kQuietRegions));
  w.quiet_region_idx = static_cast<int>(w.regions.size()) - 1;

  // People and services.
  std::vector<std::string> people = kPeople;
  rng.Shuffle(&people);
  w.app_user = MakeUser(rng, w.account, Fill(rng.Pick(kAppUserNames), w.company));
  w.keymgmt = MakeUser(rng, w.account, Fill(rng.Pick(kKeyMgmtNames), w.company));
  const int admin_count = static_cast<int>(rng.Range(2, 3));
  for (int idx = 0; idx < admin_count; ++idx) {
    w.admins.push_back(MakeUser(rng, w.account, people[idx]));
  }
  w.developer = MakeUser(rng, w.account, people[admin_count]);
  {
    // The mistyped key: the developer's real key with two characters changed.
    std::string bad = w.developer.keys[0].id;
    for (int n = 0; n < 2; ++n) {
      const size_t pos = 4 + rng.Below(16);
      char c = bad[pos];
      while (c == bad[pos]) c = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[rng.Below(36)];
      bad[pos] = c;
    }
    w.dev_bad_key = bad;
  }
  w.service_users.push_back(MakeUser(rng, w.account, rng.Chance(0.5) ? "ci-deployer" : "github-actions-deploy"));
  w.service_users.push_back(MakeUser(rng, w.account, rng.Chance(0.5) ? "svc-backup" : "backup-agent"));
  w.service_users.push_back(MakeUser(rng, w.account, rng.Chance(0.5) ? "svc-metrics" : "grafana-cloudwatch"));

  w.upload_session_role = MakeRole(rng, w.account, w.company + "-upload-session");
  w.deploy_role = MakeRole(rng, w.account, w.company + "-deploy");
  w.web_instance_role = MakeRole(rng, w.account, w.company + "-web-instance");
  w.analytics_role = MakeRole(rng, w.account, w.company + "-analytics");
  w.config_role =
      MakeRole(rng, w.account, "AWSServiceRoleForConfig", "aws-service-role/config.amazonaws.com/");
  w.kms_key_arn = "arn:aws:kms:" + w.app_region + ":" + w.account + ":key/" + rng.Uuid();

  // Buckets (2 to 4) and web servers (3 or 4).
  const int bucket_count = static_cast<int>(rng.Range(2, 4));
  const std::string bucket_tag = rng.LowerHex(4);
  for (int idx = 0; idx < bucket_count; ++idx) {
    w.buckets.push_back(w.company + "-" + kBucketRoles[idx] + "-" + bucket_tag);
    w.bucket_suffix.push_back(kBucketSuffix[idx]);
  }
  w.kms_bucket = static_cast<int>(rng.Below(w.buckets.size()));

  // US addresses: MaxMind's test network 216.160.83.56/29 (Milton, US), eight addresses shared
  // by the web servers, the office, the key-management automation and the developer's laptop.
  std::vector<std::string> us;
  for (int last = 56; last <= 63; ++last) us.push_back(Ipv4(216, 160, 83, last));
  rng.Shuffle(&us);
  const int web_count = static_cast<int>(rng.Range(3, 4));
  const std::string prefix = rng.Pick(kHostPrefixes);
  const int first_no = static_cast<int>(rng.Range(1, 7));
  size_t next_us = 0;
  for (int idx = 0; idx < web_count; ++idx) {
    WebServer server;
    char name[64];
    std::snprintf(name, sizeof name, "%s-%02d", prefix.c_str(), first_no + idx);
    server.host = name;
    server.ip = us[next_us++];
    for (int p = 0; p < 5; ++p) server.pids.push_back(static_cast<int>(rng.Range(1200, 32000)));
    for (int p = 0; p < 5; ++p) server.tids.push_back(139900000000000ULL + rng.Below(900000000000ULL));
    w.web.push_back(server);
  }
  w.keymgmt_ip = us[next_us++];
  w.dev_ip = us[next_us++];
  w.office_ips.push_back(us[next_us++]);
  if (next_us < us.size()) w.office_ips.push_back(us[next_us++]);
  w.ci_ip = Ipv4(198, 51, 100, static_cast<int>(rng.Range(10, 60)));
  w.backup_ip = Ipv4(198, 51, 100, static_cast<int>(rng.Range(61, 120)));
  w.analytics_ip = Ipv4(198, 51, 100, static_cast<int>(rng.Range(121, 200)));

  // The attacker: GB London 81.2.69.142/31 or 81.2.69.144/28, or SE Linkoping 89.160.20.112/28.
  switch (rng.Below(3)) {
    case 0: w.attacker_ip = Ipv4(81, 2, 69, static_cast<int>(rng.Range(142, 143))); break;
    case 1: w.attacker_ip = Ipv4(81, 2, 69, static_cast<int>(rng.Range(144, 159))); break;
    default: w.attacker_ip = Ipv4(89, 160, 20, static_cast<int>(rng.Range(112, 127))); break;
  }
  const Place place = PlaceOf(w.attacker_ip);
  w.attacker_country = place.country;
  w.attacker_city = place.city;

  // Visitors: documentation ranges, a few IPv6, and test-database networks other than the
  // attacker's (London 81.2.69.160/27, Linkoping 89.160.20.128/25, Boxford 2.125.160.216/29).
  for (int idx = 0; idx < 400; ++idx) {
    const uint64_t kind = rng.Below(100);
    if (kind < 25) {
      w.client_ips.push_back(Ipv4(192, 0, 2, static_cast<int>(rng.Range(1, 254))));
    } else if (kind < 50) {
      w.client_ips.push_back(Ipv4(203, 0, 113, static_cast<int>(rng.Range(1, 254))));
    } else if (kind < 65) {
      w.client_ips.push_back(Ipv4(198, 51, 100, static_cast<int>(rng.Range(201, 254))));
    } else if (kind < 75) {
      char buf[48];
      std::snprintf(buf, sizeof buf, "2001:db8:%x:%x::%x", static_cast<unsigned>(rng.Below(0xffff)),
                    static_cast<unsigned>(rng.Below(0xffff)), static_cast<unsigned>(rng.Range(1, 0xfff)));
      w.client_ips.push_back(buf);
    } else if (kind < 85) {
      w.client_ips.push_back(Ipv4(81, 2, 69, static_cast<int>(rng.Range(160, 191))));
    } else if (kind < 95) {
      w.client_ips.push_back(Ipv4(89, 160, 20, static_cast<int>(rng.Range(128, 254))));
    } else {
      w.client_ips.push_back(Ipv4(2, 125, 160, static_cast<int>(rng.Range(216, 223))));
    }
  }
  for (int idx = 0; idx < 20; ++idx) {
    switch (rng.Below(3)) {
      case 0: w.scanner_ips.push_back(Ipv4(175, 16, 199, static_cast<int>(rng.Range(1, 254)))); break;
      case 1:
        w.scanner_ips.push_back(Ipv4(202, 196, static_cast<int>(rng.Range(224, 239)),
                                     static_cast<int>(rng.Range(1, 254))));
        break;
      default: w.scanner_ips.push_back(Ipv4(67, 43, 156, static_cast<int>(rng.Range(1, 254)))); break;
    }
  }

  // Time: a period starting at midnight UTC somewhere in 2023-2025.
  const int64_t start_day = DaysFromCivil(2023, 1, 1) + rng.Range(0, 900);
  w.start = start_day * kDay;
  w.end = w.start + options.days * kDay;
  w.usual_start_hour = static_cast<int>(rng.Range(13, 16));

  // The onset: in the second half of the period, at least five hours before its end. For the
  // benign variant inside the key-management user's usual hours.
  const TimeMs span = w.end - w.start;
  const TimeMs lo = w.start + std::max<TimeMs>(span / 2, 6 * kHour);
  const TimeMs hi = w.end - 5 * kHour;
  std::vector<TimeMs> candidates;
  for (TimeMs t = lo - lo % kMinute; t < hi; t += kMinute) {
    const int hour = ToCivil(t).hour;
    if (w.variant == Variant::kBenign) {
      const int rel = (hour - w.usual_start_hour + 24) % 24;
      if (rel < 1 || rel >= 7) continue;
    }
    candidates.push_back(t);
  }
  if (candidates.empty()) candidates.push_back(lo - lo % kMinute);
  w.onset = rng.Pick(candidates) + rng.Range(3, 25) * kSecond;
  w.recovery = w.onset + rng.Range(30, 80) * kMinute + rng.Range(0, 59) * kSecond;
  if (options.days >= 2) {
    w.rotation = w.start + w.usual_start_hour * kHour + rng.Range(60, 180) * kMinute;
    w.service_users[1].keys.push_back({"AKIA" + rng.UpperAlnum(16), w.rotation + 15 * kMinute});
  }
  return w;
}

}  // namespace cairn::sim::internal
