// Presence: instanceId de-duplication, versions that move only on a change, TTL of
// socketless reports.
#include "gateway/state/presence.h"

#include <gtest/gtest.h>

namespace simpleclaw::gateway {
namespace {

Json entry(const std::string& host, const std::string& instance = "") {
  Json e{{"host", host}, {"ts", 1}};
  if (!instance.empty()) e["instanceId"] = instance;
  return e;
}

TEST(Presence, SocketsOfOneInstanceShareAnEntryUntilTheLastLeaves) {
  Presence p(Json{{"host", "gw"}, {"ts", 0}});
  auto v0 = p.version();
  EXPECT_TRUE(p.connect("c1", entry("app", "i1")));
  EXPECT_FALSE(p.connect("c2", entry("app", "i1"))) << "same details: no change";
  EXPECT_EQ(p.size(), 2u);
  EXPECT_GT(p.version(), v0);
  auto v1 = p.version();
  EXPECT_FALSE(p.disconnect("c1")) << "c2 still holds the instance";
  EXPECT_EQ(p.version(), v1);
  EXPECT_EQ(p.list().size(), 2u);
  EXPECT_TRUE(p.disconnect("c2"));
  EXPECT_GT(p.version(), v1);
  EXPECT_EQ(p.list().size(), 1u);
  EXPECT_FALSE(p.disconnect("c2")) << "twice is a no-op";
}

TEST(Presence, WithoutInstanceIdEachSocketIsAnEntryInArrivalOrder) {
  Presence p(Json{{"host", "gw"}, {"ts", 0}});
  p.connect("b", entry("second"));
  p.connect("a", entry("third"));
  Json l = p.list();
  ASSERT_EQ(l.size(), 3u);
  EXPECT_EQ(l[0]["host"], "gw");
  EXPECT_EQ(l[1]["host"], "second");
  EXPECT_EQ(l[2]["host"], "third");
}

TEST(Presence, SocketlessReportsExpireAfterTheTtlAndRepeatsOnlyRefresh) {
  Presence p(Json{{"host", "gw"}, {"ts", 0}});
  EXPECT_TRUE(p.report("phone", entry("phone", "phone"), 1000, 500));
  auto v = p.version();
  Json later = entry("phone", "phone");
  later["ts"] = 99;  // only the timestamp differs
  EXPECT_FALSE(p.report("phone", later, 1400, 500));
  EXPECT_EQ(p.version(), v);
  EXPECT_FALSE(p.expire(1800)) << "refreshed at 1400: lives until 1900";
  EXPECT_TRUE(p.expire(1900));
  EXPECT_GT(p.version(), v);
  EXPECT_EQ(p.list().size(), 1u);
}

TEST(Presence, AConnectedInstanceIsNotExpiredByTheTtl) {
  Presence p(Json{{"host", "gw"}, {"ts", 0}});
  p.connect("c1", entry("app", "i1"));
  EXPECT_FALSE(p.report("i1", entry("other", "i1"), 0, 1)) << "the socket speaks for it";
  EXPECT_FALSE(p.expire(1000000));
  EXPECT_EQ(p.list()[1]["host"], "app");
}

}  // namespace
}  // namespace simpleclaw::gateway
