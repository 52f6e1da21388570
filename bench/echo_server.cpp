// sc_echo_server: a bare Beast WebSocket echo server, the transport-only ceiling the
// gateway's `health` RPC rate is compared with (docs/benchmarks.md).
//
// It is built from the same compiled Asio/Beast (sc_asio) and compile flags as the
// gateway, and its sessions copy src/gateway/server/{server.cpp,ws_session.h} step for
// step: one io_context thread; TCP_NODELAY; the upgrade request read by an HTTP parser
// with the same header/body limits, then websocket accept; no permessage-deflate,
// auto_fragment off, the same post-auth limits and keep-alive timeout options; one
// outbound queue of shared strings with one write in flight. What it leaves out is
// exactly the gateway's work per message: decode, schema validation, dispatch, encode.
//
// Prints `port N` on stdout once listening. Binds 127.0.0.1 only. Exits by itself after
// --max-seconds (default 600) so a forgotten server does not linger.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

using Bytes = std::shared_ptr<const std::string>;

constexpr std::size_t kMaxPreauthFrame = 64 * 1024;     // gateway.limits.max_preauth_frame
constexpr std::size_t kMaxPayload = 25 * 1024 * 1024;   // gateway.limits.max_payload
constexpr std::size_t kMaxBuffered = 50 * 1024 * 1024;  // gateway.limits.max_buffered
constexpr int kPingMs = 25000;                          // gateway.timers.ping_ms
constexpr int kHandshakeMs = 15000;                     // gateway.timers.handshake_ms

class WsEcho : public std::enable_shared_from_this<WsEcho> {
 public:
  explicit WsEcho(beast::tcp_stream&& s) : ws_(std::move(s)) {
    ws_.read_message_max(kMaxPreauthFrame);
    ws_.auto_fragment(false);
    websocket::stream_base::timeout t{};
    t.handshake_timeout = std::chrono::milliseconds(kHandshakeMs);
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_.set_option(t);
  }

  void run(http::request<http::string_body> req) {
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "sc_echo_server"); }));
    ws_.async_accept(req, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return;
      // No handshake to wait for: apply the gateway's post-auth settings right away.
      self->ws_.read_message_max(kMaxPayload);
      websocket::stream_base::timeout t{};
      t.handshake_timeout = std::chrono::seconds(5);
      t.idle_timeout = std::chrono::milliseconds(2 * kPingMs);
      t.keep_alive_pings = true;
      self->ws_.set_option(t);
      self->do_read();
    });
  }

 private:
  void do_read() {
    ws_.async_read(buf_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(beast::error_code ec) {
    if (ec) return;
    auto d = buf_.cdata();
    send(std::make_shared<const std::string>(static_cast<const char*>(d.data()), d.size()),
         !ws_.got_text());
    buf_.consume(buf_.size());
    do_read();
  }

  void send(Bytes frame, bool binary) {
    if (queued_ + frame->size() > kMaxBuffered) return;  // slow consumer: drop
    queued_ += frame->size();
    out_.push_back({std::move(frame), binary});
    if (!writing_) do_write();
  }

  void do_write() {
    writing_ = true;
    ws_.binary(out_.front().second);
    ws_.async_write(
        asio::buffer(*out_.front().first),
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    queued_ -= out_.front().first->size();
    out_.pop_front();
    if (ec) {
      out_.clear();
      queued_ = 0;
      return;
    }
    if (!out_.empty()) do_write();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buf_;
  std::deque<std::pair<Bytes, bool>> out_;
  std::size_t queued_ = 0;
  bool writing_ = false;
};

// The HTTP half, as in server.cpp's HttpSession: read the upgrade request, hand it over.
class HttpUpgrade : public std::enable_shared_from_this<HttpUpgrade> {
 public:
  explicit HttpUpgrade(tcp::socket&& s) : stream_(std::move(s)) {}

  void run() {
    beast::error_code ec;
    stream_.socket().set_option(tcp::no_delay(true), ec);
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(64 * 1024);
    stream_.expires_after(std::chrono::seconds(15));
    http::async_read(
        stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
          if (ec || !websocket::is_upgrade(self->parser_->get())) return;
          self->stream_.expires_never();
          std::make_shared<WsEcho>(std::move(self->stream_))->run(self->parser_->release());
        });
  }

 private:
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

void accept(tcp::acceptor& a) {
  a.async_accept([&a](beast::error_code ec, tcp::socket sock) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec) std::make_shared<HttpUpgrade>(std::move(sock))->run();
    accept(a);
  });
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0;
  long max_seconds = 600;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--port" && i + 1 < argc)
      port = std::atoi(argv[++i]);
    else if (a == "--max-seconds" && i + 1 < argc)
      max_seconds = std::atol(argv[++i]);
    else {
      std::fprintf(stderr, "usage: sc_echo_server [--port P] [--max-seconds S]\n");
      return 2;
    }
  }
  std::signal(SIGPIPE, SIG_IGN);
  asio::io_context io(1);
  tcp::acceptor acc(io);
  tcp::endpoint ep(asio::ip::make_address_v4("127.0.0.1"), static_cast<unsigned short>(port));
  acc.open(ep.protocol());
  acc.set_option(asio::socket_base::reuse_address(true));
  acc.bind(ep);
  acc.listen(asio::socket_base::max_listen_connections);
  accept(acc);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](beast::error_code, int) { io.stop(); });
  asio::steady_timer limit(io, std::chrono::seconds(max_seconds));
  limit.async_wait([&](beast::error_code ec) {
    if (!ec) io.stop();
  });
  std::printf("port %d\n", acc.local_endpoint().port());
  std::fflush(stdout);
  io.run();
  return 0;
}
