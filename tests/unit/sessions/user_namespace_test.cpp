// Shared mode's session namespaces: who owns a key, and how any key a user names is
// moved into their own namespace (so another user's key can never be reached).
#include <gtest/gtest.h>

#include "sessions/keys.h"

namespace simpleclaw::sessions {
namespace {

TEST(UserNamespace, KeyOwner) {
  EXPECT_EQ(key_owner("agent:main:user:alice:main"), "alice");
  EXPECT_EQ(key_owner("agent:main:user:alice:telegram:direct:42"), "alice");
  EXPECT_EQ(key_owner("agent:main:user:alice:user:bob:main"), "alice");  // the first wins
  EXPECT_EQ(key_owner("agent:main:main"), "");
  EXPECT_EQ(key_owner("agent:main:telegram:direct:42"), "");
  EXPECT_EQ(key_owner("agent:main:user:alice"), "");  // nothing after the name
  EXPECT_EQ(key_owner("agent:main:user:alice:"), "");
  EXPECT_EQ(key_owner("agent:main:user:Al.ce:main"), "");  // not a user name
  EXPECT_EQ(key_owner("main"), "");
  EXPECT_EQ(key_owner(""), "");
}

TEST(UserNamespace, ParseSkipsTheNamespaceToClassify) {
  auto k = parse_session_key("agent:main:user:alice:telegram:group:-100:thread:7", "main");
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->owner, "alice");
  EXPECT_EQ(k->kind, "group");
  EXPECT_EQ(k->channel, "telegram");
  EXPECT_EQ(k->rest, "user:alice:telegram:group:-100:thread:7");
  auto m = parse_session_key("agent:main:user:alice:main", "main");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->kind, "direct");
  EXPECT_EQ(m->channel, "");
  auto plain = parse_session_key("main", "main");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->owner, "");
}

TEST(UserNamespace, AnyKeyMovesIntoTheCallersNamespace) {
  auto to = [](const std::string& raw, const std::string& user) {
    auto k = parse_session_key(raw, "main");
    EXPECT_TRUE(k.ok()) << raw;
    auto r = in_user_namespace(*k, user);
    EXPECT_TRUE(r.ok()) << raw;
    return r.ok() ? r->key : std::string();
  };
  EXPECT_EQ(to("main", "alice"), "agent:main:user:alice:main");
  EXPECT_EQ(to("agent:research:main", "alice"), "agent:research:user:alice:main");
  EXPECT_EQ(to("agent:main:user:alice:main", "alice"), "agent:main:user:alice:main");
  // Another user's key, or the admin's, becomes a fresh key of the caller's own.
  EXPECT_EQ(to("agent:main:user:bob:main", "alice"), "agent:main:user:alice:user:bob:main");
  EXPECT_EQ(to("agent:main:telegram:direct:42", "alice"),
            "agent:main:user:alice:telegram:direct:42");
  // Too long once namespaced: an error, never a truncated key.
  std::string longest = "agent:main:" + std::string(kMaxKeyLength - 11, 'x');
  auto k = parse_session_key(longest, "main");
  ASSERT_TRUE(k.ok());
  EXPECT_FALSE(in_user_namespace(*k, "alice").ok());
}

TEST(UserNamespace, UserNames) {
  EXPECT_TRUE(valid_user_name("alice"));
  EXPECT_TRUE(valid_user_name("a1_b-c"));
  EXPECT_FALSE(valid_user_name(""));
  EXPECT_FALSE(valid_user_name("Alice"));
  EXPECT_FALSE(valid_user_name("-x"));
  EXPECT_FALSE(valid_user_name(std::string(33, 'a')));
}

}  // namespace
}  // namespace simpleclaw::sessions
