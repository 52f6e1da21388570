// Cluster mode's failover (docs/cluster.md "Ownership"; label cluster: the
// cluster_services fixture's PostgreSQL and NATS). Two real gateways on one database with
// short leases (TTL 2 s, renewal 0.5 s): only the cron leader fires jobs, and when it is
// killed (kill -9) the other takes the lead within TTL + one renewal and the occurrences go
// on, each run once; a killed instance's run in flight is recorded interrupted and the
// message it had queued is answered by the other instance.
#include <csignal>
#include <thread>

#include "integration/chat_helpers.h"
#include "integration/cli_run.h"
#include "integration/cluster_helpers.h"
#include "store/db.h"
#include "support/test_store.h"

namespace sctest {

TEST(ClusterFailover, CronFiresOnlyOnTheLeaderAndTheOtherTakesOverWhenItIsKilled) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a"));
  auto ca = a->connect();
  ASSERT_TRUE(ca);
  // a is the only instance for a moment: it takes the lead.
  ASSERT_TRUE(cl.leads("a", 5000)) << "a, alone at first, takes the cron lead";
  START_GATEWAY(b, cl.start("b"));
  Json added = call_ok(*ca, "cron.add",
                       Json{{"name", "tick"},
                            {"schedule", {{"kind", "every"}, {"everyMs", 1000}}},
                            {"payload", {{"kind", "agentTurn"}, {"message", "tick"}}}});
  const std::string job = added.value("id", "");
  ASSERT_FALSE(job.empty()) << added.dump();
  const std::string cron_runs_by =
      "SELECT count(*) FROM runs WHERE run_id LIKE 'cron:" + job + ":%' AND instance = ";
  ASSERT_TRUE(poll_until([&] { return cl.count(cron_runs_by + "'a'") >= 3; }, 8000))
      << "the leader fires the job";
  EXPECT_EQ(cl.count(cron_runs_by + "'b'"), 0) << "the follower fires nothing";

  const std::int64_t killed_at = simpleclaw::wall_now_ms();
  a->signal(SIGKILL);
  ASSERT_EQ(a->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  ASSERT_TRUE(poll_until([&] { return cl.count(cron_runs_by + "'b'") >= 2; }, 15000))
      << "b never took the job over";
  const std::int64_t first_b = cl.count(
      "SELECT min(created_at) FROM runs WHERE run_id LIKE 'cron:" + job + ":%' AND instance = 'b'");
  const std::int64_t took = first_b - killed_at;
  // The lease expires TTL after a's last renewal; b's next round takes it; the job is due
  // within its 1 s period (a late occurrence runs at once by its missedPolicy).
  EXPECT_LE(took, kTtlMs + kRenewMs + 1000 + kSlackMs) << "takeover took " << took << " ms";
  std::printf("cron takeover: first run on b %lld ms after the kill\n",
              static_cast<long long>(took));
  EXPECT_EQ(cl.count("SELECT count(*) FROM (SELECT scheduled_ms FROM cron_runs WHERE job_id = '" +
                     job + "' GROUP BY scheduled_ms HAVING count(*) > 1) AS d"),
            0)
      << "an occurrence ran twice";
  EXPECT_EQ(cl.count("SELECT count(*) FROM leases WHERE name = 'instance:a'"), 0)
      << "b cleaned up after a";
  EXPECT_TRUE(b->running());
}

TEST(ClusterFailover,
     AKilledInstancesRunIsRecordedInterruptedAndItsQueuedMessageAnsweredElsewhere) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  fakes::Script hang;
  hang.when = "slow question";
  hang.hang_after_head = true;
  cl.llm.push(hang);
  START_GATEWAY(a, cl.start("a"));
  START_GATEWAY(b, cl.start("b"));
  auto ca = a->connect();
  ASSERT_TRUE(ca);
  Json first = send(*ca, "main", "slow question", "k1");
  Json second = send(*ca, "main", "second question", "k2");
  const std::string r1 = first.value("runId", ""), r2 = second.value("runId", "");
  ASSERT_FALSE(r1.empty() || r2.empty()) << first.dump() << second.dump();
  ASSERT_TRUE(cl.llm.wait_requests(1)) << "the first run reached the model";
  EXPECT_EQ(cl.rows("SELECT status, instance FROM runs WHERE run_id = '" + r2 + "'"),
            (std::vector<std::vector<std::string>>{{"queued", "a"}}));

  a->signal(SIGKILL);
  ASSERT_EQ(a->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  const std::string status = "SELECT status FROM runs WHERE run_id = ";
  ASSERT_TRUE(poll_until(
      [&] {
        auto r = cl.rows(status + "'" + r2 + "'");
        return !r.empty() && r[0][0] == "final";
      },
      15000))
      << "b never answered the message a had queued";
  auto cut = cl.rows("SELECT status, error FROM runs WHERE run_id = '" + r1 + "'");
  ASSERT_EQ(cut.size(), 1u);
  EXPECT_EQ(cut[0][0], "error");
  EXPECT_NE(cut[0][1].find("interrupted: gateway instance a stopped"), std::string::npos)
      << cut[0][1];
  EXPECT_EQ(cl.rows("SELECT instance FROM runs WHERE run_id = '" + r2 + "'")[0][0], "b");
  // The answer is in the transcript, once, and any instance shows it.
  auto cb = b->connect();
  ASSERT_TRUE(cb);
  Json history = call_ok(*cb, "chat.history", Json{{"sessionKey", "main"}});
  int answers = 0;
  for (const Json& m : history.value("messages", Json::array()))
    if (m.value("role", "") == "assistant" && m.value("runId", "") == r2 &&
        m.dump().find("second question") != std::string::npos)
      ++answers;
  EXPECT_EQ(answers, 1) << history.dump();
  EXPECT_EQ(cl.count("SELECT count(*) FROM runs WHERE status IN ('running', 'queued')"), 0)
      << "no run left running";
}

TEST(ClusterFailover, StatusAndTheCliShowTheInstancesTheLeaderAndAGoneInstanceLeaves) {
  FailoverCluster cl;
  ASSERT_FALSE(cl.url.empty()) << cl.why;
  START_GATEWAY(a, cl.start("a"));
  ASSERT_TRUE(cl.leads("a", 5000)) << "a, alone at first, takes the cron lead";
  START_GATEWAY(b, cl.start("b"));
  auto cb = b->connect();
  ASSERT_TRUE(cb);
  Json cluster;
  ASSERT_TRUE(poll_until(
      [&] {
        cluster = call_ok(*cb, "status")["subsystems"]["cluster"];
        return cluster.value("instances", Json::array()).size() == 2 &&
               cluster["nats"].value("connected", false);
      },
      5000))
      << cluster.dump();
  EXPECT_EQ(cluster["instance"], "b");
  EXPECT_EQ(cluster["isLeader"], false);
  EXPECT_EQ(cluster["leader"].get<std::string>().substr(0, 2), "a#");
  EXPECT_EQ(cluster["store"]["ok"], true);
  for (const Json& i : cluster["instances"]) {
    EXPECT_EQ(i["live"], true) << i.dump();
    EXPECT_EQ(i["self"], i["id"] == "b") << i.dump();
  }
  EXPECT_EQ(cluster.dump().find(cl.env["SIMPLECLAW_NATS_PASSWORD"]), std::string::npos);

  CmdResult text = run_simpleclaw({"cluster", "status", "--config", a->config_path()}, a->dir());
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_NE(text.out.find("cluster " + cl.name + " on postgresql://"), std::string::npos)
      << text.out;
  EXPECT_NE(text.out.find("instances: 2 live"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("[cron leader]"), std::string::npos) << text.out;
  EXPECT_EQ((text.out + text.err).find(cl.env["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);

  b->signal(SIGKILL);
  ASSERT_EQ(b->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  Json after;
  ASSERT_TRUE(poll_until(
      [&] {
        CmdResult j =
            run_simpleclaw({"cluster", "status", "--json", "--config", a->config_path()}, a->dir());
        after = Json::parse(j.out, nullptr, false);
        return after.is_object() && after["instances"].size() == 1;
      },
      kTtlMs + kRenewMs + 5000))
      << "the killed instance never left: " << after.dump();
  EXPECT_EQ(after["instances"][0]["id"], "a");
  EXPECT_EQ(after["leader"], "a");
}

}  // namespace sctest
