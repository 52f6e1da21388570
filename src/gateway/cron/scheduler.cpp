#include "gateway/cron/scheduler.h"

#include <algorithm>
#include <optional>
#include <set>
#include <utility>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "base/clock.h"
#include "base/crypto.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "base/utf8.h"
#include "channels/channel_manager.h"
#include "gateway/cron/delivery.h"
#include "gateway/live_config.h"
#include "gateway/run_waiters.h"
#include "sessions/db_worker.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {
namespace {

// Failure backoff: the next run waits at least this long after the Nth failure in a row.
constexpr std::int64_t kBackoffMs[] = {30'000, 60'000, 300'000, 900'000, 3'600'000};
constexpr std::size_t kMaxSummary = 2000;  // bytes of the reply kept as the run's summary
constexpr std::int64_t kDefaultAlertCooldownMs = 3'600'000;

std::int64_t backoff_for(std::int64_t failures) {
  const std::int64_t n = std::size(kBackoffMs);
  return kBackoffMs[std::clamp<std::int64_t>(failures, 1, n) - 1];
}

bool is_one_shot(const CronJob& job) {
  return std::holds_alternative<cron::AtSchedule>(job.schedule);
}

std::string summary_of(const std::string& text) {
  if (text.size() <= kMaxSummary) return text;
  return std::string(utf8_prefix(text, kMaxSummary)) + "…";
}

// A job built from its stored row: the schedule parsed (a row this version cannot read is
// kept, disabled, with the reason). Pure: the DbWorker runs it for every job at start-up.
CronJob job_from_row(sessions::CronJobRow row) {
  CronJob job;
  auto schedule = job_schedule(row.spec);
  if (!schedule.ok()) {
    row.enabled = false;
    row.state["lastError"] = "schedule unreadable: " + schedule.error().message;
    job.schedule = cron::AtSchedule{0};
  } else {
    job.schedule = *schedule;
  }
  job.row = std::move(row);
  return job;
}

// Every stored job, built (and, with `firing`, its next due time in `tz`). DbWorker thread.
Result<std::vector<CronJob>> read_jobs(sessions::SessionStore& s, const std::string& tz,
                                       bool firing) {
  auto rows = sessions::load_cron_jobs(s);
  if (!rows.ok()) return rows.error();
  std::vector<CronJob> jobs;
  jobs.reserve(rows->size());
  for (auto& row : *rows) {
    jobs.push_back(job_from_row(std::move(row)));
    if (firing) jobs.back().next_ms = next_due(jobs.back(), tz);
  }
  return jobs;
}

}  // namespace

std::int64_t next_due(CronJob& job, const std::string& tz) {
  if (!job.row.enabled) return 0;
  std::int64_t after = job.row.last_scheduled_ms;
  // After failures the next run waits for the backoff (the first occurrence after it).
  const std::int64_t backoff_until = json_int64(job.row.state, "backoffUntilMs", 0);
  if (backoff_until > after) after = backoff_until - 1;
  if (auto* every = std::get_if<cron::EverySchedule>(&job.schedule); every && !every->anchor_ms)
    every->anchor_ms = job.row.created_at;
  return cron::next_after(job.schedule, after, tz, job.row.id).value_or(0);
}

CronScheduler::CronScheduler(Deps d)
    : d_(std::move(d)),
      host_tz_(cron::host_zone_name()),
      timer_(d_.io),
      heartbeats_(HeartbeatRunner::Deps{d_.io, d_.runs, d_.waiters, d_.channels, d_.agents,
                                        d_.config, d_.clock, d_.emit_heartbeat}) {}

std::string CronScheduler::default_tz() const {
  // An unknown cron.timezone falls back to the host's zone (start-up warns once).
  const std::string& tz = d_.config.cfg().cron.timezone;
  return tz.empty() || !cron::is_known_zone(tz) ? host_tz_ : tz;
}

Result<Json> CronScheduler::preview(const Json& schedule, int count,
                                    const std::string& stagger_key) const {
  auto parsed = cron::parse_schedule(schedule);
  if (!parsed.ok()) return Error::invalid("invalid cron.preview params: " + parsed.error().message);
  const std::int64_t now = d_.clock.wall_ms();
  // An `every` schedule without an anchor counts from its creation: from now, for a job
  // being written.
  if (auto* every = std::get_if<cron::EverySchedule>(&*parsed); every && !every->anchor_ms)
    every->anchor_ms = now;
  std::string tz = default_tz();
  if (auto* c = std::get_if<cron::CronSchedule>(&*parsed); c && !c->tz.empty()) tz = c->tz;
  Json runs = Json::array();
  for (std::int64_t after = now; static_cast<int>(runs.size()) < count;) {
    auto next = cron::next_after(*parsed, after, tz, stagger_key);
    if (!next) break;
    runs.push_back(*next);
    after = *next;
  }
  return Json{{"tz", tz}, {"nowMs", now}, {"nextRunsAtMs", std::move(runs)}};
}

void CronScheduler::reschedule_all() {
  for (auto& entry : jobs_) reschedule(entry.second);
}

void CronScheduler::configure() {
  heartbeats_.configure();
  if (!loaded_ || stopped_) return;
  reschedule_all();
  start_next();
  arm();
}

JobContext CronScheduler::context(const CronCaller& who) const {
  JobContext ctx;
  ctx.now = d_.clock.wall_ms();
  ctx.default_agent = d_.agents.default_id();
  ctx.default_tz = default_tz();
  ctx.creator_key = who.session_key;
  ctx.agent_ctx = &d_.agents;
  ctx.agent_exists = [](const void* a, const std::string& id) {
    return static_cast<const agents::AgentDirectory*>(a)->find(id) != nullptr;
  };
  return ctx;
}

CronJob* CronScheduler::find(const std::string& id) {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}
const CronJob* CronScheduler::find(const std::string& id) const {
  auto it = jobs_.find(id);
  return it == jobs_.end() ? nullptr : &it->second;
}

bool CronScheduler::visible(const CronJob& job, const CronCaller& who) const {
  return who.user.empty() || job.row.owner == who.user;
}

// OpenClaw's wording and details, which its CLI matches on.
Error CronScheduler::not_found(const std::string& id, bool get) const {
  Error e =
      Error::invalid(std::string(get ? "cron job not found: " : "Automation not found: ") + id +
                         ". List automations (cron.list) and retry with a current job id.",
                     "CRON_JOB_NOT_FOUND");
  e.details = Json{{"code", "CRON_JOB_NOT_FOUND"}, {"jobId", id}};
  return e;
}

// ---- loading ---------------------------------------------------------------------------

void CronScheduler::start() {
  heartbeats_.configure();
  const std::int64_t now = d_.clock.wall_ms();
  // Parsing 10,000 schedules and their first due times (and date/tz's first look at the
  // tz database) happen on the DbWorker with the read: the loop only files the results,
  // so a gateway with many jobs still answers its first connect at once.
  const std::string& configured = d_.config.cfg().cron.timezone;
  if (!configured.empty() && !cron::is_known_zone(configured))
    log::warn("cron: cron.timezone {} is not a known time zone; using the host's ({})", configured,
              cron::host_zone_name());
  const std::string tz = default_tz();
  const bool firing = d_.config.cfg().cron.enabled;
  const auto t0 = std::chrono::steady_clock::now();
  if (!leader_) heartbeats_.set_standby(true);
  using Loaded = std::pair<std::vector<sessions::CronRunRow>, std::vector<CronJob>>;
  d_.db.post(
      [now, tz, firing, leader = leader_](sessions::SessionStore& s) -> Result<Loaded> {
        // A follower leaves the run records alone: the leader's runs may be going.
        auto interrupted =
            leader ? sessions::interrupt_cron_runs(s, now)
                   : Result<std::vector<sessions::CronRunRow>>(std::vector<sessions::CronRunRow>{});
        if (!interrupted.ok()) return interrupted.error();
        auto jobs = read_jobs(s, tz, firing);
        if (!jobs.ok()) return jobs.error();
        return Loaded{std::move(interrupted).value(), std::move(jobs).value()};
      },
      alive_.guard([this, t0](Result<Loaded> r) {
        if (!r.ok()) {
          log::error("cron: could not load the jobs: {}; no job will fire until a restart",
                     r.error().message);
          return;
        }
        for (auto& job : r->second) {
          if (job.row.state.contains("lastError") && !job.row.enabled &&
              json_str(job.row.state, "lastError").rfind("schedule unreadable", 0) == 0)
            log::warn("cron: job {}: {}; disabled", job.row.id,
                      json_str(job.row.state, "lastError"));
          std::string id = job.row.id;
          if (job.next_ms > 0) due_index_.insert({job.next_ms, id});
          jobs_.emplace(std::move(id), std::move(job));
        }
        note_interrupted(r->first);
        loaded_ = true;
        log::info("cron: {} job(s) loaded in {} ms", jobs_.size(),
                  std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count());
        for (auto& call : std::exchange(until_loaded_, {})) call();
        if (std::exchange(lead_after_load_, false) && !leader_) return set_leader(true);
        on_timer();  // what came due while the gateway was down
      }));
}

// An occurrence the gateway stopped during: a failure of its job, never re-run.
void CronScheduler::note_interrupted(const std::vector<sessions::CronRunRow>& interrupted) {
  for (const auto& rec : interrupted) {
    CronJob* job = find(rec.job_id);
    if (!job) continue;
    Json& st = job->row.state;
    st["lastRunAtMs"] = rec.started_ms;
    st["lastRunStatus"] = "error";
    st["lastError"] = "interrupted: the gateway stopped during the run";
    st["consecutiveErrors"] = json_int64(st, "consecutiveErrors", 0) + 1;
    if (is_one_shot(*job)) {
      job->row.enabled = false;
      reschedule(*job);
    }
    persist(*job, nullptr);
  }
  if (!interrupted.empty())
    log::warn("cron: {} job run(s) were interrupted by the last shutdown; recorded, not re-run",
              interrupted.size());
}

void CronScheduler::set_leader(bool leader) {
  if (!loaded_) {  // the lead taken before the jobs were read: take it over once they are
    lead_after_load_ = leader;
    return;
  }
  if (leader == leader_) return;
  leader_ = leader;
  heartbeats_.set_standby(!leader);
  if (!leader) {
    timer_.cancel();
    log::info("cron: another instance leads now; this one fires no job");
    return;
  }
  // The lead taken over: the jobs as the store has them, and what the old leader left
  // running (it is gone, or it lost the lease) recorded as interrupted.
  const std::int64_t now = d_.clock.wall_ms();
  const std::string tz = default_tz();
  const bool firing = d_.config.cfg().cron.enabled;
  using Loaded = std::pair<std::vector<sessions::CronRunRow>, std::vector<CronJob>>;
  d_.db.post(
      [now, tz, firing](sessions::SessionStore& s) -> Result<Loaded> {
        auto interrupted = sessions::interrupt_cron_runs(s, now);
        if (!interrupted.ok()) return interrupted.error();
        auto jobs = read_jobs(s, tz, firing);
        if (!jobs.ok()) return jobs.error();
        return Loaded{std::move(interrupted).value(), std::move(jobs).value()};
      },
      alive_.guard([this](Result<Loaded> r) {
        if (!leader_) return;
        if (!r.ok()) {
          log::error("cron: taking the lead: cannot read the jobs: {}", r.error().message);
          return;
        }
        merge(std::move(r->second));
        note_interrupted(r->first);
        log::info("cron: this instance leads now ({} job(s))", jobs_.size());
        on_timer();  // what came due meanwhile, by each job's missedPolicy
      }));
}

void CronScheduler::refresh() {
  if (!loaded_ || stopped_ || refreshing_) return;
  refreshing_ = true;
  const std::string tz = default_tz();
  const bool firing = d_.config.cfg().cron.enabled;
  using Seen = std::pair<std::int64_t, std::int64_t>;
  d_.db.post(
      [tz, firing, seen = seen_jobs_](sessions::SessionStore& s)
          -> Result<std::pair<Seen, std::optional<std::vector<CronJob>>>> {
        auto st = s.db().prepare("SELECT count(*), coalesce(max(updated_at), 0) FROM cron_jobs");
        if (!st.ok()) return st.error();
        auto row = st->step();
        if (!row.ok()) return row.error();
        Seen now{st->int64(0), st->int64(1)};
        if (now == seen) return std::make_pair(now, std::optional<std::vector<CronJob>>{});
        auto jobs = read_jobs(s, tz, firing);
        if (!jobs.ok()) return jobs.error();
        return std::make_pair(now, std::optional<std::vector<CronJob>>{std::move(jobs).value()});
      },
      alive_.guard([this](Result<std::pair<Seen, std::optional<std::vector<CronJob>>>> r) {
        refreshing_ = false;
        if (!r.ok()) return;  // the store is away: the next renewal tries again
        seen_jobs_ = r->first;
        if (!r->second) return;
        merge(std::move(*r->second));
        if (leader_) {
          start_next();
          arm();
        }
      }));
}

void CronScheduler::merge(std::vector<CronJob> loaded) {
  std::set<std::string> seen;
  for (CronJob& job : loaded) {
    seen.insert(job.row.id);
    CronJob* mine = find(job.row.id);
    if (!mine) {
      std::string id = job.row.id;
      if (job.next_ms > 0) due_index_.insert({job.next_ms, id});
      jobs_.emplace(std::move(id), std::move(job));
      continue;
    }
    // Ours is as new (or has a run going, whose end writes it): keep it.
    if (mine->busy() || job.row.updated_at <= mine->row.updated_at) continue;
    due_index_.erase({mine->next_ms, mine->row.id});
    mine->row = std::move(job.row);
    mine->schedule = std::move(job.schedule);
    mine->next_ms = job.next_ms;
    if (mine->next_ms > 0) due_index_.insert({mine->next_ms, mine->row.id});
  }
  for (auto it = jobs_.begin(); it != jobs_.end();) {
    if (seen.count(it->first) || it->second.busy()) {
      ++it;
      continue;
    }
    due_index_.erase({it->second.next_ms, it->first});
    it = jobs_.erase(it);
  }
}

bool CronScheduler::when_loaded(std::function<void()> call) {
  if (loaded_) {
    call();
    return true;
  }
  if (until_loaded_.size() >= kMaxWaitingForLoad) return false;
  until_loaded_.push_back(std::move(call));
  return true;
}

void CronScheduler::stop() {
  stopped_ = true;
  timer_.cancel();
  heartbeats_.stop();
}

// ---- timing ----------------------------------------------------------------------------

void CronScheduler::reschedule(CronJob& job) {
  due_index_.erase({job.next_ms, job.row.id});
  job.next_ms = d_.config.cfg().cron.enabled ? next_due(job, default_tz()) : 0;
  if (job.next_ms > 0) due_index_.insert({job.next_ms, job.row.id});
}

void CronScheduler::arm() {
  if (stopped_ || !loaded_ || !leader_) return;
  timer_.cancel();
  if (due_index_.empty()) return;
  // Never sleep long: the wall clock may jump (NTP, suspend) while the steady timer waits.
  const std::int64_t max_sleep = is_shifted_clock() ? 100 : 60'000;
  const std::int64_t wait =
      std::clamp<std::int64_t>(due_index_.begin()->first - d_.clock.wall_ms(), 0, max_sleep);
  timer_.expires_after(std::chrono::milliseconds(wait));
  timer_.async_wait(alive_.guard([this](const boost::system::error_code& ec) {
    if (!ec) on_timer();
  }));
}

void CronScheduler::on_timer() {
  if (!leader_) return;  // cluster follower: the leader fires
  // The host's zone changed (timedatectl set-timezone): jobs in the default zone follow.
  if (std::string host = cron::host_zone_name(); host != host_tz_) {
    log::info("cron: the host's time zone changed from {} to {}; rescheduling", host_tz_, host);
    host_tz_ = std::move(host);
    reschedule_all();
  }
  const std::int64_t now = d_.clock.wall_ms();
  std::vector<std::string> ready;
  for (auto it = due_index_.begin(); it != due_index_.end() && it->first <= now; ++it)
    ready.push_back(it->second);
  for (const auto& id : ready)
    if (CronJob* job = find(id)) due(*job, now);
  start_next();
  arm();
}

// Every occurrence from the job's cursor up to now: on time, late (missedPolicy) or
// colliding with a run in progress (skipped).
void CronScheduler::due(CronJob& job, std::int64_t now) {
  std::vector<std::int64_t> times;
  std::int64_t cursor = job.row.last_scheduled_ms;
  std::int64_t t = job.next_ms;
  bool more = false;
  while (t > 0 && t <= now) {
    if (times.size() == kMaxCatchupScan) {
      more = true;
      break;
    }
    times.push_back(t);
    cursor = t;
    auto n = cron::next_after(job.schedule, t, default_tz(), job.row.id);
    t = n ? *n : 0;
  }
  if (times.empty()) return;
  if (more) {
    // Too many to list one by one: the tail is one record, the cursor jumps to now.
    skip(job, {t}, "missed",
         "and more occurrences up to " + iso_utc(now) +
             " were missed while the gateway was down (not listed one by one)");
    cursor = now;
  }
  job.row.last_scheduled_ms = std::max(job.row.last_scheduled_ms, cursor);

  if (job.busy()) {
    skip(job, times, "schedule", "the previous run of this job was still in progress");
    reschedule(job);
    return;
  }
  // On time: the newest occurrence, if it is not late. The rest were missed.
  std::vector<std::int64_t> late(times.begin(), times.end());
  std::optional<std::int64_t> on_time;
  if (now - late.back() < kLateGrace) {
    on_time = late.back();
    late.pop_back();
  }
  const std::string policy = json_str(job.row.spec, "missedPolicy", "run-once");
  std::vector<Occurrence> run;
  std::vector<std::int64_t> skipped;
  if (!late.empty()) {
    std::size_t keep = 0;  // newest late occurrences to run
    if (policy == "run-once" && !on_time) keep = 1;
    if (policy == "run-all")
      keep = static_cast<std::size_t>(std::max(1, d_.config.cfg().cron.missed_run_cap));
    keep = std::min(keep, late.size());
    skipped.assign(late.begin(), late.end() - static_cast<std::ptrdiff_t>(keep));
    for (auto it = late.end() - static_cast<std::ptrdiff_t>(keep); it != late.end(); ++it)
      run.push_back({*it, "missed", "cron:" + job.row.id + ":" + std::to_string(*it)});
  }
  if (on_time)
    run.push_back({*on_time, "schedule", "cron:" + job.row.id + ":" + std::to_string(*on_time)});
  if (!skipped.empty())
    skip(job, skipped, "missed",
         policy == "skip"
             ? "missed while the gateway was down or asleep (missedPolicy skip)"
             : "missed while the gateway was down or asleep; a later occurrence ran instead");
  if (!run.empty()) {
    Slot& slot = slots_[job.row.id];
    for (auto& o : run) slot.backlog.push_back(std::move(o));
    job.waiting = true;
    waiting_.push_back(job.row.id);
  }
  reschedule(job);
}

// Records occurrences that will not run; the cursor moves past them.
void CronScheduler::skip(CronJob& job, std::vector<std::int64_t> times, const std::string& trigger,
                         const std::string& reason) {
  const std::int64_t now = d_.clock.wall_ms();
  Json& st = job.row.state;
  st["consecutiveSkipped"] =
      json_int64(st, "consecutiveSkipped", 0) + static_cast<std::int64_t>(times.size());
  std::vector<sessions::CronRunRow> recs;
  for (std::int64_t t : times) {
    sessions::CronRunRow r;
    r.job_id = job.row.id;
    r.scheduled_ms = t;
    r.trigger = trigger;
    r.status = "skipped";
    r.started_ms = now;
    r.ended_ms = now;
    r.error = reason;
    recs.push_back(std::move(r));
  }
  const std::string id = job.row.id;
  d_.db.post(
      [recs](sessions::SessionStore& s) -> Status {
        for (const auto& r : recs)
          if (auto c = sessions::claim_cron_run(s, r); !c.ok()) return c.error();
        return Ok{};
      },
      alive_.guard([this, id, recs](Status st) {
        if (!st.ok())
          return log::error("cron: could not record skipped runs of {}: {}", id,
                            st.error().message);
        const CronJob* job = find(id);
        if (!job) return;
        for (const auto& r : recs) event(*job, "finished", run_entry(r, job->name()));
      }));
}

// ---- running ---------------------------------------------------------------------------

void CronScheduler::start_next() {
  const int cap = std::max(1, d_.config.cfg().cron.max_concurrent_runs);
  while (active_ < cap && !waiting_.empty()) {
    const std::string id = waiting_.front();
    waiting_.pop_front();
    CronJob* job = find(id);
    auto slot = slots_.find(id);
    if (!job || slot == slots_.end() || slot->second.backlog.empty()) {
      if (job) job->waiting = false;
      if (slot != slots_.end() && slot->second.backlog.empty()) slots_.erase(slot);
      continue;
    }
    Occurrence occ = std::move(slot->second.backlog.front());
    slot->second.backlog.pop_front();
    if (slot->second.backlog.empty()) slots_.erase(slot);
    job->waiting = false;
    start(*job, std::move(occ));
  }
}

std::string CronScheduler::session_key_for(const CronJob& job) const {
  const std::string agent = job.agent_id(d_.agents.default_id());
  const std::string target = json_str(job.row.spec, "sessionTarget");
  const std::string user_part = job.row.owner.empty() ? "" : "user:" + job.row.owner + ":";
  if (target == "main") return "agent:" + agent + ":" + user_part + "main";
  if (target == "current") return json_str(job.row.spec, "sessionKey");
  if (target.rfind("session:", 0) == 0) return target.substr(8);
  return "agent:" + agent + ":" + user_part + "cron:" + job.row.id;  // isolated
}

void CronScheduler::start(CronJob& job, Occurrence occ) {
  ++active_;
  const std::int64_t now = d_.clock.wall_ms();
  job.running_seq = -1;  // claiming
  job.running_since = now;
  job.run_id = occ.run_id;
  sessions::CronRunRow r;
  r.job_id = job.row.id;
  r.scheduled_ms = occ.scheduled_ms;
  r.trigger = occ.trigger;
  r.started_ms = now;
  r.run_id = occ.run_id;
  r.session_key = session_key_for(job);
  job.session_key = r.session_key;
  const std::string id = job.row.id;
  d_.db.post([r](sessions::SessionStore& s) { return sessions::claim_cron_run(s, r); },
             alive_.guard([this, id, occ](Result<std::optional<std::int64_t>> claimed) {
               CronJob* job = find(id);
               if (!claimed.ok() || !*claimed) {
                 // Already claimed (a second scheduler on the same database?) or a
                 // database error: this occurrence does not run here.
                 log::warn("cron: occurrence {} of job {} not started: {}", occ.scheduled_ms, id,
                           claimed.ok() ? "already claimed" : claimed.error().message);
                 --active_;
                 if (job) job->running_seq = 0;
                 start_next();
                 return;
               }
               if (!job) {  // removed meanwhile
                 --active_;
                 start_next();
                 return;
               }
               job->running_seq = **claimed;
               event(*job, "started", Json{{"runAtMs", occ.scheduled_ms}, {"runId", occ.run_id}});
               begin_run(id, **claimed, occ);
             }));
}

// An isolated job starts each run in a fresh session (the old transcript is kept).
void CronScheduler::begin_run(const std::string& job_id, std::int64_t seq, const Occurrence& occ) {
  CronJob* job = find(job_id);
  if (!job) return;
  if (json_str(job->row.spec, "sessionTarget") != "isolated") return send_run(job_id, seq, occ);
  auto key = d_.agents.parse_key(job->session_key);
  if (!key.ok()) return ran(job_id, seq, occ, {"error", key.error().message, ""});
  d_.sessions.reset(*key, alive_.guard([this, job_id, seq, occ](Result<sessions::SessionRow>) {
    // A session that did not exist yet is fine: the run creates it.
    send_run(job_id, seq, occ);
  }));
}

void CronScheduler::send_run(const std::string& job_id, std::int64_t seq, const Occurrence& occ) {
  CronJob* job = find(job_id);
  if (!job) return;
  const Json& payload = job->row.spec["payload"];
  agents::SendParams sp;
  sp.session_key = job->session_key;
  sp.agent_id = job->agent_id(d_.agents.default_id());
  sp.idempotency_key = occ.run_id;
  sp.message =
      payload["kind"] == "systemEvent" ? json_str(payload, "text") : json_str(payload, "message");
  std::int64_t timeout_s = static_cast<std::int64_t>(payload.value("timeoutSeconds", 0.0));
  if (timeout_s <= 0) timeout_s = d_.config.cfg().cron.default_timeout_ms / 1000;
  sp.timeout_ms = static_cast<int>(std::min<std::int64_t>(timeout_s, 86'400) * 1000);
  const std::int64_t watchdog = timeout_s * 1000 + kTimeoutGrace;
  d_.runs.send(std::move(sp), alive_.guard([this, job_id, seq, occ,
                                            watchdog](Result<agents::SendAck> ack) {
    if (!ack.ok()) return ran(job_id, seq, occ, {"error", ack.error().message, ""});
    if (ack->kind == agents::SendAck::Kind::kDone) {
      const auto& o = ack->outcome;
      const bool ok = o.status == sessions::RunStatus::kFinal;
      return ran(job_id, seq, occ,
                 {ok ? "ok" : "error", ok ? "" : o.error, o.reply ? o.reply->text : o.text});
    }
    bool waiting = d_.waiters.wait(
        ack->run_id, watchdog, alive_.guard([this, job_id, seq, occ](const RunEnd* end) {
          if (!end) {
            // The run outlived its timeout and the grace: stop it and free the slot.
            if (CronJob* job = find(job_id)) d_.runs.abort(job->session_key, occ.run_id);
            return ran(job_id, seq, occ,
                       {"timeout", "the run exceeded its timeout and was aborted", ""});
          }
          if (end->status == sessions::RunStatus::kFinal)
            return ran(job_id, seq, occ, {"ok", "", end->text});
          if (end->timed_out)
            return ran(job_id, seq, occ,
                       {"timeout", "the run exceeded its timeout and was aborted", ""});
          ran(job_id, seq, occ,
              {"error", end->error.empty() ? std::string("the run was aborted") : end->error, ""});
        }));
    if (!waiting)
      ran(job_id, seq, occ, {"error", "too many runs are being waited for; retry later", ""});
  }));
}

// The run ended: deliver its reply, then record.
void CronScheduler::ran(const std::string& job_id, std::int64_t seq, const Occurrence& occ,
                        Outcome out) {
  CronJob* job = find(job_id);
  sessions::CronRunRow rec;
  rec.seq = seq;
  rec.job_id = job_id;
  rec.scheduled_ms = occ.scheduled_ms;
  rec.trigger = occ.trigger;
  rec.status = out.status;
  rec.run_id = occ.run_id;
  rec.error = out.error;
  rec.summary = summary_of(out.text);
  if (job) {
    rec.session_key = job->session_key;
    rec.started_ms = job->running_since;
  }
  if (!job || out.status != "ok") return finish(job_id, std::move(rec), occ);
  CronDelivery what;
  what.spec = job->row.spec;
  what.job_id = job_id;
  what.job_name = job->name();
  what.agent_id = job->agent_id(d_.agents.default_id());
  what.owner = job->row.owner;
  what.run_id = occ.run_id;
  what.session_key = job->session_key;
  what.scheduled_ms = occ.scheduled_ms;
  what.text = out.text;
  deliver_cron_result(
      CronDeliveryDeps{d_.io, d_.channels, d_.clock, d_.config.cfg().cron.webhook_secret}, what,
      alive_.guard([this, job_id, rec, occ](DeliveryResult dr) mutable {
        rec.delivery_status = dr.status;
        rec.delivery_error = dr.error;
        finish(job_id, std::move(rec), occ);
      }));
}

void CronScheduler::finish(const std::string& job_id, sessions::CronRunRow rec,
                           const Occurrence& occ) {
  const std::int64_t now = d_.clock.wall_ms();
  rec.ended_ms = now;
  CronJob* job = find(job_id);
  Json state = job ? job->row.state : Json::object();
  bool remove_job = false;
  if (job) {
    state["lastRunAtMs"] = rec.started_ms;
    state["lastDurationMs"] = std::max<std::int64_t>(0, now - rec.started_ms);
    state["lastRunStatus"] = rec.status == "ok" ? "ok" : "error";
    state["lastDeliveryStatus"] = rec.delivery_status;
    if (rec.delivery_error.empty())
      state.erase("lastDeliveryError");
    else
      state["lastDeliveryError"] = rec.delivery_error;
    state["consecutiveSkipped"] = 0;
    if (rec.status == "ok") {
      state.erase("lastError");
      state.erase("backoffUntilMs");
      state["consecutiveErrors"] = 0;
    } else {
      const std::int64_t failures = json_int64(state, "consecutiveErrors", 0) + 1;
      state["consecutiveErrors"] = failures;
      state["lastError"] = rec.error;
      if (rec.status == "timeout") state["lastErrorReason"] = "timeout";
      state["backoffUntilMs"] = now + backoff_for(failures);
      if (!is_one_shot(*job) && failures >= kAutoDisableAfter) {
        job->row.enabled = false;
        state["autoDisabled"] = Json{
            {"reason", "consecutive-failures"}, {"atMs", now}, {"consecutiveErrors", failures}};
        log::warn("cron: job {} ({}) disabled after {} failures in a row", job_id, job->name(),
                  failures);
      }
    }
    if (is_one_shot(*job) && occ.trigger != "manual") {
      // A one-shot ran: gone after success when deleteAfterRun, else kept disabled.
      remove_job = rec.status == "ok" && json_bool(job->row.spec, "deleteAfterRun", true);
      job->row.enabled = false;
    }
    job->row.state = state;
    job->running_seq = 0;
    job->run_id.clear();
  }
  const bool one_shot_removed = remove_job;
  d_.db.post(
      [rec, job_id, state, one_shot_removed](sessions::SessionStore& s) -> Status {
        if (auto st = sessions::finish_cron_run(s, rec, job_id, state); !st.ok()) return st;
        if (!one_shot_removed) return Ok{};
        // Only the definition goes: cron.runs still shows the run.
        auto del = sessions::delete_cron_job(s, job_id, /*keep_runs=*/true);
        if (!del.ok()) return del.error();
        return Ok{};
      },
      alive_.guard([this, job_id, rec, one_shot_removed](Status st) {
        --active_;
        if (!st.ok())
          log::error("cron: could not record the run of {}: {}", job_id, st.error().message);
        CronJob* job = find(job_id);
        if (job) {
          Json entry = run_entry(rec, job->name());
          event(*job, "finished", std::move(entry));
          if (rec.status != "ok" && rec.status != "skipped") failure_alert(*job);
          if (one_shot_removed) {
            event(*job, "removed");
            due_index_.erase({job->next_ms, job_id});
            slots_.erase(job_id);
            jobs_.erase(job_id);
          } else {
            if (!job->row.enabled) persist(*job, nullptr);
            reschedule(*job);
            if (slots_.count(job_id) && !job->waiting) {
              job->waiting = true;
              waiting_.push_back(job_id);
            }
          }
        }
        start_next();
        arm();
      }));
}

void CronScheduler::failure_alert(CronJob& job) {
  const Json& spec = job.row.spec;
  if (spec.contains("failureAlert") && spec["failureAlert"].is_boolean()) return;  // false: off
  const Json alert = spec.value("failureAlert", Json::object());
  const std::int64_t after = json_int64(alert, "after", 2);
  const std::int64_t failures = json_int64(job.row.state, "consecutiveErrors", 0);
  if (failures < after) return;
  const std::int64_t now = d_.clock.wall_ms();
  const std::int64_t cooldown = json_int64(alert, "cooldownMs", kDefaultAlertCooldownMs);
  if (now - json_int64(job.row.state, "lastFailureAlertAtMs", 0) < cooldown) return;
  // Where to: the alert's own target, else the job's announce target.
  Json target = alert;
  if (!target.contains("channel")) {
    const Json d = spec.value("delivery", Json::object());
    if (json_str(d, "mode") != "announce") return;  // nowhere to say it
    target = d;
  }
  job.row.state["lastFailureAlertAtMs"] = now;
  persist(job, nullptr);
  CronDelivery what;
  what.spec = Json{{"delivery", Json{{"mode", json_str(target, "mode", "announce")},
                                     {"channel", json_str(target, "channel")},
                                     {"to", json_str(target, "to")},
                                     {"accountId", json_str(target, "accountId")}}}};
  what.job_id = job.row.id;
  what.job_name = job.name();
  what.agent_id = job.agent_id(d_.agents.default_id());
  what.owner = job.row.owner;
  what.text = "Automation \"" + job.name() + "\" failed " + std::to_string(failures) +
              " times in a row: " + json_str(job.row.state, "lastError");
  deliver_cron_result(
      CronDeliveryDeps{d_.io, d_.channels, d_.clock, d_.config.cfg().cron.webhook_secret}, what,
      [id = job.row.id](DeliveryResult r) {
        if (r.status != "delivered")
          log::warn("cron: failure alert of {} not delivered: {}", id, r.error);
      });
}

void CronScheduler::persist(const CronJob& job, std::function<void(Status)> done) {
  d_.db.post([row = job.row](sessions::SessionStore& s) { return sessions::put_cron_job(s, row); },
             alive_.guard([id = job.row.id, done = std::move(done)](Status st) {
               if (!st.ok()) log::error("cron: could not save job {}: {}", id, st.error().message);
               if (done) done(st);
             }));
}

void CronScheduler::event(const CronJob& job, const char* action, Json extra) {
  Json p{{"jobId", job.row.id}, {"action", action}, {"job", public_job(job)}};
  if (job.next_ms > 0 && extra.is_object() && !extra.contains("nextRunAtMs"))
    p["nextRunAtMs"] = job.next_ms;
  for (auto& [k, v] : extra.items()) p[k] = v;
  p["action"] = action;
  d_.emit(job.row.owner, std::move(p));
}

// ---- methods ---------------------------------------------------------------------------

void CronScheduler::add(const Json& fields, const CronCaller& who, Done done) {
  if (!loaded_) {
    if (!when_loaded([this, fields, who, done] { add(fields, who, done); }))
      done(Error::unavailable("cron: the scheduler is still starting; retry", 500));
    return;
  }
  if (static_cast<int>(jobs_.size()) >= d_.config.cfg().cron.max_jobs)
    return done(Error::invalid("cron: there are already " + std::to_string(jobs_.size()) +
                               " jobs (cron.max_jobs); remove some first"));
  JobContext ctx = context(who);
  if (!who.user.empty()) {
    const std::string target = json_str(fields, "sessionTarget");
    if (target == "main" || target.rfind("session:", 0) == 0 ||
        (target.empty() &&
         json_str(fields.value("payload", Json::object()), "kind") == "systemEvent"))
      return done(Error::forbidden(
          "cron: a shared-mode user's jobs run in their own sessions: use sessionTarget isolated "
          "or current with an agentTurn payload"));
  }
  auto spec = normalize_job(fields, ctx, ctx.now);
  if (!spec.ok()) return done(spec.error());
  CronJob job;
  job.row.id = uuid_v4();
  job.row.owner = who.user;
  job.row.spec = std::move(spec).value();
  job.row.enabled = json_bool(fields, "enabled", true);
  job.row.created_at = ctx.now;
  job.row.updated_at = ctx.now;
  job.schedule = *job_schedule(job.row.spec);
  // The cursor: occurrences after it are due. A one-shot a few seconds in the past (the
  // grace normalize_job allows) still fires once.
  job.row.last_scheduled_ms = ctx.now;
  if (auto* at = std::get_if<cron::AtSchedule>(&job.schedule))
    job.row.last_scheduled_ms = std::min(ctx.now, at->at_ms - 1);
  // The row is copied before the job moves into the completion (argument order is unspecified).
  sessions::CronJobRow row = job.row;
  d_.db.post(
      [row = std::move(row)](sessions::SessionStore& s) { return sessions::put_cron_job(s, row); },
      alive_.guard([this, job = std::move(job), done](Status st) mutable {
        if (!st.ok()) return done(st.error());
        const std::string id = job.row.id;
        auto [it, _] = jobs_.emplace(id, std::move(job));
        reschedule(it->second);
        arm();
        event(it->second, "added");
        Json view = job_view(it->second, d_.agents.default_id());
        view["deliveryPreview"] = delivery_preview(it->second.row.spec);
        done(std::move(view));
      }));
}

void CronScheduler::update(const std::string& id, const Json& patch,
                           const std::string& expected_revision, const CronCaller& who, Done done) {
  if (!loaded_) {
    if (!when_loaded([this, id, patch, expected_revision, who, done] {
          update(id, patch, expected_revision, who, done);
        }))
      done(Error::unavailable("cron: the scheduler is still starting; retry", 500));
    return;
  }
  CronJob* job = find(id);
  if (!job || !visible(*job, who)) return done(not_found(id, false));
  if (!expected_revision.empty() && expected_revision != config_revision(*job)) {
    Error e = Error::invalid(
        "cron job definition no longer matches the loaded version; review the latest version "
        "before retrying",
        "CRON_JOB_CHANGED");
    e.details = Json{{"code", "CRON_JOB_CHANGED"},
                     {"expectedConfigRevision", expected_revision},
                     {"actualConfigRevision", config_revision(*job)}};
    return done(e);
  }
  JobContext ctx = context(who);
  auto spec = patch_job(job->row.spec, patch, ctx, job->row.created_at);
  if (!spec.ok()) return done(spec.error());
  if (patch.contains("enabled") && !patch["enabled"].is_boolean())
    return done(Error::invalid("invalid cron job: enabled must be a boolean"));
  const bool was_enabled = job->row.enabled;
  const bool schedule_changed = (*spec)["schedule"] != job->row.spec["schedule"];
  job->row.spec = std::move(spec).value();
  job->schedule = *job_schedule(job->row.spec);
  job->row.enabled = json_bool(patch, "enabled", job->row.enabled);
  job->row.updated_at = ctx.now;
  if (job->row.enabled && !was_enabled) {
    // Enabling starts afresh: no backlog of what passed while it was off. (A job that
    // never ran has no state yet.)
    if (!job->row.state.is_object()) job->row.state = Json::object();
    job->row.state.erase("autoDisabled");
    job->row.state.erase("backoffUntilMs");
    job->row.state["consecutiveErrors"] = 0;
  }
  if ((job->row.enabled && !was_enabled) || schedule_changed) {
    job->row.last_scheduled_ms = ctx.now;
    if (auto* at = std::get_if<cron::AtSchedule>(&job->schedule))
      job->row.last_scheduled_ms = std::min(ctx.now, at->at_ms - 1);
  }
  reschedule(*job);
  arm();
  persist(*job, alive_.guard([this, id, done](Status st) {
    if (!st.ok()) return done(st.error());
    const CronJob* job = find(id);
    if (!job) return done(not_found(id, false));
    event(*job, "updated");
    done(job_view(*job, d_.agents.default_id()));
  }));
}

void CronScheduler::remove(const std::string& id, const CronCaller& who, Done done) {
  if (!loaded_) {
    if (!when_loaded([this, id, who, done] { remove(id, who, done); }))
      done(Error::unavailable("cron: the scheduler is still starting; retry", 500));
    return;
  }
  CronJob* job = find(id);
  if (!job || !visible(*job, who)) return done(not_found(id, false));
  Json gone = public_job(*job);
  const std::string owner = job->row.owner;
  // A run in progress finishes and is recorded; the job no longer exists afterwards.
  due_index_.erase({job->next_ms, id});
  slots_.erase(id);
  jobs_.erase(id);
  d_.db.post([id](sessions::SessionStore& s) { return sessions::delete_cron_job(s, id); },
             alive_.guard([this, id, owner, gone, done](Result<bool> r) {
               if (!r.ok()) return done(r.error());
               d_.emit(owner, Json{{"jobId", id}, {"action", "removed"}, {"job", gone}});
               done(Json{{"ok", true}, {"removed", true}});
             }));
}

Result<Json> CronScheduler::get(const std::string& id, const CronCaller& who) const {
  const CronJob* job = find(id);
  if (!job || !visible(*job, who)) return not_found(id, true);
  return job_view(*job, d_.agents.default_id());
}

Result<Json> CronScheduler::list(const CronListQuery& q, const CronCaller& who) const {
  if (!loaded_) return Error::unavailable("cron: the scheduler is still starting; retry", 500);
  std::vector<const CronJob*> rows;
  std::string needle = q.query;
  std::transform(needle.begin(), needle.end(), needle.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  const std::string def = d_.agents.default_id();
  for (const auto& [id, job] : jobs_) {
    if (!visible(job, who)) continue;
    if (q.enabled == "enabled" && !job.row.enabled) continue;
    if (q.enabled == "disabled" && job.row.enabled) continue;
    if (!q.schedule_kind.empty() && q.schedule_kind != "all" &&
        job.row.spec["schedule"].value("kind", "") != q.schedule_kind)
      continue;
    if (!q.last_run_status.empty() && q.last_run_status != "all") {
      const std::string last = json_str(job.row.state, "lastRunStatus");
      if (q.last_run_status == "unknown" ? !last.empty() : last != q.last_run_status) continue;
    }
    if (!q.agent_id.empty() && job.agent_id(def) != q.agent_id) continue;
    if (!needle.empty()) {
      std::string hay = id + "\n" + job.name() + "\n" + json_str(job.row.spec, "description") +
                        "\n" + json_str(job.row.spec, "agentId") + "\n" +
                        json_str(job.row.spec, "displayName");
      std::transform(hay.begin(), hay.end(), hay.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (hay.find(needle) == std::string::npos) continue;
    }
    rows.push_back(&job);
  }
  const bool desc = q.sort_dir == "desc";
  std::stable_sort(rows.begin(), rows.end(), [&](const CronJob* a, const CronJob* b) {
    if (q.sort_by == "name") {
      if (a->name() != b->name()) return desc ? a->name() > b->name() : a->name() < b->name();
    } else if (q.sort_by == "updatedAtMs") {
      if (a->row.updated_at != b->row.updated_at)
        return desc ? a->row.updated_at > b->row.updated_at : a->row.updated_at < b->row.updated_at;
    } else if (a->next_ms != b->next_ms) {
      if (a->next_ms == 0 || b->next_ms == 0) return b->next_ms == 0;  // unscheduled last
      return desc ? a->next_ms > b->next_ms : a->next_ms < b->next_ms;
    }
    return a->row.id < b->row.id;
  });
  const int total = static_cast<int>(rows.size());
  const int offset = std::clamp(q.offset, 0, total);
  const int limit = std::clamp(q.limit > 0 ? q.limit : std::max(total, 1), 1, 200);
  Json jobs = Json::array();
  Json previews = Json::object();
  std::string fingerprint;
  for (const CronJob* j : rows)
    fingerprint += j->row.id + ":" + std::to_string(j->row.updated_at) + ":" +
                   std::to_string(j->next_ms) + ";";
  for (int i = offset; i < std::min(total, offset + limit); ++i) {
    const CronJob& j = *rows[static_cast<std::size_t>(i)];
    jobs.push_back(q.compact ? compact_job_view(j, def) : job_view(j, def));
    if (!q.compact && q.previews) previews[j.row.id] = delivery_preview(j.row.spec);
  }
  const int end = offset + static_cast<int>(jobs.size());
  Json out{{"jobs", std::move(jobs)},
           {"snapshotRevision", "sha256:" + sha256_hex(fingerprint).substr(0, 32)},
           {"total", total},
           {"offset", offset},
           {"limit", limit},
           {"hasMore", end < total},
           {"nextOffset", end < total ? Json(end) : Json(nullptr)}};
  if (!q.compact && q.previews) out["deliveryPreviews"] = std::move(previews);
  return out;
}

Json CronScheduler::status() const {
  const std::string path = d_.config.info().sessions_db();
  Json out = summary_json();
  out.update(Json{{"triggersEnabled", false},
                  {"storePath", path},
                  {"storage", "sqlite"},
                  {"sqlitePath", path},
                  {"maxConcurrentRuns", d_.config.cfg().cron.max_concurrent_runs},
                  {"timezone", default_tz()}});
  return out;
}

Json CronScheduler::summary_json() const {
  const Summary s = summary();
  // The failing jobs by name, most failures first (at most kFailingShown).
  constexpr std::size_t kFailingShown = 20;
  std::vector<const CronJob*> failing;
  for (const auto& entry : jobs_)
    if (json_int64(entry.second.row.state, "consecutiveErrors", 0) > 0)
      failing.push_back(&entry.second);
  std::sort(failing.begin(), failing.end(), [](const CronJob* a, const CronJob* b) {
    return json_int64(a->row.state, "consecutiveErrors", 0) >
           json_int64(b->row.state, "consecutiveErrors", 0);
  });
  if (failing.size() > kFailingShown) failing.resize(kFailingShown);
  Json failing_json = Json::array();
  for (const CronJob* job : failing)
    failing_json.push_back(
        Json{{"id", job->row.id},
             {"name", job->name()},
             {"enabled", job->row.enabled},
             {"consecutiveErrors", json_int64(job->row.state, "consecutiveErrors", 0)},
             {"lastError", json_str(job->row.state, "lastError")}});
  const std::int64_t hb_next = heartbeats_.next_ms();
  return Json{{"enabled", d_.config.cfg().cron.enabled},
              {"jobs", s.jobs},
              {"enabledJobs", s.enabled},
              {"runningJobs", s.running},
              {"failingJobs", s.failing},
              {"failing", std::move(failing_json)},
              {"nextWakeAtMs", s.next_wake_ms > 0 ? Json(s.next_wake_ms) : Json(nullptr)},
              {"heartbeats",
               {{"agents", heartbeats_.agent_count()},
                {"nextAtMs", hb_next > 0 ? Json(hb_next) : Json(nullptr)},
                {"last", heartbeats_.last()}}}};
}

CronScheduler::Summary CronScheduler::summary() const {
  Summary s;
  for (const auto& [id, job] : jobs_) {
    ++s.jobs;
    if (job.row.enabled) ++s.enabled;
    if (job.running_seq != 0) ++s.running;
    if (json_int64(job.row.state, "consecutiveErrors", 0) > 0) ++s.failing;
  }
  if (!due_index_.empty() && d_.config.cfg().cron.enabled)
    s.next_wake_ms = due_index_.begin()->first;
  return s;
}

Result<Json> CronScheduler::run_now(const std::string& id, const std::string& mode,
                                    const CronCaller& who) {
  if (!loaded_) return Error::unavailable("cron: the scheduler is still starting; retry", 500);
  CronJob* job = find(id);
  if (!job || !visible(*job, who)) return not_found(id, false);
  const std::int64_t now = d_.clock.wall_ms();
  if (mode == "if-enabled" && !job->row.enabled)
    return Json{{"ok", true}, {"ran", false}, {"reason", "disabled"}};
  if (mode == "due" && (job->next_ms == 0 || job->next_ms > now))
    return Json{{"ok", true}, {"ran", false}, {"reason", "not-due"}};
  if (job->busy()) return Json{{"ok", true}, {"ran", false}, {"reason", "already-running"}};
  const std::string run_id =
      "manual:" + id + ":" + std::to_string(now) + ":" + std::to_string(++manual_seq_);
  slots_[id].backlog.push_back({now, "manual", run_id});
  job->waiting = true;
  waiting_.push_back(id);
  start_next();
  return Json{{"ok", true}, {"enqueued", true}, {"runId", run_id}};
}

void CronScheduler::runs(sessions::CronRunQuery q, const CronCaller& who, Done done) {
  if (!q.job_id.empty()) {
    const CronJob* job = find(q.job_id);
    if (job && !visible(*job, who)) return done(not_found(q.job_id, false));
    if (!job && !who.user.empty()) return done(not_found(q.job_id, false));
  } else if (!who.user.empty()) {
    for (const auto& [id, job] : jobs_)
      if (visible(job, who)) q.job_ids.push_back(id);
    if (q.job_ids.empty()) q.job_ids.push_back("\n");  // matches nothing
  }
  const int offset = q.offset, limit = q.limit;
  const std::string job_id = q.job_id;
  d_.db.post([q](sessions::SessionStore& s) { return sessions::list_cron_runs(s, q); },
             alive_.guard([this, offset, limit, job_id,
                           done](Result<std::pair<std::vector<sessions::CronRunRow>, int>> r) {
               if (!r.ok()) return done(r.error());
               if (!job_id.empty() && r->second == 0 && !find(job_id))
                 return done(not_found(job_id, false));
               Json entries = Json::array();
               for (const auto& rec : r->first) {
                 const CronJob* job = find(rec.job_id);
                 entries.push_back(run_entry(rec, job ? job->name() : ""));
               }
               const int end = offset + static_cast<int>(r->first.size());
               done(Json{{"entries", std::move(entries)},
                         {"total", r->second},
                         {"offset", offset},
                         {"limit", limit},
                         {"hasMore", end < r->second},
                         {"nextOffset", end < r->second ? Json(end) : Json(nullptr)}});
             }));
}

}  // namespace simpleclaw::gateway
