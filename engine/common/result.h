#pragma once
// Result<T> and Status: the one error model of Cairn (docs/errors.md).
//
// Every module boundary returns Result<T> (a value or an Error) or Status (Result<void>).
// The API mirrors std::expected (has_value, value, error, operator*, operator->) so that a later
// move to std::expected is mechanical. Both are [[nodiscard]].

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace cairn {

// What kind of failure an Error is. Listed, with the exit code each maps to, in docs/errors.md.
enum class ErrorCode {
  kInvalidArgument,  // the caller (or the user through the CLI) passed something malformed
  kNotFound,         // a file, case, playbook, entity or field that does not exist
  kParse,            // a query, playbook or log text that does not follow its grammar
  kSchema,           // a case file or playbook with the wrong structure or version
  kIo,               // reading or writing a file failed
  kCorruptInput,     // input that is damaged (truncated gzip, corrupt database)
  kUnsupported,      // a valid request for something Cairn does not do (yet)
  kInternal,         // a bug: an invariant did not hold
};

// Lower-case stable name of a code ("invalid_argument", ...), used in JSON error output.
const char* ErrorCodeName(ErrorCode code);

// Where in a source (query text, playbook file, log file) an error points.
struct SourceSpan {
  std::string source;     // file name, or "query" for query text; may be empty
  int64_t line = 0;       // 1-based; 0 = unknown
  int64_t column = 0;     // 1-based; 0 = unknown
  int64_t offset = -1;    // byte offset into the source; -1 = unknown
  int64_t length = 0;     // length in bytes of the offending token (for the caret), 0 = one char
  std::string snippet;    // the text of the offending line, for the caret display
};

// An error with everything a user needs to fix it. Rendering is the CLI's job.
class Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Error InvalidArgument(std::string msg) { return {ErrorCode::kInvalidArgument, std::move(msg)}; }
  static Error NotFound(std::string msg) { return {ErrorCode::kNotFound, std::move(msg)}; }
  static Error Parse(std::string msg) { return {ErrorCode::kParse, std::move(msg)}; }
  static Error Schema(std::string msg) { return {ErrorCode::kSchema, std::move(msg)}; }
  static Error Io(std::string msg) { return {ErrorCode::kIo, std::move(msg)}; }
  static Error CorruptInput(std::string msg) { return {ErrorCode::kCorruptInput, std::move(msg)}; }
  static Error Unsupported(std::string msg) { return {ErrorCode::kUnsupported, std::move(msg)}; }
  static Error Internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg)}; }

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::optional<SourceSpan>& span() const { return span_; }
  const std::string& reason() const { return reason_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& notes() const { return notes_; }
  // Outermost last: each caller that adds context appends ("while ingesting x").
  const std::vector<std::string>& context() const { return context_; }

  Error& WithSpan(SourceSpan span) { span_ = std::move(span); return *this; }
  Error& WithReason(std::string reason) { reason_ = std::move(reason); return *this; }
  Error& WithHelp(std::string help) { help_ = std::move(help); return *this; }
  Error& WithNote(std::string note) { notes_.push_back(std::move(note)); return *this; }
  Error& WithContext(std::string ctx) { context_.push_back(std::move(ctx)); return *this; }

  // One line: "message (reason)" plus the span's "source:line" if any. For logs and tests.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::optional<SourceSpan> span_;
  std::string reason_;
  std::string help_;
  std::vector<std::string> notes_;
  std::vector<std::string> context_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : data_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : data_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit by design

  bool has_value() const { return data_.index() == 0; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(data_); }
  const T& value() const& { return std::get<0>(data_); }
  T&& value() && { return std::get<0>(std::move(data_)); }
  const Error& error() const& { return std::get<1>(data_); }
  Error& error() & { return std::get<1>(data_); }
  Error&& error() && { return std::get<1>(std::move(data_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> data_;
};

// The error, when there is one, lives on the heap: an Ok() status is one null pointer to return
// and to test. (Holding the Error inline made every `return Ok();` of the query operators, which
// run once per event and stage, zero its 264 bytes: a tenth of a scan's operator time.)
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() noexcept = default;
  Result(Error error) : error_(std::make_unique<Error>(std::move(error))) {}  // NOLINT: implicit by design
  Result(const Result& o) : error_(o.error_ ? std::make_unique<Error>(*o.error_) : nullptr) {}
  Result(Result&&) noexcept = default;
  Result& operator=(const Result& o) {
    if (this != &o) error_ = o.error_ ? std::make_unique<Error>(*o.error_) : nullptr;
    return *this;
  }
  Result& operator=(Result&&) noexcept = default;
  ~Result() = default;

  bool has_value() const { return error_ == nullptr; }
  bool ok() const { return has_value(); }
  explicit operator bool() const { return has_value(); }
  const Error& error() const& { return *error_; }
  Error& error() & { return *error_; }
  Error&& error() && { return std::move(*error_); }

 private:
  std::unique_ptr<Error> error_;
};

using Status = Result<void>;

inline Status Ok() { return Status(); }

}  // namespace cairn

#define CAIRN_CONCAT_INNER_(a, b) a##b
#define CAIRN_CONCAT_(a, b) CAIRN_CONCAT_INNER_(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define CAIRN_TRY(expr)                                  \
  do {                                                   \
    auto&& cairn_try_result_ = (expr);                   \
    if (!cairn_try_result_.has_value()) {                \
      return std::move(cairn_try_result_).error();       \
    }                                                    \
  } while (false)

// Evaluates a Result expression; on error returns it, else moves the value into lhs.
#define CAIRN_ASSIGN_OR_RETURN(lhs, expr) \
  CAIRN_ASSIGN_OR_RETURN_IMPL_(CAIRN_CONCAT_(cairn_result_, __LINE__), lhs, expr)
#define CAIRN_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.has_value()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()

// Programmer-error check: documents an invariant. Never used on user input.
#ifdef NDEBUG
#define CAIRN_DCHECK(cond) ((void)0)
#else
#include <cassert>
#define CAIRN_DCHECK(cond) assert(cond)
#endif
