// Connections: the gateway side of every socket (state/transport.h TransportHandler).
// The client behind a trusted reverse proxy is found here (net/forwarded.h), so every
// rule below applies to it. Upgrades are admitted here (the Origin allowlist: 403; the
// connection cap and at most N unauthenticated sockets per IP: 503), an accepted socket
// gets `connect.challenge` and a handshake deadline, its frames go to the Handshake until
// it authenticates and to the Dispatcher after, and its close cleans up presence and node
// state. Plain HTTP requests go to the HttpRouter (the HTTP API), then the probes
// (/health, /ready, /metrics) and the web page.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>

#include "base/clock.h"
#include "gateway/clients.h"
#include "gateway/live_config.h"
#include "gateway/state/metrics.h"
#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

class Dispatcher;
class Handshake;
class NodeHub;
class ControlUi;
class HttpRouter;
class PresenceFeed;
class StatusReport;

class Connections final : public TransportHandler {
 public:
  struct Parts {
    ClientTable& clients;
    Handshake& handshake;
    Dispatcher& dispatcher;
    PresenceFeed& presence;
    NodeHub& nodes;
    StatusReport& status;
    ControlUi& control_ui;
    HttpRouter& http;  // the HTTP API, before the probes and the Control UI
  };
  // `draining` tells whether the gateway is stopping (no new sockets; a restart admits them
  // until its drain ends); `closed` runs
  // after each socket is gone (the shutdown waits for the last one).
  Connections(boost::asio::io_context& io, const LiveConfig& config, Parts parts, Metrics& metrics,
              const Clock& clock, std::function<bool()> draining, std::function<void()> closed)
      : io_(io),
        config_(config),
        p_(parts),
        metrics_(metrics),
        clock_(clock),
        draining_(std::move(draining)),
        closed_(std::move(closed)) {}

  void resolve_client(PeerInfo& peer, const ForwardingHeaders& h) const override;
  int admit_upgrade(const PeerInfo& peer, std::string_view host_header) override;
  void upgrade_failed(const PeerInfo& peer) override;
  std::uint64_t on_open(std::shared_ptr<Transport> t, const PeerInfo& peer) override;
  void on_message(std::uint64_t id, std::string_view data, bool binary) override;
  void on_close(std::uint64_t id) override;
  void on_drained(std::uint64_t id) override;
  void on_slow_consumer() override { ++metrics_.slow_consumer_closes; }
  Limits limits() const override;
  void route_http(const HttpRequest& req, const PeerInfo& peer,
                  std::shared_ptr<HttpReply> reply) override;
  // The browser-origin rule (gateway.allowed_origins, same origin, loopback dev servers).
  bool origin_allowed(const PeerInfo& peer, std::string_view host_header) const;

 private:
  boost::asio::io_context& io_;
  const LiveConfig& config_;
  Parts p_;
  Metrics& metrics_;
  const Clock& clock_;
  std::function<bool()> draining_;
  std::function<void()> closed_;
};

}  // namespace simpleclaw::gateway
