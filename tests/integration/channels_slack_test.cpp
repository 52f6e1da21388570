// Slack end to end: the real gateway, a fake Slack (tests/fakes/fake_slack.py: the Web
// API methods and a Socket Mode WebSocket, the real wire format) and the fake LLM. A
// Slack user's DM reaches the agent and the reply lands in the same DM; unknown
// senders, pairing codes, channel mention gating, threads, long (and rate-limited)
// replies, approvals by button and by /approve (also offered again in the DM after a
// restart, opened by user), and a dropped socket or a `disconnect` envelope recovered
// through a fresh apps.connections.open with nothing doubled.
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"
#include "small_disk.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;

constexpr const char* kAppToken = "xapp-1-A0001-test";
constexpr const char* kBotToken = "xoxb-0001-test";

// The fake Slack: Web API and control on port("http"), Socket Mode on port("ws").
class Slack {
 public:
  Slack()
      : py_(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_slack.py",
            std::vector<std::string>{"--app-token", kAppToken, "--bot-token", kBotToken}) {
    EXPECT_TRUE(py_.ok() && py_.port("http") > 0) << "fake Slack did not start";
  }
  int http() const { return py_.port("http"); }
  std::string api_base() const { return "http://127.0.0.1:" + std::to_string(http()) + "/api"; }
  Json state() { return py_.request("GET", "/control/state", "", http()); }
  Json posts() {
    Json s = state();
    return s.is_object() ? s["posts"] : Json::array();
  }
  Json control(const std::string& path, const Json& body) {
    return py_.request("POST", path, body.dump(), http());
  }
  // An events_api envelope; returns its envelope_id.
  std::string event(const Json& ev) {
    Json r = control("/control/event", Json{{"event", ev}});
    EXPECT_EQ(r.value("sent", 0), 1) << "no Socket Mode connection to deliver to: " << r.dump();
    return r.value("envelope_id", "");
  }
  std::string interactive(const Json& payload) {
    Json r = control("/control/interactive", Json{{"payload", payload}});
    EXPECT_EQ(r.value("sent", 0), 1) << r.dump();
    return r.value("envelope_id", "");
  }
  // Polls the recorded chat.postMessage bodies until pred holds or the timeout.
  Json wait_posts(const std::function<bool(const Json&)>& pred, int timeout_ms = 10000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    Json p;
    while (std::chrono::steady_clock::now() < deadline) {
      p = posts();
      if (p.is_array() && pred(p)) return p;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return p;
  }
  bool acked(const std::string& envelope_id, int timeout_ms = 5000) {
    return eventually(
        [&] {
          Json acks = state()["acks"];
          return std::find(acks.begin(), acks.end(), Json(envelope_id)) != acks.end();
        },
        timeout_ms);
  }

 private:
  PyFake py_;
};

std::string slack_config(const Slack& s, const std::string& extra = {}) {
  return "channels:\n"
         "  slack:\n"
         "    app_token: " +
         std::string(kAppToken) +
         "\n"
         "    bot_token: " +
         std::string(kBotToken) +
         "\n"
         "    api_base: " +
         s.api_base() +
         "\n"
         "    allow_from: [U111]\n"
         "    health_monitor: {backoff_base_ms: 50, backoff_max_ms: 200, check_interval_ms: "
         "100}\n" +
         extra;
}

// A message in the DM (im) channel D<user digits> from `user`.
Json dm(const std::string& user, const std::string& text, const std::string& ts) {
  return {{"type", "message"},    {"channel", "D" + user.substr(1)},
          {"channel_type", "im"}, {"user", user},
          {"text", text},         {"ts", ts}};
}

Json channel_msg(const std::string& channel, const std::string& user, const std::string& text,
                 const std::string& ts) {
  return {{"type", "message"}, {"channel", channel}, {"channel_type", "channel"},
          {"user", user},      {"text", text},       {"ts", ts}};
}

// A block_actions press of the button with `value` in `channel`.
Json slack_press(const std::string& user, const std::string& channel, const std::string& value) {
  return {{"type", "block_actions"},
          {"user", {{"id", user}, {"username", "user-" + user}}},
          {"channel", {{"id", channel}, {"name", "directmessage"}}},
          {"container", {{"type", "message"}, {"channel_id", channel}, {"message_ts", "1.0"}}},
          {"actions", {{{"action_id", "sc_button_0"}, {"type", "button"}, {"value", value}}}}};
}

bool has_text(const Json& posts, const std::string& text) {
  for (const Json& p : posts)
    if (p.value("text", "") == text) return true;
  return false;
}

Json account_status(WsClient& c) {
  auto st = c.call("channels.status", Json::object());
  EXPECT_TRUE(st.ok());
  return st.ok() ? (*st)["channelAccounts"]["slack"][0] : Json();
}

std::size_t history_size(WsClient& c, const std::string& key) {
  auto hist = c.call("chat.history", Json{{"sessionKey", key}});
  EXPECT_TRUE(hist.ok()) << key << ": " << (hist.ok() ? "" : hist.error().message);
  return hist.ok() ? (*hist)["messages"].size() : 0;
}

#define START_SLACK_GATEWAY(gw, c, llm, slack, extra)                          \
  START_GATEWAY(gw, with_config(config_for(llm, slack_config(slack, extra)))); \
  auto c = gw->connect();                                                      \
  ASSERT_NE(c, nullptr);                                                       \
  ASSERT_TRUE(wait_connected(*c, "slack")) << account_status(*c).dump()

TEST(ChannelsSlack, DmReachesTheAgentAndTheReplyLandsInTheSameDm) {
  FakeLlm llm;
  llm.push(answer("Hello from the agent."));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "");
  Json acc = account_status(*c);
  EXPECT_EQ(acc["botUserId"], "UBOT");
  EXPECT_EQ(acc["healthState"], "healthy");

  std::string env = slack.event(dm("U111", "hi bot", "1700000001.000100"));
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); });
  ASSERT_EQ(posts.size(), 1u) << posts.dump();
  EXPECT_EQ(posts[0]["channel"], "D111");  // the DM channel, not the user id
  EXPECT_EQ(posts[0]["text"], "Hello from the agent.");
  // A DM answer is part of the DM, not tucked into a thread under the question.
  EXPECT_FALSE(posts[0].contains("thread_ts")) << posts[0].dump();
  EXPECT_TRUE(slack.acked(env));  // acknowledged, so Slack does not redeliver it
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_NE(llm.requests()[0].body.dump().find("hi bot"), std::string::npos);
  // The conversation is the session agent:main:slack:direct:<user id> with both turns.
  EXPECT_EQ(history_size(*c, "agent:main:slack:direct:U111"), 2u);
  // Slack redelivers an envelope (retry_attempt 1) when it thinks the ack was late: the
  // same message is not answered twice.
  slack.event(dm("U111", "hi bot", "1700000001.000100"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(slack.posts().size(), 1u);
  EXPECT_EQ(llm.requests().size(), 1u);
}

// Slack redelivers what is not acked within 3 s: the ack waits until the message is
// durable (one group commit), so a message the gateway could not store is not lost.
TEST(ChannelsSlack, AMessageIsAckedOnlyOnceStoredAndOneThatCouldNotBeComesAgain) {
  SmallDisk disk("16m");
  if (!disk.mounted()) GTEST_SKIP() << "cannot mount a tmpfs here (needs root)";
  FakeLlm llm;
  Slack slack;
  StartOptions o = with_config(config_for(llm, slack_config(slack)));
  o.state_dir = disk.path() + "/state";
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "slack")) << account_status(*c).dump();

  std::string first = slack.event(dm("U111", "one", "1700000001.000100"));
  ASSERT_TRUE(slack.acked(first));
  EXPECT_EQ(history_size(*c, "agent:main:slack:direct:U111") >= 1, true);
  Json ack_ms = slack.state()["ack_ms"];
  ASSERT_EQ(ack_ms.size(), 1u);
  EXPECT_LT(ack_ms[0].get<double>(), 3000.0) << "acked outside Slack's window";

  disk.fill();
  std::string second = slack.event(dm("U111", "two", "1700000002.000100"));
  // Not stored, so not acked; the account says why and reconnects.
  eventually([&] {
    Json acc = account_status(*c);
    return acc["lastError"].is_string() &&
           acc["lastError"].get<std::string>().find("could not be stored") != std::string::npos;
  });
  Json st = slack.state();
  EXPECT_EQ(std::count(st["acks"].begin(), st["acks"].end(), Json(second)), 0)
      << "acknowledged a message that was not written";

  disk.free_space();
  // Slack delivers it again on the new connection; it is answered once.
  Json posts = slack.wait_posts([](const Json& p) { return has_text(p, "echo: two"); }, 20000);
  ASSERT_TRUE(has_text(posts, "echo: two")) << posts.dump();
  EXPECT_TRUE(eventually([&] { return slack.state()["unacked"].empty(); }));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  int twos = 0;
  for (const Json& p : slack.posts()) twos += p.value("text", "") == "echo: two";
  EXPECT_EQ(twos, 1);
}

TEST(ChannelsSlack, UnknownSenderIsDeniedWithoutAModelCall) {
  FakeLlm llm;
  llm.push(answer("should never be sent"));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "");
  std::string env = slack.event(dm("U222", "let me in", "1700000002.000100"));
  EXPECT_TRUE(slack.acked(env));  // acked all the same: Slack must not redeliver it
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(slack.posts().empty()) << slack.posts().dump();
  EXPECT_TRUE(llm.requests().empty());
  auto tail = c->call("logs.tail", Json{{"limit", 200}});
  ASSERT_TRUE(tail.ok());
  std::string logs = tail->dump();
  auto at = logs.find("channel.inbound_denied");
  ASSERT_NE(at, std::string::npos) << logs.substr(0, 2000);
  EXPECT_NE(logs.find("U222", at > 300 ? at - 300 : 0), std::string::npos);
}

TEST(ChannelsSlack, PairingCodeFlowThenTheSenderIsAnsweredInTheDm) {
  FakeLlm llm;
  llm.push(answer("Nice to meet you."));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "    dm_policy: pairing\n");
  slack.event(dm("U333", "hello?", "1700000003.000100"));
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); });
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["channel"], "D333");
  std::string text = posts[0]["text"];
  auto list = c->call("channels.pairing.list", Json{{"channel", "slack"}});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["requests"].size(), 1u) << list->dump();
  std::string code = (*list)["requests"][0]["code"];
  EXPECT_EQ((*list)["requests"][0]["senderId"], "U333");
  EXPECT_EQ((*list)["requests"][0]["channel"], "slack");
  EXPECT_NE(text.find(code), std::string::npos) << text;
  // A second message while pending: no second code, no model call.
  slack.event(dm("U333", "hello??", "1700000003.000200"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(slack.posts().size(), 1u);
  EXPECT_TRUE(llm.requests().empty());
  EXPECT_FALSE(
      c->call("channels.pairing.approve", Json{{"channel", "slack"}, {"code", "ZZZZZZZZ"}}).ok());
  auto ok = c->call("channels.pairing.approve", Json{{"channel", "slack"}, {"code", code}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)["senderId"], "U333");
  // The notice goes to the DM the code was asked from, not to the user id.
  posts = slack.wait_posts([](const Json& p) { return p.size() >= 2; });
  ASSERT_EQ(posts.size(), 2u) << posts.dump();
  EXPECT_EQ(posts[1]["channel"], "D333");
  EXPECT_NE(posts[1]["text"].get<std::string>().find("approved"), std::string::npos);
  std::size_t before = posts.size();
  slack.event(dm("U333", "now?", "1700000003.000300"));
  posts = slack.wait_posts([&](const Json& p) { return p.size() > before; });
  ASSERT_EQ(posts.size(), before + 1) << posts.dump();
  EXPECT_EQ(posts[before]["channel"], "D333");
  EXPECT_EQ(posts[before]["text"], "Nice to meet you.");
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_NE(llm.requests()[0].body.dump().find("now?"), std::string::npos);
  EXPECT_EQ(history_size(*c, "agent:main:slack:direct:U333"), 2u);
}

TEST(ChannelsSlack, ChannelsAnswerOnlyWhenMentionedAndOnlyOnce) {
  FakeLlm llm;
  llm.push(answer("Status: all green."));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "    groups: [C100]\n");
  slack.event(channel_msg("C100", "U111", "just chatting", "1700000004.000100"));
  slack.event(channel_msg("C999", "U111", "<@UBOT> hi", "1700000004.000200"));  // not listed
  slack.event(channel_msg("C100", "U222", "<@UBOT> hi", "1700000004.000300"));  // not allowed
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(llm.requests().empty());
  EXPECT_TRUE(slack.posts().empty()) << slack.posts().dump();
  // A mention arrives twice, as `message` and as `app_mention`: one answer.
  Json ev = channel_msg("C100", "U111", "<@UBOT> status?", "1700000004.000400");
  slack.event(ev);
  ev["type"] = "app_mention";
  ev.erase("channel_type");
  slack.event(ev);
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  posts = slack.posts();
  ASSERT_EQ(posts.size(), 1u) << posts.dump();
  EXPECT_EQ(posts[0]["channel"], "C100");
  EXPECT_EQ(posts[0]["text"], "Status: all green.");
  ASSERT_EQ(llm.requests().size(), 1u);
  std::string body = llm.requests()[0].body.dump();
  EXPECT_NE(body.find("status?"), std::string::npos);
  EXPECT_EQ(body.find("<@UBOT>"), std::string::npos);  // the mention is stripped
  EXPECT_EQ(history_size(*c, "agent:main:slack:group:C100"), 2u);
}

TEST(ChannelsSlack, AThreadIsAnsweredInTheThreadWithItsOwnSession) {
  FakeLlm llm;
  llm.push(answer("Answer in the thread."));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "    groups: [C100]\n");
  Json ev = channel_msg("C100", "U111", "<@UBOT> and in here?", "1700000005.000200");
  ev["thread_ts"] = "1700000005.000100";
  slack.event(ev);
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); });
  ASSERT_EQ(posts.size(), 1u) << posts.dump();
  EXPECT_EQ(posts[0]["channel"], "C100");
  EXPECT_EQ(posts[0].value("thread_ts", ""), "1700000005.000100") << posts[0].dump();
  EXPECT_EQ(posts[0]["text"], "Answer in the thread.");
  EXPECT_EQ(history_size(*c, "agent:main:slack:group:C100:thread:1700000005.000100"), 2u);
  EXPECT_EQ(history_size(*c, "agent:main:slack:group:C100"), 0u);
}

TEST(ChannelsSlack, ALongRateLimitedReplyArrivesChunkedInOrderInOnePlace) {
  FakeLlm llm;
  std::string longtext;
  for (int i = 0; i < 7; ++i) longtext += std::string(1500, char('a' + i)) + "\n\n";  // ~10.5 KB
  llm.push(answer(longtext));
  llm.push(answer(longtext));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "    groups: [C100]\n");
  // The first chat.postMessage is answered 429 + Retry-After: 1; nothing is lost.
  slack.control("/control/ratelimit", Json{{"count", 1}});
  slack.event(dm("U111", "write a lot", "1700000006.000100"));
  Json posts = slack.wait_posts(
      [](const Json& p) {
        std::size_t n = 0;
        for (const Json& m : p) n += m["text"].get<std::string>().size();
        return n >= 7 * 1500;
      },
      15000);
  ASSERT_GE(posts.size(), 3u) << posts.dump().substr(0, 300);
  EXPECT_EQ(slack.state()["limited"].size(), 1u);
  auto check = [](const Json& posts, const std::string& channel) {
    std::string letters;
    for (const Json& m : posts) {
      EXPECT_EQ(m["channel"], channel);
      EXPECT_LE(m["text"].get<std::string>().size(), 4000u);
      EXPECT_FALSE(m.contains("thread_ts"))
          << "a chunk went into a thread: " << m.dump().substr(0, 200);
      for (char ch : m["text"].get<std::string>())
        if (ch >= 'a' && ch <= 'g' && (letters.empty() || letters.back() != ch)) letters += ch;
    }
    EXPECT_EQ(letters, "abcdefg");  // in order
  };
  check(posts, "D111");
  std::size_t total = 0;
  for (const Json& m : posts) {
    const std::string t = m["text"];
    total += std::count_if(t.begin(), t.end(), [](char ch) { return ch >= 'a' && ch <= 'g'; });
  }
  EXPECT_EQ(total, 7u * 1500);
  EXPECT_EQ(history_size(*c, "agent:main:slack:direct:U111"), 2u);

  // The same long answer to a top-level mention in a channel: every chunk in the
  // channel, none of them split off into a thread.
  std::size_t before = posts.size();
  slack.event(channel_msg("C100", "U111", "<@UBOT> write a lot here too", "1700000006.000200"));
  posts = slack.wait_posts(
      [&](const Json& p) {
        std::size_t n = 0;
        for (std::size_t i = before; i < p.size(); ++i) n += p[i]["text"].get<std::string>().size();
        return n >= 7 * 1500;
      },
      15000);
  ASSERT_GE(posts.size(), before + 3);
  check(Json(std::vector<Json>(posts.begin() + before, posts.end())), "C100");
}

TEST(ChannelsSlack, ApprovalsFromSlackByButtonAndByCommand) {
  FakeLlm llm;
  llm.push(exec_call("echo approved-run"));
  llm.push(answer_after("It printed approved-run.", "approved-run"));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "");
  slack.event(dm("U111", "run it", "1700000007.000100"));
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); }, 15000);
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["channel"], "D111");
  EXPECT_NE(posts[0]["text"].get<std::string>().find("echo approved-run"), std::string::npos);
  ASSERT_TRUE(posts[0].contains("blocks")) << posts[0].dump();
  Json buttons;
  for (const Json& b : posts[0]["blocks"])
    if (b["type"] == "actions") buttons = b["elements"];
  ASSERT_GE(buttons.size(), 2u) << posts[0].dump();
  std::string allow = buttons[0]["value"];
  ASSERT_EQ(allow.substr(0, 4), "apr:");
  EXPECT_EQ(allow.substr(allow.size() - 2), ":o");
  // A press from someone who may not approve changes nothing.
  std::string env = slack.interactive(slack_press("U222", "D111", allow));
  posts = slack.wait_posts([](const Json& p) { return p.size() >= 2; });
  ASSERT_GE(posts.size(), 2u);
  EXPECT_EQ(posts[1]["channel"], "D111");
  EXPECT_NE(posts[1]["text"].get<std::string>().find("not allowed"), std::string::npos);
  EXPECT_TRUE(slack.acked(env));
  auto pending = c->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_NE(pending->dump().find("echo approved-run"), std::string::npos);
  // The allowed user's press runs the command; the run finishes in the DM.
  slack.interactive(slack_press("U111", "D111", allow));
  posts = slack.wait_posts([](const Json& p) { return has_text(p, "It printed approved-run."); },
                           15000);
  bool approved_note = false;
  for (const Json& m : posts) {
    approved_note |= m["text"].get<std::string>().find("Approved") != std::string::npos;
    EXPECT_EQ(m["channel"], "D111");
  }
  EXPECT_TRUE(approved_note) << posts.dump();
  EXPECT_TRUE(has_text(posts, "It printed approved-run.")) << posts.dump();

  // Second command, denied by text: /approve <id> deny.
  llm.push(exec_call("echo never-run"));
  llm.push(answer_after("Understood, not running it.", ""));
  std::size_t before = posts.size();
  slack.event(dm("U111", "run another", "1700000007.000200"));
  posts = slack.wait_posts([&](const Json& p) { return p.size() > before; }, 15000);
  ASSERT_GT(posts.size(), before);
  std::string prompt = posts[before]["text"];
  auto at = prompt.find("/approve ");
  ASSERT_NE(at, std::string::npos) << prompt;
  std::string short_id = prompt.substr(at + 9, 8);
  // Not allowed by text either.
  slack.event(dm("U222", "/approve " + short_id + " allow-once", "1700000007.000300"));
  slack.event(dm("U111", "/approve " + short_id + " deny", "1700000007.000400"));
  posts = slack.wait_posts([](const Json& p) { return has_text(p, "Understood, not running it."); },
                           15000);
  bool denied = false;
  for (std::size_t i = before; i < posts.size(); ++i)
    denied |= posts[i]["text"].get<std::string>().rfind("Denied", 0) == 0;
  EXPECT_TRUE(denied) << posts.dump();
  auto last = llm.requests().back().body.dump();
  EXPECT_NE(last.find("exec denied by slack:U111"), std::string::npos) << last.substr(0, 2000);
  EXPECT_EQ(last.find("never-run\\n"), std::string::npos);  // it never ran

  // Third command, allowed through the /approve slash command: in the Slack client a
  // message starting with "/" is a command, delivered as a slash_commands envelope.
  llm.push(exec_call("echo by-command"));
  llm.push(answer_after("It printed by-command.", "by-command"));
  before = posts.size();
  slack.event(dm("U111", "one more", "1700000007.000500"));
  posts = slack.wait_posts([&](const Json& p) { return p.size() > before; }, 15000);
  ASSERT_GT(posts.size(), before);
  prompt = posts[before]["text"];
  at = prompt.find("/approve ");
  ASSERT_NE(at, std::string::npos) << prompt;
  short_id = prompt.substr(at + 9, 8);
  Json cmd{{"envelope_id", "cmd-1"},
           {"type", "slash_commands"},
           {"accepts_response_payload", true},
           {"payload",
            {{"command", "/approve"},
             {"text", short_id + " allow-once"},
             {"user_id", "U111"},
             {"user_name", "ann"},
             {"channel_id", "D111"},
             {"channel_name", "directmessage"},
             {"trigger_id", "1.2.abc"},
             {"team_id", "T0001"}}}};
  EXPECT_EQ(slack.control("/control/inject", Json{{"frame", cmd}}).value("sent", 0), 1);
  EXPECT_TRUE(slack.acked("cmd-1"));
  posts =
      slack.wait_posts([](const Json& p) { return has_text(p, "It printed by-command."); }, 15000);
  EXPECT_TRUE(has_text(posts, "It printed by-command.")) << posts.dump();
  bool approved = false;
  for (std::size_t i = before; i < posts.size(); ++i) {
    approved |= posts[i]["text"].get<std::string>().rfind("Approved (" + short_id, 0) == 0;
    EXPECT_EQ(posts[i]["channel"], "D111");
  }
  EXPECT_TRUE(approved) << posts.dump();
}

// A pending approval survives a restart (SPEC §8) and is offered again in the DM it came
// from. The session key names only the user (lower-cased: u111), and the DM is D111:
// the connector opens it with conversations.open. /approve there decides it.
TEST(ChannelsSlack, APendingApprovalIsOfferedAgainInTheDmAfterARestart) {
  FakeLlm llm;
  llm.push(exec_call("echo after-restart"));
  Slack slack;
  std::string cfg = config_for(llm, slack_config(slack));
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "slack")) << account_status(*c).dump();
  slack.event(dm("U111", "run it later", "1700000009.000100"));
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); }, 15000);
  ASSERT_EQ(posts.size(), 1u) << posts.dump();
  EXPECT_EQ(posts[0]["channel"], "D111");
  EXPECT_TRUE(slack.state()["dm_opens"].empty()) << "the live conversation needs no lookup";

  std::string state_dir = gw->state_dir();
  gw->stop();
  StartOptions again = with_config(cfg);
  again.state_dir = state_dir;
  START_GATEWAY(gw2, again);
  // The run waiting for the approval was interrupted by the stop: its sender is told
  // (posts[1]); then the approval, still pending, is offered again (posts[2]).
  posts = slack.wait_posts([](const Json& p) { return p.size() >= 3; }, 15000);
  ASSERT_EQ(posts.size(), 3u) << posts.dump();
  EXPECT_NE(posts[1]["text"].get<std::string>().find("interrupted"), std::string::npos)
      << posts[1].dump();
  EXPECT_EQ(posts[2]["channel"], "D111") << "the user's DM, not the user id";
  std::string prompt = posts[2]["text"];
  EXPECT_NE(prompt.find("echo after-restart"), std::string::npos) << prompt;
  ASSERT_TRUE(posts[2].contains("blocks")) << posts[2].dump();
  EXPECT_EQ(slack.state()["dm_opens"], Json::array({"U111"}));
  auto at = prompt.find("/approve ");
  ASSERT_NE(at, std::string::npos) << prompt;
  std::string short_id = prompt.substr(at + 9, 8);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  ASSERT_TRUE(wait_connected(*c2, "slack"));
  slack.event(dm("U111", "/approve " + short_id + " allow-once", "1700000009.000200"));
  // "Approved (…)", then the command runs (its run is gone) and its result follows.
  posts = slack.wait_posts([](const Json& p) { return p.size() >= 5; });
  ASSERT_EQ(posts.size(), 5u) << posts.dump();
  EXPECT_EQ(posts[3]["channel"], "D111");
  EXPECT_EQ(posts[3]["text"].get<std::string>().rfind("Approved (" + short_id, 0), 0u)
      << posts[3].dump();
  EXPECT_EQ(posts[4]["channel"], "D111");
  EXPECT_NE(posts[4]["text"].get<std::string>().find("after-restart\n[exit code 0]"),
            std::string::npos)
      << posts[4].dump();
  auto pending = c2->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE((*pending).empty()) << pending->dump();  // decided from the DM
}

TEST(ChannelsSlack, ADroppedSocketOrADisconnectEnvelopeReconnectsAndNothingIsDoubled) {
  FakeLlm llm;
  llm.push(answer("First answer."));
  llm.push(answer("Second answer."));
  Slack slack;
  START_SLACK_GATEWAY(gw, c, llm, slack, "");
  ASSERT_EQ(slack.state()["opens"], 1);

  // 1. The TCP connection dies without a closing handshake.
  slack.control("/control/drop", Json{{"abort", true}});
  auto recovered = [&](int opens, int attempts) {
    return eventually(
        [&] {
          Json s = slack.state();
          Json acc = account_status(*c);
          return s["opens"].get<int>() >= opens && s["connections"] == 1 &&
                 acc["connected"] == true && acc["healthState"] == "healthy" &&
                 acc["reconnectAttempts"].get<int>() >= attempts;
        },
        10000);
  };
  ASSERT_TRUE(recovered(2, 1)) << slack.state().dump() << account_status(*c).dump();
  EXPECT_EQ(slack.state()["opens"], 2);  // one fresh apps.connections.open, not a storm
  slack.event(dm("U111", "still there?", "1700000008.000100"));
  Json posts = slack.wait_posts([](const Json& p) { return !p.empty(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  posts = slack.posts();
  ASSERT_EQ(posts.size(), 1u) << posts.dump();
  EXPECT_EQ(posts[0]["text"], "First answer.");
  EXPECT_EQ(llm.requests().size(), 1u);

  // 2. Slack asks for a reconnect (connections are refreshed every few hours).
  slack.control("/control/inject", Json{{"frame",
                                         {{"type", "disconnect"},
                                          {"reason", "refresh_requested"},
                                          {"debug_info", {{"host", "fake-slack"}}}}}});
  ASSERT_TRUE(recovered(3, 2)) << slack.state().dump() << account_status(*c).dump();
  EXPECT_EQ(slack.state()["opens"], 3);
  Json acc = account_status(*c);
  EXPECT_NE(acc["lastError"].dump().find("refresh_requested"), std::string::npos) << acc.dump();
  slack.event(dm("U111", "and now?", "1700000008.000200"));
  posts = slack.wait_posts([](const Json& p) { return p.size() >= 2; });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  posts = slack.posts();
  ASSERT_EQ(posts.size(), 2u) << posts.dump();
  EXPECT_EQ(posts[1]["text"], "Second answer.");
  EXPECT_EQ(posts[1]["channel"], "D111");
  EXPECT_EQ(llm.requests().size(), 2u);
  auto tail = c->call("logs.tail", Json{{"limit", 500}});
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->dump().find("channel.disconnected"), std::string::npos);
}

}  // namespace
}  // namespace sctest
