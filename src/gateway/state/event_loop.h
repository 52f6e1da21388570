// EventLoopMonitor: measures how late the loop thread runs a timer that should fire every
// interval (the event-loop delay), and how busy the process is (CPU time / wall time),
// over a sliding window. The health snapshot's `eventLoop` block comes from here.
// Loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

class EventLoopMonitor {
 public:
  EventLoopMonitor(boost::asio::io_context& io, int interval_ms = 500, std::size_t window = 120);
  void start();
  void stop() { timer_.cancel(); }
  // {degraded, reasons[], intervalMs, delayP99Ms, delayMaxMs, utilization, cpuCoreRatio}
  Json snapshot() const;
  double p99_ms() const;
  double max_ms() const;

 private:
  void arm();
  boost::asio::steady_timer timer_;
  int interval_ms_;
  std::size_t window_;
  std::deque<double> delays_ms_;
  std::chrono::steady_clock::time_point expected_;
  std::chrono::steady_clock::time_point window_wall_start_;
  double window_cpu_start_ = 0;
  double utilization_ = 0;
};

// Runs `io` until it runs out of work or is stopped. A handler that throws does not take
// the gateway (every channel, run and client) down with it: the exception's text goes to
// `on_error` and the loop carries on; only the throwing handler's own work is lost.
// Parsers of outside input never throw by design; this is the last line for a bug.
// Returns how many handlers threw.
std::size_t run_loop(boost::asio::io_context& io,
                     const std::function<void(const std::string& what)>& on_error);

}  // namespace simpleclaw::gateway
