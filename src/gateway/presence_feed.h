// PresenceFeed: who is connected (SPEC §6 presence), kept and broadcast. It owns the
// Presence list (state/presence.h) and sends `presence` events to operators with
// operator.read, coalesced: the first change goes out at once, then at most one per
// 250 ms, always with the newest list and stateVersion. Without this, N operators
// connecting together cost O(N^2) presence lists (the benchmark drove an uncoalesced
// gateway to 16 GB at 800 operators). Shared mode: users do not see who is connected.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "base/clock.h"
#include "gateway/clients.h"
#include "gateway/state/presence.h"

namespace simpleclaw::gateway {

class PresenceFeed {
 public:
  // `state_version` gives the stateVersion object events carry (presence + health).
  PresenceFeed(boost::asio::io_context& io, ClientTable& clients, const Clock& clock,
               std::function<Json()> state_version);

  // An authenticated socket joins (its entry from its connect params); returns whether
  // the list changed (the caller calls changed() once hello-ok is out).
  bool connect(const Client& c);
  // An authenticated socket closed (broadcasts when the list changed).
  void disconnect(const std::string& conn_id);
  // node.event {event:"presence"}: a socketless entry reported by node `from` (a device
  // or app behind it), shown until timers.presence_ttl_ms after its last report.
  Status report(const Client& from, const Json& payload, std::int64_t ttl_ms);
  // Maintenance: drops socketless entries past their deadline.
  void expire();
  // Schedules a coalesced `presence` broadcast.
  void changed();
  void stop();  // shutdown: no more broadcasts

  // [self, entries...]; in cluster mode every instance's, each entry tagged
  // "gateway-instance:<id>" (OpenClaw's presence entries are closed objects: tags is
  // where a name may go).
  Json list() const;
  Json self_only() const { return presence_.self_only(); }
  std::uint64_t version() const { return presence_.version() + remote_version_; }
  std::size_t size() const { return presence_.size(); }

  // Cluster mode (docs/cluster.md "Events"): `publish` gets this instance's entries (its
  // own tagged list) on each change and from republish(); the other instances' lists come
  // in through remote() and count until `ttl` after their last one.
  void set_cluster(std::string instance, std::function<void(const Json& entries)> publish);
  void republish();  // a heartbeat: the others keep this instance's entries
  void remote(const std::string& instance, const Json& entries, std::chrono::milliseconds ttl);
  void expire_remote();  // drops the lists of instances not heard from in time

 private:
  void flush();
  Json local_list() const;               // this instance's entries, tagged in cluster mode
  void append_remote(Json& list) const;  // the other instances' entries
  static constexpr std::chrono::milliseconds kInterval{250};

  ClientTable& clients_;
  const Clock& clock_;
  std::function<Json()> state_version_;
  Presence presence_;
  boost::asio::steady_timer timer_;
  bool flush_pending_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_broadcast_{};
  // Cluster mode.
  std::string instance_;
  std::function<void(const Json&)> publish_;
  struct Remote {
    Json entries;
    std::chrono::steady_clock::time_point expires;
  };
  std::map<std::string, Remote> remote_;  // by instance id
  std::uint64_t remote_version_ = 0;      // bumped on each change of the remote lists
};

}  // namespace simpleclaw::gateway
