// plugins.list (SPEC §5 Plugins): the out-of-process plugins with state, version,
// restarts and last error, plus the compiled-in extensions.
#include "gateway/methods/table.h"
#include "plugins/builtin.h"
#include "plugins/plugin_host.h"

namespace simpleclaw::gateway {

void method_plugins_list(MethodCall& call) {
  Json out = call.svc.plugins.list_json();
  Json builtin = Json::array();
  const sdk::Registry& r = plugins::builtin_registry();
  auto add = [&](const std::string& name, const char* kind, const std::string& description) {
    builtin.push_back(
        {{"name", name}, {"kind", kind}, {"description", description}, {"state", "builtin"}});
  };
  for (const auto& c : r.channels()) add(c.name, "channel", c.description);
  for (const auto& p : r.providers()) add(p.name(), "provider", p.description);
  for (const auto& t : r.tools()) add(t.name, "tool", t.description);
  out["builtin"] = std::move(builtin);
  call.respond(std::move(out));
}

}  // namespace simpleclaw::gateway
