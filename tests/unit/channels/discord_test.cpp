// The discord channel against tests/fakes/fake_discord.py (REST + gateway, real wire
// format), driven through the SDK with a RecordingHost: identify/READY, inbound mapping
// (guild mention, DM, bots ignored), sends with buttons and reply, a DM addressed by
// user (POST /users/@me/channels), 429 handling, button presses and their ACK, zombie
// detection, RESUME after a drop, a bad token, garbage frames, op 9, and stop()
// silencing everything.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fakes/py_fake.h"
#include "net/http_client.h"
#include "plugins/builtin.h"
#include "unit/channels/recording_host.h"

namespace simpleclaw::channels {
Status register_discord(sdk::Registry& r);
namespace {

using testing::RecordingHost;
constexpr const char* kBotUser = "100000000000000001";  // the fake's bot user id

struct PyFake : ::fakes::PyFake {
  explicit PyFake(std::vector<std::string> args = {})
      : ::fakes::PyFake(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_discord.py", std::move(args)) {}
  int rest() const { return port("rest"); }
  int gateway() const { return port("gateway"); }
};

// One channel on a fresh loop against one fake.
struct Fixture {
  boost::asio::io_context io;
  PyFake fake;
  std::string dir;
  std::optional<RecordingHost> host;
  std::unique_ptr<sdk::Channel> ch;

  explicit Fixture(Json extra = Json::object(), std::vector<std::string> fake_args = {})
      : fake(std::move(fake_args)) {
    dir = (std::filesystem::temp_directory_path() /
           ("sc-discord-" + std::to_string(::getpid()) + "-" + std::to_string(++counter())))
              .string();
    Json s{{"token", "test-token"},
           {"api_base", "http://127.0.0.1:" + std::to_string(fake.rest()) + "/api/v10"}};
    for (auto& [k, v] : extra.items()) s[k] = v;
    host.emplace(io, "discord", s, dir);
    sdk::Registry r;
    EXPECT_TRUE(register_discord(r).ok());
    ch = r.channel("discord")->factory(*host);
  }
  ~Fixture() {
    ch.reset();  // before the loop and the fake
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  static int& counter() {
    static int n = 0;
    return n;
  }
  RecordingHost& h() { return *host; }

  // A control/REST call to the fake, run on the same loop (the channel keeps running).
  Json call(const std::string& method, const std::string& path, Json body = nullptr) {
    net::HttpRequest req;
    req.method = method;
    req.url = "http://127.0.0.1:" + std::to_string(fake.rest()) + path;
    if (!body.is_null()) req.body = body.dump();
    std::string out;
    bool done = false;
    net::HttpCallbacks cb;
    cb.on_body = [&](std::string_view s) { out.append(s); };
    cb.on_done = [&](const net::HttpError*) { done = true; };
    auto c = net::http_start(io, req, {}, cb);
    h().run_until([&] { return done; });
    return Json::parse(out, nullptr, false);
  }
  Json state() { return call("GET", "/_control/state"); }
  void inject(const std::string& t, Json d) {
    call("POST", "/_control/inject", {{"t", t}, {"d", std::move(d)}});
  }
  bool start_connected() {
    ch->start();
    return h().run_until([&] { return h().is_connected_; });
  }
};

Json gateway_message(const std::string& id, const std::string& channel, const std::string& content,
                     const std::string& author = "400", bool guild = true) {
  Json d{{"id", id},
         {"channel_id", channel},
         {"type", 0},
         {"content", content},
         {"author", {{"id", author}, {"username", "alice"}, {"global_name", "Alice A"}}},
         {"mentions", Json::array()}};
  if (guild) d["guild_id"] = "300";
  return d;
}

TEST(Discord, IdentifyReadyConnected) {
  Fixture f;
  ASSERT_GT(f.fake.rest(), 0);
  f.ch->start();
  EXPECT_EQ(f.h().connects_, 0) << "nothing inline in start()";
  ASSERT_TRUE(f.h().run_until([&] { return f.h().is_connected_; }));
  EXPECT_EQ(f.h().connected_detail_, "@fakebot");
  EXPECT_GE(f.h().window_.count(), 400) << "2 x the fake's 200 ms heartbeat";
  // Heartbeats flow and their ACKs prove the inbound path.
  int alive = f.h().alive_;
  ASSERT_TRUE(f.h().run_until([&] { return f.state()["heartbeats"].get<int>() >= 2; }));
  EXPECT_GT(f.h().alive_, alive);
  Json st = f.state();
  EXPECT_EQ(st["identifies"], 1);
  EXPECT_EQ(st["last_connect"], "identify");
  EXPECT_EQ(st["last_heartbeat_seq"], 1) << "heartbeats carry the last seq (READY's)";
  EXPECT_TRUE(f.h().errors_.empty());
  EXPECT_EQ(f.ch->max_text(), 2000u);
  EXPECT_TRUE(f.ch->supports_buttons());
}

TEST(Discord, GuildMessageWithMentionIsStrippedAndMarked) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  Json d = gateway_message("1001", "200", std::string("<@") + kBotUser + "> hello there");
  d["mentions"] = Json::array({{{"id", kBotUser}, {"username", "fakebot"}}});
  f.inject("MESSAGE_CREATE", d);
  f.inject("MESSAGE_CREATE", gateway_message("1002", "200", "just chatting"));
  f.inject("MESSAGE_CREATE",
           gateway_message("1003", "200", std::string("hey <@!") + kBotUser + ">"));
  ASSERT_TRUE(f.h().run_until([&] { return f.h().inbound_.size() == 3; }));
  const auto& m = f.h().inbound_[0];
  EXPECT_EQ(m.text, "hello there");
  EXPECT_TRUE(m.mentioned);
  EXPECT_EQ(m.message_id, "1001");
  EXPECT_EQ(m.sender_id, "400");
  EXPECT_EQ(m.sender_name, "Alice A");
  EXPECT_EQ(m.peer.chat_id, "200");
  EXPECT_TRUE(m.peer.group);
  EXPECT_FALSE(f.h().inbound_[1].mentioned);
  EXPECT_EQ(f.h().inbound_[1].text, "just chatting");
  EXPECT_TRUE(f.h().inbound_[2].mentioned) << "<@!id> (nickname mention) counts too";
  EXPECT_EQ(f.h().inbound_[2].text, "hey");
}

TEST(Discord, DirectMessageRepliesToTheDmChannel) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.inject("MESSAGE_CREATE", gateway_message("2001", "777", "hi in private", "401", false));
  ASSERT_TRUE(f.h().run_until([&] { return f.h().inbound_.size() == 1; }));
  const auto& m = f.h().inbound_[0];
  EXPECT_FALSE(m.peer.group);
  EXPECT_EQ(m.peer.chat_id, "777") << "the DM channel, where the reply goes";
  EXPECT_EQ(m.sender_id, "401") << "the user, what the session and access key on";
  EXPECT_EQ(m.text, "hi in private");
}

TEST(Discord, BotsAndOwnMessagesAreIgnored) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.inject("MESSAGE_CREATE", gateway_message("3001", "200", "my own echo", kBotUser));
  Json other_bot = gateway_message("3002", "200", "beep");
  other_bot["author"]["bot"] = true;
  f.inject("MESSAGE_CREATE", other_bot);
  Json join = gateway_message("3003", "200", "");
  join["type"] = 7;  // a member joined (system message)
  f.inject("MESSAGE_CREATE", join);
  f.inject("MESSAGE_CREATE", gateway_message("3004", "200", "a human"));
  ASSERT_TRUE(f.h().run_until([&] { return !f.h().inbound_.empty(); }));
  f.h().run_until([] { return false; }, 200);
  ASSERT_EQ(f.h().inbound_.size(), 1u);
  EXPECT_EQ(f.h().inbound_[0].message_id, "3004");
}

TEST(Discord, SendWithButtonsAndReply) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  sdk::OutboundMessage m;
  m.peer = {"200", true, ""};
  m.text = "Run `rm -rf build`?";
  m.reply_to = "1001";
  m.buttons = {{"Approve", "approve:abc"}, {"Deny", "deny:abc"}};
  std::optional<Status> result;
  f.ch->send(m, [&](Status s) { result = s; });
  EXPECT_FALSE(result) << "done is never inline";
  ASSERT_TRUE(f.h().run_until([&] { return result.has_value(); }));
  EXPECT_TRUE(result->ok()) << result->error().message;
  Json posted = f.state()["posted"];
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0]["channel_id"], "200");
  const Json& b = posted[0]["body"];
  EXPECT_EQ(b["content"], "Run `rm -rf build`?");
  EXPECT_EQ(b["message_reference"]["message_id"], "1001");
  ASSERT_EQ(b["components"].size(), 1u);
  EXPECT_EQ(b["components"][0]["type"], 1);
  const Json& buttons = b["components"][0]["components"];
  ASSERT_EQ(buttons.size(), 2u);
  EXPECT_EQ(buttons[0]["type"], 2);
  EXPECT_EQ(buttons[0]["custom_id"], "approve:abc");
  EXPECT_EQ(buttons[0]["label"], "Approve");
  EXPECT_EQ(buttons[0]["style"], 1);
  EXPECT_EQ(buttons[1]["custom_id"], "deny:abc");
  EXPECT_EQ(buttons[1]["style"], 4);

  f.ch->typing(m.peer);
  ASSERT_TRUE(f.h().run_until([&] { return f.state()["typing"].size() == 1; }));

  std::optional<Status> bad;
  f.ch->send({{"../../x", false, ""}, "hi", {}, ""}, [&](Status s) { bad = s; });
  ASSERT_TRUE(f.h().run_until([&] { return bad.has_value(); }));
  EXPECT_FALSE(bad->ok()) << "a chat id that is not a snowflake never reaches a URL";
}

// A DM addressed by user (an approval re-offered after a restart knows only the user):
// the connector opens the DM channel, sends there and remembers it.
TEST(Discord, ADmAddressedByUserGoesToTheDmChannelItOpens) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.call("POST", "/_control/dm", {{"user", "401"}, {"channel", "777"}});
  sdk::OutboundMessage m;
  m.peer.chat_id = "401";
  m.peer.user_id = "401";
  m.text = "Approval needed";
  std::optional<Status> r1;
  f.ch->send(m, [&](Status s) { r1 = s; });
  EXPECT_FALSE(r1) << "done is never inline";
  ASSERT_TRUE(f.h().run_until([&] { return r1.has_value(); }));
  ASSERT_TRUE(r1->ok()) << r1->error().message;
  Json st = f.state();
  EXPECT_EQ(st["dm_opens"], Json::array({"401"}));
  ASSERT_EQ(st["posted"].size(), 1u);
  EXPECT_EQ(st["posted"][0]["channel_id"], "777") << "the DM channel, not the user id";
  EXPECT_EQ(st["posted"][0]["body"]["content"], "Approval needed");
  // The next one (and typing) use the remembered channel: no second open.
  std::optional<Status> r2;
  f.ch->send(m, [&](Status s) { r2 = s; });
  ASSERT_TRUE(f.h().run_until([&] { return r2.has_value(); }));
  EXPECT_TRUE(r2->ok());
  f.ch->typing(m.peer);
  ASSERT_TRUE(f.h().run_until([&] { return f.state()["typing"].size() == 1; }));
  st = f.state();
  EXPECT_EQ(st["dm_opens"].size(), 1u);
  ASSERT_EQ(st["posted"].size(), 2u);
  EXPECT_EQ(st["posted"][1]["channel_id"], "777");
  EXPECT_EQ(st["typing"][0], "777");
  // In a group user_id means nothing: the message goes to the channel.
  std::optional<Status> r3;
  f.ch->send({{"200", true, "", "401"}, "to the group", {}, ""}, [&](Status s) { r3 = s; });
  ASSERT_TRUE(f.h().run_until([&] { return r3.has_value(); }));
  EXPECT_TRUE(r3->ok());
  EXPECT_EQ(f.state()["posted"][2]["channel_id"], "200");
}

TEST(Discord, AFailedDmOpenFailsTheSendClearlyAndTheRetryOpensIt) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  sdk::OutboundMessage m;
  m.peer = {"401", false, "", "401"};
  m.text = "hello";
  auto send = [&] {
    std::optional<Status> r;
    f.ch->send(m, [&](Status s) { r = s; });
    f.h().run_until([&] { return r.has_value(); });
    return r ? *r : Status(Error::invalid("send never completed"));
  };
  // A server error: retryable, and the error says what could not be done for whom.
  f.call("POST", "/_control/dm_fail", {{"count", 1}, {"status", 500}});
  Status st = send();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("could not open a DM with user 401"), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("HTTP 500"), std::string::npos) << st.error().message;
  EXPECT_TRUE(st.error().retry_after_ms.has_value());
  // A refusal (400 Invalid Recipient) is reported as Discord's message.
  f.call("POST", "/_control/dm_fail", {{"count", 1}, {"status", 400}});
  st = send();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("Invalid Recipient"), std::string::npos) << st.error().message;
  // Rate limited: the wait goes back to the host.
  f.call("POST", "/_control/dm_fail", {{"count", 1}, {"status", 429}});
  st = send();
  ASSERT_FALSE(st.ok());
  ASSERT_TRUE(st.error().retry_after_ms.has_value());
  EXPECT_EQ(*st.error().retry_after_ms, 200) << "the fake's retry_after (0.2 s)";
  EXPECT_TRUE(f.state()["posted"].empty());
  // The host's retry: opened this time, and delivered.
  st = send();
  ASSERT_TRUE(st.ok()) << st.error().message;
  Json state = f.state();
  EXPECT_EQ(state["dm_opens"].size(), 4u);
  ASSERT_EQ(state["posted"].size(), 1u);
  EXPECT_NE(state["posted"][0]["channel_id"], "401");
  // A user id that is not a snowflake never reaches a URL or a request.
  m.peer = {"401", false, "", "../x"};
  st = send();
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(f.state()["dm_opens"].size(), 4u);
}

TEST(Discord, ButtonPressReachesTheHostAndIsAcknowledged) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.inject("INTERACTION_CREATE", {{"id", "5001"},
                                  {"type", 3},
                                  {"token", "interaction-token_abc.1"},
                                  {"channel_id", "200"},
                                  {"guild_id", "300"},
                                  {"member", {{"user", {{"id", "400"}, {"username", "alice"}}}}},
                                  {"data", {{"custom_id", "approve:abc"}, {"component_type", 2}}}});
  ASSERT_TRUE(f.h().run_until([&] { return f.h().buttons_.size() == 1; }));
  const auto& p = f.h().buttons_[0];
  EXPECT_EQ(p.data, "approve:abc");
  EXPECT_EQ(p.sender_id, "400");
  EXPECT_EQ(p.peer.chat_id, "200");
  EXPECT_TRUE(p.peer.group);
  ASSERT_TRUE(f.h().run_until([&] { return f.state()["callbacks"].size() == 1; }));
  Json cb = f.state()["callbacks"][0];
  EXPECT_EQ(cb["id"], "5001");
  EXPECT_EQ(cb["token"], "interaction-token_abc.1");
  EXPECT_EQ(cb["body"]["type"], 6);
}

TEST(Discord, MissingHeartbeatAckDisconnects) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.call("POST", "/_control/stop_acks");
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_TRUE(f.h().run_until([&] { return !f.h().errors_.empty(); }, 3000));
  auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  EXPECT_LE(ms, 1000) << "within ~2-3 heartbeat intervals of 200 ms (slack for a busy box)";
  EXPECT_NE(f.h().errors_[0].find("heartbeat ACK missing"), std::string::npos) << f.h().errors_[0];
  EXPECT_FALSE(f.h().is_connected_);
  f.h().run_until([] { return false; }, 500);
  EXPECT_EQ(f.h().errors_.size(), 1u) << "reported once, then idle";
}

TEST(Discord, DropThenResumeReplaysMissedEventsWithoutDuplicates) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.inject("MESSAGE_CREATE", gateway_message("6001", "200", "before the drop"));
  ASSERT_TRUE(f.h().run_until([&] { return f.h().inbound_.size() == 1; }));
  f.call("POST", "/_control/drop");
  ASSERT_TRUE(f.h().run_until([&] { return !f.h().errors_.empty(); }));
  // Sent while we were away: the RESUME replay must deliver it, once.
  f.inject("MESSAGE_CREATE", gateway_message("6002", "200", "while away"));
  f.ch->stop();
  f.ch->start();
  ASSERT_TRUE(f.h().run_until([&] { return f.h().is_connected_ && f.h().connects_ == 2; }));
  Json st = f.state();
  EXPECT_EQ(st["last_connect"], "resume");
  EXPECT_EQ(st["resumes"], 1);
  EXPECT_EQ(st["identifies"], 1);
  EXPECT_EQ(st["resume_seq"], 2) << "READY was 1, the message before the drop 2";
  ASSERT_TRUE(f.h().run_until([&] { return f.h().inbound_.size() >= 2; }));
  f.h().run_until([] { return false; }, 200);
  ASSERT_EQ(f.h().inbound_.size(), 2u);
  EXPECT_EQ(f.h().inbound_[1].message_id, "6002");
}

TEST(Discord, BadTokenGivesAClearErrorWithoutTheToken) {
  const std::string secret = "wrong-secret-token-123";
  {
    // Through the gateway: IDENTIFY refused with close 4004.
    Fixture probe;
    Json gw = "ws://127.0.0.1:" + std::to_string(probe.fake.gateway());
    Fixture f(Json{{"token", secret}, {"gateway_url", gw}});
    f.ch->start();
    ASSERT_TRUE(f.h().run_until([&] { return !f.h().errors_.empty(); }));
    const std::string& e = f.h().errors_[0];
    EXPECT_NE(e.find("4004"), std::string::npos) << e;
    EXPECT_NE(e.find("token"), std::string::npos) << e;
    EXPECT_EQ(e.find(secret), std::string::npos) << e;
    EXPECT_FALSE(f.h().is_connected_);
  }
  {
    // Through REST: GET /gateway/bot answers 401.
    Fixture f(Json{{"token", secret}});
    f.ch->start();
    ASSERT_TRUE(f.h().run_until([&] { return !f.h().errors_.empty(); }));
    const std::string& e = f.h().errors_[0];
    EXPECT_NE(e.find("token"), std::string::npos) << e;
    EXPECT_EQ(e.find(secret), std::string::npos) << e;
  }
}

TEST(Discord, RateLimitedSendIsRetriedOnceThenFails) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.call("POST", "/_control/rate_limit", {{"count", 1}, {"retry_after", 0.3}});
  std::optional<Status> r1;
  auto t0 = std::chrono::steady_clock::now();
  f.ch->send({{"200", true, ""}, "one", {}, ""}, [&](Status s) { r1 = s; });
  ASSERT_TRUE(f.h().run_until([&] { return r1.has_value(); }));
  EXPECT_TRUE(r1->ok());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(280))
      << "retry_after honoured";
  EXPECT_EQ(f.state()["posted"].size(), 1u);
  bool diag = false;
  for (auto& [ev, j] : f.h().diagnostics_) diag |= ev == "rate_limited";
  EXPECT_TRUE(diag);

  f.call("POST", "/_control/rate_limit", {{"count", 2}, {"retry_after", 0.1}});
  std::optional<Status> r2;
  f.ch->send({{"200", true, ""}, "two", {}, ""}, [&](Status s) { r2 = s; });
  ASSERT_TRUE(f.h().run_until([&] { return r2.has_value(); }));
  ASSERT_FALSE(r2->ok()) << "a second 429 fails the send; the host retries later";
  EXPECT_TRUE(r2->error().retry_after_ms.has_value());
  EXPECT_EQ(f.state()["posted"].size(), 1u);
}

TEST(Discord, GarbageGatewayFramesAreIgnored) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  for (std::string raw : {"not json at all", "[1,2,3]", R"({"op":"ten"})",
                          R"({"op":0,"t":"MESSAGE_CREATE","s":50,"d":"a string"})",
                          R"({"op":0,"t":"MESSAGE_CREATE","d":{"author":{"id":"x"}}})",
                          R"({"op":0,"t":"INTERACTION_CREATE","d":{"type":3}})"})
    f.call("POST", "/_control/raw", {{"text", raw}});
  f.inject("MESSAGE_CREATE", gateway_message("7001", "200", "still here"));
  ASSERT_TRUE(f.h().run_until([&] { return f.h().inbound_.size() == 1; }));
  EXPECT_EQ(f.h().inbound_[0].text, "still here");
  EXPECT_TRUE(f.h().errors_.empty());
  EXPECT_TRUE(f.h().is_connected_);
  int bad = 0;
  for (auto& [ev, j] : f.h().diagnostics_) bad += ev == "discord_bad_frame";
  EXPECT_GE(bad, 5);
}

TEST(Discord, InvalidSessionMeansIdentifyNextTime) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.call("POST", "/_control/op", {{"op", 9}, {"d", false}});
  ASSERT_TRUE(f.h().run_until([&] { return !f.h().errors_.empty(); }));
  EXPECT_NE(f.h().errors_[0].find("op 9"), std::string::npos) << f.h().errors_[0];
  f.ch->stop();
  f.ch->start();
  ASSERT_TRUE(f.h().run_until([&] { return f.h().connects_ == 2; }));
  Json st = f.state();
  EXPECT_EQ(st["identifies"], 2);
  EXPECT_EQ(st["resumes"], 0);

  // op 7 RECONNECT keeps the session: the next start resumes.
  f.call("POST", "/_control/op", {{"op", 7}});
  ASSERT_TRUE(f.h().run_until([&] { return f.h().errors_.size() == 2; }));
  f.ch->stop();
  f.ch->start();
  ASSERT_TRUE(f.h().run_until([&] { return f.h().connects_ == 3; }));
  EXPECT_EQ(f.state()["last_connect"], "resume");
}

TEST(Discord, StopSilencesCallbacksAndFailsSendsInFlight) {
  Fixture f;
  ASSERT_TRUE(f.start_connected());
  f.call("POST", "/_control/rate_limit", {{"count", 1}, {"retry_after", 1.0}});
  std::optional<Status> r;
  f.ch->send({{"200", true, ""}, "queued", {}, ""}, [&](Status s) { r = s; });
  f.h().run_until([] { return false; }, 150);  // the 429 arrived; the retry waits
  f.ch->stop();
  EXPECT_FALSE(r.has_value()) << "never inline";
  f.inject("MESSAGE_CREATE", gateway_message("8001", "200", "after stop"));
  f.h().run_until([] { return false; }, 600);
  ASSERT_TRUE(r.has_value());
  EXPECT_FALSE(r->ok());
  EXPECT_TRUE(f.h().inbound_.empty());
  EXPECT_TRUE(f.h().errors_.empty()) << "stop() is not a failure report";
  EXPECT_EQ(f.state()["posted"].size(), 0u);
}

}  // namespace
}  // namespace simpleclaw::channels
