#include "gateway/cluster/cluster_node.h"

#include "agents/run_engine.h"
#include "base/clock.h"
#include "base/log.h"
#include "gateway/cron/scheduler.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::string_view kInstancePrefix = "instance:";

// One dead instance cleaned up after.
struct Reaped {
  std::string instance;
  sessions::ReapedInstance runs;
};

}  // namespace

ClusterNode::ClusterNode(Deps d, ClusterJoin join, std::chrono::milliseconds ttl,
                         std::chrono::milliseconds renew)
    : d_(d),
      join_(std::move(join)),
      keeper_(d.io, d.db, LeaseKeeper::Options{join_.holder, ttl, renew}),
      timer_(d.io) {}

void ClusterNode::start() {
  keeper_.want(
      join_.lease.name,
      [this](bool held, const sessions::Lease& l) {
        if (!held)
          log::error(
              "cluster: this instance ({}) lost its liveness lease to {}: the others may now "
              "take its work over; check the connection to PostgreSQL",
              join_.instance, l.holder.empty() ? "nobody" : l.holder);
      },
      &join_.lease);
  keeper_.want("cron:leader",
               [this](bool held, const sessions::Lease&) { d_.cron.set_leader(held); });
  keeper_.start();
  tick();
}

void ClusterNode::tick() {
  if (stopped_) return;
  timer_.expires_after(keeper_.options().renew);
  timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  }));
  d_.cron.refresh();
  if (reaping_) return;
  reaping_ = true;
  d_.db.post(
      [me = join_.instance, holder = join_.holder, ttl = keeper_.options().ttl.count(),
       now = d_.clock.wall_ms()](sessions::SessionStore& s) -> Result<std::vector<Reaped>> {
        auto expired = sessions::expired_leases(s, std::string(kInstancePrefix));
        if (!expired.ok()) return expired.error();
        std::vector<Reaped> out;
        for (const sessions::Lease& l : *expired) {
          std::string id = l.name.substr(kInstancePrefix.size());
          if (id == me) continue;
          // Only one live instance wins the expired lease, and so cleans up.
          auto taken = sessions::acquire_lease(s, l.name, holder, ttl);
          if (!taken.ok()) return taken.error();
          if (!taken->held) continue;
          auto reaped = s.reap_instance(id, now);
          if (!reaped.ok()) return reaped.error();
          if (auto gone = sessions::delete_lease(s, l.name, holder, taken->epoch); !gone.ok())
            return gone.error();
          out.push_back({std::move(id), std::move(*reaped)});
        }
        return out;
      },
      alive_.guard([this](Result<std::vector<Reaped>> r) {
        reaping_ = false;
        if (!r.ok()) return;  // the store is away: the lease keeper reports it
        for (Reaped& x : *r) {
          log::warn(
              "cluster: instance {} is gone (its lease expired): {} run(s) it had going "
              "recorded interrupted, {} queued run(s) taken over here",
              x.instance, x.runs.interrupted, x.runs.adopted.size());
          if (!x.runs.adopted.empty()) d_.runs.restart_queued(std::move(x.runs.adopted));
        }
      }));
}

void ClusterNode::stop(std::function<void()> done) {
  if (stopped_) {
    if (done) done();
    return;
  }
  stopped_ = true;
  timer_.cancel();
  d_.cron.set_leader(false);
  keeper_.stop(true, std::move(done));
}

}  // namespace simpleclaw::gateway
