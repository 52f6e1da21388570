// Implicit providers from the environment (see implicit_providers.h).
#include "config/implicit_providers.h"

#include <algorithm>
#include <cctype>

#include "config/yaml_json.h"

namespace simpleclaw::config {
namespace {

ModelEntry implicit_entry(const char* id, int context_window) {
  ModelEntry m;
  m.id = id;
  m.context_window = context_window;
  return m;
}

bool is_http_url(const std::string& s) {
  auto starts = [&](const char* p) {
    std::string_view v(p);
    if (s.size() <= v.size()) return false;
    for (std::size_t i = 0; i < v.size(); ++i)
      if (std::tolower(static_cast<unsigned char>(s[i])) != v[i]) return false;
    return true;
  };
  return starts("http://") || starts("https://");
}

std::string env_value(const EnvLookup& env, const char* name) {
  if (!env) return {};
  std::optional<std::string> v = env(name);
  return v ? *v : std::string();
}

struct EnvProvider {
  const char* name;
  const char* api;
  const char* key_var;
  const char* url_var;
};
// Names sorted, like configured providers.
constexpr EnvProvider kEnvProviders[] = {
    {"anthropic", "anthropic", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL"},
    {"openai", "openai", "OPENAI_API_KEY", "OPENAI_BASE_URL"},
};

}  // namespace

std::vector<ModelEntry> implicit_models(const std::string& api) {
  // Chat models every key of that vendor can call through the wire format as it is
  // (the openai wire sends max_tokens, which OpenAI's reasoning models refuse).
  if (api == "openai")
    return {implicit_entry("gpt-4.1-mini", 1047576), implicit_entry("gpt-4.1", 1047576),
            implicit_entry("gpt-4o-mini", 128000), implicit_entry("gpt-4o", 128000)};
  if (api == "anthropic")
    return {implicit_entry("claude-sonnet-4-5", 200000), implicit_entry("claude-haiku-4-5", 200000),
            implicit_entry("claude-opus-4-1", 200000)};
  return {};
}

std::string ollama_url_from_host(const std::string& ollama_host) {
  std::string h = ollama_host;
  while (!h.empty() && (h.back() == '/' || h.back() == ' ')) h.pop_back();
  while (!h.empty() && h.front() == ' ') h.erase(h.begin());
  if (h.empty()) return kDefaultOllamaUrl;
  std::string scheme = "http";
  if (auto p = h.find("://"); p != std::string::npos) {
    scheme = h.substr(0, p);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    h = h.substr(p + 3);
  }
  if (auto slash = h.find('/'); slash != std::string::npos) h = h.substr(0, slash);
  std::string host = h, port;
  if (!h.empty() && h.front() == '[') {  // [v6]:port
    auto close = h.find(']');
    if (close != std::string::npos) {
      host = h.substr(0, close + 1);
      if (close + 1 < h.size() && h[close + 1] == ':') port = h.substr(close + 2);
    }
  } else if (auto colon = h.rfind(':'); colon != std::string::npos) {
    host = h.substr(0, colon);
    port = h.substr(colon + 1);
  }
  // Ollama listening on every address is reached on this machine.
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "[::]") host = "[::1]";
  if (port.empty()) port = scheme == "https" ? "443" : "11434";
  return scheme + "://" + host + ":" + port;
}

bool implicit_enabled(const Json& doc) {
  const Json& models = detail::section(doc, "models");
  if (auto it = models.find("implicit"); it != models.end() && it->is_boolean() && !it->get<bool>())
    return false;
  const Json& providers = detail::section(models, "providers");
  return providers.empty();
}

std::set<std::string> implicit_names(const Json& doc, const EnvLookup& env) {
  std::set<std::string> out;
  if (!implicit_enabled(doc)) return out;
  for (const EnvProvider& e : kEnvProviders)
    if (!env_value(env, e.key_var).empty()) out.insert(e.name);
  out.insert("ollama");
  return out;
}

void add_implicit_providers(const Json& doc, const EnvLookup& env, Config& c,
                            std::vector<Issue>& issues) {
  if (!implicit_enabled(doc)) return;
  for (const EnvProvider& e : kEnvProviders) {
    std::string key = env_value(env, e.key_var);
    if (key.empty()) continue;
    ProviderConfig p;
    p.name = e.name;
    p.api = e.api;
    p.api_key = std::move(key);
    p.implicit_from = e.key_var;
    std::string url = env_value(env, e.url_var);
    if (!url.empty() && !is_http_url(url)) {
      issues.push_back(Issue{"models", 0,
                             std::string(e.url_var) + " must be an http(s) URL for the implicit " +
                                 e.name + " provider (got '" + url +
                                 "'): fix or unset it, or configure models.providers"});
      continue;
    }
    p.base_url = std::move(url);
    p.models = implicit_models(p.api);
    c.models.providers.push_back(std::move(p));
  }
  std::sort(c.models.providers.begin(), c.models.providers.end(),
            [](const ProviderConfig& a, const ProviderConfig& b) { return a.name < b.name; });
  c.models.ollama_probe_url = ollama_url_from_host(env_value(env, "OLLAMA_HOST"));
  if (c.models.default_model.empty())
    c.models.default_model = pick_default_model(c.models.providers);
}

std::string pick_default_model(const std::vector<ProviderConfig>& providers) {
  for (const char* name : kImplicitOrder)
    for (const ProviderConfig& p : providers)
      if (p.name == name && !p.models.empty()) return p.name + "/" + p.models.front().id;
  return {};
}

}  // namespace simpleclaw::config
