// Result<T>: a value or an Error. Anything that can fail returns one, inside simpleclaw
// and across the SDK boundary; nothing throws across a subsystem boundary.
//
// Error codes follow LevelDB's Status / absl::StatusCode: they say what kind of failure
// it is, so a caller decides by code (is_not_found(), is_conflict(), ...) and never by
// message text. The protocol's wire codes (INVALID_REQUEST, UNAVAILABLE, ...) are a
// separate thing, mapped from these in one place (src/gateway/protocol/errors.h): a disk
// or database failure (kIo, kInternal) is never reported to a client as a bad request.
// `details` carries machine-readable facts for clients (details.code, e.g.
// "SESSION_NOT_FOUND"); code in simpleclaw tests the ErrorCode, not details.
//
// Part of the SDK: includes only the standard library and nlohmann/json. Plain values:
// usable from any thread.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace simpleclaw {

using Json = nlohmann::json;

enum class ErrorCode : std::uint8_t {
  kInvalidArgument,   // the caller's input is wrong: bad params, a malformed key or frame
  kNotFound,          // what the caller named does not exist
  kConflict,          // it exists already, is in use, or changed under the caller (CAS)
  kUnauthenticated,   // credentials missing or wrong
  kForbidden,         // authenticated, but not allowed (a scope, a grant)
  kUnavailable,       // temporarily unable: retry later (retry_after_ms when known)
  kTimeout,           // a deadline passed before the work finished
  kCancelled,         // stopped because someone asked (abort, shutdown)
  kIo,                // the disk, a file or the OS failed
  kInternal,          // a broken store or a bug on our side
  kNotPaired,         // protocol: this device needs pairing approval first
  kApprovalNotFound,  // protocol: no such exec approval
};

struct Error {
  ErrorCode code = ErrorCode::kInvalidArgument;
  std::string message;                      // for a human: what failed and what to do
  Json details;                             // null = absent; else an object, e.g. {code:"..."}
  std::optional<long long> retry_after_ms;  // set => the client may retry after this long

  static Error make(ErrorCode code, std::string msg, std::string detail_code = {}) {
    Error e{code, std::move(msg), nullptr, std::nullopt};
    if (!detail_code.empty()) e.details = Json{{"code", std::move(detail_code)}};
    return e;
  }
  static Error invalid(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kInvalidArgument, std::move(msg), std::move(detail_code));
  }
  static Error not_found(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kNotFound, std::move(msg), std::move(detail_code));
  }
  static Error conflict(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kConflict, std::move(msg), std::move(detail_code));
  }
  static Error unauthenticated(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kUnauthenticated, std::move(msg), std::move(detail_code));
  }
  static Error forbidden(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kForbidden, std::move(msg), std::move(detail_code));
  }
  static Error unavailable(std::string msg, std::optional<long long> retry_ms = std::nullopt) {
    Error e = make(ErrorCode::kUnavailable, std::move(msg));
    e.retry_after_ms = retry_ms;
    return e;
  }
  static Error timeout(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kTimeout, std::move(msg), std::move(detail_code));
  }
  static Error cancelled(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kCancelled, std::move(msg), std::move(detail_code));
  }
  static Error io(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kIo, std::move(msg), std::move(detail_code));
  }
  static Error internal(std::string msg, std::string detail_code = {}) {
    return make(ErrorCode::kInternal, std::move(msg), std::move(detail_code));
  }

  bool is_invalid() const { return code == ErrorCode::kInvalidArgument; }
  bool is_not_found() const { return code == ErrorCode::kNotFound; }
  bool is_conflict() const { return code == ErrorCode::kConflict; }
  bool is_unauthenticated() const { return code == ErrorCode::kUnauthenticated; }
  bool is_forbidden() const { return code == ErrorCode::kForbidden; }
  bool is_unavailable() const { return code == ErrorCode::kUnavailable; }
  bool is_timeout() const { return code == ErrorCode::kTimeout; }
  bool is_cancelled() const { return code == ErrorCode::kCancelled; }
  bool is_io() const { return code == ErrorCode::kIo; }
  bool is_internal() const { return code == ErrorCode::kInternal; }
  bool is_not_paired() const { return code == ErrorCode::kNotPaired; }
  // details.code, "" when absent (for logs and wire mapping; decide by `code`).
  std::string detail_code() const {
    if (!details.is_object()) return {};
    auto it = details.find("code");
    return it != details.end() && it->is_string() ? it->get<std::string>() : std::string();
  }
  // The same error with `prefix` in front of the message ("session store: ...").
  Error with_context(const std::string& prefix) const {
    Error e = *this;
    e.message = prefix + e.message;
    return e;
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit on purpose
  Result(Error error) : v_(std::move(error)) {}  // NOLINT
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace simpleclaw
