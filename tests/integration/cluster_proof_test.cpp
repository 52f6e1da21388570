// Cluster mode's proof against the real engines (docs/cluster.md "Proof"; label cluster):
//
//   - kill -9 of one of three instances during 100 chats spread over them: every
//     acknowledged message is stored and ends (answered, or recorded interrupted), none is
//     answered twice, no run is left running;
//   - NATS stopped for 10 s and started again: nothing is lost, a send for a session
//     another instance serves is refused with a retry hint meanwhile, and clients catch up
//     from the store; live events flow again afterwards;
//   - PostgreSQL stopped and started again: sends meanwhile are refused with a clear error
//     (never acknowledged), and retried by the client they go in once.
#include <atomic>
#include <csignal>
#include <mutex>
#include <set>
#include <thread>

#include "fakes/nats_server.h"
#include "integration/chat_helpers.h"
#include "integration/cli_run.h"
#include "integration/cluster_helpers.h"

namespace sctest {
namespace {

int run_script(const std::string& args) {
  const std::string cmd =
      "bash " SIMPLECLAW_SOURCE_DIR "/scripts/cluster-services.sh " + args + " >/dev/null 2>&1";
  return std::system(cmd.c_str());
}

}  // namespace

TEST(ClusterProof, AKillDuringAHundredChatsOverThreeInstancesLosesNothingAcknowledged) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  fakes::Script slow;  // "echo: <text>", after a moment: runs are in flight at the kill
  slow.head_delay_ms = 150;
  cl.llm.set_default(slow);
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  START_GATEWAY(c, cl.start("c"));
  GatewayProcess* gw[3] = {a.get(), b.get(), c.get()};

  constexpr int kChats = 100;
  std::mutex mu;
  std::set<std::string> acked;  // run ids a client got "started" (or in flight) for
  std::atomic<int> sent{0}, refused{0}, retried{0};
  auto chatter = [&](int lane) {
    ClientPtr client = gw[lane]->connect();
    for (int i = lane; i < kChats; i += 3) {
      const std::string id = "proof-" + std::to_string(i);
      Json params{{"sessionKey", "chat-" + std::to_string(i)},
                  {"message", "message " + std::to_string(i)},
                  {"idempotencyKey", id}};
      for (int attempt = 0; attempt < 2; ++attempt) {
        auto r = client ? client->call("chat.send", params) : Result<Json>(Error::unavailable("-"));
        if (r.ok()) {
          std::lock_guard<std::mutex> l(mu);
          acked.insert(id);
          break;
        }
        // The instance died under this client: it reconnects elsewhere and sends again
        // (the same idempotency key: the run is never made twice).
        ++refused;
        if (attempt == 0) {
          ++retried;
          client = a->connect();
        }
      }
      ++sent;
    }
  };
  std::thread t0(chatter, 0), t1(chatter, 1), t2(chatter, 2);
  while (sent.load() < kChats / 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  c->signal(SIGKILL);
  t0.join();
  t1.join();
  t2.join();
  ASSERT_EQ(c->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  EXPECT_EQ(acked.size(), static_cast<std::size_t>(kChats)) << "every message got in somewhere";

  // The dead instance is reaped (TTL 2 s): nothing is left running or queued.
  ASSERT_TRUE(poll_until(
      [&] {
        return cl.count(
                   "SELECT count(*) FROM runs WHERE run_id LIKE 'proof-%' AND status IN "
                   "('queued', 'running')") == 0;
      },
      20000))
      << "runs left going";
  // Every acknowledged message is stored, once, with at most one answer.
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id LIKE 'proof-%'"), kChats);
  EXPECT_EQ(cl.count("SELECT count(*) FROM entries WHERE role = 'user' AND run_id LIKE 'proof-%'"),
            kChats);
  EXPECT_EQ(cl.count("SELECT count(*) FROM (SELECT run_id FROM entries WHERE role = 'assistant' "
                     "AND run_id LIKE 'proof-%' GROUP BY run_id HAVING count(*) > 1) AS twice"),
            0)
      << "a message answered twice";
  const std::int64_t answered =
      cl.count("SELECT count(*) FROM runs WHERE run_id LIKE 'proof-%' AND status = 'final'");
  const std::int64_t interrupted = cl.count(
      "SELECT count(*) FROM runs WHERE run_id LIKE 'proof-%' AND status = 'error' AND "
      "error LIKE 'interrupted%'");
  EXPECT_EQ(answered + interrupted, kChats) << "every run answered or recorded interrupted";
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id LIKE 'proof-%' AND status = 'final' "
                     "AND NOT EXISTS (SELECT 1 FROM entries WHERE entries.run_id = runs.run_id "
                     "AND role = 'assistant')"),
            0)
      << "a final run without its answer";
  std::printf(
      "kill -9 of 1 of 3 instances during %d chats: %lld answered, %lld recorded interrupted, %d "
      "sends retried elsewhere, 0 lost, 0 answered twice\n",
      kChats, static_cast<long long>(answered), static_cast<long long>(interrupted),
      retried.load());
  EXPECT_TRUE(a->running() && b->running());
}

TEST(ClusterProof, NatsStoppedForTenSecondsLosesNothingAndClientsCatchUp) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  ::fakes::NatsServer nats;
  ASSERT_TRUE(nats.start());
  cl.nats_url = nats.url();
  cl.nats_user = nats.user();
  cl.nats_password = nats.password();
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  auto cb = b->connect();
  ASSERT_TRUE(ca && cb);
  ASSERT_TRUE(nats_connected(*cb, true));
  // b's client follows a session that a serves.
  ASSERT_TRUE(cb->call("sessions.subscribe").ok());
  send(*ca, "shared", "before the outage", "nats-0");
  ASSERT_FALSE(chat_events(*cb, "nats-0").empty()) << "relayed while NATS is up";

  nats.stop();
  ASSERT_TRUE(nats_connected(*ca, false));
  const auto down_at = std::chrono::steady_clock::now();
  // Both instances keep taking and answering messages: the store is the log.
  for (int i = 1; i <= 3; ++i) {
    const std::string id = "nats-" + std::to_string(i);
    Json r = send(*ca, "shared", "during the outage " + std::to_string(i), id);
    EXPECT_EQ(r["status"], "started") << r.dump();
    auto own = chat_events(*ca, id);
    ASSERT_FALSE(own.empty());
    EXPECT_EQ(own.back()["state"], "final");
  }
  Json other = send(*cb, "elsewhere", "b's own session", "nats-b");
  EXPECT_EQ(other["status"], "started");
  ASSERT_FALSE(chat_events(*cb, "nats-b").empty());
  // A send for a session a is busy with cannot be forwarded now: refused with a hint to
  // retry, nothing stored.
  fakes::Script slow;
  slow.head_delay_ms = 1500;
  slow.chunks = {"slow answer"};
  cl.llm.push(slow);
  send(*ca, "shared", "a long one", "nats-4");
  ASSERT_TRUE(cl.llm.wait_requests(6));
  auto refused = cb->call("chat.send", Json{{"sessionKey", "shared"},
                                            {"message", "from b, meanwhile"},
                                            {"idempotencyKey", "nats-5"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, simpleclaw::ErrorCode::kUnavailable) << refused.error().message;
  EXPECT_TRUE(refused.error().retry_after_ms.has_value());
  EXPECT_NE(refused.error().message.find("gateway instance a"), std::string::npos)
      << refused.error().message;
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id = 'nats-5'"), 0);

  // NATS back after 10 s: the instances reconnect by themselves.
  std::this_thread::sleep_until(down_at + std::chrono::seconds(10));
  ASSERT_TRUE(nats.start());
  ASSERT_TRUE(nats_connected(*ca, true));
  ASSERT_TRUE(nats_connected(*cb, true));
  // b's client catches up from the store: every message and answer of the outage.
  std::string dump;
  auto caught_up = [&] {
    auto h = cb->call("chat.history", Json{{"sessionKey", "shared"}});
    if (!h.ok()) return false;
    dump = h->dump();
    for (int i = 1; i <= 3; ++i)
      if (dump.find("echo: during the outage " + std::to_string(i)) == std::string::npos)
        return false;
    return dump.find("slow answer") != std::string::npos;
  };
  EXPECT_TRUE(poll_until(caught_up, 10000)) << dump;
  // The client retries the refused send: forwarded now, answered once.
  auto retried = cb->call("chat.send", Json{{"sessionKey", "shared"},
                                            {"message", "from b, meanwhile"},
                                            {"idempotencyKey", "nats-5"}});
  ASSERT_TRUE(retried.ok()) << retried.error().message;
  EXPECT_EQ(final_event(*cb, "nats-5")["state"], "final") << "live events flow again";
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id LIKE 'nats-%' AND status = 'final'"),
            7);
}

TEST(ClusterProof, PostgresRestartedRefusesWritesMeanwhileAndLosesNothingAcknowledged) {
  // Its own PostgreSQL and NATS: the fixture's serve the other tests meanwhile.
  char tmpl[] = "/tmp/sc-pgrestart-XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  ASSERT_EQ(run_script("start " + dir), 0) << "cluster-services did not start";
  struct Cleanup {
    std::string dir;
    ~Cleanup() { run_script("stop " + dir); }
  } cleanup{dir};
  auto env = simpleclaw::testing_support::read_env_file(dir + "/env");
  FailoverCluster cl;
  cl.url = env["SIMPLECLAW_PG_URL"];
  cl.nats_url = env["SIMPLECLAW_NATS_URL"];
  cl.nats_user = env["SIMPLECLAW_NATS_USER"];
  cl.nats_password = env["SIMPLECLAW_NATS_PASSWORD"];
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  ASSERT_TRUE(ca);
  send(*ca, "pg", "before", "pg-0");
  ASSERT_EQ(chat_events(*ca, "pg-0").back()["state"], "final");

  ASSERT_EQ(run_script("pg-stop " + dir), 0);
  // A send meanwhile is refused, clearly, and not acknowledged.
  auto r = ca->call(
      "chat.send",
      Json{{"sessionKey", "pg"}, {"message", "during the outage"}, {"idempotencyKey", "pg-1"}});
  ASSERT_FALSE(r.ok()) << "acknowledged without a database: " << r->dump();
  EXPECT_EQ(r.error().code, simpleclaw::ErrorCode::kUnavailable) << r.error().message;
  std::printf("a send while PostgreSQL is down: %s\n", r.error().message.c_str());
  std::this_thread::sleep_for(std::chrono::seconds(3));  // past the lease TTL
  ASSERT_EQ(run_script("pg-start " + dir), 0);

  // The client retries until it goes in: once.
  Result<Json> again = Error::unavailable("not yet");
  ASSERT_TRUE(poll_until(
      [&] {
        again = ca->call("chat.send", Json{{"sessionKey", "pg"},
                                           {"message", "during the outage"},
                                           {"idempotencyKey", "pg-1"}});
        return again.ok();
      },
      15000))
      << again.error().message;
  EXPECT_EQ(final_event(*ca, "pg-1")["state"], "final");
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE run_id IN ('pg-0', 'pg-1') AND status = "
                     "'final'"),
            2);
  EXPECT_EQ(cl.count("SELECT count(*) FROM entries WHERE run_id = 'pg-1' AND role = 'user'"), 1);
  // Both instances are still members (neither reaped the other after the outage).
  ASSERT_TRUE(poll_until(
      [&] {
        return cl.count(
                   "SELECT count(*) FROM leases WHERE name LIKE 'instance:%' AND expires_at > "
                   "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)") == 2;
      },
      5000));
  EXPECT_TRUE(a->running() && b->running());
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE status = 'error'"), 0)
      << "no run of a live instance was recorded interrupted";
}

}  // namespace sctest
