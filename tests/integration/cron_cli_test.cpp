// `simpleclaw cron list|add|edit|rm|run|runs` as a user runs it: the real binary as a
// subprocess against a real gateway (with the fake LLM behind it), each result checked
// through the protocol (cron.get, cron.status) as well as on the command's output. TZ is
// set for the CLI so its local times are known.
#include <gtest/gtest.h>

#include <regex>

#include "base/clock.h"
#include "fakes/fake_llm.h"
#include "integration/chat_helpers.h"
#include "integration/cli_run.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

using fakes::FakeLlm;
using fakes::Script;

// `simpleclaw cron <args>` pointed at this gateway through its state dir, with TZ=tz.
CmdResult cron_cli(const GatewayProcess& gw, std::vector<std::string> args,
                   const std::string& tz = "UTC", const std::string& stdin_text = {}) {
  args.insert(args.begin(), "cron");
  for (const std::string& a :
       {std::string("--state-dir"), gw.state_dir(), std::string("--config"), gw.config_path()})
    args.push_back(a);
  return run_simpleclaw(args, gw.dir(), {{"TZ", tz}}, 60, stdin_text);
}

// The id in "added job <id>: <name>".
std::string added_id(const CmdResult& r) {
  std::smatch m;
  static const std::regex kAdded("added job (\\S+): ");
  if (!std::regex_search(r.out, m, kAdded)) {
    ADD_FAILURE() << "no 'added job' line:\n" << r.out << "\nstderr:\n" << r.err;
    return "";
  }
  return m[1];
}

Json get_job(WsClient& c, const std::string& id) {
  auto r = c.call("cron.get", Json{{"id", id}});
  EXPECT_TRUE(r.ok()) << id << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

int job_count(WsClient& c) {
  auto r = c.call("cron.status", Json::object());
  EXPECT_TRUE(r.ok());
  return r.ok() ? r->value("jobs", -1) : -1;
}

// The line of a table that mentions `id`.
std::string line_with(const std::string& text, const std::string& id) {
  auto at = text.find(id);
  if (at == std::string::npos) return "";
  auto start = text.rfind('\n', at);
  start = start == std::string::npos ? 0 : start + 1;
  return text.substr(start, text.find('\n', at) - start);
}

// How the CLI shows an instant with TZ=UTC: "2026-12-24 18:00 UTC", seconds when not :00.
std::string utc_shown(std::int64_t ms) {
  const std::string iso = simpleclaw::iso_utc(ms);  // 2026-12-24T18:00:05.000Z
  std::string s = iso.substr(0, 10) + " " + iso.substr(11, 5);
  if (iso.substr(17, 2) != "00") s += ":" + iso.substr(17, 2);
  return s + " UTC";
}

TEST(CronCli, AddTakesEachScheduleFormAndTheGatewayHasIt) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);

  auto every = cron_cli(*gw, {"add", "--name", "mail", "--every", "30m", "--message",
                              "check the mail", "--no-deliver", "--missed", "skip"});
  ASSERT_EQ(every.code, 0) << every.err;
  Json j = get_job(*c, added_id(every));
  EXPECT_EQ(j["schedule"]["kind"], "every");
  EXPECT_EQ(j["schedule"]["everyMs"], 1'800'000);
  EXPECT_EQ(j["name"], "mail");
  EXPECT_EQ(j["sessionTarget"], "isolated");
  EXPECT_EQ(j["payload"]["kind"], "agentTurn");
  EXPECT_EQ(j["payload"]["message"], "check the mail");
  EXPECT_EQ(j["delivery"]["mode"], "none");
  EXPECT_EQ(j["missedPolicy"], "skip");
  EXPECT_NE(every.out.find("schedule: every 30m"), std::string::npos) << every.out;
  EXPECT_NE(every.out.find("next run: " + utc_shown(j["state"]["nextRunAtMs"].get<std::int64_t>())),
            std::string::npos)
      << every.out;

  // A cron expression in a zone other than the CLI's: the next run is shown in the job's
  // zone, and on this host's clock too.
  auto weekdays =
      cron_cli(*gw, {"add", "--name", "standup", "--cron", "0 9 * * 1-5", "--tz", "Europe/Berlin",
                     "--system-event", "standup time", "--stagger", "0s"});
  ASSERT_EQ(weekdays.code, 0) << weekdays.err;
  j = get_job(*c, added_id(weekdays));
  EXPECT_EQ(
      j["schedule"],
      (Json{{"kind", "cron"}, {"expr", "0 9 * * 1-5"}, {"tz", "Europe/Berlin"}, {"staggerMs", 0}}));
  EXPECT_EQ(j["sessionTarget"], "main");
  EXPECT_EQ(j["payload"], (Json{{"kind", "systemEvent"}, {"text", "standup time"}}));
  EXPECT_NE(weekdays.out.find("schedule: cron 0 9 * * 1-5 (Europe/Berlin)"), std::string::npos)
      << weekdays.out;
  EXPECT_NE(weekdays.out.find(" 09:00 CET (in "), std::string::npos) << weekdays.out;
  EXPECT_NE(weekdays.out.find(", here " + utc_shown(j["state"]["nextRunAtMs"].get<std::int64_t>())),
            std::string::npos)
      << weekdays.out;

  // --at without an offset: wall-clock time in --tz, sent as UTC.
  auto ny = cron_cli(*gw, {"add", "--at", "2027-07-01T09:15", "--tz", "America/New_York",
                           "--message", "fireworks", "--keep-after-run"});
  ASSERT_EQ(ny.code, 0) << ny.err;
  j = get_job(*c, added_id(ny));
  EXPECT_EQ(j["schedule"], (Json{{"kind", "at"}, {"at", "2027-07-01T13:15:00.000Z"}}));
  EXPECT_EQ(j["deleteAfterRun"], false);
  EXPECT_EQ(j["name"], "fireworks") << "default name: the message's first line";
  EXPECT_NE(ny.out.find("next run: 2027-07-01 09:15 EDT"), std::string::npos) << ny.out;

  // On DST days: Berlin springs forward on 2027-03-28 (02:30 does not exist: the first
  // instant after the gap, 03:00 CEST) and falls back on 2027-10-31 (02:30 happens twice:
  // the first, CEST).
  auto spring = cron_cli(
      *gw, {"add", "--at", "2027-03-28T02:30", "--tz", "Europe/Berlin", "--message", "spring"});
  ASSERT_EQ(spring.code, 0) << spring.err;
  EXPECT_EQ(get_job(*c, added_id(spring))["schedule"]["at"], "2027-03-28T01:00:00.000Z");
  EXPECT_NE(spring.out.find("next run: 2027-03-28 03:00 CEST"), std::string::npos) << spring.out;
  auto fall = cron_cli(
      *gw, {"add", "--at", "2027-10-31T02:30", "--tz", "Europe/Berlin", "--message", "fall"});
  ASSERT_EQ(fall.code, 0) << fall.err;
  EXPECT_EQ(get_job(*c, added_id(fall))["schedule"]["at"], "2027-10-31T00:30:00.000Z");

  // No --tz: the CLI host's zone ($TZ); an explicit offset wins over both.
  auto tokyo =
      cron_cli(*gw, {"add", "--at", "2027-01-15T08:00", "--message", "tokyo"}, "Asia/Tokyo");
  ASSERT_EQ(tokyo.code, 0) << tokyo.err;
  EXPECT_EQ(get_job(*c, added_id(tokyo))["schedule"]["at"], "2027-01-14T23:00:00.000Z");
  EXPECT_NE(tokyo.out.find("next run: 2027-01-15 08:00 JST"), std::string::npos) << tokyo.out;
  auto zulu =
      cron_cli(*gw, {"add", "--at", "2027-01-15T08:00Z", "--message", "zulu"}, "Asia/Tokyo");
  ASSERT_EQ(zulu.code, 0) << zulu.err;
  EXPECT_EQ(get_job(*c, added_id(zulu))["schedule"]["at"], "2027-01-15T08:00:00.000Z");

  // +20m: twenty minutes from now.
  const std::int64_t before = simpleclaw::wall_now_ms();
  auto soon = cron_cli(*gw, {"add", "--at", "+20m", "--system-event", "tea"});
  const std::int64_t after = simpleclaw::wall_now_ms();
  ASSERT_EQ(soon.code, 0) << soon.err;
  j = get_job(*c, added_id(soon));
  const std::int64_t at = j["state"]["nextRunAtMs"];
  EXPECT_GE(at, before + 20 * 60'000 - 1000);
  EXPECT_LE(at, after + 20 * 60'000);
  EXPECT_TRUE(soon.out.find("(in 19m") != std::string::npos ||
              soon.out.find("(in 20m") != std::string::npos)
      << soon.out;

  // --json: the gateway's own answer.
  auto js = cron_cli(*gw, {"add", "--every", "2h", "--message", "json", "--json"});
  ASSERT_EQ(js.code, 0) << js.err;
  Json added = Json::parse(js.out, nullptr, false);
  ASSERT_TRUE(added.is_object()) << js.out;
  EXPECT_EQ(added["schedule"]["everyMs"], 7'200'000);
  EXPECT_EQ(job_count(*c), 9);
}

TEST(CronCli, ListShowsEachJobWithTheNextRunTheGatewayComputed) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  auto empty = cron_cli(*gw, {"list"});
  ASSERT_EQ(empty.code, 0) << empty.err;
  EXPECT_NE(empty.out.find("no enabled jobs"), std::string::npos) << empty.out;

  const std::string every =
      added_id(cron_cli(*gw, {"add", "--name", "every two", "--every", "2h", "--message", "x"}));
  const std::string weekly =
      added_id(cron_cli(*gw, {"add", "--name", "weekly", "--cron", "30 8 * * 1", "--tz",
                              "Europe/Berlin", "--message", "y"}));
  const std::string off = added_id(cron_cli(
      *gw, {"add", "--name", "sleeping", "--every", "1d", "--message", "z", "--disabled"}));

  auto list = cron_cli(*gw, {"list"});
  ASSERT_EQ(list.code, 0) << list.err;
  EXPECT_EQ(list.out.rfind("NAME", 0), 0u) << list.out;
  for (const char* col : {"ID", "SCHEDULE", "NEXT", "LAST", "ENABLED"})
    EXPECT_NE(list.out.find(col), std::string::npos) << col;
  EXPECT_EQ(list.out.find(off), std::string::npos) << "disabled jobs only with --all";

  const std::string row = line_with(list.out, every);
  Json j = get_job(*c, every);
  const std::int64_t next = j["nextRunAtMs"];
  EXPECT_NE(row.find("every two"), std::string::npos) << row;
  EXPECT_NE(row.find("every 2h"), std::string::npos) << row;
  EXPECT_NE(row.find(utc_shown(next) + " (in 1h 59m"), std::string::npos)
      << row << "\nwant " << utc_shown(next);
  EXPECT_NE(row.find("  -  "), std::string::npos) << "never ran: LAST is -\n" << row;
  EXPECT_NE(row.find("yes"), std::string::npos) << row;

  const std::string wrow = line_with(list.out, weekly);
  j = get_job(*c, weekly);
  EXPECT_NE(wrow.find("cron 30 8 * * 1 (Europe/Berlin)"), std::string::npos) << wrow;
  EXPECT_NE(wrow.find(utc_shown(j["nextRunAtMs"])), std::string::npos) << wrow;
  // Sorted by next run: the 2-hourly job comes first.
  EXPECT_LT(list.out.find(every), list.out.find(weekly)) << list.out;

  // The same list on a Berlin host: local times in CET.
  auto berlin = cron_cli(*gw, {"list"}, "Europe/Berlin");
  ASSERT_EQ(berlin.code, 0) << berlin.err;
  EXPECT_NE(line_with(berlin.out, weekly).find(" 08:30 CET (in "), std::string::npos) << berlin.out;

  auto all = cron_cli(*gw, {"list", "--all"});
  ASSERT_EQ(all.code, 0) << all.err;
  const std::string orow = line_with(all.out, off);
  EXPECT_NE(orow.find("sleeping"), std::string::npos) << all.out;
  EXPECT_EQ(orow.substr(orow.size() - 2), "no") << orow;

  auto js = cron_cli(*gw, {"list", "--all", "--json"});
  ASSERT_EQ(js.code, 0) << js.err;
  Json page = Json::parse(js.out, nullptr, false);
  ASSERT_TRUE(page.is_object()) << js.out;
  EXPECT_EQ(page["jobs"].size(), 3u);
  EXPECT_EQ(page["total"], 3);
}

TEST(CronCli, EditChangesOnlyWhatWasGiven) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string id =
      added_id(cron_cli(*gw, {"add", "--name", "digest", "--every", "1h", "--message", "summarize",
                              "--deliver", "telegram:42", "--missed", "skip", "--timeout", "5m"}));
  ASSERT_FALSE(id.empty());
  const Json before = get_job(*c, id);
  EXPECT_EQ(before["payload"]["timeoutSeconds"], 300);
  EXPECT_EQ(before["delivery"],
            (Json{{"mode", "announce"}, {"channel", "telegram"}, {"to", "42"}}));

  auto e = cron_cli(*gw, {"edit", id, "--every", "2h"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NE(e.out.find("updated job " + id + ": digest"), std::string::npos) << e.out;
  Json after = get_job(*c, id);
  EXPECT_EQ(after["schedule"]["everyMs"], 7'200'000);
  for (const char* k : {"name", "payload", "delivery", "missedPolicy", "sessionTarget", "enabled"})
    EXPECT_EQ(after[k], before[k]) << k;

  e = cron_cli(*gw, {"edit", id, "--message", "summarize briefly", "--name", "short digest"});
  ASSERT_EQ(e.code, 0) << e.err;
  after = get_job(*c, id);
  EXPECT_EQ(after["payload"]["message"], "summarize briefly");
  EXPECT_EQ(after["payload"]["timeoutSeconds"], 300) << "the rest of the payload is kept";
  EXPECT_EQ(after["name"], "short digest");
  EXPECT_EQ(after["schedule"]["everyMs"], 7'200'000);

  e = cron_cli(*gw, {"edit", id, "--disable"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(get_job(*c, id)["enabled"], false);
  EXPECT_NE(e.out.find("the job is disabled"), std::string::npos) << e.out;
  e = cron_cli(*gw, {"edit", id, "--enable"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(get_job(*c, id)["enabled"], true);

  e = cron_cli(*gw, {"edit", id, "--clear-delivery"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(get_job(*c, id)["delivery"], (Json{{"mode", "announce"}, {"channel", "last"}}))
      << "cleared: back to the default";

  // A cron job's zone alone.
  const std::string cr = added_id(cron_cli(
      *gw, {"add", "--cron", "15 6 * * *", "--tz", "Europe/Berlin", "--system-event", "wake"}));
  e = cron_cli(*gw, {"edit", cr, "--tz", "Asia/Tokyo"});
  ASSERT_EQ(e.code, 0) << e.err;
  after = get_job(*c, cr);
  EXPECT_EQ(after["schedule"]["expr"], "15 6 * * *");
  EXPECT_EQ(after["schedule"]["tz"], "Asia/Tokyo");
  EXPECT_NE(e.out.find(" 06:15 JST (in "), std::string::npos) << e.out;

  // Nothing given, or a bad value: refused, nothing changed.
  const Json unchanged = get_job(*c, id);
  auto nothing = cron_cli(*gw, {"edit", id});
  EXPECT_EQ(nothing.code, 2);
  EXPECT_NE(nothing.err.find("nothing to change"), std::string::npos) << nothing.err;
  auto bad = cron_cli(*gw, {"edit", id, "--every", "soon"});
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--every: "), std::string::npos) << bad.err;
  EXPECT_EQ(get_job(*c, id)["updatedAtMs"], unchanged["updatedAtMs"]);
}

TEST(CronCli, RunWaitReportsTheFinishedRunAndRunsListsIt) {
  FakeLlm llm;
  llm.push(Script{.when = "cli digest", .chunks = {"digest ", "done"}});
  llm.push(
      Script{.when = "cli broken", .status = 500, .error_message = "model melted", .times = -1});
  START_GATEWAY(gw, with_config(config_for(llm)));
  const std::string id = added_id(cron_cli(*gw, {"add", "--name", "digest", "--every", "1d",
                                                 "--message", "cli digest", "--no-deliver"}));
  ASSERT_FALSE(id.empty());

  auto run = cron_cli(*gw, {"run", id, "--wait"});
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.err.find("started run manual:" + id), std::string::npos) << run.err;
  EXPECT_EQ(run.out.rfind("ok in ", 0), 0u) << run.out;
  EXPECT_NE(run.out.find(": digest done"), std::string::npos) << run.out;

  // --due on a job that is not due: nothing runs.
  auto due = cron_cli(*gw, {"run", id, "--due"});
  EXPECT_EQ(due.code, 0) << due.err;
  EXPECT_NE(due.out.find("not due"), std::string::npos) << due.out;

  const std::string broken = added_id(cron_cli(*gw, {"add", "--name", "broken", "--every", "1d",
                                                     "--message", "cli broken", "--no-deliver"}));
  auto fail = cron_cli(*gw, {"run", broken, "--wait"});
  EXPECT_EQ(fail.code, 1) << fail.out << fail.err;
  EXPECT_EQ(fail.out.rfind("error in ", 0), 0u) << fail.out;
  EXPECT_NE(fail.out.find("model melted"), std::string::npos) << fail.out;

  auto runs = cron_cli(*gw, {"runs", id});
  ASSERT_EQ(runs.code, 0) << runs.err;
  EXPECT_EQ(runs.out.rfind("WHEN", 0), 0u) << runs.out;
  for (const char* col : {"JOB", "STATUS", "DURATION", "SUMMARY/ERROR"})
    EXPECT_NE(runs.out.find(col), std::string::npos) << col;
  EXPECT_NE(runs.out.find("digest done"), std::string::npos) << runs.out;
  EXPECT_EQ(runs.out.find("model melted"), std::string::npos) << "only this job's runs";

  auto every_run = cron_cli(*gw, {"runs"});
  ASSERT_EQ(every_run.code, 0) << every_run.err;
  const std::string brow = line_with(every_run.out, "model melted");
  EXPECT_NE(brow.find("broken"), std::string::npos) << every_run.out;
  EXPECT_NE(brow.find("error"), std::string::npos) << brow;
  EXPECT_LT(every_run.out.find("model melted"), every_run.out.find("digest done"))
      << "newest first\n"
      << every_run.out;

  auto errors = cron_cli(*gw, {"runs", "--status", "error", "--json"});
  ASSERT_EQ(errors.code, 0) << errors.err;
  Json page = Json::parse(errors.out, nullptr, false);
  ASSERT_TRUE(page.is_object()) << errors.out;
  ASSERT_EQ(page["entries"].size(), 1u);
  EXPECT_EQ(page["entries"][0]["jobId"], broken);

  auto none = cron_cli(*gw, {"runs", id, "--status", "skipped"});
  ASSERT_EQ(none.code, 0) << none.err;
  EXPECT_NE(none.out.find("no runs with that status"), std::string::npos) << none.out;

  // The job list shows the last run.
  auto list = cron_cli(*gw, {"list"});
  EXPECT_NE(line_with(list.out, id).find("ok "), std::string::npos) << list.out;
  EXPECT_NE(line_with(list.out, broken).find("error "), std::string::npos) << list.out;
}

TEST(CronCli, RmRemovesAJob) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  const std::string id =
      added_id(cron_cli(*gw, {"add", "--name", "old", "--every", "1h", "--message", "x"}));
  const std::string other =
      added_id(cron_cli(*gw, {"add", "--name", "keep", "--every", "1h", "--message", "y"}));
  auto rm = cron_cli(*gw, {"rm", id, "--yes"});
  ASSERT_EQ(rm.code, 0) << rm.err;
  EXPECT_NE(rm.out.find("removed job " + id + ": old"), std::string::npos) << rm.out;
  auto gone = c->call("cron.get", Json{{"id", id}});
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.error().details.value("code", ""), "CRON_JOB_NOT_FOUND");
  EXPECT_EQ(job_count(*c), 1);
  EXPECT_EQ(get_job(*c, other)["name"], "keep");

  // Again: a clear error and what to do.
  auto again = cron_cli(*gw, {"rm", id, "--yes"});
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find(id), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("hint: `simpleclaw cron list --all`"), std::string::npos) << again.err;

  // stdin is not a terminal (a script): no question asked.
  auto piped = cron_cli(*gw, {"rm", other}, "UTC", "n\n");
  EXPECT_EQ(piped.code, 0) << piped.err;
  EXPECT_EQ(job_count(*c), 0);
}

TEST(CronCli, BadInputIsAClearErrorAndCreatesNothing) {
  FakeLlm llm;
  START_GATEWAY(gw, with_config(config_for(llm)));
  auto c = gw->connect();
  ASSERT_NE(c, nullptr);
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"--every", "30x", "--message", "x"}, "unknown unit"},
      {{"--every", "30x", "--message", "x"}, "e.g. --every 30m"},
      {{"--cron", "0 25 * * *", "--message", "x"}, "--cron: '0 25 * * *': hour"},
      {{"--cron", "0 9 * * *", "--tz", "Mars/Base", "--message", "x"},
       "--tz: unknown time zone 'Mars/Base'"},
      {{"--at", "2026-13-01T10:00", "--message", "x"}, "--at: "},
      {{"--at", "2020-01-01T10:00", "--message", "x"}, "is in the past"},
      {{"--message", "x"}, "a schedule is required"},
      {{"--every", "1h"}, "--message TEXT"},
      {{"--every", "1h", "--cron", "0 9 * * *", "--message", "x"}, "give one schedule"},
      {{"--every", "1h", "--message", "x", "--deliver", "telegram"}, "channel:to"},
      {{"--every", "1h", "--message", "x", "--webhook", "ftp://x"}, "not an http(s) URL"},
  };
  for (const Case& k : cases) {
    std::vector<std::string> args{"add"};
    args.insert(args.end(), k.args.begin(), k.args.end());
    auto r = cron_cli(*gw, args);
    EXPECT_EQ(r.code, 2) << k.says << "\n" << r.err;
    EXPECT_NE(r.err.find("error: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(k.says), std::string::npos) << "want '" << k.says << "' in\n" << r.err;
  }

  // Refused by the gateway (the flags are fine, the agent does not exist): its message and
  // what to do next, exit 1.
  auto agent = cron_cli(*gw, {"add", "--every", "1h", "--message", "x", "--agent", "nobody"});
  EXPECT_EQ(agent.code, 1) << agent.err;
  EXPECT_NE(agent.err.find("nobody"), std::string::npos) << agent.err;
  EXPECT_NE(agent.err.find("hint: "), std::string::npos) << agent.err;
  EXPECT_EQ(job_count(*c), 0);

  // Unknown ids.
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"edit", "no-such-job", "--every", "1h"},
        std::vector<std::string>{"run", "no-such-job"},
        std::vector<std::string>{"rm", "no-such-job", "--yes"},
        std::vector<std::string>{"runs", "no-such-job"}}) {
    auto r = cron_cli(*gw, args);
    EXPECT_EQ(r.code, 1) << args[0] << "\n" << r.err;
    EXPECT_NE(r.err.find("not found: no-such-job"), std::string::npos) << args[0] << r.err;
    EXPECT_NE(r.err.find("cron list --all"), std::string::npos) << args[0] << r.err;
  }
  auto status = cron_cli(*gw, {"runs", "--status", "fine"});
  EXPECT_EQ(status.code, 2);
  EXPECT_NE(status.err.find("--status: 'fine'"), std::string::npos) << status.err;
  EXPECT_EQ(job_count(*c), 0);
}

TEST(CronCli, HelpAndNoGateway) {
  TempDir home;
  auto help = run_simpleclaw({"cron", "--help"}, home.path());
  EXPECT_EQ(help.code, 0);
  for (const char* sub : {"list", "add", "edit", "rm", "run", "runs", "examples:"})
    EXPECT_NE(help.out.find(sub), std::string::npos) << sub << "\n" << help.out;
  auto add_help = run_simpleclaw({"cron", "add", "--help"}, home.path());
  EXPECT_EQ(add_help.code, 0);
  EXPECT_NE(add_help.out.find("as UTC"), std::string::npos)
      << "--at's help says how it differs from the RPC\n"
      << add_help.out;
  EXPECT_NE(add_help.out.find("--gateway-timeout"), std::string::npos) << add_help.out;
  EXPECT_EQ(run_simpleclaw({"cron"}, home.path()).code, 2) << "a subcommand is required";

  auto r = run_simpleclaw({"cron", "list", "--url", "ws://127.0.0.1:1", "--state-dir",
                           home.path() + "/s", "--timeout", "2000"},
                          home.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is the gateway running?"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sctest
