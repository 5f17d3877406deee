// Tolerant reader of playbook run records: the record's producer (engine/playbook) may add or
// rename fields over time, so every field is optional and several spellings are accepted.
#include <set>

#include <nlohmann/json.hpp>

#include "engine/common/strings.h"
#include "engine/report/report.h"

namespace cairn::report {
namespace {

using Json = nlohmann::json;

// Text of a scalar (string as is, numbers and booleans as JSON); "" for null/objects/arrays.
std::string ScalarText(const Json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return FormatDouble(value.get<double>());
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  return "";
}

// Compact text of any value (scalars plain, containers as JSON).
std::string AnyText(const Json& value) {
  if (value.is_object() || value.is_array()) {
    return value.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
  return ScalarText(value);
}

// First present key among names, as text.
std::string Field(const Json& obj, std::initializer_list<const char*> names) {
  if (!obj.is_object()) return "";
  for (const char* name : names) {
    auto it = obj.find(name);
    if (it != obj.end() && !it->is_null()) return AnyText(*it);
  }
  return "";
}

std::optional<TimeMs> TimeValue(const Json& value) {
  if (value.is_number_integer()) {
    int64_t v = value.get<int64_t>();
    return v < 100000000000LL ? v * 1000 : v;  // seconds or milliseconds
  }
  if (value.is_string()) return ParseIso8601(value.get<std::string>());
  return std::nullopt;
}

std::optional<TimeMs> TimeField(const Json& obj, std::initializer_list<const char*> names) {
  if (!obj.is_object()) return std::nullopt;
  for (const char* name : names) {
    auto it = obj.find(name);
    if (it != obj.end()) {
      if (auto t = TimeValue(*it)) return t;
    }
  }
  return std::nullopt;
}

EvidenceItem ParseEvidence(const Json& item) {
  EvidenceItem ev;
  if (!item.is_object()) {
    if (item.is_number_integer()) {
      ev.event_id = item.get<int64_t>();
      ev.ref = std::to_string(ev.event_id);
    } else {
      ev.text = AnyText(item);
    }
    return ev;
  }
  static const char* kIdKeys[] = {"event_id", "id", "eventID", "eventId", "event"};
  static const char* kTimeKeys[] = {"time", "ts", "_messagetime", "eventTime", "timestamp"};
  for (const char* key : kIdKeys) {
    auto it = item.find(key);
    if (it == item.end()) continue;
    if (it->is_number_integer()) {
      ev.event_id = it->get<int64_t>();
      ev.ref = std::to_string(ev.event_id);
      break;
    }
    if (it->is_string() && !it->get<std::string>().empty()) {
      ev.ref = it->get<std::string>();
      break;
    }
  }
  for (const char* key : kTimeKeys) {
    auto it = item.find(key);
    if (it != item.end()) {
      if (auto t = TimeValue(*it)) {
        ev.time = t;
        break;
      }
    }
  }
  ev.source = Field(item, {"source", "source_type", "_sourceCategory", "_sourceName"});
  std::string text;
  for (auto it = item.begin(); it != item.end(); ++it) {
    const std::string& key = it.key();
    bool skip = key == "source" || key == "source_type" || key == "_sourceCategory" ||
                key == "_sourceName" || key == "raw" || key == "_raw";
    for (const char* k : kIdKeys) skip = skip || key == k;
    for (const char* k : kTimeKeys) skip = skip || key == k;
    if (skip || it->is_null()) continue;
    if (!text.empty()) text += "; ";
    text += key + "=" + AnyText(*it);
  }
  ev.text = std::move(text);
  return ev;
}

std::vector<std::string> StringList(const Json& value) {
  std::vector<std::string> out;
  if (value.is_array()) {
    for (const auto& v : value) {
      std::string s = v.is_object() ? Field(v, {"id", "name", "step"}) : ScalarText(v);
      if (!s.empty()) out.push_back(std::move(s));
    }
  } else if (value.is_string()) {
    out.push_back(value.get<std::string>());
  }
  return out;
}

Finding ParseFinding(const Json& item, size_t index) {
  Finding f;
  if (!item.is_object()) {
    f.id = "finding-" + std::to_string(index + 1);
    f.sentence = AnyText(item);
    return f;
  }
  f.id = Field(item, {"id", "name"});
  if (f.id.empty()) f.id = "finding-" + std::to_string(index + 1);
  f.severity = ToLower(Field(item, {"severity", "level"}));
  f.title = Field(item, {"title", "summary"});
  f.sentence = Field(item, {"sentence", "text", "message", "description", "detail"});
  for (const char* key : {"steps", "step", "produced_by", "from_steps"}) {
    auto it = item.find(key);
    if (it != item.end()) {
      f.steps = StringList(*it);
      if (!f.steps.empty()) break;
    }
  }
  auto ev = item.find("evidence");
  if (ev != item.end()) {
    if (ev->is_array()) {
      for (const auto& e : *ev) f.evidence.push_back(ParseEvidence(e));
    } else if (!ev->is_null()) {
      f.evidence.push_back(ParseEvidence(*ev));
    }
  }
  return f;
}

StepRecord ParseStep(const Json& item, const std::string& key_id) {
  StepRecord s;
  s.id = Field(item, {"id", "name"});
  if (s.id.empty()) s.id = key_id;
  s.kind = Field(item, {"kind", "type", "uses"});
  s.description = Field(item, {"description", "title"});
  s.detail = Field(item, {"query", "correlator", "call", "walk", "graph", "expr"});
  s.status = Field(item, {"status", "outcome", "state"});
  if (auto err = Field(item, {"error"}); !err.empty()) {
    s.status = s.status.empty() ? "error: " + err : s.status + ": " + err;
  }
  if (auto skipped = item.find("skipped"); s.status.empty() && skipped != item.end() &&
                                             skipped->is_boolean() && skipped->get<bool>()) {
    s.status = "skipped";
  }
  for (const char* key : {"rows", "row_count", "count", "results", "output"}) {
    auto it = item.find(key);
    if (it == item.end()) continue;
    if (it->is_number_integer()) {
      s.rows = it->get<int64_t>();
      break;
    }
    if (it->is_array()) {
      s.rows = static_cast<int64_t>(it->size());
      break;
    }
    if (it->is_object()) {
      auto rows = it->find("rows");
      if (rows != it->end() && rows->is_array()) s.rows = static_cast<int64_t>(rows->size());
      break;
    }
  }
  if (s.status.empty()) s.status = "ok";
  for (const char* key : {"duration_ms", "elapsed_ms", "ms", "took_ms"}) {
    auto it = item.find(key);
    if (it != item.end() && it->is_number()) {
      s.duration_ms = it->get<double>();
      break;
    }
  }
  return s;
}

void FlattenEntities(const std::string& name, const Json& value, std::vector<NamedValue>* out) {
  if (out->size() > 500) return;
  if (value.is_array()) {
    for (const auto& v : value) FlattenEntities(name, v, out);
  } else if (value.is_object()) {
    // The top level maps roles to values; below it, {kind, key} / {id} / {name} objects name one
    // entity and other objects are maps of roles again.
    std::string single = name.empty() ? "" : Field(value, {"key", "id", "arn", "name", "value", "ip"});
    if (!single.empty()) {
      std::string kind = Field(value, {"kind", "type"});
      out->push_back({name.empty() ? kind : name, kind.empty() || name.empty() || kind == name
                                                      ? single
                                                      : kind + ":" + single});
      return;
    }
    for (auto it = value.begin(); it != value.end(); ++it) {
      FlattenEntities(name.empty() ? it.key() : name + "." + it.key(), *it, out);
    }
  } else if (!value.is_null()) {
    std::string text = ScalarText(value);
    if (!text.empty()) out->push_back({name, text});
  }
}

}  // namespace

Result<RunSummary> ParseRunRecord(std::string_view json, const std::string& origin) {
  Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (root.is_discarded()) {
    return Error::Parse("the playbook run record is not valid JSON")
        .WithSpan(SourceSpan{origin, 0, 0, -1, 0, ""})
        .WithHelp("pass the file written by 'cairn playbook run ... --record RUN.json'");
  }
  if (!root.is_object()) {
    return Error::Parse("the playbook run record is not a JSON object")
        .WithSpan(SourceSpan{origin, 0, 0, -1, 0, ""});
  }
  RunSummary run;
  run.present = true;
  run.origin = origin;
  if (auto pb = root.find("playbook"); pb != root.end()) {
    run.playbook = pb->is_object() ? Field(*pb, {"name", "title", "id"}) : ScalarText(*pb);
  }
  if (auto title = Field(root, {"title"}); !title.empty()) {
    run.playbook = run.playbook.empty() ? title : run.playbook + " — " + title;
  }
  const Json* verdict_obj = nullptr;
  if (auto v = root.find("verdict"); v != root.end()) {
    if (v->is_object()) {
      verdict_obj = &*v;
      run.verdict = Field(*v, {"verdict", "value", "name"});
    } else {
      run.verdict = ScalarText(*v);
    }
  }
  auto read_confidence = [&](const Json& obj) {
    auto c = obj.find("confidence");
    if (c == obj.end()) return;
    if (c->is_number()) {
      run.confidence = c->get<double>();
    } else if (c->is_string()) {
      run.confidence_text = c->get<std::string>();
    }
  };
  read_confidence(root);
  if (verdict_obj) {
    read_confidence(*verdict_obj);
    run.verdict_reason = Field(*verdict_obj, {"reason", "why", "because", "sentence"});
  }
  if (run.verdict_reason.empty()) run.verdict_reason = Field(root, {"reason", "verdict_reason", "summary"});
  if (auto reasons = root.find("reasons"); run.verdict_reason.empty() && reasons != root.end() && reasons->is_array()) {
    std::vector<std::string> parts;
    for (const auto& r : *reasons) parts.push_back(AnyText(r));
    run.verdict_reason = Join(parts, " ");
  }
  if (auto f = root.find("findings"); f != root.end() && f->is_array()) {
    for (size_t idx = 0; idx < f->size(); ++idx) run.findings.push_back(ParseFinding((*f)[idx], idx));
  }
  if (auto s = root.find("steps"); s != root.end()) {
    if (s->is_array()) {
      for (size_t idx = 0; idx < s->size(); ++idx) {
        run.steps.push_back(ParseStep((*s)[idx], "step-" + std::to_string(idx + 1)));
      }
    } else if (s->is_object()) {
      for (auto it = s->begin(); it != s->end(); ++it) run.steps.push_back(ParseStep(*it, it.key()));
    }
  }
  if (auto e = root.find("entities"); e != root.end()) FlattenEntities("", *e, &run.entities);
  // Signals: the fired ones with their sentences (evidence_for / evidence_against, or a "signals"
  // array), then the ones that did not fire (a "signals" object of id -> bool).
  std::set<std::string> signal_ids;
  for (const char* key : {"evidence_for", "evidence_against"}) {
    auto list = root.find(key);
    if (list == root.end() || !list->is_array()) continue;
    for (const auto& item : *list) {
      Signal signal;
      signal.id = Field(item, {"signal", "id", "name"});
      signal.supports = Field(item, {"supports"});
      if (signal.supports.empty()) signal.supports = std::string(key) == "evidence_for" ? "malicious" : "operational";
      signal.sentence = Field(item, {"sentence", "text"});
      signal_ids.insert(signal.id);
      run.signals.push_back(std::move(signal));
    }
  }
  if (auto sig = root.find("signals"); sig != root.end() && sig->is_object()) {
    for (auto it = sig->begin(); it != sig->end(); ++it) {
      if (signal_ids.count(it.key()) || !it->is_boolean()) continue;
      Signal signal;
      signal.id = it.key();
      signal.sentence = it.key();
      signal.fired = it->get<bool>();
      run.signals.push_back(std::move(signal));
    }
  }
  if (auto sig = root.find("signals"); sig != root.end() && sig->is_array()) {
    for (const auto& item : *sig) {
      Signal signal;
      signal.id = Field(item, {"id", "name", "signal"});
      signal.supports = Field(item, {"supports", "verdict", "for"});
      signal.sentence = Field(item, {"sentence", "text", "description"});
      if (auto fired = item.find("fired"); item.is_object() && fired != item.end() && fired->is_boolean()) {
        signal.fired = fired->get<bool>();
      } else if (auto val = item.find("value"); item.is_object() && val != item.end() && val->is_boolean()) {
        signal.fired = val->get<bool>();
      }
      if (!item.is_object()) signal.sentence = AnyText(item);
      run.signals.push_back(std::move(signal));
    }
  }
  for (const char* key : {"actions", "recommendations", "recommended_actions"}) {
    auto a = root.find(key);
    if (a == root.end() || !a->is_array()) continue;
    for (const auto& item : *a) {
      std::string text = item.is_object() ? Field(item, {"text", "action", "sentence"}) : AnyText(item);
      if (!text.empty()) run.actions.push_back(std::move(text));
    }
    break;
  }
  run.onset = TimeField(root, {"onset", "spike_onset"});
  if (!run.onset) {
    if (auto sp = root.find("spike"); sp != root.end()) run.onset = TimeField(*sp, {"onset", "start"});
  }
  if (!run.onset) {
    if (auto e = root.find("entities"); e != root.end()) run.onset = TimeField(*e, {"onset", "spike_onset"});
  }
  if (auto s = root.find("steps"); !run.onset && s != root.end() && s->is_array()) {
    // A step (the spike-onset correlator) whose output names the onset.
    for (const auto& step : *s) {
      if (!step.is_object()) continue;
      auto output = step.find("output");
      if (output != step.end() && output->is_object()) run.onset = TimeField(*output, {"onset", "onset_minute"});
      if (run.onset) break;
    }
  }
  return run;
}

}  // namespace cairn::report
