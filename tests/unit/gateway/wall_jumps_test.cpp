// sessions.reset under wall-clock jumps (WallJumps, gateway/reset_policy.h), on a
// FakeClock: advance() is time passing (wall and steady), set() a jump of the wall clock
// alone. A jump forward ages every session; a jump back ages the sessions certainly
// stamped before it, and never a session that may have been active after it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "base/clock.h"
#include "gateway/reset_policy.h"

namespace simpleclaw::gateway {
namespace {

using std::chrono::minutes;
constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kIdle = 60 * kMin;

std::int64_t idle_cutoff(std::int64_t t) { return t - kIdle; }

void observe(WallJumps& j, const FakeClock& c) { j.observe(c.wall_ms(), c.steady()); }

TEST(ClockJumpsResetCutoff, WithoutJumpsTheCutoffIsThePolicysOwn) {
  FakeClock clock;
  WallJumps jumps;
  for (int i = 0; i < 5; ++i) {
    observe(jumps, clock);
    clock.advance(minutes(1));
  }
  observe(jumps, clock);
  EXPECT_EQ(jumps.jumps(), 0u);
  EXPECT_EQ(jumps.cutoff(clock.wall_ms(), idle_cutoff), clock.wall_ms() - kIdle);
}

TEST(ClockJumpsResetCutoff, AJumpForwardIsElapsedTimeAndNeedsNoCorrection) {
  FakeClock clock;
  WallJumps jumps;
  observe(jumps, clock);
  clock.set(clock.wall_ms() + 24 * 60 * kMin);  // a laptop waking up a day later
  observe(jumps, clock);
  EXPECT_EQ(jumps.jumps(), 0u);
  // A session last active before the suspend is a day old: reset.
  const std::int64_t before_suspend = clock.wall_ms() - 24 * 60 * kMin;
  EXPECT_LT(before_suspend, jumps.cutoff(clock.wall_ms(), idle_cutoff));
}

TEST(ClockJumpsResetCutoff, AJumpBackAgesWhatCameBeforeItButNothingAfterIt) {
  FakeClock clock;
  WallJumps jumps;
  observe(jumps, clock);
  const std::int64_t a = clock.wall_ms();  // session A active
  clock.advance(minutes(50));
  observe(jumps, clock);
  const std::int64_t landing = clock.wall_ms() - 20 * kMin;
  clock.set(landing);  // the clock is set back 20 minutes
  clock.advance(std::chrono::seconds(10));
  observe(jumps, clock);
  ASSERT_EQ(jumps.jumps(), 1u);
  const std::int64_t b = clock.wall_ms();  // session B active after the jump
  clock.advance(minutes(15));
  observe(jumps, clock);
  const std::int64_t now = clock.wall_ms();
  const std::int64_t cut = jumps.cutoff(now, idle_cutoff);
  // A is 65 minutes old (its stamp says 45): reset. Without the correction it would wait
  // 20 more minutes.
  EXPECT_LT(a, cut);
  EXPECT_GE(a, now - kIdle) << "the case the correction is for";
  // B is 15 minutes old: kept. Never an earlier cut-off than the stamps after the jump.
  EXPECT_GE(b, cut);
  EXPECT_LE(cut, landing);
  EXPECT_GE(cut, now - kIdle);
}

TEST(ClockJumpsResetCutoff, AStampThatMayComeFromEitherSideIsTakenAtFaceValue) {
  FakeClock clock;
  WallJumps jumps;
  observe(jumps, clock);
  clock.advance(minutes(30));
  const std::int64_t recent = clock.wall_ms();  // active just before the jump
  clock.set(clock.wall_ms() - 2 * 60 * kMin);   // back two hours: recent is "in the future"
  observe(jumps, clock);
  clock.advance(minutes(50));
  observe(jumps, clock);
  // recent is within the two hours the clock repeats: it could be a stamp from after the
  // jump, so it is never reset early (here: not yet, although 50 minutes really passed).
  EXPECT_GE(recent, jumps.cutoff(clock.wall_ms(), idle_cutoff));
}

TEST(ClockJumpsResetCutoff, JumpsAddUpForWhatCameBeforeAllOfThem) {
  FakeClock clock;
  WallJumps jumps;
  observe(jumps, clock);
  const std::int64_t old = clock.wall_ms();
  clock.advance(minutes(40));
  observe(jumps, clock);
  clock.set(clock.wall_ms() - 10 * kMin);  // back 10 minutes
  observe(jumps, clock);
  clock.advance(minutes(5));
  clock.set(clock.wall_ms() - 10 * kMin);  // and again
  observe(jumps, clock);
  ASSERT_EQ(jumps.jumps(), 2u);
  clock.advance(minutes(20));
  observe(jumps, clock);
  // `old` is 65 minutes old though its stamp says 45.
  EXPECT_LT(old, jumps.cutoff(clock.wall_ms(), idle_cutoff));
  EXPECT_GE(old, clock.wall_ms() - kIdle);
}

TEST(ClockJumpsResetCutoff, SmallStepsAreNotJumps) {
  FakeClock clock;
  WallJumps jumps;
  observe(jumps, clock);
  clock.advance(minutes(1));
  clock.set(clock.wall_ms() - WallJumps::kToleranceMs);  // an NTP-sized correction
  observe(jumps, clock);
  EXPECT_EQ(jumps.jumps(), 0u);
}

TEST(ClockJumpsResetCutoff, DailyModeCountsTheDaysThatReallyPassed) {
  // 2026-01-01T10:00Z; reset hour 04:00 UTC.
  const char* had = std::getenv("TZ");
  const std::string old_tz = had ? had : "";
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  FakeClock clock(1'767'261'600'000);
  WallJumps jumps;
  observe(jumps, clock);
  const std::int64_t a = clock.wall_ms() - 5 * kMin;  // active at 09:55 on Jan 1
  clock.advance(minutes(19 * 60));                    // 05:00 on Jan 2: a new day
  observe(jumps, clock);
  clock.set(clock.wall_ms() - 3 * 60 * kMin);  // back to 02:00 on Jan 2 (still "Jan 1")
  observe(jumps, clock);
  auto daily = [](std::int64_t t) { return daily_reset_cutoff_ms(t, 4); };
  // The clock says it is before today's 04:00; A's day has still ended.
  EXPECT_GT(a, daily(clock.wall_ms()));
  EXPECT_LT(a, jumps.cutoff(clock.wall_ms(), daily));
  if (had)
    ::setenv("TZ", old_tz.c_str(), 1);
  else
    ::unsetenv("TZ");
  ::tzset();
}

}  // namespace
}  // namespace simpleclaw::gateway
