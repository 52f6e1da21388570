// A channel provided by an out-of-process plugin (examples/plugins/echo-channel, Python)
// end to end through the gateway: a message from its "platform" reaches the agent and
// the reply goes back through the plugin; the plugin's process killed -> restarted with
// backoff and reported in plugins.list and channels.status, and the channel works again.
#include <signal.h>

#include <set>
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"

namespace sctest {
namespace {

using fakes::FakeLlm;

struct EchoPlatform {
  std::string port_file;
  int port() const {
    std::string t = read_text(port_file);
    return t.empty() ? 0 : std::atoi(t.c_str());
  }
  // A blocking call to the plugin's control port (re-read: a restart picks a new one).
  Json call(const std::string& method, const std::string& path, const Json& body = nullptr) {
    return ::fakes::http_json(port(), method, path, body.is_null() ? "" : body.dump());
  }
};

std::string plugin_config(const std::string& port_file) {
  return "plugins:\n"
         "  dirs: [" SIMPLECLAW_SOURCE_DIR
         "/examples/plugins]\n"
         "channels:\n"
         "  echo-channel:\n"
         "    port_file: " +
         port_file +
         "\n"
         "    allow_from: [u1]\n"
         "    health_monitor: {backoff_base_ms: 50, backoff_max_ms: 200, check_interval_ms: 100}\n";
}

Json plugin_entry(WsClient& c, const std::string& name) {
  auto r = c.call("plugins.list", Json::object());
  if (!r.ok()) return nullptr;
  for (const Json& p : (*r)["plugins"])
    if (p["name"] == name) return p;
  return nullptr;
}

Json wait_state(EchoPlatform& p, const std::function<bool(const Json&)>& pred,
                int timeout_ms = 10000) {
  Json st;
  eventually(
      [&] {
        st = p.call("GET", "/state");
        return st.is_object() && pred(st);
      },
      timeout_ms);
  return st;
}

// status.subsystems counts what really runs: the plugin channel's account, every agent
// of the config, every discovered plugin (not placeholders).
TEST(ChannelsPlugin, StatusSubsystemsCountTheRealChannelsAgentsAndPlugins) {
  FakeLlm llm;
  TempDir tmp;
  EchoPlatform echo{tmp.path() + "/echo.port"};
  START_GATEWAY(gw, with_config(config_for(llm, plugin_config(echo.port_file)) +
                                "agents:\n  default: ops\n  list: [{id: ops}]\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "echo-channel"));
  auto list = c->call("plugins.list", Json::object());
  ASSERT_TRUE(list.ok());
  // examples/plugins: dice-tool, echo-channel, echo-provider (the compiled-in
  // extensions are listed with origin "bundled").
  int discovered = 0;
  for (const Json& p : (*list)["plugins"]) discovered += p["origin"] == "external";
  ASSERT_EQ(discovered, 3) << list->dump();
  Json sub;
  ASSERT_TRUE(eventually([&] {
    auto st = c->call("status");
    if (!st.ok()) return false;
    sub = (*st)["subsystems"];
    return sub["plugins"]["running"] == discovered;
  })) << sub.dump();
  // echo-channel's account and webchat (the gateway's own page, always there).
  EXPECT_EQ(sub["channels"],
            (Json{{"configured", 2}, {"accounts", 2}, {"running", 2}, {"connected", 2}}));
  // The loader keeps "main" beside the listed agents (the bare key resolves to it).
  EXPECT_EQ(sub["agents"], (Json{{"count", 2}, {"defaultId", "ops"}}));
  EXPECT_EQ(sub["plugins"], (Json{{"count", discovered}, {"running", discovered}, {"failed", 0}}));
}

TEST(ChannelsPlugin, MessagesFlowThroughAPluginAndAKilledPluginIsRestarted) {
  FakeLlm llm;
  llm.push(answer("plugin reply one"));
  llm.push(answer("plugin reply two"));
  TempDir tmp;
  EchoPlatform echo{tmp.path() + "/echo.port"};
  START_GATEWAY(gw, with_config(config_for(llm, plugin_config(echo.port_file))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "echo-channel"));
  Json p = plugin_entry(*c, "echo-channel");
  ASSERT_TRUE(p.is_object());
  EXPECT_EQ(p["state"], "running");
  EXPECT_EQ(p["kind"], "channel");
  int pid = p.value("pid", 0);
  ASSERT_GT(pid, 0);
  // Beside it, the compiled-in extensions of every kind, from the registry.
  auto list = c->call("plugins.list", Json::object());
  ASSERT_TRUE(list.ok());
  std::set<std::string> builtin;
  EXPECT_EQ((*list)["mutationAllowed"], false);
  EXPECT_TRUE((*list)["diagnostics"].is_array());
  for (const Json& b : (*list)["plugins"])
    if (b["origin"] == "bundled")
      builtin.insert(b["kind"].get<std::string>() + ":" + b["name"].get<std::string>());
  for (const char* want :
       {"channel:telegram", "channel:webchat", "provider:openai", "provider:anthropic",
        "provider:ollama", "tool:exec", "tool:web_fetch", "tool:message"})
    EXPECT_TRUE(builtin.count(want)) << want << " missing from " << (*list)["plugins"].dump();

  // An unknown sender is refused; the allowed one is answered through the plugin.
  echo.call("POST", "/inbound", Json{{"senderId", "stranger"}, {"text", "hi"}});
  echo.call("POST", "/inbound", Json{{"senderId", "u1"}, {"text", "hello plugin"}});
  Json st = wait_state(echo, [](const Json& s) { return !s["sent"].empty(); });
  ASSERT_EQ(st["sent"].size(), 1u) << st.dump();
  EXPECT_EQ(st["sent"][0]["text"], "plugin reply one");
  EXPECT_EQ(st["sent"][0]["peer"]["chatId"], "u1");
  EXPECT_EQ(st["acked"].size(), 2u);  // both were acknowledged (one refused, one stored)
  ASSERT_EQ(llm.requests().size(), 1u);
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:main:echo-channel:direct:u1"}});
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ((*hist)["messages"].size(), 2u);

  // Kill the plugin: it is restarted with backoff, reported, and the channel recovers.
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  ASSERT_TRUE(eventually(
      [&] {
        Json e = plugin_entry(*c, "echo-channel");
        return e.is_object() && e["restarts"].get<int>() >= 1 && e["state"] == "running" &&
               e.value("pid", 0) != pid;
      },
      10000));
  Json e = plugin_entry(*c, "echo-channel");
  ASSERT_TRUE(e.contains("lastError")) << e.dump();
  EXPECT_NE(e["lastError"].get<std::string>().find("signal 9"), std::string::npos) << e.dump();
  ASSERT_TRUE(eventually(
      [&] {
        auto s = c->call("channels.status", Json::object());
        if (!s.ok()) return false;
        Json acc = (*s)["channelAccounts"]["echo-channel"][0];
        return acc["connected"] == true && acc["reconnectAttempts"].get<int>() >= 1;
      },
      10000));
  // The new process listens on a new port (the port file is rewritten).
  ASSERT_TRUE(eventually([&] { return echo.call("GET", "/state").is_object(); }, 5000));
  echo.call("POST", "/inbound", Json{{"senderId", "u1"}, {"text", "still there?"}});
  st = wait_state(echo, [](const Json& s) { return !s["sent"].empty(); });
  ASSERT_EQ(st["sent"].size(), 1u) << st.dump();
  EXPECT_EQ(st["sent"][0]["text"], "plugin reply two");
  auto tail = c->call("logs.tail", Json{{"limit", 500}});
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->dump().find("channel.disconnected"), std::string::npos);
}

}  // namespace
}  // namespace sctest
