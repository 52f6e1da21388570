// The connect handshake (SPEC §4): challenge, hello-ok contents, every way a handshake
// fails and how the socket is closed, frame caps before and after auth, queued frames.
#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include "gateway/methods/table.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

std::set<std::string> as_set(const Json& arr) {
  std::set<std::string> out;
  for (const auto& v : arr) out.insert(v.get<std::string>());
  return out;
}

std::set<std::string> keys(const Json& obj) {
  std::set<std::string> out;
  for (auto it = obj.begin(); it != obj.end(); ++it) out.insert(it.key());
  return out;
}

TEST(Handshake, ChallengeIsFirstFrameWithNonceTsAndNoSeq) {
  START_GATEWAY(gw);
  auto before = std::chrono::system_clock::now();
  Json ch;
  auto c = open_raw(gw->options(), &ch);
  ASSERT_TRUE(c);
  EXPECT_EQ(ch["type"], "event");
  EXPECT_EQ(ch["event"], "connect.challenge");
  EXPECT_FALSE(ch.contains("seq")) << ch.dump();
  ASSERT_TRUE(ch["payload"]["nonce"].is_string());
  std::string nonce = ch["payload"]["nonce"];
  EXPECT_EQ(nonce.size(), 36u) << "a uuid: " << nonce;
  ASSERT_TRUE(ch["payload"]["ts"].is_number_integer());
  auto ts = ch["payload"]["ts"].get<long long>();
  auto now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(before.time_since_epoch()).count();
  EXPECT_NEAR(static_cast<double>(ts), static_cast<double>(now_ms), 5000.0);

  // Every socket gets a fresh nonce.
  Json ch2;
  auto c2 = open_raw(gw->options(), &ch2);
  ASSERT_TRUE(c2);
  EXPECT_NE(ch2["payload"]["nonce"], ch["payload"]["nonce"]);
}

TEST(Handshake, HelloOkCarriesProtocolFeaturesSnapshotAuthAndPolicy) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.client_id = "hello-test-client";
  o.scopes = {"operator.read", "operator.write"};
  Json hello;
  auto c = gw->connect(o, &hello);
  ASSERT_TRUE(c);

  EXPECT_EQ(hello["type"], "hello-ok");
  EXPECT_EQ(hello["protocol"], 4);
  EXPECT_TRUE(hello["server"]["version"].is_string());
  EXPECT_TRUE(hello["server"]["connId"].is_string());

  // features.methods: exactly the method table.
  std::set<std::string> table;
  for (const auto& m : simpleclaw::gateway::method_table()) table.insert(std::string(m.name));
  EXPECT_EQ(as_set(hello["features"]["methods"]), table);
  EXPECT_EQ(hello["features"]["methods"].size(), table.size()) << "no duplicates";
  std::set<std::string> events = as_set(hello["features"]["events"]);
  for (const char* e :
       {"connect.challenge", "tick", "shutdown", "presence", "health", "config.changed"})
    EXPECT_TRUE(events.count(e)) << "features.events lacks " << e;

  // snapshot: presence has the gateway itself and this client.
  const Json& snap = hello["snapshot"];
  ASSERT_TRUE(snap["presence"].is_array());
  bool self = false, me = false;
  for (const auto& p : snap["presence"]) {
    if (p.value("mode", "") == "gateway" && p.value("reason", "") == "self") self = true;
    if (p.value("host", "") == "hello-test-client") {
      me = true;
      EXPECT_EQ(p["ip"], "127.0.0.1");
      EXPECT_EQ(p["mode"], "cli");
      EXPECT_EQ(p["roles"], Json::array({"operator"}));
    }
  }
  EXPECT_TRUE(self) << snap["presence"].dump();
  EXPECT_TRUE(me) << "hello-ok snapshot.presence must include the connecting client: "
                  << snap["presence"].dump();
  ASSERT_TRUE(snap["stateVersion"].is_object());
  EXPECT_GE(snap["stateVersion"]["presence"].get<long long>(), 1);
  EXPECT_GE(snap["stateVersion"]["health"].get<long long>(), 1);
  EXPECT_TRUE(snap["uptimeMs"].is_number_integer());
  EXPECT_EQ(snap["sessionDefaults"], (Json{{"defaultAgentId", "main"},
                                           {"mainKey", "main"},
                                           {"mainSessionKey", "agent:main:main"},
                                           {"scope", "per-sender"}}));
  EXPECT_EQ(snap["authMode"], "token");
  // The health snapshot is a closed object (OpenClaw clients validate it strictly).
  EXPECT_EQ(keys(snap["health"]),
            (std::set<std::string>{"ok", "ts", "durationMs", "channels", "channelOrder",
                                   "channelLabels", "heartbeatSeconds", "defaultAgentId", "agents",
                                   "sessions", "plugins", "eventLoop", "configReload"}));
  EXPECT_EQ(snap["health"]["ok"], true);

  // auth: exactly what was asked for.
  EXPECT_EQ(hello["auth"]["role"], "operator");
  EXPECT_EQ(as_set(hello["auth"]["scopes"]),
            (std::set<std::string>{"operator.read", "operator.write"}));

  EXPECT_EQ(hello["policy"]["maxPayload"], 26214400);
  EXPECT_EQ(hello["policy"]["maxBufferedBytes"], 52428800);
  EXPECT_EQ(hello["policy"]["tickIntervalMs"], 30000);
  EXPECT_EQ(keys(hello), (std::set<std::string>{"type", "protocol", "server", "features",
                                                "snapshot", "auth", "policy"}));
}

// The session defaults name the configured default agent, not a constant "main": a
// client that opens "the main chat" must land in the default agent's session.
TEST(Handshake, SessionDefaultsAndAgentsListFollowTheConfiguredDefaultAgent) {
  START_GATEWAY(gw, with_config("agents:\n  default: ops\n  list: [{id: ops}, {id: writer}]\n"));
  Json hello;
  auto c = gw->connect(&hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["snapshot"]["sessionDefaults"], (Json{{"defaultAgentId", "ops"},
                                                        {"mainKey", "main"},
                                                        {"mainSessionKey", "agent:ops:main"},
                                                        {"scope", "per-sender"}}));
  auto agents = c->call("agents.list");
  ASSERT_TRUE(agents.ok()) << agents.error().message;
  EXPECT_EQ((*agents)["defaultId"], "ops");
  EXPECT_EQ((*agents)["mainKey"], "main");
  // And the bare main key really is the default agent's main session.
  auto injected = c->call("chat.inject", Json{{"sessionKey", "main"}, {"message", "note"}});
  ASSERT_TRUE(injected.ok()) << injected.error().message;
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:ops:main"}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ((*hist)["messages"].size(), 1u) << hist->dump();
}

TEST(Handshake, PolicyTickIntervalFollowsConfig) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    tick_ms: 4321\n"));
  Json hello;
  auto c = gw->connect(&hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["policy"]["tickIntervalMs"], 4321);
}

// Each bad credential gets its own reason code, then the socket is closed 1008.
TEST(Handshake, BadTokensAreUnauthorizedWithTheirReasonAndClose1008) {
  START_GATEWAY(gw);
  struct Case {
    std::string token;
    const char* code;
  };
  for (const Case& k :
       {Case{"not-the-token", "AUTH_TOKEN_MISMATCH"}, Case{"", "AUTH_TOKEN_MISSING"},
        Case{gw->token() + "x", "AUTH_TOKEN_MISMATCH"}}) {
    SCOPED_TRACE(k.code);
    ClientOptions o = gw->options();
    o.token = k.token;
    ClientPtr c;
    Json res = handshake(o, &c);
    ASSERT_TRUE(c);
    expect_unauthorized(res, k.code);
    Incoming closed = wait_close(*c);
    ASSERT_TRUE(closed.closed);
    EXPECT_EQ(closed.close_code, 1008);
  }
}

TEST(Handshake, FirstFrameNotJsonClosesWith1000) {
  START_GATEWAY(gw);
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_text("this is { not json").ok());
  std::vector<Json> seen;
  Incoming closed = wait_close(*c, kTimeoutMs, &seen);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1000);
  EXPECT_TRUE(seen.empty()) << "no res without a parsed id: " << seen.front().dump();
}

TEST(Handshake, FirstFrameJsonButNotReqClosesWith1008) {
  START_GATEWAY(gw);
  for (const char* text : {R"({"type":"event","event":"hello"})", R"([1,2,3])"}) {
    SCOPED_TRACE(text);
    auto c = open_raw(gw->options());
    ASSERT_TRUE(c);
    ASSERT_TRUE(c->send_text(text).ok());
    Incoming closed = wait_close(*c);
    ASSERT_TRUE(closed.closed);
    EXPECT_EQ(closed.close_code, 1008);
  }
}

TEST(Handshake, FirstReqNotConnectIsRejectedAndClosed1008) {
  START_GATEWAY(gw);
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_text(R"({"type":"req","id":"h1","method":"health"})").ok());
  auto in = c->read(kTimeoutMs);
  ASSERT_TRUE(in.ok());
  ASSERT_FALSE(in->closed) << "expected a res before the close";
  EXPECT_EQ(in->frame["type"], "res");
  EXPECT_EQ(in->frame["id"], "h1");
  EXPECT_EQ(in->frame["ok"], false);
  EXPECT_EQ(in->frame["error"]["code"], "INVALID_REQUEST");
  EXPECT_EQ(in->frame["error"]["message"], "invalid handshake: first request must be connect");
  Incoming closed = wait_close(*c);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1008);
}

TEST(Handshake, OversizePreAuthFrameClosesWith1009) {
  START_GATEWAY(gw);
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  Json req = connect_req(gw->options());
  req["params"]["pathEnv"] = std::string(65 * 1024, 'x');
  ASSERT_TRUE(c->send_text(req.dump()).ok());
  Incoming closed = wait_close(*c);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1009);
}

TEST(Handshake, PreAuthFrameJustUnderCapIsAccepted) {
  START_GATEWAY(gw);
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  Json req = connect_req(gw->options());
  req["params"]["pathEnv"] = "";
  std::string base = req.dump();
  req["params"]["pathEnv"] = std::string(64 * 1024 - base.size() - 16, 'x');
  ASSERT_LE(req.dump().size(), 64u * 1024);
  ASSERT_TRUE(c->send_text(req.dump()).ok());
  auto in = c->read(kTimeoutMs);
  ASSERT_TRUE(in.ok());
  ASSERT_FALSE(in->closed) << in->close_code;
  EXPECT_EQ(in->frame["ok"], true) << in->frame.dump().substr(0, 300);
}

TEST(Handshake, AfterAuthA1MiBFrameIsAccepted) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  Json big{{"type", "req"},
           {"id", "big"},
           {"method", "nope"},
           {"params", {{"pad", std::string(1024 * 1024, 'y')}}}};
  ASSERT_TRUE(c->send_frame(big).ok());
  bool answered = false;
  for (int i = 0; i < 20 && !answered; ++i) {
    auto in = c->read(kTimeoutMs);
    ASSERT_TRUE(in.ok()) << in.error().message;
    ASSERT_FALSE(in->closed) << "closed " << in->close_code << " " << in->close_reason;
    if (in->frame.value("type", "") == "res" && in->frame.value("id", "") == "big") {
      answered = true;
      EXPECT_EQ(in->frame["error"]["message"], "unknown method: nope");
    }
  }
  EXPECT_TRUE(answered);
  auto h = c->call("health");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ((*h)["ok"], true);
}

TEST(Handshake, FrameOverMaxPayloadAfterAuthClosesWith1009) {
  // Small numbers so the whole frame sits in the socket buffers at once (a client still
  // writing when the server gives up gets a reset instead of the close frame).
  START_GATEWAY(gw, with_config("gateway:\n  limits:\n    max_payload: 4096\n"));
  Json hello;
  auto c = gw->connect(&hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["policy"]["maxPayload"], 4096);
  auto fits = c->call("nope", Json{{"pad", std::string(3000, 'z')}});
  ASSERT_FALSE(fits.ok());
  EXPECT_EQ(fits.error().message, "unknown method: nope") << "a frame under the cap is read";
  Json big{{"type", "req"},
           {"id", "big"},
           {"method", "health"},
           {"params", {{"pad", std::string(16 * 1024, 'z')}}}};
  ASSERT_TRUE(c->send_frame(big).ok());
  Incoming closed = wait_close(*c);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1009) << closed.close_reason;
}

TEST(Handshake, TokenInTheUrlIsNeverAccepted) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.url += "/?token=" + gw->token();
  o.token.clear();
  ClientPtr c;
  Json res = handshake(o, &c);
  ASSERT_TRUE(c);
  EXPECT_EQ(res["ok"], false);
  EXPECT_EQ(res["error"]["details"]["code"], "AUTH_TOKEN_MISSING") << res.dump();
}

TEST(Handshake, ProtocolMismatchIsRejectedAndClosed1002) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.min_protocol = 5;
  o.max_protocol = 5;
  ClientPtr c;
  Json res = handshake(o, &c);
  ASSERT_TRUE(c);
  EXPECT_EQ(res["ok"], false);
  EXPECT_EQ(res["error"]["code"], "INVALID_REQUEST");
  EXPECT_EQ(res["error"]["details"]["code"], "PROTOCOL_MISMATCH");
  EXPECT_NE(res["error"]["message"].get<std::string>().find("protocol mismatch"),
            std::string::npos);
  Incoming closed = wait_close(*c);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 1002);
}

TEST(Handshake, ProtocolRangeIncludingFourIsAccepted) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.min_protocol = 3;
  o.max_protocol = 7;
  Json hello;
  auto c = gw->connect(o, &hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["protocol"], 4);
}

TEST(Handshake, FramesSentBeforeHelloOkAreAnsweredInOrder) {
  START_GATEWAY(gw);
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  // connect + 5 requests back to back, without waiting for hello-ok.
  ASSERT_TRUE(c->send_frame(connect_req(gw->options(), "conn")).ok());
  const char* methods[] = {"health", "status", "system-presence", "nope", "health"};
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(c->send_frame(
                     Json{{"type", "req"}, {"id", "q" + std::to_string(i)}, {"method", methods[i]}})
                    .ok());
  std::vector<std::string> ids;
  while (ids.size() < 6) {
    auto in = c->read(kTimeoutMs);
    ASSERT_TRUE(in.ok()) << in.error().message;
    ASSERT_FALSE(in->closed) << in->close_code << " " << in->close_reason;
    if (in->frame["type"] != "res") continue;
    ids.push_back(in->frame["id"]);
    if (ids.size() == 1) {
      EXPECT_EQ(in->frame["ok"], true);
      EXPECT_EQ(in->frame["payload"]["type"], "hello-ok");
    } else if (ids.size() == 5) {
      EXPECT_EQ(in->frame["error"]["message"], "unknown method: nope");
    } else {
      EXPECT_EQ(in->frame["ok"], true) << in->frame.dump().substr(0, 300);
    }
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"conn", "q0", "q1", "q2", "q3", "q4"}));
}

TEST(Handshake, NoConnectWithinHandshakeTimeoutClosesSocket) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    handshake_ms: 150\n"));
  auto t0 = std::chrono::steady_clock::now();
  auto c = open_raw(gw->options());
  ASSERT_TRUE(c);
  Incoming closed = wait_close(*c, 3000);
  ASSERT_TRUE(closed.closed) << "socket still open 3 s after a 150 ms handshake timeout";
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_GE(ms, 100);
  // A client that completes the handshake in time is not affected later.
  auto ok = gw->connect();
  ASSERT_TRUE(ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  auto h = ok->call("health");
  EXPECT_TRUE(h.ok()) << h.error().message;
}

TEST(Handshake, PasswordModeAcceptsRightPasswordRejectsWrongOne) {
  START_GATEWAY(gw, with_config("gateway:\n  auth:\n    mode: password\n"
                                "    password: \"correct horse battery\"\n"));
  EXPECT_FALSE(file_exists(gw->state_dir() + "/gateway.token"))
      << "no token is generated in password mode";
  ClientOptions o = gw->options();
  o.token.clear();
  o.password = "correct horse battery";
  Json hello;
  auto c = gw->connect(o, &hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["snapshot"]["authMode"], "password");

  o.password = "wrong";
  ClientPtr bad;
  Json res = handshake(o, &bad);
  ASSERT_TRUE(bad);
  expect_unauthorized(res, "AUTH_PASSWORD_MISMATCH");
  EXPECT_EQ(wait_close(*bad).close_code, 1008);

  o.password.clear();
  o.token = "a-token-is-not-a-password";
  res = handshake(o, &bad);
  EXPECT_EQ(res["ok"], false);
  EXPECT_EQ(res["error"]["details"]["code"], "AUTH_PASSWORD_MISSING");
}

TEST(Handshake, NoScopesRequestedGivesOperatorReadOnly) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.scopes = {};
  Json hello;
  auto c = gw->connect(o, &hello);
  ASSERT_TRUE(c);
  EXPECT_EQ(hello["auth"]["scopes"], Json::array({"operator.read"}));
  auto s = c->call("status");
  EXPECT_TRUE(s.ok()) << "read methods work";

  // Exactly what is requested: admin is not expanded, unknown names are ignored.
  o.scopes = {"operator.admin"};
  ASSERT_TRUE(gw->connect(o, &hello));
  EXPECT_EQ(hello["auth"]["scopes"], Json::array({"operator.admin"}));
  o.scopes = {"operator.bogus", "operator.approvals"};
  ASSERT_TRUE(gw->connect(o, &hello));
  EXPECT_EQ(hello["auth"]["scopes"], Json::array({"operator.approvals"}));
}

TEST(Handshake, ReadOnlyClientIsForbiddenFromAdminMethods) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.scopes = {"operator.read"};
  auto c = gw->connect(o);
  ASSERT_TRUE(c);
  auto r = c->call("config.set", Json{{"raw", "logging:\n  level: debug\n"}, {"baseHash", ""}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kForbidden);
  EXPECT_EQ(r.error().message, "missing scope: operator.admin");
  EXPECT_EQ(r.error().details, (Json{{"code", "MISSING_SCOPE"},
                                     {"missingScope", "operator.admin"},
                                     {"requiredScopes", Json::array({"operator.admin"})}}));
  EXPECT_FALSE(file_exists(gw->config_path())) << "nothing written";
  // health needs no scope at all.
  o.scopes = {"operator.approvals"};
  auto n = gw->connect(o);
  ASSERT_TRUE(n);
  EXPECT_TRUE(n->call("health").ok());
  auto st = n->call("status");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "missing scope: operator.read");
}

TEST(Handshake, NodeRoleGetsNoOperatorScopesAndANodePresenceEntry) {
  START_GATEWAY(gw);
  auto watcher = gw->connect();
  ASSERT_TRUE(watcher);
  ClientOptions o = gw->options();
  o.role = "node";
  o.client_id = "node-host";
  o.client_mode = "node";
  o.scopes = {};
  // Nodes need a device identity (auto-paired from loopback).
  o.device = std::make_shared<const simpleclaw::nodes::DeviceKey>(
      simpleclaw::nodes::DeviceKey::generate());
  Json hello;
  auto n = gw->connect(o, &hello);
  ASSERT_TRUE(n);
  EXPECT_EQ(hello["auth"]["role"], "node");
  EXPECT_TRUE(hello["auth"]["scopes"].empty()) << hello["auth"].dump();
  EXPECT_TRUE(n->call("health").ok());
  auto st = n->call("status");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, simpleclaw::ErrorCode::kForbidden);
  // Nodes are present (SPEC §6), marked as nodes and with no operator scopes.
  auto p = watcher->call("system-presence");
  ASSERT_TRUE(p.ok());
  int entries = 0;
  for (const auto& e : *p) {
    if (e.value("host", "") != "node-host") continue;
    ++entries;
    EXPECT_EQ(e["roles"], Json::array({"node"})) << e.dump();
    EXPECT_TRUE(e["scopes"].empty()) << e.dump();
  }
  EXPECT_EQ(entries, 1);
}

TEST(Handshake, UnknownMethodAndInvalidParamsMessages) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto r = c->call("nope");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "unknown method: nope");

  r = c->call("logs.tail", Json{{"limit", 0}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message.rfind("invalid logs.tail params: /limit: ", 0), 0u)
      << r.error().message;

  r = c->call("logs.tail", Json{{"bogus", 1}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("invalid logs.tail params: ", 0), 0u) << r.error().message;

  r = c->call("connect", Json::object());
  ASSERT_FALSE(r.ok()) << "a second connect is refused";
  // Still usable afterwards.
  EXPECT_TRUE(c->call("health").ok());
}

TEST(Handshake, InvalidFrameAfterAuthGetsErrorWithItsId) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->send_text(R"({"type":"req","id":"x1","method":""})").ok());
  Result<Incoming> in = c->read(kTimeoutMs);
  while (in.ok() && !in->closed && in->frame["type"] == "event") in = c->read(kTimeoutMs);
  ASSERT_TRUE(in.ok());
  ASSERT_FALSE(in->closed);
  EXPECT_EQ(in->frame["id"], "x1");
  EXPECT_EQ(in->frame["ok"], false);
  EXPECT_EQ(in->frame["error"]["code"], "INVALID_REQUEST");
  // Garbage after auth is ignored, the socket stays usable.
  ASSERT_TRUE(c->send_text("garbage").ok());
  EXPECT_TRUE(c->call("health").ok());
}

}  // namespace
}  // namespace sctest
