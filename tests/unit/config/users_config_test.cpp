// users.<name> and gateway.mode: shared: what config::parse accepts, refuses (each with
// its path and the fix) and fills in.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"
#include "unit/config/env_lookup.h"

namespace simpleclaw::config {
namespace {

using ::testing::HasSubstr;

std::string all(const Parsed& p) {
  std::string out;
  for (const Issue& i : p.issues) out += i.to_string() + "\n";
  return out;
}

TEST(UsersConfig, SharedModeUsersAreFilledSortedWithDefaults) {
  Parsed p = parse(
      "gateway: {mode: shared}\n"
      "users:\n"
      "  zed: {token: zzzzzzzzzzzzzzzzzzzz, agents: [main, research]}\n"
      "  amy: {token_file: amy.token, scopes: [operator.read, operator.approvals], agents: '*'}\n",
      kNoEnv);
  ASSERT_TRUE(p.ok()) << all(p);
  ASSERT_EQ(p.config.users.size(), 2u);
  const UserConfig& amy = p.config.users[0];
  EXPECT_EQ(amy.name, "amy");
  EXPECT_EQ(amy.token_file, "amy.token");
  EXPECT_EQ(amy.scopes, (std::vector<std::string>{"operator.read", "operator.approvals"}));
  EXPECT_TRUE(amy.all_agents);
  const UserConfig& zed = p.config.users[1];
  EXPECT_EQ(zed.scopes, (std::vector<std::string>{"operator.read", "operator.write"}));
  EXPECT_FALSE(zed.all_agents);
  EXPECT_EQ(zed.agents, (std::vector<std::string>{"main", "research"}));
}

TEST(UsersConfig, TokensComeFromTheEnvironment) {
  Parsed p = parse("gateway: {mode: shared}\nusers:\n  amy: {token: '${AMY_TOKEN}'}\n",
                   [](const std::string& n) -> std::optional<std::string> {
                     if (n == "AMY_TOKEN") return std::string("from-the-env-0123456789");
                     return std::nullopt;
                   });
  ASSERT_TRUE(p.ok()) << all(p);
  EXPECT_EQ(p.config.users[0].token, "from-the-env-0123456789");
}

TEST(UsersConfig, UsersInLocalModeAreAnErrorNamingTheFix) {
  Parsed p = parse("users:\n  amy: {token: aaaaaaaaaaaaaaaaaaaa}\n", kNoEnv);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.issues[0].path, "users");
  EXPECT_EQ(p.issues[0].line, 1);
  EXPECT_THAT(p.issues[0].message, HasSubstr("set gateway.mode: shared"));
}

TEST(UsersConfig, EveryProblemIsReportedWithItsPath) {
  Parsed p = parse(
      "gateway:\n"
      "  mode: shared\n"
      "  auth: {token: gateway-token-0123456789}\n"
      "users:\n"
      "  amy: {token: short}\n"
      "  bob: {token: same-token-0123456789, scopes: [operator.read, operator.root]}\n"
      "  cat: {token: same-token-0123456789, scopes: [operator.admin]}\n"
      "  dan: {token: gateway-token-0123456789}\n"
      "  eve: {scopes: [operator.read]}\n"
      "  fay: {token: fay-token-0123456789abc, token_file: fay.token}\n"
      "  gus: {token: gus-token-0123456789abc, agents: all}\n"
      "bindings:\n"
      "  - {channel: telegram, agent: main, user: nobody}\n",
      kNoEnv);
  std::string text = all(p);
  EXPECT_THAT(text, HasSubstr("users.amy.token (line 5): token is too short (5 characters, at "
                              "least 16)"));
  EXPECT_THAT(text, HasSubstr("users.bob.scopes[1] (line 6): unknown scope 'operator.root'"));
  EXPECT_THAT(text, HasSubstr("users.cat.token (line 7): token is the same as users.bob.token"));
  EXPECT_THAT(text, HasSubstr("users.cat.scopes[0] (line 7): operator.admin cannot be granted"));
  EXPECT_THAT(text, HasSubstr("users.dan.token (line 8): token is the same as gateway.auth.token"));
  EXPECT_THAT(text, HasSubstr("users.eve (line 9): needs a token (or token_file)"));
  EXPECT_THAT(text, HasSubstr("users.fay (line 10): set token or token_file, not both"));
  EXPECT_THAT(text, HasSubstr("users.gus.agents (line 11): must be a list of agent ids or \"*\""));
  EXPECT_THAT(text, HasSubstr("bindings[0].user (line 13): unknown user 'nobody'"));
}

TEST(UsersConfig, BadUserNamesAndAuthNoneAreRefused) {
  Parsed names =
      parse("gateway: {mode: shared}\nusers:\n  Bad.Name: {token: aaaaaaaaaaaaaaaaaaaa}\n", kNoEnv);
  EXPECT_FALSE(names.ok());
  Parsed none = parse("gateway: {mode: shared, auth: {mode: none}}\n", kNoEnv);
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(all(none), HasSubstr("gateway.auth.mode"));
  EXPECT_THAT(all(none), HasSubstr("shared needs auth mode token or password"));
  // Shared mode without users is valid: only the admin can connect.
  EXPECT_TRUE(parse("gateway: {mode: shared}\n", kNoEnv).ok());
}

TEST(UsersConfig, UserTokensAreSecretsInConfigGet) {
  EXPECT_TRUE(is_secret_key("token"));
  Json red = redact(Json{{"users", {{"amy", {{"token", "aaaaaaaaaaaaaaaaaaaa"}}}}}});
  EXPECT_EQ(red["users"]["amy"]["token"], std::string(kRedacted));
}

}  // namespace
}  // namespace simpleclaw::config
