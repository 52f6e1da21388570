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

#include "base/result.h"

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

}  // namespace simpleclaw::gateway
