// Status and Result<T>: how every fallible call in tock reports failure.
//
// A Status is a code plus a human message that names what was wrong ("field 'runtime':
// must be ..."). The code decides the HTTP status at the API edge (see api/http_status.h);
// nothing below the API knows about HTTP. Foreign errors (rocksdb::Status, simdjson error
// codes, errno) are converted once, where they enter tock.
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace tock {

enum class Code {
  kOk = 0,
  kInvalid,         // a request field broke a rule (400)
  kUnauthorized,    // credentials missing or wrong (401)
  kNotFound,        // unknown id, or owned by another application (404)
  kConflict,        // the record is in the wrong state for the operation (409)
  kTooLarge,        // body or field over its size limit (413)
  kUnavailable,     // overloaded, shutting down, storage refusing writes (503)
  kInternal,        // a bug or an I/O failure (500)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Invalid(std::string msg) { return Status(Code::kInvalid, std::move(msg)); }
  static Status Unauthorized(std::string msg) {
    return Status(Code::kUnauthorized, std::move(msg));
  }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(Code::kConflict, std::move(msg)); }
  static Status TooLarge(std::string msg) { return Status(Code::kTooLarge, std::move(msg)); }
  static Status Unavailable(std::string msg) {
    return Status(Code::kUnavailable, std::move(msg));
  }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  Status(Code code, std::string msg) : code_(code), msg_(std::move(msg)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return msg_; }

 private:
  Code code_ = Code::kOk;
  std::string msg_;
};

// Result<T> holds either a value or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok());
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  // REQUIRES: ok()
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

// Returns early from a function returning Status or Result<T> when expr is not ok.
#define TOCK_RETURN_IF_ERROR(expr)        \
  do {                                    \
    ::tock::Status tock_status_ = (expr); \
    if (!tock_status_.ok()) return tock_status_; \
  } while (0)

}  // namespace tock
