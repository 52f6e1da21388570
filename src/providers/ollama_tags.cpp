// Model lists from provider answers (see ollama_tags.h).
#include "providers/ollama_tags.h"

namespace simpleclaw::providers {
namespace {

constexpr std::size_t kMaxModelId = 200;  // longer ids are not model names

bool usable_id(const Json& v) {
  return v.is_string() && !v.get_ref<const std::string&>().empty() &&
         v.get_ref<const std::string&>().size() <= kMaxModelId;
}

}  // namespace

Result<std::vector<config::ModelEntry>> parse_ollama_tags(std::string_view body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object() || !j.contains("models") || !j["models"].is_array())
    return Error::invalid("not an Ollama model list (expected {\"models\":[...]})");
  std::vector<config::ModelEntry> out;
  for (const Json& m : j["models"]) {
    if (out.size() >= kMaxListedModels) break;
    if (!m.is_object()) continue;
    const Json* id = nullptr;
    if (auto it = m.find("name"); it != m.end() && usable_id(*it))
      id = &*it;
    else if (auto it2 = m.find("model"); it2 != m.end() && usable_id(*it2))
      id = &*it2;
    if (!id) continue;
    config::ModelEntry e;
    e.id = id->get<std::string>();
    e.context_window = kOllamaContextWindow;
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<std::string>> parse_model_ids(std::string_view body) {
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Error::invalid("the model list is not a JSON object");
  std::vector<std::string> out;
  if (auto d = j.find("data"); d != j.end() && d->is_array()) {
    for (const Json& m : *d) {
      if (out.size() >= kMaxListedModels) break;
      if (m.is_object())
        if (auto id = m.find("id"); id != m.end() && usable_id(*id))
          out.push_back(id->get<std::string>());
    }
    return out;
  }
  auto tags = parse_ollama_tags(body);
  if (!tags.ok()) return Error::invalid("not a model list (expected \"data\" or \"models\")");
  for (const config::ModelEntry& m : *tags) out.push_back(m.id);
  return out;
}

}  // namespace simpleclaw::providers
