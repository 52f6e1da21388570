// `simpleclaw onboard`'s answers: what each question accepts (one function per answer,
// returning "" or the message to show, which says what is expected), and the JSON merge
// patch of config.yaml they make. Pure; no I/O. onboard_cmd.cpp asks and writes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::cli {

inline constexpr std::size_t kMaxAllowFrom = 64;  // ids accepted in one answer

struct OnboardAnswers {
  std::string kind;      // openai | anthropic | ollama | openai-compatible
  std::string name;      // the key under models.providers
  std::string base_url;  // "" = the api's default
  std::string key_env;   // set: api_key: ${key_env} (the key stays in the environment)
  std::string key;       // set: the literal key, stored in config.yaml (mode 0600)
  std::string model;     // model id at that provider
  std::string telegram_token_env, telegram_token;  // one set: a Telegram channel
  std::vector<std::string> allow_from;             // Telegram user ids
};

// "openai", "anthropic", "ollama", "openai-compatible" (also "compatible", "custom"), or
// the menu numbers 1-4; nullopt otherwise.
std::optional<std::string> parse_provider_kind(const std::string& text);
// The wire format (config `api`) of a kind, and the provider name it gets by default.
std::string api_of_kind(const std::string& kind);
std::string default_provider_name(const std::string& kind);
// The environment variable an implicit provider of this kind reads its key from ("" none).
std::string standard_key_env(const std::string& kind);
// The model offered when nothing better is known (implicit provider defaults).
std::string default_model_of(const std::string& kind);

std::string check_provider_name(const std::string& name);
std::string check_base_url(const std::string& url);
std::string check_env_name(const std::string& name);
std::string check_api_key(const std::string& key);
std::string check_model_id(const std::string& id);
std::string check_telegram_token(const std::string& token);
// "123, 456" -> {"123","456"}; an error message for anything but positive numeric ids.
Result<std::vector<std::string>> parse_allow_from(const std::string& text);

// {models: {default, providers: {name: {api, base_url?, api_key?, models:[{id}]}}},
//  channels?: {telegram: {token, allow_from}}}. Secrets only where the answers put them.
Json onboard_patch(const OnboardAnswers& a);

}  // namespace simpleclaw::cli
