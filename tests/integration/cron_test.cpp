// Scheduled jobs against a real gateway whose wall clock the test moves
// (SIMPLECLAW_TEST_CLOCK_FILE, base/clock.h): a job due in an hour fires when the test
// says an hour passed, restarts happen with kill -9 or SIGTERM on the same state
// directory, and the fake LLM answers (or hangs) like a real provider.
#include <gtest/gtest.h>
#include <signal.h>

#include "base/clock.h"
#include "fakes/fake_llm.h"
#include "integration/chat_helpers.h"
#include "integration/cron_helpers.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;

TEST(Cron, AddListGetUpdateRemoveAndClearErrors) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);

  // Bad input: a clear error, nothing created.
  auto bad = c->call("cron.add", Json{{"schedule", {{"kind", "cron"}, {"expr", "0 25 * * *"}}},
                                      {"payload", {{"kind", "agentTurn"}, {"message", "x"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("hour"), std::string::npos) << bad.error().message;
  bad = c->call("cron.add",
                Json{{"schedule", {{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", "Mars/Base"}}},
                     {"payload", {{"kind", "agentTurn"}, {"message", "x"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("Mars/Base"), std::string::npos) << bad.error().message;
  bad = c->call("cron.add", Json{{"sessionTarget", "main"},
                                 {"schedule", {{"kind", "every"}, {"everyMs", kHour}}},
                                 {"payload", {{"kind", "agentTurn"}, {"message", "x"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("systemEvent"), std::string::npos) << bad.error().message;
  EXPECT_EQ(call_ok(*c, "cron.status", Json::object())["jobs"], 0);

  Json added = call_ok(*c, "cron.add", hourly("hourly check", "check the mail"));
  const std::string id = added.value("id", "");
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(added["sessionTarget"], "isolated");
  EXPECT_EQ(added["missedPolicy"], "run-once");
  EXPECT_EQ(added["schedule"]["anchorMs"], added["createdAtMs"]);
  EXPECT_EQ(added["state"]["nextRunAtMs"], added["createdAtMs"].get<std::int64_t>() + kHour);
  EXPECT_TRUE(added["configRevision"].is_string());
  EXPECT_EQ(added["deliveryPreview"]["label"], "not requested");

  // The list page is consistent (what OpenClaw's UI and CLI check).
  Json page =
      call_ok(*c, "cron.list", Json{{"includeDisabled", true}, {"limit", 50}, {"offset", 0}});
  ASSERT_EQ(page["jobs"].size(), 1u);
  EXPECT_EQ(page["total"], 1);
  EXPECT_EQ(page["hasMore"], false);
  EXPECT_TRUE(page["nextOffset"].is_null());
  EXPECT_FALSE(page["snapshotRevision"].get<std::string>().empty());
  Json compact = call_ok(*c, "cron.list", Json{{"compact", true}, {"enabled", "all"}});
  ASSERT_EQ(compact["jobs"].size(), 1u);
  EXPECT_TRUE(compact["jobs"][0].contains("lastRunAtMs"));
  EXPECT_TRUE(compact["jobs"][0]["lastRunAtMs"].is_null());
  EXPECT_TRUE(compact["jobs"][0]["lastRunStatus"].is_null());

  // A stale revision is refused; the current one works.
  auto stale = c->call(
      "cron.update",
      Json{{"id", id}, {"expectedConfigRevision", "sha256:old"}, {"patch", {{"enabled", false}}}});
  ASSERT_FALSE(stale.ok());
  EXPECT_EQ(stale.error().details.value("code", ""), "CRON_JOB_CHANGED");
  Json updated =
      call_ok(*c, "cron.update",
              Json{{"id", id},
                   {"expectedConfigRevision", added["configRevision"]},
                   {"patch", {{"enabled", false}, {"payload", {{"message", "check the post"}}}}}});
  EXPECT_EQ(updated["enabled"], false);
  EXPECT_EQ(updated["payload"]["message"], "check the post");
  EXPECT_EQ(updated["payload"]["kind"], "agentTurn");
  EXPECT_FALSE(updated["state"].contains("nextRunAtMs"));           // disabled: never due
  EXPECT_EQ(call_ok(*c, "cron.list", Json::object())["total"], 0);  // enabled only by default

  EXPECT_EQ(call_ok(*c, "cron.remove", Json{{"id", id}}), (Json{{"ok", true}, {"removed", true}}));
  auto gone = c->call("cron.get", Json{{"id", id}});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().details.value("code", ""), "CRON_JOB_NOT_FOUND");
  EXPECT_NE(gone.error().message.find("cron job not found: " + id), std::string::npos);
}

TEST(Cron, AJobFiresWhenDueAndItsRunIsRecorded) {
  FakeLlm llm;
  llm.push(Script{.when = "morning digest", .chunks = {"digest ", "ready"}});
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json job = call_ok(*c, "cron.add", hourly("digest", "morning digest"));
  const std::string id = job["id"];
  // Not yet: nothing runs before its time.
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_EQ(asked(llm, "morning digest"), 0);

  clock.advance(kHour + 1000);
  auto done = finished(*c, id);
  ASSERT_TRUE(done) << "the job did not run when due";
  EXPECT_EQ((*done)["status"], "ok");
  EXPECT_EQ((*done)["summary"], "digest ready");
  EXPECT_EQ((*done)["trigger"], "schedule");
  EXPECT_EQ(asked(llm, "morning digest"), 1);

  Json runs = runs_of(*c, id);
  ASSERT_EQ(runs["entries"].size(), 1u);
  const Json& e = runs["entries"][0];
  EXPECT_EQ(e["status"], "ok");
  EXPECT_EQ(e["runAtMs"], job["state"]["nextRunAtMs"]);
  EXPECT_EQ(e["runId"], "cron:" + id + ":" + std::to_string(e["runAtMs"].get<std::int64_t>()));
  // The run happened in the job's own session, where its transcript can be read.
  Json hist = call_ok(*c, "chat.history", Json{{"sessionKey", e["sessionKey"]}});
  EXPECT_NE(hist.dump().find("digest ready"), std::string::npos);
  Json got = call_ok(*c, "cron.get", Json{{"id", id}});
  EXPECT_EQ(got["state"]["lastRunStatus"], "ok");
  EXPECT_EQ(got["state"]["nextRunAtMs"], e["runAtMs"].get<std::int64_t>() + kHour);

  // cron.run force: now, recorded as manual with the run id it answered.
  Json ran = call_ok(*c, "cron.run", Json{{"id", id}});
  EXPECT_EQ(ran["enqueued"], true);
  auto manual = finished(*c, id);
  ASSERT_TRUE(manual);
  EXPECT_EQ((*manual)["trigger"], "manual");
  EXPECT_EQ((*manual)["runId"], ran["runId"]);
  Json due = call_ok(*c, "cron.run", Json{{"id", id}, {"mode", "due"}});
  EXPECT_EQ(due["ran"], false);
  EXPECT_EQ(due["reason"], "not-due");
}

TEST(Cron, RestartDuringARunRecordsItInterruptedAndNeverRunsItTwice) {
  FakeLlm llm;
  llm.push(Script{.when = "slow report", .head_delay_ms = 60'000});
  TestClock clock;
  TempDir state;
  std::string id;
  {
    START_GATEWAY(gw, cron_gateway(llm, clock, {}, state.path()));
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    id = call_ok(*c, "cron.add", hourly("report", "slow report"))["id"];
    clock.advance(kHour + 1000);
    ASSERT_TRUE(wait_event_if(
        *c, "cron", [&](const Json& f) { return f["payload"].value("action", "") == "started"; },
        10000));
    ASSERT_TRUE(llm.wait_requests(1));
    gw->signal(SIGKILL);
    gw->wait_exit(std::chrono::seconds(5));
  }
  START_GATEWAY(gw, cron_gateway(llm, clock, {}, state.path()));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json runs = runs_of(*c, id);
  ASSERT_EQ(runs["entries"].size(), 1u) << runs.dump();
  EXPECT_EQ(runs["entries"][0]["outcome"], "interrupted");
  EXPECT_EQ(runs["entries"][0]["status"], "error");
  Json job = call_ok(*c, "cron.get", Json{{"id", id}});
  EXPECT_EQ(job["state"]["lastRunStatus"], "error");
  EXPECT_EQ(job["state"]["consecutiveErrors"], 1);
  // Given time, the same occurrence is not run again.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(asked(llm, "slow report"), 1);
  EXPECT_EQ(runs_of(*c, id)["entries"].size(), 1u);
}

TEST(Cron, DownAcrossTwoDueTimesEachMissedPolicyIsFollowedAndRecorded) {
  FakeLlm llm;
  TestClock clock;
  TempDir state;
  std::string skip_id, once_id, all_id;
  {
    START_GATEWAY(gw, cron_gateway(llm, clock, {}, state.path()));
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    skip_id = call_ok(*c, "cron.add", hourly("a", "policy skip", "skip"))["id"];
    once_id = call_ok(*c, "cron.add", hourly("b", "policy once", "run-once"))["id"];
    all_id = call_ok(*c, "cron.add", hourly("c", "policy all", "run-all"))["id"];
    gw->stop();
  }
  clock.advance(2 * kHour + 30 * 60'000);  // two occurrences pass while it is down
  START_GATEWAY(gw, cron_gateway(llm, clock, {}, state.path()));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(eventually(
      [&] {
        return runs_of(*c, skip_id)["total"] == 2 && runs_of(*c, once_id)["total"] == 2 &&
               runs_of(*c, all_id)["total"] == 2 &&
               runs_of(*c, all_id)["entries"][1].value("status", "") == "ok" &&
               runs_of(*c, once_id)["entries"][1].value("status", "") == "ok";
      },
      15000));
  auto statuses = [&](const std::string& id) {
    std::vector<std::string> out;
    const Json runs = runs_of(*c, id);  // kept: a range-for over a temporary's member dangles
    for (const Json& e : runs["entries"])
      out.push_back(e.value("status", "?") + "/" + e.value("trigger", "?"));
    return out;
  };
  EXPECT_EQ(statuses(skip_id), (std::vector<std::string>{"skipped/missed", "skipped/missed"}));
  EXPECT_EQ(statuses(once_id), (std::vector<std::string>{"skipped/missed", "ok/missed"}));
  EXPECT_EQ(statuses(all_id), (std::vector<std::string>{"ok/missed", "ok/missed"}));
  EXPECT_EQ(asked(llm, "policy skip"), 0);
  EXPECT_EQ(asked(llm, "policy once"), 1);
  EXPECT_EQ(asked(llm, "policy all"), 2);
  // After catching up, each job waits for its next occurrence (the third hour).
  Json once = call_ok(*c, "cron.get", Json{{"id", once_id}});
  EXPECT_EQ(once["state"]["nextRunAtMs"], once["createdAtMs"].get<std::int64_t>() + 3 * kHour);
}

TEST(Cron, AHungRunTimesOutAndOtherJobsKeepFiring) {
  FakeLlm llm;
  llm.push(Script{.when = "hangs forever", .hang_after_head = true});
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock, "cron:\n  max_concurrent_runs: 2\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json hung = hourly("stuck", "hangs forever");
  hung["payload"]["timeoutSeconds"] = 1;
  const std::string hung_id = call_ok(*c, "cron.add", hung)["id"];
  const std::string other_id = call_ok(*c, "cron.add", hourly("other", "still fine"))["id"];
  clock.advance(kHour + 1000);
  auto other = finished(*c, other_id);
  ASSERT_TRUE(other) << "a hung job blocked another one";
  EXPECT_EQ((*other)["status"], "ok");
  auto timed_out = finished(*c, hung_id, 20000);
  ASSERT_TRUE(timed_out) << "the hung run was never ended";
  EXPECT_EQ((*timed_out)["status"], "error");
  EXPECT_EQ((*timed_out)["outcome"], "timeout");
  EXPECT_EQ((*timed_out)["errorReason"], "timeout");
  Json job = call_ok(*c, "cron.get", Json{{"id", hung_id}});
  EXPECT_FALSE(job["state"].contains("runningAtMs"));
  // The failure backs off: the next run is no sooner than 30 s after it (and here the
  // next hour comes later anyway).
  EXPECT_GE(job["state"]["nextRunAtMs"].get<std::int64_t>(),
            job["state"]["lastRunAtMs"].get<std::int64_t>() + 30'000);
}

TEST(Cron, AOneShotRunsOnceThenIsDeletedAndItsRunIsStillListed) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  Json at = hourly("once", "one shot reminder");
  at["schedule"] = Json{{"kind", "at"}, {"at", iso_utc_ms(now_ms() + 10 * 60'000)}};
  Json job = call_ok(*c, "cron.add", at);
  const std::string id = job.value("id", "");
  EXPECT_EQ(job["deleteAfterRun"], true);
  clock.advance(11 * 60'000);
  auto done = finished(*c, id);
  ASSERT_TRUE(done);
  EXPECT_EQ((*done)["status"], "ok");
  ASSERT_TRUE(eventually([&] { return !c->call("cron.get", Json{{"id", id}}).ok(); }));
  Json runs = call_ok(*c, "cron.runs", Json{{"scope", "all"}});
  ASSERT_EQ(runs["entries"].size(), 1u);
  EXPECT_EQ(runs["entries"][0]["jobId"], id);
  EXPECT_EQ(asked(llm, "one shot reminder"), 1);
}

TEST(Cron, WakeRunsATurnInTheMainSessionAndABlankTextIsRefused) {
  FakeLlm llm;
  llm.push(Script{.when = "check the door", .chunks = {"door is locked"}});
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(call_ok(*c, "wake", Json{{"mode", "now"}, {"text", "   "}})["ok"], false);
  EXPECT_EQ(llm.request_count(), 0u);
  Json woke = call_ok(*c, "wake", Json{{"mode", "now"}, {"text", "check the door"}});
  EXPECT_EQ(woke["ok"], true);
  ASSERT_TRUE(eventually(
      [&] {
        Json h = call_ok(*c, "chat.history", Json{{"sessionKey", "main"}});
        return h.dump().find("door is locked") != std::string::npos;
      },
      10000));
  EXPECT_EQ(asked(llm, "check the door"), 1);
}

}  // namespace
}  // namespace sctest

namespace sctest {
namespace {

// cron.preview: what a schedule builder shows before a job is saved.
TEST(CronPreview, NextRunsAreInTheSchedulesZoneAndBadSchedulesAreRefused) {
  START_GATEWAY(gw);
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto r = c->call(
      "cron.preview",
      Json{{"schedule", {{"kind", "cron"}, {"expr", "30 2 * * *"}, {"tz", "Europe/Berlin"}}}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ((*r)["tz"], "Europe/Berlin");
  const Json& runs = (*r)["nextRunsAtMs"];
  ASSERT_EQ(runs.size(), 5u);
  std::int64_t prev = (*r)["nowMs"].get<std::int64_t>();
  for (const Json& t : runs) {
    const std::int64_t ms = t.get<std::int64_t>();
    EXPECT_GT(ms, prev);
    prev = ms;
    // 02:30 in Berlin is 00:30 or 01:30 UTC (summer / winter time).
    const std::int64_t minute_of_day = (ms / 60000) % (24 * 60);
    EXPECT_TRUE(minute_of_day == 30 || minute_of_day == 90) << ms;
  }
  auto every = c->call("cron.preview",
                       Json{{"schedule", {{"kind", "every"}, {"everyMs", 90000}}}, {"count", 3}});
  ASSERT_TRUE(every.ok()) << every.error().message;
  ASSERT_EQ((*every)["nextRunsAtMs"].size(), 3u);
  EXPECT_EQ((*every)["nextRunsAtMs"][1].get<std::int64_t>() -
                (*every)["nextRunsAtMs"][0].get<std::int64_t>(),
            90000);
  // A one-shot in the past has no next run.
  auto past =
      c->call("cron.preview", Json{{"schedule", {{"kind", "at"}, {"at", "2020-01-01T00:00:00Z"}}}});
  ASSERT_TRUE(past.ok()) << past.error().message;
  EXPECT_EQ((*past)["nextRunsAtMs"].size(), 0u);

  auto bad =
      c->call("cron.preview", Json{{"schedule", {{"kind", "cron"}, {"expr", "61 * * * *"}}}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, simpleclaw::ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().message.find("expr"), std::string::npos) << bad.error().message;
  auto zone =
      c->call("cron.preview",
              Json{{"schedule", {{"kind", "cron"}, {"expr", "0 9 * * *"}, {"tz", "Mars/Base"}}}});
  ASSERT_FALSE(zone.ok());
  EXPECT_NE(zone.error().message.find("Mars/Base"), std::string::npos);
  EXPECT_FALSE(c->call("cron.preview",
                       Json{{"schedule", {{"kind", "every"}, {"everyMs", 1000}}}, {"count", 51}})
                   .ok());
}

}  // namespace
}  // namespace sctest
