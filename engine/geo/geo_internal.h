#pragma once
// Internal to engine/geo: the ISO 3166-1 alpha-2 -> English short name table (country_names.cc).
#include <cstddef>

namespace cairn::geo {

struct CountryName {
  const char* code;  // "GB"
  const char* name;  // "United Kingdom"
};
// Sorted by code.
extern const CountryName kCountryNames[];
extern const size_t kCountryNameCount;

}  // namespace cairn::geo
