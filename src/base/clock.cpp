#include "base/clock.h"

#include <cstdio>
#include <ctime>

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

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

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
