// Handshake: a socket's first frames, up to hello-ok (SPEC §4).
//
//   decode (not JSON -> close 1000) -> a `req` (else close 1008) -> frames/req schema ->
//   method `connect` (else INVALID_REQUEST "invalid handshake: first request must be
//   connect", close 1008) -> connect params schema -> protocol range (-> PROTOCOL_MISMATCH,
//   close 1002) -> Authenticator (-> "unauthorized: ..." or NOT_PAIRED, close 1008; it may
//   answer after the pairing store's I/O: a frame meanwhile closes the socket, 1008) ->
//   scopes negotiated, presence joined, hello-ok with features generated from the method
//   table and a snapshot (presence, the caller's view of health, stateVersion,
//   sessionDefaults following agents.default), keep-alive pings start.
//
// Threading: loop thread only.
#pragma once
#include <string_view>

#include "gateway/authenticator.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/state/metrics.h"

namespace simpleclaw::gateway {

class HealthMonitor;
class NodeHub;
class PresenceFeed;
class StatusReport;

class Handshake {
 public:
  Handshake(const LiveConfig& config, ClientTable& clients, Authenticator& auth, NodeHub& nodes,
            PresenceFeed& presence, const HealthMonitor& health, const StatusReport& status,
            Metrics& metrics)
      : config_(config),
        clients_(clients),
        auth_(auth),
        nodes_(nodes),
        presence_(presence),
        health_(health),
        status_(status),
        metrics_(metrics) {}

  // A frame from a socket that has not authenticated yet.
  void on_message(Client& c, std::string_view data, bool binary);
  // hello-ok for an authenticated client (exposed for tests of its shape).
  Json hello_ok(const Client& c) const;

 private:
  void fail(Client& c, const Json& id, const Error& e, std::uint16_t close_code);
  // Authenticated: scopes, presence, hello-ok.
  void welcome(Client& c, const Json& id, const Json& params, Admission admitted);

  const LiveConfig& config_;
  ClientTable& clients_;
  Authenticator& auth_;
  NodeHub& nodes_;
  PresenceFeed& presence_;
  const HealthMonitor& health_;
  const StatusReport& status_;
  Metrics& metrics_;
};

}  // namespace simpleclaw::gateway
