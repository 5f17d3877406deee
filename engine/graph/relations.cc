#include "engine/graph/relations.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/common/strings.h"
#include "engine/graph/graph_internal.h"

namespace cairn::graph {
namespace {

using Json = nlohmann::json;

// Bump when the derivation rules change: cases derived with older rules are rebuilt.
constexpr int kDeriveVersion = 1;
constexpr size_t kMaxChanges = 50;

std::string DumpJson(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

// One group of the events scan: the identity columns shared by its events and their aggregates.
struct ScanRow {
  std::string source_type, actor_arn, actor_type, actor_name, access_key, source_ip, bucket,
      user_agent, account, host;
  bool login = false;
  std::optional<int64_t> bucket_status;
  std::string bucket_error;
  int64_t change_id = 0;  // events.id of a credential change (0: not one); such a group is 1 event
  std::string change_action, change_key, change_user, change_event_id, change_status;
  int64_t count = 0, failures = 0;
  TimeMs first = 0, last = 0;
  int64_t min_id = 0, max_id = 0;
};

// The scan reads the typed columns of the new events in id order; grouping happens in a hash map
// in GroupEvents. (A SQL GROUP BY over these columns sorts every row through SQLite's sorter and
// measured 3-6x slower than this scan plus hashing: see docs/graph.md.)
constexpr const char* kScanSql =
    "SELECT source_type, actor_arn, actor_type, actor_name, access_key, source_ip, bucket, "
    "user_agent, account, host, source_id, action, status, error_code, resource, target_user, "
    "event_id, outcome, ts, id FROM events WHERE id > ?1 AND id <= ?2";
enum ScanCol {
  kColSourceType, kColActorArn, kColActorType, kColActorName, kColAccessKey, kColSourceIp,
  kColBucket, kColUserAgent, kColAccount, kColHost, kColSourceId, kColAction, kColStatus,
  kColErrorCode, kColResource, kColTargetUser, kColEventId, kColOutcome, kColTs, kColId,
};

bool IsKeyChange(std::string_view action) {
  return action == "CreateAccessKey" || action == "UpdateAccessKey" || action == "DeleteAccessKey";
}

std::string_view View(const store::Statement& st, int col) {
  return st.IsNull(col) ? std::string_view() : st.Text(col);
}

// Streams the events (upto, max_id] into groups of equal identity columns.
Status GroupEvents(store::CaseStore& store, int64_t upto, int64_t max_id,
                   std::vector<ScanRow>* groups) {
  // Apache events without a virtual host take the host of their source (--host).
  std::unordered_map<int64_t, std::string> source_hosts;
  {
    CAIRN_ASSIGN_OR_RETURN(store::Statement st,
                           store.Prepare("SELECT id, host FROM sources WHERE host IS NOT NULL "
                                         "AND host <> ''"));
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool has_row, st.Step());
      if (!has_row) break;
      source_hosts.emplace(st.Int(0), std::string(st.Text(1)));
    }
  }
  CAIRN_ASSIGN_OR_RETURN(store::Statement scan, store.Prepare(kScanSql));
  scan.Bind(1, upto).Bind(2, max_id);
  std::unordered_map<std::string, size_t> index;
  index.reserve(1 << 16);
  std::string key;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, scan.Step());
    if (!has_row) break;
    std::string_view source_type = View(scan, kColSourceType);
    std::string_view host;
    if (StartsWith(source_type, "apache")) {
      host = View(scan, kColHost);
      if (host.empty()) {
        auto it = source_hosts.find(scan.Int(kColSourceId));
        if (it != source_hosts.end()) host = it->second;
      }
    }
    std::string_view action = View(scan, kColAction);
    std::string_view bucket = View(scan, kColBucket);
    std::string_view resource = View(scan, kColResource);
    bool login = action == "ConsoleLogin";
    bool change = IsKeyChange(action) && !resource.empty();
    int64_t status = bucket.empty() || scan.IsNull(kColStatus) ? 0 : scan.Int(kColStatus);
    std::string_view bucket_error = bucket.empty() ? std::string_view() : View(scan, kColErrorCode);
    int64_t id = scan.Int(kColId);

    key.clear();
    for (int col : {kColSourceType, kColActorArn, kColActorType, kColActorName, kColAccessKey,
                    kColSourceIp, kColBucket, kColUserAgent, kColAccount}) {
      key += View(scan, col);
      key += '\x1f';
    }
    key += host;
    key += '\x1f';
    key += bucket_error;
    key += '\x1f';
    key += std::to_string(status);
    key += login ? "\x1fL" : "\x1f";
    if (change) key += "\x1f" + std::to_string(id);  // a change is a group of its own

    auto found = index.find(key);
    bool inserted = found == index.end();
    auto it = inserted ? index.emplace(key, groups->size()).first : found;
    if (inserted) {
      ScanRow row;
      row.source_type = std::string(source_type);
      row.actor_arn = std::string(View(scan, kColActorArn));
      row.actor_type = std::string(View(scan, kColActorType));
      row.actor_name = std::string(View(scan, kColActorName));
      row.access_key = std::string(View(scan, kColAccessKey));
      row.source_ip = std::string(View(scan, kColSourceIp));
      row.bucket = std::string(bucket);
      row.user_agent = std::string(View(scan, kColUserAgent));
      row.account = std::string(View(scan, kColAccount));
      row.host = std::string(host);
      row.login = login;
      if (status != 0) row.bucket_status = status;
      row.bucket_error = std::string(bucket_error);
      if (change) {
        row.change_id = id;
        row.change_action = std::string(action);
        row.change_key = std::string(resource);
        row.change_user = std::string(View(scan, kColTargetUser));
        row.change_event_id = std::string(View(scan, kColEventId));
      }
      row.first = row.last = scan.Int(kColTs);
      row.min_id = row.max_id = id;
      groups->push_back(std::move(row));
    }
    ScanRow& row = (*groups)[it->second];
    TimeMs ts = scan.Int(kColTs);
    row.count += 1;
    if (View(scan, kColOutcome) == "failure") row.failures += 1;
    row.first = std::min(row.first, ts);
    row.last = std::max(row.last, ts);
    row.min_id = std::min(row.min_id, id);
    row.max_id = std::max(row.max_id, id);
  }
  // The new status of a key change is only in the raw record (few events: one lookup each).
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement status_of,
      store.Prepare("SELECT CASE WHEN json_valid(raw) THEN "
                    "COALESCE(json_extract(raw, '$.requestParameters.status'), "
                    "json_extract(raw, '$.responseElements.accessKey.status')) END "
                    "FROM events WHERE id = ?1"));
  for (auto& row : *groups) {
    if (row.change_id == 0 || row.change_action == "DeleteAccessKey") continue;
    status_of.Reset();
    status_of.Bind(1, row.change_id);
    CAIRN_ASSIGN_OR_RETURN(bool has_row, status_of.Step());
    if (has_row && status_of.ColumnType(0) == store::Statement::Type::kText) {
      row.change_status = std::string(status_of.Text(0));
    }
  }
  return Ok();
}

struct EntityAgg {
  std::string kind, key, label;
  Json attrs;  // null when none
  TimeMs first = 0, last = 0;
  int64_t count = 0;
  int64_t id = 0;  // entities.id once written
};

struct EdgeAgg {
  size_t src = 0, dst = 0;  // indexes into the entity list
  std::string kind;
  TimeMs first = 0, last = 0;
  int64_t count = 0, errors = 0;
  std::vector<int64_t> samples;
  std::map<std::string, std::map<std::string, int64_t>> counters;  // attrs counters
  std::vector<Json> changes;                                       // attrs.changes
};

// Keeps the first four and the last of a set of event ids.
std::vector<int64_t> TrimSamples(std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.size() > kMaxSamples) {
    int64_t last = ids.back();
    ids.resize(kMaxSamples - 1);
    ids.push_back(last);
  }
  return ids;
}

class Aggregator {
 public:
  // Returns the entity index, creating the entity or widening its span and count.
  size_t Touch(const PrincipalRef& ref, TimeMs first, TimeMs last, int64_t count) {
    scratch_.assign(ref.kind);
    scratch_ += '\x1f';
    scratch_ += ref.key;
    auto found = index_.find(scratch_);
    bool inserted = found == index_.end();
    auto it = inserted ? index_.emplace(scratch_, entities_.size()).first : found;
    if (inserted) {
      EntityAgg agg;
      agg.kind = ref.kind;
      agg.key = ref.key;
      agg.label = ref.label;
      if (!ref.account.empty() || !ref.type.empty()) {
        agg.attrs = Json::object();
        if (!ref.type.empty()) agg.attrs["type"] = ref.type;
        if (!ref.account.empty()) agg.attrs["account"] = ref.account;
      }
      agg.first = first;
      agg.last = last;
      entities_.push_back(std::move(agg));
    } else {
      auto& agg = entities_[it->second];
      agg.first = std::min(agg.first, first);
      agg.last = std::max(agg.last, last);
    }
    entities_[it->second].count += count;
    return it->second;
  }
  size_t Touch(std::string kind, std::string key, const ScanRow& row) {
    PrincipalRef ref;
    ref.kind = std::move(kind);
    ref.label = key;
    ref.key = std::move(key);
    return Touch(ref, row.first, row.last, row.count);
  }

  EdgeAgg& Edge(size_t src, size_t dst, const char* kind, const ScanRow& row, int64_t count,
                int64_t errors) {
    auto [it, inserted] = edge_index_.try_emplace(EdgeKey{src, dst, kind}, edges_.size());
    if (inserted) {
      EdgeAgg agg;
      agg.src = src;
      agg.dst = dst;
      agg.kind = kind;
      agg.first = row.first;
      agg.last = row.last;
      edges_.push_back(std::move(agg));
    }
    EdgeAgg& agg = edges_[it->second];
    agg.first = std::min(agg.first, row.first);
    agg.last = std::max(agg.last, row.last);
    agg.count += count;
    agg.errors += errors;
    agg.samples.push_back(row.min_id);
    agg.samples.push_back(row.max_id);
    if (agg.samples.size() > 4 * kMaxSamples) agg.samples = TrimSamples(std::move(agg.samples));
    return agg;
  }

  // A user entity by name in an account: the one already seen with that label, else the
  // conventional ARN (IAM user paths cannot be known from a name alone).
  size_t UserByName(const std::string& account, const std::string& name, const ScanRow& row,
                    store::CaseStore& store) {
    std::string canonical = account.empty() ? "user:" + name
                                            : "arn:aws:iam::" + account + ":user/" + name;
    PrincipalRef ref;
    ref.kind = std::string(kKindUser);
    ref.key = canonical;
    ref.label = name;
    ref.type = "IAMUser";
    ref.account = account;
    for (const auto& e : entities_) {
      if (e.kind == kKindUser && e.label == name &&
          (account.empty() || e.attrs.value("account", "") == account)) {
        ref.key = e.key;
        return Touch(ref, row.first, row.last, row.count);
      }
    }
    auto st = store.Prepare(
        "SELECT key FROM entities WHERE kind='user' AND label=?1 AND "
        "(?2 = '' OR json_extract(attrs, '$.account') = ?2) ORDER BY id LIMIT 1");
    if (st.ok()) {
      st->Bind(1, name).Bind(2, account);
      auto has = st->Step();
      if (has.ok() && *has) ref.key = std::string(st->Text(0));
    }
    return Touch(ref, row.first, row.last, row.count);
  }

  std::vector<EntityAgg>& entities() { return entities_; }
  std::vector<EdgeAgg>& edges() { return edges_; }

 private:
  std::vector<EntityAgg> entities_;
  std::unordered_map<std::string, size_t> index_;
  // Edge kinds are the kEdge* constants, so their addresses identify them.
  struct EdgeKey {
    size_t src, dst;
    const char* kind;
    bool operator==(const EdgeKey&) const = default;
  };
  struct EdgeKeyHash {
    size_t operator()(const EdgeKey& k) const {
      return std::hash<size_t>()(k.src * 0x9E3779B97F4A7C15ULL ^ (k.dst << 7) ^
                                 reinterpret_cast<uintptr_t>(k.kind));
    }
  };
  std::vector<EdgeAgg> edges_;
  std::unordered_map<EdgeKey, size_t, EdgeKeyHash> edge_index_;
  std::string scratch_;
};

void FoldRow(const ScanRow& row, Aggregator& agg, store::CaseStore& store) {
  std::optional<size_t> principal;
  std::optional<PrincipalRef> pref = ClassifyPrincipal(row.source_type, row.actor_arn,
                                                      row.actor_type, row.actor_name, row.account);
  if (pref) principal = agg.Touch(*pref, row.first, row.last, row.count);
  std::optional<size_t> key, ip, bucket, host, agent;
  if (!row.access_key.empty()) key = agg.Touch(std::string(kKindKey), row.access_key, row);
  if (LooksLikeIp(row.source_ip)) ip = agg.Touch(std::string(kKindIp), row.source_ip, row);
  if (!row.bucket.empty()) bucket = agg.Touch(std::string(kKindBucket), row.bucket, row);
  if (!row.host.empty()) host = agg.Touch(std::string(kKindHost), row.host, row);
  if (!row.user_agent.empty()) {
    agent = agg.Touch(std::string(kKindUserAgent), row.user_agent, row);
  }

  if (principal && key) {
    agg.Edge(*principal, *key, kEdgeAuthenticatedWith, row, row.count, row.failures);
    if (pref->kind == kKindUser) agg.Edge(*principal, *key, kEdgeOwns, row, row.count, 0);
  }
  if (ip) {
    if (principal) agg.Edge(*principal, *ip, kEdgeActedFrom, row, row.count, row.failures);
    if (key) agg.Edge(*key, *ip, kEdgeActedFrom, row, row.count, row.failures);
    if (principal && row.login) {
      agg.Edge(*principal, *ip, kEdgeLoggedInFrom, row, row.count, row.failures);
    }
    if (host) agg.Edge(*host, *ip, kEdgeServed, row, row.count, row.failures);
  }
  if (bucket) {
    for (auto src : {ip, principal, key}) {
      if (!src) continue;
      EdgeAgg& edge = agg.Edge(*src, *bucket, kEdgeRequested, row, row.count, row.failures);
      if (row.bucket_status) edge.counters["status"][std::to_string(*row.bucket_status)] += row.count;
      if (!row.bucket_error.empty()) edge.counters["error_codes"][row.bucket_error] += row.count;
    }
  }
  if (agent) {
    if (principal) {
      agg.Edge(*principal, *agent, kEdgeUsedAgent, row, row.count, row.failures);
    } else if (ip) {
      agg.Edge(*ip, *agent, kEdgeUsedAgent, row, row.count, row.failures);
    }
  }
  if (principal && pref->kind == kKindSession && !pref->role_arn.empty()) {
    PrincipalRef role;
    role.kind = std::string(kKindRole);
    role.key = pref->role_arn;
    role.label = pref->role_name;
    role.type = "Role";
    role.account = pref->account;
    size_t role_idx = agg.Touch(role, row.first, row.last, row.count);
    agg.Edge(*principal, role_idx, kEdgeAssumedRole, row, row.count, row.failures);
  }

  // A credential change: the caller changed the key; the key's owner is the user named by the
  // call (or the caller, for its own keys).
  if (row.change_id != 0 && !row.change_key.empty()) {
    size_t changed = agg.Touch(std::string(kKindKey), row.change_key, row);
    if (principal) {
      EdgeAgg& edge =
          agg.Edge(*principal, changed, kEdgeChangedCredential, row, row.count, row.failures);
      if (edge.changes.size() < kMaxChanges) {
        Json change = Json::object();
        change["action"] = row.change_action;
        if (!row.change_event_id.empty()) change["event_id"] = row.change_event_id;
        std::string status = row.change_action == "DeleteAccessKey" ? "Deleted" : row.change_status;
        if (!status.empty()) change["status"] = status;
        change["outcome"] = row.failures > 0 ? "failure" : "success";
        change["time"] = row.first;
        change["event"] = row.change_id;
        edge.changes.push_back(std::move(change));
      }
    }
    if (row.failures == 0) {
      std::optional<size_t> owner;
      bool own_key = row.change_user.empty() ||
                     (pref && (pref->kind == kKindUser || pref->kind == kKindRoot) &&
                      row.change_user == pref->label);
      if (own_key) {
        if (principal && (pref->kind == kKindUser || pref->kind == kKindRoot)) owner = principal;
      } else {
        std::string account = pref && !pref->account.empty() ? pref->account : row.account;
        owner = agg.UserByName(account, row.change_user, row, store);
      }
      if (owner) agg.Edge(*owner, changed, kEdgeOwns, row, row.count, 0);
    }
  }
}

// Writes the aggregated entities (filling their ids) and relations, merging with stored rows.
Status Write(store::CaseStore& store, Aggregator& agg, DeriveStats* stats) {
  // Entities with a larger id are new in this call: their relations cannot be stored yet, which
  // spares the lookup of the stored row (all of them on a first derive).
  int64_t known_entities = 0;
  {
    CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare("SELECT max(id) FROM entities"));
    CAIRN_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (has_row && !st.IsNull(0)) known_entities = st.Int(0);
  }
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement upsert_entity,
      store.Prepare("INSERT INTO entities(kind, key, label, first_seen, last_seen, count, attrs) "
                    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(kind, key) DO UPDATE SET "
                    "first_seen = min(COALESCE(first_seen, excluded.first_seen), excluded.first_seen), "
                    "last_seen = max(COALESCE(last_seen, excluded.last_seen), excluded.last_seen), "
                    "count = count + excluded.count, label = COALESCE(label, excluded.label), "
                    "attrs = COALESCE(attrs, excluded.attrs) RETURNING id"));
  for (auto& entity : agg.entities()) {
    upsert_entity.Reset();
    upsert_entity.Bind(1, entity.kind).Bind(2, entity.key).BindOptional(3, entity.label);
    upsert_entity.Bind(4, entity.first).Bind(5, entity.last).Bind(6, entity.count);
    if (entity.attrs.is_null()) {
      upsert_entity.BindNull(7);
    } else {
      upsert_entity.Bind(7, DumpJson(entity.attrs));
    }
    CAIRN_ASSIGN_OR_RETURN(bool has_row, upsert_entity.Step());
    if (!has_row) return Error::Internal("entity upsert returned no id");
    entity.id = upsert_entity.Int(0);
    CAIRN_TRY(upsert_entity.Run());
  }
  stats->entities += static_cast<int64_t>(agg.entities().size());

  CAIRN_ASSIGN_OR_RETURN(
      store::Statement find_edge,
      store.Prepare("SELECT count, errors, sample_events, attrs, first_seen, last_seen FROM relations "
                    "WHERE src = ?1 AND dst = ?2 AND kind = ?3"));
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement upsert_edge,
      store.Prepare("INSERT INTO relations(src, dst, kind, first_seen, last_seen, count, errors, "
                    "sample_events, attrs) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                    "ON CONFLICT(src, dst, kind) DO UPDATE SET first_seen = excluded.first_seen, "
                    "last_seen = excluded.last_seen, count = excluded.count, "
                    "errors = excluded.errors, sample_events = excluded.sample_events, "
                    "attrs = excluded.attrs"));
  for (auto& edge : agg.edges()) {
    int64_t src = agg.entities()[edge.src].id;
    int64_t dst = agg.entities()[edge.dst].id;
    Json attrs = Json::object();
    bool exists = false;
    if (src <= known_entities && dst <= known_entities) {
      find_edge.Reset();
      find_edge.Bind(1, src).Bind(2, dst).Bind(3, edge.kind);
      CAIRN_ASSIGN_OR_RETURN(exists, find_edge.Step());
    }
    if (exists) {
      edge.count += find_edge.Int(0);
      edge.errors += find_edge.Int(1);
      if (!find_edge.IsNull(2)) {
        Json old = Json::parse(find_edge.Text(2), nullptr, false);
        if (old.is_array()) {
          for (const auto& id : old) {
            if (id.is_number_integer()) edge.samples.push_back(id.get<int64_t>());
          }
        }
      }
      if (!find_edge.IsNull(3)) {
        Json old = Json::parse(find_edge.Text(3), nullptr, false);
        if (old.is_object()) attrs = std::move(old);
      }
      if (!find_edge.IsNull(4)) edge.first = std::min<TimeMs>(edge.first, find_edge.Int(4));
      if (!find_edge.IsNull(5)) edge.last = std::max<TimeMs>(edge.last, find_edge.Int(5));
    }
    for (const auto& [name, counts] : edge.counters) {
      Json& counter = attrs[name];
      if (!counter.is_object()) counter = Json::object();
      for (const auto& [value, n] : counts) {
        int64_t before = counter.contains(value) && counter[value].is_number_integer()
                             ? counter[value].get<int64_t>() : 0;
        counter[value] = before + n;
      }
    }
    if (!edge.changes.empty()) {
      Json& changes = attrs["changes"];
      if (!changes.is_array()) changes = Json::array();
      for (auto& change : edge.changes) {
        if (changes.size() >= kMaxChanges) break;
        changes.push_back(std::move(change));
      }
      std::sort(changes.begin(), changes.end(), [](const Json& a, const Json& b) {
        return a.value("event", int64_t{0}) < b.value("event", int64_t{0});
      });
      // The status the key was left in by the last successful change.
      for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
        if (it->value("outcome", "") == "success" && it->contains("status")) {
          attrs["status"] = (*it)["status"];
          break;
        }
      }
    }
    std::string samples = "[";
    for (int64_t id : TrimSamples(std::move(edge.samples))) {
      if (samples.size() > 1) samples += ',';
      samples += std::to_string(id);
    }
    samples += ']';
    find_edge.Reset();
    upsert_edge.Reset();
    upsert_edge.Bind(1, src).Bind(2, dst).Bind(3, edge.kind).Bind(4, edge.first).Bind(5, edge.last);
    upsert_edge.Bind(6, edge.count).Bind(7, edge.errors).Bind(8, samples);
    if (attrs.empty()) {
      upsert_edge.BindNull(9);
    } else {
      upsert_edge.Bind(9, DumpJson(attrs));
    }
    CAIRN_TRY(upsert_edge.Run());
  }
  stats->relations += static_cast<int64_t>(agg.edges().size());
  return Ok();
}

Result<int64_t> MetaInt(store::CaseStore& store, const char* key) {
  CAIRN_ASSIGN_OR_RETURN(auto value, store.GetMeta(key));
  if (!value || value->empty()) return int64_t{0};
  char* end = nullptr;
  long long parsed = std::strtoll(value->c_str(), &end, 10);
  if (end == nullptr || *end != '\0') return int64_t{-1};  // unreadable: rebuild
  return static_cast<int64_t>(parsed);
}

Result<int64_t> MaxEventId(store::CaseStore& store) {
  CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare("SELECT max(id) FROM events"));
  CAIRN_ASSIGN_OR_RETURN(bool has, st.Step());
  if (!has || st.IsNull(0)) return int64_t{0};
  return st.Int(0);
}

Status DeriveInTransaction(store::CaseStore& store, DeriveStats* stats) {
  CAIRN_ASSIGN_OR_RETURN(int64_t version, MetaInt(store, kRelationsVersionKey));
  CAIRN_ASSIGN_OR_RETURN(int64_t upto, MetaInt(store, kRelationsUptoKey));
  if (version != kDeriveVersion) {
    // Derived with other rules (or never): start over from the first event.
    CAIRN_TRY(store.Exec("DELETE FROM relations; DELETE FROM entities;"));
    upto = 0;
    stats->rebuilt = version != 0;
    CAIRN_TRY(store.SetMeta(kRelationsVersionKey, std::to_string(kDeriveVersion)));
  }
  if (upto < 0) upto = 0;
  CAIRN_ASSIGN_OR_RETURN(int64_t max_id, MaxEventId(store));
  stats->upto = std::max(upto, max_id);
  if (max_id <= upto) return store.SetMeta(kRelationsUptoKey, std::to_string(stats->upto));

  Aggregator agg;
  std::vector<ScanRow> groups;
  CAIRN_TRY(GroupEvents(store, upto, max_id, &groups));
  // Changes are folded after the identities, so that owners resolve to users already seen.
  std::vector<const ScanRow*> changes;
  for (const auto& row : groups) {
    stats->events += row.count;
    if (row.change_id != 0) {
      changes.push_back(&row);
    } else {
      FoldRow(row, agg, store);
    }
  }
  for (const ScanRow* row : changes) FoldRow(*row, agg, store);
  CAIRN_TRY(Write(store, agg, stats));
  return store.SetMeta(kRelationsUptoKey, std::to_string(max_id));
}

}  // namespace

bool IsPrincipalKind(std::string_view kind) {
  return kind == kKindUser || kind == kKindRole || kind == kKindSession || kind == kKindRoot ||
         kind == kKindService || kind == kKindAnonymous || kind == kKindPrincipal;
}

bool LooksLikeIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return false;
  if (text.find(':') != std::string_view::npos) {
    int colons = 0;
    for (char c : text) {
      if (c == ':') {
        ++colons;
      } else if (!std::isxdigit(static_cast<unsigned char>(c)) && c != '.') {
        return false;
      }
    }
    return colons >= 2 && colons <= 7;
  }
  auto parts = Split(text, '.');
  if (parts.size() != 4) return false;
  for (auto part : parts) {
    if (part.empty() || part.size() > 3) return false;
    int value = 0;
    for (char c : part) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
      value = value * 10 + (c - '0');
    }
    if (value > 255) return false;
  }
  return true;
}

std::optional<PrincipalRef> ClassifyPrincipal(std::string_view source_type,
                                              std::string_view actor_arn,
                                              std::string_view actor_type,
                                              std::string_view actor_name,
                                              std::string_view account) {
  PrincipalRef ref;
  ref.type = std::string(actor_type);
  if (StartsWith(source_type, "apache") || source_type == "generic") return std::nullopt;
  if (!actor_arn.empty() && StartsWith(actor_arn, "arn:")) {
    // arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE (the resource may contain ':').
    std::vector<std::string_view> fields;
    size_t start = 0;
    for (int field = 0; field < 5; ++field) {
      size_t colon = actor_arn.find(':', start);
      if (colon == std::string_view::npos) break;
      fields.push_back(actor_arn.substr(start, colon - start));
      start = colon + 1;
    }
    if (fields.size() == 5) {
      std::string_view partition = fields[1], service = fields[2];
      std::string_view resource = actor_arn.substr(start);
      ref.account = std::string(fields[4]);
      ref.key = std::string(actor_arn);
      auto last_part = [](std::string_view r) {
        size_t slash = r.rfind('/');
        return std::string(slash == std::string_view::npos ? r : r.substr(slash + 1));
      };
      if (service == "iam" && resource == "root") {
        ref.kind = std::string(kKindRoot);
        ref.label = "root";
        if (ref.type.empty()) ref.type = "Root";
      } else if (service == "iam" && StartsWith(resource, "user/")) {
        ref.kind = std::string(kKindUser);
        ref.label = actor_name.empty() ? last_part(resource) : std::string(actor_name);
        if (ref.type.empty()) ref.type = "IAMUser";
      } else if (service == "sts" && StartsWith(resource, "assumed-role/")) {
        std::string_view rest = resource.substr(13);
        size_t slash = rest.find('/');
        std::string_view role = slash == std::string_view::npos ? rest : rest.substr(0, slash);
        ref.kind = std::string(kKindSession);
        ref.label = std::string(rest);
        ref.role_name = std::string(role);
        ref.role_arn = "arn:" + std::string(partition) + ":iam::" + ref.account + ":role/" +
                       std::string(role);
        if (ref.type.empty()) ref.type = "AssumedRole";
      } else if (service == "iam" && StartsWith(resource, "role/")) {
        ref.kind = std::string(kKindRole);
        ref.label = last_part(resource);
      } else {
        ref.kind = std::string(kKindPrincipal);
        ref.label = std::string(resource);
      }
      return ref;
    }
  }
  ref.account = std::string(account);
  if (actor_type == "AWSService") {
    if (actor_name.empty()) return std::nullopt;
    ref.kind = std::string(kKindService);
    ref.key = std::string(actor_name);
    ref.label = ref.key;
    return ref;
  }
  if (actor_type == "Anonymous") {
    ref.kind = std::string(kKindAnonymous);
    ref.key = "anonymous";
    ref.label = "anonymous";
    return ref;
  }
  if (actor_type == "Root") {
    ref.kind = std::string(kKindRoot);
    ref.key = account.empty() ? "root" : "arn:aws:iam::" + std::string(account) + ":root";
    ref.label = "root";
    return ref;
  }
  if (actor_name.empty()) return std::nullopt;
  if (actor_type == "IAMUser") {
    ref.kind = std::string(kKindUser);
    ref.key = account.empty() ? "user:" + std::string(actor_name)
                              : "arn:aws:iam::" + std::string(account) + ":user/" +
                                    std::string(actor_name);
  } else if (actor_type == "AssumedRole") {
    ref.kind = std::string(kKindRole);  // only the issuing role's name is known
    ref.key = account.empty() ? "role:" + std::string(actor_name)
                              : "arn:aws:iam::" + std::string(account) + ":role/" +
                                    std::string(actor_name);
  } else {
    ref.kind = std::string(kKindPrincipal);
    ref.key = std::string(actor_type.empty() ? "principal" : actor_type) + ":" +
              std::string(actor_name);
  }
  ref.label = std::string(actor_name);
  return ref;
}

Status DeriveRelations(store::CaseStore& store) {
  DeriveStats stats;
  return DeriveRelations(store, &stats);
}

Status DeriveRelations(store::CaseStore& store, DeriveStats* stats) {
  *stats = DeriveStats{};
  CAIRN_TRY(store.Begin());
  Status status = DeriveInTransaction(store, stats);
  if (!status.ok()) {
    (void)store.Rollback();
    return std::move(status).error().WithContext("deriving the entity graph");
  }
  return store.Commit();
}

Result<bool> RelationsBehind(store::CaseStore& store) {
  CAIRN_ASSIGN_OR_RETURN(int64_t version, MetaInt(store, kRelationsVersionKey));
  CAIRN_ASSIGN_OR_RETURN(int64_t upto, MetaInt(store, kRelationsUptoKey));
  CAIRN_ASSIGN_OR_RETURN(int64_t max_id, MaxEventId(store));
  if (version != kDeriveVersion) return true;
  return upto < max_id;
}

}  // namespace cairn::graph
