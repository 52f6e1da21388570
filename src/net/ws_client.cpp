// WsConnection over Boost.Beast: one class template for ws:// (tcp_stream) and wss://
// (ssl_stream over tcp_stream). See ws_client.h for the contract.
#include "net/ws_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <optional>
#include <type_traits>

#include "net/tls_client.h"
#include "net/url.h"

namespace simpleclaw::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr std::size_t kMaxQueuedBytes = 8u << 20;
constexpr std::chrono::seconds kCloseTimeout{5};
constexpr int kAbnormal = 1006;

bool bad_header_value(const std::string& v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos;
}

// Parsed ws/wss URL (through the HTTP client's parser, which already rejects
// credentials, bad hosts and ports, control characters).
struct WsUrl {
  bool ok = false;
  std::string error;
  bool tls = false;
  std::string host, port, target, host_header;
};

WsUrl parse_ws_url(const std::string& url) {
  WsUrl out;
  std::string http;
  if (url.rfind("ws://", 0) == 0) {
    http = "http://" + url.substr(5);
  } else if (url.rfind("wss://", 0) == 0) {
    http = "https://" + url.substr(6);
  } else {
    out.error = "not a ws:// or wss:// URL";
    return out;
  }
  Url u = parse_url(http);
  if (!u.ok) {
    out.error = u.error;
    return out;
  }
  out.ok = true;
  out.tls = u.https;
  out.host = u.host;
  out.port = u.port;
  out.target = u.target;
  bool v6 = u.host.find(':') != std::string::npos;
  out.host_header = v6 ? "[" + u.host + "]" : u.host;
  if (out.port != (out.tls ? "443" : "80")) out.host_header += ":" + out.port;
  return out;
}

template <bool kTls>
class Conn final : public WsConnection, public std::enable_shared_from_this<Conn<kTls>> {
  using Next = std::conditional_t<kTls, beast::ssl_stream<beast::tcp_stream>, beast::tcp_stream>;
  using Ws = websocket::stream<Next>;

 public:
  Conn(asio::io_context& io, WsClientOptions opts, WsClientCallbacks cb, WsUrl url)
      : io_(io),
        opts_(std::move(opts)),
        cb_(std::move(cb)),
        url_(std::move(url)),
        resolver_(io),
        connect_timer_(io),
        close_timer_(io) {
    where_ = url_.host_header;
  }

  void start() {
    for (const auto& [name, value] : opts_.headers)
      if (bad_header_value(name) || bad_header_value(value) || name.empty())
        return post_finish(kAbnormal, "invalid header for " + where_ + " (CR/LF/NUL)");
    if constexpr (kTls) {
      std::string error;
      tls_ctx_ = client_tls_context(opts_.ca_file, error);
      if (!tls_ctx_) return post_finish(kAbnormal, "TLS to " + where_ + ": " + error);
      ws_.emplace(io_, *tls_ctx_);
    } else {
      ws_.emplace(io_);
    }
    if (opts_.connect_timeout.count() > 0) {
      connect_timer_.expires_after(opts_.connect_timeout);
      connect_timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
        if (ec || self->done_ || self->opened_) return;
        self->timed_out_ = true;
        self->abort_socket();
      });
    }
    resolver_.async_resolve(
        url_.host, url_.port,
        [self = this->shared_from_this()](const error_code& ec, tcp::resolver::results_type r) {
          if (self->done_) return;
          if (ec) return self->fail_connect("resolving " + self->url_.host, ec);
          beast::get_lowest_layer(*self->ws_)
              .async_connect(
                  r, [self](const error_code& ec, const tcp::endpoint&) { self->on_connect(ec); });
        });
  }

  void send(std::string text) override {
    if (done_ || close_requested_) return;
    if (queued_bytes_ + text.size() > kMaxQueuedBytes) {
      drop_queue_ = true;
      return close(1008, "send queue full");
    }
    queued_bytes_ += text.size();
    queue_.push_back(std::move(text));
    do_write();
  }

  void close(int code, std::string reason) override {
    if (done_ || close_requested_) return;
    close_requested_ = true;
    close_code_ = code;
    close_reason_ = std::move(reason);
    if (!opened_) {
      // Abandon the connect; its handlers see done_ and stop.
      done_ = true;
      abort_socket();
      asio::post(io_, [self = this->shared_from_this()] {
        if (self->cancelled_) return;
        self->done_ = false;  // finish() below is the one report
        self->finish(self->close_code_, self->close_reason_);
      });
      return;
    }
    if (drop_queue_) {
      // Keep only the message being written (a write can't be taken back).
      while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
    }
    close_timer_.expires_after(kCloseTimeout);
    close_timer_.async_wait([self = this->shared_from_this()](const error_code& ec) {
      if (ec || self->done_) return;
      self->finish(self->close_code_, self->close_reason_);
    });
    do_write();
  }

  void cancel() override {
    if (cancelled_) return;
    cancelled_ = true;
    done_ = true;
    abort_socket();
    // Release the callbacks later: cancel() may run inside one of them.
    asio::post(io_, [self = this->shared_from_this()] { self->cb_ = {}; });
  }

 private:
  void post_finish(int code, std::string reason) {
    asio::post(io_, [self = this->shared_from_this(), code, reason = std::move(reason)] {
      self->finish(code, reason);
    });
  }

  void abort_socket() {
    error_code ec;
    resolver_.cancel();
    connect_timer_.cancel();
    close_timer_.cancel();
    if (ws_) beast::get_lowest_layer(*ws_).socket().close(ec);
  }

  void fail_connect(const std::string& what, const error_code& ec) {
    if (timed_out_)
      return finish(kAbnormal, "connecting to " + where_ + " timed out after " +
                                   std::to_string(opts_.connect_timeout.count()) + " ms");
    finish(kAbnormal, what + " failed: " + ec.message());
  }

  void on_connect(const error_code& ec) {
    if (done_) return;
    if (ec) return fail_connect("connecting to " + where_, ec);
    if constexpr (kTls) {
      set_tls_peer_name(ws_->next_layer().native_handle(), url_.host);
      ws_->next_layer().async_handshake(
          ssl::stream_base::client, [self = this->shared_from_this()](const error_code& ec) {
            if (self->done_) return;
            if (ec) {
              if (self->timed_out_) return self->fail_connect("", ec);
              long verify = SSL_get_verify_result(self->ws_->next_layer().native_handle());
              if (verify != X509_V_OK)
                return self->finish(kAbnormal, "TLS: the certificate of " + self->where_ +
                                                   " could not be verified (" +
                                                   X509_verify_cert_error_string(verify) + ")");
              return self->fail_connect("TLS handshake with " + self->where_, ec);
            }
            self->upgrade();
          });
    } else {
      upgrade();
    }
  }

  void upgrade() {
    ws_->read_message_max(opts_.max_message);
    ws_->set_option(
        websocket::stream_base::decorator([headers = opts_.headers](websocket::request_type& req) {
          req.set(beast::http::field::user_agent, "simpleclaw");
          for (const auto& [name, value] : headers) req.set(name, value);
        }));
    ws_->async_handshake(
        res_, url_.host_header, url_.target,
        [self = this->shared_from_this()](const error_code& ec) {
          if (self->done_) return;
          if (ec == websocket::error::upgrade_declined)
            return self->finish(kAbnormal, "WebSocket upgrade refused by " + self->where_ +
                                               ": HTTP " + std::to_string(self->res_.result_int()));
          if (ec) return self->fail_connect("WebSocket handshake with " + self->where_, ec);
          self->on_open();
        });
  }

  void on_open() {
    opened_ = true;
    connect_timer_.cancel();
    res_ = {};
    // Bounds the closing handshake; the platform heartbeat judges idleness.
    websocket::stream_base::timeout t{};
    t.handshake_timeout = kCloseTimeout;
    t.idle_timeout = websocket::stream_base::none();
    t.keep_alive_pings = false;
    ws_->set_option(t);
    if (cb_.on_open) cb_.on_open();
    if (done_) return;
    do_read();
    do_write();
  }

  void do_read() {
    ws_->async_read(buf_, [self = this->shared_from_this()](const error_code& ec, std::size_t) {
      self->on_read(ec);
    });
  }

  void on_read(const error_code& ec) {
    if (done_) return;
    if (ec == websocket::error::closed) {
      const auto& r = ws_->reason();
      return finish(r.code == websocket::close_code::none ? 1005 : int(r.code),
                    std::string(r.reason.c_str()));
    }
    if (ec == websocket::error::message_too_big)
      return finish(1009, "incoming message over " + std::to_string(opts_.max_message) +
                              " bytes from " + where_);
    if (ec) {
      if (close_requested_) return finish(close_code_, close_reason_);
      return finish(kAbnormal, "connection to " + where_ + " lost: " + ec.message());
    }
    auto data = buf_.cdata();
    if (cb_.on_message)
      cb_.on_message(std::string_view(static_cast<const char*>(data.data()), data.size()),
                     !ws_->got_text());
    if (done_) return;
    buf_.consume(buf_.size());
    do_read();
  }

  void do_write() {
    if (done_ || !opened_ || writing_) return;
    if (!queue_.empty()) {
      writing_ = true;
      ws_->text(true);
      ws_->async_write(asio::buffer(queue_.front()), [self = this->shared_from_this()](
                                                         const error_code& ec, std::size_t) {
        self->writing_ = false;
        if (self->done_) return;
        self->queued_bytes_ -= self->queue_.front().size();
        self->queue_.pop_front();
        if (ec) {
          if (self->close_requested_) return self->finish(self->close_code_, self->close_reason_);
          return self->finish(kAbnormal, "sending to " + self->where_ + " failed: " + ec.message());
        }
        self->do_write();
      });
      return;
    }
    if (close_requested_ && !close_sent_) {
      close_sent_ = true;
      writing_ = true;
      websocket::close_reason reason;
      reason.code = static_cast<std::uint16_t>(close_code_);
      reason.reason = beast::string_view(close_reason_).substr(0, reason.reason.max_size());
      ws_->async_close(reason, [self = this->shared_from_this()](const error_code& ec) {
        self->writing_ = false;
        if (self->done_) return;
        // The pending read reports the peer's answer; a failed close ends it here.
        if (ec) self->finish(self->close_code_, self->close_reason_);
      });
    }
  }

  void finish(int code, const std::string& reason) {
    if (done_) return;
    done_ = true;
    abort_socket();
    auto on_close = std::move(cb_.on_close);
    cb_ = {};
    queue_.clear();
    if (on_close) on_close(code, reason);
  }

  asio::io_context& io_;
  WsClientOptions opts_;
  WsClientCallbacks cb_;
  WsUrl url_;
  std::string where_;  // host[:port], for messages
  tcp::resolver resolver_;
  asio::steady_timer connect_timer_, close_timer_;
  std::shared_ptr<ssl::context> tls_ctx_;  // before ws_: outlives the stream
  std::optional<Ws> ws_;
  websocket::response_type res_;
  beast::flat_buffer buf_;
  std::deque<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  bool opened_ = false, done_ = false, cancelled_ = false, timed_out_ = false;
  bool writing_ = false, close_requested_ = false, close_sent_ = false, drop_queue_ = false;
  int close_code_ = 1000;
  std::string close_reason_;
};

// A connection that failed before it started (bad URL): reports once, posted.
class Failed final : public WsConnection, public std::enable_shared_from_this<Failed> {
 public:
  Failed(asio::io_context& io, WsClientCallbacks cb, std::string error)
      : io_(io), cb_(std::move(cb)), error_(std::move(error)) {}
  void start() {
    asio::post(io_, [self = shared_from_this()] {
      if (self->cancelled_) return;
      auto on_close = std::move(self->cb_.on_close);
      self->cb_ = {};
      if (on_close) on_close(kAbnormal, self->error_);
    });
  }
  void send(std::string) override {}
  void close(int, std::string) override {}
  void cancel() override { cancelled_ = true; }

 private:
  asio::io_context& io_;
  WsClientCallbacks cb_;
  std::string error_;
  bool cancelled_ = false;
};

}  // namespace

std::shared_ptr<WsConnection> ws_connect(asio::io_context& io, WsClientOptions opts,
                                         WsClientCallbacks cb) {
  WsUrl url = parse_ws_url(opts.url);
  if (!url.ok) {
    auto f = std::make_shared<Failed>(io, std::move(cb), "invalid WebSocket URL: " + url.error);
    f->start();
    return f;
  }
  if (url.tls) {
    auto c = std::make_shared<Conn<true>>(io, std::move(opts), std::move(cb), std::move(url));
    c->start();
    return c;
  }
  auto c = std::make_shared<Conn<false>>(io, std::move(opts), std::move(cb), std::move(url));
  c->start();
  return c;
}

}  // namespace simpleclaw::net
