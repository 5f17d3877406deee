#pragma once
// Renderers of a ReportData (engine/report/report.h): JSON for machines, Markdown for tickets,
// and one self-contained HTML page with charts (Apache ECharts), a world map and the graph.
//
// Escaping contract: every evidence-derived string reaches the HTML page only as JSON data inside
// <script type="application/json"> (JsonQuote escapes <, > and &, so "</script>" cannot end the
// element) and is put into the DOM by the page's script with textContent, never innerHTML.
// Markdown escapes the characters Markdown and HTML give meaning to. The renderers are pure
// functions, thread-safe.

#include <string>
#include <vector>

#include "engine/common/result.h"
#include "engine/report/report.h"

namespace cairn::report {

// The report as one JSON object (docs/report.md lists the fields). Safe to embed in HTML.
std::string RenderJson(const ReportData& data);

// The abbreviations data.time_zone uses from the first to the last event of the report (the window,
// else the generation time, when it has no events): "CET/CEST", "IST"; "UTC" for UTC, "+02:00" for
// a fixed offset. For the legends that say which zone the times are in.
std::string TimeZoneAbbreviations(const ReportData& data);

// The report as GitHub-flavoured Markdown. Long tables are cut (the JSON has everything).
std::string RenderMarkdown(const ReportData& data);

// Third-party front-end assets inlined into the HTML page.
struct HtmlAssets {
  std::string echarts_js;      // echarts/dist/echarts.min.js
  std::string topojson_js;     // topojson-client/dist/topojson-client.min.js
  std::string world_topojson;  // world-atlas/countries-110m.json
  std::string echarts_version;
  std::string origin;          // the directory they were read from
};

// Finds and reads the assets under <root>/.deps/npm/node_modules for each root in order.
// Errors: kNotFound naming the files looked for, with help to run scripts/install-deps;
// kCorruptInput when a script contains "</script" (it could not be inlined safely).
Result<HtmlAssets> LoadHtmlAssets(const std::vector<std::string>& roots);

// The self-contained page. Opening it makes no network request. The page runs a self-check when
// its URL ends in #selftest and writes the result (JSON) into <pre id="selftest">.
std::string RenderHtml(const ReportData& data, const HtmlAssets& assets);

}  // namespace cairn::report
