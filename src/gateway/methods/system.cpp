// System methods: health, status, system-presence, protocol.schema (SPEC §5 System).
#include "gateway/health.h"
#include "gateway/methods/table.h"
#include "gateway/presence_feed.h"
#include "gateway/protocol/schemas.h"
#include "gateway/runtime_info.h"
#include "gateway/status.h"

namespace simpleclaw::gateway {

void method_health(MethodCall& call) {
  bool probe = call.params.is_object() && call.params.value("probe", false);
  if (!probe) return call.respond(call.svc.health.snapshot(call.client.user));
  // Re-reads the store first, then answers with the caller's view.
  call.svc.health.probe(call.client.user, [respond = call.respond](protocol::SharedPayloadPtr p) {
    respond(std::move(p));
  });
}

void method_status(MethodCall& call) { call.respond(call.svc.status.status()); }

void method_system_presence(MethodCall& call) { call.respond(call.svc.presence.list()); }

void method_protocol_schema(MethodCall& call) {
  const Json all = protocol::all_schemas();
  if (call.params.is_object() && call.params.contains("name")) {
    const std::string name = call.params["name"].get<std::string>();
    if (!all.contains(name))
      return call.respond(
          Error::invalid("invalid protocol.schema params: /name: unknown schema '" + name + "'"));
    return call.respond(
        Json{{"protocol", kProtocolVersion}, {"name", name}, {"schema", all[name]}});
  }
  Json methods = Json::array();
  for (const auto& m : method_table())
    methods.push_back(
        Json{{"name", m.name},
             {"scope", m.scope == protocol::Scope::kNone ? Json(nullptr)
                                                         : Json(protocol::scope_name(m.scope))},
             {"summary", m.summary}});
  call.respond(Json{{"protocol", kProtocolVersion}, {"methods", methods}, {"schemas", all}});
}

}  // namespace simpleclaw::gateway
