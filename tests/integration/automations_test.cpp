// Automations end to end, on a gateway whose wall clock the test moves: where a job's
// result goes (a Telegram chat through the fake Bot API, an IRC channel on a real ngircd,
// a webhook receiver that checks the Standard Webhooks signature itself), failure alerts,
// heartbeats (delivered only when they say something; `wake next-heartbeat` rides on the
// next one), DST days and zones (a 02:30 job on the spring-forward and fall-back days, a
// job in a zone other than the host's, the host's zone changed under a running gateway),
// and config changes that take effect without a restart.
#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "fakes/ngircd.h"
#include "fakes/py_fake.h"
#include "integration/channel_helpers.h"
#include "integration/cron_helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;
using fakes::Script;

constexpr std::int64_t kMinute = 60'000;

// Epoch ms of a UTC wall time.
std::int64_t utc_ms(int y, int mo, int d, int h, int mi) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

// A job that runs an isolated turn every hour and announces its reply as `delivery`.
Json hourly_to(const std::string& message, Json delivery) {
  Json j = hourly("report", message);
  j["delivery"] = std::move(delivery);
  return j;
}

std::optional<Json> heartbeat_event(WsClient& c, int timeout_ms = 15000) {
  auto ev = wait_event(c, "heartbeat", timeout_ms);
  if (!ev) return std::nullopt;
  return (*ev)["payload"];
}

std::int64_t next_run(WsClient& c, const std::string& id) {
  Json j = call_ok(c, "cron.get", Json{{"id", id}});
  return j["state"].value("nextRunAtMs", std::int64_t{0});
}

// ---- delivery ----------------------------------------------------------------------------

TEST(CronDelivery, AnnounceReachesATelegramChatAndLastFindsWhereTheAgentTalked) {
  FakeLlm llm;
  llm.push(Script{.when = "hi bot", .chunks = {"hello there"}});
  llm.push(Script{.when = "weather report", .chunks = {"Sunny, 21 degrees."}});
  llm.push(Script{.when = "stock report", .chunks = {"Markets are up."}});
  TestClock clock;
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, cron_gateway(llm, clock, telegram_section(*tg)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  // To a named chat.
  Json weather =
      call_ok(*c, "cron.add",
              hourly_to("weather report",
                        Json{{"mode", "announce"}, {"channel", "telegram"}, {"to", "111"}}));
  // To wherever the agent last talked: nowhere yet, then the Telegram DM below.
  Json stocks = call_ok(*c, "cron.add",
                        hourly_to("stock report", Json{{"mode", "announce"}, {"channel", "last"}}));
  tg->post("/control/message", Json{{"from_id", 111}, {"text", "hi bot"}});
  ASSERT_EQ(telegram_sent(*tg, 1)[0]["text"], "hello there");

  clock.advance(kHour + 1000);
  auto w = finished(*c, weather["id"]);
  auto s = finished(*c, stocks["id"]);
  ASSERT_TRUE(w && s);
  EXPECT_EQ((*w)["deliveryStatus"], "delivered") << w->dump();
  EXPECT_EQ((*s)["deliveryStatus"], "delivered") << s->dump();
  Json sent = telegram_sent(*tg, 3);
  ASSERT_EQ(sent.size(), 3u) << sent.dump();
  std::set<std::string> texts;
  for (std::size_t i = 1; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i]["chat_id"], "111");
    texts.insert(sent[i]["text"].get<std::string>());
  }
  EXPECT_EQ(texts, (std::set<std::string>{"Sunny, 21 degrees.", "Markets are up."}));
  // The run record says so too.
  Json runs = runs_of(*c, weather["id"]);
  ASSERT_EQ(runs["entries"].size(), 1u);
  EXPECT_EQ(runs["entries"][0]["deliveryStatus"], "delivered");
}

TEST(CronDelivery, AnnounceReachesAnIrcChannel) {
  if (!::fakes::Ngircd::installed()) GTEST_SKIP() << "ngircd is not installed";
  ::fakes::Ngircd server;
  ASSERT_TRUE(server.start()) << server.error();
  ::fakes::IrcClient alice;
  ASSERT_TRUE(alice.register_as(server.port(), "alice"));
  ASSERT_TRUE(alice.join("#ops"));
  FakeLlm llm;
  llm.push(Script{.when = "nightly backup", .chunks = {"Backup finished: 3 files."}});
  TestClock clock;
  const std::string irc =
      "channels:\n  irc:\n    server: 127.0.0.1\n    port: " + std::to_string(server.port()) +
      "\n    tls: false\n    nick: scbot\n    channels: [\"#ops\"]\n"
      "    send_interval_ms: 50\n";
  START_GATEWAY(gw, cron_gateway(llm, clock, irc));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  Json job = call_ok(
      *c, "cron.add",
      hourly_to("nightly backup", Json{{"mode", "announce"}, {"channel", "irc"}, {"to", "#ops"}}));
  clock.advance(kHour + 1000);
  auto done = finished(*c, job["id"]);
  ASSERT_TRUE(done);
  EXPECT_EQ((*done)["deliveryStatus"], "delivered") << done->dump();
  ASSERT_TRUE(alice.wait_for([&] { return !alice.from("scbot", "#ops").empty(); }, 10000));
  EXPECT_EQ(alice.from("scbot", "#ops")[0].text, "Backup finished: 3 files.");
}

TEST(CronDelivery, WebhooksAreSignedAndAReceiverWithAnotherSecretRefusesThem) {
  const std::string secret = "whsec_c2ltcGxlY2xhdy13ZWJob29rLXRlc3Qta2V5IQ==";
  PyFake receiver(SIMPLECLAW_SOURCE_DIR "/tests/fakes/webhook_receiver.py", {secret});
  ASSERT_TRUE(receiver.ok());
  PyFake stranger(SIMPLECLAW_SOURCE_DIR "/tests/fakes/webhook_receiver.py",
                  {"whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA=="});
  ASSERT_TRUE(stranger.ok());
  FakeLlm llm;
  llm.push(Script{.when = "summarise", .chunks = {"All quiet."}, .times = 2});
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock, "cron: {webhook_secret: \"" + secret + "\"}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json good = call_ok(
      *c, "cron.add",
      hourly_to("summarise", Json{{"mode", "webhook"}, {"to", receiver.url() + "/hooks/cron"}}));
  Json bad = call_ok(
      *c, "cron.add",
      hourly_to("summarise", Json{{"mode", "webhook"}, {"to", stranger.url() + "/hooks/cron"}}));
  // Run now rather than move the clock: the receiver checks the signature's timestamp
  // against its own clock, as a real one does.
  call_ok(*c, "cron.run", Json{{"id", good["id"]}, {"mode", "force"}});
  call_ok(*c, "cron.run", Json{{"id", bad["id"]}, {"mode", "force"}});
  auto g = finished(*c, good["id"]);
  auto b = finished(*c, bad["id"]);
  ASSERT_TRUE(g && b);
  EXPECT_EQ((*g)["deliveryStatus"], "delivered") << g->dump();
  EXPECT_EQ((*b)["deliveryStatus"], "not-delivered") << b->dump();
  EXPECT_NE(b->value("deliveryError", "").find("401"), std::string::npos) << b->dump();

  Json got = receiver.get("/control/received");
  ASSERT_EQ(got.size(), 1u) << got.dump();
  EXPECT_EQ(got[0]["verified"], true) << got[0]["reason"];
  EXPECT_EQ(got[0]["body"]["type"], "cron.finished");
  EXPECT_EQ(got[0]["body"]["jobId"], good["id"]);
  EXPECT_EQ(got[0]["body"]["text"], "All quiet.");
  Json refused = stranger.get("/control/received");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0]["verified"], false);
  EXPECT_EQ(refused[0]["reason"], "no signature matches");
}

TEST(CronDelivery, RepeatedFailuresRaiseOneAlertOnTheJobsChannel) {
  FakeLlm llm;
  llm.push(Script{.status = 400, .error_message = "model refused", .times = -1});
  TestClock clock;
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, cron_gateway(llm, clock, telegram_section(*tg)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));
  Json spec =
      hourly_to("flaky task", Json{{"mode", "announce"}, {"channel", "telegram"}, {"to", "111"}});
  spec["failureAlert"] = Json{{"after", 2}, {"cooldownMs", 3 * kHour}};
  Json job = call_ok(*c, "cron.add", spec);
  // First failure: no alert yet. Backoff moves the second run past the next hour, so the
  // clock moves an hour each time.
  clock.advance(kHour + 1000);
  auto first = finished(*c, job["id"]);
  ASSERT_TRUE(first);
  EXPECT_EQ((*first)["status"], "error");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(tg->get("/control/sent").empty());
  clock.advance(kHour + 1000);
  ASSERT_TRUE(finished(*c, job["id"]));
  Json sent = telegram_sent(*tg, 1);
  ASSERT_EQ(sent.size(), 1u) << sent.dump();
  EXPECT_EQ(sent[0]["chat_id"], "111");
  const std::string alert = sent[0]["text"];
  EXPECT_NE(alert.find("failed 2 times in a row"), std::string::npos) << alert;
  EXPECT_NE(alert.find("model refused"), std::string::npos) << alert;
  // The third failure (an hour later) is inside the alert's 3-hour cooldown: no second
  // message.
  clock.advance(kHour + 1000);
  ASSERT_TRUE(finished(*c, job["id"]));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(tg->get("/control/sent").size(), 1u);
  Json st = call_ok(*c, "cron.status", Json::object());
  EXPECT_EQ(st["failingJobs"], 1);
  ASSERT_EQ(st["failing"].size(), 1u);
  EXPECT_EQ(st["failing"][0]["id"], job["id"]);
  EXPECT_EQ(st["failing"][0]["consecutiveErrors"], 3);
}

// ---- heartbeats ----------------------------------------------------------------------------

TEST(Heartbeat, AReplyWorthReadingIsDeliveredAndTheAckTokenIsNot) {
  FakeLlm llm;
  llm.push(Script{.when = "HEARTBEAT.md", .chunks = {"**HEARTBEAT_OK**"}});
  llm.push(
      Script{.when = "HEARTBEAT.md", .chunks = {"Reminder: the standup starts in 10 minutes."}});
  TestClock clock;
  auto tg = start_fake_telegram();
  START_GATEWAY(gw, cron_gateway(llm, clock,
                                 telegram_section(*tg) +
                                     "agents:\n  list:\n    - id: main\n      heartbeat: {every: "
                                     "1m, target: telegram, to: \"111\"}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "telegram"));

  // The health snapshot describes it, as OpenClaw's clients read it.
  Json health = call_ok(*c, "health", Json::object());
  EXPECT_EQ(health["heartbeatSeconds"], 60);
  const Json& hb = health["agents"][0]["heartbeat"];
  EXPECT_EQ(hb["enabled"], true);
  EXPECT_EQ(hb["every"], "1m");
  EXPECT_EQ(hb["everyMs"], 60000);
  EXPECT_EQ(hb["target"], "telegram");
  EXPECT_NE(hb["prompt"].get<std::string>().find("HEARTBEAT_OK"), std::string::npos);
  EXPECT_TRUE(call_ok(*c, "last-heartbeat", Json::object()).is_null());

  // Not before its interval.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(asked(llm, "HEARTBEAT.md"), 0);

  clock.advance(kMinute + 1000);
  auto quiet = heartbeat_event(*c);
  ASSERT_TRUE(quiet);
  EXPECT_EQ((*quiet)["status"], "ok-token") << quiet->dump();
  EXPECT_EQ((*quiet)["agentId"], "main");
  EXPECT_EQ((*quiet)["silent"], true);
  EXPECT_EQ(asked(llm, "HEARTBEAT.md"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_TRUE(tg->get("/control/sent").empty()) << "an ack must not reach the chat";

  clock.advance(kMinute + 1000);
  auto loud = heartbeat_event(*c);
  ASSERT_TRUE(loud);
  EXPECT_EQ((*loud)["status"], "sent") << loud->dump();
  EXPECT_EQ((*loud)["indicatorType"], "alert");
  EXPECT_EQ((*loud)["channel"], "telegram");
  EXPECT_EQ((*loud)["to"], "111");
  EXPECT_EQ((*loud)["preview"], "Reminder: the standup starts in 10 minutes.");
  Json sent = telegram_sent(*tg, 1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0]["chat_id"], "111");
  EXPECT_EQ(sent[0]["text"], "Reminder: the standup starts in 10 minutes.");
  EXPECT_EQ(call_ok(*c, "last-heartbeat", Json::object())["status"], "sent");
  // The turns happened in the agent's main session.
  Json hist = call_ok(*c, "chat.history", Json{{"sessionKey", "agent:main:main"}});
  EXPECT_NE(hist.dump().find("standup"), std::string::npos);
  Json status = call_ok(*c, "status", Json::object());
  EXPECT_EQ(status["subsystems"]["cron"]["heartbeats"]["agents"], 1);
}

TEST(Heartbeat, WakeNextHeartbeatWaitsForTheBeatAndIsListedInIt) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock,
                                 "agents:\n  list:\n    - id: main\n      heartbeat: {every: "
                                 "1m, target: none}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json r = call_ok(*c, "wake", Json{{"mode", "next-heartbeat"}, {"text", "the build finished"}});
  EXPECT_EQ(r["queued"], true) << r.dump();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(llm.requests().empty()) << "next-heartbeat must wait for the heartbeat";

  clock.advance(kMinute + 1000);
  auto ev = heartbeat_event(*c);
  ASSERT_TRUE(ev);
  // The fake echoes the prompt: a reply worth reading, but the target is none.
  EXPECT_EQ((*ev)["status"], "skipped") << ev->dump();
  EXPECT_EQ((*ev)["reason"], "target-none");
  EXPECT_EQ((*ev)["indicatorType"], "ok");
  EXPECT_EQ(asked(llm, "System events since the last heartbeat:\n- the build finished"), 1);
  // Delivered once: the next beat does not repeat it.
  clock.advance(kMinute + 1000);
  ASSERT_TRUE(heartbeat_event(*c));
  EXPECT_EQ(asked(llm, "the build finished"), 1);
}

TEST(Heartbeat, SetHeartbeatsPausesThemAllUntilResumed) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock,
                                 "agents:\n  list:\n    - id: main\n      heartbeat: {every: "
                                 "1m, target: none}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto bad = c->call("set-heartbeats", Json{{"enabled", "no"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(call_ok(*c, "set-heartbeats", Json{{"enabled", false}}),
            (Json{{"ok", true}, {"enabled", false}}));
  EXPECT_TRUE(call_ok(*c, "cron.status", Json::object())["heartbeats"]["nextAtMs"].is_null());
  clock.advance(5 * kMinute);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(call_ok(*c, "last-heartbeat", Json::object()).is_null()) << "paused: no heartbeat";
  EXPECT_TRUE(llm.requests().empty());
  call_ok(*c, "set-heartbeats", Json{{"enabled", true}});
  clock.advance(kMinute + 1000);
  EXPECT_TRUE(heartbeat_event(*c)) << "resumed: a minute later it beats";
}

TEST(Automations, ConfigChangesApplyWithoutARestart) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock, "cron: {enabled: false}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json job = call_ok(*c, "cron.add", hourly("digest", "morning digest"));
  EXPECT_EQ(next_run(*c, job["id"]), 0) << "cron disabled: nothing is due";
  EXPECT_EQ(call_ok(*c, "health", Json::object())["agents"][0]["heartbeat"]["enabled"], false);

  Json cfg = call_ok(*c, "config.get", Json::object());
  Json patched = call_ok(
      *c, "config.patch",
      Json{{"raw", Json{{"cron", {{"enabled", true}}},
                        {"agents",
                         {{"list", Json::array({Json{
                                       {"id", "main"},
                                       {"heartbeat", {{"every", "2m"}, {"target", "none"}}}}})}}}}
                       .dump()},
           {"baseHash", cfg["hash"]}});
  ASSERT_FALSE(patched.is_null());
  EXPECT_EQ(patched["restart"], false);
  EXPECT_EQ(next_run(*c, job["id"]), job["createdAtMs"].get<std::int64_t>() + kHour);
  Json hb = call_ok(*c, "health", Json::object())["agents"][0]["heartbeat"];
  EXPECT_EQ(hb["enabled"], true);
  EXPECT_EQ(hb["everyMs"], 120000);
  clock.advance(2 * kMinute + 1000);
  EXPECT_TRUE(heartbeat_event(*c)) << "the heartbeat configured at run time beats";
}

// ---- DST and time zones ------------------------------------------------------------------

// A job at 02:30 every day in Europe/Berlin (its message "night job").
Json berlin_0230() {
  Json spec = hourly("night", "night job");
  spec["schedule"] = Json{{"kind", "cron"}, {"expr", "30 2 * * *"}, {"tz", "Europe/Berlin"}};
  return spec;
}

// Europe/Berlin, 2027-03-28: 02:00 CET becomes 03:00 CEST (01:00Z), so 02:30 never happens.
TEST(CronDst, OnTheSpringForwardDayA0230JobRunsOnceAtTheFirstValidTime) {
  FakeLlm llm;
  llm.push(Script{.when = "night job", .times = -1});
  TestClock clock;
  clock.set_to(utc_ms(2027, 3, 27, 12, 0));
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string id = call_ok(*c, "cron.add", berlin_0230())["id"];
  EXPECT_EQ(next_run(*c, id), utc_ms(2027, 3, 28, 1, 0)) << "03:00 CEST, the first valid time";

  clock.set_to(utc_ms(2027, 3, 28, 1, 0) + 2000);
  auto ran = finished(*c, id);
  ASSERT_TRUE(ran);
  EXPECT_EQ((*ran)["runAtMs"], utc_ms(2027, 3, 28, 1, 0)) << ran->dump();
  // The next is the next day's 02:30 CEST (00:30Z); nothing else that day.
  EXPECT_EQ(next_run(*c, id), utc_ms(2027, 3, 29, 0, 30));
  clock.set_to(utc_ms(2027, 3, 28, 23, 0));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(runs_of(*c, id)["entries"].size(), 1u);
  EXPECT_EQ(asked(llm, "night job"), 1);
}

// Europe/Berlin, 2027-10-31: 03:00 CEST becomes 02:00 CET (01:00Z), so 02:30 happens twice
// (00:30Z and 01:30Z): the job runs at the first only.
TEST(CronDst, OnTheFallBackDayA0230JobRunsOnceAtTheFirst0230) {
  FakeLlm llm;
  llm.push(Script{.when = "night job", .times = -1});
  TestClock clock;
  clock.set_to(utc_ms(2027, 10, 30, 12, 0));
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string id = call_ok(*c, "cron.add", berlin_0230())["id"];
  EXPECT_EQ(next_run(*c, id), utc_ms(2027, 10, 31, 0, 30)) << "02:30 CEST";

  clock.set_to(utc_ms(2027, 10, 31, 0, 30) + 2000);
  ASSERT_TRUE(finished(*c, id));
  EXPECT_EQ(next_run(*c, id), utc_ms(2027, 11, 1, 1, 30)) << "the next day's 02:30 CET";
  clock.set_to(utc_ms(2027, 10, 31, 1, 30) + 2000);  // the second 02:30
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(runs_of(*c, id)["entries"].size(), 1u);
  EXPECT_EQ(asked(llm, "night job"), 1);
}

TEST(CronZones, AJobInAnotherZoneThanTheHostsFiresAtItsOwnLocalTime) {
  FakeLlm llm;
  llm.push(Script{.when = "tokyo standup", .chunks = {"done"}});
  TestClock clock;
  clock.set_to(utc_ms(2027, 1, 10, 16, 0));  // 11:00 in New York, 01:00 in Tokyo
  StartOptions o = cron_gateway(llm, clock);
  o.env["TZ"] = "America/New_York";  // the host's zone
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json tokyo = hourly("tokyo", "tokyo standup");
  tokyo["schedule"] = Json{{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", "Asia/Tokyo"}};
  Json host = hourly("host", "host job");
  host["schedule"] = Json{{"kind", "cron"}, {"expr", "0 9 * * *"}};
  Json t = call_ok(*c, "cron.add", tokyo);
  Json h = call_ok(*c, "cron.add", host);
  EXPECT_EQ(next_run(*c, t["id"]), utc_ms(2027, 1, 11, 0, 0)) << "09:00 JST";
  EXPECT_EQ(next_run(*c, h["id"]), utc_ms(2027, 1, 11, 14, 0)) << "09:00 EST";
  EXPECT_EQ(call_ok(*c, "cron.status", Json::object())["timezone"], "America/New_York");
  clock.set_to(utc_ms(2027, 1, 11, 0, 0) + 2000);
  auto ran = finished(*c, t["id"]);
  ASSERT_TRUE(ran);
  EXPECT_EQ((*ran)["status"], "ok");
  EXPECT_EQ(runs_of(*c, h["id"])["entries"].size(), 0u);
}

TEST(CronZones, AHostZoneChangeWhileRunningMovesJobsThatNameNoZone) {
  FakeLlm llm;
  TestClock clock;
  clock.set_to(utc_ms(2027, 1, 10, 12, 0));
  TempDir dir;
  const std::string link = dir.path() + "/localtime";
  std::filesystem::create_symlink("/usr/share/zoneinfo/Europe/Berlin", link);
  StartOptions o = cron_gateway(llm, clock);
  o.env["TZ"] = "";  // unset: the zone comes from the link, as on a real host
  o.env["SIMPLECLAW_LOCALTIME"] = link;
  START_GATEWAY(gw, o);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json spec = hourly("morning", "morning job");
  spec["schedule"] = Json{{"kind", "cron"}, {"expr", "0 9 * * *"}};
  Json job = call_ok(*c, "cron.add", spec);
  Json pinned = hourly("pinned", "pinned job");
  pinned["schedule"] = Json{{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", "Europe/Berlin"}};
  Json p = call_ok(*c, "cron.add", pinned);
  EXPECT_EQ(next_run(*c, job["id"]), utc_ms(2027, 1, 11, 8, 0)) << "09:00 CET";

  // timedatectl set-timezone America/New_York, as far as the gateway can tell.
  std::filesystem::remove(link);
  std::filesystem::create_symlink("/usr/share/zoneinfo/America/New_York", link);
  // 12:00Z is 07:00 in New York: today's 09:00 EST is still ahead.
  EXPECT_TRUE(
      eventually([&] { return next_run(*c, job["id"]) == utc_ms(2027, 1, 10, 14, 0); }, 5000))
      << "09:00 EST after the change; got " << iso_utc_ms(next_run(*c, job["id"]));
  EXPECT_EQ(call_ok(*c, "cron.status", Json::object())["timezone"], "America/New_York");
  EXPECT_EQ(next_run(*c, p["id"]), utc_ms(2027, 1, 11, 8, 0)) << "a job with its own tz stays";
}

}  // namespace
}  // namespace sctest
