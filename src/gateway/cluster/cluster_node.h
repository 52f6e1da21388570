// ClusterNode: what one gateway instance does as a member of a cluster (docs/cluster.md
// "Ownership"), on top of the LeaseKeeper:
//
//   instance:<id>  its liveness lease, taken at start (gateway/cluster_start.h) and
//                  renewed; a clean stop gives it back
//   cron:leader    wanted by every instance; the holder's CronScheduler fires the jobs
//                  and heartbeats, the others follow (CronScheduler::set_leader)
//   the reaper     every renewal interval: an instance whose liveness lease expired is
//                  gone. One live instance takes its lease over, records its running runs
//                  interrupted, adopts its queued runs (accepted, never started: they run
//                  here), then removes the lease
//
// Every renewal interval it also merges cron jobs changed through another instance.
// Threading: loop thread only; the store work runs on the DbWorker.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>

#include "base/alive.h"
#include "gateway/cluster/lease_keeper.h"
#include "gateway/cluster_start.h"

namespace simpleclaw::agents {
class RunEngine;
}

namespace simpleclaw::gateway {

class CronScheduler;

class ClusterNode {
 public:
  struct Deps {
    boost::asio::io_context& io;
    sessions::DbWorker& db;
    CronScheduler& cron;
    agents::RunEngine& runs;
    const Clock& clock;
  };
  ClusterNode(Deps d, ClusterJoin join, std::chrono::milliseconds ttl,
              std::chrono::milliseconds renew);

  void start();
  // A clean stop: every lease given back, so the others take over at once.
  void stop(std::function<void()> done = nullptr);

  const ClusterJoin& join() const { return join_; }
  const LeaseKeeper& leases() const { return keeper_; }

 private:
  void tick();  // the reaper and the cron refresh, every renewal interval

  Deps d_;
  ClusterJoin join_;
  LeaseKeeper keeper_;
  boost::asio::steady_timer timer_;
  bool reaping_ = false;
  bool stopped_ = false;
  Alive alive_;  // last: dies first
};

}  // namespace simpleclaw::gateway
