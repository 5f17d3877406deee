// A fast, selective reader for the json operator (spec §5.3).
//
// The json operator's reference implementation builds a whole document tree per event, which
// costs more than everything else in a CloudTrail query. Most pipelines only need a few of the
// leaves: `json auto keys "userIdentity.userName" | count by %"userIdentity.userName"` reads
// one. These scanners make one validating pass over the text, without building anything, and
// hand back only the leaves asked for, as spans into the text.
//
// They are exact or they give up: a document they accept is one the reference parser accepts
// too, and the spans name the same values. Anything they are unsure about (invalid JSON,
// nesting deeper than 256, integers of 19 digits or more) returns false, and the caller falls
// back to the reference implementation, which then decides.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/strings.h"  // TextMap

namespace cairn {

enum class JsonKind { kNull, kTrue, kFalse, kNumber, kString, kObject, kArray };

// One value in the scanned text: a literal, a number token, a string token with its quotes, or
// the whole slice of an object or array.
struct JsonSpan {
  JsonKind kind = JsonKind::kNull;
  std::string_view text;
};

// The scalar text of a span the way the reference tree holds it: strings unescaped, numbers as
// written ("-0" reads as "0", as the reference parser's integer path gives), true/false.
// Only for kString, kNumber, kTrue and kFalse.
std::string JsonScalarText(const JsonSpan& span);
// The same, appended to *out (no temporary: a string without escapes is one copy of its bytes).
void AppendJsonScalarText(const JsonSpan& span, std::string* out);

// `json auto`: walks the leaves in the order and with the names of the flattening rules
// (keys joined by '.', spaces in keys become '_', `[i]` for array elements that are objects or
// when extracting arrays, arrays of scalars as one leaf, `maxdepth`). `interest` holds the
// lower-case flattened paths the pipeline uses.
class JsonAutoScanner {
 public:
  JsonAutoScanner(int maxdepth, bool extract_arrays, const std::vector<std::string>& interest);

  // For each leaf in document order: `leaf(i, span)` when its lower-case path is interest[i],
  // else `others(n)` for a run of n leaves the pipeline does not use. False when the text is
  // not an object the scanner is sure about; nothing useful has been reported then.
  bool Scan(std::string_view text, const std::function<void(size_t, const JsonSpan&)>& leaf,
            const std::function<void(int64_t)>& others);

  // Every leaf, whatever the interest: `leaf(path, span)` in document order with its lower-case
  // flattened path (the view lasts for the call). False as for Scan; leaves may have been
  // reported before a failure.
  bool ScanAll(std::string_view text, const std::function<void(std::string_view, const JsonSpan&)>& leaf);

 private:
  struct Walker;
  int maxdepth_;
  bool extract_arrays_;
  TextMap<size_t> interest_;
  TextMap<bool> prefixes_;  // lower-case paths that lead to an interest
  // Lengths of the interest paths and of the prefixes: a path of another length needs no lookup.
  std::vector<bool> interest_lengths_;
  std::vector<bool> prefix_lengths_;
};

// `json "a.b", "c"` with plain dotted keys (no brackets, quotes, '$' or '*'): the first member
// of each name at each level, as the reference path lookup does. Keys are case-sensitive.
class JsonPathScanner {
 public:
  // False when some key is not a plain dotted path: use the reference implementation.
  static bool Supports(std::string_view key);
  explicit JsonPathScanner(const std::vector<std::string>& keys);

  // found[k] is set when keys[k] resolves; spans[k] is its value. False as for JsonAutoScanner.
  bool Scan(std::string_view text, std::vector<JsonSpan>* spans, std::vector<bool>* found);

 private:
  struct Node {
    TextMap<size_t> children;  // component -> node index
    std::vector<size_t> keys;                           // keys that end here
  };
  struct Walker;
  std::vector<Node> nodes_;
  size_t key_count_ = 0;
};

}  // namespace cairn
