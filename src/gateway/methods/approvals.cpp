// exec.approval.list / get / resolve (SPEC §5 Tools and approvals): thin adapters to the
// ApprovalManager, which owns pending approvals, their deadlines and idempotency.
//
// Shared mode: a user sees only approvals of their own sessions. get/resolve take full ids
// only (a prefix would tell whether other users' ids start with it), and someone else's
// approval answers exactly like an unknown one.
#include "tools/approvals.h"

#include "base/json_fields.h"
#include "gateway/approval_events.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

// What exec.approval.get/resolve answer for an id that does not exist.
Error unknown_approval(const std::string& id) {
  return Error::make(ErrorCode::kApprovalNotFound,
                     "unknown approval id: " + id + " (see exec.approval.list)",
                     "APPROVAL_NOT_FOUND");
}

// A user may touch only their own approvals, named by full id (see above).
Status check_owner(const MethodCall& call, const std::string& id) {
  if (call.client.user.empty()) return Ok{};
  auto rec = call.svc.approvals.get(id);
  if (!rec.ok() || rec->value("id", "") != id ||
      call.svc.approval_events.owner_of(*rec) != call.client.user)
    return unknown_approval(id);
  return Ok{};
}

}  // namespace

void method_exec_approval_list(MethodCall& call) {
  Json all = call.svc.approvals.list();
  if (call.client.user.empty()) return call.respond(std::move(all));
  Json mine = Json::array();  // shared mode: only approvals of the user's own sessions
  for (Json& a : all["approvals"])
    if (call.svc.approval_events.owner_of(a) == call.client.user) mine.push_back(std::move(a));
  call.respond(Json{{"approvals", std::move(mine)}});
}

void method_exec_approval_get(MethodCall& call) {
  std::string id = json_str(call.params, "id");
  if (Status s = check_owner(call, id); !s.ok()) return call.respond(s.error());
  call.respond(call.svc.approvals.get(id));
}

void method_exec_approval_resolve(MethodCall& call) {
  std::string id = json_str(call.params, "id");
  if (Status s = check_owner(call, id); !s.ok()) return call.respond(s.error());
  call.respond(
      call.svc.approvals.resolve(id, json_str(call.params, "decision"), call.client.who()));
}

}  // namespace simpleclaw::gateway
