// Shared mode (docs/shared-mode.md): what a user's request may touch. Every session key
// a user names is moved into their namespace ("agent:<id>:user:<name>:...") before the
// handler sees it, so another user's key, or a guess, becomes a key of the caller's own
// that simply does not exist yet: the answer is the one any unknown key gets, and no
// other user's transcript is ever read or written. Agents not granted are refused;
// admin-only methods stay with the gateway token. Loop thread.
#include "base/log.h"
#include "gateway/gateway.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {
namespace {

using protocol::Scope;

// Which param names a session key (and which names the agent of a bare key).
struct KeyParam {
  std::string_view method, key_field, agent_field;
};
constexpr KeyParam kKeyParams[] = {
    {"chat.send", "sessionKey", "agentId"},
    {"chat.abort", "sessionKey", ""},
    {"chat.history", "sessionKey", ""},
    {"chat.inject", "sessionKey", ""},
    {"sessions.get", "key", ""},
    {"sessions.send", "key", "agentId"},
    {"sessions.patch", "key", ""},
    {"sessions.reset", "key", ""},
    {"sessions.delete", "key", ""},
};

Error admin_only(const std::string&) {
  std::string scope(protocol::scope_name(Scope::kAdmin));
  return Error{ErrorCode::kForbidden, "missing scope: " + scope,
               Json{{"code", "MISSING_SCOPE"},
                    {"missingScope", scope},
                    {"requiredScopes", Json::array({scope})}},
               std::nullopt};
}

// What exec.approval.get/resolve answer for an id that does not exist (approvals.cpp).
Error unknown_approval(const std::string& id) {
  return Error{ErrorCode::kApprovalNotFound,
               "unknown approval id: " + id + " (see exec.approval.list)",
               Json{{"code", "APPROVAL_NOT_FOUND"}}, std::nullopt};
}

}  // namespace

void Gateway::reload_users() {
  std::vector<std::string> problems;
  users_ = UserDirectory::load(cfg_, info_.state_dir, &problems);
  for (const std::string& p : problems) log::warn("shared mode: {}", p);
  for (auto& [id, c] : clients_) {
    if (c.user.empty() || !c.transport || c.user_grant == "closed") continue;
    const User* u = users_.find(c.user);
    if (u && u->fingerprint() == c.user_grant) continue;
    // Rotated token, removed user or changed grants: the socket must authenticate again.
    log::info("shared mode: closing {}'s connection {} ({})", c.user, c.conn_id.substr(0, 8),
              u ? "token or grants changed" : "user removed");
    c.transport->close(4001, u ? "credentials changed; reconnect" : "user removed");
    c.user_grant = "closed";          // a second reload does not close it again
    c.scopes = protocol::ScopeSet();  // nothing more until the socket is gone
  }
}

std::string Gateway::approval_owner(const Json& payload) {
  if (payload.contains("request")) return event_owner(payload["request"]);  // requested
  if (!tools_ || !payload.contains("id") || !payload["id"].is_string()) return {};
  auto rec = tools_->approvals().get(payload["id"].get<std::string>());  // resolved
  return rec.ok() && rec->contains("request") ? event_owner((*rec)["request"]) : std::string();
}

Result<Json> Gateway::shared_params(const Client& c, const std::string& method,
                                    const Json& params) {
  const User* user = users_.find(c.user);
  if (!user || admin_only_in_shared_mode(method)) return admin_only(method);
  Json out = params.is_object() ? params : Json::object();
  for (const KeyParam& kp : kKeyParams) {
    if (kp.method != method) continue;
    auto it = out.find(std::string(kp.key_field));
    if (it == out.end() || !it->is_string()) return out;  // the handler reports it
    std::string agent;
    if (!kp.agent_field.empty() && out.contains(std::string(kp.agent_field)) &&
        out[std::string(kp.agent_field)].is_string())
      agent = out[std::string(kp.agent_field)].get<std::string>();
    auto key = chat().parse_key(it->get<std::string>(), agent);
    if (!key.ok()) return key.error();
    if (!user->may_use_agent(key->agent_id)) return agent_not_granted(user->name, key->agent_id);
    auto mine = sessions::in_user_namespace(*key, user->name);
    if (!mine.ok()) return mine.error();
    *it = mine->key;
    return out;
  }
  if (method == "agents.files.list" || method == "agents.files.get") {
    std::string agent = out.value("agentId", Json("")).is_string()
                            ? out.value("agentId", Json("")).get<std::string>()
                            : std::string();
    if (!user->may_use_agent(agent)) return agent_not_granted(user->name, agent);
  }
  if (method == "exec.approval.get" || method == "exec.approval.resolve") {
    // Full ids only (a prefix would tell whether other users' ids start with it), and
    // someone else's approval answers exactly like an unknown one.
    std::string id = out.value("id", Json("")).is_string()
                         ? out.value("id", Json("")).get<std::string>()
                         : std::string();
    auto rec = agent_tools().approvals().get(id);
    if (!rec.ok() || rec->value("id", "") != id || !rec->contains("request") ||
        event_owner((*rec)["request"]) != user->name)
      return unknown_approval(id);
  }
  return out;
}

}  // namespace simpleclaw::gateway
