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

  Json list() const { return presence_.list(); }
  Json self_only() const { return presence_.self_only(); }
  std::uint64_t version() const { return presence_.version(); }
  std::size_t size() const { return presence_.size(); }

 private:
  void flush();
  static constexpr std::chrono::milliseconds kInterval{250};

  ClientTable& clients_;
  const Clock& clock_;
  std::function<Json()> state_version_;
  Presence presence_;
  boost::asio::steady_timer timer_;
  bool flush_pending_ = false;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point last_broadcast_{};
};

}  // namespace simpleclaw::gateway
