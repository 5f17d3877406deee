// cairn graph show|path|blast-radius: walks of the entity graph of a case (engine/graph).
#include <algorithm>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/cli/cli_common.h"
#include "engine/cli/playbook_backend.h"
#include "engine/common/strings.h"
#include "engine/graph/entity_graph.h"
#include "engine/graph/relations.h"

namespace cairn::cli {
namespace {

struct GraphArgs {
  std::string case_path;
  std::string from;
  std::string to;
  std::string format = "table";
  std::string tz = "UTC";
  std::string entity;   // show, blast-radius
  std::string other;    // path: the second entity
  int depth = 3;        // blast-radius
  int limit = 50;       // show without an entity: entities listed
  bool through_agents = false;
};

Result<std::unique_ptr<store::CaseStore>> OpenCase(const GraphArgs& args) {
  CAIRN_ASSIGN_OR_RETURN(std::string path, ResolveCasePath(args.case_path));
  return OpenCaseWithGraph(path);
}

// The --tz zone of this invocation (set once by RunGraph before any output).
TimeZone g_tz;

std::string Time(TimeMs t) { return FormatIso8601(t, g_tz); }

std::string Evidence(const graph::Edge& edge) {
  std::vector<std::string> ids;
  for (int64_t id : edge.sample_events) ids.push_back("#" + std::to_string(id));
  return Join(ids, " ");
}

// ---- JSON ----------------------------------------------------------------------------------

std::string RawJsonOrNull(const std::string& text) {
  return text.empty() ? "null" : text;  // written by DeriveRelations as a JSON object
}

std::string EntityJson(const graph::Entity& e) {
  return "{\"ref\":" + JsonQuote(graph::EntityRef(e)) + ",\"kind\":" + JsonQuote(e.kind) +
         ",\"key\":" + JsonQuote(e.key) + ",\"label\":" + JsonQuote(e.label) +
         ",\"first_seen\":" + JsonQuote(Time(e.first_seen)) +
         ",\"last_seen\":" + JsonQuote(Time(e.last_seen)) + ",\"events\":" +
         std::to_string(e.count) + ",\"attrs\":" + RawJsonOrNull(e.attrs) + "}";
}

std::string EdgeJson(const graph::Edge& edge, const graph::EntityGraph& g) {
  const graph::Entity* src = g.Find(edge.src);
  const graph::Entity* dst = g.Find(edge.dst);
  std::string samples;
  for (int64_t id : edge.sample_events) samples += (samples.empty() ? "" : ",") + std::to_string(id);
  return "{\"kind\":" + JsonQuote(edge.kind) + ",\"src\":" +
         JsonQuote(src ? graph::EntityRef(*src) : "") + ",\"dst\":" +
         JsonQuote(dst ? graph::EntityRef(*dst) : "") + ",\"first_seen\":" +
         JsonQuote(Time(edge.first_seen)) + ",\"last_seen\":" + JsonQuote(Time(edge.last_seen)) +
         ",\"events\":" + std::to_string(edge.count) + ",\"errors\":" +
         std::to_string(edge.errors) + ",\"sample_events\":[" + samples + "],\"attrs\":" +
         RawJsonOrNull(edge.attrs) + "}";
}

std::string WindowJson(const graph::TimeWindow& w) {
  return "{\"from\":" + (w.from ? JsonQuote(Time(*w.from)) : "null") +
         ",\"to\":" + (w.to ? JsonQuote(Time(*w.to)) : "null") + "}";
}

// ---- DOT -----------------------------------------------------------------------------------

// A DOT double-quoted string: quotes and backslashes escaped, control characters dropped.
std::string DotQuote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) {
      out += c;
    }
  }
  return out + "\"";
}

class DotWriter {
 public:
  void Node(const graph::Entity& e, bool highlight = false) {
    if (!nodes_.emplace(e.id.value, true).second) return;
    std::string label = e.kind + "\n" + (e.label.empty() ? e.key : e.label);
    body_ += "  n" + std::to_string(e.id.value) + " [label=" + DotQuote(label) +
             ",shape=" + Shape(e.kind) + (highlight ? ",style=bold,color=red" : "") + "];\n";
  }
  void EdgeLine(const graph::Edge& edge) {
    if (!edges_.emplace(edge.id, true).second) return;
    std::string label = edge.kind + " (" + std::to_string(edge.count) +
                        (edge.errors ? ", " + std::to_string(edge.errors) + " errors" : "") + ")";
    body_ += "  n" + std::to_string(edge.src.value) + " -> n" + std::to_string(edge.dst.value) +
             " [label=" + DotQuote(label) + "];\n";
  }
  std::string Render(const std::string& title) const {
    return "digraph cairn {\n  label=" + DotQuote(title) +
           ";\n  node [fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\",fontsize=10];\n" +
           body_ + "}\n";
  }

 private:
  static const char* Shape(const std::string& kind) {
    if (graph::IsPrincipalKind(kind)) return "ellipse";
    if (kind == graph::kKindKey) return "diamond";
    if (kind == graph::kKindBucket) return "cylinder";
    if (kind == graph::kKindHost) return "box3d";
    return "box";
  }
  std::map<int64_t, bool> nodes_;
  std::map<int64_t, bool> edges_;
  std::string body_;
};

void Print(const std::string& text) { std::fputs(text.c_str(), stdout); }
int TableWidth() { return StdoutIsTty() ? TerminalWidth() : 0; }

// ---- subcommands ---------------------------------------------------------------------------

int ListEntities(const graph::EntityGraph& g, const GraphArgs& args, const graph::TimeWindow& w) {
  std::vector<const graph::Entity*> list;
  std::map<std::string, int64_t> by_kind;
  for (const auto& e : g.entities()) {
    if (!w.Overlaps(e.first_seen, e.last_seen)) continue;
    list.push_back(&e);
    ++by_kind[e.kind];
  }
  std::sort(list.begin(), list.end(), [](const graph::Entity* a, const graph::Entity* b) {
    return std::make_tuple(-a->count, a->kind, a->key) < std::make_tuple(-b->count, b->kind, b->key);
  });
  size_t shown = std::min(list.size(), static_cast<size_t>(std::max(0, args.limit)));
  if (args.format == "json") {
    std::string out = "{\"window\":" + WindowJson(w) + ",\"entities\":" +
                      std::to_string(list.size()) + ",\"by_kind\":{";
    bool first = true;
    for (const auto& [kind, n] : by_kind) {
      out += (first ? "" : ",") + JsonQuote(kind) + ":" + std::to_string(n);
      first = false;
    }
    out += "},\"top\":[";
    for (size_t i = 0; i < shown; ++i) out += (i ? "," : "") + EntityJson(*list[i]);
    Print(out + "]}\n");
    return kExitOk;
  }
  if (args.format == "dot") {
    return ReportError(Error::InvalidArgument("--format dot needs an entity")
                           .WithHelp("cairn graph show ENTITY --format dot"));
  }
  TextTable table({"entity", "kind", "events", "first seen", "last seen"});
  table.SetRightAligned(2);
  for (size_t i = 0; i < shown; ++i) {
    const auto& e = *list[i];
    table.AddRow({graph::EntityRef(e), e.kind, WithThousands(e.count), Time(e.first_seen),
                  Time(e.last_seen)});
  }
  std::string out = table.Render(TableWidth());
  std::vector<std::string> kinds;
  for (const auto& [kind, n] : by_kind) kinds.push_back(WithThousands(n) + " " + kind);
  out += WithThousands(static_cast<int64_t>(list.size())) + " entities (" + Join(kinds, ", ") +
         ")" + (shown < list.size() ? "; top " + std::to_string(shown) + " by events shown" : "") +
         "\n";
  Print(out);
  return kExitOk;
}

int Show(const graph::EntityGraph& g, const GraphArgs& args, const graph::TimeWindow& w) {
  if (args.entity.empty()) return ListEntities(g, args, w);
  auto resolved = g.Resolve(args.entity);
  if (!resolved.ok()) return ReportError(resolved.error());
  const graph::Entity& e = **resolved;
  auto neighbors = g.Neighbors(e.id, w);
  if (args.format == "json") {
    std::string out = "{\"entity\":" + EntityJson(e) + ",\"window\":" + WindowJson(w) +
                      ",\"neighbors\":[";
    for (size_t i = 0; i < neighbors.size(); ++i) {
      const auto& n = neighbors[i];
      out += std::string(i ? "," : "") + "{\"direction\":" + (n.outgoing ? "\"out\"" : "\"in\"") +
             ",\"entity\":" + EntityJson(*n.entity) + ",\"relation\":" + EdgeJson(*n.edge, g) + "}";
    }
    Print(out + "]}\n");
    return kExitOk;
  }
  if (args.format == "dot") {
    DotWriter dot;
    dot.Node(e, true);
    for (const auto& n : neighbors) {
      dot.Node(*n.entity);
      dot.EdgeLine(*n.edge);
    }
    Print(dot.Render("neighbours of " + graph::EntityRef(e)));
    return kExitOk;
  }
  std::string out = TerminalSafe(graph::EntityRef(e) + "  " + e.key) + "\n  " + e.kind + ", " +
                    WithThousands(e.count) + " events, " + Time(e.first_seen) + " .. " +
                    Time(e.last_seen) + "\n";
  if (!e.attrs.empty()) out += "  " + TerminalSafe(e.attrs) + "\n";
  TextTable table({"", "relation", "entity", "events", "errors", "first seen", "last seen",
                   "evidence"});
  table.SetRightAligned(3);
  table.SetRightAligned(4);
  for (const auto& n : neighbors) {
    table.AddRow({n.outgoing ? "->" : "<-", n.edge->kind, graph::EntityRef(*n.entity),
                  WithThousands(n.edge->count), WithThousands(n.edge->errors),
                  Time(n.edge->first_seen), Time(n.edge->last_seen), Evidence(*n.edge)});
  }
  out += table.Render(TableWidth()) +
        WithThousands(static_cast<int64_t>(neighbors.size())) + " relations" +
        (w.from || w.to ? " in the window" : "") + "\n";
  Print(out);
  return kExitOk;
}

int Path(const graph::EntityGraph& g, const GraphArgs& args, const graph::TimeWindow& w) {
  auto a = g.Resolve(args.entity);
  if (!a.ok()) return ReportError(a.error());
  auto b = g.Resolve(args.other);
  if (!b.ok()) return ReportError(b.error());
  graph::WalkOptions options;
  options.window = w;
  options.through_user_agents = args.through_agents;
  auto path = g.ShortestPath((*a)->id, (*b)->id, options);
  if (!path.ok()) {
    if (args.format == "json" && path.error().code() == ErrorCode::kNotFound) {
      Print("{\"from\":" + EntityJson(**a) + ",\"to\":" + EntityJson(**b) + ",\"window\":" +
            WindowJson(w) + ",\"connected\":false,\"steps\":[]}\n");
      return kExitInput;
    }
    return ReportError(path.error());
  }
  if (args.format == "json") {
    std::string out = "{\"from\":" + EntityJson(**a) + ",\"to\":" + EntityJson(**b) +
                      ",\"window\":" + WindowJson(w) + ",\"connected\":true,\"steps\":[";
    for (size_t i = 0; i < path->size(); ++i) {
      const auto& s = (*path)[i];
      out += std::string(i ? "," : "") + "{\"from\":" + JsonQuote(graph::EntityRef(*s.from)) +
             ",\"to\":" + JsonQuote(graph::EntityRef(*s.to)) +
             ",\"forward\":" + (s.edge->src == s.from->id ? "true" : "false") +
             ",\"relation\":" + EdgeJson(*s.edge, g) + "}";
    }
    Print(out + "]}\n");
    return kExitOk;
  }
  if (args.format == "dot") {
    DotWriter dot;
    dot.Node(**a, true);
    dot.Node(**b, true);
    for (const auto& s : *path) {
      dot.Node(*s.from);
      dot.Node(*s.to);
      dot.EdgeLine(*s.edge);
    }
    Print(dot.Render("path " + graph::EntityRef(**a) + " .. " + graph::EntityRef(**b)));
    return kExitOk;
  }
  std::string chain = graph::EntityRef(**a);
  TextTable table({"step", "from", "relation", "to", "events", "errors", "first seen",
                   "last seen", "evidence"});
  table.SetRightAligned(0);
  table.SetRightAligned(4);
  table.SetRightAligned(5);
  int step = 0;
  for (const auto& s : *path) {
    bool forward = s.edge->src == s.from->id;
    chain += forward ? " -[" + s.edge->kind + "]-> " : " <-[" + s.edge->kind + "]- ";
    chain += graph::EntityRef(*s.to);
    table.AddRow({std::to_string(++step), graph::EntityRef(*s.from),
                  forward ? s.edge->kind + " ->" : "<- " + s.edge->kind, graph::EntityRef(*s.to),
                  WithThousands(s.edge->count), WithThousands(s.edge->errors),
                  Time(s.edge->first_seen), Time(s.edge->last_seen), Evidence(*s.edge)});
  }
  if (path->empty()) chain += " (the same entity)";
  Print(TerminalSafe(chain) + "\n" + table.Render(TableWidth()));
  return kExitOk;
}

int BlastRadius(const graph::EntityGraph& g, const GraphArgs& args, const graph::TimeWindow& w) {
  auto start = g.Resolve(args.entity);
  if (!start.ok()) return ReportError(start.error());
  if (args.depth < 1) {
    return ReportError(Error::InvalidArgument("--depth must be at least 1, got " +
                                              std::to_string(args.depth)));
  }
  graph::WalkOptions options;
  options.window = w;
  options.max_depth = args.depth;
  auto reached = g.BlastRadius((*start)->id, options);
  if (args.format == "json") {
    std::string out = "{\"start\":" + EntityJson(**start) + ",\"window\":" + WindowJson(w) +
                      ",\"depth\":" + std::to_string(args.depth) + ",\"reached\":[";
    for (size_t i = 0; i < reached.size(); ++i) {
      const auto& r = reached[i];
      out += std::string(i ? "," : "") + "{\"depth\":" + std::to_string(r.depth) +
             ",\"entity\":" + EntityJson(*r.entity) + ",\"parent\":" +
             JsonQuote(graph::EntityRef(*r.parent)) + ",\"via\":" + EdgeJson(*r.via, g) + "}";
    }
    Print(out + "]}\n");
    return kExitOk;
  }
  if (args.format == "dot") {
    DotWriter dot;
    dot.Node(**start, true);
    for (const auto& r : reached) {
      dot.Node(*r.entity);
      dot.Node(*r.parent);
      dot.EdgeLine(*r.via);
    }
    Print(dot.Render("blast radius of " + graph::EntityRef(**start)));
    return kExitOk;
  }
  TextTable table({"depth", "entity", "kind", "via", "from", "events", "first seen", "last seen"});
  table.SetRightAligned(0);
  table.SetRightAligned(5);
  std::map<std::string, int64_t> by_kind;
  for (const auto& r : reached) {
    ++by_kind[r.entity->kind];
    table.AddRow({std::to_string(r.depth), graph::EntityRef(*r.entity), r.entity->kind,
                  r.via->kind, graph::EntityRef(*r.parent), WithThousands(r.via->count),
                  Time(r.via->first_seen), Time(r.via->last_seen)});
  }
  std::vector<std::string> kinds;
  for (const auto& [kind, n] : by_kind) kinds.push_back(WithThousands(n) + " " + kind);
  Print(TerminalSafe("blast radius of " + graph::EntityRef(**start)) + " (depth " +
        std::to_string(args.depth) + ")\n" + table.Render(TableWidth()) +
        WithThousands(static_cast<int64_t>(reached.size())) + " entities reachable" +
        (kinds.empty() ? "" : " (" + Join(kinds, ", ") + ")") + "\n");
  return kExitOk;
}

int RunGraph(const GraphArgs& args, int (*walk)(const graph::EntityGraph&, const GraphArgs&,
                                                const graph::TimeWindow&)) {
  auto tz = ResolveTz(args.tz);
  if (!tz.ok()) return ReportError(tz.error());
  g_tz = *tz;
  auto store = OpenCase(args);
  if (!store.ok()) return ReportError(store.error());
  auto bounds = ResolveTimeBounds(**store, args.from, args.to);
  if (!bounds.ok()) return ReportError(bounds.error());
  graph::TimeWindow window;
  window.from = bounds->from;
  window.to = bounds->to;
  auto g = graph::EntityGraph::Load(**store);
  if (!g.ok()) return ReportError(g.error());
  return walk(*g, args, window);
}

void AddCommon(CLI::App* cmd, GraphArgs* args) {
  AddCaseFlag(cmd, &args->case_path);
  AddTimeFlags(cmd, &args->from, &args->to);
  AddFormatFlag(cmd, &args->format, {"table", "json", "dot"}, "table");
  AddTzFlag(cmd, &args->tz);
}

}  // namespace

void SetupGraph(CLI::App& app) {
  auto* cmd = app.add_subcommand("graph", "walk the entity graph: principals, keys, IPs, buckets, hosts");
  cmd->require_subcommand(1);
  cmd->footer(
      "Entities: user:NAME, role:NAME, session:ROLE/NAME, root, an ARN, an access key id, an IP,\n"
      "bucket:NAME, host:NAME, service:NAME, ua:AGENT, or a bare name.\n"
      "Examples:\n"
      "  cairn graph show --case incident.cairn                 (what the graph holds)\n"
      "  cairn graph show user:alice --case incident.cairn\n"
      "  cairn graph path AKIAIOSFODNN7EXAMPLE bucket:prod-data --from -2d\n"
      "  cairn graph blast-radius user:alice --depth 2 --format dot | dot -Tsvg > alice.svg");

  auto show_args = std::make_shared<GraphArgs>();
  auto* show = cmd->add_subcommand("show", "an entity's relations (or, without one, the entities)");
  show->add_option("entity", show_args->entity, "entity reference");
  show->add_option("--limit", show_args->limit, "entities listed without ENTITY (default 50)");
  AddCommon(show, show_args.get());
  show->callback([show_args] { SetExitCode(RunGraph(*show_args, Show)); });

  auto path_args = std::make_shared<GraphArgs>();
  auto* path = cmd->add_subcommand("path", "how two entities connect (shortest chain of relations)");
  path->add_option("from", path_args->entity, "first entity")->required();
  path->add_option("to", path_args->other, "second entity")->required();
  path->add_flag("--through-agents", path_args->through_agents,
                 "allow paths through shared user-agent strings");
  AddCommon(path, path_args.get());
  path->callback([path_args] { SetExitCode(RunGraph(*path_args, Path)); });

  auto blast_args = std::make_shared<GraphArgs>();
  auto* blast = cmd->add_subcommand(
      "blast-radius", "everything reachable from a compromised principal or key");
  blast->add_option("entity", blast_args->entity, "entity reference")->required();
  blast->add_option("--depth", blast_args->depth, "maximum hops (default 3)");
  AddCommon(blast, blast_args.get());
  blast->callback([blast_args] { SetExitCode(RunGraph(*blast_args, BlastRadius)); });
}

}  // namespace cairn::cli
