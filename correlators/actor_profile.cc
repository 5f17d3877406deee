#include "correlators/actor_profile.h"

#include <algorithm>
#include <map>
#include <set>

#include "correlators/change_near_onset.h"
#include "correlators/format_internal.h"
#include "correlators/register_all.h"
#include "engine/common/strings.h"

namespace cairn::correlators {
namespace {

using correlate::Activity;

int HourOfDay(TimeMs t) {
  constexpr int64_t kDay = 86'400'000;
  int64_t in_day = ((t % kDay) + kDay) % kDay;
  return static_cast<int>(in_day / 3'600'000);
}

bool Failed(const Activity& a) { return a.outcome == "failure" || !a.error_code.empty(); }

template <typename T>
std::vector<T> Sorted(const std::set<T>& s) {
  return std::vector<T>(s.begin(), s.end());
}

}  // namespace

bool IsReconAction(std::string_view action) {
  if (StartsWith(action, "GetObject") || action == "GetSessionToken" ||
      action == "GetFederationToken") {
    return false;
  }
  return StartsWith(action, "List") || StartsWith(action, "Describe") || StartsWith(action, "Get");
}

bool IsLoginAction(std::string_view action) {
  return action == "ConsoleLogin" || action == "GetSessionToken" || action == "GetFederationToken";
}

Result<ActorProfile> BuildActorProfile(std::span<const Activity> events,
                                       std::span<const Activity> baseline_events,
                                       std::string_view principal, const ProfileParams& params) {
  if (principal.empty()) return Error::InvalidArgument("actor_profile: the principal is empty");
  if (params.recon_min_calls < 1) {
    return Error::InvalidArgument("actor_profile: recon_min_calls must be >= 1");
  }
  ActorProfile profile;
  profile.principal = std::string(principal);

  std::vector<const Activity*> mine;
  for (const Activity& a : events) {
    if (correlate::MatchesPrincipal(a, principal)) mine.push_back(&a);
  }
  std::stable_sort(mine.begin(), mine.end(), [](const Activity* x, const Activity* y) {
    return x->time != y->time ? x->time < y->time : x->id < y->id;
  });

  std::set<std::string> baseline_actions;
  for (const Activity& a : baseline_events) {
    if (!correlate::MatchesPrincipal(a, principal)) continue;
    ++profile.baseline_events;
    baseline_actions.insert(a.action);
    ++profile.baseline_hours[static_cast<size_t>(HourOfDay(a.time))];
  }
  profile.has_baseline = profile.baseline_events > 0;
  if (mine.empty()) return profile;

  std::set<std::string> identities, keys_used, own_names, first_seen;
  std::map<std::string, ActionCount> actions;
  std::map<std::string, AddressUse> addresses;
  std::map<std::string, std::pair<int64_t, std::set<std::string>>> users;
  for (const Activity* a : mine) {
    if (!a->actor_name.empty()) own_names.insert(ToLower(a->actor_name));
  }
  std::vector<const Activity*> recon;
  for (const Activity* a : mine) {
    ++profile.events;
    const bool failed = Failed(*a);
    if (failed) ++profile.failures;
    profile.event_ids.push_back(a->id);
    if (!a->actor_arn.empty()) identities.insert(a->actor_arn);
    if (!a->actor_name.empty()) identities.insert(a->actor_name);
    if (!a->access_key.empty()) keys_used.insert(a->access_key);
    ++profile.hours[static_cast<size_t>(HourOfDay(a->time))];

    ActionCount& count = actions[a->action];
    if (count.count == 0) {
      count.action = a->action;
      count.first = a->time;
    }
    ++count.count;
    if (failed) ++count.failures;
    count.last = a->time;

    if (!a->source_ip.empty()) {
      AddressUse& use = addresses[a->source_ip];
      if (use.count == 0) {
        use.address = a->source_ip;
        use.first = a->time;
      }
      ++use.count;
      use.last = a->time;
    }
    if (ClassifyChange(a->action) == ChangeKind::kAccessKey) {
      KeyTouch touch;
      touch.id = a->id;
      touch.event_id = a->event_id;
      touch.time = a->time;
      touch.action = a->action;
      touch.key = a->resource;
      touch.target_user = a->target_user;
      touch.new_status = a->new_status;
      touch.failed = failed;
      profile.keys_touched.push_back(std::move(touch));
    }
    if (!a->target_user.empty() && own_names.count(ToLower(a->target_user)) == 0) {
      auto& entry = users[a->target_user];
      ++entry.first;
      entry.second.insert(a->action);
    }
    if (profile.has_baseline && baseline_actions.count(a->action) == 0)
      first_seen.insert(a->action);
    if (IsReconAction(a->action)) recon.push_back(a);
    if (IsLoginAction(a->action)) {
      profile.logins.push_back({a->id, a->event_id, a->time, a->action, a->source_ip, a->outcome});
    }
  }
  profile.first = mine.front()->time;
  profile.last = mine.back()->time;
  profile.identities = Sorted(identities);
  profile.keys_used = Sorted(keys_used);
  profile.first_seen_actions = Sorted(first_seen);

  for (auto& [name, count] : actions) profile.actions.push_back(count);
  std::stable_sort(profile.actions.begin(), profile.actions.end(),
                   [](const ActionCount& x, const ActionCount& y) { return x.count > y.count; });
  for (auto& [ip, use] : addresses) profile.addresses.push_back(use);
  std::stable_sort(profile.addresses.begin(), profile.addresses.end(),
                   [](const AddressUse& x, const AddressUse& y) { return x.count > y.count; });
  for (auto& [user, entry] : users) {
    profile.users_affected.push_back({user, entry.first, Sorted(entry.second)});
  }
  std::stable_sort(profile.users_affected.begin(), profile.users_affected.end(),
                   [](const UserAffected& x, const UserAffected& y) { return x.count > y.count; });

  // Recon bursts: chains of recon calls with gaps <= recon_gap_ms.
  size_t start = 0;
  while (start < recon.size()) {
    size_t stop = start + 1;
    while (stop < recon.size() &&
           recon[stop]->time - recon[stop - 1]->time <= params.recon_gap_ms) {
      ++stop;
    }
    if (static_cast<int64_t>(stop - start) >= params.recon_min_calls) {
      ReconBurst burst;
      burst.start = recon[start]->time;
      burst.end = recon[stop - 1]->time;
      burst.calls = static_cast<int64_t>(stop - start);
      std::set<std::string> names;
      for (size_t idx = start; idx < stop; ++idx) {
        names.insert(recon[idx]->action);
        burst.ids.push_back(recon[idx]->id);
      }
      burst.actions = Sorted(names);
      profile.recon_bursts.push_back(std::move(burst));
    }
    start = stop;
  }

  if (profile.has_baseline) {
    for (int hour = 0; hour < 24; ++hour) {
      auto h = static_cast<size_t>(hour);
      if (profile.hours[h] > 0 && profile.baseline_hours[h] == 0) profile.new_hours.push_back(hour);
    }
  }
  return profile;
}

}  // namespace cairn::correlators

namespace cairn::correlators {
namespace {

class ActorProfileCorrelator final : public correlate::Correlator {
 public:
  std::string name() const override { return "actor_profile"; }
  std::string description() const override {
    return "everything one principal did in a window: actions, keys touched, users affected, "
           "addresses, first-seen actions, recon bursts, logins, hours";
  }
  Result<std::vector<correlate::Finding>> Run(
      const correlate::CorrelatorInput& input) const override {
    correlate::ParamReader reader(input.params);
    ProfileParams p;
    std::string principal = reader.String("principal", input.principal);
    CAIRN_ASSIGN_OR_RETURN(int64_t recon_min, reader.Int("recon_min_calls", p.recon_min_calls, 1));
    CAIRN_ASSIGN_OR_RETURN(p.recon_gap_ms, reader.DurationMs("recon_gap", p.recon_gap_ms));
    CAIRN_TRY(reader.Finish());
    p.recon_min_calls = static_cast<int>(std::min<int64_t>(recon_min, 1'000'000));
    if (principal.empty()) {
      return Error::InvalidArgument("actor_profile needs a principal")
          .WithHelp("pass `principal:` (a user name, ARN or access key id) in the step's `with:`");
    }
    CAIRN_ASSIGN_OR_RETURN(ActorProfile profile,
                           BuildActorProfile(input.events, input.baseline_events, principal, p));
    std::vector<correlate::Finding> findings;
    if (profile.events == 0) return findings;

    correlate::Finding f;
    f.correlator = name();
    f.kind = "profile";
    f.severity = correlate::Severity::kInfo;
    f.score = static_cast<double>(profile.events);
    std::vector<std::string> actions, touched, users, addresses, hours;
    for (const ActionCount& a : profile.actions)
      actions.push_back(a.action + "=" + std::to_string(a.count));
    for (const KeyTouch& k : profile.keys_touched) {
      touched.push_back(k.key + ":" + k.action + (k.new_status.empty() ? "" : ":" + k.new_status));
    }
    for (const UserAffected& u : profile.users_affected) users.push_back(u.user);
    for (const AddressUse& a : profile.addresses) addresses.push_back(a.address);
    for (int h : profile.new_hours) hours.push_back(std::to_string(h));
    f.sentence = principal + " made " + std::to_string(profile.events) + " call(s) (" +
                 std::to_string(profile.failures) + " failed) from " +
                 internal::TimeText(profile.first) + " to " + internal::TimeText(profile.last) +
                 ": " + Join(actions, ", ") + "; touched " +
                 std::to_string(profile.keys_touched.size()) + " key(s), acted on " +
                 std::to_string(users.size()) + " other user(s), from " +
                 std::to_string(addresses.size()) + " address(es)" +
                 (profile.has_baseline
                      ? "; first-seen actions: [" + Join(profile.first_seen_actions, ", ") + "]"
                      : std::string("; no baseline activity")) +
                 ".";
    std::vector<std::string> ids;
    for (int64_t id : profile.event_ids) ids.push_back(std::to_string(id));
    f.fields = {{"principal", principal},
                {"events", std::to_string(profile.events)},
                {"failures", std::to_string(profile.failures)},
                {"first", internal::TimeText(profile.first)},
                {"last", internal::TimeText(profile.last)},
                {"identities", internal::List(profile.identities)},
                {"actions", internal::List(actions)},
                {"keys_touched", internal::List(touched)},
                {"keys_used", internal::List(profile.keys_used)},
                {"users_affected", internal::List(users)},
                {"addresses", internal::List(addresses)},
                {"has_baseline", internal::BoolText(profile.has_baseline)},
                {"first_seen_actions", internal::List(profile.first_seen_actions)},
                {"recon_bursts", std::to_string(profile.recon_bursts.size())},
                {"logins", std::to_string(profile.logins.size())},
                {"new_hours", internal::List(hours)},
                {"event_ids", internal::List(ids)}};
    // Evidence: the events that matter most (key changes, logins, recon bursts).
    std::map<int64_t, const correlate::Activity*> by_id;
    for (const correlate::Activity& a : input.events) by_id.emplace(a.id, &a);
    std::set<int64_t> cited;
    auto cite = [&](int64_t id, const std::string& note) {
      auto it = by_id.find(id);
      if (it != by_id.end() && cited.insert(id).second) {
        f.evidence.push_back(correlate::EvidenceOf(*it->second, note));
      }
    };
    for (const KeyTouch& k : profile.keys_touched) cite(k.id, k.action + " " + k.key);
    for (const Login& l : profile.logins) cite(l.id, l.action + " from " + l.source_ip);
    for (const ReconBurst& b : profile.recon_bursts) {
      for (int64_t id : b.ids) cite(id, "reconnaissance");
    }
    std::sort(f.evidence.begin(), f.evidence.end(), [](const auto& x, const auto& y) {
      return x.time != y.time ? x.time < y.time : x.id < y.id;
    });
    findings.push_back(std::move(f));
    return findings;
  }
};

}  // namespace

std::unique_ptr<correlate::Correlator> MakeActorProfileCorrelator() {
  return std::make_unique<ActorProfileCorrelator>();
}

}  // namespace cairn::correlators
