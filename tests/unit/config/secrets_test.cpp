// Secret keys, redact(), redact_raw() (in-place, comments kept), restore_redacted().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "config/config.h"

namespace simpleclaw::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const std::string R(kRedacted);

TEST(Secrets, IsSecretKey) {
  for (const char* k :
       {"token", "password", "api_key", "apiKey", "secret", "bot_token", "client_secret",
        "admin_password", "botToken", "clientSecret", "Password", "BRAVE_API_KEY",
        "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "gcp_credentials", "url"})
    EXPECT_TRUE(is_secret_key(k)) << k;
  for (const char* k :
       {"mode", "port", "max_tokens", "tokens", "token_limit", "secrets_dir", "", "passwordless",
        "key", "cert", "keyboard", "monkey", "base_url", "url_file"})
    EXPECT_FALSE(is_secret_key(k)) << k;
}

TEST(Secrets, RedactReplacesSecretScalarsOnly) {
  Json doc = Json::parse(R"({
    "gateway": {"port": 1, "auth": {"mode": "token", "token": "abc", "password": null}},
    "channels": {"tg": {"bot_token": 12345, "name": "x", "secret": {"a": "b", "c": [1, null]}}}
  })");
  Json r = redact(doc);
  EXPECT_EQ(r["gateway"]["auth"]["token"], R);
  EXPECT_EQ(r["gateway"]["auth"]["password"], nullptr) << "null stays null";
  EXPECT_EQ(r["gateway"]["auth"]["mode"], "token");
  EXPECT_EQ(r["gateway"]["port"], 1);
  EXPECT_EQ(r["channels"]["tg"]["bot_token"], R) << "non-string scalars too";
  EXPECT_EQ(r["channels"]["tg"]["name"], "x");
  EXPECT_EQ(r["channels"]["tg"]["secret"],
            Json::parse(R"({"a": ")" + R + R"(", "c": [")" + R + R"(", null]})"));
  EXPECT_EQ(doc["gateway"]["auth"]["token"], "abc") << "deep copy";
  // A PostgreSQL URL carries its password: shown to no client.
  Json store = Json::parse(
      R"({"store": {"backend": "postgres", "postgres": {"url": "postgres://u:pw@h/db"}}})");
  EXPECT_EQ(redact(store)["store"]["postgres"]["url"], R);
  EXPECT_EQ(redact(store)["store"]["backend"], "postgres");
}

TEST(Secrets, RedactRawKeepsEverythingElseByteIdentical) {
  const std::string in =
      "# top comment\n"
      "gateway:\n"
      "  port: 18789   # the port\n"
      "  auth:\n"
      "    mode: token\n"
      "    token: abc123   # keep this comment\n"
      "    password: \"p\\\"w#d\"\n"
      "  # indented comment\n"
      "channels:\n"
      "  - name: one\n"
      "    api_key: 'it''s'\n"
      "  - {name: two, bot_token: xyz, other: 1}\n"
      "empty_token:\n"
      "plain_secret: ${SECRET_FROM_ENV}\n"
      "\n"
      "trailer: end\n";
  const std::string expected =
      "# top comment\n"
      "gateway:\n"
      "  port: 18789   # the port\n"
      "  auth:\n"
      "    mode: token\n"
      "    token: " +
      R +
      "   # keep this comment\n"
      "    password: \"" +
      R +
      "\"\n"
      "  # indented comment\n"
      "channels:\n"
      "  - name: one\n"
      "    api_key: '" +
      R +
      "'\n"
      "  - {name: two, bot_token: " +
      R +
      ", other: 1}\n"
      "empty_token:\n"
      "plain_secret: " +
      R +
      "\n"
      "\n"
      "trailer: end\n";
  EXPECT_EQ(redact_raw(in), expected);
}

TEST(Secrets, RedactRawBlockAndMultilineScalars) {
  const std::string in =
      "a:\n"
      "  secret: |\n"
      "    line one\n"
      "    line two\n"
      "  next: 1\n"
      "b:\n"
      "  token: first\n"
      "    continued\n"
      "  after: 2 # c\n";
  std::string out = redact_raw(in);
  EXPECT_EQ(out,
            "a:\n"
            "  secret: " +
                R +
                "\n"
                "  next: 1\n"
                "b:\n"
                "  token: " +
                R +
                "\n"
                "  after: 2 # c\n");
}

TEST(Secrets, RedactRawNeverLeaksOnOddLayouts) {
  // Aliases, tags and anchors: whatever the text ends up as, no secret may remain.
  const std::string in =
      "base: &tok hunter2\n"
      "gateway:\n"
      "  auth:\n"
      "    token: *tok\n"
      "    password: !!str &pw swordfish\n";
  std::string out = redact_raw(in);
  EXPECT_THAT(out, Not(HasSubstr("swordfish")));
  Result<Json> back = yaml_to_json(out);
  ASSERT_TRUE(back.ok()) << out;
  EXPECT_EQ((*back)["gateway"]["auth"]["token"], R);
  EXPECT_EQ((*back)["gateway"]["auth"]["password"], R);
  EXPECT_EQ((*back)["base"], "hunter2") << "a non-secret value that a secret aliases stays";
}

TEST(Secrets, RedactRawOfInvalidYamlStillRedacts) {
  const std::string in =
      "gateway:\n"
      "  auth:\n"
      "    token: abc123 # c\n"
      "    password: \"pw\"\n"
      "  bind: [oops\n"
      "x: {api_key: k1, y: 2}\n"
      "secret: |\n"
      "  blockval\n";
  std::string out = redact_raw(in);
  for (const char* leaked : {"abc123", "\"pw\"", "k1", "blockval"})
    EXPECT_THAT(out, Not(HasSubstr(leaked))) << out;
  EXPECT_THAT(out, HasSubstr("bind: [oops"));
  EXPECT_THAT(out, HasSubstr("# c"));
}

TEST(Secrets, RedactRawWithoutSecretsIsIdentity) {
  const std::string in = "# c\ngateway:\n  port: 1 # x\n  auth:\n    mode: none\n    token:\n";
  EXPECT_EQ(redact_raw(in), in);
}

TEST(Secrets, RestoreRedactedPutsBackOldTextAndKeepsNewComments) {
  const std::string old_text =
      "gateway:\n"
      "  auth:\n"
      "    token: ${GW_TOKEN}\n"
      "    password: \"p#w\"\n";
  const std::string new_text =
      "# edited by the UI\n"
      "gateway:\n"
      "  port: 9000  # new\n"
      "  auth:\n"
      "    token: " +
      R +
      "\n"
      "    password: \"" +
      R + "\" # kept\n";
  Result<std::string> r = restore_redacted(new_text, old_text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r,
            "# edited by the UI\n"
            "gateway:\n"
            "  port: 9000  # new\n"
            "  auth:\n"
            "    token: ${GW_TOKEN}\n"
            "    password: \"p#w\" # kept\n");
}

TEST(Secrets, RestoreRedactedRoundTripsRedactRaw) {
  const std::string original =
      "gateway:\n  auth:\n    token: 'abc'\n    password: |\n      multi\n      line\nlist:\n  - "
      "secret: 42\n";
  Result<std::string> r = restore_redacted(redact_raw(original), original);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(yaml_to_json(*r).value(), yaml_to_json(original).value()) << *r;
}

TEST(Secrets, RestoreRedactedFailsWithoutAnOldValue) {
  Result<std::string> r =
      restore_redacted("gateway:\n  auth:\n    token: " + R + "\n", "gateway: {}\n");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error().message, HasSubstr("gateway.auth.token"));
}

TEST(Secrets, RestoreRedactedWithoutPlaceholdersIsIdentity) {
  const std::string text = "gateway:\n  auth:\n    token: new # c\n";
  Result<std::string> r = restore_redacted(text, "not: [valid");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, text);
}

}  // namespace
}  // namespace simpleclaw::config
