// Zero-loss operations (issue 18): what a user sent or was promised survives crashes,
// restarts and platform outages. The real gateway, the fake Telegram Bot API (its
// /control/outage makes every Bot API call answer 502) and the fake LLM.
#include <csignal>
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;

std::string zl_telegram(const PyFake& tg) {
  return telegram_section(tg,
                          "    health_monitor: {backoff_base_ms: 50, backoff_max_ms: 200, "
                          "check_interval_ms: 100}\n");
}

Json zl_message(long long from, const std::string& text) {
  return Json{{"from_id", from}, {"text", text}};
}

// The telegram account's channels.status entry.
Json zl_account(WsClient& c) {
  auto st = c.call("channels.status", Json::object());
  if (!st.ok() || !(*st)["channelAccounts"].contains("telegram")) return Json();
  return (*st)["channelAccounts"]["telegram"][0];
}

// Restarts on the same state directory (the old process must be gone).
std::unique_ptr<GatewayProcess> zl_restart(const std::string& state_dir, const std::string& yaml) {
  StartOptions again = with_config(yaml);
  again.state_dir = state_dir;
  return GatewayProcess::start(again);
}

TEST(ZeroLoss, AReplyWaitingForADownPlatformSurvivesAKillAndIsDeliveredOnce) {
  FakeLlm llm;
  Script slow = answer("The answer survived the crash.");
  slow.head_delay_ms = 1500;  // time to take Telegram down while the model thinks
  llm.push(slow);
  auto tg = start_fake_telegram();
  const std::string yaml = config_for(llm, zl_telegram(*tg));
  START_GATEWAY(gw, with_config(yaml));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  tg->post("/control/message", zl_message(111, "are you there?"));
  ASSERT_TRUE(llm.wait_requests(1));
  tg->post("/control/outage", Json{{"on", true}});

  // The reply waits in the account's stored queue; operators see why.
  Json acc;
  eventually([&] {
    acc = zl_account(*c);
    return acc.is_object() && acc["outbound"]["queued"] == 1 &&
           acc["outbound"]["lastError"].is_string();
  });
  ASSERT_EQ(acc["outbound"]["queued"], 1) << acc.dump();
  EXPECT_TRUE(acc["outbound"]["stored"].get<bool>());
  EXPECT_NE(acc["outbound"]["lastError"].get<std::string>().find("Bad Gateway"), std::string::npos)
      << acc.dump();
  EXPECT_GT(acc["outbound"]["oldestQueuedAt"].get<long long>(), 0);

  // kill -9: nothing is flushed at exit, so only what was already durable counts.
  gw->signal(SIGKILL);
  ASSERT_EQ(gw->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  std::string state_dir = gw->state_dir();
  auto gw2 = zl_restart(state_dir, yaml);
  ASSERT_NE(gw2, nullptr);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  eventually([&] {
    acc = zl_account(*c2);
    return acc.is_object() && acc["outbound"]["queued"] == 1;
  });
  EXPECT_EQ(acc["outbound"]["queued"], 1) << "the stored reply was not loaded: " << acc.dump();
  EXPECT_TRUE(tg->get("/control/sent").empty());

  // Telegram is back: the reply goes out once, to the right chat, threaded under the
  // message it answers.
  tg->post("/control/outage", Json{{"on", false}});
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_EQ(sent[0]["text"], "The answer survived the crash.");
  EXPECT_TRUE(sent[0].contains("reply_parameters") || sent[0].contains("reply_to_message_id"))
      << sent[0].dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u) << "delivered twice";
  EXPECT_EQ(llm.request_count(), 1u) << "the model was asked again";
  eventually([&] { return zl_account(*c2)["outbound"]["queued"] == 0; });

  // And it stays delivered: another restart sends nothing again.
  c2.reset();
  gw2->stop();
  auto gw3 = zl_restart(state_dir, yaml);
  ASSERT_NE(gw3, nullptr);
  auto c3 = gw3->connect();
  ASSERT_NE(c3, nullptr);
  ASSERT_TRUE(wait_connected(*c3, "telegram"));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
}

TEST(ZeroLoss, ARunCutOffByACrashIsReportedToItsSenderAfterTheRestart) {
  FakeLlm llm;
  Script hang = answer("never finished");
  hang.hang_after_head = true;
  llm.push(hang);
  auto tg = start_fake_telegram();
  const std::string yaml = config_for(llm, zl_telegram(*tg));
  START_GATEWAY(gw, with_config(yaml));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/message", zl_message(111, "a long question"));
  ASSERT_TRUE(llm.wait_requests(1));
  gw->signal(SIGKILL);
  ASSERT_EQ(gw->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);

  auto gw2 = zl_restart(gw->state_dir(), yaml);
  ASSERT_NE(gw2, nullptr);
  // The sender is told, once, instead of waiting forever for an answer.
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 15000);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_NE(sent[0]["text"].get<std::string>().find("interrupted by a restart"), std::string::npos)
      << sent[0].dump();
  // The run is recorded as interrupted; the conversation goes on.
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  llm.push(answer("Here I am again."));
  tg->post("/control/message", zl_message(111, "hello again"));
  sent = wait_sent(
      *tg, [](const Json& s) { return s.size() >= 2; }, 15000);
  ASSERT_EQ(sent.size(), 2u) << sent.dump();
  EXPECT_EQ(sent[1]["text"], "Here I am again.");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(tg->get("/control/sent").size(), 2u);
}

TEST(ZeroLoss, RateLimitedRepliesWaitAsTelegramAsksAndAreNeverDropped) {
  FakeLlm llm;
  llm.push(answer("Patience pays."));
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, zl_telegram(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  // More 429s in a row than the attempts a refused message gets: each asks for 1 s.
  tg->post("/control/fail_send", Json{{"count", 6}, {"code", 429}});
  auto t0 = std::chrono::steady_clock::now();
  tg->post("/control/message", zl_message(111, "slowly"));
  Json sent = wait_sent(
      *tg, [](const Json& s) { return !s.empty(); }, 20000);
  ASSERT_EQ(sent.size(), 1u) << "the reply was dropped after repeated 429s";
  EXPECT_EQ(sent[0]["text"], "Patience pays.");
  // Each retry waited retry_after (1 s), not less.
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

}  // namespace
}  // namespace sctest
