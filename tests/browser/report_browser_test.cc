// Loads the HTML report in headless Chromium and checks what a reader would see: no script error,
// every chart painted, the expected map points and timeline rows, and the XSS payloads shown as
// text. The page's own self-check (#selftest) writes its findings into <pre id="selftest">, which
// --dump-dom returns. Writes the pages and a screenshot into the build directory for review.
//
// Exit codes: 0 pass, 1 fail, 77 skipped (Chromium not installed).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/geo/geo_db.h"
#include "engine/report/render.h"
#include "engine/report/report.h"
#include "tests/testing/testing.h"
#include "tests/unit/report/incident_fixture.h"

namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;
using cairn::testing::IncidentFacts;

int g_failures = 0;

void Check(bool ok, const std::string& what) {
  std::printf("%s %s\n", ok ? "  ok  " : "  FAIL", what.c_str());
  if (!ok) ++g_failures;
}

template <typename A, typename B>
void CheckEq(const A& actual, const B& expected, const std::string& what) {
  bool ok = actual == expected;
  std::string detail = what;
  if (!ok) detail += " (expected " + Json(expected).dump() + ", got " + Json(actual).dump() + ")";
  Check(ok, detail);
}

std::string FindChromium() {
  if (const char* env = std::getenv("CAIRN_CHROMIUM"); env && *env) return env;
  for (const char* path : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (access(path, X_OK) == 0) return path;
  }
  return "";
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

// Flags for a hermetic headless run: fresh profile, no background traffic (the network is closed).
std::string ChromiumCommand(const std::string& chromium, const fs::path& profile) {
  return Quote(chromium) +
         " --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking"
         " --disable-component-update --disable-sync --disable-extensions --hide-scrollbars --mute-audio"
         " --force-device-scale-factor=1 --user-data-dir=" + Quote(profile.string());
}

std::string HtmlUnescape(const std::string& s) {
  std::string out;
  for (size_t idx = 0; idx < s.size(); ++idx) {
    if (s[idx] != '&') {
      out += s[idx];
      continue;
    }
    static const std::pair<const char*, char> kEntities[] = {
        {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
    bool matched = false;
    for (const auto& [entity, c] : kEntities) {
      if (s.compare(idx, std::strlen(entity), entity) == 0) {
        out += c;
        idx += std::strlen(entity) - 1;
        matched = true;
        break;
      }
    }
    if (!matched) out += '&';
  }
  return out;
}

struct PageResult {
  bool ok = false;
  Json selftest;
  std::string dom;
};

PageResult LoadWithSelfTest(const std::string& chromium, const fs::path& html, const fs::path& work) {
  PageResult result;
  std::string out, err;
  std::string cmd = ChromiumCommand(chromium, work / "profile-dom") +
                    " --virtual-time-budget=20000 --dump-dom " + Quote("file://" + html.string() + "#selftest");
  int rc = cairn::testing::RunCommand("timeout 120 " + cmd, &out, &err);
  result.dom = out;
  auto open = out.find("<pre id=\"selftest\">");
  auto close = open == std::string::npos ? open : out.find("</pre>", open);
  if (rc != 0 || close == std::string::npos) {
    std::printf("chromium exit %d; no self-test output. stderr tail:\n%s\n", rc,
                err.substr(err.size() > 2000 ? err.size() - 2000 : 0).c_str());
    return result;
  }
  std::string text = HtmlUnescape(out.substr(open + 19, close - open - 19));
  result.selftest = Json::parse(text, nullptr, false);
  result.ok = !result.selftest.is_discarded();
  if (!result.ok) std::printf("self-test output is not JSON: %s\n", text.c_str());
  return result;
}

// The checks shared by both pages.
void CheckPage(const PageResult& page, const cairn::report::ReportData& data, int64_t expected_rows,
               int64_t expected_high, size_t expected_points, const std::string& name) {
  std::printf("%s: %s\n", name.c_str(), page.selftest.dump().c_str());
  const Json& s = page.selftest;
  CheckEq(s["errors"], Json::array(), name + ": no script error");
  CheckEq(s["alerts"].get<int>(), 0, name + ": alert() never called");
  CheckEq(s["xss_flag"].get<int>(), 0, name + ": no injected handler ran");
  CheckEq(s["injected_elements"].get<int>(), 0, name + ": no img/iframe/object/embed elements");
  CheckEq(s["scripts"].get<int>(), 6, name + ": exactly the six inline script elements");
  for (const char* chart : {"chart-spike", "chart-status", "chart-map", "chart-graph"}) {
    int painted = s["charts"][chart].get<int>();
    Check(painted > 500, name + ": " + chart + " painted (" + std::to_string(painted) + " sampled pixels)");
  }
  CheckEq(s["map_points"].get<size_t>(), expected_points, name + ": map points");
  CheckEq(s["map_points_placed"].get<size_t>(), expected_points, name + ": map points projected");
  CheckEq(s["graph_nodes"].get<size_t>(), data.nodes.size(), name + ": graph nodes drawn");
  Check(!data.nodes.empty(), name + ": graph not empty (" + std::to_string(data.nodes.size()) + " nodes)");
  CheckEq(s["timeline_rows"].get<int64_t>(), expected_rows, name + ": timeline rows");
  CheckEq(s["timeline_visible_rows"].get<int64_t>(), expected_rows, name + ": all rows visible after filters reset");
  CheckEq(s["timeline_high_rows"].get<int64_t>(), expected_high, name + ": rows left by the 'high' filter");
  CheckEq(s["onset_marker"].get<int>(), 1, name + ": onset marker row");
  CheckEq(s["custody_rows"].get<size_t>(), data.sources.size(), name + ": custody rows");
  CheckEq(s["findings"].get<size_t>(), data.run.findings.size(), name + ": finding cards");
  // The payloads are in the DOM as text (serialised escaped), never as elements.
  Check(page.dom.find("&lt;script&gt;alert(1)&lt;/script&gt;") != std::string::npos,
        name + ": <script>alert(1)</script> rendered as text");
  Check(page.dom.find("\"&gt;&lt;img src=x onerror=alert(1)&gt;") != std::string::npos,
        name + ": \"><img src=x onerror=...> rendered as text");
  // Outside the script elements (ECharts' own source mentions "<img" in strings).
  std::string markup;
  for (size_t pos = 0; pos < page.dom.size();) {
    size_t script = page.dom.find("<script", pos);
    markup += page.dom.substr(pos, script == std::string::npos ? std::string::npos : script - pos);
    if (script == std::string::npos) break;
    size_t end = page.dom.find("</script>", script);
    pos = end == std::string::npos ? page.dom.size() : end + 9;
  }
  Check(markup.find("<img") == std::string::npos && markup.find("onerror=\"") == std::string::npos,
        name + ": no <img> element or onerror attribute in the DOM");
}

}  // namespace

int main() {
  std::string chromium = FindChromium();
  if (chromium.empty()) {
    std::printf("SKIP: Chromium is not installed (Debian package 'chromium'; scripts/install-deps installs it)\n");
    return 77;
  }
  fs::path out_dir = CAIRN_BROWSER_OUT_DIR;
  cairn::testing::TempDir work;

  auto assets = cairn::report::LoadHtmlAssets({CAIRN_SOURCE_DIR});
  if (!assets.has_value()) {
    std::printf("FAIL: %s\n%s\nhelp: %s\n", assets.error().message().c_str(), assets.error().reason().c_str(),
                assets.error().help().c_str());
    return 1;
  }

  auto store = cairn::store::CaseStore::OpenMemory();
  if (!store.has_value()) return 1;
  IncidentFacts facts = cairn::testing::BuildIncidentCase(**store);

  // The real GeoIP code on MaxMind's test database when it is available, else the fixture's table.
  std::unique_ptr<cairn::geo::GeoDb> geo;
  fs::path mmdb = cairn::testing::SharedData() / "geoip" / "GeoIP2-City-Test.mmdb";
  if (auto opened = cairn::geo::GeoDb::Open(mmdb.string()); opened.has_value()) {
    geo = std::move(opened).value();
  } else {
    std::printf("note: GeoDb::Open(%s) failed (%s); using the fixture's locations\n", mmdb.c_str(),
                opened.error().message().c_str());
    geo = cairn::testing::FakeGeoDb();
  }
  std::printf("GeoIP: %s\nChromium: %s\n", geo->Description().c_str(), chromium.c_str());

  auto run = cairn::report::ParseRunRecord(cairn::testing::IncidentRunRecord(facts), "run.json");
  if (!run.has_value()) return 1;
  cairn::report::ReportOptions options;
  options.generated_at = cairn::MakeTimeMs(2024, 2, 1, 12, 0, 0);

  struct Variant {
    std::string name;
    const cairn::report::RunSummary* run;
    int64_t rows;
    int64_t high;
    size_t points;
  };
  // With the run: the cited login is raised to high, and the map shows the named actor only.
  std::vector<Variant> variants = {
      {"with-run", &*run, facts.timeline_rows, facts.timeline_high + 1, 3},
      {"case-only", nullptr, facts.timeline_rows, facts.timeline_high, static_cast<size_t>(facts.locations)},
  };
  for (const auto& v : variants) {
    auto data = cairn::report::BuildReport(**store, v.run, geo.get(), geo->Description(), options);
    if (!data.has_value()) {
      std::printf("FAIL: %s\n", data.error().ToString().c_str());
      return 1;
    }
    data->case_path = "incident-fixture.cairn";
    fs::path html = out_dir / ("report-" + v.name + ".html");
    cairn::testing::WriteFile(html, cairn::report::RenderHtml(*data, *assets));
    std::printf("wrote %s\n", html.c_str());
    PageResult page = LoadWithSelfTest(chromium, html, work.path());
    Check(page.ok, v.name + ": page loaded and self-test ran");
    if (page.ok) CheckPage(page, *data, v.rows, v.high, v.points, v.name);
    CheckEq(data->locations.size(), v.points, v.name + ": locations in the report data");
  }

  // A screenshot of the full report for review.
  fs::path shot = out_dir / "report-screenshot.png";
  std::error_code ec;
  fs::remove(shot, ec);
  std::string out, err;
  std::string cmd = ChromiumCommand(chromium, work.path() / "profile-shot") +
                    " --virtual-time-budget=10000 --window-size=1400,6400 --screenshot=" + Quote(shot.string()) +
                    " " + Quote("file://" + (out_dir / "report-with-run.html").string());
  int rc = cairn::testing::RunCommand("timeout 120 " + cmd, &out, &err);
  Check(rc == 0 && fs::exists(shot) && fs::file_size(shot) > 50000,
        "screenshot written: " + shot.string());

  std::printf("%s: %d failure(s)\n", g_failures ? "FAIL" : "PASS", g_failures);
  return g_failures ? 1 : 0;
}
