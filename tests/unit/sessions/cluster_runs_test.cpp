// Cluster mode's runs in the shared store, on SQLite and (cluster.pg.ClusterRuns.*) on
// PostgreSQL, with two connections as two instances: a start recovers only its own runs;
// a dead instance's running runs are recorded interrupted and its queued ones adopted by
// the instance that reaps it; and two instances racing for the same cron occurrence 1,000
// times claim it once each time.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "sessions/cron_store.h"
#include "sessions/lease_store.h"
#include "support/test_store.h"

using namespace simpleclaw;
using namespace simpleclaw::sessions;

namespace {

BeginRun begin(const std::string& rest, const std::string& run, bool starts_now) {
  BeginRun b;
  b.key.key = "agent:main:" + rest;
  b.key.agent_id = "main";
  b.key.rest = rest;
  b.key.kind = "direct";
  b.run_id = run;
  b.message_id = "m-" + run;
  b.text = "hello " + run;
  b.now = 1000;
  b.starts_now = starts_now;
  return b;
}

RunStatus status_of(SessionStore& s, const std::string& run) {
  auto r = s.get_run(run);
  EXPECT_TRUE(r.ok() && r->has_value()) << run;
  return r.ok() && *r ? (*r)->status : RunStatus::kQueued;
}

}  // namespace

TEST(ClusterRuns, AStartRecoversItsOwnRunsAndTheReaperTakesOverADeadInstances) {
  testing_support::TestStore t;
  auto a = t.open();
  auto b = t.open();
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().message : a.error().message);
  a->set_instance("a");
  b->set_instance("b");
  ASSERT_TRUE(a->begin_run(begin("one", "a-running", true)).ok());
  ASSERT_TRUE(a->begin_run(begin("one", "a-queued", false)).ok());
  ASSERT_TRUE(b->begin_run(begin("two", "b-running", true)).ok());

  // b restarts: only its own run was cut off.
  auto marked = b->recover(2000);
  ASSERT_TRUE(marked.ok()) << marked.error().message;
  EXPECT_EQ(*marked, 1);
  EXPECT_EQ(status_of(*b, "b-running"), RunStatus::kError);
  EXPECT_EQ(status_of(*b, "a-running"), RunStatus::kRunning) << "a's run is a's";
  auto b_queued = b->queued_runs();
  ASSERT_TRUE(b_queued.ok());
  EXPECT_TRUE(b_queued->empty()) << "a's queued run is not b's to start";

  // a dies: b reaps it.
  auto reaped = b->reap_instance("a", 3000);
  ASSERT_TRUE(reaped.ok()) << reaped.error().message;
  EXPECT_EQ(reaped->interrupted, 1);
  ASSERT_EQ(reaped->adopted.size(), 1u);
  EXPECT_EQ(reaped->adopted[0].run_id, "a-queued");
  EXPECT_EQ(reaped->adopted[0].user_message_id, "m-a-queued");
  auto run = b->get_run("a-running");
  ASSERT_TRUE(run.ok() && run->has_value());
  EXPECT_EQ((*run)->status, RunStatus::kError);
  EXPECT_NE((*run)->error.find("instance a stopped"), std::string::npos) << (*run)->error;
  EXPECT_EQ(status_of(*b, "a-queued"), RunStatus::kQueued) << "still to run, on b now";
  EXPECT_EQ(b->queued_runs()->size(), 1u);
  auto again = b->reap_instance("a", 4000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->interrupted, 0);
  EXPECT_TRUE(again->adopted.empty()) << "nothing is taken over twice";
}

TEST(ClusterRuns, AnExpiredInstanceLeaseIsListedAndRemovedOnlyByItsHolder) {
  testing_support::TestStore t;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  ASSERT_TRUE(acquire_lease(*s, "instance:a", "a#1", 1).ok());
  ASSERT_TRUE(acquire_lease(*s, "instance:b", "b#1", 60000).ok());
  ASSERT_TRUE(acquire_lease(*s, "cron:leader", "a#1", 1).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  auto expired = expired_leases(*s, "instance:");
  ASSERT_TRUE(expired.ok()) << expired.error().message;
  ASSERT_EQ(expired->size(), 1u) << "b is alive and cron:leader is no instance";
  EXPECT_EQ((*expired)[0].name, "instance:a");
  auto taken = acquire_lease(*s, "instance:a", "b#1", 60000);
  ASSERT_TRUE(taken.ok() && taken->held);
  EXPECT_FALSE(*delete_lease(*s, "instance:a", "a#1", taken->epoch)) << "not a's any more";
  EXPECT_TRUE(*delete_lease(*s, "instance:a", "b#1", taken->epoch));
  EXPECT_TRUE(expired_leases(*s, "instance:")->empty());
}

TEST(ClusterRuns, TwoInstancesRacingForTheSameCronOccurrenceClaimItOnceEachTime) {
  testing_support::TestStore t;
  {
    auto s = t.open();
    ASSERT_TRUE(s.ok()) << s.error().message;
    CronJobRow job;
    job.id = "job-1";
    job.spec = Json{{"name", "race"}};
    job.state = Json::object();
    ASSERT_TRUE(put_cron_job(*s, job).ok());
  }
  constexpr int kOccurrences = 1000;
  std::vector<std::atomic<int>> winners(kOccurrences);
  std::atomic<int> errors{0};
  auto instance = [&](const char* name) {
    auto s = t.open();
    if (!s.ok()) {
      errors += kOccurrences;
      return;
    }
    for (int i = 0; i < kOccurrences; ++i) {
      CronRunRow r;
      r.job_id = "job-1";
      r.scheduled_ms = 1'000'000 + i * 1000;
      r.trigger = "schedule";
      r.started_ms = r.scheduled_ms;
      r.run_id = std::string(name) + "-" + std::to_string(i);
      auto claimed = claim_cron_run(*s, r);
      if (!claimed.ok())
        ++errors;
      else if (claimed->has_value())
        ++winners[i];
    }
  };
  std::thread x(instance, "a"), y(instance, "b");
  x.join();
  y.join();
  EXPECT_EQ(errors.load(), 0);
  int wrong = 0;
  for (int i = 0; i < kOccurrences; ++i)
    if (winners[i] != 1) ++wrong;
  EXPECT_EQ(wrong, 0) << "occurrences not claimed exactly once";
  auto s = t.open();
  CronRunQuery q;
  q.job_id = "job-1";
  q.limit = 5000;
  auto runs = list_cron_runs(*s, q);
  ASSERT_TRUE(runs.ok()) << runs.error().message;
  EXPECT_EQ(runs->second, kOccurrences) << "one record per occurrence";
}
