// Transport: the gateway core's view of one WebSocket, implemented by server/ws_session
// so that Beast stays out of the core. Loop thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

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

// Facts about the peer, captured at upgrade time.
struct PeerInfo {
  std::string remote_ip;
  std::uint16_t remote_port = 0;
  std::string origin;  // "" when the request had no Origin header (non-browser)
  std::string user_agent;
  bool loopback = false;  // remote address is 127.0.0.0/8 or ::1
  bool tls = false;
  bool msgpack = false;  // negotiated the simpleclaw.msgpack subprotocol
};

}  // namespace simpleclaw::gateway
