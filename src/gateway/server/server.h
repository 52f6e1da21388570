// Server: the listening sockets (TCP, optionally TLS) for HTTP and WebSocket on one
// port. It hands each upgraded socket, and each plain HTTP request, to a TransportHandler
// (gateway/connections); Beast types stay inside server/*.cpp. Loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

class TransportHandler;
struct TlsMaterial;

class Server {
 public:
  Server(boost::asio::io_context& io, TransportHandler& handler);
  ~Server();
  Status enable_tls(const TlsMaterial& m);
  // Binds every host on `port` (0 = any free port, the same one for all hosts). The first
  // host must bind; later ones (e.g. ::1 when IPv6 is off) only warn on failure.
  Status listen(const std::vector<std::string>& hosts, int port);
  // Listens on sockets bound and listening already, inherited from systemd (socket
  // activation) or from the previous process of a `gateway restart`. Takes ownership.
  Status adopt(const std::vector<int>& fds);
  int port() const;
  // HTTP connections accepted and not yet upgraded or finished.
  std::size_t sessions_in_progress() const;
  // Closes the listening sockets: later connection attempts are refused.
  void stop_accepting();
  // Stops accepting but keeps the sockets open: connections wait in the kernel's backlog
  // (a restart hands them to the next process, which accepts them).
  void pause_accepting();
  // Duplicates of the listening sockets, without close-on-exec, for the next process of a
  // restart (the sockets themselves close with this object).
  std::vector<int> listener_fds() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What a bind setting means: loopback -> 127.0.0.1 + ::1, all -> 0.0.0.0 + ::, else itself.
std::vector<std::string> bind_hosts(const std::string& bind);

}  // namespace simpleclaw::gateway
