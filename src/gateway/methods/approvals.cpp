// exec.approval.list / get / resolve (SPEC §5 Tools and approvals): thin adapters to the
// ApprovalManager, which owns pending approvals, their deadlines and idempotency.
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

// Who resolved: the operator's display name, else its client id, and its connection.
std::string resolver(const Client& c) {
  std::string name = c.client_info.value("displayName", "");
  if (name.empty()) name = c.client_info.value("id", "operator");
  return name + " (" + c.conn_id.substr(0, 8) + ")";
}

}  // namespace

Result<Reply> method_exec_approval_list(MethodCall& call) {
  Json all = call.gw.agent_tools().approvals().list();
  if (call.client.user.empty()) return Reply(std::move(all));
  Json mine = Json::array();  // shared mode: only approvals of the user's own sessions
  for (Json& a : all["approvals"])
    if (a.contains("request") && event_owner(a["request"]) == call.client.user)
      mine.push_back(std::move(a));
  return Reply(Json{{"approvals", std::move(mine)}});
}

Result<Reply> method_exec_approval_get(MethodCall& call) {
  auto r = call.gw.agent_tools().approvals().get(call.params.value("id", ""));
  if (!r.ok()) return r.error();
  return Reply(std::move(r).value());
}

Result<Reply> method_exec_approval_resolve(MethodCall& call) {
  auto r = call.gw.agent_tools().approvals().resolve(
      call.params.value("id", ""), call.params.value("decision", ""), resolver(call.client));
  if (!r.ok()) return r.error();
  return Reply(std::move(r).value());
}

}  // namespace simpleclaw::gateway
