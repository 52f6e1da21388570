// hooks.* (webhooks in, docs/webhooks.md): the checks the JSON Schema cannot express and
// the typed fill. Hooks fail closed: enabled without a usable secret is a config error
// (the gateway does not start, config.set/patch refuse it) rather than hooks that accept
// anyone, or silently none.
#include <set>

#include "base/ids.h"
#include "base/text_template.h"
#include "config/config.h"
#include "config/fields.h"
#include "config/yaml_json.h"

namespace simpleclaw::config::detail {
namespace {

// Shorter raw secrets are guessable offline from one signed request.
constexpr std::size_t kMinHookSecretBytes = 16;

// Why `secret` cannot sign webhooks, or "" when it can.
std::string hook_secret_problem(const std::string& secret) {
  if (secret.rfind("whsec_", 0) == 0) {
    auto key = base64_decode(std::string_view(secret).substr(6));
    if (!key)
      return "whsec_ must be followed by standard base64 (whsec_$(openssl rand -base64 32))";
    if (key->size() < kMinHookSecretBytes)
      return "decodes to fewer than 16 bytes; use whsec_$(openssl rand -base64 32)";
    return "";
  }
  if (secret.size() < kMinHookSecretBytes)
    return "must be at least 16 bytes (or whsec_<base64>); generate one with "
           "`openssl rand -base64 32`";
  return "";
}

// [a-z0-9][a-z0-9_-]{0,63}: a URL path segment that needs no escaping.
bool is_hook_name(const std::string& name) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (name.empty() || name.size() > 64 || !alnum(name[0])) return false;
  for (char c : name)
    if (!alnum(c) && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

void check_hooks(const Json& doc, const YamlDoc& y, std::vector<Issue>& issues) {
  auto add = [&](const std::string& path, std::string msg) {
    issues.push_back(Issue{path, line_of(y, path), std::move(msg)});
  };
  const Json& hooks = section(doc, "hooks");
  const bool enabled = hooks.value("enabled", Json(false)) == Json(true);
  const std::string secret = hooks.contains("secret") && hooks["secret"].is_string()
                                 ? hooks["secret"].get<std::string>()
                                 : "";
  if (enabled && secret.empty())  // at the secret's line, or enabled's when it is absent
    issues.push_back(Issue{"hooks.secret",
                           line_of(y, hooks.contains("secret") ? "hooks.secret" : "hooks.enabled"),
                           "hooks.enabled is true but hooks.secret is empty: set a secret (e.g. "
                           "whsec_$(openssl rand -base64 32), or ${HOOKS_SECRET}) or set "
                           "enabled: false"});
  if (!secret.empty())
    if (std::string why = hook_secret_problem(secret); !why.empty()) add("hooks.secret", why);

  // The agents a mapping may name: those listed, the default, and main (always there).
  std::set<std::string> agents{"main"};
  const Json& ag = section(doc, "agents");
  if (ag.contains("default") && ag["default"].is_string())
    agents.insert(ag["default"].get<std::string>());
  for (const Json& a : array_at(ag, "list"))
    if (a.is_object() && a.contains("id") && a["id"].is_string())
      agents.insert(a["id"].get<std::string>());

  for (const auto& item : section(hooks, "mappings").items()) {
    const std::string& name = item.key();
    const Json& m = item.value();
    const std::string at = child_path("hooks.mappings", name);
    if (name == "wake" || name == "agent")
      add(at, "'" + name + "' is a built-in hook (POST /hooks/" + name + "); choose another name");
    if (!is_hook_name(name))
      add(at, "'" + name +
                  "' is not a hook name: [a-z0-9][a-z0-9_-]{0,63} (it becomes the URL "
                  "/hooks/<name>)");
    if (!m.is_object()) continue;
    if (m.contains("agent") && m["agent"].is_string()) {
      const std::string& agent = m["agent"].get_ref<const std::string&>();
      if (!agent.empty() && agents.count(agent) == 0)
        add(at + ".agent", "unknown agent '" + agent + "' (add it to agents.list)");
    }
    if (m.contains("secret") && m["secret"].is_string()) {
      const std::string& own = m["secret"].get_ref<const std::string&>();
      if (!own.empty())
        if (std::string why = hook_secret_problem(own); !why.empty()) add(at + ".secret", why);
    }
    if (m.contains("message") && m["message"].is_string())
      if (Status t = check_template(m["message"].get_ref<const std::string&>(),
                                    {"body", "headers", "name"});
          !t.ok())
        add(at + ".message", t.error().message);
  }
}

void fill_hooks(const Json& doc, Config& c) {
  read_value(doc, "hooks", c.hooks);
  for (const auto& item : section(section(doc, "hooks"), "mappings").items()) {
    HookMappingConfig m;
    m.name = item.key();
    Fields<HookMappingConfig>::read(item.value(), m);
    c.hooks.mappings.push_back(std::move(m));
  }
}

}  // namespace simpleclaw::config::detail
