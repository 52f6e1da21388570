// plugins.list (SPEC §5 Plugins): the out-of-process plugins with state, version,
// restarts and last error, plus the compiled-in extensions.
#include "gateway/methods/table.h"
#include "plugins/registry.h"

namespace simpleclaw::gateway {

Result<Reply> method_plugins_list(MethodCall& call) {
  Json out = call.gw.has_plugins() ? call.gw.plugins().list_json()
                                    : Json{{"plugins", Json::array()}, {"errors", Json::array()}};
  Json builtin = Json::array();
  for (const auto& c : plugins::builtin_registry().channels())
    builtin.push_back({{"name", c.name}, {"kind", "channel"}, {"description", c.description},
                       {"state", "builtin"}});
  out["builtin"] = std::move(builtin);
  return Reply(std::move(out));
}

}  // namespace simpleclaw::gateway
