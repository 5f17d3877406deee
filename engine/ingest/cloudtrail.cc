// CloudTrail: every envelope shape, record extraction with simdjson (error-code API only).
#include <simdjson.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

#include "engine/common/strings.h"
#include "engine/ingest/parsers.h"

namespace cairn::ingest {

using store::Event;

namespace {

// ---- A minimal structural JSON scanner: finds value spans without building anything. -----------
// It checks brackets, strings and escapes; leaf values are validated later by simdjson.
struct Span {
  size_t begin = 0;
  size_t end = 0;  // one past the last byte
};

class Scanner {
 public:
  explicit Scanner(std::string_view text) : s_(text) {}

  void SkipWs(size_t* pos) const {
    while (*pos < s_.size()) {
      char c = s_[*pos];
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        ++*pos;
      } else {
        break;
      }
    }
  }

  // Skips the string starting at s_[*pos] == '"'. False (with error_) when unterminated.
  bool SkipString(size_t* pos) {
    size_t p = *pos + 1;
    while (true) {
      const void* hit = nullptr;
      size_t remaining = s_.size() - p;
      // Fast path: find the next quote; then check the backslashes before it.
      hit = std::memchr(s_.data() + p, '"', remaining);
      if (!hit) return Fail(s_.size(), "unterminated string");
      size_t q = static_cast<size_t>(static_cast<const char*>(hit) - s_.data());
      const void* nl = std::memchr(s_.data() + p, '\n', q - p);
      if (nl) {
        return Fail(static_cast<size_t>(static_cast<const char*>(nl) - s_.data()),
                    "unterminated string (newline inside a string)");
      }
      size_t backslashes = 0;
      while (q - backslashes > p && s_[q - backslashes - 1] == '\\') ++backslashes;
      if (backslashes % 2 == 0) {
        *pos = q + 1;
        return true;
      }
      p = q + 1;
    }
  }

  // Skips any value at *pos (after whitespace). Returns its span.
  bool SkipValue(size_t* pos, Span* span) {
    SkipWs(pos);
    if (*pos >= s_.size()) return Fail(*pos, "unexpected end of input");
    span->begin = *pos;
    char c = s_[*pos];
    if (c == '"') {
      if (!SkipString(pos)) return false;
    } else if (c == '{' || c == '[') {
      int depth = 0;
      size_t p = *pos;
      while (p < s_.size()) {
        char d = s_[p];
        if (d == '"') {
          if (!SkipString(&p)) return false;
          continue;
        }
        if (d == '{' || d == '[') {
          if (++depth > 1024) return Fail(p, "nesting deeper than 1024");
        } else if (d == '}' || d == ']') {
          --depth;
          if (depth == 0) {
            *pos = p + 1;
            span->end = *pos;
            return true;
          }
        }
        ++p;
      }
      return Fail(s_.size(), "unexpected end of input (truncated JSON)");
    } else {
      size_t p = *pos;
      while (p < s_.size() && std::strchr(",}] \n\r\t", s_[p]) == nullptr) ++p;
      if (p == *pos) return Fail(p, std::string("unexpected '") + c + "'");
      *pos = p;
    }
    span->end = *pos;
    return true;
  }

  struct Member {
    std::string_view key;  // raw key text without quotes
    Span value;
  };

  // Reads the members of the object at *pos. Elements of array members named in collect are
  // gathered into elements (even when the object later turns out to be truncated).
  bool ScanObject(size_t* pos, std::vector<Member>* members,
                  const std::array<std::string_view, 3>& collect,
                  std::vector<Span>* elements, std::string_view* collected_key) {
    size_t p = *pos + 1;  // after '{'
    SkipWs(&p);
    if (p < s_.size() && s_[p] == '}') {
      *pos = p + 1;
      return true;
    }
    while (true) {
      SkipWs(&p);
      if (p >= s_.size()) return Fail(p, "unexpected end of input (truncated JSON)");
      if (s_[p] != '"') return Fail(p, "expected a member name");
      size_t kb = p;
      if (!SkipString(&p)) return false;
      std::string_view key = s_.substr(kb + 1, p - kb - 2);
      SkipWs(&p);
      if (p >= s_.size() || s_[p] != ':') return Fail(p, "expected ':'");
      ++p;
      SkipWs(&p);
      Member m;
      m.key = key;
      bool want = p < s_.size() && s_[p] == '[' &&
                  std::find(collect.begin(), collect.end(), key) != collect.end() &&
                  collected_key->empty();
      if (want) {
        *collected_key = key;
        m.value.begin = p;
        if (!ScanArray(&p, elements)) return false;
        m.value.end = p;
      } else if (!SkipValue(&p, &m.value)) {
        return false;
      }
      members->push_back(m);
      SkipWs(&p);
      if (p >= s_.size()) return Fail(p, "unexpected end of input (truncated JSON)");
      if (s_[p] == ',') {
        ++p;
        continue;
      }
      if (s_[p] == '}') {
        *pos = p + 1;
        return true;
      }
      return Fail(p, "expected ',' or '}'");
    }
  }

  // Collects element spans of the array at *pos.
  bool ScanArray(size_t* pos, std::vector<Span>* elements) {
    size_t p = *pos + 1;
    SkipWs(&p);
    if (p < s_.size() && s_[p] == ']') {
      *pos = p + 1;
      return true;
    }
    while (true) {
      Span span;
      if (!SkipValue(&p, &span)) return false;
      elements->push_back(span);
      SkipWs(&p);
      if (p >= s_.size()) return Fail(p, "unexpected end of input (truncated JSON)");
      if (s_[p] == ',') {
        ++p;
        continue;
      }
      if (s_[p] == ']') {
        *pos = p + 1;
        return true;
      }
      return Fail(p, "expected ',' or ']'");
    }
  }

  size_t error_pos() const { return error_pos_; }
  const std::string& error() const { return error_; }

 private:
  bool Fail(size_t pos, std::string message) {
    error_pos_ = pos;
    error_ = std::move(message);
    return false;
  }

  std::string_view s_;
  size_t error_pos_ = 0;
  std::string error_;
};

// Replaces invalid UTF-8 sequences by U+FFFD.
std::string RepairUtf8(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  size_t k = 0;
  while (k < s.size()) {
    auto c = static_cast<unsigned char>(s[k]);
    size_t len = 0;
    if (c < 0x80) {
      len = 1;
    } else if ((c >> 5) == 0x6 && c >= 0xC2) {
      len = 2;
    } else if ((c >> 4) == 0xE) {
      len = 3;
    } else if ((c >> 3) == 0x1E && c <= 0xF4) {
      len = 4;
    }
    bool ok = len > 0 && k + len <= s.size();
    for (size_t j = 1; ok && j < len; ++j) ok = (static_cast<unsigned char>(s[k + j]) >> 6) == 0x2;
    if (ok && len > 1 && !IsValidUtf8(s.substr(k, len))) ok = false;
    if (ok) {
      out.append(s.substr(k, len));
      k += len;
    } else {
      out.append("\xEF\xBF\xBD");
      ++k;
    }
  }
  return out;
}

// ---- Order-independent content hash of a DOM value. --------------------------------------------
uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

uint64_t HashBytes(std::string_view s, uint64_t seed) {
  uint64_t h = 14695981039346656037ULL ^ seed;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

uint64_t HashElement(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      // Members combine by addition: key order does not change the hash (the same record written
      // by two exporters with different key order is the same record).
      uint64_t sum = 0;
      uint64_t count = 0;
      for (auto field : simdjson::dom::object(e)) {
        sum += Mix(HashBytes(field.key, 0x6b) * 31 + HashElement(field.value));
        ++count;
      }
      return Mix(sum ^ (count * 0x9e3779b97f4a7c15ULL) ^ 0x0b);
    }
    case element_type::ARRAY: {
      uint64_t h = 0xa1;
      for (auto child : simdjson::dom::array(e)) h = Mix(h * 0x100000001b3ULL ^ HashElement(child));
      return h;
    }
    case element_type::STRING: {
      std::string_view s;
      if (e.get_string().get(s) != simdjson::SUCCESS) return 0;
      return Mix(HashBytes(s, 0x57));
    }
    case element_type::INT64: {
      int64_t v = 0;
      if (e.get_int64().get(v) != simdjson::SUCCESS) return 0;
      return Mix(static_cast<uint64_t>(v) ^ 0x1111);
    }
    case element_type::UINT64: {
      uint64_t v = 0;
      if (e.get_uint64().get(v) != simdjson::SUCCESS) return 0;
      return Mix(v ^ 0x1111);
    }
    case element_type::DOUBLE: {
      double v = 0;
      if (e.get_double().get(v) != simdjson::SUCCESS) return 0;
      uint64_t bits = 0;
      std::memcpy(&bits, &v, sizeof bits);
      return Mix(bits ^ 0x2222);
    }
    case element_type::BOOL: {
      bool v = false;
      if (e.get_bool().get(v) != simdjson::SUCCESS) return 0;
      return v ? 0x3333 : 0x4444;
    }
    case element_type::NULL_VALUE: return 0x5555;
  }
  return 0;
}

std::string_view Str(simdjson::dom::element e) {
  std::string_view s;
  if (e.get_string().get(s) != simdjson::SUCCESS) return {};
  return s;
}

std::string_view Member(simdjson::dom::object o, std::string_view key) {
  simdjson::dom::element v;
  if (o.at_key(key).get(v) != simdjson::SUCCESS) return {};
  return Str(v);
}

bool AsObject(simdjson::dom::element e, simdjson::dom::object* out) {
  return e.get_object().get(*out) == simdjson::SUCCESS;
}

// Keys that mark a CloudTrail record, in any letter case (exports such as Panther's lower-case
// them): such a record without eventTime is a partial CloudTrail record, not foreign JSON.
bool LooksLikeCloudTrailKey(std::string_view k) {
  for (std::string_view known : {"eventname", "eventsource", "eventid", "eventtime", "eventversion",
                                 "useridentity", "awsregion", "eventtype", "eventcategory",
                                 "sourceipaddress", "recipientaccountid"}) {
    if (EqualsIgnoreCase(k, known)) return true;
  }
  return false;
}

// requestParameters names that identify the main target, in order of preference.
constexpr std::array<std::string_view, 34> kResourceKeys = {
    "roleName", "roleArn", "policyArn", "groupName", "instanceProfileName", "policyName",
    "trailName", "name", "functionName", "secretId", "keyId", "dBInstanceIdentifier",
    "dBSnapshotIdentifier", "snapshotId", "imageId", "instanceId", "groupId", "logGroupName",
    "topicArn", "queueUrl", "stackName", "clusterName", "repositoryName", "detectorId",
    "hostedZoneId", "serialNumber", "samlProviderArn", "openIDConnectProviderArn",
    "serverCertificateName", "vpcId", "flowLogIds", "resourceArn", "targetId", "parameterName"};

}  // namespace

struct CloudTrailParser::Impl {
  simdjson::dom::parser record_parser;
  simdjson::dom::parser wrapper_parser;
  std::string buffer;  // minified record + padding
  std::string repaired;
  int64_t utf8_repaired = 0;
  Event event;

  // Minifies json into buffer and parses it. Returns the simdjson error.
  simdjson::error_code MinifyAndParse(std::string_view json, simdjson::dom::element* root,
                                      size_t* compact_len) {
    buffer.resize(json.size() + simdjson::SIMDJSON_PADDING);
    size_t len = 0;
    auto err = simdjson::minify(json.data(), json.size(), buffer.data(), len);
    if (err != simdjson::SUCCESS) return err;
    *compact_len = len;
    std::memset(buffer.data() + len, 0, simdjson::SIMDJSON_PADDING);
    return record_parser.parse(buffer.data(), len, false).get(*root);
  }

  Status Extract(simdjson::dom::element root, size_t compact_len, Event* e);
  Status Record(std::string_view json, Event* e);
};

Status CloudTrailParser::Impl::Record(std::string_view json, Event* e) {
  ResetEvent(e);
  e->source_type = store::SourceType::kCloudTrail;
  simdjson::dom::element root;
  size_t len = 0;
  auto err = MinifyAndParse(json, &root, &len);
  if (err == simdjson::UTF8_ERROR) {
    repaired = RepairUtf8(json);
    err = MinifyAndParse(repaired, &root, &len);
    if (err == simdjson::SUCCESS) ++utf8_repaired;
  }
  if (err != simdjson::SUCCESS) {
    return Error::Parse(std::string("invalid JSON: ") + simdjson::error_message(err));
  }
  return Extract(root, len, e);
}

Status CloudTrailParser::Impl::Extract(simdjson::dom::element root, size_t compact_len, Event* e) {
  simdjson::dom::object rec;
  if (!AsObject(root, &rec)) return Error::Parse("JSON value is not an object (expected a CloudTrail record)");
  std::string_view event_time;
  bool has_time_key = false;
  bool cloudtrail_key = false;
  simdjson::dom::object identity, params, response, additional;
  bool has_identity = false, has_params = false, has_response = false, has_additional = false;
  std::string_view recipient;
  for (auto field : rec) {
    std::string_view k = field.key;
    switch (k.empty() ? '\0' : k[0]) {
      case 'e':
        if (k == "eventTime") {
          has_time_key = true;
          event_time = Str(field.value);
          cloudtrail_key = true;
        } else if (k == "eventName") {
          e->action.assign(Str(field.value));
          cloudtrail_key = true;
        } else if (k == "eventID") {
          e->event_id.assign(Str(field.value));
          cloudtrail_key = true;
        } else if (k == "errorCode") {
          e->error_code.assign(Str(field.value));
        } else if (k == "eventSource" || k == "eventVersion" || k == "eventType") {
          cloudtrail_key = true;
        }
        break;
      case 'a':
        if (k == "awsRegion") e->region.assign(Str(field.value));
        else if (k == "additionalEventData") has_additional = AsObject(field.value, &additional);
        break;
      case 's':
        if (k == "sourceIPAddress") e->source_ip.assign(Str(field.value));
        break;
      case 'u':
        if (k == "userAgent") {
          e->user_agent.assign(Str(field.value));
        } else if (k == "userIdentity") {
          has_identity = AsObject(field.value, &identity);
          cloudtrail_key = true;
        }
        break;
      case 'r':
        if (k == "requestID") e->request_id.assign(Str(field.value));
        else if (k == "recipientAccountId") recipient = Str(field.value);
        else if (k == "requestParameters") has_params = AsObject(field.value, &params);
        else if (k == "responseElements") has_response = AsObject(field.value, &response);
        break;
      default:
        break;
    }
    if (!cloudtrail_key && LooksLikeCloudTrailKey(k)) cloudtrail_key = true;
  }
  if (!cloudtrail_key) {
    return Error::Parse("JSON object is not a CloudTrail record (no eventName, eventTime, eventSource "
                        "or userIdentity)");
  }
  if (!has_time_key) return Error::Parse("CloudTrail record without eventTime");
  auto t = ParseIso8601(event_time);
  if (!t) {
    std::string shown(event_time.substr(0, 40));
    return Error::Parse("unparseable eventTime '" + shown + "'");
  }
  e->time = *t;
  std::string_view caller_user;
  if (has_identity) {
    e->actor_arn.assign(Member(identity, "arn"));
    e->actor_type.assign(Member(identity, "type"));
    e->access_key.assign(Member(identity, "accessKeyId"));
    caller_user = Member(identity, "userName");
    std::string_view name = caller_user;
    if (name.empty()) {
      simdjson::dom::element issuer;
      if (identity.at_pointer("/sessionContext/sessionIssuer/userName").get(issuer) ==
          simdjson::SUCCESS) {
        name = Str(issuer);
      }
    }
    if (!name.empty()) {
      e->actor_name.assign(name);
    } else if (e->actor_type == "Root") {
      e->actor_name = "root";
    } else if (e->actor_type == "AWSService") {
      e->actor_name.assign(Member(identity, "invokedBy"));
    }
    if (recipient.empty()) recipient = Member(identity, "accountId");
  }
  e->account.assign(recipient);
  if (has_params) {
    e->bucket.assign(Member(params, "bucketName"));
    e->object_key.assign(Member(params, "key"));
    e->target_user.assign(Member(params, "userName"));
  }
  if (EndsWith(e->action, "AccessKey")) {
    std::string_view key = has_params ? Member(params, "accessKeyId") : std::string_view();
    if (key.empty() && has_response) {
      simdjson::dom::element created;
      if (response.at_pointer("/accessKey/accessKeyId").get(created) == simdjson::SUCCESS) {
        key = Str(created);
      }
    }
    e->resource.assign(key);
    if (e->target_user.empty()) e->target_user.assign(caller_user);
  } else if (has_params) {
    for (std::string_view k : kResourceKeys) {
      std::string_view v = Member(params, k);
      if (!v.empty()) {
        e->resource.assign(v);
        break;
      }
    }
  }
  bool failed = !e->error_code.empty();
  if (!failed && has_response && Member(response, "ConsoleLogin") == "Failure") failed = true;
  e->outcome = failed ? "failure" : "success";
  if (has_additional) {
    simdjson::dom::element out;
    if (additional.at_key("bytesTransferredOut").get(out) == simdjson::SUCCESS) {
      double v = 0;
      int64_t i = 0;
      if (out.get_int64().get(i) == simdjson::SUCCESS && i >= 0) {
        e->bytes = i;
      } else if (out.get_double().get(v) == simdjson::SUCCESS && v >= 0) {
        e->bytes = static_cast<int64_t>(v);
      }
    }
  }
  e->raw.assign(buffer.data(), compact_len);
  e->dedupe = HashElement(root);
  if (e->dedupe == 0) e->dedupe = 1;  // 0 means "no dedupe"
  return Ok();
}

CloudTrailParser::CloudTrailParser() : impl_(std::make_unique<Impl>()) {}
CloudTrailParser::~CloudTrailParser() = default;

int64_t CloudTrailParser::utf8_repaired() const { return impl_->utf8_repaired; }

Status CloudTrailParser::ParseRecord(std::string_view json, Event* event) {
  return impl_->Record(json, event);
}

bool LooksLikeCloudTrailDigest(std::string_view text) {
  std::string_view head = text.substr(0, 8192);
  return head.find("\"digestStartTime\"") != std::string_view::npos &&
         head.find("\"digestEndTime\"") != std::string_view::npos;
}

namespace {

class DocumentWalker {
 public:
  DocumentWalker(std::string_view text, CloudTrailParser& parser, CloudTrailParser::Impl& impl,
                 CloudTrailSink& sink, int64_t base_offset, int64_t base_line)
      : text_(text),
        scanner_(text),
        parser_(parser),
        impl_(impl),
        sink_(sink),
        base_offset_(base_offset),
        base_line_(base_line) {}

  Status Run() {
    size_t pos = 0;
    if (base_offset_ == 0 && StartsWith(text_, "\xEF\xBB\xBF")) pos = 3;
    while (true) {
      scanner_.SkipWs(&pos);
      if (pos >= text_.size()) break;
      char c = text_[pos];
      size_t start = pos;
      if (c != '{' && c != '[') {
        size_t resync = Resync(pos);
        CAIRN_TRY(Reject(std::string("expected a JSON object or array, got '") +
                             (static_cast<unsigned char>(c) < 0x20 ? '?' : c) + "'",
                         start, resync));
        pos = resync;
        continue;
      }
      if (c == '[') {
        std::vector<Span> elements;
        bool ok = scanner_.ScanArray(&pos, &elements);
        bool multi_line = std::memchr(text_.data() + start, '\n',
                                      (ok ? pos : scanner_.error_pos()) - start) != nullptr;
        int64_t index = 0;
        for (const Span& el : elements) CAIRN_TRY(Value(el, multi_line, ++index));
        if (!ok) {
          size_t from = elements.empty() ? start : elements.back().end;
          size_t resync = Resync(std::max(from, start));
          CAIRN_TRY(Reject("malformed JSON: " + scanner_.error() + " at byte " +
                               std::to_string(base_offset_ + static_cast<int64_t>(scanner_.error_pos())),
                           from, resync));
          pos = resync;
        }
        continue;
      }
      std::vector<Scanner::Member> members;
      std::vector<Span> elements;
      std::string_view collected;
      bool ok = scanner_.ScanObject(&pos, &members, kCollect, &elements, &collected);
      if (ok) {
        CAIRN_TRY(Object(Span{start, pos}, members, elements, collected, false, 0));
        continue;
      }
      // Damaged: keep the records found before the damage, reject the rest.
      size_t from = start;
      if (!elements.empty()) {
        CAIRN_TRY(Object(Span{start, scanner_.error_pos()}, members, elements, collected, false, 0));
        from = elements.back().end;
      }
      size_t resync = Resync(std::max(from, start));
      CAIRN_TRY(Reject("malformed JSON: " + scanner_.error() + " at byte " +
                           std::to_string(base_offset_ + static_cast<int64_t>(scanner_.error_pos())),
                       from, resync));
      pos = resync;
    }
    return Ok();
  }

 private:
  static constexpr std::array<std::string_view, 3> kCollect = {"Records", "Events", "logEvents"};

  // Start of the next line after pos whose first non-blank character is '{'; else the end.
  size_t Resync(size_t pos) const {
    size_t p = pos;
    while (true) {
      size_t nl = text_.find('\n', p);
      if (nl == std::string_view::npos) return text_.size();
      size_t q = nl + 1;
      while (q < text_.size() && (text_[q] == ' ' || text_[q] == '\t' || text_[q] == '\r')) ++q;
      if (q < text_.size() && text_[q] == '{') return nl + 1;
      p = nl + 1;
    }
  }

  int64_t LineOf(size_t offset) {
    if (offset < line_offset_) {
      line_offset_ = 0;
      line_ = 1;
    }
    line_ += std::count(text_.data() + line_offset_, text_.data() + offset, '\n');
    line_offset_ = offset;
    return line_ + base_line_ - 1;
  }

  Status Reject(std::string reason, size_t from, size_t to) {
    std::string_view raw = text_.substr(from, to > from ? to - from : 0);
    while (!raw.empty() && (raw.back() == '\n' || raw.back() == '\r' || raw.back() == ' ')) {
      raw.remove_suffix(1);
    }
    return sink_.OnReject(reason, raw, base_offset_ + static_cast<int64_t>(from), LineOf(from));
  }

  // A value inside a top-level array (or an array member): a record or a wrapper object.
  Status Value(const Span& span, bool multi_line, int64_t index) {
    if (text_[span.begin] != '{') {
      return Reject("array element is not a JSON object", span.begin, span.end);
    }
    size_t pos = span.begin;
    std::vector<Scanner::Member> members;
    std::vector<Span> elements;
    std::string_view collected;
    if (!scanner_.ScanObject(&pos, &members, kCollect, &elements, &collected)) {
      return Reject("malformed JSON: " + scanner_.error(), span.begin, span.end);
    }
    return Object(span, members, elements, collected, multi_line, index);
  }

  static bool HasKey(const std::vector<Scanner::Member>& members, std::string_view key,
                     Span* value = nullptr) {
    for (const auto& m : members) {
      if (m.key == key) {
        if (value) *value = m.value;
        return true;
      }
    }
    return false;
  }

  Status Object(const Span& span, const std::vector<Scanner::Member>& members,
                const std::vector<Span>& elements, std::string_view collected, bool multi_line,
                int64_t index) {
    if (collected == "Records") {
      if (!multi_line) {
        multi_line = std::memchr(text_.data() + span.begin, '\n', span.end - span.begin) != nullptr;
      }
      int64_t k = 0;
      for (const Span& el : elements) {
        ++k;
        CAIRN_TRY(RecordSpan(el, multi_line ? LineOf(el.begin) : k));
      }
      return Ok();
    }
    if (HasKey(members, "digestStartTime") || HasKey(members, "digestPublicKeyFingerprint")) {
      sink_.OnNote("CloudTrail digest file: skipped (integrity digests are not events)");
      return Ok();
    }
    Span mt;
    if (HasKey(members, "messageType", &mt)) {
      std::string_view type = text_.substr(mt.begin, mt.end - mt.begin);
      if (type == "\"CONTROL_MESSAGE\"") {
        sink_.OnNote("CloudWatch Logs CONTROL_MESSAGE: skipped");
        return Ok();
      }
    }
    if (collected == "Events" || collected == "logEvents") {
      const char* field = collected == "Events" ? "CloudTrailEvent" : "message";
      for (const Span& el : elements) {
        std::string_view elem = text_.substr(el.begin, el.end - el.begin);
        simdjson::dom::element root;
        std::string_view inner;
        auto err = impl_.wrapper_parser.parse(elem.data(), elem.size(), true).get(root);
        simdjson::dom::object obj;
        if (err == simdjson::SUCCESS && AsObject(root, &obj)) inner = Member(obj, field);
        if (inner.empty()) {
          CAIRN_TRY(Reject(std::string("entry without a '") + field + "' string", el.begin, el.end));
          continue;
        }
        std::string record(inner);  // copy: the wrapper parser is reused
        CAIRN_TRY(RecordText(record, el.begin, LineOf(el.begin)));
      }
      return Ok();
    }
    Span detail;
    if (HasKey(members, "detail-type") && HasKey(members, "detail", &detail) &&
        text_[detail.begin] == '{') {
      return RecordSpan(detail, index > 0 && !multi_line ? index : LineOf(span.begin));
    }
    return RecordSpan(span, index > 0 && !multi_line ? index : LineOf(span.begin));
  }

  Status RecordSpan(const Span& span, int64_t line) {
    return RecordText(text_.substr(span.begin, span.end - span.begin), span.begin, line);
  }

  Status RecordText(std::string_view json, size_t offset, int64_t line) {
    Event& e = impl_.event;
    Status st = parser_.ParseRecord(json, &e);
    if (!st.ok()) {
      return sink_.OnReject(st.error().message(), json, base_offset_ + static_cast<int64_t>(offset),
                            line);
    }
    e.line = line;
    return sink_.OnRecord(e);
  }

  std::string_view text_;
  Scanner scanner_;
  CloudTrailParser& parser_;
  CloudTrailParser::Impl& impl_;
  CloudTrailSink& sink_;
  int64_t base_offset_;  // offset of text_ in the whole document
  int64_t base_line_;    // line number of text_'s first line
  size_t line_offset_ = 0;
  int64_t line_ = 1;
};

}  // namespace

Status CloudTrailParser::ParseDocument(std::string_view text, CloudTrailSink& sink) {
  return ParseDocument(text, sink, 0, 1);
}

Status CloudTrailParser::ParseDocument(std::string_view text, CloudTrailSink& sink,
                                       int64_t base_offset, int64_t base_line) {
  DocumentWalker walker(text, *this, *impl_, sink, base_offset, base_line);
  return walker.Run();
}

}  // namespace cairn::ingest
