// Admission and auth hardening (SPEC §2, §4): failed-auth lockout for browser origins,
// the loopback CLI exemption, Origin checks before the upgrade, the pre-auth socket cap.
#include "integration/helpers.h"

namespace sctest {
namespace {

// A handshake with a bad token from `o`; expects the mismatch answer and the close.
void fail_once(const ClientOptions& o, const std::string& expected_code) {
  ClientOptions bad = o;
  bad.token = "wrong-token";
  ClientPtr c;
  Json res = handshake(bad, &c);
  ASSERT_TRUE(c);
  EXPECT_EQ(res["ok"], false);
  EXPECT_EQ(res["error"]["details"]["code"], expected_code) << res.dump();
  EXPECT_EQ(wait_close(*c).close_code, 1008);
}

TEST(AuthLimiter, TenFailuresFromABrowserOriginLockItOut) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.origin = "http://127.0.0.1:" + std::to_string(gw->port());
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i + 1));
    fail_once(o, "AUTH_TOKEN_MISMATCH");
    if (HasFatalFailure()) return;
  }
  // The 11th attempt is refused even with the right token.
  ClientPtr c;
  Json res = handshake(o, &c);
  ASSERT_TRUE(c);
  expect_unauthorized(res, "AUTH_RATE_LIMITED");
  EXPECT_EQ(res["error"]["retryable"], true);
  ASSERT_TRUE(res["error"]["retryAfterMs"].is_number_integer()) << res.dump();
  EXPECT_GT(res["error"]["retryAfterMs"].get<long long>(), 0);
  EXPECT_LE(res["error"]["retryAfterMs"].get<long long>(), 5 * 60 * 1000);
  EXPECT_EQ(wait_close(*c).close_code, 1008);

  // The lockout is per (IP, origin): the local CLI (no Origin) still gets in, and so
  // does another allowed origin.
  auto cli = gw->connect();
  EXPECT_TRUE(cli);
  ClientOptions other = gw->options();
  other.origin = "http://localhost:5173";
  auto browser = gw->connect(other);
  EXPECT_TRUE(browser);
}

TEST(AuthLimiter, LoopbackClientWithoutOriginIsNeverLockedOut) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  for (int i = 0; i < 12; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i + 1));
    fail_once(o, "AUTH_TOKEN_MISMATCH");
    if (HasFatalFailure()) return;
  }
  Json hello;
  auto c = gw->connect(o, &hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["type"], "hello-ok");
}

TEST(AuthLimiter, SuccessBeforeTheLimitResetsTheCount) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.origin = "http://localhost:3000";
  for (int i = 0; i < 9; ++i) {
    fail_once(o, "AUTH_TOKEN_MISMATCH");
    if (HasFatalFailure()) return;
  }
  ASSERT_TRUE(gw->connect(o));
  for (int i = 0; i < 9; ++i) {
    fail_once(o, "AUTH_TOKEN_MISMATCH");
    if (HasFatalFailure()) return;
  }
  EXPECT_TRUE(gw->connect(o)) << "9 + 9 failures with a success between must not lock out";
}

TEST(Origin, DisallowedOriginGetsHttp403BeforeUpgrade) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.origin = "http://evil.example";
  auto c = WsClient::open(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("HTTP 403"), std::string::npos) << c.error().message;
  // https on localhost is not in the loopback default list either.
  o.origin = "https://attacker.localhost.example:443";
  c = WsClient::open(o);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("HTTP 403"), std::string::npos) << c.error().message;
}

TEST(Origin, LoopbackOriginsAreAllowedByDefault) {
  START_GATEWAY(gw);
  for (std::string origin :
       std::vector<std::string>{"http://localhost:5173", "http://127.0.0.1:8080",
                                "http://127.0.0.1:" + std::to_string(gw->port())}) {
    SCOPED_TRACE(origin);
    ClientOptions o = gw->options();
    o.origin = origin;
    EXPECT_TRUE(gw->connect(o));
  }
}

TEST(Origin, ConfiguredAllowedOriginIsAccepted) {
  START_GATEWAY(gw, with_config("gateway:\n  allowed_origins:\n"
                                "    - http://evil.example\n"
                                "    - https://ui.example.com\n"));
  ClientOptions o = gw->options();
  o.origin = "http://evil.example";
  Json hello;
  auto c = gw->connect(o, &hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["type"], "hello-ok");
  o.origin = "https://ui.example.com";
  EXPECT_TRUE(gw->connect(o));
  o.origin = "http://other.example";
  auto r = WsClient::open(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("HTTP 403"), std::string::npos);
}

TEST(PreAuthCap, ExcessUnauthenticatedSocketsGetHttp503UntilOneAuthenticates) {
  START_GATEWAY(gw, with_config("gateway:\n  limits:\n    max_preauth_per_ip: 3\n"));
  std::vector<ClientPtr> pending;
  std::vector<std::string> nonces;
  for (int i = 0; i < 3; ++i) {
    Json ch;
    auto c = open_raw(gw->options(), &ch);
    ASSERT_TRUE(c) << "socket " << i + 1 << " of 3 must be admitted";
    nonces.push_back(ch["payload"]["nonce"]);
    pending.push_back(std::move(c));
  }
  auto fourth = WsClient::open(gw->options());
  ASSERT_FALSE(fourth.ok()) << "the 4th unauthenticated socket must be refused";
  EXPECT_NE(fourth.error().message.find("HTTP 503"), std::string::npos) << fourth.error().message;

  // One of them authenticates: it no longer counts, so a new socket is admitted.
  auto res = pending[0]->send_connect(nonces[0]);
  ASSERT_TRUE(res.ok());
  ASSERT_EQ((*res)["ok"], true) << res->dump();
  auto fifth = open_raw(gw->options());
  EXPECT_TRUE(fifth);
  // ... and we are at the cap again.
  auto sixth = WsClient::open(gw->options());
  ASSERT_FALSE(sixth.ok());
  EXPECT_NE(sixth.error().message.find("HTTP 503"), std::string::npos);

  // A pending socket that goes away frees its slot as well.
  pending[1].reset();
  EXPECT_TRUE(eventually([&] { return WsClient::open(gw->options()).ok(); }, 3000))
      << "closing an unauthenticated socket must free its slot";
}

}  // namespace
}  // namespace sctest
