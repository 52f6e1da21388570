// LiveConfig: the configuration the gateway runs on, its one owner. The parsed config
// (with the --port/--bind overrides applied), the file it came from (raw text and hash),
// the auth settings in force, the shared-mode user directory, and how the last reload
// went. Everything else reads it; only ConfigApplier (config_apply.h) replaces it, so a
// reader holding `cfg()` sees one consistent config during a handler.
//
// Threading: loop thread only. References returned stay valid for the gateway's life
// (the objects are replaced in place).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "config/config.h"
#include "gateway/runtime_info.h"
#include "gateway/state/auth.h"
#include "gateway/state/users.h"

namespace simpleclaw::gateway {

// How the last hot reload (config.set/patch, SIGHUP, allow-always) went.
struct ReloadStatus {
  std::int64_t last_ms = 0;  // 0 = none since start-up
  bool ok = true;
  std::string error;  // the first problem when !ok
  bool restart_required = false;
};

class LiveConfig {
 public:
  LiveConfig(const RuntimeInfo& info, config::Config cfg, config::FileState file,
             AuthSettings auth);

  const config::Config& cfg() const { return cfg_; }
  const config::FileState& file() const { return file_; }
  const AuthSettings& auth() const { return auth_; }
  const UserDirectory& users() const { return users_; }
  const ReloadStatus& reload_status() const { return reload_; }
  // gateway.trusted_proxies, parsed once per config (the loader refused bad entries).
  const std::vector<CidrBlock>& trusted_proxies() const { return trusted_proxies_; }
  const RuntimeInfo& info() const { return info_; }

  // ConfigApplier's: the new state, all at once.
  void replace(config::Config cfg, config::FileState file, AuthSettings auth);
  // Re-reads the user directory from cfg() (token files included); returns the problems.
  std::vector<std::string> reload_users();
  void set_reload_status(ReloadStatus s) { reload_ = std::move(s); }
  // Started on the last-known-good copy because the file was invalid: why ("" = not
  // degraded). Cleared once a valid file is applied (reload, config.set).
  const std::string& degraded() const { return degraded_; }
  void set_degraded(std::string why) { degraded_ = std::move(why); }

 private:
  std::string degraded_;
  const RuntimeInfo& info_;
  config::Config cfg_;
  config::FileState file_;
  AuthSettings auth_;
  std::vector<CidrBlock> trusted_proxies_;
  UserDirectory users_;
  ReloadStatus reload_;
};

}  // namespace simpleclaw::gateway
