// Cluster mode's events across instances (docs/cluster.md "Events"; label cluster): two
// gateways in shared mode on one database and one NATS. A client on instance A sees the
// stream of a run executing on instance B, by the same audience rules as on one gateway:
// the user who owns the session and the admin see it, another user sees nothing of it.
#include <csignal>
#include <thread>

#include "integration/chat_helpers.h"
#include "integration/cluster_helpers.h"

namespace sctest {
namespace {

const std::string kClusterAlice = "alice-cluster-token-0123456789ab";
const std::string kClusterBob = "bob-cluster-token-0123456789abcd";

// Shared mode with two users (under the cluster's gateway: section).
std::string two_users() {
  const std::string scopes = "    scopes: [operator.read, operator.write, operator.approvals]\n";
  return "  mode: shared\nusers:\n  alice:\n    token: " + kClusterAlice + "\n" + scopes +
         "  bob:\n    token: " + kClusterBob + "\n" + scopes;
}

ClientPtr connect_as(const GatewayProcess& gw, const std::string& token) {
  ClientOptions o = gw.options();
  o.token = token;
  o.scopes = {"operator.read", "operator.write", "operator.approvals"};
  return gw.connect(o);
}

// Every event `c` got so far; the health round trip is the barrier (an event queued for
// the socket before the answer arrives before it).
std::vector<Json> events_so_far(WsClient& c) {
  EXPECT_TRUE(c.call("health").ok());
  std::vector<Json> out(c.events().begin(), c.events().end());
  c.events().clear();
  return out;
}

}  // namespace

TEST(ClusterEvents, AClientOnOneInstanceSeesTheStreamOfARunOnAnotherAndOnlyItsOwner) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  fakes::Script streamed;
  streamed.chunks = {"one ", "two ", "three"};
  streamed.chunk_delay_ms = 30;
  cl.llm.set_default(streamed);
  START_GATEWAY(a, cl.start("a", two_users()));
  START_GATEWAY(b, cl.start("b", two_users()));
  START_GATEWAY(c, cl.start("c", two_users()));
  auto alice_a = connect_as(*a, kClusterAlice);
  auto bob_a = connect_as(*a, kClusterBob);
  auto admin_a = a->connect();
  auto alice_b = connect_as(*b, kClusterAlice);
  auto bob_c = connect_as(*c, kClusterBob);
  auto admin_c = c->connect();
  ASSERT_TRUE(alice_a && bob_a && admin_a && alice_b && bob_c && admin_c);
  for (WsClient* w : {alice_a.get(), bob_a.get(), admin_a.get(), bob_c.get(), admin_c.get()})
    ASSERT_TRUE(w->call("sessions.subscribe").ok());
  // Give b's subscription to the bus a moment (it connects at start, asynchronously).
  auto admin_b = b->connect();
  ASSERT_TRUE(admin_b && nats_connected(*admin_b));

  const auto t0 = std::chrono::steady_clock::now();
  Json sent = send(*alice_b, "main", "count to three", "cluster-ev-1");
  ASSERT_EQ(sent["status"], "started") << sent.dump();
  // Alice's other socket, on a, gets the deltas and the final of the run b executes.
  auto seen = chat_events(*alice_a, "cluster-ev-1");
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.back()["state"], "final") << seen.back().dump();
  EXPECT_EQ(seen.back()["sessionKey"], "agent:main:user:alice:main");
  EXPECT_EQ(seen.back()["message"]["content"][0]["text"], "one two three") << seen.back().dump();
  EXPECT_GE(seen.size(), 2u) << "streamed deltas came across too";
  std::printf("a run on b streamed to a client on a: %zu chat events, final after %lld ms\n",
              seen.size(),
              static_cast<long long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::steady_clock::now() - t0)
                                         .count()));
  // The admin on a sees it; Bob on a sees nothing of Alice's run.
  auto admin_final = wait_event_if(
      *admin_a, "chat",
      [](const Json& f) {
        return f["payload"].value("runId", "") == "cluster-ev-1" &&
               f["payload"].value("state", "") == "final";
      },
      5000);
  EXPECT_TRUE(admin_final.has_value());
  // And the admin on the third instance; Bob sees nothing of it on a or on c.
  EXPECT_TRUE(wait_event_if(
                  *admin_c, "chat",
                  [](const Json& f) {
                    return f["payload"].value("runId", "") == "cluster-ev-1" &&
                           f["payload"].value("state", "") == "final";
                  },
                  5000)
                  .has_value());
  for (WsClient* bob : {bob_a.get(), bob_c.get()})
    for (const Json& f : events_so_far(*bob))
      EXPECT_EQ(f.dump().find("cluster-ev-1"), std::string::npos) << "bob saw " << f.dump();
  // Nothing arrives twice on a (the relay does not echo a's own events back to it).
  Json again = send(*alice_a, "main", "and again", "cluster-ev-2");
  ASSERT_EQ(again["status"], "started") << again.dump();
  auto own = chat_events(*alice_a, "cluster-ev-2");
  ASSERT_FALSE(own.empty());
  EXPECT_EQ(own.back()["state"], "final");
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (const Json& f : events_so_far(*alice_a))
    if (f.value("event", "") == "chat")
      EXPECT_NE(f["payload"].value("runId", ""), "cluster-ev-2") << "delivered twice: " << f.dump();
}

TEST(ClusterEvents, PresenceIsTheUnionOfEveryInstanceEachEntryNamingItsInstance) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  auto on_a = a->connect();
  ClientOptions tagged = b->options();
  tagged.client_id = "presence-probe";
  auto on_b = b->connect(tagged);
  ASSERT_TRUE(on_a && on_b);
  auto tagged_with = [](const Json& list, const std::string& instance, const std::string& mode) {
    int n = 0;
    for (const Json& e : list)
      if (e.value("mode", "") == mode && e.contains("tags") &&
          e["tags"].dump().find("gateway-instance:" + instance) != std::string::npos)
        ++n;
    return n;
  };
  Json list;
  // a lists b's gateway and b's client, each named by its instance, and its own.
  ASSERT_TRUE(poll_until(
      [&] {
        auto r = on_a->call("system-presence");
        if (!r.ok()) return false;
        list = *r;
        return tagged_with(list, "b", "gateway") == 1 && tagged_with(list, "a", "gateway") == 1 &&
               list.dump().find("presence-probe") != std::string::npos;
      },
      5000))
      << list.dump();
  // The `presence` event a's client gets carries the union too.
  auto ev = wait_event_if(
      *on_a, "presence",
      [](const Json& f) { return f.dump().find("gateway-instance:b") != std::string::npos; }, 5000);
  EXPECT_TRUE(ev.has_value());
  // b stops: its entries leave a's list.
  b->signal(SIGTERM);
  ASSERT_EQ(b->wait_exit(std::chrono::seconds(15)), 0);
  ASSERT_TRUE(poll_until(
      [&] {
        auto r = on_a->call("system-presence");
        return r.ok() && tagged_with(*r, "b", "gateway") == 0;
      },
      5000));
}

}  // namespace sctest
