// Session keys: canonicalisation (lowercasing, the default agent, "main"), kind/channel
// detection, every rejection with its message; agent ids and slugify.
#include "sessions/keys.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace simpleclaw::sessions {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

struct KeyCase {
  std::string raw;
  std::string key;
  std::string agent_id;
  std::string rest;
  std::string channel;
  std::string kind;
};

// Channel conversations get their keys from channel_key() only; each key is one the
// parser accepts as canonical, and a platform id cannot inject key segments.
TEST(SessionKeysChannel, BuiltKeysAreCanonicalAndIdsCannotAddSegments) {
  struct Case {
    std::string agent, user, channel;
    bool group;
    std::string conv, thread, key;
  };
  const Case cases[] = {
      {"main", "", "telegram", false, "987654321", "", "agent:main:telegram:direct:987654321"},
      {"main", "alice", "telegram", false, "42", "", "agent:main:user:alice:telegram:direct:42"},
      {"ops", "", "slack", true, "C01ABC", "1700.5", "agent:ops:slack:group:c01abc:thread:1700.5"},
      {"main", "", "irc", true, "#Chan", "", "agent:main:irc:group:#chan"},
      {"main", "", "discord", false, "a:b c\n", "", "agent:main:discord:direct:a_b_c_"},
  };
  for (const Case& c : cases) {
    std::string key = channel_key(c.agent, c.user, c.channel, c.group, c.conv, c.thread);
    EXPECT_EQ(key, c.key);
    auto parsed = parse_session_key(key, "main");
    ASSERT_TRUE(parsed.ok()) << key;
    EXPECT_EQ(parsed->key, key) << "not canonical";
    EXPECT_EQ(parsed->channel, c.channel) << key;
    EXPECT_EQ(key_owner(key), c.user) << key;
  }
  EXPECT_LE(channel_key("main", "", "telegram", false, std::string(1000, 'x')).size(), 200u);
}

TEST(SessionKeysParse, CanonicalForms) {
  const KeyCase cases[] = {
      {"main", "agent:main:main", "main", "main", "", "direct"},
      {"MAIN", "agent:main:main", "main", "main", "", "direct"},
      {"agent:Main:Main", "agent:main:main", "main", "main", "", "direct"},
      {"agent:ops:main", "agent:ops:main", "ops", "main", "", "direct"},
      {"foo", "agent:main:foo", "main", "foo", "", "unknown"},
      {"agent", "agent:main:agent", "main", "agent", "", "unknown"},
      {"AGENT:Ops:Telegram:Direct:42", "agent:ops:telegram:direct:42", "ops", "telegram:direct:42",
       "telegram", "direct"},
      {"telegram:direct:42", "agent:main:telegram:direct:42", "main", "telegram:direct:42",
       "telegram", "direct"},
      {"agent:a_b-1:discord:group:G1", "agent:a_b-1:discord:group:g1", "a_b-1", "discord:group:g1",
       "discord", "group"},
      {"agent:main:slack:group:c1:thread:T9", "agent:main:slack:group:c1:thread:t9", "main",
       "slack:group:c1:thread:t9", "slack", "group"},
      // Only ASCII is lowercased: "Ü" and "ï" stay as they are.
      {"telegram:direct:\u00dcn\u00efCode", "agent:main:telegram:direct:\u00dcn\u00efcode", "main",
       "telegram:direct:\u00dcn\u00efcode", "telegram", "direct"},
      // Shapes that are not one of the known forms: kind unknown, no channel.
      {"agent:main:telegram:direct:a:b", "agent:main:telegram:direct:a:b", "main",
       "telegram:direct:a:b", "", "unknown"},
      {"agent:main:slack:group:c1:thread", "agent:main:slack:group:c1:thread", "main",
       "slack:group:c1:thread", "", "unknown"},
      {"agent:main:slack:group:c1:topic:2", "agent:main:slack:group:c1:topic:2", "main",
       "slack:group:c1:topic:2", "", "unknown"},
      {"agent:main:main:extra", "agent:main:main:extra", "main", "main:extra", "", "unknown"},
      {"agent:main:telegram:direct", "agent:main:telegram:direct", "main", "telegram:direct", "",
       "unknown"},
  };
  for (const KeyCase& c : cases) {
    SCOPED_TRACE(c.raw);
    Result<SessionKey> k = parse_session_key(c.raw, "main");
    ASSERT_TRUE(k.ok()) << k.error().message;
    EXPECT_EQ(k->key, c.key);
    EXPECT_EQ(k->agent_id, c.agent_id);
    EXPECT_EQ(k->rest, c.rest);
    EXPECT_EQ(k->channel, c.channel);
    EXPECT_EQ(k->kind, c.kind);
  }
}

TEST(SessionKeysParse, DefaultAgentIsUsedAndLowercased) {
  Result<SessionKey> k = parse_session_key("main", "Ops");
  ASSERT_TRUE(k.ok()) << k.error().message;
  EXPECT_EQ(k->key, "agent:ops:main");
  EXPECT_EQ(k->agent_id, "ops");
  // An explicit agent wins over the default.
  k = parse_session_key("agent:main:main", "ops");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->agent_id, "main");
  // The default matters only when it is used.
  EXPECT_TRUE(parse_session_key("agent:main:main", "").ok());
  Result<SessionKey> bad = parse_session_key("main", "-bad");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("default agent id"));
}

TEST(SessionKeysParse, CanonicalKeyParsesToItself) {
  for (const char* raw : {"MAIN", "agent:X:Telegram:direct:7", "slack:group:C:thread:T"}) {
    Result<SessionKey> once = parse_session_key(raw, "main");
    ASSERT_TRUE(once.ok());
    Result<SessionKey> twice = parse_session_key(once->key, "other");
    ASSERT_TRUE(twice.ok());
    EXPECT_EQ(twice->key, once->key);
    EXPECT_EQ(twice->kind, once->kind);
  }
}

struct BadCase {
  std::string raw;
  std::string message_part;
};

TEST(SessionKeysParse, Rejections) {
  const BadCase cases[] = {
      {"", "empty"},
      {"a b", "whitespace is not allowed at byte 1"},
      {" main", "whitespace"},
      {"main ", "whitespace"},
      {"\t", "whitespace"},
      {"main\n", "whitespace"},
      {"agent:main:\u00a0x", "whitespace (U+00A0)"},   // no-break space
      {"agent:main:a\u3000b", "whitespace (U+3000)"},  // ideographic space
      {std::string("ma\0in", 5), "control character 0x00"},
      {"main\x01", "control character 0x01"},
      {"main\x7f", "control character 0x7f"},
      {"main\xc2\x85", "whitespace"},                // NEL
      {"main\xc2\x9b", "control character U+009B"},  // C1 CSI
      {"main\xff", "not valid UTF-8"},
      {"main\xc3", "not valid UTF-8"},              // truncated sequence
      {"main\xc0\xaf", "not valid UTF-8"},          // overlong '/'
      {"main\xed\xa0\x80", "not valid UTF-8"},      // surrogate
      {"main\xf4\x90\x80\x80", "not valid UTF-8"},  // above U+10FFFF
      {"agent:main", "session key needs something after the agent id"},
      {"AGENT:ops", "session key needs something after the agent id"},
      {"agent:main:", "empty segment"},
      {"agent::x", "empty segment"},
      {"agent:", "empty segment"},
      {":", "empty segment"},
      {"telegram::42", "empty segment"},
      {"main:", "empty segment"},
      {"agent:-x:main", "agent id \"-x\" is not valid"},
      {"agent:_x:main", "is not valid"},
      {"agent:a.b:main", "is not valid"},
      {"agent:\xc3\xbc:main", "is not valid"},
      {"agent:" + std::string(65, 'a') + ":main", "is not valid"},
  };
  for (const BadCase& c : cases) {
    SCOPED_TRACE(testing::PrintToString(c.raw));
    Result<SessionKey> k = parse_session_key(c.raw, "main");
    ASSERT_FALSE(k.ok()) << k->key;
    EXPECT_EQ(k.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(k.error().message, StartsWith("invalid session key: "));
    EXPECT_THAT(k.error().message, HasSubstr(c.message_part));
  }
}

TEST(SessionKeysParse, LengthLimitAppliesAfterCanonicalisation) {
  // Exactly 512 bytes as an explicit key: accepted.
  std::string prefix = "agent:main:";
  std::string exact = prefix + std::string(kMaxKeyLength - prefix.size(), 'x');
  ASSERT_EQ(exact.size(), 512u);
  EXPECT_TRUE(parse_session_key(exact, "main").ok());

  Result<SessionKey> k = parse_session_key(exact + "x", "main");
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "invalid session key: too long (513 bytes, max 512)");

  // 505 raw bytes without the prefix become 505 + 11 = 516 once "agent:main:" is added.
  std::string bare(505, 'y');
  k = parse_session_key(bare, "main");
  ASSERT_FALSE(k.ok());
  EXPECT_EQ(k.error().message, "invalid session key: too long (516 bytes, max 512)");
  EXPECT_TRUE(parse_session_key(std::string(501, 'y'), "main").ok());  // 512 exactly

  EXPECT_FALSE(parse_session_key(std::string(100000, 'z'), "main").ok());
}

TEST(SessionKeysAgentId, Valid) {
  for (const char* id : {"main", "a", "0", "a-b_c", "9lives", "x-"})
    EXPECT_TRUE(valid_agent_id(id)) << id;
  EXPECT_TRUE(valid_agent_id(std::string(64, 'a')));
}

TEST(SessionKeysAgentId, Invalid) {
  for (const char* id : {"", "-a", "_a", "A", "main!", "a b", "a:b", "a.b"})
    EXPECT_FALSE(valid_agent_id(id)) << id;
  EXPECT_FALSE(valid_agent_id(std::string(65, 'a')));
  EXPECT_FALSE(valid_agent_id("\xc3\xbc"));
}

TEST(Slugify, Examples) {
  const std::pair<std::string, std::string> cases[] = {
      {"My Agent!", "my-agent"},
      {"  --Foo__Bar-- ", "foo__bar"},
      {"\u00dcn\u00efcode", "n-code"},  // "Ünïcode": non-ASCII bytes are other characters
      {"", ""},
      {"!!!", ""},
      {"___", ""},
      {"_x_", "x_"},
      {"a  -  b", "a-b"},
      {"Main", "main"},
      {"R2-D2 v2.0", "r2-d2-v2-0"},
      {"already-a-slug", "already-a-slug"},
  };
  for (const auto& [in, want] : cases) EXPECT_EQ(slugify(in), want) << in;
}

TEST(Slugify, CutTo64ThenTrimmed) {
  EXPECT_EQ(slugify(std::string(100, 'a')), std::string(64, 'a'));
  // The cut lands right after a '-': it is trimmed, leaving 63 characters.
  std::string name = std::string(63, 'a') + " b";
  EXPECT_EQ(slugify(name), std::string(63, 'a'));
}

TEST(Slugify, ResultIsAValidAgentIdOrEmpty) {
  for (const char* name : {"My Agent!", "__x", "-", "Ünïcode", "  ", "9", "a_", "Ω"}) {
    std::string s = slugify(name);
    EXPECT_TRUE(s.empty() || valid_agent_id(s)) << name << " -> " << s;
  }
}

}  // namespace
}  // namespace simpleclaw::sessions
