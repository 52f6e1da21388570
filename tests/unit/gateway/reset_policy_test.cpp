// sessions.reset mode daily: the cutoff is the last `at_hour`:00 in the local time zone.
#include "gateway/reset_policy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <string>

namespace simpleclaw::gateway {
namespace {

// Sets TZ for one test and restores it afterwards.
class WithTz {
 public:
  explicit WithTz(const char* tz) {
    if (const char* old = std::getenv("TZ")) old_ = old, had_ = true;
    ::setenv("TZ", tz, 1);
    ::tzset();
  }
  ~WithTz() {
    if (had_)
      ::setenv("TZ", old_.c_str(), 1);
    else
      ::unsetenv("TZ");
    ::tzset();
  }

 private:
  std::string old_;
  bool had_ = false;
};

constexpr std::int64_t kHour = 3600'000;
// 2026-11-26T10:30:00Z
constexpr std::int64_t kNow = 1795689000'000;

TEST(DailyReset, CutoffIsTodayAtTheHourOnceItHasPassed) {
  WithTz tz("UTC");
  EXPECT_EQ(daily_reset_cutoff_ms(kNow, 4), kNow - 6 * kHour - kHour / 2);  // today 04:00
  EXPECT_EQ(daily_reset_cutoff_ms(kNow, 10), kNow - kHour / 2);             // today 10:00
}

TEST(DailyReset, CutoffIsYesterdaysWhileTodaysHourIsAhead) {
  WithTz tz("UTC");
  // 11:00 is still ahead at 10:30: the day started yesterday at 11:00.
  EXPECT_EQ(daily_reset_cutoff_ms(kNow, 11), kNow - 23 * kHour - kHour / 2);
  EXPECT_EQ(daily_reset_cutoff_ms(kNow, 23), kNow - 11 * kHour - kHour / 2);
}

TEST(DailyReset, FollowsTheLocalTimeZone) {
  WithTz tz("Europe/Berlin");  // UTC+1 in November: 10:30Z is 11:30 local
  EXPECT_EQ(daily_reset_cutoff_ms(kNow, 4), kNow - 7 * kHour - kHour / 2);  // 04:00 local = 03:00Z
}

TEST(DailyReset, ADayWithADstChangeIsStillCutAtTheLocalHour) {
  WithTz tz("Europe/Berlin");
  // 2026-03-29 is the spring-forward day (02:00 -> 03:00). At 2026-03-29T12:00:00Z
  // (14:00 CEST) the 04:00 local cutoff is 02:00Z; the day before, 04:00 CET = 03:00Z.
  const std::int64_t noon = 1774785600'000;
  EXPECT_EQ(daily_reset_cutoff_ms(noon, 4), noon - 10 * kHour);
  // At 01:00Z (02:00... skipped; 03:00 CEST) on that day the cutoff is yesterday's 04:00 CET.
  const std::int64_t early = noon - 11 * kHour;
  EXPECT_EQ(daily_reset_cutoff_ms(early, 4), early - 22 * kHour);
}

}  // namespace
}  // namespace simpleclaw::gateway
