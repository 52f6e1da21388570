// Platforms misbehaving on purpose (issue 18, zero-loss operations): the real gateway
// against the fake Telegram Bot API, the fake Discord gateway + REST, the fake Slack
// (Socket Mode + Web API) and a real ngircd, each put into one fault:
//
//   Telegram  getUpdates 409 Conflict (another poller on the token); 429 retry_after; a
//             reply's send lost while the account's connector is rebuilt
//   Discord   op 9 Invalid Session storms, on IDENTIFY (d=false) and on RESUME (d=true)
//   Slack     apps.connections.open refused (HTTP 503; 429 Retry-After); the socket
//             closed by the server right after its hello
//   IRC       the server gone (stopped, then started again on the same port)
//
// Each test asserts what a user notices: channels.status (and its channels.changed
// events) shows the account not healthy with a lastError that says what happened, and
// healthy again after; the connector backs off (the fake counts what it was asked during
// a fixed window: a handful, where a busy loop or a backoff that restarts from its base
// after every short-lived connection makes dozens); a platform's retry_after is waited out
// (measured on the fake's own clock); and a message sent during or just after the fault
// is answered exactly once after recovery.
//
// Timing: reconnect delays of 100-200 ms doubling to 1-2 s (kHealth). Bounds are counts
// with generous margins; a loaded machine only makes fewer attempts, never more, and the
// retry_after checks are lower bounds, which load cannot break.
#include <signal.h>

#include <functional>
#include <thread>

#include "channel_helpers.h"
#include "fakes/ngircd.h"
#include "fakes/py_fake.h"

namespace sctest {
namespace platform_faults {

using fakes::FakeLlm;
using ::fakes::IrcClient;
using ::fakes::Ngircd;
using ::fakes::PyFake;
using PfClock = std::chrono::steady_clock;

const std::string kHealth = "{backoff_base_ms: 200, backoff_max_ms: 2000, check_interval_ms: 100}";
// How long each fault lasts, and how many connection attempts it may cost. With kHealth
// the delays add up to 3 s after 5-6 attempts at the very least; without backoff growth
// (delays staying at 100-200 ms) the same 3 s take 15-30.
constexpr int kFaultMs = 3000;
constexpr int kMaxAttemptsInFault = 8;

Json pf_account(WsClient& c, const std::string& channel) {
  auto st = c.call("channels.status", Json::object());
  if (!st.ok() || !(*st)["channelAccounts"].contains(channel)) return Json();
  return (*st)["channelAccounts"][channel][0];
}

std::string pf_last_error(const Json& account) {
  return account.is_object() && account["lastError"].is_string()
             ? account["lastError"].get<std::string>()
             : std::string();
}

// The channels.changed event showing `channel`'s account not healthy, with a lastError
// that contains `why`: what an operator watching the Channels panel is told.
std::optional<Json> pf_fault_seen(WsClient& c, const std::string& channel, const std::string& why,
                                  int timeout_ms = 8000) {
  return wait_event_if(
      c, "channels.changed",
      [&](const Json& f) {
        const Json& p = f["payload"];
        return p.value("channel", "") == channel && p.value("healthState", "") != "healthy" &&
               p["lastError"].is_string() &&
               p["lastError"].get<std::string>().find(why) != std::string::npos;
      },
      timeout_ms);
}

bool pf_healthy(WsClient& c, const std::string& channel, int timeout_ms = 10000) {
  return eventually([&] { return pf_account(c, channel).value("healthState", "") == "healthy"; },
                    timeout_ms);
}

void pf_sleep_until(PfClock::time_point t) { std::this_thread::sleep_until(t); }

// ---- Telegram ---------------------------------------------------------------------------

// What `read` returns once it holds at least `n` replies, read again 500 ms later so a
// duplicate sent after the first has time to show ({} when `n` never came).
std::vector<std::string> pf_settled(const std::function<std::vector<std::string>()>& read,
                                    std::size_t n, int timeout_ms) {
  if (!eventually([&] { return read().size() >= n; }, timeout_ms)) return {};
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return read();
}

std::string pf_telegram_config(const PyFake& tg) {
  return telegram_section(tg, "    health_monitor: " + kHealth + "\n");
}

// Quick reconnects, and the connector rebuilt at the first failure.
std::string pf_telegram_rebuilt_config(const PyFake& tg) {
  return telegram_section(tg,
                          "    health_monitor: {backoff_base_ms: 100, backoff_max_ms: 200, "
                          "check_interval_ms: 100, restart_after_failures: 1}\n");
}

Json pf_tg_message(long long from, const std::string& text) {
  return {{"from_id", from}, {"text", text}};
}

// The getMe/getUpdates calls the fake answered with `status`.
int pf_tg_calls(PyFake& tg, int status) {
  int n = 0;
  Json st = tg.get("/control/state");  // kept: a range-for over a temporary's member dangles
  for (const Json& call : st["calls"])
    if (call.value("status", 0) == status) ++n;
  return n;
}

// Texts the bot sent to chat 111.
std::vector<std::string> pf_tg_texts(PyFake& tg) {
  std::vector<std::string> out;
  Json sent = tg.get("/control/sent");
  for (const Json& m : sent)
    if (m["chat_id"].dump().find("111") != std::string::npos) out.push_back(m.value("text", ""));
  return out;
}

// A second program polling the same bot token: Telegram ends every getUpdates with 409.
TEST(PlatformFaults, TelegramConflictWithAnotherPollerBacksOffAndLosesNoMessage) {
  FakeLlm llm;  // answers "echo: <text>"
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, pf_telegram_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  auto t0 = PfClock::now();
  tg->post("/control/conflict", Json{{"seconds", kFaultMs / 1000.0}});
  tg->post("/control/message", pf_tg_message(111, "sent during the conflict"));
  auto ev = pf_fault_seen(*c, "telegram", "Conflict: terminated by other getUpdates request");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "telegram").dump();
  // The error says what to look for, not only Telegram's words.
  EXPECT_NE((*ev)["payload"]["lastError"].get<std::string>().find(
                "another program is polling this bot token"),
            std::string::npos)
      << ev->dump();
  // Mid-fault the account is not shown as healthy (getMe alone does not make it so).
  pf_sleep_until(t0 + std::chrono::milliseconds(kFaultMs / 2));
  EXPECT_NE(pf_account(*c, "telegram").value("healthState", ""), "healthy");

  // Backed off: a handful of getUpdates over the conflict, not one every few ms.
  pf_sleep_until(t0 + std::chrono::milliseconds(kFaultMs));
  int refused = pf_tg_calls(*tg, 409);
  EXPECT_GE(refused, 2) << "it did not retry during the conflict";
  EXPECT_LE(refused, kMaxAttemptsInFault) << tg->get("/control/state")["calls"].dump();

  // Once the other poller is gone: the message waiting at Telegram is answered, once.
  auto texts = pf_settled([&] { return pf_tg_texts(*tg); }, 1, 15000);
  ASSERT_EQ(texts.size(), 1u) << pf_account(*c, "telegram").dump();
  EXPECT_EQ(texts[0], "echo: sent during the conflict");
  EXPECT_EQ(llm.request_count(), 1u);
  ASSERT_TRUE(pf_healthy(*c, "telegram"));
  Json acc = pf_account(*c, "telegram");
  EXPECT_GE(acc["reconnectAttempts"].get<int>(), 2);
  EXPECT_NE(pf_last_error(acc).find("409"), std::string::npos) << acc.dump();
}

// A reply on its way to Telegram when the account fails and its connector is rebuilt
// (restart_after_failures: 1): the request is lost with the old connector. The reply is
// sent again by the new one, not left waiting forever behind a send that will never
// answer.
TEST(PlatformFaults, AReplyInFlightWhenTheConnectorIsRebuiltIsSentByTheNewOne) {
  FakeLlm llm;  // answers "echo: <text>"
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, pf_telegram_rebuilt_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/lose_send", Json{{"count", 1}});
  tg->post("/control/message", pf_tg_message(111, "are you there"));
  ASSERT_TRUE(llm.wait_requests(1));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the reply is on its way
  EXPECT_TRUE(pf_tg_texts(*tg).empty());
  // Telegram fails for a moment: the account fails and its connector is rebuilt.
  tg->post("/control/outage", Json{{"on", true}});
  ASSERT_TRUE(pf_fault_seen(*c, "telegram", "Bad Gateway").has_value());
  tg->post("/control/outage", Json{{"on", false}});
  ASSERT_TRUE(pf_healthy(*c, "telegram"));
  auto texts = pf_settled([&] { return pf_tg_texts(*tg); }, 1, 15000);
  ASSERT_EQ(texts.size(), 1u) << pf_account(*c, "telegram").dump();
  EXPECT_EQ(texts[0], "echo: are you there");
}

// The link fails while a reply is on its way and Telegram has taken it but not answered
// yet: the account waits for that answer before it stops the connector, so the reply is
// sent once. (Stopping at once would cancel the request, and the reconnected account would
// send the reply again.)
TEST(PlatformFaults, AReplyOnItsWayWhenTheLinkFailsIsWaitedForAndSentOnce) {
  FakeLlm llm;  // answers "echo: <text>"
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, pf_telegram_rebuilt_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  tg->post("/control/slow_send", Json{{"count", 1}, {"ms", 1500}});
  tg->post("/control/message", pf_tg_message(111, "slow link"));
  ASSERT_TRUE(eventually([&] { return pf_tg_texts(*tg).size() == 1; }, 10000))
      << "the reply reached Telegram";
  // Telegram fails now, with the answer to that send still to come.
  tg->post("/control/outage", Json{{"on", true}});
  ASSERT_TRUE(pf_fault_seen(*c, "telegram", "Bad Gateway").has_value());
  tg->post("/control/outage", Json{{"on", false}});
  ASSERT_TRUE(pf_healthy(*c, "telegram"));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // a second copy would be out
  auto texts = pf_tg_texts(*tg);
  ASSERT_EQ(texts.size(), 1u) << Json(texts).dump();
  EXPECT_EQ(texts[0], "echo: slow link");
  EXPECT_EQ(pf_account(*c, "telegram")["outbound"].value("queued", -1), 0);
}

// Flood control on getUpdates: 429 with parameters.retry_after = 2, twice. Telegram is
// not called again (getMe included) before 2 s have passed, each time.
TEST(PlatformFaults, TelegramFloodControlRetryAfterIsWaitedOutOnGetUpdates) {
  FakeLlm llm;
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, with_config(config_for(llm, pf_telegram_config(*tg))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  tg->post("/control/flood", Json{{"count", 2}, {"retry_after", 2}});
  // Ends the long poll running now: the next getUpdates is the first refused.
  tg->post("/control/message", pf_tg_message(111, "sent before the flood"));
  auto ev = pf_fault_seen(*c, "telegram", "retry after 2");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "telegram").dump();
  EXPECT_NE((*ev)["payload"]["lastError"].get<std::string>().find("Too Many Requests"),
            std::string::npos)
      << ev->dump();
  tg->post("/control/message", pf_tg_message(111, "sent during the flood"));

  auto texts = pf_settled([&] { return pf_tg_texts(*tg); }, 2, 20000);
  ASSERT_EQ(texts.size(), 2u) << pf_account(*c, "telegram").dump();
  EXPECT_EQ(texts[0], "echo: sent before the flood");
  EXPECT_EQ(texts[1], "echo: sent during the flood");
  EXPECT_EQ(llm.request_count(), 2u);

  // On the fake's clock: after each 429, the next call came retry_after later or more.
  Json calls = tg->get("/control/state")["calls"];
  int floods = 0;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].value("status", 0) != 429) continue;
    ++floods;
    ASSERT_LT(i + 1, calls.size()) << "nothing after the 429: " << calls.dump();
    double gap = calls[i + 1]["t"].get<double>() - calls[i]["t"].get<double>();
    EXPECT_GE(gap, 1.9) << "called again " << gap << " s after retry_after=2: " << calls.dump();
  }
  EXPECT_EQ(floods, 2) << calls.dump();
  ASSERT_TRUE(pf_healthy(*c, "telegram"));
}

// ---- Discord ----------------------------------------------------------------------------

constexpr const char* kPfDiscordToken = "discord-faults-token.AbC";
constexpr const char* kPfAlice = "200000000000000001";
constexpr const char* kPfAliceDm = "300000000000000001";

std::unique_ptr<PyFake> pf_start_discord() {
  auto dc = std::make_unique<PyFake>(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_discord.py",
                                     std::vector<std::string>{"--token", kPfDiscordToken});
  EXPECT_TRUE(dc->ok() && dc->port("rest") > 0) << "fake Discord did not start";
  return dc;
}

std::string pf_discord_config(const PyFake& dc) {
  return "channels:\n  discord:\n    token: \"" + std::string(kPfDiscordToken) +
         "\"\n    api_base: http://127.0.0.1:" + std::to_string(dc.port("rest")) +
         "/api/v10\n    gateway_url: ws://127.0.0.1:" + std::to_string(dc.port("gateway")) +
         "\n    allow_from: [" + kPfAlice + "]\n    health_monitor: " + kHealth + "\n";
}

Json pf_dc_state(PyFake& dc) { return dc.request("GET", "/_control/state", "", dc.port("rest")); }
Json pf_dc_control(PyFake& dc, const std::string& what, const Json& body = Json::object()) {
  return dc.request("POST", "/_control/" + what, body.dump(), dc.port("rest"));
}

// Alice's DM to the bot, as MESSAGE_CREATE.
Json pf_dc_dm(const std::string& id, const std::string& text) {
  return {{"t", "MESSAGE_CREATE"},
          {"d",
           {{"id", id},
            {"type", 0},
            {"channel_id", kPfAliceDm},
            {"content", text},
            {"author", {{"id", kPfAlice}, {"username", "alice"}}},
            {"mentions", Json::array()}}}};
}

// What the bot posted in Alice's DM channel.
std::vector<std::string> pf_dc_posted(PyFake& dc) {
  std::vector<std::string> out;
  Json st = pf_dc_state(dc);
  for (const Json& p : st["posted"])
    if (p.value("channel_id", "") == kPfAliceDm) out.push_back(p["body"].value("content", ""));
  return out;
}

// Discord invalidates every IDENTIFY (op 9, d=false: identify again) for 3 s.
TEST(PlatformFaults, DiscordInvalidSessionStormOnIdentifyBacksOffThenAnswersOnce) {
  FakeLlm llm;
  auto dc = pf_start_discord();
  START_GATEWAY(gw, with_config(config_for(llm, pf_discord_config(*dc))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  ASSERT_EQ(pf_dc_state(*dc)["identifies"], 1);

  int before = pf_dc_state(*dc)["attempts"];
  auto t0 = PfClock::now();
  pf_dc_control(*dc, "invalid_session", Json{{"count", 100000}, {"resumable", false}});
  pf_dc_control(*dc, "op", Json{{"op", 9}, {"d", false}});  // the live session goes first
  auto ev = pf_fault_seen(*c, "discord", "invalidated the session (op 9); will identify again");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "discord").dump();

  pf_sleep_until(t0 + std::chrono::milliseconds(kFaultMs));
  Json st = pf_dc_state(*dc);
  int attempts = st["attempts"].get<int>() - before;
  EXPECT_GE(attempts, 2) << "it did not identify again during the storm";
  EXPECT_LE(attempts, kMaxAttemptsInFault) << st.dump();
  Json acc = pf_account(*c, "discord");
  EXPECT_EQ(acc["connected"], false) << acc.dump();
  EXPECT_NE(acc.value("healthState", ""), "healthy") << acc.dump();
  EXPECT_NE(pf_last_error(acc).find("op 9"), std::string::npos) << acc.dump();

  pf_dc_control(*dc, "invalid_session", Json{{"count", 0}});
  ASSERT_TRUE(wait_connected(*c, "discord", 15000)) << pf_account(*c, "discord").dump();
  EXPECT_EQ(pf_dc_state(*dc)["identifies"], 2);
  // A fresh session replays nothing (as on Discord): what Alice sends now is answered, once.
  Json r = pf_dc_control(*dc, "inject", pf_dc_dm("610000000000000001", "sent after the storm"));
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  auto posted = pf_settled([&] { return pf_dc_posted(*dc); }, 1, 10000);
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0], "echo: sent after the storm");
  EXPECT_EQ(llm.request_count(), 1u);
  ASSERT_TRUE(pf_healthy(*c, "discord"));
}

// The link drops and Discord answers the next RESUMEs with op 9 d=true (the session may
// still be resumed): the bot keeps its session, resumes once Discord lets it, and the
// message dispatched meanwhile is replayed and answered exactly once.
TEST(PlatformFaults, DiscordInvalidSessionStormOnResumeKeepsTheSessionAndReplaysTheMessage) {
  FakeLlm llm;
  auto dc = pf_start_discord();
  START_GATEWAY(gw, with_config(config_for(llm, pf_discord_config(*dc))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));

  pf_dc_control(*dc, "invalid_session", Json{{"count", 2}, {"resumable", true}});
  pf_dc_control(*dc, "drop");
  Json r = pf_dc_control(*dc, "inject", pf_dc_dm("610000000000000002", "sent while invalid"));
  ASSERT_TRUE(r.value("ok", false)) << r.dump();
  auto ev = pf_fault_seen(*c, "discord", "invalidated the session (op 9); will resume");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "discord").dump();

  auto posted = pf_settled([&] { return pf_dc_posted(*dc); }, 1, 15000);
  ASSERT_EQ(posted.size(), 1u) << pf_dc_state(*dc).dump() << pf_account(*c, "discord").dump();
  EXPECT_EQ(posted[0], "echo: sent while invalid");
  EXPECT_EQ(llm.request_count(), 1u);
  Json st = pf_dc_state(*dc);
  EXPECT_EQ(st["invalidated"], 2) << st.dump();
  EXPECT_EQ(st["identifies"], 1) << "the session was given up: " << st.dump();
  EXPECT_EQ(st["resumes"], 1) << st.dump();
  EXPECT_EQ(st["last_connect"], "resume");
  ASSERT_TRUE(pf_healthy(*c, "discord"));
  EXPECT_GE(pf_account(*c, "discord")["reconnectAttempts"].get<int>(), 3);
}

// ---- Slack ------------------------------------------------------------------------------

constexpr const char* kPfAppToken = "xapp-1-A0001-faults";
constexpr const char* kPfBotToken = "xoxb-0001-faults";

std::unique_ptr<PyFake> pf_start_slack() {
  auto s = std::make_unique<PyFake>(
      SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_slack.py",
      std::vector<std::string>{"--app-token", kPfAppToken, "--bot-token", kPfBotToken});
  EXPECT_TRUE(s->ok() && s->port("http") > 0) << "fake Slack did not start";
  return s;
}

std::string pf_slack_config(const PyFake& s) {
  return "channels:\n  slack:\n    app_token: " + std::string(kPfAppToken) +
         "\n    bot_token: " + kPfBotToken +
         "\n    api_base: http://127.0.0.1:" + std::to_string(s.port("http")) +
         "/api\n    allow_from: [U111]\n    health_monitor: " + kHealth + "\n";
}

Json pf_sl_state(PyFake& s) { return s.request("GET", "/control/state", "", s.port("http")); }
Json pf_sl_control(PyFake& s, const std::string& what, const Json& body = Json::object()) {
  return s.request("POST", "/control/" + what, body.dump(), s.port("http"));
}

// A DM from U111, sent as an events_api envelope; kept by the fake until acknowledged
// (delivered again on the next connection when no socket takes it now).
void pf_sl_dm(PyFake& s, const std::string& text, const std::string& ts) {
  Json ev{{"type", "message"}, {"channel", "D111"}, {"channel_type", "im"},
          {"user", "U111"},    {"text", text},      {"ts", ts}};
  Json r = pf_sl_control(s, "event", Json{{"event", ev}});
  ASSERT_TRUE(r.contains("envelope_id")) << r.dump();
}

std::vector<std::string> pf_sl_posted(PyFake& s) {
  std::vector<std::string> out;
  Json st = pf_sl_state(s);
  for (const Json& p : st["posts"]) out.push_back(p.value("text", ""));
  return out;
}

// Slack is down for Socket Mode: apps.connections.open answers HTTP 503 for 3 s.
TEST(PlatformFaults, SlackConnectionsOpenRefusedSaysSlackIsDownBacksOffAndLosesNoMessage) {
  FakeLlm llm;
  auto slack = pf_start_slack();
  START_GATEWAY(gw, with_config(config_for(llm, pf_slack_config(*slack))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "slack"));

  int before = pf_sl_state(*slack)["open_attempts"];
  auto t0 = PfClock::now();
  pf_sl_control(*slack, "refuse_open",
                Json{{"count", 100000}, {"status", 503}, {"error", "service_unavailable"}});
  pf_sl_control(*slack, "drop");
  pf_sl_dm(*slack, "sent while Slack refused", "1700000001.000100");
  auto ev = pf_fault_seen(*c, "slack", "apps.connections.open failed");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "slack").dump();
  std::string why = (*ev)["payload"]["lastError"];
  EXPECT_NE(why.find("service_unavailable"), std::string::npos) << why;
  EXPECT_NE(why.find("Slack is unavailable"), std::string::npos) << why;
  // Not the token's fault: the operator is not sent to check it.
  EXPECT_EQ(why.find("check app_token"), std::string::npos) << why;

  pf_sleep_until(t0 + std::chrono::milliseconds(kFaultMs));
  Json st = pf_sl_state(*slack);
  int attempts = st["open_attempts"].get<int>() - before;
  EXPECT_GE(attempts, 2) << "it did not retry while Slack refused";
  EXPECT_LE(attempts, kMaxAttemptsInFault) << st["open_at"].dump();
  EXPECT_NE(pf_account(*c, "slack").value("healthState", ""), "healthy");

  pf_sl_control(*slack, "refuse_open", Json{{"count", 0}});
  auto posted = pf_settled([&] { return pf_sl_posted(*slack); }, 1, 15000);
  ASSERT_EQ(posted.size(), 1u) << pf_account(*c, "slack").dump();
  EXPECT_EQ(posted[0], "echo: sent while Slack refused");
  EXPECT_EQ(llm.request_count(), 1u);
  EXPECT_TRUE(eventually([&] { return pf_sl_state(*slack)["unacked"].empty(); }, 5000))
      << "the event was never acknowledged";
  ASSERT_TRUE(pf_healthy(*c, "slack"));
}

// apps.connections.open rate limited (HTTP 429, Retry-After: 2), twice: the next open
// comes 2 s later or more, each time.
TEST(PlatformFaults, SlackConnectionsOpenRateLimitedWaitsOutRetryAfter) {
  FakeLlm llm;
  auto slack = pf_start_slack();
  START_GATEWAY(gw, with_config(config_for(llm, pf_slack_config(*slack))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "slack"));

  std::size_t before = pf_sl_state(*slack)["open_at"].size();
  pf_sl_control(*slack, "refuse_open",
                Json{{"count", 2}, {"status", 429}, {"error", "ratelimited"}, {"retry_after", 2}});
  pf_sl_control(*slack, "drop");
  auto ev = pf_fault_seen(*c, "slack", "ratelimited (retry after 2000 ms)");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "slack").dump();
  ASSERT_TRUE(
      eventually([&] { return pf_sl_state(*slack)["open_at"].size() >= before + 3; }, 20000));
  Json at = pf_sl_state(*slack)["open_at"];
  for (std::size_t i = before; i < before + 2; ++i) {
    double gap = at[i + 1].get<double>() - at[i].get<double>();
    EXPECT_GE(gap, 1.9) << "opened again " << gap << " s after Retry-After: 2: " << at.dump();
  }
  ASSERT_TRUE(pf_healthy(*c, "slack"));
  pf_sl_dm(*slack, "back?", "1700000002.000100");
  ASSERT_TRUE(eventually([&] { return !pf_sl_posted(*slack).empty(); }, 10000));
  EXPECT_EQ(pf_sl_posted(*slack)[0], "echo: back?");
}

// Every socket is closed by Slack right after its hello, for 3 s: each connection
// "works" for a moment, which must not reset the backoff to its base each time.
TEST(PlatformFaults, SlackSocketClosedRightAfterHelloBacksOffAndLosesNoMessage) {
  FakeLlm llm;
  auto slack = pf_start_slack();
  START_GATEWAY(gw, with_config(config_for(llm, pf_slack_config(*slack))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "slack"));

  int before = pf_sl_state(*slack)["open_attempts"];
  auto t0 = PfClock::now();
  pf_sl_control(*slack, "close_after_hello", Json{{"count", 100000}, {"code", 1011}});
  pf_sl_control(*slack, "drop");
  pf_sl_dm(*slack, "sent while the socket kept closing", "1700000003.000100");
  auto ev = pf_fault_seen(*c, "slack", "slack socket closed (1011");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "slack").dump();

  pf_sleep_until(t0 + std::chrono::milliseconds(kFaultMs));
  Json st = pf_sl_state(*slack);
  int attempts = st["open_attempts"].get<int>() - before;
  EXPECT_GE(attempts, 2) << "it did not reconnect";
  EXPECT_LE(attempts, kMaxAttemptsInFault) << st["open_at"].dump();

  pf_sl_control(*slack, "close_after_hello", Json{{"count", 0}});
  auto posted = pf_settled([&] { return pf_sl_posted(*slack); }, 1, 15000);
  ASSERT_EQ(posted.size(), 1u) << pf_account(*c, "slack").dump();
  EXPECT_EQ(posted[0], "echo: sent while the socket kept closing");
  EXPECT_EQ(llm.request_count(), 1u);
  EXPECT_TRUE(eventually([&] { return pf_sl_state(*slack)["unacked"].empty(); }, 5000));
  ASSERT_TRUE(pf_healthy(*c, "slack"));
  EXPECT_NE(pf_last_error(pf_account(*c, "slack")).find("1011"), std::string::npos);
}

// ---- IRC --------------------------------------------------------------------------------
// ChannelsIrc.ServerKilledMidConversationTheAccountReconnectsAndNothingIsLost covers a
// SIGKILLed server with a reply produced while it is down. This one stops it the polite
// way (SIGTERM: the server says goodbye), keeps it down for 3 s and checks what the
// other does not: the reconnect rate, the error shown, and a message once it is back.

std::string pf_irc_config(int port) {
  return "channels:\n  irc:\n    server: 127.0.0.1\n    port: " + std::to_string(port) +
         "\n    tls: false\n    nick: scbot\n    allow_from: [alice]\n"
         "    ping_interval_ms: 2000\n    send_interval_ms: 50\n    health_monitor: " +
         kHealth + "\n";
}

std::vector<std::string> pf_irc_texts(const IrcClient& u) {
  std::vector<std::string> out;
  for (const auto& p : u.from("scbot", "alice")) out.push_back(p.text);
  return out;
}

TEST(PlatformFaults, IrcServerGoneBacksOffShowsWhyAndAnswersOnceBack) {
  if (!Ngircd::installed()) GTEST_SKIP() << "ngircd is not installed";
  Ngircd server;
  ASSERT_TRUE(server.start()) << server.error();
  FakeLlm llm;
  auto alice = std::make_unique<IrcClient>();
  ASSERT_TRUE(alice->register_as(server.port(), "alice"));
  START_GATEWAY(gw, with_config(config_for(llm, pf_irc_config(server.port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  alice->privmsg("scbot", "before");
  ASSERT_TRUE(alice->wait_for([&] { return !pf_irc_texts(*alice).empty(); }, 10000));

  int before = pf_account(*c, "irc")["reconnectAttempts"];
  auto t0 = PfClock::now();
  server.kill(SIGTERM);
  auto ev = pf_fault_seen(*c, "irc", "127.0.0.1");
  ASSERT_TRUE(ev.has_value()) << pf_account(*c, "irc").dump();

  pf_sleep_until(t0 + std::chrono::milliseconds(kFaultMs));
  Json acc = pf_account(*c, "irc");
  int attempts = acc["reconnectAttempts"].get<int>() - before;
  EXPECT_GE(attempts, 2) << "it did not retry while the server was gone";
  EXPECT_LE(attempts, kMaxAttemptsInFault) << acc.dump();
  EXPECT_EQ(acc["connected"], false);
  EXPECT_NE(acc.value("healthState", ""), "healthy");
  // By now the attempts are refused: the error says where it could not connect.
  EXPECT_NE(pf_last_error(acc).find("cannot connect to 127.0.0.1:" + std::to_string(server.port())),
            std::string::npos)
      << acc.dump();

  ASSERT_TRUE(server.start()) << server.error();
  alice = std::make_unique<IrcClient>();
  ASSERT_TRUE(alice->register_as(server.port(), "alice"));
  ASSERT_TRUE(wait_connected(*c, "irc", 15000)) << pf_account(*c, "irc").dump();
  alice->privmsg("scbot", "after");
  ASSERT_TRUE(alice->wait_for([&] { return !pf_irc_texts(*alice).empty(); }, 10000));
  alice->wait_for([] { return false; }, 500);  // anything more would arrive meanwhile
  auto texts = pf_irc_texts(*alice);
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_EQ(texts[0], "echo: after");
  EXPECT_EQ(llm.request_count(), 2u);
  ASSERT_TRUE(pf_healthy(*c, "irc"));
}

}  // namespace platform_faults
}  // namespace sctest
