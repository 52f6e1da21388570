// models / agents / sessions sections: the cross-reference checks the JSON Schema cannot
// express (every provider/model reference names a configured provider, agent ids are
// unique) and the typed structs. Called by parse() after schema validation.
#include <set>

#include "config/config.h"
#include "config/fields.h"
#include "config/yaml_json.h"

namespace simpleclaw::config::detail {
void check_models_agents(const Json& doc, const YamlDoc& y, const std::set<std::string>& implicit,
                         std::vector<Issue>& issues) {
  auto add = [&](const std::string& path, std::string msg) {
    issues.push_back(Issue{path, line_of(y, path), std::move(msg)});
  };
  const Json& providers = section(section(doc, "models"), "providers");
  // "provider/model" must name a configured provider (the model id itself may be one the
  // catalog does not list: providers add models faster than configs are edited).
  auto check_ref = [&](const std::string& path, const Json& v) {
    if (!v.is_string()) return;
    const std::string& ref = v.get_ref<const std::string&>();
    if (ref.empty()) return;
    auto slash = ref.find('/');
    if (slash == std::string::npos || slash == 0 || slash + 1 == ref.size()) {
      add(path, "must be provider/model (got '" + ref + "')");
      return;
    }
    std::string provider = ref.substr(0, slash);
    if (providers.contains(provider) || implicit.count(provider)) return;
    std::string msg = "names provider '" + provider + "', which is not under models.providers";
    if (provider == "openai" || provider == "anthropic")
      msg += std::string(" (with no providers configured, set ") +
             (provider == "openai" ? "OPENAI_API_KEY" : "ANTHROPIC_API_KEY") +
             " for the implicit one)";
    add(path, msg);
  };
  const Json& models = section(doc, "models");
  if (auto it = models.find("default"); it != models.end()) check_ref("models.default", *it);
  // A provider is an HTTP endpoint (api) or a plugin, never both: the endpoint keys of a
  // plugin provider would be silently ignored, which hides a mistake.
  if (providers.is_object()) {
    for (const auto& [name, p] : providers.items()) {
      if (!p.is_object()) continue;
      std::string path = child_path("models.providers", name);
      if (!p.contains("plugin")) {
        if (!p.contains("api")) add(path, "needs api (openai | anthropic | ollama) or plugin");
        continue;
      }
      for (const char* key : {"api", "base_url", "api_key", "headers"})
        if (p.contains(key))
          add(child_path(path, key), std::string("not used by a plugin provider (plugin: ") +
                                         p["plugin"].dump() + "); remove it");
    }
  }

  const Json& agents = section(doc, "agents");
  const Json& list = array_at(agents, "list");
  std::set<std::string> ids;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const Json& a = list[i];
    std::string path = index_path("agents.list", i);
    if (!a.is_object()) continue;
    if (auto id = a.find("id");
        id != a.end() && id->is_string() && !ids.insert(id->get<std::string>()).second)
      add(child_path(path, "id"), "duplicate agent id '" + id->get<std::string>() + "'");
    if (auto m = a.find("model"); m != a.end()) check_ref(child_path(path, "model"), *m);
    const Json& fb = array_at(a, "fallbacks");
    for (std::size_t k = 0; k < fb.size(); ++k)
      check_ref(index_path(child_path(path, "fallbacks"), k), fb[k]);
  }
}

void fill_models_agents(const Json& doc, Config& c) {
  const Json& models = section(doc, "models");
  read(models, "default", c.models.default_model);
  for (const auto& [name, p] : section(models, "providers").items()) {
    ProviderConfig pc;
    pc.name = name;
    read(p, "plugin", pc.plugin);
    if (!pc.plugin.empty()) pc.api.clear();  // a plugin's provider has no wire format
    Fields<ProviderConfig>::read(p, pc);
    c.models.providers.push_back(std::move(pc));
  }
  Fields<ModelsConfig>::read(models, c.models);
  if (c.models.default_model.empty()) {
    for (const ProviderConfig& p : c.models.providers) {
      if (!p.models.empty()) {
        c.models.default_model = p.name + "/" + p.models.front().id;
        break;
      }
    }
  }

  const Json& agents = section(doc, "agents");
  read(agents, "default", c.agents.default_id);
  for (const Json& a : array_at(agents, "list")) {
    AgentConfig ac;
    Fields<AgentConfig>::read(a, ac);
    if (ac.name.empty()) ac.name = ac.id;
    c.agents.list.push_back(std::move(ac));
  }
  // The default agent always exists, and so does `main`.
  for (const std::string& id : {c.agents.default_id, std::string("main")}) {
    if (!find_agent(c, id)) {
      AgentConfig ac;
      ac.id = id;
      ac.name = id == "main" ? "Main" : id;
      c.agents.list.insert(c.agents.list.begin(), std::move(ac));
    }
  }

  read_value(doc, "sessions", c.sessions);
}

}  // namespace simpleclaw::config::detail
