// Config methods (SPEC §5 Config): get (redacted), schema, set and patch with baseHash
// compare-and-swap, validation before write, config.changed broadcast, restart flag,
// redacted-secret round trip.
#include "integration/helpers.h"

namespace sctest {
namespace {

constexpr const char* kConfigToken = "itest-secret-token-0123456789abcdef";

std::string base_config() {
  return std::string("# test config\ngateway:\n  auth:\n    token: \"") + kConfigToken +
         "\"   # keep me secret\nlogging:\n  level: info\n";
}

StartOptions with_token_config(std::string yaml = base_config()) {
  StartOptions o = with_config(std::move(yaml));
  o.token = kConfigToken;
  return o;
}

TEST(ConfigMethods, GetRedactsSecretsAndHashesTheFile) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto r = c->call("config.get");
  ASSERT_TRUE(r.ok()) << r.error().message;
  std::string raw = (*r)["raw"];
  EXPECT_EQ(raw.find(kConfigToken), std::string::npos) << "token leaked in raw:\n" << raw;
  EXPECT_NE(raw.find("__SIMPLECLAW_REDACTED__"), std::string::npos) << raw;
  EXPECT_NE(raw.find("# test config"), std::string::npos) << "comments are kept";
  EXPECT_EQ((*r)["config"]["gateway"]["auth"]["token"], "__SIMPLECLAW_REDACTED__");
  EXPECT_EQ((*r)["config"].dump().find(kConfigToken), std::string::npos);
  EXPECT_EQ((*r)["hash"], sha256_hex(read_text(gw->config_path())));
  EXPECT_EQ((*r)["path"], gw->config_path());
  EXPECT_EQ((*r)["exists"], true);
  EXPECT_EQ((*r)["valid"], true);
  EXPECT_TRUE((*r)["issues"].empty());
  EXPECT_FALSE(c->call("config.get", Json{{"x", 1}}).ok()) << "bad params";
}

TEST(ConfigMethods, GetWithoutAFileReportsTheEmbeddedDefault) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto r = c->call("config.get");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["exists"], false);
  EXPECT_EQ((*r)["valid"], true);
  EXPECT_FALSE((*r)["raw"].get<std::string>().empty());
  EXPECT_EQ((*r)["hash"].get<std::string>().size(), 64u);
}

TEST(ConfigMethods, SchemaDescribesConfigYaml) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto r = c->call("config.schema");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["schema"]["type"], "object");
  EXPECT_TRUE((*r)["schema"]["properties"].contains("gateway"));
  EXPECT_TRUE((*r)["schema"]["properties"].contains("logging"));
  ASSERT_TRUE((*r)["uiHints"].is_object());
  ASSERT_TRUE((*r)["uiHints"].contains("gateway.auth.token")) << (*r)["uiHints"].dump();
  EXPECT_EQ((*r)["uiHints"]["gateway.auth.token"]["sensitive"], true);
  auto bad = c->call("config.schema", Json{{"x", 1}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("invalid config.schema params: ", 0), 0u);
}

TEST(ConfigMethods, SetWithBaseHashWritesAndBroadcastsConfigChanged) {
  START_GATEWAY(gw, with_token_config());
  auto admin = gw->connect();
  ASSERT_TRUE(admin);
  ClientOptions ro = gw->options();
  ro.scopes = {"operator.read"};
  auto watcher = gw->connect(ro);
  ASSERT_TRUE(watcher);
  ClientOptions no_read = gw->options();
  no_read.scopes = {"operator.approvals"};
  auto outsider = gw->connect(no_read);
  ASSERT_TRUE(outsider);
  auto got = admin->call("config.get");
  ASSERT_TRUE(got.ok());
  std::string next = std::string("gateway:\n  auth:\n    token: \"") + kConfigToken +
                     "\"\nlogging:\n  level: debug\n";
  auto r = admin->call("config.set", Json{{"raw", next}, {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message << " " << r.error().details.dump();
  EXPECT_EQ(read_text(gw->config_path()), next);
  std::string new_hash = (*r)["hash"];
  EXPECT_EQ(new_hash, sha256_hex(next));
  EXPECT_NE(new_hash, (*got)["hash"]);
  EXPECT_EQ((*r)["restart"], false);
  EXPECT_EQ((*r)["config"].dump().find(kConfigToken), std::string::npos) << "answer is redacted";

  auto ev = wait_event(*watcher, "config.changed");
  ASSERT_TRUE(ev) << "other clients must get config.changed";
  EXPECT_EQ((*ev)["payload"], (Json{{"path", gw->config_path()}, {"hash", new_hash}}));
  EXPECT_TRUE((*ev)["seq"].is_number_integer());

  // config.changed needs operator.read: events are ordered per socket, so it would have
  // been read before this answer.
  ASSERT_TRUE(outsider->call("health").ok());
  for (const auto& e : outsider->events())
    EXPECT_NE(e.value("event", ""), "config.changed") << "sent to a client without read scope";

  auto again = admin->call("config.get");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["hash"], new_hash);
  EXPECT_EQ((*again)["config"]["logging"]["level"], "debug");
  // The status subsystem reflects the applied config.
  auto st = admin->call("status");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["subsystems"]["config"]["hash"], new_hash);
}

// OpenClaw's clients save the whole file with config.apply (plus restart-notice fields):
// the same compare-and-swap write, applied live.
TEST(ConfigMethods, ApplyIsOpenClawsSetWithTheSameCompareAndSwap) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  std::string before = read_text(gw->config_path());
  auto stale = c->call("config.apply", Json{{"raw", "logging:\n  level: debug\n"},
                                            {"baseHash", std::string(64, '0')},
                                            {"note", "from the UI"}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(read_text(gw->config_path()), before) << "a stale hash writes nothing";
  std::string next = std::string("gateway:\n  auth:\n    token: \"") + kConfigToken +
                     "\"\nlogging:\n  level: debug\n";
  auto r = c->call("config.apply", Json{{"raw", next},
                                        {"baseHash", (*got)["hash"]},
                                        {"sessionKey", "main"},
                                        {"restartDelayMs", 0},
                                        {"note", "from the UI"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  auto again = c->call("config.get");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["config"]["logging"]["level"], "debug") << "applied live";
  EXPECT_FALSE(c->call("config.apply", Json{{"raw", next}, {"bogus", 1}}).ok());
}

TEST(ConfigMethods, SetWithStaleBaseHashIsRejectedAndFileUntouched) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  std::string before = read_text(gw->config_path());
  auto r = c->call("config.set",
                   Json{{"raw", "logging:\n  level: debug\n"}, {"baseHash", std::string(64, '0')}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "config changed since last load; re-run config.get and retry");
  EXPECT_EQ(read_text(gw->config_path()), before) << "file must be byte-identical";
  // A missing baseHash on an existing file is a conflict too.
  r = c->call("config.set", Json{{"raw", "logging:\n  level: debug\n"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "config changed since last load; re-run config.get and retry");
  EXPECT_EQ(read_text(gw->config_path()), before);
  EXPECT_TRUE(c->call("config.get").ok());
}

TEST(ConfigMethods, SetWithInvalidConfigIsRejectedWithIssuesAndFileUntouched) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  std::string before = read_text(gw->config_path());
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  std::string bad = "gateway:\n  port: \"eighty\"\nlogging:\n  level: loud\n";
  auto r = c->call("config.set", Json{{"raw", bad}, {"baseHash", (*got)["hash"]}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message.rfind("invalid config", 0), 0u) << r.error().message;
  EXPECT_EQ(r.error().details["code"], "INVALID_CONFIG") << r.error().details.dump();
  const Json& issues = r.error().details["issues"];
  ASSERT_TRUE(issues.is_array());
  ASSERT_EQ(issues.size(), 2u) << issues.dump();
  bool port = false, level = false;
  for (const auto& i : issues) {
    EXPECT_TRUE(i["message"].is_string());
    if (i["path"] == "gateway.port") {
      port = true;
      EXPECT_EQ(i["line"], 2);
    }
    if (i["path"] == "logging.level") {
      level = true;
      EXPECT_EQ(i["line"], 4);
    }
  }
  EXPECT_TRUE(port && level) << issues.dump();
  EXPECT_EQ(read_text(gw->config_path()), before) << "file must be byte-identical";

  // Semantic checks run too: auth none off loopback would not even start.
  r = c->call("config.set", Json{{"raw", "gateway:\n  bind: all\n  auth:\n    mode: none\n"},
                                 {"baseHash", (*got)["hash"]}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details["code"], "INVALID_CONFIG");
  EXPECT_EQ(read_text(gw->config_path()), before);

  // Broken YAML is rejected the same way.
  r = c->call("config.set", Json{{"raw", "gateway: [unclosed\n"}, {"baseHash", (*got)["hash"]}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().details["code"], "INVALID_CONFIG");
  EXPECT_EQ(read_text(gw->config_path()), before);
}

TEST(ConfigMethods, PatchMergesDeletesAndReportsRestart) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());

  // Hot-applicable change: restart false.
  auto r = c->call("config.patch",
                   Json{{"raw", R"({"logging":{"level":"warn"}})"}, {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message << " " << r.error().details.dump();
  EXPECT_EQ((*r)["restart"], false) << "logging.level hot-applies";
  std::string file = read_text(gw->config_path());
  EXPECT_NE(file.find("level: warn"), std::string::npos) << file;
  EXPECT_NE(file.find(kConfigToken), std::string::npos) << "the token stays in the file:\n" << file;
  EXPECT_EQ((*r)["hash"], sha256_hex(file));

  // Object form of raw, and null deletes a key.
  r = c->call("config.patch",
              Json{{"raw", {{"logging", {{"level", nullptr}}}}}, {"baseHash", (*r)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  file = read_text(gw->config_path());
  EXPECT_EQ(file.find("level:"), std::string::npos) << file;
  EXPECT_NE(file.find(kConfigToken), std::string::npos);
  auto now = c->call("config.get");
  ASSERT_TRUE(now.ok());
  EXPECT_FALSE((*now)["config"].contains("logging") && (*now)["config"]["logging"].is_object() &&
               (*now)["config"]["logging"].contains("level"))
      << (*now)["config"].dump();

  // Port change: restart true.
  r = c->call("config.patch",
              Json{{"raw", R"({"gateway":{"port":23456}})"}, {"baseHash", (*now)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["restart"], true) << "gateway.port needs a restart";
  EXPECT_NE(read_text(gw->config_path()).find("23456"), std::string::npos);
  // ... and the running gateway still serves on its port.
  auto h = gw->connect();
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->call("health").ok());

  // Stale hash and invalid patches leave the file alone.
  std::string before = read_text(gw->config_path());
  auto stale = c->call("config.patch", Json{{"raw", R"({"logging":{"level":"debug"}})"},
                                            {"baseHash", (*got)["hash"]}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().message, "config changed since last load; re-run config.get and retry");
  auto invalid = c->call(
      "config.patch", Json{{"raw", R"({"logging":{"level":"loud"}})"}, {"baseHash", (*r)["hash"]}});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().details["code"], "INVALID_CONFIG");
  EXPECT_EQ(read_text(gw->config_path()), before);
  auto bad = c->call("config.patch", Json{{"raw", 5}, {"baseHash", (*r)["hash"]}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("invalid config.patch params: /raw", 0), 0u)
      << bad.error().message;
}

TEST(ConfigMethods, TokenChangeHotAppliesToNewConnections) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  const std::string next_token = "rotated-token-abcdefghijklmnopqrstuvwxyz012";
  auto r = c->call("config.patch", Json{{"raw", {{"gateway", {{"auth", {{"token", next_token}}}}}}},
                                        {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["restart"], false);
  ClientOptions o = gw->options();
  auto old_token = WsClient::connect(o);
  ASSERT_FALSE(old_token.ok()) << "the old token must stop working";
  EXPECT_EQ(old_token.error().details["code"], "AUTH_TOKEN_MISMATCH");
  o.token = next_token;
  EXPECT_TRUE(gw->connect(o));
  EXPECT_TRUE(c->call("health").ok()) << "existing sessions are not dropped";
}

// Regression: removing gateway.auth.token from the file kept the old token valid; it must
// fall back to the token file (generated if needed), like a fresh start would.
TEST(ConfigMethods, RemovingTheConfigTokenFallsBackToTheTokenFile) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  auto r = c->call("config.patch", Json{{"raw", {{"gateway", {{"auth", {{"token", nullptr}}}}}}},
                                        {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ClientOptions o = gw->options();
  auto old_token = WsClient::connect(o);
  ASSERT_FALSE(old_token.ok()) << "the removed config token must stop working";
  std::string file_token = read_text(gw->state_dir() + "/gateway.token");
  while (!file_token.empty() && file_token.back() == '\n') file_token.pop_back();
  ASSERT_GE(file_token.size(), 43u) << "a token file is generated";
  o.token = file_token;
  EXPECT_TRUE(gw->connect(o));
}

// Fail closed: the file may say auth none (its bind is loopback) while --bind all
// overrides it; hot-applying that must not open the gateway to the network.
TEST(ConfigMethods, AuthNoneIsNotHotAppliedToANonLoopbackBind) {
  StartOptions o = with_token_config();
  o.args = {"--bind", "all"};
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  auto r = c->call("config.patch", Json{{"raw", {{"gateway", {{"auth", {{"mode", "none"}}}}}}},
                                        {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ClientOptions anon = gw->options();
  anon.token.clear();
  auto no_token = WsClient::connect(anon);
  ASSERT_FALSE(no_token.ok()) << "a client without credentials must still be refused";
  EXPECT_EQ(no_token.error().details["code"], "AUTH_TOKEN_MISSING");
  auto st = c->call("status");
  ASSERT_TRUE(st.ok());
  const Json& reload = (*st)["subsystems"]["config"]["reload"];
  EXPECT_EQ(reload["ok"], false);
  EXPECT_NE(reload.value("error", "").find("none"), std::string::npos) << reload.dump();
}

TEST(ConfigMethods, RoundTripOfRedactedRawKeepsTheRealToken) {
  START_GATEWAY(gw, with_token_config());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  std::string raw = (*got)["raw"];
  ASSERT_NE(raw.find("__SIMPLECLAW_REDACTED__"), std::string::npos);
  raw += "# edited by a UI\n";
  auto r = c->call("config.set", Json{{"raw", raw}, {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message << " " << r.error().details.dump();
  std::string file = read_text(gw->config_path());
  EXPECT_NE(file.find(kConfigToken), std::string::npos) << "real token restored:\n" << file;
  EXPECT_EQ(file.find("__SIMPLECLAW_REDACTED__"), std::string::npos) << file;
  EXPECT_NE(file.find("# edited by a UI"), std::string::npos);
  // The token still works for new clients.
  auto again = gw->connect();
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->call("health").ok());
}

TEST(ConfigMethods, SetCreatesTheFileWhenMissing) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  ASSERT_FALSE(file_exists(gw->config_path()));
  auto got = c->call("config.get");
  ASSERT_TRUE(got.ok());
  auto r = c->call("config.set",
                   Json{{"raw", "logging:\n  level: warn\n"}, {"baseHash", (*got)["hash"]}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(read_text(gw->config_path()), "logging:\n  level: warn\n");
  // The generated token file keeps working (the new file has no token).
  auto again = gw->connect();
  ASSERT_TRUE(again);
}

}  // namespace
}  // namespace sctest
