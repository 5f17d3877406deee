#pragma once
// Log clustering ("summarize" / LogReduce): folds messages into signatures whose varying tokens
// are replaced by a placeholder. Deterministic: the same messages in the same order give the same
// signatures and ids. Memory is bounded by the number of signatures, not of messages.
// Thread-safety: one LogClusterer per thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cluster {

constexpr const char* kPlaceholder = "**********";

struct Signature {
  std::string id;       // 16 lower-case hex digits, stable for the same signature text
  std::string text;     // tokens with varying ones replaced by kPlaceholder
  int64_t count = 0;    // messages in this signature
  double score = 0;     // relevance/rarity score (see docs/query-language.md, summarize)
};

class LogClusterer {
 public:
  LogClusterer();
  ~LogClusterer();
  LogClusterer(const LogClusterer&) = delete;
  LogClusterer& operator=(const LogClusterer&) = delete;

  // Adds one message; returns its provisional cluster number (see Assignment).
  size_t Add(std::string_view message);
  // Final signatures, ordered by count descending then text.
  std::vector<Signature> Signatures() const;
  // For the i-th added message, the index into Signatures() of its final signature. Only
  // available when keep_assignments was set (costs one integer per message).
  std::vector<size_t> Assignments() const;
  void set_keep_assignments(bool keep);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The text to cluster for a raw event: the raw line for text logs; for a JSON record (CloudTrail),
// a rendering of its structure and the values that matter (eventSource, eventName, errorCode,
// userIdentity.type, ...) rather than the raw JSON bytes.
std::string PrepareForClustering(std::string_view raw);

}  // namespace cairn::cluster
