// System methods: health, status, system-presence, protocol.schema (SPEC §5 System).
#include "gateway/methods/table.h"
#include "gateway/protocol/schemas.h"

namespace simpleclaw::gateway {

Result<Reply> method_health(MethodCall& call) {
  bool probe = call.params.is_object() && call.params.value("probe", false);
  if (!probe) return Reply(call.gw.health_snapshot(call.client.user));
  call.gw.probe_health(call.client.user, call.defer());  // re-reads the store first
  return Reply(Json());
}

Result<Reply> method_status(MethodCall& call) { return Reply(call.gw.status()); }

Result<Reply> method_system_presence(MethodCall& call) { return Reply(call.gw.presence_list()); }

Result<Reply> method_protocol_schema(MethodCall& call) {
  const Json all = protocol::all_schemas();
  if (call.params.is_object() && call.params.contains("name")) {
    const std::string name = call.params["name"].get<std::string>();
    if (!all.contains(name))
      return Error::invalid("invalid protocol.schema params: /name: unknown schema '" + name + "'");
    return Reply(Json{{"protocol", kProtocolVersion}, {"name", name}, {"schema", all[name]}});
  }
  Json methods = Json::array();
  for (const auto& m : method_table())
    methods.push_back(
        Json{{"name", m.name},
             {"scope", m.scope == protocol::Scope::kNone ? Json(nullptr)
                                                         : Json(protocol::scope_name(m.scope))},
             {"summary", m.summary}});
  return Reply(Json{{"protocol", kProtocolVersion}, {"methods", methods}, {"schemas", all}});
}

}  // namespace simpleclaw::gateway
