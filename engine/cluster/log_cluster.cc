// LogClusterer: exact grouping of masked token sequences, template matching for unseen keys, and
// the consolidation pass that merges families of groups differing in one variable position.
#include "engine/cluster/log_cluster.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "engine/cluster/tokenizer_internal.h"
#include "engine/common/strings.h"

namespace cairn::cluster {
namespace {

using internal::Token;
using internal::TokenKind;

constexpr uint64_t kVarHash = 0x8f1bbcdcca62c1d6ULL;
constexpr uint64_t kEmptyHash = 0x5a827999ed9eba1ULL;
constexpr uint64_t kPolyBase = 0x100000001b3ULL * 2 + 1;  // odd multiplier for position hashes
constexpr uint32_t kNone = UINT32_MAX;

inline uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

// Hash of a constant token's bytes and kind (8 bytes at a time).
uint64_t HashBytes(const char* data, size_t size, TokenKind kind) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (size * 0x2545f4914f6cdd1dULL) ^
               (static_cast<uint64_t>(kind) << 56);
  size_t idx = 0;
  for (; idx + 8 <= size; idx += 8) {
    uint64_t chunk;
    std::memcpy(&chunk, data + idx, 8);
    h = (h ^ chunk) * 0x9e3779b97f4a7c15ULL;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  for (size_t shift = 0; idx < size; ++idx, shift += 8) {
    tail |= static_cast<uint64_t>(static_cast<unsigned char>(data[idx])) << shift;
  }
  h = (h ^ tail) * 0x9e3779b97f4a7c15ULL;
  return Mix(h);
}

inline uint64_t TokenHash(std::string_view message, const Token& token) {
  switch (token.kind) {
    case TokenKind::kVar: return kVarHash;
    case TokenKind::kEmpty: return kEmptyHash;
    default: return HashBytes(message.data() + token.begin, token.size, token.kind);
  }
}

// One template token, its text stored in the owning group's text buffer.
struct TemplateToken {
  uint32_t begin = 0;
  uint32_t size = 0;
  TokenKind kind = TokenKind::kWord;
  bool space_before = false;
  uint64_t hash = 0;
};

struct Group {
  uint32_t parent = 0;  // itself while live (a root)
  int64_t count = 0;
  std::string text;     // backing bytes of the constant tokens
  std::vector<TemplateToken> tokens;
  int word_count = 0;   // constant word tokens

  std::string_view TokenView(const TemplateToken& token) const {
    return std::string_view(text).substr(token.begin, token.size);
  }
};

inline bool HasText(TokenKind kind) {
  return kind == TokenKind::kWord || kind == TokenKind::kDelim || kind == TokenKind::kPinned;
}

// "LOOKING", "SCREEN_ON", "ERROR": upper-case words name states and levels, they are not free
// values, so the distinct-values rule leaves them alone.
bool IsUpperCaseWord(std::string_view word) {
  if (word.size() < 2) return false;
  bool letter = false;
  for (char c : word) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') letter = true;
  }
  return letter;
}

// Round to 2 decimals.
double Round2(double v) { return std::round(v * 100.0) / 100.0; }

}  // namespace

struct LogClusterer::Impl {
  Options options;
  std::vector<Group> groups;
  // Masked key hash -> group (possibly merged since; resolved through Find).
  std::unordered_map<uint64_t, uint32_t> index;
  // Token count -> live groups, oldest first.
  std::map<uint32_t, std::vector<uint32_t>> buckets;
  // (token count, first token or "variable") -> live groups: the candidates for an unseen key,
  // like the first levels of Drain's tree. Rebuilt after each consolidation.
  std::unordered_map<uint64_t, std::vector<uint32_t>> candidates;
  std::vector<uint32_t> assignments;
  bool keep_assignments = false;
  int64_t total = 0;
  size_t created_since_consolidation = 0;
  size_t live = 0;
  bool dirty = false;

  // Scratch for Add (reused; no per-message allocation once grown).
  std::vector<Token> tokens;
  std::vector<uint64_t> hashes;

  // Result cache of Finalize().
  std::vector<Signature> signatures;
  std::vector<uint32_t> signature_of_root;  // group id -> index into signatures (roots only)

  uint32_t Find(uint32_t id) {
    uint32_t root = id;
    while (groups[root].parent != root) root = groups[root].parent;
    while (groups[id].parent != root) {
      uint32_t next = groups[id].parent;
      groups[id].parent = root;
      id = next;
    }
    return root;
  }

  // Does the message (tokens/hashes) fit the template of group g? Variables match any word,
  // variable or empty slot; everything else must be equal.
  bool Matches(const Group& group, std::string_view message) const {
    if (group.tokens.size() != tokens.size()) return false;
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
      const TemplateToken& want = group.tokens[pos];
      const Token& have = tokens[pos];
      if (want.kind == TokenKind::kVar) {
        // A template without any constant word is too generic to absorb words.
        if (have.kind == TokenKind::kDelim || have.kind == TokenKind::kPinned ||
            (have.kind == TokenKind::kWord && group.word_count == 0)) {
          return false;
        }
        continue;
      }
      if (want.kind != have.kind || want.hash != hashes[pos]) return false;
      if (want.kind == TokenKind::kEmpty) continue;
      if (want.size != have.size ||
          std::memcmp(group.text.data() + want.begin, message.data() + have.begin, have.size) !=
              0) {
        return false;
      }
    }
    return true;
  }

  uint32_t NewGroup(std::string_view message) {
    Group group;
    group.parent = static_cast<uint32_t>(groups.size());
    group.tokens.reserve(tokens.size());
    size_t bytes = 0;
    for (const Token& token : tokens) {
      if (HasText(token.kind)) bytes += token.size;
    }
    group.text.reserve(bytes);
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
      const Token& token = tokens[pos];
      TemplateToken tt;
      tt.kind = token.kind;
      tt.space_before = token.space_before;
      tt.hash = hashes[pos];
      if (HasText(token.kind)) {
        tt.begin = static_cast<uint32_t>(group.text.size());
        tt.size = token.size;
        group.text.append(message.substr(token.begin, token.size));
      }
      if (token.kind == TokenKind::kWord || token.kind == TokenKind::kPinned) ++group.word_count;
      group.tokens.push_back(tt);
    }
    groups.push_back(std::move(group));
    uint32_t id = static_cast<uint32_t>(groups.size() - 1);
    buckets[static_cast<uint32_t>(tokens.size())].push_back(id);
    candidates[CandidateKey(groups.back().tokens)].push_back(id);
    ++live;
    return id;
  }

  uint32_t AddMessage(std::string_view message) {
    internal::Tokenize(message, options.max_tokens, &tokens);
    hashes.resize(tokens.size());
    uint64_t key = 0x84222325cbf29ce4ULL ^ tokens.size();
    for (size_t pos = 0; pos < tokens.size(); ++pos) {
      hashes[pos] = TokenHash(message, tokens[pos]);
      key = Mix(key ^ hashes[pos]) + pos;
    }
    ++total;
    dirty = true;
    auto it = index.find(key);
    if (it != index.end()) {
      uint32_t root = Find(it->second);
      if (Matches(groups[root], message)) {
        ++groups[root].count;
        return root;
      }
    }
    // Unseen key: the most specific live template of the same length that fits, else a new group.
    uint32_t best = kNone;
    int best_words = -1;
    // Templates starting with the same token, and those starting with a variable.
    uint64_t same_first = tokens.empty() ? CandidateKey(0, kVarHash)
                                         : CandidateKey(tokens.size(), hashes[0]);
    uint64_t var_first = CandidateKey(tokens.size(), kVarHash);
    for (uint64_t candidate_key : {same_first, var_first}) {
      auto bucket = candidates.find(candidate_key);
      if (bucket != candidates.end()) {
        for (uint32_t id : bucket->second) {
          const Group& group = groups[id];
          if (group.word_count > best_words && Matches(group, message)) {
            best = id;
            best_words = group.word_count;
          } else if (group.word_count == best_words && id < best && Matches(group, message)) {
            best = id;  // ties: the oldest, whatever the bucket order
          }
        }
      }
      if (same_first == var_first) break;
    }
    if (best == kNone) {
      best = NewGroup(message);
      ++created_since_consolidation;
    }
    ++groups[best].count;
    if (it == index.end() && index.size() < options.max_index_entries) index.emplace(key, best);
    if (created_since_consolidation >= std::max(options.consolidate_every, live)) Consolidate();
    return best;
  }

  // Merges families of same-length groups that differ in exactly one position (see header).
  void Consolidate() {
    created_since_consolidation = 0;
    std::vector<uint64_t> poly;
    std::vector<uint64_t> powers;
    std::vector<std::pair<uint64_t, uint32_t>> keyed;  // (hash without position, slot)
    for (int pass = 0; pass < 16; ++pass) {
      bool changed = false;
      for (auto& [length, members] : buckets) {
        if (members.size() < 2) continue;
        powers.resize(length);
        uint64_t power = 1;
        for (uint32_t pos = 0; pos < length; ++pos) {
          powers[pos] = power;
          power *= kPolyBase;
        }
        poly.assign(members.size(), 0);
        for (size_t slot = 0; slot < members.size(); ++slot) {
          const Group& group = groups[members[slot]];
          uint64_t h = 0;
          for (uint32_t pos = 0; pos < length; ++pos) h += group.tokens[pos].hash * powers[pos];
          poly[slot] = h;
        }
        std::vector<bool> dead(members.size(), false);
        for (uint32_t pos = 0; pos < length; ++pos) {
          keyed.clear();
          for (size_t slot = 0; slot < members.size(); ++slot) {
            if (dead[slot]) continue;
            const TemplateToken& token = groups[members[slot]].tokens[pos];
            if (token.kind == TokenKind::kDelim || token.kind == TokenKind::kPinned) continue;
            keyed.emplace_back(poly[slot] - token.hash * powers[pos], static_cast<uint32_t>(slot));
          }
          std::sort(keyed.begin(), keyed.end());  // ties by slot: oldest first
          for (size_t run = 0; run < keyed.size();) {
            size_t run_end = run + 1;
            while (run_end < keyed.size() && keyed[run_end].first == keyed[run].first) ++run_end;
            if (run_end - run >= 2) {
              if (MergeFamily(members, keyed, run, run_end, pos, &dead, &poly, powers)) {
                changed = true;
              }
            }
            run = run_end;
          }
        }
        size_t write = 0;
        for (size_t slot = 0; slot < members.size(); ++slot) {
          if (!dead[slot]) members[write++] = members[slot];
        }
        members.resize(write);
      }
      if (!changed) break;
    }
    candidates.clear();
    for (const auto& [length, members] : buckets) {
      for (uint32_t id : members) candidates[CandidateKey(groups[id].tokens)].push_back(id);
    }
  }

  static uint64_t CandidateKey(size_t length, uint64_t first_hash) {
    return Mix(first_hash ^ (static_cast<uint64_t>(length) * 0x9e3779b97f4a7c15ULL));
  }
  static uint64_t CandidateKey(const std::vector<TemplateToken>& template_tokens) {
    if (template_tokens.empty()) return CandidateKey(0, kVarHash);
    return CandidateKey(template_tokens.size(), template_tokens[0].hash);
  }

  // Decides on and performs the merge of one family (keyed[run, run_end), same tokens except pos).
  bool MergeFamily(const std::vector<uint32_t>& members,
                   const std::vector<std::pair<uint64_t, uint32_t>>& keyed, size_t run,
                   size_t run_end, uint32_t pos, std::vector<bool>* dead,
                   std::vector<uint64_t>* poly, const std::vector<uint64_t>& powers) {
    uint32_t rep_slot = keyed[run].second;
    Group& rep = groups[members[rep_slot]];
    // Members that really equal the representative outside pos (guards against hash collisions).
    std::vector<uint32_t> family;
    family.push_back(rep_slot);
    for (size_t idx = run + 1; idx < run_end; ++idx) {
      uint32_t slot = keyed[idx].second;
      if (SameExcept(rep, groups[members[slot]], pos)) family.push_back(slot);
    }
    if (family.size() < 2) return false;
    bool any_var = false;
    bool all_upper = true;
    std::unordered_set<uint64_t> values;
    for (uint32_t slot : family) {
      const Group& member = groups[members[slot]];
      const TemplateToken& token = member.tokens[pos];
      if (token.kind == TokenKind::kVar) any_var = true;
      if (token.kind != TokenKind::kWord || !IsUpperCaseWord(member.TokenView(token))) {
        all_upper = false;
      }
      values.insert(token.hash);
    }
    int context_words =
        rep.word_count - (rep.tokens[pos].kind == TokenKind::kWord ? 1 : 0);
    bool merge = (any_var && context_words >= 1) ||
                 (!all_upper && static_cast<int>(values.size()) >= options.min_distinct_values &&
                  context_words >= options.min_context_words);
    if (!merge) return false;
    TemplateToken& slot_token = rep.tokens[pos];
    if (slot_token.kind == TokenKind::kWord) --rep.word_count;
    (*poly)[rep_slot] += (kVarHash - slot_token.hash) * powers[pos];
    slot_token.kind = TokenKind::kVar;
    slot_token.hash = kVarHash;
    slot_token.size = 0;
    uint32_t rep_id = members[rep_slot];
    for (size_t idx = 1; idx < family.size(); ++idx) {
      uint32_t slot = family[idx];
      Group& other = groups[members[slot]];
      rep.count += other.count;
      other.count = 0;
      other.parent = rep_id;
      std::string().swap(other.text);
      std::vector<TemplateToken>().swap(other.tokens);
      (*dead)[slot] = true;
      --live;
    }
    return true;
  }

  static bool SameExcept(const Group& a, const Group& b, uint32_t pos) {
    for (size_t idx = 0; idx < a.tokens.size(); ++idx) {
      if (idx == pos) continue;
      const TemplateToken& x = a.tokens[idx];
      const TemplateToken& y = b.tokens[idx];
      if (x.kind != y.kind || x.hash != y.hash) return false;
      if (x.kind != TokenKind::kVar && x.kind != TokenKind::kEmpty && a.TokenView(x) != b.TokenView(y)) {
        return false;
      }
    }
    return true;
  }

  std::string Render(const Group& group) const {
    std::string out;
    for (size_t pos = 0; pos < group.tokens.size(); ++pos) {
      const TemplateToken& token = group.tokens[pos];
      if (pos > 0 && token.space_before) out += ' ';
      if (token.kind == TokenKind::kVar) {
        out += kPlaceholder;
      } else {
        out += group.TokenView(token);
      }
    }
    return out;
  }

  void Finalize() {
    if (!dirty) return;
    Consolidate();
    dirty = false;
    // Roots with identical text (possible after merges) share one signature.
    std::unordered_map<std::string, size_t> by_text;
    std::vector<Signature> sigs;
    std::vector<uint32_t> root_sig(groups.size(), kNone);
    for (auto& [length, members] : buckets) {
      for (uint32_t id : members) {
        const Group& group = groups[id];
        if (group.count == 0) continue;
        std::string text = Render(group);
        auto [it, inserted] = by_text.emplace(text, sigs.size());
        if (inserted) {
          Signature sig;
          sig.text = std::move(text);
          sig.id = Hex64(Fnv1a64(sig.text));
          sigs.push_back(std::move(sig));
        }
        sigs[it->second].count += group.count;
        root_sig[id] = static_cast<uint32_t>(it->second);
      }
    }
    std::vector<uint32_t> order(sigs.size());
    for (size_t idx = 0; idx < order.size(); ++idx) order[idx] = static_cast<uint32_t>(idx);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      if (sigs[a].count != sigs[b].count) return sigs[a].count > sigs[b].count;
      return sigs[a].text < sigs[b].text;
    });
    std::vector<uint32_t> rank(sigs.size());
    signatures.clear();
    signatures.reserve(sigs.size());
    for (size_t idx = 0; idx < order.size(); ++idx) {
      rank[order[idx]] = static_cast<uint32_t>(idx);
      Signature& sig = sigs[order[idx]];
      if (total > 1) {
        sig.score = Round2(10.0 * std::log(static_cast<double>(total) / static_cast<double>(sig.count)) /
                           std::log(static_cast<double>(total)));
      } else {
        sig.score = 5;
      }
      signatures.push_back(std::move(sig));
    }
    signature_of_root.assign(groups.size(), kNone);
    for (size_t id = 0; id < groups.size(); ++id) {
      if (root_sig[id] != kNone) signature_of_root[id] = rank[root_sig[id]];
    }
  }
};

LogClusterer::LogClusterer() : LogClusterer(Options{}) {}
LogClusterer::LogClusterer(const Options& options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
}
LogClusterer::~LogClusterer() = default;

void LogClusterer::set_keep_assignments(bool keep) { impl_->keep_assignments = keep; }
int64_t LogClusterer::message_count() const { return impl_->total; }

size_t LogClusterer::Add(std::string_view message) {
  uint32_t id = impl_->AddMessage(message);
  if (impl_->keep_assignments) impl_->assignments.push_back(id);
  return id;
}

std::vector<Signature> LogClusterer::Signatures() const {
  impl_->Finalize();
  return impl_->signatures;
}

std::vector<size_t> LogClusterer::Assignments() const {
  impl_->Finalize();
  std::vector<size_t> out;
  out.reserve(impl_->assignments.size());
  for (uint32_t id : impl_->assignments) {
    out.push_back(impl_->signature_of_root[impl_->Find(id)]);
  }
  return out;
}

size_t LogClusterer::SignatureOf(size_t cluster_number) const {
  impl_->Finalize();
  if (cluster_number >= impl_->groups.size()) return impl_->signatures.size();
  uint32_t sig = impl_->signature_of_root[impl_->Find(static_cast<uint32_t>(cluster_number))];
  return sig == kNone ? impl_->signatures.size() : sig;
}

}  // namespace cairn::cluster
