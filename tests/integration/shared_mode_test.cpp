// Shared mode end to end (docs/shared-mode.md): the real gateway with two users and the
// admin, the fake LLM answering "echo: <text>", real exec approvals, and the real
// `simpleclaw users` CLI rotating a token while the user is connected.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"
#include "integration/cli_run.h"
#include "integration/cron_helpers.h"
#include "nodes/device_identity.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using simpleclaw::ErrorCode;

const std::string kAliceToken = "alice-token-0123456789abcdef";
const std::string kBobToken = "bob-token-0123456789abcdef-xyz";
const std::string kAdminToken = "admin-token-0123456789abcdef-admin";

std::string shared_config(const FakeLlm& llm, const std::string& alice_extra = {}) {
  return config_for(llm,
                    "gateway:\n"
                    "  mode: shared\n"
                    "  auth: {token: " +
                        kAdminToken +
                        "}\n"
                        "agents:\n"
                        "  list:\n"
                        "    - {id: main}\n"
                        "    - {id: research}\n"
                        "users:\n"
                        "  alice:\n"
                        "    token: " +
                        kAliceToken +
                        "\n"
                        "    scopes: [operator.read, operator.write, operator.approvals]\n" +
                        alice_extra +
                        "  bob:\n"
                        "    token: " +
                        kBobToken +
                        "\n"
                        "    scopes: [operator.read, operator.write, operator.approvals]\n");
}

StartOptions shared_start(const std::string& yaml) {
  StartOptions o = with_config(yaml);
  o.token = kAdminToken;
  return o;
}

ClientOptions as_user(const GatewayProcess& gw, const std::string& token,
                      std::vector<std::string> scopes = {"operator.read", "operator.write",
                                                         "operator.approvals"}) {
  ClientOptions o = gw.options();
  o.token = token;
  o.scopes = std::move(scopes);
  return o;
}

// The admin and both users, connected; `ok` is false when any of them was refused.
struct Everyone {
  ClientPtr admin, alice, bob;
  bool ok() const { return admin && alice && bob; }
};
Everyone connect_everyone(const GatewayProcess& gw, Json* alice_hello = nullptr) {
  return Everyone{gw.connect(), gw.connect(as_user(gw, kAliceToken), alice_hello),
                  gw.connect(as_user(gw, kBobToken))};
}

// Every event `c` got so far. A round trip (health) is the barrier: an event the gateway
// queued for this socket before it answered arrives before the answer, so nothing that
// happened earlier (another user's finished run) can still be on its way.
std::vector<Json> drain(WsClient& c) {
  auto r = c.call("health");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  std::vector<Json> out;
  for (Json& f : c.events()) out.push_back(std::move(f));
  c.events().clear();
  return out;
}

bool mentions(const std::vector<Json>& frames, const std::string& text) {
  for (const Json& f : frames)
    if (f.dump().find(text) != std::string::npos) return true;
  return false;
}

std::vector<std::string> keys_of(const Json& list) {
  std::vector<std::string> keys;
  for (const Json& s : list["sessions"]) keys.push_back(s["key"].get<std::string>());
  return keys;
}

TEST(SharedMode, TwoUsersSeeOnlyTheirOwnSessionsHistoryAndEvents) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  Json hello;
  Everyone all = connect_everyone(*gw, &hello);
  ASSERT_TRUE(all.ok());
  ClientPtr &admin = all.admin, &alice = all.alice, &bob = all.bob;
  EXPECT_EQ(hello["auth"]["scopes"],
            Json::array({"operator.approvals", "operator.read", "operator.write"}));
  // Who else is connected (the admin here) is not shown to a user: only the gateway.
  ASSERT_EQ(hello["snapshot"]["presence"].size(), 1u);
  EXPECT_EQ(hello["snapshot"]["presence"][0]["mode"], "gateway");
  for (WsClient* c : {admin.get(), alice.get(), bob.get()})
    ASSERT_TRUE(c->call("sessions.subscribe").ok());

  // Both use the same key "main": each gets a private session.
  Json a = send(*alice, "main", "alice secret plan", "run-a1");
  EXPECT_EQ(a["status"], "started");
  auto a_events = chat_events(*alice, "run-a1");
  ASSERT_FALSE(a_events.empty());
  EXPECT_EQ(a_events.back()["state"], "final");
  EXPECT_EQ(a_events.back()["sessionKey"], "agent:main:user:alice:main");
  send(*bob, "main", "bob private notes", "run-b1");
  auto b_events = chat_events(*bob, "run-b1");
  ASSERT_FALSE(b_events.empty());
  EXPECT_EQ(b_events.back()["sessionKey"], "agent:main:user:bob:main");

  // No chat, agent or sessions.changed event of the other user's run.
  auto seen_by_alice = drain(*alice);
  auto seen_by_bob = drain(*bob);
  EXPECT_FALSE(mentions(seen_by_alice, "bob private notes"));
  EXPECT_FALSE(mentions(seen_by_alice, "run-b1"));
  EXPECT_FALSE(mentions(seen_by_alice, "user:bob"));
  EXPECT_FALSE(mentions(seen_by_bob, "alice secret plan"));
  EXPECT_FALSE(mentions(seen_by_bob, "user:alice"));
  // The admin sees both runs.
  ASSERT_TRUE(wait_event_if(
      *admin, "chat",
      [](const Json& f) {
        return f["payload"].value("runId", "") == "run-a1" && f["payload"]["state"] == "final";
      },
      5000));
  ASSERT_TRUE(wait_event_if(
      *admin, "chat",
      [](const Json& f) {
        return f["payload"].value("runId", "") == "run-b1" && f["payload"]["state"] == "final";
      },
      5000));

  // sessions.list: each user only their own; the admin all of them.
  auto al = alice->call("sessions.list");
  ASSERT_TRUE(al.ok()) << al.error().message;
  EXPECT_EQ(keys_of(*al), std::vector<std::string>{"agent:main:user:alice:main"});
  EXPECT_EQ((*al)["count"], 1);
  auto bl = bob->call("sessions.list", Json{{"search", "alice"}});
  ASSERT_TRUE(bl.ok());
  EXPECT_EQ((*bl)["count"], 0);
  auto adl = admin->call("sessions.list");
  ASSERT_TRUE(adl.ok());
  EXPECT_EQ((*adl)["count"], 2);

  // chat.history of "main" is each user's own transcript.
  auto ah = alice->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(ah.ok());
  std::string ahs = ah->dump();
  EXPECT_NE(ahs.find("alice secret plan"), std::string::npos);
  EXPECT_EQ(ahs.find("bob private notes"), std::string::npos);
  auto bh = bob->call("sessions.get", Json{{"key", "agent:main:main"}});
  ASSERT_TRUE(bh.ok());
  EXPECT_NE(bh->dump().find("bob private notes"), std::string::npos);
  EXPECT_EQ(bh->dump().find("alice secret plan"), std::string::npos);

  // Idempotency keys are global: reusing alice's never hands bob her cached reply.
  auto reuse = bob->call(
      "chat.send",
      Json{{"sessionKey", "main"}, {"message", "replay it"}, {"idempotencyKey", "run-a1"}});
  ASSERT_FALSE(reuse.ok());
  EXPECT_EQ(reuse.error().details.value("code", ""), "IDEMPOTENCY_KEY_IN_USE");
  EXPECT_EQ(reuse.error().message.find("alice secret plan"), std::string::npos);
  // Her own retry still gets the cached result.
  auto retry = alice->call(
      "chat.send",
      Json{{"sessionKey", "main"}, {"message", "alice secret plan"}, {"idempotencyKey", "run-a1"}});
  ASSERT_TRUE(retry.ok()) << retry.error().message;
  EXPECT_EQ((*retry)["status"], "final");
}

TEST(SharedMode, AGuessedKeyOfAnotherUserRevealsNothingAndChangesNothing) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  auto alice = gw->connect(as_user(*gw, kAliceToken));
  auto bob = gw->connect(as_user(*gw, kBobToken));
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  send(*bob, "main", "bob private notes", "run-b1");
  ASSERT_EQ(chat_events(*bob, "run-b1").back()["state"], "final");
  const std::string bobs_key = "agent:main:user:bob:main";

  // Reading bob's key answers exactly like a key nobody ever used.
  auto guessed = alice->call("chat.history", Json{{"sessionKey", bobs_key}});
  auto unknown = alice->call("chat.history", Json{{"sessionKey", "agent:main:user:bob:nothing"}});
  ASSERT_TRUE(guessed.ok());
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ((*guessed)["messages"], Json::array());
  EXPECT_EQ((*guessed)["sessionId"], nullptr);
  Json g = *guessed, u = *unknown;
  for (Json* j : {&g, &u}) {  // the key asked for is echoed back; nothing else may differ
    j->erase("sessionKey");
    (*j)["sessionInfo"].erase("key");
  }
  EXPECT_EQ(g, u);
  EXPECT_EQ(guessed->dump().find("bob private notes"), std::string::npos);
  auto sg = alice->call("sessions.get", Json{{"key", bobs_key}});
  ASSERT_TRUE(sg.ok());
  EXPECT_EQ((*sg)["messages"], Json::array());
  // Editing it edits a session of alice's own (as for any key she names), never bob's.
  auto patched = alice->call("sessions.patch", Json{{"key", bobs_key}, {"label", "mine"}});
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_EQ((*patched)["key"], "agent:main:user:alice:user:bob:main");
  auto bob_list = bob->call("sessions.list");
  ASSERT_TRUE(bob_list.ok());
  ASSERT_EQ((*bob_list)["sessions"].size(), 1u);
  EXPECT_NE((*bob_list)["sessions"][0].value("label", ""), "mine");
  // Sending to it writes into alice's own namespace, never into bob's transcript.
  Json s = send(*alice, bobs_key, "alice was here", "run-a1");
  EXPECT_EQ(s["status"], "started");
  auto ev = chat_events(*alice, "run-a1");
  ASSERT_FALSE(ev.empty());
  EXPECT_EQ(ev.back()["sessionKey"], "agent:main:user:alice:user:bob:main");
  auto bh = bob->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(bh.ok());
  EXPECT_EQ((*bh)["messages"].size(), 2u);
  EXPECT_EQ(bh->dump().find("alice was here"), std::string::npos);
  // chat.abort on bob's key cannot touch bob's runs either.
  auto ab = alice->call("chat.abort", Json{{"sessionKey", bobs_key}});
  ASSERT_TRUE(ab.ok());
  EXPECT_EQ((*ab)["runIds"], Json::array());
}

TEST(SharedMode, AnAgentNotGrantedIsRefused) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm, "    agents: [main]\n")));
  auto alice = gw->connect(as_user(*gw, kAliceToken));
  auto bob = gw->connect(as_user(*gw, kBobToken));
  ASSERT_NE(alice, nullptr);
  ASSERT_NE(bob, nullptr);
  auto r = alice->call(
      "chat.send",
      Json{{"sessionKey", "agent:research:main"}, {"message", "hi"}, {"idempotencyKey", "x1"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, ErrorCode::kForbidden);
  EXPECT_EQ(r.error().details.value("code", ""), "AGENT_NOT_GRANTED");
  EXPECT_NE(r.error().message.find("research"), std::string::npos);
  // The agentId of a bare key counts too.
  auto r2 = alice->call("chat.send", Json{{"sessionKey", "main"},
                                          {"agentId", "research"},
                                          {"message", "hi"},
                                          {"idempotencyKey", "x2"}});
  ASSERT_FALSE(r2.ok());
  EXPECT_EQ(r2.error().details.value("code", ""), "AGENT_NOT_GRANTED");
  auto files = alice->call("agents.files.list", Json{{"agentId", "research"}});
  ASSERT_FALSE(files.ok());
  EXPECT_EQ(files.error().code, ErrorCode::kForbidden);
  auto agents = alice->call("agents.list");
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ((*agents)["agents"].size(), 1u);
  EXPECT_EQ((*agents)["agents"][0]["id"], "main");
  // Granted agent works; bob (agents: "*" by default) may use research.
  send(*alice, "main", "hello", "ok1");
  EXPECT_EQ(chat_events(*alice, "ok1").back()["state"], "final");
  send(*bob, "agent:research:main", "hello research", "ok2");
  auto bev = chat_events(*bob, "ok2");
  EXPECT_EQ(bev.back()["sessionKey"], "agent:research:user:bob:main");
}

// cron.* in shared mode: a user (who never holds operator.admin) manages their own jobs
// with operator.write, on the agents granted to them and in their own sessions, and sees
// and reaches only the jobs they created; the gateway token sees all.
TEST(SharedMode, CronJobsAreEachUsersOwn) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm, "    agents: [main]\n")));
  Everyone all = connect_everyone(*gw);
  ASSERT_TRUE(all.ok());
  ClientPtr &admin = all.admin, &alice = all.alice, &bob = all.bob;
  auto job = [](const std::string& name, const std::string& agent = {}) {
    Json j = hourly(name, name + " please");
    if (!agent.empty()) j["agentId"] = agent;
    return j;
  };

  // A read-only connection of a user changes nothing.
  auto reader = gw->connect(as_user(*gw, kAliceToken, {"operator.read"}));
  ASSERT_NE(reader, nullptr);
  auto refused = reader->call("cron.add", job("read-only job"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, ErrorCode::kForbidden);
  EXPECT_NE(refused.error().message.find("operator.write"), std::string::npos)
      << refused.error().message;
  // Only granted agents, and never the shared main session.
  auto other_agent = alice->call("cron.add", job("research digest", "research"));
  ASSERT_FALSE(other_agent.ok());
  EXPECT_EQ(other_agent.error().details.value("code", ""), "AGENT_NOT_GRANTED");
  Json main_turn = job("main turn");
  main_turn["sessionTarget"] = "main";
  main_turn["payload"] = Json{{"kind", "systemEvent"}, {"text", "hello main"}};
  auto main_refused = alice->call("cron.add", main_turn);
  ASSERT_FALSE(main_refused.ok());
  EXPECT_EQ(main_refused.error().code, ErrorCode::kForbidden);

  Json mine = call_ok(*alice, "cron.add", job("alice digest"));
  Json theirs = call_ok(*admin, "cron.add", job("admin digest"));
  ASSERT_TRUE(mine.contains("id") && theirs.contains("id"));
  auto names = [](const Json& list) {
    std::vector<std::string> out;
    for (const Json& j : list["jobs"]) out.push_back(j.value("name", ""));
    std::sort(out.begin(), out.end());
    return out;
  };
  EXPECT_EQ(names(call_ok(*alice, "cron.list", Json::object())),
            std::vector<std::string>{"alice digest"});
  EXPECT_EQ(names(call_ok(*bob, "cron.list", Json::object())), std::vector<std::string>{});
  EXPECT_EQ(names(call_ok(*admin, "cron.list", Json::object())),
            (std::vector<std::string>{"admin digest", "alice digest"}));
  // Someone else's job does not exist for alice: not readable, not changeable, not runnable.
  const std::string theirs_id = theirs["id"];
  for (const auto& [method, params] : std::vector<std::pair<std::string, Json>>{
           {"cron.get", Json{{"id", theirs_id}}},
           {"cron.update", Json{{"id", theirs_id}, {"patch", Json{{"enabled", false}}}}},
           {"cron.run", Json{{"id", theirs_id}, {"mode", "force"}}},
           {"cron.remove", Json{{"id", theirs_id}}},
           {"cron.runs", Json{{"id", theirs_id}}}}) {
    auto r = alice->call(method, params);
    ASSERT_FALSE(r.ok()) << method;
    EXPECT_EQ(r.error().details.value("code", ""), "CRON_JOB_NOT_FOUND")
        << method << ": " << r.error().message;
  }
  EXPECT_EQ(call_ok(*admin, "cron.get", Json{{"id", theirs_id}})["enabled"], true);

  // Her job runs in her own namespace, and its run is hers to read.
  call_ok(*alice, "cron.run", Json{{"id", mine["id"]}, {"mode", "force"}});
  Json runs;
  ASSERT_TRUE(eventually(
      [&] {
        runs = call_ok(*alice, "cron.runs", Json{{"id", mine["id"]}});
        return runs["entries"].size() == 1 && runs["entries"][0].value("status", "") == "ok";
      },
      10000))
      << runs.dump();
  EXPECT_EQ(runs["entries"][0].value("sessionKey", ""),
            "agent:main:user:alice:cron:" + mine["id"].get<std::string>());
  EXPECT_EQ(call_ok(*alice, "cron.runs", Json::object())["entries"].size(), 1u)
      << "all runs, as alice: only hers";

  // Hers to change and remove; bob cannot reach it.
  auto bobs = bob->call("cron.remove", Json{{"id", mine["id"]}});
  ASSERT_FALSE(bobs.ok());
  EXPECT_EQ(bobs.error().details.value("code", ""), "CRON_JOB_NOT_FOUND");
  call_ok(*alice, "cron.update", Json{{"id", mine["id"]}, {"patch", Json{{"enabled", false}}}});
  EXPECT_EQ(call_ok(*alice, "cron.get", Json{{"id", mine["id"]}})["enabled"], false);
  call_ok(*alice, "cron.remove", Json{{"id", mine["id"]}});
  EXPECT_EQ(names(call_ok(*admin, "cron.list", Json{{"includeDisabled", true}})),
            std::vector<std::string>{"admin digest"});
}

// health needs no scope, so every user gets it (hello-ok, the method, the event): a user's
// view holds only their own sessions and the agents granted, and the config and channel
// events, the admin's business, never reach a user.
TEST(SharedMode, HealthShowsAUserOnlyTheirOwnSessionsAndGrantedAgents) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm, "    agents: [main]\n")));
  Everyone all = connect_everyone(*gw);
  ASSERT_TRUE(all.ok());
  ClientPtr &admin = all.admin, &alice = all.alice, &bob = all.bob;
  send(*alice, "main", "alice here", "h-a1");
  ASSERT_EQ(chat_events(*alice, "h-a1").back()["state"], "final");
  send(*bob, "main", "bob here", "h-b1");
  ASSERT_EQ(chat_events(*bob, "h-b1").back()["state"], "final");
  send(*bob, "agent:research:main", "bob researching", "h-b2");
  ASSERT_EQ(chat_events(*bob, "h-b2").back()["state"], "final");
  send(*admin, "main", "admin here", "h-m1");
  ASSERT_EQ(chat_events(*admin, "h-m1").back()["state"], "final");

  auto recent_keys = [](const Json& block) {
    std::vector<std::string> keys;
    for (const Json& r : block["recent"]) keys.push_back(r["key"].get<std::string>());
    std::sort(keys.begin(), keys.end());
    return keys;
  };
  auto agent_ids = [](const Json& health) {
    std::vector<std::string> ids;
    for (const Json& a : health["agents"]) ids.push_back(a["agentId"].get<std::string>());
    return ids;
  };
  auto ha = alice->call("health", Json{{"probe", true}});
  ASSERT_TRUE(ha.ok());
  EXPECT_EQ((*ha)["sessions"]["count"], 1);
  EXPECT_EQ(recent_keys((*ha)["sessions"]), std::vector<std::string>{"agent:main:user:alice:main"});
  EXPECT_EQ(agent_ids(*ha), std::vector<std::string>{"main"}) << "research is not granted";
  EXPECT_EQ((*ha)["agents"][0]["sessions"]["count"], 1);
  EXPECT_EQ(ha->dump().find("user:bob"), std::string::npos) << ha->dump();
  EXPECT_EQ(ha->dump().find("agent:main:main"), std::string::npos) << "the admin's session";

  auto hb = bob->call("health");
  ASSERT_TRUE(hb.ok());
  EXPECT_EQ((*hb)["sessions"]["count"], 2);
  EXPECT_EQ(recent_keys((*hb)["sessions"]),
            (std::vector<std::string>{"agent:main:user:bob:main", "agent:research:user:bob:main"}));
  EXPECT_EQ(agent_ids(*hb), (std::vector<std::string>{"main", "research"}));
  for (const Json& a : (*hb)["agents"]) {
    EXPECT_EQ(a["sessions"]["count"], 1) << a;
    EXPECT_EQ(
        recent_keys(a["sessions"]),
        std::vector<std::string>{"agent:" + a["agentId"].get<std::string>() + ":user:bob:main"});
  }
  EXPECT_EQ(hb->dump().find("user:alice"), std::string::npos) << hb->dump();

  auto hm = admin->call("health");
  ASSERT_TRUE(hm.ok());
  EXPECT_EQ((*hm)["sessions"]["count"], 4) << "the admin sees every session";
  EXPECT_EQ(agent_ids(*hm), (std::vector<std::string>{"main", "research"}));

  // The snapshot in hello-ok is the user's view too.
  Json hello;
  auto alice2 = gw->connect(as_user(*gw, kAliceToken), &hello);
  ASSERT_NE(alice2, nullptr);
  EXPECT_EQ(recent_keys(hello["snapshot"]["health"]["sessions"]),
            std::vector<std::string>{"agent:main:user:alice:main"});
  EXPECT_EQ(hello["snapshot"]["health"].dump().find("user:bob"), std::string::npos);

  // A change in bob's sessions broadcasts health: alice's copy has none of bob's keys.
  drain(*alice);
  send(*bob, "main", "bob again", "h-b3");
  ASSERT_EQ(chat_events(*bob, "h-b3").back()["state"], "final");
  ASSERT_TRUE(bob->call("health", Json{{"probe", true}}).ok());
  auto to_alice = drain(*alice);
  int health_events = 0;
  for (const Json& f : to_alice)
    if (f.value("event", "") == "health") ++health_events;
  EXPECT_GE(health_events, 1) << "alice is told health changed";
  EXPECT_FALSE(mentions(to_alice, "user:bob")) << "but not bob's session keys";

  // config.changed goes to the admin only.
  auto cfg = admin->call("config.get");
  ASSERT_TRUE(cfg.ok());
  drain(*alice);
  auto patched = admin->call("config.patch", Json{{"raw", R"({"logging":{"level":"debug"}})"},
                                                  {"baseHash", (*cfg)["hash"]}});
  ASSERT_TRUE(patched.ok()) << patched.error().message;
  EXPECT_TRUE(wait_event(*admin, "config.changed").has_value());
  for (const Json& f : drain(*alice)) EXPECT_NE(f.value("event", ""), "config.changed") << f;
}

TEST(SharedMode, AdminMethodsAreRefusedToUsers) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  // Asking for admin is capped to what the user was granted.
  Json hello;
  auto alice = gw->connect(as_user(*gw, kAliceToken, {"operator.admin"}), &hello);
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(hello["auth"]["scopes"], Json::array());
  alice = gw->connect(as_user(*gw, kAliceToken), &hello);
  ASSERT_NE(alice, nullptr);
  // hello-ok offers a user only what they may call (the Control UI hides the rest) and
  // names them.
  EXPECT_EQ(hello["auth"]["user"], "alice");
  const Json& offered = hello["features"]["methods"];
  auto offers = [&](const char* m) {
    return std::find(offered.begin(), offered.end(), Json(m)) != offered.end();
  };
  for (const char* m : {"chat.send", "sessions.list", "cron.add", "health", "usage.cost"})
    EXPECT_TRUE(offers(m)) << m;
  for (const char* m : {"config.get", "logs.tail", "status", "device.pair.list", "channels.status"})
    EXPECT_FALSE(offers(m)) << m;
  for (const char* m : {"config.get", "logs.tail", "status", "system-presence", "channels.status",
                        "node.list", "plugins.list"}) {
    auto r = alice->call(m);
    ASSERT_FALSE(r.ok()) << m;
    EXPECT_EQ(r.error().code, ErrorCode::kForbidden) << m;
    EXPECT_EQ(r.error().message, "missing scope: operator.admin") << m;
  }
  for (auto [m, p] : std::vector<std::pair<std::string, Json>>{
           {"config.patch", Json{{"raw", "{}"}, {"baseHash", ""}}},
           {"chat.inject", Json{{"sessionKey", "main"}, {"message", "x"}}},
           {"sessions.delete", Json{{"key", "main"}}},
           {"agents.create", Json{{"name", "mine"}}},
           {"node.pair.list", Json::object()},
           {"device.pair.list", Json::object()},
           {"device.token.revoke", Json{{"deviceId", "x"}, {"role", "operator"}}}}) {
    auto r = alice->call(m, p);
    ASSERT_FALSE(r.ok()) << m;
    EXPECT_EQ(r.error().code, ErrorCode::kForbidden) << m;
  }
  // health needs no scope and still works; the admin keeps everything.
  EXPECT_TRUE(alice->call("health").ok());
  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  EXPECT_TRUE(admin->call("config.get").ok());
  // Nodes are the admin's: a user's token cannot connect one.
  ClientOptions node = as_user(*gw, kAliceToken, {});
  node.role = "node";
  auto as_node = WsClient::connect(node);
  ASSERT_FALSE(as_node.ok());
  EXPECT_EQ(as_node.error().details.value("code", ""), "AUTH_USER_ROLE");
  // A wrong token is refused like any bad gateway token.
  auto bad = WsClient::connect(as_user(*gw, "not-a-user-token-at-all-xx"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("unauthorized"), std::string::npos);
}

TEST(SharedMode, ApprovalsGoOnlyToTheOwnerOfTheSession) {
  FakeLlm llm;
  fakes::Script s;
  s.tool_calls = {{"", "exec", R"({"command":"echo hello > out.txt && cat out.txt"})"}};
  llm.push(s);
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  Everyone all = connect_everyone(*gw);
  ASSERT_TRUE(all.ok());
  ClientPtr &admin = all.admin, &alice = all.alice, &bob = all.bob;
  send(*alice, "main", "run it", "e1");
  auto req = wait_event(*alice, "exec.approval.requested", 10000);
  ASSERT_TRUE(req.has_value());
  std::string id = (*req)["payload"]["id"];
  EXPECT_EQ((*req)["payload"]["request"]["sessionKey"], "agent:main:user:alice:main");
  ASSERT_TRUE(wait_event(*admin, "exec.approval.requested", 5000).has_value());
  // bob: no event, an empty list, and the id answers like an unknown one.
  EXPECT_FALSE(mentions(drain(*bob), "exec.approval"));
  auto bl = bob->call("exec.approval.list");
  ASSERT_TRUE(bl.ok());
  EXPECT_EQ((*bl), Json::array());
  auto bg = bob->call("exec.approval.get", Json{{"id", id}});
  ASSERT_FALSE(bg.ok());
  EXPECT_EQ(bg.error().code, ErrorCode::kApprovalNotFound);
  EXPECT_EQ(bg.error().message, "unknown approval id: " + id + " (see exec.approval.list)");
  auto br = bob->call("exec.approval.resolve", Json{{"id", id}, {"decision", "allow-once"}});
  ASSERT_FALSE(br.ok());
  EXPECT_EQ(br.error().code, ErrorCode::kApprovalNotFound);
  // alice sees and resolves her own.
  auto al = alice->call("exec.approval.list");
  ASSERT_TRUE(al.ok());
  ASSERT_EQ((*al).size(), 1u);
  auto ar = alice->call("exec.approval.resolve", Json{{"id", id}, {"decision", "deny"}});
  ASSERT_TRUE(ar.ok()) << ar.error().message;
  ASSERT_TRUE(wait_event(*alice, "exec.approval.resolved", 5000).has_value());
  ASSERT_TRUE(wait_event(*admin, "exec.approval.resolved", 5000).has_value());
  EXPECT_FALSE(mentions(drain(*bob), "exec.approval"));
}

// ---- the users CLI

// Runs the real binary (no shell) pointed at a state dir and config.
CmdResult run_cli_at(const std::string& state_dir, const std::string& config_path,
                     std::vector<std::string> args) {
  args.insert(args.end(),
              {"--state-dir", state_dir, "--config", config_path, "--token", kAdminToken});
  TempDir home;
  return run_simpleclaw(args, home.path(), {}, 20);
}

CmdResult shared_run_cli(const GatewayProcess& gw, std::vector<std::string> args) {
  return run_cli_at(gw.state_dir(), gw.config_path(), std::move(args));
}

TEST(SharedMode, UsersCliEditsTheFileWhenNoGatewayRuns) {
  TempDir d;
  std::string cfg = d.path() + "/config.yaml";
  write_text(cfg, "gateway:\n  mode: shared\n  auth: {token: " + kAdminToken + "}\n");
  CmdResult add = run_cli_at(d.path(), cfg, {"users", "add", "carol", "--json"});
  ASSERT_EQ(add.code, 0) << add.err;
  std::string token = Json::parse(add.out).value("token", "");
  ASSERT_GE(token.size(), 43u);
  EXPECT_NE(add.err.find("no gateway running"), std::string::npos) << add.err;
  EXPECT_NE(read_text(cfg).find(token), std::string::npos);
  CmdResult list = run_cli_at(d.path(), cfg, {"users", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("carol"), std::string::npos);
  EXPECT_EQ(list.out.find(token), std::string::npos);
  // A gateway started on that file knows carol.
  START_GATEWAY(gw, shared_start(read_text(cfg)));
  auto carol = gw->connect(as_user(*gw, token, {"operator.read"}));
  ASSERT_NE(carol, nullptr);
  // In local mode users are refused with the fix named.
  write_text(cfg, "gateway:\n  auth: {token: " + kAdminToken + "}\n");
  CmdResult local = run_cli_at(d.path(), cfg, {"users", "add", "dave"});
  EXPECT_EQ(local.code, 1);
  EXPECT_NE(local.err.find("set gateway.mode: shared"), std::string::npos) << local.err;
}

TEST(SharedMode, RotatingATokenClosesTheUsersSocketsWith4001) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  auto alice1 = gw->connect(as_user(*gw, kAliceToken));
  auto alice2 = gw->connect(as_user(*gw, kAliceToken));
  auto bob = gw->connect(as_user(*gw, kBobToken));
  ASSERT_NE(alice1, nullptr);
  ASSERT_NE(alice2, nullptr);
  ASSERT_NE(bob, nullptr);

  CmdResult rot = shared_run_cli(*gw, {"users", "rotate-token", "alice", "--json"});
  ASSERT_EQ(rot.code, 0) << rot.err;
  Json out = Json::parse(rot.out, nullptr, false);
  ASSERT_TRUE(out.is_object()) << rot.out;
  std::string fresh = out.value("token", "");
  EXPECT_GE(fresh.size(), 43u);
  EXPECT_EQ(read_text(gw->config_path()).find(kAliceToken), std::string::npos);

  for (WsClient* c : {alice1.get(), alice2.get()}) {
    Incoming closed = wait_close(*c, 5000);
    ASSERT_TRUE(closed.closed);
    EXPECT_EQ(closed.close_code, 4001);
  }
  // bob is untouched.
  EXPECT_TRUE(bob->call("chat.history", Json{{"sessionKey", "main"}}).ok());
  // Old token refused, new one accepted.
  auto old = WsClient::connect(as_user(*gw, kAliceToken));
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().message.find("unauthorized"), std::string::npos);
  auto again = gw->connect(as_user(*gw, fresh));
  ASSERT_NE(again, nullptr);
  EXPECT_TRUE(again->call("sessions.list").ok());
}

// "Each user authenticates with their own token (or a paired device)": a device paired
// with alice's token belongs to alice. Its device token alone logs in as alice (her
// sessions only), nobody else can use the device, and removing alice closes its socket
// and refuses the token.
TEST(SharedMode, AUsersPairedDeviceLogsInAsThatUserAndNoOneElse) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  auto key = std::make_shared<const simpleclaw::nodes::DeviceKey>(
      simpleclaw::nodes::DeviceKey::generate());
  auto admin = gw->connect();
  ASSERT_NE(admin, nullptr);
  ASSERT_TRUE(
      admin->call("chat.inject", Json{{"sessionKey", "main"}, {"message", "admin note"}}).ok());

  // alice connects with her token and the device (loopback: paired at once, for her).
  ClientOptions with_device = as_user(*gw, kAliceToken);
  with_device.device = key;
  Json hello;
  auto first = gw->connect(with_device, &hello);
  ASSERT_NE(first, nullptr);
  std::string device_token = hello["auth"].value("deviceToken", "");
  ASSERT_GE(device_token.size(), 40u) << hello["auth"].dump();
  auto paired = admin->call("node.pair.list");
  ASSERT_TRUE(paired.ok());
  ASSERT_EQ((*paired)["paired"].size(), 1u) << paired->dump();
  EXPECT_EQ((*paired)["paired"][0]["user"], "alice");

  // The device token alone is alice: her namespace, none of the admin's sessions.
  ClientOptions by_device = with_device;
  by_device.token.clear();
  by_device.device_token = device_token;
  auto dev = gw->connect(by_device);
  ASSERT_NE(dev, nullptr);
  auto sent = dev->call(
      "chat.send",
      Json{{"sessionKey", "main"}, {"message", "from device"}, {"idempotencyKey", "dev-1"}});
  ASSERT_TRUE(sent.ok()) << sent.error().message;  // answered once the message is stored
  auto mine = dev->call("sessions.list");
  ASSERT_TRUE(mine.ok());
  EXPECT_EQ(keys_of(*mine), std::vector<std::string>{"agent:main:user:alice:main"});
  auto h = dev->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  EXPECT_FALSE(mentions({*h}, "admin note"));
  EXPECT_TRUE(mentions({*h}, "from device"));
  auto cfg = dev->call("config.get");
  EXPECT_FALSE(cfg.ok()) << "a user's device is not the admin";

  // Nobody else may use alice's device: not bob, not the admin token.
  ClientOptions bob_device = as_user(*gw, kBobToken);
  bob_device.device = key;
  auto as_bob = WsClient::connect(bob_device);
  ASSERT_FALSE(as_bob.ok());
  EXPECT_EQ(as_bob.error().details.value("code", ""), "AUTH_DEVICE_OTHER_USER");
  ClientOptions admin_device = gw->options();
  admin_device.device = key;
  EXPECT_FALSE(WsClient::connect(admin_device).ok());

  // alice removed: her device's socket closes with 4001 and its token is refused.
  CmdResult rm = shared_run_cli(*gw, {"users", "remove", "alice"});
  ASSERT_EQ(rm.code, 0) << rm.err;
  Incoming closed = wait_close(*dev, 5000);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 4001);
  auto gone = WsClient::connect(by_device);
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().details.value("code", ""), "AUTH_USER_REMOVED");
}

TEST(SharedMode, UsersCliAddsListsAndRemovesUsers) {
  FakeLlm llm;
  START_GATEWAY(gw, shared_start(shared_config(llm)));
  CmdResult add = shared_run_cli(*gw, {"users", "add", "carol", "--scopes", "operator.read",
                                       "--agents", "research", "--json"});
  ASSERT_EQ(add.code, 0) << add.err;
  std::string token = Json::parse(add.out).value("token", "");
  ASSERT_GE(token.size(), 43u);
  Json hello;
  auto carol = gw->connect(as_user(*gw, token, {"operator.read", "operator.write"}), &hello);
  ASSERT_NE(carol, nullptr);
  EXPECT_EQ(hello["auth"]["scopes"], Json::array({"operator.read"}));
  auto agents = carol->call("agents.list");
  ASSERT_TRUE(agents.ok());
  ASSERT_EQ((*agents)["agents"].size(), 1u);
  EXPECT_EQ((*agents)["agents"][0]["id"], "research");

  CmdResult list = shared_run_cli(*gw, {"users", "list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_NE(list.out.find("carol"), std::string::npos);
  EXPECT_NE(list.out.find("alice"), std::string::npos);
  for (const std::string& secret : {token, kAliceToken, kBobToken})
    EXPECT_EQ((list.out + list.err).find(secret), std::string::npos) << "token printed";

  CmdResult dup = shared_run_cli(*gw, {"users", "add", "carol"});
  EXPECT_EQ(dup.code, 1);
  EXPECT_NE(dup.err.find("already exists"), std::string::npos);
  CmdResult bad = shared_run_cli(*gw, {"users", "add", "dave", "--scopes", "operator.root"});
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("unknown scope 'operator.root'"), std::string::npos) << bad.err;

  CmdResult rm = shared_run_cli(*gw, {"users", "remove", "carol"});
  ASSERT_EQ(rm.code, 0) << rm.err;
  Incoming closed = wait_close(*carol, 5000);
  ASSERT_TRUE(closed.closed);
  EXPECT_EQ(closed.close_code, 4001);
  EXPECT_FALSE(WsClient::connect(as_user(*gw, token)).ok());
}

TEST(SharedMode, AChannelConversationBelongsToTheBindingsUser) {
  FakeLlm llm;
  llm.push(answer("hello alice"));
  ::fakes::PyFake tg(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_telegram.py", {"4242:TESTTOKEN"});
  ASSERT_TRUE(tg.ok());
  std::string yaml = shared_config(llm) +
                     "channels:\n"
                     "  telegram:\n"
                     "    token: \"4242:TESTTOKEN\"\n"
                     "    api_base: " +
                     tg.url() +
                     "\n"
                     "    poll_timeout_s: 2\n"
                     "    allow_from: [111]\n"
                     "bindings:\n"
                     "  - {channel: telegram, peer: 111, agent: main, user: alice}\n";
  START_GATEWAY(gw, shared_start(yaml));
  Everyone all = connect_everyone(*gw);
  ASSERT_TRUE(all.ok());
  ClientPtr &admin = all.admin, &alice = all.alice, &bob = all.bob;
  ASSERT_TRUE(wait_connected(*admin, "telegram"));
  tg.post("/control/message", Json{{"from_id", 111}, {"text", "hi from telegram"}});
  // The reply reaches Telegram (the namespaced key still routes back to the chat).
  Json sent;
  ASSERT_TRUE(eventually(
      [&] {
        sent = tg.get("/control/sent");
        return sent.is_array() && !sent.empty();
      },
      10000));
  EXPECT_EQ(sent[0]["text"], "hello alice");
  const std::string key = "agent:main:user:alice:telegram:direct:111";
  // alice owns it: listed, readable, its events were hers.
  auto al = alice->call("sessions.list");
  ASSERT_TRUE(al.ok());
  EXPECT_EQ(keys_of(*al), std::vector<std::string>{key});
  EXPECT_EQ((*al)["sessions"][0]["channel"], "telegram");
  auto ah = alice->call("chat.history", Json{{"sessionKey", key}});
  ASSERT_TRUE(ah.ok());
  EXPECT_EQ((*ah)["messages"].size(), 2u);
  EXPECT_TRUE(mentions(drain(*alice), "hello alice"));
  // bob sees nothing of it.
  EXPECT_FALSE(mentions(drain(*bob), "hello alice"));
  auto bl = bob->call("sessions.list");
  ASSERT_TRUE(bl.ok());
  EXPECT_EQ((*bl)["count"], 0);
  auto bh = bob->call("chat.history", Json{{"sessionKey", key}});
  ASSERT_TRUE(bh.ok());
  EXPECT_EQ((*bh)["messages"], Json::array());
}

TEST(SharedMode, ABindingNamingAnUnknownUserStopsStartUp) {
  FakeLlm llm;
  StartOptions o = shared_start(shared_config(llm) +
                                "bindings:\n  - {channel: telegram, agent: main, user: nobody}\n");
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, o);
  ASSERT_NE(gw, nullptr);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(gw->stderr_text().find("unknown user 'nobody'"), std::string::npos)
      << gw->stderr_text();
}

}  // namespace
}  // namespace sctest
