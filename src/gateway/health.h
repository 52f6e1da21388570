// HealthMonitor: the health snapshot (hello-ok `snapshot.health`, the `health` method and
// event; SPEC §3): channels, agents, plugins, the loop monitor and a session summary that
// the maintenance pass or a probe reads from the store. Every significant change bumps
// stateVersion.health and broadcasts `health`.
//
// Shared mode: a user never sees another user's sessions here either. Each user gets a
// view of the same snapshot in which `sessions` are their own (count and most recent),
// `agents` lists only the agents granted, each with the user's own sessions of it.
//
// Threading: loop thread only. The store is read through the DbWorker, one summary read
// in flight at a time.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "base/alive.h"
#include "base/clock.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/protocol/codec.h"
#include "gateway/state/event_loop.h"

namespace simpleclaw::sessions {
class DbWorker;
}
namespace simpleclaw::channels {
class ChannelManager;
}
namespace simpleclaw::plugins {
class PluginHost;
}

namespace simpleclaw::gateway {

class HealthMonitor {
 public:
  HealthMonitor(const LiveConfig& config, ClientTable& clients, sessions::DbWorker& db,
                const channels::ChannelManager& channels, const plugins::PluginHost& plugins,
                const EventLoopMonitor& loop, const Clock& clock,
                std::function<Json()> state_version);

  // Rebuilds the snapshot from what is known now; a significant change bumps the version
  // and, with `broadcast_if_changed`, sends `health` (each user their own view).
  void refresh(bool broadcast_if_changed);
  // The snapshot as `user` sees it ("" = the admin: everything).
  protocol::SharedPayloadPtr snapshot(std::string_view user) const;
  // health {probe:true}: re-reads the session summary, refreshes (broadcasting a change),
  // then answers with `user`'s view.
  void probe(std::string user, std::function<void(protocol::SharedPayloadPtr)> done);
  // Re-reads the session summary from the store and refreshes the snapshot (broadcasting
  // a change; not after stop()); `then` runs after, always (also on failure, after stop,
  // and at once when a read is already in flight).
  void refresh_summary(std::function<void()> then);
  void stop() { stopped_ = true; }  // shutdown: no more refreshes from summary reads

  std::uint64_t version() const { return version_; }
  int session_count() const;  // from the last summary

 private:
  Json build() const;
  Json plugins_block() const;

  const LiveConfig& config_;
  ClientTable& clients_;
  sessions::DbWorker& db_;
  const channels::ChannelManager& channels_;
  const plugins::PluginHost& plugins_;
  const EventLoopMonitor& loop_;
  const Clock& clock_;
  std::function<Json()> state_version_;
  std::uint64_t version_ = 1;
  protocol::SharedPayloadPtr admin_view_;
  // Shared mode: each user's view of the snapshot, rebuilt with it.
  std::map<std::string, protocol::SharedPayloadPtr, std::less<>> user_views_;
  Json significant_;  // {admin, users{}}: the views without ts/durationMs, to detect changes
  Json summary_;      // {count, recent[], byAgent{}, byUser{}} from the store
  bool summary_pending_ = false;
  bool stopped_ = false;
  Alive alive_;  // last
};

// `health` as `user` sees it: their own sessions ({count, recent[], countByAgent{}} from
// the store), only the agents granted, everything else unchanged.
Json user_health_view(const Json& health, const User& user, const Json& summary,
                      const std::string& db, std::int64_t now);

}  // namespace simpleclaw::gateway
