#include "gateway/service_notify.h"

#include <systemd/sd-daemon.h>

#include "base/log.h"

namespace simpleclaw::gateway {
namespace {

void notify(const std::string& text) {
  int r = sd_notify(0, text.c_str());
  if (r < 0) log::debug("sd_notify failed: {}", r);
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
  uint64_t usec = 0;
  // unset_environment=1: WATCHDOG_* are for this process, not its children.
  if (sd_watchdog_enabled(1, &usec) > 0 && usec > 0)
    interval_ = std::chrono::microseconds(static_cast<long long>(usec / 2));
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

void ServiceNotifier::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    notify("WATCHDOG=1");
    arm();
  });
}

}  // namespace simpleclaw::gateway
