// Shared mode (gateway.mode: shared, docs/shared-mode.md): what a user's request may
// touch, decided from the method table alone (methods/method.h: SharedRule, key_field,
// agent_field). Every session key a user names is moved into their namespace
// ("agent:<id>:user:<name>:...") before the handler sees it, so another user's key, or a
// guess, becomes a key of the caller's own that simply does not exist yet: the answer is
// the one any unknown key gets, and no other user's transcript is ever read or written.
// Agents not granted are refused; admin-only methods stay with the gateway token. Which
// approvals a user sees is the approval handlers' business (methods/approvals.cpp).
//
// Threading: loop thread only.
#pragma once
#include "agents/agent_directory.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/methods/method.h"

namespace simpleclaw::gateway {

class SharedAccess {
 public:
  SharedAccess(const LiveConfig& config, const agents::AgentDirectory& agents)
      : config_(config), agents_(agents) {}
  // A user's request (c.user not empty): refused, or its params with every session key
  // moved into the user's namespace.
  Result<Json> params(const Client& c, const MethodSpec& spec, const Json& params) const;

 private:
  const LiveConfig& config_;
  const agents::AgentDirectory& agents_;
};

}  // namespace simpleclaw::gateway
