// The gateway's side of a systemd Type=notify service (sd_notify(3) via libsystemd):
// READY=1 (+ STATUS=) once the listener is bound and start-up is done, WATCHDOG=1 from an
// event-loop timer at half of WatchdogSec (so a stuck loop stops pinging and systemd
// restarts the process: that is the point of pinging from the loop, not from a thread),
// STOPPING=1 when graceful shutdown starts. Without NOTIFY_SOCKET (not run by systemd,
// or by PM2/nohup) every call is a no-op.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <string>

namespace simpleclaw::gateway {

class ServiceNotifier {
 public:
  // Reads (and removes from the environment, so the exec tool's children do not
  // inherit them) WATCHDOG_USEC/WATCHDOG_PID. NOTIFY_SOCKET stays: sd_notify reads it on
  // every call; the unit's NotifyAccess=main ignores anything a child might send.
  explicit ServiceNotifier(boost::asio::io_context& io);
  ~ServiceNotifier();

  void ready(const std::string& status);     // READY=1 + STATUS=<status>; starts the watchdog
  void status(const std::string& status);    // STATUS=<status>
  void stopping(const std::string& status);  // STOPPING=1 + STATUS=; the watchdog keeps going
  bool watchdog_enabled() const { return interval_.count() > 0; }
  std::chrono::microseconds watchdog_interval() const { return interval_; }

 private:
  void arm();
  boost::asio::steady_timer timer_;
  std::chrono::microseconds interval_{0};  // half of WATCHDOG_USEC; 0 = off
};

}  // namespace simpleclaw::gateway
