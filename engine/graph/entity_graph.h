#pragma once
// The entity graph of a case: principals, keys, addresses, buckets, hosts and user agents joined
// by typed, time-stamped relations (see relations.h for the kinds). Built from the entities and
// relations tables that DeriveRelations fills; walks are limited to a time window.
//
// An edge is in a window when its time span [first_seen, last_seen] overlaps the window: the
// relations are aggregates, so a window narrows the walk to relations active in it, and every
// edge names sample events as evidence.
//
// Thread-safety: an EntityGraph is immutable after Load; const methods may run concurrently.
// Pointers returned by its methods stay valid as long as the graph.

#include <compare>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/time.h"
#include "engine/store/case_store.h"

namespace cairn::graph {

// The id of an entity (entities.id).
struct EntityId {
  int64_t value = 0;
  auto operator<=>(const EntityId&) const = default;
};

struct Entity {
  EntityId id;
  std::string kind;   // relations.h kKind* ("user", "key", "ip", ...)
  std::string key;    // unique within the kind (ARN, key id, address, bucket name, ...)
  std::string label;  // display name ("alice", "Admin/session1")
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  int64_t count = 0;  // events that mention it
  std::string attrs;  // JSON object text, or empty
};

struct Edge {
  int64_t id = 0;  // relations.id
  EntityId src;
  EntityId dst;
  std::string kind;  // relations.h kEdge* ("acted-from", ...)
  TimeMs first_seen = 0;
  TimeMs last_seen = 0;
  int64_t count = 0;
  int64_t errors = 0;
  std::vector<int64_t> sample_events;  // events.id, the first few and the last
  std::string attrs;                   // JSON object text, or empty
};

// A half-open time window; an unset bound is unbounded.
struct TimeWindow {
  std::optional<TimeMs> from;  // inclusive
  std::optional<TimeMs> to;    // exclusive
  // Does [first, last] overlap the window?
  bool Overlaps(TimeMs first, TimeMs last) const;
};

struct WalkOptions {
  TimeWindow window;
  int max_depth = 3;  // blast radius: hops from the start (>= 1)
  // Paths may pass through user-agent vertices (shared agent strings link unrelated actors, so
  // they are only endpoints by default).
  bool through_user_agents = false;
};

struct Neighbor {
  const Edge* edge = nullptr;
  const Entity* entity = nullptr;  // the other end
  bool outgoing = false;           // edge->src is the entity asked about
};

struct PathStep {
  const Edge* edge = nullptr;
  const Entity* from = nullptr;  // in walking order; the edge may point either way
  const Entity* to = nullptr;
};

struct Reached {
  const Entity* entity = nullptr;
  int depth = 0;                  // hops from the start
  const Edge* via = nullptr;      // the edge it was first reached by
  const Entity* parent = nullptr; // the entity it was reached from
};

// The typed reference of an entity, accepted back by Resolve: "user:alice", "role:Admin",
// "session:Admin/bob", "root:123456789012", "key:AKIA...", "ip:203.0.113.7", "bucket:logs",
// "host:www", "service:s3.amazonaws.com", "ua:aws-cli/2.0", "anonymous".
std::string EntityRef(const Entity& entity);

class EntityGraph {
 public:
  // Reads the entities and relations tables (it does not derive them: see DeriveRelations).
  // Errors: kIo.
  static Result<EntityGraph> Load(store::CaseStore& store);

  EntityGraph(EntityGraph&&) noexcept;
  EntityGraph& operator=(EntityGraph&&) noexcept;
  EntityGraph(const EntityGraph&) = delete;
  EntityGraph& operator=(const EntityGraph&) = delete;
  ~EntityGraph();

  const std::vector<Entity>& entities() const;
  const std::vector<Edge>& edges() const;
  // nullptr when unknown.
  const Entity* Find(EntityId id) const;
  const Entity* Find(std::string_view kind, std::string_view key) const;

  // Resolves a forgiving reference: "user:alice", "role:NAME", "session:ROLE/NAME", an ARN, an
  // access key id (AKIA.../ASIA...), an IP, "bucket:NAME", "host:NAME", "service:NAME",
  // "ua:AGENT", "anonymous", or a bare name/key matched exactly, then case-insensitively.
  // Errors: kNotFound (nothing matches; notes list close matches), kInvalidArgument (empty, or
  // ambiguous: the notes list the candidates as typed references).
  Result<const Entity*> Resolve(std::string_view ref) const;

  // Relations of an entity active in the window, both directions, by kind then count.
  std::vector<Neighbor> Neighbors(EntityId id, const TimeWindow& window) const;

  // The shortest chain of relations (in any direction) joining two entities within the window
  // (breadth-first). Errors: kNotFound when they are not connected in the window.
  Result<std::vector<PathStep>> ShortestPath(EntityId from, EntityId to,
                                             const WalkOptions& options) const;

  // Everything reachable from a (compromised) entity by following relations the way access
  // flows: principal -> keys/addresses/buckets/agents/roles, key -> addresses/buckets,
  // address -> buckets and the hosts that served it. Ordered by depth, then kind and key. The
  // start itself is not included.
  std::vector<Reached> BlastRadius(EntityId from, const WalkOptions& options) const;

 private:
  struct Impl;
  explicit EntityGraph(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cairn::graph
