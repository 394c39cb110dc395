// Status and Result: expected errors as values. An error cannot be dropped silently
// ([[nodiscard]]); exceptions from libraries stop at the adapter that called them.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

#include "common/text.h"

namespace casesync {

enum class Code {
  kOk,
  kInvalidArgument,  // the caller (user, config, API client) asked for something malformed
  kNotFound,
  kCorruption,       // bytes that do not decode, a bad signature, a broken chain
  kIoError,          // the disk or the OS failed
  kDiskFull,         // SQLITE_FULL / ENOSPC: stop acknowledging, keep serving reads
  kPermission,       // a key file readable by others, a read-only directory
  kUnauthorized,     // an author that may not write this event
  kEquivocation,     // same (origin, seq), different hash
  kUnavailable,      // a peer or service that is not there right now
  kInternal,
};

const char* code_name(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status ok() { return Status(); }
  static Status error(Code code, std::string message) { return Status(code, Text(std::move(message))); }
  static Status error(Code code, const char* message) { return Status(code, Text(message)); }
  // A message a person reads in their language (common/text.h); message() is its English.
  static Status error(Code code, Text message) { return Status(code, std::move(message)); }

  bool is_ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The message to render in the reader's language at the edge (API, CLI, log).
  const Text& text() const { return text_; }
  // "corruption: bad signature from c01" — for logs and user-facing errors.
  std::string to_string() const;
  // Prefixes context to the message, keeping the code: status.with_context("roster.toml").
  Status with_context(const std::string& context) const;

 private:
  Status(Code code, Text text) : code_(code), message_(text.english()), text_(std::move(text)) {}
  Code code_ = Code::kOk;
  std::string message_;  // text_ in English, kept because most callers read it
  Text text_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like std::expected
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).is_ok() && "a Result holding a Status must hold an error");
  }

  bool is_ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return is_ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & {
    assert(is_ok());
    return std::get<T>(v_);
  }
  const T& value() const& {
    assert(is_ok());
    return std::get<T>(v_);
  }
  T&& value() && {
    assert(is_ok());
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace casesync

// Early return on error, LevelDB style: RETURN_IF_ERROR(store.commit());
#define CASESYNC_CONCAT_INNER(a, b) a##b
#define CASESYNC_CONCAT(a, b) CASESYNC_CONCAT_INNER(a, b)
#define RETURN_IF_ERROR(expr)                          \
  do {                                                 \
    ::casesync::Status _st = (expr);                   \
    if (!_st.is_ok()) return _st;                      \
  } while (0)
// ASSIGN_OR_RETURN(auto x, f()); — unwraps a Result or returns its Status.
#define ASSIGN_OR_RETURN(lhs, expr) \
  ASSIGN_OR_RETURN_IMPL(CASESYNC_CONCAT(_result_, __LINE__), lhs, expr)
#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                          \
  if (!tmp.is_ok()) return tmp.status();      \
  lhs = std::move(tmp).value()
