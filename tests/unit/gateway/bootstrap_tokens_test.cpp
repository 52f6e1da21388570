// Sign-in links (`simpleclaw dashboard`): DevicePairing's one-time bootstrap tokens expire,
// are bounded in number, and only an operator's connect with a device identity may use
// one. Against a real pairing store in a temp dir and a fake clock.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "base/clock.h"
#include "gateway/device_pairing.h"

namespace simpleclaw::gateway {
namespace {

struct BootstrapStateDir {
  std::string path;
  BootstrapStateDir() {
    char tmpl[] = "/tmp/sc-bootstrap-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~BootstrapStateDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

Json connect_with(const std::string& token, const std::string& role = "operator",
                  bool device = true) {
  Json p{{"role", role}, {"auth", {{"bootstrapToken", token}}}};
  if (device) p["device"] = Json{{"id", "abc"}};
  return p;
}

struct Pairing {
  BootstrapStateDir dir;
  FakeClock clock;
  DevicePairing pairing{[](const char*, Json) {},
                        [](const std::string&, const std::string&, const std::string&) {},
                        [](const std::string&) { return false; }, clock};
  Pairing() { EXPECT_TRUE(pairing.open(dir.path).ok()); }
  // Outside a cluster the store answers at once.
  Result<DevicePairing::Bootstrap> issue(std::int64_t ttl_ms) {
    Result<DevicePairing::Bootstrap> out = Error::internal("not answered");
    pairing.issue_bootstrap(ttl_ms,
                            [&](Result<DevicePairing::Bootstrap> b) { out = std::move(b); });
    return out;
  }
};

TEST(BootstrapTokens, ATokenWorksUntilItExpires) {
  Pairing p;
  auto b = p.issue(60'000);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->expires_at_ms, p.clock.wall_ms() + 60'000);
  EXPECT_TRUE(p.pairing.check_bootstrap_token(connect_with(b->token)).ok());
  p.clock.advance(std::chrono::seconds(61));
  auto late = p.pairing.check_bootstrap_token(connect_with(b->token));
  ASSERT_FALSE(late.ok());
  EXPECT_NE(late.error().message.find("used or expired"), std::string::npos);
  EXPECT_EQ(late.error().detail_code(), "AUTH_BOOTSTRAP_TOKEN_INVALID");
}

TEST(BootstrapTokens, OnlyAnOperatorWithADeviceAndTheExactTokenPasses) {
  Pairing p;
  auto b = p.issue(60'000);
  ASSERT_TRUE(b.ok());
  EXPECT_FALSE(p.pairing.check_bootstrap_token(connect_with(b->token, "node")).ok());
  EXPECT_FALSE(p.pairing.check_bootstrap_token(connect_with(b->token, "operator", false)).ok());
  EXPECT_FALSE(p.pairing.check_bootstrap_token(connect_with(b->token + "x")).ok());
  EXPECT_FALSE(p.pairing.check_bootstrap_token(connect_with("")).ok());
  // A refused attempt leaves the token usable.
  EXPECT_TRUE(p.pairing.check_bootstrap_token(connect_with(b->token)).ok());
}

TEST(BootstrapTokens, OutstandingTokensAreBoundedAndExpiredOnesMakeRoom) {
  Pairing p;
  for (std::size_t i = 0; i < DevicePairing::kMaxBootstrapTokens; ++i)
    ASSERT_TRUE(p.issue(60'000).ok()) << i;
  auto over = p.issue(60'000);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("too many unused sign-in links"), std::string::npos);
  p.clock.advance(std::chrono::seconds(61));
  EXPECT_TRUE(p.issue(60'000).ok());
}

}  // namespace
}  // namespace simpleclaw::gateway
