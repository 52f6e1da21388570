// exec.approval.list / get / resolve (SPEC §5 Tools and approvals): thin adapters to the
// ApprovalManager, which owns pending approvals, their deadlines and idempotency.
//
// Shared mode: a user sees only approvals of their own sessions. get/resolve take full ids
// only (a prefix would tell whether other users' ids start with it), and someone else's
// approval answers exactly like an unknown one.
#include "tools/approvals.h"

#include <set>

#include "base/crypto.h"
#include "base/json_fields.h"
#include "gateway/approval_events.h"
#include "gateway/cluster_ops.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/runtime_info.h"

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

// A bare array, as OpenClaw's clients read it (`openclaw approvals pending`, the UI).
void method_exec_approval_list(MethodCall& call) {
  auto answer = [respond = call.respond, user = call.client.user,
                 &events = call.svc.approval_events](Json all) {
    if (user.empty()) return respond(std::move(all));
    Json mine = Json::array();  // shared mode: only approvals of the user's own sessions
    for (Json& a : all)
      if (events.owner_of(a) == user) mine.push_back(std::move(a));
    respond(std::move(mine));
  };
  Json local = call.svc.approvals.list();
  if (!call.svc.cluster) return answer(std::move(local));
  // Cluster mode: also those other instances' runs wait on (a client that reconnected to
  // this instance still sees them), from the shared store; this instance's own win.
  call.svc.cluster->stored_approvals(
      [local = std::move(local), answer = std::move(answer)](Json stored) mutable {
        std::set<std::string> ids;
        for (const Json& a : local) ids.insert(a.value("id", ""));
        for (Json& a : stored)
          if (!ids.count(a.value("id", ""))) local.push_back(std::move(a));
        answer(std::move(local));
      });
}

// ---- approval.get / resolve / history: OpenClaw's kind-independent view ----
//
// A snapshot is {id, urlPath, createdAtMs, expiresAtMs, presentation, status, ...}: exec
// approvals are the only kind simpleclaw has. Terminal states map as: allow-* -> allowed
// (reason user); deny -> denied (user), expired (timeout), cancelled (run-aborted, or
// gateway-restart for one cut off by a stop).
namespace {

Json presentation_of(const Json& request) {
  std::string command = json_str(request, "command");
  if (command.empty()) command = "(no command text)";
  Json agent = request.contains("agentId") && request["agentId"].is_string() ? request["agentId"]
                                                                             : Json(nullptr);
  return Json{{"kind", "exec"},
              {"commandText", command},
              {"commandPreview", nullptr},
              {"warningText", nullptr},
              {"host", "gateway"},
              {"nodeId", nullptr},
              {"agentId", agent},
              {"allowedDecisions", Json::array({"allow-once", "allow-always", "deny"})}};
}

// From ApprovalRecord::to_json().
Json snapshot_of(const Json& rec) {
  const std::string id = json_str(rec, "id");
  const Json& request = rec.contains("request") ? rec["request"] : Json::object();
  Json s{{"id", id},
         {"urlPath", "/approve/" + id},
         {"createdAtMs", rec.value("createdAtMs", std::int64_t{0})},
         {"expiresAtMs", rec.value("expiresAtMs", std::int64_t{0})},
         {"presentation", presentation_of(request)}};
  const std::string status = json_str(rec, "status", "pending");
  if (status == "pending") {
    s["status"] = "pending";
    return s;
  }
  s["resolvedAtMs"] = rec.value("resolvedAtMs", std::int64_t{0});
  Json source = Json::object();
  for (const char* k : {"agentId", "sessionKey"})
    if (request.contains(k) && request[k].is_string()) source[k] = request[k];
  s["source"] = std::move(source);
  const std::string by = json_str(rec, "resolvedBy");
  if (!by.empty()) s["resolver"] = Json{{"kind", "device"}, {"id", by}};
  const std::string reason = json_str(rec, "reason");
  if (status == "allow-once" || status == "allow-always") {
    s["status"] = "allowed";
    s["decision"] = status;
    s["reason"] = "user";
  } else if (reason == "timeout") {
    s["status"] = "expired";
    s["reason"] = "timeout";
  } else if (reason == "cancelled" || reason == "shutdown" || reason == "restart") {
    s["status"] = "cancelled";
    s["reason"] = reason == "cancelled" ? "run-aborted" : "gateway-restart";
  } else {
    s["status"] = "denied";
    s["decision"] = "deny";
    s["reason"] = "user";
  }
  return s;
}

Error approval_not_found(const std::string& id) {
  return Error::make(ErrorCode::kApprovalNotFound,
                     "approval not found: " + id + " (see exec.approval.list)",
                     "APPROVAL_NOT_FOUND");
}

}  // namespace

void method_approval_get(MethodCall& call) {
  std::string id = json_str(call.params, "id");
  if (Status s = check_owner(call, id); !s.ok()) return call.respond(approval_not_found(id));
  auto rec = call.svc.approvals.get(id);
  if (!rec.ok() || json_str(*rec, "id") != id) return call.respond(approval_not_found(id));
  call.respond(Json{{"approval", snapshot_of(*rec)}});
}

void method_approval_resolve(MethodCall& call) {
  std::string id = json_str(call.params, "id");
  if (Status s = check_owner(call, id); !s.ok()) return call.respond(approval_not_found(id));
  auto before = call.svc.approvals.get(id);
  if (!before.ok() || json_str(*before, "id") != id) return call.respond(approval_not_found(id));
  if (json_str(call.params, "kind") != "exec")
    return call.respond(Error::invalid("approval " + id + " is an exec approval, not " +
                                       json_str(call.params, "kind")));
  const bool was_pending = json_str(*before, "status") == "pending";
  if (was_pending) {
    auto r = call.svc.approvals.resolve(id, json_str(call.params, "decision"), call.client.who());
    if (!r.ok()) return call.respond(r.error());
  }
  auto after = call.svc.approvals.get(id);
  if (!after.ok()) return call.respond(after.error());
  call.respond(Json{{"applied", was_pending}, {"approval", snapshot_of(*after)}});
}

// Newest first; `cursor` is the position to continue from.
void method_approval_history(MethodCall& call) {
  const std::string kind = json_str(call.params, "kind", "exec");
  const std::size_t limit = static_cast<std::size_t>(json_int(call.params, "limit", 50));
  std::size_t start = 0;
  if (std::string c = json_str(call.params, "cursor"); !c.empty()) {
    if (c.find_first_not_of("0123456789") != std::string::npos || c.size() > 9)
      return call.respond(Error::invalid("invalid approval.history cursor"));
    start = std::stoul(c);
  }
  Json items = Json::array();
  std::size_t seen = 0;
  std::string next;
  if (kind == "exec") {
    for (const tools::ApprovalRecord* r : call.svc.approvals.recent()) {
      Json rec = r->to_json();
      if (!call.client.user.empty() && call.svc.approval_events.owner_of(rec) != call.client.user)
        continue;
      if (seen++ < start) continue;
      if (items.size() == limit) {
        next = std::to_string(start + limit);
        break;
      }
      items.push_back(snapshot_of(rec));
    }
  }
  Json out{{"items", std::move(items)}};
  if (!next.empty()) out["nextCursor"] = next;
  call.respond(std::move(out));
}

void method_exec_approval_get(MethodCall& call) {
  std::string id = json_str(call.params, "id");
  if (Status s = check_owner(call, id); !s.ok()) return call.respond(s.error());
  call.respond(call.svc.approvals.get(id));
}

void method_exec_approval_resolve(MethodCall& call) {
  std::string id = json_str(call.params, "id");
  const std::string decision = json_str(call.params, "decision");
  if (call.svc.cluster && call.client.user.empty() && !call.svc.approvals.get(id).ok()) {
    // Cluster mode: the approval may be another instance's (its run executes there). The
    // admin's only: a shared-mode user's ownership is checked where the approval lives.
    return call.svc.cluster->resolve(
        id, decision, call.client.who(),
        [respond = call.respond, id](std::optional<Result<Json>> r) {
          respond(r ? std::move(*r) : Result<Json>(unknown_approval(id)));
        });
  }
  if (Status s = check_owner(call, id); !s.ok()) return call.respond(s.error());
  call.respond(call.svc.approvals.resolve(id, decision, call.client.who()));
}

// The exec policy as OpenClaw's approvals editor shows it: tools.exec (security, ask and the
// allowlist, allow-always patterns included) per agent, from the config file. Read-only
// here: config.patch changes it.
void method_exec_approvals_get(MethodCall& call) {
  const config::Config& cfg = call.svc.config.cfg();
  auto policy = [](const sdk::ExecSettings& e) {
    return Json{{"security", e.security}, {"ask", e.ask}, {"askFallback", "deny"}};
  };
  Json agents = Json::object();
  for (const config::AgentConfig& a : cfg.agents.list) {
    Json p = policy(a.tools.exec);
    Json list = Json::array();
    for (const std::string& pattern : a.tools.exec.allow)
      list.push_back(Json{{"pattern", pattern}, {"source", "allow-always"}});
    p["allowlist"] = std::move(list);
    agents[a.id] = std::move(p);
  }
  Json file{{"version", 1}, {"defaults", policy(cfg.tools.exec)}, {"agents", std::move(agents)}};
  Json resolved = policy(cfg.tools.exec);
  resolved["autoAllowSkills"] = false;
  const std::string hash = sha256_hex(file.dump());
  call.respond(Json{{"path", call.svc.info.config_path},
                    {"exists", true},
                    {"hash", hash},
                    {"file", std::move(file)},
                    {"resolvedDefaults", std::move(resolved)},
                    // Edited through config.patch (tools.exec), not exec.approvals.set.
                    {"enabled", true}});
}

void method_question_list(MethodCall& call) { call.respond(Json{{"questions", Json::array()}}); }

}  // namespace simpleclaw::gateway
