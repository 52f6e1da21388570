#include "gateway/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "base/log.h"

namespace simpleclaw::gateway {
namespace {

std::string take_env(const char* name) {
  const char* v = std::getenv(name);
  std::string out = v ? v : "";
  ::unsetenv(name);
  return out;
}

// STATUS= is one line: newlines would start new assignments.
std::string one_line(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  if (s.size() > 200) s.resize(200);  // bounded datagram
  return s;
}

}  // namespace

ServiceNotifier::ServiceNotifier(boost::asio::io_context& io) : timer_(io) {
  socket_path_ = take_env("NOTIFY_SOCKET");
  // Only absolute paths and abstract names are valid, and they must fit sun_path.
  if (!socket_path_.empty() && ((socket_path_[0] != '/' && socket_path_[0] != '@') ||
                                socket_path_.size() >= sizeof(sockaddr_un::sun_path))) {
    log::warn("NOTIFY_SOCKET '{}' is not a usable socket path: not notifying systemd",
              socket_path_);
    socket_path_.clear();
  }
  std::string usec_text = take_env("WATCHDOG_USEC");
  std::string pid_text = take_env("WATCHDOG_PID");
  // WATCHDOG_PID names the process the watchdog is meant for (a wrapper may have forked).
  if (!pid_text.empty() && pid_text != std::to_string(::getpid())) return;
  char* end = nullptr;
  unsigned long long usec = std::strtoull(usec_text.c_str(), &end, 10);
  if (!usec_text.empty() && end && *end == '\0' && usec > 0 && !socket_path_.empty())
    interval_ = std::chrono::microseconds(static_cast<long long>(usec / 2));
}

void ServiceNotifier::notify(const std::string& text) {
  if (socket_path_.empty()) return;
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return log::debug("sd_notify: socket: {}", std::strerror(errno));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, socket_path_.data(), socket_path_.size());
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';  // abstract namespace
  auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socket_path_.size());
  if (::sendto(fd, text.data(), text.size(), MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&addr),
               len) < 0)
    log::debug("sd_notify: send to {}: {}", socket_path_, std::strerror(errno));
  ::close(fd);
}

ServiceNotifier::~ServiceNotifier() { timer_.cancel(); }

void ServiceNotifier::ready(const std::string& status) {
  notify("READY=1\nSTATUS=" + one_line(status));
  if (watchdog_enabled()) {
    log::info("systemd watchdog: pinging every {} ms", interval_.count() / 1000);
    notify("WATCHDOG=1");
    arm();
  }
}

void ServiceNotifier::status(const std::string& status) { notify("STATUS=" + one_line(status)); }

void ServiceNotifier::stopping(const std::string& status) {
  notify("STOPPING=1\nSTATUS=" + one_line(status));
}

void ServiceNotifier::reloading(const std::string& status) {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  long long usec = static_cast<long long>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
  notify("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec) + "\nSTATUS=" + one_line(status));
}

void ServiceNotifier::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    notify("WATCHDOG=1");
    arm();
  });
}

}  // namespace simpleclaw::gateway
