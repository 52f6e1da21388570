// node.* (SPEC §5 Nodes): the registry and invoke routing live in NodeHub; node-role
// methods (node.invoke.result, node.event) check the caller's role here
// (exec.approval.request: approval_requests.cpp).
#include "base/json_fields.h"
#include "gateway/device_pairing.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/node_hub.h"
#include "gateway/presence_feed.h"
#include "tools/approvals.h"

namespace simpleclaw::gateway {
namespace {

Status require_node(const MethodCall& call) {
  if (call.client.role != Role::kNode)
    return Error::forbidden(std::string(call.spec.name) + " is for node connections",
                            "NODE_ROLE_REQUIRED");
  return Ok{};
}

}  // namespace

void method_node_list(MethodCall& call) { call.respond(call.svc.nodes.list()); }

void method_node_describe(MethodCall& call) {
  call.respond(call.svc.nodes.describe(json_str(call.params, "nodeId")));
}

void method_node_invoke(MethodCall& call) {
  call.svc.nodes.invoke(call.params, [respond = call.respond](Result<Json> r) { respond(r); });
}

void method_node_invoke_result(MethodCall& call) {
  if (auto s = require_node(call); !s.ok()) return call.respond(s.error());
  call.respond(call.svc.nodes.invoke_result(call.client.id, call.params));
}

void method_node_event(MethodCall& call) {
  if (auto s = require_node(call); !s.ok()) return call.respond(s.error());
  // {event:"presence", payload:{instanceId, host?, text?...}}: a device or app behind the
  // node shows in presence until gateway.timers.presence_ttl_ms after its last report.
  if (json_str(call.params, "event") == "presence") {
    const Json& payload = call.params.contains("payload") ? call.params["payload"] : Json();
    if (auto s = call.svc.presence.report(call.client, payload,
                                          call.svc.config.cfg().gateway.timers.presence_ttl_ms);
        !s.ok())
      return call.respond(s.error());
  }
  call.respond(call.svc.nodes.node_event(call.client.id, call.params));
}

void method_node_pair_list(MethodCall& call) { call.respond(call.svc.devices.node_pair_list()); }

// Deferred: a change of the pairing store is answered once it is stored.
void method_node_pair_approve(MethodCall& call) {
  call.svc.devices.node_pair_approve(json_str(call.params, "requestId"), call.client.who(),
                                     call.respond);
}

void method_node_pair_reject(MethodCall& call) {
  call.svc.devices.node_pair_reject(call.params, call.client.who(), call.respond);
}

}  // namespace simpleclaw::gateway
