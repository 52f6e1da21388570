// WsSession: one accepted WebSocket (plain or TLS), implementing Transport for the
// TransportHandler (gateway/connections). It owns one outbound queue with one write in flight,
// enforces the outbound byte cap (droppable frames are skipped, others close 1008 "slow consumer"),
// tells the handler when the queue drains (it holds streaming deltas back until then), the inbound
// frame cap (Beast closes 1009), and keep-alive pings after auth. Kept alive by its pending read;
// the client table holds a shared_ptr until on_close. Included only by server.cpp (Beast-heavy).
// Loop thread only.
#pragma once
#include <array>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>

#include "base/log.h"
#include "gateway/protocol/codec.h"
#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
namespace http = boost::beast::http;

template <class Stream>
class WsSession final : public Transport, public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(Stream&& stream, TransportHandler& gw, PeerInfo peer, std::size_t max_buffered,
            std::size_t max_preauth_frame, int handshake_ms)
      : ws_(std::move(stream)), gw_(gw), peer_(std::move(peer)), max_buffered_(max_buffered) {
    ws_.read_message_max(max_preauth_frame);
    ws_.auto_fragment(false);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(handshake_ms);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
  }

  void run(http::request<http::string_body> req) {
    bool msgpack = peer_.msgpack;
    ws_.set_option(websocket::stream_base::decorator([msgpack](websocket::response_type& res) {
      res.set(http::field::server, "simpleclaw/" SIMPLECLAW_VERSION);
      if (msgpack) res.set(http::field::sec_websocket_protocol, protocol::kMsgpackSubprotocol);
    }));
    ws_.async_accept(
        req, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  bool send(OutFrame frame, bool droppable) override {
    if (closing_) return false;
    if (queued_ + frame.size() > max_buffered_) {
      if (droppable) return false;
      log::warn("closing {}: outbound buffer over {} bytes (slow consumer)", peer_.remote_ip,
                max_buffered_);
      gw_.on_slow_consumer();
      close(1008, "slow consumer");
      return false;
    }
    queued_ += frame.size();
    out_.push_back(std::move(frame));
    if (!writing_) do_write();
    return true;
  }

  void close(std::uint16_t code, std::string reason) override {
    if (closing_) return;
    closing_ = true;
    close_reason_ = websocket::close_reason(static_cast<websocket::close_code>(code), reason);
    if (!writing_) do_close();
  }

  void on_authenticated(std::size_t max_message, int ping_ms) override {
    ws_.read_message_max(max_message);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::seconds(5);  // now only bounds the closing handshake
    t.idle_timeout = std::chrono::milliseconds(2 * ping_ms);  // ping at half, drop at full
    t.keep_alive_pings = true;
    ws_.set_option(t);
  }

  std::size_t buffered_bytes() const override { return queued_; }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) {
      gw_.upgrade_failed(peer_);
      return;
    }
    id_ = gw_.on_open(this->shared_from_this(), peer_);
    do_read();
  }

  void do_read() {
    ws_.async_read(buf_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec == websocket::error::message_too_big)
        log::debug("closing {}: frame over the size cap (1009)", peer_.remote_ip);
      finish();
      return;
    }
    auto data = buf_.cdata();
    std::string_view view(static_cast<const char*>(data.data()), data.size());
    gw_.on_message(id_, view, !ws_.got_text());
    buf_.consume(buf_.size());
    // One large frame (up to 25 MiB) must not pin that much memory to an idle socket.
    if (buf_.capacity() > kKeepReadCapacity) buf_.shrink_to_fit();
    do_read();  // also after close(): the read completes when the peer's close arrives
  }

  void do_write() {
    writing_ = true;
    ws_.binary(peer_.msgpack);
    const OutFrame& f = out_.front();
    std::array<boost::asio::const_buffer, 3> bufs{
        f.head ? boost::asio::buffer(*f.head) : boost::asio::const_buffer(),
        f.body ? boost::asio::buffer(*f.body) : boost::asio::const_buffer(),
        boost::asio::buffer(f.tail)};
    ws_.async_write(bufs, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_write(ec);
    });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    queued_ -= out_.front().size();
    out_.pop_front();
    if (ec) {  // the read side sees the failure too and calls finish()
      out_.clear();
      queued_ = 0;
      return;
    }
    if (!out_.empty()) return do_write();
    if (closing_) return do_close();
    gw_.on_drained(id_);  // may queue held-back deltas (and so start a write)
  }

  void do_close() {
    if (close_sent_) return;
    close_sent_ = true;
    ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code) {});
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    if (id_ != 0) gw_.on_close(id_);
  }

  static constexpr std::size_t kKeepReadCapacity = 64 * 1024;
  websocket::stream<Stream> ws_;
  beast::flat_buffer buf_;
  TransportHandler& gw_;
  PeerInfo peer_;
  std::size_t max_buffered_;
  std::deque<OutFrame> out_;
  std::size_t queued_ = 0;
  bool writing_ = false;
  bool closing_ = false;
  bool close_sent_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
  std::uint64_t id_ = 0;
};

}  // namespace simpleclaw::gateway
