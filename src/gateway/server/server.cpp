// The Beast-heavy part of the server: acceptors, the HTTP session (routes + upgrade) and
// the instantiation of WsSession for plain and TLS streams. See server.h.
#include "gateway/server/server.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl.hpp>
#include <optional>

#include "gateway/server/http_routes.h"
#include "gateway/server/tls.h"
#include "gateway/server/ws_session.h"

namespace simpleclaw::gateway {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

namespace {

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v4()) return (a.to_v4().to_uint() >> 24) == 127;
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return (asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint() >> 24) == 127;
  return v6.is_loopback();
}

// One HTTP connection: answers plain routes (keep-alive) until it sees a WebSocket
// upgrade, which it hands to a WsSession once the TransportHandler admits it.
template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& s, TransportHandler& gw) : stream_(std::move(s)), gw_(gw) {}

  void run() {
    auto& sock = beast::get_lowest_layer(stream_).socket();
    beast::error_code ec;
    auto ep = sock.remote_endpoint(ec);
    if (ec) return;
    sock.set_option(tcp::no_delay(true), ec);
    peer_.remote_ip =
        ep.address().is_v6() && ep.address().to_v6().is_v4_mapped()
            ? asio::ip::make_address_v4(asio::ip::v4_mapped, ep.address().to_v6()).to_string()
            : ep.address().to_string();
    peer_.remote_port = ep.port();
    peer_.loopback = is_loopback(ep.address());
    peer_.tls = std::is_same_v<Stream, TlsStream>;
    beast::get_lowest_layer(stream_).expires_after(kHeaderTimeout);
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->do_read();
                              });
    } else {
      do_read();
    }
  }

 private:
  static constexpr auto kHeaderTimeout = std::chrono::seconds(15);
  static constexpr auto kWriteTimeout = std::chrono::seconds(60);  // a slow reader of a big asset

  void do_read() {
    parser_.emplace();
    parser_->header_limit(16 * 1024);
    parser_->body_limit(64 * 1024);
    beast::get_lowest_layer(stream_).expires_after(kHeaderTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                       self->on_read(ec);
                     });
  }

  void on_read(beast::error_code ec) {
    if (ec) return;  // peer gone, timeout or garbage: nothing to answer
    auto& req = parser_->get();
    if (websocket::is_upgrade(req)) return upgrade(parser_->release());
    HttpRequest r;
    r.method = std::string(req.method_string());
    r.target = std::string(req.target());
    r.accept = std::string(req[http::field::accept]);
    r.accept_encoding = std::string(req[http::field::accept_encoding]);
    r.authorization = std::string(req[http::field::authorization]);
    r.host = std::string(req[http::field::host]);
    // No read is outstanding until the answer is written: one request at a time.
    beast::get_lowest_layer(stream_).expires_never();
    gw_.route_http(
        r, request_peer(req),
        [self = this->shared_from_this(), version = req.version(), keep_alive = req.keep_alive(),
         head = req.method() == http::verb::head](HttpAnswer a) {
          self->write_answer(std::move(a), version, keep_alive, head);
        });
  }

  void write_answer(HttpAnswer a, unsigned version, bool keep_alive, bool head) {
    auto res = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(a.status), version);
    res->set(http::field::server, "simpleclaw/" SIMPLECLAW_VERSION);
    res->set(http::field::content_type, a.content_type);
    res->set(http::field::cache_control, a.cache_control);
    if (!a.allow.empty()) res->set(http::field::allow, a.allow);
    for (auto& [name, value] : a.headers) res->set(name, value);
    res->keep_alive(keep_alive);
    res->body() = std::move(a.body);
    res->prepare_payload();  // Content-Length of the full body, HEAD included
    if (head) res->body().clear();
    bool keep = res->keep_alive();
    auto self = this->shared_from_this();
    beast::get_lowest_layer(stream_).expires_after(kWriteTimeout);
    http::async_write(stream_, *res, [self, res, keep](beast::error_code ec, std::size_t) {
      if (ec) return;
      if (keep) return self->do_read();
      self->shutdown();
    });
  }

  void reject(int status, const http::request<http::string_body>& req) {
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
  static std::string header_list(const http::request<http::string_body>& req,
                                 std::string_view name) {
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
  PeerInfo request_peer(const http::request<http::string_body>& req) const {
    PeerInfo p = peer_;
    ForwardingHeaders h{header_list(req, "X-Forwarded-For"), header_list(req, "Forwarded")};
    if (!h.x_forwarded_for.empty() || !h.forwarded.empty()) gw_.resolve_client(p, h);
    return p;
  }

  void upgrade(http::request<http::string_body> req) {
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
};

}  // namespace

struct Server::Impl {
  asio::io_context& io;
  TransportHandler& gw;
  std::unique_ptr<ssl::context> tls;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  int port = 0;

  void accept(tcp::acceptor& a) {
    a.async_accept([this, &a](beast::error_code ec, tcp::socket sock) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (tls) {
          std::make_shared<HttpSession<TlsStream>>(TlsStream(PlainStream(std::move(sock)), *tls),
                                                   gw)
              ->run();
        } else {
          std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(sock)), gw)->run();
        }
      } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space) {
        // Out of file descriptors: back off instead of spinning on the error.
        log::warn("accept failed: {}; pausing accepts for 100 ms", ec.message());
        auto t = std::make_shared<asio::steady_timer>(io, std::chrono::milliseconds(100));
        t->async_wait([this, &a, t](beast::error_code) { accept(a); });
        return;
      }
      accept(a);
    });
  }
};

Server::Server(asio::io_context& io, TransportHandler& gw)
    : impl_(new Impl{io, gw, nullptr, {}, 0}) {}
Server::~Server() = default;

Status Server::enable_tls(const TlsMaterial& m) {
  auto ctx = std::make_unique<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
  ctx->use_certificate_chain_file(m.cert_path, ec);
  if (ec) return Error::io("TLS: cannot load certificate " + m.cert_path + ": " + ec.message());
  ctx->use_private_key_file(m.key_path, ssl::context::pem, ec);
  if (ec) return Error::io("TLS: cannot load key " + m.key_path + ": " + ec.message());
  impl_->tls = std::move(ctx);
  return Ok{};
}

Status Server::listen(const std::vector<std::string>& hosts, int port) {
  for (std::size_t i = 0; i < hosts.size(); ++i) {
    boost::system::error_code ec;
    auto addr = asio::ip::make_address(hosts[i], ec);
    if (ec) return Error::invalid("invalid bind address '" + hosts[i] + "'");
    tcp::endpoint ep(addr, static_cast<unsigned short>(i == 0 ? port : impl_->port));
    auto a = std::make_unique<tcp::acceptor>(impl_->io);
    a->open(ep.protocol(), ec);
    if (!ec) a->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && addr.is_v6()) a->set_option(asio::ip::v6_only(true), ec);
    if (!ec) a->bind(ep, ec);
    if (!ec) a->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      std::string what =
          "cannot listen on " + hosts[i] + ":" + std::to_string(ep.port()) + ": " + ec.message();
      if (ec == asio::error::address_in_use)
        what += " (another gateway or program uses this port; stop it or pass --port)";
      if (i == 0) return Error::unavailable(what);
      log::warn("{}; continuing without it", what);
      continue;
    }
    if (i == 0) impl_->port = a->local_endpoint().port();
    impl_->accept(*a);
    impl_->acceptors.push_back(std::move(a));
  }
  return Ok{};
}

int Server::port() const { return impl_->port; }

void Server::stop_accepting() {
  for (auto& a : impl_->acceptors) {
    boost::system::error_code ec;
    a->close(ec);
  }
}

std::vector<std::string> bind_hosts(const std::string& bind) {
  if (bind == "loopback" || bind == "localhost") return {"127.0.0.1", "::1"};
  if (bind == "all") return {"0.0.0.0", "::"};
  return {bind};
}

}  // namespace simpleclaw::gateway
