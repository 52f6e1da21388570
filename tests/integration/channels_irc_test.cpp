// IRC end to end: the real gateway, a real IRC server (ngircd, tests/fakes/ngircd.h, on
// a free 127.0.0.1 port) and the fake LLM; the humans are raw-socket IRC clients
// (fakes::IrcClient). A user's private message reaches the agent and the reply comes
// back as a PRIVMSG; unknown nicks, pairing codes, mention gating in #ops, the README's
// example (a joined channel needs no `groups` entry), long replies cut to IRC's 512-byte
// lines, approvals by `/approve <id> ...` text, and the server killed mid-conversation and
// started again.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <thread>

#include "channel_helpers.h"
#include "fakes/ngircd.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using ::fakes::IrcClient;
using ::fakes::Ngircd;
using IrcClock = std::chrono::steady_clock;

// The gateway's IRC account: nick scbot in #ops, alice allowed. Short timers.
std::string irc_config(int port, const std::string& extra = {},
                       const std::string& health =
                           "{backoff_base_ms: 50, backoff_max_ms: 200, check_interval_ms: 100}") {
  return "channels:\n"
         "  irc:\n"
         "    server: 127.0.0.1\n"
         "    port: " +
         std::to_string(port) +
         "\n"
         "    tls: false\n"
         "    nick: scbot\n"
         "    channels: [\"#ops\"]\n"
         "    allow_from: [alice]\n"
         "    groups: [\"#ops\"]\n"
         "    ping_interval_ms: 2000\n"
         "    send_interval_ms: 50\n"
         "    health_monitor: " +
         health + "\n" + extra;
}

// The IRC account of README.md's channels example, as written there, but for where the
// server is (this test's ngircd: no TLS) and without sasl (ngircd has none). *nick = the
// bot's nick from the README. "" when the README has no such block.
std::string readme_irc_account(int port, std::string* nick) {
  std::ifstream readme(SIMPLECLAW_SOURCE_DIR "/README.md");
  std::string line, out;
  while (std::getline(readme, line)) {
    if (out.empty()) {
      if (line == "  irc:") out = line + "\n";
      continue;
    }
    if (line.rfind("    ", 0) != 0) break;  // the account's keys are indented by four
    const std::string key = line.substr(4, line.find(':') - 4);
    if (key == "sasl") continue;
    if (key == "server") {
      out += "    server: 127.0.0.1\n    port: " + std::to_string(port) + "\n    tls: false\n";
      continue;
    }
    if (key == "nick") *nick = line.substr(line.find(':') + 2);
    out += line + "\n";
  }
  return out;
}

// The texts of the PRIVMSGs `u` got from the bot in `target` (its own nick for a DM).
std::vector<std::string> texts(const IrcClient& u, const std::string& target,
                               std::size_t from = 0) {
  std::vector<std::string> out;
  for (const auto& p : u.from("scbot", target, from)) out.push_back(p.text);
  return out;
}

bool any_contains(const std::vector<std::string>& v, const std::string& needle) {
  return std::any_of(v.begin(), v.end(),
                     [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += s + "\n";
  return out;
}

std::string no_space(const std::string& s) {
  std::string out;
  for (unsigned char c : s)
    if (!std::isspace(c)) out += static_cast<char>(c);
  return out;
}

// Every line the bot sent is within IRC's 512 bytes (CRLF included) as the user got it.
void expect_within_512(const IrcClient& u) {
  for (const auto& p : u.from("scbot")) EXPECT_LE(p.raw.size() + 2, 512u) << p.raw;
}

Json status_account(WsClient& c) {
  auto st = c.call("channels.status", Json::object());
  if (!st.ok() || !(*st)["channelAccounts"].contains("irc")) return Json();
  return (*st)["channelAccounts"]["irc"][0];
}

class ChannelsIrc : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Ngircd::installed()) GTEST_SKIP() << "ngircd is not installed";
    server_ = std::make_unique<Ngircd>();
    ASSERT_TRUE(server_->start()) << server_->error();
  }

  // A human registered on the server, in #ops when `join`.
  std::unique_ptr<IrcClient> user(const std::string& nick, bool join = false) {
    auto u = std::make_unique<IrcClient>();
    EXPECT_TRUE(u->register_as(server_->port(), nick)) << nick << " could not register";
    if (join) {
      EXPECT_TRUE(u->join("#ops")) << nick << " could not join #ops";
    }
    return u;
  }

  // Waits until `u` got at least n PRIVMSGs from the bot in `target`.
  bool wait_texts(IrcClient& u, const std::string& target, std::size_t n, int ms = 10000) {
    return u.wait_for([&] { return u.from("scbot", target).size() >= n; }, ms);
  }

  std::unique_ptr<Ngircd> server_;
};

TEST_F(ChannelsIrc, DirectMessageReachesTheAgentAndTheReplyComesBackAsAPrivmsg) {
  FakeLlm llm;
  llm.push(answer("Hello from the agent."));
  auto alice = user("alice");
  START_GATEWAY(gw, with_config(config_for(llm, irc_config(server_->port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  EXPECT_EQ(status_account(*c).value("nick", ""), "scbot");

  alice->privmsg("scbot", "hi bot, what is up?");
  ASSERT_TRUE(wait_texts(*alice, "alice", 1)) << joined(alice->lines);
  auto got = alice->from("scbot");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "alice");  // a private reply, not a channel message
  EXPECT_EQ(got[0].text, "Hello from the agent.");
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_NE(llm.requests()[0].body.dump().find("hi bot, what is up?"), std::string::npos);
  // The conversation is a session with the spec's key and the transcript holds both.
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:main:irc:direct:alice"}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  ASSERT_EQ((*hist)["messages"].size(), 2u) << hist->dump();
  EXPECT_NE(hist->dump().find("hi bot, what is up?"), std::string::npos);
  EXPECT_NE(hist->dump().find("Hello from the agent."), std::string::npos);
}

TEST_F(ChannelsIrc, UnknownNicksAreDeniedWithoutAModelCallOrAReply) {
  FakeLlm llm;
  llm.push(answer("Only for alice."));
  auto alice = user("alice", true);
  auto mallory = user("mallory", true);
  START_GATEWAY(gw, with_config(config_for(llm, irc_config(server_->port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));

  mallory->privmsg("scbot", "let me in");
  mallory->privmsg("#ops", "scbot: answer me too");  // listed group, sender not allowed
  alice->privmsg("scbot", "hello");  // after mallory's: once answered, those were handled
  ASSERT_TRUE(wait_texts(*alice, "alice", 1));
  EXPECT_EQ(texts(*alice, "alice")[0], "Only for alice.");
  alice->wait_for([] { return false; }, 300);
  mallory->poll();
  EXPECT_TRUE(mallory->from("scbot").empty()) << joined(mallory->lines);
  EXPECT_TRUE(alice->from("scbot", "#ops").empty());
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_EQ(llm.requests()[0].body.dump().find("let me in"), std::string::npos);
  auto tail = c->call("logs.tail", Json{{"limit", 300}});
  ASSERT_TRUE(tail.ok());
  std::string log = tail->dump();
  EXPECT_NE(log.find("channel.inbound_denied"), std::string::npos);
  EXPECT_NE(log.find("mallory"), std::string::npos);
}

TEST_F(ChannelsIrc, PairingCodeIsSentApprovedThenTheNickIsAnswered) {
  FakeLlm llm;
  llm.push(answer("Nice to meet you, bob."));
  auto bob = user("bob");
  START_GATEWAY(
      gw, with_config(config_for(llm, irc_config(server_->port(), "    dm_policy: pairing\n"))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  bob->privmsg("scbot", "hello?");
  // The code message is two lines (a line break in the text) with the approve command.
  ASSERT_TRUE(bob->wait_for([&] { return any_contains(texts(*bob, "bob"), "pairing.approve"); }))
      << joined(bob->lines);
  auto list = c->call("channels.pairing.list", Json::object());
  ASSERT_TRUE(list.ok());
  ASSERT_EQ((*list)["requests"].size(), 1u) << list->dump();
  std::string code = (*list)["requests"][0]["code"];
  EXPECT_EQ((*list)["requests"][0]["channel"], "irc");
  EXPECT_EQ((*list)["requests"][0]["senderId"], "bob");
  EXPECT_TRUE(any_contains(texts(*bob, "bob"), "pairing code is " + code))
      << joined(texts(*bob, "bob"));
  expect_within_512(*bob);
  std::size_t code_lines = bob->from("scbot").size();
  // Asking again while pending: no second code, no model call.
  bob->privmsg("scbot", "hello??");
  bob->wait_for([] { return false; }, 500);
  EXPECT_EQ(bob->from("scbot").size(), code_lines);
  EXPECT_TRUE(llm.requests().empty());
  // A wrong code is refused, the right one approves and bob is told.
  EXPECT_FALSE(
      c->call("channels.pairing.approve", Json{{"channel", "irc"}, {"code", "ZZZZZZZZ"}}).ok());
  auto ok = c->call("channels.pairing.approve", Json{{"channel", "irc"}, {"code", code}});
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ((*ok)["senderId"], "bob");
  ASSERT_TRUE(bob->wait_for([&] { return any_contains(texts(*bob, "bob"), "approved"); }));
  bob->privmsg("scbot", "now?");
  ASSERT_TRUE(bob->wait_for([&] {
    return any_contains(texts(*bob, "bob"), "Nice to meet you, bob.");
  })) << joined(bob->lines);
  ASSERT_EQ(llm.requests().size(), 1u);
  EXPECT_NE(llm.requests()[0].body.dump().find("now?"), std::string::npos);
}

TEST_F(ChannelsIrc, InOpsOnlyAMentionIsAnsweredAndInTheChannel) {
  FakeLlm llm;
  llm.push(answer("Deploys are green."));
  auto alice = user("alice", true);
  START_GATEWAY(gw, with_config(config_for(llm, irc_config(server_->port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  ASSERT_TRUE(alice->wait_for([&] { return alice->saw(":scbot!"); })) << "the bot joined #ops";

  alice->privmsg("#ops", "just chatting among humans about deploys");
  alice->wait_for([] { return false; }, 600);
  EXPECT_TRUE(llm.requests().empty()) << "not mentioned: ignored";
  alice->privmsg("#ops", "scbot: how are the deploys?");
  ASSERT_TRUE(wait_texts(*alice, "#ops", 1)) << joined(alice->lines);
  auto got = alice->from("scbot");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "#ops");
  EXPECT_EQ(got[0].text, "Deploys are green.");
  ASSERT_EQ(llm.requests().size(), 1u);
  std::string body = llm.requests()[0].body.dump();
  EXPECT_NE(body.find("how are the deploys?"), std::string::npos);
  EXPECT_EQ(body.find("scbot:"), std::string::npos) << "the mention is stripped";
  EXPECT_EQ(body.find("just chatting"), std::string::npos);
  auto hist = c->call("chat.history", Json{{"sessionKey", "agent:main:irc:group:#ops"}});
  ASSERT_TRUE(hist.ok()) << hist.error().message;
  EXPECT_EQ((*hist)["messages"].size(), 2u);
}

// The README's example lists #ops under `channels` and alice under `allow_from`, and no
// `groups`: the channel the account joins is one it answers in. Found by following the
// README: every channel message was denied ("group not in groups").
TEST_F(ChannelsIrc, TheReadmeExampleAnswersMentionsFromAllowedSendersInItsChannels) {
  std::string nick;
  const std::string account = readme_irc_account(server_->port(), &nick);
  ASSERT_NE(account.find("    channels: [\"#ops\"]\n"), std::string::npos) << account;
  ASSERT_NE(account.find("    allow_from: [alice]\n"), std::string::npos) << account;
  ASSERT_EQ(account.find("groups"), std::string::npos) << "the README example names no groups";
  ASSERT_FALSE(nick.empty()) << account;
  FakeLlm llm;
  llm.push(answer("Ops is calm."));
  auto alice = user("alice", true);
  auto mallory = user("mallory", true);
  START_GATEWAY(gw, with_config(config_for(llm, "channels:\n" + account)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  ASSERT_TRUE(alice->wait_for([&] { return alice->saw(":" + nick + "!"); })) << "the bot joined";

  mallory->privmsg("#ops", nick + ": answer me instead");  // not in allow_from
  alice->privmsg("#ops", nick + ": how is ops?");
  ASSERT_TRUE(alice->wait_for([&] { return !alice->from(nick, "#ops").empty(); }, 10000))
      << joined(alice->lines);
  auto got = alice->from(nick);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].target, "#ops");
  EXPECT_EQ(got[0].text, "Ops is calm.");
  alice->wait_for([] { return false; }, 300);  // nothing more comes
  ASSERT_EQ(llm.requests().size(), 1u);
  std::string body = llm.requests()[0].body.dump();
  EXPECT_NE(body.find("how is ops?"), std::string::npos);
  EXPECT_EQ(body.find("answer me instead"), std::string::npos);
  mallory->poll();
  EXPECT_EQ(alice->from(nick).size(), 1u) << "mallory was not answered";
  auto tail = c->call("logs.tail", Json{{"limit", 300}});
  ASSERT_TRUE(tail.ok());
  std::string log = tail->dump();
  EXPECT_NE(log.find("sender not in allow_from"), std::string::npos);
  EXPECT_EQ(log.find("group not in groups"), std::string::npos);
}

TEST_F(ChannelsIrc, ALongReplyArrivesAsLinesWithin512BytesWithNothingLost) {
  FakeLlm llm;
  // ~4.5 KB: numbered words (order is checkable), paragraphs, a 900-byte run of
  // two-byte characters without a space, and a long line of words.
  std::string text;
  for (int p = 0; p < 4; ++p) {
    for (int i = 0; i < 90; ++i) text += "p" + std::to_string(p) + "w" + std::to_string(i) + " ";
    text += "\n\n";
  }
  for (int i = 0; i < 450; ++i) text += "\xc3\xa9";
  text += "\nlast line: the end.";
  llm.push(answer(text));
  auto alice = user("alice");
  START_GATEWAY(gw, with_config(config_for(llm, irc_config(server_->port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  alice->privmsg("scbot", "write a lot");
  ASSERT_TRUE(alice->wait_for(
      [&] { return any_contains(texts(*alice, "alice"), "last line: the end."); }, 20000))
      << joined(texts(*alice, "alice"));
  alice->wait_for([] { return false; }, 300);  // nothing trails
  auto got = texts(*alice, "alice");
  EXPECT_GE(got.size(), text.size() / 400) << "several lines";
  expect_within_512(*alice);
  for (const auto& t : got) EXPECT_LE(t.size(), 400u) << t;  // the connector's max_text
  // Every byte (but whitespace, where lines were cut) arrived, in order.
  std::string all;
  for (const auto& t : got) all += t;
  EXPECT_EQ(no_space(all), no_space(text));
}

TEST_F(ChannelsIrc, ApprovalByTextCommandRefusesOthersAndFinishesTheRun) {
  FakeLlm llm;
  llm.push(exec_call("echo approved-run"));
  llm.push(answer_after("It printed approved-run.", "approved-run"));
  auto alice = user("alice");
  auto mallory = user("mallory");
  START_GATEWAY(gw, with_config(config_for(llm, irc_config(server_->port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  alice->privmsg("scbot", "run it");
  ASSERT_TRUE(
      alice->wait_for([&] { return any_contains(texts(*alice, "alice"), "/approve "); }, 15000))
      << joined(alice->lines);
  std::string prompt = joined(texts(*alice, "alice"));
  EXPECT_NE(prompt.find("echo approved-run"), std::string::npos) << prompt;
  auto p = prompt.find("/approve ");
  std::string short_id = prompt.substr(p + 9, 8);
  ASSERT_EQ(short_id.size(), 8u);
  EXPECT_EQ(short_id.find(' '), std::string::npos) << prompt;
  expect_within_512(*alice);

  // mallory (not in allow_from) tries: refused, nothing resolved.
  mallory->privmsg("scbot", "/approve " + short_id + " allow-once");
  ASSERT_TRUE(mallory->wait_for([&] {
    return any_contains(texts(*mallory, "mallory"), "not allowed");
  })) << joined(mallory->lines);
  auto pending = c->call("exec.approval.list", Json::object());
  ASSERT_TRUE(pending.ok());
  EXPECT_NE(pending->dump().find("echo approved-run"), std::string::npos);
  EXPECT_EQ(llm.requests().size(), 1u);

  // alice approves: the command runs and the model's final answer arrives.
  std::size_t before = alice->from("scbot").size();
  alice->privmsg("scbot", "/approve " + short_id + " allow-once");
  ASSERT_TRUE(alice->wait_for(
      [&] { return any_contains(texts(*alice, "alice", before), "It printed approved-run."); },
      15000))
      << joined(alice->lines);
  auto after = texts(*alice, "alice", before);
  EXPECT_TRUE(any_contains(after, "Approved (" + short_id)) << joined(after);
  EXPECT_TRUE(any_contains(texts(*alice, "alice"), "It printed approved-run."));
  ASSERT_EQ(llm.requests().size(), 2u);
  EXPECT_NE(llm.requests()[1].body.dump().find("approved-run"), std::string::npos);

  // A second command, denied by alice with the text command.
  llm.push(exec_call("echo never-run"));
  llm.push(answer_after("Understood, not running it.", ""));
  before = alice->from("scbot").size();
  alice->privmsg("scbot", "run another");
  ASSERT_TRUE(alice->wait_for(
      [&] { return any_contains(texts(*alice, "alice", before), "/approve "); }, 15000));
  std::string prompt2 = joined(texts(*alice, "alice", before));
  std::string id2 = prompt2.substr(prompt2.find("/approve ") + 9, 8);
  EXPECT_NE(id2, short_id);
  alice->privmsg("scbot", "/approve " + id2 + " deny");
  ASSERT_TRUE(alice->wait_for(
      [&] { return any_contains(texts(*alice, "alice", before), "Understood, not running it."); },
      15000))
      << joined(alice->lines);
  EXPECT_TRUE(any_contains(texts(*alice, "alice", before), "Denied " + id2));
  EXPECT_NE(llm.requests().back().body.dump().find("exec denied by irc:alice"), std::string::npos)
      << llm.requests().back().body.dump().substr(0, 2000);
}

TEST_F(ChannelsIrc, ServerKilledMidConversationTheAccountReconnectsAndNothingIsLost) {
  FakeLlm llm;
  llm.push(answer("First answer."));
  // The second answer takes 1.5 s: the server is killed while the model works, so the
  // reply is produced while the bot is offline.
  Script slow = answer("Answer written while the server was down.");
  slow.head_delay_ms = 1500;
  llm.push(slow);
  llm.push(answer("Back online."));
  auto alice = user("alice");
  // Reconnect delays grow to 0.5-1 s: once the test sees a failed attempt, it has at
  // least 500 ms to bring the server back and register alice before the bot's next try
  // (so the queued reply has someone to reach).
  START_GATEWAY(gw, with_config(config_for(
                        llm, irc_config(server_->port(), {},
                                        "{backoff_base_ms: 50, backoff_max_ms: 1000, "
                                        "check_interval_ms: 100, restart_after_failures: 3}"))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  alice->privmsg("scbot", "first question");
  ASSERT_TRUE(wait_texts(*alice, "alice", 1));
  EXPECT_EQ(status_account(*c)["reconnectAttempts"], 0);

  alice->privmsg("scbot", "slow question");
  ASSERT_TRUE(llm.wait_requests(2));
  server_->kill();
  // The bot notices, the reply is produced and kept while the server is down.
  ASSERT_TRUE(eventually(
      [&] {
        Json a = status_account(*c);
        return a.is_object() && a["connected"] == false && a["reconnectAttempts"].get<int>() >= 1;
      },
      5000));
  ASSERT_TRUE(eventually(
      [&] {
        auto h = c->call("chat.history", Json{{"sessionKey", "agent:main:irc:direct:alice"}});
        return h.ok() && (*h)["messages"].size() >= 4u;
      },
      8000))
      << "the slow reply was never produced";
  ASSERT_TRUE(eventually([&] { return status_account(*c)["queued"].get<int>() >= 1; }, 2000))
      << status_account(*c).dump();
  auto tail = c->call("logs.tail", Json{{"limit", 500}});
  ASSERT_TRUE(tail.ok());
  EXPECT_NE(tail->dump().find("channel.disconnected"), std::string::npos);

  // After restart_after_failures (3) failed attempts the monitor rebuilds the connector,
  // with the reason in the JSON log record and on /metrics.
  ASSERT_TRUE(
      eventually([&] { return status_account(*c)["reconnectAttempts"].get<int>() >= 4; }, 10000));
  tail = c->call("logs.tail", Json{{"limit", 500}});
  ASSERT_TRUE(tail.ok());
  bool restart_logged = false;
  for (const Json& line : (*tail)["lines"]) {
    if (!line.is_string()) continue;
    Json rec = Json::parse(line.get<std::string>(), nullptr, false);
    if (rec.is_object() && rec.value("event", "") == "channel.restart") {
      restart_logged = true;
      EXPECT_EQ(rec.value("channel", ""), "irc");
      EXPECT_GE(rec.value("failures", 0), 3);
      EXPECT_FALSE(rec.value("reason", "").empty()) << rec.dump();
    }
  }
  EXPECT_TRUE(restart_logged) << tail->dump();
  HttpResponse m = http_request(gw->port(), "GET", "/metrics");
  EXPECT_EQ(m.body.find("simpleclaw_channel_restarts_total 0"), std::string::npos) << m.body;
  EXPECT_NE(m.body.find("simpleclaw_channel_restarts_total"), std::string::npos);

  // Right after a failed attempt (delays are >= 500 ms by the 6th), restart the server
  // on the same port and register alice before the bot's next try.
  ASSERT_TRUE(
      eventually([&] { return status_account(*c)["reconnectAttempts"].get<int>() >= 6; }, 10000));
  int attempts = status_account(*c)["reconnectAttempts"];
  ASSERT_TRUE(eventually(
      [&] { return status_account(*c)["reconnectAttempts"].get<int>() > attempts; }, 3000));
  ASSERT_TRUE(server_->start()) << server_->error();
  alice = user("alice");
  ASSERT_EQ(status_account(*c)["connected"], false)
      << "the bot came back before alice: the timing assumption failed";
  // The bot reconnects by itself and delivers what it wrote meanwhile.
  ASSERT_TRUE(alice->wait_for(
      [&] {
        return any_contains(texts(*alice, "alice"), "Answer written while the server was down.");
      },
      10000))
      << joined(alice->lines);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  Json acc = status_account(*c);
  EXPECT_GE(acc["reconnectAttempts"].get<int>(), 1);
  EXPECT_EQ(acc["healthState"], "healthy");
  EXPECT_EQ(acc["queued"], 0);
  // And a new message is answered.
  alice->privmsg("scbot", "are you back?");
  ASSERT_TRUE(alice->wait_for([&] { return any_contains(texts(*alice, "alice"), "Back online."); }))
      << joined(alice->lines);
  EXPECT_EQ(llm.requests().size(), 3u);
  EXPECT_EQ(texts(*alice, "alice").size(), 2u) << "each reply once";
}

// IRC nicks and channel names are case-insensitive: "Alice" is the alice of allow_from,
// "#OPS" (created in upper case by a human) is the #ops of groups. Found by this test: both
// were denied (exact comparison against the configured spelling).
TEST_F(ChannelsIrc, NicksAndChannelsMatchTheAccessListsWhateverTheirCase) {
  FakeLlm llm;
  llm.push(answer("Hello Alice."));
  llm.push(answer("Hello channel."));
  auto alice = user("Alice");
  ASSERT_TRUE(alice->join("#OPS"));  // the channel is created with this spelling
  START_GATEWAY(gw, with_config(config_for(llm, irc_config(server_->port()))));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(wait_connected(*c, "irc"));
  // Replies go to the configured spelling; the server delivers them to the same user and
  // channel (it may show the target either way).
  auto got = [&](bool channel, const std::string& text) {
    for (const auto& p : alice->from("scbot"))
      if ((p.target[0] == '#') == channel && p.text == text) return true;
    return false;
  };
  alice->privmsg("scbot", "hi from capital Alice");
  ASSERT_TRUE(alice->wait_for([&] { return got(false, "Hello Alice."); })) << joined(alice->lines);
  alice->privmsg("#OPS", "SCBOT: upper case everywhere");
  ASSERT_TRUE(alice->wait_for([&] { return got(true, "Hello channel."); })) << joined(alice->lines);
  ASSERT_EQ(llm.requests().size(), 2u);
  auto dm = c->call("chat.history", Json{{"sessionKey", "agent:main:irc:direct:alice"}});
  ASSERT_TRUE(dm.ok());
  EXPECT_EQ((*dm)["messages"].size(), 2u);
  auto group = c->call("chat.history", Json{{"sessionKey", "agent:main:irc:group:#ops"}});
  ASSERT_TRUE(group.ok());
  EXPECT_EQ((*group)["messages"].size(), 2u);
  auto tail = c->call("logs.tail", Json{{"limit", 300}});
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(tail->dump().find("channel.inbound_denied"), std::string::npos);
}

}  // namespace
}  // namespace sctest
