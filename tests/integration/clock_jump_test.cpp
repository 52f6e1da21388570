// Wall-clock jumps against a real gateway (issue 18, zero-loss operations): the test moves
// the gateway's wall clock forward and back (SIMPLECLAW_TEST_CLOCK_FILE, base/clock.h;
// steady time never moves) and checks that no timer fires twice, fires early or is lost:
//
//   cron        a jump back never re-runs an occurrence that ran (the cursor is
//               persisted per job); a jump forward across due times follows missedPolicy
//               exactly like a restart; a jump that does not reach a due time fires nothing
//   approvals   deadlines are steady time: a day's jump forward does not expire a pending
//               approval, a jump back does not extend one
//   heartbeats  a jump back does not postpone the next one beyond one interval; a jump
//               forward of a day beats once
//   sessions    the idle reset counts a jump forward as time passed (a laptop waking up)
//               and does not take a session for younger after a jump back
//
// Counts are asserted after several scheduler ticks (100 ms each on a shifted clock), by
// asking (never by waiting for an event that must not come: a read that times out ends
// the test client's connection); waits for something that must happen are bounded
// generously.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "base/clock.h"
#include "fakes/fake_llm.h"
#include "integration/chat_helpers.h"
#include "integration/cron_helpers.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::FakeToolCall;
using fakes::Script;

constexpr std::int64_t kMinute = 60'000;
constexpr int kTicks = 1200;  // ms: a dozen scheduler ticks, for "nothing happened"

void settle() { std::this_thread::sleep_for(std::chrono::milliseconds(kTicks)); }

// Moves the clock and waits until the gateway reads it.
void jump(WsClient& c, TestClock& clock, std::int64_t ms) {
  clock.advance(ms);
  ASSERT_TRUE(gateway_sees(c, clock)) << "the gateway never read the moved clock";
}

int total_runs(WsClient& c, const std::string& id) { return runs_of(c, id).value("total", -1); }

std::vector<std::string> statuses(WsClient& c, const std::string& id) {
  std::vector<std::string> out;
  const Json runs = runs_of(c, id);
  for (const Json& e : runs["entries"])
    out.push_back(e.value("status", "?") + "/" + e.value("trigger", "?"));
  return out;
}

std::int64_t next_run_at(WsClient& c, const std::string& id) {
  return call_ok(c, "cron.get", Json{{"id", id}})["state"].value("nextRunAtMs", std::int64_t{0});
}

Json job_with(const std::string& name, const std::string& message, Json schedule) {
  Json j = hourly(name, message);
  j["schedule"] = std::move(schedule);
  return j;
}

// ---- cron ----------------------------------------------------------------------------

TEST(ClockJumps, BackTwoHoursAfterARunNothingRunsAgainAndTheNextOccurrenceRunsOnce) {
  FakeLlm llm;
  TestClock clock;
  // An hour boundary ahead: both jobs are due on it and every hour after.
  const std::int64_t h = (now_ms() / kHour + 2) * kHour;
  clock.set_to(h - 5000);
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string every_id =
      call_ok(*c, "cron.add",
              job_with("every", "every tick",
                       Json{{"kind", "every"}, {"everyMs", kHour}, {"anchorMs", h}}))["id"];
  const std::string cron_id =
      call_ok(*c, "cron.add",
              job_with("cron", "cron tick",
                       Json{{"kind", "cron"},
                            {"expr", "0 * * * *"},
                            {"tz", "UTC"},
                            {"staggerMs", 0}}))["id"];  // exact, no top-of-hour spread
  ASSERT_EQ(next_run_at(*c, every_id), h);
  ASSERT_EQ(next_run_at(*c, cron_id), h);

  clock.advance(10'000);  // just past h: both run, on time
  ASSERT_TRUE(eventually(
      [&] {
        return statuses(*c, every_id) == std::vector<std::string>{"ok/schedule"} &&
               statuses(*c, cron_id) == std::vector<std::string>{"ok/schedule"};
      },
      20000))
      << runs_of(*c, every_id).dump() << runs_of(*c, cron_id).dump();

  // Back two hours: the occurrences at h - 1h and h come round again on the wall clock,
  // and neither runs (h already ran; h - 1h was before the jobs existed).
  jump(*c, clock, -2 * kHour);
  settle();
  EXPECT_EQ(next_run_at(*c, every_id), h + kHour);
  EXPECT_EQ(next_run_at(*c, cron_id), h + kHour);
  jump(*c, clock, kHour);  // h - 1h + 5 s
  settle();
  jump(*c, clock, kHour);  // h + 5 s again
  settle();
  EXPECT_EQ(total_runs(*c, every_id), 1);
  EXPECT_EQ(total_runs(*c, cron_id), 1);
  EXPECT_EQ(asked(llm, "every tick"), 1);
  EXPECT_EQ(asked(llm, "cron tick"), 1);

  // Forward past h + 1h: exactly one run each, for that occurrence.
  jump(*c, clock, kHour);
  ASSERT_TRUE(eventually(
      [&] {
        return statuses(*c, every_id).size() == 2 && statuses(*c, cron_id).size() == 2 &&
               statuses(*c, every_id)[1] == "ok/schedule" &&
               statuses(*c, cron_id)[1] == "ok/schedule";
      },
      20000))
      << runs_of(*c, every_id).dump() << runs_of(*c, cron_id).dump();
  settle();
  for (const std::string& id : {every_id, cron_id}) {
    const Json runs = runs_of(*c, id);
    ASSERT_EQ(runs["entries"].size(), 2u) << runs.dump();
    EXPECT_EQ(runs["entries"][0]["runAtMs"], h);
    EXPECT_EQ(runs["entries"][1]["runAtMs"], h + kHour);
    EXPECT_EQ(next_run_at(*c, id), h + 2 * kHour);
  }
  EXPECT_EQ(asked(llm, "every tick"), 2);
  EXPECT_EQ(asked(llm, "cron tick"), 2);
}

TEST(ClockJumps, ForwardAcrossSeveralDueTimesFollowsMissedPolicyLikeARestart) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const Json skip = call_ok(*c, "cron.add", hourly("a", "policy skip", "skip"));
  const Json once = call_ok(*c, "cron.add", hourly("b", "policy once", "run-once"));
  const Json all = call_ok(*c, "cron.add", hourly("c", "policy all", "run-all"));
  const std::string skip_id = skip["id"], once_id = once["id"], all_id = all["id"];

  // Three occurrences pass in one jump (a suspended laptop waking, an NTP step).
  jump(*c, clock, 3 * kHour + 30 * kMinute);
  ASSERT_TRUE(eventually(
      [&] {
        return total_runs(*c, skip_id) == 3 && total_runs(*c, once_id) == 3 &&
               total_runs(*c, all_id) == 3 && statuses(*c, once_id)[2] == "ok/missed" &&
               statuses(*c, all_id)[2] == "ok/missed";
      },
      30000))
      << runs_of(*c, once_id).dump() << runs_of(*c, all_id).dump();
  settle();  // no burst afterwards
  EXPECT_EQ(statuses(*c, skip_id),
            (std::vector<std::string>{"skipped/missed", "skipped/missed", "skipped/missed"}));
  EXPECT_EQ(statuses(*c, once_id),
            (std::vector<std::string>{"skipped/missed", "skipped/missed", "ok/missed"}));
  EXPECT_EQ(statuses(*c, all_id),
            (std::vector<std::string>{"ok/missed", "ok/missed", "ok/missed"}));
  EXPECT_EQ(asked(llm, "policy skip"), 0);
  EXPECT_EQ(asked(llm, "policy once"), 1);
  EXPECT_EQ(asked(llm, "policy all"), 3);
  // Each occurrence once, in order; then each job waits for the fourth hour.
  for (const Json& job : {skip, once, all}) {
    const std::int64_t created = job["createdAtMs"];
    const Json runs = runs_of(*c, job["id"]);
    for (int i = 0; i < 3; ++i)
      EXPECT_EQ(runs["entries"][i]["runAtMs"], created + (i + 1) * kHour) << runs.dump();
    EXPECT_EQ(next_run_at(*c, job["id"]), created + 4 * kHour);
  }
}

TEST(ClockJumps, AJumpShortOfTheDueTimeFiresNothingAndALaterOneFiresItOnce) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::int64_t at = (now_ms() + 30 * kMinute) / 1000 * 1000;
  const std::string id = call_ok(*c, "cron.add",
                                 job_with("reminder", "half hour reminder",
                                          Json{{"kind", "at"}, {"at", iso_utc_ms(at)}}))["id"];

  jump(*c, clock, 10 * kMinute);  // 20 minutes early
  settle();
  EXPECT_EQ(asked(llm, "half hour reminder"), 0);
  EXPECT_EQ(total_runs(*c, id), 0);
  EXPECT_EQ(next_run_at(*c, id), at);
  jump(*c, clock, -kHour);  // and back an hour, then forward to where it was
  settle();
  jump(*c, clock, kHour);
  settle();
  EXPECT_EQ(asked(llm, "half hour reminder"), 0);
  EXPECT_EQ(next_run_at(*c, id), at);

  jump(*c, clock, 20 * kMinute + 5000);  // 5 s past it: on time
  auto done = finished(*c, id, 20000);
  ASSERT_TRUE(done) << "the one-shot never fired";
  EXPECT_EQ((*done)["status"], "ok");
  EXPECT_EQ((*done)["trigger"], "schedule");
  EXPECT_EQ((*done)["runAtMs"], at);
  settle();
  jump(*c, clock, kHour);  // and later still: nothing more
  settle();
  EXPECT_EQ(asked(llm, "half hour reminder"), 1);
  const Json runs = call_ok(*c, "cron.runs", Json{{"scope", "all"}});
  EXPECT_EQ(runs["entries"].size(), 1u) << runs.dump();
}

// ---- approvals -------------------------------------------------------------------------

Script exec_call(const std::string& command) {
  Script s;
  s.tool_calls = {FakeToolCall{"", "exec", Json{{"command", command}}.dump()}};
  return s;
}

Script answer_after(const std::string& text, const std::string& when_result) {
  Script s;
  s.chunks = {text};
  s.when_tool_result = when_result;
  return s;
}

ClientOptions approver_of(const GatewayProcess& gw) {
  ClientOptions o = gw.options();
  o.scopes = {"operator.approvals"};
  return o;
}

// The terminal chat event of run `run_id`.
std::optional<Json> run_end(WsClient& c, const std::string& run_id, int timeout_ms = 30000) {
  auto ev = wait_event_if(
      c, "chat",
      [&](const Json& f) {
        const Json& p = f["payload"];
        return p.value("runId", "") == run_id && p.value("state", "") != "delta";
      },
      timeout_ms);
  if (!ev) return std::nullopt;
  return (*ev)["payload"];
}

TEST(ClockJumps, APendingApprovalOutlivesADaysJumpForwardAndIsDecidedNormally) {
  FakeLlm llm;
  llm.push(exec_call("echo survived-the-jump"));
  llm.push(answer_after("it ran", "survived-the-jump"));
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock));  // the default approval timeout (minutes)
  auto c = gw->connect();
  auto op = gw->connect(approver_of(*gw));
  ASSERT_NE(c, nullptr);
  ASSERT_NE(op, nullptr);
  send(*c, "main", "run it", "j1");
  auto req = wait_event(*op, "exec.approval.requested", 15000);
  ASSERT_TRUE(req.has_value());
  const std::string id = (*req)["payload"]["id"];

  jump(*c, clock, 24 * kHour);  // far past expiresAtMs on the wall clock
  settle();
  // (Not a wait for an event that must not come: a read that times out ends the client.)
  Json pending = call_ok(*op, "exec.approval.list");
  ASSERT_EQ(pending.size(), 1u) << pending.dump();
  EXPECT_EQ(pending[0]["id"], id);

  ASSERT_TRUE(op->call("exec.approval.resolve", Json{{"id", id}, {"decision", "allow-once"}}).ok());
  auto end = run_end(*c, "j1");
  ASSERT_TRUE(end);
  EXPECT_EQ((*end)["state"], "final") << end->dump();
  EXPECT_EQ((*end)["message"]["content"][0]["text"], "it ran");
  auto resolved = wait_event(*op, "exec.approval.resolved", 5000);
  ASSERT_TRUE(resolved);
  EXPECT_EQ((*resolved)["payload"]["decision"], "allow-once");
}

TEST(ClockJumps, AJumpBackDoesNotExtendAnApprovalDeadline) {
  FakeLlm llm;
  llm.push(exec_call("echo never-answered"));
  llm.push(answer_after("nobody answered", "timed out"));
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock, "tools:\n  exec: {approval_timeout_ms: 2000}\n"));
  auto c = gw->connect();
  auto op = gw->connect(approver_of(*gw));
  ASSERT_NE(c, nullptr);
  ASSERT_NE(op, nullptr);
  send(*c, "main", "run it", "j2");
  auto req = wait_event(*op, "exec.approval.requested", 15000);
  ASSERT_TRUE(req.has_value());
  const Json& p = (*req)["payload"];
  EXPECT_EQ(p["expiresAtMs"].get<std::int64_t>() - p["createdAtMs"].get<std::int64_t>(), 2000);
  const auto t0 = std::chrono::steady_clock::now();

  clock.advance(-2 * kHour);  // on the wall clock, the deadline is now two hours away
  auto expired = wait_event_if(
      *op, "exec.approval.resolved",
      [](const Json& f) { return f["payload"].value("reason", "") == "timeout"; }, 30000);
  ASSERT_TRUE(expired) << "the deadline moved with the wall clock";
  EXPECT_EQ((*expired)["payload"]["decision"], "deny");
  // Within its two seconds, give or take a loaded machine; not two hours.
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(30));
  auto end = run_end(*c, "j2");
  ASSERT_TRUE(end);
  EXPECT_EQ((*end)["message"]["content"][0]["text"], "nobody answered") << end->dump();
}

// ---- heartbeats ------------------------------------------------------------------------

TEST(ClockJumps, AHeartbeatIsNotPostponedByAJumpBackAndBeatsOnceAfterADayForward) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock,
                                 "agents:\n  list:\n    - id: main\n      heartbeat: {every: 1h, "
                                 "target: none}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::int64_t first = call_ok(*c, "cron.status")["heartbeats"].value("nextAtMs", 0LL);
  ASSERT_GT(first, 0);

  jump(*c, clock, -2 * kHour);
  settle();
  // At most an interval away from the clock as it reads now (not three hours).
  const std::int64_t next = call_ok(*c, "cron.status")["heartbeats"].value("nextAtMs", 0LL);
  EXPECT_LE(next, gateway_now(*c) + kHour);
  EXPECT_EQ(asked(llm, "HEARTBEAT.md"), 0);

  jump(*c, clock, kHour + 5000);  // an hour later by the clock and by the heartbeat's count
  auto beat = wait_event(*c, "heartbeat", 20000);
  ASSERT_TRUE(beat) << "the jump back postponed the heartbeat";
  settle();
  EXPECT_EQ(asked(llm, "HEARTBEAT.md"), 1);

  jump(*c, clock, 24 * kHour);  // 24 intervals: one heartbeat, not 24
  ASSERT_TRUE(wait_event(*c, "heartbeat", 20000));
  settle();
  settle();
  EXPECT_EQ(asked(llm, "HEARTBEAT.md"), 2);
}

// ---- sessions.reset idle ---------------------------------------------------------------

std::string session_id_of(WsClient& c, const std::string& key) {
  return call_ok(c, "chat.history", Json{{"sessionKey", key}}).value("sessionId", "");
}

// A `sessions.changed` reset of `key` ("agent:main:<key>").
bool was_reset(WsClient& c, const std::string& key, int timeout_ms) {
  return wait_event_if(
             c, "sessions.changed",
             [&](const Json& f) {
               const Json& p = f["payload"];
               return p.value("reason", "") == "reset" && p.value("sessionKey", "") == key;
             },
             timeout_ms)
      .has_value();
}

TEST(ClockJumps, IdleResetCountsAJumpForwardAndIsNotFooledByAJumpBack) {
  FakeLlm llm;
  TestClock clock;
  START_GATEWAY(gw, cron_gateway(llm, clock,
                                 "gateway:\n  timers:\n    maintenance_ms: 100\n"
                                 "sessions:\n  reset: {mode: idle, idle_minutes: 60}\n"));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->call("sessions.subscribe").ok());
  send(*c, "main", "session a", "a1");
  ASSERT_EQ(chat_events(*c, "a1").back()["state"], "final");
  const std::string a_id = session_id_of(*c, "main");

  jump(*c, clock, 50 * kMinute);  // A is 50 minutes idle: kept
  settle();
  EXPECT_EQ(session_id_of(*c, "main"), a_id);
  // The clock is set back 20 minutes; B is used after that.
  jump(*c, clock, -20 * kMinute);
  send(*c, "other", "session b", "b1");
  ASSERT_EQ(chat_events(*c, "b1").back()["state"], "final");
  const std::string b_id = session_id_of(*c, "other");
  // A maintenance pass after the jump: the health summary that counts B comes from one.
  ASSERT_TRUE(wait_event_if(
      *c, "health", [](const Json& f) { return f["payload"]["sessions"].value("count", 0) >= 2; },
      10000));

  // 15 minutes on: A is 65 minutes idle (its stamp says 45) and starts over; B, 15
  // minutes idle, is kept.
  jump(*c, clock, 15 * kMinute);
  EXPECT_TRUE(was_reset(*c, "agent:main:main", 10000)) << "A looked younger than it is";
  EXPECT_NE(session_id_of(*c, "main"), a_id);
  settle();
  EXPECT_EQ(session_id_of(*c, "other"), b_id) << "B was reset early";

  // A day forward (a laptop waking up): B has been idle a day and starts over.
  jump(*c, clock, 24 * kHour);
  EXPECT_TRUE(was_reset(*c, "agent:main:other", 10000));
  EXPECT_NE(session_id_of(*c, "other"), b_id);
}

}  // namespace
}  // namespace sctest
