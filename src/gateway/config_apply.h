// ConfigApplier: the one way a new configuration takes effect while the gateway runs
// (config.set / config.patch, agents.create/update/delete, an exec allow-always, SIGHUP).
// It re-applies the --port/--bind overrides, fails closed on auth (`none` never applies to
// a non-loopback bind), swaps the LiveConfig, and hands the config to every subsystem the
// same way: configure(const config::Config&). Bind, port and TLS changes report
// "restart needed"; everything else hot-applies. Shared-mode users whose token or grants
// changed lose their sockets (4001).
//
// Threading: loop thread only.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "config/config.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::providers {
class Catalog;
}
namespace simpleclaw::plugins {
class PluginHost;
}
namespace simpleclaw::channels {
class ChannelManager;
}

namespace simpleclaw::gateway {

class AgentTools;
class HealthMonitor;
class NodeHub;
class DevicePairing;
class CronScheduler;

// The subsystems a config reaches (all owned by the Gateway).
struct ConfigTargets {
  providers::Catalog& catalog;
  AgentTools& tools;
  NodeHub& nodes;
  DevicePairing& devices;
  plugins::PluginHost& plugins;
  channels::ChannelManager& channels;
  HealthMonitor& health;
  CronScheduler& cron;  // cron.enabled / timezone and the agents' heartbeats
};

// The copy of the last config file the gateway ran on, in the state dir: an invalid
// file at start (a renamed key after an upgrade, a typo) falls back to it instead of
// keeping the gateway down (gateway/runtime.cpp; --strict-config refuses instead).
inline constexpr const char* kLastGoodConfig = "config.last-good.yaml";
// Copies the config file there (0600: it may hold secrets) when it differs.
void save_last_good(const std::string& state_dir, const std::string& config_path);

class ConfigApplier {
 public:
  // `timers_changed` restarts the tick and maintenance timers after their periods changed.
  ConfigApplier(LiveConfig& config, ClientTable& clients, Metrics& metrics, ConfigTargets targets,
                const Clock& clock, std::function<void()> timers_changed)
      : config_(config),
        clients_(clients),
        metrics_(metrics),
        targets_(targets),
        clock_(clock),
        timers_changed_(std::move(timers_changed)) {}

  // Applies a validated config that is now in the file; returns whether a changed key
  // needs a restart (bind, port, TLS).
  bool apply(config::Config next, config::FileState file);
  // SIGHUP: re-reads the file; an invalid file keeps the running config (logged, and
  // reported in status.subsystems.config.reload).
  Status reload();

 private:
  void reload_users();

  LiveConfig& config_;
  ClientTable& clients_;
  Metrics& metrics_;
  ConfigTargets targets_;
  const Clock& clock_;
  std::function<void()> timers_changed_;
};

}  // namespace simpleclaw::gateway
