// HttpSession: one accepted HTTP connection (plain or TLS). It reads requests one at a
// time (keep-alive, pipelined requests answered in order), hands each plain request to the
// TransportHandler with an HttpReply (state/transport.h) and writes what the route answers:
// one answer, or a stream (chunked transfer encoding) that the route feeds. A WebSocket
// upgrade is handed to a WsSession once the handler admits it.
//
// Request bodies: at most Limits::max_http_body bytes (a Content-Length over it, or a
// chunked body growing past it, is answered 413 and the connection closed after the rest
// of the body is drained, so the client reads the answer instead of a reset).
// `Expect: 100-continue` is answered before the body is read.
//
// While an answer is pending the session already reads the next request's header: that
// read doubles as the watcher that notices a peer going away (the route's on_cancel runs,
// so it can abort the run behind a long answer). Idle keep-alive connections are closed
// after kIdleTimeout.
//
// Kept alive by its pending operations; an HttpReply holds it only weakly. Included only by
// server.cpp (Beast-heavy). Loop thread only.
#pragma once
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <cctype>
#include <cstdio>
#include <deque>
#include <optional>

#include "gateway/server/ws_session.h"

namespace simpleclaw::gateway {

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  using tcp = boost::asio::ip::tcp;
  using TlsStream = beast::ssl_stream<beast::tcp_stream>;

  HttpSession(Stream&& s, TransportHandler& gw)
      : stream_(std::move(s)), gw_(gw), idle_(stream_.get_executor()) {}
  HttpSession(const HttpSession&) = delete;
  HttpSession& operator=(const HttpSession&) = delete;

  // Kept as long as the session lives (the server counts the sessions in progress: a
  // restart waits for them).
  void hold(std::shared_ptr<void> token) { token_ = std::move(token); }

  // `peer`: the socket's facts (address, loopback, tls); the TLS handshake, if any, is
  // done here.
  void run(PeerInfo peer) {
    peer_ = std::move(peer);
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_handshake(boost::asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read_header();
                              });
    } else {
      read_header();
    }
  }

 private:
  using Request = http::request<http::string_body>;
  std::shared_ptr<void> token_;
  static constexpr auto kIdleTimeout = std::chrono::seconds(15);   // waiting for a header
  static constexpr auto kBodyTimeout = std::chrono::seconds(60);   // reading a body
  static constexpr auto kWriteTimeout = std::chrono::seconds(60);  // one write (slow reader)
  static constexpr std::size_t kMaxDrain = 64 * 1024 * 1024;       // discarded after a 413

  // The route's handle on this session's current answer.
  class Reply final : public HttpReply {
   public:
    Reply(std::weak_ptr<HttpSession> s, std::uint64_t gen) : s_(std::move(s)), gen_(gen) {}
    ~Reply() override {
      // A route that dropped the request without answering: the client is not left hanging.
      if (state_ == kPending)
        if (auto s = live())
          s->write_answer(HttpAnswer{500, "application/json",
                                     R"({"error":{"message":"no answer","type":"server_error"}})"});
      if (state_ == kStreaming)
        if (auto s = live()) s->stream_end();
    }
    void answer(HttpAnswer a) override {
      if (state_ != kPending) return;
      state_ = kDone;
      if (auto s = live()) s->write_answer(std::move(a));
    }
    void stream(int status, std::string content_type,
                std::vector<std::pair<std::string, std::string>> headers) override {
      if (state_ != kPending) return;
      state_ = kStreaming;
      if (auto s = live()) s->stream_begin(status, content_type, headers);
    }
    bool write(std::string chunk) override {
      if (state_ != kStreaming) return false;
      auto s = live();
      return s && s->stream_write(std::move(chunk));
    }
    void end() override {
      if (state_ != kStreaming) return;
      state_ = kDone;
      if (auto s = live()) s->stream_end();
    }
    void on_cancel(std::function<void()> fn) override { cancel_ = std::move(fn); }
    bool is_open() const override { return state_ != kDone && !cancelled_ && live() != nullptr; }
    // The peer went away (or was too slow): tell the route, once.
    void cancelled() {
      if (cancelled_) return;
      cancelled_ = true;
      if (state_ != kDone) state_ = kDone;
      if (auto fn = std::move(cancel_)) fn();
    }

   private:
    enum State { kPending, kStreaming, kDone };
    std::shared_ptr<HttpSession> live() const {
      auto s = s_.lock();
      return s && s->gen_ == gen_ && !s->closed_ ? s : nullptr;
    }
    std::weak_ptr<HttpSession> s_;
    std::uint64_t gen_;
    State state_ = kPending;
    bool cancelled_ = false;
    std::function<void()> cancel_;
  };

  // ---------------------------------------------------------------- reading

  // Reads the next request's header. While an answer is pending this read is also the
  // watcher: it fails when the peer goes away.
  void read_header() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    // No body limit yet: a header announcing too big a body is answered 413 (begin_request),
    // not dropped as a failed read.
    parser_->body_limit(boost::none);
    header_pending_ = true;
    if (!busy_) arm_idle();
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              self->on_header(ec);
                            });
  }

  void arm_idle() {
    idle_.expires_after(kIdleTimeout);
    idle_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->busy_ || !self->header_pending_) return;
      beast::error_code ignored;
      beast::get_lowest_layer(self->stream_).socket().close(ignored);  // idle: let it go
    });
  }

  void on_header(beast::error_code ec) {
    header_pending_ = false;
    idle_.cancel();
    if (ec) {
      // Peer gone, timeout or garbage. With an answer pending this is the watcher firing.
      if (busy_) peer_gone();
      return;
    }
    if (busy_) {
      pipelined_ = true;  // handled once the current answer is written
      return;
    }
    begin_request();
  }

  void begin_request() {
    Request& req = parser_->get();
    const std::size_t limit = gw_.limits().max_http_body;
    if (auto n = parser_->content_length(); n && *n > limit) return too_large(req.version());
    parser_->body_limit(limit);
    if (beast::iequals(req[http::field::expect], "100-continue") && req.version() >= 11) {
      static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
      return boost::asio::async_write(
          stream_, boost::asio::buffer(kContinue),
          [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (!ec) self->read_body();
          });
    }
    read_body();
  }

  void read_body() {
    beast::get_lowest_layer(stream_).expires_after(kBodyTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_body(ec);
                     });
  }

  void on_body(beast::error_code ec) {
    if (ec == http::error::body_limit) return too_large(parser_->get().version());
    if (ec) return;
    beast::get_lowest_layer(stream_).expires_never();
    Request& req = parser_->get();
    if (websocket::is_upgrade(req)) return upgrade(parser_->release());
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.accept = std::string(req[http::field::accept]);
    r.accept_encoding = std::string(req[http::field::accept_encoding]);
    r.authorization = std::string(req[http::field::authorization]);
    r.host = std::string(req[http::field::host]);
    for (const auto& f : req) {
      if (r.headers.size() >= HttpRequest::kMaxHeaders) break;
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      r.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    r.body = std::move(req.body());
    PeerInfo peer = request_peer(req);
    peer.origin = std::string(req[http::field::origin]);
    peer.user_agent = std::string(req[http::field::user_agent]).substr(0, 256);
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    head_ = req.method() == http::verb::head;
    busy_ = true;
    ++gen_;
    auto reply = std::make_shared<Reply>(this->weak_from_this(), gen_);
    reply_ = reply;
    read_header();  // the watcher (and the next request, if pipelined)
    gw_.route_http(r, peer, std::move(reply));
  }

  // ---------------------------------------------------------------- writing

  void write_answer(HttpAnswer a) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(a.status), version_);
    res->set(http::field::server, "simpleclaw/" SIMPLECLAW_VERSION);
    res->set(http::field::content_type, a.content_type);
    res->set(http::field::cache_control, a.cache_control);
    if (!a.allow.empty()) res->set(http::field::allow, a.allow);
    for (auto& [name, value] : a.headers) res->set(name, value);
    res->keep_alive(keep_alive_);
    res->body() = std::move(a.body);
    res->prepare_payload();  // Content-Length of the full body, HEAD included
    if (head_) res->body().clear();
    bool keep = res->keep_alive();
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(
        stream_, *res,
        [self = this->shared_from_this(), res, keep](beast::error_code ec, std::size_t) {
          if (ec) return self->peer_gone();
          self->answered(keep);
        });
  }

  void stream_begin(int status, const std::string& content_type,
                    const std::vector<std::pair<std::string, std::string>>& headers) {
    chunked_ = version_ >= 11;
    if (!chunked_) keep_alive_ = false;  // HTTP/1.0: the body ends with the connection
    http::response<http::empty_body> res(static_cast<http::status>(status), version_);
    res.set(http::field::server, "simpleclaw/" SIMPLECLAW_VERSION);
    res.set(http::field::content_type, content_type);
    res.set(http::field::cache_control, "no-store");
    for (const auto& [name, value] : headers) res.set(name, value);
    res.keep_alive(keep_alive_);
    if (chunked_) res.chunked(true);
    std::string head = "HTTP/" + std::to_string(version_ / 10) + "." +
                       std::to_string(version_ % 10) + " " + std::to_string(status) + " " +
                       std::string(res.reason()) + "\r\n";
    for (const auto& f : res) {
      head += std::string_view(f.name_string());
      head += ": ";
      head += std::string_view(f.value());
      head += "\r\n";
    }
    head += "\r\n";
    queue(std::move(head));
  }

  bool stream_write(std::string chunk) {
    if (chunk.empty() || head_) return true;
    if (out_bytes_ + chunk.size() > HttpReply::kMaxBuffered) {
      log::info("HTTP stream to {}: reader too slow ({} bytes queued); closing", peer_.remote_ip,
                out_bytes_);
      beast::error_code ignored;
      beast::get_lowest_layer(stream_).socket().close(ignored);
      peer_gone();
      return false;
    }
    if (chunked_) {
      char size[24];
      int n = std::snprintf(size, sizeof size, "%zx\r\n", chunk.size());
      chunk.insert(0, size, static_cast<std::size_t>(n));
      chunk += "\r\n";
    }
    queue(std::move(chunk));
    return true;
  }

  void stream_end() {
    end_queued_ = true;
    if (chunked_ && !head_) queue("0\r\n\r\n");
    if (!writing_) flush();
  }

  void queue(std::string bytes) {
    out_bytes_ += bytes.size();
    out_.push_back(std::move(bytes));
    if (!writing_) flush();
  }

  void flush() {
    if (closed_) return;
    if (out_.empty()) {
      if (end_queued_) {
        end_queued_ = false;
        answered(keep_alive_);
      }
      return;
    }
    writing_ = true;
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    boost::asio::async_write(stream_, boost::asio::buffer(out_.front()),
                             [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                               self->writing_ = false;
                               if (ec) return self->peer_gone();
                               self->out_bytes_ -= self->out_.front().size();
                               self->out_.pop_front();
                               self->flush();
                             });
  }

  // The current answer is on the wire: the next request, or the end of the connection.
  void answered(bool keep) {
    busy_ = false;
    reply_.reset();
    chunked_ = false;
    ++gen_;  // the reply that answered can no longer touch this session
    if (!keep) return shutdown();
    if (pipelined_) {
      pipelined_ = false;
      return begin_request();
    }
    if (header_pending_) arm_idle();
  }

  void peer_gone() {
    if (closed_) return;
    closed_ = true;
    out_.clear();
    out_bytes_ = 0;
    if (auto r = reply_.lock()) r->cancelled();
    reply_.reset();
    beast::error_code ignored;
    beast::get_lowest_layer(stream_).socket().close(ignored);
  }

  void too_large(unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(http::status::payload_too_large,
                                                                   version);
    res->set(http::field::server, "simpleclaw/" SIMPLECLAW_VERSION);
    res->set(http::field::content_type, "application/json");
    res->body() = R"j({"error":{"message":"request body too large: the limit is )j" +
                  std::to_string(gw_.limits().max_http_body) +
                  R"j( bytes (gateway.http.max_body_bytes)","type":"invalid_request_error"}})j";
    res->keep_alive(false);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, std::size_t) {
                        if (ec) return;
                        self->shutdown();
                        if constexpr (!std::is_same_v<Stream, TlsStream>) self->drain(0);
                      });
  }

  // After a 413: reads and discards what the client still sends (up to kMaxDrain, for a
  // few seconds), so closing does not reset the connection before it read the answer.
  void drain(std::size_t seen) {
    if (seen > kMaxDrain) return;
    if (seen == 0) beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    buffer_.clear();
    stream_.async_read_some(buffer_.prepare(64 * 1024), [self = this->shared_from_this(), seen](
                                                            beast::error_code ec, std::size_t n) {
      if (!ec) self->drain(seen + n + 1);
    });
  }

  void reject(int status, const Request& req) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), req.version());
    res->set(http::field::content_type, "application/json");
    res->body() = status == 403 ? R"({"ok":false,"error":"origin not allowed"})"
                                : R"({"ok":false,"error":"too many connections; retry later"})";
    if (status == 503) res->set(http::field::retry_after, "5");
    res->keep_alive(false);
    res->prepare_payload();
    auto self = this->shared_from_this();
    http::async_write(stream_, *res,
                      [self, res](beast::error_code, std::size_t) { self->shutdown(); });
  }

  // Every line of a header, joined as one list.
  static std::string header_list(const Request& req, std::string_view name) {
    std::string out;
    auto [it, end] = req.equal_range(name);
    for (; it != end; ++it) {
      if (!out.empty()) out += ", ";
      out += std::string_view(it->value());
    }
    return out;
  }

  // Whom this request speaks for: the socket's peer, or the client a trusted reverse
  // proxy names (a proxy's keep-alive connection carries many clients' requests, so this
  // is decided per request, never kept in peer_).
  PeerInfo request_peer(const Request& req) const {
    PeerInfo p = peer_;
    ForwardingHeaders h{header_list(req, "X-Forwarded-For"), header_list(req, "Forwarded")};
    if (!h.x_forwarded_for.empty() || !h.forwarded.empty()) gw_.resolve_client(p, h);
    return p;
  }

  void upgrade(Request req) {
    idle_.cancel();
    PeerInfo peer = request_peer(req);
    peer.origin = std::string(req[http::field::origin]);
    peer.user_agent = std::string(req[http::field::user_agent]).substr(0, 256);
    std::string_view protos = req[http::field::sec_websocket_protocol];
    for (std::size_t pos = 0; pos < protos.size();) {
      auto comma = protos.find(',', pos);
      std::string_view p =
          protos.substr(pos, comma == std::string_view::npos ? protos.npos : comma - pos);
      while (!p.empty() && p.front() == ' ') p.remove_prefix(1);
      while (!p.empty() && p.back() == ' ') p.remove_suffix(1);
      if (p == protocol::kMsgpackSubprotocol) peer.msgpack = true;
      if (comma == std::string_view::npos) break;
      pos = comma + 1;
    }
    if (int status = gw_.admit_upgrade(peer, req[http::field::host]); status != 0)
      return reject(status, req);
    beast::get_lowest_layer(stream_).expires_never();  // the WebSocket has its own timers
    TransportHandler::Limits limits = gw_.limits();
    std::make_shared<WsSession<Stream>>(std::move(stream_), gw_, peer, limits.max_buffered,
                                        limits.max_preauth_frame, limits.handshake_ms)
        ->run(std::move(req));
  }

  void shutdown() {
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      // A TLS shutdown reads too: never beside the header read that watches the peer.
      if (header_pending_) return beast::get_lowest_layer(stream_).socket().close(ec);
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    }
  }

  Stream stream_;
  TransportHandler& gw_;
  PeerInfo peer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  boost::asio::steady_timer idle_;
  // The request being answered.
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool head_ = false;
  bool busy_ = false;            // an answer is pending or being written
  bool header_pending_ = false;  // a header read is in flight
  bool pipelined_ = false;       // the next request's header arrived while busy
  bool closed_ = false;          // the peer went away: nothing more is written
  std::uint64_t gen_ = 0;        // which request a Reply belongs to
  std::weak_ptr<Reply> reply_;
  // A streamed answer's outbound bytes (one write in flight).
  std::deque<std::string> out_;
  std::size_t out_bytes_ = 0;
  bool writing_ = false;
  bool chunked_ = false;
  bool end_queued_ = false;
};

}  // namespace simpleclaw::gateway
