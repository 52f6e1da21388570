// Connect-time auth: credential checks per mode and the failed-attempt limiter
// (10 failures / 60 s -> 5 min lockout per (IP, Origin); loopback CLI exempt).
#include "gateway/state/auth.h"

#include <gtest/gtest.h>

using namespace simpleclaw;
using namespace simpleclaw::gateway;

TEST(Credentials, TokenMode) {
  AuthSettings s{"token", "s3cret-token", ""};
  EXPECT_TRUE(check_credentials(s, Json{{"token", "s3cret-token"}}).ok());
  auto missing = check_credentials(s, Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().details["code"], "AUTH_TOKEN_MISSING");
  EXPECT_EQ(missing.error().message.rfind("unauthorized: ", 0), 0u);
  auto wrong = check_credentials(s, Json{{"token", "s3cret-tokeX"}});
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().details["code"], "AUTH_TOKEN_MISMATCH");
  // A prefix of the token is not the token.
  EXPECT_FALSE(check_credentials(s, Json{{"token", "s3cret"}}).ok());
  // A password does not satisfy token mode.
  EXPECT_FALSE(check_credentials(s, Json{{"password", "s3cret-token"}}).ok());
}

TEST(Credentials, TokenModeWithNoConfiguredTokenFailsClosed) {
  AuthSettings s{"token", "", ""};
  EXPECT_FALSE(check_credentials(s, Json{{"token", ""}}).ok());
  EXPECT_FALSE(check_credentials(s, Json{{"token", "anything"}}).ok());
}

TEST(Credentials, PasswordMode) {
  AuthSettings s{"password", "", "hunter2"};
  EXPECT_TRUE(check_credentials(s, Json{{"password", "hunter2"}}).ok());
  EXPECT_EQ(check_credentials(s, Json::object()).error().details["code"], "AUTH_PASSWORD_MISSING");
  EXPECT_EQ(check_credentials(s, Json{{"password", "hunter3"}}).error().details["code"],
            "AUTH_PASSWORD_MISMATCH");
}

TEST(Credentials, NoneModeGrantsEverything) {
  auto r = check_credentials(AuthSettings{"none", "", ""}, Json());
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->has(protocol::Scope::kAdmin));
}

TEST(AuthLimiter, LocksAfterTenFailuresForFiveMinutes) {
  AuthLimiter lim;
  const std::string k = "10.0.0.5|https://evil.example";
  std::int64_t t = 1'000'000;
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(lim.record_failure(k, t + i));
  EXPECT_FALSE(lim.locked_for(k, t + 10));
  auto lock = lim.record_failure(k, t + 10);
  ASSERT_TRUE(lock);
  EXPECT_EQ(*lock, 300'000);
  auto left = lim.locked_for(k, t + 10 + 60'000);
  ASSERT_TRUE(left);
  EXPECT_EQ(*left, 240'000);
  EXPECT_FALSE(lim.locked_for(k, t + 10 + 300'000));  // lockout over
  // Other keys are unaffected.
  EXPECT_FALSE(lim.locked_for("10.0.0.5|", t + 20));
}

TEST(AuthLimiter, WindowSlidesAndSuccessResets) {
  AuthLimiter lim;
  const std::string k = "10.0.0.6|";
  for (int i = 0; i < 9; ++i) lim.record_failure(k, 0);
  // The 10th failure arrives after the 60 s window: a new window starts.
  EXPECT_FALSE(lim.record_failure(k, 61'000));
  for (int i = 0; i < 5; ++i) lim.record_failure(k, 61'000);
  lim.record_success(k);
  for (int i = 0; i < 9; ++i) EXPECT_FALSE(lim.record_failure(k, 62'000));
}

TEST(AuthLimiter, MemoryIsBounded) {
  AuthLimiter lim(AuthLimiter::Options{10, 60'000, 300'000, 100});
  for (int i = 0; i < 1000; ++i) lim.record_failure("ip" + std::to_string(i) + "|", 0);
  EXPECT_LE(lim.tracked(), 100u);
}

TEST(AuthLimiter, ExemptionIsLoopbackWithoutOrigin) {
  PeerInfo cli{"127.0.0.1", 5000, "", "", true};
  PeerInfo browser{"127.0.0.1", 5000, "http://localhost:3000", "", true};
  PeerInfo remote{"10.1.1.1", 5000, "", "", false};
  EXPECT_TRUE(AuthLimiter::exempt(cli));
  EXPECT_FALSE(AuthLimiter::exempt(browser));
  EXPECT_FALSE(AuthLimiter::exempt(remote));
  EXPECT_NE(AuthLimiter::key(browser), AuthLimiter::key(cli));
}
