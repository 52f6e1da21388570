// Maintenance: the gateway's periodic housekeeping, on two loop timers.
//
//   tick (gateway.timers.tick_ms): `tick {ts}` to every client (SPEC §2)
//   pass (gateway.timers.maintenance_ms), one at a time:
//     * the health snapshot: the session summary is re-read from the store, then the
//       snapshot is rebuilt; a change bumps stateVersion.health and broadcasts `health`
//     * presence: socketless entries past gateway.timers.presence_ttl_ms are dropped
//     * chat.send idempotency results past sessions.dedupe_ttl_ms are forgotten
//     * sessions.reset policy (idle | daily): idle sessions last active before the cut-off
//       start over exactly as `sessions.reset` does (new sessionId, old transcript kept);
//       the cut-off is wall time, corrected for a clock set back (WallJumps)
//     * SQLite: PRAGMA wal_checkpoint(TRUNCATE) so the -wal file does not grow without
//       bound between restarts, and PRAGMA optimize
//     * memory freed since the last pass goes back to the kernel (malloc_trim)
//
// Exec approvals need no pass: each has its own deadline timer (tools/approvals.h). Log
// files rotate by size as they are written (base/log.h).
//
// Threading: loop thread; the database work runs on the DbWorker and at most one job of
// each kind is in flight, so a slow disk never piles passes up.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/alive.h"
#include "base/clock.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/reset_policy.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::agents {
class AgentDirectory;
class RunEngine;
class SessionService;
}  // namespace simpleclaw::agents
namespace simpleclaw::sessions {
class DbWorker;
}

namespace simpleclaw::gateway {

class HealthMonitor;
class PresenceFeed;

struct MaintenanceTargets {
  ClientTable& clients;
  PresenceFeed& presence;
  HealthMonitor& health;
  const agents::AgentDirectory& agents;
  agents::RunEngine& runs;
  agents::SessionService& sessions;
  sessions::DbWorker& db;
};

class Maintenance {
 public:
  Maintenance(boost::asio::io_context& io, const LiveConfig& config, MaintenanceTargets targets,
              Metrics& metrics, const Clock& clock);
  void start();    // both timers
  void stop();     // shutdown: nothing more runs
  void restart();  // the periods changed (config reload)
  void pass();     // one maintenance pass now (the timer calls it)

 private:
  void schedule_tick();
  void schedule_pass();
  void reset_stale_sessions();
  void checkpoint_store();

  const LiveConfig& config_;
  MaintenanceTargets t_;
  Metrics& metrics_;
  const Clock& clock_;
  boost::asio::steady_timer tick_timer_, pass_timer_;
  bool stopped_ = false;
  bool resets_pending_ = false, checkpoint_pending_ = false;
  WallJumps wall_jumps_;  // the wall clock set back, for the reset policy's cut-off
  Alive alive_;           // last
};

}  // namespace simpleclaw::gateway
