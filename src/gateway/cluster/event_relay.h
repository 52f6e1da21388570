// EventRelay: client events across a cluster's instances (docs/cluster.md "Events").
// Every event a client may receive about shared state (a run's chat and agent streams,
// session.message, sessions.changed, approvals, cron, heartbeat) is published once on the
// bus ("events") with its audience; every other instance delivers it to its own sockets by
// the same Audience rules (scope, shared-mode owner, watched and followed sessions), so a
// client on instance A sees the stream of a run executing on instance B.
//
// Not relayed: what is each instance's own (presence has its own union, health, shutdown,
// config.changed that every instance emits when it applies the shared document, channels
// and nodes, which live where they are connected).
//
// The bus carries no data that is not also in the store: a message NATS loses costs a
// client its live update, never a message (chat.history reads the shared store).
//
// Threading: loop thread only.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "cluster/bus.h"
#include "gateway/clients.h"
#include "gateway/run_waiters.h"

namespace simpleclaw::gateway {

class EventRelay {
 public:
  // Publishes this instance's events and delivers the others'; `bus` outlives it.
  EventRelay(ClientTable& clients, cluster::Bus& bus, std::string instance);
  ~EventRelay();

  // A relayed terminal `chat` event: a run that ended on another instance (for the
  // callers of `agent` / `agent.wait` here).
  void on_remote_run_end(std::function<void(const RunEnd&)> f) { on_end_ = std::move(f); }

  struct Counts {
    std::uint64_t sent = 0, received = 0, refused = 0;  // refused: publish failed (NATS away)
  };
  const Counts& counts() const { return counts_; }

 private:
  void publish(const ClientTable::Relayed& e);
  void deliver(const std::string& data);
  void report_end(const Json& chat_payload);

  ClientTable& clients_;
  cluster::Bus& bus_;
  const std::string instance_;
  std::function<void(const RunEnd&)> on_end_;
  Counts counts_;
};

// Whether an event of this name is relayed.
bool relayed_event(std::string_view event);

}  // namespace simpleclaw::gateway
