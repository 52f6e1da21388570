#include "gateway/cluster/cluster_node.h"

#include <set>

#include "agents/run_engine.h"
#include "base/clock.h"
#include "base/log.h"
#include "channels/channel_manager.h"
#include "gateway/cron/scheduler.h"
#include "gateway/presence_feed.h"
#include "gateway/run_waiters.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::string_view kInstancePrefix = "instance:";
const std::string kChannelPrefix = "channel:";

// One dead instance cleaned up after.
struct Reaped {
  std::string instance;
  sessions::ReapedInstance runs;
};

}  // namespace

ClusterNode::ClusterNode(Deps d, ClusterJoin join, const config::ClusterConfig& cc)
    : d_(std::move(d)),
      join_(std::move(join)),
      cc_(cc),
      keeper_(d_.io, d_.db,
              LeaseKeeper::Options{join_.holder,
                                   std::chrono::milliseconds(cc.lease_ttl_ms),
                                   std::chrono::milliseconds(cc.lease_renew_ms),
                                   {"lane:"}}),
      timer_(d_.io) {}

void ClusterNode::connect_bus() {
  auto password = config::nats_password(cc_.nats);
  if (!password.ok()) {
    bus_error_ = password.error().message;
    log::error("cluster: {}; events between instances are off", bus_error_);
    return;
  }
  auto bus = cluster::Bus::connect(
      d_.io, cluster::BusOptions{cc_.nats.url, cc_.nats.user, *password, cc_.name, join_.instance,
                                 250, cc_.nats.tls.ca, cc_.nats.tls.cert, cc_.nats.tls.key});
  if (!bus.ok()) {
    bus_error_ = bus.error().message;  // names the server, never the password
    log::error("cluster: NATS: {}; events between instances are off until a restart", bus_error_);
    return;
  }
  bus_ = std::move(*bus);
  auto sub = bus_->subscribe("config.changed", [this](const cluster::BusMessage& m) {
    if (m.data != join_.instance && d_.config_changed) d_.config_changed();
  });
  if (!sub.ok()) log::warn("cluster: NATS subscribe: {}", sub.error().message);
  relay_ = std::make_unique<EventRelay>(d_.clients, *bus_, join_.instance);
  // `agent` / `agent.wait` here for a run that ends on another instance.
  relay_->on_remote_run_end([this](const RunEnd& end) { d_.waiters.finished(end); });
  // Presence is the union: each instance's entries, kept for a TTL after its last list.
  sub = bus_->subscribe("presence", [this](const cluster::BusMessage& m) {
    Json j = Json::parse(m.data, nullptr, false);
    if (j.is_object())
      d_.presence.remote(j.value("from", ""), j.value("entries", Json::array()),
                         keeper_.options().ttl);
  });
  if (!sub.ok()) log::warn("cluster: NATS subscribe (presence): {}", sub.error().message);
  d_.presence.set_cluster(join_.instance, [this](const Json& entries) {
    if (bus_)
      (void)bus_->publish("presence", Json{{"from", join_.instance}, {"entries", entries}}.dump());
  });
  lanes_ = std::make_unique<LaneForwarder>(d_.runs, d_.approvals, d_.db, *bus_, join_.instance,
                                           keeper_.options().ttl);
  sub = bus_->subscribe("outbox.stored", [this](const cluster::BusMessage& m) {
    d_.channels.refresh_outbox(m.data);
  });
  if (!sub.ok()) log::warn("cluster: NATS subscribe: {}", sub.error().message);
  sub = bus_->subscribe("pairing.changed", [this](const cluster::BusMessage& m) {
    Json j = Json::parse(m.data, nullptr, false);
    if (j.is_object() && j.value("from", "") != join_.instance)
      d_.channels.reload_pairing(j.value("account", ""));
  });
  if (!sub.ok()) log::warn("cluster: NATS subscribe: {}", sub.error().message);
  sub = bus_->subscribe("devices.changed", [this](const cluster::BusMessage& m) {
    if (m.data != join_.instance) d_.devices_changed();
  });
  if (!sub.ok()) log::warn("cluster: NATS subscribe: {}", sub.error().message);
}

void ClusterNode::announce_config() {
  if (bus_) (void)bus_->publish("config.changed", join_.instance);
}

void ClusterNode::announce_outbound(const std::string& account) {
  if (bus_) (void)bus_->publish("outbox.stored", account);
}

void ClusterNode::announce_pairing(const std::string& account) {
  if (bus_)
    (void)bus_->publish("pairing.changed",
                        Json{{"from", join_.instance}, {"account", account}}.dump());
}

void ClusterNode::announce_devices() {
  if (bus_) (void)bus_->publish("devices.changed", join_.instance);
}

void ClusterNode::channels_configured() {
  std::set<std::string> now;
  for (const std::string& key : d_.channels.shared_accounts()) {
    std::string name = kChannelPrefix + key;
    now.insert(name);
    if (keeper_.wants(name)) continue;
    keeper_.want(name, [this, key](bool held, const sessions::Lease& l) {
      d_.channels.set_owner(key, held, l.holder);
    });
  }
  for (const std::string& name : keeper_.wanted_with_prefix(kChannelPrefix))
    if (!now.count(name)) keeper_.unwant(name);
}

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
  connect_bus();
  tick();
}

void ClusterNode::tick() {
  if (stopped_) return;
  timer_.expires_after(keeper_.options().renew);
  timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) tick();
  }));
  d_.cron.refresh();
  d_.channels.refresh_outbox();
  d_.channels.reload_pairing();  // what a lost "pairing.changed" would have said
  d_.devices_changed();          // and a lost "devices.changed"
  d_.presence.republish();
  d_.presence.expire_remote();
  d_.db.post([](sessions::SessionStore& s) { return sessions::list_leases(s); },
             alive_.guard([this](Result<std::vector<sessions::Lease>> r) {
               if (!r.ok()) return;
               all_leases_ = std::move(*r);
               // Standby accounts learn who owns them (shown in channels.status).
               const std::int64_t now = d_.clock.wall_ms();
               for (const sessions::Lease& l : all_leases_)
                 if (l.name.rfind(kChannelPrefix, 0) == 0 && keeper_.wants(l.name) &&
                     !keeper_.holds(l.name))
                   d_.channels.set_owner(l.name.substr(kChannelPrefix.size()), false,
                                         l.expires_at >= now ? l.holder : std::string());
             }));
  // Only an instance that has had the database for two renewal intervals reaps: after an
  // outage of the database every instance's lease has expired, and each must first get
  // its chance to renew, or the first one back would take the others' work while they
  // live. (A dead instance is reaped a renewal or two later for it, never wrongly.)
  if (reaping_ || keeper_.ok_rounds() < 3) return;
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
          auto reaped = s.reap_instance(id, l.holder, now);
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

Json ClusterNode::status_json() const {
  const std::int64_t now = d_.clock.wall_ms();
  Json instances = Json::array(), leases = Json::array();
  std::string leader;
  for (const sessions::Lease& l : all_leases_) {
    Json j{{"name", l.name},
           {"holder", l.holder},
           {"epoch", l.epoch},
           {"expiresAtMs", l.expires_at},
           {"live", l.expires_at >= now && !l.holder.empty()}};
    if (l.name == "cron:leader" && j["live"].get<bool>()) leader = l.holder;
    if (l.name.rfind(kInstancePrefix, 0) == 0) {
      std::string id = l.name.substr(kInstancePrefix.size());
      instances.push_back(Json{{"id", id},
                               {"holder", l.holder},
                               {"self", id == join_.instance},
                               {"live", j["live"]},
                               {"expiresAtMs", l.expires_at}});
    } else if (leases.size() < 100) {
      leases.push_back(std::move(j));
    }
  }
  const auto since_ok = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - keeper_.last_ok())
                            .count();
  return Json{{"name", cc_.name},
              {"instance", join_.instance},
              {"holder", join_.holder},
              {"leader", leader},
              {"isLeader", keeper_.holds("cron:leader")},
              {"store",
               {{"ok", keeper_.store_ok()},
                {"error", keeper_.store_error()},
                {"lastRenewalAgoMs", since_ok}}},
              {"nats",
               {{"url", cluster::shown_url(cc_.nats.url)},
                {"connected", bus_ && bus_->connected()},
                {"error", bus_error_},
                {"eventsSent", relay_ ? relay_->counts().sent : 0},
                {"eventsReceived", relay_ ? relay_->counts().received : 0},
                {"eventsRefused", relay_ ? relay_->counts().refused : 0},
                {"sendsForwarded", lanes_ ? lanes_->forwarded() : 0},
                {"sendsServedForOthers", lanes_ ? lanes_->served() : 0}}},
              {"leaseTtlMs", cc_.lease_ttl_ms},
              {"leaseRenewMs", cc_.lease_renew_ms},
              {"instances", std::move(instances)},
              {"leases", std::move(leases)}};
}

void ClusterNode::stop(std::function<void()> done) {
  if (stopped_) {
    if (done) done();
    return;
  }
  stopped_ = true;
  timer_.cancel();
  d_.cron.set_leader(false);
  // The others drop this instance's presence now, not a TTL later.
  if (bus_)
    (void)bus_->publish("presence",
                        Json{{"from", join_.instance}, {"entries", Json::array()}}.dump());
  keeper_.stop(true, std::move(done));
}

}  // namespace simpleclaw::gateway
