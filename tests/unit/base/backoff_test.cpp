// The one backoff formula (base/backoff.h): doubling from the base up to the cap, the
// jitter factor drawn from the caller's range, and no overflow for large attempt counts.
#include "base/backoff.h"

#include <gtest/gtest.h>

namespace simpleclaw {
namespace {

TEST(Backoff, DoublesFromBaseUpToTheCapWithJitterInTheUpperHalf) {
  BackoffPolicy p{100, 1000, 0.5, 1.0};  // the providers' and channels' policy
  EXPECT_EQ(backoff_ms(p, 1, 1.0), 100);
  EXPECT_EQ(backoff_ms(p, 2, 1.0), 200);
  EXPECT_EQ(backoff_ms(p, 3, 1.0), 400);
  EXPECT_EQ(backoff_ms(p, 5, 1.0), 1000) << "capped";
  EXPECT_EQ(backoff_ms(p, 40, 1.0), 1000) << "no overflow for large n";
  EXPECT_EQ(backoff_ms(p, 2, 0.0), 100) << "jitter: at least half";
  EXPECT_EQ(backoff_ms(p, 2, 0.5), 150);
  EXPECT_EQ(backoff_ms(p, 0, 1.0), 100) << "n <= 0 counts as the first retry";
}

TEST(Backoff, JitterAroundTheNominalDelayAndNone) {
  BackoffPolicy plus_minus{1000, 60000, 0.8, 1.2};  // plugin restarts
  EXPECT_EQ(backoff_ms(plus_minus, 1, 0.0), 800);
  EXPECT_EQ(backoff_ms(plus_minus, 1, 1.0), 1200);
  EXPECT_EQ(backoff_ms(plus_minus, 7, 0.5), 60000) << "the cap is applied before the jitter";
  BackoffPolicy none{1000, 60000, 1.0, 1.0};  // MCP server restarts
  EXPECT_EQ(backoff_ms(none, 3, 0.123), 4000);
}

TEST(Backoff, RandomDelaysStayInsideTheRange) {
  BackoffPolicy p{100, 1000, 0.5, 1.0};
  for (int i = 0; i < 1000; ++i) {
    std::int64_t d = backoff_ms(p, 3);
    ASSERT_GE(d, 200);
    ASSERT_LE(d, 400);
    double u = unit_random();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
}

}  // namespace
}  // namespace simpleclaw
