// Implicit providers (config/implicit_providers.h): what a config with no provider makes of
// the environment, and what turns it off. The environment is injected, never the real one.
#include "config/implicit_providers.h"

#include <gtest/gtest.h>

#include <map>

#include "config/config.h"
#include "unit/config/env_lookup.h"

namespace {

using namespace simpleclaw;
using namespace simpleclaw::config;

const ProviderConfig* find(const Config& c, const std::string& name) {
  for (const auto& p : c.models.providers)
    if (p.name == name) return &p;
  return nullptr;
}

TEST(ImplicitProviders, OpenAiKeyMakesAProviderAndTheDefaultModel) {
  Parsed p = parse("logging: {level: info}\n",
                   env_of({{"OPENAI_API_KEY", "sk-secret"}, {"OPENAI_BASE_URL", "http://h:1/v1"}}));
  ASSERT_TRUE(p.ok()) << p.issues.front().to_string();
  const ProviderConfig* o = find(p.config, "openai");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->api, "openai");
  EXPECT_EQ(o->api_key, "sk-secret");
  EXPECT_EQ(o->base_url, "http://h:1/v1");
  EXPECT_EQ(o->implicit_from, "OPENAI_API_KEY");
  ASSERT_FALSE(o->models.empty());
  EXPECT_EQ(p.config.models.default_model, "openai/" + o->models.front().id);
  EXPECT_EQ(p.config.models.ollama_probe_url, kDefaultOllamaUrl);
  // Not config: the document (what config.get shows) has no provider and no key.
  EXPECT_EQ(p.config.doc.dump().find("sk-secret"), std::string::npos);
}

TEST(ImplicitProviders, DefaultOrderIsOpenAiThenAnthropic) {
  Parsed both = parse("", env_of({{"OPENAI_API_KEY", "a"}, {"ANTHROPIC_API_KEY", "b"}}));
  ASSERT_TRUE(both.ok());
  EXPECT_EQ(both.config.models.providers.size(), 2u);
  EXPECT_EQ(both.config.models.default_model.rfind("openai/", 0), 0u);
  Parsed anth = parse("", env_of({{"ANTHROPIC_API_KEY", "b"}}));
  ASSERT_TRUE(anth.ok());
  ASSERT_NE(find(anth.config, "anthropic"), nullptr);
  EXPECT_EQ(find(anth.config, "anthropic")->base_url, "");  // the wire's default
  EXPECT_EQ(anth.config.models.default_model.rfind("anthropic/", 0), 0u);
  // An explicit models.default naming an implicit provider is kept.
  Parsed chosen = parse("models: {default: anthropic/claude-haiku-4-5}\n",
                        env_of({{"OPENAI_API_KEY", "a"}, {"ANTHROPIC_API_KEY", "b"}}));
  ASSERT_TRUE(chosen.ok()) << chosen.issues.front().to_string();
  EXPECT_EQ(chosen.config.models.default_model, "anthropic/claude-haiku-4-5");
}

TEST(ImplicitProviders, EmptyKeyMakesNothing) {
  Parsed p = parse("", env_of({{"OPENAI_API_KEY", ""}}));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.config.models.providers.empty());
  EXPECT_EQ(p.config.models.default_model, "");
  EXPECT_EQ(p.config.models.ollama_probe_url, kDefaultOllamaUrl);  // Ollama still looked for
}

TEST(ImplicitProviders, AConfiguredProviderTurnsThemAllOff) {
  Parsed p = parse(
      "models:\n  providers:\n    mine: {api: openai, base_url: 'http://x:1/v1', models: [{id: "
      "m}]}\n",
      env_of({{"OPENAI_API_KEY", "a"}, {"ANTHROPIC_API_KEY", "b"}, {"OLLAMA_HOST", "h:2"}}));
  ASSERT_TRUE(p.ok());
  ASSERT_EQ(p.config.models.providers.size(), 1u);
  EXPECT_EQ(p.config.models.providers[0].name, "mine");
  EXPECT_EQ(p.config.models.providers[0].implicit_from, "");
  EXPECT_EQ(p.config.models.default_model, "mine/m");
  EXPECT_EQ(p.config.models.ollama_probe_url, "");  // no Ollama detection either
}

TEST(ImplicitProviders, ImplicitFalseTurnsThemOff) {
  Parsed p = parse("models: {implicit: false}\n", env_of({{"OPENAI_API_KEY", "a"}}));
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p.config.models.providers.empty());
  EXPECT_EQ(p.config.models.ollama_probe_url, "");
}

TEST(ImplicitProviders, ReferencesToImplicitProvidersNeedTheirKey) {
  EXPECT_TRUE(parse("models: {default: openai/gpt-4o}\n", env_of({{"OPENAI_API_KEY", "a"}})).ok());
  EXPECT_TRUE(parse("models: {default: ollama/llama3.2}\n", env_of({})).ok());  // found later
  Parsed p = parse("models: {default: anthropic/claude-sonnet-4-5}\n", env_of({}));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.issues[0].path, "models.default");
  EXPECT_NE(p.issues[0].message.find("ANTHROPIC_API_KEY"), std::string::npos)
      << p.issues[0].message;
  // With implicit off, even ollama must be configured.
  EXPECT_FALSE(parse("models: {implicit: false, default: ollama/x}\n", env_of({})).ok());
}

TEST(ImplicitProviders, BadBaseUrlVariableIsAnIssueNamingIt) {
  Parsed p = parse("", env_of({{"OPENAI_API_KEY", "a"}, {"OPENAI_BASE_URL", "api.example.com"}}));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.issues[0].message.find("OPENAI_BASE_URL must be an http(s) URL"), std::string::npos)
      << p.issues[0].message;
}

TEST(ImplicitProviders, OllamaHostForms) {
  struct Case {
    const char* in;
    const char* url;
  } cases[] = {
      {"", "http://127.0.0.1:11434"},
      {"127.0.0.1:5000", "http://127.0.0.1:5000"},
      {"0.0.0.0", "http://127.0.0.1:11434"},
      {"0.0.0.0:8080", "http://127.0.0.1:8080"},
      {"gpu-box", "http://gpu-box:11434"},
      {"https://ollama.example.com", "https://ollama.example.com:443"},
      {"http://10.0.0.5:11434/", "http://10.0.0.5:11434"},
      {"[::1]:7000", "http://[::1]:7000"},
      {":9999", "http://127.0.0.1:9999"},
  };
  for (const Case& c : cases) EXPECT_EQ(ollama_url_from_host(c.in), c.url) << c.in;
  Parsed p = parse("", env_of({{"OLLAMA_HOST", "127.0.0.1:5000"}}));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p.config.models.ollama_probe_url, "http://127.0.0.1:5000");
}

}  // namespace
