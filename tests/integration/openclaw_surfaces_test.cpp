// The methods OpenClaw's Control UI calls on every page, answered from simpleclaw's real
// state (system.info, agent identity, chat pages, session rows, approvals as OpenClaw
// shapes them) or with the honest empty state of a surface simpleclaw does not have.
#include <unistd.h>

#include "chat_helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;

TEST(OpenClawSurfaces, SystemInfoDescribesThisHost) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto r = c->call("system.info", Json::object());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["pid"], gw->pid());
  EXPECT_EQ((*r)["platform"], "linux");
  EXPECT_EQ((*r)["cpuCount"], static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)));
  EXPECT_GT((*r)["memoryTotalBytes"].get<std::int64_t>(), 0);
  EXPECT_EQ((*r)["port"], gw->port());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ((*r)["hostname"], host);
  EXPECT_FALSE(c->call("system.info", Json{{"extra", 1}}).ok()) << "unknown fields are refused";
}

TEST(OpenClawSurfaces, AgentIdentityFollowsTheConfig) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto plain = c->call("agent.identity.get", Json{{"agentId", "main"}});
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ((*plain)["agentId"], "main");
  EXPECT_EQ((*plain)["name"], "Main");  // the default agent's name
  EXPECT_EQ((*plain)["avatar"], "M");   // the name's first letter when nothing is set
  ASSERT_TRUE(
      c->call("agents.update", Json{{"agentId", "main"}, {"name", "Claw"}, {"emoji", "🦀"}})
          .ok());
  ASSERT_TRUE(eventually([&] {
    auto r = c->call("agent.identity.get", Json{{"sessionKey", "main"}});
    return r.ok() && (*r)["name"] == "Claw" && (*r)["emoji"] == "🦀" && (*r)["avatar"] == "🦀";
  }));
  auto listed = c->call("agents.list");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ((*listed)["agents"][0]["identity"]["emoji"], "🦀");
  auto unknown = c->call("agent.identity.get", Json{{"agentId", "nobody"}});
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown agent"), std::string::npos);
}

TEST(OpenClawSurfaces, ChatStartupAndDescribeShowTheStoredConversation) {
  FakeLlm llm;
  Script s;
  s.chunks = {"Hi", " back"};
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  // Nobody wrote yet: an empty page and a null row, not errors.
  auto empty =
      c->call("chat.startup", Json{{"sessionKey", "main"}, {"limit", 80}, {"maxBytes", 262144}});
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_EQ((*empty)["messages"], Json::array());
  EXPECT_EQ((*empty)["sessionInfo"]["hasActiveRun"], false);
  EXPECT_EQ((*empty)["defaults"]["modelProvider"], "fake");
  EXPECT_EQ((*empty)["defaults"]["model"], "gpt-test");
  auto none = c->call("sessions.describe", Json{{"key", "main"}});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE((*none)["session"].is_null());

  Json ack = send(*c, "main", "hello", "run-s1");
  auto evs = chat_events(*c, "run-s1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final");
  auto page = c->call("chat.startup", Json{{"sessionKey", "agent:main:main"}});
  ASSERT_TRUE(page.ok());
  const Json& msgs = (*page)["messages"];
  ASSERT_EQ(msgs.size(), 2u) << page->dump();
  EXPECT_EQ(msgs[0]["role"], "user");
  EXPECT_EQ(msgs[1]["content"][0]["text"], "Hi back");
  EXPECT_LT(msgs[0]["__openclaw"]["seq"].get<std::int64_t>(),
            msgs[1]["__openclaw"]["seq"].get<std::int64_t>());
  EXPECT_EQ(msgs[1]["__openclaw"]["id"], msgs[1]["id"]);
  EXPECT_EQ((*page)["sessionInfo"]["key"], "agent:main:main");
  EXPECT_EQ((*page)["sessionInfo"]["sessionId"], (*page)["sessionId"]);
  auto row = c->call("sessions.describe", Json{{"key", "main"}, {"agentId", "main"}});
  ASSERT_TRUE(row.ok());
  EXPECT_EQ((*row)["session"]["key"], "agent:main:main");
  EXPECT_EQ((*row)["session"]["totalTokens"], (*page)["sessionInfo"]["totalTokens"]);
  // chat.history answers OpenClaw's paging params too, and refuses what it does not know.
  EXPECT_TRUE(
      c->call("chat.history", Json{{"sessionKey", "main"}, {"limit", 80}, {"maxBytes", 262144}})
          .ok());
  EXPECT_FALSE(c->call("chat.history", Json{{"sessionKey", "main"}, {"bogus", 1}}).ok());
  // Subscriptions name the canonical key.
  auto sub = c->call("sessions.messages.subscribe", Json{{"key", "main"}});
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(*sub, (Json{{"subscribed", true}, {"key", "agent:main:main"}}));
  auto meta = c->call("chat.metadata", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(meta.ok());
  bool found = false;
  for (const Json& m : (*meta)["models"]) found = found || m["id"] == "fake/gpt-test";
  EXPECT_TRUE(found) << meta->dump() << c->call("models.list")->dump();
}

// sessions.list carries the model defaults the UI's chat page reads on every render;
// sessions.preview / sessions.resolve read sessions the way its pickers do; tools.effective
// lists what a run is offered under the agent's allow/deny.
TEST(OpenClawSurfaces, SessionListDefaultsPreviewsResolveAndEffectiveTools) {
  FakeLlm llm;
  Script s;
  s.chunks = {"A fairly long answer about the weather in the mountains"};
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm, "tools:\n  deny: [exec]\n")));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto list = c->call("sessions.list", Json{{"limit", 10}});
  ASSERT_TRUE(list.ok());
  EXPECT_EQ((*list)["defaults"]["model"], "gpt-test");
  EXPECT_EQ((*list)["defaults"]["modelProvider"], "fake");
  send(*c, "main", "weather?", "run-p1");
  ASSERT_FALSE(chat_events(*c, "run-p1").empty());
  ASSERT_TRUE(c->call("sessions.patch", Json{{"key", "main"}, {"label", "Weather"}}).ok());

  auto pv = c->call("sessions.preview",
                    Json{{"keys", {"main", "agent:main:never", "bad key"}}, {"maxChars", 20}});
  ASSERT_TRUE(pv.ok()) << pv.error().message;
  const Json& p = (*pv)["previews"];
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]["key"], "agent:main:main");
  EXPECT_EQ(p[0]["status"], "ok");
  ASSERT_EQ(p[0]["items"].size(), 2u) << p[0].dump();
  EXPECT_EQ(p[0]["items"][0], (Json{{"role", "user"}, {"text", "weather?"}}));
  EXPECT_LE(p[0]["items"][1]["text"].get<std::string>().size(), 24u) << "cut to maxChars";
  EXPECT_EQ(p[1]["status"], "empty");
  EXPECT_EQ(p[2]["status"], "missing");
  EXPECT_FALSE(c->call("sessions.preview", Json{{"keys", Json::array()}}).ok());

  auto by_key = c->call("sessions.resolve", Json{{"key", "main"}});
  ASSERT_TRUE(by_key.ok());
  EXPECT_EQ(*by_key, (Json{{"ok", true}, {"key", "agent:main:main"}, {"agentId", "main"}}));
  auto by_label = c->call("sessions.resolve", Json{{"label", "Weather"}});
  ASSERT_TRUE(by_label.ok());
  EXPECT_EQ((*by_label)["key"], "agent:main:main");
  auto nobody = c->call("sessions.resolve", Json{{"key", "agent:main:never"}});
  ASSERT_TRUE(nobody.ok());
  EXPECT_EQ((*nobody)["ok"], false);
  auto allowed =
      c->call("sessions.resolve", Json{{"key", "agent:main:never"}, {"allowMissing", true}});
  ASSERT_TRUE(allowed.ok());
  EXPECT_EQ((*allowed)["ok"], true);
  EXPECT_FALSE(c->call("sessions.resolve", Json::object()).ok()) << "nothing to resolve by";

  auto tools = c->call("tools.effective", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(tools.ok()) << tools.error().message;
  EXPECT_EQ((*tools)["agentId"], "main");
  std::vector<std::string> names;
  for (const Json& g : (*tools)["groups"])
    for (const Json& t : g["tools"]) names.push_back(t["id"]);
  EXPECT_NE(std::find(names.begin(), names.end(), "read"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "exec"), names.end()) << "denied by config";
}

// The UI's "new conversation": sessions.create makes up a key, sets the label, and with a
// message starts the first run; the session is then listed like any other.
TEST(OpenClawSurfaces, SessionsCreateStartsANewConversation) {
  FakeLlm llm;
  Script s;
  s.chunks = {"Fresh start."};
  llm.push(s);
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto r = c->call(
      "sessions.create",
      Json{{"label", "Trip plans"}, {"message", "let's plan"}, {"idempotencyKey", "create-1"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string key = (*r)["key"];
  EXPECT_EQ(key.rfind("agent:main:dashboard:", 0), 0u) << key;
  EXPECT_EQ((*r)["entry"]["label"], "Trip plans");
  EXPECT_EQ((*r)["runStarted"], true);
  EXPECT_EQ((*r)["runId"], "create-1");
  auto evs = chat_events(*c, "create-1");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final");
  EXPECT_EQ(evs.back()["message"]["content"][0]["text"], "Fresh start.");
  auto list = c->call("sessions.list", Json{{"search", "Trip"}});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["sessions"].size(), 1u) << list->dump();
  EXPECT_EQ((*list)["sessions"][0]["key"], key);

  auto named = c->call("sessions.create", Json{{"key", "agent:main:notes"}});
  ASSERT_TRUE(named.ok()) << named.error().message;
  EXPECT_EQ((*named)["key"], "agent:main:notes");
  EXPECT_EQ((*named)["runStarted"], false);
  EXPECT_FALSE(c->call("sessions.create", Json{{"key", "agent::bad"}}).ok());
  EXPECT_FALSE(c->call("sessions.create", Json{{"agentId", "ghost"}}).ok());
  EXPECT_EQ(llm.requests().size(), 1u);
}

TEST(OpenClawSurfaces, SurfacesSimpleclawLacksAreEmptyNotInvented) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto call = [&](const char* m, Json p = Json::object()) {
    auto r = c->call(m, std::move(p));
    EXPECT_TRUE(r.ok()) << m << ": " << (r.ok() ? "" : r.error().message);
    return r.ok() ? *r : Json();
  };
  EXPECT_EQ(call("plugin.approval.list"), Json::array());
  EXPECT_EQ(call("openclaw.approval.list"), Json::array());
  EXPECT_EQ(call("exec.approval.list"), Json::array());
  EXPECT_EQ(call("tasks.list", Json{{"status", {"running"}}, {"sortBy", "endedAt"}})["tasks"],
            Json::array());
  EXPECT_TRUE(call("progressCard.get", Json{{"sessionKey", "main"}})["card"].is_null());
  EXPECT_EQ(call("sessions.branches.list", Json{{"sessionKey", "main"}})["branches"],
            Json::array());
  EXPECT_EQ(call("update.status"), (Json{{"sentinel", nullptr}, {"updateAvailable", nullptr}}));
  EXPECT_TRUE(call("last-heartbeat").is_null());
  EXPECT_EQ(call("talk.catalog")["realtime"]["ready"], false);
  EXPECT_EQ(call("sessions.viewers.set", Json{{"sessionKeys", {"main"}}})["sessionKeys"],
            Json::array({"agent:main:main"}));
  EXPECT_EQ(call("question.list")["questions"], Json::array());
  EXPECT_EQ(call("usage.status")["providers"], Json::array());
  auto policy = call("exec.approvals.get");
  EXPECT_EQ(policy["resolvedDefaults"]["security"], "allowlist");
  EXPECT_EQ(policy["resolvedDefaults"]["ask"], "on-miss");
  EXPECT_TRUE(policy["file"]["agents"].contains("main"));
  // Every answered method is advertised, so clients that check features.methods call it.
  Json hello;
  auto c2 = WsClient::connect(gw->options(), &hello);
  ASSERT_TRUE(c2.ok());
  for (const char* m : {"system.info", "chat.startup", "approval.resolve", "device.pair.list"})
    EXPECT_NE(
        std::find(hello["features"]["methods"].begin(), hello["features"]["methods"].end(), m),
        hello["features"]["methods"].end())
        << m;
}

TEST(OpenClawSurfaces, GenericApprovalViewsResolveAnExecApproval) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto missing = c->call("approval.get", Json{{"id", "nope"}});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("approval not found"), std::string::npos);
  auto hist = c->call("approval.history", Json{{"limit", 10}});
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ((*hist)["items"], Json::array());
  EXPECT_FALSE(c->call("approval.history", Json{{"cursor", "x!"}}).ok());
}

}  // namespace
}  // namespace sctest
