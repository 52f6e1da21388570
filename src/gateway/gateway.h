// Gateway: the composition root of the control plane. It owns every subsystem, in the
// order below (constructed top to bottom, destroyed bottom to top), starts them in the
// spec's order and shuts them down; it does nothing else. What each part does is in its
// own header:
//
//   LiveConfig      the running config, auth, users         live_config.h
//   ClientTable     sockets, who they are, event fan-out    clients.h
//   PresenceFeed    who is connected, coalesced broadcasts  presence_feed.h
//   RunEngine       chat runs                               agents/run_engine.h
//   SessionService  sessions and transcripts                agents/session_service.h
//   RunWaiters      who waits for a run's end (agent)        run_waiters.h
//   RunFrames       run events -> chat/agent frames         run_frames.h
//   SendLedger      `send` retries answered once            send_ledger.h
//   HealthMonitor   the health snapshot                     health.h
//   StatusReport    status and /metrics                     status.h
//   ConfigApplier   hot-applying a new config               config_apply.h
//   Maintenance     tick and the maintenance pass           maintenance.h
//   CronScheduler   scheduled jobs, exactly once            cron/scheduler.h
//   DevicePairing   paired devices, device tokens           device_pairing.h
//   NodeHub         connected nodes, node.invoke            node_hub.h
//   Authenticator   credentials -> a typed Admission        authenticator.h
//   Handshake       connect -> hello-ok                     handshake.h
//   Dispatcher      req -> method table -> handler -> res   dispatcher.h
//   HttpRouter      the HTTP API routes (/v1, /tools)       http/http_router.h
//   Hooks           webhooks in (/hooks/*)                  http/hooks.h
//   ControlUi       the browser dashboard (HTTP)            control_ui.h
//   Connections     the transport's hooks                   connections.h
//
// Life of a request: Server -> Connections::on_message -> Handshake (before connect) or
// Dispatcher -> MethodSpec::handler(MethodCall{Services...}) -> Responder -> res frame.
//
// Threading: one io_context thread (the loop) calls everything here; there are no locks.
// Blocking work goes to the DbWorker (SQLite) and the BlockingPool (files).
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "base/blocking_pool.h"
#include "base/clock.h"
#include "channels/channel_manager.h"
#include "gateway/agent_tools.h"
#include "gateway/approval_events.h"
#include "gateway/authenticator.h"
#include "gateway/channel_bridge.h"
#include "gateway/clients.h"
#include "gateway/cluster/cluster_node.h"
#include "gateway/config_apply.h"
#include "gateway/config_document.h"
#include "gateway/connections.h"
#include "gateway/control_ui.h"
#include "gateway/cron/scheduler.h"
#include "gateway/device_pairing.h"
#include "gateway/dispatcher.h"
#include "gateway/handshake.h"
#include "gateway/health.h"
#include "gateway/http/hooks.h"
#include "gateway/http/http_router.h"
#include "gateway/live_config.h"
#include "gateway/maintenance.h"
#include "gateway/node_hub.h"
#include "gateway/presence_feed.h"
#include "gateway/run_frames.h"
#include "gateway/run_waiters.h"
#include "gateway/runtime_info.h"
#include "gateway/send_ledger.h"
#include "gateway/services.h"
#include "gateway/shared_access.h"
#include "gateway/state/event_loop.h"
#include "gateway/state/metrics.h"
#include "gateway/status.h"
#include "plugins/plugin_host.h"
#include "providers/catalog.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {

// The session store config.store names: the state directory's SQLite file, or PostgreSQL
// (its URL from the config or url_file; images stay in the state directory either way).
Result<sessions::SessionStore> open_session_store(const RuntimeInfo& info,
                                                  const config::Config& cfg);

class Gateway {
 public:
  // Opens <state>/sessions.db (migrations, crash recovery) and the paired devices, and
  // builds every subsystem (nothing runs yet).
  // `store`: the store cluster mode opened at start to read the shared config (nullopt:
  // open the one cfg.store names).
  static Result<std::unique_ptr<Gateway>> open(boost::asio::io_context& io, RuntimeInfo info,
                                               config::Config cfg, config::FileState file,
                                               AuthSettings auth,
                                               std::optional<sessions::SessionStore> store = {},
                                               std::optional<ClusterJoin> join = {});
  ~Gateway();
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Start-up steps after open (SPEC §1 order), each returning a summary for the start-up
  // log: out-of-process plugins discovered and started, then channel accounts created
  // (they connect in the background: a platform that cannot be reached never delays
  // readiness).
  std::string start_plugins();
  std::string start_channels();
  // Maintenance timers; call after the listener is bound (the gateway is then ready).
  void start();
  // Graceful stop: `shutdown` event to every client (with restartExpectedMs for a
  // restart), no new runs or platform messages, runs in flight finish for up to
  // gateway.shutdown_grace_ms (then interrupted), queued runs kept for the next start,
  // waiting replies sent (bounded), then close 1012, plugins and MCP servers stopped;
  // then `done` (at most 3 s more for peers that never answer the close).
  void shutdown(const std::string& reason, std::optional<long long> restart_expected_ms,
                std::function<void()> done);
  Status reload_config() { return config_doc_.reload(); }  // SIGHUP
  // Started on the last-known-good config: why (status/health report it until a valid
  // file is applied).
  void set_config_degraded(std::string why) { config_.set_degraded(std::move(why)); }
  // How long a restart that starts now should keep clients away: the runs in flight may
  // take the grace period; starting takes milliseconds.
  long long restart_expected_ms() const;
  // A restart's last step: sockets that upgraded during the drain are closed (1012) too.
  // Returns how many clients are still open.
  std::size_t close_remaining_clients();

  TransportHandler& transport() { return connections_; }
  providers::Catalog& catalog() { return catalog_; }
  bool ready() const { return status_.ready() && !draining_; }
  void set_listen_port(int port) { info_.port = port; }  // known only now with --port 0
  void set_discovery_status(Json j) { status_.set_discovery(std::move(j)); }

 private:
  Gateway(boost::asio::io_context& io, RuntimeInfo info, config::Config cfg, config::FileState file,
          AuthSettings auth, sessions::SessionStore store);
  void finish_shutdown_if_idle();
  void flush_outbound();  // shutdown: runs done; waits (bounded) for waiting replies
  void stop_the_rest();   // shutdown: channels, plugins, MCP, client sockets

  boost::asio::io_context& io_;
  const Clock& clock_;
  RuntimeInfo info_;
  LiveConfig config_;
  Metrics metrics_;
  ClientTable clients_;
  EventLoopMonitor loop_monitor_;
  BlockingPool files_;
  providers::Catalog catalog_;
  agents::AgentDirectory agents_;
  sessions::DbWorker db_;
  // Sinks, declared before what reports to them. They reach members declared further
  // down only once the loop runs (never while constructing or destroying).
  RunWaiters run_waiters_;
  RunFrames run_frames_;
  SendLedger send_ledger_;
  ApprovalEvents approval_events_;
  ChannelBridge channel_bridge_;
  PresenceFeed presence_;
  DevicePairing devices_;
  NodeHub nodes_;
  AgentTools tools_;
  agents::RunEngine runs_;
  agents::SessionService sessions_;
  plugins::PluginHost plugins_;
  channels::ChannelManager channels_;
  HealthMonitor health_;
  StatusReport status_;
  ConfigApplier applier_;
  ConfigDocument config_doc_;  // config.yaml or the cluster's document: reads and writes
  Maintenance maintenance_;
  CronScheduler cron_;
  SharedAccess shared_;
  Services services_;
  Dispatcher dispatcher_;
  Authenticator auth_;
  HttpRouter http_;
  Hooks hooks_;
  Handshake handshake_;
  ControlUi control_ui_;
  Connections connections_;
  std::unique_ptr<ClusterNode> cluster_;  // cluster mode only
  // Shutdown.
  bool draining_ = false;
  bool restarting_ = false;  // the drain of a restart (gateway/restart.h)
  std::function<void()> on_drained_;
  boost::asio::steady_timer shutdown_timer_;
  std::chrono::steady_clock::time_point drain_deadline_{}, flush_started_{};
  std::vector<sessions::QueuedRun> queued_at_start_;  // run by start()
  bool plugins_drained_ = true;  // false while shutdown waits for plugin processes
  bool runs_drained_ = true;     // false while shutdown waits for runs to be written
  bool tools_drained_ = true;    // false while shutdown waits for MCP servers to stop
  bool leases_released_ = true;  // false while shutdown gives the cluster leases back
};

}  // namespace simpleclaw::gateway
