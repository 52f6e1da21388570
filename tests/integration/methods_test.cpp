// System methods (SPEC §5 System): health, status, system-presence, protocol.schema and
// logs.tail — the happy path and a bad-params error for each.
#include <thread>

#include "integration/helpers.h"

namespace sctest {
namespace {

void expect_bad_params(WsClient& c, const std::string& method, const Json& params,
                       const std::string& pointer) {
  auto r = c.call(method, params);
  ASSERT_FALSE(r.ok()) << method << " " << params.dump() << " must be rejected";
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  std::string prefix = "invalid " + method + " params: " + pointer;
  EXPECT_EQ(r.error().message.rfind(prefix, 0), 0u)
      << "expected prefix '" << prefix << "', got '" << r.error().message << "'";
}

TEST(Methods, HealthReturnsSnapshotAndProbeRefreshesIt) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto h = c->call("health");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ((*h)["ok"], true);
  EXPECT_TRUE((*h)["ts"].is_number_integer());
  EXPECT_TRUE((*h)["durationMs"].is_number());
  EXPECT_EQ((*h)["defaultAgentId"], "main");
  ASSERT_TRUE((*h)["agents"].is_array());
  EXPECT_EQ((*h)["agents"][0]["agentId"], "main");
  EXPECT_EQ((*h)["agents"][0]["isDefault"], true);
  EXPECT_TRUE((*h)["channels"].is_object());
  EXPECT_TRUE((*h)["channelOrder"].is_array());

  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto p = c->call("health", Json{{"probe", true}});
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["ok"], true);
  EXPECT_GT((*p)["ts"].get<long long>(), (*h)["ts"].get<long long>())
      << "probe:true must build a fresh snapshot";
  auto cached = c->call("health", Json{{"probe", false}});
  ASSERT_TRUE(cached.ok());
  EXPECT_EQ((*cached)["ts"], (*p)["ts"]) << "without probe the cached snapshot is returned";

  expect_bad_params(*c, "health", Json{{"probe", "yes"}}, "/probe: ");
  expect_bad_params(*c, "health", Json{{"deep", true}}, "/");
}

TEST(Methods, StatusReportsThisProcess) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto other = gw->connect();
  ASSERT_TRUE(other);
  auto s = c->call("status");
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ((*s)["pid"], gw->pid());
  EXPECT_EQ((*s)["protocol"], 4);
  EXPECT_GT((*s)["rssBytes"].get<long long>(), 0);
  EXPECT_GE((*s)["uptimeMs"].get<long long>(), 0);
  EXPECT_EQ((*s)["stateDir"], gw->state_dir());
  EXPECT_EQ((*s)["gateway"]["port"], gw->port());
  EXPECT_EQ((*s)["gateway"]["url"], gw->url());
  EXPECT_EQ((*s)["gateway"]["authMode"], "token");
  EXPECT_EQ((*s)["gateway"]["tls"]["enabled"], false);
  EXPECT_EQ((*s)["connections"]["authenticated"], 2);
  EXPECT_EQ((*s)["connections"]["operators"], 2);
  EXPECT_EQ((*s)["connections"]["total"], 2);
  EXPECT_EQ((*s)["subsystems"]["config"]["path"], gw->config_path());
  EXPECT_EQ((*s)["subsystems"]["logs"]["file"], gw->log_file());

  other.reset();
  EXPECT_TRUE(eventually([&] {
    auto s2 = c->call("status");
    return s2.ok() && (*s2)["connections"]["authenticated"] == 1;
  })) << "a closed client must leave the connection count";

  expect_bad_params(*c, "status", Json{{"verbose", true}}, "/");
}

TEST(Methods, SystemPresenceListsGatewayAndClients) {
  START_GATEWAY(gw);
  ClientOptions o = gw->options();
  o.client_id = "presence-a";
  auto c = gw->connect(o);
  ASSERT_TRUE(c);
  auto p = c->call("system-presence");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_TRUE(p->is_array());
  ASSERT_GE(p->size(), 2u);
  EXPECT_EQ((*p)[0]["mode"], "gateway") << "the gateway's own entry comes first";
  EXPECT_EQ((*p)[0]["reason"], "self");
  bool found = false;
  for (const auto& e : *p) found |= e.value("host", "") == "presence-a";
  EXPECT_TRUE(found) << p->dump();
  expect_bad_params(*c, "system-presence", Json{{"x", 1}}, "/");
}

TEST(Methods, ProtocolSchemaServesAllSchemasAndOneByName) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto all = c->call("protocol.schema");
  ASSERT_TRUE(all.ok()) << all.error().message;
  EXPECT_EQ((*all)["protocol"], 4);
  const Json& schemas = (*all)["schemas"];
  for (const char* name :
       {"frames/req", "frames/res", "frames/event", "methods/connect.params",
        "methods/health.params", "methods/status.params", "methods/system-presence.params",
        "methods/protocol.schema.params", "methods/logs.tail.params", "methods/config.get.params",
        "methods/config.schema.params", "methods/config.set.params", "methods/config.patch.params"})
    EXPECT_TRUE(schemas.contains(name)) << "missing schema " << name;
  EXPECT_TRUE(schemas["frames/req"].is_object());
  // Every method in the table has a params schema.
  for (const auto& m : (*all)["methods"]) {
    std::string n = m["name"];
    EXPECT_TRUE(schemas.contains("methods/" + n + ".params")) << n;
  }

  auto one = c->call("protocol.schema", Json{{"name", "methods/health.params"}});
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ((*one)["name"], "methods/health.params");
  EXPECT_EQ((*one)["schema"], schemas["methods/health.params"]);
  EXPECT_FALSE(one->contains("schemas"));

  auto unknown = c->call("protocol.schema", Json{{"name", "methods/nope.params"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.error().message.find("methods/nope.params"), std::string::npos);

  expect_bad_params(*c, "protocol.schema", Json{{"name", 7}}, "/name: ");
}

TEST(Methods, LogsTailReturnsRecentLinesAndFollowsWithCursor) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto first = c->call("logs.tail");
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ((*first)["file"], gw->log_file());
  ASSERT_TRUE((*first)["lines"].is_array());
  std::string all;
  for (const auto& l : (*first)["lines"]) all += l.get<std::string>() + "\n";
  EXPECT_NE(all.find("ready in"), std::string::npos) << "startup log expected:\n" << all;
  EXPECT_NE(all.find("startup: config"), std::string::npos);
  // Lines are JSON objects with OpenClaw's time/level/message.
  Json line0 = Json::parse((*first)["lines"][0].get<std::string>(), nullptr, false);
  ASSERT_TRUE(line0.is_object());
  EXPECT_TRUE(line0.contains("time") && line0.contains("level") && line0.contains("message"));
  long long cursor = (*first)["cursor"];
  EXPECT_EQ(cursor, (*first)["size"].get<long long>());

  // Nothing new yet.
  auto none = c->call("logs.tail", Json{{"cursor", cursor}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["lines"].empty()) << none->dump();
  EXPECT_EQ((*none)["cursor"], cursor);

  // Make the gateway log something: a failed auth is a warning.
  ClientOptions bad = gw->options();
  bad.token = "nope";
  ClientPtr b;
  handshake(bad, &b);
  ASSERT_TRUE(b);
  wait_close(*b);

  Json next;
  ASSERT_TRUE(eventually([&] {
    auto r = c->call("logs.tail", Json{{"cursor", cursor}});
    if (!r.ok() || (*r)["lines"].empty()) return false;
    next = *r;
    return true;
  })) << "the failed auth never reached the log";
  std::string fresh;
  for (const auto& l : next["lines"]) fresh += l.get<std::string>() + "\n";
  EXPECT_NE(fresh.find("auth failed"), std::string::npos) << fresh;
  EXPECT_EQ(fresh.find("ready in"), std::string::npos) << "only lines after the cursor";
  EXPECT_GT(next["cursor"].get<long long>(), cursor);
  EXPECT_FALSE(next.contains("reset"));
}

TEST(Methods, LogsTailCursorPastEndResetsAndLimitIsRespected) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto r = c->call("logs.tail", Json{{"cursor", 1LL << 40}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["reset"], true);
  EXPECT_FALSE((*r)["lines"].empty()) << "after a reset it reads from the start";

  auto two = c->call("logs.tail", Json{{"limit", 2}});
  ASSERT_TRUE(two.ok());
  EXPECT_EQ((*two)["lines"].size(), 2u);
  EXPECT_EQ((*two)["truncated"], true);

  // Following from 0 with limit 1 walks the file one line at a time, none skipped.
  auto all = c->call("logs.tail", Json{{"cursor", 0}, {"limit", 5000}});
  ASSERT_TRUE(all.ok());
  std::vector<std::string> walked;
  long long cur = 0;
  for (int i = 0; i < 3; ++i) {
    auto step = c->call("logs.tail", Json{{"cursor", cur}, {"limit", 1}});
    ASSERT_TRUE(step.ok());
    ASSERT_EQ((*step)["lines"].size(), 1u);
    walked.push_back((*step)["lines"][0]);
    cur = (*step)["cursor"];
  }
  ASSERT_GE((*all)["lines"].size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(walked[i], (*all)["lines"][i]);

  auto small = c->call("logs.tail", Json{{"maxBytes", 10}});
  ASSERT_TRUE(small.ok());
  EXPECT_TRUE((*small)["lines"].empty()) << "10 bytes hold no complete line";

  expect_bad_params(*c, "logs.tail", Json{{"limit", 0}}, "/limit: ");
  expect_bad_params(*c, "logs.tail", Json{{"cursor", -1}}, "/cursor: ");
  expect_bad_params(*c, "logs.tail", Json{{"maxBytes", "lots"}}, "/maxBytes: ");
}

// Regression: a line longer than maxBytes used to leave a following reader's cursor stuck.
TEST(Methods, LogsTailFollowSkipsALineLongerThanMaxBytes) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto first = c->call("logs.tail", Json{{"cursor", 0}, {"maxBytes", 16}});
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE((*first)["lines"].empty());
  EXPECT_EQ((*first)["skippedBytes"], 16);
  EXPECT_EQ((*first)["truncated"], true);
  EXPECT_EQ((*first)["cursor"], 16) << "the cursor moves past the bytes it could not use";
  // The reader then resynchronises on the next line boundary and gets whole lines.
  long long cur = (*first)["cursor"];
  bool got_line = false;
  for (int i = 0; i < 50 && !got_line; ++i) {
    auto step = c->call("logs.tail", Json{{"cursor", cur}, {"maxBytes", 4096}});
    ASSERT_TRUE(step.ok());
    ASSERT_GT((*step)["cursor"].get<long long>(), cur - 1);
    for (const auto& l : (*step)["lines"]) {
      if (Json::parse(l.get<std::string>(), nullptr, false).is_object()) got_line = true;
    }
    cur = (*step)["cursor"];
  }
  EXPECT_TRUE(got_line) << "following continues with complete JSON lines";
}

}  // namespace
}  // namespace sctest
