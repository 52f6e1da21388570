// exec.approval.request / exec.approval.waitDecision: someone other than the gateway's own
// exec tool asks operators to approve a command it is about to run. A node host (system.run
// on that machine) or, as in OpenClaw, any operator client holding operator.approvals (an
// app or script that runs commands itself and wants a human's yes first).
//
// The approval is an ordinary one of the ApprovalManager: announced with
// exec.approval.requested, shown in exec.approval.list and the chat it names, resolved by
// exec.approval.resolve / approval.resolve, saved across restarts. allow-always is not
// offered: the requester, not the gateway, runs the command and keeps its own allowlist.
//
// twoPhase: the request is answered twice under one id, first {status: "accepted", id,
// deliveryRoute, createdAtMs, expiresAtMs} (so the requester can show the id or hand it to
// exec.approval.waitDecision) and then with the decision. Without it, only the decision.
#include <algorithm>
#include <memory>

#include "base/json_fields.h"
#include "gateway/approval_events.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "tools/approvals.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::size_t kMaxArgv = 256;

// The requester's fields kept in the stored approval. `env` values may hold secrets: only
// the variable names are kept (operators see which ones the command gets).
Json stored_request(const Json& p, std::string command) {
  Json r{{"command", std::move(command)}};
  for (const char* k : {"cwd", "agentId", "sessionKey", "sessionId", "runId", "toolCallId",
                        "warningText", "security", "ask", "nodeId", "resolvedPath"})
    if (p.contains(k) && p[k].is_string()) r[k] = p[k];
  if (p.contains("commandArgv") && p["commandArgv"].is_array()) r["commandArgv"] = p["commandArgv"];
  if (p.contains("env") && p["env"].is_object()) {
    Json names = Json::array();
    for (const auto& [name, value] : p["env"].items()) names.push_back(name);
    r["envKeys"] = std::move(names);
  }
  return r;
}

// argv -> one display line (arguments with spaces or quotes single-quoted).
std::string command_line(const Json& argv) {
  std::string out;
  for (const Json& a : argv) {
    if (!a.is_string()) continue;
    std::string s = a.get<std::string>();
    if (!out.empty()) out += ' ';
    if (s.empty() || s.find_first_of(" \t'\"\\$`") != std::string::npos) {
      out += '\'';
      for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    } else {
      out += s;
    }
  }
  return out;
}

Json decision_json(const std::string& id, const Json& rec, const std::string& decision,
                   const std::string& reason, const std::string& by) {
  Json r{{"id", id},
         {"decision", decision},
         {"resolvedBy", by},
         {"createdAtMs", rec.value("createdAtMs", std::int64_t{0})},
         {"expiresAtMs", rec.value("expiresAtMs", std::int64_t{0})}};
  if (!reason.empty()) r["reason"] = reason;
  return r;
}

}  // namespace

void method_exec_approval_request(MethodCall& call) {
  const bool node = call.client.role == Role::kNode;
  if (!node && !call.client.scopes.has(protocol::Scope::kApprovals))
    return call.respond(Error::forbidden(
        "exec.approval.request needs a node connection or the operator.approvals scope",
        "MISSING_SCOPE"));
  const Json& p = call.params;
  std::string command = json_str(p, "command");
  if (p.contains("commandArgv") && p["commandArgv"].is_array()) {
    if (p["commandArgv"].size() > kMaxArgv)
      return call.respond(
          Error::invalid("commandArgv has more than " + std::to_string(kMaxArgv) + " items"));
    if (command.empty()) command = command_line(p["commandArgv"]);
  }
  if (command.empty()) return call.respond(Error::invalid("command (or commandArgv) is required"));
  // (Shared mode: sessionKey was moved into the user's own namespace by the dispatcher, so
  // the approval is shown to them and the admin only.)
  Json request = stored_request(p, std::move(command));
  request["hostName"] = call.client.client_info.value("displayName", node ? "node" : "operator");
  request["requestedBy"] = call.client.who();
  if (node) request["host"] = call.client.device_id;
  request["allowAlways"] = false;  // the requester keeps its own allowlist
  request["allowAlwaysUnavailable"] =
      node ? "the command runs on a node" : "the command runs where it was requested";
  int timeout = call.svc.config.cfg().tools.exec.approval_timeout_ms;
  if (p.contains("timeoutMs") && p["timeoutMs"].is_number_integer())
    timeout = std::clamp(p["timeoutMs"].get<int>(), 1000, timeout);

  auto& approvals = call.svc.approvals;
  auto rec = std::make_shared<Json>();  // filled once the id is known, read on decision
  auto decided = [respond = call.respond, rec](const std::string& decision,
                                               const std::string& reason, const std::string& by) {
    respond(decision_json(json_str(*rec, "id"), *rec, decision, reason, by));
  };
  Result<std::string> id =
      p.contains("id") && p["id"].is_string()
          ? approvals.request_as(p["id"].get<std::string>(), std::move(request), timeout, decided)
          : Result<std::string>(approvals.request(std::move(request), timeout, decided));
  if (!id.ok()) return call.respond(id.error());
  if (auto got = approvals.get(*id); got.ok()) *rec = std::move(got).value();
  (*rec)["id"] = *id;
  if (p.value("twoPhase", false))
    call.respond.interim(
        Json{{"status", "accepted"},
             {"id", *id},
             {"deliveryRoute",
              call.svc.approval_events.has_approvers(call.client.id) ? "approval-client" : "none"},
             {"createdAtMs", rec->value("createdAtMs", std::int64_t{0})},
             {"expiresAtMs", rec->value("expiresAtMs", std::int64_t{0})}});
}

// {id} -> the decision once made (at once if it already was): {id, decision, resolvedBy,
// reason?, createdAtMs, expiresAtMs}. Shared mode: only approvals of the user's sessions.
void method_exec_approval_wait_decision(MethodCall& call) {
  const std::string id = json_str(call.params, "id");
  if (id.empty()) return call.respond(Error::invalid("id is required"));
  auto rec = call.svc.approvals.get(id);
  const bool visible =
      rec.ok() &&
      (call.client.user.empty() ||
       (rec->value("id", "") == id && call.svc.approval_events.owner_of(*rec) == call.client.user));
  if (!visible)
    return call.respond(Error::make(ErrorCode::kApprovalNotFound,
                                    "approval expired or not found: " + id, "APPROVAL_NOT_FOUND"));
  Json snapshot = std::move(rec).value();
  std::string full_id = json_str(snapshot, "id");
  auto s = call.svc.approvals.watch(
      full_id, [respond = call.respond, snapshot, full_id](
                   const std::string& decision, const std::string& reason, const std::string& by) {
        respond(decision_json(full_id, snapshot, decision, reason, by));
      });
  if (!s.ok()) call.respond(s.error());
}

}  // namespace simpleclaw::gateway
