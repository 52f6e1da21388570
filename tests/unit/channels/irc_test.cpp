// The IRC channel: its line parser and text rules table-driven, then the channel end to
// end against a real ngircd (started per test on free 127.0.0.1 ports with a temp config)
// with a raw-socket IRC client playing the human, and against a scripted fake server
// (tests/fakes/irc_fake_server.py) for what ngircd cannot do: SASL, a stalled link,
// garbage lines.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "channels/irc/irc_message.h"
#include "channels/irc/irc_settings.h"
#include "fakes/ngircd.h"
#include "plugins/builtin.h"
#include "unit/channels/recording_host.h"

namespace simpleclaw {
namespace {

namespace irc = channels::irc;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using testing::RecordingHost;

// --- the parser and text rules ----------------------------------------------------------

struct ParseCase {
  const char* line;
  bool ok;
  const char* prefix;
  const char* command;
  std::vector<std::string> params;
  std::vector<std::pair<std::string, std::string>> tags;
};

TEST(IrcParser, Table) {
  const std::vector<ParseCase> cases = {
      {"PING :irc.example", true, "", "PING", {"irc.example"}, {}},
      {"ping x", true, "", "PING", {"x"}, {}},
      {":n!u@h PRIVMSG #chan :hello world", true, "n!u@h", "PRIVMSG", {"#chan", "hello world"}, {}},
      {":n!u@h PRIVMSG #chan ::-) smile", true, "n!u@h", "PRIVMSG", {"#chan", ":-) smile"}, {}},
      {":n!u@h PRIVMSG #chan :", true, "n!u@h", "PRIVMSG", {"#chan", ""}, {}},
      {":srv 001 bot :Welcome", true, "srv", "001", {"bot", "Welcome"}, {}},
      {":srv   005  bot  A=1   B :are supported",
       true,
       "srv",
       "005",
       {"bot", "A=1", "B", "are supported"},
       {}},
      {"@msgid=abc;time=2024-01-01T00:00:00Z :n!u@h PRIVMSG #c :hi",
       true,
       "n!u@h",
       "PRIVMSG",
       {"#c", "hi"},
       {{"msgid", "abc"}, {"time", "2024-01-01T00:00:00Z"}}},
      {"@a=x\\:y\\sz\\\\w\\r\\n;b;c=;a=last PING 1",
       true,
       "",
       "PING",
       {"1"},
       {{"a", "last"}, {"b", ""}, {"c", ""}}},
      {"@k=trail\\ PING 1", true, "", "PING", {"1"}, {{"k", "trail"}}},
      {"@+draft/x=1;=bad PING 1", true, "", "PING", {"1"}, {{"+draft/x", "1"}}},
      // RFC 2812: after 14 middle parameters the rest is the 15th, ':' or not.
      {"CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
       true,
       "",
       "CMD",
       {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15 16"},
       {}},
      {"", false, "", "", {}, {}},
      {":", false, "", "", {}, {}},
      {": PING", false, "", "", {}, {}},
      {":prefix", false, "", "", {}, {}},
      {"@tags-only", false, "", "", {}, {}},
      {"12 x", false, "", "", {}, {}},
      {"1234 x", false, "", "", {}, {}},
      {"PRIV-MSG x", false, "", "", {}, {}},
      {"PING\r", false, "", "", {}, {}},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.line);
    auto m = irc::parse_line(c.line);
    ASSERT_EQ(m.has_value(), c.ok);
    if (!c.ok) continue;
    EXPECT_EQ(m->prefix, c.prefix);
    EXPECT_EQ(m->command, c.command);
    EXPECT_EQ(m->params, c.params);
    EXPECT_EQ(m->tags, c.tags);
  }
  auto esc = irc::parse_line("@a=x\\:y\\sz\\\\w\\r\\n PING 1");
  ASSERT_TRUE(esc);
  EXPECT_EQ(*esc->tag("a"), "x;y z\\w\r\n");
  EXPECT_EQ(esc->tag("missing"), nullptr);
  EXPECT_EQ(esc->param(7), "");
}

TEST(IrcParser, SizeLimitsAndNul) {
  std::string body = ":n!u@h PRIVMSG #c :";
  EXPECT_TRUE(irc::parse_line(body + std::string(512 - body.size(), 'x')));
  EXPECT_FALSE(irc::parse_line(body + std::string(513 - body.size(), 'x')));
  // Tags have their own budget of 8191 bytes ('@' and the space included).
  std::string tags = "@t=" + std::string(8191 - 4, 'v') + " ";
  EXPECT_TRUE(irc::parse_line(tags + body + "ok"));
  EXPECT_FALSE(irc::parse_line("@t=" + std::string(8191 - 3, 'v') + " " + body + "ok"));
  EXPECT_FALSE(irc::parse_line(std::string("PING :a\0b", 9)));
}

TEST(IrcText, PrefixAndCase) {
  EXPECT_EQ(irc::prefix_nick("nick!user@host"), "nick");
  EXPECT_EQ(irc::prefix_nick("irc.server.net"), "irc.server.net");
  EXPECT_EQ(irc::prefix_nick("nick@host"), "nick");
  EXPECT_TRUE(irc::same_name("Bot[1]", "bot{1}"));
  EXPECT_TRUE(irc::same_name("a\\b~", "A|B^"));
  EXPECT_FALSE(irc::same_name("bot", "bot_"));
  EXPECT_TRUE(irc::is_channel_name("#ops"));
  EXPECT_TRUE(irc::is_channel_name("&local"));
  EXPECT_FALSE(irc::is_channel_name("alice"));
}

TEST(IrcText, StripFormattingTable) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"plain text", "plain text"},
      {"\x02"
       "bold\x02 \x1Ditalic\x1D \x1Funder\x1F \x1Estrike\x1E \x11mono\x11 \x16rev\x16\x0F",
       "bold italic under strike mono rev"},
      {"\x03"
       "4red\x03 \x03"
       "04,12both\x03 \x03"
       "123",
       "red both 3"},
      {"\x03"
       ",5comma stays",
       ",5comma stays"},
      {"\x04"
       "FF00AAhex\x04 \x04"
       "ff0000,00ff00two",
       "hex two"},
      {"tab\tkept, bell\x07 and nul-free\x7f", "tab\tkept, bell and nul-free"},
  };
  for (const auto& [in, out] : cases) EXPECT_EQ(irc::strip_formatting(in), out) << in;
}

TEST(IrcText, Utf8Repair) {
  EXPECT_EQ(irc::to_utf8("caf\xc3\xa9"), "caf\xc3\xa9");  // valid: unchanged
  EXPECT_EQ(irc::to_utf8("caf\xe9"), "caf\xc3\xa9");      // Latin-1 é
  EXPECT_EQ(irc::to_utf8("\xff\xfe"), "\xc3\xbf\xc3\xbe");
  EXPECT_EQ(irc::to_utf8("\xe2\x82"), "\xc3\xa2\xc2\x82");  // cut sequence
}

TEST(IrcText, MentionTable) {
  struct Case {
    const char* text;
    bool mentioned;
    const char* out;
  };
  const std::vector<Case> cases = {
      {"scbot: what time is it", true, "what time is it"},
      {"SCBot,   hi", true, "hi"},
      {"scbot:", true, ""},
      {"hey scbot, help", true, "hey scbot, help"},
      {"ask @scbot please", true, "ask @scbot please"},
      {"scbot", true, "scbot"},
      {"scbot_: not me", false, "scbot_: not me"},
      {"myscbot is here", false, "myscbot is here"},
      {"scbots everywhere", false, "scbots everywhere"},
      {"nothing here", false, "nothing here"},
      {"scbo", false, "scbo"},
  };
  for (const auto& c : cases) {
    auto m = irc::detect_mention(c.text, "scbot");
    EXPECT_EQ(m.mentioned, c.mentioned) << c.text;
    EXPECT_EQ(m.text, c.out) << c.text;
  }
  EXPECT_TRUE(irc::detect_mention("bot[1]: x", "Bot{1}").mentioned);
  EXPECT_FALSE(irc::detect_mention("anything", "").mentioned);
}

TEST(IrcText, SplitText) {
  using V = std::vector<std::string>;
  EXPECT_EQ(irc::split_text("one\ntwo\r\n\n  \nthree", 100), (V{"one", "two", "three"}));
  EXPECT_EQ(irc::split_text("", 100), V{});
  EXPECT_EQ(irc::split_text(std::string_view("a\0b", 3), 100), V{"ab"});
  // Words: cut at the last space that fits, the space dropped.
  EXPECT_EQ(irc::split_text("aaaa bbbb cccc", 9), (V{"aaaa bbbb", "cccc"}));
  // No space in reach: cut at a UTF-8 boundary, nothing lost.
  std::string e;
  for (int i = 0; i < 100; ++i) e += "\xc3\xa9";  // é x 100 = 200 bytes
  auto pieces = irc::split_text(e, 15);
  std::string joined;
  for (const auto& p : pieces) {
    EXPECT_LE(p.size(), 15u);
    EXPECT_TRUE(irc::to_utf8(p) == p) << "cut inside a UTF-8 sequence";
    joined += p;
  }
  EXPECT_EQ(joined, e);
  std::string emoji;
  for (int i = 0; i < 50; ++i) emoji += "\xf0\x9f\x98\x80";
  joined.clear();
  for (const auto& p : irc::split_text(emoji, 10)) {
    EXPECT_LE(p.size(), 10u);
    EXPECT_EQ(p.size() % 4, 0u);
    joined += p;
  }
  EXPECT_EQ(joined, emoji);
}

TEST(IrcText, NickCandidatesAndBase64) {
  std::vector<std::string> got;
  for (int i = 0;; ++i) {
    auto n = irc::nick_candidate("bot", i);
    if (n.empty()) break;
    got.push_back(n);
    ASSERT_LT(i, 100) << "unbounded";
  }
  ASSERT_EQ(got.size(), 12u);
  EXPECT_EQ(got[0], "bot");
  EXPECT_EQ(got[1], "bot_");
  EXPECT_EQ(got[2], "bot__");
  EXPECT_EQ(got[3], "bot1");
  EXPECT_EQ(got[11], "bot9");
  EXPECT_EQ(irc::base64(""), "");
  EXPECT_EQ(irc::base64("f"), "Zg==");
  EXPECT_EQ(irc::base64("fo"), "Zm8=");
  EXPECT_EQ(irc::base64("foo"), "Zm9v");
  EXPECT_EQ(irc::base64(std::string("\0user\0pass", 10)), "AHVzZXIAcGFzcw==");
  EXPECT_TRUE(irc::valid_target("#ops"));
  EXPECT_FALSE(irc::valid_target("#a b"));
  EXPECT_FALSE(irc::valid_target("#a,#b"));
  EXPECT_FALSE(irc::valid_target("x\r\nQUIT"));
  EXPECT_FALSE(irc::valid_target(""));
}

// --- processes, sockets (tests/fakes/ngircd.h) --------------------------------------------

using ::fakes::ChildProcess;
using ::fakes::IrcClient;
using ::fakes::Ngircd;

std::string make_temp_dir() {
  std::string tmpl = (fs::temp_directory_path() / "sc_irc_XXXXXX").string();
  char* d = mkdtemp(tmpl.data());
  return d ? std::string(d) : std::string();
}

std::string read_file(const std::string& path) { return ::fakes::read_text_file(path); }

const char* python() {
  return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
}

std::unique_ptr<sdk::Channel> make_irc(RecordingHost& host) {
  const auto* ext = plugins::builtin_registry().channel("irc");
  if (!ext) return nullptr;
  return ext->factory(host);
}

// The account settings are checked before any connection: each bad value names what to fix.
TEST(IrcSettings, DefaultsClampsAndErrors) {
  using simpleclaw::channels::irc::read_settings;
  auto ok = read_settings(Json{{"server", "irc.example"}, {"nick", "bot"}});
  EXPECT_EQ(ok.error, "");
  EXPECT_EQ(ok.port, "6697");  // TLS on by default
  EXPECT_TRUE(ok.tls_verify);
  EXPECT_EQ(ok.username, "bot");
  EXPECT_EQ(ok.realname, "bot");
  auto plain = read_settings(Json{{"server", "s"},
                                  {"nick", "n"},
                                  {"tls", false},
                                  {"send_burst", 100000},
                                  {"ping_interval_ms", 1}});
  EXPECT_EQ(plain.port, "6667");
  EXPECT_EQ(plain.send_burst, 100);            // clamped
  EXPECT_EQ(plain.ping_interval.count(), 50);  // clamped
  auto ids = read_settings(Json{{"server", "s"},
                                {"nick", "n"},
                                {"channels", {"#a", 3, "#b"}},
                                {"allow_from", {"Alice"}},
                                {"groups", {"#A"}}});
  EXPECT_EQ(ids.channels, (std::vector<std::string>{"#a", "#b"}));
  // The joined channels too: they are groups the account answers in.
  EXPECT_EQ(ids.known_ids, (std::vector<std::string>{"Alice", "#A", "#a", "#b"}));
  struct Bad {
    Json j;
    std::string error;
  };
  std::vector<Bad> bad = {
      {Json::array(), "irc: settings must be an object"},
      {Json{{"nick", "n"}}, "irc: no server configured"},
      {Json{{"server", "s"}}, "irc: the nick is missing or not a valid IRC nick"},
      {Json{{"server", "s"}, {"nick", "#chan"}},
       "irc: the nick is missing or not a valid IRC nick"},
      {Json{{"server", "s"}, {"nick", "n"}, {"username", "a b"}},
       "irc: the username is not a valid IRC user name"},
      {Json{{"server", "s"}, {"nick", "n"}, {"password", "p\r\nQUIT"}},
       "irc: the password or realname holds a line break"},
      {Json{{"server", "s"}, {"nick", "n"}, {"sasl", {{"user", "u"}}}},
       "irc: sasl needs a user and a password"},
  };
  for (const auto& b : bad) EXPECT_EQ(read_settings(b.j).error, b.error) << b.j.dump();
}

TEST(IrcRegistry, RegisteredAsIrc) {
  const auto* ext = plugins::builtin_registry().channel("irc");
  ASSERT_NE(ext, nullptr);
  boost::asio::io_context io;
  std::string dir = make_temp_dir();
  RecordingHost host(io, "irc", Json::object(), dir + "/state");
  auto ch = ext->factory(host);
  EXPECT_EQ(ch->max_text(), 400u);
  EXPECT_FALSE(ch->supports_buttons());
  // Bad settings: reported once, asynchronously, as a clear error.
  ch->start();
  EXPECT_TRUE(host.errors_.empty()) << "no inline callback from start()";
  ASSERT_TRUE(host.run_until([&] { return !host.errors_.empty(); }, 2000));
  EXPECT_NE(host.errors_[0].find("server"), std::string::npos) << host.errors_[0];
  ch->stop();
  fs::remove_all(dir);
}

// --- against ngircd ----------------------------------------------------------------------

class IrcNgircd : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!Ngircd::installed()) GTEST_SKIP() << "ngircd is not installed";
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
  }
  void TearDown() override {
    user_.reset();
    user2_.reset();
    channel_.reset();
    ngircd_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }

  // The first call picks the port(s); later calls start the same server again.
  void start_ngircd(bool tls = false) {
    if (!ngircd_) ngircd_ = std::make_unique<Ngircd>(tls);
    ASSERT_TRUE(ngircd_->start()) << ngircd_->error();
    port_ = ngircd_->port();
    tls_port_ = ngircd_->tls_port();
  }

  Json settings(Json extra = Json::object()) {
    Json s{{"server", "127.0.0.1"}, {"port", port_},         {"tls", false},
           {"nick", "scbot"},       {"channels", {"#test"}}, {"ping_interval_ms", 2000},
           {"send_interval_ms", 0}, {"send_burst", 4}};
    s.update(extra);
    return s;
  }

  void make_channel(Json s) {
    host_ = std::make_unique<RecordingHost>(io_, "irc", std::move(s), dir_ + "/state");
    channel_ = make_irc(*host_);
    ASSERT_NE(channel_, nullptr);
  }

  // A user registered on the server and (optionally) in #test.
  std::unique_ptr<IrcClient> join_user(const std::string& nick, bool join = true) {
    auto u = std::make_unique<IrcClient>();
    EXPECT_TRUE(u->connect(port_, nick));
    EXPECT_TRUE(wait([&] {
      u->poll();
      return u->saw(" 001 ");
    }));
    if (join) {
      u->send("JOIN #test");
      EXPECT_TRUE(wait([&] {
        u->poll();
        return u->saw(" 366 ");  // end of NAMES: joined
      }));
    }
    return u;
  }

  bool wait(const std::function<bool()>& pred, int ms = 5000) {
    auto poll_all = [&] {
      if (user_) user_->poll();
      if (user2_) user2_->poll();
      return pred();
    };
    if (host_) return host_->run_until(poll_all, ms);
    auto deadline = Clock::now() + std::chrono::milliseconds(ms);
    while (!poll_all() && Clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(10));
    }
    return poll_all();
  }

  // Starts the bot and waits for connected() and for the user to see it join #test.
  void connect_bot(const std::string& nick = "scbot") {
    channel_->start();
    ASSERT_TRUE(wait([&] { return host_->connects_ > 0 || !host_->errors_.empty(); }));
    ASSERT_TRUE(host_->errors_.empty()) << host_->errors_[0];
    ASSERT_EQ(host_->connects_, 1);
    if (user_) {
      ASSERT_TRUE(wait([&] { return user_->saw(":" + nick + "!"); }));
    }
  }

  boost::asio::io_context io_;
  std::string dir_;
  int port_ = 0, tls_port_ = 0;
  std::unique_ptr<Ngircd> ngircd_;
  std::unique_ptr<RecordingHost> host_;
  std::unique_ptr<sdk::Channel> channel_;
  std::unique_ptr<IrcClient> user_, user2_;
};

TEST_F(IrcNgircd, ConnectJoinAndReceiveGroupAndDirectMessages) {
  start_ngircd();
  user_ = join_user("alice");
  make_channel(settings());
  connect_bot();
  EXPECT_NE(host_->connected_detail_.find("as scbot"), std::string::npos)
      << host_->connected_detail_;
  EXPECT_EQ(host_->window_, std::chrono::milliseconds(4000));
  EXPECT_EQ(channel_->status_extra().value("nick", ""), "scbot");

  user_->send("PRIVMSG #test :scbot: what is the \x02status\x02?");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() == 1; }));
  user_->send("PRIVMSG #test :just chatting among humans");
  user_->send("PRIVMSG #test :hey scbot, are you there");
  user_->send("PRIVMSG scbot :a private question");
  user_->send("PRIVMSG scbot :\x01VERSION\x01");  // CTCP: ignored
  user_->send("NOTICE scbot :a notice");          // NOTICE: never answered
  user_->send(
      "PRIVMSG #test :\x01"
      "ACTION waves at scbot\x01");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() >= 5; }));
  wait([] { return false; }, 200);  // nothing else trickles in
  ASSERT_EQ(host_->inbound_.size(), 5u);

  const auto& in = host_->inbound_;
  EXPECT_EQ(in[0].peer.chat_id, "#test");
  EXPECT_TRUE(in[0].peer.group);
  EXPECT_TRUE(in[0].mentioned);
  EXPECT_EQ(in[0].text, "what is the status?");
  EXPECT_EQ(in[0].sender_id, "alice");
  EXPECT_EQ(in[0].sender_name.rfind("alice!", 0), 0u) << in[0].sender_name;
  EXPECT_NE(in[0].sender_name.find('@'), std::string::npos);

  EXPECT_EQ(in[1].text, "just chatting among humans");
  EXPECT_TRUE(in[1].peer.group);
  EXPECT_FALSE(in[1].mentioned);

  EXPECT_TRUE(in[2].mentioned);
  EXPECT_EQ(in[2].text, "hey scbot, are you there");

  EXPECT_FALSE(in[3].peer.group);
  EXPECT_EQ(in[3].peer.chat_id, "alice");
  EXPECT_EQ(in[3].sender_id, "alice");
  EXPECT_EQ(in[3].text, "a private question");

  EXPECT_EQ(in[4].text, "* alice waves at scbot");
  EXPECT_TRUE(in[4].mentioned);

  std::set<std::string> ids;
  for (const auto& m : in) ids.insert(m.message_id);
  EXPECT_EQ(ids.size(), in.size()) << "message ids are unique";
  EXPECT_GT(host_->alive_, 0);

  // A reply to the DM reaches alice from the bot.
  bool done = false;
  Status st = Ok{};
  channel_->send({{"alice", false, {}}, "here is the answer", {}, {}}, [&](Status s) {
    done = true;
    st = s;
  });
  EXPECT_FALSE(done) << "done is never called inline";
  ASSERT_TRUE(wait([&] { return done && !user_->privmsgs.empty(); }));
  EXPECT_TRUE(st.ok());
  EXPECT_EQ(user_->privmsgs[0].from, "scbot");
  EXPECT_EQ(user_->privmsgs[0].target, "alice");
  EXPECT_EQ(user_->privmsgs[0].text, "here is the answer");

  // stop(): QUIT reaches the server, and no host callback afterwards.
  int errors = static_cast<int>(host_->errors_.size());
  channel_->stop();
  // ngircd relays it as QUIT :"bye".
  ASSERT_TRUE(wait([&] { return user_->saw("scbot!") && user_->saw(" QUIT :\"bye\""); }));
  EXPECT_EQ(static_cast<int>(host_->errors_.size()), errors);
}

TEST_F(IrcNgircd, IdsAreCaseInsensitiveAndUseTheConfiguredSpelling) {
  start_ngircd();
  user_ = join_user("Alice", false);
  user2_ = join_user("MiXeD", false);
  user_->send("JOIN #TeSt");  // created with this spelling
  ASSERT_TRUE(wait([&] { return user_->saw(" 366 "); }));
  make_channel(settings({{"allow_from", {"alice"}}, {"groups", {"#Test"}}}));
  connect_bot();
  user_->send("PRIVMSG scbot :dm");
  user2_->send("PRIVMSG scbot :dm too");
  user_->send("PRIVMSG #TEST :scbot: in the channel");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() == 3; }));
  std::map<std::string, sdk::InboundMessage> by_text;
  for (const auto& m : host_->inbound_) by_text[m.text] = m;
  EXPECT_EQ(by_text["dm"].sender_id, "alice");  // allow_from's spelling
  EXPECT_EQ(by_text["dm"].peer.chat_id, "alice");
  EXPECT_EQ(by_text["dm too"].sender_id, "mixed");             // not listed: lower-cased
  EXPECT_EQ(by_text["in the channel"].peer.chat_id, "#Test");  // groups' spelling
  EXPECT_EQ(by_text["in the channel"].sender_name.rfind("Alice!", 0), 0u);  // display as is
  // A reply to the id reaches the user.
  bool done = false;
  channel_->send({{"alice", false, {}}, "found you", {}, {}}, [&](Status s) { done = s.ok(); });
  ASSERT_TRUE(wait([&] { return done && !user_->privmsgs.empty(); }));
  EXPECT_EQ(user_->privmsgs[0].text, "found you");
}

TEST_F(IrcNgircd, LongMultilineSendIsSplitWithinLimitsAndFloodControlled) {
  start_ngircd();
  user_ = join_user("alice");
  make_channel(settings({{"send_burst", 2}, {"send_interval_ms", 150}}));
  connect_bot();

  std::string words;
  for (int i = 0; words.size() < 1100; ++i)
    words += (i ? " " : "") + std::string("word") + std::to_string(i);
  std::string accents;
  for (int i = 0; i < 350; ++i) accents += "\xc3\xa9";  // 700 bytes, no space
  std::string text = words + "\n\n   \nsecond line\n" + accents + "\n";

  bool done = false;
  Status st = Ok{};
  auto t0 = Clock::now();
  Clock::time_point done_at;
  channel_->send({{"#test", true, {}}, text, {}, {}}, [&](Status s) {
    done = true;
    done_at = Clock::now();
    st = s;
  });
  ASSERT_TRUE(wait([&] { return done; }, 10000));
  ASSERT_TRUE(st.ok()) << st.error().message;
  // Everything written: wait until the user has all of the accents, which come last (any
  // one accent piece ends with an accent, so that alone does not say the last has come).
  ASSERT_TRUE(wait([&] {
    std::string rest;
    bool after = false;
    for (const auto& p : user_->privmsgs) {
      if (after) rest += p.text;
      after = after || p.text == "second line";
    }
    return rest.size() >= accents.size();
  }));
  const auto& got = user_->privmsgs;
  ASSERT_GE(got.size(), 5u);
  for (const auto& p : got) {
    EXPECT_LE(p.raw.size() + 2, 512u) << p.raw;
    EXPECT_EQ(p.from, "scbot");
    EXPECT_EQ(p.target, "#test");
  }
  // Content intact and in order: the words line re-joined at its cut spaces, then the
  // second line, then the accents concatenated.
  std::size_t k = 0;
  std::string rejoined;
  while (k < got.size() && rejoined.size() < words.size())
    rejoined += (rejoined.empty() ? "" : " ") + got[k++].text;
  EXPECT_EQ(rejoined, words);
  EXPECT_GE(k, 3u) << "1100 bytes need at least three lines";
  ASSERT_LT(k, got.size());
  EXPECT_EQ(got[k++].text, "second line");
  std::string rest;
  for (; k < got.size(); ++k) rest += got[k].text;
  EXPECT_EQ(rest, accents);

  // Flood control: 2 back to back, then one per 150 ms.
  auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(done_at - t0).count();
  long long min_ms = static_cast<long long>(got.size() - 2) * 150 * 9 / 10;
  EXPECT_GE(spent, min_ms) << got.size() << " lines";
  // As received: spaced too, though a loaded machine can deliver the first paced line late
  // (which shortens this span), so only half the spacing is required here; without flood
  // control the span would be ~0.
  auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(got.back().at - got[2].at);
  EXPECT_GE(gap.count(), static_cast<long long>(got.size() - 3) * 150 / 2);
}

TEST_F(IrcNgircd, NickCollisionFallsBackToUnderscore) {
  start_ngircd();
  user_ = join_user("scbot");  // a human already holds the nick
  user2_ = join_user("alice");
  make_channel(settings());
  connect_bot("scbot_");
  EXPECT_NE(host_->connected_detail_.find("as scbot_"), std::string::npos)
      << host_->connected_detail_;
  bool diag = false;
  for (const auto& [event, fields] : host_->diagnostics_) diag |= event == "irc_nick_in_use";
  EXPECT_TRUE(diag);

  user2_->send("PRIVMSG #test :scbot_: you there?");
  user2_->send("PRIVMSG #test :scbot: the human one");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() == 2; }));
  EXPECT_TRUE(host_->inbound_[0].mentioned);
  EXPECT_EQ(host_->inbound_[0].text, "you there?");
  EXPECT_FALSE(host_->inbound_[1].mentioned) << "addressed to the other scbot";

  bool done = false;
  channel_->send({{"#test", true, {}}, "yes", {}, {}}, [&](Status) { done = true; });
  ASSERT_TRUE(wait([&] { return done && !user2_->privmsgs.empty(); }));
  EXPECT_EQ(user2_->privmsgs[0].from, "scbot_");
}

TEST_F(IrcNgircd, TlsWithPrivateCaConnects) {
  start_ngircd(/*tls=*/true);
  user_ = join_user("alice");
  make_channel(settings({{"server", "localhost"},  // SNI and host name check
                         {"port", tls_port_},
                         {"tls", true},
                         {"ca_file", ngircd_->cert_file()}}));
  connect_bot();
  EXPECT_NE(host_->connected_detail_.find("localhost:"), std::string::npos);
  user_->send("PRIVMSG scbot :over tls");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() == 1; }));
  EXPECT_EQ(host_->inbound_[0].text, "over tls");
}

TEST_F(IrcNgircd, TlsWithUntrustedCertificateFailsClearly) {
  start_ngircd(/*tls=*/true);
  make_channel(settings({{"server", "localhost"}, {"port", tls_port_}, {"tls", true}}));
  channel_->start();
  ASSERT_TRUE(wait([&] { return !host_->errors_.empty(); }));
  wait([] { return false; }, 100);
  ASSERT_EQ(host_->errors_.size(), 1u);
  EXPECT_EQ(host_->connects_, 0);
  EXPECT_NE(host_->errors_[0].find("certificate"), std::string::npos) << host_->errors_[0];
  EXPECT_NE(host_->errors_[0].find("ca_file"), std::string::npos) << host_->errors_[0];

  // The same server with verification off (operator's explicit choice) connects.
  channel_->stop();
  channel_.reset();
  make_channel(settings(
      {{"server", "127.0.0.1"}, {"port", tls_port_}, {"tls", true}, {"tls_verify", false}}));
  connect_bot();
}

TEST_F(IrcNgircd, ServerKilledIsReportedAndStartReconnects) {
  start_ngircd();
  user_ = join_user("alice");
  make_channel(settings());
  connect_bot();
  user_->send("PRIVMSG scbot :before");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() == 1; }));

  ngircd_->kill();
  ASSERT_TRUE(wait([&] { return !host_->errors_.empty(); }));
  EXPECT_FALSE(host_->is_connected_);
  bool send_failed = false;
  channel_->send({{"alice", false, {}}, "lost", {}, {}}, [&](Status s) { send_failed = !s.ok(); });
  ASSERT_TRUE(wait([&] { return send_failed; }));
  wait([] { return false; }, 200);
  EXPECT_EQ(host_->errors_.size(), 1u) << "reported once";

  start_ngircd();
  user_ = join_user("alice");
  channel_->stop();
  channel_->start();
  ASSERT_TRUE(wait([&] { return host_->connects_ == 2; }));
  user_->send("PRIVMSG scbot :after");
  ASSERT_TRUE(wait([&] { return host_->inbound_.size() == 2; }));
  EXPECT_EQ(host_->inbound_[1].text, "after");
  EXPECT_NE(host_->inbound_[1].message_id, host_->inbound_[0].message_id);
  bool done = false;
  channel_->send({{"alice", false, {}}, "back again", {}, {}}, [&](Status s) { done = s.ok(); });
  ASSERT_TRUE(wait([&] { return done && !user_->privmsgs.empty(); }));
  EXPECT_EQ(user_->privmsgs[0].text, "back again");
}

TEST_F(IrcNgircd, StopWhileConnectingIsSilent) {
  start_ngircd();
  make_channel(settings());
  channel_->start();
  channel_->stop();
  bool done = false;
  Status st = Ok{};
  channel_->send({{"#test", true, {}}, "x", {}, {}}, [&](Status s) {
    done = true;
    st = s;
  });
  EXPECT_FALSE(done);
  wait([] { return false; }, 300);
  EXPECT_TRUE(done);
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(host_->connects_, 0);
  EXPECT_TRUE(host_->errors_.empty());
  // And the object is reusable.
  channel_->start();
  ASSERT_TRUE(wait([&] { return host_->connects_ == 1; }));
  channel_.reset();  // destroying a live channel is a stop()
  wait([] { return false; }, 100);
  EXPECT_TRUE(host_->errors_.empty());
}

// --- against the scripted fake ------------------------------------------------------------

class IrcFake : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty());
    log_ = dir_ + "/received.log";
  }
  void TearDown() override {
    channel_.reset();
    fake_.reset();
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  void start_fake(const std::string& mode, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {
        python(), std::string(SIMPLECLAW_SOURCE_DIR) + "/tests/fakes/irc_fake_server.py", mode,
        log_};
    for (auto& e : extra) args.push_back(e);
    if (std::string(python()) == "python3") args.insert(args.begin(), "/usr/bin/env");
    fake_ = std::make_unique<ChildProcess>();
    ASSERT_TRUE(fake_->spawn(args, dir_ + "/fake.err", true));
    port_ = std::atoi(fake_->read_line().c_str());
    ASSERT_GT(port_, 0) << read_file(dir_ + "/fake.err");
  }
  void make_channel(Json extra = Json::object()) {
    Json s{{"server", "127.0.0.1"}, {"port", port_},      {"tls", false},
           {"nick", "scbot"},       {"channels", {"#c"}}, {"ping_interval_ms", 2000}};
    s.update(extra);
    host_ = std::make_unique<RecordingHost>(io_, "irc", s, dir_ + "/state");
    channel_ = make_irc(*host_);
    ASSERT_NE(channel_, nullptr);
  }
  bool received(const std::string& needle) {
    return read_file(log_).find(needle) != std::string::npos;
  }

  boost::asio::io_context io_;
  std::string dir_, log_;
  int port_ = 0;
  std::unique_ptr<ChildProcess> fake_;
  std::unique_ptr<RecordingHost> host_;
  std::unique_ptr<sdk::Channel> channel_;
};

TEST_F(IrcFake, SilentServerIsReportedWithinTwicePingInterval) {
  start_fake("silent");
  make_channel({{"ping_interval_ms", 300}});
  auto started = Clock::now();
  channel_->start();
  EXPECT_EQ(host_->window_, std::chrono::milliseconds(600));
  // The fake never answers JOIN: connected() comes after the join wait (<= the interval).
  ASSERT_TRUE(host_->run_until([&] { return host_->connects_ == 1; }));
  EXPECT_GT(host_->alive_, 0);
  // The server's PING is answered at once and counts as a sign of life.
  ASSERT_TRUE(host_->run_until([&] { return received("PONG :fakeping"); }));
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }, 3000));
  // The last line (the server's PING) came right after start; silence for 2 x 300 ms is
  // a stall, checked every interval/4.
  auto after = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started);
  EXPECT_GE(after.count(), 580);
  EXPECT_LE(after.count(), 1200);
  EXPECT_NE(host_->errors_[0].find("no PING/PONG"), std::string::npos) << host_->errors_[0];
  EXPECT_TRUE(received("PING :sc")) << "the client pinged the quiet link";
  host_->run_until([] { return false; }, 300);
  EXPECT_EQ(host_->errors_.size(), 1u) << "reported once";
}

TEST_F(IrcFake, SaslPlainLogsIn) {
  start_fake("sasl", {"botacct", "s3cret-pw"});
  make_channel({{"sasl", {{"user", "botacct"}, {"password", "s3cret-pw"}}}});
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return host_->connects_ == 1 || !host_->errors_.empty(); }));
  ASSERT_TRUE(host_->errors_.empty()) << host_->errors_[0];
  std::string log = read_file(log_);
  std::string payload = irc::base64(std::string("\0botacct\0s3cret-pw", 18));
  EXPECT_NE(log.find("CAP REQ :sasl"), std::string::npos) << log;
  EXPECT_NE(log.find("AUTHENTICATE PLAIN"), std::string::npos);
  EXPECT_NE(log.find("AUTHENTICATE " + payload), std::string::npos);
  EXPECT_LT(log.find("AUTHENTICATE " + payload), log.find("CAP END"));
  EXPECT_TRUE(host_->run_until([&] { return received("JOIN #c"); }));
}

TEST_F(IrcFake, SaslWrongPasswordFailsWithoutLeakingIt) {
  start_fake("sasl", {"botacct", "right-password"});
  make_channel({{"sasl", {{"user", "botacct"}, {"password", "wrong-pass-123"}}}});
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  EXPECT_EQ(host_->connects_, 0);
  const std::string& e = host_->errors_[0];
  EXPECT_NE(e.find("SASL"), std::string::npos) << e;
  EXPECT_NE(e.find("904"), std::string::npos) << e;
  EXPECT_EQ(e.find("wrong-pass-123"), std::string::npos) << e;
  for (const auto& [event, fields] : host_->diagnostics_)
    EXPECT_EQ(fields.dump().find("wrong-pass-123"), std::string::npos);
  host_->run_until([] { return false; }, 200);
  EXPECT_EQ(host_->errors_.size(), 1u);
}

TEST_F(IrcFake, SaslRequiredButNotOfferedFails) {
  start_fake("silent");  // offers multi-prefix only
  make_channel({{"sasl", {{"user", "u"}, {"password", "pw-xyz"}}}});
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  EXPECT_NE(host_->errors_[0].find("does not offer SASL"), std::string::npos) << host_->errors_[0];
  EXPECT_EQ(host_->connects_, 0);
}

TEST_F(IrcFake, GarbageAndOverlongLinesAreSkipped) {
  start_fake("garbage");
  make_channel();
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] {
    return (!host_->inbound_.empty() && host_->inbound_.back().text == "after the garbage") ||
           !host_->errors_.empty();
  }));
  ASSERT_TRUE(host_->errors_.empty()) << host_->errors_[0];
  // connected() may come after the messages (it waits for the JOIN): wait for it too.
  EXPECT_TRUE(host_->run_until([&] { return host_->connects_ == 1; }, 12000));
  ASSERT_EQ(host_->inbound_.size(), 2u) << "only the two well-formed messages";
  EXPECT_EQ(host_->inbound_[0].text, "caf\xc3\xa9 bold red ok");
  EXPECT_TRUE(host_->inbound_[0].mentioned);
  EXPECT_EQ(host_->inbound_[0].sender_id, "x");
  bool too_long = false, malformed = false;
  for (const auto& [event, fields] : host_->diagnostics_) {
    if (event != "irc_line_dropped") continue;
    too_long |= fields.value("reason", "") == "too_long";
    malformed |= fields.value("reason", "") == "malformed";
  }
  EXPECT_TRUE(too_long);
  EXPECT_TRUE(malformed);
  // Still usable.
  bool done = false;
  channel_->send({{"#c", true, {}}, "still here", {}, {}}, [&](Status s) { done = s.ok(); });
  ASSERT_TRUE(host_->run_until([&] { return done && received("PRIVMSG #c :still here"); }));
}

}  // namespace
}  // namespace simpleclaw
