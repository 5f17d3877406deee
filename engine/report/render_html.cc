// The self-contained HTML page: style, data (JSON), ECharts, topojson-client, world outline and the
// page script, all inline. A Content-Security-Policy allows exactly these scripts (by hash) and no
// network access at all, so even a rendering bug could not run injected markup or fetch anything.
#include "engine/common/strings.h"
#include "engine/report/render.h"
#include "engine/report/sha256_internal.h"

namespace cairn::report {

extern const unsigned char kReportJs[];
extern const unsigned char kReportCss[];

namespace {

// JSON text made safe for an HTML <script> element: '<' only occurs inside JSON strings, where
// \u003c is an equivalent spelling, so "</script" and "<!--" cannot appear.
std::string ScriptSafeJson(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (char c : json) {
    if (c == '<') {
      out += "\\u003c";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string RenderHtml(const ReportData& data, const HtmlAssets& assets) {
  std::string bootstrap =
      "window.__cairnErrors=[];window.__cairnAlerts=0;"
      "window.addEventListener('error',function(e){window.__cairnErrors.push(String(e.message||"
      "(e.target&&e.target.tagName?'resource error: '+e.target.tagName:e.type))+(e.lineno?' @'+e.lineno:''))},"
      "true);"
      "window.addEventListener('unhandledrejection',function(e){window.__cairnErrors.push('unhandled "
      "rejection: '+String(e.reason))});"
      "window.alert=function(){window.__cairnAlerts++};"
      "window.CAIRN_ECHARTS_VERSION=" +
      JsonQuote(assets.echarts_version) + ";";
  std::string app_js = reinterpret_cast<const char*>(kReportJs);
  std::string csp = "default-src 'none'; script-src " + CspHash(bootstrap) + " " + CspHash(assets.echarts_js) +
                    " " + CspHash(assets.topojson_js) + " " + CspHash(app_js) +
                    "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; "
                    "base-uri 'none'; form-action 'none'";
  std::string title = data.title + (data.run.present && !data.run.verdict.empty()
                                        ? " — " + data.run.verdict
                                        : std::string());

  std::string out;
  out.reserve(assets.echarts_js.size() + assets.world_topojson.size() + (1 << 20));
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  // The policy holds only fixed text and base64 hashes: no escaping needed inside the attribute.
  out += "<meta http-equiv=\"Content-Security-Policy\" content=\"" + csp + "\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<meta name=\"generator\" content=\"cairn report\">\n";
  out += "<title>" + HtmlEscape(title) + " · " + HtmlEscape(data.case_path) + "</title>\n";
  out += "<style>\n";
  out += reinterpret_cast<const char*>(kReportCss);
  out += "</style>\n</head>\n<body>\n";
  out += "<noscript><p style=\"padding:20px\">This report draws its content with JavaScript. The same "
         "content is available with <code>cairn report --format md</code> or <code>--format json</code>."
         "</p></noscript>\n";
  out += "<div id=\"app\"></div>\n";
  out += "<script>" + bootstrap + "</script>\n";
  out += "<script type=\"application/json\" id=\"cairn-data\">";
  out += ScriptSafeJson(RenderJson(data));
  out += "</script>\n<script type=\"application/json\" id=\"cairn-world\">";
  out += ScriptSafeJson(assets.world_topojson);
  out += "</script>\n<script>";
  out += assets.echarts_js;
  out += "</script>\n<script>";
  out += assets.topojson_js;
  out += "</script>\n<script>";
  out += app_js;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace cairn::report
