#include "engine/cli/playbook_backend.h"

#include <algorithm>
#include <map>
#include <set>

#include "correlators/actor_profile.h"
#include "correlators/change_near_onset.h"
#include "correlators/impossible_travel.h"
#include "correlators/location_baseline.h"
#include "correlators/spike_onset.h"
#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"
#include "engine/correlate/activity.h"
#include "engine/correlate/address.h"
#include "engine/geo/geo_db.h"
#include "engine/graph/entity_graph.h"
#include "engine/graph/relations.h"
#include "engine/query/query.h"

namespace cairn::cli {

using playbook::Json;

namespace {

std::string Iso(TimeMs t) { return FormatIso8601Compact(t); }

// A time argument: epoch ms, an ISO-8601 string, or null/absent.
std::optional<TimeMs> TimeArg(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return std::nullopt;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_string()) {
    if (auto t = ParseIso8601(it->get<std::string>())) return *t;
  }
  return std::nullopt;
}

// A duration argument: ms or "15m"/"7d".
int64_t DurationArg(const Json& args, const char* key, int64_t def) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return def;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_string()) {
    if (auto d = ParseDuration(it->get<std::string>())) return *d;
  }
  return def;
}

int64_t IntArg(const Json& args, const char* key, int64_t def) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return def;
  if (it->is_number()) return it->get<int64_t>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (...) {
      return def;
    }
  }
  return def;
}

double DoubleArg(const Json& args, const char* key, double def) {
  auto it = args.find(key);
  if (it == args.end() || !it->is_number()) return def;
  return it->get<double>();
}

std::string StringArg(const Json& args, const char* key) {
  auto it = args.find(key);
  if (it == args.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  return playbook::RenderValue(*it);
}

// Strings from an argument that may be a string, a list, or a list of lists.
void CollectStrings(const Json& v, std::set<std::string>* out) {
  if (v.is_string()) {
    if (!v.get<std::string>().empty()) out->insert(v.get<std::string>());
  } else if (v.is_array()) {
    for (const auto& item : v) CollectStrings(item, out);
  }
}

Json QueryValueToJson(const query::Value& v) {
  switch (v.kind()) {
    case query::Value::Kind::kNull: return nullptr;
    case query::Value::Kind::kString: return v.str();
    case query::Value::Kind::kInt: return v.is_time() ? Json(Iso(v.int_value())) : Json(v.int_value());
    case query::Value::Kind::kDouble: return v.double_value();
    case query::Value::Kind::kBool: return v.bool_value();
  }
  return nullptr;
}

Json EvidenceJson(int64_t id, TimeMs time, const std::string& event_id, const std::string& source,
                  const std::string& summary) {
  Json e = {{"id", id}, {"time", Iso(time)}, {"source", source}};
  if (!event_id.empty()) e["event_id"] = event_id;
  if (!summary.empty()) e["summary"] = summary;
  return e;
}

Json PlaceJson(const correlate::Place& p) {
  Json j = {{"found", p.found}, {"country_code", p.country_code}, {"country", p.country_name},
            {"city", p.city}};
  j["latitude"] = p.latitude ? Json(*p.latitude) : Json();
  j["longitude"] = p.longitude ? Json(*p.longitude) : Json();
  return j;
}

}  // namespace

CaseBackend::CaseBackend(store::CaseStore& store, const geo::GeoDb* geo, std::string geo_db_path,
                         std::optional<TimeMs> from, std::optional<TimeMs> to)
    : store_(store), geo_(geo), geo_db_path_(std::move(geo_db_path)), from_(from), to_(to) {}

CaseBackend::~CaseBackend() = default;

Result<const graph::EntityGraph*> CaseBackend::Graph() {
  if (!graph_) {
    CAIRN_ASSIGN_OR_RETURN(graph::EntityGraph g, graph::EntityGraph::Load(store_));
    graph_ = std::make_unique<graph::EntityGraph>(std::move(g));
  }
  return graph_.get();
}

Result<std::unique_ptr<store::CaseStore>> OpenCaseWithGraph(const std::string& path) {
  CAIRN_ASSIGN_OR_RETURN(auto store, store::CaseStore::Open(path, store::CaseStore::Mode::kReadOnly));
  CAIRN_ASSIGN_OR_RETURN(bool behind, graph::RelationsBehind(*store));
  if (!behind) return store;
  store.reset();
  auto writable = store::CaseStore::Open(path, store::CaseStore::Mode::kReadWrite);
  if (writable.ok()) {
    Status derived = graph::DeriveRelations(**writable);
    if (derived.ok()) return std::move(writable).value();
    Warn("cannot bring the entity graph up to date: " + derived.error().ToString());
  } else {
    Warn("cannot bring the entity graph up to date: " + writable.error().ToString());
  }
  return store::CaseStore::Open(path, store::CaseStore::Mode::kReadOnly);
}

Json CaseBackend::CaseInfo() {
  Json info = {{"path", store_.path()}};
  if (auto hash = store_.ContentHash(); hash.ok()) info["content_hash"] = *hash;
  if (auto range = store_.TimeRange(); range.ok() && *range) {
    info["first_event"] = Iso((*range)->first);
    info["last_event"] = Iso((*range)->second);
    info["first_event_ms"] = (*range)->first;
    info["last_event_ms"] = (*range)->second;
  }
  if (geo_) info["geoip_db"] = geo_->Description();
  return info;
}

Result<Json> CaseBackend::RunQuery(const std::string& text, const Json& args) {
  query::QueryOptions opt;
  opt.from = from_;
  opt.to = to_;
  if (auto f = TimeArg(args, "from")) opt.from = f;
  if (auto t = TimeArg(args, "to")) opt.to = t;
  opt.geo_db_path = geo_db_path_;
  CAIRN_ASSIGN_OR_RETURN(query::QueryTable table, query::RunQueryTable(store_, text, opt));
  Json rows = Json::array();
  size_t limit = static_cast<size_t>(IntArg(args, "max_rows", 100000));
  for (size_t r = 0; r < table.rows.size() && r < limit; ++r) {
    Json row = Json::object();
    for (size_t c = 0; c < table.columns.size(); ++c) row[table.columns[c]] = QueryValueToJson(table.rows[r][c]);
    rows.push_back(std::move(row));
  }
  Json out = {{"columns", table.columns}, {"rows", rows}, {"count", table.rows.size()},
              {"notices", table.result.notices}};
  return out;
}

namespace {

constexpr const char* kActivityColumns =
    "e.id, e.ts, e.source_type, cairn_raw(e.id), e.actor_arn, e.actor_type, e.actor_name, e.access_key, "
    "e.action, e.bucket, e.object_key, e.resource, e.target_user, e.outcome, e.status, "
    "e.error_code, e.source_ip, e.event_id, coalesce(s.source_name, s.path)";

// Events of the case as correlator activities. `where` uses the e./s. aliases and ? for the time
// bounds (from inclusive, to exclusive), which are bound first.
Result<std::vector<correlate::Activity>> FetchActivities(store::CaseStore& store, const std::string& where,
                                                          TimeMs from, TimeMs to,
                                                          const std::vector<std::string>& params = {}) {
  std::string sql = std::string("SELECT ") + kActivityColumns +
                    " FROM events e JOIN sources s ON s.id = e.source_id WHERE e.ts >= ? AND e.ts < ?" +
                    (where.empty() ? "" : " AND (" + where + ")") + " ORDER BY e.ts, e.id";
  CAIRN_ASSIGN_OR_RETURN(store::Statement st, store.Prepare(sql));
  st.Bind(1, from).Bind(2, to);
  int idx = 3;
  for (const auto& p : params) st.Bind(idx++, std::string_view(p));
  std::vector<correlate::Activity> out;
  while (true) {
    CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
    if (!row) break;
    store::Event e;
    e.time = st.Int(1);
    store::SourceTypeFromName(st.Text(2), &e.source_type);
    e.raw = st.Text(3);
    e.actor_arn = st.Text(4);
    e.actor_type = st.Text(5);
    e.actor_name = st.Text(6);
    e.access_key = st.Text(7);
    e.action = st.Text(8);
    e.bucket = st.Text(9);
    e.object_key = st.Text(10);
    e.resource = st.Text(11);
    e.target_user = st.Text(12);
    e.outcome = st.Text(13);
    e.status = static_cast<int>(st.Int(14));
    e.error_code = st.Text(15);
    e.source_ip = st.Text(16);
    e.event_id = st.Text(17);
    out.push_back(correlate::FromEvent(st.Int(0), e, std::string(st.Text(18))));
  }
  return out;
}

correlate::GeoLookup MakeGeo(const geo::GeoDb* db) {
  if (!db) return {};
  return [db](std::string_view ip) -> correlate::Place {
    correlate::Place p;
    auto loc = db->Lookup(ip);
    if (!loc.ok() || !loc->found) return p;
    p.found = true;
    p.country_code = loc->country_code;
    p.country_name = loc->country_name;
    p.city = loc->city;
    p.latitude = loc->latitude;
    p.longitude = loc->longitude;
    return p;
  };
}

const char* kPrincipalWhere =
    "e.source_type = 'cloudtrail' AND (e.actor_arn = ?3 OR e.actor_name = ?3 COLLATE NOCASE "
    "OR e.access_key = ?3)";

Result<Json> SpikeOnset(const Json& args) {
  std::string time_field = StringArg(args, "time_field");
  if (time_field.empty()) time_field = "_timeslice";
  std::string count_field = StringArg(args, "count_field");
  if (count_field.empty()) count_field = "_count";
  std::vector<correlate::SeriesPoint> series;
  auto rows = args.find("series");
  if (rows != args.end() && rows->is_array()) {
    for (const auto& row : *rows) {
      if (!row.is_object()) continue;
      auto t = TimeArg(row, time_field.c_str());
      auto c = row.find(count_field);
      if (!t || c == row.end() || !c->is_number()) continue;
      series.push_back({*t, c->get<int64_t>()});
    }
  }
  correlators::SpikeParams p;
  p.min_count = IntArg(args, "min_count", p.min_count);
  p.min_duration = static_cast<int>(IntArg(args, "min_duration", p.min_duration));
  p.window = static_cast<int>(IntArg(args, "window", p.window));
  p.threshold = DoubleArg(args, "threshold", p.threshold);
  CAIRN_ASSIGN_OR_RETURN(auto spikes, correlators::FindSpikes(series, p));
  Json out = {{"found", !spikes.empty()}, {"spikes", spikes.size()}, {"points", series.size()}};
  if (spikes.empty()) return out;
  // The largest spike (most errors); ties: the earliest.
  const auto* best = &spikes[0];
  for (const auto& s : spikes) {
    if (s.total > best->total) best = &s;
  }
  out["onset"] = Iso(best->onset);
  out["onset_ms"] = best->onset;
  out["end"] = Iso(best->end);
  out["end_ms"] = best->end;
  out["until_ms"] = best->end + p.bucket_ms;  // exclusive end of the spike
  out["ongoing"] = best->ongoing;
  out["peak"] = best->peak;
  out["peak_minute"] = Iso(best->peak_minute);
  out["total"] = best->total;
  out["minutes"] = best->buckets;
  out["baseline_mean"] = best->baseline_mean;
  out["baseline_sd"] = best->baseline_sd;
  out["upper"] = best->upper;
  Json ctx = Json::array();
  for (const auto& pt : best->context) ctx.push_back({{"minute", Iso(pt.minute)}, {"count", pt.count}});
  out["series"] = ctx;
  out["evidence"] = Json::array({{{"time", Iso(best->onset)},
                                  {"summary", std::to_string(best->total) + " errors over " +
                                                  std::to_string(best->buckets) + " minutes, peak " +
                                                  std::to_string(best->peak) + "/min"}}});
  return out;
}

}  // namespace

Result<Json> CaseBackend::RunCorrelator(const std::string& name, const Json& args) {
  if (name == "spike_onset") return SpikeOnset(args);
  if (name == "change_near_onset") {
    auto onset = TimeArg(args, "onset");
    if (!onset) return Error::InvalidArgument("change_near_onset needs 'onset' (a time)");
    correlators::ChangeParams p;
    p.before_ms = DurationArg(args, "before", p.before_ms);
    p.after_ms = DurationArg(args, "after", p.after_ms);
    std::set<std::string> deps;
    if (args.contains("dependencies")) CollectStrings(args["dependencies"], &deps);
    CAIRN_ASSIGN_OR_RETURN(auto events, FetchActivities(store_, "e.source_type = 'cloudtrail'",
                                                        *onset - p.before_ms,
                                                        *onset + p.after_ms + p.onset_bucket_ms));
    CAIRN_ASSIGN_OR_RETURN(auto cands, correlators::FindChangesNearOnset(events, *onset, deps, p));
    Json list = Json::array();
    for (const auto& c : cands) {
      list.push_back({{"id", c.id}, {"event_id", c.event_id}, {"time", Iso(c.time)},
                      {"offset_s", c.offset_ms / 1000}, {"action", c.action},
                      {"kind", correlators::ChangeKindName(c.kind)}, {"actor", c.actor},
                      {"actor_name", c.actor_name}, {"source_ip", c.source_ip},
                      {"target_key", c.target_key}, {"target_user", c.target_user},
                      {"target", c.target}, {"new_status", c.new_status}, {"failed", c.failed},
                      {"dependency", c.dependency}, {"disruptive", c.disruptive},
                      {"score", c.score}, {"reasons", c.reasons}, {"source", c.source}});
    }
    Json out = {{"found", !cands.empty()}, {"count", cands.size()}, {"candidates", list}};
    if (!cands.empty()) {
      out["top"] = list[0];
      const auto& c = cands[0];
      out["evidence"] = Json::array({EvidenceJson(c.id, c.time, c.event_id, c.source,
                                                  c.action + " by " + c.actor_name + " from " + c.source_ip)});
    }
    return out;
  }
  if (name == "location_baseline" || name == "actor_profile" || name == "impossible_travel") {
    std::string principal = StringArg(args, "principal");
    if (principal.empty()) return Error::InvalidArgument(name + " needs 'principal'");
    auto from = TimeArg(args, "from");
    auto to = TimeArg(args, "to");
    if (!from || !to) return Error::InvalidArgument(name + " needs 'from' and 'to' (the incident window)");
    auto bfrom = TimeArg(args, "baseline_from");
    auto bto = TimeArg(args, "baseline_to");
    std::vector<std::string> params = {principal};
    CAIRN_ASSIGN_OR_RETURN(auto events, FetchActivities(store_, kPrincipalWhere, *from, *to, params));
    std::vector<correlate::Activity> baseline;
    if (bfrom && bto) {
      CAIRN_ASSIGN_OR_RETURN(baseline, FetchActivities(store_, kPrincipalWhere, *bfrom, *bto, params));
    }
    auto geo = MakeGeo(geo_);
    if (name == "location_baseline") {
      correlators::LocationParams p;
      std::string level = StringArg(args, "level");
      if (!level.empty() && !correlators::LocationLevelFromName(level, &p.level)) {
        return Error::InvalidArgument("location_baseline: unknown level '" + level + "'")
            .WithHelp("use country, city or network");
      }
      CAIRN_ASSIGN_OR_RETURN(auto rep, correlators::CompareLocations(baseline, events, geo, p));
      auto locs = [&](const std::vector<correlators::PrincipalLocations>& v) {
        Json j = {{"countries", Json::array()}, {"cities", Json::array()}, {"addresses", Json::array()}, {"events", 0}};
        for (const auto& pl : v) {
          j["countries"] = pl.countries;
          j["cities"] = pl.cities;
          j["addresses"] = pl.addresses;
          j["events"] = pl.events;
        }
        return j;
      };
      Json out = {{"principal", principal}, {"baseline", locs(rep.baseline)}, {"incident", locs(rep.incident)},
                  {"has_baseline", !rep.baseline.empty()}};
      std::set<std::string> new_countries;
      std::set<std::string> new_addresses;
      Json outside = Json::array();
      Json evidence = Json::array();
      for (const auto& o : rep.outside) {
        if (o.new_country) new_countries.insert(o.place.country_code);
        new_addresses.insert(o.source_ip);
        Json item = {{"id", o.id}, {"event_id", o.event_id}, {"time", Iso(o.time)}, {"action", o.action},
                     {"source_ip", o.source_ip}, {"place", PlaceJson(o.place)}, {"new_country", o.new_country},
                     {"new_city", o.new_city}, {"reasons", o.reasons}};
        outside.push_back(item);
        if (evidence.size() < 20) {
          evidence.push_back(EvidenceJson(o.id, o.time, o.event_id, o.source,
                                          o.action + " from " + o.source_ip + " (" + o.place.country_code +
                                              (o.place.city.empty() ? "" : ", " + o.place.city) + ")"));
        }
      }
      out["outside"] = outside;
      out["outside_count"] = outside.size();
      out["new_countries"] = Json(std::vector<std::string>(new_countries.begin(), new_countries.end()));
      std::vector<std::string> new_country_names;
      for (const auto& cc : new_countries) new_country_names.push_back(geo::CountryNameForCode(cc).empty() ? cc : geo::CountryNameForCode(cc));
      out["new_country_names"] = new_country_names;
      out["new_addresses"] = Json(std::vector<std::string>(new_addresses.begin(), new_addresses.end()));
      // Every located address of the principal in both windows, for maps.
      Json points = Json::array();
      std::map<std::pair<std::string, bool>, int64_t> seen;
      for (const auto* list : {&baseline, &events}) {
        bool incident = list == &events;
        for (const auto& a : *list) {
          if (correlate::IsLocatable(a.source_ip)) seen[{a.source_ip, incident}]++;
        }
      }
      for (const auto& [key, count] : seen) {
        correlate::Place place = geo ? geo(key.first) : correlate::Place{};
        Json pt = PlaceJson(place);
        pt["ip"] = key.first;
        pt["window"] = key.second ? "incident" : "baseline";
        pt["count"] = count;
        points.push_back(pt);
      }
      out["points"] = points;
      out["evidence"] = evidence;
      out["found"] = !outside.empty();
      return out;
    }
    if (name == "impossible_travel") {
      correlators::TravelParams p;
      p.max_speed_kmh = DoubleArg(args, "max_speed_kmh", p.max_speed_kmh);
      CAIRN_ASSIGN_OR_RETURN(auto hops, correlators::FindImpossibleTravel(events, geo, p));
      Json list = Json::array();
      Json evidence = Json::array();
      for (const auto& h : hops) {
        list.push_back({{"from_ip", h.from.source_ip}, {"to_ip", h.to.source_ip},
                        {"from_country", h.from.place.country_code}, {"to_country", h.to.place.country_code},
                        {"distance_km", h.distance_km}, {"speed_kmh", h.speed_kmh},
                        {"from_time", Iso(h.from.time)}, {"to_time", Iso(h.to.time)}});
        evidence.push_back(EvidenceJson(h.to.id, h.to.time, h.to.event_id, h.to.source,
                                        h.to.action + " from " + h.to.source_ip));
      }
      return Json{{"found", !hops.empty()}, {"hops", list}, {"evidence", evidence}};
    }
    // actor_profile
    correlators::ProfileParams p;
    CAIRN_ASSIGN_OR_RETURN(auto prof, correlators::BuildActorProfile(events, baseline, principal, p));
    Json keys = Json::array();
    Json evidence = Json::array();
    std::set<std::string> key_ids;
    std::set<std::string> disabled;
    std::set<std::string> created;
    std::map<int64_t, std::string> source_of;
    for (const auto& a : events) source_of[a.id] = a.source;
    for (const auto& k : prof.keys_touched) {
      keys.push_back({{"id", k.id}, {"event_id", k.event_id}, {"time", Iso(k.time)}, {"action", k.action},
                      {"key", k.key}, {"target_user", k.target_user}, {"new_status", k.new_status},
                      {"failed", k.failed}});
      if (!k.failed && !k.key.empty()) {
        key_ids.insert(k.key);
        if (k.new_status == "Inactive" || k.action == "DeleteAccessKey") disabled.insert(k.key);
        if (k.action == "CreateAccessKey") created.insert(k.key);
      }
      evidence.push_back(EvidenceJson(k.id, k.time, k.event_id, source_of[k.id],
                                      k.action + " " + k.key + (k.target_user.empty() ? "" : " of " + k.target_user) +
                                          (k.new_status.empty() ? "" : " → " + k.new_status)));
    }
    Json actions = Json::array();
    for (const auto& a : prof.actions) {
      actions.push_back({{"action", a.action}, {"count", a.count}, {"failures", a.failures}});
    }
    Json users = Json::array();
    for (const auto& u : prof.users_affected) users.push_back({{"user", u.user}, {"count", u.count}, {"actions", u.actions}});
    Json addrs = Json::array();
    for (const auto& a : prof.addresses) addrs.push_back({{"address", a.address}, {"count", a.count}});
    Json recon = Json::array();
    int64_t recon_calls = 0;
    for (const auto& r : prof.recon_bursts) {
      recon.push_back({{"start", Iso(r.start)}, {"end", Iso(r.end)}, {"calls", r.calls}, {"actions", r.actions}});
      recon_calls += r.calls;
    }
    Json logins = Json::array();
    for (const auto& l : prof.logins) {
      logins.push_back({{"event_id", l.event_id}, {"time", Iso(l.time)}, {"action", l.action},
                        {"source_ip", l.source_ip}, {"outcome", l.outcome}});
    }
    Json out = {{"principal", principal}, {"events", prof.events}, {"failures", prof.failures},
                {"identities", prof.identities}, {"actions", actions}, {"keys_touched", keys},
                {"key_ids", Json(std::vector<std::string>(key_ids.begin(), key_ids.end()))},
                {"keys_disabled", Json(std::vector<std::string>(disabled.begin(), disabled.end()))},
                {"keys_created", Json(std::vector<std::string>(created.begin(), created.end()))},
                {"keys_used", prof.keys_used}, {"users_affected", users}, {"addresses", addrs},
                {"has_baseline", prof.has_baseline}, {"baseline_events", prof.baseline_events},
                {"first_seen_actions", prof.first_seen_actions}, {"recon_bursts", recon},
                {"recon_calls", recon_calls}, {"logins", logins}, {"new_hours", prof.new_hours},
                {"evidence", evidence}};
    if (prof.events > 0) {
      out["first"] = Iso(prof.first);
      out["last"] = Iso(prof.last);
    }
    return out;
  }
  std::string names;
  for (const auto& [n, d] : PlaybookCorrelators()) names += (names.empty() ? "" : ", ") + n;
  return Error::NotFound("unknown correlator '" + name + "'").WithHelp("known correlators: " + names);
}

Result<Json> CaseBackend::RunGraph(const std::string& walk, const Json& args) {
  if (walk == "dependencies") {
    // What the failing requests depended on: the addresses that made them, and the access keys and
    // principals those addresses used successfully before the failures began.
    auto from = TimeArg(args, "from");
    auto to = TimeArg(args, "to");
    if (!from || !to) return Error::InvalidArgument("dependencies needs 'from' and 'to' (the failure window)");
    int64_t lookback = DurationArg(args, "lookback", 7LL * 86400000);
    int64_t min_status = IntArg(args, "min_status", 400);
    std::string error_code = StringArg(args, "error_code");
    std::string sql =
        "SELECT source_ip, count(*), group_concat(DISTINCT bucket) FROM events WHERE source_type = "
        "'s3_access' AND status >= ? AND ts >= ? AND ts < ? AND source_ip IS NOT NULL" +
        std::string(error_code.empty() ? "" : " AND error_code = ?") + " GROUP BY source_ip ORDER BY 2 DESC, 1";
    CAIRN_ASSIGN_OR_RETURN(store::Statement st, store_.Prepare(sql));
    st.Bind(1, min_status).Bind(2, *from).Bind(3, *to);
    if (!error_code.empty()) st.Bind(4, std::string_view(error_code));
    Json ips = Json::array();
    std::vector<std::string> ip_list;
    while (true) {
      CAIRN_ASSIGN_OR_RETURN(bool row, st.Step());
      if (!row) break;
      ip_list.emplace_back(st.Text(0));
      ips.push_back({{"ip", std::string(st.Text(0))}, {"failures", st.Int(1)}});
    }
    // The walk: from each failing address, along the relations active in the lookback window
    // that began before the failures (acted-from: key -> address, principal -> address), then
    // from each key to the principal that signed with it and the user that owns it.
    CAIRN_ASSIGN_OR_RETURN(const graph::EntityGraph* g, Graph());
    graph::TimeWindow before{*from - lookback, *from};
    struct KeyDep {
      const graph::Entity* key = nullptr;
      int64_t requests = 0;
      TimeMs last_seen = 0;  // of the relation (it may run past the onset)
      std::set<int64_t> evidence;
    };
    std::map<std::string, KeyDep> key_deps;
    std::map<std::string, int64_t> principal_deps;
    std::set<int64_t> evidence;
    for (const auto& ip : ip_list) {
      const graph::Entity* node = g->Find(graph::kKindIp, ip);
      if (!node) continue;
      for (const auto& n : g->Neighbors(node->id, before)) {
        if (n.edge->kind != graph::kEdgeActedFrom || n.outgoing) continue;
        if (n.edge->first_seen >= *from || n.edge->count <= n.edge->errors) continue;
        int64_t ok_requests = n.edge->count - n.edge->errors;
        if (n.entity->kind == graph::kKindKey) {
          KeyDep& d = key_deps[n.entity->key];
          d.key = n.entity;
          d.requests += ok_requests;
          d.last_seen = std::max(d.last_seen, n.edge->last_seen);
          d.evidence.insert(n.edge->sample_events.begin(), n.edge->sample_events.end());
        } else if (graph::IsPrincipalKind(n.entity->kind)) {
          principal_deps[n.entity->key] += ok_requests;
          evidence.insert(n.edge->sample_events.begin(), n.edge->sample_events.end());
        }
      }
    }
    std::vector<const KeyDep*> ranked;
    for (const auto& [k, d] : key_deps) ranked.push_back(&d);
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const KeyDep* a, const KeyDep* b) { return a->requests > b->requests; });
    Json keys = Json::array();
    std::set<std::string> key_set;
    std::set<std::string> principal_set;
    for (const KeyDep* d : ranked) {
      std::string principal, owner;
      for (const auto& n : g->Neighbors(d->key->id, {})) {
        if (n.outgoing) continue;
        if (n.edge->kind == graph::kEdgeAuthenticatedWith && principal.empty()) principal = n.entity->key;
        if (n.edge->kind == graph::kEdgeOwns && owner.empty()) owner = n.entity->label;
      }
      key_set.insert(d->key->key);
      if (!principal.empty()) principal_set.insert(principal);
      evidence.insert(d->evidence.begin(), d->evidence.end());
      keys.push_back({{"key", d->key->key}, {"principal", principal}, {"owner", owner},
                      {"requests", d->requests}, {"last_seen", Iso(d->last_seen)}});
    }
    std::vector<std::pair<std::string, int64_t>> by_requests(principal_deps.begin(), principal_deps.end());
    std::stable_sort(by_requests.begin(), by_requests.end(),
                     [](const auto& a, const auto& b) { return a.second > b.second; });
    Json principals = Json::array();
    for (const auto& [p, n] : by_requests) {
      principals.push_back({{"principal", p}, {"requests", n}});
      principal_set.insert(p);
    }
    Json out = {{"ips", ips}, {"ip_list", ip_list}, {"keys", keys},
                {"key_ids", Json(std::vector<std::string>(key_set.begin(), key_set.end()))},
                {"principals", principals},
                {"principal_list", Json(std::vector<std::string>(principal_set.begin(), principal_set.end()))},
                {"found", !key_set.empty() || !principal_set.empty()},
                {"evidence", Json(std::vector<int64_t>(evidence.begin(), evidence.end()))}};
    if (!keys.empty()) out["key"] = keys[0]["key"], out["key_owner"] = keys[0]["owner"];
    return out;
  }
  if (walk == "show" || walk == "blast-radius" || walk == "path") {
    CAIRN_ASSIGN_OR_RETURN(const graph::EntityGraph* g, Graph());
    graph::WalkOptions options;
    if (auto t = TimeArg(args, "from")) options.window.from = *t;
    if (auto t = TimeArg(args, "to")) options.window.to = *t;
    options.max_depth = static_cast<int>(IntArg(args, "max_depth", 3));
    auto resolve = [&](const char* key) -> Result<const graph::Entity*> {
      std::string ref = StringArg(args, key);
      if (ref.empty()) return Error::InvalidArgument("graph walk '" + walk + "' needs '" + key + "'");
      return g->Resolve(ref);
    };
    auto entity_json = [](const graph::Entity& e) {
      return Json{{"ref", graph::EntityRef(e)}, {"kind", e.kind}, {"key", e.key}, {"label", e.label}};
    };
    auto edge_json = [](const graph::Edge& e) {
      return Json{{"kind", e.kind}, {"count", e.count}, {"errors", e.errors}, {"first_seen", Iso(e.first_seen)},
                  {"last_seen", Iso(e.last_seen)}, {"evidence", e.sample_events}};
    };
    if (walk == "show") {
      CAIRN_ASSIGN_OR_RETURN(const graph::Entity* e, resolve("entity"));
      Json neighbors = Json::array();
      for (const auto& n : g->Neighbors(e->id, options.window)) {
        Json row = edge_json(*n.edge);
        row["direction"] = n.outgoing ? "out" : "in";
        row["entity"] = entity_json(*n.entity);
        neighbors.push_back(std::move(row));
      }
      return Json{{"entity", entity_json(*e)}, {"neighbors", neighbors}, {"count", neighbors.size()},
                  {"found", !neighbors.empty()}};
    }
    if (walk == "blast-radius") {
      CAIRN_ASSIGN_OR_RETURN(const graph::Entity* e, resolve("entity"));
      Json reached = Json::array();
      std::map<std::string, std::vector<std::string>> by_kind;
      for (const auto& r : g->BlastRadius(e->id, options)) {
        Json row = entity_json(*r.entity);
        row["depth"] = r.depth;
        if (r.via) row["via"] = r.via->kind;
        if (r.parent) row["from"] = graph::EntityRef(*r.parent);
        reached.push_back(std::move(row));
        by_kind[r.entity->kind].push_back(r.entity->key);
      }
      return Json{{"entity", entity_json(*e)}, {"reached", reached}, {"by_kind", by_kind},
                  {"count", reached.size()}, {"found", !reached.empty()}};
    }
    CAIRN_ASSIGN_OR_RETURN(const graph::Entity* a, resolve("from_entity"));
    CAIRN_ASSIGN_OR_RETURN(const graph::Entity* b, resolve("to_entity"));
    auto path = g->ShortestPath(a->id, b->id, options);
    if (!path.ok()) return Json{{"found", false}, {"steps", Json::array()}, {"hops", 0}};
    Json steps = Json::array();
    for (const auto& step : *path) {
      Json row = edge_json(*step.edge);
      row["from"] = graph::EntityRef(*step.from);
      row["to"] = graph::EntityRef(*step.to);
      steps.push_back(std::move(row));
    }
    return Json{{"found", true}, {"steps", steps}, {"hops", steps.size()}};
  }
  return Error::Unsupported("graph walk '" + walk + "' is not available to playbooks")
      .WithHelp("available walks: dependencies, show, blast-radius, path");
}

std::vector<std::pair<std::string, std::string>> PlaybookCorrelators() {
  return {
      {"spike_onset", "the minute a sustained spike of a per-minute count begins (args: series, count_field, min_count)"},
      {"change_near_onset", "credential and permission changes ranked around an onset (args: onset, dependencies, before, after)"},
      {"location_baseline", "a principal's locations in a window against its baseline (args: principal, from, to, baseline_from, baseline_to)"},
      {"actor_profile", "everything a principal did in a window (args: principal, from, to, baseline_from, baseline_to)"},
      {"impossible_travel", "consecutive actions too far apart to travel (args: principal, from, to)"},
  };
}

}  // namespace cairn::cli
