#include "gateway/protocol/errors.h"

namespace simpleclaw::protocol {

std::string_view wire_code(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kNotFound:
    case ErrorCode::kConflict:
    case ErrorCode::kUnauthenticated:
      return "INVALID_REQUEST";
    case ErrorCode::kForbidden:
      return "FORBIDDEN";
    case ErrorCode::kNotPaired:
      return "NOT_PAIRED";
    case ErrorCode::kApprovalNotFound:
      return "APPROVAL_NOT_FOUND";
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
    case ErrorCode::kCancelled:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return "UNAVAILABLE";
  }
  return "UNAVAILABLE";
}

Json error_json(const Error& e) {
  Json j{{"code", wire_code(e.code)}, {"message", e.message}};
  if (!e.details.is_null()) j["details"] = e.details;
  if (e.retry_after_ms) {
    j["retryable"] = true;
    j["retryAfterMs"] = *e.retry_after_ms;
  }
  return j;
}

Error error_from_json(const Json& error) {
  Error e;
  if (!error.is_object()) {
    e.message = "malformed error";
    return e;
  }
  std::string code = error.contains("code") && error["code"].is_string()
                         ? error["code"].get<std::string>()
                         : std::string();
  if (code == "FORBIDDEN")
    e.code = ErrorCode::kForbidden;
  else if (code == "NOT_PAIRED")
    e.code = ErrorCode::kNotPaired;
  else if (code == "UNAVAILABLE")
    e.code = ErrorCode::kUnavailable;
  else if (code == "APPROVAL_NOT_FOUND")
    e.code = ErrorCode::kApprovalNotFound;
  else
    e.code = ErrorCode::kInvalidArgument;
  if (error.contains("message") && error["message"].is_string())
    e.message = error["message"].get<std::string>();
  if (error.contains("details")) e.details = error["details"];
  if (error.contains("retryAfterMs") && error["retryAfterMs"].is_number_integer())
    e.retry_after_ms = error["retryAfterMs"].get<long long>();
  return e;
}

Error missing_scope(Scope scope) {
  std::string name(scope_name(scope));
  Error e = Error::forbidden("missing scope: " + name);
  e.details = Json{
      {"code", "MISSING_SCOPE"}, {"missingScope", name}, {"requiredScopes", Json::array({name})}};
  return e;
}

}  // namespace simpleclaw::protocol
