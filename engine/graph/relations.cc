#include "engine/graph/relations.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/common/strings.h"
#include "engine/graph/graph_internal.h"

namespace cairn::graph {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Bump when the derivation rules change: cases derived with older rules are rebuilt.
constexpr int kDeriveVersion = 1;
constexpr size_t kMaxChanges = 50;
constexpr uint32_t kNone = UINT32_MAX;

std::string DumpJson(const Json& j) { return j.dump(-1, ' ', false, Json::error_handler_t::replace); }

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

uint64_t Mix(uint64_t h, uint64_t value) {
  h ^= value + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
  return h;
}

uint64_t Finish(uint64_t h) {  // murmur3's finaliser: spreads the bits used by the table mask
  h ^= h >> 33;
  h *= 0xFF51AFD7ED558CCDULL;
  h ^= h >> 33;
  h *= 0xC4CEB9FE1A85EC53ULL;
  h ^= h >> 33;
  return h;
}

// An open-addressing index from a small trivially-copyable key to a dense uint32 value (the
// position of the key's aggregate in a vector). Much cheaper than std::unordered_map on the
// millions of lookups of a derive: no node allocation, one probe sequence in one array.
template <typename Key, typename Hash>
class FlatIndex {
 public:
  explicit FlatIndex(size_t capacity = 1024) { Rehash(capacity); }

  // The value stored for key; when absent, stores value and sets *inserted.
  uint32_t FindOrInsert(const Key& key, uint32_t value, bool* inserted) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(slots_.size() * 2);
    for (size_t slot = Hash()(key) & mask_;; slot = (slot + 1) & mask_) {
      if (slots_[slot].value == kNone) {
        slots_[slot] = Slot{key, value};
        ++size_;
        *inserted = true;
        return value;
      }
      if (slots_[slot].key == key) {
        *inserted = false;
        return slots_[slot].value;
      }
    }
  }

 private:
  struct Slot {
    Key key{};
    uint32_t value = kNone;
  };
  void Rehash(size_t capacity) {
    size_t size = 16;
    while (size < capacity) size *= 2;
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(size, Slot{});
    mask_ = size - 1;
    for (const Slot& s : old) {
      if (s.value == kNone) continue;
      size_t slot = Hash()(s.key) & mask_;
      while (slots_[slot].value != kNone) slot = (slot + 1) & mask_;
      slots_[slot] = s;
    }
  }
  std::vector<Slot> slots_;
  size_t size_ = 0;
  size_t mask_ = 0;
};

// Distinct strings of the scanned columns, numbered densely; id 0 is the empty string (and NULL).
class Interner {
 public:
  Interner() {
    texts_.emplace_back();
    hashes_.push_back(Hash(""));
    Rehash(1024);
  }
  uint32_t Intern(std::string_view text) {
    if (text.empty()) return 0;
    uint64_t hash = Hash(text);
    for (size_t slot = hash & mask_;; slot = (slot + 1) & mask_) {
      uint32_t id = slots_[slot];
      if (id == kNone) break;
      if (hashes_[id] == hash && texts_[id] == text) return id;
    }
    auto id = static_cast<uint32_t>(texts_.size());
    texts_.emplace_back(text);
    hashes_.push_back(hash);
    if (texts_.size() * 2 > slots_.size()) {
      Rehash(slots_.size() * 2);  // places every text, the new one too
    } else {
      Place(id);
    }
    return id;
  }
  const std::string& Text(uint32_t id) const { return texts_[id]; }
  size_t size() const { return texts_.size(); }

 private:
  static uint64_t Hash(std::string_view text) { return Finish(std::hash<std::string_view>()(text)); }
  void Place(uint32_t id) {
    size_t slot = hashes_[id] & mask_;
    while (slots_[slot] != kNone) slot = (slot + 1) & mask_;
    slots_[slot] = id;
  }
  void Rehash(size_t size) {
    slots_.assign(size, kNone);
    mask_ = size - 1;
    for (uint32_t id = 0; id < texts_.size(); ++id) Place(id);
  }
  std::vector<std::string> texts_;
  std::vector<uint64_t> hashes_;
  std::vector<uint32_t> slots_;
  size_t mask_ = 0;
};

// One column of the scan: the id of the last value seen, so that runs of equal values (one
// source, one account, one agent) cost a compare instead of a hash lookup.
class ColumnInterner {
 public:
  uint32_t Intern(Interner& interner, std::string_view text) {
    const std::string& last = interner.Text(last_id_);
    // (An empty view of a NULL column may have no data pointer: memcmp must not see it.)
    if (text.size() != last.size() || (!text.empty() && std::memcmp(text.data(), last.data(), text.size()) != 0)) {
      last_id_ = interner.Intern(text);
    }
    return last_id_;
  }

 private:
  uint32_t last_id_ = 0;
};

// The identity of a group of events: the interned columns that decide its entities and relations.
// Events with equal identity are aggregated before they are folded into the graph.
struct GroupKey {
  uint32_t source_type = 0, actor_arn = 0, actor_type = 0, actor_name = 0, access_key = 0,
           source_ip = 0, bucket = 0, user_agent = 0, account = 0, host = 0, bucket_error = 0;
  uint32_t login = 0;
  int64_t status = 0;     // HTTP status of a bucket request (0: none)
  int64_t change_id = 0;  // events.id of a credential change (0: not one); such a group is 1 event
  bool operator==(const GroupKey&) const = default;
};
struct GroupKeyHash {
  size_t operator()(const GroupKey& k) const {
    uint64_t h = 0;
    for (uint32_t v : {k.source_type, k.actor_arn, k.actor_type, k.actor_name, k.access_key,
                       k.source_ip, k.bucket, k.user_agent, k.account, k.host, k.bucket_error,
                       k.login}) {
      h = Mix(h, v);
    }
    h = Mix(h, static_cast<uint64_t>(k.status));
    h = Mix(h, static_cast<uint64_t>(k.change_id));
    return Finish(h);
  }
};

// The details of a credential change (few events: kept as text).
struct ChangeInfo {
  std::string action, key, user, event_id, status;
};

// One group of the events scan and its aggregates.
struct Group {
  GroupKey key;
  int64_t count = 0, failures = 0;
  TimeMs first = 0, last = 0;
  int64_t min_id = 0, max_id = 0;
  uint32_t change = kNone;  // index into Scanner::changes when a credential change
};

// The scan reads the typed columns of the new events in id order; grouping happens in a hash
// table on interned column ids. (A SQL GROUP BY over these columns sorts every row through
// SQLite's sorter and measured 3-6x slower than this scan plus hashing: see docs/graph.md.)
// The details of a credential change are read for those events only (a second statement).
constexpr const char* kScanSql =
    "SELECT source_type, actor_arn, actor_type, actor_name, access_key, source_ip, bucket, "
    "user_agent, account, host, source_id, action, status, error_code, outcome, ts, id "
    "FROM events WHERE id > ?1 AND id <= ?2";
enum ScanCol {
  kColSourceType, kColActorArn, kColActorType, kColActorName, kColAccessKey, kColSourceIp,
  kColBucket, kColUserAgent, kColAccount, kColHost, kColSourceId, kColAction, kColStatus,
  kColErrorCode, kColOutcome, kColTs, kColId,
};

bool IsKeyChange(std::string_view action) {
  return action == "CreateAccessKey" || action == "UpdateAccessKey" || action == "DeleteAccessKey";
}

// Streams events into groups of equal identity, in the order each group is first seen.
class Scanner {
 public:
  // Groups the events with upto < id <= max_id.
  Status Scan(store::CaseStore& store, int64_t upto, int64_t max_id);
  // Folds in the groups of a scan of later events: equal groups merge, new ones follow in the
  // order they were first seen, as if one scan had read both ranges.
  void Merge(const Scanner& later);

  const Interner& interner() const { return interner_; }
  const std::vector<Group>& groups() const { return groups_; }
  const std::vector<ChangeInfo>& changes() const { return changes_; }

 private:
  Interner interner_;
  std::vector<Group> groups_;
  std::vector<ChangeInfo> changes_;
  FlatIndex<GroupKey, GroupKeyHash> index_{1 << 16};
};

Status Scanner::Scan(store::CaseStore& store, int64_t upto, int64_t max_id) {
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
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement change_of,
      store.Prepare("SELECT resource, target_user, event_id FROM events WHERE id = ?1"));
  ColumnInterner source_type_col, actor_arn_col, actor_type_col, actor_name_col, access_key_col,
      source_ip_col, bucket_col, user_agent_col, account_col, host_col, error_col;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, scan.Step());
    if (!has_row) break;
    GroupKey key;
    std::string_view source_type = scan.Text(kColSourceType);
    key.source_type = source_type_col.Intern(interner_, source_type);
    key.actor_arn = actor_arn_col.Intern(interner_, scan.Text(kColActorArn));
    key.actor_type = actor_type_col.Intern(interner_, scan.Text(kColActorType));
    key.actor_name = actor_name_col.Intern(interner_, scan.Text(kColActorName));
    key.access_key = access_key_col.Intern(interner_, scan.Text(kColAccessKey));
    key.source_ip = source_ip_col.Intern(interner_, scan.Text(kColSourceIp));
    std::string_view bucket = scan.Text(kColBucket);
    key.bucket = bucket_col.Intern(interner_, bucket);
    key.user_agent = user_agent_col.Intern(interner_, scan.Text(kColUserAgent));
    key.account = account_col.Intern(interner_, scan.Text(kColAccount));
    if (StartsWith(source_type, "apache")) {
      std::string_view host = scan.Text(kColHost);
      if (host.empty()) {
        auto it = source_hosts.find(scan.Int(kColSourceId));
        if (it != source_hosts.end()) host = it->second;
      }
      key.host = host_col.Intern(interner_, host);
    }
    std::string_view action = scan.Text(kColAction);
    key.login = action == "ConsoleLogin" ? 1 : 0;
    if (!bucket.empty()) {
      key.status = scan.IsNull(kColStatus) ? 0 : scan.Int(kColStatus);
      key.bucket_error = error_col.Intern(interner_, scan.Text(kColErrorCode));
    }
    int64_t id = scan.Int(kColId);
    TimeMs ts = scan.Int(kColTs);
    bool change = false;
    if (IsKeyChange(action)) {
      change_of.Reset();
      change_of.Bind(1, id);
      CAIRN_ASSIGN_OR_RETURN(bool found, change_of.Step());
      change = found && !change_of.Text(0).empty();
    }
    if (change) key.change_id = id;  // a change is a group of its own

    bool inserted = false;
    uint32_t index = index_.FindOrInsert(key, static_cast<uint32_t>(groups_.size()), &inserted);
    if (inserted) {
      Group group;
      group.key = key;
      group.first = group.last = ts;
      group.min_id = group.max_id = id;
      if (change) {
        group.change = static_cast<uint32_t>(changes_.size());
        ChangeInfo info;
        info.action = std::string(action);
        info.key = std::string(change_of.Text(0));
        info.user = std::string(change_of.Text(1));
        info.event_id = std::string(change_of.Text(2));
        changes_.push_back(std::move(info));
      }
      groups_.push_back(std::move(group));
    }
    Group& group = groups_[index];
    group.count += 1;
    if (scan.Text(kColOutcome) == "failure") group.failures += 1;
    group.first = std::min(group.first, ts);
    group.last = std::max(group.last, ts);
    group.min_id = std::min(group.min_id, id);
    group.max_id = std::max(group.max_id, id);
  }
  // The new status of a key change is only in the raw record (few events: one lookup each).
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement status_of,
      store.Prepare("SELECT CASE WHEN json_valid(r) THEN "
                    "COALESCE(json_extract(r, '$.requestParameters.status'), "
                    "json_extract(r, '$.responseElements.accessKey.status')) END "
                    "FROM (SELECT cairn_raw(id) AS r FROM events WHERE id = ?1)"));
  for (const Group& group : groups_) {
    if (group.change == kNone) continue;
    ChangeInfo& info = changes_[group.change];
    if (info.action == "DeleteAccessKey") continue;
    status_of.Reset();
    status_of.Bind(1, group.key.change_id);
    CAIRN_ASSIGN_OR_RETURN(bool has_row, status_of.Step());
    if (has_row && status_of.ColumnType(0) == store::Statement::Type::kText) {
      info.status = std::string(status_of.Text(0));
    }
  }
  return Ok();
}

void Scanner::Merge(const Scanner& later) {
  std::vector<uint32_t> ids(later.interner_.size(), kNone);
  auto map = [&](uint32_t& id) {
    if (ids[id] == kNone) ids[id] = interner_.Intern(later.interner_.Text(id));
    id = ids[id];
  };
  for (const Group& group : later.groups_) {
    GroupKey key = group.key;
    for (uint32_t* id : {&key.source_type, &key.actor_arn, &key.actor_type, &key.actor_name,
                         &key.access_key, &key.source_ip, &key.bucket, &key.user_agent,
                         &key.account, &key.host, &key.bucket_error}) {
      map(*id);
    }
    bool inserted = false;
    uint32_t index = index_.FindOrInsert(key, static_cast<uint32_t>(groups_.size()), &inserted);
    if (inserted) {
      Group copy = group;
      copy.key = key;
      if (group.change != kNone) {
        copy.change = static_cast<uint32_t>(changes_.size());
        changes_.push_back(later.changes_[group.change]);
      }
      groups_.push_back(copy);
      continue;
    }
    Group& into = groups_[index];
    into.count += group.count;
    into.failures += group.failures;
    into.first = std::min(into.first, group.first);
    into.last = std::max(into.last, group.last);
    into.min_id = std::min(into.min_id, group.min_id);
    into.max_id = std::max(into.max_id, group.max_id);
  }
}

constexpr unsigned kMaxScanThreads = 4;

// Groups the events upto < id <= max_id into *scanner. Large ranges are split among threads
// (DeriveTuning), each reading through a read-only connection of its own; the partial scans merge
// into the same groups, in the same order, as one scan.
Status ScanEvents(store::CaseStore& store, int64_t upto, int64_t max_id,
                  const DeriveTuning& tuning, Scanner* scanner) {
  unsigned parts = tuning.scan_threads != 0
                       ? tuning.scan_threads
                       : std::min(std::max(std::thread::hardware_concurrency(), 1u),
                                  kMaxScanThreads);
  int64_t span = max_id - upto;
  bool file_backed = !store.path().empty() && store.path() != ":memory:";
  if (parts < 2 || span < tuning.parallel_scan_min || span < parts || !file_backed) {
    return scanner->Scan(store, upto, max_id);
  }
  // The other connections read the last committed state, which holds every event: callers derive
  // outside a transaction, and this one has written nothing to the events table.
  std::vector<std::unique_ptr<store::CaseStore>> readers;
  for (unsigned part = 1; part < parts; ++part) {
    auto reader = store::CaseStore::Open(store.path(), store::CaseStore::Mode::kReadOnly);
    if (!reader.ok()) break;  // then fewer threads
    readers.push_back(std::move(reader).value());
  }
  parts = static_cast<unsigned>(readers.size()) + 1;
  if (parts < 2) return scanner->Scan(store, upto, max_id);
  auto bound = [&](unsigned part) { return upto + span * part / parts; };
  std::vector<Scanner> later(parts - 1);
  std::vector<Status> statuses(parts - 1);
  std::vector<std::thread> threads;
  for (unsigned part = 1; part < parts; ++part) {
    threads.emplace_back([&, part] {
      try {
        statuses[part - 1] = later[part - 1].Scan(*readers[part - 1], bound(part), bound(part + 1));
      } catch (const std::exception& e) {
        statuses[part - 1] = Error::Internal(std::string("scanning events: ") + e.what());
      }
    });
  }
  Status first = scanner->Scan(store, upto, bound(1));
  for (auto& thread : threads) thread.join();
  CAIRN_TRY(std::move(first));
  for (unsigned part = 1; part < parts; ++part) {
    CAIRN_TRY(std::move(statuses[part - 1]));
    scanner->Merge(later[part - 1]);
  }
  return Ok();
}

// Relation kinds by index (EdgeAgg::kind).
enum EdgeKind : uint32_t {
  kAuthenticatedWith, kActedFrom, kRequested, kChangedCredential, kOwns, kLoggedInFrom, kServed,
  kAssumedRole, kUsedAgent,
};
constexpr const char* kEdgeKindNames[] = {
    kEdgeAuthenticatedWith, kEdgeActedFrom, kEdgeRequested, kEdgeChangedCredential, kEdgeOwns,
    kEdgeLoggedInFrom, kEdgeServed, kEdgeAssumedRole, kEdgeUsedAgent,
};

struct EntityAgg {
  std::string kind, key, label, type, account;  // attrs: {"account", "type"} when set
  TimeMs first = 0, last = 0;
  int64_t count = 0;
  int64_t id = 0;  // entities.id once written
};

// The sample events of a relation: the four lowest distinct event ids and the highest, which is
// what sorting all of them and keeping the first four and the last gives.
class Samples {
 public:
  void Add(int64_t id) {
    if (size_ == 0 || id > highest_) highest_ = id;
    int pos = size_;
    while (pos > 0 && lowest_[pos - 1] > id) --pos;
    if (pos > 0 && lowest_[pos - 1] == id) return;
    if (pos >= kLowest) return;
    int end = std::min(size_, kLowest - 1);
    for (int i = end; i > pos; --i) lowest_[i] = lowest_[i - 1];
    lowest_[pos] = id;
    if (size_ < kLowest) ++size_;
  }
  // "[1,2,3,4,9]"
  std::string ToJson() const {
    std::string text = "[";
    for (int i = 0; i < size_; ++i) {
      if (i > 0) text += ',';
      text += std::to_string(lowest_[i]);
    }
    if (size_ > 0 && highest_ > lowest_[size_ - 1]) {
      text += ',';
      text += std::to_string(highest_);
    }
    text += ']';
    return text;
  }

 private:
  static constexpr int kLowest = static_cast<int>(kMaxSamples) - 1;
  int64_t lowest_[kLowest] = {};
  int64_t highest_ = 0;
  int size_ = 0;
};

// attrs counters of a `requested` relation: events by HTTP status and by error code.
struct RequestCounters {
  std::vector<std::pair<int64_t, int64_t>> status;        // status -> events
  std::vector<std::pair<uint32_t, int64_t>> error_codes;  // interned code -> events
};

struct EdgeAgg {
  uint32_t src = 0, dst = 0;  // indexes into the entity list
  EdgeKind kind = kAuthenticatedWith;
  TimeMs first = 0, last = 0;
  int64_t count = 0, errors = 0;
  Samples samples;
  uint32_t counters = kNone;  // index into Aggregator::counters
  uint32_t changes = kNone;   // index into Aggregator::changes (attrs.changes)
};

struct EdgeKey {
  uint32_t src = 0, dst = 0, kind = 0;
  bool operator==(const EdgeKey&) const = default;
};
struct EdgeKeyHash {
  size_t operator()(const EdgeKey& k) const {
    return Finish((static_cast<uint64_t>(k.src) << 32 | k.dst) * 0x9E3779B97F4A7C15ULL + k.kind);
  }
};

// What a principal tuple (source type, ARN, type, name, account) classifies to, and the entities
// it resolved to once touched.
struct PrincipalInfo {
  std::optional<PrincipalRef> ref;
  uint32_t entity = kNone;
  uint32_t role = kNone;  // sessions: the role entity
  bool is_user = false, is_user_or_root = false, is_session = false;
};
struct PrincipalKey {
  uint32_t source_type = 0, actor_arn = 0, actor_type = 0, actor_name = 0, account = 0;
  bool operator==(const PrincipalKey&) const = default;
};
struct PrincipalKeyHash {
  size_t operator()(const PrincipalKey& k) const {
    uint64_t h = 0;
    for (uint32_t v : {k.source_type, k.actor_arn, k.actor_type, k.actor_name, k.account}) {
      h = Mix(h, v);
    }
    return Finish(h);
  }
};

// Folds groups into entities and relations. Entities and relations are numbered in the order they
// are first touched, which decides the ids they get when written.
class Aggregator {
 public:
  explicit Aggregator(const Interner& interner) : interner_(interner) {}

  // Returns the entity index, creating the entity or widening its span and count.
  uint32_t Touch(const PrincipalRef& ref, TimeMs first, TimeMs last, int64_t count) {
    scratch_.assign(ref.kind);
    scratch_ += '\x1f';
    scratch_ += ref.key;
    auto found = index_.find(scratch_);
    if (found == index_.end()) {
      auto index = static_cast<uint32_t>(entities_.size());
      index_.emplace(scratch_, index);
      EntityAgg agg;
      agg.kind = ref.kind;
      agg.key = ref.key;
      agg.label = ref.label;
      agg.type = ref.type;
      agg.account = ref.account;
      agg.first = first;
      agg.last = last;
      agg.count = count;
      entities_.push_back(std::move(agg));
      return index;
    }
    TouchIndex(found->second, first, last, count);
    return found->second;
  }
  uint32_t Touch(std::string_view kind, std::string_view key, const Group& group) {
    PrincipalRef ref;
    ref.kind = std::string(kind);
    ref.key = std::string(key);
    ref.label = ref.key;
    return Touch(ref, group.first, group.last, group.count);
  }
  void TouchIndex(uint32_t index, TimeMs first, TimeMs last, int64_t count) {
    EntityAgg& agg = entities_[index];
    agg.first = std::min(agg.first, first);
    agg.last = std::max(agg.last, last);
    agg.count += count;
  }

  EdgeAgg& Edge(uint32_t src, uint32_t dst, EdgeKind kind, const Group& group, int64_t errors) {
    bool inserted = false;
    uint32_t index = edge_index_.FindOrInsert(EdgeKey{src, dst, kind},
                                              static_cast<uint32_t>(edges_.size()), &inserted);
    if (inserted) {
      EdgeAgg agg;
      agg.src = src;
      agg.dst = dst;
      agg.kind = kind;
      agg.first = group.first;
      agg.last = group.last;
      edges_.push_back(agg);
    }
    EdgeAgg& agg = edges_[index];
    agg.first = std::min(agg.first, group.first);
    agg.last = std::max(agg.last, group.last);
    agg.count += group.count;
    agg.errors += errors;
    agg.samples.Add(group.min_id);
    agg.samples.Add(group.max_id);
    return agg;
  }

  void Fold(const Group& group, const std::vector<ChangeInfo>& changes, store::CaseStore& store);

  std::vector<EntityAgg>& entities() { return entities_; }
  std::vector<EdgeAgg>& edges() { return edges_; }
  const RequestCounters& counters(uint32_t index) const { return counters_[index]; }
  std::vector<Json>& changes(uint32_t index) { return changes_[index]; }

 private:
  // The entity of an interned column value, created on first use (kNone: the value names none).
  uint32_t ColumnEntity(std::vector<uint32_t>& cache, uint32_t text, std::string_view kind,
                        const Group& group, bool (*accept)(std::string_view) = nullptr) {
    constexpr uint32_t kUnknown = kNone - 1;
    if (text == 0) return kNone;
    if (cache.size() <= text) cache.resize(interner_.size(), kUnknown);
    uint32_t& entity = cache[text];
    if (entity == kUnknown) {
      const std::string& value = interner_.Text(text);
      entity = accept && !accept(value) ? kNone : Touch(kind, value, group);
    } else if (entity != kNone) {
      TouchIndex(entity, group.first, group.last, group.count);
    }
    return entity;
  }
  PrincipalInfo& Principal(const GroupKey& key);
  uint32_t UserByName(const std::string& account, const std::string& name, const Group& group,
                      store::CaseStore& store);
  uint32_t Counters(EdgeAgg& edge) {
    if (edge.counters == kNone) {
      edge.counters = static_cast<uint32_t>(counters_.size());
      counters_.emplace_back();
    }
    return edge.counters;
  }

  const Interner& interner_;
  std::vector<EntityAgg> entities_;
  std::unordered_map<std::string, uint32_t> index_;  // "kind\x1fkey" -> entity
  std::string scratch_;
  std::vector<EdgeAgg> edges_;
  FlatIndex<EdgeKey, EdgeKeyHash> edge_index_{1 << 16};
  std::vector<RequestCounters> counters_;
  std::vector<std::vector<Json>> changes_;
  std::vector<PrincipalInfo> principals_;
  FlatIndex<PrincipalKey, PrincipalKeyHash> principal_index_;
  std::vector<uint32_t> key_entities_, ip_entities_, bucket_entities_, host_entities_,
      agent_entities_;  // by interned text
};

PrincipalInfo& Aggregator::Principal(const GroupKey& key) {
  PrincipalKey pk{key.source_type, key.actor_arn, key.actor_type, key.actor_name, key.account};
  bool inserted = false;
  uint32_t index = principal_index_.FindOrInsert(pk, static_cast<uint32_t>(principals_.size()),
                                                 &inserted);
  if (inserted) {
    PrincipalInfo info;
    info.ref = ClassifyPrincipal(interner_.Text(key.source_type), interner_.Text(key.actor_arn),
                                 interner_.Text(key.actor_type), interner_.Text(key.actor_name),
                                 interner_.Text(key.account));
    if (info.ref) {
      info.is_user = info.ref->kind == kKindUser;
      info.is_user_or_root = info.is_user || info.ref->kind == kKindRoot;
      info.is_session = info.ref->kind == kKindSession && !info.ref->role_arn.empty();
    }
    principals_.push_back(std::move(info));
  }
  return principals_[index];
}

// A user entity by name in an account: the one already seen with that label, else the
// conventional ARN (IAM user paths cannot be known from a name alone).
uint32_t Aggregator::UserByName(const std::string& account, const std::string& name,
                                const Group& group, store::CaseStore& store) {
  std::string canonical = account.empty() ? "user:" + name
                                          : "arn:aws:iam::" + account + ":user/" + name;
  PrincipalRef ref;
  ref.kind = std::string(kKindUser);
  ref.key = canonical;
  ref.label = name;
  ref.type = "IAMUser";
  ref.account = account;
  for (const auto& e : entities_) {
    if (e.kind == kKindUser && e.label == name && (account.empty() || e.account == account)) {
      ref.key = e.key;
      return Touch(ref, group.first, group.last, group.count);
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
  return Touch(ref, group.first, group.last, group.count);
}

// Folds one group: its entities first (principal, key, address, bucket, host, agent, role), then
// its relations. The order of first touches decides entity and relation ids.
void Aggregator::Fold(const Group& group, const std::vector<ChangeInfo>& changes,
                      store::CaseStore& store) {
  const GroupKey& k = group.key;
  PrincipalInfo& p = Principal(k);
  const std::optional<PrincipalRef>& pref = p.ref;
  uint32_t principal = kNone;
  if (pref) {
    if (p.entity == kNone) {
      p.entity = Touch(*pref, group.first, group.last, group.count);
    } else {
      TouchIndex(p.entity, group.first, group.last, group.count);
    }
    principal = p.entity;
  }
  uint32_t key = ColumnEntity(key_entities_, k.access_key, kKindKey, group);
  uint32_t ip = ColumnEntity(ip_entities_, k.source_ip, kKindIp, group, &LooksLikeIp);
  uint32_t bucket = ColumnEntity(bucket_entities_, k.bucket, kKindBucket, group);
  uint32_t host = ColumnEntity(host_entities_, k.host, kKindHost, group);
  uint32_t agent = ColumnEntity(agent_entities_, k.user_agent, kKindUserAgent, group);
  bool has_principal = principal != kNone;
  int64_t failures = group.failures;

  if (has_principal && key != kNone) {
    Edge(principal, key, kAuthenticatedWith, group, failures);
    if (p.is_user) Edge(principal, key, kOwns, group, 0);
  }
  if (ip != kNone) {
    if (has_principal) Edge(principal, ip, kActedFrom, group, failures);
    if (key != kNone) Edge(key, ip, kActedFrom, group, failures);
    if (has_principal && k.login) Edge(principal, ip, kLoggedInFrom, group, failures);
    if (host != kNone) Edge(host, ip, kServed, group, failures);
  }
  if (bucket != kNone) {
    for (uint32_t src : {ip, principal, key}) {
      if (src == kNone) continue;
      EdgeAgg& edge = Edge(src, bucket, kRequested, group, failures);
      if (k.status == 0 && k.bucket_error == 0) continue;
      RequestCounters& counters = counters_[Counters(edge)];
      if (k.status != 0) {
        auto it = std::find_if(counters.status.begin(), counters.status.end(),
                               [&](const auto& entry) { return entry.first == k.status; });
        if (it == counters.status.end()) {
          counters.status.emplace_back(k.status, group.count);
        } else {
          it->second += group.count;
        }
      }
      if (k.bucket_error != 0) {
        auto it = std::find_if(counters.error_codes.begin(), counters.error_codes.end(),
                               [&](const auto& entry) { return entry.first == k.bucket_error; });
        if (it == counters.error_codes.end()) {
          counters.error_codes.emplace_back(k.bucket_error, group.count);
        } else {
          it->second += group.count;
        }
      }
    }
  }
  if (agent != kNone) {
    if (has_principal) {
      Edge(principal, agent, kUsedAgent, group, failures);
    } else if (ip != kNone) {
      Edge(ip, agent, kUsedAgent, group, failures);
    }
  }
  if (has_principal && p.is_session) {
    if (p.role == kNone) {
      PrincipalRef role;
      role.kind = std::string(kKindRole);
      role.key = pref->role_arn;
      role.label = pref->role_name;
      role.type = "Role";
      role.account = pref->account;
      p.role = Touch(role, group.first, group.last, group.count);
    } else {
      TouchIndex(p.role, group.first, group.last, group.count);
    }
    Edge(principal, p.role, kAssumedRole, group, failures);
  }

  // A credential change: the caller changed the key; the key's owner is the user named by the
  // call (or the caller, for its own keys).
  if (group.change == kNone) return;
  const ChangeInfo& change = changes[group.change];
  if (change.key.empty()) return;
  uint32_t changed = Touch(kKindKey, change.key, group);
  if (has_principal) {
    EdgeAgg& edge = Edge(principal, changed, kChangedCredential, group, failures);
    if (edge.changes == kNone) {
      edge.changes = static_cast<uint32_t>(changes_.size());
      changes_.emplace_back();
    }
    std::vector<Json>& list = changes_[edge.changes];
    if (list.size() < kMaxChanges) {
      Json entry = Json::object();
      entry["action"] = change.action;
      if (!change.event_id.empty()) entry["event_id"] = change.event_id;
      std::string status = change.action == "DeleteAccessKey" ? "Deleted" : change.status;
      if (!status.empty()) entry["status"] = status;
      entry["outcome"] = failures > 0 ? "failure" : "success";
      entry["time"] = group.first;
      entry["event"] = k.change_id;
      list.push_back(std::move(entry));
    }
  }
  if (failures == 0) {
    uint32_t owner = kNone;
    bool own_key = change.user.empty() || (pref && p.is_user_or_root && change.user == pref->label);
    if (own_key) {
      if (has_principal && p.is_user_or_root) owner = principal;
    } else {
      std::string account = pref && !pref->account.empty() ? pref->account
                                                            : interner_.Text(k.account);
      owner = UserByName(account, change.user, group, store);
    }
    if (owner != kNone) Edge(owner, changed, kOwns, group, 0);
  }
}

// Merges the new attrs of an edge (request counters, credential changes) into attrs.
void MergeAttrs(Aggregator& agg, const Interner& interner, EdgeAgg& edge, Json& attrs) {
  if (edge.counters != kNone) {
    const RequestCounters& counters = agg.counters(edge.counters);
    auto add = [&](const char* name, const std::string& value, int64_t n) {
      Json& counter = attrs[name];
      if (!counter.is_object()) counter = Json::object();
      int64_t before = counter.contains(value) && counter[value].is_number_integer()
                           ? counter[value].get<int64_t>() : 0;
      counter[value] = before + n;
    };
    // Counters are added in name order (as a std::map of them did): "error_codes", "status".
    for (const auto& [code, n] : counters.error_codes) add("error_codes", interner.Text(code), n);
    for (const auto& [status, n] : counters.status) add("status", std::to_string(status), n);
  }
  if (edge.changes != kNone) {
    Json& changes = attrs["changes"];
    if (!changes.is_array()) changes = Json::array();
    for (auto& change : agg.changes(edge.changes)) {
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
}

// Inserts rows into a table many rows per statement (rows keep their order, so ids are the same
// as one by one). "OR IGNORE" spares SQLite a statement journal: a plain INSERT may abort on a
// unique index after writing the table row, so it journals every page it touches (a 4 KB copy per
// page, most of the cost of an insert). Callers insert only rows that are not stored; Flush
// checks that every row went in.
class BatchInserter {
 public:
  // columns: "entities(kind, key, ...)" and how many there are.
  BatchInserter(store::CaseStore& store, std::string table_columns, int columns)
      : store_(store), table_columns_(std::move(table_columns)), columns_(columns) {}

  BatchInserter& Int(int64_t value) {
    cells_.emplace_back().value = value;
    return *this;
  }
  BatchInserter& Text(std::string text) {
    Cell& cell = cells_.emplace_back();
    cell.is_text = true;
    cell.text = std::move(text);
    return *this;
  }
  BatchInserter& OptionalText(std::string text) {  // NULL when empty
    return text.empty() ? Null() : Text(std::move(text));
  }
  BatchInserter& Null() {
    cells_.emplace_back().is_null = true;
    return *this;
  }
  // Ends a row; full batches are written.
  Status EndRow() {
    CAIRN_DCHECK(cells_.size() % static_cast<size_t>(columns_) == 0);  // one cell per column
    if (Rows() == kRowsPerStatement) return Flush();
    return Ok();
  }

  Status Flush() {
    size_t rows = Rows();
    if (rows == 0) return Ok();
    store::Statement* statement = nullptr;
    std::optional<store::Statement> partial;
    if (rows == kRowsPerStatement) {
      if (!full_) {
        CAIRN_ASSIGN_OR_RETURN(store::Statement prepared, store_.Prepare(Sql(rows)));
        full_ = std::move(prepared);
      }
      statement = &*full_;
    } else {
      CAIRN_ASSIGN_OR_RETURN(store::Statement prepared, store_.Prepare(Sql(rows)));
      partial = std::move(prepared);
      statement = &*partial;
    }
    statement->Reset();
    int param = 1;
    for (const Cell& cell : cells_) {
      if (cell.is_null) {
        statement->BindNull(param);
      } else if (cell.is_text) {
        statement->BindStatic(param, cell.text);
      } else {
        statement->Bind(param, cell.value);
      }
      ++param;
    }
    CAIRN_TRY(statement->Run());
    statement->Reset();  // drops the bindings into cells_
    if (!changes_) {
      CAIRN_ASSIGN_OR_RETURN(store::Statement prepared, store_.Prepare("SELECT changes()"));
      changes_ = std::move(prepared);
    }
    changes_->Reset();
    CAIRN_ASSIGN_OR_RETURN(bool has_row, changes_->Step());
    if (!has_row || changes_->Int(0) != static_cast<int64_t>(rows)) {
      return Error::Internal("a new row of " + table_columns_ + " conflicted with a stored one");
    }
    cells_.clear();
    return Ok();
  }

 private:
  static constexpr size_t kRowsPerStatement = 64;
  struct Cell {
    bool is_null = false;
    bool is_text = false;
    int64_t value = 0;
    std::string text;
  };
  size_t Rows() const { return cells_.size() / static_cast<size_t>(columns_); }
  std::string Sql(size_t rows) const {
    std::string row = "(?";
    for (int column = 1; column < columns_; ++column) row += ",?";
    row += ')';
    std::string sql = "INSERT OR IGNORE INTO " + table_columns_ + " VALUES";
    for (size_t index = 0; index < rows; ++index) {
      if (index > 0) sql += ',';
      sql += row;
    }
    return sql;
  }
  store::CaseStore& store_;
  std::string table_columns_;
  int columns_;
  std::vector<Cell> cells_;
  std::optional<store::Statement> full_;
  std::optional<store::Statement> changes_;
};

std::string EntityAttrs(const EntityAgg& entity) {
  if (entity.account.empty() && entity.type.empty()) return {};
  Json attrs = Json::object();
  if (!entity.type.empty()) attrs["type"] = entity.type;
  if (!entity.account.empty()) attrs["account"] = entity.account;
  return DumpJson(attrs);
}

// Writes the aggregated entities (filling their ids) and relations, merging with stored rows.
Status Write(store::CaseStore& store, Aggregator& agg, const Interner& interner,
             DeriveStats* stats) {
  // Entities with a larger id are new in this call: their relations cannot be stored yet, which
  // spares the lookup of the stored row (all of them on a first derive).
  int64_t known_entities = 0;
  {
    CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare("SELECT max(id) FROM entities"));
    CAIRN_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (has_row && !st.IsNull(0)) known_entities = st.Int(0);
  }
  if (known_entities == 0) {
    // No entity stored: all are new, numbered from 1 in order.
    BatchInserter inserter(store,
                           "entities(kind, key, label, first_seen, last_seen, count, attrs)", 7);
    for (const auto& entity : agg.entities()) {
      inserter.Text(entity.kind).Text(entity.key).OptionalText(entity.label);
      inserter.Int(entity.first).Int(entity.last).Int(entity.count);
      inserter.OptionalText(EntityAttrs(entity));
      CAIRN_TRY(inserter.EndRow());
    }
    CAIRN_TRY(inserter.Flush());
    CAIRN_ASSIGN_OR_RETURN(store::Statement st,
                           store.Prepare("SELECT count(*), min(id), max(id) FROM entities"));
    CAIRN_ASSIGN_OR_RETURN(bool has_row, st.Step());
    auto n = static_cast<int64_t>(agg.entities().size());
    if (!has_row || st.Int(0) != n || (n > 0 && (st.Int(1) != 1 || st.Int(2) != n))) {
      return Error::Internal("new entities were not numbered from 1");
    }
    for (size_t index = 0; index < agg.entities().size(); ++index) {
      agg.entities()[index].id = static_cast<int64_t>(index) + 1;
    }
  } else {
    CAIRN_ASSIGN_OR_RETURN(
        store::Statement upsert_entity,
        store.Prepare("INSERT INTO entities(kind, key, label, first_seen, last_seen, count, attrs) "
                      "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT(kind, key) DO UPDATE SET "
                      "first_seen = min(COALESCE(first_seen, excluded.first_seen), "
                      "excluded.first_seen), "
                      "last_seen = max(COALESCE(last_seen, excluded.last_seen), excluded.last_seen), "
                      "count = count + excluded.count, label = COALESCE(label, excluded.label), "
                      "attrs = COALESCE(attrs, excluded.attrs) RETURNING id"));
    for (auto& entity : agg.entities()) {
      upsert_entity.Reset();
      upsert_entity.BindStatic(1, entity.kind).BindStatic(2, entity.key);
      upsert_entity.BindOptionalStatic(3, entity.label);
      upsert_entity.Bind(4, entity.first).Bind(5, entity.last).Bind(6, entity.count);
      upsert_entity.BindOptional(7, EntityAttrs(entity));
      CAIRN_ASSIGN_OR_RETURN(bool has_row, upsert_entity.Step());
      if (!has_row) return Error::Internal("entity upsert returned no id");
      entity.id = upsert_entity.Int(0);
      CAIRN_TRY(upsert_entity.Run());
    }
  }
  stats->entities += static_cast<int64_t>(agg.entities().size());

  CAIRN_ASSIGN_OR_RETURN(
      store::Statement find_edge,
      store.Prepare("SELECT id, count, errors, sample_events, attrs, first_seen, last_seen "
                    "FROM relations WHERE src = ?1 AND dst = ?2 AND kind = ?3"));
  BatchInserter inserter(store,
                         "relations(src, dst, kind, first_seen, last_seen, count, errors, "
                         "sample_events, attrs)",
                         9);
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement update_edge,
      store.Prepare("UPDATE relations SET first_seen = ?2, last_seen = ?3, count = ?4, "
                    "errors = ?5, sample_events = ?6 WHERE id = ?1"));
  CAIRN_ASSIGN_OR_RETURN(store::Statement update_attrs,
                         store.Prepare("UPDATE relations SET attrs = ?2 WHERE id = ?1"));
  std::string samples, attrs_text;
  for (auto& edge : agg.edges()) {
    int64_t src = agg.entities()[edge.src].id;
    int64_t dst = agg.entities()[edge.dst].id;
    const char* kind = kEdgeKindNames[edge.kind];
    bool has_new_attrs = edge.counters != kNone || edge.changes != kNone;
    bool exists = false;
    if (src <= known_entities && dst <= known_entities) {
      find_edge.Reset();
      find_edge.Bind(1, src).Bind(2, dst).BindStatic(3, kind);
      CAIRN_ASSIGN_OR_RETURN(exists, find_edge.Step());
    }
    if (!exists) {
      std::string attrs_json;
      if (has_new_attrs) {
        Json attrs = Json::object();
        MergeAttrs(agg, interner, edge, attrs);
        if (!attrs.empty()) attrs_json = DumpJson(attrs);
      }
      inserter.Int(src).Int(dst).Text(kind).Int(edge.first).Int(edge.last).Int(edge.count);
      inserter.Int(edge.errors).Text(edge.samples.ToJson()).OptionalText(std::move(attrs_json));
      CAIRN_TRY(inserter.EndRow());
      continue;
    }
    // Merge with the stored row.
    int64_t id = find_edge.Int(0);
    edge.count += find_edge.Int(1);
    edge.errors += find_edge.Int(2);
    if (!find_edge.IsNull(3)) ForEachSampleId(find_edge.Text(3), [&](int64_t sample) { edge.samples.Add(sample); });
    if (!find_edge.IsNull(5)) edge.first = std::min<TimeMs>(edge.first, find_edge.Int(5));
    if (!find_edge.IsNull(6)) edge.last = std::max<TimeMs>(edge.last, find_edge.Int(6));
    bool write_attrs = has_new_attrs;
    if (has_new_attrs) {
      Json attrs = Json::object();
      if (!find_edge.IsNull(4)) {
        Json old = Json::parse(find_edge.Text(4), nullptr, false);
        if (old.is_object()) attrs = std::move(old);
      }
      MergeAttrs(agg, interner, edge, attrs);
      attrs_text = attrs.empty() ? std::string() : DumpJson(attrs);
    }
    find_edge.Reset();
    samples = edge.samples.ToJson();
    update_edge.Reset();
    update_edge.Bind(1, id).Bind(2, edge.first).Bind(3, edge.last).Bind(4, edge.count);
    update_edge.Bind(5, edge.errors).BindStatic(6, samples);
    CAIRN_TRY(update_edge.Run());
    if (write_attrs) {
      update_attrs.Reset();
      update_attrs.Bind(1, id).BindOptionalStatic(2, attrs_text);
      CAIRN_TRY(update_attrs.Run());
    }
  }
  CAIRN_TRY(inserter.Flush());
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

Status DeriveInTransaction(store::CaseStore& store, const DeriveTuning& tuning,
                           DeriveStats* stats) {
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

  auto start = Clock::now();
  Scanner scanner;
  CAIRN_TRY(ScanEvents(store, upto, max_id, tuning, &scanner));
  stats->scan_seconds = SecondsSince(start);
  stats->groups = static_cast<int64_t>(scanner.groups().size());

  start = Clock::now();
  Aggregator agg(scanner.interner());
  // Changes are folded after the identities, so that owners resolve to users already seen.
  for (const Group& group : scanner.groups()) {
    stats->events += group.count;
    if (group.change == kNone) agg.Fold(group, scanner.changes(), store);
  }
  for (const Group& group : scanner.groups()) {
    if (group.change != kNone) agg.Fold(group, scanner.changes(), store);
  }
  stats->fold_seconds = SecondsSince(start);

  start = Clock::now();
  CAIRN_TRY(Write(store, agg, scanner.interner(), stats));
  CAIRN_TRY(store.SetMeta(kRelationsUptoKey, std::to_string(max_id)));
  stats->write_seconds = SecondsSince(start);
  return Ok();
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
  return DeriveRelations(store, stats, DeriveTuning{});
}

Status DeriveRelations(store::CaseStore& store, DeriveStats* stats, const DeriveTuning& tuning) {
  *stats = DeriveStats{};
  CAIRN_TRY(store.Begin());
  Status status = DeriveInTransaction(store, tuning, stats);
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
