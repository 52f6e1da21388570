// The Beast-heavy part of the server: acceptors, and the instantiation of HttpSession
// (http_session.h: plain requests + upgrade) and WsSession for plain and TLS streams. See
// server.h.
#include "gateway/server/server.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl.hpp>

#include "gateway/server/http_session.h"
#include "gateway/server/tls.h"

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

}  // namespace

struct Server::Impl {
  asio::io_context& io;
  TransportHandler& gw;
  std::unique_ptr<ssl::context> tls;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  int port = 0;
  // Held by every HTTP session (until it upgrades or ends): use_count() - 1 of them live.
  std::shared_ptr<int> live = std::make_shared<int>(0);

  void accept(tcp::acceptor& a) {
    a.async_accept([this, &a](beast::error_code ec, tcp::socket sock) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        beast::error_code ignored;
        auto ep = sock.remote_endpoint(ignored);
        if (ignored) return accept(a);  // already gone
        sock.set_option(tcp::no_delay(true), ignored);
        PeerInfo peer;
        const auto addr = ep.address();
        peer.remote_ip =
            addr.is_v6() && addr.to_v6().is_v4_mapped()
                ? asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6()).to_string()
                : addr.to_string();
        peer.remote_port = ep.port();
        peer.loopback = is_loopback(addr);
        peer.tls = tls != nullptr;
        if (tls) {
          auto session = std::make_shared<HttpSession<TlsStream>>(
              TlsStream(PlainStream(std::move(sock)), *tls), gw);
          session->hold(live);
          session->run(std::move(peer));
        } else {
          auto session =
              std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(sock)), gw);
          session->hold(live);
          session->run(std::move(peer));
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
    // Commands the gateway runs must not inherit the port (they could keep it bound).
    ::fcntl(a->native_handle(), F_SETFD, FD_CLOEXEC);
    impl_->accept(*a);
    impl_->acceptors.push_back(std::move(a));
  }
  return Ok{};
}

Status Server::adopt(const std::vector<int>& fds) {
  for (int fd : fds) {
    int listening = 0;
    socklen_t len = sizeof listening;
    sockaddr_storage addr{};
    socklen_t alen = sizeof addr;
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0 ||
        (addr.ss_family != AF_INET && addr.ss_family != AF_INET6))
      return Error::invalid("inherited file descriptor " + std::to_string(fd) +
                            " is not a listening TCP socket (check the .socket unit's "
                            "ListenStream=)");
    // Commands the gateway runs must not inherit the port (they could keep it bound).
    ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    auto a = std::make_unique<tcp::acceptor>(impl_->io);
    boost::system::error_code ec;
    a->assign(addr.ss_family == AF_INET6 ? tcp::v6() : tcp::v4(), fd, ec);
    if (ec)
      return Error::io("cannot use inherited socket " + std::to_string(fd) + ": " + ec.message());
    if (impl_->port == 0) impl_->port = a->local_endpoint().port();
    impl_->accept(*a);
    impl_->acceptors.push_back(std::move(a));
  }
  if (impl_->acceptors.empty()) return Error::invalid("no inherited listening socket");
  return Ok{};
}

int Server::port() const { return impl_->port; }

std::size_t Server::sessions_in_progress() const {
  return static_cast<std::size_t>(impl_->live.use_count() - 1);
}

void Server::stop_accepting() {
  for (auto& a : impl_->acceptors) {
    boost::system::error_code ec;
    a->close(ec);
  }
}

void Server::pause_accepting() {
  for (auto& a : impl_->acceptors) {
    boost::system::error_code ec;
    a->cancel(ec);  // the pending accept ends (operation_aborted) and is not renewed
  }
}

std::vector<int> Server::listener_fds() const {
  std::vector<int> out;
  for (const auto& a : impl_->acceptors)
    if (a->is_open())
      if (int fd = ::dup(const_cast<tcp::acceptor&>(*a).native_handle()); fd >= 0)
        out.push_back(fd);  // dup() clears FD_CLOEXEC on the copy
  return out;
}

std::vector<std::string> bind_hosts(const std::string& bind) {
  if (bind == "loopback" || bind == "localhost") return {"127.0.0.1", "::1"};
  if (bind == "all") return {"0.0.0.0", "::"};
  return {bind};
}

}  // namespace simpleclaw::gateway
