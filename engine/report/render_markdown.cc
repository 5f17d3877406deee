// The Markdown rendering, for tickets. Same content as the JSON, with long tables cut.
#include <algorithm>
#include <map>
#include <set>

#include "engine/common/strings.h"
#include "engine/report/render.h"

namespace cairn::report {
namespace {

constexpr size_t kMaxTimelineRows = 200;
constexpr size_t kMaxEvidenceRows = 25;
constexpr size_t kMaxMinuteRows = 60;
constexpr size_t kMaxCellChars = 160;

// Text safe in a Markdown paragraph or table cell: control characters neutralised, newlines and
// tabs folded to spaces, HTML's and Markdown's special characters escaped.
std::string Md(std::string_view text, size_t max_chars = 0) {
  std::string folded(text);
  for (auto& c : folded) {
    if (c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::string safe = TerminalSafe(folded);
  std::string out;
  size_t chars = 0;
  for (size_t idx = 0; idx < safe.size(); ++idx) {
    char c = safe[idx];
    bool lead = (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    if (lead) {
      if (max_chars > 0 && chars >= max_chars) {
        out += "…";
        break;
      }
      ++chars;
    }
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '\\': case '`': case '*': case '_': case '[': case ']': case '|': case '~': case '!':
      case '#': case '{': case '}':
        out += '\\';
        out += c;
        break;
      default: out += c;
    }
  }
  return out;
}

// Times as ISO-8601 in the report's zone ("—" for none).
class TimeText {
 public:
  explicit TimeText(const TimeZone& zone) : zone_(zone) {}
  std::string operator()(TimeMs t) const { return FormatIso8601Compact(t, zone_); }
  std::string operator()(const std::optional<TimeMs>& t) const { return t ? FormatIso8601Compact(*t, zone_) : "—"; }

 private:
  const TimeZone& zone_;
};

std::string Num(double v) { return FormatDouble(v, 2); }

std::string Row(const std::vector<std::string>& cells) {
  std::string out = "|";
  for (const auto& c : cells) out += " " + (c.empty() ? std::string(" ") : c) + " |";
  return out + "\n";
}

std::string Header(const std::vector<std::string>& cells, const std::set<size_t>& right = {}) {
  std::string out = Row(cells) + "|";
  for (size_t idx = 0; idx < cells.size(); ++idx) out += right.count(idx) ? " ---: |" : " --- |";
  return out + "\n";
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string RenderMarkdown(const ReportData& d) {
  const TimeText T(d.time_zone);
  std::string out;
  out += "# " + Md(d.title) + "\n\n";
  out += Header({"", ""});
  out += Row({"Case", Md(d.case_path)});
  out += Row({"Case content hash", Md(d.case_hash)});
  if (d.generated_at) out += Row({"Generated", T(*d.generated_at)});
  out += Row({"Report window", T(d.window_from) + " → " + T(d.window_to)});
  out += Row({"Events in window", WithThousands(d.events_in_window) + " (" + T(d.first_event) + " → " +
                                      T(d.last_event) + ")"});
  if (!d.time_zone.is_utc()) {
    const std::string abbreviations = TimeZoneAbbreviations(d);
    out += Row({"Times", Md(d.time_zone.name()) +
                             (abbreviations == d.time_zone.name() ? "" : " (" + Md(abbreviations) + ")") +
                             ", each with its UTC offset"});
  }
  out += Row({"Evidence", WithThousands(d.total_events) + " events, " + WithThousands(d.total_rejects) +
                              " rejected lines, " + std::to_string(d.sources.size()) + " sources"});
  out += Row({"GeoIP", Md(d.geo_description)});
  out += "\n";

  const RunSummary& run = d.run;
  out += "## Verdict\n\n";
  if (!run.present) {
    out += "No playbook run was given (`--playbook-run`): no verdict or findings; the sections below "
           "are computed from the case.\n\n";
  } else {
    out += "**" + Md(Upper(run.verdict.empty() ? "unknown" : run.verdict)) + "**";
    if (run.confidence) out += " — confidence " + Num(*run.confidence);
    if (!run.confidence_text.empty()) out += " — confidence " + Md(run.confidence_text);
    out += "\n\n";
    if (!run.verdict_reason.empty()) out += Md(run.verdict_reason) + "\n\n";
    if (!run.playbook.empty()) out += "Playbook: " + Md(run.playbook) + " (record " + Md(run.origin) + ")\n\n";
    if (!run.signals.empty()) {
      out += "Signals:\n\n";
      for (const auto& s : run.signals) {
        out += "- " + std::string(s.fired ? "✔ " : "✘ ") + Md(s.sentence.empty() ? s.id : s.sentence);
        if (!s.supports.empty()) out += " (supports " + Md(s.supports) + ")";
        out += "\n";
      }
      out += "\n";
    }
  }

  if (run.present) {
    out += "## Findings\n\n";
    if (run.findings.empty()) out += "The run reported no findings.\n\n";
    for (const auto& f : run.findings) {
      out += "### [" + Md(Upper(f.severity.empty() ? "info" : f.severity)) + "] " +
             Md(f.title.empty() ? f.id : f.title) + "\n\n";
      if (!f.sentence.empty()) out += Md(f.sentence) + "\n\n";
      if (!f.steps.empty()) {
        std::vector<std::string> steps;
        for (const auto& s : f.steps) steps.push_back(Md(s));
        out += "Produced by step(s): " + Join(steps, ", ") + "\n\n";
      }
      if (!f.evidence.empty()) {
        out += Header({"time", "source", "event", "details"});
        for (size_t idx = 0; idx < f.evidence.size() && idx < kMaxEvidenceRows; ++idx) {
          const auto& e = f.evidence[idx];
          out += Row({T(e.time), Md(e.source), e.event_id > 0 ? "#" + std::to_string(e.event_id) : Md(e.ref),
                      Md(e.text, kMaxCellChars)});
        }
        if (f.evidence.size() > kMaxEvidenceRows) {
          out += "\n… and " + std::to_string(f.evidence.size() - kMaxEvidenceRows) + " more items.\n";
        }
        out += "\n";
      }
    }
    if (!run.actions.empty()) {
      out += "## Recommended actions\n\n";
      for (const auto& a : run.actions) out += "1. " + Md(a) + "\n";
      out += "\n";
    }
  }

  out += "## Error spike\n\n";
  const Spike& s = d.spike;
  if (!s.present) {
    out += "No error series leaves its outlier band (window " + std::to_string(s.window) + ", threshold " +
           Num(s.threshold) + ").\n\n";
  } else {
    out += "Series **" + Md(s.label) + "**: onset " + T(s.onset) + ", peak " + std::to_string(s.peak_count) +
           "/min at " + T(s.peak_minute) + ", " + WithThousands(s.total) + " events in the window. Band: mean ± " +
           Num(s.threshold) + "·sd over the previous " + std::to_string(s.window) + " non-empty minutes.\n\n";
    out += Header({"minute", "count", "upper band", "outside band"}, {1, 2});
    size_t start = 0;
    if (s.onset) {
      while (start < s.points.size() && s.points[start].minute < *s.onset) ++start;
      start = start > 5 ? start - 5 : 0;
    }
    size_t shown = 0;
    for (size_t idx = start; idx < s.points.size() && shown < kMaxMinuteRows; ++idx, ++shown) {
      const auto& p = s.points[idx];
      out += Row({T(p.minute), std::to_string(p.count), p.upper ? Num(*p.upper) : "—", p.flagged ? "**yes**" : "no"});
    }
    out += "\n";
  }

  out += "## Status codes per minute (S3 and Apache access, errors ≥ 400)\n\n";
  {
    std::set<int> codes;
    std::map<TimeMs, std::map<int, int64_t>> by_minute;
    for (const auto& m : d.status_per_minute) {
      if (m.status < 400) continue;
      codes.insert(m.status);
      by_minute[m.minute][m.status] += m.count;
    }
    if (by_minute.empty()) {
      out += "No error status in the window.\n\n";
    } else {
      // The busiest minutes, shown in time order.
      std::vector<std::pair<TimeMs, int64_t>> totals;
      for (const auto& [minute, counts] : by_minute) {
        int64_t sum = 0;
        for (const auto& [code, n] : counts) sum += n;
        totals.push_back({minute, sum});
      }
      if (totals.size() > kMaxMinuteRows) {
        std::nth_element(totals.begin(), totals.begin() + kMaxMinuteRows, totals.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        totals.resize(kMaxMinuteRows);
        std::sort(totals.begin(), totals.end());
        out += "The " + std::to_string(kMaxMinuteRows) + " busiest of " + std::to_string(by_minute.size()) +
               " minutes:\n\n";
      }
      std::vector<std::string> head = {"minute"};
      std::set<size_t> right;
      for (int c : codes) {
        right.insert(head.size());
        head.push_back(std::to_string(c));
      }
      out += Header(head, right);
      for (const auto& [minute, total] : totals) {
        std::vector<std::string> cells = {T(minute)};
        for (int c : codes) {
          auto it = by_minute[minute].find(c);
          cells.push_back(it == by_minute[minute].end() ? "0" : std::to_string(it->second));
        }
        out += Row(cells);
      }
      out += "\n";
    }
  }

  out += "## Locations\n\n";
  if (d.locations.empty()) {
    out += "No located addresses (" + Md(d.geo_description.empty() ? "no GeoIP database" : d.geo_description) +
           ").\n\n";
  } else {
    out += Header({"address", "class", "location", "principals", "events", "first seen", "last seen"}, {4});
    for (const auto& l : d.locations) {
      std::string where = l.city.empty() ? l.country : l.city + ", " + l.country;
      if (!l.country_code.empty()) where += " (" + l.country_code + ")";
      std::vector<std::string> principals;
      for (const auto& p : l.principals) principals.push_back(Md(p));
      out += Row({Md(l.ip), l.incident ? "**incident**" : "baseline", Md(where), Join(principals, ", "),
                  std::to_string(l.events), T(l.first_seen), T(l.last_seen)});
    }
    out += "\n";
  }

  out += "## Incident graph\n\n";
  if (d.edges.empty()) {
    out += "No relations to show.\n\n";
  } else {
    std::map<std::string, const GraphNode*> nodes;
    for (const auto& n : d.nodes) nodes[n.id] = &n;
    auto label = [&](const std::string& id) {
      auto it = nodes.find(id);
      if (it == nodes.end()) return Md(id);
      return Md(it->second->kind) + " " + Md(it->second->label);
    };
    out += std::to_string(d.nodes.size()) + " entities, " + std::to_string(d.edges.size()) +
           " relations (" + Md(d.graph_origin) + ").\n\n";
    out += Header({"from", "relation", "to", "events", "errors", "first", "last"}, {3, 4});
    for (const auto& e : d.edges) {
      out += Row({label(e.source), Md(e.kind), label(e.target), std::to_string(e.count),
                  std::to_string(e.errors), T(e.first_seen), T(e.last_seen)});
    }
    out += "\n";
  }

  out += "## Timeline of notable events\n\n";
  out += std::to_string(d.timeline.size()) + " rows";
  if (d.timeline_capped) out += " (capped; " + std::to_string(d.timeline_groups) + " before the cap)";
  out += ", folding " + WithThousands(d.timeline_notable) + " notable events.";
  if (d.timeline.size() > kMaxTimelineRows) {
    out += " The " + std::to_string(kMaxTimelineRows) + " most severe are listed; `--format json` has all.";
  }
  out += "\n\n";
  {
    std::vector<const TimelineRow*> rows;
    for (const auto& r : d.timeline) rows.push_back(&r);
    if (rows.size() > kMaxTimelineRows) {
      std::stable_sort(rows.begin(), rows.end(), [](const TimelineRow* a, const TimelineRow* b) {
        bool ea = !a->findings.empty();
        bool eb = !b->findings.empty();
        if (ea != eb) return ea;
        return static_cast<int>(a->severity) < static_cast<int>(b->severity);
      });
      rows.resize(kMaxTimelineRows);
      std::stable_sort(rows.begin(), rows.end(), [](const TimelineRow* a, const TimelineRow* b) {
        return a->time != b->time ? a->time < b->time : a->event_id < b->event_id;
      });
    }
    if (!rows.empty()) {
      out += Header({"time", "severity", "source", "what", "actor", "address", "event"});
      for (const auto* r : rows) {
        std::string event = "#" + std::to_string(r->event_id);
        if (!r->findings.empty()) {
          std::vector<std::string> f;
          for (const auto& id : r->findings) f.push_back(Md(id));
          event += " (" + Join(f, ", ") + ")";
        }
        out += Row({T(r->time), SeverityName(r->severity), Md(r->source_name.empty() ? r->source_type : r->source_name, 40),
                    Md(r->summary, kMaxCellChars), Md(r->actor), Md(r->source_ip), event});
      }
      out += "\n";
    }
  }

  if (run.present && !run.steps.empty()) {
    out += "## Playbook steps\n\n";
    out += Header({"step", "kind", "what", "status", "rows", "findings"}, {4});
    for (const auto& st : run.steps) {
      std::vector<std::string> produced;
      for (const auto& f : run.findings) {
        if (std::find(f.steps.begin(), f.steps.end(), st.id) != f.steps.end()) produced.push_back(Md(f.id));
      }
      std::string what = st.description;
      if (!st.detail.empty()) what += what.empty() ? st.detail : " — " + st.detail;
      out += Row({Md(st.id), Md(st.kind), Md(what, kMaxCellChars), Md(st.status),
                  st.rows ? std::to_string(*st.rows) : "", Join(produced, ", ")});
    }
    out += "\n";
  }

  out += "## Chain of custody\n\n";
  if (d.sources.empty()) {
    out += "No sources in the case.\n\n";
  } else {
    out += Header({"path", "format", "size", "sha256", "events", "rejects", "duplicates"}, {2, 4, 5, 6});
    for (const auto& src : d.sources) {
      out += Row({Md(src.path), Md(src.format), WithThousands(src.size), Md(src.sha256),
                  WithThousands(src.events), WithThousands(src.rejects), WithThousands(src.duplicates)});
    }
    out += "\n";
  }
  return out;
}

}  // namespace cairn::report
