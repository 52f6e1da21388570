// What cron.add and cron.update make of a client's job: OpenClaw's defaults, simpleclaw's
// missedPolicy, and a clear refusal for everything else.
#include <gtest/gtest.h>

#include "gateway/cron/job.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::int64_t kCreatedAt = 1'780'000'000'000;  // 2026-05-28

JobContext ctx() {
  JobContext c;
  c.now = kCreatedAt;
  c.default_agent = "main";
  c.default_tz = "UTC";
  c.agent_exists = [](const void*, const std::string& id) { return id == "main" || id == "ops"; };
  return c;
}

Json agent_turn(const std::string& msg) { return Json{{"kind", "agentTurn"}, {"message", msg}}; }
Json every_hour() { return Json{{"kind", "every"}, {"everyMs", 3'600'000}}; }

std::string refusal(const Json& fields) {
  auto r = normalize_job(fields, ctx(), kCreatedAt);
  EXPECT_FALSE(r.ok()) << fields.dump() << " was accepted: " << (r.ok() ? r->dump() : "");
  return r.ok() ? "" : r.error().message;
}

TEST(CronJobSpec, DefaultsFollowThePayload) {
  auto turn = normalize_job(
      Json{{"schedule", every_hour()}, {"payload", agent_turn("Check the mail\nthen more")}}, ctx(),
      kCreatedAt);
  ASSERT_TRUE(turn.ok()) << turn.error().message;
  EXPECT_EQ((*turn)["name"], "Check the mail");  // the message's first line
  EXPECT_EQ((*turn)["sessionTarget"], "isolated");
  EXPECT_EQ((*turn)["wakeMode"], "now");
  EXPECT_EQ((*turn)["delivery"], (Json{{"mode", "announce"}, {"channel", "last"}}));
  EXPECT_EQ((*turn)["missedPolicy"], "run-once");
  EXPECT_EQ((*turn)["deleteAfterRun"], false);
  EXPECT_EQ((*turn)["schedule"]["anchorMs"], kCreatedAt);

  auto event = normalize_job(Json{{"name", "ping"},
                                  {"schedule", {{"kind", "at"}, {"at", "2026-06-01T09:00:00Z"}}},
                                  {"payload", {{"kind", "systemEvent"}, {"text", "stand-up"}}}},
                             ctx(), kCreatedAt);
  ASSERT_TRUE(event.ok()) << event.error().message;
  EXPECT_EQ((*event)["sessionTarget"], "main");
  EXPECT_FALSE(event->contains("delivery"));    // a main-session turn answers in place
  EXPECT_EQ((*event)["deleteAfterRun"], true);  // a one-shot goes once it has run
}

TEST(CronJobSpec, TopOfHourCronExpressionsAreStaggeredUnlessExact) {
  auto hourly = normalize_job(
      Json{{"schedule", {{"kind", "cron"}, {"expr", "0 * * * *"}}}, {"payload", agent_turn("x")}},
      ctx(), kCreatedAt);
  ASSERT_TRUE(hourly.ok());
  EXPECT_EQ((*hourly)["schedule"]["staggerMs"], 300'000);
  auto exact =
      normalize_job(Json{{"schedule", {{"kind", "cron"}, {"expr", "0 * * * *"}, {"staggerMs", 0}}},
                         {"payload", agent_turn("x")}},
                    ctx(), kCreatedAt);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ((*exact)["schedule"]["staggerMs"], 0);
  auto nine = normalize_job(
      Json{{"schedule", {{"kind", "cron"}, {"expr", "0 9 * * *"}}}, {"payload", agent_turn("x")}},
      ctx(), kCreatedAt);
  ASSERT_TRUE(nine.ok());
  EXPECT_FALSE((*nine)["schedule"].contains("staggerMs"));  // a fixed hour is meant exactly
}

TEST(CronJobSpec, BadJobsAreRefusedSayingWhy) {
  const Json s = every_hour();
  EXPECT_NE(refusal(Json{{"schedule", s}}).find("payload is required"), std::string::npos);
  EXPECT_NE(refusal(Json{{"payload", agent_turn("x")}}).find("schedule is required"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", s}, {"payload", {{"kind", "command"}, {"argv", {"ls"}}}}})
                .find("not supported"),
            std::string::npos);
  EXPECT_NE(
      refusal(Json{{"schedule", s}, {"payload", agent_turn("x")}, {"trigger", {{"script", "x"}}}})
          .find("not supported"),
      std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", s}, {"payload", agent_turn("x")}, {"colour", "red"}})
                .find("colour"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", s}, {"payload", agent_turn("x")}, {"agentId", "ghost"}})
                .find("ghost"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", s}, {"payload", agent_turn("x")}, {"missedPolicy", "maybe"}})
                .find("missedPolicy"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", s},
                         {"payload", agent_turn("x")},
                         {"delivery", {{"mode", "webhook"}, {"to", "ftp://x"}}}})
                .find("URL"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", {{"kind", "at"}, {"at", "2020-01-01T00:00:00Z"}}},
                         {"payload", agent_turn("x")}})
                .find("in the past"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"schedule", {{"kind", "cron"}, {"expr", "0 0 30 2 *"}}},
                         {"payload", agent_turn("x")}})
                .find("never fire"),
            std::string::npos);
  EXPECT_NE(refusal(Json{{"sessionTarget", "main"}, {"schedule", s}, {"payload", agent_turn("x")}})
                .find("systemEvent"),
            std::string::npos);
}

TEST(CronJobSpec, PatchesMergeClearAndRecheck) {
  auto spec = normalize_job(
      Json{{"name", "digest"},
           {"schedule", every_hour()},
           {"payload", {{"kind", "agentTurn"}, {"message", "a"}, {"model", "fake/x"}}},
           {"description", "old"}},
      ctx(), kCreatedAt);
  ASSERT_TRUE(spec.ok());
  auto p = patch_job(*spec, Json{{"payload", {{"message", "b"}}}, {"description", nullptr}}, ctx(),
                     kCreatedAt);
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ((*p)["payload"]["message"], "b");
  EXPECT_EQ((*p)["payload"]["model"], "fake/x");  // the rest of the payload stays
  EXPECT_FALSE(p->contains("description"));
  // A schedule change takes a new anchor (the job's creation time stays the base).
  auto q = patch_job(*p, Json{{"schedule", {{"kind", "every"}, {"everyMs", 60'000}}}}, ctx(),
                     kCreatedAt);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ((*q)["schedule"]["everyMs"], 60'000);
  // A patch that breaks the job is refused like a bad cron.add.
  auto bad =
      patch_job(*p, Json{{"payload", {{"kind", "systemEvent"}, {"text", "x"}}}}, ctx(), kCreatedAt);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("agentTurn"), std::string::npos);
}

TEST(CronJobSpec, RunRecordsReadAsOpenClawsRunLog) {
  sessions::CronRunRow r;
  r.job_id = "j1";
  r.scheduled_ms = kCreatedAt;
  r.trigger = "schedule";
  r.status = "timeout";
  r.started_ms = kCreatedAt + 5;
  r.ended_ms = kCreatedAt + 1005;
  r.error = "the run exceeded its timeout and was aborted";
  Json e = run_entry(r, "digest");
  EXPECT_EQ(e["status"], "error");
  EXPECT_EQ(e["outcome"], "timeout");
  EXPECT_EQ(e["errorReason"], "timeout");
  EXPECT_EQ(e["durationMs"], 1000);
  EXPECT_EQ(e["completionStatus"], "failed");
  EXPECT_EQ(e["action"], "finished");
  EXPECT_EQ(e["jobName"], "digest");
}

}  // namespace
}  // namespace simpleclaw::gateway
