// WsConnection: one outbound WebSocket client connection (RFC 6455) on the loop, for the
// channels whose platform pushes events over a socket (Discord gateway, Slack Socket
// Mode). Boost.Beast underneath; this header keeps Asio/Beast out of the channels.
//
// * ws:// and wss:// (OpenSSL: chain verified against the system store, SSL_CERT_FILE /
//   SSL_CERT_DIR, or `ca_file`; host name checked; SNI sent).
// * connect_timeout bounds resolve + TCP + TLS + the HTTP upgrade together.
// * Incoming messages larger than max_message close the connection with 1009.
// * send() queues; one write is in flight at a time. More than 8 MiB waiting closes the
//   connection with 1008 (a peer that stops reading must not grow our memory).
// * No keep-alive pings of its own: the platform protocols have their own heartbeats,
//   and the channel judges liveness with those.
//
// on_close(code, reason_or_error) runs exactly once, after on_open or instead of it:
//   code = the close frame's code when the closing handshake happened (either side
//   started it; reason = the peer's reason), 1009 for an oversize message, 1008 for
//   a full send queue, 1006 when the connection failed or dropped without a closing
//   handshake (connect refused, DNS, TLS, timeout, upgrade refused: reason = what
//   failed, never a header value).
//
// Threading and lifetime: ws_connect(), send(), close() and cancel() on the loop thread
// (the io_context given); every callback runs there. Callbacks never run inside
// ws_connect(), send(), close() or cancel(). The connection keeps itself alive while it
// has I/O pending, so the caller may drop its handle at any time (it then runs to its
// close, bounded by the close timeout); callbacks must not own the connection (capture
// a weak_ptr), they are released after on_close. cancel() closes the socket now and no
// callback runs after it returns, so a caller may cancel() from its destructor. After
// on_close or cancel(), send() and close() are no-ops.
#pragma once
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace simpleclaw::net {

struct WsClientOptions {
  std::string url;  // ws://host[:port]/path?query or wss://...
  // Extra upgrade-request headers (e.g. Authorization). Values with CR/LF/NUL refuse
  // the connection (1006); values never appear in errors.
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t max_message = 4 << 20;                 // bytes per incoming message
  std::chrono::milliseconds connect_timeout{10000};  // resolve .. upgrade done
  std::string ca_file;  // PEM CAs to trust instead of the system store; "" = system
};

struct WsClientCallbacks {
  std::function<void()> on_open;
  // `data` is valid only during the call.
  std::function<void(std::string_view data, bool binary)> on_message;
  // Exactly once, after on_open or instead of it (see above).
  std::function<void(int code, const std::string& reason_or_error)> on_close;
};

class WsConnection {
 public:
  virtual ~WsConnection() = default;
  // Queues a text message. Before on_open it waits until the connection is open.
  virtual void send(std::string text) = 0;
  // Graceful: queued messages go out first, then the closing handshake (bounded by a
  // few seconds, then the socket is closed). on_close follows. Before on_open it
  // abandons the connect and on_close(code, reason) follows.
  virtual void close(int code = 1000, std::string reason = {}) = 0;
  // Aborts now: socket closed, no callback afterwards. Idempotent.
  virtual void cancel() = 0;
};

std::shared_ptr<WsConnection> ws_connect(boost::asio::io_context& io, WsClientOptions opts,
                                         WsClientCallbacks cb);

}  // namespace simpleclaw::net
