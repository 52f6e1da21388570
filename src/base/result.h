// Result<T>: a value or an Error. Anything that can fail returns one; error codes map
// one-to-one onto protocol error codes (SPEC §3), so a handler's error becomes the
// `res.error` frame unchanged. Plain values: usable from any thread.
#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace simpleclaw {

using Json = nlohmann::json;

enum class ErrorCode { kInvalidRequest, kForbidden, kNotPaired, kUnavailable, kApprovalNotFound };

inline const char* error_code_name(ErrorCode c) {
  switch (c) {
    case ErrorCode::kInvalidRequest:
      return "INVALID_REQUEST";
    case ErrorCode::kForbidden:
      return "FORBIDDEN";
    case ErrorCode::kNotPaired:
      return "NOT_PAIRED";
    case ErrorCode::kUnavailable:
      return "UNAVAILABLE";
    case ErrorCode::kApprovalNotFound:
      return "APPROVAL_NOT_FOUND";
  }
  return "INVALID_REQUEST";
}

struct Error {
  ErrorCode code = ErrorCode::kInvalidRequest;
  std::string message;
  Json details;                             // null = absent; else an object, e.g. {code:"..."}
  std::optional<long long> retry_after_ms;  // set => retryable:true in the frame

  static Error invalid(std::string msg, std::string detail_code = {}) {
    Error e{ErrorCode::kInvalidRequest, std::move(msg), nullptr, std::nullopt};
    if (!detail_code.empty()) e.details = Json{{"code", std::move(detail_code)}};
    return e;
  }
  static Error unavailable(std::string msg, long long retry_ms) {
    return Error{ErrorCode::kUnavailable, std::move(msg), nullptr, retry_ms};
  }
  Json to_json() const {
    Json j{{"code", error_code_name(code)}, {"message", message}};
    if (!details.is_null()) j["details"] = details;
    if (retry_after_ms) {
      j["retryable"] = true;
      j["retryAfterMs"] = *retry_after_ms;
    }
    return j;
  }
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

}  // namespace simpleclaw
