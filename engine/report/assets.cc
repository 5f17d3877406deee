// Locating the pinned npm assets (scripts/npm/package.json) that the HTML page inlines.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/common/strings.h"
#include "engine/report/render.h"

namespace cairn::report {
namespace {

constexpr const char* kEcharts = "echarts/dist/echarts.min.js";
constexpr const char* kTopojson = "topojson-client/dist/topojson-client.min.js";
constexpr const char* kWorld = "world-atlas/countries-110m.json";

bool ReadAll(const std::filesystem::path& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return static_cast<bool>(in) || in.eof();
}

std::string PackageVersion(const std::filesystem::path& package_json) {
  std::string text;
  if (!ReadAll(package_json, &text)) return "";
  auto key = text.find("\"version\"");
  if (key == std::string::npos) return "";
  auto open = text.find('"', text.find(':', key) + 1);
  auto close = open == std::string::npos ? open : text.find('"', open + 1);
  if (close == std::string::npos) return "";
  return text.substr(open + 1, close - open - 1);
}

}  // namespace

Result<HtmlAssets> LoadHtmlAssets(const std::vector<std::string>& roots) {
  namespace fs = std::filesystem;
  std::vector<std::string> looked;
  for (const auto& root : roots) {
    if (root.empty()) continue;
    fs::path modules = fs::path(root) / ".deps" / "npm" / "node_modules";
    looked.push_back(modules.string());
    std::error_code ec;
    if (!fs::exists(modules / kEcharts, ec) || !fs::exists(modules / kTopojson, ec) ||
        !fs::exists(modules / kWorld, ec)) {
      continue;
    }
    HtmlAssets assets;
    assets.origin = modules.string();
    if (!ReadAll(modules / kEcharts, &assets.echarts_js) || !ReadAll(modules / kTopojson, &assets.topojson_js) ||
        !ReadAll(modules / kWorld, &assets.world_topojson)) {
      return Error::Io("cannot read the report assets in '" + modules.string() + "'");
    }
    for (const auto* script : {&assets.echarts_js, &assets.topojson_js}) {
      if (ToLower(*script).find("</script") != std::string::npos) {
        return Error::CorruptInput("a report asset in '" + modules.string() +
                                   "' contains '</script' and cannot be inlined");
      }
    }
    assets.echarts_version = PackageVersion(modules / "echarts" / "package.json");
    return assets;
  }
  Error error = Error::NotFound("the HTML report's chart assets are not installed");
  error.WithReason(std::string("looked for ") + kEcharts + ", " + kTopojson + " and " + kWorld + " under " +
                   (looked.empty() ? std::string("no directory") : Join(looked, ", ")));
  error.WithHelp("run scripts/install-deps (it installs the pinned npm assets into .deps/npm), "
                 "or use --format md|json");
  return error;
}

}  // namespace cairn::report
