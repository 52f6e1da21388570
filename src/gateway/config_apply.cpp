#include "gateway/config_apply.h"

#include "base/fs.h"
#include "base/log.h"
#include "channels/channel_manager.h"
#include "gateway/agent_tools.h"
#include "gateway/cron/scheduler.h"
#include "gateway/device_pairing.h"
#include "gateway/health.h"
#include "gateway/node_hub.h"
#include "plugins/plugin_host.h"
#include "providers/catalog.h"

namespace simpleclaw::gateway {

bool ConfigApplier::apply(config::Config next, config::FileState file) {
  // A valid file is applied (reload, config.set): it is the new last-known-good.
  if (!config_.degraded().empty()) {
    log::info("config: {} is valid again; no longer on the last-known-good copy",
              config_.info().config_path);
    config_.set_degraded("");
  }
  if (file.exists) save_last_good(config_.info().state_dir, config_.info().config_path);
  const RuntimeInfo& info = config_.info();
  const config::Config& cur = config_.cfg();
  // Judge "needs a restart" on the file's own values (the running config carries the
  // command-line overrides, which the new file does not), then re-apply the overrides.
  const config::FileState& was = config_.file();
  config::Parsed before = config::parse(was.composed.empty() ? was.raw : was.composed);
  bool restart = config::needs_restart(before.ok() ? before.config : cur, next);
  if (info.port_override) next.gateway.port = *info.port_override;
  if (info.bind_override) next.gateway.bind = *info.bind_override;
  bool timers_changed = next.gateway.timers.tick_ms != cur.gateway.timers.tick_ms ||
                        next.gateway.timers.maintenance_ms != cur.gateway.timers.maintenance_ms;
  if (next.logging.level != cur.logging.level) log::set_level(next.logging.level);
  // Auth follows the file, failing closed: `none` never applies to a non-loopback bind
  // (possible when --bind overrides the file's loopback).
  AuthSettings auth = config_.auth();
  std::string reload_error;
  if (next.gateway.auth.mode == "none" && !config::is_loopback_bind(next.gateway.bind)) {
    reload_error = "auth mode 'none' refused with bind '" + next.gateway.bind +
                   "'; keeping auth mode '" + auth.mode + "'";
    log::error("config: {}", reload_error);
    next.gateway.auth.mode = auth.mode;
  }
  auth.mode = next.gateway.auth.mode;
  auth.password = next.gateway.auth.password;
  if (auth.mode == "token") {
    // A token removed from the file falls back to the env/file token, never to "none".
    auto tok = resolve_token(next, info.state_dir);
    if (tok.ok())
      auth.token = tok->first;
    else
      log::error("cannot resolve the gateway token: {}; keeping the previous one",
                 tok.error().message);
  }
  config_.replace(std::move(next), std::move(file), std::move(auth));
  const config::Config& cfg = config_.cfg();
  reload_users();  // a rotated or removed user's sockets close with 4001
  // Every subsystem the same way. The agent directory and the run engine read the live
  // config directly.
  targets_.catalog.configure(cfg);
  targets_.catalog.probe(nullptr);  // models.list `available` for providers just added
  targets_.tools.configure(cfg);    // MCP servers started/stopped/restarted
  targets_.nodes.configure(cfg);
  targets_.devices.configure(cfg);
  targets_.plugins.configure(cfg);
  targets_.channels.configure(cfg);  // accounts added, removed or changed are (re)started
  targets_.cron.configure();         // next due times, heartbeats
  ++metrics_.config_reloads;
  config_.set_reload_status(
      ReloadStatus{clock_.wall_ms(), reload_error.empty(), reload_error, restart});
  const config::FileState& fs = config_.file();
  log::record("config.reload",
              Json{{"path", info.config_path},
                   {"hash", fs.hash},
                   {"ok", reload_error.empty()},
                   {"restartRequired", restart}},
              fmt::format("config applied (hash {}){}", fs.hash.substr(0, 12),
                          restart ? "; bind/port/TLS changes need a restart" : ""),
              spdlog::level::debug);
  if (timers_changed && timers_changed_) timers_changed_();
  // Shared mode: the config is the admin's (config.get is admin-only).
  clients_.broadcast("config.changed", Json{{"path", info.config_path}, {"hash", fs.hash}},
                     Audience{protocol::Scope::kRead, std::string_view()}, false);
  targets_.health.refresh(true);
  return restart;
}

void save_last_good(const std::string& state_dir, const std::string& config_path) {
  auto text = read_file(config_path);
  if (!text.ok()) return;  // no file: the embedded default needs no copy
  const std::string lkg = state_dir + "/" + kLastGoodConfig;
  if (auto old = read_file(lkg); old.ok() && *old == *text) return;
  if (auto s = write_file_atomic(lkg, *text, 0600); !s.ok())
    log::warn("cannot save the last-known-good config {}: {}", lkg, s.error().message);
}

Status ConfigApplier::reload() {
  const std::string& path = config_.info().config_path;
  config::FileState fs = config::read_state(path);
  config::Parsed p = config::parse(fs.raw);
  if (!fs.error.empty()) p.issues.insert(p.issues.begin(), config::Issue{"", 0, fs.error});
  if (!p.ok()) {
    std::string first = p.issues.front().to_string();
    for (const auto& i : p.issues) log::error("config reload: {}", i.to_string());
    log::error("config reload failed: keeping the running config; fix {} and send SIGHUP again",
               path);
    config_.set_reload_status(ReloadStatus{clock_.wall_ms(), false, first, false});
    log::record("config.reload", Json{{"path", path}, {"ok", false}, {"error", first}},
                "config reload rejected: " + first, spdlog::level::warn);
    targets_.health.refresh(true);
    return Error::invalid("invalid config: " + first);
  }
  if (auto w = config::migration_warning(p.migrated, p.file_version, path); !w.empty())
    log::warn("config reload: {}", w);
  bool restart = apply(std::move(p.config), std::move(fs));
  log::info("config reloaded from {}{}", path,
            restart ? " (bind/port/TLS changes need a restart)" : "");
  return Ok{};
}

void ConfigApplier::reload_users() {
  for (const std::string& p : config_.reload_users()) log::warn("shared mode: {}", p);
  const UserDirectory& users = config_.users();
  clients_.for_each([&](Client& c) {
    if (c.user.empty() || !c.transport || c.user_grant == "closed") return;
    const User* u = users.find(c.user);
    if (u && u->fingerprint() == c.user_grant) return;
    // Rotated token, removed user or changed grants: the socket must authenticate again.
    log::info("shared mode: closing {}'s connection {} ({})", c.user, c.conn_id.substr(0, 8),
              u ? "token or grants changed" : "user removed");
    c.transport->close(4001, u ? "credentials changed; reconnect" : "user removed");
    c.user_grant = "closed";          // a second reload does not close it again
    c.scopes = protocol::ScopeSet();  // nothing more until the socket is gone
  });
}

}  // namespace simpleclaw::gateway
