// LeaseKeeper: the leases one cluster instance wants (docs/cluster.md "Ownership"), kept
// in the shared store (sessions/lease_store.h). Every renewal interval one DbWorker job
// acquires or renews each wanted lease; the owner hears when it gains one (a takeover
// gets a higher epoch) and when it loses one.
//
// Losing is also judged locally, so an instance cut off from the database stops acting
// on what it may no longer hold: a lease counts as held only until the start of its last
// successful renewal plus the TTL minus one renewal interval. Past that, with the store
// unreachable or slow, every lease is reported lost; whoever takes it next gets a higher
// epoch, so a late write of this instance is refused by the fence.
//
// Threading: loop thread only; the store work runs on the DbWorker.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/alive.h"
#include "sessions/lease_store.h"

namespace simpleclaw::sessions {
class DbWorker;
}

namespace simpleclaw::gateway {

class LeaseKeeper {
 public:
  struct Options {
    std::string holder;  // "<instance>#<boot>": a restarted instance is another holder
    std::chrono::milliseconds ttl{10000}, renew{3000};
    // Leases taken elsewhere (the store's session lanes, "lane:") and renewed here in one
    // statement per prefix, for as long as this holder still has them.
    std::vector<std::string> bulk_prefixes;
  };
  // held: gained (true) or lost (false); `lease` as the store has it (who holds it now).
  using Changed = std::function<void(bool held, const sessions::Lease& lease)>;

  LeaseKeeper(boost::asio::io_context& io, sessions::DbWorker& db, Options o);
  ~LeaseKeeper();

  // Wants `name` from the next round on; `changed` on each gain and loss. A lease held
  // already (the instance's own, taken at start) is passed as `held`.
  void want(const std::string& name, Changed changed, const sessions::Lease* held = nullptr);
  // No longer wanted (a channel account removed from the config): given back if held,
  // without a `changed` call.
  void unwant(const std::string& name);
  bool wants(const std::string& name) const { return wanted_.count(name) > 0; }
  std::vector<std::string> wanted_with_prefix(const std::string& prefix) const;
  void start();
  // Stops renewing; `release`: gives every held lease back at once (a clean stop: the
  // others take over without waiting for the TTL). `done` after the release.
  void stop(bool release, std::function<void()> done = nullptr);

  bool holds(const std::string& name) const;
  // How the store answered the last round: ok, the error otherwise, and when (steady).
  bool store_ok() const { return store_error_.empty(); }
  const std::string& store_error() const { return store_error_; }
  std::chrono::steady_clock::time_point last_ok() const { return last_ok_; }
  // Rounds in a row the store answered (0 after a failure): how long this instance has
  // had the database, so it has seen the others renew too.
  int ok_rounds() const { return ok_rounds_; }
  const Options& options() const { return o_; }

 private:
  struct Wanted {
    Changed changed;
    sessions::Lease last;  // as of the last round
    bool held = false;
  };
  void round();
  void schedule();
  void lose_all(const std::string& why);

  boost::asio::io_context& io_;
  sessions::DbWorker& db_;
  const Options o_;
  std::map<std::string, Wanted> wanted_;
  boost::asio::steady_timer timer_;
  bool in_flight_ = false;
  bool stopped_ = true;
  // Held leases are trusted until this (the last good round's start + TTL - renew).
  std::chrono::steady_clock::time_point valid_until_{};
  std::chrono::steady_clock::time_point last_ok_ = std::chrono::steady_clock::now();
  std::string store_error_;
  int ok_rounds_ = 0;
  Alive alive_;  // last: dies first
};

}  // namespace simpleclaw::gateway
