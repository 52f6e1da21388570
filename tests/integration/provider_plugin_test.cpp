// An LLM provider served by an out-of-process plugin (examples/plugins/echo-provider,
// Python) end to end through the gateway: the agent's model is `echo/echo-1` with
// `models.providers.echo: {plugin: echo-provider}`. chat.send streams the plugin's reply
// as chat deltas and a final, stored in history; a tool call the plugin makes runs a real
// tool whose result reaches the plugin in the next provider/chat request (the plugin
// records every request it gets); killing the plugin's process makes the next chat fail
// with an error naming the plugin (or succeed once it is back), plugins.list counts the
// restart, and chats work again afterwards.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "chat_helpers.h"

namespace sctest {
namespace {

std::string provider_config(const std::string& record_file) {
  return "models:\n"
         "  default: echo/echo-1\n"
         "  retry: {attempts: 2, base_ms: 10, max_ms: 50}\n"
         "  providers:\n"
         "    echo:\n"
         "      plugin: echo-provider\n"
         "plugins:\n"
         "  dirs: [" SIMPLECLAW_SOURCE_DIR
         "/examples/plugins]\n"
         "  entries:\n"
         "    echo-provider:\n"
         "      config: {record_file: " +
         record_file + "}\n";
}

Json provider_plugin_entry(WsClient& c, const std::string& name) {
  auto r = c.call("plugins.list", Json::object());
  if (!r.ok()) return nullptr;
  for (const Json& p : (*r)["plugins"])
    if (p["name"] == name) return p;
  return nullptr;
}

bool running(WsClient& c) {
  Json e = provider_plugin_entry(c, "echo-provider");
  return e.is_object() && e["state"] == "running";
}

// The provider/chat params the plugin recorded, in order.
std::vector<Json> recorded(const std::string& file) {
  std::vector<Json> out;
  std::istringstream in(read_text(file));
  for (std::string line; std::getline(in, line);) {
    Json j = Json::parse(line, nullptr, false);
    if (!j.is_discarded()) out.push_back(std::move(j));
  }
  return out;
}

std::string final_text(const std::vector<Json>& evs) {
  if (evs.empty() || evs.back()["state"] != "final")
    return "<not final: " + (evs.empty() ? std::string("none") : evs.back().dump()) + ">";
  return evs.back()["message"]["content"][0].value("text", "");
}

TEST(ProviderPlugin, RepliesToolCallsAndRestartThroughAPluginProvider) {
  TempDir tmp;
  const std::string record = tmp.path() + "/requests.jsonl";
  START_GATEWAY(gw, with_config(provider_config(record)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(eventually([&] { return running(*c); }, 10000))
      << provider_plugin_entry(*c, "echo-provider");
  Json p = provider_plugin_entry(*c, "echo-provider");
  EXPECT_EQ(p["kind"], "provider");
  EXPECT_EQ(p["models"], (Json{"echo-1"}));
  auto models = c->call("models.list", Json::object());
  ASSERT_TRUE(models.ok());
  bool listed = false;
  for (const Json& m : (*models)["models"])
    if (m["id"] == "echo/echo-1") {
      listed = true;
      EXPECT_EQ(m["provider"], "echo");
      EXPECT_EQ(m["available"], true);
      EXPECT_EQ(m["contextWindow"], 32000);  // from the plugin's provider/models
    }
  EXPECT_TRUE(listed) << models->dump();

  // 1. A reply streamed word by word, then stored.
  send(*c, "main", "hello from the test", "pp-1");
  auto evs = chat_events(*c, "pp-1");
  ASSERT_GE(evs.size(), 2u);
  EXPECT_EQ(final_text(evs), "echo: hello from the test");
  std::string joined;
  for (std::size_t i = 0; i + 1 < evs.size(); ++i) joined += evs[i]["deltaText"].get<std::string>();
  EXPECT_EQ(joined, "echo: hello from the test");
  EXPECT_EQ(evs.back()["usage"]["output"], 5);
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ((*h)["messages"].size(), 2u);
  EXPECT_EQ((*h)["messages"][1]["content"][0]["text"], "echo: hello from the test");
  auto reqs = recorded(record);
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0]["model"], "echo-1");
  EXPECT_EQ(reqs[0]["maxTokens"], 1024);  // the plugin's maxOutput
  EXPECT_EQ(reqs[0]["messages"].back(),
            (Json{{"role", "user"}, {"content", "hello from the test"}}));
  bool offered_read = false;
  for (const Json& t : reqs[0]["tools"]) offered_read = offered_read || t["name"] == "read";
  EXPECT_TRUE(offered_read) << reqs[0]["tools"].dump();

  // 2. A tool call: the real `read` tool runs and its result goes back to the plugin.
  const std::string ws = gw->state_dir() + "/agents/main/workspace";
  std::filesystem::create_directories(ws + "/notes");
  std::ofstream(ws + "/notes/p.txt") << "plugin-visible 42";
  send(*c, "main", R"(call read {"path": "notes/p.txt"})", "pp-2");
  evs = chat_events(*c, "pp-2", 20000);
  EXPECT_EQ(final_text(evs), "tool said: plugin-visible 42");
  reqs = recorded(record);
  ASSERT_EQ(reqs.size(), 3u);
  const Json& msgs = reqs[2]["messages"];
  ASSERT_GE(msgs.size(), 5u) << msgs.dump();
  const Json& call = msgs[msgs.size() - 2];
  EXPECT_EQ(call["role"], "assistant");
  ASSERT_EQ(call["toolCalls"].size(), 1u) << call.dump();
  EXPECT_EQ(call["toolCalls"][0]["name"], "read");
  EXPECT_EQ(Json::parse(call["toolCalls"][0]["arguments"].get<std::string>()),
            (Json{{"path", "notes/p.txt"}}));
  EXPECT_EQ(msgs.back()["role"], "tool");
  EXPECT_EQ(msgs.back()["toolCallId"], call["toolCalls"][0]["id"]);
  EXPECT_EQ(msgs.back()["content"], "plugin-visible 42");

  // 3. The plugin's process killed between turns: the next chat fails with an error that
  // names the plugin, or (if the restart came first) succeeds; plugins.list counts it.
  int pid = provider_plugin_entry(*c, "echo-provider").value("pid", 0);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  send(*c, "main", "are you there", "pp-3");
  evs = chat_events(*c, "pp-3", 20000);
  ASSERT_FALSE(evs.empty());
  if (evs.back()["state"] == "error") {
    std::string err = evs.back().value("errorMessage", "");
    EXPECT_NE(err.find("plugin echo-provider"), std::string::npos) << err;
  } else {
    EXPECT_EQ(final_text(evs), "echo: are you there");
  }
  ASSERT_TRUE(eventually(
      [&] {
        Json e = provider_plugin_entry(*c, "echo-provider");
        return e.is_object() && e["restarts"].get<int>() >= 1 && e["state"] == "running" &&
               e.value("pid", 0) != pid;
      },
      10000))
      << provider_plugin_entry(*c, "echo-provider");
  EXPECT_NE(provider_plugin_entry(*c, "echo-provider").value("lastError", "").find("signal 9"),
            std::string::npos);
  send(*c, "main", "back again", "pp-4");
  // After a failed turn the context joins the two user messages into one.
  std::string back = final_text(chat_events(*c, "pp-4", 20000));
  EXPECT_EQ(back.rfind("echo: ", 0), 0u) << back;
  EXPECT_EQ(back.substr(back.size() - std::min<std::size_t>(back.size(), 10)), "back again")
      << back;
}

TEST(ProviderPlugin, PluginErrorsAreFinalAndNameThePlugin) {
  TempDir tmp;
  START_GATEWAY(gw, with_config(provider_config(tmp.path() + "/r.jsonl")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(eventually([&] { return running(*c); }, 10000));
  send(*c, "main", "fail quota exhausted", "pe-1");
  auto evs = chat_events(*c, "pe-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "error") << evs.back().dump();
  std::string err = evs.back().value("errorMessage", "");
  EXPECT_NE(err.find("plugin echo-provider"), std::string::npos) << err;
  EXPECT_NE(err.find("quota exhausted"), std::string::npos) << err;
  EXPECT_EQ(recorded(tmp.path() + "/r.jsonl").size(), 1u);  // not retried
}

TEST(ProviderPlugin, ConfigRejectsEndpointKeysOnAPluginProvider) {
  StartOptions o = with_config(
      "models:\n  providers:\n    echo:\n      plugin: echo-provider\n"
      "      base_url: http://127.0.0.1:1\n    none:\n      models: [{id: x}]\n");
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, o);
  ASSERT_NE(gw, nullptr);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  std::string err = gw->stderr_text();
  EXPECT_NE(err.find("models.providers.echo.base_url"), std::string::npos) << err;
  EXPECT_NE(err.find("not used by a plugin provider"), std::string::npos) << err;
  EXPECT_NE(err.find("models.providers.none"), std::string::npos) << err;
  EXPECT_NE(err.find("needs api"), std::string::npos) << err;
}

}  // namespace
}  // namespace sctest
