#include "engine/report/render.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "engine/report/sha256_internal.h"
#include "tests/testing/testing.h"
#include "tests/unit/report/incident_fixture.h"

namespace cairn::report {
namespace {

using Json = nlohmann::json;

size_t Count(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

class RenderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = store::CaseStore::OpenMemory();
    ASSERT_TRUE(store.has_value());
    store_ = std::move(store).value();
    facts_ = testing::BuildIncidentCase(*store_);
    geo_ = testing::FakeGeoDb();
    auto run = ParseRunRecord(testing::IncidentRunRecord(facts_), "runs/run.json");
    ASSERT_TRUE(run.has_value());
    run_ = std::move(run).value();
  }

  ReportData Build(bool with_run, TimeZone zone = TimeZone::Utc()) {
    ReportOptions options;
    options.generated_at = MakeTimeMs(2024, 2, 1, 12, 0, 0);
    options.time_zone = std::move(zone);
    auto data = BuildReport(*store_, with_run ? &run_ : nullptr, geo_.get(), geo_->Description(), options);
    EXPECT_TRUE(data.has_value()) << data.error().ToString();
    return data.has_value() ? std::move(data).value() : ReportData{};
  }

  static HtmlAssets FakeAssets() {
    HtmlAssets a;
    a.echarts_js = "var echarts = {init: function () {}};";
    a.topojson_js = "var topojson = {};";
    a.world_topojson = R"({"type":"Topology","objects":{"countries":{"type":"GeometryCollection","geometries":[]}},"arcs":[],"note":"</script>"})";
    a.echarts_version = "6.1.0";
    return a;
  }

  std::unique_ptr<store::CaseStore> store_;
  testing::IncidentFacts facts_;
  std::unique_ptr<geo::GeoDb> geo_;
  RunSummary run_;
};

TEST_F(RenderTest, JsonCarriesEverySectionWithExactCounts) {
  ReportData d = Build(true);
  std::string text = RenderJson(d);
  Json j = Json::parse(text);
  EXPECT_EQ(j["verdict"]["verdict"], "malicious");
  EXPECT_DOUBLE_EQ(j["verdict"]["confidence"].get<double>(), 0.9);
  EXPECT_EQ(j["findings"].size(), 3u);
  EXPECT_EQ(j["findings"][1]["evidence"][0]["event_id"], facts_.console_login_event);
  EXPECT_EQ(j["timeline"]["rows"].size(), static_cast<size_t>(facts_.timeline_rows));
  EXPECT_EQ(j["timeline"]["notable"], facts_.notable_events);
  EXPECT_EQ(j["timeline"]["shown"], facts_.timeline_rows);
  EXPECT_EQ(j["status_per_minute"]["codes"], Json::parse("[200,403,404,502]"));
  EXPECT_EQ(j["spike"]["onset"], "2024-01-19T09:45:00Z");
  EXPECT_EQ(j["spike"]["points"].size(), static_cast<size_t>(facts_.spike_points));
  EXPECT_EQ(j["spike"]["total"], facts_.spike_total);
  EXPECT_EQ(j["locations"].size(), 3u);
  EXPECT_EQ(j["locations"][0]["class"], "incident");
  EXPECT_EQ(j["graph"]["nodes"].size(), d.nodes.size());
  EXPECT_EQ(j["graph"]["edges"].size(), d.edges.size());
  EXPECT_EQ(j["custody"]["sources"].size(), static_cast<size_t>(facts_.sources));
  EXPECT_EQ(j["custody"]["total_events"], facts_.total_events);
  EXPECT_EQ(j["report"]["generated_at"], "2024-02-01T12:00:00Z");
  // Steps list the findings they produced.
  EXPECT_EQ(j["steps"][1]["id"], "changes_near_onset");
  EXPECT_EQ(j["steps"][1]["findings"], Json::parse(R"(["change-at-onset"])"));
  EXPECT_EQ(j["steps"][3]["findings"], Json::parse(R"(["new-location"])"));
}

TEST_F(RenderTest, JsonHasNoRawMarkupButKeepsThePayloadsAsData) {
  ReportData d = Build(false);
  std::string text = RenderJson(d);
  EXPECT_EQ(text.find('<'), std::string::npos);
  EXPECT_EQ(text.find('>'), std::string::npos);
  EXPECT_EQ(text.find('&'), std::string::npos);
  Json j = Json::parse(text);
  bool found_ua = false;
  bool found_path = false;
  for (const auto& row : j["timeline"]["rows"]) {
    if (row["user_agent"] == testing::kXssScript) found_ua = true;
    if (row["target"] == std::string("/upload/") + testing::kXssImg) found_path = true;
  }
  EXPECT_TRUE(found_ua);
  EXPECT_TRUE(found_path);
}

TEST_F(RenderTest, MarkdownHasEverySectionAndEscapesEvidence) {
  std::string md = RenderMarkdown(Build(true));
  for (const char* heading :
       {"# Incident report\n", "## Verdict\n", "## Findings\n", "## Recommended actions\n", "## Error spike\n",
        "## Status codes per minute", "## Locations\n", "## Incident graph\n", "## Timeline of notable events\n",
        "## Playbook steps\n", "## Chain of custody\n"}) {
    EXPECT_NE(md.find(heading), std::string::npos) << heading;
  }
  EXPECT_NE(md.find("**MALICIOUS** — confidence 0.9"), std::string::npos);
  EXPECT_NE(md.find("### [HIGH] Access key disabled at the spike onset"), std::string::npos);
  EXPECT_NE(md.find("Produced by step(s): changes\\_near\\_onset"), std::string::npos);
  // No evidence text reaches Markdown as markup.
  EXPECT_EQ(md.find("<script"), std::string::npos);
  EXPECT_EQ(md.find("<img"), std::string::npos);
  EXPECT_EQ(md.find("<b>"), std::string::npos);
  EXPECT_NE(md.find("note=&lt;b&gt;bold&lt;/b&gt;"), std::string::npos);
  EXPECT_NE(md.find("photos-a/&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;.jpg"), std::string::npos);
  EXPECT_NE(md.find("/upload/\"&gt;&lt;img src=x onerror=alert(1)&gt;"), std::string::npos);
  // Timeline rows: one table row per row, by severity (the login is cited: high).
  EXPECT_EQ(static_cast<int64_t>(Count(md, "| high |")), facts_.timeline_high + 1);
  EXPECT_EQ(static_cast<int64_t>(Count(md, "| medium |")), facts_.timeline_medium - 1);
  EXPECT_EQ(static_cast<int64_t>(Count(md, "| low |")), facts_.timeline_low);
  // Locations: 2 incident rows, 1 baseline row; custody: 4 rows with their hashes.
  EXPECT_EQ(Count(md, "| **incident** |"), 2u);
  EXPECT_EQ(Count(md, "| baseline |"), 1u);
  std::string custody = md.substr(md.find("## Chain of custody"));
  EXPECT_EQ(Count(custody, "\n| logs/"), 4u);
  EXPECT_NE(custody.find("| logs/s3/photos-access.log | s3\\_access | "), std::string::npos);
  EXPECT_NE(md.find("| 2024-01-19T09:45:00Z | 20 | 1 | **yes** |"), std::string::npos);
}

TEST_F(RenderTest, TimesInTheZoneWithTheirOffset) {
  // UTC: the zone is named, every time ends in Z, Markdown has no "Times" row.
  Json utc = Json::parse(RenderJson(Build(true)));
  EXPECT_EQ(utc["report"]["time_zone"], "UTC");
  EXPECT_EQ(utc["report"]["time_zone_abbreviations"], "UTC");
  EXPECT_EQ(RenderMarkdown(Build(true)).find("| Times |"), std::string::npos);

  // A fixed offset: the same instants, written with +05:30, in the run record's prose too.
  ASSERT_FALSE(run_.findings.empty());
  run_.findings[0].sentence = "first seen at 2024-01-19T09:45:00Z from 81.2.69.142";
  ReportData d = Build(true, TimeZone::Fixed(330));
  EXPECT_EQ(d.run.findings[0].sentence, "first seen at 2024-01-19T15:15:00+05:30 from 81.2.69.142");
  Json j = Json::parse(RenderJson(d));
  EXPECT_EQ(j["report"]["time_zone"], "+05:30");
  EXPECT_EQ(j["spike"]["onset"], "2024-01-19T15:15:00+05:30");
  EXPECT_EQ(j["report"]["generated_at"], "2024-02-01T17:30:00+05:30");
  EXPECT_EQ(ParseIso8601(j["timeline"]["rows"][0]["time"].get<std::string>()), d.timeline[0].time);
  std::string md = RenderMarkdown(d);
  EXPECT_NE(md.find("| Times | +05:30, each with its UTC offset |"), std::string::npos);
  EXPECT_NE(md.find("| 2024-01-19T15:15:00+05:30 | 20 | 1 | **yes** |"), std::string::npos);
  EXPECT_NE(md.find("first seen at 2024-01-19T15:15:00+05:30"), std::string::npos);
  EXPECT_EQ(j["findings"][0]["sentence"], "first seen at 2024-01-19T15:15:00+05:30 from 81.2.69.142");

  // A named zone: the abbreviations in force over the case.
  auto berlin = TimeZone::Load("Europe/Berlin");
  if (!berlin.has_value()) GTEST_SKIP() << "no zone database (install tzdata)";
  ReportData b = Build(true, *berlin);
  Json jb = Json::parse(RenderJson(b));
  EXPECT_EQ(jb["report"]["time_zone"], "Europe/Berlin");
  EXPECT_EQ(jb["report"]["time_zone_abbreviations"], "CET");
  EXPECT_EQ(jb["spike"]["onset"], "2024-01-19T10:45:00+01:00");
  EXPECT_NE(RenderMarkdown(b).find("| Times | Europe/Berlin (CET), each with its UTC offset |"), std::string::npos);
  // The HTML page embeds the same JSON (the script labels the columns and charts from it).
  std::string html = RenderHtml(b, FakeAssets());
  EXPECT_NE(html.find("\"time_zone\":\"Europe/Berlin\""), std::string::npos);
}

TEST(MarkdownEscapeTest, PipesAndNewlinesCannotBreakATable) {
  ReportData d;
  d.title = "T";
  TimelineRow r;
  r.time = 0;
  r.summary = "a | b\nc";
  r.actor = "x*y_z";
  d.timeline.push_back(r);
  std::string md = RenderMarkdown(d);
  EXPECT_NE(md.find("a \\| b c"), std::string::npos) << md;
  EXPECT_NE(md.find("x\\*y\\_z"), std::string::npos);
  EXPECT_NE(md.find("No playbook run was given"), std::string::npos);
}

// Extracts the text of each <script>...</script> element in order.
std::vector<std::string> Scripts(const std::string& html) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = html.find("<script", pos)) != std::string::npos) {
    size_t open_end = html.find('>', pos);
    size_t close = html.find("</script>", open_end);
    out.push_back(html.substr(open_end + 1, close - open_end - 1));
    pos = close + 9;
  }
  return out;
}

TEST_F(RenderTest, HtmlInlinesEverythingAndKeepsEvidenceInsideJson) {
  ReportData d = Build(true);
  std::string html = RenderHtml(d, FakeAssets());
  // Six script elements: bootstrap, data, world outline, ECharts, topojson-client, the page script.
  EXPECT_EQ(Count(html, "<script"), 6u);
  EXPECT_EQ(Count(html, "</script>"), 6u);
  // Nothing is fetched: no src/href attributes to anything.
  EXPECT_EQ(html.find(" src=\""), std::string::npos);
  EXPECT_EQ(html.find(" href=\""), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("<img"), std::string::npos);
  EXPECT_EQ(html.find("<script>alert"), std::string::npos);
  // The embedded data is exactly the JSON rendering.
  auto scripts = Scripts(html);
  ASSERT_EQ(scripts.size(), 6u);
  EXPECT_EQ(scripts[1], RenderJson(d));
  EXPECT_EQ(Json::parse(scripts[2])["note"], "</script>");
  EXPECT_EQ(scripts[3], FakeAssets().echarts_js);
  // The CSP allows exactly the four executable scripts, by hash, and no network.
  EXPECT_NE(html.find("connect-src 'none'"), std::string::npos);
  EXPECT_NE(html.find("default-src 'none'"), std::string::npos);
  for (size_t idx : {0u, 3u, 4u, 5u}) {
    EXPECT_NE(html.find(CspHash(scripts[idx])), std::string::npos) << idx;
  }
  EXPECT_EQ(Count(html, "'sha256-"), 4u);
  EXPECT_NE(html.find("<title>Incident report — malicious · "), std::string::npos);
}

TEST(Sha256Test, MatchesFipsVectors) {
  auto hex = [](const std::array<uint8_t, 32>& d) {
    std::string s;
    char buf[3];
    for (auto b : d) {
      std::snprintf(buf, sizeof buf, "%02x", b);
      s += buf;
    }
    return s;
  };
  EXPECT_EQ(hex(Sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(hex(Sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(Sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(CspHash(""), "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='");
}

TEST(HtmlAssetsTest, MissingAssetsSayHowToInstallThem) {
  testing::TempDir dir;
  auto assets = LoadHtmlAssets({dir.path().string()});
  ASSERT_FALSE(assets.has_value());
  EXPECT_EQ(assets.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(assets.error().help().find("scripts/install-deps"), std::string::npos);
  EXPECT_NE(assets.error().reason().find(dir.path().string()), std::string::npos);
}

TEST(HtmlAssetsTest, ReadsThePinnedFilesAndRefusesUninlinableScripts) {
  testing::TempDir dir;
  auto modules = dir.path() / ".deps" / "npm" / "node_modules";
  testing::WriteFile(modules / "echarts" / "dist" / "echarts.min.js", "var echarts={};");
  testing::WriteFile(modules / "echarts" / "package.json", "{\n  \"name\": \"echarts\",\n  \"version\": \"6.1.0\"\n}");
  testing::WriteFile(modules / "topojson-client" / "dist" / "topojson-client.min.js", "var topojson={};");
  testing::WriteFile(modules / "world-atlas" / "countries-110m.json", "{}");
  auto assets = LoadHtmlAssets({"/nonexistent-root", dir.path().string()});
  ASSERT_TRUE(assets.has_value()) << assets.error().ToString();
  EXPECT_EQ(assets->echarts_version, "6.1.0");
  EXPECT_EQ(assets->echarts_js, "var echarts={};");
  EXPECT_EQ(assets->origin, modules.string());
  testing::WriteFile(modules / "topojson-client" / "dist" / "topojson-client.min.js", "x='</SCRIPT>'");
  auto bad = LoadHtmlAssets({dir.path().string()});
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kCorruptInput);
}

}  // namespace
}  // namespace cairn::report
