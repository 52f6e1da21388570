#include "gateway/state/auth.h"

#include <sys/stat.h>

#include "base/crypto.h"
#include "base/env.h"
#include "base/fs.h"
#include "base/ids.h"
#include "base/log.h"

namespace simpleclaw::gateway {

Result<protocol::ScopeSet> check_credentials(const AuthSettings& s, const Json& auth) {
  auto field = [&](const char* k) -> std::string {
    if (auth.is_object() && auth.contains(k) && auth[k].is_string())
      return auth[k].get<std::string>();
    return {};
  };
  if (s.mode == "none") return protocol::ScopeSet::all();
  if (s.mode == "password") {
    std::string given = field("password");
    if (given.empty())
      return Error::unauthenticated(
          "unauthorized: gateway password missing (pass it as auth.password)",
          "AUTH_PASSWORD_MISSING");
    if (!secret_equal(given, s.password))
      return Error::unauthenticated("unauthorized: gateway password mismatch",
                                    "AUTH_PASSWORD_MISMATCH");
    return protocol::ScopeSet::all();
  }
  std::string given = field("token");
  if (given.empty())
    return Error::unauthenticated(
        "unauthorized: gateway token missing (pass --token, or read it from "
        "~/.simpleclaw/gateway.token)",
        "AUTH_TOKEN_MISSING");
  if (s.token.empty() || !secret_equal(given, s.token))
    return Error::unauthenticated("unauthorized: gateway token mismatch", "AUTH_TOKEN_MISMATCH");
  return protocol::ScopeSet::all();
}

Result<std::pair<std::string, std::string>> resolve_token(const config::Config& cfg,
                                                          const std::string& state_dir) {
  if (!cfg.gateway.auth.token.empty())
    return std::pair{cfg.gateway.auth.token, std::string("config")};
  if (std::string t = env_var("SIMPLECLAW_GATEWAY_TOKEN"); !t.empty())
    return std::pair{t, std::string("env")};
  std::string path = state_dir + "/gateway.token";
  if (auto existing = read_file(path); existing.ok()) {
    std::string t = *existing;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (!t.empty()) {
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
        log::warn("{} is readable by other users; fixing its mode to 0600", path);
        ::chmod(path.c_str(), 0600);
      }
      return std::pair{t, "file:" + path};
    }
  }
  std::string t = random_token();
  if (auto s = write_file_atomic(path, t + "\n", 0600); !s.ok()) return s.error();
  return std::pair{t, "generated:" + path};
}

std::optional<std::int64_t> AuthLimiter::locked_for(const std::string& key,
                                                    std::int64_t now_ms) const {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until_ms <= now_ms) return std::nullopt;
  return it->second.locked_until_ms - now_ms;
}

std::optional<std::int64_t> AuthLimiter::record_failure(const std::string& key,
                                                        std::int64_t now_ms) {
  if (entries_.size() >= opts_.max_tracked) prune(now_ms);
  if (entries_.size() >= opts_.max_tracked && !entries_.count(key)) {
    // Table full of live entries (an attack from many addresses): evict one so memory
    // stays bounded; losing one counter is better than growing without limit.
    entries_.erase(entries_.begin());
  }
  Entry& e = entries_[key];
  if (now_ms - e.window_start_ms > opts_.window_ms || e.locked_until_ms != 0) {
    if (e.locked_until_ms > now_ms) return std::nullopt;  // already locked
    e = Entry{0, now_ms, 0};
  }
  if (++e.failures >= opts_.max_failures) {
    e.locked_until_ms = now_ms + opts_.lockout_ms;
    return opts_.lockout_ms;
  }
  return std::nullopt;
}

void AuthLimiter::prune(std::int64_t now_ms) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    const Entry& e = it->second;
    bool expired = e.locked_until_ms ? e.locked_until_ms <= now_ms
                                     : now_ms - e.window_start_ms > opts_.window_ms;
    it = expired ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace simpleclaw::gateway
