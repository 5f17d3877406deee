#pragma once
// Change near onset: the credential and permission changes (IAM access keys, policies, users,
// login profiles, MFA devices, roles, bucket policies, KMS keys) made shortly before an onset,
// ranked by how close they are to it and by whether they touched something the failing requests
// depended on. See docs/correlators.md.

#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/correlate/activity.h"

namespace cairn::correlators {

enum class ChangeKind {
  kAccessKey,     // CreateAccessKey, UpdateAccessKey, DeleteAccessKey
  kCredential,    // signing certificates, SSH keys, service-specific credentials
  kPolicy,        // user/group/role policies, policy versions, permission boundaries
  kUser,          // CreateUser, DeleteUser, group membership
  kLoginProfile,  // Create/Update/DeleteLoginProfile
  kMfa,           // DeactivateMFADevice, DeleteVirtualMFADevice, ...
  kRole,          // CreateRole, DeleteRole, UpdateAssumeRolePolicy
  kBucketPolicy,  // PutBucketPolicy, DeleteBucketPolicy, PutBucketAcl, PutPublicAccessBlock
  kKmsKey,        // DisableKey, ScheduleKeyDeletion
};

// "access_key", "credential", "policy", "user", "login_profile", "mfa", "role", "bucket_policy",
// "kms_key".
const char* ChangeKindName(ChangeKind kind);

// The kind of change an action name is, or nullopt when it changes no credential or permission.
// Exact, case-sensitive CloudTrail eventNames (the list is in docs/correlators.md).
std::optional<ChangeKind> ClassifyChange(std::string_view action);

// True when the change removes or disables access: Delete*, Detach*, Remove*, Deactivate*,
// Disable*, ScheduleKeyDeletion, or a new status of "Inactive".
bool IsDisruptive(std::string_view action, std::string_view new_status);

struct ChangeParams {
  int64_t before_ms = 15 * 60'000;   // window start: onset - before_ms
  int64_t after_ms = 2 * 60'000;     // window end: onset + after_ms (inclusive)
  int64_t onset_bucket_ms = 60'000;  // changes in [onset, onset + bucket) count as "at the onset"
  bool include_failed = true;        // keep failed calls (scored x0.25: they changed nothing)
};

struct ChangeCandidate {
  int64_t id = 0;  // Activity::id
  std::string event_id;
  std::string source;
  TimeMs time = 0;
  int64_t offset_ms = 0;  // time - onset (negative = before)
  std::string action;
  ChangeKind kind = ChangeKind::kAccessKey;
  std::string actor;  // PrincipalOf(activity)
  std::string actor_name;
  std::string source_ip;
  std::string target_key;  // the key acted on (access-key changes)
  std::string target_user;
  std::string target;  // other target (policy, role, bucket): Activity::resource / bucket
  std::string new_status;
  bool failed = false;
  bool dependency = false;  // touched a key/principal/bucket in the dependency set
  bool disruptive = false;
  double score = 0;
  std::vector<std::string> reasons;  // human sentences, in the order the score was built
};

// Returns the changes in [onset - before_ms, onset + after_ms], highest score first (ties: closest
// to the onset, then earlier, then lower id). Score = proximity (1 at the onset bucket, falling
// linearly to 0 at onset - before_ms; after the onset bucket 0.25 falling to 0 at onset + after_ms)
// + 1.0 if a dependency was touched + 0.25 if disruptive; x0.25 when the call failed.
// `dependencies` holds access key ids, user names, ARNs ("arn:...:user/NAME" also matches NAME)
// and bucket names. Errors: kInvalidArgument for negative windows or a zero bucket.
Result<std::vector<ChangeCandidate>> FindChangesNearOnset(
    std::span<const correlate::Activity> events, TimeMs onset,
    const std::set<std::string>& dependencies, const ChangeParams& params = {});

}  // namespace cairn::correlators
