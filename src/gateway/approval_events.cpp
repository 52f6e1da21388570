#include "gateway/approval_events.h"

#include <cstring>
#include <utility>

#include "base/json_fields.h"
#include "base/log.h"
#include "channels/channel_manager.h"
#include "gateway/agent_tools.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {

std::string ApprovalEvents::owner_of(const Json& payload) const {
  const Json* request = payload.contains("request") ? &payload["request"] : nullptr;
  Json stored;
  if (!request && payload.contains("id") && payload["id"].is_string()) {  // a resolution
    auto rec = tools_.approvals().get(payload["id"].get<std::string>());
    if (rec.ok() && rec->contains("request")) stored = (*rec)["request"];
    request = &stored;
  }
  if (!request) return {};
  return std::string(sessions::key_owner(json_str(*request, "sessionKey")));
}

bool ApprovalEvents::has_approvers(std::uint64_t except) const {
  bool found = false;
  const Audience approvers{protocol::Scope::kApprovals};
  std::as_const(clients_).for_each([&](const Client& c) {
    if (c.id != except && approvers.includes(c)) found = true;
  });
  return found;
}

void ApprovalEvents::approval_event(const char* event, Json payload) {
  {
    // exec.approval.requested / .resolved -> approval.requested / approval.resolved
    std::string name = std::string("approval.") + (std::strrchr(event, '.') + 1);
    Json f{{"id", payload.value("id", "")}};
    for (const char* k : {"decision", "reason", "resolvedBy", "expiresAtMs"})
      if (payload.contains(k)) f[k] = payload[k];
    log::record(name, f, fmt::format("{} {} {}", name, f.value("id", ""), f.value("decision", "")));
  }
  channels_.on_approval_event(event, payload);  // prompts in the chat
  std::string owner = owner_of(payload);
  clients_.broadcast(event, std::move(payload), Audience{protocol::Scope::kApprovals, owner},
                     false);
}

}  // namespace simpleclaw::gateway
