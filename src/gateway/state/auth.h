// Connect-time authentication (SPEC §4): credential checks in constant time and the
// failed-attempt limiter (10 failures / 60 s per (IP, Origin) -> 5 min lockout).
// Loopback clients without an Origin header (the local CLI) are exempt from the
// limiter; browser connections never are. "Client" is PeerInfo's: behind a trusted
// reverse proxy, the address the proxy forwarded for. Loop thread only.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "config/config.h"
#include "gateway/protocol/scopes.h"
#include "gateway/state/transport.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

struct AuthSettings {
  std::string mode = "token";  // token | password | none
  std::string token;
  std::string password;
};

// Ok = the scopes the credential grants (local mode: all of them).
Result<protocol::ScopeSet> check_credentials(const AuthSettings& settings, const Json& auth);

// The token for auth mode `token`: gateway.auth.token > SIMPLECLAW_GATEWAY_TOKEN >
// <state>/gateway.token, generating that file (0600) when none exists. Returns
// {token, source} where source is "config", "env", "file:<path>" or "generated:<path>".
Result<std::pair<std::string, std::string>> resolve_token(const config::Config& cfg,
                                                          const std::string& state_dir);

class AuthLimiter {
 public:
  struct Options {
    int max_failures = 10;
    std::int64_t window_ms = 60'000;
    std::int64_t lockout_ms = 300'000;
    std::size_t max_tracked = 10'000;  // keys kept; expired ones are pruned past this
  };
  AuthLimiter() = default;
  explicit AuthLimiter(Options o) : opts_(o) {}

  static std::string key(const PeerInfo& peer) { return peer.remote_ip + "|" + peer.origin; }
  static bool exempt(const PeerInfo& peer) { return peer.loopback && peer.origin.empty(); }

  // Milliseconds left in a lockout, or nullopt when the key may try.
  std::optional<std::int64_t> locked_for(const std::string& key, std::int64_t now_ms) const;
  // Counts one failure; returns the lockout length if this failure started one.
  std::optional<std::int64_t> record_failure(const std::string& key, std::int64_t now_ms);
  void record_success(const std::string& key) { entries_.erase(key); }
  std::size_t tracked() const { return entries_.size(); }

 private:
  struct Entry {
    int failures = 0;
    std::int64_t window_start_ms = 0;
    std::int64_t locked_until_ms = 0;
  };
  void prune(std::int64_t now_ms);
  Options opts_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace simpleclaw::gateway
