// A real NATS server for tests: Debian's nats-server on a free 127.0.0.1 port with a
// user and password, stopped and started again on the same port on demand (a server
// restart, an outage). Header-only, for tests only; the child dies with the test.
#pragma once
#include <string>

#include "fakes/ngircd.h"  // ChildProcess, wait_port

namespace fakes {

class NatsServer {
 public:
  explicit NatsServer(std::string user = "sc", std::string password = "test-pass-41")
      : user_(std::move(user)), password_(std::move(password)) {
    char tmpl[] = "/tmp/sc-nats-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    port_ = free_port();
  }
  ~NatsServer() {
    child_.kill(SIGKILL);
    std::filesystem::remove_all(dir_);
  }
  // `extra`: more flags, e.g. {"--tls", "--tlscert", pem, "--tlskey", key} (TLS required).
  bool start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {"/usr/sbin/nats-server",
                                     "-a",
                                     "127.0.0.1",
                                     "-p",
                                     std::to_string(port_),
                                     "--user",
                                     user_,
                                     "--pass",
                                     password_};
    args.insert(args.end(), extra.begin(), extra.end());
    if (!child_.spawn(args, dir_ + "/server.log", false)) return false;
    return wait_port(port_);
  }
  const std::string& dir() const { return dir_; }
  void stop() { child_.kill(SIGTERM); }
  int port() const { return port_; }
  std::string url() const { return "nats://127.0.0.1:" + std::to_string(port_); }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }

 private:
  std::string user_, password_, dir_;
  int port_ = 0;
  ChildProcess child_;
};

}  // namespace fakes
