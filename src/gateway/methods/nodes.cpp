// node.* (SPEC §5 Nodes): the registry and invoke routing live in NodeHub; node-role
// methods (node.invoke.result, node.event, exec.approval.request) check the caller's role
// here.
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

Status require_node(const MethodCall& call) {
  if (call.client.role != "node")
    return Error{ErrorCode::kForbidden, call.method + " is for node connections",
                 Json{{"code", "NODE_ROLE_REQUIRED"}}, std::nullopt};
  return Ok{};
}

std::string who(const Client& c) {
  std::string name = c.client_info.value("displayName", "");
  return (name.empty() ? c.client_info.value("id", "operator") : name) + " (" +
         c.conn_id.substr(0, 8) + ")";
}

template <typename R>
Result<Reply> reply_of(R r) {
  if (!r.ok()) return r.error();
  return Reply(std::move(r).value());
}

}  // namespace

Result<Reply> method_node_list(MethodCall& call) { return Reply(call.gw.nodes().list()); }

Result<Reply> method_node_describe(MethodCall& call) {
  return reply_of(call.gw.nodes().describe(call.params.value("nodeId", "")));
}

Result<Reply> method_node_invoke(MethodCall& call) {
  call.gw.nodes().invoke(call.params, call.defer());
  return Reply(Json());
}

Result<Reply> method_node_invoke_result(MethodCall& call) {
  if (auto s = require_node(call); !s.ok()) return s.error();
  return reply_of(call.gw.nodes().invoke_result(call.client.id, call.params));
}

Result<Reply> method_node_event(MethodCall& call) {
  if (auto s = require_node(call); !s.ok()) return s.error();
  // {event:"presence", payload:{instanceId, host?, text?...}}: a device or app behind the
  // node shows in presence until gateway.timers.presence_ttl_ms after its last report.
  if (call.params.value("event", "") == "presence") {
    const Json& payload = call.params.contains("payload") ? call.params["payload"] : Json();
    if (auto s = call.gw.presence_report(call.client, payload); !s.ok()) return s.error();
  }
  return reply_of(call.gw.nodes().node_event(call.client.id, call.params));
}

Result<Reply> method_node_pair_list(MethodCall& call) { return Reply(call.gw.nodes().pair_list()); }

Result<Reply> method_node_pair_approve(MethodCall& call) {
  return reply_of(
      call.gw.nodes().pair_approve(call.params.value("requestId", ""), who(call.client)));
}

Result<Reply> method_node_pair_reject(MethodCall& call) {
  return reply_of(call.gw.nodes().pair_reject(call.params, who(call.client)));
}

// A node host asks operators to approve a command before it runs it (system.run through
// the same approval policy as the gateway's exec tool). Answered once decided.
Result<Reply> method_exec_approval_request(MethodCall& call) {
  if (auto s = require_node(call); !s.ok()) return s.error();
  std::string command = call.params.value("command", "");
  if (command.empty()) return Error::invalid("command is required");
  Json request = call.params;
  request["host"] = call.client.device_id;
  request["hostName"] = call.client.client_info.value("displayName", "node");
  request["allowAlways"] = false;  // the node keeps its own allowlist
  request["allowAlwaysUnavailable"] = "the command runs on a node";
  int timeout = call.gw.config().tools.exec.approval_timeout_ms;
  if (call.params.contains("timeoutMs") && call.params["timeoutMs"].is_number_integer())
    timeout = std::clamp(call.params["timeoutMs"].get<int>(), 1000, timeout);
  Responder answer = call.defer();
  std::string id = call.gw.agent_tools().approvals().request(
      std::move(request), timeout,
      [answer](const std::string& decision, const std::string& reason, const std::string& by) {
        Json r{{"decision", decision}, {"resolvedBy", by}};
        if (!reason.empty()) r["reason"] = reason;
        answer(std::move(r));
      });
  (void)id;
  return Reply(Json());
}

}  // namespace simpleclaw::gateway
