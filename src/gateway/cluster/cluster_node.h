// ClusterNode: what one gateway instance does as a member of a cluster (docs/cluster.md
// "Ownership"), on top of the LeaseKeeper:
//
//   instance:<id>  its liveness lease, taken at start (gateway/cluster_start.h) and
//                  renewed; a clean stop gives it back
//   cron:leader    wanted by every instance; the holder's CronScheduler fires the jobs
//                  and heartbeats, the others follow (CronScheduler::set_leader)
//   channel:<channel>/<account>
//                  one per enabled channel account but webchat, wanted by every
//                  instance; the holder connects the account, the others keep it on
//                  standby (ChannelManager::set_owner)
//   the reaper     every renewal interval: an instance whose liveness lease expired is
//                  gone. One live instance takes its lease over, records its running runs
//                  interrupted, adopts its queued runs (accepted, never started: they run
//                  here), then removes the lease
//
// Every renewal interval it also merges cron jobs changed through another instance, has
// the channel accounts it owns pick up what others stored for them to send, and reads
// every lease (for status). It holds the instance's NATS connection (cluster/bus.h), which
// carries what the store has already, never data of its own: client events (EventRelay),
// "config.changed" (every instance reads the shared document at once instead of at its
// next poll) and "outbox.stored" (the owner of the account sends a reply stored elsewhere
// at once). A lost nudge costs one interval; a lost event, a live update.
// Threading: loop thread only; the store work runs on the DbWorker.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

#include "base/alive.h"
#include "cluster/bus.h"
#include "config/config.h"
#include "gateway/cluster/event_relay.h"
#include "gateway/cluster/lane_forwarder.h"
#include "gateway/cluster/lease_keeper.h"
#include "gateway/cluster_start.h"

namespace simpleclaw::agents {
class RunEngine;
}
namespace simpleclaw::channels {
class ChannelManager;
}
namespace simpleclaw::tools {
class ApprovalManager;
}

namespace simpleclaw::gateway {

class CronScheduler;
class PresenceFeed;
class RunWaiters;

class ClusterNode {
 public:
  struct Deps {
    boost::asio::io_context& io;
    sessions::DbWorker& db;
    CronScheduler& cron;
    agents::RunEngine& runs;
    channels::ChannelManager& channels;
    ClientTable& clients;
    PresenceFeed& presence;
    tools::ApprovalManager& approvals;
    RunWaiters& waiters;
    const Clock& clock;
    std::function<void()> config_changed;  // another instance wrote the shared config
    // Re-read the shared pairing store: another instance changed it (and each renewal,
    // for an announcement the bus lost).
    std::function<void()> devices_changed;
  };
  ClusterNode(Deps d, ClusterJoin join, const config::ClusterConfig& cc);

  void start();
  // A clean stop: every lease given back, so the others take over at once.
  void stop(std::function<void()> done = nullptr);

  const ClusterJoin& join() const { return join_; }
  const LeaseKeeper& leases() const { return keeper_; }
  // This instance wrote the shared config: the others read it now.
  void announce_config();
  // The channel accounts were (re)configured: their leases are wanted, removed ones given
  // back. Called before start() too.
  void channels_configured();
  // A standby account stored a message for its owner.
  void announce_outbound(const std::string& account);
  // A channel account's shared pairing document changed here.
  void announce_pairing(const std::string& account);
  // This instance changed the shared pairing store (devices): the others re-read it.
  void announce_devices();
  // Operations on other instances' runs (null until the bus is connected).
  ClusterOps* ops() { return lanes_.get(); }
  // status.subsystems.cluster: {name, instance, store, nats, leader, instances, leases}.
  Json status_json() const;

 private:
  void tick();  // the reaper and the cron refresh, every renewal interval

  void connect_bus();

  Deps d_;
  ClusterJoin join_;
  const config::ClusterConfig cc_;
  LeaseKeeper keeper_;
  std::unique_ptr<cluster::Bus> bus_;
  std::unique_ptr<EventRelay> relay_;  // after bus_: destroyed first
  std::unique_ptr<LaneForwarder> lanes_;
  std::string bus_error_;                    // why there is no bus ("" = connected or connecting)
  std::vector<sessions::Lease> all_leases_;  // as of the last tick
  boost::asio::steady_timer timer_;
  bool reaping_ = false;
  bool stopped_ = false;
  Alive alive_;  // last: dies first
};

}  // namespace simpleclaw::gateway
