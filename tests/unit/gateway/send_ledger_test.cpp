// SendLedger: a retried `send` is answered with the first delivery's result, a duplicate
// arriving mid-delivery waits for it, a failure can be retried, and what is remembered
// expires and stays bounded.
#include "gateway/send_ledger.h"

#include <gtest/gtest.h>

namespace simpleclaw::gateway {
namespace {

TEST(SendLedger, ARetryIsAnsweredNotSentAgainAndADuplicateInFlightWaits) {
  FakeClock clock;
  SendLedger ledger(clock);
  std::vector<Json> answers;
  auto collect = [&](const Result<Json>& r) { answers.push_back(r.ok() ? *r : Json("error")); };
  ASSERT_TRUE(ledger.begin("k1", collect)) << "a new key is delivered";
  EXPECT_FALSE(ledger.begin("k1", collect)) << "a duplicate while in flight waits";
  EXPECT_TRUE(answers.empty());
  ledger.end("k1", Json{{"messageId", "42"}});
  ASSERT_EQ(answers.size(), 1u) << "the waiting duplicate got the outcome";
  EXPECT_EQ(answers[0]["messageId"], "42");
  EXPECT_FALSE(ledger.begin("k1", collect)) << "a later retry is answered";
  ASSERT_EQ(answers.size(), 2u);
  EXPECT_EQ(answers[1]["messageId"], "42");
  // After the TTL it is a new send.
  clock.advance(std::chrono::milliseconds(SendLedger::kTtlMs + 1));
  EXPECT_TRUE(ledger.begin("k1", collect));
}

TEST(SendLedger, AFailedDeliveryIsForgottenSoARetryTriesAgain) {
  FakeClock clock;
  SendLedger ledger(clock);
  int failures = 0;
  auto count = [&](const Result<Json>& r) { failures += r.ok() ? 0 : 1; };
  ASSERT_TRUE(ledger.begin("k", count));
  EXPECT_FALSE(ledger.begin("k", count));
  ledger.end("k", Error::unavailable("telegram is down"));
  EXPECT_EQ(failures, 1) << "the waiting duplicate hears of the failure";
  EXPECT_TRUE(ledger.begin("k", count)) << "and a retry delivers again";
}

TEST(SendLedger, AtMostKMaxResultsAreRemembered) {
  FakeClock clock;
  SendLedger ledger(clock);
  auto none = [](const Result<Json>&) {};
  for (std::size_t i = 0; i < SendLedger::kMax + 10; ++i) {
    const std::string key = "k" + std::to_string(i);
    ASSERT_TRUE(ledger.begin(key, none));
    ledger.end(key, Json{{"i", i}});
  }
  ledger.begin("probe", none);  // expiry runs on begin
  EXPECT_LE(ledger.size(), SendLedger::kMax + 1);
  EXPECT_TRUE(ledger.begin("k0", none)) << "the oldest was dropped";
}

}  // namespace
}  // namespace simpleclaw::gateway
