// config::parse: validation issues (path + line), ${ENV} substitution, semantic checks,
// typed structs, the embedded default and schema, UI hints, needs_restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/config.h"
#include "unit/config/env_lookup.h"

namespace simpleclaw::config {
namespace {

using ::testing::HasSubstr;

std::string dump_issues(const std::vector<Issue>& issues) {
  std::string out;
  for (const Issue& i : issues) out += "  " + i.to_string() + "\n";
  return out;
}

TEST(ConfigDefault, EmbeddedDefaultIsValidAndMatchesStructDefaults) {
  ASSERT_FALSE(default_text().empty());
  Parsed p = parse(default_text(), kNoEnv);
  ASSERT_TRUE(p.ok()) << dump_issues(p.issues);
  EXPECT_EQ(p.config.gateway.port, 18789);
  EXPECT_EQ(p.config.gateway.bind, "loopback");
  EXPECT_EQ(p.config.gateway.mode, "local");
  EXPECT_EQ(p.config.gateway.auth.mode, "token");
  EXPECT_EQ(p.config.logging.level, "info");
  EXPECT_NE(default_text().find('#'), std::string_view::npos) << "the default is commented";
  EXPECT_TRUE(p.config.doc.is_object());
  EXPECT_EQ(p.config.doc["gateway"]["port"], 18789);
}

TEST(ConfigDefault, EmptyFileIsEmptyObjectWithStructDefaults) {
  for (const char* text : {"", "# only a comment\n", "\n\n"}) {
    Parsed p = parse(text, kNoEnv);
    ASSERT_TRUE(p.ok()) << text << dump_issues(p.issues);
    EXPECT_EQ(p.config.doc, Json::object());
    EXPECT_EQ(p.config.gateway.port, 18789);
    EXPECT_EQ(p.config.gateway.timers.handshake_ms, 15000);
    EXPECT_EQ(p.config.gateway.limits.max_payload, 26214400);
    EXPECT_EQ(p.config.logging.max_files, 5);
  }
}

// Walks the schema: every property carries a description (a "$ref" node through its
// target), every object says what it does with unknown keys: false (strict), or, where
// the keys are open by design (plugin channels' settings, validated against the
// plugin's own manifest schema), a schema or an explicit true.
void check_schema_node(const Json& node, const std::string& path, int depth = 0) {
  ASSERT_TRUE(node.is_object()) << path;
  ASSERT_LT(depth, 32) << "$ref loop at " << path;
  if (node.contains("$ref")) {
    std::string ref = node["$ref"];
    ASSERT_EQ(ref.rfind("#/definitions/", 0), 0u) << path;
    std::shared_ptr<const Json> root = schema();
    const Json& defs = (*root)["definitions"];
    ASSERT_TRUE(defs.contains(ref.substr(14))) << "dangling " << ref << " at " << path;
    return check_schema_node(defs[ref.substr(14)], path, depth + 1);
  }
  EXPECT_TRUE(node.contains("description")) << "no description at " << path;
  if (node.contains("properties")) {
    EXPECT_TRUE(node.contains("additionalProperties")) << "unknown keys unspecified at " << path;
    bool open = node.value("additionalProperties", Json(false)) != Json(false);
    if (!path.empty() && path.rfind("channels", 0) != 0) {
      EXPECT_FALSE(open) << "only channel settings may be open: " << path;
    }
    for (const auto& [k, child] : node["properties"].items())
      check_schema_node(child, path.empty() ? k : path + "." + k, depth);
  }
  if (node.contains("items")) check_schema_node(node["items"], path + "[]", depth);
}

TEST(ConfigSchema, IsDraft07StrictAndDescribed) {
  std::shared_ptr<const Json> held = schema();
  const Json& s = *held;
  EXPECT_EQ(s.value("$schema", ""), "http://json-schema.org/draft-07/schema#");
  check_schema_node(s, "");
  EXPECT_EQ(s["properties"]["gateway"]["properties"]["port"]["maximum"], 65535);
  EXPECT_EQ(schema().get(), held.get()) << "parsed once while in use";
  // Idle RSS: nobody holds it any more, so it is freed (a parse makes it again).
  std::weak_ptr<const Json> w = held;
  held.reset();
  EXPECT_TRUE(w.expired()) << "the schema stays in memory while no one uses it";
  EXPECT_FALSE(parse("gateway: {port: 70000}\n").issues.empty()) << "validates again";
}

TEST(ConfigSchema, UiHints) {
  Json h = ui_hints();
  EXPECT_EQ(h["gateway.auth.token"]["sensitive"], true);
  EXPECT_EQ(h["gateway.auth.token"]["label"], "Gateway token");
  EXPECT_EQ(h["gateway.auth.password"]["sensitive"], true);
  EXPECT_EQ(h["gateway.port"]["label"], "Port");
  EXPECT_EQ(h["gateway.port"]["restart"], true);
  EXPECT_EQ(h["gateway.bind"]["restart"], true);
  EXPECT_EQ(h["gateway.tls"]["restart"], true);
  EXPECT_FALSE(h["logging.level"].contains("restart"));
}

struct ExpectedIssue {
  std::string path;
  int line;
  std::string message_part;
};

struct BadCase {
  std::string name;
  std::string yaml;
  std::vector<ExpectedIssue> issues;  // exactly these, in this order
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

class ConfigInvalid : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigInvalid, ReportsExactlyTheseIssues) {
  const BadCase& c = GetParam();
  Parsed p = parse(c.yaml, kNoEnv);
  ASSERT_EQ(p.issues.size(), c.issues.size()) << dump_issues(p.issues);
  for (std::size_t i = 0; i < c.issues.size(); ++i) {
    EXPECT_EQ(p.issues[i].path, c.issues[i].path) << dump_issues(p.issues);
    EXPECT_EQ(p.issues[i].line, c.issues[i].line) << dump_issues(p.issues);
    EXPECT_THAT(p.issues[i].message, HasSubstr(c.issues[i].message_part)) << dump_issues(p.issues);
  }
  EXPECT_FALSE(p.ok());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigInvalid,
    ::testing::Values(
        BadCase{"UnknownKey",
                "gateway:\n  prot: 80\n",
                {{"gateway.prot", 2, "unknown key 'prot' (did you mean 'port'?)"}}},
        BadCase{"UnknownTopLevelKey",
                "gateway:\n  port: 1\nlogs:\n  level: info\n",
                {{"logs", 3, "unknown key 'logs'"}}},
        BadCase{"TwoUnknownKeysInOneMapping",
                "gateway:\n  a: 1\n  port: 2\n  b: 3\n",
                {{"gateway.a", 2, "unknown key 'a'"}, {"gateway.b", 4, "unknown key 'b'"}}},
        BadCase{"UnknownNestedKey",
                "gateway:\n  tls:\n    enabled: false\n    certificate: x\n",
                {{"gateway.tls.certificate", 4, "unknown key 'certificate'"}}},
        BadCase{"WrongTypeQuotedNumber",
                "gateway:\n  port: \"8080\"\n",
                {{"gateway.port", 2, "must be an integer"}}},
        BadCase{"WrongTypeFloat",
                "gateway:\n  port: 80.5\n",
                {{"gateway.port", 2, "must be an integer"}}},
        BadCase{"WrongTypeBool",
                "gateway:\n  tls:\n    enabled: \"yes\"\n",
                {{"gateway.tls.enabled", 3, "must be true or false"}}},
        BadCase{"WrongTypeSection", "gateway: 5\n", {{"gateway", 1, "must be a mapping"}}},
        BadCase{"RootNotMapping", "- a\n- b\n", {{"", 1, "must be a mapping"}}},
        BadCase{"TooLarge", "gateway:\n  port: 99999\n", {{"gateway.port", 2, "must be <= 65535"}}},
        BadCase{"TooSmall", "gateway:\n  port: -1\n", {{"gateway.port", 2, "must be >= 0"}}},
        BadCase{"TimerMinimum",
                "gateway:\n  timers:\n    tick_ms: 10\n",
                {{"gateway.timers.tick_ms", 3, "must be >= 50"}}},
        BadCase{"Enum",
                "gateway:\n  auth:\n    mode: secret\n",
                {{"gateway.auth.mode", 3, "must be one of: token, password, none"}}},
        BadCase{"EnumWithWrongTypeReportsTypeOnly",
                "logging:\n  level: 3\n",
                {{"logging.level", 2, "must be a string"}}},
        BadCase{"ArrayItem",
                "gateway:\n  allowed_origins:\n    - https://a.example\n    - 42\n",
                {{"gateway.allowed_origins[1]", 4, "must be a string"}}},
        BadCase{"ArrayWrongType",
                "gateway:\n  allowed_origins: https://a.example\n",
                {{"gateway.allowed_origins", 2, "must be a list"}}},
        BadCase{"SyntaxError",
                "gateway:\n  port: 1\n  bind: [loopback\n",
                {{"", 4, "end of sequence flow not found"}}},
        BadCase{"DuplicateKey",
                "gateway:\n  port: 1\n  port: 2\n",
                {{"gateway.port", 3, "duplicate key 'port' (first defined on line 2)"}}},
        BadCase{"BadBind",
                "gateway:\n  bind: localhost\n",
                {{"gateway.bind", 2, "must be loopback, all"}}},
        BadCase{
            "EmptyBind", "gateway:\n  bind: \"\"\n", {{"gateway.bind", 2, "must not be empty"}}},
        BadCase{"RedactedPlaceholderIsNotAValue",
                "gateway:\n  auth:\n    token: __SIMPLECLAW_REDACTED__\n",
                {{"gateway.auth.token", 3, "is the redaction placeholder"}}},
        BadCase{"BadBindIp",
                "gateway:\n  bind: 300.1.1.1\n",
                {{"gateway.bind", 2, "literal IPv4/IPv6"}}},
        BadCase{"AuthNoneWithBindAll",
                "gateway:\n  bind: all\n  auth:\n    mode: none\n",
                {{"gateway.auth.mode", 4, "auth mode 'none' is only allowed with bind: loopback"}}},
        BadCase{"AuthNoneWithPublicIp",
                "gateway:\n  bind: 192.168.1.5\n  auth:\n    mode: none\n",
                {{"gateway.auth.mode", 4, "only allowed with bind: loopback"}}},
        BadCase{"PasswordModeWithoutPassword",
                "gateway:\n  auth:\n    mode: password\n",
                {{"gateway.auth.password", 3, "requires gateway.auth.password"}}},
        BadCase{"PasswordModeWithEmptyPassword",
                "gateway:\n  auth:\n    mode: password\n    password: \"\"\n",
                {{"gateway.auth.password", 4, "requires gateway.auth.password"}}},
        BadCase{"TlsCertWithoutKey",
                "gateway:\n  tls:\n    enabled: true\n    cert: /a.pem\n",
                {{"gateway.tls", 2, "tls.cert and tls.key must be set together"}}},
        // A proxy list that does not parse would trust nobody, or the wrong block.
        BadCase{"TrustedProxiesNotAddresses",
                "gateway:\n  trusted_proxies:\n    - 10.0.0.0/8\n    - nginx.local\n"
                "    - 10.0.0.0/33\n    - \"fd00::/129\"\n    - 10.0.0.0/\n    - 1.2.3.4/8x\n",
                {{"gateway.trusted_proxies[1]", 4, "'nginx.local' is not an IPv4 or IPv6"},
                 {"gateway.trusted_proxies[2]", 5, "'/33' must be a number from 0 to 32"},
                 {"gateway.trusted_proxies[3]", 6, "'/129' must be a number from 0 to 128"},
                 {"gateway.trusted_proxies[4]", 7, "'/' must be a number from 0 to 32"},
                 {"gateway.trusted_proxies[5]", 8, "'/8x' must be a number"}}},
        BadCase{"TrustedProxiesNotAList",
                "gateway:\n  trusted_proxies: 10.0.0.0/8\n",
                {{"gateway.trusted_proxies", 2, "must be a list"}}},
        BadCase{"ThreeErrorsOnThreeLines",
                "# comment\n"
                "gateway:\n"
                "  port: 70000\n"  // line 3
                "  bind: loopback\n"
                "  mode: solo\n"  // line 5
                "  auth:\n"
                "    mode: token\n"
                "logging:\n"
                "  level: info\n"
                "  max_files: many\n",  // line 10
                {{"gateway.port", 3, "must be <= 65535"},
                 {"gateway.mode", 5, "must be one of: local, shared"},
                 {"logging.max_files", 10, "must be an integer"}}}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

struct GoodCase {
  std::string name;
  std::string yaml;
};

void PrintTo(const GoodCase& c, std::ostream* os) { *os << c.name; }

class ConfigValid : public ::testing::TestWithParam<GoodCase> {};

TEST_P(ConfigValid, HasNoIssues) {
  Parsed p = parse(GetParam().yaml, kNoEnv);
  EXPECT_TRUE(p.ok()) << dump_issues(p.issues);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigValid,
    ::testing::Values(
        GoodCase{"AuthNoneLoopback", "gateway:\n  auth:\n    mode: none\n"},
        GoodCase{"AuthNoneLoopbackIp", "gateway:\n  bind: 127.0.0.1\n  auth:\n    mode: none\n"},
        GoodCase{"AuthNoneLoopbackIp6", "gateway:\n  bind: \"::1\"\n  auth:\n    mode: none\n"},
        GoodCase{"BindIp6", "gateway:\n  bind: \"fe80::1\"\n"},
        GoodCase{"BindAllWithToken", "gateway:\n  bind: all\n"},
        GoodCase{"PortZero", "gateway:\n  port: 0\n"},
        GoodCase{"EmptySections", "gateway:\n  tls:\n  auth:\nlogging:\n"},
        GoodCase{"TrustedProxies",
                 "gateway:\n  trusted_proxies: [127.0.0.1, 10.0.0.0/8, \"::1\", \"fd00::/8\",\n"
                 "    192.168.1.10/24, \"::ffff:10.0.0.0/104\"]\n"},
        GoodCase{"FlowStyle", "{gateway: {port: 1234, allowed_origins: [\"http://x\"]}}"},
        GoodCase{"Json", "{\"gateway\": {\"port\": 1234}, \"logging\": {\"level\": \"warn\"}}"}),
    [](const ::testing::TestParamInfo<GoodCase>& info) { return info.param.name; });

TEST(ConfigParse, FillsTypedStructs) {
  Parsed p = parse(
      "gateway:\n"
      "  port: 9000\n"
      "  bind: all\n"
      "  mode: shared\n"
      "  auth: {mode: password, password: hunter2}\n"
      "  tls: {enabled: true, cert: /c.pem, key: /k.pem}\n"
      "  allowed_origins: [\"https://a\", \"https://b\"]\n"
      "  trusted_proxies: [10.0.0.0/8, \"::1\"]\n"
      "  timers: {handshake_ms: 1000, tick_ms: 2000, ping_ms: 3000, maintenance_ms: 4000}\n"
      "  limits: {max_preauth_per_ip: 3, max_preauth_frame: 2048, max_payload: 4096,\n"
      "           max_buffered: 8192, max_connections: 10}\n"
      "logging: {level: debug, max_bytes: 123456789012, max_files: 9}\n",
      kNoEnv);
  ASSERT_TRUE(p.ok()) << dump_issues(p.issues);
  const Config& c = p.config;
  EXPECT_EQ(c.gateway.port, 9000);
  EXPECT_EQ(c.gateway.bind, "all");
  EXPECT_EQ(c.gateway.mode, "shared");
  EXPECT_EQ(c.gateway.auth.mode, "password");
  EXPECT_EQ(c.gateway.auth.password, "hunter2");
  EXPECT_TRUE(c.gateway.tls.enabled);
  EXPECT_EQ(c.gateway.tls.cert, "/c.pem");
  EXPECT_EQ(c.gateway.tls.key, "/k.pem");
  EXPECT_EQ(c.gateway.allowed_origins, (std::vector<std::string>{"https://a", "https://b"}));
  EXPECT_EQ(c.gateway.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(c.gateway.timers.handshake_ms, 1000);
  EXPECT_EQ(c.gateway.timers.tick_ms, 2000);
  EXPECT_EQ(c.gateway.timers.ping_ms, 3000);
  EXPECT_EQ(c.gateway.timers.maintenance_ms, 4000);
  EXPECT_EQ(c.gateway.limits.max_preauth_per_ip, 3);
  EXPECT_EQ(c.gateway.limits.max_preauth_frame, 2048);
  EXPECT_EQ(c.gateway.limits.max_payload, 4096);
  EXPECT_EQ(c.gateway.limits.max_buffered, 8192);
  EXPECT_EQ(c.gateway.limits.max_connections, 10);
  EXPECT_EQ(c.logging.level, "debug");
  EXPECT_EQ(c.logging.max_bytes, 123456789012LL);
  EXPECT_EQ(c.logging.max_files, 9);
}

TEST(ConfigParse, AbsentKeysKeepStructDefaults) {
  Parsed p = parse("gateway:\n  port: 1\n", kNoEnv);
  ASSERT_TRUE(p.ok());
  Config defaults;
  EXPECT_EQ(p.config.gateway.port, 1);
  EXPECT_EQ(p.config.gateway.bind, defaults.gateway.bind);
  EXPECT_EQ(p.config.gateway.auth.mode, defaults.gateway.auth.mode);
  EXPECT_EQ(p.config.gateway.timers.ping_ms, defaults.gateway.timers.ping_ms);
  EXPECT_EQ(p.config.gateway.limits.max_connections, defaults.gateway.limits.max_connections);
  EXPECT_EQ(p.config.logging.max_bytes, defaults.logging.max_bytes);
}

TEST(ConfigEnv, SubstitutesEveryStringAndDocHoldsTheResult) {
  Parsed p = parse(
      "gateway:\n"
      "  auth:\n"
      "    token: ${GW_TOKEN}\n"
      "  tls:\n"
      "    cert: \"${CERT_DIR}/cert.pem\"\n"
      "    key: ${CERT_DIR}/${KEY_NAME}\n"
      "  allowed_origins: [\"https://${HOST}\"]\n",
      env_of(
          {{"GW_TOKEN", "s3cret"}, {"CERT_DIR", "/etc/sc"}, {"KEY_NAME", "k.pem"}, {"HOST", "h"}}));
  ASSERT_TRUE(p.ok()) << dump_issues(p.issues);
  EXPECT_EQ(p.config.gateway.auth.token, "s3cret");
  EXPECT_EQ(p.config.gateway.tls.cert, "/etc/sc/cert.pem");
  EXPECT_EQ(p.config.gateway.tls.key, "/etc/sc/k.pem");
  EXPECT_EQ(p.config.gateway.allowed_origins.at(0), "https://h");
  EXPECT_EQ(p.config.doc["gateway"]["auth"]["token"], "s3cret");
}

TEST(ConfigEnv, MissingVariableIsAnIssueAtItsPathAndLine) {
  Parsed p = parse("gateway:\n  auth:\n    token: ${NOPE_TOKEN}\n  bind: ${ALSO_NOPE}\n", kNoEnv);
  ASSERT_EQ(p.issues.size(), 3u) << dump_issues(p.issues);
  EXPECT_EQ(p.issues[0].path, "gateway.auth.token");
  EXPECT_EQ(p.issues[0].line, 3);
  EXPECT_EQ(p.issues[0].message, "environment variable NOPE_TOKEN is not set");
  EXPECT_EQ(p.issues[1].path, "gateway.bind");
  EXPECT_EQ(p.issues[1].line, 4);
  EXPECT_EQ(p.issues[1].message, "environment variable ALSO_NOPE is not set");
  // and the unexpanded ${ALSO_NOPE} is of course not a bind address either
  EXPECT_EQ(p.issues[2].path, "gateway.bind");
}

TEST(ConfigEnv, EmptyValueCountsAsSet) {
  Parsed p = parse("gateway:\n  auth:\n    token: ${EMPTY}\n", env_of({{"EMPTY", ""}}));
  ASSERT_TRUE(p.ok()) << dump_issues(p.issues);
  EXPECT_EQ(p.config.gateway.auth.token, "");
}

struct EnvCase {
  std::string in;
  std::string out;
};

void PrintTo(const EnvCase& c, std::ostream* os) { *os << c.in << " -> " << c.out; }

class ConfigEnvText : public ::testing::TestWithParam<EnvCase> {};

TEST_P(ConfigEnvText, Substitutes) {
  std::string yaml = "gateway:\n  auth:\n    token: '" + GetParam().in + "'\n";
  Parsed p = parse(yaml, env_of({{"X", "v"}, {"_y1", "w"}}));
  ASSERT_TRUE(p.ok()) << GetParam().in << dump_issues(p.issues);
  EXPECT_EQ(p.config.gateway.auth.token, GetParam().out) << GetParam().in;
}

INSTANTIATE_TEST_SUITE_P(Cases, ConfigEnvText,
                         ::testing::Values(EnvCase{"${X}", "v"}, EnvCase{"a${X}b${X}c", "avbvc"},
                                           EnvCase{"${_y1}", "w"}, EnvCase{"$${X}", "${X}"},
                                           EnvCase{"$${NOT_SET}", "${NOT_SET}"},
                                           EnvCase{"a$${X}${X}", "a${X}v"}, EnvCase{"$X", "$X"},
                                           EnvCase{"${1X}", "${1X}"}, EnvCase{"${X", "${X"},
                                           EnvCase{"${a-b}", "${a-b}"}, EnvCase{"$", "$"},
                                           EnvCase{"cost: $5", "cost: $5"}));

TEST(ConfigEnv, ThrowingLookupBecomesAnIssue) {
  EnvLookup throwing = [](const std::string&) -> std::optional<std::string> {
    throw std::runtime_error("boom");
  };
  Parsed p = parse("gateway:\n  auth:\n    token: ${X}\n", throwing);
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_THAT(p.issues[0].message, HasSubstr("boom"));
}

TEST(ConfigEnv, KeysAreNotSubstituted) {
  Parsed p = parse("${X}: 1\n", env_of({{"X", "gateway"}}));
  ASSERT_EQ(p.issues.size(), 1u);
  EXPECT_THAT(p.issues[0].message, HasSubstr("unknown key '${X}'"));
}

TEST(ConfigIssue, ToString) {
  EXPECT_EQ((Issue{"gateway.port", 3, "must be <= 65535"}).to_string(),
            "gateway.port (line 3): must be <= 65535");
  EXPECT_EQ((Issue{"", 0, "bad"}).to_string(), "config: bad");
}

TEST(ConfigIssue, InvalidConfigError) {
  Error e =
      invalid_config_error({Issue{"gateway.port", 3, "must be <= 65535"}, Issue{"a", 4, "x"}});
  EXPECT_EQ(e.code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(e.message, "invalid config: gateway.port (line 3): must be <= 65535");
  EXPECT_EQ(e.details["code"], "INVALID_CONFIG");
  ASSERT_EQ(e.details["issues"].size(), 2u);
  EXPECT_EQ(e.details["issues"][0],
            (Json{{"path", "gateway.port"}, {"line", 3}, {"message", "must be <= 65535"}}));
}

struct RestartCase {
  std::string name;
  std::string before;
  std::string after;
  bool restart;
};

void PrintTo(const RestartCase& c, std::ostream* os) { *os << c.name; }

class ConfigRestart : public ::testing::TestWithParam<RestartCase> {};

TEST_P(ConfigRestart, NeedsRestart) {
  Parsed a = parse(GetParam().before, kNoEnv);
  Parsed b = parse(GetParam().after, kNoEnv);
  ASSERT_TRUE(a.ok() && b.ok()) << dump_issues(a.issues) << dump_issues(b.issues);
  EXPECT_EQ(needs_restart(a.config, b.config), GetParam().restart);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ConfigRestart,
    ::testing::Values(
        RestartCase{"Same", "gateway: {port: 1}", "gateway: {port: 1}", false},
        RestartCase{"Port", "gateway: {port: 1}", "gateway: {port: 2}", true},
        RestartCase{"Bind", "gateway: {bind: loopback}", "gateway: {bind: all}", true},
        RestartCase{"TlsEnabled", "", "gateway: {tls: {enabled: true}}", true},
        RestartCase{"TlsCert", "gateway: {tls: {cert: a, key: k}}",
                    "gateway: {tls: {cert: b, key: k}}", true},
        RestartCase{"TlsKey", "gateway: {tls: {cert: a, key: k}}",
                    "gateway: {tls: {cert: a, key: j}}", true},
        RestartCase{"Token", "gateway: {auth: {token: a}}", "gateway: {auth: {token: b}}", false},
        RestartCase{"AuthMode", "", "gateway: {auth: {mode: password, password: p}}", false},
        RestartCase{"Origins", "", "gateway: {allowed_origins: [a]}", false},
        RestartCase{"Timers", "", "gateway: {timers: {tick_ms: 1000}}", false},
        RestartCase{"Limits", "", "gateway: {limits: {max_connections: 5}}", false},
        RestartCase{"Logging", "", "logging: {level: debug}", false}),
    [](const ::testing::TestParamInfo<RestartCase>& info) { return info.param.name; });

}  // namespace
}  // namespace simpleclaw::config

// ---- models / agents / sessions (issue 3)

TEST(ModelsConfig, ProvidersModelsAndAgentsAreTyped) {
  auto p = simpleclaw::config::parse(R"(
models:
  default: local/llama3
  providers:
    local:
      api: ollama
      base_url: http://127.0.0.1:11434
      models: [{id: llama3, context_window: 8192, max_tokens: 512}]
    cloud:
      api: openai
      api_key: sk-test
      headers: {X-Org: acme}
      models: [{id: gpt-4o-mini}]
  retry: {attempts: 5, base_ms: 10}
agents:
  list:
    - id: helper
      name: Helper
      model: cloud/gpt-4o-mini
      fallbacks: [local/llama3]
sessions:
  queue_mode: collect
)");
  ASSERT_TRUE(p.ok()) << p.issues.front().to_string();
  const auto& c = p.config;
  EXPECT_EQ(c.models.default_model, "local/llama3");
  ASSERT_EQ(c.models.providers.size(), 2u);
  EXPECT_EQ(c.models.providers[0].name, "cloud");
  EXPECT_EQ(c.models.providers[0].headers.at("X-Org"), "acme");
  EXPECT_EQ(c.models.providers[1].models[0].context_window, 8192);
  EXPECT_EQ(c.models.providers[1].models[0].max_tokens, 512);
  EXPECT_EQ(c.models.retry.attempts, 5);
  EXPECT_EQ(c.models.retry.base_ms, 10);
  EXPECT_EQ(c.sessions.queue_mode, "collect");
  // main is added beside the configured agent
  ASSERT_NE(simpleclaw::config::find_agent(c, "main"), nullptr);
  const auto* helper = simpleclaw::config::find_agent(c, "helper");
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->name, "Helper");
  EXPECT_EQ(helper->fallbacks, std::vector<std::string>{"local/llama3"});
}

TEST(ModelsConfig, DefaultModelIsFirstModelWhenUnset) {
  auto p = simpleclaw::config::parse(
      "models:\n  providers:\n    b:\n      api: openai\n"
      "      models: [{id: m1}, {id: m2}]\n");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.config.models.default_model, "b/m1");
}

TEST(ModelsConfig, BadReferencesAreReportedWithPathAndLine) {
  auto p = simpleclaw::config::parse(R"(models:
  default: nowhere/x
  providers:
    p:
      api: openai
agents:
  list:
    - id: a
      model: p
    - id: a
      fallbacks: [ghost/m]
)");
  ASSERT_FALSE(p.ok());
  std::string all;
  for (const auto& i : p.issues) all += i.to_string() + "\n";
  EXPECT_NE(all.find("models.default (line 2): names provider 'nowhere'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("agents.list[0].model (line 9): must be provider/model"), std::string::npos)
      << all;
  EXPECT_NE(all.find("agents.list[1].id (line 10): duplicate agent id 'a'"), std::string::npos)
      << all;
  EXPECT_NE(all.find("agents.list[1].fallbacks[0]"), std::string::npos) << all;
}

TEST(ModelsConfig, UnknownApiAndBadAgentIdAreSchemaErrors) {
  auto p = simpleclaw::config::parse(
      "models:\n  providers:\n    p:\n      api: gemini\nagents:\n  list:\n    - id: Bad Id\n");
  ASSERT_FALSE(p.ok());
  std::string all;
  for (const auto& i : p.issues) all += i.to_string() + "\n";
  EXPECT_NE(all.find("models.providers.p.api"), std::string::npos) << all;
  EXPECT_NE(all.find("agents.list[0].id"), std::string::npos) << all;
}

TEST(ModelsConfig, PluginProviderNeedsNoEndpointAndRefusesEndpointKeys) {
  auto ok = simpleclaw::config::parse(
      "models:\n  default: echo/echo-1\n  providers:\n    echo:\n      plugin: echo-provider\n");
  ASSERT_TRUE(ok.ok()) << ok.issues.front().to_string();
  ASSERT_EQ(ok.config.models.providers.size(), 1u);
  EXPECT_EQ(ok.config.models.providers[0].plugin, "echo-provider");
  EXPECT_EQ(ok.config.models.providers[0].api, "");           // not an HTTP provider
  EXPECT_TRUE(ok.config.models.providers[0].models.empty());  // the plugin may list them

  auto bad = simpleclaw::config::parse(R"(models:
  providers:
    echo:
      plugin: echo-provider
      api: openai
      api_key: sk-x
    nothing:
      models: [{id: m}]
    weird:
      plugin: "Not A Name"
)");
  ASSERT_FALSE(bad.ok());
  std::string all;
  for (const auto& i : bad.issues) all += i.to_string() + "\n";
  EXPECT_NE(all.find("models.providers.echo.api (line 5): not used by a plugin provider"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("models.providers.echo.api_key (line 6)"), std::string::npos) << all;
  EXPECT_NE(
      all.find(
          "models.providers.nothing (line 7): needs api (openai | anthropic | ollama) or plugin"),
      std::string::npos)
      << all;
  EXPECT_NE(all.find("models.providers.weird.plugin"), std::string::npos) << all;
}

namespace simpleclaw::config {
namespace {

TEST(ToolsConfig, DefaultsAndPerAgentOverrides) {
  Parsed p = parse(R"(
tools:
  deny: [web_fetch]
  exec:
    allow: ["/usr/bin/git status **"]
    timeout_ms: 5000
agents:
  list:
    - id: main
    - id: ops
      tools:
        allow: [exec, read]
        exec: {security: full, ask: always, sandbox: false}
        max_steps: 3
mcp:
  servers:
    fs: {command: npx, args: [-y, server], env: {A: b}}
nodes:
  allow_commands: [system.info]
)",
                   [](const std::string&) { return std::nullopt; });
  ASSERT_TRUE(p.ok()) << p.issues.front().to_string();
  const Config& c = p.config;
  EXPECT_EQ(c.tools.exec.security, "allowlist");
  EXPECT_EQ(c.tools.exec.ask, "on-miss");
  EXPECT_FALSE(c.tools.exec.sandbox.has_value());
  EXPECT_EQ(c.tools.exec.timeout_ms, 5000);
  const AgentConfig* main = find_agent(c, "main");
  const AgentConfig* ops = find_agent(c, "ops");
  ASSERT_TRUE(main && ops);
  EXPECT_FALSE(main->tools.permits("web_fetch"));
  EXPECT_TRUE(main->tools.permits("exec"));
  EXPECT_EQ(main->tools.exec.allow, std::vector<std::string>{"/usr/bin/git status **"});
  EXPECT_EQ(ops->tools.exec.security, "full");
  EXPECT_EQ(ops->tools.exec.ask, "always");
  EXPECT_EQ(ops->tools.exec.sandbox, false);
  EXPECT_EQ(ops->tools.exec.timeout_ms, 5000);  // inherited
  EXPECT_EQ(ops->tools.max_steps, 3);
  EXPECT_TRUE(ops->tools.permits("read"));
  EXPECT_FALSE(ops->tools.permits("write"));
  EXPECT_FALSE(ops->tools.permits("web_fetch"));  // deny is inherited and wins
  ASSERT_EQ(c.mcp.size(), 1u);
  EXPECT_EQ(c.mcp[0].name, "fs");
  EXPECT_EQ(c.mcp[0].args, (std::vector<std::string>{"-y", "server"}));
  EXPECT_EQ(c.mcp[0].env.at("A"), "b");
  EXPECT_EQ(c.nodes.allow_commands, std::vector<std::string>{"system.info"});
}

TEST(ToolsConfig, BadPolicyValuesAreReportedWithTheirLines) {
  Parsed p = parse(R"(tools:
  exec:
    security: yolo
    allow: ["git status"]
mcp:
  servers:
    "bad name": {command: x}
)",
                   [](const std::string&) { return std::nullopt; });
  ASSERT_FALSE(p.ok());
  std::string all;
  for (const Issue& i : p.issues) all += i.to_string() + "\n";
  EXPECT_NE(all.find("tools.exec.security (line 3)"), std::string::npos) << all;
  EXPECT_NE(all.find("tools.exec.allow[0] (line 4)"), std::string::npos) << all;
  EXPECT_NE(all.find("absolute path"), std::string::npos) << all;
  EXPECT_NE(all.find("mcp.servers"), std::string::npos) << all;
}

}  // namespace
}  // namespace simpleclaw::config
