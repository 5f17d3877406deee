#include "engine/store/event_blocks.h"

#include <lz4.h>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "engine/store/event_leaves.h"
#include "engine/store/keyword_index.h"

namespace cairn::store {

namespace {

using internal::AppendVarint;

uint64_t ZigZag(int64_t v) { return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63); }
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1); }

}  // namespace

// Payload: varint n; n varint id deltas (the first from 0); n zigzag-varint time deltas (the
// first from 0); n varint source ids; n varint raw lengths; the raw texts back to back.
void EventBlockBuilder::Add(int64_t id, int64_t ts, int64_t source_id, std::string_view raw) {
  ids_.push_back(id);
  ts_.push_back(ts);
  source_ids_.push_back(source_id);
  text_.append(raw);
  ends_.push_back(static_cast<uint32_t>(text_.size()));
  if (ids_.size() >= kBlockMaxEvents || text_.size() >= kBlockMaxRawBytes) Seal();
}

void EventBlockBuilder::Seal() {
  if (ids_.empty()) return;
  EventBlock b;
  b.first_id = ids_.front();
  b.last_id = ids_.back();
  b.events = static_cast<int64_t>(ids_.size());
  b.min_ts = *std::min_element(ts_.begin(), ts_.end());
  b.max_ts = *std::max_element(ts_.begin(), ts_.end());
  std::vector<int64_t> sources = source_ids_;
  std::sort(sources.begin(), sources.end());
  sources.erase(std::unique(sources.begin(), sources.end()), sources.end());
  for (int64_t s : sources) {
    if (!b.sources.empty()) b.sources += ',';
    b.sources += std::to_string(s);
  }
  b.leaves = BuildLeafRows(text_, ends_);
  payload_.clear();
  AppendVarint(&payload_, ids_.size());
  int64_t prev = 0;
  for (int64_t id : ids_) {
    AppendVarint(&payload_, static_cast<uint64_t>(id - prev));
    prev = id;
  }
  prev = 0;
  for (int64_t ts : ts_) {
    AppendVarint(&payload_, ZigZag(ts - prev));
    prev = ts;
  }
  for (int64_t s : source_ids_) AppendVarint(&payload_, static_cast<uint64_t>(s));
  uint32_t begin = 0;
  for (uint32_t e : ends_) {
    AppendVarint(&payload_, e - begin);
    begin = e;
  }
  payload_.append(text_);
  const int bound = LZ4_compressBound(static_cast<int>(payload_.size()));
  b.data.resize(4 + static_cast<size_t>(bound));
  const uint32_t size = static_cast<uint32_t>(payload_.size());
  for (int k = 0; k < 4; ++k) b.data[static_cast<size_t>(k)] = static_cast<char>((size >> (8 * k)) & 0xff);
  const int written = LZ4_compress_default(payload_.data(), b.data.data() + 4, static_cast<int>(payload_.size()), bound);
  b.data.resize(4 + static_cast<size_t>(std::max(written, 0)));
  done_.push_back(std::move(b));
  ids_.clear();
  ts_.clear();
  source_ids_.clear();
  ends_.clear();
  text_.clear();
}

std::vector<EventBlock> EventBlockBuilder::TakeFull() {
  std::vector<EventBlock> out;
  out.swap(done_);
  return out;
}

std::vector<EventBlock> EventBlockBuilder::Take() {
  Seal();
  return TakeFull();
}

std::optional<std::string_view> EventBlockBuilder::FindOpen(int64_t id) const {
  auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return std::nullopt;
  const size_t k = static_cast<size_t>(it - ids_.begin());
  const uint32_t begin = k == 0 ? 0 : ends_[k - 1];
  return std::string_view(text_).substr(begin, ends_[k] - begin);
}

void EventBlockBuilder::Clear() {
  ids_.clear();
  ts_.clear();
  source_ids_.clear();
  ends_.clear();
  text_.clear();
  done_.clear();
}

bool DecodedBlock::Decode(std::string_view data) {
  ids_.clear();
  ts_.clear();
  source_ids_.clear();
  ends_.clear();
  text_ = nullptr;
  if (data.size() < 4) return false;
  uint32_t size = 0;
  for (int k = 0; k < 4; ++k) size |= static_cast<uint32_t>(static_cast<unsigned char>(data[static_cast<size_t>(k)])) << (8 * k);
  if (size > (64u << 20)) return false;
  payload_.Resize(size);
  const int got = LZ4_decompress_safe(data.data() + 4, payload_.data(), static_cast<int>(data.size() - 4),
                                      static_cast<int>(size));
  if (got != static_cast<int>(size)) return false;
  const auto* p = reinterpret_cast<const unsigned char*>(payload_.data());
  const auto* end = p + payload_.size();
  if (!ReadHeader(p, end)) return false;
  if (ends_.size() && ends_.back() != static_cast<uint64_t>(end - p)) return false;
  if (ends_.empty() && p != end) return false;
  text_ = reinterpret_cast<const char*>(p);
  return true;
}

DecodedBlock::Header DecodedBlock::DecodeHeader(std::string_view prefix, size_t blob_size, size_t max_output) {
  ids_.clear();
  ts_.clear();
  source_ids_.clear();
  ends_.clear();
  text_ = nullptr;
  if (prefix.size() < 4 || prefix.size() > blob_size) return Header::kDamaged;
  uint32_t size = 0;
  for (int k = 0; k < 4; ++k) size |= static_cast<uint32_t>(static_cast<unsigned char>(prefix[static_cast<size_t>(k)])) << (8 * k);
  if (size > (64u << 20)) return Header::kDamaged;
  payload_.Resize(size);
  // A partial decode stops where the prefix's input ends, at max_output or at the payload's size:
  // what it gives is the payload's first `got` bytes.
  const int target = static_cast<int>(std::min<size_t>(size, max_output));
  const int got = LZ4_decompress_safe_partial(prefix.data() + 4, payload_.data(), static_cast<int>(prefix.size() - 4),
                                              target, static_cast<int>(size));
  const bool whole = prefix.size() == blob_size;
  if (got < 0) return whole && target == static_cast<int>(size) ? Header::kDamaged : Header::kNeedMore;
  const auto* p = reinterpret_cast<const unsigned char*>(payload_.data());
  const auto* end = p + got;
  if (!ReadHeader(p, end)) return whole && target == static_cast<int>(size) ? Header::kDamaged : Header::kNeedMore;
  // The texts' total length must fit in the payload.
  if (!ends_.empty() && ends_.back() > static_cast<uint64_t>(payload_.data() + size - reinterpret_cast<const char*>(p))) {
    return Header::kDamaged;
  }
  return Header::kOk;
}

bool DecodedBlock::ReadHeader(const unsigned char*& p, const unsigned char* end) {
  uint64_t n = 0;
  if (!internal::ReadVarint(p, end, &n) || n > kBlockMaxEvents * 4 || n > payload_.size()) return false;
  // Each array decoded straight into its place (a scan decodes every block's arrays).
  // Unsigned sums: a damaged blob's deltas may overflow (wrapping is defined, and harmless here).
  ids_.resize(n);
  uint64_t sum = 0, v = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!internal::ReadVarint(p, end, &v)) return false;
    sum += v;
    ids_[k] = static_cast<int64_t>(sum);
  }
  ts_.resize(n);
  sum = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!internal::ReadVarint(p, end, &v)) return false;
    sum += static_cast<uint64_t>(UnZigZag(v));
    ts_[k] = static_cast<int64_t>(sum);
  }
  source_ids_.resize(n);
  for (size_t k = 0; k < n; ++k) {
    if (!internal::ReadVarint(p, end, &v)) return false;
    source_ids_[k] = static_cast<int64_t>(v);
  }
  ends_.resize(n);
  uint64_t total = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!internal::ReadVarint(p, end, &v)) return false;
    total += v;
    if (v > UINT32_MAX || total > UINT32_MAX) return false;
    ends_[k] = static_cast<uint32_t>(total);
  }
  return true;
}

bool ParseBlockSources(std::string_view text, std::vector<int64_t>* out) {
  out->clear();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + comma, v);
    if (ec != std::errc() || ptr != text.data() + comma) return false;
    out->push_back(v);
    pos = comma + 1;
  }
  return true;
}

}  // namespace cairn::store
