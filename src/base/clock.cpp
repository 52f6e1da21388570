#include "base/clock.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <mutex>
#include <string>

namespace simpleclaw {
namespace {

class SystemClock final : public Clock {
 public:
  std::int64_t wall_ms() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
  std::chrono::steady_clock::time_point steady() const override {
    return std::chrono::steady_clock::now();
  }
};

// process_clock() under test: the real time shifted by the offset in a file.
class ShiftedClock final : public Clock {
 public:
  explicit ShiftedClock(std::string path) : path_(std::move(path)) {}
  std::int64_t wall_ms() const override { return real_.wall_ms() + offset(); }
  std::chrono::steady_clock::time_point steady() const override { return real_.steady(); }

 private:
  std::int64_t offset() const {
    std::lock_guard lock(mu_);  // read from the loop and the worker threads
    auto now = std::chrono::steady_clock::now();
    if (now - read_at_ >= std::chrono::milliseconds(10)) {
      read_at_ = now;
      std::ifstream in(path_);
      long long v = 0;
      offset_ = (in >> v) ? v : 0;
    }
    return offset_;
  }
  SystemClock real_;
  std::string path_;
  mutable std::mutex mu_;
  mutable std::chrono::steady_clock::time_point read_at_{};
  mutable std::int64_t offset_ = 0;
};

const char* test_clock_file() {
  const char* f = std::getenv("SIMPLECLAW_TEST_CLOCK_FILE");
  return f && *f ? f : nullptr;
}

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

const Clock& process_clock() {
  static const Clock* clock = test_clock_file()
                                  ? static_cast<const Clock*>(new ShiftedClock(test_clock_file()))
                                  : &system_clock();
  return *clock;
}

bool is_shifted_clock() { return &process_clock() != &system_clock(); }

std::int64_t wall_now_ms() { return system_clock().wall_ms(); }

std::string iso_utc(std::int64_t epoch_ms) {
  std::int64_t secs = epoch_ms / 1000, ms = epoch_ms % 1000;
  if (ms < 0) secs -= 1, ms += 1000;  // before 1970: floor, not truncate
  std::time_t t = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  return buf;
}

}  // namespace simpleclaw
