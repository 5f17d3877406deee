// Gathers the report's content from a case. See report.h for the model and docs/report.md for the
// rules (what is "notable", how rows are folded and capped, how the spike series is chosen).
#include "engine/report/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"
#include "engine/report/outlier.h"

namespace cairn::report {

const char* SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kHigh: return "high";
    case Severity::kMedium: return "medium";
    case Severity::kLow: return "low";
  }
  return "low";
}

namespace {

using store::CaseStore;
using store::Statement;

constexpr int64_t kMinuteMs = 60 * 1000;
constexpr size_t kMaxRawBytes = 16 * 1024;
constexpr int64_t kMinSpikePeak = 3;  // a "spike" of one or two events per minute is noise
constexpr size_t kMaxPrincipals = 20;

TimeMs MinuteOf(TimeMs t) { return t - (((t % kMinuteMs) + kMinuteMs) % kMinuteMs); }

struct Window {
  int64_t from = std::numeric_limits<int64_t>::min();
  int64_t to = std::numeric_limits<int64_t>::max();
};

// Runs st to completion, calling fn for each row.
template <typename Fn>
Status ForEachRow(Statement& st, Fn&& fn) {
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    fn(st);
  }
  st.Reset();
  return Ok();
}

std::string TextOr(const Statement& st, int col) {
  return st.IsNull(col) ? std::string() : std::string(st.Text(col));
}

bool LooksLikeIp(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  bool has_dot = false;
  bool has_colon = false;
  for (char c : s) {
    if (c == '.') {
      has_dot = true;
    } else if (c == ':') {
      has_colon = true;
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return has_dot || has_colon;
}

// ---- the lightweight candidate of a timeline row, before capping ----

struct Candidate {
  int64_t id = 0;
  TimeMs time = 0;
  int64_t count = 1;
  std::string kind;
  Severity severity = Severity::kLow;
  bool evidence = false;
};

// CloudTrail fields the typed columns do not carry, from a column `raw` (the event's text, read once
// per row with cairn_raw); guarded so a malformed raw never fails a query.
constexpr const char* kCtSource =
    "CASE WHEN source_type='cloudtrail' AND json_valid(raw) THEN json_extract(raw,'$.eventSource') END";
constexpr const char* kCtReadOnly =
    "CASE WHEN source_type='cloudtrail' AND json_valid(raw) THEN json_extract(raw,'$.readOnly') END";
constexpr const char* kCtCategory =
    "CASE WHEN source_type='cloudtrail' AND json_valid(raw) THEN "
    "coalesce(json_extract(raw,'$.eventCategory'), CASE json_extract(raw,'$.managementEvent') "
    "WHEN 0 THEN 'Data' ELSE 'Management' END) END";

constexpr const char* kErrorPredicate =
    "(status >= 400 OR (source_type='cloudtrail' AND outcome='failure') OR "
    "(source_type='apache_error' AND (action LIKE '%error' OR action LIKE '%crit' OR "
    "action LIKE '%alert' OR action LIKE '%emerg')))";

// Kind and severity of a CloudTrail management event that did not fail.
std::pair<std::string, Severity> ClassifyCloudTrail(const std::string& action,
                                                    const std::string& event_source,
                                                    bool read_only) {
  if (action == "ConsoleLogin" || event_source == "signin.amazonaws.com") {
    return {"login", Severity::kMedium};
  }
  if (event_source == "iam.amazonaws.com") {
    return read_only ? std::pair{std::string("iam-read"), Severity::kLow}
                     : std::pair{std::string("iam-change"), Severity::kHigh};
  }
  if (event_source == "sts.amazonaws.com") return {"session", Severity::kLow};
  return read_only ? std::pair{std::string("read"), Severity::kLow}
                   : std::pair{std::string("change"), Severity::kMedium};
}

std::string ShortenArn(const std::string& arn) {
  auto slash = arn.rfind('/');
  if (StartsWith(arn, "arn:") && slash != std::string::npos) return arn.substr(slash + 1);
  return arn;
}

class Builder {
 public:
  Builder(CaseStore& store, const RunSummary* run, const geo::GeoDb* geo,
          const ReportOptions& options, ReportData* data)
      : store_(store), run_(run), geo_(geo), options_(options), data_(*data) {
    if (options.from) window_.from = *options.from;
    if (options.to) window_.to = *options.to;
  }

  Status Build() {
    CAIRN_TRY(LoadOverview());
    CAIRN_TRY(LoadStatusPerMinute());
    CAIRN_TRY(LoadSpike());
    CAIRN_TRY(ResolveEvidence());
    CAIRN_TRY(LoadTimeline());
    CAIRN_TRY(LoadLocations());
    CAIRN_TRY(LoadGraph());
    return Ok();
  }

 private:
  Result<Statement> Prepare(const std::string& sql) { return store_.Prepare(sql); }

  void BindWindow(Statement& st, int first) {
    st.Bind(first, static_cast<int64_t>(window_.from));
    st.Bind(first + 1, static_cast<int64_t>(window_.to));
  }

  Status LoadOverview() {
    CAIRN_ASSIGN_OR_RETURN(auto stats, store_.Stats());
    data_.total_events = stats.events;
    data_.total_rejects = stats.rejects;
    CAIRN_ASSIGN_OR_RETURN(data_.case_hash, store_.ContentHash());
    CAIRN_ASSIGN_OR_RETURN(auto sources, store_.ListSources());
    for (auto& s : sources) {
      source_names_[s.id] = s.source_name.empty() ? s.path : s.source_name;
      CustodySource c;
      c.path = s.path;
      c.size = s.size;
      c.sha256 = s.sha256;
      c.format = s.format;
      c.categories = s.categories;
      c.source_name = s.source_name;
      c.host = s.host;
      c.events = s.events;
      c.rejects = s.rejects;
      c.duplicates = s.duplicates;
      c.ingested_at = s.ingested_at;
      c.note = s.note;
      data_.sources.push_back(std::move(c));
    }
    CAIRN_ASSIGN_OR_RETURN(Statement st,
                           Prepare("SELECT count(*), min(ts), max(ts) FROM events WHERE ts>=? AND ts<?"));
    BindWindow(st, 1);
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (row) {
      data_.events_in_window = st.Int(0);
      if (data_.events_in_window > 0) {
        data_.first_event = st.Int(1);
        data_.last_event = st.Int(2);
      }
    }
    return Ok();
  }

  Status LoadStatusPerMinute() {
    CAIRN_ASSIGN_OR_RETURN(
        Statement st,
        Prepare("SELECT ts - ((ts % 60000) + 60000) % 60000 AS m, status, count(*) FROM events "
                "WHERE ts>=? AND ts<? AND status > 0 AND source_type IN ('s3_access','apache_access') "
                "GROUP BY m, status ORDER BY m, status"));
    BindWindow(st, 1);
    return ForEachRow(st, [&](Statement& s) {
      data_.status_per_minute.push_back({s.Int(0), static_cast<int>(s.Int(1)), s.Int(2)});
    });
  }

  // Chooses the error series with the largest flagged minute (docs/report.md).
  Status LoadSpike() {
    CAIRN_ASSIGN_OR_RETURN(
        Statement st,
        Prepare(std::string("SELECT source_type, coalesce(status,0), coalesce(error_code,''), "
                            "ts - ((ts % 60000) + 60000) % 60000 AS m, count(*) FROM events "
                            "WHERE ts>=? AND ts<? AND ") +
                kErrorPredicate + " GROUP BY 1, 2, 3, m ORDER BY 1, 2, 3, m"));
    BindWindow(st, 1);
    struct Series {
      std::string source_type;
      int status = 0;
      std::string error_code;
      std::vector<TimeMs> minutes;
      std::vector<double> counts;
    };
    std::vector<Series> series;
    CAIRN_TRY(ForEachRow(st, [&](Statement& s) {
      std::string type(s.Text(0));
      int status = static_cast<int>(s.Int(1));
      std::string code(s.Text(2));
      if (series.empty() || series.back().source_type != type || series.back().status != status ||
          series.back().error_code != code) {
        series.push_back({type, status, code, {}, {}});
      }
      series.back().minutes.push_back(s.Int(3));
      series.back().counts.push_back(static_cast<double>(s.Int(4)));
    }));
    OutlierOptions outlier_options;
    const Series* best = nullptr;
    std::vector<OutlierPoint> best_band;
    size_t best_peak = 0;
    for (const auto& candidate : series) {
      auto band = ComputeOutlier(candidate.counts, outlier_options);
      std::optional<size_t> peak;
      for (size_t idx = 0; idx < band.size(); ++idx) {
        if (band[idx].indicator && band[idx].upper && candidate.counts[idx] > *band[idx].upper &&
            (!peak || candidate.counts[idx] > candidate.counts[*peak])) {
          peak = idx;
        }
      }
      if (!peak || candidate.counts[*peak] < static_cast<double>(kMinSpikePeak)) continue;
      if (!best || candidate.counts[*peak] > best->counts[best_peak]) {
        best = &candidate;
        best_band = std::move(band);
        best_peak = *peak;
      }
    }
    Spike& spike = data_.spike;
    spike.window = outlier_options.window;
    spike.threshold = outlier_options.threshold;
    if (best) {
      spike.present = true;
      spike.source_type = best->source_type;
      spike.status = best->status;
      spike.error_code = best->error_code;
      spike.label = best->source_type;
      if (best->status > 0) spike.label += " " + std::to_string(best->status);
      if (!best->error_code.empty()) spike.label += " " + best->error_code;
      for (size_t idx = 0; idx < best->counts.size(); ++idx) {
        SpikePoint p;
        p.minute = best->minutes[idx];
        p.count = static_cast<int64_t>(best->counts[idx]);
        p.lower = best_band[idx].lower;
        p.upper = best_band[idx].upper;
        p.flagged = best_band[idx].indicator;
        spike.total += p.count;
        spike.points.push_back(p);
      }
      spike.peak_minute = best->minutes[best_peak];
      spike.peak_count = static_cast<int64_t>(best->counts[best_peak]);
      // The onset: the earliest flagged minute of the unbroken run of minutes holding the peak.
      size_t first = best_peak;
      while (first > 0 && best->minutes[first - 1] == best->minutes[first] - kMinuteMs) --first;
      for (size_t idx = first; idx <= best_peak; ++idx) {
        if (best_band[idx].indicator) {
          spike.onset = best->minutes[idx];
          break;
        }
      }
      // The burst: from the onset while minutes stay contiguous.
      burst_end_ = spike.peak_minute;
      for (size_t idx = best_peak + 1; idx < best->minutes.size(); ++idx) {
        if (best->minutes[idx] != best->minutes[idx - 1] + kMinuteMs) break;
        burst_end_ = best->minutes[idx];
      }
    }
    if (run_ && run_->onset) spike.onset = MinuteOf(*run_->onset);
    if (spike.onset) data_.incident_start = *spike.onset - options_.incident_lookback_ms;
    return Ok();
  }

  Status ResolveEvidence() {
    if (!run_) return Ok();
    CAIRN_ASSIGN_OR_RETURN(Statement by_ct, Prepare("SELECT id FROM events WHERE event_id=? LIMIT 1"));
    CAIRN_ASSIGN_OR_RETURN(Statement by_id,
                           Prepare("SELECT e.ts, e.source_type, coalesce(s.source_name, s.path) "
                                   "FROM events e LEFT JOIN sources s ON s.id=e.source_id WHERE e.id=?"));
    for (auto& finding : data_.run.findings) {
      for (auto& ev : finding.evidence) {
        if (ev.event_id == 0 && !ev.ref.empty()) {
          bool numeric = std::all_of(ev.ref.begin(), ev.ref.end(),
                                     [](char c) { return c >= '0' && c <= '9'; });
          if (numeric && ev.ref.size() < 18) {
            ev.event_id = std::stoll(ev.ref);
          } else {
            by_ct.Bind(1, ev.ref);
            CAIRN_ASSIGN_OR_RETURN(bool row, by_ct.Step());
            if (row) ev.event_id = by_ct.Int(0);
            by_ct.Reset();
          }
        }
        if (ev.event_id <= 0) continue;
        by_id.Bind(1, ev.event_id);
        CAIRN_ASSIGN_OR_RETURN(bool row, by_id.Step());
        if (row) {
          if (!ev.time) ev.time = by_id.Int(0);
          if (ev.source.empty()) ev.source = std::string(by_id.Text(1));
          cited_[ev.event_id].push_back(finding.id);
        } else {
          ev.event_id = 0;  // not in this case: keep the reference text only
        }
        by_id.Reset();
      }
    }
    return Ok();
  }

  bool InSpike(const std::string& source_type, int status, const std::string& code, TimeMs t) const {
    const Spike& s = data_.spike;
    if (!s.present || !s.onset) return false;
    TimeMs m = MinuteOf(t);
    return source_type == s.source_type && status == s.status && code == s.error_code &&
           m >= *s.onset && m <= burst_end_;
  }

  Status LoadTimeline() {
    std::vector<Candidate> candidates;
    std::set<int64_t> seen;
    // 1. Errors, folded per minute, source file, status, code, action and target.
    CAIRN_ASSIGN_OR_RETURN(
        Statement errors,
        Prepare(std::string("SELECT min(id), min(ts), count(*), source_type, coalesce(status,0), "
                            "coalesce(error_code,''), coalesce(action,'') FROM events "
                            "WHERE ts>=? AND ts<? AND ") +
                kErrorPredicate +
                " GROUP BY ts - ((ts % 60000) + 60000) % 60000, source_id, source_type, status, "
                "error_code, action, coalesce(bucket, host, '')"));
    BindWindow(errors, 1);
    CAIRN_TRY(ForEachRow(errors, [&](Statement& s) {
      Candidate c;
      c.id = s.Int(0);
      c.time = s.Int(1);
      c.count = s.Int(2);
      c.kind = "error";
      std::string type(s.Text(3));
      int status = static_cast<int>(s.Int(4));
      std::string code(s.Text(5));
      if (status >= 500 || InSpike(type, status, code, c.time)) {
        c.severity = Severity::kHigh;
      } else if (status == 401 || status == 403 || type == "cloudtrail" || type == "apache_error") {
        c.severity = Severity::kMedium;
      } else {
        c.severity = Severity::kLow;
      }
      data_.timeline_notable += c.count;
      seen.insert(c.id);
      candidates.push_back(std::move(c));
    }));
    // 2. CloudTrail management events that did not fail: changes, IAM, logins.
    CAIRN_ASSIGN_OR_RETURN(
        Statement ct,
        Prepare(std::string("WITH w AS MATERIALIZED (SELECT id, ts, action, source_type, cairn_raw(id) AS raw "
                            "FROM events WHERE ts>=? AND ts<? AND source_type='cloudtrail' "
                            "AND coalesce(outcome,'') != 'failure') "
                            "SELECT id, ts, coalesce(action,''), ") +
                kCtSource + ", " + kCtReadOnly + ", " + kCtCategory + " FROM w"));
    BindWindow(ct, 1);
    CAIRN_TRY(ForEachRow(ct, [&](Statement& s) {
      std::string category = TextOr(s, 5);
      if (category == "Data") return;
      std::string action(s.Text(2));
      std::string event_source = TextOr(s, 3);
      bool read_only = !s.IsNull(4) && s.Int(4) != 0;
      auto [kind, severity] = ClassifyCloudTrail(action, event_source, read_only);
      bool notable = kind != "read" && kind != "session";
      if (!notable) return;
      Candidate c;
      c.id = s.Int(0);
      c.time = s.Int(1);
      c.kind = kind;
      c.severity = severity;
      data_.timeline_notable += 1;
      seen.insert(c.id);
      candidates.push_back(std::move(c));
    }));
    // 3. Events cited as evidence (always shown, even outside the notable rules).
    for (auto& c : candidates) {
      if (cited_.count(c.id)) {
        c.evidence = true;
        c.severity = Severity::kHigh;
      }
    }
    CAIRN_ASSIGN_OR_RETURN(Statement one, Prepare("SELECT ts FROM events WHERE id=? AND ts>=? AND ts<?"));
    for (const auto& [id, findings] : cited_) {
      if (seen.count(id)) continue;
      one.Bind(1, id);
      BindWindow(one, 2);
      CAIRN_ASSIGN_OR_RETURN(bool row, one.Step());
      if (row) {
        Candidate c;
        c.id = id;
        c.time = one.Int(0);
        c.kind = "evidence";
        c.severity = Severity::kHigh;
        c.evidence = true;
        data_.timeline_notable += 1;
        candidates.push_back(std::move(c));
      }
      one.Reset();
    }
    data_.timeline_groups = static_cast<int64_t>(candidates.size());
    // Cap: evidence first, then by severity, then nearest the onset (else the latest).
    if (candidates.size() > options_.max_timeline_rows) {
      data_.timeline_capped = true;
      TimeMs focus = data_.spike.onset ? *data_.spike.onset : (data_.last_event ? *data_.last_event : 0);
      auto rank = [&](const Candidate& c) {
        return std::tuple(c.evidence ? 0 : 1, static_cast<int>(c.severity),
                          c.time > focus ? c.time - focus : focus - c.time, c.id);
      };
      std::nth_element(candidates.begin(),
                       candidates.begin() + static_cast<std::ptrdiff_t>(options_.max_timeline_rows),
                       candidates.end(),
                       [&](const Candidate& a, const Candidate& b) { return rank(a) < rank(b); });
      candidates.resize(options_.max_timeline_rows);
    }
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
      return a.time != b.time ? a.time < b.time : a.id < b.id;
    });
    CAIRN_ASSIGN_OR_RETURN(
        Statement row_st,
        Prepare("SELECT ts, source_id, source_type, cairn_raw(id), coalesce(actor_arn,''), coalesce(actor_name,''), "
                "coalesce(access_key,''), coalesce(action,''), coalesce(bucket,''), coalesce(object_key,''), "
                "coalesce(resource,''), coalesce(target_user,''), coalesce(outcome,''), coalesce(status,0), "
                "coalesce(error_code,''), coalesce(source_ip,''), coalesce(user_agent,''), coalesce(host,''), "
                "coalesce(actor_type,'') FROM events WHERE id=?"));
    for (const auto& c : candidates) {
      row_st.Bind(1, c.id);
      CAIRN_ASSIGN_OR_RETURN(bool row, row_st.Step());
      if (!row) {
        row_st.Reset();
        continue;
      }
      TimelineRow r;
      r.event_id = c.id;
      r.time = row_st.Int(0);
      auto name_it = source_names_.find(row_st.Int(1));
      if (name_it != source_names_.end()) r.source_name = name_it->second;
      r.source_type = std::string(row_st.Text(2));
      r.raw = std::string(row_st.Text(3));
      if (r.raw.size() > kMaxRawBytes) {
        r.raw.resize(kMaxRawBytes);
        r.raw += "… [truncated]";
      }
      std::string actor_arn(row_st.Text(4));
      std::string actor_name(row_st.Text(5));
      r.access_key = std::string(row_st.Text(6));
      std::string action(row_st.Text(7));
      std::string bucket(row_st.Text(8));
      std::string object_key(row_st.Text(9));
      std::string resource(row_st.Text(10));
      std::string target_user(row_st.Text(11));
      std::string outcome(row_st.Text(12));
      r.status = static_cast<int>(row_st.Int(13));
      r.error_code = std::string(row_st.Text(14));
      r.source_ip = std::string(row_st.Text(15));
      r.user_agent = std::string(row_st.Text(16));
      std::string host(row_st.Text(17));
      std::string actor_type(row_st.Text(18));
      row_st.Reset();
      r.action = action;
      r.resource = resource;
      r.target_user = target_user;
      r.actor = !actor_name.empty() ? actor_name : ShortenArn(actor_arn);
      if (r.actor.empty() && actor_type == "Anonymous") r.actor = "anonymous";
      r.severity = c.severity;
      r.kind = c.kind;
      r.similar = c.count - 1;
      if (auto it = cited_.find(c.id); it != cited_.end()) r.findings = it->second;
      // Target and one-line summary.
      if (!bucket.empty()) {
        r.target = object_key.empty() ? bucket : bucket + "/" + object_key;
      } else if (!resource.empty()) {
        r.target = target_user.empty() ? resource : resource + " (user " + target_user + ")";
      } else if (!target_user.empty()) {
        r.target = "user " + target_user;
      } else {
        r.target = object_key;
      }
      std::string summary;
      if (r.source_type == "cloudtrail") {
        summary = action.empty() ? "CloudTrail event" : action;
        if (!r.actor.empty()) summary += " by " + r.actor;
        if (!r.target.empty()) summary += " on " + r.target;
        if (outcome == "failure") summary += " — failed" + (r.error_code.empty() ? "" : ": " + r.error_code);
      } else if (r.source_type == "apache_error") {
        std::string_view text = r.raw;
        summary = std::string(text.substr(0, 240));
      } else {
        summary = action.empty() ? "request" : action;
        if (!r.target.empty()) summary += " " + r.target;
        if (r.status > 0) summary += " → " + std::to_string(r.status);
        if (!r.error_code.empty()) summary += " " + r.error_code;
        if (!host.empty() && r.source_type == "apache_access") summary += " on " + host;
      }
      if (r.similar > 0) {
        summary += " (+" + std::to_string(r.similar) + " similar in this minute)";
      }
      r.summary = std::move(summary);
      data_.timeline.push_back(std::move(r));
    }
    return Ok();
  }

  // Strings the run record names as entities (with and without a "kind:" prefix).
  std::set<std::string> RunEntityValues() const {
    std::set<std::string> out;
    if (!run_) return out;
    for (const auto& e : run_->entities) {
      if (e.value.empty()) continue;
      out.insert(e.value);
      auto colon = e.value.find(':');
      if (colon != std::string::npos && !StartsWith(e.value, "arn:") && !LooksLikeIp(e.value)) {
        out.insert(e.value.substr(colon + 1));
      }
    }
    return out;
  }

  Status LoadLocations() {
    if (!geo_) return Ok();
    std::vector<std::string> principals;
    std::set<std::string> named = RunEntityValues();
    if (!named.empty()) {
      CAIRN_ASSIGN_OR_RETURN(
          Statement st, Prepare("SELECT DISTINCT actor_name FROM events WHERE source_type='cloudtrail' "
                                "AND actor_name IS NOT NULL AND (actor_name=? OR actor_arn=?)"));
      for (const auto& value : named) {
        st.Bind(1, value);
        st.Bind(2, value);
        CAIRN_TRY(ForEachRow(st, [&](Statement& s) { principals.emplace_back(s.Text(0)); }));
      }
    }
    if (principals.empty()) {
      // The principals of the CloudTrail rows of the timeline, most active first.
      std::map<std::string, int64_t> counts;
      for (const auto& r : data_.timeline) {
        if (r.source_type == "cloudtrail" && !r.actor.empty() && r.actor != "anonymous") {
          counts[r.actor] += 1 + r.similar;
        }
      }
      std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
      std::sort(sorted.begin(), sorted.end(),
                [](const auto& a, const auto& b) { return a.second > b.second; });
      for (const auto& [name, count] : sorted) principals.push_back(name);
    }
    std::sort(principals.begin(), principals.end());
    principals.erase(std::unique(principals.begin(), principals.end()), principals.end());
    if (principals.size() > kMaxPrincipals) principals.resize(kMaxPrincipals);
    // Every address each principal used, up to the end of the window (the baseline is history).
    CAIRN_ASSIGN_OR_RETURN(
        Statement st,
        Prepare("SELECT source_ip, count(*), min(ts), max(ts) FROM events WHERE source_type='cloudtrail' "
                "AND actor_name=? AND source_ip IS NOT NULL AND ts < ? GROUP BY source_ip ORDER BY source_ip"));
    std::map<std::string, Location> by_ip;
    for (const auto& principal : principals) {
      st.Bind(1, principal);
      st.Bind(2, static_cast<int64_t>(window_.to));
      struct Use {
        std::string ip;
        int64_t count;
        TimeMs first;
        TimeMs last;
      };
      std::vector<Use> uses;
      CAIRN_TRY(ForEachRow(st, [&](Statement& s) {
        uses.push_back({std::string(s.Text(0)), s.Int(1), s.Int(2), s.Int(3)});
      }));
      for (const auto& use : uses) {
        if (!LooksLikeIp(use.ip)) continue;  // AWS service names
        auto it = by_ip.find(use.ip);
        if (it == by_ip.end()) {
          auto found = geo_->Lookup(use.ip);
          if (!found.has_value() || !found->found || !found->latitude || !found->longitude) continue;
          Location loc;
          loc.ip = use.ip;
          loc.latitude = *found->latitude;
          loc.longitude = *found->longitude;
          loc.city = found->city;
          loc.country_code = found->country_code;
          loc.country = found->country_name;
          loc.first_seen = use.first;
          loc.last_seen = use.last;
          it = by_ip.emplace(use.ip, std::move(loc)).first;
        }
        Location& loc = it->second;
        loc.principals.push_back(principal);
        loc.events += use.count;
        loc.first_seen = std::min(loc.first_seen, use.first);
        loc.last_seen = std::max(loc.last_seen, use.last);
        if (data_.incident_start && use.first >= *data_.incident_start) loc.incident = true;
      }
    }
    for (auto& [ip, loc] : by_ip) {
      if (named.count(ip)) loc.incident = true;
      data_.locations.push_back(std::move(loc));
    }
    std::sort(data_.locations.begin(), data_.locations.end(), [](const Location& a, const Location& b) {
      return a.incident != b.incident ? a.incident : (a.events != b.events ? a.events > b.events : a.ip < b.ip);
    });
    return Ok();
  }

  // Seeds of the subgraph: what the run names, and the entities of the high-severity rows.
  std::set<std::string> GraphSeeds() const {
    std::set<std::string> seeds = RunEntityValues();
    for (const auto& r : data_.timeline) {
      if (r.severity != Severity::kHigh) continue;
      for (const std::string* v : {&r.actor, &r.access_key, &r.source_ip}) {
        if (!v->empty() && *v != "anonymous") seeds.insert(*v);
      }
    }
    return seeds;
  }

  Status LoadGraph() {
    CAIRN_ASSIGN_OR_RETURN(Statement count_st, Prepare("SELECT count(*) FROM relations"));
    CAIRN_ASSIGN_OR_RETURN(bool has_row, count_st.Step());
    int64_t relations = has_row ? count_st.Int(0) : 0;
    if (relations > 0) return LoadGraphFromRelations();
    return DeriveGraphFromTimeline();
  }

  Status LoadGraphFromRelations() {
    data_.graph_origin = "relations table";
    std::set<std::string> seeds = GraphSeeds();
    CAIRN_ASSIGN_OR_RETURN(Statement find,
                           Prepare("SELECT id FROM entities WHERE key=? OR label=? LIMIT 5"));
    std::set<int64_t> seed_ids;
    for (const auto& s : seeds) {
      find.Bind(1, s);
      find.Bind(2, s);
      CAIRN_TRY(ForEachRow(find, [&](Statement& st) { seed_ids.insert(st.Int(0)); }));
    }
    TimeMs from = data_.incident_start ? *data_.incident_start : window_.from;
    CAIRN_ASSIGN_OR_RETURN(
        Statement rel,
        Prepare("SELECT src, dst, kind, count, errors, first_seen, last_seen FROM relations "
                "WHERE (src=?1 OR dst=?1) AND coalesce(last_seen, ?2) >= ?2 AND coalesce(first_seen, ?3) < ?3 "
                "ORDER BY errors DESC, count DESC LIMIT 200"));
    struct Rel {
      int64_t src, dst;
      GraphEdge edge;
    };
    std::vector<Rel> rels;
    std::set<std::tuple<int64_t, int64_t, std::string>> seen;
    for (int64_t id : seed_ids) {
      rel.Bind(1, id);
      rel.Bind(2, static_cast<int64_t>(from));
      rel.Bind(3, static_cast<int64_t>(window_.to));
      CAIRN_TRY(ForEachRow(rel, [&](Statement& st) {
        Rel r{st.Int(0), st.Int(1), {}};
        r.edge.kind = std::string(st.Text(2));
        if (!seen.insert({r.src, r.dst, r.edge.kind}).second) return;
        r.edge.count = st.Int(3);
        r.edge.errors = st.Int(4);
        if (!st.IsNull(5)) r.edge.first_seen = st.Int(5);
        if (!st.IsNull(6)) r.edge.last_seen = st.Int(6);
        rels.push_back(std::move(r));
      }));
    }
    // Seed-to-seed edges first, then by errors and volume, until the node budget is spent.
    std::sort(rels.begin(), rels.end(), [&](const Rel& a, const Rel& b) {
      int sa = (seed_ids.count(a.src) ? 1 : 0) + (seed_ids.count(a.dst) ? 1 : 0);
      int sb = (seed_ids.count(b.src) ? 1 : 0) + (seed_ids.count(b.dst) ? 1 : 0);
      if (sa != sb) return sa > sb;
      if (a.edge.errors != b.edge.errors) return a.edge.errors > b.edge.errors;
      return a.edge.count > b.edge.count;
    });
    std::set<int64_t> nodes;
    CAIRN_ASSIGN_OR_RETURN(Statement ent,
                           Prepare("SELECT kind, key, coalesce(label, key), count FROM entities WHERE id=?"));
    auto node_id = [](int64_t id) { return "e" + std::to_string(id); };
    for (auto& r : rels) {
      size_t extra = (nodes.count(r.src) ? 0 : 1) + (nodes.count(r.dst) ? 0 : 1);
      if (nodes.size() + extra > options_.max_graph_nodes) continue;
      for (int64_t id : {r.src, r.dst}) {
        if (!nodes.insert(id).second) continue;
        ent.Bind(1, id);
        CAIRN_ASSIGN_OR_RETURN(bool row, ent.Step());
        GraphNode n;
        n.id = node_id(id);
        if (row) {
          n.kind = std::string(ent.Text(0));
          n.label = std::string(ent.Text(2));
          n.count = ent.Int(3);
        }
        ent.Reset();
        n.seed = seed_ids.count(id) > 0;
        data_.nodes.push_back(std::move(n));
      }
      r.edge.source = node_id(r.src);
      r.edge.target = node_id(r.dst);
      data_.edges.push_back(r.edge);
    }
    return Ok();
  }

  // Without a relations table: principal→key, principal→ip, ip→bucket/host edges of the incident's
  // high- and medium-severity timeline rows, weighted by the events they fold.
  Status DeriveGraphFromTimeline() {
    data_.graph_origin = "derived from the timeline events";
    std::set<std::string> seeds = GraphSeeds();
    std::map<std::string, GraphNode> nodes;
    std::map<std::tuple<std::string, std::string, std::string>, GraphEdge> edges;
    auto node = [&](const std::string& kind, const std::string& label, int64_t weight) {
      std::string id = kind + ":" + label;
      auto& n = nodes[id];
      if (n.id.empty()) {
        n.id = id;
        n.kind = kind;
        n.label = label;
        n.seed = seeds.count(label) > 0;
      }
      n.count += weight;
      return id;
    };
    auto edge = [&](const std::string& a, const std::string& b, const std::string& kind,
                    const TimelineRow& r, int64_t weight, bool error) {
      auto& e = edges[{a, b, kind}];
      if (e.source.empty()) {
        e.source = a;
        e.target = b;
        e.kind = kind;
      }
      e.count += weight;
      if (error) e.errors += weight;
      e.first_seen = e.first_seen ? std::min(*e.first_seen, r.time) : r.time;
      e.last_seen = e.last_seen ? std::max(*e.last_seen, r.time) : r.time;
    };
    for (const auto& r : data_.timeline) {
      if (r.severity == Severity::kLow && r.findings.empty()) continue;
      if (data_.incident_start && r.time < *data_.incident_start && r.findings.empty()) continue;
      int64_t w = 1 + r.similar;
      bool error = r.kind == "error";
      std::string actor = r.actor.empty() || r.actor == "anonymous" ? "" : node("principal", r.actor, w);
      std::string key = r.access_key.empty() ? "" : node("access_key", r.access_key, w);
      std::string ip = LooksLikeIp(r.source_ip) ? node("ip", r.source_ip, w) : "";
      if (!actor.empty() && !key.empty()) edge(actor, key, "used key", r, w, error);
      if (!actor.empty() && !ip.empty()) edge(actor, ip, "from", r, w, error);
      if (actor.empty() && !key.empty() && !ip.empty()) edge(key, ip, "from", r, w, error);
      if (r.source_type == "cloudtrail") {
        // What the call acted on: an access key (with its owner), another resource, or a user.
        std::string acted_on;
        if (!r.resource.empty()) {
          bool is_key = r.action.find("AccessKey") != std::string::npos;
          acted_on = node(is_key ? "access_key" : "resource", r.resource, w);
          if (is_key && !r.target_user.empty()) {
            edge(node("principal", r.target_user, w), acted_on, "owns key", r, w, false);
          }
        } else if (!r.target_user.empty() && r.target_user != r.actor) {
          acted_on = node("principal", r.target_user, w);
        }
        if (!actor.empty() && !acted_on.empty()) edge(actor, acted_on, r.action, r, w, error);
      } else {
        std::string origin = !ip.empty() ? ip : actor;
        std::string bucket_or_host;
        auto slash = r.target.find('/');
        if (r.source_type == "s3_access" && !r.target.empty()) {
          bucket_or_host = node("bucket", r.target.substr(0, slash), w);
        }
        if (!origin.empty() && !bucket_or_host.empty()) {
          edge(origin, bucket_or_host,
               r.status > 0 ? std::to_string(r.status) + (r.error_code.empty() ? "" : " " + r.error_code)
                            : "accessed",
               r, w, error);
        }
      }
    }
    // Keep the heaviest nodes within the budget (seeds first).
    std::vector<GraphNode> all;
    for (auto& [id, n] : nodes) all.push_back(std::move(n));
    std::sort(all.begin(), all.end(), [](const GraphNode& a, const GraphNode& b) {
      return a.seed != b.seed ? a.seed : (a.count != b.count ? a.count > b.count : a.id < b.id);
    });
    if (all.size() > options_.max_graph_nodes) all.resize(options_.max_graph_nodes);
    std::set<std::string> kept;
    for (const auto& n : all) kept.insert(n.id);
    for (auto& [key, e] : edges) {
      if (kept.count(e.source) && kept.count(e.target)) data_.edges.push_back(std::move(e));
    }
    std::set<std::string> linked;
    for (const auto& e : data_.edges) {
      linked.insert(e.source);
      linked.insert(e.target);
    }
    for (auto& n : all) {
      if (linked.count(n.id)) data_.nodes.push_back(std::move(n));
    }
    return Ok();
  }

  CaseStore& store_;
  const RunSummary* run_;
  const geo::GeoDb* geo_;
  const ReportOptions& options_;
  ReportData& data_;
  Window window_;
  std::unordered_map<int64_t, std::string> source_names_;
  std::map<int64_t, std::vector<std::string>> cited_;  // event id -> finding ids
  TimeMs burst_end_ = 0;
};

}  // namespace

Result<ReportData> BuildReport(store::CaseStore& store, const RunSummary* run,
                               const geo::GeoDb* geo, std::string geo_description,
                               const ReportOptions& options) {
  ReportData data;
  data.title = "Incident report";
  data.case_path = store.path();
  data.generated_at = options.generated_at;
  data.time_zone = options.time_zone;
  data.window_from = options.from;
  data.window_to = options.to;
  data.geo_description = std::move(geo_description);
  if (run) data.run = *run;
  Builder builder(store, run, geo, options, &data);
  CAIRN_TRY(builder.Build());
  if (!data.time_zone.is_utc()) {
    // The run record quotes times in UTC inside its prose; the report shows them in its zone too.
    auto rezone = [&](std::string& text) { text = RezoneIsoTimestamps(text, data.time_zone); };
    rezone(data.run.verdict_reason);
    for (auto& finding : data.run.findings) {
      rezone(finding.title);
      rezone(finding.sentence);
      for (auto& item : finding.evidence) rezone(item.text);
    }
    for (auto& signal : data.run.signals) rezone(signal.sentence);
    for (auto& action : data.run.actions) rezone(action);
  }
  return data;
}

}  // namespace cairn::report
