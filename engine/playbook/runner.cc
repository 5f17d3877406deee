#include "engine/playbook/runner.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "engine/common/strings.h"
#include "engine/common/time.h"

namespace cairn::playbook {
namespace {

Json TypedScalar(const std::string& text) {
  if (text == "true") return true;
  if (text == "false") return false;
  if (text == "null" || text == "~") return nullptr;
  if (!text.empty()) {
    char* end = nullptr;
    long long i = std::strtoll(text.c_str(), &end, 10);
    if (end && *end == '\0') return static_cast<int64_t>(i);
    double d = std::strtod(text.c_str(), &end);
    if (end && *end == '\0') return d;
  }
  return text;
}

// Arguments: a value that is a YAML flow sequence/map is parsed as JSON-ish after expansion.
Result<Json> ExpandArg(const std::string& text, const Json& ctx) {
  CAIRN_ASSIGN_OR_RETURN(Json v, ExpandTemplate(text, ctx));
  if (v.is_string() && text.find("${") == std::string::npos) return TypedScalar(v.get<std::string>());
  return v;
}

// Normalises evidence to a list of objects.
Json EvidenceList(const Json& v) {
  if (v.is_null()) return Json::array();
  if (v.is_array()) return v;
  return Json::array({v});
}

}  // namespace

Result<Json> RunPlaybook(const Playbook& pb, Backend& backend, const RunOptions& opt) {
  auto now = [&]() -> int64_t { return opt.now_ms ? opt.now_ms() : 0; };
  Json ctx = Json::object();
  Json inputs = Json::object();
  for (const auto& in : pb.inputs) inputs[in.name] = TypedScalar(in.default_value);
  for (const auto& [key, value] : opt.overrides) {
    if (!inputs.contains(key)) {
      std::vector<std::string> names;
      for (const auto& in : pb.inputs) names.push_back(in.name);
      return Error::InvalidArgument("--set " + key + ": playbook '" + pb.name + "' has no input '" + key + "'")
          .WithHelp(names.empty() ? "this playbook takes no inputs" : "its inputs are: " + Join(names, ", "));
    }
    inputs[key] = TypedScalar(value);
  }
  ctx["inputs"] = inputs;
  ctx["window"] = opt.window;
  Json case_info = backend.CaseInfo();
  ctx["case"] = case_info;
  ctx["steps"] = Json::object();

  Json record = Json::object();
  record["playbook"] = pb.name;
  record["title"] = pb.title;
  record["inputs"] = inputs;
  record["window"] = opt.window;
  record["case"] = case_info;
  Json steps_out = Json::array();
  Json errors = Json::array();

  for (const auto& step : pb.steps) {
    Json srec = Json::object();
    srec["id"] = step.id;
    srec["kind"] = StepKindName(step.kind);
    if (!step.description.empty()) srec["description"] = step.description;
    srec["case_hash"] = case_info.value("content_hash", "");
    int64_t t0 = now();
    bool run = true;
    if (!step.when.empty()) {
      CAIRN_ASSIGN_OR_RETURN(Json w, Evaluate(step.when, ctx));
      run = Truthy(w);
      srec["when"] = step.when;
    }
    Json args = Json::object();
    for (const auto& [k, v] : step.with) {
      auto a = ExpandArg(v, ctx);
      if (!a.ok()) return std::move(a).error().WithContext("expanding argument '" + k + "' of step '" + step.id + "'");
      args[k] = *a;
    }
    srec["inputs"] = args;
    Json output;
    if (!run) {
      srec["skipped"] = true;
    } else {
      Result<Json> r = Json();
      switch (step.kind) {
        case StepKind::kQuery: {
          CAIRN_ASSIGN_OR_RETURN(Json q, ExpandTemplate(step.query, ctx));
          std::string qtext = q.is_string() ? q.get<std::string>() : RenderValue(q);
          srec["query"] = qtext;
          r = backend.RunQuery(qtext, args);
          break;
        }
        case StepKind::kCorrelator:
          srec["correlator"] = step.name;
          r = backend.RunCorrelator(step.name, args);
          break;
        case StepKind::kGraph:
          srec["walk"] = step.name;
          r = backend.RunGraph(step.name, args);
          break;
      }
      if (r.ok()) {
        output = std::move(r).value();
      } else {
        srec["error"] = r.error().ToString();
        errors.push_back({{"step", step.id}, {"error", r.error().ToString()}});
      }
    }
    srec["duration_ms"] = now() - t0;
    srec["output"] = output;
    ctx[step.id] = output;
    ctx["steps"][step.id] = output;
    steps_out.push_back(std::move(srec));
  }

  // Signals.
  Json signals = Json::object();
  Json evidence_for = Json::array();
  Json evidence_against = Json::array();
  double score_mal = 0;
  double score_op = 0;
  for (const auto& s : pb.signals) {
    CAIRN_ASSIGN_OR_RETURN(Json w, Evaluate(s.when, ctx));
    bool on = Truthy(w);
    signals[s.id] = on;
    ctx[s.id] = on;
    if (!on) continue;
    CAIRN_ASSIGN_OR_RETURN(Json sentence, ExpandTemplate(s.sentence, ctx));
    Json item = {{"signal", s.id}, {"supports", s.supports}, {"weight", s.weight},
                 {"sentence", RenderValue(sentence)}};
    if (!s.evidence.empty()) {
      CAIRN_ASSIGN_OR_RETURN(Json ev, Evaluate(s.evidence, ctx));
      item["evidence"] = EvidenceList(ev);
    }
    if (s.supports == "malicious") {
      score_mal += s.weight;
      evidence_for.push_back(item);
    } else {
      score_op += s.weight;
      evidence_against.push_back(item);
    }
  }
  ctx["signals"] = signals;
  ctx["score"] = {{"malicious", score_mal}, {"operational", score_op}};

  // Findings.
  Json findings = Json::array();
  for (const auto& f : pb.findings) {
    if (!f.when.empty()) {
      CAIRN_ASSIGN_OR_RETURN(Json w, Evaluate(f.when, ctx));
      if (!Truthy(w)) continue;
    }
    CAIRN_ASSIGN_OR_RETURN(Json sentence, ExpandTemplate(f.sentence, ctx));
    Json item = {{"id", f.id}, {"severity", f.severity}, {"sentence", RenderValue(sentence)}};
    if (!f.title.empty()) {
      CAIRN_ASSIGN_OR_RETURN(Json title, ExpandTemplate(f.title, ctx));
      item["title"] = RenderValue(title);
    }
    Json ev = Json::array();
    if (!f.evidence.empty()) {
      CAIRN_ASSIGN_OR_RETURN(Json e, Evaluate(f.evidence, ctx));
      ev = EvidenceList(e);
    }
    item["evidence"] = ev;
    item["steps"] = f.steps;
    findings.push_back(std::move(item));
  }

  // Verdict: the first rule that holds.
  std::string verdict = pb.default_verdict;
  std::string confidence_expr = pb.default_confidence;
  std::string rule_when;
  for (const auto& r : pb.verdict_rules) {
    CAIRN_ASSIGN_OR_RETURN(Json w, Evaluate(r.when, ctx));
    if (Truthy(w)) {
      verdict = r.verdict;
      confidence_expr = r.confidence;
      rule_when = r.when;
      break;
    }
  }
  CAIRN_ASSIGN_OR_RETURN(Json conf, Evaluate(confidence_expr, ctx));
  double confidence = conf.is_number() ? conf.get<double>() : 0.5;
  confidence = std::clamp(confidence, 0.0, 1.0);
  confidence = std::round(confidence * 100) / 100;

  Json entities = Json::object();
  for (const auto& [name, expr] : pb.entities) {
    CAIRN_ASSIGN_OR_RETURN(Json v, Evaluate(expr, ctx));
    entities[name] = v;
  }
  Json actions = Json::array();
  for (const auto& a : pb.actions) {
    if (!a.when.empty()) {
      CAIRN_ASSIGN_OR_RETURN(Json w, Evaluate(a.when, ctx));
      if (!Truthy(w)) continue;
    }
    CAIRN_ASSIGN_OR_RETURN(Json t, ExpandTemplate(a.text, ctx));
    actions.push_back(RenderValue(t));
  }

  Json reasons = Json::array();
  const Json& winning = verdict == "operational" ? evidence_against : evidence_for;
  for (const auto& item : winning) reasons.push_back(item["sentence"]);
  if (verdict == "inconclusive") {
    for (const auto& item : evidence_against) reasons.push_back(item["sentence"]);
  }

  Json out = Json::object();
  out["verdict"] = verdict;
  out["confidence"] = confidence;
  out["reasons"] = reasons;
  if (!rule_when.empty()) out["verdict_rule"] = rule_when;
  out["score"] = {{"malicious", score_mal}, {"operational", score_op}};
  out["evidence_for"] = evidence_for;
  out["evidence_against"] = evidence_against;
  out["findings"] = findings;
  out["entities"] = entities;
  out["actions"] = actions;
  out["signals"] = signals;
  for (auto it = record.begin(); it != record.end(); ++it) out[it.key()] = it.value();
  out["steps"] = steps_out;
  out["errors"] = errors;
  return out;
}

std::string SummarizeRun(const Json& r) {
  std::string s;
  s += "playbook: " + r.value("playbook", std::string()) + "\n";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.2f", r.value("confidence", 0.0));
  std::string verdict = r.value("verdict", std::string("inconclusive"));
  std::string upper = verdict;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  s += "verdict:  " + upper + " (confidence " + buf + ")\n";
  if (r.contains("reasons") && !r["reasons"].empty()) {
    s += "\nwhy:\n";
    for (const auto& reason : r["reasons"]) s += "  + " + RenderValue(reason) + "\n";
  }
  const Json& against = verdict == "operational" ? r.value("evidence_for", Json::array())
                                                 : r.value("evidence_against", Json::array());
  if (!against.empty()) {
    s += "\nagainst:\n";
    for (const auto& item : against) s += "  - " + RenderValue(item["sentence"]) + "\n";
  }
  if (r.contains("findings") && !r["findings"].empty()) {
    s += "\nfindings:\n";
    for (const auto& f : r["findings"]) {
      std::string sev = f.value("severity", std::string());
      s += "  [" + sev + "] " + RenderValue(f["sentence"]) + "\n";
      size_t shown = 0;
      for (const auto& e : f.value("evidence", Json::array())) {
        if (shown++ == 3) {
          s += "      … " + std::to_string(f["evidence"].size() - 3) + " more\n";
          break;
        }
        std::string line;
        if (e.is_object()) {
          if (e.contains("time")) line += RenderValue(e["time"]) + " ";
          if (e.contains("event_id")) line += RenderValue(e["event_id"]) + " ";
          if (e.contains("source")) {
            // The file's name: its path is in the run record (and in `cairn sources`).
            const std::string source = RenderValue(e["source"]);
            const std::string name = std::filesystem::path(source).filename().string();
            line += "(" + (name.empty() ? source : name) + ") ";
          }
          if (e.contains("summary")) line += RenderValue(e["summary"]);
          if (line.empty()) line = e.dump();
        } else {
          line = RenderValue(e);
        }
        s += "      " + line + "\n";
      }
    }
  }
  if (r.contains("actions") && !r["actions"].empty()) {
    s += "\nrecommended actions:\n";
    for (const auto& a : r["actions"]) s += "  * " + RenderValue(a) + "\n";
  }
  if (r.contains("errors") && !r["errors"].empty()) {
    s += "\nstep errors:\n";
    for (const auto& e : r["errors"]) s += "  ! " + RenderValue(e["step"]) + ": " + RenderValue(e["error"]) + "\n";
  }
  return s;
}

}  // namespace cairn::playbook
