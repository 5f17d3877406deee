#include "engine/geo/geo_db.h"

namespace cairn::geo {
Result<std::unique_ptr<GeoDb>> GeoDb::Open(const std::string& path) {
  return Error::Unsupported("geoip is not yet available (cannot open '" + path + "')");
}
}  // namespace cairn::geo
