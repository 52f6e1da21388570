// The webhook-id memory (sessions/hook_store.h) against a real SQLite file: a replay is
// refused until the id's timestamp leaves the tolerance, also after the database is
// closed and opened again (a gateway restart), and the memory is bounded.
#include "sessions/hook_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "support/test_store.h"

namespace simpleclaw::sessions {
namespace {

// SQLite, or PostgreSQL for the cluster.pg.* copies of these tests (support/test_store.h).
using HookStoreDir = testing_support::TestStore;

constexpr std::int64_t kHookNow = 1'800'000'000'000;  // ms
constexpr std::int64_t kHookWindow = 300'000;

WebhookIdVerdict hook_remember(SessionStore& s, const std::string& id, std::int64_t now,
                               std::size_t max_ids = 1000) {
  auto r = record_webhook_id(s, id, "github", now + kHookWindow, now, max_ids);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : WebhookIdVerdict::kFull;
}

TEST(HookStore, ASeenIdIsAReplayUntilItExpires) {
  HookStoreDir t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(hook_remember(*s, "msg_1", kHookNow), WebhookIdVerdict::kNew);
  EXPECT_EQ(hook_remember(*s, "msg_2", kHookNow), WebhookIdVerdict::kNew);
  EXPECT_EQ(hook_remember(*s, "msg_1", kHookNow + 1000), WebhookIdVerdict::kReplay);
  // The first record expires at kHookNow + window; a replay attempt later than that is
  // refused by the timestamp check, and the row is pruned (a new record may take the id).
  EXPECT_EQ(hook_remember(*s, "msg_1", kHookNow + kHookWindow - 1), WebhookIdVerdict::kReplay);
  EXPECT_EQ(hook_remember(*s, "msg_3", kHookNow + kHookWindow + 1), WebhookIdVerdict::kNew);
  auto n = count_webhook_ids(*s);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1) << "msg_1 and msg_2 were pruned, msg_3 is held";
}

TEST(HookStore, TheMemorySurvivesReopeningTheDatabase) {
  HookStoreDir t;
  {
    auto s = t.open();
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(hook_remember(*s, "msg_restart", kHookNow), WebhookIdVerdict::kNew);
  }
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(hook_remember(*s, "msg_restart", kHookNow + 60'000), WebhookIdVerdict::kReplay);
}

TEST(HookStore, IsBoundedAndRefusesRatherThanForgets) {
  HookStoreDir t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(hook_remember(*s, "msg_b" + std::to_string(i), kHookNow, 3), WebhookIdVerdict::kNew);
  EXPECT_EQ(hook_remember(*s, "msg_b3", kHookNow, 3), WebhookIdVerdict::kFull);
  EXPECT_EQ(hook_remember(*s, "msg_b0", kHookNow, 3), WebhookIdVerdict::kReplay)
      << "a full memory still knows what it holds";
  // Once the held ids expire there is room again.
  EXPECT_EQ(hook_remember(*s, "msg_b3", kHookNow + kHookWindow + 1, 3), WebhookIdVerdict::kNew);
}

}  // namespace
}  // namespace simpleclaw::sessions
