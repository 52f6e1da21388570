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
#include "sessions/outbox_store.h"
#include "sessions/shared_doc_store.h"
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
  auto reaped = b->reap_instance("a", "", 3000);
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
  auto again = b->reap_instance("a", "", 4000);
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

TEST(ClusterRuns, TwoInstancesQueueingTheSameReplyQueueItOnce) {
  // The instance the run ended on and the account's owner (reading the run's stored
  // route) may both queue its reply; one of them adds it.
  testing_support::TestStore t;
  constexpr int kRuns = 200;
  {
    auto s = t.open();
    ASSERT_TRUE(s.ok()) << s.error().message;
    for (int i = 0; i < kRuns; ++i) {
      BeginRun b = begin("race-" + std::to_string(i), "r" + std::to_string(i), true);
      b.reply_route = R"({"account":"telegram/default","peer":{"chat":"1"}})";
      ASSERT_TRUE(s->begin_run(b).ok());
      FinishRun f;
      f.run_id = b.run_id;
      f.session_key = b.key.key;
      f.now = 2000;
      ASSERT_TRUE(s->finish_run(f).ok());
    }
  }
  std::atomic<int> errors{0}, added{0};
  auto instance = [&] {
    auto s = t.open();
    if (!s.ok()) {
      errors += kRuns;
      return;
    }
    for (int i = 0; i < kRuns; ++i) {
      std::vector<OutboxRow> rows(1);
      rows[0].account = "telegram/default";
      rows[0].text = "reply " + std::to_string(i);
      auto r = add_outbox(*s, rows, "r" + std::to_string(i));
      if (!r.ok()) {
        ++errors;
      } else if (*r) {
        ++added;
        EXPECT_GT(rows[0].seq, 0);
      } else {
        EXPECT_EQ(rows[0].seq, 0) << "nothing stored by the one that lost";
      }
    }
  };
  std::thread x(instance), y(instance);
  x.join();
  y.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_EQ(added.load(), kRuns);
  auto s = t.open();
  auto rows = load_outbox(*s, "telegram/default");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->size(), static_cast<std::size_t>(kRuns)) << "one message per reply";
  auto pending = pending_replies(*s, "telegram/default");
  ASSERT_TRUE(pending.ok());
  EXPECT_TRUE(pending->empty());
  // A message that is no run's reply is always stored.
  std::vector<OutboxRow> note(1);
  note[0].account = "telegram/default";
  note[0].text = "a note";
  auto r = add_outbox(*s, note, "");
  ASSERT_TRUE(r.ok() && *r);
  EXPECT_GT(note[0].seq, 0);
}

TEST(ClusterRuns, ASessionLaneIsOneInstancesUntilItsLastRunEndsAndAStaleEpochWritesNothing) {
  testing_support::TestStore t;
  auto a = t.open();
  auto b = t.open();
  ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().message : a.error().message);
  a->set_instance("a");
  a->set_lanes("a#1", 60000);
  b->set_instance("b");
  b->set_lanes("b#1", 60000);

  // a takes the session's lane with its first run; b is told where the session lives.
  ASSERT_TRUE(a->begin_run(begin("lane", "a-1", true)).ok());
  ASSERT_TRUE(a->begin_run(begin("lane", "a-2", false)).ok()) << "a's own lane: queued behind";
  auto refused = b->begin_run(begin("lane", "b-1", true));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, simpleclaw::ErrorCode::kUnavailable);
  EXPECT_EQ(refused.error().details.value("code", ""), "LANE_ELSEWHERE");
  EXPECT_NE(refused.error().message.find("gateway instance a"), std::string::npos)
      << refused.error().message;
  EXPECT_FALSE(b->get_run("b-1")->has_value()) << "nothing of the refused send is stored";
  // Renewal keeps it; b's renewal renews nothing of a's.
  EXPECT_EQ(*renew_held_leases(*a, "lane:", "a#1", 60000), 1);
  EXPECT_EQ(*renew_held_leases(*b, "lane:", "b#1", 60000), 0);

  // The lane stays a's while a run is queued in it, and is free once the last one ends.
  FinishRun f;
  f.run_id = "a-1";
  f.session_key = "agent:main:lane";
  f.now = 2000;
  ASSERT_TRUE(a->finish_run(f).ok());
  EXPECT_FALSE(b->begin_run(begin("lane", "b-1", true)).ok()) << "a-2 still waits in a's lane";
  ASSERT_TRUE(a->mark_running("a-2").ok());
  f.run_id = "a-2";
  ASSERT_TRUE(a->finish_run(f).ok());
  ASSERT_TRUE(b->begin_run(begin("lane", "b-1", true)).ok()) << "free again: b takes it";

  // The fence: a run of a lane whose lease passed to another holder (a cut off from the
  // database past the TTL, the lane taken over) writes nothing to the transcript.
  ASSERT_TRUE(a->begin_run(begin("fenced", "a-3", true)).ok());
  ASSERT_TRUE(
      a->db().run("UPDATE leases SET expires_at = 0 WHERE name = 'lane:agent:main:fenced'").ok());
  auto took = acquire_lease(*b, "lane:agent:main:fenced", "b#1", 60000);
  ASSERT_TRUE(took.ok() && took->held);
  std::vector<Entry> step(1);
  step[0].message_id = "tool-round";
  step[0].role = Role::kAssistant;
  step[0].text = "a late tool round";
  auto wrote = a->append_step("a-3", step, 3000);
  ASSERT_FALSE(wrote.ok());
  EXPECT_EQ(wrote.error().details.value("code", ""), "LANE_LOST");
  FinishRun late;
  late.run_id = "a-3";
  late.session_key = "agent:main:fenced";
  late.now = 3000;
  Entry reply;
  reply.message_id = "late-reply";
  reply.text = "a late answer";
  late.reply = reply;
  auto ended = a->finish_run(late);
  ASSERT_TRUE(ended.ok()) << ended.error().message;
  EXPECT_FALSE(ended->has_value()) << "no reply entry written";
  auto run = a->get_run("a-3");
  EXPECT_EQ((*run)->status, RunStatus::kError);
  EXPECT_NE((*run)->error.find("moved to another gateway instance"), std::string::npos);
  auto page = b->history("agent:main:fenced", 50, 0);
  ASSERT_TRUE(page.ok());
  for (const Entry& e : page->entries) EXPECT_NE(e.text, "a late answer");
}

TEST(ClusterRuns, ADeadInstancesLanesAndAccountsAreFreedByItsReaperWhoTakesTheAdoptedRunsLanes) {
  testing_support::TestStore t;
  auto a = t.open();
  auto b = t.open();
  ASSERT_TRUE(a.ok() && b.ok());
  a->set_instance("a");
  a->set_lanes("a#1", 60000);
  b->set_instance("b");
  b->set_lanes("b#1", 60000);
  ASSERT_TRUE(a->begin_run(begin("x", "a-running", true)).ok());
  ASSERT_TRUE(a->begin_run(begin("x", "a-queued", false)).ok());
  ASSERT_TRUE(acquire_lease(*a, "channel:telegram/default", "a#1", 60000).ok());
  auto reaped = b->reap_instance("a", "a#1", 5000);
  ASSERT_TRUE(reaped.ok()) << reaped.error().message;
  ASSERT_EQ(reaped->adopted.size(), 1u);
  // The adopted run runs in b's lane now; a's channel account is free for the taking.
  ASSERT_TRUE(b->mark_running("a-queued").ok());
  auto all = list_leases(*b);
  ASSERT_TRUE(all.ok());
  std::string lane_holder;
  for (const Lease& l : *all)
    if (l.name == "lane:agent:main:x") lane_holder = l.holder;
  EXPECT_EQ(lane_holder, "b#1");
  auto account = acquire_lease(*b, "channel:telegram/default", "b#1", 60000);
  ASSERT_TRUE(account.ok());
  EXPECT_TRUE(account->held) << "not waiting for a's lease to run out";
  Entry e;
  e.message_id = "reply-x";
  e.text = "answered by b";
  FinishRun f;
  f.run_id = "a-queued";
  f.session_key = "agent:main:x";
  f.now = 6000;
  f.reply = e;
  auto ended = b->finish_run(f);
  ASSERT_TRUE(ended.ok() && ended->has_value()) << "b's epoch: its writes go in";
}

TEST(ClusterRuns, TwoInstancesChangingOneSharedDocumentAtOnceBothLand) {
  // Each change is a read-modify-write in one transaction, the row locked meanwhile: 200
  // increments from each of two connections make 400, none lost.
  testing_support::TestStore t;
  constexpr int kEach = 200;
  std::atomic<int> errors{0};
  auto instance = [&] {
    auto s = t.open();
    if (!s.ok()) {
      errors += kEach;
      return;
    }
    for (int i = 0; i < kEach; ++i) {
      if (!s->db().begin().ok()) {
        ++errors;
        continue;
      }
      auto r = change_shared_doc(
          *s, "counter",
          [](const std::string& cur) {
            return std::to_string(cur.empty() ? 1 : std::stoi(cur) + 1);
          },
          1000);
      if (!r.ok() || !s->db().run("COMMIT").ok()) {
        ++errors;
        (void)s->db().run("ROLLBACK");
      }
    }
  };
  std::thread x(instance), y(instance);
  x.join();
  y.join();
  EXPECT_EQ(errors.load(), 0);
  auto s = t.open();
  auto doc = read_shared_doc(*s, "counter");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_EQ((*doc)->text, std::to_string(2 * kEach));
  EXPECT_EQ((*doc)->version, 2 * kEach);
  // A change that refuses (a device pairing request not found) writes nothing.
  auto refused = change_shared_doc(
      *s, "counter", [](const std::string&) { return std::optional<std::string>(); }, 2000);
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_EQ(refused->text, std::to_string(2 * kEach));
  EXPECT_EQ(refused->version, 2 * kEach);
  auto none = read_shared_doc(*s, "nothing");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
}
