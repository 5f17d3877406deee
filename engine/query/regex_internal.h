#pragma once
// PCRE2 (8-bit, JIT when available) behind a small interface. Internal to engine/query.
// A CompiledRegex is immutable once compiled: threads may share it (match data is per thread).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/common/result.h"

namespace cairn::query {

class CompiledRegex {
 public:
  struct Options {
    bool caseless = false;
    bool dotall = false;
  };
  // Errors: kParse with the PCRE2 message and the offset of the problem in `error_offset`.
  static Result<std::shared_ptr<CompiledRegex>> Compile(std::string_view pattern, Options options,
                                                        size_t* error_offset = nullptr);
  ~CompiledRegex();
  CompiledRegex(const CompiledRegex&) = delete;
  CompiledRegex& operator=(const CompiledRegex&) = delete;

  // Searches subject from byte `start`. On a match fills groups (0 = whole match) as
  // [begin, end) byte offsets, {npos,npos} for unset groups, and returns true.
  bool Search(std::string_view subject, size_t start,
              std::vector<std::pair<size_t, size_t>>* groups) const;
  bool Matches(std::string_view subject) const;
  // Named groups: (name, group number), in group-number order.
  const std::vector<std::pair<std::string, int>>& named_groups() const { return named_; }
  int capture_count() const { return capture_count_; }

 private:
  CompiledRegex() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::vector<std::pair<std::string, int>> named_;
  int capture_count_ = 0;
};

}  // namespace cairn::query
