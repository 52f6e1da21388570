// Discord gateway frames -> GatewayEvent (discord_events.h), from tables: the envelope
// (op, seq, HELLO, op 9), READY, MESSAGE_CREATE (guild vs DM, mentions, replies to the
// bot, bots, our own messages, system messages, attachments, names) and component
// interactions, then hostile shapes: wrong types, missing fields, huge strings and deep
// nesting, each ignored or malformed with a reason and never thrown.
#include "channels/discord/discord_events.h"

#include <gtest/gtest.h>

#include <cctype>
#include <optional>
#include <ostream>
#include <string>

#include "base/utf8.h"

namespace simpleclaw::channels::discord {
namespace {

constexpr const char* kBot = "100000000000000001";
const Identity kMe{kBot};

std::string dispatch(const char* t, Json d, Json s = 42) {
  return Json{{"op", 0}, {"t", t}, {"s", std::move(s)}, {"d", std::move(d)}}.dump();
}

Json with(Json j, const char* k, Json v) {
  j[k] = std::move(v);
  return j;
}

Json without(Json j, const char* k) {
  j.erase(k);
  return j;
}

// A user's message in a guild channel (or a DM without guild_id).
Json message(const std::string& content, bool guild = true) {
  Json d{{"id", "7001"},
         {"channel_id", "200"},
         {"type", 0},
         {"content", content},
         {"author", {{"id", "400"}, {"username", "alice"}, {"global_name", "Alice A"}}},
         {"mentions", Json::array()}};
  if (guild) d["guild_id"] = "300";
  return d;
}

// A button press: in a guild the user is member.user, in a DM it is user.
Json interaction(const std::string& custom_id, bool guild = true) {
  Json user{{"id", "400"}, {"username", "alice"}};
  Json d{{"id", "9001"},
         {"token", "aW50ZXJhY3Rpb24.tok-en_1"},
         {"type", 3},
         {"channel_id", "200"},
         {"data", {{"custom_id", custom_id}, {"component_type", 2}}}};
  if (guild) {
    d["guild_id"] = "300";
    d["member"] = {{"user", user}, {"nick", "ignored for buttons"}};
  } else {
    d["user"] = user;
  }
  return d;
}

// --- the envelope ------------------------------------------------------------------------

struct EnvelopeCase {
  const char* name;
  std::string frame;
  GatewayEvent::Kind kind;
  std::optional<std::int64_t> op, seq;
};

// Cases print as their name (not as bytes) in gtest and ctest output.
void PrintTo(const EnvelopeCase& c, std::ostream* os) { *os << c.name; }

class EnvelopeTable : public ::testing::TestWithParam<EnvelopeCase> {};

TEST_P(EnvelopeTable, OpAndSeq) {
  const auto& c = GetParam();
  GatewayEvent e = parse_gateway(c.frame, kMe);
  EXPECT_EQ(e.kind, c.kind) << c.name << ": " << e.reason;
  EXPECT_EQ(e.op, c.op) << c.name;
  EXPECT_EQ(e.seq, c.seq) << c.name;
  if (e.kind == GatewayEvent::kIgnored || e.kind == GatewayEvent::kMalformed) {
    EXPECT_FALSE(e.reason.empty()) << c.name << ": an ignored payload says why";
  }
}

std::string name_of(const char* name) {
  std::string n = name;
  for (auto& ch : n)
    if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return n;
}

INSTANTIATE_TEST_SUITE_P(
    DiscordEvents, EnvelopeTable,
    ::testing::Values(
        EnvelopeCase{"hello", R"({"op":10,"s":null,"d":{"heartbeat_interval":41250}})",
                     GatewayEvent::kHello, 10, std::nullopt},
        EnvelopeCase{"heartbeat ack", R"({"op":11})", GatewayEvent::kHeartbeatAck, 11,
                     std::nullopt},
        EnvelopeCase{"heartbeat request", R"({"op":1,"d":null})", GatewayEvent::kHeartbeatRequest,
                     1, std::nullopt},
        EnvelopeCase{"reconnect", R"({"op":7,"d":null})", GatewayEvent::kReconnect, 7,
                     std::nullopt},
        EnvelopeCase{"invalid session", R"({"op":9,"d":false})", GatewayEvent::kInvalidSession, 9,
                     std::nullopt},
        EnvelopeCase{"seq kept from a dispatch", dispatch("RESUMED", Json::object(), 77),
                     GatewayEvent::kResumed, 0, 77},
        EnvelopeCase{"seq kept even from an unknown event", dispatch("TYPING_START", {}, 78),
                     GatewayEvent::kIgnored, 0, 78},
        EnvelopeCase{"seq kept from a malformed message", dispatch("MESSAGE_CREATE", "a string"),
                     GatewayEvent::kMalformed, 0, 42},
        EnvelopeCase{"seq of the wrong type is no seq", dispatch("RESUMED", {}, "5"),
                     GatewayEvent::kResumed, 0, std::nullopt},
        EnvelopeCase{"seq beyond int64 is no seq",
                     R"({"op":0,"t":"RESUMED","s":18446744073709551615})", GatewayEvent::kResumed,
                     0, std::nullopt},
        EnvelopeCase{"unknown op ignored", R"({"op":42,"s":3})", GatewayEvent::kIgnored, 42, 3},
        EnvelopeCase{"negative op ignored", R"({"op":-10})", GatewayEvent::kIgnored, -10,
                     std::nullopt},
        EnvelopeCase{"op beyond int64 is not a payload", R"({"op":18446744073709551626})",
                     GatewayEvent::kMalformed, std::nullopt, std::nullopt},
        EnvelopeCase{"op as a string", R"({"op":"ten","s":4})", GatewayEvent::kMalformed,
                     std::nullopt, std::nullopt},
        EnvelopeCase{"op as a float", R"({"op":10.0,"d":{"heartbeat_interval":1}})",
                     GatewayEvent::kMalformed, std::nullopt, std::nullopt},
        EnvelopeCase{"no op", R"({"t":"READY","d":{}})", GatewayEvent::kMalformed, std::nullopt,
                     std::nullopt},
        EnvelopeCase{"JSON array", "[1,2,3]", GatewayEvent::kMalformed, std::nullopt, std::nullopt},
        EnvelopeCase{"not JSON", "not json at all", GatewayEvent::kMalformed, std::nullopt,
                     std::nullopt},
        EnvelopeCase{"truncated JSON", R"({"op":0,"t":"MESSAGE_CR)", GatewayEvent::kMalformed,
                     std::nullopt, std::nullopt},
        EnvelopeCase{"empty frame", "", GatewayEvent::kMalformed, std::nullopt, std::nullopt},
        EnvelopeCase{"hello without d", R"({"op":10})", GatewayEvent::kMalformed, 10, std::nullopt},
        EnvelopeCase{"hello with a string interval",
                     R"({"op":10,"d":{"heartbeat_interval":"41250"}})", GatewayEvent::kMalformed,
                     10, std::nullopt},
        EnvelopeCase{"dispatch without t", R"({"op":0,"s":1,"d":{}})", GatewayEvent::kIgnored, 0,
                     1},
        EnvelopeCase{"event type not a string", R"({"op":0,"t":5,"d":{}})",
                     GatewayEvent::kMalformed, 0, std::nullopt},
        EnvelopeCase{"event type too long", dispatch(std::string(65, 'A').c_str(), {}),
                     GatewayEvent::kMalformed, 0, 42}),
    [](const auto& info) { return name_of(info.param.name); });

TEST(DiscordEvents, HelloIntervalIsClamped) {
  EXPECT_EQ(parse_gateway(R"({"op":10,"d":{"heartbeat_interval":41250}})", kMe).heartbeat_interval,
            std::chrono::milliseconds(41250));
  EXPECT_EQ(parse_gateway(R"({"op":10,"d":{"heartbeat_interval":0}})", kMe).heartbeat_interval,
            std::chrono::milliseconds(50));
  EXPECT_EQ(parse_gateway(R"({"op":10,"d":{"heartbeat_interval":-5}})", kMe).heartbeat_interval,
            std::chrono::milliseconds(50));
  EXPECT_EQ(parse_gateway(R"({"op":10,"d":{"heartbeat_interval":1e300}})", kMe).heartbeat_interval,
            std::chrono::milliseconds(600000));
  EXPECT_EQ(
      parse_gateway(R"({"op":10,"d":{"heartbeat_interval":45000.9}})", kMe).heartbeat_interval,
      std::chrono::milliseconds(45000));
}

TEST(DiscordEvents, InvalidSessionResumableOnlyWhenTrue) {
  EXPECT_TRUE(parse_gateway(R"({"op":9,"d":true})", kMe).resumable);
  EXPECT_FALSE(parse_gateway(R"({"op":9,"d":false})", kMe).resumable);
  EXPECT_FALSE(parse_gateway(R"({"op":9,"d":null})", kMe).resumable);
  EXPECT_FALSE(parse_gateway(R"({"op":9,"d":"true"})", kMe).resumable);
  EXPECT_FALSE(parse_gateway(R"({"op":9})", kMe).resumable);
}

// --- READY --------------------------------------------------------------------------------

Json ready() {
  return {{"v", 10},
          {"session_id", "9f1e2d3c4b5a69788796a5b4c3d2e1f0"},
          {"resume_gateway_url", "wss://gateway-us-east1-b.discord.gg"},
          {"user", {{"id", kBot}, {"username", "clawbot"}, {"bot", true}}},
          {"guilds", Json::array()}};
}

TEST(DiscordEvents, ReadyGivesSessionResumeUrlAndOurUser) {
  GatewayEvent e = parse_gateway(dispatch("READY", ready(), 1), {});
  ASSERT_EQ(e.kind, GatewayEvent::kReady) << e.reason;
  EXPECT_EQ(e.type, "READY");
  EXPECT_EQ(e.seq, 1);
  EXPECT_EQ(e.ready.session_id, "9f1e2d3c4b5a69788796a5b4c3d2e1f0");
  EXPECT_EQ(e.ready.resume_gateway_url, "wss://gateway-us-east1-b.discord.gg");
  EXPECT_EQ(e.ready.user_id, kBot);
  EXPECT_EQ(e.ready.username, "clawbot");
}

struct ReadyCase {
  const char* name;
  Json d;
  GatewayEvent::Kind kind;
  std::string resume_url, username;
};

void PrintTo(const ReadyCase& c, std::ostream* os) { *os << c.name; }

class ReadyTable : public ::testing::TestWithParam<ReadyCase> {};

TEST_P(ReadyTable, Ready) {
  const auto& c = GetParam();
  GatewayEvent e = parse_gateway(dispatch("READY", c.d), {});
  EXPECT_EQ(e.kind, c.kind) << c.name << ": " << e.reason;
  EXPECT_EQ(e.type, "READY") << c.name << ": the channel fails on a malformed READY by type";
  if (c.kind == GatewayEvent::kReady) {
    EXPECT_EQ(e.ready.resume_gateway_url, c.resume_url) << c.name;
    EXPECT_EQ(e.ready.username, c.username) << c.name;
  }
}

INSTANTIATE_TEST_SUITE_P(
    DiscordEvents, ReadyTable,
    ::testing::Values(
        ReadyCase{"without resume url", without(ready(), "resume_gateway_url"),
                  GatewayEvent::kReady, "", "clawbot"},
        ReadyCase{"resume url of the wrong type", with(ready(), "resume_gateway_url", 5),
                  GatewayEvent::kReady, "", "clawbot"},
        ReadyCase{"huge resume url dropped",
                  with(ready(), "resume_gateway_url", "wss://" + std::string(5000, 'a')),
                  GatewayEvent::kReady, "", "clawbot"},
        ReadyCase{"huge username clipped",
                  with(ready(), "user", {{"id", kBot}, {"username", std::string(300, 'b')}}),
                  GatewayEvent::kReady, "wss://gateway-us-east1-b.discord.gg",
                  std::string(kMaxNameBytes, 'b')},
        ReadyCase{"username of the wrong type",
                  with(ready(), "user", {{"id", kBot}, {"username", 7}}), GatewayEvent::kReady,
                  "wss://gateway-us-east1-b.discord.gg", ""},
        ReadyCase{"without session_id", without(ready(), "session_id"), GatewayEvent::kMalformed},
        ReadyCase{"empty session_id", with(ready(), "session_id", ""), GatewayEvent::kMalformed},
        ReadyCase{"session_id of the wrong type", with(ready(), "session_id", 12345),
                  GatewayEvent::kMalformed},
        ReadyCase{"huge session_id", with(ready(), "session_id", std::string(100000, 's')),
                  GatewayEvent::kMalformed},
        ReadyCase{"without user", without(ready(), "user"), GatewayEvent::kMalformed},
        ReadyCase{"user id not a snowflake", with(ready(), "user", {{"id", "12ab"}}),
                  GatewayEvent::kMalformed},
        ReadyCase{"user id as a number", with(ready(), "user", {{"id", 1000}}),
                  GatewayEvent::kMalformed},
        ReadyCase{"d not an object", Json::array({1, 2}), GatewayEvent::kMalformed}),
    [](const auto& info) { return name_of(info.param.name); });

// --- MESSAGE_CREATE -----------------------------------------------------------------------

struct MessageCase {
  const char* name;
  Json d;
  GatewayEvent::Kind kind;
  // For kMessage:
  std::string text;
  bool group = false, mentioned = false;
  std::string sender_name = "Alice A";
  Identity me = kMe;
};

void PrintTo(const MessageCase& c, std::ostream* os) { *os << c.name; }

class MessageTable : public ::testing::TestWithParam<MessageCase> {};

TEST_P(MessageTable, MessageCreate) {
  const auto& c = GetParam();
  GatewayEvent e = parse_gateway(dispatch("MESSAGE_CREATE", c.d), c.me);
  EXPECT_EQ(e.kind, c.kind) << c.name << ": " << e.reason;
  EXPECT_EQ(e.op, 0) << c.name;
  EXPECT_EQ(e.type, "MESSAGE_CREATE") << c.name;
  if (c.kind == GatewayEvent::kMessage) {
    EXPECT_EQ(e.message.message_id, "7001") << c.name;
    EXPECT_EQ(e.message.sender_id, "400") << c.name;
    EXPECT_EQ(e.message.peer.chat_id, "200") << c.name;
    EXPECT_TRUE(e.message.peer.thread_id.empty()) << c.name << ": a thread is a channel";
    EXPECT_EQ(e.message.text, c.text) << c.name;
    EXPECT_EQ(e.message.peer.group, c.group) << c.name;
    EXPECT_EQ(e.message.mentioned, c.mentioned) << c.name;
    EXPECT_EQ(e.message.sender_name, c.sender_name) << c.name;
  }
  if (c.kind == GatewayEvent::kNoContent) {
    EXPECT_EQ(e.message.message_id, "7001") << c.name;
    EXPECT_EQ(e.message.peer.chat_id, "200") << c.name;
  }
  if (e.kind == GatewayEvent::kIgnored || e.kind == GatewayEvent::kMalformed) {
    EXPECT_FALSE(e.reason.empty()) << c.name;
  }
}

// n times U+00E9 (two bytes each).
std::string e_acute(int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += "\xC3\xA9";
  return s;
}

std::string bot_tag() { return std::string("<@") + kBot + ">"; }

Json attachments(int n) {
  Json a = Json::array();
  for (int i = 0; i < n; ++i)
    a.push_back({{"id", "5" + std::to_string(i)},
                 {"filename", "f" + std::to_string(i) + ".png"},
                 {"url", "https://cdn.discordapp.com/a/" + std::to_string(i)}});
  return a;
}

std::string attachment_text(int from, int to) {
  std::string s;
  for (int i = from; i < to; ++i)
    s += (s.empty() ? "" : "\n") + std::string("[attachment: f") + std::to_string(i) +
         ".png https://cdn.discordapp.com/a/" + std::to_string(i) + "]";
  return s;
}

INSTANTIATE_TEST_SUITE_P(
    DiscordEvents, MessageTable,
    ::testing::Values(
        MessageCase{"guild message without mention", message("just talking"),
                    GatewayEvent::kMessage, "just talking", true, false},
        MessageCase{"guild mention stripped and marked", message(bot_tag() + " status?"),
                    GatewayEvent::kMessage, "status?", true, true},
        MessageCase{"nickname mention form", message(std::string("hey <@!") + kBot + "> go"),
                    GatewayEvent::kMessage, "hey  go", true, true},
        MessageCase{"several mentions all stripped",
                    message(bot_tag() + " a " + bot_tag() + " b " + bot_tag()),
                    GatewayEvent::kMessage, "a  b", true, true},
        MessageCase{"someone else's mention is not ours", message("ask <@999> and <@1000000000>"),
                    GatewayEvent::kMessage, "ask <@999> and <@1000000000>", true, false},
        MessageCase{"mentioned through the mentions array",
                    with(message("hello bot"), "mentions", {{{"id", "5"}}, {{"id", kBot}}}),
                    GatewayEvent::kMessage, "hello bot", true, true},
        MessageCase{"mentions of the wrong shape",
                    with(message("hello"), "mentions", {1, "x", nullptr, {{"id", 5}}}),
                    GatewayEvent::kMessage, "hello", true, false},
        MessageCase{"a reply to our message addresses us",
                    with(with(message("and this?"), "type", 19), "referenced_message",
                         {{"id", "6000"}, {"author", {{"id", kBot}}}}),
                    GatewayEvent::kMessage, "and this?", true, true},
        MessageCase{"a reply to a deleted message (referenced_message null)",
                    with(with(message("and this?"), "type", 19), "referenced_message", nullptr),
                    GatewayEvent::kMessage, "and this?", true, false},
        MessageCase{"referenced_message of the wrong type",
                    with(message("x"), "referenced_message", "6000"), GatewayEvent::kMessage, "x",
                    true, false},
        MessageCase{"before READY nothing is a mention", message(bot_tag() + " hi"),
                    GatewayEvent::kMessage, bot_tag() + " hi", true, false, "Alice A", Identity{}},
        MessageCase{"direct message", message("hi there", false), GatewayEvent::kMessage,
                    "hi there", false, false},
        MessageCase{"direct message with guild_id null",
                    with(message("hi", false), "guild_id", nullptr), GatewayEvent::kMessage, "hi",
                    false, false},
        MessageCase{"guild_id of the wrong type is not a DM",
                    with(message("hi", false), "guild_id", 300), GatewayEvent::kMalformed},
        MessageCase{"guild_id not a snowflake", with(message("hi"), "guild_id", "x"),
                    GatewayEvent::kMalformed},
        MessageCase{"text trimmed", message("  \n spaced \t "), GatewayEvent::kMessage, "spaced",
                    true, false},
        MessageCase{"nick wins over global_name", with(message("x"), "member", {{"nick", "Ali"}}),
                    GatewayEvent::kMessage, "x", true, false, "Ali"},
        MessageCase{"null nick falls back to global_name",
                    with(message("x"), "member", {{"nick", nullptr}}), GatewayEvent::kMessage, "x",
                    true, false, "Alice A"},
        MessageCase{"username when there is no global_name",
                    with(message("x"), "author",
                         {{"id", "400"}, {"username", "alice"}, {"global_name", nullptr}}),
                    GatewayEvent::kMessage, "x", true, false, "alice"},
        MessageCase{"names of the wrong type are absent",
                    with(with(message("x"), "author",
                              {{"id", "400"}, {"username", 1}, {"global_name", {1}}}),
                         "member", {{"nick", false}}),
                    GatewayEvent::kMessage, "x", true, false, ""},
        MessageCase{"huge nick clipped on a UTF-8 boundary",
                    with(message("x"), "member", {{"nick", "a" + e_acute(200)}}),
                    GatewayEvent::kMessage, "x", true, false, "a" + e_acute(49)},
        MessageCase{"attachments appended", with(message("look"), "attachments", attachments(2)),
                    GatewayEvent::kMessage, "look\n" + attachment_text(0, 2), true, false},
        MessageCase{"attachment only", with(message(""), "attachments", attachments(1)),
                    GatewayEvent::kMessage, attachment_text(0, 1), true, false},
        MessageCase{"at most ten attachments", with(message(""), "attachments", attachments(30)),
                    GatewayEvent::kMessage, attachment_text(0, 10), true, false},
        MessageCase{"attachments of the wrong shape skipped",
                    with(message("x"), "attachments",
                         {1, "u", {{"url", 5}}, {{"url", ""}}, {{"filename", "f"}}}),
                    GatewayEvent::kMessage, "x", true, false},
        MessageCase{"reply type 19 delivered", with(message("x"), "type", 19),
                    GatewayEvent::kMessage, "x", true, false},
        MessageCase{"no type counts as a user message", without(message("x"), "type"),
                    GatewayEvent::kMessage, "x", true, false},
        MessageCase{"bot message ignored",
                    with(message("x"), "author", {{"id", "401"}, {"bot", true}}),
                    GatewayEvent::kIgnored},
        MessageCase{"bot false delivered",
                    with(message("x"), "author", {{"id", "400"}, {"bot", false}}),
                    GatewayEvent::kMessage, "x", true, false, ""},
        MessageCase{"bot flag of the wrong type",
                    with(message("x"), "author", {{"id", "401"}, {"bot", "yes"}}),
                    GatewayEvent::kMalformed},
        MessageCase{"our own message ignored", with(message("x"), "author", {{"id", kBot}}),
                    GatewayEvent::kIgnored},
        MessageCase{"webhook message ignored", with(message("x"), "webhook_id", "77"),
                    GatewayEvent::kIgnored},
        MessageCase{"member joined (system message) ignored", with(message("x"), "type", 7),
                    GatewayEvent::kIgnored},
        MessageCase{"type as a string", with(message("x"), "type", "0"), GatewayEvent::kMalformed},
        MessageCase{"empty content: no MESSAGE CONTENT intent", message(""),
                    GatewayEvent::kNoContent},
        MessageCase{"only a mention: nothing to say", message(" " + bot_tag() + " "),
                    GatewayEvent::kNoContent},
        MessageCase{"missing content", without(message("x"), "content"), GatewayEvent::kNoContent},
        MessageCase{"content of the wrong type", with(message("x"), "content", 5),
                    GatewayEvent::kMalformed},
        MessageCase{"huge content ignored", message(std::string(kMaxContentBytes + 1, 'x')),
                    GatewayEvent::kIgnored},
        MessageCase{"content at the limit delivered", message(std::string(kMaxContentBytes, 'x')),
                    GatewayEvent::kMessage, std::string(kMaxContentBytes, 'x'), true, false},
        MessageCase{"no author", without(message("x"), "author"), GatewayEvent::kMalformed},
        MessageCase{"author not an object", with(message("x"), "author", "400"),
                    GatewayEvent::kMalformed},
        MessageCase{"author id not a snowflake", with(message("x"), "author", {{"id", "x"}}),
                    GatewayEvent::kMalformed},
        MessageCase{"author id as a number", with(message("x"), "author", {{"id", 400}}),
                    GatewayEvent::kMalformed},
        MessageCase{"no message id", without(message("x"), "id"), GatewayEvent::kMalformed},
        MessageCase{"huge message id", with(message("x"), "id", std::string(10000, '1')),
                    GatewayEvent::kMalformed},
        MessageCase{"snowflake of 21 digits", with(message("x"), "id", std::string(21, '1')),
                    GatewayEvent::kMalformed},
        MessageCase{"channel_id as a number", with(message("x"), "channel_id", 200),
                    GatewayEvent::kMalformed},
        MessageCase{"d a string", "a string", GatewayEvent::kMalformed},
        MessageCase{"d null", nullptr, GatewayEvent::kMalformed}),
    [](const auto& info) { return name_of(info.param.name); });

// --- INTERACTION_CREATE -------------------------------------------------------------------

TEST(DiscordEvents, GuildButtonPress) {
  GatewayEvent e = parse_gateway(dispatch("INTERACTION_CREATE", interaction("apr:abcd:o")), kMe);
  ASSERT_EQ(e.kind, GatewayEvent::kButton) << e.reason;
  EXPECT_EQ(e.interaction_id, "9001");
  EXPECT_EQ(e.interaction_token, "aW50ZXJhY3Rpb24.tok-en_1");
  EXPECT_EQ(e.button.sender_id, "400");
  EXPECT_EQ(e.button.sender_name, "alice");
  EXPECT_EQ(e.button.peer.chat_id, "200");
  EXPECT_TRUE(e.button.peer.group);
  EXPECT_EQ(e.button.data, "apr:abcd:o");
}

TEST(DiscordEvents, DirectMessageButtonPress) {
  Json d = interaction("apr:abcd:d", false);
  d["user"]["global_name"] = "Alice A";
  GatewayEvent e = parse_gateway(dispatch("INTERACTION_CREATE", d), kMe);
  ASSERT_EQ(e.kind, GatewayEvent::kButton) << e.reason;
  EXPECT_EQ(e.button.sender_id, "400");
  EXPECT_EQ(e.button.sender_name, "Alice A");
  EXPECT_FALSE(e.button.peer.group);
  EXPECT_EQ(e.button.data, "apr:abcd:d");
}

struct InteractionCase {
  const char* name;
  Json d;
  GatewayEvent::Kind kind;
};

void PrintTo(const InteractionCase& c, std::ostream* os) { *os << c.name; }

class InteractionTable : public ::testing::TestWithParam<InteractionCase> {};

TEST_P(InteractionTable, InteractionCreate) {
  const auto& c = GetParam();
  GatewayEvent e = parse_gateway(dispatch("INTERACTION_CREATE", c.d), kMe);
  EXPECT_EQ(e.kind, c.kind) << c.name << ": " << e.reason;
  if (e.kind != GatewayEvent::kButton) {
    EXPECT_FALSE(e.reason.empty()) << c.name;
    EXPECT_TRUE(e.interaction_token.empty()) << c.name << ": nothing to acknowledge";
  }
}

INSTANTIATE_TEST_SUITE_P(
    DiscordEvents, InteractionTable,
    ::testing::Values(
        InteractionCase{"custom_id at Discord's limit", interaction(std::string(100, 'c')),
                        GatewayEvent::kButton},
        InteractionCase{"slash command (type 2) ignored", with(interaction("x"), "type", 2),
                        GatewayEvent::kIgnored},
        InteractionCase{"ping (type 1) ignored", with(interaction("x"), "type", 1),
                        GatewayEvent::kIgnored},
        InteractionCase{"type as a string ignored", with(interaction("x"), "type", "3"),
                        GatewayEvent::kIgnored},
        InteractionCase{"no type ignored", without(interaction("x"), "type"),
                        GatewayEvent::kIgnored},
        InteractionCase{"only a type", {{"type", 3}}, GatewayEvent::kMalformed},
        InteractionCase{"empty custom_id", interaction(""), GatewayEvent::kMalformed},
        InteractionCase{"custom_id over the limit", interaction(std::string(101, 'c')),
                        GatewayEvent::kMalformed},
        InteractionCase{"huge custom_id", interaction(std::string(1 << 20, 'c')),
                        GatewayEvent::kMalformed},
        InteractionCase{"custom_id of the wrong type",
                        with(interaction("x"), "data", {{"custom_id", 5}}),
                        GatewayEvent::kMalformed},
        InteractionCase{"data not an object", with(interaction("x"), "data", "apr"),
                        GatewayEvent::kMalformed},
        InteractionCase{"token with a slash would change the URL",
                        with(interaction("x"), "token", "abc/../../channels"),
                        GatewayEvent::kMalformed},
        InteractionCase{"huge token", with(interaction("x"), "token", std::string(2000, 't')),
                        GatewayEvent::kMalformed},
        InteractionCase{"id not a snowflake", with(interaction("x"), "id", "9001x"),
                        GatewayEvent::kMalformed},
        InteractionCase{"channel_id missing", without(interaction("x"), "channel_id"),
                        GatewayEvent::kMalformed},
        InteractionCase{"no user at all", without(interaction("x", false), "user"),
                        GatewayEvent::kMalformed},
        InteractionCase{"member without user", with(interaction("x"), "member", {{"nick", "a"}}),
                        GatewayEvent::kMalformed},
        InteractionCase{"user id as a number", with(interaction("x", false), "user", {{"id", 400}}),
                        GatewayEvent::kMalformed},
        InteractionCase{"guild_id of the wrong type", with(interaction("x"), "guild_id", 300),
                        GatewayEvent::kMalformed},
        InteractionCase{"d an array", Json::array({3}), GatewayEvent::kMalformed}),
    [](const auto& info) { return name_of(info.param.name); });

// --- hostile input ------------------------------------------------------------------------

TEST(DiscordEvents, FramesOverTheLimitAreNotParsed) {
  std::string big = dispatch("MESSAGE_CREATE", message(std::string(kMaxFrameBytes, 'x')));
  GatewayEvent e = parse_gateway(big, kMe);
  EXPECT_EQ(e.kind, GatewayEvent::kMalformed);
  EXPECT_FALSE(e.op.has_value()) << "not even the envelope is read";
}

TEST(DiscordEvents, DeepNestingNeitherRecursesNorThrows) {
  std::string deep = R"({"op":0,"t":"MESSAGE_CREATE","d":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  GatewayEvent e = parse_gateway(deep, kMe);
  EXPECT_EQ(e.kind, GatewayEvent::kMalformed);
  deep = R"({"op":0,"t":"MESSAGE_CREATE","d":{"id":"1","channel_id":"2","author":{"id":"3"},)"
         R"("content":"hi","mentions":)" +
         std::string(100000, '[') + std::string(100000, ']') + "}}";
  e = parse_gateway(deep, kMe);
  EXPECT_EQ(e.kind, GatewayEvent::kMessage) << e.reason;
}

TEST(DiscordEvents, ReasonsAreBoundedAndValidUtf8) {
  // The reason goes into a diagnostic, which is dumped as JSON.
  std::string t;
  for (int i = 0; i < 21; ++i) t += "\xE2\x82\xAC";  // 63 bytes: fits the type limit
  GatewayEvent e = parse_gateway(dispatch(t.c_str(), {}), kMe);
  ASSERT_EQ(e.kind, GatewayEvent::kIgnored);
  EXPECT_TRUE(valid_utf8(e.reason));
  EXPECT_LE(e.reason.size(), 100u);
  EXPECT_NO_THROW(Json({{"reason", e.reason}}).dump());
}

TEST(DiscordEvents, EveryWrongTypeInEveryFieldIsHandledWithoutThrowing) {
  // Each field of a valid message and interaction replaced by each JSON type in turn.
  const Json kinds[] = {nullptr,
                        true,
                        5,
                        -1,
                        18446744073709551615ull,
                        1.5,
                        "s",
                        Json::array(),
                        Json::object(),
                        Json::array({Json::object()})};
  for (const Json& base : {message(bot_tag() + " hi"), interaction("x")}) {
    const char* t = base.contains("token") ? "INTERACTION_CREATE" : "MESSAGE_CREATE";
    for (auto& [key, value] : base.items()) {
      for (const Json& k : kinds) {
        Json d = base;
        d[key] = k;
        EXPECT_NO_THROW(parse_gateway(dispatch(t, d), kMe)) << key;
        if (value.is_object())
          for (const auto& inner : value.items()) {
            Json d2 = base;
            d2[key][inner.key()] = k;
            GatewayEvent e = parse_gateway(dispatch(t, d2), kMe);
            EXPECT_NE(e.reason.rfind("unexpected", 0), 0u)
                << key << "." << inner.key() << ": " << e.reason;
          }
      }
    }
  }
}

// --- helpers ------------------------------------------------------------------------------

TEST(DiscordEvents, Helpers) {
  EXPECT_TRUE(is_snowflake("1"));
  EXPECT_TRUE(is_snowflake("18446744073709551615"));
  EXPECT_FALSE(is_snowflake(""));
  EXPECT_FALSE(is_snowflake("123456789012345678901"));
  EXPECT_FALSE(is_snowflake("-1"));
  EXPECT_FALSE(is_snowflake("12 3"));
  EXPECT_TRUE(is_url_token("aA0._-"));
  EXPECT_FALSE(is_url_token(""));
  EXPECT_FALSE(is_url_token("a/b"));
  EXPECT_FALSE(is_url_token("a?b"));
  EXPECT_FALSE(is_url_token(std::string(kMaxInteractionTokenBytes + 1, 'a')));
  EXPECT_EQ(clip("abc", 5), "abc");
  EXPECT_EQ(clip("abcdef", 3), "abc");
  EXPECT_EQ(clip("a\xC3\xA9", 2), "a") << "never half a sequence";
  EXPECT_EQ(clip("\xE2\x82\xAC\xE2\x82\xAC", 4), "\xE2\x82\xAC");
}

}  // namespace
}  // namespace simpleclaw::channels::discord
