// The gateway's side of a systemd Type=notify service (the sd_notify(3) protocol):
// READY=1 (+ STATUS=) once the listener is bound and start-up is done, WATCHDOG=1 from an
// event-loop timer at half of WatchdogSec (so a stuck loop stops pinging and systemd
// restarts the process: that is the point of pinging from the loop, not from a thread),
// STOPPING=1 when graceful shutdown starts. Without NOTIFY_SOCKET (not run by systemd,
// or by PM2/nohup) every call is a no-op.
//
// Why not libsystemd: linking it pulls seven shared libraries (libgcrypt, libzstd, liblzma,
// liblz4, libcap, ...) into every gateway, ~1 MB of idle RSS and ~1 ms of start-up, for
// one datagram. systemd documents the notify protocol as a stable interface meant to be
// reimplemented (sd_notify(3), "NOTES"): a datagram of KEY=VALUE lines to the AF_UNIX
// socket named in $NOTIFY_SOCKET ("@" = abstract namespace).
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
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID and removes them from the
  // environment, so the exec tool's children neither inherit nor misuse them.
  explicit ServiceNotifier(boost::asio::io_context& io);
  ~ServiceNotifier();

  void ready(const std::string& status);     // READY=1 + STATUS=<status>; starts the watchdog
  void status(const std::string& status);    // STATUS=<status>
  void stopping(const std::string& status);  // STOPPING=1 + STATUS=; the watchdog keeps going
  // RELOADING=1 + MONOTONIC_USEC + STATUS=: a restart in place (same pid); the next image
  // sends READY=1.
  void reloading(const std::string& status);
  bool watchdog_enabled() const { return interval_.count() > 0; }
  std::chrono::microseconds watchdog_interval() const { return interval_; }

 private:
  void arm();
  void notify(const std::string& text);
  boost::asio::steady_timer timer_;
  std::string socket_path_;                // "" = not run by systemd; "@..." = abstract
  std::chrono::microseconds interval_{0};  // half of WATCHDOG_USEC; 0 = off
};

}  // namespace simpleclaw::gateway
