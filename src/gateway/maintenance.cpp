#include "gateway/maintenance.h"

#include <malloc.h>

#include <algorithm>
#include <ctime>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "base/log.h"
#include "gateway/health.h"
#include "gateway/presence_feed.h"
#include "gateway/reset_policy.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {
namespace {

constexpr int kMaxResetsPerPass = 100;  // bounds one pass's database work

}  // namespace

std::int64_t daily_reset_cutoff_ms(std::int64_t now_ms, int hour) {
  std::time_t now = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = hour;
  tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::time_t cut = std::mktime(&tm);
  if (cut > now) {
    --tm.tm_mday;  // mktime normalises the day and the DST change, if any
    tm.tm_hour = hour;
    tm.tm_isdst = -1;
    cut = std::mktime(&tm);
  }
  return static_cast<std::int64_t>(cut) * 1000;
}

void WallJumps::observe(std::int64_t wall_ms, std::chrono::steady_clock::time_point steady) {
  if (seen_) {
    const std::int64_t moved_steady =
        std::chrono::duration_cast<std::chrono::milliseconds>(steady - last_steady_).count();
    const std::int64_t back = moved_steady - (wall_ms - last_wall_);
    if (back > kToleranceMs) {
      // The jump happened somewhere in the interval: the wall time just after it is at
      // least wall_ms - moved_steady (the estimate errs low, towards resetting later).
      jumps_.push_back({wall_ms - moved_steady, back});
      if (jumps_.size() > kMaxKept) jumps_.pop_front();
    }
  }
  seen_ = true;
  last_wall_ = wall_ms;
  last_steady_ = steady;
}

std::int64_t WallJumps::cutoff(std::int64_t now_ms,
                               const std::function<std::int64_t(std::int64_t)>& cutoff_at) const {
  std::int64_t best = cutoff_at(now_ms);
  // A stamp from before jump i was made before every later jump too: its true age is its
  // apparent one plus all of them.
  std::int64_t back = 0;
  for (auto it = jumps_.rbegin(); it != jumps_.rend(); ++it) {
    back += it->back_ms;
    best = std::max(best, std::min(it->landing_ms, cutoff_at(now_ms + back)));
  }
  return best;
}

Maintenance::Maintenance(boost::asio::io_context& io, const LiveConfig& config,
                         MaintenanceTargets targets, Metrics& metrics, const Clock& clock)
    : config_(config),
      t_(targets),
      metrics_(metrics),
      clock_(clock),
      tick_timer_(io),
      pass_timer_(io) {}

void Maintenance::start() {
  stopped_ = false;
  wall_jumps_.observe(clock_.wall_ms(), clock_.steady());
  schedule_tick();
  schedule_pass();
}

void Maintenance::stop() {
  stopped_ = true;
  tick_timer_.cancel();
  pass_timer_.cancel();
}

void Maintenance::restart() {
  if (stopped_) return;
  tick_timer_.cancel();
  pass_timer_.cancel();
  start();
}

void Maintenance::schedule_tick() {
  tick_timer_.expires_after(std::chrono::milliseconds(config_.cfg().gateway.timers.tick_ms));
  tick_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    t_.clients.broadcast("tick", Json{{"ts", clock_.wall_ms()}}, Audience{}, true);
    schedule_tick();
  }));
}

void Maintenance::schedule_pass() {
  pass_timer_.expires_after(std::chrono::milliseconds(config_.cfg().gateway.timers.maintenance_ms));
  pass_timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (ec || stopped_) return;
    pass();
    // Hand memory freed since the last pass (a burst, a huge frame) back to the kernel:
    // glibc otherwise keeps it in its arenas and a 24/7 daemon's RSS only ever grows.
    ::malloc_trim(0);
    schedule_pass();
  }));
}

void Maintenance::pass() {
  wall_jumps_.observe(clock_.wall_ms(), clock_.steady());
  t_.presence.expire();
  (void)t_.runs.expire_dedupe();
  reset_stale_sessions();
  checkpoint_store();
  t_.health.refresh_summary({});
}

void Maintenance::reset_stale_sessions() {
  const config::SessionResetConfig& policy = config_.cfg().sessions.reset;
  if (resets_pending_ || policy.mode == "none") return;
  std::int64_t now = clock_.wall_ms();
  auto cutoff_at = [&policy](std::int64_t t) -> std::int64_t {
    if (policy.mode == "idle" && policy.idle_minutes > 0)
      return t - static_cast<std::int64_t>(policy.idle_minutes * 60000.0);
    if (policy.mode == "daily") return daily_reset_cutoff_ms(t, policy.at_hour);
    return 0;
  };
  if (cutoff_at(now) <= 0) return;
  // Wall time, on purpose: a day the machine spent suspended is a day without activity.
  // Only a clock set back is corrected for (WallJumps, reset_policy.h).
  const std::int64_t cutoff = wall_jumps_.cutoff(now, cutoff_at);
  resets_pending_ = true;
  std::string reason = policy.mode;
  t_.sessions.stale(
      cutoff, kMaxResetsPerPass,
      alive_.guard([this, reason](Result<std::vector<std::string>> keys) {
        resets_pending_ = false;
        if (!keys.ok()) {
          log::warn("sessions.reset policy: cannot list sessions: {}", keys.error().message);
          return;
        }
        for (const std::string& raw : *keys) {
          // A message may have arrived since the query: never cut a run short.
          if (stopped_ || !t_.runs.run_ids(raw).empty()) continue;
          auto key = t_.agents.parse_key(raw);
          if (!key.ok()) {  // e.g. its agent was deleted since: leave the session alone
            log::warn("sessions.reset policy: {}: {}", raw, key.error().message);
            continue;
          }
          t_.sessions.reset(*key, [this, raw, reason](Result<sessions::SessionRow> r) {
            if (!r.ok()) {
              log::warn("sessions.reset policy: {}: {}", raw, r.error().message);
              return;
            }
            ++metrics_.session_resets;
            log::event("session.reset",
                       Json{{"sessionKey", raw}, {"sessionId", r->session_id}, {"reason", reason}},
                       raw + " started over (" + reason + "); the old transcript is kept");
          });
        }
      }));
}

void Maintenance::checkpoint_store() {
  if (checkpoint_pending_) return;
  checkpoint_pending_ = true;
  t_.db.post_standalone([](sessions::SessionStore& s) { return s.checkpoint(); },
                        alive_.guard([this](Result<Json> r) {
                          checkpoint_pending_ = false;
                          if (!r.ok()) {
                            log::warn("WAL checkpoint failed: {}", r.error().message);
                            return;
                          }
                          ++metrics_.wal_checkpoints;
                          if (r->value("busy", 0) != 0)
                            log::debug("WAL checkpoint incomplete: the database was busy");
                        }));
}

}  // namespace simpleclaw::gateway
