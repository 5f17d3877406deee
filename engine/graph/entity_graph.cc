#include "engine/graph/entity_graph.h"

#include <algorithm>
#include <cctype>
#include <limits>
#include <map>
#include <set>
#include <tuple>
#include <unordered_map>
#include <utility>

#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/filtered_graph.hpp>

#include "engine/common/strings.h"
#include "engine/graph/graph_internal.h"
#include "engine/graph/relations.h"

namespace cairn::graph {

bool TimeWindow::Overlaps(TimeMs first, TimeMs last) const {
  if (from && last < *from) return false;
  if (to && first >= *to) return false;
  return true;
}

std::string EntityRef(const Entity& entity) {
  const std::string& kind = entity.kind;
  if (kind == kKindAnonymous) return "anonymous";
  if (kind == kKindUserAgent) return "ua:" + entity.key;
  if (kind == kKindRoot) {
    // arn:aws:iam::ACCOUNT:root -> root:ACCOUNT
    auto parts = Split(entity.key, ':');
    if (parts.size() == 6 && !parts[4].empty()) return "root:" + std::string(parts[4]);
    return "root";
  }
  if (IsPrincipalKind(kind)) return kind + ":" + (entity.label.empty() ? entity.key : entity.label);
  return kind + ":" + entity.key;
}

namespace {

struct EdgeProp {
  size_t index = 0;  // into Impl::edges
};
using UndirectedGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::undirectedS, boost::no_property, EdgeProp>;
using DirectedGraph =
    boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS, boost::no_property, EdgeProp>;

// Relations are followed the way access flows for the blast radius; "served" (host -> ip) is
// walked backwards: an address reaches the hosts it talked to.
bool BlastReversed(std::string_view kind) { return kind == kEdgeServed; }

bool IsAccessKeyId(std::string_view text) {
  if (text.size() < 16 || text.size() > 128) return false;
  static constexpr std::string_view kPrefixes[] = {"AKIA", "ASIA", "AIDA", "AROA", "ABIA", "ACCA",
                                                   "AGPA", "AIPA", "ANPA", "ANVA", "APKA", "ASCA"};
  bool prefixed = std::any_of(std::begin(kPrefixes), std::end(kPrefixes),
                              [&](std::string_view p) { return StartsWith(text, p); });
  if (!prefixed) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return std::isupper(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c));
  });
}

// Kinds a typed prefix may name ("ua" and "user_agent" are the same).
std::optional<std::string> PrefixKind(std::string_view prefix) {
  std::string lower = ToLower(prefix);
  for (std::string_view kind : {kKindUser, kKindRole, kKindSession, kKindRoot, kKindService,
                                kKindAnonymous, kKindPrincipal, kKindKey, kKindIp, kKindBucket,
                                kKindHost, kKindUserAgent}) {
    if (lower == kind) return std::string(kind);
  }
  if (lower == "ua" || lower == "agent") return std::string(kKindUserAgent);
  if (lower == "akid" || lower == "accesskey" || lower == "access_key") return std::string(kKindKey);
  return std::nullopt;
}

// The names an entity can be called by (key, label, and the last part of a session label).
std::vector<std::string_view> NamesOf(const Entity& entity) {
  std::vector<std::string_view> names{entity.key};
  if (!entity.label.empty() && entity.label != entity.key) names.push_back(entity.label);
  if (entity.kind == kKindSession) {
    size_t slash = entity.label.find('/');
    if (slash != std::string::npos) names.push_back(std::string_view(entity.label).substr(slash + 1));
  }
  if (entity.kind == kKindRoot) {
    auto parts = Split(entity.key, ':');
    if (parts.size() == 6) names.push_back(parts[4]);  // the account id
  }
  return names;
}

}  // namespace

struct EntityGraph::Impl {
  std::vector<Entity> entities;
  std::vector<Edge> edges;
  std::unordered_map<int64_t, size_t> by_id;                 // entities.id -> vertex
  std::map<std::pair<std::string, std::string>, size_t> by_kind_key;
  UndirectedGraph undirected;
  DirectedGraph blast;

  size_t Vertex(EntityId id) const {
    auto it = by_id.find(id.value);
    return it == by_id.end() ? std::numeric_limits<size_t>::max() : it->second;
  }
};

namespace {

// Keeps the edges active in the window (and, for paths, skips user-agent vertices in the middle).
struct EdgeInWindow {
  const std::vector<Edge>* edges = nullptr;
  const TimeWindow* window = nullptr;
  template <typename EdgeDesc, typename Graph>
  bool Test(const EdgeDesc& e, const Graph& g) const {
    const Edge& edge = (*edges)[g[e].index];
    return window->Overlaps(edge.first_seen, edge.last_seen);
  }
};
struct UndirectedEdgeFilter : EdgeInWindow {
  const UndirectedGraph* graph = nullptr;
  bool operator()(const UndirectedGraph::edge_descriptor& e) const { return Test(e, *graph); }
};
struct DirectedEdgeFilter : EdgeInWindow {
  const DirectedGraph* graph = nullptr;
  bool operator()(const DirectedGraph::edge_descriptor& e) const { return Test(e, *graph); }
};
struct VertexFilter {
  const std::vector<Entity>* entities = nullptr;
  size_t start = 0, goal = 0;
  bool through_user_agents = true;
  bool operator()(size_t v) const {
    if (through_user_agents || v == start || v == goal) return true;
    return (*entities)[v].kind != kKindUserAgent;
  }
};

// Thrown by TreeRecorder to end a search early; caught in this file, never crosses the API.
struct GoalReached {};

// Records, for each vertex the search reaches, the tree edge it was reached by and its depth.
// With a goal, the search stops as soon as the goal is discovered (Boost's BFS has no other exit).
template <typename Graph>
class TreeRecorder : public boost::default_bfs_visitor {
 public:
  TreeRecorder(std::vector<std::optional<typename Graph::edge_descriptor>>* via,
               std::vector<int>* depth, std::optional<size_t> goal = std::nullopt)
      : via_(via), depth_(depth), goal_(goal) {}
  template <typename E, typename G>
  void tree_edge(const E& e, const G& g) const {  // NOLINT(readability-identifier-naming): Boost
    size_t parent = boost::source(e, g);
    size_t child = boost::target(e, g);
    (*via_)[child] = e;
    (*depth_)[child] = (*depth_)[parent] + 1;
    if (goal_ && child == *goal_) throw GoalReached{};
  }

 private:
  std::vector<std::optional<typename Graph::edge_descriptor>>* via_;
  std::vector<int>* depth_;
  std::optional<size_t> goal_;
};

}  // namespace

EntityGraph::EntityGraph(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EntityGraph::EntityGraph(EntityGraph&&) noexcept = default;
EntityGraph& EntityGraph::operator=(EntityGraph&&) noexcept = default;
EntityGraph::~EntityGraph() = default;

const std::vector<Entity>& EntityGraph::entities() const { return impl_->entities; }
const std::vector<Edge>& EntityGraph::edges() const { return impl_->edges; }

const Entity* EntityGraph::Find(EntityId id) const {
  size_t v = impl_->Vertex(id);
  return v < impl_->entities.size() ? &impl_->entities[v] : nullptr;
}

const Entity* EntityGraph::Find(std::string_view kind, std::string_view key) const {
  auto it = impl_->by_kind_key.find({std::string(kind), std::string(key)});
  return it == impl_->by_kind_key.end() ? nullptr : &impl_->entities[it->second];
}

Result<EntityGraph> EntityGraph::Load(store::CaseStore& store) {
  auto impl = std::make_unique<Impl>();
  {
    CAIRN_ASSIGN_OR_RETURN(
        store::Statement st,
        store.Prepare("SELECT id, kind, key, label, first_seen, last_seen, count, attrs "
                      "FROM entities ORDER BY id"));
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool has_row, st.Step());
      if (!has_row) break;
      Entity entity;
      entity.id.value = st.Int(0);
      entity.kind = std::string(st.Text(1));
      entity.key = std::string(st.Text(2));
      if (!st.IsNull(3)) entity.label = std::string(st.Text(3));
      entity.first_seen = st.IsNull(4) ? 0 : st.Int(4);
      entity.last_seen = st.IsNull(5) ? 0 : st.Int(5);
      entity.count = st.Int(6);
      if (!st.IsNull(7)) entity.attrs = std::string(st.Text(7));
      impl->by_id.emplace(entity.id.value, impl->entities.size());
      impl->by_kind_key.emplace(std::make_pair(entity.kind, entity.key), impl->entities.size());
      impl->entities.push_back(std::move(entity));
    }
  }
  for (size_t v = 0; v < impl->entities.size(); ++v) {
    boost::add_vertex(impl->undirected);
    boost::add_vertex(impl->blast);
  }
  CAIRN_ASSIGN_OR_RETURN(
      store::Statement st,
      store.Prepare("SELECT id, src, dst, kind, first_seen, last_seen, count, errors, "
                    "sample_events, attrs FROM relations ORDER BY id"));
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool has_row, st.Step());
    if (!has_row) break;
    Edge edge;
    edge.id = st.Int(0);
    edge.src.value = st.Int(1);
    edge.dst.value = st.Int(2);
    edge.kind = std::string(st.Text(3));
    edge.first_seen = st.IsNull(4) ? 0 : st.Int(4);
    edge.last_seen = st.IsNull(5) ? 0 : st.Int(5);
    edge.count = st.Int(6);
    edge.errors = st.Int(7);
    if (!st.IsNull(8)) ForEachSampleId(st.Text(8), [&](int64_t id) { edge.sample_events.push_back(id); });
    if (!st.IsNull(9)) edge.attrs = std::string(st.Text(9));
    size_t src = impl->Vertex(edge.src);
    size_t dst = impl->Vertex(edge.dst);
    if (src >= impl->entities.size() || dst >= impl->entities.size()) continue;  // dangling
    size_t index = impl->edges.size();
    boost::add_edge(src, dst, EdgeProp{index}, impl->undirected);
    if (BlastReversed(edge.kind)) {
      boost::add_edge(dst, src, EdgeProp{index}, impl->blast);
    } else {
      boost::add_edge(src, dst, EdgeProp{index}, impl->blast);
    }
    impl->edges.push_back(std::move(edge));
  }
  return EntityGraph(std::move(impl));
}

Result<const Entity*> EntityGraph::Resolve(std::string_view ref) const {
  std::string_view text = Trim(ref);
  if (text.empty()) {
    return Error::InvalidArgument("empty entity reference")
        .WithHelp("refer to an entity as user:NAME, role:NAME, an ARN, an access key id, an IP, "
                  "bucket:NAME or host:NAME");
  }
  std::optional<std::string> kind;
  std::string_view name = text;
  bool is_arn = StartsWith(text, "arn:");
  if (!is_arn) {
    if (size_t colon = text.find(':'); colon != std::string_view::npos) {
      if (auto k = PrefixKind(text.substr(0, colon))) {
        kind = *k;
        name = Trim(text.substr(colon + 1));
      }
    }
    if (!kind && IsAccessKeyId(text)) kind = std::string(kKindKey);
    if (!kind && LooksLikeIp(text)) kind = std::string(kKindIp);
    if (!kind && (EqualsIgnoreCase(text, "anonymous") || EqualsIgnoreCase(text, "root"))) {
      kind = ToLower(text);
      name = "";
    }
  }

  auto collect = [&](bool ignore_case) {
    std::vector<const Entity*> found;
    for (const auto& entity : impl_->entities) {
      if (kind && entity.kind != *kind) continue;
      if (name.empty()) {  // "anonymous", "root", "root:" -- every entity of the kind
        found.push_back(&entity);
        continue;
      }
      for (std::string_view candidate : NamesOf(entity)) {
        if (ignore_case ? EqualsIgnoreCase(candidate, name) : candidate == name) {
          found.push_back(&entity);
          break;
        }
      }
    }
    return found;
  };
  std::vector<const Entity*> found = collect(false);
  if (found.empty()) found = collect(true);
  if (found.size() == 1) return found.front();

  const std::string quoted = "'" + std::string(text) + "'";
  if (found.size() > 1) {
    Error err = Error::InvalidArgument("entity reference " + quoted + " is ambiguous: " +
                                       std::to_string(found.size()) + " entities match");
    std::sort(found.begin(), found.end(), [](const Entity* a, const Entity* b) {
      return std::tie(a->kind, a->key) < std::tie(b->kind, b->key);
    });
    size_t shown = 0;
    for (const Entity* entity : found) {
      if (++shown > 10) {
        err.WithNote("... and " + std::to_string(found.size() - 10) + " more");
        break;
      }
      err.WithNote("candidate: " + EntityRef(*entity) + "  (" + entity->key + ")");
    }
    return err.WithHelp("use a typed reference (user:NAME, role:NAME, bucket:NAME, ...) or the "
                        "full ARN / key");
  }

  // Nothing: suggest close names (edit distance, or containment), best first.
  std::string lower = ToLower(name.empty() ? text : name);
  std::vector<std::pair<size_t, const Entity*>> close;
  for (const auto& entity : impl_->entities) {
    size_t best = std::numeric_limits<size_t>::max();
    for (std::string_view candidate : NamesOf(entity)) {
      std::string cand = ToLower(candidate);
      size_t distance = EditDistance(lower, cand);
      if (lower.size() >= 3 && cand.find(lower) != std::string::npos) distance = std::min<size_t>(distance, 1);
      best = std::min(best, distance);
    }
    size_t limit = std::max<size_t>(2, lower.size() / 3);
    if (best <= limit) close.emplace_back(best + (kind && entity.kind != *kind ? 1 : 0), &entity);
  }
  std::sort(close.begin(), close.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first, a.second->kind, a.second->key) <
           std::tie(b.first, b.second->kind, b.second->key);
  });
  Error err = Error::NotFound("no entity matches " + quoted);
  if (kind) err.WithReason("no " + *kind + " entity is called '" + std::string(name) + "'");
  for (size_t i = 0; i < close.size() && i < 5; ++i) {
    err.WithNote("did you mean " + EntityRef(*close[i].second) + "?");
  }
  return err.WithHelp("refer to an entity as user:NAME, role:NAME, an ARN, an access key id, an "
                      "IP, bucket:NAME or host:NAME ('cairn graph show' lists what a case holds)");
}

std::vector<Neighbor> EntityGraph::Neighbors(EntityId id, const TimeWindow& window) const {
  std::vector<Neighbor> out;
  size_t v = impl_->Vertex(id);
  if (v >= impl_->entities.size()) return out;
  const auto& g = impl_->undirected;
  for (auto [it, end] = boost::out_edges(v, g); it != end; ++it) {
    const Edge& edge = impl_->edges[g[*it].index];
    if (!window.Overlaps(edge.first_seen, edge.last_seen)) continue;
    Neighbor n;
    n.edge = &edge;
    n.outgoing = edge.src == id;
    n.entity = &impl_->entities[boost::target(*it, g)];
    out.push_back(n);
  }
  std::sort(out.begin(), out.end(), [](const Neighbor& a, const Neighbor& b) {
    return std::make_tuple(a.edge->kind, -a.edge->count, a.entity->kind, a.entity->key) <
           std::make_tuple(b.edge->kind, -b.edge->count, b.entity->kind, b.entity->key);
  });
  return out;
}

Result<std::vector<PathStep>> EntityGraph::ShortestPath(EntityId from, EntityId to,
                                                        const WalkOptions& options) const {
  size_t start = impl_->Vertex(from);
  size_t goal = impl_->Vertex(to);
  size_t n = impl_->entities.size();
  if (start >= n || goal >= n) return Error::NotFound("unknown entity id");
  std::vector<PathStep> steps;
  if (start == goal) return steps;

  UndirectedEdgeFilter edge_filter;
  edge_filter.edges = &impl_->edges;
  edge_filter.window = &options.window;
  edge_filter.graph = &impl_->undirected;
  VertexFilter vertex_filter{&impl_->entities, start, goal, options.through_user_agents};
  boost::filtered_graph<UndirectedGraph, UndirectedEdgeFilter, VertexFilter> fg(
      impl_->undirected, edge_filter, vertex_filter);
  std::vector<std::optional<UndirectedGraph::edge_descriptor>> via(n);
  std::vector<int> depth(n, 0);
  try {
    boost::breadth_first_search(
        fg, start, boost::visitor(TreeRecorder<UndirectedGraph>(&via, &depth, goal)));
  } catch (const GoalReached&) {
    // found: via[goal] is set
  }
  if (!via[goal]) {
    return Error::NotFound("'" + EntityRef(impl_->entities[start]) + "' and '" +
                           EntityRef(impl_->entities[goal]) + "' are not connected" +
                           (options.window.from || options.window.to ? " in the time window"
                                                                     : ""))
        .WithHelp("widen --from/--to, or look at each with 'cairn graph show'");
  }
  for (size_t v = goal; v != start;) {
    const auto& e = *via[v];
    size_t parent = boost::source(e, impl_->undirected) == v ? boost::target(e, impl_->undirected)
                                                             : boost::source(e, impl_->undirected);
    PathStep step;
    step.edge = &impl_->edges[impl_->undirected[e].index];
    step.from = &impl_->entities[parent];
    step.to = &impl_->entities[v];
    steps.push_back(step);
    v = parent;
  }
  std::reverse(steps.begin(), steps.end());
  return steps;
}

std::vector<Reached> EntityGraph::BlastRadius(EntityId from, const WalkOptions& options) const {
  std::vector<Reached> out;
  size_t start = impl_->Vertex(from);
  size_t n = impl_->entities.size();
  if (start >= n) return out;
  DirectedEdgeFilter edge_filter;
  edge_filter.edges = &impl_->edges;
  edge_filter.window = &options.window;
  edge_filter.graph = &impl_->blast;
  boost::filtered_graph<DirectedGraph, DirectedEdgeFilter> fg(impl_->blast, edge_filter);
  std::vector<std::optional<DirectedGraph::edge_descriptor>> via(n);
  std::vector<int> depth(n, 0);
  boost::breadth_first_search(fg, start, boost::visitor(TreeRecorder<DirectedGraph>(&via, &depth)));
  int max_depth = std::max(1, options.max_depth);
  for (size_t v = 0; v < n; ++v) {
    if (v == start || !via[v] || depth[v] > max_depth) continue;
    Reached r;
    r.entity = &impl_->entities[v];
    r.depth = depth[v];
    r.via = &impl_->edges[impl_->blast[*via[v]].index];
    r.parent = &impl_->entities[boost::source(*via[v], impl_->blast)];
    out.push_back(r);
  }
  std::sort(out.begin(), out.end(), [](const Reached& a, const Reached& b) {
    return std::tie(a.depth, a.entity->kind, a.entity->key) <
           std::tie(b.depth, b.entity->kind, b.entity->key);
  });
  return out;
}

}  // namespace cairn::graph
