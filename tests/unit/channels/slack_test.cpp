// The Slack channel: the pure envelope parsing and message building from tables, then
// the connector end to end against tests/fakes/fake_slack.py (Web API + Socket Mode),
// driven through the SDK with a RecordingHost.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>

#include "channels/slack/slack_events.h"
#include "net/http_client.h"
#include "plugins/builtin.h"
#include "proc/subprocess.h"
#include "unit/channels/recording_host.h"

namespace simpleclaw::channels::slack {
namespace {

const Identity kSlackMe{"UBOT", "B0001", "clawbot"};

std::string events_api(const Json& event, const std::string& id = "e1") {
  return Json{{"envelope_id", id},
              {"type", "events_api"},
              {"payload", {{"type", "event_callback"}, {"event", event}}}}
      .dump();
}

struct SlackParseCase {
  const char* name;
  std::string frame;
  Envelope::Kind kind;
  std::string envelope_id;
  // For kMessage:
  std::string sender_id, chat_id, thread_id, text, message_id;
  bool group = false, mentioned = false;
};

class ParseTable : public ::testing::TestWithParam<SlackParseCase> {};

TEST_P(ParseTable, Envelope) {
  const auto& c = GetParam();
  Envelope e = parse_envelope(c.frame, kSlackMe);
  EXPECT_EQ(e.kind, c.kind) << c.name << ": " << e.reason;
  EXPECT_EQ(e.envelope_id, c.envelope_id) << c.name;
  if (c.kind == Envelope::kMessage) {
    EXPECT_EQ(e.message.sender_id, c.sender_id) << c.name;
    EXPECT_EQ(e.message.peer.chat_id, c.chat_id) << c.name;
    EXPECT_EQ(e.message.peer.group, c.group) << c.name;
    EXPECT_EQ(e.message.peer.thread_id, c.thread_id) << c.name;
    EXPECT_EQ(e.message.text, c.text) << c.name;
    EXPECT_EQ(e.message.mentioned, c.mentioned) << c.name;
    EXPECT_EQ(e.message.message_id, c.message_id) << c.name;
    EXPECT_EQ(e.dedupe_key, c.message_id) << c.name;
  }
}

Json slack_msg(const char* channel, const char* user, const char* text, const char* ts = "1.1") {
  return {{"type", "message"}, {"channel", channel}, {"user", user}, {"text", text}, {"ts", ts}};
}
Json slack_with(Json j, const char* k, Json v) {
  j[k] = std::move(v);
  return j;
}

INSTANTIATE_TEST_SUITE_P(
    Slack, ParseTable,
    ::testing::Values(
        SlackParseCase{"hello", R"({"type":"hello","num_connections":1})", Envelope::kHello, ""},
        SlackParseCase{"disconnect", R"({"type":"disconnect","reason":"refresh_requested"})",
                       Envelope::kDisconnect, ""},
        SlackParseCase{
            "im message",
            events_api(slack_with(slack_msg("D1", "U1", "hi there"), "channel_type", "im")),
            Envelope::kMessage, "e1", "U1", "D1", "", "hi there", "D1:1.1", false, false},
        SlackParseCase{"channel message with mention stripped",
                       events_api(slack_with(slack_msg("C1", "U1", "<@UBOT> status?"),
                                             "channel_type", "channel")),
                       Envelope::kMessage, "e1", "U1", "C1", "", "status?", "C1:1.1", true, true},
        SlackParseCase{"mention with label in the middle",
                       events_api(slack_msg("C1", "U1", "hey <@UBOT|clawbot> there")),
                       Envelope::kMessage, "e1", "U1", "C1", "", "hey there", "C1:1.1", true, true},
        SlackParseCase{"someone else's mention is not ours",
                       events_api(slack_msg("C1", "U1", "ask <@UBOTX> and <@U2>")),
                       Envelope::kMessage, "e1", "U1", "C1", "", "ask <@UBOTX> and <@U2>", "C1:1.1",
                       true, false},
        SlackParseCase{"app_mention is mentioned, thread kept",
                       events_api(slack_with(slack_with(slack_msg("C1", "U1", "<@UBOT> go", "2.2"),
                                                        "type", "app_mention"),
                                             "thread_ts", "1.0")),
                       Envelope::kMessage, "e1", "U1", "C1", "1.0", "go", "C1:2.2", true, true},
        SlackParseCase{"entities unescaped",
                       events_api(slack_with(slack_msg("D1", "U1", "a &lt;b&gt; &amp;amp;"),
                                             "channel_type", "im")),
                       Envelope::kMessage, "e1", "U1", "D1", "", "a <b> &amp;", "D1:1.1", false,
                       false},
        SlackParseCase{
            "thread_broadcast delivered",
            events_api(slack_with(slack_msg("C1", "U1", "x"), "subtype", "thread_broadcast")),
            Envelope::kMessage, "e1", "U1", "C1", "", "x", "C1:1.1", true, false},
        SlackParseCase{
            "message_changed ignored",
            events_api(slack_with(slack_msg("C1", "U1", "x"), "subtype", "message_changed")),
            Envelope::kIgnored, "e1"},
        SlackParseCase{"bot message ignored",
                       events_api(slack_with(slack_msg("C1", "U1", "x"), "bot_id", "B9")),
                       Envelope::kIgnored, "e1"},
        SlackParseCase{"our own message ignored", events_api(slack_msg("C1", "UBOT", "x")),
                       Envelope::kIgnored, "e1"},
        SlackParseCase{"other event type ignored",
                       events_api({{"type", "reaction_added"}, {"user", "U1"}}), Envelope::kIgnored,
                       "e1"},
        SlackParseCase{"only a mention: nothing to say",
                       events_api(slack_msg("C1", "U1", " <@UBOT> ")), Envelope::kIgnored, "e1"},
        SlackParseCase{"text of the wrong type",
                       events_api(slack_with(slack_msg("C1", "U1", "x"), "text", 5)),
                       Envelope::kMalformed, "e1"},
        SlackParseCase{
            "missing ts",
            events_api({{"type", "message"}, {"channel", "C1"}, {"user", "U1"}, {"text", "x"}}),
            Envelope::kMalformed, "e1"},
        SlackParseCase{"event not an object",
                       R"({"envelope_id":"e7","type":"events_api","payload":{"event":[1]}})",
                       Envelope::kMalformed, "e7"},
        SlackParseCase{"no type but an id", R"({"envelope_id":"e8"})", Envelope::kMalformed, "e8"},
        SlackParseCase{"envelope id not a string", R"({"envelope_id":5,"type":"hello"})",
                       Envelope::kHello, ""},
        SlackParseCase{"not JSON", "{nope", Envelope::kMalformed, ""},
        SlackParseCase{"JSON array", "[1,2]", Envelope::kMalformed, ""},
        SlackParseCase{"slash command without a command: acked, malformed",
                       R"({"envelope_id":"e9","type":"slash_commands","payload":{}})",
                       Envelope::kMalformed, "e9"},
        SlackParseCase{"unknown envelope type acked but ignored",
                       R"({"envelope_id":"e10","type":"shortcut_v9","payload":{}})",
                       Envelope::kIgnored, "e10"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(SlackParse, SlashCommandBecomesAMessageWithTheCommandText) {
  Json env{{"envelope_id", "s1"},
           {"type", "slash_commands"},
           {"accepts_response_payload", true},
           {"payload",
            {{"token", "x"},
             {"team_id", "T1"},
             {"channel_id", "D42"},
             {"channel_name", "directmessage"},
             {"user_id", "U7"},
             {"user_name", "ann"},
             {"command", "/approve"},
             {"text", " ab12cd34   deny "},
             {"response_url", "https://hooks.slack.com/commands/x"},
             {"trigger_id", "123.456.abc"}}}};
  Envelope e = parse_envelope(env.dump(), kSlackMe);
  ASSERT_EQ(e.kind, Envelope::kMessage) << e.reason;
  EXPECT_EQ(e.envelope_id, "s1");
  EXPECT_EQ(e.message.sender_id, "U7");
  EXPECT_EQ(e.message.sender_name, "ann");
  EXPECT_EQ(e.message.peer.chat_id, "D42");
  EXPECT_FALSE(e.message.peer.group);
  EXPECT_EQ(e.message.text, "/approve ab12cd34   deny");
  EXPECT_TRUE(e.message.mentioned);
  EXPECT_EQ(e.message.message_id, "D42:cmd:123.456.abc");
  EXPECT_EQ(e.dedupe_key, e.message.message_id);
  // In a channel: a group message; no trigger_id: the envelope names it.
  env["payload"]["channel_id"] = "C5";
  env["payload"].erase("trigger_id");
  env["payload"]["text"] = "";
  e = parse_envelope(env.dump(), kSlackMe);
  ASSERT_EQ(e.kind, Envelope::kMessage) << e.reason;
  EXPECT_TRUE(e.message.peer.group);
  EXPECT_EQ(e.message.text, "/approve");
  EXPECT_EQ(e.message.message_id, "C5:cmd:s1");
  // Wrong shapes are malformed but still acknowledged.
  env["payload"]["user_id"] = 7;
  e = parse_envelope(env.dump(), kSlackMe);
  EXPECT_EQ(e.kind, Envelope::kMalformed);
  EXPECT_EQ(e.envelope_id, "s1");
  env["payload"]["user_id"] = "U7";
  env["payload"]["command"] = "approve";
  EXPECT_EQ(parse_envelope(env.dump(), kSlackMe).kind, Envelope::kMalformed);
  env["payload"] = "nope";
  EXPECT_EQ(parse_envelope(env.dump(), kSlackMe).kind, Envelope::kMalformed);
}

TEST(SlackParse, BlockActionsBecomeButtonPress) {
  Json env{{"envelope_id", "b1"},
           {"type", "interactive"},
           {"payload",
            {{"type", "block_actions"},
             {"user", {{"id", "U7"}, {"username", "ann"}}},
             {"channel", {{"id", "C5"}, {"name", "ops"}}},
             {"container", {{"type", "message"}, {"channel_id", "C5"}, {"thread_ts", "9.9"}}},
             {"actions", {{{"action_id", "sc_button_0"}, {"value", "approve:42"}}}}}}};
  Envelope e = parse_envelope(env.dump(), kSlackMe);
  ASSERT_EQ(e.kind, Envelope::kButton) << e.reason;
  EXPECT_EQ(e.envelope_id, "b1");
  EXPECT_EQ(e.button.sender_id, "U7");
  EXPECT_EQ(e.button.sender_name, "ann");
  EXPECT_EQ(e.button.peer.chat_id, "C5");
  EXPECT_TRUE(e.button.peer.group);
  EXPECT_EQ(e.button.peer.thread_id, "9.9");
  EXPECT_EQ(e.button.data, "approve:42");

  // In a DM, from the container only, and an action without a value is not ours.
  env["payload"].erase("channel");
  env["payload"]["container"] = {{"channel_id", "D3"}};
  e = parse_envelope(env.dump(), kSlackMe);
  ASSERT_EQ(e.kind, Envelope::kButton) << e.reason;
  EXPECT_EQ(e.button.peer.chat_id, "D3");
  EXPECT_FALSE(e.button.peer.group);
  EXPECT_EQ(e.button.peer.thread_id, "");
  env["payload"]["actions"][0].erase("value");
  EXPECT_EQ(parse_envelope(env.dump(), kSlackMe).kind, Envelope::kIgnored);
  env["payload"]["actions"] = Json::array();
  e = parse_envelope(env.dump(), kSlackMe);
  EXPECT_EQ(e.kind, Envelope::kMalformed);
  EXPECT_EQ(e.envelope_id, "b1");
  env["payload"]["type"] = "view_submission";
  EXPECT_EQ(parse_envelope(env.dump(), kSlackMe).kind, Envelope::kIgnored);
}

TEST(SlackParse, OversizedInputIsBounded) {
  std::string big(kMaxFrameBytes + 1, ' ');
  EXPECT_EQ(parse_envelope(big, kSlackMe).kind, Envelope::kMalformed);
  Envelope e = parse_envelope(
      events_api(slack_msg("C1", "U1", std::string(kMaxInboundTextBytes + 1, 'x').c_str())),
      kSlackMe);
  EXPECT_EQ(e.kind, Envelope::kIgnored);
  EXPECT_EQ(e.envelope_id, "e1");
  e = parse_envelope(
      Json{{"envelope_id", std::string(kMaxEnvelopeIdBytes + 1, 'e')}, {"type", "hello"}}.dump(),
      kSlackMe);
  EXPECT_EQ(e.envelope_id, "");
  // Deep nesting is parsed without recursion and refused as a shape, not a crash.
  std::string deep = R"({"envelope_id":"d","type":"events_api","payload":)" +
                     std::string(10000, '[') + std::string(10000, ']') + "}";
  e = parse_envelope(deep, kSlackMe);
  EXPECT_EQ(e.kind, Envelope::kMalformed);
  EXPECT_EQ(e.envelope_id, "d");
}

TEST(SlackBuild, PostMessageBody) {
  sdk::OutboundMessage m;
  m.peer = {"C1", true, "5.5"};
  m.text = "a < b & c";
  Json j = build_post_message(m);
  EXPECT_EQ(j["channel"], "C1");
  EXPECT_EQ(j["text"], "a &lt; b &amp; c");
  EXPECT_EQ(j["thread_ts"], "5.5");
  EXPECT_FALSE(j.contains("blocks"));

  // A reply to a top-level message stays at the top level: reply_to (set on a reply's
  // first chunk only) must not start a thread the later chunks are not in.
  m.peer.thread_id.clear();
  m.reply_to = "C1:7.7";
  EXPECT_FALSE(build_post_message(m).contains("thread_ts"));

  m.buttons = {{"Approve", "approve:1"}, {"Deny", "deny:1"}};
  m.text = std::string(4000, 'x');
  j = build_post_message(m);
  ASSERT_TRUE(j["blocks"].is_array());
  ASSERT_EQ(j["blocks"].size(), 3u);  // 3000 + 1000 bytes of text, then the actions
  EXPECT_EQ(j["blocks"][0]["text"]["text"].get<std::string>().size(), 3000u);
  const Json& actions = j["blocks"][2];
  EXPECT_EQ(actions["type"], "actions");
  ASSERT_EQ(actions["elements"].size(), 2u);
  EXPECT_EQ(actions["elements"][0]["value"], "approve:1");
  EXPECT_EQ(actions["elements"][1]["text"]["text"], "Deny");
  EXPECT_NE(actions["elements"][0]["action_id"], actions["elements"][1]["action_id"]);
}

TEST(SlackBuild, SectionsNeverCutUtf8OrExceedTheLimit) {
  sdk::OutboundMessage m;
  m.peer = {"D1", false, ""};
  m.buttons = {{"ok", "ok"}};
  for (int i = 0; i < 700; ++i) m.text += "é&<";  // 4 bytes raw, 11 escaped
  Json j = build_post_message(m);
  std::string joined;
  for (const auto& b : j["blocks"]) {
    if (b["type"] != "section") continue;
    std::string t = b["text"]["text"];
    EXPECT_LE(t.size(), 3000u);
    joined += unescape_text(t);
  }
  EXPECT_EQ(joined, m.text);
}

TEST(SlackRecentIds, BoundedAndRemembers) {
  RecentIds ids(3);
  EXPECT_TRUE(ids.insert("a"));
  EXPECT_FALSE(ids.insert("a"));
  EXPECT_TRUE(ids.insert("b"));
  EXPECT_TRUE(ids.insert("c"));
  EXPECT_TRUE(ids.insert("d"));  // forgets "a"
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.insert("a"));
  EXPECT_FALSE(ids.insert("d"));
}

// ---- End to end against tests/fakes/fake_slack.py --------------------------------------

// The fake as a child process on the test's loop, and its control API.
class FakeSlack {
 public:
  FakeSlack(boost::asio::io_context& io, double ping_interval_s = 0) : io_(io) {
    proc::ProcessSpec spec;
    std::string py = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    spec.argv = {py,
                 SIMPLECLAW_SOURCE_DIR "/tests/fakes/fake_slack.py",
                 "--app-token",
                 "xapp-good",
                 "--bot-token",
                 "xoxb-good",
                 "--ping-interval",
                 std::to_string(ping_interval_s)};
    spec.env = proc::scrubbed_env();
    spec.pipe_stdin = true;  // the fake exits when its stdin closes
    spec.merge_stderr = true;
    proc::ProcessCallbacks cb;
    cb.on_stdout = [this](std::string_view s) { out_.append(s); };
    auto p = proc::Process::spawn(io_, spec, cb);
    if (!p.ok()) return;
    proc_ = *p;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (out_.find('\n') == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(20));
    }
    Json j = Json::parse(out_.substr(0, out_.find('\n')), nullptr, false);
    if (j.is_object() && j.contains("http")) http_port_ = j["http"].get<int>();
  }
  ~FakeSlack() {
    if (proc_) proc_->kill_group();
  }
  bool ok() const { return http_port_ > 0; }
  std::string output() const { return out_; }
  std::string api_base() const { return base() + "/api"; }

  // One control call; runs the loop (so the channel runs too) until it is answered.
  Json control(const std::string& path, const Json& body = nullptr) {
    net::HttpRequest req;
    req.method = body.is_null() ? "GET" : "POST";
    req.url = base() + path;
    if (!body.is_null()) req.body = body.dump();
    auto got = std::make_shared<std::string>();
    auto done = std::make_shared<bool>(false);
    net::HttpCallbacks cb;
    cb.on_body = [got](std::string_view s) { got->append(s); };
    cb.on_done = [done](const net::HttpError*) { *done = true; };
    net::HttpOptions opts;
    opts.proxy = "";
    auto call = net::http_start(io_, req, opts, cb);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!*done && std::chrono::steady_clock::now() < deadline) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return Json::parse(*got, nullptr, false);
  }
  Json state() { return control("/control/state"); }
  std::string event(const Json& ev) {
    return control("/control/event", {{"event", ev}}).value("envelope_id", "");
  }

 private:
  std::string base() const { return "http://127.0.0.1:" + std::to_string(http_port_); }
  boost::asio::io_context& io_;
  std::shared_ptr<proc::Process> proc_;
  std::string out_;
  int http_port_ = 0;
};

bool contains(const Json& arr, const std::string& v) {
  for (const auto& x : arr)
    if (x == v) return true;
  return false;
}

class SlackChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeSlack>(io_, ping_interval_s_);
    ASSERT_TRUE(fake_->ok()) << "fake_slack.py did not start: " << fake_->output();
  }
  void TearDown() override {
    if (channel_) channel_->stop();
    channel_.reset();
    host_.reset();
    fake_.reset();
  }
  Json settings(const std::string& app = "xapp-good", const std::string& bot = "xoxb-good") {
    return {{"app_token", app},
            {"bot_token", bot},
            {"api_base", fake_->api_base()},
            {"ping_interval_ms", ping_interval_ms_}};
  }
  void make(Json s) {
    channel_.reset();  // before the host it refers to
    dir_ = std::filesystem::temp_directory_path() / ("slack_test_" + std::to_string(::getpid()));
    host_ = std::make_unique<testing::RecordingHost>(io_, "slack", std::move(s), dir_.string());
    const auto* ext = plugins::builtin_registry().channel("slack");
    ASSERT_NE(ext, nullptr);
    channel_ = ext->factory(*host_);
  }
  void connect() {
    make(settings());
    channel_->start();
    ASSERT_TRUE(host_->run_until([&] { return host_->is_connected_; }))
        << (host_->errors_.empty() ? "" : host_->errors_.back());
  }
  // Waits until the fake recorded the ack for `id` (so the channel has processed it).
  bool acked(const std::string& id) {
    for (int i = 0; i < 100; ++i) {
      if (contains(fake_->state()["acks"], id)) return true;
      host_->run_until([] { return false; }, 20);
    }
    return false;
  }
  Status send(sdk::OutboundMessage m) {
    std::optional<Status> st;
    channel_->send(std::move(m), [&](Status s) { st = std::move(s); });
    host_->run_until([&] { return st.has_value(); }, 8000);
    return st ? *st : Status(Error::invalid("send never completed"));
  }

  double ping_interval_s_ = 0;
  long long ping_interval_ms_ = 30000;
  boost::asio::io_context io_;
  std::unique_ptr<FakeSlack> fake_;
  std::filesystem::path dir_;
  std::unique_ptr<testing::RecordingHost> host_;
  std::unique_ptr<sdk::Channel> channel_;
};

TEST_F(SlackChannelTest, ConnectedAfterHello) {
  connect();
  EXPECT_EQ(host_->connected_detail_, "@clawbot");
  EXPECT_EQ(host_->window_, std::chrono::milliseconds(60000));
  EXPECT_EQ(channel_->max_text(), 4000u);
  EXPECT_TRUE(channel_->supports_buttons());
  EXPECT_EQ(channel_->status_extra()["botUserId"], "UBOT");
  Json st = fake_->state();
  EXPECT_EQ(st["opens"], 1);
  EXPECT_EQ(st["connections"], 1);
  EXPECT_TRUE(host_->errors_.empty());
}

TEST_F(SlackChannelTest, ImMessageBecomesDirectMessage) {
  connect();
  std::string id = fake_->event({{"type", "message"},
                                 {"channel", "D42"},
                                 {"channel_type", "im"},
                                 {"user", "U1"},
                                 {"text", "hello bot"},
                                 {"ts", "100.1"}});
  ASSERT_TRUE(host_->run_until([&] { return !host_->inbound_.empty(); }));
  const auto& m = host_->inbound_[0];
  EXPECT_EQ(m.sender_id, "U1");
  EXPECT_EQ(m.peer.chat_id, "D42");
  EXPECT_FALSE(m.peer.group);
  EXPECT_EQ(m.peer.thread_id, "");
  EXPECT_EQ(m.text, "hello bot");
  EXPECT_EQ(m.message_id, "D42:100.1");
  EXPECT_TRUE(acked(id));
  EXPECT_GT(host_->alive_, 0);
}

TEST_F(SlackChannelTest, ChannelMentionStrippedAndAppMentionNotDeliveredTwice) {
  connect();
  Json ev{{"type", "message"},
          {"channel", "C9"},
          {"channel_type", "channel"},
          {"user", "U1"},
          {"text", "<@UBOT> what is up"},
          {"ts", "200.2"}};
  std::string a = fake_->event(ev);
  ev["type"] = "app_mention";
  ev.erase("channel_type");
  std::string b = fake_->event(ev);
  ASSERT_TRUE(acked(a));
  ASSERT_TRUE(acked(b));
  host_->run_until([] { return false; }, 100);
  ASSERT_EQ(host_->inbound_.size(), 1u);
  const auto& m = host_->inbound_[0];
  EXPECT_TRUE(m.mentioned);
  EXPECT_TRUE(m.peer.group);
  EXPECT_EQ(m.peer.chat_id, "C9");
  EXPECT_EQ(m.text, "what is up");
  EXPECT_EQ(m.message_id, "C9:200.2");
  // A later message without a mention is delivered, not mentioned.
  fake_->event({{"type", "message"},
                {"channel", "C9"},
                {"channel_type", "channel"},
                {"user", "U1"},
                {"text", "just chatting"},
                {"ts", "201.0"}});
  ASSERT_TRUE(host_->run_until([&] { return host_->inbound_.size() == 2; }));
  EXPECT_FALSE(host_->inbound_[1].mentioned);
}

TEST_F(SlackChannelTest, ThreadedMessageAndReplyInThread) {
  connect();
  fake_->event({{"type", "app_mention"},
                {"channel", "C9"},
                {"user", "U1"},
                {"text", "<@UBOT> in a thread"},
                {"ts", "300.3"},
                {"thread_ts", "299.0"}});
  ASSERT_TRUE(host_->run_until([&] { return !host_->inbound_.empty(); }));
  sdk::Peer peer = host_->inbound_[0].peer;
  EXPECT_EQ(peer.thread_id, "299.0");
  sdk::OutboundMessage out;
  out.peer = peer;
  out.text = "answer <here> & now";
  Status st = send(out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  Json posts = fake_->state()["posts"];
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["channel"], "C9");
  EXPECT_EQ(posts[0]["thread_ts"], "299.0");
  EXPECT_EQ(posts[0]["text"], "answer &lt;here&gt; &amp; now");
  EXPECT_FALSE(posts[0].contains("blocks"));
}

TEST_F(SlackChannelTest, ButtonsPostedAsBlocksAndPressesReachTheHost) {
  connect();
  sdk::OutboundMessage out;
  out.peer = {"D42", false, ""};
  out.text = "Run `rm -rf build`?";
  out.buttons = {{"Approve", "ap:1:yes"}, {"Deny", "ap:1:no"}};
  Status st = send(out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  Json posts = fake_->state()["posts"];
  ASSERT_EQ(posts.size(), 1u);
  const Json& blocks = posts[0]["blocks"];
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0]["type"], "section");
  EXPECT_EQ(blocks[0]["text"]["text"], "Run `rm -rf build`?");
  EXPECT_EQ(blocks[1]["type"], "actions");
  ASSERT_EQ(blocks[1]["elements"].size(), 2u);
  EXPECT_EQ(blocks[1]["elements"][0]["value"], "ap:1:yes");
  EXPECT_EQ(blocks[1]["elements"][1]["value"], "ap:1:no");

  Json payload{{"type", "block_actions"},
               {"user", {{"id", "U1"}, {"username", "ann"}}},
               {"channel", {{"id", "D42"}}},
               {"container", {{"type", "message"}, {"channel_id", "D42"}}},
               {"actions", {{{"action_id", "sc_button_0"}, {"value", "ap:1:yes"}}}}};
  std::string id =
      fake_->control("/control/interactive", {{"payload", payload}}).value("envelope_id", "");
  ASSERT_TRUE(host_->run_until([&] { return !host_->buttons_.empty(); }));
  EXPECT_EQ(host_->buttons_[0].sender_id, "U1");
  EXPECT_EQ(host_->buttons_[0].peer.chat_id, "D42");
  EXPECT_FALSE(host_->buttons_[0].peer.group);
  EXPECT_EQ(host_->buttons_[0].data, "ap:1:yes");
  EXPECT_TRUE(acked(id));
}

TEST_F(SlackChannelTest, DisconnectEnvelopeThenRestartOpensAFreshConnection) {
  connect();
  fake_->control("/control/inject",
                 {{"frame", {{"type", "disconnect"}, {"reason", "refresh_requested"}}}});
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  EXPECT_NE(host_->errors_[0].find("slack asked to reconnect"), std::string::npos)
      << host_->errors_[0];
  EXPECT_FALSE(host_->is_connected_);
  host_->run_until([] { return false; }, 200);
  EXPECT_EQ(host_->errors_.size(), 1u);  // reported once (the socket's close is not another)
  channel_->stop();
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return host_->is_connected_; }));
  EXPECT_EQ(host_->connects_, 2);
  EXPECT_EQ(fake_->state()["opens"], 2);
  // And the new socket works.
  fake_->event({{"type", "message"},
                {"channel", "D1"},
                {"channel_type", "im"},
                {"user", "U1"},
                {"text", "still there?"},
                {"ts", "400.0"}});
  ASSERT_TRUE(host_->run_until([&] { return !host_->inbound_.empty(); }));
}

TEST_F(SlackChannelTest, BadAppTokenIsAClearErrorWithoutTheToken) {
  make(settings("xapp-wrong-secret"));
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  const std::string& e = host_->errors_[0];
  EXPECT_NE(e.find("app_token"), std::string::npos) << e;
  EXPECT_NE(e.find("invalid_auth"), std::string::npos) << e;
  EXPECT_EQ(e.find("wrong-secret"), std::string::npos) << e;
  EXPECT_FALSE(host_->is_connected_);
  EXPECT_EQ(fake_->state()["opens"], 0);
}

TEST_F(SlackChannelTest, BadBotTokenNamesBotToken) {
  make(settings("xapp-good", "xoxb-wrong-secret"));
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  const std::string& e = host_->errors_[0];
  EXPECT_NE(e.find("bot_token"), std::string::npos) << e;
  EXPECT_EQ(e.find("wrong-secret"), std::string::npos) << e;
  // Swapped tokens are caught before any request.
  channel_->stop();
  host_->errors_.clear();
  make(settings("xoxb-good", "xapp-good"));
  channel_->start();
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  EXPECT_NE(host_->errors_[0].find("app_token"), std::string::npos) << host_->errors_[0];
}

TEST_F(SlackChannelTest, OwnAndBotMessagesIgnored) {
  connect();
  std::string a = fake_->event({{"type", "message"},
                                {"channel", "C9"},
                                {"user", "UBOT"},
                                {"text", "my own reply"},
                                {"ts", "500.1"}});
  std::string b = fake_->event({{"type", "message"},
                                {"channel", "C9"},
                                {"user", "U5"},
                                {"bot_id", "B77"},
                                {"text", "another bot"},
                                {"ts", "500.2"}});
  std::string c = fake_->event(
      {{"type", "message"}, {"subtype", "message_changed"}, {"channel", "C9"}, {"ts", "500.3"}});
  ASSERT_TRUE(acked(a));
  ASSERT_TRUE(acked(b));
  ASSERT_TRUE(acked(c));
  host_->run_until([] { return false; }, 100);
  EXPECT_TRUE(host_->inbound_.empty());
}

TEST_F(SlackChannelTest, MalformedEnvelopesAckedOrIgnoredWithoutCrash) {
  connect();
  fake_->control("/control/inject", {{"raw", "{not json"}});
  fake_->control("/control/inject", {{"raw", "[]"}});
  fake_->control("/control/inject", {{"frame", {{"envelope_id", "m1"}}}});
  fake_->control("/control/inject",
                 {{"frame", {{"envelope_id", "m2"}, {"type", "events_api"}, {"payload", 7}}}});
  fake_->control("/control/inject",
                 {{"frame",
                   {{"envelope_id", "m3"},
                    {"type", "events_api"},
                    {"payload", {{"event", {{"type", "message"}, {"user", 5}}}}}}}});
  EXPECT_TRUE(acked("m1"));
  EXPECT_TRUE(acked("m2"));
  EXPECT_TRUE(acked("m3"));
  int malformed = 0;
  for (const auto& [ev, f] : host_->diagnostics_) malformed += ev == "slack_malformed_envelope";
  EXPECT_EQ(malformed, 5);
  // Still connected and working.
  EXPECT_TRUE(host_->is_connected_);
  EXPECT_TRUE(host_->errors_.empty());
  fake_->event({{"type", "message"},
                {"channel", "D1"},
                {"channel_type", "im"},
                {"user", "U1"},
                {"text", "ok?"},
                {"ts", "600.0"}});
  ASSERT_TRUE(host_->run_until([&] { return host_->inbound_.size() == 1; }));
}

TEST_F(SlackChannelTest, RateLimitedSendHonoursRetryAfterOnce) {
  connect();
  fake_->control("/control/ratelimit", {{"count", 1}});
  sdk::OutboundMessage out;
  out.peer = {"D1", false, ""};
  out.text = "after the limit";
  auto t0 = std::chrono::steady_clock::now();
  Status st = send(out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(900));
  Json s = fake_->state();
  EXPECT_EQ(s["limited"].size(), 1u);
  EXPECT_EQ(s["posts"].size(), 1u);
  // Limited twice in a row: the error goes back to the host with the wait.
  fake_->control("/control/ratelimit", {{"count", 2}});
  st = send(out);
  ASSERT_FALSE(st.ok());
  EXPECT_TRUE(st.error().retry_after_ms.has_value());
  EXPECT_EQ(fake_->state()["posts"].size(), 1u);
}

TEST_F(SlackChannelTest, SendErrorIsReported) {
  connect();
  sdk::OutboundMessage out;
  out.peer = {"", false, ""};
  out.text = "nowhere";
  EXPECT_FALSE(send(out).ok());
}

// A DM addressed by user (an approval re-offered after a restart knows only the user,
// lower-cased by the session key): conversations.open finds the DM, the message goes there.
TEST_F(SlackChannelTest, ADmAddressedByUserIsPostedToTheDmItOpens) {
  connect();
  sdk::OutboundMessage out;
  out.peer = {"u111", false, "", "u111"};
  out.text = "Approval needed";
  out.buttons = {{"Allow once", "apr:1:o"}};
  Status st = send(out);
  ASSERT_TRUE(st.ok()) << st.error().message;
  Json s = fake_->state();
  EXPECT_EQ(s["dm_opens"], Json::array({"U111"})) << "as Slack spells user ids";
  ASSERT_EQ(s["posts"].size(), 1u);
  EXPECT_EQ(s["posts"][0]["channel"], "D111") << "the DM channel, not the user id";
  EXPECT_EQ(s["posts"][0]["text"], "Approval needed");
  EXPECT_TRUE(s["posts"][0].contains("blocks"));
  // Remembered: the next one opens nothing.
  out.buttons.clear();
  ASSERT_TRUE(send(out).ok());
  s = fake_->state();
  EXPECT_EQ(s["dm_opens"].size(), 1u);
  ASSERT_EQ(s["posts"].size(), 2u);
  EXPECT_EQ(s["posts"][1]["channel"], "D111");
  // In a channel user_id means nothing.
  ASSERT_TRUE(send({{"C9", true, "", "U222"}, "to the channel", {}, ""}).ok());
  EXPECT_EQ(fake_->state()["posts"][2]["channel"], "C9");
  EXPECT_EQ(fake_->state()["dm_opens"].size(), 1u);
  // A channel rebuilt from a (lower-case) session key after a restart is sent to as Slack
  // spells it.
  ASSERT_TRUE(send({{"c024be91l", true, "", ""}, "after a restart", {}, ""}).ok());
  EXPECT_EQ(fake_->state()["posts"][3]["channel"], "C024BE91L");
}

TEST_F(SlackChannelTest, AFailedConversationsOpenFailsTheSendClearly) {
  connect();
  sdk::OutboundMessage out;
  out.peer = {"U111", false, "", "U111"};
  out.text = "hello";
  // A Slack-side failure is retryable: the host's queue sends it again later.
  fake_->control("/control/open_fail", {{"count", 1}, {"error", "internal_error"}});
  Status st = send(out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("conversations.open for user U111"), std::string::npos)
      << st.error().message;
  EXPECT_NE(st.error().message.find("internal_error"), std::string::npos) << st.error().message;
  EXPECT_TRUE(st.error().retry_after_ms.has_value());
  // Rate limited: Retry-After goes back to the host.
  fake_->control("/control/open_fail", {{"count", 1}, {"error", "ratelimited"}});
  st = send(out);
  ASSERT_FALSE(st.ok());
  ASSERT_TRUE(st.error().retry_after_ms.has_value());
  EXPECT_EQ(*st.error().retry_after_ms, 1000);
  // A missing scope says which one.
  fake_->control("/control/open_fail", {{"count", 1}, {"error", "missing_scope"}});
  st = send(out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("im:write"), std::string::npos) << st.error().message;
  EXPECT_TRUE(fake_->state()["posts"].empty());
  // An id that cannot be a Slack user is refused before any request.
  out.peer = {"U1/x", false, "", "U1/x"};
  EXPECT_FALSE(send(out).ok());
  EXPECT_EQ(fake_->state()["dm_opens"].size(), 3u);
  // Slack answering user_not_found is reported as such.
  out.peer = {"q1", false, "", "q1"};
  st = send(out);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("user_not_found"), std::string::npos) << st.error().message;
  // And the retry of the first one goes through.
  out.peer = {"U111", false, "", "U111"};
  ASSERT_TRUE(send(out).ok());
  Json posts = fake_->state()["posts"];
  ASSERT_EQ(posts.size(), 1u);
  EXPECT_EQ(posts[0]["channel"], "D111");
}

TEST_F(SlackChannelTest, SocketDropReportedOnce) {
  connect();
  fake_->control("/control/drop", {{"abort", true}});
  ASSERT_TRUE(host_->run_until([&] { return !host_->errors_.empty(); }));
  EXPECT_NE(host_->errors_[0].find("socket closed"), std::string::npos) << host_->errors_[0];
  host_->run_until([] { return false; }, 200);
  EXPECT_EQ(host_->errors_.size(), 1u);
}

TEST_F(SlackChannelTest, StopSilencesTheHost) {
  make(settings());
  channel_->start();
  channel_->stop();  // before auth.test answers
  std::optional<Status> st;
  sdk::OutboundMessage out;
  out.peer = {"D1", false, ""};
  out.text = "x";
  channel_->send(out, [&](Status s) { st = std::move(s); });
  EXPECT_FALSE(st.has_value());  // never inline
  channel_->stop();              // a send in flight at stop() fails, posted
  host_->run_until([&] { return false; }, 300);
  ASSERT_TRUE(st.has_value());
  EXPECT_FALSE(st->ok());
  EXPECT_EQ(host_->connects_, 0);
  EXPECT_TRUE(host_->errors_.empty());
}

// The fake pings every 150 ms and drops a socket whose pong is 150 ms late: the socket
// staying up proves the client answers pings; alive() keeps coming while it is quiet.
class SlackPingTest : public SlackChannelTest {
 protected:
  SlackPingTest() {
    ping_interval_s_ = 0.15;
    ping_interval_ms_ = 100;
  }
};

TEST_F(SlackPingTest, QuietSocketStaysUpAndAlive) {
  connect();
  EXPECT_EQ(host_->window_, std::chrono::milliseconds(200));
  int before = host_->alive_;
  host_->run_until([] { return false; }, 1000);
  EXPECT_TRUE(host_->is_connected_);
  EXPECT_TRUE(host_->errors_.empty()) << host_->errors_[0];
  EXPECT_GE(host_->alive_ - before, 5);
  EXPECT_EQ(fake_->state()["connections"], 1);
}

}  // namespace
}  // namespace simpleclaw::channels::slack
