#include "engine/correlate/address.h"

#include <arpa/inet.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <string>

namespace cairn::correlate {
namespace {

struct Parsed {
  bool v4 = false;
  std::array<uint8_t, 16> bytes{};  // v4: first 4 bytes
};

bool Parse(std::string_view text, Parsed* out) {
  if (text.empty() || text.size() > 45) return false;
  std::string s(text);  // inet_pton needs a terminated string
  if (s.find(':') == std::string::npos) {
    out->v4 = true;
    return inet_pton(AF_INET, s.c_str(), out->bytes.data()) == 1;
  }
  out->v4 = false;
  return inet_pton(AF_INET6, s.c_str(), out->bytes.data()) == 1;
}

bool PrivateV4(const uint8_t* b) {
  const uint8_t a0 = b[0], a1 = b[1], a2 = b[2];
  if (a0 == 0 || a0 == 10 || a0 == 127) return true;  // this-network, RFC 1918, loopback
  if (a0 == 100 && (a1 & 0xC0) == 64) return true;    // 100.64/10 CGNAT
  if (a0 == 169 && a1 == 254) return true;            // link-local
  if (a0 == 172 && (a1 & 0xF0) == 16) return true;    // 172.16/12
  if (a0 == 192 && a1 == 168) return true;            // 192.168/16
  if (a0 == 192 && a1 == 0 && a2 == 0) return true;   // 192.0.0/24 IETF protocol assignments
  if (a0 == 198 && (a1 & 0xFE) == 18) return true;    // 198.18/15 benchmarking
  if (a0 >= 224) return true;                         // multicast, reserved, broadcast
  return false;
}

}  // namespace

AddressKind ClassifyAddress(std::string_view text) {
  Parsed p;
  if (!Parse(text, &p)) return AddressKind::kNotAnAddress;
  if (p.v4) return PrivateV4(p.bytes.data()) ? AddressKind::kPrivate : AddressKind::kPublic;
  const auto& b = p.bytes;
  bool zero_prefix = true;  // first 10 bytes zero
  for (int idx = 0; idx < 10; ++idx) zero_prefix = zero_prefix && b[idx] == 0;
  if (zero_prefix && b[10] == 0xFF && b[11] == 0xFF) {  // ::ffff:a.b.c.d, IPv4-mapped
    return PrivateV4(b.data() + 12) ? AddressKind::kPrivate : AddressKind::kPublic;
  }
  if (zero_prefix && b[10] == 0 && b[11] == 0) return AddressKind::kPrivate;  // ::, ::1, ::a.b.c.d
  if ((b[0] & 0xFE) == 0xFC) return AddressKind::kPrivate;                    // fc00::/7 ULA
  if (b[0] == 0xFE && (b[1] & 0xC0) == 0x80) return AddressKind::kPrivate;    // fe80::/10
  if (b[0] == 0xFF) return AddressKind::kPrivate;                             // multicast
  return AddressKind::kPublic;
}

std::string DefaultNetworkOf(std::string_view text) {
  Parsed p;
  if (!Parse(text, &p)) return {};
  char buf[64];
  if (p.v4) {
    std::snprintf(buf, sizeof buf, "%u.%u.%u.0/24", p.bytes[0], p.bytes[1], p.bytes[2]);
    return buf;
  }
  std::array<uint8_t, 16> masked{};
  for (int idx = 0; idx < 6; ++idx) masked[idx] = p.bytes[idx];
  char text6[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, masked.data(), text6, sizeof text6) == nullptr) return {};
  return std::string(text6) + "/48";
}

}  // namespace cairn::correlate
