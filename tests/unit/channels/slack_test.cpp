// The Slack channel: the pure envelope parsing and message building from tables, then
// the connector end to end against tests/fakes/fake_slack.py (Web API + Socket Mode),
// driven through the SDK with a RecordingHost.
#include <gtest/gtest.h>

#include "channels/slack/slack_events.h"

namespace simpleclaw::channels::slack {
namespace {

const Identity kMe{"UBOT", "B0001", "clawbot"};

std::string events_api(const Json& event, const std::string& id = "e1") {
  return Json{{"envelope_id", id},
              {"type", "events_api"},
              {"payload", {{"type", "event_callback"}, {"event", event}}}}
      .dump();
}

struct ParseCase {
  const char* name;
  std::string frame;
  Envelope::Kind kind;
  std::string envelope_id;
  // For kMessage:
  std::string sender_id, chat_id, thread_id, text, message_id;
  bool group = false, mentioned = false;
};

class ParseTable : public ::testing::TestWithParam<ParseCase> {};

TEST_P(ParseTable, Envelope) {
  const auto& c = GetParam();
  Envelope e = parse_envelope(c.frame, kMe);
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

Json msg(const char* channel, const char* user, const char* text, const char* ts = "1.1") {
  return {{"type", "message"}, {"channel", channel}, {"user", user}, {"text", text}, {"ts", ts}};
}
Json with(Json j, const char* k, Json v) {
  j[k] = std::move(v);
  return j;
}

INSTANTIATE_TEST_SUITE_P(
    Slack, ParseTable,
    ::testing::Values(
        ParseCase{"hello", R"({"type":"hello","num_connections":1})", Envelope::kHello, ""},
        ParseCase{"disconnect", R"({"type":"disconnect","reason":"refresh_requested"})",
                  Envelope::kDisconnect, ""},
        ParseCase{"im message",
                  events_api(with(msg("D1", "U1", "hi there"), "channel_type", "im")),
                  Envelope::kMessage, "e1", "U1", "D1", "", "hi there", "D1:1.1", false, false},
        ParseCase{"channel message with mention stripped",
                  events_api(with(msg("C1", "U1", "<@UBOT> status?"), "channel_type", "channel")),
                  Envelope::kMessage, "e1", "U1", "C1", "", "status?", "C1:1.1", true, true},
        ParseCase{"mention with label in the middle",
                  events_api(msg("C1", "U1", "hey <@UBOT|clawbot> there")), Envelope::kMessage,
                  "e1", "U1", "C1", "", "hey there", "C1:1.1", true, true},
        ParseCase{"someone else's mention is not ours",
                  events_api(msg("C1", "U1", "ask <@UBOTX> and <@U2>")), Envelope::kMessage, "e1",
                  "U1", "C1", "", "ask <@UBOTX> and <@U2>", "C1:1.1", true, false},
        ParseCase{"app_mention is mentioned, thread kept",
                  events_api(with(with(msg("C1", "U1", "<@UBOT> go", "2.2"), "type", "app_mention"),
                                  "thread_ts", "1.0")),
                  Envelope::kMessage, "e1", "U1", "C1", "1.0", "go", "C1:2.2", true, true},
        ParseCase{"entities unescaped",
                  events_api(with(msg("D1", "U1", "a &lt;b&gt; &amp;amp;"), "channel_type", "im")),
                  Envelope::kMessage, "e1", "U1", "D1", "", "a <b> &amp;", "D1:1.1", false, false},
        ParseCase{"thread_broadcast delivered",
                  events_api(with(msg("C1", "U1", "x"), "subtype", "thread_broadcast")),
                  Envelope::kMessage, "e1", "U1", "C1", "", "x", "C1:1.1", true, false},
        ParseCase{"message_changed ignored",
                  events_api(with(msg("C1", "U1", "x"), "subtype", "message_changed")),
                  Envelope::kIgnored, "e1"},
        ParseCase{"bot message ignored", events_api(with(msg("C1", "U1", "x"), "bot_id", "B9")),
                  Envelope::kIgnored, "e1"},
        ParseCase{"our own message ignored", events_api(msg("C1", "UBOT", "x")),
                  Envelope::kIgnored, "e1"},
        ParseCase{"other event type ignored",
                  events_api({{"type", "reaction_added"}, {"user", "U1"}}), Envelope::kIgnored,
                  "e1"},
        ParseCase{"only a mention: nothing to say", events_api(msg("C1", "U1", " <@UBOT> ")),
                  Envelope::kIgnored, "e1"},
        ParseCase{"text of the wrong type", events_api(with(msg("C1", "U1", "x"), "text", 5)),
                  Envelope::kMalformed, "e1"},
        ParseCase{"missing ts", events_api({{"type", "message"}, {"channel", "C1"},
                                            {"user", "U1"}, {"text", "x"}}),
                  Envelope::kMalformed, "e1"},
        ParseCase{"event not an object", R"({"envelope_id":"e7","type":"events_api","payload":{"event":[1]}})",
                  Envelope::kMalformed, "e7"},
        ParseCase{"no type but an id", R"({"envelope_id":"e8"})", Envelope::kMalformed, "e8"},
        ParseCase{"envelope id not a string", R"({"envelope_id":5,"type":"hello"})",
                  Envelope::kHello, ""},
        ParseCase{"not JSON", "{nope", Envelope::kMalformed, ""},
        ParseCase{"JSON array", "[1,2]", Envelope::kMalformed, ""},
        ParseCase{"slash command acked but ignored",
                  R"({"envelope_id":"e9","type":"slash_commands","payload":{}})",
                  Envelope::kIgnored, "e9"}),
    [](const auto& info) {
      std::string n = info.param.name;
      for (auto& ch : n)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST(SlackParse, BlockActionsBecomeButtonPress) {
  Json env{{"envelope_id", "b1"},
           {"type", "interactive"},
           {"payload",
            {{"type", "block_actions"},
             {"user", {{"id", "U7"}, {"username", "ann"}}},
             {"channel", {{"id", "C5"}, {"name", "ops"}}},
             {"container", {{"type", "message"}, {"channel_id", "C5"}, {"thread_ts", "9.9"}}},
             {"actions", {{{"action_id", "sc_button_0"}, {"value", "approve:42"}}}}}}};
  Envelope e = parse_envelope(env.dump(), kMe);
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
  e = parse_envelope(env.dump(), kMe);
  ASSERT_EQ(e.kind, Envelope::kButton) << e.reason;
  EXPECT_EQ(e.button.peer.chat_id, "D3");
  EXPECT_FALSE(e.button.peer.group);
  EXPECT_EQ(e.button.peer.thread_id, "");
  env["payload"]["actions"][0].erase("value");
  EXPECT_EQ(parse_envelope(env.dump(), kMe).kind, Envelope::kIgnored);
  env["payload"]["actions"] = Json::array();
  e = parse_envelope(env.dump(), kMe);
  EXPECT_EQ(e.kind, Envelope::kMalformed);
  EXPECT_EQ(e.envelope_id, "b1");
  env["payload"]["type"] = "view_submission";
  EXPECT_EQ(parse_envelope(env.dump(), kMe).kind, Envelope::kIgnored);
}

TEST(SlackParse, OversizedInputIsBounded) {
  std::string big(kMaxFrameBytes + 1, ' ');
  EXPECT_EQ(parse_envelope(big, kMe).kind, Envelope::kMalformed);
  Envelope e = parse_envelope(events_api(msg("C1", "U1", std::string(kMaxInboundTextBytes + 1, 'x').c_str())), kMe);
  EXPECT_EQ(e.kind, Envelope::kIgnored);
  EXPECT_EQ(e.envelope_id, "e1");
  e = parse_envelope(Json{{"envelope_id", std::string(kMaxEnvelopeIdBytes + 1, 'e')}, {"type", "hello"}}.dump(), kMe);
  EXPECT_EQ(e.envelope_id, "");
  // Deep nesting is parsed without recursion and refused as a shape, not a crash.
  std::string deep = R"({"envelope_id":"d","type":"events_api","payload":)" +
                     std::string(10000, '[') + std::string(10000, ']') + "}";
  e = parse_envelope(deep, kMe);
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

  m.peer.thread_id.clear();
  m.reply_to = "C1:7.7";
  EXPECT_EQ(build_post_message(m)["thread_ts"], "7.7");
  m.reply_to = "C2:7.7";  // another conversation's message: not a thread here
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

}  // namespace
}  // namespace simpleclaw::channels::slack
