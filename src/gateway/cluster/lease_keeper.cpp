#include "gateway/cluster/lease_keeper.h"

#include "base/log.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {

using Clock = std::chrono::steady_clock;

LeaseKeeper::LeaseKeeper(boost::asio::io_context& io, sessions::DbWorker& db, Options o)
    : io_(io), db_(db), o_(std::move(o)), timer_(io) {}

LeaseKeeper::~LeaseKeeper() { timer_.cancel(); }

void LeaseKeeper::want(const std::string& name, Changed changed, const sessions::Lease* held) {
  Wanted& w = wanted_[name];
  w.changed = std::move(changed);
  if (held && held->held) {
    w.last = *held;
    w.held = true;
    // Taken just now by the caller: as good as a round that started now.
    valid_until_ = std::max(valid_until_, Clock::now() + o_.ttl - o_.renew);
  }
}

void LeaseKeeper::unwant(const std::string& name) {
  auto it = wanted_.find(name);
  if (it == wanted_.end()) return;
  const bool held = it->second.held;
  sessions::Lease l = it->second.last;
  wanted_.erase(it);
  if (!held) return;
  db_.post(
      [l, holder = o_.holder](sessions::SessionStore& s) -> Status {
        if (auto r = sessions::release_lease(s, l.name, holder, l.epoch); !r.ok()) return r.error();
        return Ok{};
      },
      [name](Status st) {
        if (!st) log::warn("cluster: could not give {} back: {}", name, st.error().message);
      });
}

std::vector<std::string> LeaseKeeper::wanted_with_prefix(const std::string& prefix) const {
  std::vector<std::string> out;
  for (auto it = wanted_.lower_bound(prefix);
       it != wanted_.end() && it->first.rfind(prefix, 0) == 0; ++it)
    out.push_back(it->first);
  return out;
}

void LeaseKeeper::start() {
  if (!stopped_) return;
  stopped_ = false;
  round();
}

void LeaseKeeper::schedule() {
  if (stopped_) return;
  timer_.expires_after(o_.renew);
  timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) round();
  }));
}

void LeaseKeeper::round() {
  if (stopped_) return;
  schedule();
  if (in_flight_) {
    // The last round has not come back (the store is slow or away): trust runs out.
    if (Clock::now() > valid_until_) lose_all("the store did not answer the lease renewal");
    return;
  }
  in_flight_ = true;
  std::vector<std::string> names;
  for (const auto& [name, w] : wanted_) names.push_back(name);
  const auto started = Clock::now();
  db_.post(
      [names, holder = o_.holder, bulk = o_.bulk_prefixes,
       ttl = o_.ttl.count()](sessions::SessionStore& s) -> Result<std::vector<sessions::Lease>> {
        std::vector<sessions::Lease> out;
        for (const std::string& prefix : bulk)
          if (auto n = sessions::renew_held_leases(s, prefix, holder, ttl); !n.ok())
            return n.error();
        for (const std::string& n : names) {
          auto l = sessions::acquire_lease(s, n, holder, ttl);
          if (!l.ok()) return l.error();
          out.push_back(std::move(*l));
        }
        return out;
      },
      alive_.guard([this, started](Result<std::vector<sessions::Lease>> r) {
        in_flight_ = false;
        if (stopped_) return;
        if (!r.ok()) {
          if (store_error_.empty())
            log::warn("cluster: lease renewal failed: {}", r.error().message);
          store_error_ = r.error().message;
          ok_rounds_ = 0;
          if (Clock::now() > valid_until_) lose_all(r.error().message);
          return;
        }
        valid_until_ = started + o_.ttl - o_.renew;
        if (!store_error_.empty()) log::info("cluster: the store answers lease renewals again");
        store_error_.clear();
        last_ok_ = started;
        ++ok_rounds_;
        for (sessions::Lease& l : *r) {
          auto it = wanted_.find(l.name);
          if (it == wanted_.end()) continue;
          Wanted& w = it->second;
          const bool was = w.held;
          w.held = l.held;
          w.last = l;
          if (was != l.held) {
            if (l.held)
              log::info("cluster: took {} (epoch {})", l.name, l.epoch);
            else
              log::warn("cluster: lost {} to {} (epoch {})", l.name, l.holder, l.epoch);
            if (w.changed) w.changed(l.held, l);
          }
        }
      }));
}

void LeaseKeeper::lose_all(const std::string& why) {
  for (auto& [name, w] : wanted_) {
    if (!w.held) continue;
    w.held = false;
    log::error("cluster: giving up {}: {}", name, why);
    if (w.changed) w.changed(false, w.last);
  }
}

void LeaseKeeper::stop(bool release, std::function<void()> done) {
  stopped_ = true;
  timer_.cancel();
  std::vector<sessions::Lease> held;
  for (auto& [name, w] : wanted_)
    if (w.held) {
      held.push_back(w.last);
      w.held = false;
    }
  if (!release || held.empty()) {
    if (done) done();
    return;
  }
  db_.post(
      [held, holder = o_.holder](sessions::SessionStore& s) -> Status {
        for (const sessions::Lease& l : held)
          if (auto r = sessions::release_lease(s, l.name, holder, l.epoch); !r.ok())
            return r.error();
        return Ok{};
      },
      [done = std::move(done), n = held.size()](Status st) {
        if (!st) log::warn("cluster: could not release {} lease(s): {}", n, st.error().message);
        if (done) done();
      });
}

bool LeaseKeeper::holds(const std::string& name) const {
  auto it = wanted_.find(name);
  return it != wanted_.end() && it->second.held && Clock::now() <= valid_until_;
}

}  // namespace simpleclaw::gateway
