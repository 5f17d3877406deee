#pragma once
// Actor profile: everything one principal did in a window, summarised for an analyst — actions by
// type, keys it touched (with the status it set), other users it acted on, the addresses it used,
// the actions it had never done in the baseline, reconnaissance bursts, logins and the hours of
// day it was active compared with its baseline hours. See docs/correlators.md.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/correlate/activity.h"

namespace cairn::correlators {

struct ProfileParams {
  int recon_min_calls = 3;            // recon calls in one burst to report it
  int64_t recon_gap_ms = 2 * 60'000;  // calls closer than this belong to the same burst
};

// True for List*, Describe* and Get* calls (reading the account's shape), except object reads
// (GetObject*) and the token calls (GetSessionToken, GetFederationToken) counted as logins.
bool IsReconAction(std::string_view action);
// True for ConsoleLogin, GetSessionToken and GetFederationToken.
bool IsLoginAction(std::string_view action);

struct ActionCount {
  std::string action;
  int64_t count = 0;
  int64_t failures = 0;
  TimeMs first = 0;
  TimeMs last = 0;
};

struct KeyTouch {
  int64_t id = 0;
  std::string event_id;
  TimeMs time = 0;
  std::string action;       // CreateAccessKey / UpdateAccessKey / DeleteAccessKey
  std::string key;          // the key acted on
  std::string target_user;  // its owner, when the record says
  std::string new_status;
  bool failed = false;
};

struct UserAffected {
  std::string user;
  int64_t count = 0;
  std::vector<std::string> actions;  // sorted, unique
};

struct AddressUse {
  std::string address;
  int64_t count = 0;
  TimeMs first = 0;
  TimeMs last = 0;
};

struct ReconBurst {
  TimeMs start = 0;
  TimeMs end = 0;
  int64_t calls = 0;
  std::vector<std::string> actions;  // sorted, unique
  std::vector<int64_t> ids;          // event ids, by time
};

struct Login {
  int64_t id = 0;
  std::string event_id;
  TimeMs time = 0;
  std::string action;
  std::string source_ip;
  std::string outcome;
};

struct ActorProfile {
  std::string principal;
  int64_t events = 0;
  int64_t failures = 0;  // outcome failure or an error code
  TimeMs first = 0;
  TimeMs last = 0;
  std::vector<std::string> identities;       // distinct ARNs / names of the matched events, sorted
  std::vector<ActionCount> actions;          // by count desc, then name
  std::vector<KeyTouch> keys_touched;        // by time
  std::vector<std::string> keys_used;        // access keys that signed its calls, sorted
  std::vector<UserAffected> users_affected;  // target users other than itself, by count desc
  std::vector<AddressUse> addresses;         // by count desc, then address
  bool has_baseline = false;                 // the baseline holds at least one of its events
  int64_t baseline_events = 0;
  std::vector<std::string> first_seen_actions;  // in the window, never in the baseline; sorted
  std::vector<ReconBurst> recon_bursts;         // by start
  std::vector<Login> logins;                    // by time
  std::array<int64_t, 24> hours{};              // events per UTC hour of day, in the window
  std::array<int64_t, 24> baseline_hours{};
  std::vector<int> new_hours;  // UTC hours active in the window, never in the baseline (needs one)
  std::vector<int64_t> event_ids;  // every matched event, by time
};

// Profiles the events matching `principal` (correlate::MatchesPrincipal: ARN, user name or access
// key id) among `events`, against those matching it in `baseline_events`. Errors: kInvalidArgument
// for an empty principal or recon_min_calls < 1. A principal with no event yields an empty
// profile (events == 0), not an error.
Result<ActorProfile> BuildActorProfile(std::span<const correlate::Activity> events,
                                       std::span<const correlate::Activity> baseline_events,
                                       std::string_view principal,
                                       const ProfileParams& params = {});

}  // namespace cairn::correlators
