// Clock: where "now" comes from. Everything that stamps, expires or compares times asks
// a Clock instead of reading the system clock itself, so a test can move time forward
// (FakeClock) instead of sleeping. Timers (asio steady_timer) still run on real time:
// a Clock decides what time it is, not when a callback fires.
//
// Threading: system_clock() is stateless and may be read from any thread. A FakeClock is
// read and moved from the thread that owns it (tests: the loop thread).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

namespace simpleclaw {

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time, epoch milliseconds: timestamps clients see and that survive a restart.
  virtual std::int64_t wall_ms() const = 0;
  // Monotonic time: durations and deadlines inside this process.
  virtual std::chrono::steady_clock::time_point steady() const = 0;
};

// The real clocks. One process-wide instance; never destroyed.
const Clock& system_clock();

// The gateway's clock: system_clock(), or when $SIMPLECLAW_TEST_CLOCK_FILE names a file,
// the system's wall time plus the signed milliseconds written in that file (re-read at
// most every 10 ms; a missing or unreadable file counts as 0). Tests move a running
// gateway's wall time forward (a job due in an hour, two missed occurrences while it was
// down) without waiting; steady time is never shifted. is_shifted_clock() says which.
const Clock& process_clock();
bool is_shifted_clock();

// Epoch milliseconds from the real wall clock (system_clock().wall_ms()): for code with no
// Clock handed to it (log records, files written once).
std::int64_t wall_now_ms();

// "2026-12-05T01:53:22.073Z": epoch milliseconds as an ISO 8601 UTC timestamp.
std::string iso_utc(std::int64_t epoch_ms);

// A clock that moves only when told: set(), advance(). Starts at a fixed, plausible date.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t wall_ms = 1'767'225'600'000)  // 2026-01-01T00:00:00Z
      : wall_ms_(wall_ms) {}
  std::int64_t wall_ms() const override { return wall_ms_; }
  std::chrono::steady_clock::time_point steady() const override { return steady_; }
  void set(std::int64_t wall_ms) { wall_ms_ = wall_ms; }
  void advance(std::chrono::milliseconds d) {
    wall_ms_ += d.count();
    steady_ += d;
  }

 private:
  std::int64_t wall_ms_;
  std::chrono::steady_clock::time_point steady_{};
};

}  // namespace simpleclaw
