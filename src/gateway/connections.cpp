#include "gateway/connections.h"

#include <algorithm>

#include "base/ids.h"
#include "base/log.h"
#include "gateway/control_ui.h"
#include "gateway/dispatcher.h"
#include "gateway/handshake.h"
#include "gateway/http/http_router.h"
#include "gateway/node_hub.h"
#include "gateway/presence_feed.h"
#include "gateway/server/http_routes.h"
#include "gateway/status.h"
#include "net/forwarded.h"

namespace simpleclaw::gateway {
namespace {

// "http://localhost:5173" -> "localhost"; "" when it does not look like an origin.
std::string origin_host(std::string_view origin) {
  auto p = origin.find("://");
  if (p == std::string_view::npos) return {};
  std::string_view rest = origin.substr(p + 3);
  if (!rest.empty() && rest.front() == '[') {
    auto e = rest.find(']');
    return e == std::string_view::npos ? std::string{} : std::string(rest.substr(0, e + 1));
  }
  return std::string(rest.substr(0, rest.find_first_of(":/")));
}

std::string strip_port(std::string_view host) {
  if (!host.empty() && host.front() == '[') return std::string(host.substr(0, host.find(']') + 1));
  return std::string(host.substr(0, host.find(':')));
}

}  // namespace

bool Connections::origin_allowed(const PeerInfo& peer, std::string_view host_header) const {
  const config::GatewayConfig& gw = config_.cfg().gateway;
  const auto& allowed = gw.allowed_origins;
  if (std::find(allowed.begin(), allowed.end(), peer.origin) != allowed.end() ||
      std::find(allowed.begin(), allowed.end(), "*") != allowed.end())
    return true;
  std::string oh = origin_host(peer.origin);
  if (!oh.empty() && oh == strip_port(host_header)) return true;  // same origin
  return config::is_loopback_bind(gw.bind) && peer.origin.rfind("http://", 0) == 0 &&
         (oh == "localhost" || oh == "127.0.0.1" || oh == "[::1]");
}

void Connections::resolve_client(PeerInfo& peer, const ForwardingHeaders& h) const {
  const std::vector<CidrBlock>& trusted = config_.trusted_proxies();
  if (trusted.empty()) return;  // the default: nobody's headers count
  auto socket = parse_ip_address(peer.remote_ip);
  if (!socket) return;
  auto client = net::forwarded_client(*socket, h.x_forwarded_for, h.forwarded, trusted);
  if (!client) return;
  peer.proxy_ip = std::move(peer.remote_ip);
  peer.remote_ip = client->to_string();
  peer.remote_port = 0;
  peer.loopback = client->is_loopback();
  log::debug("request from {} forwarded by trusted proxy {}", peer.remote_ip, peer.proxy_ip);
}

int Connections::admit_upgrade(const PeerInfo& peer, std::string_view host_header) {
  if (draining_()) return 503;
  const config::GatewayConfig& gw = config_.cfg().gateway;
  if (!peer.origin.empty() && !origin_allowed(peer, host_header)) {
    ++metrics_.connections_rejected;
    log::warn("refused WebSocket upgrade from origin {} ({}): not in gateway.allowed_origins",
              peer.origin, peer.remote_ip);
    return 403;
  }
  if (static_cast<int>(p_.clients.size()) >= gw.limits.max_connections ||
      !p_.clients.reserve_preauth(peer.remote_ip, gw.limits.max_preauth_per_ip)) {
    ++metrics_.connections_rejected;
    return 503;
  }
  return 0;
}

void Connections::upgrade_failed(const PeerInfo& peer) {
  p_.clients.release_preauth_ip(peer.remote_ip);
}

std::uint64_t Connections::on_open(std::shared_ptr<Transport> t, const PeerInfo& peer) {
  Client& c = p_.clients.add(std::move(t), peer, uuid_v4(), uuid_v4(), clock_.wall_ms());
  ++metrics_.connections_accepted;
  const int handshake_ms = config_.cfg().gateway.timers.handshake_ms;
  c.handshake_timer = std::make_unique<boost::asio::steady_timer>(io_);
  c.handshake_timer->expires_after(std::chrono::milliseconds(handshake_ms));
  c.handshake_timer->async_wait(
      [this, id = c.id, handshake_ms](const boost::system::error_code& ec) {
        if (ec) return;
        Client* cl = p_.clients.find(id);
        if (!cl || cl->authed) return;
        ++metrics_.handshakes_failed;
        log::debug("closing {}: no connect within {} ms", cl->peer.remote_ip, handshake_ms);
        cl->transport->close(1008, "handshake timeout");
      });
  protocol::SharedPayload challenge(Json{{"nonce", c.nonce}, {"ts", c.connected_at_ms}});
  OutFrame frame;
  frame.head = std::make_shared<const std::string>(
      protocol::encode_event("connect.challenge", &challenge, std::nullopt, nullptr, c.enc));
  c.transport->send(std::move(frame), false);
  return c.id;
}

void Connections::on_message(std::uint64_t id, std::string_view data, bool binary) {
  Client* c = p_.clients.find(id);
  if (!c) return;
  if (!c->authed) return p_.handshake.on_message(*c, data, binary);
  p_.dispatcher.on_message(*c, data, binary);
}

void Connections::on_close(std::uint64_t id) {
  Client* c = p_.clients.find(id);
  if (!c) return;
  p_.clients.release_preauth(*c);
  if (c->handshake_timer) c->handshake_timer->cancel();
  if (c->authed)
    log::record("client.disconnect",
                Json{{"connId", c->conn_id},
                     {"client", c->client_info.value("id", "?")},
                     {"role", role_name(c->role)},
                     {"durationMs", clock_.wall_ms() - c->connected_at_ms}},
                fmt::format("client {} ({}) disconnected", c->client_info.value("id", "?"),
                            role_name(c->role)));
  if (c->role == Role::kNode) p_.nodes.client_closed(id);
  const bool authed = c->authed;
  const std::string conn_id = c->conn_id;
  p_.clients.erase(id);
  if (authed) p_.presence.disconnect(conn_id);  // after erase: the list goes to the others
  closed_();
}

void Connections::on_drained(std::uint64_t id) { p_.clients.on_drained(id); }

TransportHandler::Limits Connections::limits() const {
  const config::GatewayConfig& gw = config_.cfg().gateway;
  return Limits{static_cast<std::size_t>(gw.limits.max_buffered),
                static_cast<std::size_t>(gw.limits.max_preauth_frame), gw.timers.handshake_ms,
                static_cast<std::size_t>(gw.http.max_body_bytes)};
}

void Connections::route_http(const HttpRequest& req, const PeerInfo& peer,
                             std::shared_ptr<HttpReply> reply) {
  if (p_.http.route(req, peer, reply)) return;
  if (auto probe = route_probe(req, p_.status.ready() && !draining_(), !config_.degraded().empty(),
                               [this] { return p_.status.metrics_text(); }))
    return reply->answer(std::move(*probe));
  p_.control_ui.answer(req, peer, [reply](HttpAnswer a) { reply->answer(std::move(a)); });
}

}  // namespace simpleclaw::gateway
