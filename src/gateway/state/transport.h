// Transport: the gateway core's view of one WebSocket, implemented by server/ws_session
// so that Beast stays out of the core. Loop thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/protocol/codec.h"

namespace simpleclaw::gateway {

using Bytes = protocol::Bytes;
using protocol::OutFrame;

class Transport {
 public:
  virtual ~Transport() = default;
  // Queues one WS message. Returns false if it was not queued: dropped because the
  // outbound buffer is over its cap and the frame is droppable, or the socket is closing
  // (a non-droppable frame over the cap closes the socket 1008 "slow consumer").
  virtual bool send(OutFrame frame, bool droppable) = 0;
  // Sends a close frame after the queued frames, then closes the socket.
  virtual void close(std::uint16_t code, std::string reason) = 0;
  // After a successful connect: raise the frame cap and start keep-alive pings.
  virtual void on_authenticated(std::size_t max_message, int ping_ms) = 0;
  virtual std::size_t buffered_bytes() const = 0;
};

// A plain HTTP request (not an upgrade), as much of it as the routes read.
struct HttpRequest {
  static constexpr std::size_t kMaxHeaders = 64;  // more are dropped (the parser caps bytes)
  std::string method;                             // "GET", "HEAD", ...
  std::string target;                             // path and query, as sent
  std::string accept;
  std::string accept_encoding;
  std::string authorization;
  std::string host;
  std::string body;  // at most gateway.http.max_body_bytes (the server answers 413 past it)
  // Every header line (lower-case name, value), in order, at most kMaxHeaders.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first value of header `name` (lower-case), "" when absent.
  std::string_view header(std::string_view name) const {
    for (const auto& h : headers)
      if (h.first == name) return h.second;
    return {};
  }
  std::string_view path() const {
    std::string_view t = target;
    return t.substr(0, t.find('?'));
  }
};

// A plain HTTP route's answer (GET /health, /metrics, the Control UI): the server writes it.
struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // set with 405
  std::string cache_control = "no-store";
  std::vector<std::pair<std::string, std::string>> headers;  // any others
};

// The answer to one plain HTTP request, implemented by the server's HTTP session: either
// answer() once, or stream() (status and headers now, chunked transfer encoding), write()
// chunks, then end(). The session watches the socket while the answer is pending: a peer
// that goes away calls the on_cancel callback (once; is_open() is false from then on), so a
// route can stop the work it started. Dropping the last reference without an answer
// answers 500. Outbound bytes per response are bounded (kMaxBuffered): a reader too slow
// for a stream is disconnected (and on_cancel called).
//
// Loop thread only; a route may keep the reply and answer later.
class HttpReply {
 public:
  static constexpr std::size_t kMaxBuffered = 8 * 1024 * 1024;
  virtual ~HttpReply() = default;
  virtual void answer(HttpAnswer a) = 0;
  virtual void stream(int status, std::string content_type,
                      std::vector<std::pair<std::string, std::string>> headers = {}) = 0;
  // False when the bytes were not queued (closed, or over kMaxBuffered: then closed).
  virtual bool write(std::string chunk) = 0;
  virtual void end() = 0;
  virtual void on_cancel(std::function<void()> fn) = 0;
  // Not yet answered or ended, and the peer is still there.
  virtual bool is_open() const = 0;
};

// Facts about the peer, captured at upgrade time (and for each plain HTTP request).
// remote_ip is the client every per-IP rule applies to: the socket's address, or the one
// a trusted reverse proxy forwarded for (TransportHandler::resolve_client).
struct PeerInfo {
  std::string remote_ip;
  std::uint16_t remote_port = 0;  // the socket's; 0 when remote_ip was forwarded
  std::string origin;             // "" when the request had no Origin header (non-browser)
  std::string user_agent;
  bool loopback = false;  // remote_ip is 127.0.0.0/8 or ::1
  bool tls = false;
  bool msgpack = false;  // negotiated the simpleclaw.msgpack subprotocol
  std::string proxy_ip;  // the trusted proxy's address when remote_ip was forwarded, else ""
};

// A request's forwarding headers, each with every line joined by ", " ("" = absent):
// a proxy may add a line of its own instead of appending to the client's.
struct ForwardingHeaders {
  std::string x_forwarded_for;
  std::string forwarded;
};

// What the server (server/*.cpp) calls: implemented by gateway/connections, so the
// Beast-heavy server knows nothing of the gateway beyond this. Loop thread only.
class TransportHandler {
 public:
  virtual ~TransportHandler() = default;
  // Before anything else sees a request (upgrade or plain HTTP): when the socket's peer is
  // a trusted proxy (gateway.trusted_proxies) and its headers name the client, makes that
  // client the peer (remote_ip, loopback; proxy_ip = the socket's). From any other peer the
  // headers are ignored.
  virtual void resolve_client(PeerInfo& peer, const ForwardingHeaders& h) const = 0;
  // Before a WebSocket upgrade: 0 = may upgrade; else an HTTP status (403 origin
  // refused, 503 over a cap).
  virtual int admit_upgrade(const PeerInfo& peer, std::string_view host_header) = 0;
  virtual void upgrade_failed(const PeerInfo& peer) = 0;  // undoes admit_upgrade's reservation
  virtual std::uint64_t on_open(std::shared_ptr<Transport> t, const PeerInfo& peer) = 0;
  virtual void on_message(std::uint64_t id, std::string_view data, bool binary) = 0;
  virtual void on_close(std::uint64_t id) = 0;
  // The socket's outbound queue became empty.
  virtual void on_drained(std::uint64_t id) = 0;
  // A socket was closed for exceeding its outbound cap (counted).
  virtual void on_slow_consumer() = 0;

  struct Limits {
    std::size_t max_buffered = 0;       // outbound bytes per socket
    std::size_t max_preauth_frame = 0;  // inbound frame cap before connect
    int handshake_ms = 0;               // the WebSocket handshake's deadline
    std::size_t max_http_body = 0;      // a plain request's body (gateway.http.max_body_bytes)
  };
  virtual Limits limits() const = 0;
  // Answers a plain HTTP request through `reply`, at once or later (a file read off the
  // loop, an agent run), on the loop thread.
  virtual void route_http(const HttpRequest& req, const PeerInfo& peer,
                          std::shared_ptr<HttpReply> reply) = 0;
};

}  // namespace simpleclaw::gateway
