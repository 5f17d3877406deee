#pragma once
// Helpers shared by the simulator's translation units: the PRNG, calendar formatting, a small
// JSON object builder and the deterministic gzip encoder. Not part of the public API.

#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/result.h"
#include "engine/common/time.h"

namespace cairn::sim::internal {

// xoshiro256** seeded through splitmix64: fast, good quality, and the same sequence on every
// platform (no std::random_device, no std distributions whose output is implementation-defined).
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto& word : state_) word = SplitMix(&seed);
  }
  uint64_t Next() {
    const uint64_t result = Rotl(state_[1] * 5, 7) * 9;
    const uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = Rotl(state_[3], 45);
    return result;
  }
  // Uniform in [0, n); n > 0. (The modulo bias, below 2^-40 for our n, is irrelevant here.)
  uint64_t Below(uint64_t n) { return Next() % n; }
  // Uniform in [lo, hi].
  int64_t Range(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(Below(static_cast<uint64_t>(hi - lo + 1)));
  }
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  bool Chance(double p) { return Uniform() < p; }
  // Poisson-distributed count with mean lambda (Knuth below 30, normal approximation above).
  int Poisson(double lambda) {
    if (lambda <= 0) return 0;
    if (lambda < 30) {
      const double limit = std::exp(-lambda);
      int k = 0;
      double p = Uniform();
      while (p > limit) {
        ++k;
        p *= Uniform();
      }
      return k;
    }
    const double u1 = Uniform() + 1e-12, u2 = Uniform();
    const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
    const double v = lambda + z * std::sqrt(lambda) + 0.5;
    return v < 0 ? 0 : static_cast<int>(v);
  }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }
  template <typename T>
  void Shuffle(std::vector<T>* items) {
    for (size_t idx = items->size(); idx > 1; --idx) {
      std::swap((*items)[idx - 1], (*items)[Below(idx)]);
    }
  }
  // Random text from an alphabet.
  std::string Chars(std::string_view alphabet, size_t count) {
    std::string out(count, ' ');
    for (auto& c : out) c = alphabet[Below(alphabet.size())];
    return out;
  }
  std::string UpperAlnum(size_t count) { return Chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", count); }
  std::string LowerHex(size_t count) { return Chars("0123456789abcdef", count); }
  std::string UpperHex(size_t count) { return Chars("0123456789ABCDEF", count); }
  // Version-4 UUID text.
  std::string Uuid();

 private:
  static uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  static uint64_t SplitMix(uint64_t* x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_[4];
};

// A UTC calendar breakdown of a millisecond timestamp.
struct Civil {
  int year, month, day, hour, minute, second, millis, weekday;  // weekday 0 = Sunday
};
Civil ToCivil(TimeMs t);

// "2024-03-06T14:23:05Z" (seconds precision, as CloudTrail writes eventTime).
void AppendIsoSeconds(std::string* out, TimeMs t);
std::string IsoSeconds(TimeMs t);
// "06/Mar/2024:14:23:05 +0000" (Apache %t and S3 access log time, without brackets).
void AppendClf(std::string* out, TimeMs t);
// "Wed Mar 06 14:23:05.123456 2024" (Apache 2.4 error log, without brackets).
void AppendErrorLogTime(std::string* out, TimeMs t, int micros);
// "Mar 6, 2024 2:23:05 PM" (IAM createDate / STS expiration as CloudTrail shows them).
std::string AwsLongDate(TimeMs t);
// "20240306T1425Z" (CloudTrail object names), "2024/03/06" (their folders),
// "2024-03-06-14-25-11" (S3 access log object names).
std::string CloudTrailStamp(TimeMs t);
std::string DatePath(TimeMs t);
std::string S3LogStamp(TimeMs t);

// Appends a JSON string literal.
void AppendJsonString(std::string* out, std::string_view s);

// Builds one compact JSON object in field order: Obj o(&s); o.Str("a","x").Raw("b","null"); o.End();
class Obj {
 public:
  explicit Obj(std::string* out) : out_(out) { out_->push_back('{'); }
  Obj& Str(std::string_view key, std::string_view value) {
    Key(key);
    AppendJsonString(out_, value);
    return *this;
  }
  Obj& Raw(std::string_view key, std::string_view json) {
    Key(key);
    out_->append(json);
    return *this;
  }
  Obj& Int(std::string_view key, int64_t value) {
    Key(key);
    out_->append(std::to_string(value));
    return *this;
  }
  Obj& Bool(std::string_view key, bool value) {
    Key(key);
    out_->append(value ? "true" : "false");
    return *this;
  }
  // Writes the key; the caller appends the value (for nested objects).
  Obj& Key(std::string_view key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    AppendJsonString(out_, key);
    out_->push_back(':');
    return *this;
  }
  void End() { out_->push_back('}'); }

 private:
  std::string* out_;
  bool first_ = true;
};

// gzip (RFC 1952) of data with mtime 0, no file name, OS byte 3: identical input, identical bytes.
Result<std::string> GzipDeterministic(std::string_view data);

}  // namespace cairn::sim::internal
