#pragma once
// Which source addresses are locations. CloudTrail's sourceIPAddress may hold an AWS service name
// ("s3.amazonaws.com") or "AWS Internal"; logs hold private and loopback addresses. None of those
// is a place on a map, so correlators that reason about locations skip them.

#include <string>
#include <string_view>

namespace cairn::correlate {

enum class AddressKind {
  kPublic,       // a global unicast IPv4/IPv6 literal
  kPrivate,      // RFC 1918, loopback, link-local, CGNAT, unspecified, ULA, multicast, reserved
  kNotAnAddress  // a service name, "AWS Internal", "-", empty, malformed text
};

// Classifies text as an address. IPv4 dotted quad (no leading zeros beyond "0"), IPv6 (with "::"
// and embedded IPv4), optional IPv6 zone ("%eth0") rejected. Pure, thread-safe.
AddressKind ClassifyAddress(std::string_view text);

// True for kPublic: the address may be geolocated.
inline bool IsLocatable(std::string_view text) {
  return ClassifyAddress(text) == AddressKind::kPublic;
}

// The network an address belongs to when the geolocation did not say: "81.2.69.0/24" for IPv4,
// "2001:db8:1234::/48" for IPv6 (canonical lower-case). "" for text that is not an address.
std::string DefaultNetworkOf(std::string_view text);

}  // namespace cairn::correlate
