// Playbook loader: read (yaml-cpp) → validate (keys, kinds, references, expressions) → model.
// Shaped like Falco's rule loader: every error names the file, the line and what was expected.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/common/strings.h"
#include "engine/playbook/expr.h"
#include "engine/playbook/playbook.h"

namespace cairn::playbook {

const char* StepKindName(StepKind kind) {
  switch (kind) {
    case StepKind::kQuery: return "query";
    case StepKind::kCorrelator: return "correlator";
    case StepKind::kGraph: return "graph";
  }
  return "query";
}

namespace {

// Names every expression may use besides inputs and steps.
const std::set<std::string>& BuiltinRoots() {
  static const std::set<std::string> kRoots = {"inputs", "case", "window", "steps", "signals", "score"};
  return kRoots;
}

class Loader {
 public:
  Loader(const std::string& text, std::string source) : text_(text), source_(std::move(source)) {
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) lines_.push_back(line);
  }

  Result<Playbook> Load() {
    YAML::Node root;
    try {
      root = YAML::Load(text_);
    } catch (const YAML::ParserException& e) {
      return Fail(e.mark.line + 1, e.mark.column + 1, "invalid YAML: " + e.msg,
                  "check the indentation and quoting around this line");
    } catch (const std::exception& e) {
      return Error::Parse("invalid YAML in '" + source_ + "': " + e.what());
    }
    if (!root.IsMap()) {
      return Fail(1, 1, "a playbook must be a YAML mapping with name, steps and verdict",
                  "start the file with 'name: my-playbook'");
    }
    Playbook pb;
    pb.source = source_;
    CAIRN_TRY(CheckKeys(root, {"name", "title", "description", "inputs", "steps", "signals",
                               "findings", "verdict", "entities", "actions"}));
    CAIRN_ASSIGN_OR_RETURN(pb.name, RequiredScalar(root, "name", "the playbook"));
    pb.title = OptionalScalar(root, "title");
    pb.description = OptionalScalar(root, "description");
    CAIRN_TRY(LoadInputs(root["inputs"], &pb));
    CAIRN_TRY(LoadSteps(root, &pb));
    CAIRN_TRY(LoadSignals(root["signals"], &pb));
    CAIRN_TRY(LoadFindings(root["findings"], &pb));
    CAIRN_TRY(LoadVerdict(root, &pb));
    CAIRN_TRY(LoadEntities(root["entities"], &pb));
    CAIRN_TRY(LoadActions(root["actions"], &pb));
    return pb;
  }

 private:
  Error Fail(int64_t line, int64_t column, const std::string& msg, const std::string& help) {
    SourceSpan span;
    span.source = source_;
    span.line = line;
    span.column = column;
    if (line >= 1 && static_cast<size_t>(line) <= lines_.size()) span.snippet = lines_[static_cast<size_t>(line - 1)];
    Error e = Error::Schema(msg).WithSpan(span);
    if (!help.empty()) e.WithHelp(help);
    return e;
  }
  Error FailAt(const YAML::Node& node, const std::string& msg, const std::string& help = "") {
    auto m = node.Mark();
    return Fail(m.line + 1, m.column + 1, msg, help);
  }

  Status CheckKeys(const YAML::Node& map, const std::vector<std::string>& allowed) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      std::string key = it->first.as<std::string>();
      if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
      std::string best;
      size_t best_d = 99;
      for (const auto& a : allowed) {
        size_t d = EditDistance(key, a);
        if (d < best_d) {
          best_d = d;
          best = a;
        }
      }
      std::string help = best_d <= 2 ? "did you mean '" + best + "'?" : "allowed keys: " + Join(allowed, ", ");
      return FailAt(it->first, "unknown key '" + key + "'", help);
    }
    return Ok();
  }

  Result<std::string> RequiredScalar(const YAML::Node& map, const std::string& key, const std::string& what) {
    YAML::Node n = map[key];
    if (!n) return FailAt(map, "missing '" + key + "' in " + what, "add '" + key + ": ...'");
    if (!n.IsScalar()) return FailAt(n, "'" + key + "' must be a single value");
    return n.as<std::string>();
  }
  static std::string OptionalScalar(const YAML::Node& map, const std::string& key) {
    YAML::Node n = map[key];
    return n && n.IsScalar() ? n.as<std::string>() : "";
  }

  Status CheckExpr(const YAML::Node& node, const std::string& expr, const std::set<std::string>& known) {
    auto st = CheckExpression(expr);
    if (!st.ok()) {
      return FailAt(node, "malformed expression '" + expr + "': " + st.error().message(),
                    "expressions use paths (step.field), literals, comparisons, and/or/not; see docs/playbooks.md");
    }
    return CheckRoots(node, ExpressionRoots(expr), known);
  }
  Status CheckTemplate(const YAML::Node& node, const std::string& text, const std::set<std::string>& known) {
    auto roots = TemplateRoots(text);
    if (!roots.ok()) return FailAt(node, roots.error().message(), roots.error().help());
    return CheckRoots(node, *roots, known);
  }
  Status CheckRoots(const YAML::Node& node, const std::vector<std::string>& roots,
                    const std::set<std::string>& known) {
    for (const auto& r : roots) {
      if (known.count(r) || BuiltinRoots().count(r)) continue;
      std::string best;
      size_t best_d = 99;
      for (const auto& k : known) {
        size_t d = EditDistance(r, k);
        if (d < best_d) {
          best_d = d;
          best = k;
        }
      }
      std::string help = best_d <= 2 ? "did you mean '" + best + "'?"
                                      : "a name must be an input, an earlier step's id, or a signal";
      return FailAt(node, "'" + r + "' is not defined here", help);
    }
    return Ok();
  }

  Status LoadInputs(const YAML::Node& node, Playbook* pb) {
    if (!node) return Ok();
    if (!node.IsMap()) return FailAt(node, "'inputs' must map input names to defaults", "inputs:\n  window: 7d");
    for (auto it = node.begin(); it != node.end(); ++it) {
      Input in;
      in.name = it->first.as<std::string>();
      in.line = it->first.Mark().line + 1;
      if (it->second.IsScalar()) {
        in.default_value = it->second.as<std::string>();
      } else if (it->second.IsMap()) {
        CAIRN_TRY(CheckKeys(it->second, {"default", "description"}));
        in.default_value = OptionalScalar(it->second, "default");
        in.description = OptionalScalar(it->second, "description");
      } else {
        return FailAt(it->second, "input '" + in.name + "' must be a value or {default, description}");
      }
      known_.insert(in.name);
      pb->inputs.push_back(std::move(in));
    }
    known_.erase("inputs");
    inputs_known_ = true;
    return Ok();
  }

  Status LoadSteps(const YAML::Node& root, Playbook* pb) {
    YAML::Node steps = root["steps"];
    if (!steps) return FailAt(root, "missing 'steps'", "a playbook needs at least one step");
    if (!steps.IsSequence() || steps.size() == 0) {
      return FailAt(steps, "'steps' must be a non-empty list", "steps:\n  - id: spike\n    kind: query\n    query: ...");
    }
    std::set<std::string> visible;  // inputs are reached as inputs.x; steps by id
    for (const auto& n : steps) {
      if (!n.IsMap()) return FailAt(n, "each step must be a mapping with id and kind");
      CAIRN_TRY(CheckKeys(n, {"id", "kind", "description", "query", "correlator", "walk", "with", "when"}));
      Step s;
      s.line = n.Mark().line + 1;
      CAIRN_ASSIGN_OR_RETURN(s.id, RequiredScalar(n, "id", "a step"));
      if (visible.count(s.id)) return FailAt(n["id"], "duplicate step id '" + s.id + "'", "give every step its own id");
      CAIRN_ASSIGN_OR_RETURN(std::string kind, RequiredScalar(n, "kind", "step '" + s.id + "'"));
      if (kind == "query") {
        s.kind = StepKind::kQuery;
        CAIRN_ASSIGN_OR_RETURN(s.query, RequiredScalar(n, "query", "query step '" + s.id + "'"));
        CAIRN_TRY(CheckTemplate(n["query"], s.query, visible));
      } else if (kind == "correlator") {
        s.kind = StepKind::kCorrelator;
        CAIRN_ASSIGN_OR_RETURN(s.name, RequiredScalar(n, "correlator", "correlator step '" + s.id + "'"));
      } else if (kind == "graph") {
        s.kind = StepKind::kGraph;
        CAIRN_ASSIGN_OR_RETURN(s.name, RequiredScalar(n, "walk", "graph step '" + s.id + "'"));
      } else {
        return FailAt(n["kind"], "unknown step kind '" + kind + "'", "use query, correlator or graph");
      }
      s.description = OptionalScalar(n, "description");
      if (n["with"]) {
        if (!n["with"].IsMap()) return FailAt(n["with"], "'with' must map argument names to values");
        for (auto it = n["with"].begin(); it != n["with"].end(); ++it) {
          std::string v;
          if (it->second.IsScalar()) {
            v = it->second.as<std::string>();
          } else {
            YAML::Emitter em;
            em << YAML::Flow << it->second;
            v = em.c_str();
          }
          CAIRN_TRY(CheckTemplate(it->second, v, visible));
          s.with[it->first.as<std::string>()] = v;
        }
      }
      s.when = OptionalScalar(n, "when");
      if (!s.when.empty()) CAIRN_TRY(CheckExpr(n["when"], s.when, visible));
      visible.insert(s.id);
      pb->steps.push_back(std::move(s));
    }
    steps_ = visible;
    return Ok();
  }

  Status LoadSignals(const YAML::Node& node, Playbook* pb) {
    if (!node) return Ok();
    if (!node.IsSequence()) return FailAt(node, "'signals' must be a list");
    std::set<std::string> known = steps_;
    for (const auto& n : node) {
      CAIRN_TRY(CheckKeys(n, {"id", "when", "supports", "weight", "sentence", "evidence"}));
      Signal s;
      s.line = n.Mark().line + 1;
      CAIRN_ASSIGN_OR_RETURN(s.id, RequiredScalar(n, "id", "a signal"));
      CAIRN_ASSIGN_OR_RETURN(s.when, RequiredScalar(n, "when", "signal '" + s.id + "'"));
      CAIRN_TRY(CheckExpr(n["when"], s.when, known));
      CAIRN_ASSIGN_OR_RETURN(s.supports, RequiredScalar(n, "supports", "signal '" + s.id + "'"));
      if (s.supports != "malicious" && s.supports != "operational") {
        return FailAt(n["supports"], "a signal supports 'malicious' or 'operational', not '" + s.supports + "'");
      }
      if (n["weight"]) {
        try {
          s.weight = n["weight"].as<double>();
        } catch (...) {
          return FailAt(n["weight"], "'weight' must be a number");
        }
      }
      s.sentence = OptionalScalar(n, "sentence");
      CAIRN_TRY(CheckTemplate(n, s.sentence, known));
      s.evidence = OptionalScalar(n, "evidence");
      if (!s.evidence.empty()) CAIRN_TRY(CheckExpr(n["evidence"], s.evidence, known));
      signals_.insert(s.id);
      pb->signals.push_back(std::move(s));
    }
    return Ok();
  }

  std::set<std::string> LateKnown() const {
    std::set<std::string> k = steps_;
    k.insert(signals_.begin(), signals_.end());
    return k;
  }

  Status LoadFindings(const YAML::Node& node, Playbook* pb) {
    if (!node) return Ok();
    if (!node.IsSequence()) return FailAt(node, "'findings' must be a list");
    auto known = LateKnown();
    static const std::set<std::string> kSeverities = {"info", "low", "medium", "high", "critical"};
    for (const auto& n : node) {
      CAIRN_TRY(CheckKeys(n, {"id", "severity", "title", "sentence", "evidence", "when", "steps"}));
      Finding f;
      f.line = n.Mark().line + 1;
      CAIRN_ASSIGN_OR_RETURN(f.id, RequiredScalar(n, "id", "a finding"));
      CAIRN_ASSIGN_OR_RETURN(f.severity, RequiredScalar(n, "severity", "finding '" + f.id + "'"));
      if (!kSeverities.count(f.severity)) {
        return FailAt(n["severity"], "unknown severity '" + f.severity + "'", "use info, low, medium, high or critical");
      }
      CAIRN_ASSIGN_OR_RETURN(f.sentence, RequiredScalar(n, "sentence", "finding '" + f.id + "'"));
      CAIRN_TRY(CheckTemplate(n["sentence"], f.sentence, known));
      f.title = OptionalScalar(n, "title");
      CAIRN_TRY(CheckTemplate(n, f.title, known));
      f.evidence = OptionalScalar(n, "evidence");
      if (!f.evidence.empty()) CAIRN_TRY(CheckExpr(n["evidence"], f.evidence, known));
      f.when = OptionalScalar(n, "when");
      if (!f.when.empty()) CAIRN_TRY(CheckExpr(n["when"], f.when, known));
      if (n["steps"]) {
        for (const auto& s : n["steps"]) {
          std::string id = s.as<std::string>();
          if (!steps_.count(id)) return FailAt(s, "finding '" + f.id + "' names unknown step '" + id + "'");
          f.steps.push_back(id);
        }
      }
      pb->findings.push_back(std::move(f));
    }
    return Ok();
  }

  Status LoadVerdict(const YAML::Node& root, Playbook* pb) {
    YAML::Node v = root["verdict"];
    if (!v) return FailAt(root, "missing 'verdict'", "verdict:\n  rules:\n    - verdict: malicious\n      when: ...");
    if (!v.IsMap()) return FailAt(v, "'verdict' must be a mapping with rules and default");
    CAIRN_TRY(CheckKeys(v, {"rules", "default"}));
    auto known = LateKnown();
    static const std::set<std::string> kVerdicts = {"malicious", "operational", "inconclusive"};
    if (v["rules"]) {
      for (const auto& n : v["rules"]) {
        CAIRN_TRY(CheckKeys(n, {"verdict", "when", "confidence"}));
        VerdictRule r;
        r.line = n.Mark().line + 1;
        CAIRN_ASSIGN_OR_RETURN(r.verdict, RequiredScalar(n, "verdict", "a verdict rule"));
        if (!kVerdicts.count(r.verdict)) {
          return FailAt(n["verdict"], "unknown verdict '" + r.verdict + "'", "use malicious, operational or inconclusive");
        }
        CAIRN_ASSIGN_OR_RETURN(r.when, RequiredScalar(n, "when", "a verdict rule"));
        CAIRN_TRY(CheckExpr(n["when"], r.when, known));
        r.confidence = n["confidence"] ? n["confidence"].as<std::string>() : "0.5";
        CAIRN_TRY(CheckExpr(n["confidence"] ? n["confidence"] : n, r.confidence, known));
        pb->verdict_rules.push_back(std::move(r));
      }
    }
    if (v["default"]) {
      YAML::Node d = v["default"];
      if (d.IsScalar()) {
        pb->default_verdict = d.as<std::string>();
      } else {
        CAIRN_TRY(CheckKeys(d, {"verdict", "confidence"}));
        pb->default_verdict = OptionalScalar(d, "verdict");
        if (d["confidence"]) pb->default_confidence = d["confidence"].as<std::string>();
      }
      if (!kVerdicts.count(pb->default_verdict)) {
        return FailAt(d, "unknown default verdict '" + pb->default_verdict + "'", "use malicious, operational or inconclusive");
      }
    }
    return Ok();
  }

  Status LoadEntities(const YAML::Node& node, Playbook* pb) {
    if (!node) return Ok();
    if (!node.IsMap()) return FailAt(node, "'entities' must map names to expressions");
    auto known = LateKnown();
    for (auto it = node.begin(); it != node.end(); ++it) {
      std::string expr = it->second.as<std::string>();
      CAIRN_TRY(CheckExpr(it->second, expr, known));
      pb->entities[it->first.as<std::string>()] = expr;
    }
    return Ok();
  }

  Status LoadActions(const YAML::Node& node, Playbook* pb) {
    if (!node) return Ok();
    if (!node.IsSequence()) return FailAt(node, "'actions' must be a list");
    auto known = LateKnown();
    for (const auto& n : node) {
      Action a;
      a.line = n.Mark().line + 1;
      if (n.IsScalar()) {
        a.text = n.as<std::string>();
      } else {
        CAIRN_TRY(CheckKeys(n, {"text", "when"}));
        CAIRN_ASSIGN_OR_RETURN(a.text, RequiredScalar(n, "text", "an action"));
        a.when = OptionalScalar(n, "when");
        if (!a.when.empty()) CAIRN_TRY(CheckExpr(n["when"], a.when, known));
      }
      CAIRN_TRY(CheckTemplate(n, a.text, known));
      pb->actions.push_back(std::move(a));
    }
    return Ok();
  }

  const std::string& text_;
  std::string source_;
  std::vector<std::string> lines_;
  std::set<std::string> known_;
  bool inputs_known_ = false;
  std::set<std::string> steps_;
  std::set<std::string> signals_;
};

}  // namespace

Result<Playbook> ParsePlaybook(const std::string& text, const std::string& source_name) {
  Loader loader(text, source_name);
  return loader.Load();
}

Result<Playbook> LoadPlaybookFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::NotFound("playbook file '" + path + "' cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParsePlaybook(ss.str(), path);
}

std::map<std::string, std::string> FindPlaybooks(const std::vector<std::string>& search_dirs) {
  std::map<std::string, std::string> out;
  std::error_code ec;
  for (const auto& dir : search_dirs) {
    if (!std::filesystem::is_directory(dir, ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      auto p = entry.path();
      if (p.extension() != ".yaml" && p.extension() != ".yml") continue;
      std::string name = p.stem().string();
      if (!out.count(name)) out[name] = p.string();
    }
  }
  return out;
}

}  // namespace cairn::playbook
