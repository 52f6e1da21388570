// The base helpers every owner leans on: Alive (the one liveness idiom), FakeClock (time
// moved by the test, not slept), SC_CHECK (invariants: counted in release, abort in
// debug) and errno_error (a failed system call as a typed error).
#include <gtest/gtest.h>

#include <cerrno>
#include <functional>
#include <memory>

#include "base/alive.h"
#include "base/check.h"
#include "base/clock.h"
#include "base/fs.h"

namespace {

using namespace simpleclaw;

TEST(Alive, AGuardedCallbackRunsWhileItsOwnerLivesAndNotAfter) {
  int calls = 0;
  std::function<void(int)> later;
  {
    Alive alive;
    later = alive.guard([&](int n) { calls += n; });
    later(2);
    EXPECT_EQ(calls, 2);
  }
  later(5);  // the owner is gone: a completion arriving now must do nothing
  EXPECT_EQ(calls, 2);
}

TEST(Alive, RenewDropsEverythingGuardedBeforeButNotAfter) {
  Alive alive;
  int old_calls = 0, new_calls = 0;
  auto before = alive.guard([&] { ++old_calls; });
  alive.renew();  // a channel's stop(): the old session's completions must not land
  auto after = alive.guard([&] { ++new_calls; });
  before();
  after();
  EXPECT_EQ(old_calls, 0);
  EXPECT_EQ(new_calls, 1);
  EXPECT_FALSE(alive.token().expired());
}

TEST(IsoUtc, FormatsEpochMillisecondsAsUtcWithMilliseconds) {
  EXPECT_EQ(iso_utc(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(iso_utc(1'767'225'600'000), "2026-01-01T00:00:00.000Z");
  EXPECT_EQ(iso_utc(1'796'435'615'446), "2026-12-05T01:53:35.446Z");
  EXPECT_EQ(iso_utc(-1), "1969-12-31T23:59:59.999Z");
}

TEST(FakeClock, MovesOnlyWhenToldAndMovesBothClocksTogether) {
  FakeClock c(1'000'000);
  auto s0 = c.steady();
  EXPECT_EQ(c.wall_ms(), 1'000'000);
  EXPECT_EQ(c.wall_ms(), 1'000'000) << "reading it does not move it";
  c.advance(std::chrono::milliseconds(1500));
  EXPECT_EQ(c.wall_ms(), 1'001'500);
  EXPECT_EQ(c.steady() - s0, std::chrono::milliseconds(1500));
  c.set(5);
  EXPECT_EQ(c.wall_ms(), 5);
}

TEST(SystemClock, IsTheRealWallClock) {
  auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  EXPECT_NEAR(static_cast<double>(system_clock().wall_ms()), static_cast<double>(now), 1000.0);
  EXPECT_NEAR(static_cast<double>(wall_now_ms()), static_cast<double>(now), 1000.0);
}

TEST(Check, AHoldingInvariantIsTrueAndCostsNothing) {
  auto before = invariant_violations();
  EXPECT_TRUE(SC_CHECK(1 + 1 == 2, "arithmetic"));
  EXPECT_EQ(invariant_violations(), before);
}

TEST(Check, ABrokenInvariantIsCountedAndTheCallerRecoversInCountMode) {
  CheckMode was = check_mode();
  set_check_mode(CheckMode::kCount);
  auto before = invariant_violations();
  int evaluated = 0;
  bool ok = SC_CHECK((++evaluated, false), "a test breaks this on purpose");
  set_check_mode(was);
  EXPECT_FALSE(ok);
  EXPECT_EQ(evaluated, 1) << "the condition is evaluated exactly once";
  EXPECT_EQ(invariant_violations(), before + 1);
}

TEST(CheckDeathTest, ABrokenInvariantAbortsInAbortMode) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        set_check_mode(CheckMode::kAbort);
        (void)SC_CHECK(false, "a test breaks this on purpose");
      },
      "");  // the log line goes to the log sink, not necessarily stderr
}

TEST(ErrnoError, TheMachinesFailuresAreTypedNeverABadRequest) {
  struct Case {
    int err;
    ErrorCode code;
  } cases[] = {{ENOENT, ErrorCode::kNotFound}, {ENOTDIR, ErrorCode::kNotFound},
               {EEXIST, ErrorCode::kConflict}, {EACCES, ErrorCode::kIo},
               {ENOSPC, ErrorCode::kIo},       {EIO, ErrorCode::kIo}};
  for (const Case& c : cases) {
    Error e = errno_error("cannot write /x", c.err);
    EXPECT_EQ(e.code, c.code) << c.err;
    EXPECT_EQ(e.message.rfind("cannot write /x: ", 0), 0u) << e.message;
  }
  auto missing = read_file("/nonexistent/sc-test-file");
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(missing.error().is_not_found());
}

}  // namespace
