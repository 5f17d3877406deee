// The JSON rendering: the one serialisation of ReportData. The HTML page embeds exactly this.
#include <optional>
#include <set>

#include "engine/report/json_writer_internal.h"
#include "engine/report/render.h"

namespace cairn::report {

std::string TimeZoneAbbreviations(const ReportData& d) {
  std::optional<TimeMs> from = d.first_event ? d.first_event : d.window_from ? d.window_from : d.generated_at;
  std::optional<TimeMs> to = d.last_event ? d.last_event : d.window_to ? d.window_to : from;
  return d.time_zone.AbbreviationsBetween(from.value_or(0), to.value_or(from.value_or(0)));
}

std::string RenderJson(const ReportData& d) {
  JsonWriter w(d.time_zone);
  w.BeginObject();

  w.Key("report").BeginObject();
  w.Field("title", d.title);
  w.Field("generator", "cairn report");
  w.Field("case", d.case_path);
  w.Field("case_hash", d.case_hash);
  w.Key("generated_at").OptTime(d.generated_at);
  w.Key("window").BeginObject();
  w.Key("from").OptTime(d.window_from);
  w.Key("to").OptTime(d.window_to);
  w.EndObject();
  w.Key("first_event").OptTime(d.first_event);
  w.Key("last_event").OptTime(d.last_event);
  w.Field("events_in_window", d.events_in_window);
  w.Field("geoip", d.geo_description);
  // How the times of this document are written: ISO-8601 in this zone, with the offset in force at
  // each instant ("Z" when UTC); the abbreviations met between the first and the last event.
  w.Field("time_zone", d.time_zone.name());
  w.Field("time_zone_abbreviations", TimeZoneAbbreviations(d));
  w.EndObject();

  const RunSummary& run = d.run;
  w.Key("verdict").BeginObject();
  w.Field("present", run.present);
  w.Field("verdict", run.verdict);
  w.Key("confidence").OptDouble(run.confidence);
  w.Field("confidence_text", run.confidence_text);
  w.Field("reason", run.verdict_reason);
  w.Field("playbook", run.playbook);
  w.Field("record", run.origin);
  w.EndObject();

  w.Key("findings").BeginArray();
  for (const auto& f : run.findings) {
    w.BeginObject();
    w.Field("id", f.id);
    w.Field("severity", f.severity);
    w.Field("title", f.title);
    w.Field("sentence", f.sentence);
    w.Key("steps").Strings(f.steps);
    w.Key("evidence").BeginArray();
    for (const auto& e : f.evidence) {
      w.BeginObject();
      w.Field("event_id", e.event_id);
      w.Field("ref", e.ref);
      w.Key("time").OptTime(e.time);
      w.Field("source", e.source);
      w.Field("text", e.text);
      w.EndObject();
    }
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();

  w.Key("signals").BeginArray();
  for (const auto& s : run.signals) {
    w.BeginObject();
    w.Field("id", s.id);
    w.Field("supports", s.supports);
    w.Field("sentence", s.sentence);
    w.Field("fired", s.fired);
    w.EndObject();
  }
  w.EndArray();
  w.Key("actions").Strings(run.actions);
  w.Key("entities").BeginArray();
  for (const auto& e : run.entities) {
    w.BeginObject();
    w.Field("name", e.name);
    w.Field("value", e.value);
    w.EndObject();
  }
  w.EndArray();

  w.Key("steps").BeginArray();
  for (const auto& s : run.steps) {
    w.BeginObject();
    w.Field("id", s.id);
    w.Field("kind", s.kind);
    w.Field("description", s.description);
    w.Field("detail", s.detail);
    w.Field("status", s.status);
    if (s.rows) {
      w.Field("rows", *s.rows);
    } else {
      w.Key("rows").Null();
    }
    w.Key("duration_ms").OptDouble(s.duration_ms);
    std::vector<std::string> produced;
    for (const auto& f : run.findings) {
      for (const auto& id : f.steps) {
        if (id == s.id) produced.push_back(f.id);
      }
    }
    w.Key("findings").Strings(produced);
    w.EndObject();
  }
  w.EndArray();

  w.Key("timeline").BeginObject();
  w.Field("notable", d.timeline_notable);
  w.Field("groups", d.timeline_groups);
  w.Field("shown", static_cast<int64_t>(d.timeline.size()));
  w.Field("capped", d.timeline_capped);
  w.Key("rows").BeginArray();
  for (const auto& r : d.timeline) {
    w.BeginObject();
    w.Field("event_id", r.event_id);
    w.Key("time").Time(r.time);
    w.Field("source_type", r.source_type);
    w.Field("source_name", r.source_name);
    w.Field("severity", SeverityName(r.severity));
    w.Field("kind", r.kind);
    w.Field("summary", r.summary);
    w.Field("actor", r.actor);
    w.Field("access_key", r.access_key);
    w.Field("source_ip", r.source_ip);
    w.Field("action", r.action);
    w.Field("target", r.target);
    w.Field("resource", r.resource);
    w.Field("target_user", r.target_user);
    w.Field("status", r.status);
    w.Field("error_code", r.error_code);
    w.Field("user_agent", r.user_agent);
    w.Field("similar", r.similar);
    w.Key("findings").Strings(r.findings);
    w.Field("raw", r.raw);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  std::set<int> codes;
  for (const auto& m : d.status_per_minute) codes.insert(m.status);
  w.Key("status_per_minute").BeginObject();
  w.Key("codes").BeginArray();
  for (int c : codes) w.Int(c);
  w.EndArray();
  w.Key("rows").BeginArray();
  for (const auto& m : d.status_per_minute) {
    w.BeginObject();
    w.Key("minute").Time(m.minute);
    w.Field("status", m.status);
    w.Field("count", m.count);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  const Spike& s = d.spike;
  w.Key("spike").BeginObject();
  w.Field("present", s.present);
  w.Field("label", s.label);
  w.Field("source_type", s.source_type);
  w.Field("status", s.status);
  w.Field("error_code", s.error_code);
  w.Field("window", s.window);
  w.Key("threshold").Double(s.threshold);
  w.Key("onset").OptTime(s.onset);
  if (s.present) {
    w.Key("peak_minute").Time(s.peak_minute);
  } else {
    w.Key("peak_minute").Null();
  }
  w.Field("peak_count", s.peak_count);
  w.Field("total", s.total);
  w.Key("points").BeginArray();
  for (const auto& p : s.points) {
    w.BeginObject();
    w.Key("minute").Time(p.minute);
    w.Field("count", p.count);
    w.Key("lower").OptDouble(p.lower);
    w.Key("upper").OptDouble(p.upper);
    w.Field("flagged", p.flagged);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  w.Key("incident_start").OptTime(d.incident_start);

  w.Key("locations").BeginArray();
  for (const auto& l : d.locations) {
    w.BeginObject();
    w.Field("ip", l.ip);
    w.Key("principals").Strings(l.principals);
    w.Key("latitude").Double(l.latitude);
    w.Key("longitude").Double(l.longitude);
    w.Field("city", l.city);
    w.Field("country_code", l.country_code);
    w.Field("country", l.country);
    w.Field("events", l.events);
    w.Key("first_seen").Time(l.first_seen);
    w.Key("last_seen").Time(l.last_seen);
    w.Field("class", l.incident ? "incident" : "baseline");
    w.EndObject();
  }
  w.EndArray();

  w.Key("graph").BeginObject();
  w.Field("origin", d.graph_origin);
  w.Key("nodes").BeginArray();
  for (const auto& n : d.nodes) {
    w.BeginObject();
    w.Field("id", n.id);
    w.Field("kind", n.kind);
    w.Field("label", n.label);
    w.Field("count", n.count);
    w.Field("seed", n.seed);
    w.EndObject();
  }
  w.EndArray();
  w.Key("edges").BeginArray();
  for (const auto& e : d.edges) {
    w.BeginObject();
    w.Field("source", e.source);
    w.Field("target", e.target);
    w.Field("kind", e.kind);
    w.Field("count", e.count);
    w.Field("errors", e.errors);
    w.Key("first_seen").OptTime(e.first_seen);
    w.Key("last_seen").OptTime(e.last_seen);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  w.Key("custody").BeginObject();
  w.Field("total_events", d.total_events);
  w.Field("total_rejects", d.total_rejects);
  w.Key("sources").BeginArray();
  for (const auto& src : d.sources) {
    w.BeginObject();
    w.Field("path", src.path);
    w.Field("size", src.size);
    w.Field("sha256", src.sha256);
    w.Field("format", src.format);
    w.Key("categories").Strings(src.categories);
    w.Field("source_name", src.source_name);
    w.Field("host", src.host);
    w.Field("events", src.events);
    w.Field("rejects", src.rejects);
    w.Field("duplicates", src.duplicates);
    w.Key("ingested_at").Time(src.ingested_at);
    w.Field("note", src.note);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  w.EndObject();
  return w.Take() + "\n";
}

}  // namespace cairn::report
