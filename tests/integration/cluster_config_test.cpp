// Cluster mode's shared config (docs/cluster.md "Config"; label cluster: the
// cluster_services fixture's PostgreSQL and NATS). Two real gateways on one database with
// the same cluster name: the first seeds the document from its own file, the second's file
// names only the cluster and runs on the first one's settings; a change made through
// either instance is applied by the other within a second and told to its clients; a
// stale baseHash is a conflict across instances; an invalid change is refused and changes
// nothing.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "integration/helpers.h"
#include "support/test_store.h"

namespace sctest {
namespace {

constexpr const char* kToken = "cluster-config-token-0123456789abcdef";

// How long another instance may take to apply a change: the poll's 500 ms plus a read.
#ifdef SIMPLECLAW_SANITIZED
constexpr int kApplyBoundMs = 5000;  // ASan: everything is several times slower
#else
constexpr int kApplyBoundMs = 1000;
#endif

struct Cluster {
  std::map<std::string, std::string> env;
  std::string url;  // the cluster's database
  std::string why;  // when there is none
  // Its own NATS namespace: tests side by side on one server never hear each other.
  const std::string name = "itest" + std::to_string(::getpid());
  Cluster() { url = simpleclaw::testing_support::pg_only_database(env, why); }

  // A local config.yaml: the way into the cluster, then `rest`.
  std::string local(const std::string& instance, const std::string& rest = "") const {
    return "store:\n  backend: postgres\n  postgres:\n    url: " + url +
           "\ncluster:\n  name: " + name + "\n  instance: " + instance +
           "\n  nats:\n    url: " + env.at("SIMPLECLAW_NATS_URL") +
           "\n    user: " + env.at("SIMPLECLAW_NATS_USER") +
           "\n    password: " + env.at("SIMPLECLAW_NATS_PASSWORD") + "\n" + rest;
  }
  StartOptions start(const std::string& instance, const std::string& rest = "") const {
    StartOptions o = with_config(local(instance, rest));
    o.token = kToken;
    return o;
  }
};

// A's own settings, which become the cluster's.
const std::string kSeed = std::string("gateway:\n  auth:\n    token: \"") + kToken +
                          "\"\nagents:\n  list:\n    - id: helper\n      name: Helper\n"
                          "logging:\n  level: info\n";

bool has_agent(WsClient& c, const std::string& id) {
  Json list = call_ok(c, "agents.list");
  for (const Json& a : list.value("agents", Json::array()))
    if (a.value("id", "") == id) return true;
  return false;
}

}  // namespace

TEST(ClusterConfig, TheFirstInstanceSeedsTheDocumentAndTheNextRunsOnIt) {
  Cluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a", kSeed));
  // B's file says nothing but how to reach the cluster (and a key it must ignore).
  START_GATEWAY(b, cl.start("b", "logging:\n  level: error\n"));
  auto ca = a->connect();
  auto cb = b->connect();
  ASSERT_TRUE(ca && cb);
  EXPECT_TRUE(has_agent(*cb, "helper")) << "B runs on the document A seeded";
  Json ga = call_ok(*ca, "config.get");
  Json gb = call_ok(*cb, "config.get");
  EXPECT_EQ(ga["hash"], gb["hash"]);
  EXPECT_EQ(gb["path"], "cluster:" + cl.name);
  EXPECT_EQ(gb["config"]["logging"]["level"], "info") << "the shared value, not B's own";
  EXPECT_EQ(gb["config"]["cluster"]["instance"], "b") << "each instance keeps its own way in";
  const std::string raw = gb["raw"];
  EXPECT_EQ(raw.find("cluster:"), std::string::npos) << "never shared:\n" << raw;
  EXPECT_EQ(raw.find(kToken), std::string::npos) << "redacted:\n" << raw;
  EXPECT_EQ(gb.dump().find(cl.env["SIMPLECLAW_NATS_PASSWORD"]), std::string::npos);
  EXPECT_EQ(gb.dump().find(cl.env["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);
  const std::string log = b->stderr_text() + read_text(b->log_file());
  EXPECT_NE(log.find("logging in " + b->config_path() + " is ignored"), std::string::npos) << log;
}

TEST(ClusterConfig, AChangeThroughEitherInstanceIsAppliedByTheOtherWithinASecond) {
  Cluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a", kSeed));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  auto cb = b->connect();
  ASSERT_TRUE(ca && cb);
  Json before = call_ok(*ca, "config.get");
  auto t0 = std::chrono::steady_clock::now();
  Json patched =
      call_ok(*ca, "config.patch",
              Json{{"raw", Json{{"sessions", {{"max_queue", 7}}}}}, {"baseHash", before["hash"]}});
  ASSERT_EQ(patched.value("ok", false), true) << patched.dump();
  auto changed = wait_event_if(
      *cb, "config.changed",
      [&](const Json& f) { return f["payload"].value("hash", "") == patched["hash"]; }, 10000);
  auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_TRUE(changed) << "B's clients are told";
  EXPECT_LE(took, kApplyBoundMs) << "applied by B " << took << " ms after A wrote it";
  std::printf("config.patch through A applied by B after %lld ms\n", static_cast<long long>(took));
  EXPECT_EQ(call_ok(*cb, "config.get")["config"]["sessions"]["max_queue"], 7);

  // The other way round, through a method that edits one part: agents.create on B.
  t0 = std::chrono::steady_clock::now();
  Json created = call_ok(*cb, "agents.create", Json{{"name", "Writer"}});
  ASSERT_EQ(created.value("agentId", ""), "writer") << created.dump();
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    seen = has_agent(*ca, "writer");
    if (!seen) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  ASSERT_TRUE(seen) << "A never saw the agent B created";
  EXPECT_LE(took, kApplyBoundMs) << "A listed B's new agent after " << took << " ms";
  std::printf("agents.create through B listed by A after %lld ms\n", static_cast<long long>(took));
  EXPECT_TRUE(has_agent(*ca, "helper")) << "B's edit kept the rest of the document";
}

TEST(ClusterConfig, AStaleHashIsAConflictAcrossInstancesAndAnInvalidChangeChangesNothing) {
  Cluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a", kSeed));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  auto cb = b->connect();
  ASSERT_TRUE(ca && cb);
  const std::string seen_by_b = call_ok(*cb, "config.get")["hash"];
  Json through_a =
      call_ok(*ca, "config.patch",
              Json{{"raw", Json{{"logging", {{"level", "debug"}}}}}, {"baseHash", seen_by_b}});
  ASSERT_EQ(through_a.value("ok", false), true);
  // B edits from what it read before A's change, even before its poll has run.
  auto stale = cb->call("config.patch", Json{{"raw", Json{{"logging", {{"level", "warn"}}}}},
                                             {"baseHash", seen_by_b}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().details.value("code", ""), "CONFIG_CONFLICT") << stale.error().message;

  const std::string now = call_ok(*cb, "config.get")["hash"];
  EXPECT_EQ(now, through_a["hash"]);
  auto invalid = cb->call(
      "config.patch", Json{{"raw", Json{{"sessions", {{"max_queue", "x"}}}}}, {"baseHash", now}});
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().details.value("code", ""), "INVALID_CONFIG") << invalid.error().message;
  // Nor can a change give the cluster a store or a way in: each instance keeps its own.
  auto moved = cb->call("config.patch",
                        Json{{"raw", Json{{"cluster", {{"name", "other"}}}}}, {"baseHash", now}});
  ASSERT_FALSE(moved.ok());
  EXPECT_NE(moved.error().message.find("cluster is each instance's own setting"), std::string::npos)
      << moved.error().message;
  Json after = call_ok(*ca, "config.get");
  EXPECT_EQ(after["hash"], now) << "the refused changes changed nothing";
  EXPECT_EQ(after["config"]["cluster"]["name"], cl.name);
  EXPECT_EQ(after["config"]["logging"]["level"], "debug");
  EXPECT_TRUE(a->running() && b->running());
}

TEST(ClusterConfigChecks, ClusterModeWithoutThePostgresStoreIsRefusedAtStartWithTheFix) {
  std::unique_ptr<GatewayProcess> gw;
  StartOptions o =
      with_config("cluster:\n  name: itest\n  nats:\n    url: nats://127.0.0.1:4222\n");
  o.wait_ready = false;
  auto code = start_and_wait_exit(gw, o);
  ASSERT_TRUE(code.has_value());
  EXPECT_NE(*code, 0);
  EXPECT_NE(gw->stderr_text().find("set store.backend: postgres"), std::string::npos)
      << gw->stderr_text();
}

}  // namespace sctest
