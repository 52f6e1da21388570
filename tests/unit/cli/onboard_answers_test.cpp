// `simpleclaw onboard`'s answer checks and the config patch they make (cli/onboard_answers.h):
// every refusal says what is expected, and the patch is a config the loader accepts.
#include "cli/onboard_answers.h"

#include <gtest/gtest.h>

#include "config/config.h"

namespace {

using namespace simpleclaw;
using namespace simpleclaw::cli;

TEST(OnboardAnswers, ProviderKinds) {
  EXPECT_EQ(parse_provider_kind("OpenAI "), "openai");
  EXPECT_EQ(parse_provider_kind("2"), "anthropic");
  EXPECT_EQ(parse_provider_kind("ollama"), "ollama");
  EXPECT_EQ(parse_provider_kind("4"), "openai-compatible");
  EXPECT_FALSE(parse_provider_kind("banana"));
  EXPECT_FALSE(parse_provider_kind(""));
  EXPECT_FALSE(parse_provider_kind("5"));
  EXPECT_EQ(api_of_kind("openai-compatible"), "openai");
  EXPECT_EQ(default_provider_name("openai-compatible"), "custom");
}

TEST(OnboardAnswers, RefusalsSayWhatIsExpected) {
  EXPECT_EQ(check_base_url("http://127.0.0.1:8000/v1"), "");
  EXPECT_NE(check_base_url("ftp://x").find("not an http(s) URL"), std::string::npos);
  EXPECT_NE(check_base_url("").find("e.g."), std::string::npos);
  EXPECT_EQ(check_env_name("OPENAI_API_KEY"), "");
  EXPECT_NE(check_env_name("1BAD"), "");
  EXPECT_NE(check_env_name("A-B"), "");
  EXPECT_EQ(check_api_key("sk-abc"), "");
  EXPECT_NE(check_api_key("sk abc"), "");
  EXPECT_NE(check_api_key(""), "");
  EXPECT_EQ(check_model_id("gpt-4.1-mini"), "");
  EXPECT_EQ(check_model_id("meta-llama/Llama-3-8b"), "");  // OpenRouter-style ids keep their slash
  EXPECT_NE(check_model_id("gpt 4"), "");
  EXPECT_EQ(check_telegram_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), "");
  EXPECT_NE(check_telegram_token("AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw").find("@BotFather"),
            std::string::npos);
  EXPECT_NE(check_telegram_token("123:short"), "");
  EXPECT_EQ(check_provider_name("my-llm"), "");
  EXPECT_NE(check_provider_name("My LLM"), "");
}

TEST(OnboardAnswers, AllowFrom) {
  auto ids = parse_allow_from("123, 456 123");
  ASSERT_TRUE(ids.ok());
  EXPECT_EQ(*ids, (std::vector<std::string>{"123", "456"}));
  auto at = parse_allow_from("@bob");
  ASSERT_FALSE(at.ok());
  EXPECT_NE(at.error().message.find("@userinfobot"), std::string::npos);
  EXPECT_FALSE(parse_allow_from("  ").ok());
  EXPECT_FALSE(parse_allow_from("99999999999999999999999").ok());
}

TEST(OnboardAnswers, PatchIsAValidConfig) {
  OnboardAnswers a;
  a.kind = "openai-compatible";
  a.name = "custom";
  a.base_url = "http://127.0.0.1:8000/v1";
  a.key = "sk-literal";
  a.model = "qwen2.5";
  a.telegram_token_env = "TG_TOKEN";
  a.allow_from = {"42", "43"};
  Json patch = onboard_patch(a);
  EXPECT_EQ(patch["models"]["default"], "custom/qwen2.5");
  EXPECT_EQ(patch["models"]["providers"]["custom"]["api"], "openai");
  EXPECT_EQ(patch["models"]["providers"]["custom"]["api_key"], "sk-literal");
  EXPECT_EQ(patch["channels"]["telegram"]["token"], "${TG_TOKEN}");
  EXPECT_EQ(patch["channels"]["telegram"]["allow_from"], Json::array({42, 43}));
  auto env = [](const std::string& n) -> std::optional<std::string> {
    if (n == "TG_TOKEN") return std::string("123:abc");
    return std::nullopt;
  };
  config::Parsed p = config::parse(config::to_yaml(patch), env);
  ASSERT_TRUE(p.ok()) << p.issues.front().to_string();
  EXPECT_EQ(p.config.models.default_model, "custom/qwen2.5");

  a.key.clear();
  a.key_env = "MY_KEY";
  a.telegram_token_env.clear();
  EXPECT_EQ(onboard_patch(a)["models"]["providers"]["custom"]["api_key"], "${MY_KEY}");
  EXPECT_FALSE(onboard_patch(a).contains("channels"));
}

}  // namespace
