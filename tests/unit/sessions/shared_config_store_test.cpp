// Cluster mode's shared config document (sessions/shared_config_store.h) on SQLite and, as
// cluster.pg.SharedConfig.*, on PostgreSQL: the first seed stays, a swap needs the hash it
// was edited from (a stale one is CONFIG_CONFLICT and changes nothing), and every change
// moves the version on.
#include "sessions/shared_config_store.h"

#include <gtest/gtest.h>

#include "base/crypto.h"
#include "support/test_store.h"

using namespace simpleclaw;
using namespace simpleclaw::sessions;

TEST(SharedConfig, TheFirstSeedStaysAndASwapNeedsTheCurrentHash) {
  testing_support::TestStore t;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto none = read_shared_config(*s);
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());

  auto a = seed_shared_config(*s, "logging:\n  level: info\n", "gw-a", 1000);
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->version, 1);
  EXPECT_EQ(a->updated_by, "gw-a");
  EXPECT_EQ(a->hash, sha256_hex("logging:\n  level: info\n"));
  auto b = seed_shared_config(*s, "logging:\n  level: error\n", "gw-b", 2000);
  ASSERT_TRUE(b.ok()) << b.error().message;
  EXPECT_EQ(b->raw, a->raw) << "a later seed never replaces the document";
  EXPECT_EQ(b->updated_by, "gw-a");

  auto swapped = swap_shared_config(*s, "logging:\n  level: debug\n", a->hash, "gw-b", 3000);
  ASSERT_TRUE(swapped.ok()) << swapped.error().message;
  EXPECT_EQ(swapped->version, 2);
  EXPECT_EQ(swapped->updated_by, "gw-b");
  EXPECT_EQ(swapped->updated_at, 3000);

  auto stale = swap_shared_config(*s, "logging:\n  level: warn\n", a->hash, "gw-a", 4000);
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().details.value("code", ""), "CONFIG_CONFLICT");
  auto now = read_shared_config(*s);
  ASSERT_TRUE(now.ok() && now->has_value());
  EXPECT_EQ((*now)->raw, "logging:\n  level: debug\n");
  EXPECT_EQ((*now)->version, 2);
}
