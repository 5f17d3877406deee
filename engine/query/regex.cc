#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>

#include "engine/query/regex_internal.h"

namespace cairn::query {

struct CompiledRegex::Impl {
  pcre2_code* code = nullptr;
  ~Impl() {
    if (code) pcre2_code_free(code);
  }
};

namespace {

// Match data of the calling thread, big enough for `pairs` offset pairs: a compiled regex is
// shared by the AST, and a query's operators may run on several threads.
pcre2_match_data* ThreadMatchData(uint32_t pairs) {
  struct Holder {
    pcre2_match_data* data = nullptr;
    uint32_t pairs = 0;
    ~Holder() {
      if (data) pcre2_match_data_free(data);
    }
  };
  thread_local Holder holder;
  if (holder.pairs < pairs) {
    if (holder.data) pcre2_match_data_free(holder.data);
    holder.pairs = std::max<uint32_t>(pairs, 16);
    holder.data = pcre2_match_data_create(holder.pairs, nullptr);
  }
  return holder.data;
}

}  // namespace

CompiledRegex::~CompiledRegex() = default;

Result<std::shared_ptr<CompiledRegex>> CompiledRegex::Compile(std::string_view pattern,
                                                              Options options,
                                                              size_t* error_offset) {
  uint32_t flags = 0;
  if (options.caseless) flags |= PCRE2_CASELESS;
  if (options.dotall) flags |= PCRE2_DOTALL;
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                   flags, &err, &off, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    if (error_offset) *error_offset = off;
    return Error::Parse(std::string("invalid regular expression: ") +
                        reinterpret_cast<const char*>(buf));
  }
  std::shared_ptr<CompiledRegex> re(new CompiledRegex());
  re->impl_ = std::make_unique<Impl>();
  re->impl_->code = code;
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter on failure
  uint32_t captures = 0;
  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &captures);
  re->capture_count_ = static_cast<int>(captures);
  uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (uint32_t i = 0; i < name_count; ++i) {
    const unsigned char* entry = table + i * entry_size;
    int number = (entry[0] << 8) | entry[1];
    re->named_.emplace_back(reinterpret_cast<const char*>(entry + 2), number);
  }
  std::sort(re->named_.begin(), re->named_.end(),
            [](const auto& a, const auto& b) { return a.second < b.second; });
  return re;
}

bool CompiledRegex::Search(std::string_view subject, size_t start,
                           std::vector<std::pair<size_t, size_t>>* groups) const {
  pcre2_match_data* match = ThreadMatchData(static_cast<uint32_t>(capture_count_) + 1);
  int rc = pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(),
                       start, 0, match, nullptr);
  if (rc < 0) return false;
  if (groups) {
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
    groups->assign(static_cast<size_t>(capture_count_) + 1, {std::string_view::npos,
                                                             std::string_view::npos});
    for (int g = 0; g < rc && g <= capture_count_; ++g) {
      if (ov[2 * g] == PCRE2_UNSET) continue;
      (*groups)[static_cast<size_t>(g)] = {ov[2 * g], ov[2 * g + 1]};
    }
  }
  return true;
}

bool CompiledRegex::Matches(std::string_view subject) const {
  return pcre2_match(impl_->code, reinterpret_cast<PCRE2_SPTR>(subject.data()), subject.size(), 0,
                     0, ThreadMatchData(static_cast<uint32_t>(capture_count_) + 1), nullptr) >= 0;
}

}  // namespace cairn::query
