// Reading Ollama's model list (GET /api/tags: {"models":[{"name":"llama3.2:latest",...}]})
// into catalog entries: how the implicit local Ollama (config/implicit_providers.h) gets
// its models, and what `simpleclaw onboard` offers. Pure; any thread. The body comes from
// a local server but is still input: shapes are checked, counts and lengths bounded.
#pragma once
#include <cstddef>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "simpleclaw/result.h"

namespace simpleclaw::providers {

inline constexpr std::size_t kMaxListedModels = 64;        // models kept from one list
inline constexpr std::size_t kMaxModelListBody = 1 << 20;  // bytes read of a model list
inline constexpr int kOllamaContextWindow = 8192;          // Ollama's num_ctx is small by default

// The models an /api/tags body lists (name, else model), in its order, at most
// kMaxListedModels; an error when the body is not that shape.
Result<std::vector<config::ModelEntry>> parse_ollama_tags(std::string_view body);

// The model ids an OpenAI-style (`{"data":[{"id":..}]}`) or Anthropic-style list, or an
// Ollama /api/tags body, names; at most kMaxListedModels; an error when none of these.
Result<std::vector<std::string>> parse_model_ids(std::string_view body);

}  // namespace simpleclaw::providers
