// Behind a reverse proxy (gateway.trusted_proxies): the test plays a proxy on 127.0.0.1
// that forwards for other clients with X-Forwarded-For / Forwarded. With 127.0.0.1/32
// trusted, the failed-auth lockout, the loopback exemptions and device auto-pairing follow
// the forwarded client (one attacker behind nginx no longer locks out everyone, and
// nobody behind it is "loopback"). Without that setting, or from an address outside it,
// the same headers change nothing: the client is 127.0.0.1.
#include "integration/helpers.h"
#include "nodes/device_identity.h"

namespace sctest {
namespace {

constexpr const char* kTrustLocalProxy = "gateway:\n  trusted_proxies: [127.0.0.1/32]\n";

// A client whose requests reach the gateway through the "proxy" on 127.0.0.1, which says
// it forwards for `client`.
ClientOptions via_proxy(const GatewayProcess& gw, const std::string& client) {
  ClientOptions o = gw.options();
  o.headers = {{"X-Forwarded-For", client}};
  return o;
}

// One handshake with a wrong token; the refusal's details.code.
std::string fail_with_wrong_token(const ClientOptions& o) {
  ClientOptions bad = o;
  bad.token = "wrong-token-wrong-token";
  ClientPtr c;
  Json res = handshake(bad, &c);
  EXPECT_EQ(res["ok"], false) << res.dump();
  return res["error"]["details"].value("code", "");
}

std::string connect_code(const ClientOptions& o) {
  ClientPtr c;
  Json res = handshake(o, &c);
  if (res["ok"] == true) return "ok";
  return res["error"]["details"].value("code", "");
}

// A device (Ed25519 identity) presenting the right gateway token, as OpenClaw's apps do.
ClientOptions device_client(ClientOptions o) {
  o.device = new_device_key();
  o.client_id = "openclaw-macos";
  o.client_mode = "ui";
  return o;
}

// GET /control-ui-config.json with a bearer token (the HTTP side of the same limiter).
int bootstrap_status(int port, const std::string& token, const std::string& forwarded_for) {
  std::vector<std::string> headers = {"Authorization: Bearer " + token};
  if (!forwarded_for.empty()) headers.push_back("X-Forwarded-For: " + forwarded_for);
  return http_request(port, "GET", "/control-ui-config.json", headers).status;
}

// The JSON log records named `event`.
std::vector<Json> log_records(WsClient& c, const std::string& event) {
  std::vector<Json> out;
  auto tail = c.call("logs.tail", Json{{"limit", 500}});
  EXPECT_TRUE(tail.ok());
  if (!tail.ok()) return out;
  for (const Json& line : (*tail)["lines"]) {
    if (!line.is_string()) continue;
    Json rec = Json::parse(line.get<std::string>(), nullptr, false);
    if (rec.is_object() && rec.value("event", "") == event) out.push_back(std::move(rec));
  }
  return out;
}

TEST(TrustedProxy, TheLockoutFallsOnTheForwardedClientAloneNotOnTheProxy) {
  START_GATEWAY(gw, with_config(kTrustLocalProxy));
  ClientOptions attacker = via_proxy(*gw, "203.0.113.7");
  for (int i = 0; i < 10; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i + 1));
    ASSERT_EQ(fail_with_wrong_token(attacker), "AUTH_TOKEN_MISMATCH");
  }
  // 203.0.113.7 is not loopback, so no CLI exemption: locked out, the right token included.
  EXPECT_EQ(connect_code(attacker), "AUTH_RATE_LIMITED");
  // Another user behind the same proxy is not.
  ClientOptions neighbour = via_proxy(*gw, "203.0.113.8");
  EXPECT_EQ(fail_with_wrong_token(neighbour), "AUTH_TOKEN_MISMATCH");
  EXPECT_EQ(connect_code(neighbour), "ok");
  // The proxy's own address (a local CLI, no header) neither.
  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);

  // The log names the real client and the proxy, never the token that was tried.
  std::vector<Json> failed = log_records(*admin, "auth.failed");
  ASSERT_GE(failed.size(), 11u);
  EXPECT_EQ(failed[0].value("ip", ""), "203.0.113.7") << failed[0].dump();
  EXPECT_EQ(failed[0].value("proxy", ""), "127.0.0.1") << failed[0].dump();
  EXPECT_EQ(failed.back().value("ip", ""), "203.0.113.8") << failed.back().dump();
  std::string log = read_text(gw->log_file());
  EXPECT_EQ(log.find("wrong-token-wrong-token"), std::string::npos);
  bool connect_logged = false;
  for (const Json& rec : log_records(*admin, "client.connect"))
    connect_logged |= rec.value("ip", "") == "203.0.113.8" && rec.value("proxy", "") == "127.0.0.1";
  EXPECT_TRUE(connect_logged);
}

TEST(TrustedProxy, ADeviceForwardedForARemoteClientWaitsForApproval) {
  START_GATEWAY(gw, with_config(kTrustLocalProxy));
  ClientOptions remote = device_client(via_proxy(*gw, "203.0.113.7"));
  auto first = WsClient::connect(remote);
  ASSERT_FALSE(first.ok()) << "paired as if it were on loopback";
  EXPECT_EQ(first.error().code, simpleclaw::ErrorCode::kNotPaired);
  EXPECT_EQ(first.error().details.value("code", ""), "PAIRING_REQUIRED");

  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  auto list = admin->call("device.pair.list");
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ((*list)["pending"].size(), 1u) << list->dump();
  EXPECT_EQ((*list)["pending"][0]["deviceId"], remote.device->device_id());
  EXPECT_EQ((*list)["pending"][0].value("remoteIp", ""), "203.0.113.7");
  EXPECT_TRUE((*list)["paired"].empty()) << list->dump();

  // RFC 7239 Forwarded (quoted, bracketed IPv6 with a port) counts the same way.
  ClientOptions v6 = device_client(gw->options());
  v6.headers = {{"Forwarded", "for=\"[2001:db8::7]:1234\";proto=http"}};
  auto second = WsClient::connect(v6);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, simpleclaw::ErrorCode::kNotPaired);
  // A remote client claiming loopback: the proxy appends the address it really came from.
  auto spoof = WsClient::connect(device_client(via_proxy(*gw, "127.0.0.1, 203.0.113.7")));
  ASSERT_FALSE(spoof.ok());
  EXPECT_EQ(spoof.error().code, simpleclaw::ErrorCode::kNotPaired);
  // A client the proxy forwards for from loopback is loopback: paired at once.
  EXPECT_TRUE(WsClient::connect(device_client(via_proxy(*gw, "127.0.0.1"))).ok());
  // And the gateway's own machine without a proxy still is.
  EXPECT_TRUE(WsClient::connect(device_client(gw->options())).ok());
  list = admin->call("device.pair.list");
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["pending"].size(), 3u) << list->dump();
  EXPECT_EQ((*list)["paired"].size(), 2u) << list->dump();
}

TEST(TrustedProxy, PlainHttpRequestsFollowTheForwardedClientToo) {
  START_GATEWAY(gw, with_config(kTrustLocalProxy));
  const int port = gw->port();
  for (int i = 0; i < 10; ++i) EXPECT_EQ(bootstrap_status(port, "wrong-token", "203.0.113.7"), 401);
  EXPECT_EQ(bootstrap_status(port, gw->token(), "203.0.113.7"), 401) << "locked out";
  EXPECT_EQ(bootstrap_status(port, gw->token(), "198.51.100.4, 203.0.113.9"), 200);
  EXPECT_EQ(bootstrap_status(port, gw->token(), ""), 200);
}

// Without trusted_proxies, and with a list the socket's address (127.0.0.1) is not in,
// the headers are ignored: every client below is the local CLI on 127.0.0.1.
class UntrustedProxy : public ::testing::TestWithParam<const char*> {};

TEST_P(UntrustedProxy, ForwardingHeadersAreIgnoredAndTheClientIsTheSocketsAddress) {
  START_GATEWAY(gw, with_config(GetParam()));
  ClientOptions spoofer = via_proxy(*gw, "203.0.113.7");
  // Loopback CLI clients are exempt from the lockout: a header cannot end that...
  for (int i = 0; i < 12; ++i) {
    SCOPED_TRACE("attempt " + std::to_string(i + 1));
    ASSERT_EQ(fail_with_wrong_token(spoofer), "AUTH_TOKEN_MISMATCH");
  }
  EXPECT_EQ(connect_code(spoofer), "ok");
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ(bootstrap_status(gw->port(), "wrong-token", "203.0.113.7"), 401);
  EXPECT_EQ(bootstrap_status(gw->port(), gw->token(), "203.0.113.7"), 200);
  // ...nor loopback auto-pairing.
  ClientOptions dev = device_client(spoofer);
  dev.headers.push_back({"Forwarded", "for=203.0.113.9"});
  EXPECT_TRUE(WsClient::connect(dev).ok()) << "not paired as a loopback device";

  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  std::vector<Json> failed = log_records(*admin, "auth.failed");
  ASSERT_FALSE(failed.empty());
  for (const Json& rec : failed) {
    EXPECT_EQ(rec.value("ip", ""), "127.0.0.1") << rec.dump();
    EXPECT_FALSE(rec.contains("proxy")) << rec.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Settings, UntrustedProxy,
                         ::testing::Values("",
                                           "gateway:\n  trusted_proxies: [10.0.0.0/8, \"::1\"]\n"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return info.index == 0 ? "NoTrustedProxies" : "SocketNotInTheList";
                         });

}  // namespace
}  // namespace sctest
