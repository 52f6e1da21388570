// Shared mode (gateway.mode: shared, docs/shared-mode.md): who a connection is and what
// it may touch. The gateway token stays the admin (every scope, every session); each
// users.<name> entry is a user with their own token, the scopes and agents granted, and
// a private namespace of session keys ("agent:<id>:user:<name>:...", sessions/keys.h).
//
// UserDirectory is built from the config on the loop thread at start-up and on every
// reload (it reads token_file entries then) and is immutable afterwards; the gateway
// swaps in a new one. Tokens are compared in constant time and never logged.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "gateway/protocol/scopes.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

struct User {
  std::string name;
  protocol::ScopeSet scopes;        // what the token grants (never admin or pairing)
  std::vector<std::string> agents;  // granted agent ids, when !all_agents
  bool all_agents = true;
  std::string token_digest;  // SHA-256 of the token: a change = rotation
  bool may_use_agent(std::string_view agent_id) const;
  // Token digest + scopes + agents: sockets whose user's fingerprint changed are closed.
  std::string fingerprint() const;
};

class UserDirectory {
 public:
  UserDirectory() = default;
  // Users of `cfg` (none unless gateway.mode is shared). token_file paths are relative
  // to `state_dir`; a file that cannot be read, or holds a token shorter than 16
  // characters, disables that user (a line in `problems`); a file readable by group or
  // others is used but warned about.
  static UserDirectory load(const config::Config& cfg, const std::string& state_dir,
                            std::vector<std::string>* problems);

  // The user whose token this is, or nullptr. Every user's token is compared (constant
  // time each), so the time taken does not tell which one matched.
  const User* match(std::string_view token) const;
  const User* find(std::string_view name) const;
  std::vector<const User*> list() const;  // in config order
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string token;
    User user;
  };
  std::vector<Entry> entries_;
};

// The FORBIDDEN error for an agent the user was not granted.
Error agent_not_granted(std::string_view user, std::string_view agent_id);

}  // namespace simpleclaw::gateway
