// The one mapping from our error codes to the protocol's wire codes (SPEC §3), and back.
#include "gateway/protocol/errors.h"

#include <gtest/gtest.h>

namespace {

using namespace simpleclaw;
using protocol::error_from_json;
using protocol::error_json;
using protocol::wire_code;

TEST(WireCode, EveryCodeMapsAndTheMachinesFailuresAreNeverABadRequest) {
  struct Case {
    ErrorCode code;
    const char* wire;
  } cases[] = {
      {ErrorCode::kInvalidArgument, "INVALID_REQUEST"},
      {ErrorCode::kNotFound, "INVALID_REQUEST"},
      {ErrorCode::kConflict, "INVALID_REQUEST"},
      {ErrorCode::kUnauthenticated, "INVALID_REQUEST"},
      {ErrorCode::kForbidden, "FORBIDDEN"},
      {ErrorCode::kNotPaired, "NOT_PAIRED"},
      {ErrorCode::kApprovalNotFound, "APPROVAL_NOT_FOUND"},
      {ErrorCode::kUnavailable, "UNAVAILABLE"},
      {ErrorCode::kTimeout, "UNAVAILABLE"},
      {ErrorCode::kCancelled, "UNAVAILABLE"},
      {ErrorCode::kIo, "UNAVAILABLE"},
      {ErrorCode::kInternal, "UNAVAILABLE"},
  };
  for (const Case& c : cases) EXPECT_EQ(wire_code(c.code), c.wire) << static_cast<int>(c.code);
}

TEST(ErrorJson, CarriesDetailsAndRetryOnlyWhenThere) {
  Json plain = error_json(Error::not_found("no such session", "SESSION_NOT_FOUND"));
  EXPECT_EQ(plain, (Json{{"code", "INVALID_REQUEST"},
                         {"message", "no such session"},
                         {"details", {{"code", "SESSION_NOT_FOUND"}}}}));
  Json busy = error_json(Error::unavailable("disk busy", 1500));
  EXPECT_EQ(busy, (Json{{"code", "UNAVAILABLE"},
                        {"message", "disk busy"},
                        {"retryable", true},
                        {"retryAfterMs", 1500}}));
}

TEST(ErrorFromJson, ReadsWhatTheGatewaySentBack) {
  Error e = error_from_json(Json{{"code", "FORBIDDEN"},
                                 {"message", "missing scope: operator.admin"},
                                 {"details", {{"code", "MISSING_SCOPE"}}},
                                 {"retryAfterMs", 10}});
  EXPECT_TRUE(e.is_forbidden());
  EXPECT_EQ(e.message, "missing scope: operator.admin");
  EXPECT_EQ(e.detail_code(), "MISSING_SCOPE");
  EXPECT_EQ(e.retry_after_ms, 10);
  EXPECT_TRUE(error_from_json(Json{{"code", "UNAVAILABLE"}}).is_unavailable());
  EXPECT_TRUE(error_from_json(Json{{"code", "NOT_PAIRED"}}).is_not_paired());
  EXPECT_TRUE(error_from_json(Json{{"code", "WHATEVER"}}).is_invalid());
  EXPECT_EQ(error_from_json(Json("not an object")).message, "malformed error");
}

TEST(MissingScope, NamesTheScopeTheWayClientsMatchIt) {
  Error e = protocol::missing_scope(protocol::Scope::kAdmin);
  EXPECT_TRUE(e.is_forbidden());
  EXPECT_EQ(e.message, "missing scope: operator.admin");
  EXPECT_EQ(e.details["missingScope"], "operator.admin");
  EXPECT_EQ(e.details["requiredScopes"], Json::array({"operator.admin"}));
}

}  // namespace
