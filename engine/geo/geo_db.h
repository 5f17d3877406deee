#pragma once
// IP geolocation from MaxMind-format databases (libmaxminddb). See engine/geo/README.md.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/common/result.h"

namespace cairn::geo {

struct Location {
  bool found = false;  // false: address valid but unknown to the database (or private)
  std::optional<double> latitude;
  std::optional<double> longitude;
  std::string country_code;  // ISO 3166-1 alpha-2
  std::string country_name;
  std::string continent;     // continent code (EU, NA, ...)
  std::string region;        // subdivision ISO code
  std::string state;         // subdivision name
  std::string city;
  std::string postal_code;
};

class GeoDb {
 public:
  virtual ~GeoDb() = default;
  // Opens a .mmdb (official GeoIP2/GeoLite2 City schema or the flat ip-location-db schema).
  // Errors: kNotFound, kCorruptInput (names the file and what is wrong).
  static Result<std::unique_ptr<GeoDb>> Open(const std::string& path);
  // Looks an address up. Errors only for text that is not an IPv4/IPv6 literal (kInvalidArgument).
  virtual Result<Location> Lookup(std::string_view ip) const = 0;
  // "GeoLite2-City-Test.mmdb (GeoIP2-City, built 2019-...)": named in every output that used it.
  virtual std::string Description() const = 0;
};

}  // namespace cairn::geo
