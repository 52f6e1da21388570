// node.* (SPEC §5 Nodes): the registry and invoke routing live in NodeHub; node-role
// methods (node.invoke.result, node.event, exec.approval.request) check the caller's role
// here.
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

void method_node_pair_approve(MethodCall& call) {
  call.respond(
      call.svc.devices.node_pair_approve(json_str(call.params, "requestId"), call.client.who()));
}

void method_node_pair_reject(MethodCall& call) {
  call.respond(call.svc.devices.node_pair_reject(call.params, call.client.who()));
}

// A node host asks operators to approve a command before it runs it (system.run through
// the same approval policy as the gateway's exec tool). Answered once decided.
void method_exec_approval_request(MethodCall& call) {
  if (auto s = require_node(call); !s.ok()) return call.respond(s.error());
  std::string command = json_str(call.params, "command");
  if (command.empty()) return call.respond(Error::invalid("command is required"));
  Json request = call.params;
  request["host"] = call.client.device_id;
  request["hostName"] = call.client.client_info.value("displayName", "node");
  request["allowAlways"] = false;  // the node keeps its own allowlist
  request["allowAlwaysUnavailable"] = "the command runs on a node";
  int timeout = call.svc.config.cfg().tools.exec.approval_timeout_ms;
  if (call.params.contains("timeoutMs") && call.params["timeoutMs"].is_number_integer())
    timeout = std::clamp(call.params["timeoutMs"].get<int>(), 1000, timeout);
  call.svc.approvals.request(
      std::move(request), timeout,
      [respond = call.respond](const std::string& decision, const std::string& reason,
                               const std::string& by) {
        Json r{{"decision", decision}, {"resolvedBy", by}};
        if (!reason.empty()) r["reason"] = reason;
        respond(std::move(r));
      });
}

}  // namespace simpleclaw::gateway
