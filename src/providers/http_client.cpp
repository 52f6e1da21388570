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
#include "providers/http_client.h"

#include <openssl/evp.h>
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

#include "providers/tls_client.h"

namespace simpleclaw::providers {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 16 * 1024;  // the most one read asks for

char to_lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower_char(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower_char(a[i]) != to_lower_char(b[i])) return false;
  return true;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

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

bool parse_ip(std::string_view host, net::ip::address& out) {
  error_code ec;
  out = net::ip::make_address(std::string(host), ec);
  return !ec;
}

bool is_loopback_host(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host == "localhost" || ends_with(host, ".localhost")) return true;
  net::ip::address a;
  if (!parse_ip(host, a)) return false;
  if (a.is_v4()) return (a.to_v4().to_uint() >> 24) == 127;
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return (net::ip::make_address_v4(net::ip::v4_mapped, v6).to_uint() >> 24) == 127;
  return v6.is_loopback();
}

// "host[:port]" or "[v6][:port]" -> lowercased host (no brackets) and a port in 1..65535
// (`default_port` when absent or empty). Returns "" or the reason it is invalid.
std::string parse_host_port(std::string_view hp, std::string_view default_port, std::string& host,
                            std::string& port) {
  if (hp.empty()) return "no host";
  std::string_view port_part;
  bool has_port = false;
  if (hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos) return "missing ']' after an IPv6 address";
    std::string_view h = hp.substr(1, close - 1);
    net::ip::address a;
    if (!parse_ip(h, a) || !a.is_v6()) return "'[" + std::string(h) + "]' is not an IPv6 address";
    host = to_lower(h);
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected characters after ']'";
      port_part = rest.substr(1);
      has_port = true;
    }
  } else {
    auto colon = hp.find(':');
    if (colon != std::string_view::npos && hp.find(':', colon + 1) != std::string_view::npos)
      return "an IPv6 address must be written in brackets, e.g. [::1]";
    std::string_view h = hp.substr(0, colon);
    if (h.empty()) return "no host";
    for (char c : h) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '-' || c == '.' || c == '_';
      if (!ok) return "invalid character '" + std::string(1, c) + "' in host";
    }
    host = to_lower(h);
    if (colon != std::string_view::npos) {
      port_part = hp.substr(colon + 1);
      has_port = true;
    }
  }
  if (!has_port || port_part.empty()) {
    port = std::string(default_port);
    return "";
  }
  if (!is_digits(port_part)) return "invalid port '" + std::string(port_part) + "'";
  unsigned long n = port_part.size() > 5 ? 0 : std::stoul(std::string(port_part));
  if (n == 0 || n > 65535) return "port " + std::string(port_part) + " out of range (1-65535)";
  port = std::to_string(n);
  return "";
}

// "host:port" for messages and Host/CONNECT lines (IPv6 in brackets).
std::string join_host_port(const std::string& host, const std::string& port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = to_lower_char(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// A proxy setting: "http://[user:pass@]host[:port][/]" or "host:port". Port 1080 when
// absent (as curl). Credentials are percent-decoded and kept only as the header value.
struct Proxy {
  std::string error;  // "" = ok; never contains the credentials
  std::string host, port;
  std::string authorization;  // "Basic ..." or ""
};

Proxy parse_proxy(std::string_view s) {
  Proxy p;
  s = trim(s);
  if (has_space_or_control(s)) {
    p.error = "the proxy URL contains a space or control character";
    return p;
  }
  auto sep = s.find("://");
  if (sep != std::string_view::npos) {
    std::string scheme = to_lower(s.substr(0, sep));
    if (scheme != "http") {
      p.error = "unsupported proxy scheme '" + scheme + "' (only http:// proxies)";
      return p;
    }
    s = s.substr(sep + 3);
  }
  // Credentials end at the last '@' (a password may hold an unencoded '/'), so nothing of
  // them reaches the host/port parser or its error messages.
  auto at = s.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = s.substr(0, at);
    s = s.substr(at + 1);
    auto colon = userinfo.find(':');
    std::string user = percent_decode(userinfo.substr(0, colon));
    std::string pass =
        colon == std::string_view::npos ? "" : percent_decode(userinfo.substr(colon + 1));
    p.authorization = "Basic " + base64(user + ":" + pass);
  }
  s = s.substr(0, s.find_first_of("/?#"));
  if (auto err = parse_host_port(s, "1080", p.host, p.port); !err.empty())
    p.error = "invalid proxy: " + err;
  return p;
}

// no_proxy: comma list; "*" = everything; an entry matches the host itself or any
// subdomain (leading '.' optional); IP literals match exactly; ":port" suffixes ignored.
bool no_proxy_matches(std::string_view list, std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  net::ip::address host_ip;
  bool host_is_ip = parse_ip(host, host_ip);
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string entry = to_lower(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.front() == '[') {
      auto close = entry.find(']');
      entry = entry.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      entry.resize(entry.find(':'));
    }
    net::ip::address entry_ip;
    if (parse_ip(entry, entry_ip) || host_is_ip) {
      if (host_is_ip && parse_ip(entry, entry_ip) && entry_ip == host_ip) return true;
      continue;
    }
    while (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (!entry.empty() && entry.back() == '.') entry.pop_back();
    if (entry.empty()) continue;
    if (host == entry) return true;
    if (host.size() > entry.size() && ends_with(host, entry) &&
        host[host.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

// --- TLS contexts ---------------------------------------------------------------------

bool is_tls_error(const error_code& ec) {
  return ec.category() == net::error::get_ssl_category() ||
         ec.category() == ssl::error::get_stream_category();
}

// --- connections and the pool ---------------------------------------------------------

// One TCP connection, with TLS on top when https. Heap-held so it can move between a
// call and the pool (the TLS stream refers to the socket).
struct Conn {
  explicit Conn(net::io_context& io) : socket(io) {}
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
    std::unique_ptr<Conn> conn;
    Clock::time_point since;
  };
  std::deque<Idle> idle;  // oldest first

  void expire(Clock::time_point now) {
    while (!idle.empty() && now - idle.front().since > kMaxIdle) idle.pop_front();
  }
  // The newest idle connection to `origin` that still looks usable.
  std::unique_ptr<Conn> take(const std::string& origin) {
    expire(Clock::now());
    for (auto it = idle.end(); it != idle.begin();) {
      --it;
      if (it->origin != origin) continue;
      std::unique_ptr<Conn> c = std::move(it->conn);
      it = idle.erase(it);
      // Between responses the server has nothing to say: readable means it closed the
      // connection (EOF) or sent junk. Either way, not reusable.
      pollfd p{c->socket.native_handle(), POLLIN, 0};
      if (::poll(&p, 1, 0) == 0) return c;
    }
    return nullptr;
  }
  void put(const std::string& origin, std::unique_ptr<Conn> c) {
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
  Call(net::io_context& io, HttpRequest req, HttpOptions opts, HttpCallbacks cb)
      : io_(io),
        req_(std::move(req)),
        opts_(std::move(opts)),
        cb_(std::move(cb)),
        resolver_(io),
        conn_(std::make_unique<Conn>(io)),
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

  net::io_context& io_;
  HttpRequest req_;
  HttpOptions opts_;
  HttpCallbacks cb_;
  Url url_;
  std::string where_;  // "host:port" of the target, for messages
  std::optional<Proxy> proxy_;
  std::string head_out_;     // the request head
  std::string connect_out_;  // the CONNECT request for a tunnel

  tcp::resolver resolver_;
  std::vector<tcp::endpoint> endpoints_;
  std::unique_ptr<Conn> conn_;
  std::string origin_;       // pool key: scheme, host:port, proxy, CA file
  bool reused_ = false;      // conn_ came from the pool (it may have gone stale)
  bool keep_alive_ = false;  // the response allows reusing the connection

  net::steady_timer phase_timer_;
  net::steady_timer total_timer_;
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
    Proxy p = parse_proxy(proxy_url);
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
    if (std::unique_ptr<Conn> c = opts_.pool->impl_->take(origin_)) {
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
  net::ip::address ip;
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
  conn_ = std::make_unique<Conn>(io_);
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
  net::async_connect(conn_->socket, endpoints_,
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
  net::async_write(conn_->socket, net::buffer(connect_out_),
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
  std::array<net::const_buffer, 2> buffers{net::buffer(head_out_), net::buffer(req_.body)};
  with_stream([&](auto& stream) {
    net::async_write(stream, buffers,
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
  auto buffer = net::buffer(in_.data() + in_end_, std::min(kReadChunk, in_.size() - in_end_));
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
    if (ec == net::error::eof || ec == ssl::error::stream_truncated)
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
        parser_->put(net::const_buffer(in_.data() + in_begin_, in_end_ - in_begin_), ec);
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
  if (finished_) ec = net::error::operation_aborted;  // stop the parser
}

void Call::on_parsed_body(std::string_view body, error_code& ec) {
  if (finished_) {
    ec = net::error::operation_aborted;
    return;
  }
  if (body.empty() || !cb_.on_body) return;
  cb_.on_body(body);
  if (finished_) ec = net::error::operation_aborted;
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
  if (finished_ || ec == net::error::operation_aborted) return;
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
    conn_ = std::make_unique<Conn>(io_);
  } else {
    conn_->socket.close(ignored);  // pending reads/writes/handshakes complete with an error
  }
  net::post(io_, [self = shared_from_this(), error = std::move(error)]() {
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

Url parse_url(std::string_view s) {
  Url u;
  auto fail = [&](const std::string& why) {
    Url bad;
    bad.error = "invalid URL: " + why;
    return bad;
  };
  if (s.empty()) return fail("empty");
  if (has_space_or_control(s)) return fail("it contains a space or a control character");
  auto sep = s.find("://");
  if (sep == std::string_view::npos)
    return fail("expected http://host[:port]/path or https://host[:port]/path");
  std::string scheme = to_lower(s.substr(0, sep));
  if (scheme == "https")
    u.https = true;
  else if (scheme != "http")
    return fail("unsupported scheme '" + scheme.substr(0, 16) + "' (only http and https)");
  std::string_view rest = s.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials in the URL (user@host) are not supported");
  if (auto err = parse_host_port(authority, u.https ? "443" : "80", u.host, u.port); !err.empty())
    return fail(err);
  tail = tail.substr(0, tail.find('#'));  // a fragment is never sent
  if (tail.empty())
    u.target = "/";
  else if (tail.front() == '?')
    u.target = "/" + std::string(tail);
  else
    u.target = std::string(tail);
  u.ok = true;
  return u;
}

std::string proxy_for(const Url& url, const std::function<const char*(const char*)>& getenv_fn) {
  if (!url.ok || !getenv_fn || is_loopback_host(url.host)) return "";
  // Lowercase first (as curl); an empty value counts as unset.
  auto env = [&](const char* lower, const char* upper) -> std::string {
    for (const char* name : {lower, upper}) {
      const char* v = getenv_fn(name);
      if (v != nullptr && !trim(v).empty()) return std::string(trim(v));
    }
    return "";
  };
  std::string proxy =
      url.https ? env("https_proxy", "HTTPS_PROXY") : env("http_proxy", "HTTP_PROXY");
  if (proxy.empty()) return "";
  if (no_proxy_matches(env("no_proxy", "NO_PROXY"), url.host)) return "";
  return proxy;
}

std::shared_ptr<HttpCall> http_start(boost::asio::io_context& io, HttpRequest req, HttpOptions opts,
                                     HttpCallbacks cb) {
  auto call = std::make_shared<Call>(io, std::move(req), std::move(opts), std::move(cb));
  call->start();
  return call;
}

}  // namespace simpleclaw::providers
