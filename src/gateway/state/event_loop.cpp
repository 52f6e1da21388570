#include "gateway/state/event_loop.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace simpleclaw::gateway {
namespace {

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
         (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Thresholds for `degraded`: a loop that answers 200 ms late, or is busy 90% of the time,
// makes every client wait.
constexpr double kDelayDegradedMs = 200;
constexpr double kUtilizationDegraded = 0.9;

}  // namespace

EventLoopMonitor::EventLoopMonitor(boost::asio::io_context& io, int interval_ms, std::size_t window)
    : timer_(io), interval_ms_(interval_ms), window_(window) {}

void EventLoopMonitor::start() {
  window_wall_start_ = std::chrono::steady_clock::now();
  window_cpu_start_ = cpu_seconds();
  arm();
}

void EventLoopMonitor::arm() {
  expected_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms_);
  timer_.expires_at(expected_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    auto now = std::chrono::steady_clock::now();
    double late = std::chrono::duration<double, std::milli>(now - expected_).count();
    delays_ms_.push_back(std::max(0.0, late));
    if (delays_ms_.size() > window_) delays_ms_.pop_front();
    double wall = std::chrono::duration<double>(now - window_wall_start_).count();
    if (wall >= 5.0) {  // utilization over ~5 s slices
      double cpu = cpu_seconds();
      utilization_ = std::clamp((cpu - window_cpu_start_) / wall, 0.0, 1.0);
      window_cpu_start_ = cpu;
      window_wall_start_ = now;
    }
    arm();
  });
}

double EventLoopMonitor::p99_ms() const {
  if (delays_ms_.empty()) return 0;
  std::vector<double> v(delays_ms_.begin(), delays_ms_.end());
  std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(v.size() * 0.99));
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

double EventLoopMonitor::max_ms() const {
  return delays_ms_.empty() ? 0 : *std::max_element(delays_ms_.begin(), delays_ms_.end());
}

Json EventLoopMonitor::snapshot() const {
  double p99 = p99_ms();
  Json reasons = Json::array();
  if (p99 > kDelayDegradedMs) reasons.push_back("event_loop_delay");
  if (utilization_ > kUtilizationDegraded) reasons.push_back("event_loop_utilization");
  static const long cores = std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN));
  auto round2 = [](double x) { return std::round(x * 100) / 100; };
  return Json{{"degraded", !reasons.empty()},
              {"reasons", reasons},
              {"intervalMs", interval_ms_},
              {"delayP99Ms", round2(p99)},
              {"delayMaxMs", round2(max_ms())},
              {"utilization", round2(utilization_)},
              {"cpuCoreRatio", round2(utilization_ / static_cast<double>(cores))}};
}

std::size_t run_loop(boost::asio::io_context& io,
                     const std::function<void(const std::string& what)>& on_error) {
  std::size_t thrown = 0;
  for (;;) {
    try {
      io.run();
      return thrown;
    } catch (const std::exception& e) {
      ++thrown;
      on_error(e.what());
    } catch (...) {
      ++thrown;
      on_error("an exception of unknown type");
    }
  }
}

}  // namespace simpleclaw::gateway
