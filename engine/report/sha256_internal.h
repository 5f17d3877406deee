#pragma once
// SHA-256 for the page's Content-Security-Policy script hashes (FIPS 180-4). Pure, thread-safe.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace cairn::report {

std::array<uint8_t, 32> Sha256(std::string_view data);
// Standard base64 (with padding) of bytes.
std::string Base64(const uint8_t* data, size_t size);
// "'sha256-<base64>'", as a CSP source expression.
std::string CspHash(std::string_view script);

}  // namespace cairn::report
