#pragma once
// The reference-incident generator (docs/walkthrough.md, ../shared/spec/scenario.md).
//
// Simulate() writes, under one output directory, the evidence a small AWS web stack leaves in a
// week, byte for byte as AWS and Apache would write it:
//   AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<stamp>_<id>.json.gz
//   s3-access/<bucket>/YYYY-MM-DD-HH-MM-SS-<16 hex>        (S3 server access log objects)
//   apache/<host>/access_log, apache/<host>/error_log       (combined and 2.4 error formats)
//   answer.json                                             (the ground truth, for tests only)
// Every name, address, key and time is drawn from the seed by a local PRNG: the same options give
// the same bytes (gzip members have mtime 0 and no file name). The engine never reads answer.json.

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/common/result.h"

namespace cairn::sim {

enum class Variant {
  kMalicious,  // a key-management user, from a new European address, disables the app's key
  kBenign,     // the same user, from its usual address and hours, rotates the app's key
};

// "malicious" / "benign".
const char* VariantName(Variant variant);
// Inverse of VariantName; false when the name is unknown.
bool VariantFromName(std::string_view name, Variant* out);

struct SimOptions {
  Variant variant = Variant::kMalicious;
  uint64_t seed = 1;
  int days = 7;         // length of the period, 1..366
  double rate = 3.0;    // background events per minute per source type, roughly; (0, 100000]
  std::string out_dir;  // created if missing; must be empty unless overwrite is set
  // When out_dir is not empty: remove what a previous run wrote there (AWSLogs/, s3-access/,
  // apache/, answer.json) instead of failing. Nothing else in the directory is touched.
  bool overwrite = false;
};

struct SimStats {
  int64_t cloudtrail_records = 0;
  int64_t s3_access_lines = 0;
  int64_t apache_access_lines = 0;
  int64_t apache_error_lines = 0;
  int64_t files = 0;          // evidence files written (answer.json not counted)
  int64_t bytes = 0;          // bytes written to evidence files (compressed size for .gz)
  std::string onset_minute;   // "2024-03-06T14:23:00Z"
  std::string answer_path;    // <out_dir>/answer.json

  int64_t events() const {
    return cloudtrail_records + s3_access_lines + apache_access_lines + apache_error_lines;
  }
};

// Generates the incident. Errors: kInvalidArgument for options out of range or a non-empty
// out_dir without overwrite; kIo when a file cannot be written. Not thread-safe with respect to
// out_dir (two runs must not share one directory); otherwise reentrant.
Result<SimStats> Simulate(const SimOptions& options);

}  // namespace cairn::sim
