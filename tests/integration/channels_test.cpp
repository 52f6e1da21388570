// Channels end to end: the real gateway, a fake Telegram Bot API (tests/fakes/
// fake_telegram.py, the real wire format) and the fake LLM. A Telegram user's message
// reaches the agent and the reply arrives on Telegram; unknown senders, pairing codes,
// group mention gating, long replies, a stalled long poll, approvals from the chat, and
// no update lost or handled twice across a restart.
#include <filesystem>
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;

std::string telegram_config(const PyFake& tg, const std::string& extra = {}) {
  return telegram_section(tg,
                          "    health_monitor: {backoff_base_ms: 50, backoff_max_ms: 200, "
                          "check_interval_ms: 100}\n" +
                              extra);
}

Json message(long long from, const std::string& text, Json extra = Json::object()) {
  Json j{{"from_id", from}, {"text", text}};
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

TEST(ChannelsTelegram, DmReachesTheAgentReplyArrivesUnknownSenderDeniedAndRestartLosesNothing) {
  FakeLlm llm;
  llm.push(answer("Hello from the agent."));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  tg->post("/control/message", message(222, "let me in"));  // not in allow_from
  tg->post("/control/message", message(111, "hi bot"));
  Json sent = wait_sent(*tg, [](const Json& s) { return !s.empty(); });
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_EQ(sent[0]["text"], "Hello from the agent.");
  ASSERT_EQ(llm.requests().size(), 1u);  // the unknown sender never reached the model
  EXPECT_NE(llm.requests()[0].body.dump().find("hi bot"), std::string::npos);
  // Typing was shown while the agent worked.
  Json state = tg->get("/control/state");
  EXPECT_FALSE(state["actions"].empty());
  // The conversation is a session with the spec's key and the transcript holds both.
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:main:telegram:direct:111"}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  ASSERT_EQ((*hist)["messages"].size(), 2u);
  // The unknown sender is in the log as a structured record.
  auto tail = c->call("logs.tail", Json{{"limit", 200}});
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->dump().find("channel.inbound_denied"), std::string::npos);

  // Restart on the same state dir: the saved offset means nothing is handled twice.
  std::string state_dir = gw->state_dir();
  int calls_before = tg->get("/control/state")["getUpdates"];
  gw->stop();
  StartOptions again = with_config(config_for(llm, telegram_config(*tg)));
  again.state_dir = state_dir;
  START_GATEWAY(gw2, again);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  ASSERT_TRUE(wait_connected(*c2, "telegram"));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (tg->get("/control/state")["getUpdates"].get<int>() < calls_before + 1 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
  EXPECT_EQ(llm.requests().size(), 1u);
  Json offsets = tg->get("/control/state")["offsets"];
  ASSERT_FALSE(offsets.empty());
  EXPECT_GT(offsets.back().get<long long>(), 1001);  // both updates confirmed
}

TEST(ChannelsTelegram, PairingCodeFlowThenTheSenderIsAnswered) {
  FakeLlm llm;
  llm.push(answer("Nice to meet you."));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg, "    dm_policy: pairing\n"))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", message(333, "hello?"));
  Json sent = wait_sent(*tg, [](const Json& s) { return !s.empty(); });
  ASSERT_EQ(sent.size(), 1u);
  std::string text = sent[0]["text"];
  auto list = c->call("channels.pairing.list", Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["requests"].size(), 1u);
  std::string code = (*list)["requests"][0]["code"];
  EXPECT_EQ((*list)["requests"][0]["senderId"], "333");
  EXPECT_NE(text.find(code), std::string::npos) << text;
  // A second message while pending: no second code, no model call.
  tg->post("/control/message", message(333, "hello??"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
  EXPECT_TRUE(llm.requests().empty());
  // A wrong code is refused; the right one approves.
  auto bad =
      c->call("channels.pairing.approve", Json{{"channel", "telegram"}, {"code", "ZZZZZZZZ"}});
  EXPECT_FALSE(bad.ok());
  auto ok = c->call("channels.pairing.approve", Json{{"channel", "telegram"}, {"code", code}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)["senderId"], "333");
  wait_sent(*tg, [](const Json& s) { return s.size() >= 2; });
  tg->post("/control/message", message(333, "now?"));
  sent = wait_sent(*tg, [](const Json& s) { return s.size() >= 3; });
  ASSERT_GE(sent.size(), 3u);
  EXPECT_EQ(sent[2]["text"], "Nice to meet you.");
  EXPECT_EQ(llm.requests().size(), 1u);
}

// OpenClaw's Control UI names a pairing request by requestId (the code), shows the
// accounts and limits, approves without notifying when asked, and can dismiss a request.
TEST(ChannelsTelegram, PairingRequestsByIdAsOpenClawsUiHandlesThem) {
  FakeLlm llm;
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg, "    dm_policy: pairing\n"))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", message(333, "hello?"));
  tg->post("/control/message", message(444, "me too"));
  wait_sent(*tg, [](const Json& s) { return s.size() >= 2; });
  auto list = c->call("channels.pairing.list", Json{{"channel", "telegram"}});
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ((*list)["requests"].size(), 2u);
  EXPECT_EQ((*list)["limits"]["pendingPerAccount"], 20);
  EXPECT_EQ((*list)["limits"]["ttlMs"], 3600000);
  ASSERT_EQ((*list)["accounts"].size(), 1u);
  EXPECT_EQ((*list)["accounts"][0]["channelLabel"], "Telegram");
  std::string id333, id444;
  for (const Json& r : (*list)["requests"]) {
    EXPECT_EQ(r["requestId"], r["code"]);
    EXPECT_EQ(r["channelLabel"], "Telegram");
    EXPECT_EQ(r["accountId"], "default");
    EXPECT_TRUE(r["expiresAt"].get<std::string>().ends_with("Z")) << r.dump();
    (r["senderId"] == "333" ? id333 : id444) = r["requestId"];
  }
  ASSERT_FALSE(id333.empty());
  ASSERT_FALSE(id444.empty());

  // Approved by requestId, without telling the sender: nothing more is sent.
  auto ok = c->call("channels.pairing.approve", Json{{"channel", "telegram"},
                                                     {"accountId", "default"},
                                                     {"requestId", id333},
                                                     {"notify", false}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)["requestId"], id333);
  EXPECT_EQ((*ok)["notification"], "not-requested");
  // Dismissed: the sender is not approved and the request is gone.
  auto gone =
      c->call("channels.pairing.dismiss",
              Json{{"channel", "telegram"}, {"accountId", "default"}, {"requestId", id444}});
  ASSERT_TRUE(gone.ok()) << gone.error().message;
  EXPECT_EQ((*gone)["senderId"], "444");
  EXPECT_FALSE(
      c->call("channels.pairing.dismiss", Json{{"channel", "telegram"}, {"requestId", id444}}).ok())
      << "a request is dismissed once";
  EXPECT_FALSE(c->call("channels.pairing.approve", Json{{"channel", "telegram"}}).ok())
      << "no requestId or code";
  list = c->call("channels.pairing.list", Json::object());
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE((*list)["requests"].empty()) << list->dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(tg->get("/control/sent").size(), 2u) << "notify:false sends no approval notice";

  // 333 is now answered; 444 gets a fresh code, not the model.
  llm.push(answer("Welcome."));
  tg->post("/control/message", message(333, "now?"));
  Json sent = wait_sent(*tg, [](const Json& s) { return s.size() >= 3; });
  ASSERT_GE(sent.size(), 3u);
  EXPECT_EQ(sent[2]["text"], "Welcome.");
  tg->post("/control/message", message(444, "again"));
  sent = wait_sent(*tg, [](const Json& s) { return s.size() >= 4; });
  ASSERT_GE(sent.size(), 4u);
  EXPECT_EQ(sent[3]["chat_id"], "444");
  EXPECT_NE(sent[3]["text"].get<std::string>().find("pairing"), std::string::npos) << sent[3];
  EXPECT_EQ(llm.requests().size(), 1u);
}

TEST(ChannelsTelegram, GroupsAnswerOnlyWhenMentionedAndLongRepliesAreChunked) {
  FakeLlm llm;
  std::string para(1500, 'x');
  std::string longtext;
  for (int i = 0; i < 7; ++i) longtext += para + "\n\n";  // ~10.5 KB
  llm.push(answer(longtext));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg, "    groups: [-100500]\n"))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  Json group{{"chat_id", -100500}, {"chat_type", "supergroup"}};
  tg->post("/control/message", message(111, "just chatting", group));
  tg->post("/control/message", message(111, "hi", Json{{"chat_id", -999}, {"chat_type", "group"}}));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(llm.requests().empty());  // not mentioned / a group not listed
  tg->post("/control/message", message(111, "@claw_test_bot write a lot", group));
  // Every chunk: wait until all the text arrived (or time out and show what did).
  auto xs = [](const Json& s) {
    std::size_t n = 0;
    for (const Json& m : s) {
      const std::string& t = m["text"].get_ref<const std::string&>();
      n += std::count(t.begin(), t.end(), 'x');
    }
    return n;
  };
  Json sent = wait_sent(*tg, [&](const Json& s) { return xs(s) >= 7 * 1500; });
  ASSERT_GE(sent.size(), 3u) << sent.dump().substr(0, 300);
  std::string joined;
  for (const Json& m : sent) {
    EXPECT_EQ(m["chat_id"], "-100500");
    EXPECT_LE(m["text"].get<std::string>().size(), 4096u);
    joined += m["text"].get<std::string>();
  }
  EXPECT_EQ(std::count(joined.begin(), joined.end(), 'x'), 7 * 1500);
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_EQ(llm.requests()[0].body.dump().find("@claw_test_bot"), std::string::npos);
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:main:telegram:group:-100500"}});
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ((*hist)["messages"].size(), 2u);
}

TEST(ChannelsTelegram, AStalledLongPollIsStuckAndRecoveredWithNothingLostOrDoubled) {
  FakeLlm llm;
  llm.push(answer("Got it."));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  // The next getUpdates never answers (sendMessage keeps working).
  tg->post("/control/stall", Json{{"count", 1}});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (tg->get("/control/state")["stalled"].get<int>() > 0 &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto stalled_at = std::chrono::steady_clock::now();
  tg->post("/control/message", message(111, "are you there?"));
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  auto took = std::chrono::steady_clock::now() - stalled_at;
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["text"], "Got it.");
  // Detected and recovered within 2x the poll timeout (2 s), plus the model's turn.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), 4000 + 1500);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
  EXPECT_EQ(llm.requests().size(), 1u);
  // Operators were told as it happened: a channels.changed event and a health snapshot
  // (stateVersion.health bumped) with the account stuck, then healthy again.
  auto stuck_ev = wait_event_if(
      *c, "channels.changed", [](const Json& f) { return f["payload"]["healthState"] == "stuck"; },
      2000);
  ASSERT_TRUE(stuck_ev.has_value());
  EXPECT_NE((*stuck_ev)["payload"].value("lastError", "").find("no inbound activity"),
            std::string::npos)
      << stuck_ev->dump();
  auto health_ev = wait_event_if(
      *c, "health",
      [](const Json& f) {
        return f["payload"]["channels"]["telegram"]["accounts"]["default"]["healthState"] ==
               "stuck";
      },
      2000);
  EXPECT_TRUE(health_ev.has_value()) << "the health snapshot never showed the stuck account";
  std::int64_t stuck_version = health_ev ? (*health_ev)["stateVersion"].value("health", 0) : 0;
  auto healthy_ev = wait_event_if(
      *c, "health",
      [&](const Json& f) {
        return f["payload"]["channels"]["telegram"]["accounts"]["default"]["healthState"] ==
                   "healthy" &&
               f["stateVersion"].value("health", 0) > stuck_version;
      },
      5000);
  EXPECT_TRUE(healthy_ev.has_value()) << "no later snapshot with the account healthy again";
  auto st = c->call("channels.status", Json::object());
  ASSERT_TRUE(st.ok());
  Json acc = (*st)["channelAccounts"]["telegram"][0];
  EXPECT_GE(acc["reconnectAttempts"].get<int>(), 1);
  EXPECT_NE(acc["lastError"].get<std::string>().find("no inbound activity"), std::string::npos);
  EXPECT_EQ(acc["healthState"], "healthy");
  auto tail = c->call("logs.tail", Json{{"limit", 500}});
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->dump().find("channel.stuck"), std::string::npos);
  // /metrics counts it.
  HttpResponse h = http_request(gw->port(), "GET", "/metrics");
  EXPECT_NE(h.body.find("simpleclaw_channel_stuck_total 1"), std::string::npos);
}

TEST(ChannelsTelegram, ApprovalsFromTheChatByButtonAndByCommand) {
  FakeLlm llm;
  llm.push(exec_call("echo approved-run"));
  llm.push(answer_after("It printed approved-run.", "approved-run"));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", message(111, "run it"));
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(sent[0].contains("reply_markup")) << sent[0].dump();
  EXPECT_NE(sent[0]["text"].get<std::string>().find("echo approved-run"), std::string::npos);
  Json buttons = sent[0]["reply_markup"]["inline_keyboard"][0];
  ASSERT_GE(buttons.size(), 2u);
  std::string allow = buttons[0]["callback_data"];
  EXPECT_EQ(allow.substr(0, 4), "apr:");
  // A press from a sender who may not approve changes nothing.
  tg->post("/control/callback", Json{{"from_id", 222}, {"chat_id", 111}, {"data", allow}});
  sent = wait_sent(*tg, [](const Json& s) { return s.size() >= 2; });
  ASSERT_GE(sent.size(), 2u);
  EXPECT_NE(sent[1]["text"].get<std::string>().find("not allowed"), std::string::npos);
  auto pending = c->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_NE(pending->dump().find("echo approved-run"), std::string::npos);
  // The allowed user's press runs the command and the run finishes on Telegram.
  tg->post("/control/callback", Json{{"from_id", 111}, {"chat_id", 111}, {"data", allow}});
  sent = wait_sent(
      *tg,
      [](const Json& s) {
        for (const Json& m : s)
          if (m["text"] == "It printed approved-run.") return true;
        return false;
      },
      15000);
  bool approved_note = false, final_reply = false;
  for (const Json& m : sent) {
    approved_note |= m["text"].get<std::string>().find("Approved") != std::string::npos;
    final_reply |= m["text"] == "It printed approved-run.";
  }
  EXPECT_TRUE(approved_note) << sent.dump();
  EXPECT_TRUE(final_reply) << sent.dump();
  EXPECT_FALSE(tg->get("/control/state")["answered"].empty());  // the button press was answered

  // Second command, denied by text: /approve <id> deny.
  llm.push(exec_call("echo never-run"));
  llm.push(answer_after("Understood, not running it.", ""));
  std::size_t before = sent.size();
  tg->post("/control/message", message(111, "run another"));
  sent = wait_sent(
      *tg, [&](const Json& s) { return s.size() > before; }, 15000);
  ASSERT_GT(sent.size(), before);
  std::string prompt = sent[before]["text"];
  auto p = prompt.find("/approve ");
  ASSERT_NE(p, std::string::npos) << prompt;
  std::string short_id = prompt.substr(p + 9, 8);
  tg->post("/control/message", message(111, "/approve " + short_id + " deny"));
  sent = wait_sent(
      *tg,
      [](const Json& s) {
        for (const Json& m : s)
          if (m["text"] == "Understood, not running it.") return true;
        return false;
      },
      15000);
  bool denied = false;
  for (const Json& m : sent) denied |= m["text"].get<std::string>().rfind("Denied", 0) == 0;
  EXPECT_TRUE(denied) << sent.dump();
  // The model was told who denied it: the command never ran.
  auto last = llm.requests().back().body.dump();
  EXPECT_NE(last.find("exec denied by telegram:111"), std::string::npos) << last.substr(0, 2000);
}

// A pending approval survives a restart (SPEC §8); its prompt is offered again in the
// conversation it came from, known then only from the session key.
TEST(ChannelsTelegram, APendingApprovalIsOfferedAgainInTheChatAfterARestart) {
  FakeLlm llm;
  llm.push(exec_call("echo after-restart"));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, telegram_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", message(111, "run it later"));
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  ASSERT_EQ(sent.size(), 1u);
  ASSERT_TRUE(sent[0].contains("reply_markup"));
  std::string state_dir = gw->state_dir();
  gw->stop();
  StartOptions again = with_config(config_for(llm, telegram_config(*tg)));
  again.state_dir = state_dir;
  START_GATEWAY(gw2, again);
  // The run waiting for the approval was interrupted by the stop: its sender is told
  // (sent[1]); then the approval, still pending, is offered again (sent[2]).
  sent = wait_sent(
      *tg, [](const Json& s) { return s.size() >= 3; }, 15000);
  ASSERT_EQ(sent.size(), 3u) << sent.dump();
  EXPECT_NE(sent[1]["text"].get<std::string>().find("interrupted"), std::string::npos)
      << sent[1].dump();
  EXPECT_EQ(sent[2]["chat_id"], "111");
  EXPECT_NE(sent[2]["text"].get<std::string>().find("echo after-restart"), std::string::npos);
  ASSERT_TRUE(sent[2].contains("reply_markup"));
  std::string deny = sent[2]["reply_markup"]["inline_keyboard"][0].back()["callback_data"];
  EXPECT_EQ(deny.back(), 'd');
  tg->post("/control/callback", Json{{"from_id", 111}, {"chat_id", 111}, {"data", deny}});
  sent = wait_sent(*tg, [](const Json& s) { return s.size() >= 4; });
  ASSERT_EQ(sent.size(), 4u);
  EXPECT_EQ(sent[3]["text"].get<std::string>().rfind("Denied", 0), 0u) << sent[3].dump();
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  auto pending = c2->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE((*pending).empty()) << pending->dump();  // decided from the chat
}

TEST(ChannelsTelegram, BindingsPickTheAgentAndChannelsCanBeStoppedAndStarted) {
  FakeLlm llm;
  llm.push(answer("work agent here"));
  llm.push(answer("work agent again"));
  auto tg = start_fake_telegram();
  std::string cfg =
      config_for(llm, telegram_config(*tg) +
                          "agents:\n  list:\n    - id: main\n    - id: work\n"
                          "bindings:\n  - {channel: telegram, peer: 111, agent: work}\n");
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", message(111, "which agent?"));
  wait_sent(*tg, [](const Json& s) { return !s.empty(); });
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:work:telegram:direct:111"}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ((*hist)["messages"].size(), 2u);
  // channels.stop: the account stops polling and says so; channels.start brings it back.
  auto stopped = c->call("channels.stop", Json{{"channel", "telegram"}});
  ASSERT_TRUE(stopped.ok()) << stopped.error().message;
  auto ev = wait_event_if(
      *c, "channels.changed",
      [](const Json& f) { return f["payload"]["healthState"] == "stopped"; }, 5000);
  EXPECT_TRUE(ev.has_value());
  auto st = c->call("channels.status", Json::object());
  EXPECT_EQ((*st)["channelAccounts"]["telegram"][0]["running"], false);
  EXPECT_FALSE(c->call("channels.stop", Json{{"channel", "nope"}}).ok());
  ASSERT_TRUE(c->call("channels.start", Json{{"channel", "telegram"}}).ok());
  EXPECT_TRUE(wait_connected(*c, "telegram"));
  // channels.logout: stops the account and forgets what it holds (Telegram: the poll
  // offset; the token stays in config.yaml); channels.start connects it afresh.
  std::string offset_file = gw->state_dir() + "/channels/telegram/default/offset";
  ASSERT_TRUE(eventually([&] { return std::filesystem::exists(offset_file); }, 5000));
  auto out = c->call("channels.logout", Json{{"channel", "telegram"}});
  ASSERT_TRUE(out.ok()) << out.error().message;
  EXPECT_EQ((*out)["loggedOut"], true);
  EXPECT_EQ((*out)["accounts"], Json::array({"default"}));
  EXPECT_FALSE(std::filesystem::exists(offset_file));
  st = c->call("channels.status", Json::object());
  EXPECT_EQ((*st)["channelAccounts"]["telegram"][0]["running"], false);
  EXPECT_FALSE(c->call("channels.logout", Json{{"channel", "nope"}}).ok());
  ASSERT_TRUE(c->call("channels.start", Json{{"channel", "telegram"}}).ok());
  EXPECT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", message(111, "after logout"));
  wait_sent(*tg, [](const Json& s) { return s.size() >= 2; });
  EXPECT_EQ(tg->get("/control/sent").size(), 2u) << "answered once, after the fresh start";
}

}  // namespace
}  // namespace sctest

namespace sctest {
namespace {

// webchat: the page at / and the exact flow it runs, as a browser on the same origin.
TEST(Webchat, PageIsServedAndItsFlowWorksFromTheSameOrigin) {
  FakeLlm llm;
  llm.push(answer("hello browser"));
  START_GATEWAY(gw, with_config(config_for(llm)));
  HttpResponse page = http_request(gw->port(), "GET", "/");
  EXPECT_EQ(page.status, 200);
  EXPECT_NE(page.body.find("<title>simpleclaw</title>"), std::string::npos);
  EXPECT_NE(page.body.find("/assets/app.js?v="), std::string::npos);
  // The Control UI's script speaks the protocol: challenge -> connect -> chat.history / chat.send.
  HttpResponse js = http_request(gw->port(), "GET", "/assets/app.js");
  EXPECT_EQ(js.status, 200);
  for (const char* needle : {"connect.challenge", "chat.history", "chat.send", "operator.write"})
    EXPECT_NE(js.body.find(needle), std::string::npos) << needle;

  ClientOptions o = gw->options();
  o.origin = "http://127.0.0.1:" + std::to_string(gw->port());
  o.client_id = "simpleclaw-webchat";
  o.client_mode = "webchat";
  o.scopes = {"operator.read", "operator.write"};
  auto c = gw->connect(o);
  ASSERT_NE(c, nullptr);
  auto hist = c->call("chat.history", Json{{"sessionKey", "main"}, {"limit", 200}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ((*hist)["sessionKey"], "agent:main:main");
  send(*c, "main", "hi from the page", "web-1");
  auto events = chat_events(*c, "web-1");
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back()["state"], "final");
  EXPECT_EQ(events.back()["sessionKey"], "agent:main:main");
  EXPECT_EQ(events.back()["message"]["content"][0]["text"], "hello browser");
  // A page from another origin may not open the socket.
  o.origin = "http://evil.example";
  auto bad = WsClient::open(o);
  EXPECT_FALSE(bad.ok());
}

}  // namespace
}  // namespace sctest
