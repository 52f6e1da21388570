// Cluster mode's leases (sessions/lease_store.h) on SQLite and, as cluster.pg.Leases.*,
// on PostgreSQL: who gets a lease, renewal, expiry and takeover with a higher epoch,
// fencing of the old holder, release, and many connections racing for one lease.
#include "sessions/lease_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "support/test_store.h"

using namespace simpleclaw;
using namespace simpleclaw::sessions;

namespace {

using LeaseDb = testing_support::TestStore;

Lease take(SessionStore& s, const std::string& name, const std::string& holder,
           std::int64_t ttl_ms = 10000) {
  auto l = acquire_lease(s, name, holder, ttl_ms);
  EXPECT_TRUE(l.ok()) << (l.ok() ? "" : l.error().message);
  return l.ok() ? *l : Lease{};
}

bool holds(SessionStore& s, const std::string& name, const std::string& holder,
           std::int64_t epoch) {
  auto h = holds_lease(s, name, holder, epoch);
  EXPECT_TRUE(h.ok()) << (h.ok() ? "" : h.error().message);
  return h.ok() && *h;
}

}  // namespace

TEST(Leases, TheFirstHolderGetsItAndOthersAreToldWhoHoldsIt) {
  LeaseDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  Lease a = take(*s, "channel:telegram/default", "gw-a");
  EXPECT_TRUE(a.held);
  EXPECT_EQ(a.epoch, 1);
  EXPECT_GT(a.expires_at, a.acquired_at);
  Lease b = take(*s, "channel:telegram/default", "gw-b");
  EXPECT_FALSE(b.held);
  EXPECT_EQ(b.holder, "gw-a");
  EXPECT_EQ(b.epoch, 1);
  EXPECT_TRUE(holds(*s, "channel:telegram/default", "gw-a", 1));
  EXPECT_FALSE(holds(*s, "channel:telegram/default", "gw-b", 1));
  // Renewal: same epoch, later expiry.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  Lease again = take(*s, "channel:telegram/default", "gw-a");
  EXPECT_TRUE(again.held);
  EXPECT_EQ(again.epoch, 1);
  EXPECT_GT(again.expires_at, a.expires_at);
  EXPECT_EQ(again.acquired_at, a.acquired_at);
}

TEST(Leases, AnExpiredLeaseIsTakenOverWithTheNextEpochAndTheOldHolderIsFencedOff) {
  LeaseDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  Lease a = take(*s, "cron:leader", "gw-a", 200);
  ASSERT_TRUE(a.held);
  EXPECT_FALSE(take(*s, "cron:leader", "gw-b", 200).held) << "not expired yet";
  std::this_thread::sleep_for(std::chrono::milliseconds(350));
  EXPECT_FALSE(holds(*s, "cron:leader", "gw-a", 1)) << "expired: no longer held";
  Lease b = take(*s, "cron:leader", "gw-b", 10000);
  ASSERT_TRUE(b.held);
  EXPECT_EQ(b.epoch, 2);
  EXPECT_TRUE(holds(*s, "cron:leader", "gw-b", 2));
  // The old holder, late: its renewal is refused, and its epoch fails the fence.
  Lease late = take(*s, "cron:leader", "gw-a", 10000);
  EXPECT_FALSE(late.held);
  EXPECT_EQ(late.holder, "gw-b");
  EXPECT_FALSE(holds(*s, "cron:leader", "gw-a", 1));
  auto leases = list_leases(*s);
  ASSERT_TRUE(leases.ok());
  ASSERT_EQ(leases->size(), 1u);
  EXPECT_EQ((*leases)[0].holder, "gw-b");
}

TEST(Leases, AReleasedLeaseIsFreeAtOnceAndItsEpochIsNeverGivenAgain) {
  LeaseDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  Lease a = take(*s, "lane:agent:main:main", "gw-a");
  ASSERT_TRUE(a.held);
  auto stale = release_lease(*s, "lane:agent:main:main", "gw-a", 7);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale) << "only at the epoch held";
  auto released = release_lease(*s, "lane:agent:main:main", "gw-a", 1);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(*released);
  EXPECT_FALSE(holds(*s, "lane:agent:main:main", "gw-a", 1));
  Lease b = take(*s, "lane:agent:main:main", "gw-b");
  EXPECT_TRUE(b.held);
  EXPECT_EQ(b.epoch, 2);
  Lease a2 = take(*s, "lane:agent:main:main", "gw-a");
  EXPECT_FALSE(a2.held);
}

// Four connections (as four instances would have) race for 40 free leases: each has
// exactly one holder, and every racer agrees who it is.
TEST(Leases, ManyConnectionsRacingForOneLeaseGiveItToExactlyOne) {
  LeaseDb t;
  { ASSERT_TRUE(t.open().ok()); }  // migrated once
  constexpr int kRacers = 4, kLeases = 40;
  std::vector<std::vector<std::string>> seen(kRacers, std::vector<std::string>(kLeases));
  std::atomic<int> wins{0}, errors{0};
  std::vector<std::thread> racers;
  for (int r = 0; r < kRacers; ++r)
    racers.emplace_back([&, r] {
      auto s = t.open();
      if (!s.ok()) {
        ++errors;
        return;
      }
      for (int i = 0; i < kLeases; ++i) {
        auto l = acquire_lease(*s, "race-" + std::to_string(i), "gw-" + std::to_string(r), 60000);
        if (!l.ok()) {
          ++errors;
          continue;
        }
        if (l->held) ++wins;
        seen[r][i] = l->holder;
      }
    });
  for (auto& th : racers) th.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(wins.load(), kLeases);
  for (int i = 0; i < kLeases; ++i)
    for (int r = 1; r < kRacers; ++r) EXPECT_EQ(seen[r][i], seen[0][i]) << "lease " << i;
}
