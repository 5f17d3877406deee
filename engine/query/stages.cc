// Record operators (parse, parse regex, json, where, assign, timeslice, lookup/geoip, fields,
// limit) and the output stage.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "engine/common/strings.h"
#include "engine/geo/geo_db.h"
#include "engine/common/json_scan.h"
#include "engine/query/parser.h"
#include "engine/query/stages_internal.h"

namespace cairn::query {

void AddColumn(Shape* shape, int id) {
  if (std::find(shape->cols.begin(), shape->cols.end(), id) == shape->cols.end()) {
    shape->cols.push_back(id);
  }
}

// The regex L0(.*?)L1(.*?)...Ln (the last capture greedy when Ln is empty), searched unanchored,
// has its leftmost match where plain substring search puts it: the first L0, then the first L1
// after it, and so on. If that chain fails, a chain from any later start fails too, since every
// literal would have to be found at or after where the first chain looked; and a lazy capture
// takes the first occurrence of the next literal that lets the rest match, which by the same
// argument is the first occurrence.
bool ParseLiteralSearch(const std::vector<std::string>& literals, std::string_view text,
                        std::vector<std::pair<size_t, size_t>>* groups) {
  std::vector<LiteralFinder> finders;
  finders.reserve(literals.size());
  for (const std::string& l : literals) finders.emplace_back(l);
  return SearchLiterals(finders, text, groups);
}

namespace {

// Forwards the shape with `created` added.
class StreamingStage : public Stage {
 public:
  Status Begin(const Shape& in) override {
    Shape out = in;
    for (int id : created_) AddColumn(&out, id);
    return next_->Begin(out);
  }
  bool OrderInsensitive() const override { return true; }
  // parse, parse regex, json, assignment, timeslice and lookups read and write the record alone.
  bool ParallelSafe() const override { return true; }

 protected:
  std::vector<int> created_;
};

std::string RegexEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || static_cast<unsigned char>(c) >= 0x80) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
      out += buf;
    }
  }
  return out;
}

// ---- parse (anchor) ----------------------------------------------------------------------

class ParseStage final : public StreamingStage {
 public:
  ParseStage(int input, std::vector<int> outputs, std::shared_ptr<CompiledRegex> re, bool nodrop,
             std::vector<std::string> literals, bool literal_search)
      : input_(input), outputs_(std::move(outputs)), re_(std::move(re)), nodrop_(nodrop),
        literals_(std::move(literals)), literal_search_(literal_search) {
    for (const std::string& l : literals_) finders_.emplace_back(l);  // views into literals_
    created_ = outputs_;
    alias_ = std::find(outputs_.begin(), outputs_.end(), input_) != outputs_.end();
    widest_ = input_;
    for (int id : outputs_) widest_ = std::max(widest_, id);
  }
  ParseStage(const ParseStage&) = delete;  // finders_ view literals_
  ParseStage& operator=(const ParseStage&) = delete;
  bool DropsByText(int raw_field) const override { return input_ == raw_field && !nodrop_; }
  bool DropsText(std::string_view raw) override {
    searched_ = nullptr;
    if (!Search(raw) || Filtered(raw)) return true;
    searched_ = raw.data();  // groups_ hold raw's match: Push takes them
    searched_size_ = raw.size();
    return false;
  }
  Status Push(Record& r) override {
    r.At(widest_);  // no slot moves below: `v` and views into it stay valid
    std::string_view raw;
    Take taken = Take::kNoMatch;
    const char* searched = searched_;
    searched_ = nullptr;
    if (r.RawView(input_, &raw)) {  // the event's text, not copied
      if (searched != nullptr && searched == raw.data() && searched_size_ == raw.size()) {
        Assign(r, raw);  // DropsText just matched it and kept it
        taken = Take::kSet;
      } else {
        taken = SearchAndAssign(r, raw);
      }
    } else if (const Value& v = r.Get(input_); !v.is_null()) {
      taken = v.is_string() ? SearchAndAssign(r, v.str()) : SearchAndAssign(r, v.ToText());
    }
    if (taken == Take::kDropped) return Ok();
    if (taken == Take::kNoMatch) {
      if (!nodrop_) return Ok();
      for (int id : outputs_) {
        if (!r.Has(id)) r.Set(id, Value::Null());
      }
    }
    return next_->Push(r);
  }

 private:
  void Linked() override {
    // A `where` on one of the captures right after: records it would drop are dropped here,
    // before the captures are set (it still decides on the others).
    filter_ = nullptr;
    if (const NumericComparison* f = next_ ? next_->NumericFilter() : nullptr) {
      for (size_t k = outputs_.size(); k-- > 0;) {  // the last capture into the field wins
        if (outputs_[k] == f->field()) {
          filter_ = f;
          filter_group_ = k + 1;
          break;
        }
      }
    }
  }
  bool Search(std::string_view text) {
    if (!literal_search_) return re_->Search(text, 0, &groups_);
    return SearchLiterals(finders_, text, &groups_);
  }
  // Searches text; on a match, sets the captures unless the next stage's filter would drop the
  // record (kDropped).
  enum class Take { kNoMatch, kDropped, kSet };
  Take SearchAndAssign(Record& r, std::string_view text) {
    if (!Search(text)) return Take::kNoMatch;
    if (Filtered(text)) return Take::kDropped;
    Assign(r, text);
    return Take::kSet;
  }
  // Whether the next stage's filter would drop the record once its captures are set from text.
  bool Filtered(std::string_view text) const {
    if (filter_ == nullptr) return false;
    auto [b, e] = groups_[filter_group_];
    if (b == std::string_view::npos) return false;  // set to null: the filter decides on that
    return !filter_->HoldsText(text.substr(b, e - b));
  }

  void Assign(Record& r, std::string_view text) {
    // text may alias a slot that we overwrite: copy captures first when the input is an output.
    if (alias_) {
      std::vector<std::string> caps;
      for (size_t k = 0; k < outputs_.size(); ++k) {
        auto [b, e] = groups_[k + 1];
        caps.emplace_back(b == std::string_view::npos ? "" : text.substr(b, e - b));
      }
      for (size_t k = 0; k < outputs_.size(); ++k) r.SetString(outputs_[k], caps[k]);
      return;
    }
    for (size_t k = 0; k < outputs_.size(); ++k) {
      auto [b, e] = groups_[k + 1];
      if (b == std::string_view::npos) r.Set(outputs_[k], Value::Null());
      else r.SetString(outputs_[k], text.substr(b, e - b));
    }
  }
  int input_;
  std::vector<int> outputs_;
  std::shared_ptr<CompiledRegex> re_;
  bool nodrop_;
  std::vector<std::string> literals_;  // L0 .. Ln
  std::vector<LiteralFinder> finders_;  // one per literal, viewing literals_ (not moved after this)
  bool literal_search_;                // search literals_ instead of running re_
  bool alias_ = false;                 // the input is one of the outputs
  int widest_ = 0;                     // the largest field id written or read
  std::vector<std::pair<size_t, size_t>> groups_;
  const NumericComparison* filter_ = nullptr;  // the next stage's, on capture filter_group_
  size_t filter_group_ = 0;
  // The text DropsText kept, whose match groups_ hold (until the next Push).
  const char* searched_ = nullptr;
  size_t searched_size_ = 0;
};

// ---- parse regex -------------------------------------------------------------------------

class RegexStage final : public StreamingStage {
 public:
  RegexStage(int input, std::vector<int> outputs, std::vector<int> group_numbers,
             std::shared_ptr<CompiledRegex> re, bool nodrop, bool multi)
      : input_(input), outputs_(std::move(outputs)), numbers_(std::move(group_numbers)),
        re_(std::move(re)), nodrop_(nodrop), multi_(multi) {
    created_ = outputs_;
    alias_ = std::find(outputs_.begin(), outputs_.end(), input_) != outputs_.end();
    widest_ = input_;
    for (int id : outputs_) widest_ = std::max(widest_, id);
  }
  Status Push(Record& r) override {
    r.At(widest_);  // no slot moves below: `v` and views into it stay valid
    // The input's own text (or the event's, not copied) when no output overwrites it; else a copy.
    std::string_view text;
    bool null = false;
    if (!r.RawView(input_, &text)) {
      const Value& v = r.Get(input_);
      null = v.is_null();
      if (v.is_string() && !alias_) {
        text = v.str();
      } else {
        text_.clear();
        v.AppendText(&text_);
        text = text_;
      }
    }
    if (null || !re_->Search(text, 0, &groups_)) {
      if (!nodrop_) return Ok();
      for (int id : outputs_) {
        if (!r.Has(id)) r.Set(id, Value::Null());
      }
      return next_->Push(r);
    }
    if (!multi_) {
      Assign(r, text);
      return next_->Push(r);
    }
    size_t start = 0;
    while (start <= text.size() && re_->Search(text, start, &groups_)) {
      Record copy = r;
      Assign(copy, text);
      CAIRN_TRY(next_->Push(copy));
      size_t end = groups_[0].second;
      start = end > groups_[0].first ? end : end + 1;
    }
    return Ok();
  }

 private:
  void Assign(Record& r, std::string_view text) {
    for (size_t k = 0; k < outputs_.size(); ++k) {
      auto [b, e] = groups_[static_cast<size_t>(numbers_[k])];
      if (b == std::string_view::npos) r.Set(outputs_[k], Value::Null());
      else r.SetString(outputs_[k], text.substr(b, e - b));
    }
  }
  int input_;
  std::vector<int> outputs_;
  std::vector<int> numbers_;
  std::shared_ptr<CompiledRegex> re_;
  bool nodrop_;
  bool multi_;
  bool alias_ = false;  // the input is one of the outputs
  int widest_ = 0;      // the largest field id written or read
  std::string text_;    // the input's text when it cannot be viewed in place
  std::vector<std::pair<size_t, size_t>> groups_;
};

// ---- json --------------------------------------------------------------------------------

// A JSON document tree that keeps object keys in document order and numbers as written
// ("1.50" stays 1.50), built with nlohmann's SAX parser.
struct Json {
  enum class Type { kNull, kBool, kNumber, kString, kObject, kArray };
  Type type = Type::kNull;
  std::string text;  // bool "true"/"false", number as written, string value
  std::vector<std::pair<std::string, Json>> members;
  std::vector<Json> elements;

  bool is_object() const { return type == Type::kObject; }
  bool is_array() const { return type == Type::kArray; }
  bool is_structured() const { return is_object() || is_array(); }
  bool empty() const { return members.empty() && elements.empty(); }
  const Json* Member(const std::string& key) const {
    for (const auto& [k, v] : members) {
      if (k == key) return &v;
    }
    return nullptr;
  }
  void Dump(std::string* out) const {
    switch (type) {
      case Type::kNull: *out += "null"; break;
      case Type::kBool:
      case Type::kNumber: *out += text; break;
      case Type::kString: *out += JsonQuote(text); break;
      case Type::kObject:
        *out += '{';
        for (size_t k = 0; k < members.size(); ++k) {
          if (k) *out += ',';
          *out += JsonQuote(members[k].first);
          *out += ':';
          members[k].second.Dump(out);
        }
        *out += '}';
        break;
      case Type::kArray:
        *out += '[';
        for (size_t k = 0; k < elements.size(); ++k) {
          if (k) *out += ',';
          elements[k].Dump(out);
        }
        *out += ']';
        break;
    }
  }
};

class JsonBuilder {
 public:
  explicit JsonBuilder(Json* root) : root_(root) {}
  bool null() { return Add(Json{}); }
  bool boolean(bool b) { return Scalar(Json::Type::kBool, b ? "true" : "false"); }
  bool number_integer(int64_t v) { return Scalar(Json::Type::kNumber, std::to_string(v)); }
  bool number_unsigned(uint64_t v) { return Scalar(Json::Type::kNumber, std::to_string(v)); }
  bool number_float(double, const std::string& s) { return Scalar(Json::Type::kNumber, s); }
  bool string(std::string& s) { return Scalar(Json::Type::kString, std::move(s)); }
  bool binary(nlohmann::json::binary_t&) { return false; }
  bool start_object(std::size_t) { return Open(Json::Type::kObject); }
  bool end_object() { return Close(); }
  bool start_array(std::size_t) { return Open(Json::Type::kArray); }
  bool end_array() { return Close(); }
  bool key(std::string& k) {
    key_ = std::move(k);
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) { return false; }

 private:
  bool Scalar(Json::Type t, std::string text) {
    Json j;
    j.type = t;
    j.text = std::move(text);
    return Add(std::move(j));
  }
  // Adds a value to the current container (or as the root); returns it through last_.
  bool Add(Json j) {
    if (stack_.empty()) {
      *root_ = std::move(j);
      last_ = root_;
      return true;
    }
    Json* parent = stack_.back();
    if (parent->is_object()) {
      parent->members.emplace_back(std::move(key_), std::move(j));
      last_ = &parent->members.back().second;
    } else {
      parent->elements.push_back(std::move(j));
      last_ = &parent->elements.back();
    }
    return true;
  }
  bool Open(Json::Type t) {
    if (stack_.size() > 512) return false;
    Json j;
    j.type = t;
    Add(std::move(j));
    stack_.push_back(last_);
    return true;
  }
  bool Close() {
    stack_.pop_back();
    return true;
  }
  Json* root_;
  Json* last_ = nullptr;
  std::vector<Json*> stack_;  // pointers stay valid: a container only grows while it is on top
  std::string key_;
};

bool ParseJson(std::string_view text, Json* out) {
  *out = Json{};
  JsonBuilder builder(out);
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  return ok;
}

Value JsonToValue(const Json& j) {
  switch (j.type) {
    case Json::Type::kNull: return Value::Null();
    case Json::Type::kBool:
    case Json::Type::kNumber:
    case Json::Type::kString: return Value::String(j.text);
    default: {
      std::string s;
      j.Dump(&s);
      return Value::String(std::move(s));
    }
  }
}

// Finds the JSON value in text: the whole (trimmed) text, else scanning back from the end for a
// closing bracket and its opening partner (spec §5.3).
bool LocateJson(std::string_view text, Json* out) {
  std::string_view t = Trim(text);
  if (!t.empty() && (t.front() == '{' || t.front() == '[')) {
    if (ParseJson(t, out)) return true;
  }
  size_t end = t.size();
  int attempts = 0;
  while (end > 0 && attempts < 8) {
    size_t close = t.find_last_of("}]", end - 1);
    if (close == std::string_view::npos) return false;
    char closer = t[close];
    char opener = closer == '}' ? '{' : '[';
    int depth = 0;
    bool in_string = false;
    size_t open = std::string_view::npos;
    for (size_t i = close + 1; i-- > 0;) {
      char c = t[i];
      if (in_string) {
        if (c == '"') {
          size_t bs = 0;
          for (size_t k = i; k-- > 0 && t[k] == '\\';) ++bs;
          if (bs % 2 == 0) in_string = false;
        }
        continue;
      }
      if (c == '"') {
        in_string = true;
      } else if (c == closer) {
        ++depth;
      } else if (c == opener) {
        if (--depth == 0) {
          open = i;
          break;
        }
      }
    }
    ++attempts;
    if (open != std::string_view::npos && ParseJson(t.substr(open, close - open + 1), out)) return true;
    end = close;
  }
  return false;
}

struct FlatField {
  std::string path;
  Value value;
};

void Flatten(const Json& j, const std::string& prefix, int depth, int maxdepth, bool extract_arrays,
             std::vector<FlatField>* out) {
  auto leaf = [&](const Json& v, const std::string& path) { out->push_back({path, JsonToValue(v)}); };
  if (!j.is_object()) return;
  for (const auto& [raw_key, v] : j.members) {
    std::string key = raw_key;
    std::replace(key.begin(), key.end(), ' ', '_');
    std::string path = prefix.empty() ? key : prefix + "." + key;
    bool container = v.is_structured();
    if (!container || (maxdepth != 0 && depth >= maxdepth)) {
      leaf(v, path);
      continue;
    }
    if (v.is_object()) {
      if (v.empty()) leaf(v, path);
      else Flatten(v, path, depth + 1, maxdepth, extract_arrays, out);
      continue;
    }
    bool scalars = std::all_of(v.elements.begin(), v.elements.end(),
                               [](const Json& e) { return !e.is_structured(); });
    if (v.empty() || (scalars && !extract_arrays)) {
      leaf(v, path);
      continue;
    }
    for (size_t i = 0; i < v.elements.size(); ++i) {
      std::string ip = path + "[" + std::to_string(i) + "]";
      const Json& e = v.elements[i];
      if (e.is_object() && (maxdepth == 0 || depth + 1 < maxdepth)) {
        Flatten(e, ip, depth + 1, maxdepth, extract_arrays, out);
      } else {
        leaf(e, ip);
      }
    }
  }
}

// JSONPath-like lookup for explicit keys (case-sensitive): a.b, a[1], a[*].b, ['x.y'], $.a
bool JsonPath(const Json& root, std::string_view path, Json* out) {
  std::vector<const Json*> current = {&root};
  size_t i = 0;
  if (!path.empty() && path[0] == '$') ++i;
  bool wildcard_used = false;
  while (i < path.size()) {
    std::vector<const Json*> next;
    if (path[i] == '.') {
      ++i;
      continue;
    }
    if (path[i] == '[') {
      size_t close = path.find(']', i);
      if (close == std::string_view::npos) return false;
      std::string_view inside = path.substr(i + 1, close - i - 1);
      i = close + 1;
      if (inside == "*") {
        wildcard_used = true;
        for (const Json* c : current) {
          for (const auto& e : c->elements) next.push_back(&e);
        }
      } else if (!inside.empty() && (inside.front() == '\'' || inside.front() == '"')) {
        std::string key(inside.substr(1, inside.size() >= 2 ? inside.size() - 2 : 0));
        for (const Json* c : current) {
          if (const Json* m = c->Member(key)) next.push_back(m);
        }
      } else {
        auto idx = ParseNumber(inside);
        if (!idx || !idx->is_int()) return false;
        for (const Json* c : current) {
          if (!c->is_array()) continue;
          int64_t k = idx->int_value();
          if (k < 0) k += static_cast<int64_t>(c->elements.size());
          if (k >= 0 && static_cast<size_t>(k) < c->elements.size()) {
            next.push_back(&c->elements[static_cast<size_t>(k)]);
          }
        }
      }
    } else {
      size_t e = i;
      while (e < path.size() && path[e] != '.' && path[e] != '[') ++e;
      std::string key(path.substr(i, e - i));
      i = e;
      for (const Json* c : current) {
        if (const Json* m = c->Member(key)) next.push_back(m);
      }
    }
    current = std::move(next);
    if (current.empty()) return false;
  }
  if (wildcard_used) {
    Json arr;
    arr.type = Json::Type::kArray;
    for (const Json* c : current) arr.elements.push_back(*c);
    *out = std::move(arr);
  } else {
    *out = *current[0];
  }
  return true;
}

class JsonStage final : public StreamingStage {
 public:
  JsonStage(const Operator& op, ExecContext& ctx, int input, std::vector<int> key_ids, bool selective)
      : op_(op), ctx_(ctx), input_(input), key_ids_(std::move(key_ids)), selective_(selective) {
    created_ = key_ids_;
    key_set_.insert(key_ids_.begin(), key_ids_.end());
    if (op_.json_auto) {
      for (const auto& k : op_.keys) key_lower_.push_back(ToLower(k));
    } else if (!op_.keys.empty() && !ctx_.options.json_full_tree &&
               std::all_of(op_.keys.begin(), op_.keys.end(), [](const std::string& k) { return JsonPathScanner::Supports(k); })) {
      path_scan_ = std::make_unique<JsonPathScanner>(op_.keys);
    }
  }
  bool OrderInsensitive() const override { return true; }

  // The columns hold what the selective scanner reports with the default flattening, read from
  // _raw: FastPush with keys only (the others are checked absent by the caller).
  bool JsonLeafPaths(std::vector<std::string>* keys, std::vector<std::string>* others) const override {
    if (!op_.json_auto || !selective_ || ctx_.options.json_full_tree || op_.maxdepth != 0 || op_.extract_arrays) {
      return false;
    }
    if (input_ != ctx_.fields.Find("_raw") || key_lower_.empty()) return false;
    *keys = key_lower_;
    others->clear();
    ForEachFieldName([&](const std::string& key, int) {
      if (std::find(key_lower_.begin(), key_lower_.end(), key) == key_lower_.end()) others->push_back(key);
    });
    std::sort(others->begin(), others->end());
    return true;
  }

  Status PushJsonLeaves(Record& r, const std::vector<const std::string_view*>& values) override {
    for (size_t k = 0; k < key_ids_.size(); ++k) {
      Slot& slot = r.At(key_ids_[k]);
      if (values[k]) slot.value.SetString(*values[k]);
      else slot.value.SetNull();
      slot.set = true;
    }
    return next_->Push(r);
  }

  Status Push(Record& r) override {
    const Value& v = r.Get(input_);
    if (v.is_string() && (path_scan_ || op_.json_auto)) {
      Fast fast = FastPush(r, v.str());
      if (fast == Fast::kPush) return next_->Push(r);
      if (fast == Fast::kDrop) return Ok();
    }
    Json doc;
    bool ok = !v.is_null() && LocateJson(v.is_string() ? std::string_view(v.str()) : std::string_view(), &doc);
    if (!op_.json_auto) {
      bool all = ok;
      std::vector<Value> vals(op_.keys.size());
      if (ok) {
        for (size_t k = 0; k < op_.keys.size(); ++k) {
          Json found;
          if (JsonPath(doc, op_.keys[k], &found)) vals[k] = JsonToValue(found);
          else all = false;
        }
      }
      if (!all && !op_.nodrop) return Ok();
      for (size_t k = 0; k < key_ids_.size(); ++k) r.Set(key_ids_[k], std::move(vals[k]));
      return next_->Push(r);
    }
    // json auto: never drops.
    for (int id : key_ids_) r.Set(id, Value::Null());
    if (ok) {
      flat_.clear();
      Flatten(doc, "", 1, op_.maxdepth, op_.extract_arrays, &flat_);
      size_t auto_count = 0;
      for (auto& f : flat_) {
        // referenced keys (case-insensitive path match)
        bool referenced = false;
        if (!key_lower_.empty()) {
          std::string lower = ToLower(f.path);
          for (size_t k = 0; k < key_lower_.size(); ++k) {
            if (lower == key_lower_[k]) {
              r.Set(key_ids_[k], f.value);
              referenced = true;
            }
          }
        }
        if (referenced || op_.refonly) continue;
        if (auto_count >= 100) continue;
        ++auto_count;
        int id = ctx_.fields.Intern(f.path);
        if (static_cast<size_t>(id) < ctx_.fields.builtin_count()) continue;  // never shadow system fields
        r.Set(id, std::move(f.value));
      }
    }
    return next_->Push(r);
  }

 private:
  // The value the reference tree gives for a span.
  static Value SpanValue(const JsonSpan& span) {
    switch (span.kind) {
      case JsonKind::kNull: return Value::Null();
      case JsonKind::kObject:
      case JsonKind::kArray: {
        Json j;
        if (!ParseJson(span.text, &j)) return Value::Null();  // cannot happen: the scanner validated it
        return JsonToValue(j);
      }
      default: return Value::String(JsonScalarText(span));
    }
  }
  // SpanValue(span) into *out, reusing its string buffer.
  static void SpanInto(const JsonSpan& span, Value* out) {
    switch (span.kind) {
      case JsonKind::kNull: out->SetNull(); return;
      case JsonKind::kObject:
      case JsonKind::kArray: *out = SpanValue(span); return;
      default: AppendJsonScalarText(span, &out->ResetString()); return;
    }
  }
  static void SetSpan(Record& r, int id, const JsonSpan& span) {
    Slot& slot = r.At(id);
    SpanInto(span, &slot.value);
    slot.set = true;
  }
  static void SetNull(Record& r, int id) {
    Slot& slot = r.At(id);
    slot.value.SetNull();
    slot.set = true;
  }

  enum class Fast { kFallback, kPush, kDrop };

  // The selective scanners (json_scan_internal.h): kPush or kDrop when they handled the record
  // exactly as the reference path would; kFallback to leave it to the reference path.
  Fast FastPush(Record& r, std::string_view text) {
    std::string_view t = Trim(text);
    if (t.empty() || t.front() != '{') return Fast::kFallback;
    if (path_scan_) {
      if (!path_scan_->Scan(t, &spans_, &found_)) return Fast::kFallback;
      bool all = std::all_of(found_.begin(), found_.end(), [](bool b) { return b; });
      if (!all && !op_.nodrop) return Fast::kDrop;
      for (size_t k = 0; k < key_ids_.size(); ++k) {
        if (found_[k]) SetSpan(r, key_ids_[k], spans_[k]);
        else SetNull(r, key_ids_[k]);
      }
      return Fast::kPush;
    }
    // json auto: only when every field the rest of the pipeline can see is known by name.
    if (!selective_) return Fast::kFallback;
    if (!auto_scan_) BuildAutoScanner();
    // Leaves are replayed only once the whole text has validated: on failure the reference path
    // decides, and it may locate a different JSON value in the text.
    events_.clear();
    bool ok = auto_scan_->Scan(
        t, [&](size_t i, const JsonSpan& span) { events_.push_back({static_cast<int64_t>(i), span}); },
        [&](int64_t n) { events_.push_back({-n, JsonSpan{}}); });
    if (!ok) return Fast::kFallback;
    for (int id : key_ids_) SetNull(r, id);
    size_t auto_count = 0;
    for (const auto& [i, span] : events_) {
      if (i < 0) {
        auto_count = std::min<size_t>(100, auto_count + static_cast<size_t>(-i));
        continue;
      }
      const Interest& in = interest_[static_cast<size_t>(i)];
      for (size_t k : in.keys) SetSpan(r, key_ids_[k], span);
      if (!in.keys.empty() || op_.refonly) continue;
      if (auto_count >= 100) continue;
      ++auto_count;
      if (in.field >= 0) SetSpan(r, in.field, span);
    }
    return Fast::kPush;
  }

  // The paths worth reading: the referenced keys, and (unless refonly) every user field name the
  // query mentions, since a flattened leaf of that name would land in it.
  void BuildAutoScanner() {
    std::vector<std::string> paths;
    std::unordered_map<std::string, size_t> index;
    auto slot = [&](const std::string& path) {
      auto [it, fresh] = index.emplace(path, paths.size());
      if (fresh) {
        paths.push_back(path);
        interest_.push_back({});
      }
      return it->second;
    };
    for (size_t k = 0; k < key_lower_.size(); ++k) interest_[slot(key_lower_[k])].keys.push_back(k);
    ForEachFieldName([&](const std::string& key, int id) { interest_[slot(key)].field = id; });
    auto_scan_ = std::make_unique<JsonAutoScanner>(op_.maxdepth, op_.extract_arrays, paths);
  }

  // Unless refonly: fn(lower-case name, id) for every user field the query names (a leaf of that
  // path lands in it).
  template <typename Fn>
  void ForEachFieldName(Fn&& fn) const {
    if (op_.refonly) return;
    for (const auto& [key, id] : ctx_.fields.Keys()) {
      if (static_cast<size_t>(id) >= ctx_.fields.builtin_count()) fn(key, id);
    }
  }

  struct Interest {
    std::vector<size_t> keys;  // referenced keys with this path
    int field = -1;            // the user field of this name, if the query has one
  };

  Operator op_;
  ExecContext& ctx_;
  int input_;
  std::vector<int> key_ids_;
  bool selective_;
  std::unordered_set<int> key_set_;
  std::vector<std::string> key_lower_;
  std::vector<FlatField> flat_;
  std::unique_ptr<JsonPathScanner> path_scan_;
  std::unique_ptr<JsonAutoScanner> auto_scan_;
  std::vector<Interest> interest_;
  std::vector<std::pair<int64_t, JsonSpan>> events_;  // (interest index | -(other leaves), span)
  std::vector<JsonSpan> spans_;
  std::vector<bool> found_;
};

// ---- where -------------------------------------------------------------------------------

class WhereStage final : public StreamingStage {
 public:
  WhereStage(Operator op, ExecContext& ctx) : op_(std::move(op)), ctx_(ctx) {
    ResolveExpr(op_.expr, ctx_.fields);
    const Expr& e = op_.expr;
    numeric_ = NumericComparison::Match(e, &comparison_);
    // field = "literal": remember the values seen, for the hint when nothing matches.
    if (e.kind == Expr::Kind::kBinary && e.op == "=") {
      const Expr* f = nullptr;
      const Expr* lit = nullptr;
      if (e.args[0].kind == Expr::Kind::kField && e.args[1].kind == Expr::Kind::kLiteral) {
        f = &e.args[0];
        lit = &e.args[1];
      } else if (e.args[1].kind == Expr::Kind::kField && e.args[0].kind == Expr::Kind::kLiteral) {
        f = &e.args[1];
        lit = &e.args[0];
      }
      if (f && lit && lit->value.is_string()) {
        hint_field_ = f->field_id;
        hint_name_ = f->name;
        hint_literal_ = lit->value.str();
      }
    }
  }
  const NumericComparison* NumericFilter() const override { return numeric_ ? &comparison_ : nullptr; }

  Status Push(Record& r) override {
    // The hint is only given when nothing passes: once something has, stop counting.
    if (hint_field_ >= 0 && passed_ == 0) {
      const Value& v = r.Get(hint_field_);
      if (!v.is_null()) {
        std::string_view text;
        if (v.is_string()) {
          text = v.str();
        } else {
          hint_text_.clear();
          v.AppendText(&hint_text_);
          text = hint_text_;
        }
        auto it = seen_.find(text);
        if (it != seen_.end()) ++it->second;
        else if (seen_.size() < 10000) seen_.emplace(std::string(text), 1);
      }
    }
    if (numeric_ ? !comparison_.Holds(r) : !Truthy(Eval(op_.expr, r))) return Ok();
    ++passed_;
    return next_->Push(r);
  }
  Status Finish() override {
    if (hint_field_ >= 0 && passed_ == 0 && !seen_.empty()) {
      std::vector<std::pair<std::string, int64_t>> counts(seen_.begin(), seen_.end());
      std::sort(counts.begin(), counts.end(), [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
      });
      std::string msg = hint_name_ + " has " + std::to_string(counts.size()) + " value" +
                        (counts.size() == 1 ? "" : "s") + " in scope: ";
      for (size_t k = 0; k < counts.size() && k < 10; ++k) {
        if (k) msg += ", ";
        msg += counts[k].first + " (" + WithThousands(counts[k].second) + ")";
      }
      if (counts.size() > 10) msg += ", ... (" + std::to_string(counts.size() - 10) + " more)";
      ctx_.notices.push_back(msg);
      for (const auto& [value, n] : counts) {
        if (EqualsIgnoreCase(value, hint_literal_)) {
          ctx_.notices.push_back("'" + value + "' differs from \"" + hint_literal_ +
                                 "\" only in letter case: where comparisons are case-sensitive");
          break;
        }
      }
    }
    return next_->Finish();
  }
  // The hint's counts: the values seen by both copies.
  Status MergeFrom(Stage& other) override {
    auto& o = static_cast<WhereStage&>(other);
    passed_ += o.passed_;
    for (auto& [value, n] : o.seen_) {
      auto it = seen_.find(value);
      if (it != seen_.end()) it->second += n;
      else if (seen_.size() < 10000) seen_.emplace(value, n);
    }
    return Ok();
  }

 private:
  Operator op_;
  ExecContext& ctx_;
  bool numeric_ = false;  // op_.expr is a field against a number: comparison_ decides
  NumericComparison comparison_;
  int hint_field_ = -1;
  std::string hint_name_;
  std::string hint_literal_;
  TextMap<int64_t> seen_;
  std::string hint_text_;
  int64_t passed_ = 0;
};

// ---- assign ------------------------------------------------------------------------------

class AssignStage final : public StreamingStage {
 public:
  AssignStage(Operator op, ExecContext& ctx) : op_(std::move(op)) {
    ResolveExpr(op_.expr, ctx.fields);
    target_ = ctx.fields.Intern(op_.target);
    created_ = {target_};
  }
  Status Push(Record& r) override {
    r.Set(target_, Eval(op_.expr, r));
    return next_->Push(r);
  }

 private:
  Operator op_;
  int target_;
};

// ---- timeslice ---------------------------------------------------------------------------

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

class TimesliceStage final : public StreamingStage {
 public:
  TimesliceStage(int target, int end_field, int64_t size, int64_t tz_ms, bool single, int64_t single_start,
                 int64_t single_end)
      : target_(target), end_(end_field), size_(size), tz_ms_(tz_ms), single_(single),
        single_start_(single_start), single_end_(single_end) {
    created_ = {target_};
  }
  Status Push(Record& r) override {
    if (!r.base) {
      r.Set(target_, Value::Null());
      r.Set(end_, Value::Null());
      return next_->Push(r);
    }
    int64_t t = r.base->ts;
    int64_t start = 0;
    int64_t end = 0;
    if (single_) {
      start = single_start_;
      end = single_end_;
    } else {
      constexpr int64_t kDay = 86400000;
      // d/w buckets are aligned in the chosen time zone; weeks start on Monday (1970-01-05).
      int64_t shift = 0;
      if (size_ % kDay == 0) shift += tz_ms_;
      if (size_ % (7 * kDay) == 0) shift -= 4 * kDay;
      start = FloorDiv(t + shift, size_) * size_ - shift;
      end = start + size_;
    }
    r.SetTime(target_, start);
    r.SetTime(end_, end);
    return next_->Push(r);
  }

 private:
  int target_;
  int end_;
  int64_t size_;
  int64_t tz_ms_;
  bool single_;
  int64_t single_start_;
  int64_t single_end_;
};

// ---- geo ---------------------------------------------------------------------------------

class GeoStage final : public StreamingStage {
 public:
  GeoStage(int ip_field, std::vector<LookupColumn> columns, const geo::GeoDb* db, ExecContext& ctx)
      : ip_(ip_field), columns_(std::move(columns)), db_(db) {
    for (auto& c : columns_) ids_.push_back(ctx.fields.Intern(c.alias));
    created_ = ids_;
  }
  Status Push(Record& r) override {
    const Value& v = r.Get(ip_);
    const geo::Location* loc = nullptr;
    if (v.is_string() && !v.str().empty()) {
      auto it = cache_.find(v.str());
      if (it == cache_.end()) {
        if (cache_.size() > 200000) cache_.clear();
        auto found = db_->Lookup(Trim(v.str()));
        geo::Location l;
        if (found.ok()) l = *found;
        it = cache_.emplace(v.str(), std::move(l)).first;
      }
      if (it->second.found) loc = &it->second;
    }
    for (size_t k = 0; k < columns_.size(); ++k) r.Set(ids_[k], loc ? Field(*loc, columns_[k].name) : Value::Null());
    return next_->Push(r);
  }

 private:
  static Value Str(const std::string& s) { return s.empty() ? Value::Null() : Value::String(s); }
  static Value Field(const geo::Location& l, const std::string& name) {
    auto round5 = [](double d) { return Value::Double(std::round(d * 1e5) / 1e5); };
    if (name == "latitude") return l.latitude ? round5(*l.latitude) : Value::Null();
    if (name == "longitude") return l.longitude ? round5(*l.longitude) : Value::Null();
    if (name == "country_code") return Str(l.country_code);
    if (name == "country_name") return Str(l.country_name);
    if (name == "continent") return Str(l.continent);
    if (name == "region") return Str(l.region);
    if (name == "state") return Str(l.state);
    if (name == "city") return Str(l.city);
    if (name == "postal_code") return Str(l.postal_code);
    return Value::Null();
  }
  int ip_;
  std::vector<LookupColumn> columns_;
  std::vector<int> ids_;
  const geo::GeoDb* db_;
  std::unordered_map<std::string, geo::Location> cache_;
};

// ---- limit / fields ----------------------------------------------------------------------

class LimitStage final : public Stage {
 public:
  LimitStage(int64_t n, ExecContext& ctx, bool can_stop) : n_(n), ctx_(ctx), can_stop_(can_stop) {}
  Status Push(Record& r) override {
    if (seen_ >= n_) return Ok();
    ++seen_;
    if (seen_ >= n_ && can_stop_) ctx_.stop = true;
    return next_->Push(r);
  }

 private:
  int64_t n_;
  ExecContext& ctx_;
  bool can_stop_;
  int64_t seen_ = 0;
};

class FieldsStage final : public Stage {
 public:
  FieldsStage(const Operator& op, ExecContext& ctx) : deny_(op.deny), ctx_(ctx) {
    for (const auto& n : op.names) ids_.push_back(ctx.fields.Intern(n));
  }
  bool OrderInsensitive() const override { return true; }
  Status Begin(const Shape& in) override {
    Shape out;
    out.aggregated = in.aggregated;
    if (deny_) {
      for (int id : in.cols) {
        if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) out.cols.push_back(id);
      }
      if (!in.aggregated) {
        for (int id : ids_) {
          const std::string& d = ctx_.fields.Display(id);
          if (EqualsIgnoreCase(d, "_raw")) hide_raw_ = true;
        }
      }
    } else if (in.aggregated) {
      for (int id : ids_) {
        if (std::find(in.cols.begin(), in.cols.end(), id) != in.cols.end()) out.cols.push_back(id);
      }
      // system (_-prefixed) columns always pass
      for (int id : in.cols) {
        if (!ctx_.fields.Display(id).empty() && ctx_.fields.Display(id)[0] == '_') AddColumn(&out, id);
      }
    } else {
      out.cols = ids_;  // records: the named fields (typed columns included); _messageTime/_raw stay
    }
    return next_->Begin(out);
  }
  Status Push(Record& r) override {
    if (deny_) {
      for (int id : ids_) {
        if (r.Has(id)) r.At(id).set = false;
      }
    }
    return next_->Push(r);
  }

 private:
  bool deny_;
  ExecContext& ctx_;
  std::vector<int> ids_;
  bool hide_raw_ = false;
};

}  // namespace

Result<std::unique_ptr<Stage>> MakeParseStage(const Operator& op, ExecContext& ctx) {
  int input = ctx.fields.Intern(op.input_field.empty() ? "_raw" : op.input_field);
  std::vector<int> outs;
  for (const auto& n : op.names) outs.push_back(ctx.fields.Intern(n));
  // L0 (.*?) L1 (.*?) ... Ln ; last capture greedy when Ln is empty.
  std::vector<std::string> parts;
  std::string cur;
  for (char c : op.pattern) {
    if (c == '*') {
      parts.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  parts.push_back(cur);
  std::string re;
  for (size_t k = 0; k < parts.size(); ++k) {
    re += RegexEscape(parts[k]);
    if (k + 1 < parts.size()) {
      bool last = k + 2 == parts.size();
      re += (last && parts.back().empty()) ? "(.*)" : "(.*?)";
    }
  }
  CompiledRegex::Options o;
  o.dotall = true;
  o.caseless = ctx.options.parse_ignore_case;
  CAIRN_ASSIGN_OR_RETURN(auto compiled, CompiledRegex::Compile(re, o));
  // The regex stays the reference (and the engine for caseless matching); the literal search
  // gives the same groups (tests/unit/query/parse_literal_test.cc compares the two).
  bool literal_search = !o.caseless && compiled->capture_count() + 1 == static_cast<int>(parts.size());
  return std::unique_ptr<Stage>(new ParseStage(input, std::move(outs), std::move(compiled), op.nodrop,
                                               std::move(parts), literal_search));
}

Result<std::unique_ptr<Stage>> MakeRegexStage(const Operator& op, ExecContext& ctx) {
  int input = ctx.fields.Intern(op.input_field.empty() ? "_raw" : op.input_field);
  CAIRN_ASSIGN_OR_RETURN(auto re, CompiledRegex::Compile(op.pattern, {}));
  std::vector<int> outs, numbers;
  for (const auto& [name, number] : re->named_groups()) {
    outs.push_back(ctx.fields.Intern(name));
    numbers.push_back(number);
  }
  return std::unique_ptr<Stage>(
      new RegexStage(input, std::move(outs), std::move(numbers), std::move(re), op.nodrop, op.multi));
}

Result<std::unique_ptr<Stage>> MakeJsonStage(const Operator& op, ExecContext& ctx, bool selective) {
  int input = ctx.fields.Intern(op.input_field.empty() ? "_raw" : op.input_field);
  std::vector<int> ids;
  for (size_t k = 0; k < op.keys.size(); ++k) {
    const std::string& name = k < op.names.size() ? op.names[k] : op.keys[k];
    int id = ctx.fields.Intern(name);
    ctx.fields.SetDisplay(id, name);
    ids.push_back(id);
  }
  return std::unique_ptr<Stage>(new JsonStage(op, ctx, input, std::move(ids), selective));
}

std::unique_ptr<Stage> MakeWhereStage(Operator op, ExecContext& ctx) {
  return std::make_unique<WhereStage>(std::move(op), ctx);
}

std::unique_ptr<Stage> MakeAssignStage(Operator op, ExecContext& ctx) {
  return std::make_unique<AssignStage>(std::move(op), ctx);
}

std::unique_ptr<Stage> MakeTimesliceStage(const Operator& op, ExecContext& ctx) {
  int target = ctx.fields.Intern(op.alias.empty() ? "_timeslice" : op.alias);
  int end = ctx.fields.Intern("__timeslice_end");
  int64_t size = op.slice_ms;
  bool single = false;
  int64_t s0 = 0, s1 = 0;
  if (size == 0) {
    static const int64_t kSizes[] = {1000, 5000, 10000, 15000, 30000, 60000, 300000, 600000,
                                     900000, 1800000, 3600000, 7200000, 10800000, 21600000,
                                     43200000, 86400000, 604800000};
    int64_t range = ctx.range ? ctx.range->second - ctx.range->first + 1 : 1;
    if (op.buckets > 0) {
      size = kSizes[std::size(kSizes) - 1];
      for (int64_t cand : kSizes) {
        if ((range + cand - 1) / cand <= op.buckets) {
          size = cand;
          break;
        }
      }
    } else {
      single = true;
      s0 = ctx.range ? ctx.range->first : 0;
      s1 = ctx.range ? ctx.range->second + 1 : 0;
      size = std::max<int64_t>(1, s1 - s0);
    }
  }
  ctx.last_slice_ms = size;
  return std::make_unique<TimesliceStage>(target, end, size,
                                          static_cast<int64_t>(ctx.options.tz_offset_minutes) * 60000,
                                          single, s0, s1);
}

std::unique_ptr<Stage> MakeLimitStage(int64_t n, ExecContext& ctx, bool can_stop) {
  return std::make_unique<LimitStage>(n, ctx, can_stop);
}

std::unique_ptr<Stage> MakeFieldsStage(const Operator& op, ExecContext& ctx) {
  return std::make_unique<FieldsStage>(op, ctx);
}

std::unique_ptr<Stage> MakeGeoStage(int ip_field, std::vector<LookupColumn> columns,
                                    const geo::GeoDb* db, ExecContext& ctx) {
  return std::make_unique<GeoStage>(ip_field, std::move(columns), db, ctx);
}

// ---- output ------------------------------------------------------------------------------

OutputStage::OutputStage(ExecContext& ctx, RowSink& sink, QueryResult& result)
    : ctx_(ctx), sink_(sink), result_(result) {}

Status OutputStage::Begin(const Shape& in) {
  ids_.clear();
  result_.aggregated = in.aggregated;
  if (in.aggregated) {
    for (int id : in.cols) {
      if (ctx_.fields.Display(id) == "__timeslice_end") continue;
      ids_.push_back(id);
    }
  } else {
    int mt = ctx_.fields.Intern("_messageTime");
    int raw = ctx_.fields.Intern("_raw");
    ids_.push_back(mt);
    for (int id : in.cols) {
      if (id == mt || id == raw || ctx_.fields.Display(id) == "__timeslice_end") continue;
      ids_.push_back(id);
    }
    ids_.push_back(raw);
  }
  names_.clear();
  for (int id : ids_) {
    names_.push_back(ctx_.fields.Display(id));
    bool seen = false;
    for (const auto& c : result_.columns) {
      if (EqualsIgnoreCase(c, names_.back())) seen = true;
    }
    if (!seen) result_.columns.push_back(names_.back());
  }
  return Ok();
}

Status OutputStage::Push(Record& r) {
  values_.resize(ids_.size());
  for (size_t k = 0; k < ids_.size(); ++k) values_[k] = r.Get(ids_[k]);
  ++result_.stats.rows_out;
  return sink_.OnRow(names_, values_);
}

}  // namespace cairn::query
