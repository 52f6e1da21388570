// `simpleclaw cron list|add|edit|rm|run|runs`: scheduled jobs (docs/automations.md) through
// the running gateway's cron.* methods, one WebSocket connection per command, the same
// --url/--token/--json conventions as `simpleclaw call`. Flags become params in
// cron_flags.h (checked before anything is sent); jobs and runs are shown with
// cron_format.h. Times are shown on this host's clock ($TZ, else /etc/localtime), a cron
// job's next run also in the job's own zone.
//
// Exit codes: 0 ok, 1 the gateway refused or a run failed, 2 bad flags. Runs on the CLI's
// main thread; every call blocks with the --timeout of the connection.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>

#include "base/clock.h"
#include "base/json_fields.h"
#include "cli/cli.h"
#include "cli/cron_flags.h"
#include "cli/cron_format.h"
#include "cron/durations.h"
#include "cron/zones.h"
#include "gateway/protocol/errors.h"

namespace simpleclaw::cli {
namespace {

// cron.list pages (200 jobs each, the method's maximum) read for one table: 10,000 jobs,
// cron.max_jobs' default.
constexpr int kCronListPages = 50;
constexpr int kCronPageSize = 200;
// How often `run --wait` asks cron.runs whether the run ended.
constexpr int kCronPollMs = 250;
// Characters of a name / a summary shown in a table cell.
constexpr std::size_t kCronNameChars = 32;
constexpr std::size_t kCronSummaryChars = 60;

// The flags of every cron subcommand, bound as strings; cron_flags.h gets the ones given.
struct CronState {
  CLI::App *list = nullptr, *add = nullptr, *edit = nullptr, *rm = nullptr, *run = nullptr,
           *runs = nullptr;
  std::string id;
  bool all = false, yes = false, due = false, wait = false;
  std::string wait_timeout = "15m";
  int limit = 20;
  std::string status;
  // add / edit
  std::string name, description, every, cron, at, tz, stagger, message, system_event, agent, model,
      timeout, deliver, webhook, missed;
  JobFlags flags;  // the booleans are bound here directly
};

std::optional<std::string> flag_value(CLI::App* sub, const char* flag, const std::string& value) {
  if (sub->count(flag) == 0) return std::nullopt;
  return value;
}

JobFlags job_flags(CLI::App* sub, const CronState& s) {
  JobFlags f = s.flags;
  f.name = flag_value(sub, "--name", s.name);
  f.description = flag_value(sub, "--description", s.description);
  f.every = flag_value(sub, "--every", s.every);
  f.cron = flag_value(sub, "--cron", s.cron);
  f.at = flag_value(sub, "--at", s.at);
  f.tz = flag_value(sub, "--tz", s.tz);
  f.stagger = flag_value(sub, "--stagger", s.stagger);
  f.message = flag_value(sub, "--message", s.message);
  f.system_event = flag_value(sub, "--system-event", s.system_event);
  f.agent = flag_value(sub, "--agent", s.agent);
  f.model = flag_value(sub, "--model", s.model);
  f.timeout = flag_value(sub, "--timeout", s.timeout);
  f.deliver = flag_value(sub, "--deliver", s.deliver);
  f.webhook = flag_value(sub, "--webhook", s.webhook);
  f.missed = flag_value(sub, "--missed", s.missed);
  return f;
}

void print_json(const Json& j) {
  printf("%s\n", j.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
}

int usage_error(const Error& e) {
  fprintf(stderr, "error: %s\n", e.message.c_str());
  return 2;
}

// The gateway's message, then what to do about it.
int gateway_error(const Error& e, bool json_out) {
  if (json_out) print_json(Json{{"ok", false}, {"error", protocol::error_json(e)}});
  fprintf(stderr, "error: %s\n", e.message.c_str());
  const std::string code = e.detail_code();
  const char* hint = nullptr;
  if (e.is_io())
    hint = "is the gateway running? start it with `simpleclaw gateway` (or point --url at it)";
  else if (code == "CRON_JOB_NOT_FOUND")
    hint = "`simpleclaw cron list --all` shows the jobs and their ids";
  else if (code == "CRON_JOB_CHANGED")
    hint = "the job was changed meanwhile: look at it again and repeat the command";
  else if (e.is_forbidden() || e.is_unauthenticated())
    hint = "changing jobs needs a token with operator.admin (--token, or the gateway's token)";
  else if (e.code == ErrorCode::kInvalidArgument)
    hint = "fix the value and run the command again (--help lists the flags)";
  else if (e.is_unavailable())
    hint = "the gateway is busy or starting: try again in a moment";
  if (hint) fprintf(stderr, "hint: %s\n", hint);
  return 1;
}

class CronSession {
 public:
  explicit CronSession(Target& t) : t_(t) {}
  ~CronSession() {
    if (c_) c_->close();
  }
  Result<Json> call(const std::string& method, const Json& params) {
    if (!c_) {
      resolve_target(t_);
      auto c = WsClient::connect(client_options(t_));
      if (!c.ok()) return c.error();
      c_ = std::move(c).value();
    }
    auto r = c_->call(method, params);
    c_->events().clear();  // `cron` events arrive on this socket too; nobody reads them
    return r;
  }

 private:
  Target& t_;
  std::unique_ptr<WsClient> c_;
};

std::int64_t int_field(const Json& j, const char* k) { return json_int64(j, k, 0); }

// "2026-12-24 18:00 CET (in 2h 5m)", or "-".
std::string next_text(std::int64_t ms, const std::string& tz, std::int64_t now) {
  if (ms <= 0) return "-";
  return format_zone_time(ms, tz) + " (" + format_relative(ms, now) + ")";
}

// The lines add and edit print about a job: id, name, schedule, next run.
void print_job(const char* verb, const Json& job, const JobFlags& f) {
  const std::string host = cron::host_zone_name();
  const std::int64_t now = wall_now_ms();
  const Json schedule = job.value("schedule", Json());
  const std::string zone = display_zone(schedule, f, host);
  printf("%s job %s: %s\n", verb, json_str(job, "id").c_str(), json_str(job, "name").c_str());
  printf("  schedule: %s\n", describe_schedule(schedule, zone).c_str());
  const std::int64_t next = int_field(job.value("state", Json::object()), "nextRunAtMs");
  if (next > 0) {
    std::string line = next_text(next, zone, now);
    if (zone != host) line += ", here " + format_zone_time(next, host);
    printf("  next run: %s\n", line.c_str());
  } else if (!json_bool(job, "enabled", true)) {
    printf("  next run: none: the job is disabled (`simpleclaw cron edit %s --enable`)\n",
           json_str(job, "id").c_str());
  } else {
    printf("  next run: none (the schedule has no time left)\n");
  }
}

int cmd_list(CronState& s, Target& t, bool json_out) {
  CronSession gw(t);
  Json all_jobs = Json::array();
  Json first;
  for (int page = 0; page < kCronListPages; ++page) {
    auto r = gw.call("cron.list", Json{{"includeDisabled", s.all},
                                       {"limit", kCronPageSize},
                                       {"offset", page * kCronPageSize},
                                       {"sortBy", "nextRunAtMs"},
                                       {"sortDir", "asc"}});
    if (!r.ok()) return gateway_error(r.error(), json_out);
    const Json jobs = r->value("jobs", Json::array());
    for (const Json& j : jobs) all_jobs.push_back(j);
    if (page == 0) first = *r;
    if (!json_bool(*r, "hasMore", false)) break;
  }
  if (json_out) {
    first["jobs"] = all_jobs;
    print_json(first);
    return 0;
  }
  if (all_jobs.empty()) {
    printf("%s\n", s.all ? "no jobs (simpleclaw cron add --help shows how to add one)"
                         : "no enabled jobs (--all shows disabled ones too; simpleclaw cron "
                           "add --help shows how to add one)");
    return 0;
  }
  const std::string host = cron::host_zone_name();
  const std::int64_t now = wall_now_ms();
  std::vector<std::vector<std::string>> rows{{"NAME", "ID", "SCHEDULE", "NEXT", "LAST", "ENABLED"}};
  for (const Json& j : all_jobs) {
    std::string last = "-";
    if (j.contains("state") && j["state"].contains("runningAtMs")) {
      last = "running since " + format_relative(int_field(j["state"], "runningAtMs"), now);
    } else if (const std::int64_t at = int_field(j, "lastRunAtMs"); at > 0) {
      last = json_str(j, "lastRunStatus", "?") + " " + format_relative(at, now);
    }
    std::string enabled = json_bool(j, "enabled", false) ? "yes" : "no";
    if (j.contains("state") && json_bool(j["state"], "autoDisabled", false))
      enabled = "no (failing)";
    rows.push_back({one_line(json_str(j, "name"), kCronNameChars), json_str(j, "id"),
                    describe_schedule(j.value("schedule", Json()), host),
                    next_text(int_field(j, "nextRunAtMs"), host, now), last, enabled});
  }
  printf("%s", render_table(rows).c_str());
  return 0;
}

int cmd_add(CronState& s, Target& t, bool json_out) {
  const JobFlags f = job_flags(s.add, s);
  auto params = build_add_params(f, wall_now_ms(), cron::host_zone_name());
  if (!params.ok()) return usage_error(params.error());
  CronSession gw(t);
  auto r = gw.call("cron.add", *params);
  if (!r.ok()) return gateway_error(r.error(), json_out);
  if (json_out) {
    print_json(*r);
    return 0;
  }
  print_job("added", *r, f);
  return 0;
}

int cmd_edit(CronState& s, Target& t, bool json_out) {
  const JobFlags f = job_flags(s.edit, s);
  CronSession gw(t);
  auto current = gw.call("cron.get", Json{{"id", s.id}});
  if (!current.ok()) return gateway_error(current.error(), json_out);
  auto patch = build_update_patch(f, *current, wall_now_ms(), cron::host_zone_name());
  if (!patch.ok()) return usage_error(patch.error());
  Json params{{"id", s.id}, {"patch", *patch}};
  if (current->contains("configRevision"))
    params["expectedConfigRevision"] = (*current)["configRevision"];
  auto r = gw.call("cron.update", params);
  if (!r.ok()) return gateway_error(r.error(), json_out);
  if (json_out) {
    print_json(*r);
    return 0;
  }
  print_job("updated", *r, f);
  return 0;
}

int cmd_rm(CronState& s, Target& t, bool json_out) {
  CronSession gw(t);
  auto job = gw.call("cron.get", Json{{"id", s.id}});
  if (!job.ok()) return gateway_error(job.error(), json_out);
  if (!s.yes && ::isatty(STDIN_FILENO)) {
    fprintf(stderr, "remove job %s (%s, %s)? [y/N] ", json_str(*job, "name").c_str(), s.id.c_str(),
            describe_schedule(job->value("schedule", Json()), cron::host_zone_name()).c_str());
    fflush(stderr);
    std::string answer;
    std::getline(std::cin, answer);
    if (answer != "y" && answer != "Y" && answer != "yes") {
      fprintf(stderr, "not removed\n");
      return 1;
    }
  }
  auto r = gw.call("cron.remove", Json{{"id", s.id}});
  if (!r.ok()) return gateway_error(r.error(), json_out);
  if (json_out) {
    print_json(*r);
    return json_bool(*r, "removed", false) ? 0 : 1;
  }
  if (!json_bool(*r, "removed", false)) {
    fprintf(stderr, "error: job %s was already gone\n", s.id.c_str());
    return 1;
  }
  printf("removed job %s: %s\n", s.id.c_str(), json_str(*job, "name").c_str());
  return 0;
}

// How a finished run record reads: "ok in 1.2s: <summary>".
int report_run(const Json& e, bool json_out) {
  const std::string outcome = json_str(e, "outcome", json_str(e, "status"));
  if (json_out) {
    print_json(e);
  } else {
    std::string line = outcome;
    if (e.contains("durationMs")) line += " in " + format_run_duration(int_field(e, "durationMs"));
    const std::string text = json_str(e, "error", json_str(e, "summary"));
    if (!text.empty()) line += ": " + text;
    printf("%s\n", line.c_str());
    const std::string ds = json_str(e, "deliveryStatus");
    if (!ds.empty() && ds != "not-requested") {
      std::string d = "delivery: " + ds;
      if (!json_str(e, "deliveryError").empty()) d += " (" + json_str(e, "deliveryError") + ")";
      printf("%s\n", d.c_str());
    }
  }
  return outcome == "ok" ? 0 : 1;
}

int cmd_run(CronState& s, Target& t, bool json_out) {
  std::int64_t wait_ms = 0;
  if (s.wait) {
    auto ms = cron::parse_duration_ms(s.wait_timeout);
    if (!ms.ok()) return usage_error(Error::invalid("--wait-timeout: " + ms.error().message));
    wait_ms = *ms;
  }
  CronSession gw(t);
  auto r = gw.call("cron.run", Json{{"id", s.id}, {"mode", s.due ? "due" : "force"}});
  if (!r.ok()) return gateway_error(r.error(), json_out);
  if (!json_bool(*r, "enqueued", false)) {
    const std::string reason = json_str(*r, "reason");
    if (json_out) print_json(*r);
    if (reason == "not-due") {
      if (!json_out) printf("not run: the job is not due yet (without --due it runs now)\n");
      return 0;
    }
    fprintf(stderr, "error: not run: %s\n", reason.c_str());
    if (reason == "already-running")
      fprintf(stderr, "hint: `simpleclaw cron runs %s` shows it when it ends\n", s.id.c_str());
    return 1;
  }
  const std::string run_id = json_str(*r, "runId");
  if (!s.wait) {
    if (json_out)
      print_json(*r);
    else
      printf("started run %s (`simpleclaw cron runs %s` shows how it ended)\n", run_id.c_str(),
             s.id.c_str());
    return 0;
  }
  fprintf(stderr, "started run %s; waiting for it to finish\n", run_id.c_str());
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    auto runs = gw.call("cron.runs", Json{{"id", s.id}, {"runId", run_id}, {"limit", 1}});
    if (!runs.ok()) return gateway_error(runs.error(), json_out);
    const Json entries = runs->value("entries", Json::array());
    if (!entries.empty() && entries[0].contains("status")) return report_run(entries[0], json_out);
    std::this_thread::sleep_for(std::chrono::milliseconds(kCronPollMs));
  }
  fprintf(stderr,
          "error: run %s has not finished after %s; it goes on in the gateway: "
          "`simpleclaw cron runs %s` shows it when it ends\n",
          run_id.c_str(), s.wait_timeout.c_str(), s.id.c_str());
  return 1;
}

int cmd_runs(CronState& s, Target& t, bool json_out) {
  if (!s.status.empty() && s.status != "ok" && s.status != "error" && s.status != "skipped" &&
      s.status != "all")
    return usage_error(Error::invalid("--status: '" + s.status +
                                      "' is not ok, error, skipped or all (error includes "
                                      "timeout and interrupted)"));
  Json params{{"limit", s.limit}, {"sortDir", "desc"}};
  if (s.id.empty())
    params["scope"] = "all";
  else
    params["id"] = s.id;
  if (!s.status.empty()) params["status"] = s.status;
  CronSession gw(t);
  auto r = gw.call("cron.runs", params);
  if (!r.ok()) return gateway_error(r.error(), json_out);
  if (json_out) {
    print_json(*r);
    return 0;
  }
  const Json entries = r->value("entries", Json::array());
  if (entries.empty()) {
    printf("no runs%s\n", s.status.empty() ? " yet" : " with that status");
    return 0;
  }
  const std::string host = cron::host_zone_name();
  std::vector<std::vector<std::string>> rows{
      {"WHEN", "JOB", "STATUS", "DURATION", "SUMMARY/ERROR"}};
  for (const Json& e : entries) {
    const std::int64_t at =
        int_field(e, "startedAtMs") > 0 ? int_field(e, "startedAtMs") : int_field(e, "runAtMs");
    const bool ended = e.contains("status");
    std::string text = json_str(e, "error", json_str(e, "summary"));
    if (!json_str(e, "deliveryError").empty() && json_str(e, "error").empty())
      text +=
          (text.empty() ? "" : " | ") + std::string("delivery: ") + json_str(e, "deliveryError");
    rows.push_back(
        {format_zone_time(at, host),
         one_line(json_str(e, "jobName", json_str(e, "jobId")), kCronNameChars),
         ended ? json_str(e, "outcome", json_str(e, "status")) : "running",
         e.contains("durationMs") ? format_run_duration(int_field(e, "durationMs")) : "-",
         one_line(text, kCronSummaryChars)});
  }
  printf("%s", render_table(rows).c_str());
  const int total = json_int(*r, "total", 0);
  if (json_bool(*r, "hasMore", false))
    printf("(%zu of %d; --limit shows up to 200)\n", entries.size(), total);
  return 0;
}

// The flags add and edit share. On edit each one is optional and changes only that field.
void add_job_flags(CLI::App* sub, CronState& s, bool edit) {
  sub->add_option("--name", s.name, "name shown in lists (default: the first line of the text)");
  sub->add_option("--description", s.description, "a longer note kept with the job");
  sub->add_option("--every", s.every,
                  "run every DURATION: 30m, 1h30m, 2d, 45s (units ms s m h d w)");
  sub->add_option("--cron", s.cron,
                  "run when a cron expression matches: \"0 9 * * 1-5\" = 09:00 Monday to Friday "
                  "(minute hour day-of-month month day-of-week; 6 fields = seconds first)");
  sub->add_option(
      "--at", s.at,
      "run once at a time: 2026-12-24T18:00 is wall-clock time in --tz (else this host's zone), "
      "unlike the RPC, which reads a time without offset as UTC; 2026-12-24T18:00Z or "
      "+01:00 give the offset; +20m = 20 minutes from now");
  sub->add_option("--tz", s.tz,
                  "IANA time zone of --cron and --at (Europe/Berlin, UTC; default: --cron the "
                  "gateway's cron.timezone or its host's zone, --at this host's zone)");
  sub->add_option("--stagger", s.stagger,
                  "--cron only: spread runs over this window (2m) by a fixed per-job offset");
  sub->add_option("--message", s.message,
                  "an agent turn with this message, in a fresh session per run (isolated)");
  sub->add_option("--system-event", s.system_event,
                  "a turn with this text in the agent's main session instead");
  sub->add_option("--agent", s.agent, "the agent that runs it (default: agents.default)");
  sub->add_option("--model", s.model, "--message only: the model to ask for");
  sub->add_option("--timeout", s.timeout,
                  "--message only: abort a run after this long (5m; default "
                  "cron.default_timeout_ms)");
  sub->add_option("--deliver", s.deliver,
                  "announce the reply on channel:to (telegram:123456789) or `last` (where the "
                  "agent last talked; the default for --message)");
  sub->add_option("--webhook", s.webhook, "POST the reply to this URL (signed)");
  sub->add_flag("--no-deliver", s.flags.no_deliver, "keep the reply in the job's session only");
  sub->add_option("--missed", s.missed,
                  "runs missed while the gateway was down: skip | run-once (default) | run-all");
  sub->add_flag("--keep-after-run", s.flags.keep_after_run,
                "--at only: keep the job (disabled) after it ran instead of deleting it");
  if (edit) {
    sub->add_flag("--enable", s.flags.enable, "turn the job on (also after it was auto-disabled)");
    sub->add_flag("--disable", s.flags.disable, "turn the job off; it is kept");
    sub->add_flag("--clear-delivery", s.flags.clear_delivery,
                  "forget the delivery setting: back to the default (announce to `last` for "
                  "--message jobs, none for --system-event jobs)");
  } else {
    sub->add_flag("--disabled", s.flags.disabled, "add it turned off (cron edit ID --enable)");
  }
}

// add/edit take --timeout for the job: the connection's timeout is --gateway-timeout there.
void swap_timeout_flag(CLI::App* sub, Target& t) {
  sub->remove_option(sub->get_option("--timeout"));
  sub->add_option("--gateway-timeout", t.timeout_ms, "milliseconds to wait for the gateway")
      ->capture_default_str();
}

}  // namespace

CronCommand add_cron_command(CLI::App& app, Target& t, bool& json_out,
                             const std::function<void(CLI::App*)>& add_client_opts) {
  auto s = std::make_shared<CronState>();
  auto* cron = app.add_subcommand(
      "cron", "scheduled jobs in the running gateway: list | add | edit | rm | run | runs");
  cron->require_subcommand(1);
  cron->footer(
      "examples:\n"
      "  simpleclaw cron add --name digest --cron \"0 7 * * 1-5\" --tz Europe/Berlin \\\n"
      "      --message \"Summarize my unread mail\" --deliver telegram:123456789\n"
      "  simpleclaw cron add --name tea --at +20m --system-event \"Tea is ready\"\n"
      "  simpleclaw cron list --all\n"
      "  simpleclaw cron run <id> --wait\n"
      "docs/automations.md has the rules (DST, missed runs, delivery).\n");

  s->list = cron->add_subcommand("list", "jobs with their schedule, next and last run");
  s->list->add_flag("--all", s->all, "disabled jobs too");
  add_client_opts(s->list);

  s->add = cron->add_subcommand(
      "add",
      "add a job: a schedule (--every | --cron | --at) and what runs (--message | "
      "--system-event); prints its id and next run");
  add_client_opts(s->add);
  swap_timeout_flag(s->add, t);
  add_job_flags(s->add, *s, false);

  s->edit = cron->add_subcommand("edit", "change a job: only the fields given change");
  s->edit->add_option("id", s->id, "the job's id (simpleclaw cron list shows them)")->required();
  add_client_opts(s->edit);
  swap_timeout_flag(s->edit, t);
  add_job_flags(s->edit, *s, true);

  s->rm = cron->add_subcommand("rm", "remove a job and its run history");
  s->rm->add_option("id", s->id, "the job's id")->required();
  s->rm->add_flag("--yes,-y", s->yes, "do not ask (asked only when stdin is a terminal)");
  add_client_opts(s->rm);

  s->run = cron->add_subcommand("run", "run a job now, even when disabled or not due");
  s->run->add_option("id", s->id, "the job's id")->required();
  s->run->add_flag("--due", s->due, "only if it is due now");
  s->run->add_flag("--wait", s->wait,
                   "wait until the run ends; print its status and summary or error (exit 1 "
                   "unless it succeeded)");
  s->run->add_option("--wait-timeout", s->wait_timeout, "how long --wait waits (10m, 1h)")
      ->capture_default_str();
  add_client_opts(s->run);

  s->runs = cron->add_subcommand("runs", "run history, newest first: one job's or all");
  s->runs->add_option("id", s->id, "only this job's runs");
  s->runs->add_option("--limit", s->limit, "how many (1-200)")
      ->check(CLI::Range(1, 200))
      ->capture_default_str();
  s->runs->add_option("--status", s->status,
                      "ok | error (includes timeout, interrupted) | skipped | all");
  add_client_opts(s->runs);

  CronCommand out;
  out.app = cron;
  out.run = [s, &t, &json_out]() -> int {
    if (s->list->parsed()) return cmd_list(*s, t, json_out);
    if (s->add->parsed()) return cmd_add(*s, t, json_out);
    if (s->edit->parsed()) return cmd_edit(*s, t, json_out);
    if (s->rm->parsed()) return cmd_rm(*s, t, json_out);
    if (s->run->parsed()) return cmd_run(*s, t, json_out);
    if (s->runs->parsed()) return cmd_runs(*s, t, json_out);
    return 2;
  };
  return out;
}

}  // namespace simpleclaw::cli
