// plugins.list (SPEC §5 Plugins): the out-of-process plugins with state, version,
// restarts and last error, and the compiled-in extensions (origin "bundled"), in
// OpenClaw's envelope {plugins, diagnostics, mutationAllowed}. Plugins are installed by
// putting them in the plugins directory, not over the protocol: mutationAllowed is false.
#include "gateway/methods/table.h"
#include "plugins/builtin.h"
#include "plugins/plugin_host.h"

namespace simpleclaw::gateway {

void method_plugins_list(MethodCall& call) {
  Json out = call.svc.plugins.list_json();
  Json& list = out["plugins"];
  for (Json& p : list) {
    p["id"] = p["name"];
    p["origin"] = "external";
    p["installed"] = true;
    p["enabled"] = p["state"] != "disabled";
    if (p.contains("lastError")) p["error"] = p["lastError"];
  }
  const sdk::Registry& r = plugins::builtin_registry();
  auto add = [&](const std::string& name, const char* kind, const std::string& description) {
    list.push_back({{"id", kind + std::string(":") + name},
                    {"name", name},
                    {"kind", kind},
                    {"description", description},
                    {"origin", "bundled"},
                    {"installed", true},
                    {"enabled", true},
                    {"removable", false},
                    {"state", "builtin"}});
  };
  for (const auto& c : r.channels()) add(c.name, "channel", c.description);
  for (const auto& p : r.providers()) add(p.name(), "provider", p.description);
  for (const auto& t : r.tools()) add(t.name, "tool", t.description);
  Json diagnostics = Json::array();
  for (Json& e : out["errors"])
    diagnostics.push_back({{"level", "error"}, {"path", e["path"]}, {"message", e["message"]}});
  out.erase("errors");
  out["diagnostics"] = std::move(diagnostics);
  out["mutationAllowed"] = false;
  call.respond(std::move(out));
}

}  // namespace simpleclaw::gateway
