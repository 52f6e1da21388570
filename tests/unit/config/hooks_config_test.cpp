// hooks.* in config.yaml (src/config/hooks_config.cpp): mappings read by name, ${ENV}
// secrets, and every way a hooks section is refused at load (fail closed).
#include <gtest/gtest.h>

#include "config/config.h"

namespace simpleclaw::config {
namespace {

std::string hook_issues(const Parsed& p) {
  std::string out;
  for (const auto& i : p.issues) out += i.to_string() + "\n";
  return out;
}

EnvLookup hook_env() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOOKS_SECRET") return std::string("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    return std::nullopt;
  };
}

TEST(HooksConfig, OffByDefault) {
  Parsed p = parse("");
  ASSERT_TRUE(p.ok()) << hook_issues(p);
  EXPECT_FALSE(p.config.hooks.enabled);
  EXPECT_TRUE(p.config.hooks.mappings.empty());
  EXPECT_EQ(p.config.hooks.max_body_bytes, 262144);
  EXPECT_FALSE(p.config.hooks.allow_bearer);
}

TEST(HooksConfig, ReadsMappingsByNameWithTheirDefaults) {
  Parsed p = parse(R"(
hooks:
  enabled: true
  secret: ${HOOKS_SECRET}
  max_body_bytes: 4096
  mappings:
    github:
      message: "{{headers.x-github-event}}: {{body.repository.full_name}}"
    alerts:
      agent: main
      session: hook:alerts:prod
      message: "{{body.alert}}"
      secret: a-separate-secret-of-24b
      wait: true
      timeout_ms: 30000
      deliver: {channel: telegram, to: "42"}
)",
                   hook_env());
  ASSERT_TRUE(p.ok()) << hook_issues(p);
  const HooksConfig& h = p.config.hooks;
  EXPECT_TRUE(h.enabled);
  EXPECT_EQ(h.secret, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") << "${ENV} is substituted";
  EXPECT_EQ(h.max_body_bytes, 4096);
  ASSERT_EQ(h.mappings.size(), 2u);
  const HookMappingConfig& alerts = h.mappings[0];  // sorted by name
  const HookMappingConfig& github = h.mappings[1];
  EXPECT_EQ(alerts.name, "alerts");
  EXPECT_EQ(alerts.session, "hook:alerts:prod");
  EXPECT_EQ(alerts.secret, "a-separate-secret-of-24b");
  EXPECT_TRUE(alerts.wait);
  EXPECT_EQ(alerts.timeout_ms, 30000);
  ASSERT_TRUE(alerts.deliver.has_value());
  EXPECT_EQ(alerts.deliver->channel, "telegram");
  EXPECT_EQ(alerts.deliver->to, "42");
  EXPECT_EQ(github.name, "github");
  EXPECT_EQ(github.agent, "");
  EXPECT_EQ(github.session, "");
  EXPECT_EQ(github.secret, "");
  EXPECT_FALSE(github.wait);
  EXPECT_FALSE(github.deliver.has_value());
  // config.get never shows the secrets.
  Json shown = redact(p.config.doc);
  EXPECT_EQ(shown["hooks"]["secret"], std::string(kRedacted));
  EXPECT_EQ(shown["hooks"]["mappings"]["alerts"]["secret"], std::string(kRedacted));
}

TEST(HooksConfig, EnabledWithoutASecretIsRefused) {
  Parsed p = parse("hooks:\n  enabled: true\n");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(
      hook_issues(p).find("hooks.secret (line 2): hooks.enabled is true but hooks.secret is empty"),
      std::string::npos)
      << hook_issues(p);
  // Disabled, a missing secret is fine: nothing is served.
  EXPECT_TRUE(parse("hooks:\n  enabled: false\n").ok());
}

TEST(HooksConfig, EveryBadMappingIsNamedWithItsPath) {
  Parsed p = parse(R"(
hooks:
  enabled: true
  secret: short
  mappings:
    wake:
      message: "x"
    github:
      message: "{{env.HOME}}"
      agent: nobody
      secret: whsec_%%%
      colour: blue
    Bad.Name:
      message: "x"
    nomessage:
      agent: main
)");
  ASSERT_FALSE(p.ok());
  const std::string text = hook_issues(p);
  for (const char* want : {
           "hooks.secret (line 4): must be at least 16 bytes",
           "hooks.mappings.wake (line 6): 'wake' is a built-in hook",
           "hooks.mappings.github.message (line 9): {{env.HOME}} must start with one of: body, "
           "headers, name",
           "hooks.mappings.github.agent (line 10): unknown agent 'nobody'",
           "hooks.mappings.github.secret (line 11): whsec_ must be followed by standard base64",
           "colour",
           "Bad.Name",
           "message",
       })
    EXPECT_NE(text.find(want), std::string::npos) << "missing: " << want << "\n" << text;
}

}  // namespace
}  // namespace simpleclaw::config
