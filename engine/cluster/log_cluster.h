#pragma once
// Log clustering ("summarize" / LogReduce): folds messages into signatures whose varying tokens
// are replaced by a placeholder. Deterministic: the same messages in the same order give the same
// signatures and ids. Memory is bounded by the number of signatures, not of messages.
// Thread-safety: one LogClusterer per thread.
//
// The algorithm (engine/cluster/README.md has the long form):
//  1. Tokenise: whitespace-separated words, split further at delimiters (= : , ; ( ) [ ] { } " '
//     < > |) so that "key=value", "name:value" and "(value)" keep the key apart from the value.
//  2. Variable detection, general-purpose only: a token holding a digit, a path, a host name or
//     e-mail address, a hex string, the value of an attached "key=value", a month or weekday name
//     next to a number. Runs of variables (also "a:b", "a,b", "a|b") collapse into one.
//  3. Messages with the same masked token sequence form a group (exact hash lookup: the hot path
//     is one tokenisation and one hash probe per message).
//  4. Consolidation (periodically and at the end): groups of the same length that differ in one
//     position only form a family; the family merges into one signature with a placeholder there
//     when one member already has a variable at that position, or when it holds at least
//     Options::min_distinct_values different words (not all upper-case: those name states and
//     levels) and its common part has at least Options::min_context_words words (so "Failed
//     password for root/ftp/git from ..." merge, "SCREEN_ON"/"SCREEN_OFF" and "LOOKING"/
//     "LEADING"/"FOLLOWING" do not). Repeated until nothing merges.
// One configuration for every input: no per-dataset masks or thresholds.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cairn::cluster {

constexpr const char* kPlaceholder = "**********";

struct Signature {
  std::string id;       // 16 lower-case hex digits: Hex64(Fnv1a64(text)), stable for the same text
  std::string text;     // tokens with varying ones replaced by kPlaceholder
  int64_t count = 0;    // messages in this signature
  // Rarity 0..10: 10 * ln(total/count) / ln(total) rounded to 2 decimals (10 = a single message
  // among many, 0 = every message); 5 when only one message was added.
  double score = 0;
};

// Tuning knobs. The defaults are the one configuration used for every input (benchmarked on
// Loghub-2k, bench/README.md); they are exposed for tests and experiments, not per dataset.
struct Options {
  // A family of groups differing only in one position merges when it holds at least this many
  // distinct words there ...
  int min_distinct_values = 3;
  // ... and the rest of the signature has at least this many constant words.
  int min_context_words = 3;
  // Consolidate when this many groups were created since the last consolidation (and at least as
  // many as there are live groups, so the cost stays amortised).
  size_t consolidate_every = 4096;
  // Cap on the exact-key index (entries); beyond it new keys are matched through the templates
  // only, which keeps memory bounded on endless streams of distinct messages.
  size_t max_index_entries = size_t{1} << 20;
  // Tokens kept per message; the rest becomes one trailing placeholder.
  size_t max_tokens = 256;
};

class LogClusterer {
 public:
  LogClusterer();
  explicit LogClusterer(const Options& options);
  ~LogClusterer();
  LogClusterer(const LogClusterer&) = delete;
  LogClusterer& operator=(const LogClusterer&) = delete;

  // Adds one message; returns its provisional cluster number (see Assignments). The message is
  // not retained.
  size_t Add(std::string_view message);
  // Final signatures, ordered by count descending then text. Finalises pending merges (cheap when
  // nothing was added since the last call).
  std::vector<Signature> Signatures() const;
  // For the i-th added message, the index into Signatures() of its final signature. Only
  // available when keep_assignments was set before adding (costs one integer per message);
  // empty otherwise.
  std::vector<size_t> Assignments() const;
  // The index into Signatures() of the final signature of a cluster number returned by Add.
  // Finalises like Signatures(). Costs nothing per message, so a caller that needs per-message
  // signatures without keeping one integer per message can remember cluster numbers (bounded by
  // the number of clusters) or replay the same messages into a fresh clusterer (Add returns the
  // same numbers for the same messages in the same order) and map them through the first one.
  // Returns Signatures().size() for a number that Add never returned.
  size_t SignatureOf(size_t cluster_number) const;
  void set_keep_assignments(bool keep);
  // Messages added so far.
  int64_t message_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The text to cluster for a raw event: the raw line for text logs, with a recognised leading
// timestamp or syslog header ("Jun 14 15:16:01 host ", "2015-07-29 17:41:44,747 ",
// "[Sun Dec 04 04:47:44 2005] ") removed; for a JSON object (CloudTrail), a rendering of its
// structure and the values that matter ("eventSource=... eventName=... errorCode=...
// userIdentity.type=..."; for other JSON, the sorted scalar fields with id-like values
// dropped) rather than the raw JSON bytes.
std::string PrepareForClustering(std::string_view raw);
// The same without allocating for text lines: returns a view into raw, or into *scratch (which
// it overwrites) for JSON records. The view is valid while raw and *scratch are.
std::string_view PrepareForClustering(std::string_view raw, std::string* scratch);

}  // namespace cairn::cluster
