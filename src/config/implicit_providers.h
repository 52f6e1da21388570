// Implicit providers: what answers a first run with no provider configured.
//
// When models.providers is empty (and models.implicit is not false), the standard
// environment variables make providers, as the vendors' own SDKs read them:
//
//   OPENAI_API_KEY     -> provider "openai"    (api openai; base URL OPENAI_BASE_URL, else
//                         https://api.openai.com/v1)
//   ANTHROPIC_API_KEY  -> provider "anthropic" (api anthropic; base URL ANTHROPIC_BASE_URL,
//                         else https://api.anthropic.com)
//   a local Ollama     -> provider "ollama"    (api ollama; OLLAMA_HOST, else
//                         http://127.0.0.1:11434), added by the model catalog only once
//                         its /api/tags answers, with the models it lists
//                         (providers/catalog.h; never blocks start-up)
//
// Each env provider gets a short list of well-known model ids (the first is its default);
// any other id of that provider still resolves. The default model, unless models.default
// names one, is the first of openai, anthropic, ollama that exists. A configured provider
// (any entry under models.providers) turns all of them off: the config then says
// everything. Keys are read from the environment and never logged or written anywhere.
//
// Pure functions of the environment lookup; any thread.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "config/config.h"

namespace simpleclaw::config {

// The provider names implicit providers use, in default-model order.
inline constexpr const char* kImplicitOrder[] = {"openai", "anthropic", "ollama"};
inline constexpr const char* kDefaultOllamaUrl = "http://127.0.0.1:11434";

// The well-known models an implicit provider of this api lists (first = its default).
std::vector<ModelEntry> implicit_models(const std::string& api);

// OLLAMA_HOST as Ollama's own client reads it ("host", "host:port", "http(s)://host:port",
// 0.0.0.0 = this machine) -> a base URL; empty or unset -> kDefaultOllamaUrl.
std::string ollama_url_from_host(const std::string& ollama_host);

// Whether implicit providers apply to this (schema-valid, env-substituted) document:
// models.implicit is not false and models.providers is absent or empty.
bool implicit_enabled(const Json& doc);

// The implicit provider names a reference may use in this document: openai / anthropic
// when their key is set, and ollama (found at run time). Empty when not enabled.
std::set<std::string> implicit_names(const Json& doc, const EnvLookup& env);

// Adds the env providers to c.models (sorted with the others by name), sets
// ollama_probe_url and, when models.default is empty, the default model. Problems (a base
// URL variable that is not an http(s) URL) are issues at "models".
void add_implicit_providers(const Json& doc, const EnvLookup& env, Config& c,
                            std::vector<Issue>& issues);

// The default model among implicit providers: the first listed model of the first of
// kImplicitOrder present with models; "" when none. (Configured providers keep their
// rule: the first model of the first provider by name.)
std::string pick_default_model(const std::vector<ProviderConfig>& providers);

}  // namespace simpleclaw::config
