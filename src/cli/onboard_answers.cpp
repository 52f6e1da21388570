// What `simpleclaw onboard` accepts and the config patch it makes (see onboard_answers.h).
#include "cli/onboard_answers.h"

#include <algorithm>
#include <cctype>

#include "config/implicit_providers.h"
#include "net/url.h"

namespace simpleclaw::cli {
namespace {

std::string lower_trimmed(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.erase(s.begin());
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool all_of_chars(const std::string& s, bool (*ok)(unsigned char)) {
  return std::all_of(s.begin(), s.end(), [&](char c) { return ok(static_cast<unsigned char>(c)); });
}

}  // namespace

std::optional<std::string> parse_provider_kind(const std::string& text) {
  std::string t = lower_trimmed(text);
  if (t == "1" || t == "openai") return "openai";
  if (t == "2" || t == "anthropic" || t == "claude") return "anthropic";
  if (t == "3" || t == "ollama") return "ollama";
  if (t == "4" || t == "openai-compatible" || t == "compatible" || t == "custom")
    return "openai-compatible";
  return std::nullopt;
}

std::string api_of_kind(const std::string& kind) {
  return kind == "openai-compatible" ? "openai" : kind;
}

std::string default_provider_name(const std::string& kind) {
  return kind == "openai-compatible" ? "custom" : kind;
}

std::string standard_key_env(const std::string& kind) {
  if (kind == "openai") return "OPENAI_API_KEY";
  if (kind == "anthropic") return "ANTHROPIC_API_KEY";
  return {};
}

std::string default_model_of(const std::string& kind) {
  if (kind == "ollama") return "llama3.2";
  auto models = config::implicit_models(kind);
  return models.empty() ? std::string() : models.front().id;
}

std::string check_provider_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 32 &&
            std::isalnum(static_cast<unsigned char>(name[0])) &&
            all_of_chars(name, [](unsigned char c) {
              return std::islower(c) || std::isdigit(c) || c == '_' || c == '-';
            });
  return ok ? ""
            : "a provider name is 1-32 of a-z, 0-9, '_' and '-', starting with a letter or digit";
}

std::string check_base_url(const std::string& url) {
  if (url.empty()) return "a base URL is needed, e.g. http://127.0.0.1:8000/v1";
  net::Url u = net::parse_url(url);
  if (!u.ok)
    return "'" + url + "' is not an http(s) URL (" + u.error + "), e.g. http://127.0.0.1:8000/v1";
  return "";
}

std::string check_env_name(const std::string& name) {
  bool ok = !name.empty() && name.size() <= 128 &&
            (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_') &&
            all_of_chars(name, [](unsigned char c) { return std::isalnum(c) || c == '_'; });
  return ok ? "" : "'" + name + "' is not an environment variable name (letters, digits, '_')";
}

std::string check_api_key(const std::string& key) {
  if (key.empty()) return "the key is empty";
  if (key.size() > 1024) return "the key is longer than 1024 characters: paste only the key";
  if (!all_of_chars(key, [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    return "the key has spaces or control characters: paste only the key";
  return "";
}

std::string check_model_id(const std::string& id) {
  if (id.empty()) return "the model id is empty";
  if (id.size() > 200) return "the model id is longer than 200 characters";
  if (!all_of_chars(id, [](unsigned char c) { return c > 0x20 && c < 0x7f; }))
    return "a model id has no spaces or control characters (e.g. gpt-4.1-mini)";
  return "";
}

std::string check_telegram_token(const std::string& token) {
  auto colon = token.find(':');
  bool ok =
      colon != std::string::npos && colon >= 3 && colon <= 20 && token.size() - colon - 1 >= 20 &&
      token.size() <= 200 &&
      all_of_chars(token.substr(0, colon), [](unsigned char c) { return std::isdigit(c) != 0; }) &&
      all_of_chars(token.substr(colon + 1),
                   [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
  return ok ? "" : "that is not a bot token: @BotFather gives one like 123456789:AAH...";
}

Result<std::vector<std::string>> parse_allow_from(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&]() -> Status {
    if (cur.empty()) return Ok{};
    if (cur.size() > 15 || !all_of_chars(cur, [](unsigned char c) { return std::isdigit(c) != 0; }))
      return Error::invalid("'" + cur +
                            "' is not a Telegram user id: use the numeric id (message @userinfobot "
                            "to learn yours), never a @username");
    if (std::find(out.begin(), out.end(), cur) == out.end()) out.push_back(cur);
    cur.clear();
    return Ok{};
  };
  for (char c : text) {
    if (c == ',' || std::isspace(static_cast<unsigned char>(c))) {
      if (Status s = flush(); !s.ok()) return s.error();
    } else {
      cur += c;
    }
  }
  if (Status s = flush(); !s.ok()) return s.error();
  if (out.empty())
    return Error::invalid("at least one Telegram user id is needed: only they can talk to the bot");
  if (out.size() > kMaxAllowFrom)
    return Error::invalid("at most " + std::to_string(kMaxAllowFrom) + " ids here; add more later");
  return out;
}

Json onboard_patch(const OnboardAnswers& a) {
  Json provider{{"api", api_of_kind(a.kind)}};
  if (!a.base_url.empty()) provider["base_url"] = a.base_url;
  if (!a.key_env.empty())
    provider["api_key"] = "${" + a.key_env + "}";
  else if (!a.key.empty())
    provider["api_key"] = a.key;
  provider["models"] = Json::array({Json{{"id", a.model}}});
  Json patch{
      {"models", {{"default", a.name + "/" + a.model}, {"providers", {{a.name, provider}}}}}};
  if (!a.telegram_token_env.empty() || !a.telegram_token.empty()) {
    Json ids = Json::array();
    for (const std::string& id : a.allow_from) ids.push_back(std::stoll(id));
    patch["channels"] = {
        {"telegram",
         {{"token",
           a.telegram_token_env.empty() ? a.telegram_token : "${" + a.telegram_token_env + "}"},
          {"allow_from", ids}}}};
  }
  return patch;
}

}  // namespace simpleclaw::cli
