// The protocol's error shape (SPEC §3): how an Error (simpleclaw/result.h) goes on the
// wire, and back. The one place where our error codes meet the wire codes:
//
//   kInvalidArgument, kNotFound, kConflict, kUnauthenticated  -> INVALID_REQUEST
//   kForbidden                                               -> FORBIDDEN
//   kNotPaired                                               -> NOT_PAIRED
//   kApprovalNotFound                                        -> APPROVAL_NOT_FOUND
//   kUnavailable, kTimeout, kCancelled, kIo, kInternal       -> UNAVAILABLE
//
// So a failing disk or database (kIo, kInternal) reaches a client as UNAVAILABLE, a
// server-side condition, never as a bad request. The machine-readable reason stays in
// details.code; retryable/retryAfterMs come from retry_after_ms. Pure; any thread.
#pragma once
#include <string_view>

#include "gateway/protocol/scopes.h"
#include "simpleclaw/result.h"

namespace simpleclaw::protocol {

// "INVALID_REQUEST", "FORBIDDEN", "NOT_PAIRED", "UNAVAILABLE", "APPROVAL_NOT_FOUND".
std::string_view wire_code(ErrorCode code);
// {code, message, details?, retryable?, retryAfterMs?}
Json error_json(const Error& e);
// A client reading a res error: the wire code back to the closest ErrorCode (INVALID_REQUEST
// -> kInvalidArgument, UNAVAILABLE -> kUnavailable, ...), message, details, retryAfterMs.
Error error_from_json(const Json& error);

// FORBIDDEN "missing scope: <scope>" with details {code:"MISSING_SCOPE", missingScope,
// requiredScopes} (SPEC §3: clients match on this text).
Error missing_scope(Scope scope);

}  // namespace simpleclaw::protocol
