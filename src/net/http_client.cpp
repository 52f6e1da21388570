// The streaming HTTP/1.1 client (see http_client.h): URL and proxy parsing, and Call, one
// request's state machine on the loop:
//
//   resolve -> connect -> [CONNECT tunnel] -> [TLS handshake] -> write -> read head -> body
//
// Bytes are read in bounded pieces into one buffer and fed to a Beast basic_parser whose
// callbacks hand each piece of body (chunk framing removed) straight to on_body, so nothing
// is buffered beyond one read. One steady_timer carries the phase deadline (connect, first
// byte, idle), another the total deadline. Every completion handler holds a shared_ptr to
// the Call and returns at once when the call has finished, so finish() (error, timeout,
// cancel, or end of body) is the single place that closes the socket and posts on_done.
#include "net/http_client.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <poll.h>

#include <algorithm>
#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <vector>

#include "net/tls_client.h"

namespace simpleclaw::net {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;  // the most one read asks for

// RFC 9110 token (method and header names).
bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    bool ok = (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
              std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
    if (!ok || u == 0) return false;
  }
  return true;
}

// --- TLS contexts ---------------------------------------------------------------------

bool is_tls_error(const error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() ||
         ec.category() == ssl::error::get_stream_category();
}

// --- connections and the pool ---------------------------------------------------------

// One TCP connection, with TLS on top when https. Heap-held so it can move between a
// call and the pool (the TLS stream refers to the socket).
struct HttpConn {
  explicit HttpConn(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::shared_ptr<ssl::context> tls_ctx;
  std::optional<ssl::stream<tcp::socket&>> tls;  // after socket: destroyed first
};

}  // namespace

struct ConnectionPool::Impl {
  static constexpr std::size_t kPerOrigin = 8, kTotal = 64;
  static constexpr std::chrono::seconds kMaxIdle{30};
  struct Idle {
    std::string origin;
    std::unique_ptr<HttpConn> conn;
    Clock::time_point since;
  };
  std::deque<Idle> idle;  // oldest first

  void expire(Clock::time_point now) {
    while (!idle.empty() && now - idle.front().since > kMaxIdle) idle.pop_front();
  }
  // The newest idle connection to `origin` that still looks usable.
  std::unique_ptr<HttpConn> take(const std::string& origin) {
    expire(Clock::now());
    for (auto it = idle.end(); it != idle.begin();) {
      --it;
      if (it->origin != origin) continue;
      std::unique_ptr<HttpConn> c = std::move(it->conn);
      it = idle.erase(it);
      // Between responses the server has nothing to say: readable means it closed the
      // connection (EOF) or sent junk. Either way, not reusable.
      pollfd p{c->socket.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) return c;
    }
    return nullptr;
  }
  void put(const std::string& origin, std::unique_ptr<HttpConn> c) {
    expire(Clock::now());
    auto same = [&](const Idle& i) { return i.origin == origin; };
    if (static_cast<std::size_t>(std::count_if(idle.begin(), idle.end(), same)) >= kPerOrigin)
      idle.erase(std::find_if(idle.begin(), idle.end(), same));  // the oldest of them
    if (idle.size() >= kTotal) idle.pop_front();
    idle.push_back(Idle{origin, std::move(c), Clock::now()});
  }
};

ConnectionPool::ConnectionPool() : impl_(std::make_unique<Impl>()) {}
ConnectionPool::~ConnectionPool() = default;
std::size_t ConnectionPool::idle() const { return impl_->idle.size(); }

namespace {

// --- the call ---------------------------------------------------------------------------

class Call final : public HttpCall, public std::enable_shared_from_this<Call> {
 public:
  Call(asio::io_context& io, HttpRequest req, HttpOptions opts, HttpCallbacks cb)
      : io_(io),
        req_(std::move(req)),
        opts_(std::move(opts)),
        cb_(std::move(cb)),
        resolver_(io),
        conn_(std::make_unique<HttpConn>(io)),
        phase_timer_(io),
        total_timer_(io) {}

  void start();
  void cancel() override {
    if (finished_) return;
    fail(HttpError::kCancelled, "request to " + where_ + " cancelled");
  }

 private:
  enum class Phase { kConnect, kFirstByte, kIdle };
  enum class Reading { kProxyHead, kResponse };

  // Beast's parser with callbacks into the Call: the head is collected here, body pieces
  // (plain or chunked, framing removed) go straight to the Call.
  class Parser final : public http::basic_parser<false> {
   public:
    explicit Parser(Call& call) : call_(call) {}
    HttpHead head;
    std::string reason;

   private:
    void on_request_impl(http::verb, boost::beast::string_view, boost::beast::string_view, int,
                         error_code&) override {}
    void on_response_impl(int code, boost::beast::string_view reason_phrase, int,
                          error_code&) override {
      head.status = code;
      reason = std::string(reason_phrase);
    }
    void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                       error_code&) override {
      head.headers.emplace_back(std::string(name), std::string(value));
    }
    void on_header_impl(error_code& ec) override { call_.on_parsed_head(ec); }
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    std::size_t on_body_impl(boost::beast::string_view body, error_code& ec) override {
      call_.on_parsed_body(std::string_view(body.data(), body.size()), ec);
      return body.size();
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
    std::size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body,
                                   error_code& ec) override {
      call_.on_parsed_body(std::string_view(body.data(), body.size()), ec);
      return body.size();
    }
    void on_finish_impl(error_code&) override {}

    Call& call_;
  };

  template <class F>
  void with_stream(F&& f) {
    if (conn_->tls)
      f(*conn_->tls);
    else
      f(conn_->socket);
  }

  std::string connect_target() const {
    return proxy_ ? "proxy " + join_host_port(proxy_->host, proxy_->port) : where_;
  }
  std::string for_target() const { return proxy_ ? " (for " + where_ + ")" : ""; }
  std::string build_request_head(std::string& error) const;
  void open_connection();
  bool retry_on_fresh_connection();
  void release_request() {
    std::string().swap(head_out_);
    std::string().swap(req_.body);
  }
  void on_resolved(const error_code& ec, const tcp::resolver::results_type& results);
  void connect();
  void on_connected(const error_code& ec);
  void send_connect();
  void start_tls();
  void on_handshake(const error_code& ec);
  void write_request();
  void start_reading(Reading what);
  void new_parser(Reading what);
  void read_more();
  void on_read(const error_code& ec, std::size_t n);
  void feed(bool eof);
  bool message_done();  // true = keep feeding (an interim 1xx response ended)
  void on_parsed_head(error_code& ec);
  void on_parsed_body(std::string_view body, error_code& ec);
  void fail_io(const std::string& what, const error_code& ec);

  void set_phase(Phase phase, std::chrono::milliseconds timeout);
  void arm_phase_timer();
  void on_phase_timer(const error_code& ec);
  void on_timeout(bool total);

  void fail(HttpError::Kind kind, std::string message) {
    finish(HttpError{kind, std::move(message)});
  }
  void finish(std::optional<HttpError> error);

  asio::io_context& io_;
  HttpRequest req_;
  HttpOptions opts_;
  HttpCallbacks cb_;
  Url url_;
  std::string where_;  // "host:port" of the target, for messages
  std::optional<ProxySetting> proxy_;
  std::string head_out_;     // the request head
  std::string connect_out_;  // the CONNECT request for a tunnel

  tcp::resolver resolver_;
  std::vector<tcp::endpoint> endpoints_;
  std::unique_ptr<HttpConn> conn_;
  std::string origin_;       // pool key: scheme, host:port, proxy, CA file
  bool reused_ = false;      // conn_ came from the pool (it may have gone stale)
  bool keep_alive_ = false;  // the response allows reusing the connection

  asio::steady_timer phase_timer_;
  asio::steady_timer total_timer_;
  Phase phase_ = Phase::kConnect;
  Clock::time_point phase_deadline_ = Clock::time_point::max();
  bool phase_waiting_ = false;

  std::vector<char> in_;  // read buffer: [in_begin_, in_end_) not yet parsed
  std::size_t in_begin_ = 0;
  std::size_t in_end_ = 0;
  std::unique_ptr<Parser> parser_;
  Reading reading_ = Reading::kResponse;
  bool any_response_bytes_ = false;
  bool head_delivered_ = false;
  bool finished_ = false;
};

void Call::start() {
  url_ = parse_url(req_.url);
  if (!url_.ok) return fail(HttpError::kConnect, "cannot connect: " + url_.error);
  where_ = join_host_port(url_.host, url_.port);
  std::string proxy_url = opts_.proxy ? *opts_.proxy : proxy_for(url_, [](const char* name) {
    return static_cast<const char*>(std::getenv(name));
  });
  if (!proxy_url.empty()) {
    ProxySetting p = parse_proxy(proxy_url);
    if (!p.error.empty())
      return fail(HttpError::kConnect, "cannot connect to " + where_ + ": " + p.error);
    proxy_ = std::move(p);
  }
  std::string error;
  head_out_ = build_request_head(error);
  if (!error.empty()) return fail(HttpError::kProtocol, "request to " + where_ + ": " + error);

  if (opts_.total_timeout.count() > 0) {
    total_timer_.expires_after(opts_.total_timeout);
    total_timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec && !self->finished_) self->on_timeout(true);
    });
  }
  set_phase(Phase::kConnect, opts_.connect_timeout);
  if (opts_.pool) {
    origin_ = std::string(url_.https ? "https://" : "http://") + where_ + " " +
              (proxy_ ? proxy_url : std::string()) + " " + opts_.ca_file;
    if (std::unique_ptr<HttpConn> c = opts_.pool->impl_->take(origin_)) {
      conn_ = std::move(c);
      reused_ = true;
      return write_request();
    }
  }
  open_connection();
}

void Call::open_connection() {
  const std::string& host = proxy_ ? proxy_->host : url_.host;
  const std::string& port = proxy_ ? proxy_->port : url_.port;
  asio::ip::address ip;
  if (parse_ip(host, ip)) {  // no resolver round trip for literals
    if (!proxy_ && opts_.address_check) {
      if (std::string why = opts_.address_check(ip.to_string()); !why.empty())
        return fail(HttpError::kConnect, "refused " + ip.to_string() + for_target() + ": " + why);
    }
    endpoints_.emplace_back(ip, static_cast<unsigned short>(std::stoul(port)));
    return connect();
  }
  resolver_.async_resolve(
      host, port,
      [self = shared_from_this()](const error_code& ec, const tcp::resolver::results_type& r) {
        self->on_resolved(ec, r);
      });
}

// A pooled connection that failed before any response byte was most likely closed by
// the server while idle: send the request once more on a new connection. False when
// that does not apply.
bool Call::retry_on_fresh_connection() {
  if (!reused_ || any_response_bytes_ || finished_) return false;
  reused_ = false;
  error_code ignored;
  conn_->socket.close(ignored);
  conn_ = std::make_unique<HttpConn>(io_);
  in_begin_ = in_end_ = 0;
  parser_.reset();
  endpoints_.clear();
  set_phase(Phase::kConnect, opts_.connect_timeout);
  open_connection();
  return true;
}

std::string Call::build_request_head(std::string& error) const {
  if (!is_token(req_.method)) {
    error = "invalid HTTP method";
    return "";
  }
  bool default_port = url_.port == (url_.https ? "443" : "80");
  std::string host_header =
      default_port ? (url_.host.find(':') != std::string::npos ? "[" + url_.host + "]" : url_.host)
                   : where_;
  std::string out;
  out.reserve(256 + url_.target.size());
  out += req_.method;
  out += ' ';
  if (proxy_ && !url_.https) out += "http://" + host_header;  // absolute form for a proxy
  out += url_.target;
  out += " HTTP/1.1\r\nHost: " + host_header + "\r\n";
  bool has_user_agent = false;
  for (const auto& [name, value] : req_.headers) {
    if (!is_token(name)) {
      error = "invalid request header name";
      return "";
    }
    if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
      error = "invalid value for request header '" + name + "' (CR, LF or NUL)";
      return "";
    }
    // Framing is ours.
    if (iequals(name, "host") || iequals(name, "content-length") ||
        iequals(name, "transfer-encoding") || iequals(name, "connection"))
      continue;
    if (iequals(name, "user-agent")) has_user_agent = true;
    out += name + ": " + value + "\r\n";
  }
  if (!has_user_agent) out += "User-Agent: simpleclaw/" SIMPLECLAW_VERSION "\r\n";
  if (!req_.body.empty() || iequals(req_.method, "POST") || iequals(req_.method, "PUT") ||
      iequals(req_.method, "PATCH"))
    out += "Content-Length: " + std::to_string(req_.body.size()) + "\r\n";
  if (proxy_ && !url_.https && !proxy_->authorization.empty())
    out += "Proxy-Authorization: " + proxy_->authorization + "\r\n";
  out += opts_.pool ? "\r\n" : "Connection: close\r\n\r\n";
  return out;
}

void Call::on_resolved(const error_code& ec, const tcp::resolver::results_type& results) {
  if (finished_) return;
  if (ec)
    return fail(HttpError::kConnect,
                "cannot resolve " + connect_target() + for_target() + ": " + ec.message());
  std::string refused;
  for (const auto& entry : results) {
    if (!proxy_ && opts_.address_check) {
      std::string ip = entry.endpoint().address().to_string();
      if (std::string why = opts_.address_check(ip); !why.empty()) {
        if (refused.empty()) refused = ip + ": " + why;
        continue;
      }
    }
    endpoints_.push_back(entry.endpoint());
  }
  if (endpoints_.empty())
    return fail(HttpError::kConnect,
                "refused " + connect_target() + for_target() + " (" + refused + ")");
  connect();
}

void Call::connect() {
  asio::async_connect(conn_->socket, endpoints_,
                      [self = shared_from_this()](const error_code& ec, const tcp::endpoint&) {
                        self->on_connected(ec);
                      });
}

void Call::on_connected(const error_code& ec) {
  if (finished_) return;
  if (ec)
    return fail(HttpError::kConnect,
                "cannot connect to " + connect_target() + for_target() + ": " + ec.message());
  error_code ignored;
  conn_->socket.set_option(tcp::no_delay(true), ignored);
  if (proxy_ && url_.https) return send_connect();
  if (url_.https) return start_tls();
  write_request();
}

void Call::send_connect() {
  std::string target = where_;
  connect_out_ = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
  if (!proxy_->authorization.empty())
    connect_out_ += "Proxy-Authorization: " + proxy_->authorization + "\r\n";
  connect_out_ += "User-Agent: simpleclaw/" SIMPLECLAW_VERSION "\r\n\r\n";
  asio::async_write(conn_->socket, asio::buffer(connect_out_),
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      if (self->finished_) return;
                      if (ec)
                        return self->fail_io("sending CONNECT to " + self->connect_target(), ec);
                      self->start_reading(Reading::kProxyHead);
                    });
}

void Call::start_tls() {
  std::string error;
  conn_->tls_ctx = client_tls_context(opts_.ca_file, error);
  if (!conn_->tls_ctx) return fail(HttpError::kTls, "TLS to " + where_ + ": " + error);
  conn_->tls.emplace(conn_->socket, *conn_->tls_ctx);
  set_tls_peer_name(conn_->tls->native_handle(), url_.host);
  conn_->tls->async_handshake(
      ssl::stream_base::client,
      [self = shared_from_this()](const error_code& ec) { self->on_handshake(ec); });
}

void Call::on_handshake(const error_code& ec) {
  if (finished_) return;
  if (ec) {
    long verify = SSL_get_verify_result(conn_->tls->native_handle());
    if (verify != X509_V_OK)
      return fail(HttpError::kTls,
                  "TLS: the certificate of " + where_ + " could not be verified (" +
                      X509_verify_cert_error_string(verify) +
                      "); for a private or self-signed CA, point SSL_CERT_FILE at a PEM "
                      "bundle that includes it");
    return fail(HttpError::kTls, "TLS handshake with " + where_ + " failed: " + ec.message());
  }
  write_request();
}

void Call::write_request() {
  set_phase(Phase::kFirstByte, opts_.first_byte_timeout);
  std::array<asio::const_buffer, 2> buffers{asio::buffer(head_out_), asio::buffer(req_.body)};
  with_stream([&](auto& stream) {
    asio::async_write(stream, buffers,
                      [self = shared_from_this()](const error_code& ec, std::size_t) {
                        if (self->finished_) return;
                        if (ec) {
                          if (self->retry_on_fresh_connection()) return;
                          return self->fail_io("sending the request to " + self->where_, ec);
                        }
                        // The request is out: free it (bodies can be large), unless it
                        // may have to go out again on a fresh connection.
                        if (!self->reused_) self->release_request();
                        self->start_reading(Reading::kResponse);
                      });
  });
}

void Call::start_reading(Reading what) {
  new_parser(what);
  read_more();
}

void Call::new_parser(Reading what) {
  reading_ = what;
  parser_ = std::make_unique<Parser>(*this);
  parser_->eager(true);
  parser_->header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(opts_.max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser_->body_limit(boost::none);  // streaming: the caller bounds the body
  // No body: a tunnel's 2xx, a HEAD response.
  if (what == Reading::kProxyHead || iequals(req_.method, "HEAD")) parser_->skip(true);
}

void Call::read_more() {
  if (in_begin_ > 0) {  // keep the unparsed tail (a partial head or chunk line) at the front
    std::memmove(in_.data(), in_.data() + in_begin_, in_end_ - in_begin_);
    in_end_ -= in_begin_;
    in_begin_ = 0;
  }
  // The parser needs a whole head (or chunk-size line) in one piece: the buffer grows up to
  // the header limit plus one read, and no further.
  const std::size_t cap = opts_.max_header_bytes + kReadChunk;
  if (in_.size() - in_end_ < kReadChunk && in_.size() < cap)
    in_.resize(std::min(cap, in_end_ + kReadChunk));
  if (in_end_ == in_.size())
    return fail(HttpError::kProtocol, "the response from " + where_ + " has a line longer than " +
                                          std::to_string(cap) + " bytes");
  auto buffer = asio::buffer(in_.data() + in_end_, std::min(kReadChunk, in_.size() - in_end_));
  with_stream([&](auto& stream) {
    stream.async_read_some(
        buffer,
        [self = shared_from_this()](const error_code& ec, std::size_t n) { self->on_read(ec, n); });
  });
}

void Call::on_read(const error_code& ec, std::size_t n) {
  if (finished_) return;
  in_end_ += n;
  if (n > 0) any_response_bytes_ = true;
  if (n > 0 && head_delivered_) set_phase(Phase::kIdle, opts_.idle_timeout);
  bool eof = false;
  if (ec) {
    if (retry_on_fresh_connection()) return;
    // A peer that closes a TLS connection without close_notify ends a close-delimited body
    // the same way as a plain EOF (what browsers and curl accept too).
    if (ec == asio::error::eof || ec == ssl::error::stream_truncated)
      eof = true;
    else
      return fail_io("reading the response from " + connect_target(), ec);
  }
  if (n > 0 && reused_) {  // the connection answered: it is no longer suspect
    reused_ = false;
    release_request();
  }
  feed(eof);
}

void Call::feed(bool eof) {
  while (in_begin_ < in_end_) {
    error_code ec;
    std::size_t used =
        parser_->put(asio::const_buffer(in_.data() + in_begin_, in_end_ - in_begin_), ec);
    in_begin_ += used;
    if (finished_) return;  // a callback cancelled
    if (ec == http::error::need_more) break;
    if (ec) {
      if (ec == http::error::header_limit)
        return fail(HttpError::kProtocol, "the response head from " + where_ + " is larger than " +
                                              std::to_string(opts_.max_header_bytes) + " bytes");
      return fail(HttpError::kProtocol,
                  "malformed HTTP response from " + connect_target() + ": " + ec.message());
    }
    if (parser_->is_done()) {
      if (!message_done()) return;
      continue;
    }
    if (used == 0) break;
  }
  if (!eof) return read_more();

  if (!any_response_bytes_)
    return fail(HttpError::kConnect,
                connect_target() + " closed the connection without a response");
  error_code ec;
  if (!parser_->is_done()) parser_->put_eof(ec);
  if (finished_) return;
  if (ec || !parser_->is_done())
    return fail(HttpError::kProtocol, "the connection to " + connect_target() +
                                          " closed before the response was complete");
  message_done();
}

bool Call::message_done() {
  const HttpHead& head = parser_->head;
  if (reading_ == Reading::kProxyHead) {
    if (head.status / 100 != 2) {
      std::string status = std::to_string(head.status);
      if (!parser_->reason.empty()) status += " " + parser_->reason;
      fail(HttpError::kConnect,
           connect_target() + " refused the tunnel to " + where_ + ": HTTP " + status);
      return false;
    }
    if (in_begin_ != in_end_) {
      fail(HttpError::kProtocol, connect_target() + " sent data after its CONNECT response");
      return false;
    }
    parser_.reset();
    start_tls();
    return false;
  }
  if (head.status >= 100 && head.status < 200 && head.status != 101) {  // interim: next head
    new_parser(Reading::kResponse);
    return true;
  }
  // Reusable when the server keeps it open and nothing beyond this response was sent.
  keep_alive_ =
      opts_.pool && parser_->keep_alive() && in_begin_ == in_end_ && !(proxy_ && !url_.https);
  finish(std::nullopt);
  return false;
}

void Call::on_parsed_head(error_code& ec) {
  if (reading_ != Reading::kResponse) return;
  int status = parser_->head.status;
  if (status >= 100 && status < 200 && status != 101) return;  // interim, not the head
  head_delivered_ = true;
  set_phase(Phase::kIdle, opts_.idle_timeout);
  if (cb_.on_head) cb_.on_head(parser_->head);
  if (finished_) ec = asio::error::operation_aborted;  // stop the parser
}

void Call::on_parsed_body(std::string_view body, error_code& ec) {
  if (finished_) {
    ec = asio::error::operation_aborted;
    return;
  }
  if (body.empty() || !cb_.on_body) return;
  cb_.on_body(body);
  if (finished_) ec = asio::error::operation_aborted;
}

void Call::fail_io(const std::string& what, const error_code& ec) {
  fail(is_tls_error(ec) ? HttpError::kTls : HttpError::kConnect, what + " failed: " + ec.message());
}

// --- timers ---------------------------------------------------------------------------
// The phase timer is not cancelled on every read: set_phase only moves the deadline, and
// the waiting handler re-arms itself when it wakes up before it.

void Call::set_phase(Phase phase, std::chrono::milliseconds timeout) {
  phase_ = phase;
  phase_deadline_ = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
  if (phase_deadline_ == Clock::time_point::max()) return;  // a waiting handler re-arms
  if (!phase_waiting_ || phase_deadline_ < phase_timer_.expiry()) arm_phase_timer();
}

void Call::arm_phase_timer() {
  phase_waiting_ = true;
  phase_timer_.expires_at(phase_deadline_);  // aborts a pending wait, which then returns
  phase_timer_.async_wait(
      [self = shared_from_this()](const error_code& ec) { self->on_phase_timer(ec); });
}

void Call::on_phase_timer(const error_code& ec) {
  if (finished_ || ec == asio::error::operation_aborted) return;
  phase_waiting_ = false;
  if (Clock::now() < phase_deadline_) {
    if (phase_deadline_ != Clock::time_point::max()) arm_phase_timer();
    return;
  }
  on_timeout(false);
}

void Call::on_timeout(bool total) {
  std::string what;
  std::chrono::milliseconds limit{0};
  const char* label = "";
  switch (phase_) {
    case Phase::kConnect:
      what = "timed out connecting to " + where_;
      if (proxy_) what += " via proxy " + join_host_port(proxy_->host, proxy_->port);
      limit = opts_.connect_timeout;
      label = "connect";
      break;
    case Phase::kFirstByte:
      what = "timed out waiting for the response from " + where_;
      limit = opts_.first_byte_timeout;
      label = "first byte";
      break;
    case Phase::kIdle:
      what = "timed out waiting for the response from " + where_;
      limit = opts_.idle_timeout;
      label = "idle";
      break;
  }
  if (total) {
    limit = opts_.total_timeout;
    label = "total";
  }
  fail(HttpError::kTimeout, what + " (" + label + " " + std::to_string(limit.count()) + " ms)");
}

// --- the end ----------------------------------------------------------------------------

void Call::finish(std::optional<HttpError> error) {
  if (finished_) return;
  finished_ = true;
  error_code ignored;
  resolver_.cancel();
  phase_timer_.cancel();
  total_timer_.cancel();
  if (!error && keep_alive_) {
    opts_.pool->impl_->put(origin_, std::move(conn_));  // nothing is pending on it
    conn_ = std::make_unique<HttpConn>(io_);
  } else {
    conn_->socket.close(ignored);  // pending reads/writes/handshakes complete with an error
  }
  asio::post(io_, [self = shared_from_this(), error = std::move(error)]() {
    HttpCallbacks cb = std::move(self->cb_);
    self->cb_ = {};  // drop what the callbacks captured, even if on_done keeps `self`
    if (cb.on_done) cb.on_done(error ? &*error : nullptr);
  });
}

}  // namespace

// --- public functions -------------------------------------------------------------------

std::string HttpHead::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (iequals(key, name)) return value;
  return "";
}

std::shared_ptr<HttpCall> http_start(boost::asio::io_context& io, HttpRequest req, HttpOptions opts,
                                     HttpCallbacks cb) {
  auto call = std::make_shared<Call>(io, std::move(req), std::move(opts), std::move(cb));
  call->start();
  return call;
}

}  // namespace simpleclaw::net
