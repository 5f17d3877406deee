#include "correlators/change_near_onset.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "correlators/format_internal.h"
#include "correlators/register_all.h"
#include "engine/common/strings.h"

namespace cairn::correlators {
namespace {

const std::unordered_map<std::string_view, ChangeKind>& ChangeTable() {
  static const auto* table = new std::unordered_map<std::string_view, ChangeKind>{
      {"CreateAccessKey", ChangeKind::kAccessKey},
      {"UpdateAccessKey", ChangeKind::kAccessKey},
      {"DeleteAccessKey", ChangeKind::kAccessKey},
      {"UploadSigningCertificate", ChangeKind::kCredential},
      {"UpdateSigningCertificate", ChangeKind::kCredential},
      {"DeleteSigningCertificate", ChangeKind::kCredential},
      {"UploadSSHPublicKey", ChangeKind::kCredential},
      {"UpdateSSHPublicKey", ChangeKind::kCredential},
      {"DeleteSSHPublicKey", ChangeKind::kCredential},
      {"CreateServiceSpecificCredential", ChangeKind::kCredential},
      {"UpdateServiceSpecificCredential", ChangeKind::kCredential},
      {"DeleteServiceSpecificCredential", ChangeKind::kCredential},
      {"ResetServiceSpecificCredential", ChangeKind::kCredential},
      {"AttachUserPolicy", ChangeKind::kPolicy},
      {"DetachUserPolicy", ChangeKind::kPolicy},
      {"PutUserPolicy", ChangeKind::kPolicy},
      {"DeleteUserPolicy", ChangeKind::kPolicy},
      {"AttachGroupPolicy", ChangeKind::kPolicy},
      {"DetachGroupPolicy", ChangeKind::kPolicy},
      {"PutGroupPolicy", ChangeKind::kPolicy},
      {"DeleteGroupPolicy", ChangeKind::kPolicy},
      {"AttachRolePolicy", ChangeKind::kPolicy},
      {"DetachRolePolicy", ChangeKind::kPolicy},
      {"PutRolePolicy", ChangeKind::kPolicy},
      {"DeleteRolePolicy", ChangeKind::kPolicy},
      {"CreatePolicy", ChangeKind::kPolicy},
      {"DeletePolicy", ChangeKind::kPolicy},
      {"CreatePolicyVersion", ChangeKind::kPolicy},
      {"DeletePolicyVersion", ChangeKind::kPolicy},
      {"SetDefaultPolicyVersion", ChangeKind::kPolicy},
      {"PutUserPermissionsBoundary", ChangeKind::kPolicy},
      {"DeleteUserPermissionsBoundary", ChangeKind::kPolicy},
      {"PutRolePermissionsBoundary", ChangeKind::kPolicy},
      {"DeleteRolePermissionsBoundary", ChangeKind::kPolicy},
      {"CreateUser", ChangeKind::kUser},
      {"DeleteUser", ChangeKind::kUser},
      {"UpdateUser", ChangeKind::kUser},
      {"AddUserToGroup", ChangeKind::kUser},
      {"RemoveUserFromGroup", ChangeKind::kUser},
      {"CreateLoginProfile", ChangeKind::kLoginProfile},
      {"UpdateLoginProfile", ChangeKind::kLoginProfile},
      {"DeleteLoginProfile", ChangeKind::kLoginProfile},
      {"ChangePassword", ChangeKind::kLoginProfile},
      {"DeactivateMFADevice", ChangeKind::kMfa},
      {"DeleteVirtualMFADevice", ChangeKind::kMfa},
      {"EnableMFADevice", ChangeKind::kMfa},
      {"CreateVirtualMFADevice", ChangeKind::kMfa},
      {"ResyncMFADevice", ChangeKind::kMfa},
      {"CreateRole", ChangeKind::kRole},
      {"DeleteRole", ChangeKind::kRole},
      {"UpdateAssumeRolePolicy", ChangeKind::kRole},
      {"PutBucketPolicy", ChangeKind::kBucketPolicy},
      {"DeleteBucketPolicy", ChangeKind::kBucketPolicy},
      {"PutBucketAcl", ChangeKind::kBucketPolicy},
      {"PutPublicAccessBlock", ChangeKind::kBucketPolicy},
      {"DisableKey", ChangeKind::kKmsKey},
      {"ScheduleKeyDeletion", ChangeKind::kKmsKey},
      {"PutKeyPolicy", ChangeKind::kKmsKey},
  };
  return *table;
}

// "4m05s", "45s", "1h02m".
std::string FormatSpan(int64_t ms) {
  int64_t seconds = std::llabs(ms) / 1000;
  char buf[32];
  if (seconds >= 3600) {
    std::snprintf(buf, sizeof buf, "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else if (seconds >= 60) {
    std::snprintf(buf, sizeof buf, "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%llds", static_cast<long long>(seconds));
  }
  return buf;
}

// Dependencies lower-cased, with the NAME of every ".../user/NAME" or ".../role/NAME" ARN added.
std::set<std::string> NormalizeDependencies(const std::set<std::string>& deps) {
  std::set<std::string> out;
  for (const std::string& dep : deps) {
    if (dep.empty()) continue;
    out.insert(ToLower(dep));
    if (StartsWith(dep, "arn:")) {
      size_t slash = dep.rfind('/');
      if (slash != std::string::npos && slash + 1 < dep.size())
        out.insert(ToLower(dep.substr(slash + 1)));
    }
  }
  return out;
}

}  // namespace

const char* ChangeKindName(ChangeKind kind) {
  switch (kind) {
    case ChangeKind::kAccessKey:
      return "access_key";
    case ChangeKind::kCredential:
      return "credential";
    case ChangeKind::kPolicy:
      return "policy";
    case ChangeKind::kUser:
      return "user";
    case ChangeKind::kLoginProfile:
      return "login_profile";
    case ChangeKind::kMfa:
      return "mfa";
    case ChangeKind::kRole:
      return "role";
    case ChangeKind::kBucketPolicy:
      return "bucket_policy";
    case ChangeKind::kKmsKey:
      return "kms_key";
  }
  return "access_key";
}

std::optional<ChangeKind> ClassifyChange(std::string_view action) {
  const auto& table = ChangeTable();
  auto it = table.find(action);
  if (it == table.end()) return std::nullopt;
  return it->second;
}

bool IsDisruptive(std::string_view action, std::string_view new_status) {
  if (EqualsIgnoreCase(new_status, "Inactive")) return true;
  for (std::string_view prefix : {"Delete", "Detach", "Remove", "Deactivate", "Disable"}) {
    if (StartsWith(action, prefix)) return true;
  }
  return action == "ScheduleKeyDeletion";
}

Result<std::vector<ChangeCandidate>> FindChangesNearOnset(
    std::span<const correlate::Activity> events, TimeMs onset,
    const std::set<std::string>& dependencies, const ChangeParams& params) {
  if (params.before_ms < 0 || params.after_ms < 0) {
    return Error::InvalidArgument("change_near_onset: before and after must be >= 0");
  }
  if (params.onset_bucket_ms < 1) {
    return Error::InvalidArgument("change_near_onset: onset_bucket_ms must be >= 1");
  }
  const std::set<std::string> deps = NormalizeDependencies(dependencies);
  auto is_dependency = [&](const std::string& value) {
    return !value.empty() && deps.count(ToLower(value)) != 0;
  };

  std::vector<ChangeCandidate> out;
  for (const correlate::Activity& a : events) {
    if (a.time < onset - params.before_ms || a.time > onset + params.after_ms) continue;
    std::optional<ChangeKind> kind = ClassifyChange(a.action);
    if (!kind) continue;
    const bool failed = a.outcome == "failure" || !a.error_code.empty();
    if (failed && !params.include_failed) continue;

    ChangeCandidate c;
    c.id = a.id;
    c.event_id = a.event_id;
    c.source = a.source;
    c.time = a.time;
    c.offset_ms = a.time - onset;
    c.action = a.action;
    c.kind = *kind;
    c.actor = correlate::PrincipalOf(a);
    c.actor_name = a.actor_name;
    c.source_ip = a.source_ip;
    if (*kind == ChangeKind::kAccessKey) {
      c.target_key = a.resource;
    } else {
      c.target = a.resource;
    }
    if (*kind == ChangeKind::kBucketPolicy && c.target.empty()) c.target = a.bucket;
    c.target_user = a.target_user;
    c.new_status = a.new_status;
    c.failed = failed;
    c.disruptive = IsDisruptive(a.action, a.new_status);

    // Proximity to the onset.
    double proximity = 0;
    if (a.time >= onset && a.time < onset + params.onset_bucket_ms) {
      proximity = 1.0;
      c.reasons.push_back("made in the onset minute");
    } else if (a.time < onset) {
      proximity = params.before_ms == 0 ? 1.0
                                        : 1.0 - static_cast<double>(onset - a.time) /
                                                    static_cast<double>(params.before_ms);
      c.reasons.push_back(FormatSpan(onset - a.time) + " before the onset");
    } else {
      int64_t span = std::max<int64_t>(1, params.after_ms - params.onset_bucket_ms);
      int64_t late = a.time - onset - params.onset_bucket_ms;
      proximity = 0.25 * std::max(0.0, 1.0 - static_cast<double>(late) / static_cast<double>(span));
      c.reasons.push_back(FormatSpan(a.time - onset) +
                          " after the onset (after the onset minute: unlikely to be the cause)");
    }
    c.score = proximity;

    // Dependency: the changed key, user or resource is one the failing requests used.
    if (is_dependency(c.target_key)) {
      c.dependency = true;
      c.reasons.push_back("acts on access key " + c.target_key +
                          ", which the failing requests used");
    } else if (is_dependency(c.target_user)) {
      c.dependency = true;
      c.reasons.push_back("acts on user " + c.target_user +
                          ", on whom the failing requests depended");
    } else if (is_dependency(c.target)) {
      c.dependency = true;
      c.reasons.push_back("acts on " + c.target + ", on which the failing requests depended");
    }
    if (c.dependency) c.score += 1.0;

    if (c.disruptive) {
      c.score += 0.25;
      if (EqualsIgnoreCase(c.new_status, "Inactive")) {
        c.reasons.push_back("sets the status to Inactive");
      } else {
        c.reasons.push_back("removes or disables access (" + c.action + ")");
      }
    }
    if (failed) {
      c.score *= 0.25;
      c.reasons.push_back("the call failed" +
                          (a.error_code.empty() ? std::string() : " (" + a.error_code + ")") +
                          ": it changed nothing");
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const ChangeCandidate& x, const ChangeCandidate& y) {
    if (x.score != y.score) return x.score > y.score;
    if (std::llabs(x.offset_ms) != std::llabs(y.offset_ms)) {
      return std::llabs(x.offset_ms) < std::llabs(y.offset_ms);
    }
    if (x.time != y.time) return x.time < y.time;
    return x.id < y.id;
  });
  return out;
}

}  // namespace cairn::correlators

namespace cairn::correlators {
namespace {

correlate::Severity SeverityOf(const ChangeCandidate& c) {
  if (c.failed) return correlate::Severity::kLow;
  if (c.dependency && c.disruptive) return correlate::Severity::kHigh;
  if (c.dependency || c.disruptive) return correlate::Severity::kMedium;
  return correlate::Severity::kLow;
}

std::string Sentence(const ChangeCandidate& c) {
  std::string s = c.action + " by " + (c.actor.empty() ? std::string("an unknown actor") : c.actor);
  if (!c.source_ip.empty()) s += " from " + c.source_ip;
  s += " at " + internal::TimeText(c.time);
  if (!c.target_key.empty()) s += " on access key " + c.target_key;
  if (!c.target_user.empty())
    s += (c.target_key.empty() ? " on user " : " of user ") + c.target_user;
  if (!c.target.empty()) s += " on " + c.target;
  if (!c.new_status.empty()) s += " (status " + c.new_status + ")";
  s += ": " + Join(c.reasons, "; ") + ".";
  return s;
}

class ChangeNearOnsetCorrelator final : public correlate::Correlator {
 public:
  std::string name() const override { return "change_near_onset"; }
  std::string description() const override {
    return "credential and permission changes shortly before an onset, ranked by proximity and by "
           "whether they touched what the failing requests depended on";
  }
  Result<std::vector<correlate::Finding>> Run(
      const correlate::CorrelatorInput& input) const override {
    correlate::ParamReader reader(input.params);
    ChangeParams p;
    CAIRN_ASSIGN_OR_RETURN(p.before_ms, reader.DurationMs("before", p.before_ms));
    CAIRN_ASSIGN_OR_RETURN(p.after_ms, reader.DurationMs("after", p.after_ms));
    CAIRN_ASSIGN_OR_RETURN(p.onset_bucket_ms, reader.DurationMs("bucket", p.onset_bucket_ms));
    CAIRN_ASSIGN_OR_RETURN(p.include_failed, reader.Bool("include_failed", p.include_failed));
    CAIRN_ASSIGN_OR_RETURN(std::optional<TimeMs> onset_param, reader.Time("onset"));
    CAIRN_ASSIGN_OR_RETURN(int64_t limit, reader.Int("limit", 0, 0));
    CAIRN_TRY(reader.Finish());
    std::optional<TimeMs> onset = onset_param ? onset_param : input.onset;
    if (!onset) {
      return Error::InvalidArgument("change_near_onset needs an onset")
          .WithHelp("pass `onset:` (for example ${spike.onset}) in the step's `with:`");
    }
    CAIRN_ASSIGN_OR_RETURN(std::vector<ChangeCandidate> changes,
                           FindChangesNearOnset(input.events, *onset, input.dependencies, p));
    if (limit > 0 && changes.size() > static_cast<size_t>(limit)) {
      changes.resize(static_cast<size_t>(limit));
    }
    std::vector<correlate::Finding> findings;
    for (const ChangeCandidate& c : changes) {
      correlate::Finding f;
      f.correlator = name();
      f.kind = "change";
      f.severity = SeverityOf(c);
      f.score = c.score;
      f.sentence = Sentence(c);
      correlate::Evidence e;
      e.id = c.id;
      e.time = c.time;
      e.source = c.source;
      e.event_id = c.event_id;
      e.note = c.action;
      f.evidence.push_back(std::move(e));
      f.fields = {{"id", std::to_string(c.id)},
                  {"event_id", c.event_id},
                  {"time", internal::TimeText(c.time)},
                  {"offset_ms", std::to_string(c.offset_ms)},
                  {"action", c.action},
                  {"kind", ChangeKindName(c.kind)},
                  {"actor", c.actor},
                  {"actor_name", c.actor_name},
                  {"source_ip", c.source_ip},
                  {"target_key", c.target_key},
                  {"target_user", c.target_user},
                  {"target", c.target},
                  {"new_status", c.new_status},
                  {"failed", internal::BoolText(c.failed)},
                  {"dependency", internal::BoolText(c.dependency)},
                  {"disruptive", internal::BoolText(c.disruptive)},
                  {"score", internal::Num(c.score)}};
      findings.push_back(std::move(f));
    }
    return findings;
  }
};

}  // namespace

std::unique_ptr<correlate::Correlator> MakeChangeNearOnsetCorrelator() {
  return std::make_unique<ChangeNearOnsetCorrelator>();
}

}  // namespace cairn::correlators
