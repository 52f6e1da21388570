// Discord end to end: the real gateway, a fake Discord (tests/fakes/fake_discord.py: REST
// API v10 + the gateway WebSocket, the real wire format) and the fake LLM. A Discord DM
// reaches the agent and the reply lands in the DM channel (whose id is not the user's);
// unknown senders, pairing codes (the approval notice goes to the DM channel too), guild
// mention gating, long replies chunked to 2000, approvals by button (INTERACTION_CREATE)
// and by /approve, an approval offered again in the DM after a restart (the connector
// opens the DM by user), and a zombie gateway connection (heartbeat ACKs stop) recovered by
// RESUME with the message sent meanwhile answered exactly once.
#include <thread>

#include "channel_helpers.h"
#include "fakes/py_fake.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::PyFake;

constexpr const char* kToken = "discord-e2e-secret-token.XyZ";
constexpr const char* kBot = "100000000000000001";      // the fake's bot user id
constexpr const char* kAlice = "200000000000000001";    // in allow_from
constexpr const char* kBob = "200000000000000002";      // not in allow_from
constexpr const char* kAliceDm = "300000000000000001";  // Alice's DM channel with the bot
constexpr const char* kBobDm = "300000000000000002";    // Bob's DM channel with the bot
constexpr const char* kGuild = "400000000000000001";
constexpr const char* kGroup = "500000000000000001";       // a guild text channel, listed
constexpr const char* kOtherGroup = "500000000000000002";  // not listed

std::unique_ptr<PyFake> start_discord() {
  auto dc = std::make_unique<PyFake>(SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_discord.py",
                                     std::vector<std::string>{"--token", kToken});
  EXPECT_TRUE(dc->ok()) << "fake Discord did not start";
  EXPECT_GT(dc->port("rest"), 0);
  return dc;
}

// discover: no gateway_url, the connector asks GET /gateway/bot like against Discord.
std::string discord_config(const PyFake& dc, const std::string& extra = {}, bool discover = false) {
  std::string rest = "http://127.0.0.1:" + std::to_string(dc.port("rest")) + "/api/v10";
  std::string gw = "ws://127.0.0.1:" + std::to_string(dc.port("gateway"));
  return "channels:\n"
         "  discord:\n"
         "    token: \"" +
         std::string(kToken) +
         "\"\n"
         "    api_base: " +
         rest + "\n" + (discover ? std::string() : "    gateway_url: " + gw + "\n") +
         "    allow_from: [" + kAlice +
         "]\n"
         "    health_monitor: {backoff_base_ms: 50, backoff_max_ms: 200, check_interval_ms: "
         "100}\n" +
         extra;
}

Json state(PyFake& dc) { return dc.request("GET", "/_control/state", "", dc.port("rest")); }
Json control(PyFake& dc, const std::string& what, const Json& body = Json::object()) {
  return dc.request("POST", "/_control/" + what, body.dump(), dc.port("rest"));
}

// Messages the bot posted, polled until pred(posted) or the timeout.
Json wait_posted(PyFake& dc, const std::function<bool(const Json&)>& pred, int timeout_ms = 10000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  Json posted;
  while (std::chrono::steady_clock::now() < deadline) {
    Json st = state(dc);
    posted = st.is_object() ? st["posted"] : Json();
    if (posted.is_array() && pred(posted)) return posted;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return posted;
}

std::string content(const Json& posted) { return posted["body"].value("content", ""); }

bool has_content(const Json& posted, const std::string& text) {
  for (const Json& m : posted)
    if (content(m) == text) return true;
  return false;
}

int next_id = 0;

// A MESSAGE_CREATE: a DM when guild is empty, else a message in a guild channel.
Json message_create(const std::string& author, const std::string& channel, std::string text,
                    const std::string& guild = {}, bool mention = false) {
  std::string id = std::to_string(600000000000000000LL + ++next_id);
  Json mentions = Json::array();
  if (mention) {
    text = std::string("<@") + kBot + "> " + text;
    mentions.push_back({{"id", kBot}, {"username", "fakebot"}, {"bot", true}});
  }
  Json d{{"id", id},
         {"type", 0},
         {"channel_id", channel},
         {"content", text},
         {"author", {{"id", author}, {"username", author == kAlice ? "alice" : "bob"}}},
         {"mentions", mentions}};
  if (!guild.empty()) {
    d["guild_id"] = guild;
    d["member"] = {{"nick", author == kAlice ? "Alice" : "Bob"}};
  }
  return {{"t", "MESSAGE_CREATE"}, {"d", d}};
}

// A button press (message component) by `user` in `channel`.
Json press(const std::string& user, const std::string& channel, const std::string& custom_id,
           const std::string& guild = {}) {
  std::string id = std::to_string(700000000000000000LL + ++next_id);
  Json u{{"id", user}, {"username", user == kAlice ? "alice" : "bob"}};
  Json d{{"id", id},
         {"type", 3},
         {"token", "itok_" + std::to_string(next_id)},
         {"channel_id", channel},
         {"data", {{"custom_id", custom_id}, {"component_type", 2}}}};
  if (guild.empty()) {
    d["user"] = u;
  } else {
    d["guild_id"] = guild;
    d["member"] = {{"user", u}};
  }
  return {{"t", "INTERACTION_CREATE"}, {"d", d}};
}

void inject(PyFake& dc, const Json& event) {
  Json r = control(dc, "inject", event);
  ASSERT_TRUE(r.is_object() && r.value("ok", false)) << r.dump();
}

Json discord_account(WsClient& c) {
  auto st = c.call("channels.status", Json::object());
  if (!st.ok()) return Json();
  return (*st)["channelAccounts"]["discord"][0];
}

TEST(ChannelsDiscord, DmReachesTheAgentAndTheReplyLandsInTheDmChannelUnknownSenderDenied) {
  FakeLlm llm;
  llm.push(answer("Hello from the agent."));
  auto dc = start_discord();
  START_GATEWAY(gw, with_config(config_for(llm, discord_config(*dc, {}, /*discover=*/true))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  EXPECT_EQ(state(*dc)["identifies"], 1);

  inject(*dc, message_create(kBob, kBobDm, "let me in"));  // not in allow_from
  Json hi = message_create(kAlice, kAliceDm, "hi bot");
  inject(*dc, hi);
  Json posted = wait_posted(*dc, [](const Json& p) { return !p.empty(); });
  ASSERT_EQ(posted.size(), 1u) << posted.dump();
  // The reply goes to the DM channel (not to Alice's user id), as a reply to her message.
  EXPECT_EQ(posted[0]["channel_id"], kAliceDm);
  EXPECT_EQ(content(posted[0]), "Hello from the agent.");
  EXPECT_EQ(posted[0]["body"]["message_reference"]["message_id"], hi["d"]["id"]);
  ASSERT_EQ(llm.requests().size(), 1u);  // the unknown sender never reached the model
  EXPECT_NE(llm.requests()[0].body.dump().find("hi bot"), std::string::npos);
  EXPECT_EQ(llm.requests()[0].body.dump().find("let me in"), std::string::npos);
  // Typing was shown in the DM channel while the agent worked.
  Json typing = state(*dc)["typing"];
  ASSERT_FALSE(typing.empty());
  EXPECT_EQ(typing[0], kAliceDm);
  // The session is keyed by the sender (not the DM channel) and holds both messages.
  auto hist = c->call("chat.history",
                      Json{{"sessionKey", std::string("agent:main:discord:direct:") + kAlice}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  ASSERT_EQ((*hist)["messages"].size(), 2u) << hist->dump().substr(0, 1000);
  EXPECT_NE(hist->dump().find("hi bot"), std::string::npos);
  EXPECT_NE(hist->dump().find("Hello from the agent."), std::string::npos);
  // The unknown sender is in the log as a structured record; the token is nowhere.
  auto tail = c->call("logs.tail", Json{{"limit", 300}});
  ASSERT_TRUE(tail.ok());
  std::string log = tail->dump();
  auto denied = log.find("channel.inbound_denied");
  ASSERT_NE(denied, std::string::npos);
  EXPECT_NE(log.find(kBob, denied > 300 ? denied - 300 : 0), std::string::npos);
  EXPECT_EQ(log.find(kToken), std::string::npos);
  Json acc = discord_account(*c);
  EXPECT_EQ(acc["healthState"], "healthy");
  EXPECT_EQ(acc.dump().find(kToken), std::string::npos);
  // Nothing more arrives later (Bob stays unanswered).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(state(*dc)["posted"].size(), 1u);
}

TEST(ChannelsDiscord, PairingCodeAndApprovalNoticeGoToTheDmChannelAcrossARestart) {
  FakeLlm llm;
  llm.push(answer("Nice to meet you."));
  auto dc = start_discord();
  std::string cfg = config_for(llm, discord_config(*dc, "    dm_policy: pairing\n"));
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  inject(*dc, message_create(kBob, kBobDm, "hello?"));
  Json posted = wait_posted(*dc, [](const Json& p) { return !p.empty(); });
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0]["channel_id"], kBobDm);
  std::string text = content(posted[0]);
  auto list = c->call("channels.pairing.list", Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["requests"].size(), 1u);
  std::string code = (*list)["requests"][0]["code"];
  EXPECT_EQ((*list)["requests"][0]["senderId"], kBob);
  EXPECT_EQ((*list)["requests"][0]["channel"], "discord");
  EXPECT_NE(text.find(code), std::string::npos) << text;
  // A second message while pending: no second code, no model call.
  inject(*dc, message_create(kBob, kBobDm, "hello??"));
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(state(*dc)["posted"].size(), 1u);
  EXPECT_TRUE(llm.requests().empty());

  // The operator approves after a gateway restart: the pending request (and where it
  // came from) is kept in the account's state dir.
  std::string state_dir = gw->state_dir();
  gw->stop();
  StartOptions again = with_config(cfg);
  again.state_dir = state_dir;
  START_GATEWAY(gw2, again);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  ASSERT_TRUE(wait_connected(*c2, "discord"));
  auto bad =
      c2->call("channels.pairing.approve", Json{{"channel", "discord"}, {"code", "ZZZZZZZZ"}});
  EXPECT_FALSE(bad.ok());
  auto ok = c2->call("channels.pairing.approve", Json{{"channel", "discord"}, {"code", code}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)["senderId"], kBob);
  posted = wait_posted(*dc, [](const Json& p) { return p.size() >= 2; });
  ASSERT_GE(posted.size(), 2u) << posted.dump();
  // Bob reads this in his DM channel: a message to his user id would be a 404 on Discord.
  EXPECT_EQ(posted[1]["channel_id"], kBobDm) << posted.dump();
  EXPECT_NE(content(posted[1]).find("approved"), std::string::npos);
  auto list2 = c2->call("channels.pairing.list", Json::object());
  ASSERT_TRUE(list2.ok());
  EXPECT_TRUE((*list2)["requests"].empty());

  inject(*dc, message_create(kBob, kBobDm, "now?"));
  posted = wait_posted(*dc, [](const Json& p) { return p.size() >= 3; });
  ASSERT_GE(posted.size(), 3u);
  EXPECT_EQ(content(posted[2]), "Nice to meet you.");
  EXPECT_EQ(posted[2]["channel_id"], kBobDm);
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_NE(llm.requests()[0].body.dump().find("now?"), std::string::npos);
  auto hist = c2->call("chat.history",
                       Json{{"sessionKey", std::string("agent:main:discord:direct:") + kBob}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ((*hist)["messages"].size(), 2u);
}

// A pairing request saved before the conversation was recorded (chatId absent) knows only
// the user: the approval notice reaches Bob in the DM the connector opens for him.
TEST(ChannelsDiscord, AnOldPairingRequestIsAnsweredInTheDmOpenedForTheUser) {
  FakeLlm llm;
  auto dc = start_discord();
  ASSERT_TRUE(control(*dc, "dm", Json{{"user", kBob}, {"channel", kBobDm}}).value("ok", false));
  std::string cfg = config_for(llm, discord_config(*dc, "    dm_policy: pairing\n"));
  START_GATEWAY(gw, with_config(cfg));
  std::string state_dir = gw->state_dir();
  gw->stop();
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  Json old{
      {"approved", Json::array()},
      {"pending",
       {{{"code", "ABCDEFGH"}, {"senderId", kBob}, {"senderName", "bob"}, {"createdAtMs", now}}}}};
  write_text(state_dir + "/channels/discord/default/pairing.json", old.dump());
  StartOptions again = with_config(cfg);
  again.state_dir = state_dir;
  START_GATEWAY(gw2, again);
  auto c = gw2->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  auto ok = c->call("channels.pairing.approve", Json{{"channel", "discord"}, {"code", "ABCDEFGH"}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  Json posted = wait_posted(*dc, [](const Json& p) { return !p.empty(); });
  ASSERT_EQ(posted.size(), 1u) << posted.dump();
  EXPECT_EQ(posted[0]["channel_id"], kBobDm) << "a message to Bob's user id is a 404";
  EXPECT_NE(content(posted[0]).find("approved"), std::string::npos);
  EXPECT_EQ(state(*dc)["dm_opens"], Json::array({kBob}));
}

TEST(ChannelsDiscord, GuildChannelsAnswerOnlyWhenMentionedAndLongRepliesAreChunked) {
  FakeLlm llm;
  // ~17 KB: paragraphs, a 5000-character run without any break, and 2-byte characters.
  std::string para(1500, 'x');
  std::string longtext;
  for (int i = 0; i < 7; ++i) longtext += para + "\n\n";
  longtext += std::string(5000, 'y') + "\n";
  for (int i = 0; i < 1200; ++i) longtext += "\xC3\xA9";  // é
  llm.push(answer(longtext));
  auto dc = start_discord();
  std::string groups = std::string("    groups: [") + kGroup + "]\n";
  START_GATEWAY(gw, with_config(config_for(llm, discord_config(*dc, groups))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  inject(*dc, message_create(kAlice, kGroup, "just chatting", kGuild));
  inject(*dc, message_create(kAlice, kOtherGroup, "hi", kGuild, /*mention=*/true));
  inject(*dc, message_create(kBob, kGroup, "me too", kGuild, /*mention=*/true));
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  EXPECT_TRUE(llm.requests().empty());  // not mentioned / a channel not listed / Bob
  EXPECT_TRUE(state(*dc)["posted"].empty());
  Json ask = message_create(kAlice, kGroup, "write a lot", kGuild, /*mention=*/true);
  inject(*dc, ask);
  Json posted = wait_posted(*dc, [](const Json& p) { return p.size() >= 9; });
  // Let any stragglers arrive, then check all of it.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  posted = state(*dc)["posted"];
  ASSERT_GE(posted.size(), 9u) << posted.dump().substr(0, 300);
  std::string joined;
  for (const Json& m : posted) {
    EXPECT_EQ(m["channel_id"], kGroup);
    std::string t = content(m);
    EXPECT_LE(t.size(), 2000u);
    EXPECT_FALSE(t.empty());
    joined += t;
  }
  EXPECT_EQ(posted[0]["body"]["message_reference"]["message_id"], ask["d"]["id"]);
  EXPECT_EQ(std::count(joined.begin(), joined.end(), 'x'), 7 * 1500);
  EXPECT_EQ(std::count(joined.begin(), joined.end(), 'y'), 5000);
  std::size_t e_acute = 0;
  for (std::size_t p = joined.find("\xC3\xA9"); p != std::string::npos;
       p = joined.find("\xC3\xA9", p + 2))
    ++e_acute;
  EXPECT_EQ(e_acute, 1200u);
  ASSERT_EQ(llm.requests().size(), 1u);
  std::string req = llm.requests()[0].body.dump();
  EXPECT_NE(req.find("write a lot"), std::string::npos);
  EXPECT_EQ(req.find(std::string("<@") + kBot), std::string::npos);  // the mention is stripped
  auto hist = c->call("chat.history",
                      Json{{"sessionKey", std::string("agent:main:discord:group:") + kGroup}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ((*hist)["messages"].size(), 2u);
}

TEST(ChannelsDiscord, ApprovalsByButtonInAGuildChannelAndByCommandInADm) {
  FakeLlm llm;
  llm.push(exec_call("echo approved-run"));
  llm.push(answer_after("It printed approved-run.", "approved-run"));
  auto dc = start_discord();
  std::string groups = std::string("    groups: [") + kGroup + "]\n";
  START_GATEWAY(gw, with_config(config_for(llm, discord_config(*dc, groups))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  inject(*dc, message_create(kAlice, kGroup, "run it", kGuild, /*mention=*/true));
  Json posted = wait_posted(
      *dc, [](const Json& p) { return !p.empty(); }, 15000);
  ASSERT_EQ(posted.size(), 1u);
  EXPECT_EQ(posted[0]["channel_id"], kGroup);
  EXPECT_NE(content(posted[0]).find("echo approved-run"), std::string::npos);
  Json rows = posted[0]["body"]["components"];
  ASSERT_TRUE(rows.is_array() && !rows.empty()) << posted[0].dump();
  Json buttons = rows[0]["components"];
  ASSERT_GE(buttons.size(), 2u);
  std::string allow = buttons[0]["custom_id"];
  EXPECT_EQ(allow.substr(0, 4), "apr:");
  EXPECT_EQ(allow.back(), 'o');
  EXPECT_EQ(buttons[0]["type"], 2);
  EXPECT_EQ(buttons.back()["custom_id"].get<std::string>().back(), 'd');
  EXPECT_EQ(buttons.back()["style"], 4);  // Deny is red

  // Bob presses Allow: refused, nothing runs; the interaction is still acknowledged.
  inject(*dc, press(kBob, kGroup, allow, kGuild));
  posted = wait_posted(*dc, [](const Json& p) { return p.size() >= 2; });
  ASSERT_GE(posted.size(), 2u);
  EXPECT_EQ(posted[1]["channel_id"], kGroup);
  EXPECT_NE(content(posted[1]).find("not allowed"), std::string::npos) << content(posted[1]);
  auto pending = c->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_NE(pending->dump().find("echo approved-run"), std::string::npos);
  EXPECT_EQ(llm.requests().size(), 1u);
  // Alice presses Allow: the command runs and the run finishes in the guild channel.
  inject(*dc, press(kAlice, kGroup, allow, kGuild));
  posted = wait_posted(
      *dc, [](const Json& p) { return has_content(p, "It printed approved-run."); }, 15000);
  ASSERT_TRUE(has_content(posted, "It printed approved-run.")) << posted.dump();
  bool approved_note = false;
  for (const Json& m : posted) {
    EXPECT_EQ(m["channel_id"], kGroup);
    approved_note |= content(m).find("Approved") != std::string::npos;
  }
  EXPECT_TRUE(approved_note) << posted.dump();
  Json callbacks = state(*dc)["callbacks"];
  ASSERT_EQ(callbacks.size(), 2u);  // both presses acknowledged (deferred update)
  EXPECT_EQ(callbacks[1]["body"]["type"], 6);

  // Second command, in Alice's DM, approved by text: /approve <id> allow-once.
  llm.push(exec_call("echo second-run"));
  llm.push(answer_after("It printed second-run.", "second-run"));
  std::size_t before = posted.size();
  inject(*dc, message_create(kAlice, kAliceDm, "run another"));
  posted = wait_posted(
      *dc, [&](const Json& p) { return p.size() > before; }, 15000);
  ASSERT_GT(posted.size(), before);
  EXPECT_EQ(posted[before]["channel_id"], kAliceDm);  // the DM channel, not Alice's id
  std::string prompt = content(posted[before]);
  auto p = prompt.find("/approve ");
  ASSERT_NE(p, std::string::npos) << prompt;
  std::string short_id = prompt.substr(p + 9, 8);
  // Bob cannot approve by text either (in his own DM).
  inject(*dc, message_create(kBob, kBobDm, "/approve " + short_id + " allow-once"));
  posted = wait_posted(*dc, [&](const Json& p) { return p.size() > before + 1; });
  ASSERT_GT(posted.size(), before + 1);
  EXPECT_EQ(posted[before + 1]["channel_id"], kBobDm);
  EXPECT_NE(content(posted[before + 1]).find("not allowed"), std::string::npos);
  inject(*dc, message_create(kAlice, kAliceDm, "/approve " + short_id + " allow-once"));
  posted = wait_posted(
      *dc, [](const Json& p) { return has_content(p, "It printed second-run."); }, 15000);
  ASSERT_TRUE(has_content(posted, "It printed second-run.")) << posted.dump();
  bool approved = false;
  for (std::size_t i = before; i < posted.size(); ++i) {
    if (posted[i]["channel_id"] == kBobDm) continue;
    EXPECT_EQ(posted[i]["channel_id"], kAliceDm) << posted[i].dump();
    approved |= content(posted[i]).find("Approved (" + short_id) != std::string::npos;
  }
  EXPECT_TRUE(approved) << posted.dump();
  auto last = llm.requests().back().body.dump();
  EXPECT_NE(last.find("second-run"), std::string::npos);
  EXPECT_EQ(llm.requests().size(), 4u);
}

// A pending approval survives a restart (SPEC §8) and is offered again in the DM it came
// from. The session key names only Alice, and her DM channel has an id of its own: the
// connector opens the DM (POST /users/@me/channels) to find it. Her button press there
// decides it.
TEST(ChannelsDiscord, APendingApprovalIsOfferedAgainInTheDmChannelAfterARestart) {
  FakeLlm llm;
  llm.push(exec_call("echo after-restart"));
  auto dc = start_discord();
  // The fake opens Alice's DM as the channel her messages come from.
  ASSERT_TRUE(control(*dc, "dm", Json{{"user", kAlice}, {"channel", kAliceDm}}).value("ok", false));
  std::string cfg = config_for(llm, discord_config(*dc));
  START_GATEWAY(gw, with_config(cfg));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  inject(*dc, message_create(kAlice, kAliceDm, "run it later"));
  Json posted = wait_posted(
      *dc, [](const Json& p) { return !p.empty(); }, 15000);
  ASSERT_EQ(posted.size(), 1u) << posted.dump();
  EXPECT_EQ(posted[0]["channel_id"], kAliceDm);
  EXPECT_TRUE(state(*dc)["dm_opens"].empty()) << "the live conversation needs no lookup";

  std::string state_dir = gw->state_dir();
  gw->stop();
  StartOptions again = with_config(cfg);
  again.state_dir = state_dir;
  START_GATEWAY(gw2, again);
  posted = wait_posted(
      *dc, [](const Json& p) { return p.size() >= 3; }, 15000);
  // The run waiting for the approval was interrupted by the stop: its sender is told
  // (posted[1]); then the approval, still pending, is offered again (posted[2]).
  ASSERT_EQ(posted.size(), 3u) << posted.dump();
  EXPECT_NE(content(posted[1]).find("interrupted"), std::string::npos) << content(posted[1]);
  EXPECT_EQ(posted[2]["channel_id"], kAliceDm) << "Alice's DM channel, not her user id";
  EXPECT_NE(content(posted[2]).find("echo after-restart"), std::string::npos) << content(posted[2]);
  EXPECT_EQ(state(*dc)["dm_opens"], Json::array({kAlice}));
  Json rows = posted[2]["body"]["components"];
  ASSERT_TRUE(rows.is_array() && !rows.empty()) << posted[2].dump();
  std::string allow = rows[0]["components"][0]["custom_id"];
  EXPECT_EQ(allow.back(), 'o');
  inject(*dc, press(kAlice, kAliceDm, allow));
  // "Approved (…)", then the command runs (its run is gone) and its result follows.
  posted = wait_posted(*dc, [](const Json& p) { return p.size() >= 5; });
  ASSERT_EQ(posted.size(), 5u) << posted.dump();
  EXPECT_EQ(posted[3]["channel_id"], kAliceDm);
  EXPECT_EQ(content(posted[3]).rfind("Approved (", 0), 0u) << content(posted[3]);
  EXPECT_EQ(posted[4]["channel_id"], kAliceDm);
  EXPECT_NE(content(posted[4]).find("after-restart\n[exit code 0]"), std::string::npos)
      << content(posted[4]);
  auto c2 = gw2->connect();
  ASSERT_NE(c2, nullptr);
  auto pending = c2->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE((*pending).empty()) << pending->dump();  // decided from the DM
  EXPECT_EQ(state(*dc)["dm_opens"].size(), 1u);
}

TEST(ChannelsDiscord, AZombieGatewayIsDetectedResumedAndTheMessageSentMeanwhileAnsweredOnce) {
  FakeLlm llm;
  llm.push(answer("Got it."));
  llm.push(answer("Second answer."));  // must stay unused
  auto dc = start_discord();
  START_GATEWAY(gw, with_config(config_for(llm, discord_config(*dc))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "discord"));
  Json st = state(*dc);
  EXPECT_EQ(st["identifies"], 1);
  int seq_before = st["seq"];
  // The connection turns into a zombie: heartbeats go unanswered and events stop flowing
  // on it (the fake keeps them for a RESUME); the next connection is healthy.
  ASSERT_TRUE(control(*dc, "stop_acks", Json{{"zombie", true}}).value("ok", false));
  Json msg = message_create(kAlice, kAliceDm, "are you there?");
  inject(*dc, msg);
  auto t0 = std::chrono::steady_clock::now();
  Json posted = wait_posted(
      *dc, [](const Json& p) { return !p.empty(); }, 15000);
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_EQ(posted.size(), 1u) << posted.dump();
  EXPECT_EQ(content(posted[0]), "Got it.");
  EXPECT_EQ(posted[0]["channel_id"], kAliceDm);
  // Heartbeat 200 ms: found within a few intervals, then backoff <= 200 ms and the turn.
  EXPECT_LT(took, 4000);
  // Resumed (not a fresh IDENTIFY, which would have lost the message) from the seq it had.
  st = state(*dc);
  EXPECT_EQ(st["identifies"], 1);
  EXPECT_GE(st["resumes"].get<int>(), 1);
  EXPECT_EQ(st["last_connect"], "resume");
  EXPECT_EQ(st["resume_seq"], seq_before);
  EXPECT_GE(st["connections"].get<int>(), 2);
  // Exactly once: nothing more arrives, one model call.
  std::this_thread::sleep_for(std::chrono::milliseconds(800));
  EXPECT_EQ(state(*dc)["posted"].size(), 1u);
  EXPECT_EQ(llm.requests().size(), 1u);
  auto hist = c->call("chat.history",
                      Json{{"sessionKey", std::string("agent:main:discord:direct:") + kAlice}});
  ASSERT_TRUE(hist.ok());
  EXPECT_EQ((*hist)["messages"].size(), 2u);
  // The health view tells what happened and that it is over.
  Json acc = discord_account(*c);
  EXPECT_GE(acc["reconnectAttempts"].get<int>(), 1) << acc.dump();
  ASSERT_TRUE(acc["lastError"].is_string()) << acc.dump();
  EXPECT_NE(acc["lastError"].get<std::string>().find("heartbeat ACK missing"), std::string::npos)
      << acc.dump();
  EXPECT_EQ(acc["healthState"], "healthy");
  EXPECT_EQ(acc["connected"], true);
  auto ev = wait_event_if(
      *c, "channels.changed",
      [](const Json& f) {
        return f["payload"].value("channel", "") == "discord" &&
               f["payload"].value("healthState", "") == "reconnecting";
      },
      2000);
  EXPECT_TRUE(ev.has_value()) << "channels.changed announced the reconnect";
  auto tail = c->call("logs.tail", Json{{"limit", 500}});
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->dump().find("channel.disconnected"), std::string::npos);
  // Still healthy a little later: the resumed connection's heartbeats are answered.
  int attempts = acc["reconnectAttempts"];
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  acc = discord_account(*c);
  EXPECT_EQ(acc["healthState"], "healthy");
  EXPECT_EQ(acc["reconnectAttempts"].get<int>(), attempts);
  EXPECT_EQ(acc["resumable"], true);
}

}  // namespace
}  // namespace sctest
