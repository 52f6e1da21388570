// StatusReport: what `status` answers (version, uptime, pid, RSS, the listener, connections
// by kind, and each subsystem's real state: config, event loop, channels, agents,
// sessions, plugins, models (configured or implicit providers), logs, discovery) and the Prometheus
// text of /metrics. Both are rendered on demand from the live objects; nothing here keeps state of
// its own but the start time and the discovery block the runtime reports.
//
// Threading: loop thread only.
#pragma once
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/state/event_loop.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::agents {
class RunEngine;
}
namespace simpleclaw::channels {
class ChannelManager;
}
namespace simpleclaw::plugins {
class PluginHost;
}
namespace simpleclaw::providers {
class Catalog;
}

namespace simpleclaw::gateway {

class HealthMonitor;
class PresenceFeed;
class CronScheduler;

// What status and /metrics read (all owned by the Gateway; they outlive this).
struct StatusSources {
  const LiveConfig& config;
  const ClientTable& clients;
  const Metrics& metrics;
  const EventLoopMonitor& loop;
  const HealthMonitor& health;
  const PresenceFeed& presence;
  const agents::RunEngine& runs;
  const channels::ChannelManager& channels;
  const plugins::PluginHost& plugins;
  const providers::Catalog& catalog;
  const CronScheduler& cron;
};

class StatusReport {
 public:
  StatusReport(StatusSources src, const Clock& clock);
  Json status() const;
  std::string metrics_text() const;
  std::int64_t uptime_ms() const;
  Json state_version() const;  // {presence, health}
  // status.discovery {mdns, tailscale?}; set by the runtime as its states change.
  void set_discovery(Json j) { discovery_ = std::move(j); }
  void set_ready(bool ready) { ready_ = ready; }
  // Cluster mode: subsystems.cluster (ClusterNode::status_json).
  void set_cluster(std::function<Json()> fn) { cluster_ = std::move(fn); }
  bool ready() const { return ready_; }

 private:
  StatusSources src_;
  std::function<Json()> cluster_;  // cluster mode: subsystems.cluster
  const Clock& clock_;
  std::chrono::steady_clock::time_point started_;
  std::int64_t started_wall_ms_;
  bool ready_ = false;
  Json discovery_ = Json{{"mdns", {{"mode", "off"}, {"state", "off"}}}};
};

}  // namespace simpleclaw::gateway
