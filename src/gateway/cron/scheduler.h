// CronScheduler: fires scheduled jobs, exactly once per occurrence, across restarts.
//
// The loop owns every job in memory (CronJob, job.h) and an index of next due times; a
// steady timer wakes at the earliest (at most kMaxSleep later, so a wall-clock jump or a
// suspended laptop is noticed within a minute). For each due occurrence:
//
//   1. claim: its run record is committed (cron_store.h: unique per job and scheduled
//      time) before anything runs; a second claim of the same occurrence is refused
//   2. run: a chat run (RunEngine::send) in the job's session, run id
//      "cron:<jobId>:<scheduledMs>" (manual: "manual:<jobId>:<ms>:<n>"), waited for
//      through RunWaiters with the job's timeout; past timeout + kTimeoutGrace the run is
//      aborted and the slot freed whatever the run does
//   3. deliver: none | announce (a channel target, or "last" = where the agent last
//      talked) | webhook (POST, Standard Webhooks signature)
//   4. record: the run record and the job's state in one commit; `cron` events tell
//      clients (added, updated, removed, started, finished)
//
// Restarts: records left 'running' become 'interrupted' (never re-run); occurrences that
// passed while the gateway was down follow the job's missedPolicy: skip (each recorded as
// skipped), run-once (the newest runs late, the others are recorded as skipped), run-all
// (up to cron.missed_run_cap run, oldest first). An occurrence less than kLateGrace late
// is simply on time. The wall clock jumping is handled the same way, with no special
// case: a jump forward across due times is a restart's catch-up (missedPolicy, no burst);
// a jump back never re-runs an occurrence, because a job is due only after its cursor,
// which only moves forward (and the claim is unique per occurrence besides).
//
// A job never overlaps itself (an occurrence due while it runs is recorded as skipped);
// at most cron.max_concurrent_runs jobs run at once, the others wait in order. Failures
// back off (30 s, 1 m, 5 m, 15 m, 60 m) and a recurring job is disabled after
// kAutoDisableAfter failures in a row; a one-shot (`at`) job is deleted after success
// when deleteAfterRun, else disabled.
//
// Threading: loop thread only; the database work goes through the DbWorker.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/alive.h"
#include "gateway/cron/heartbeat.h"
#include "gateway/cron/job.h"
#include "sessions/cron_store.h"

namespace simpleclaw {
class Clock;
namespace agents {
class AgentDirectory;
class RunEngine;
class SessionService;
}  // namespace agents
namespace channels {
class ChannelManager;
}
namespace sessions {
class DbWorker;
}
}  // namespace simpleclaw

namespace simpleclaw::gateway {

class LiveConfig;
class RunWaiters;
struct RunEnd;

// Who asks: the operator (user "") sees every job; a shared-mode user only their own.
struct CronCaller {
  std::string user;
  std::string session_key;  // the caller's own session, for sessionTarget current
};

// cron.list's filters and paging (OpenClaw's CronListParams).
struct CronListQuery {
  std::string enabled = "enabled";  // all | enabled | disabled
  std::string query, schedule_kind, last_run_status, agent_id;
  std::string sort_by = "nextRunAtMs", sort_dir = "asc";
  int offset = 0;
  int limit = 0;  // 0 = all (at most 200)
  bool compact = false;
  bool previews = true;
};

// The job's next due time after its cursor (row.last_scheduled_ms) and any failure
// backoff, in `tz` for cron schedules without one; 0 = none (disabled, done, never).
// Pure (fills an `every` schedule's anchor): any thread.
std::int64_t next_due(CronJob& job, const std::string& tz);

class CronScheduler {
 public:
  static constexpr std::int64_t kLateGrace = 60'000;
  static constexpr std::int64_t kTimeoutGrace = 30'000;
  static constexpr int kAutoDisableAfter = 10;
  static constexpr std::size_t kMaxCatchupScan = 1000;  // occurrences examined per due job

  // `emit(owner, payload)`: a `cron` event to operator.read sockets (and, in shared mode,
  // to the job's owner).
  using Emit = std::function<void(const std::string& owner, Json payload)>;
  struct Deps {
    boost::asio::io_context& io;
    sessions::DbWorker& db;
    agents::RunEngine& runs;
    agents::SessionService& sessions;
    RunWaiters& waiters;
    channels::ChannelManager& channels;
    const agents::AgentDirectory& agents;
    const LiveConfig& config;
    const Clock& clock;
    Emit emit;
    std::function<void(Json)> emit_heartbeat;  // a `heartbeat` event (HeartbeatRunner)
  };
  explicit CronScheduler(Deps d);
  CronScheduler(const CronScheduler&) = delete;
  CronScheduler& operator=(const CronScheduler&) = delete;

  // Loads the jobs (after marking interrupted runs), applies missed policies, starts the
  // timer. Methods answer "starting" errors until it is done.
  void start();
  // Cluster mode (docs/cluster.md "Ownership"): only the instance holding the cron:leader
  // lease fires jobs and heartbeats. follow() before start(): this scheduler loads the
  // jobs but fires nothing and leaves the run records alone. set_leader(true) (the lease
  // taken) reads the jobs again, records the old leader's unfinished runs as interrupted
  // and fires what is due, each occurrence still claimed once (the unique claim);
  // set_leader(false) stops firing (runs already going finish).
  void follow() { leader_ = false; }
  void set_leader(bool leader);
  bool leader() const { return leader_; }
  // Cluster mode: jobs added, changed or removed through another instance are merged in
  // when the store's jobs changed since the last look (a count and the newest update).
  void refresh();
  void stop();
  bool loaded() const { return loaded_; }
  // After a config change: cron.enabled, cron.timezone and the agents' heartbeats take
  // effect now (every job's next time is computed again).
  void configure();
  HeartbeatRunner& heartbeats() { return heartbeats_; }
  const HeartbeatRunner& heartbeats() const { return heartbeats_; }

  using Done = std::function<void(Result<Json>)>;
  void add(const Json& fields, const CronCaller& who, Done done);
  void update(const std::string& id, const Json& patch, const std::string& expected_revision,
              const CronCaller& who, Done done);
  void remove(const std::string& id, const CronCaller& who, Done done);
  Result<Json> get(const std::string& id, const CronCaller& who) const;
  Result<Json> list(const CronListQuery& q, const CronCaller& who) const;
  Json status() const;
  // cron.preview: the next `count` due times of a schedule (wire shape) from now, in the
  // zone it would run in; `stagger_key` (a job id) applies that job's stagger offset.
  Result<Json> preview(const Json& schedule, int count, const std::string& stagger_key) const;
  // The summary `status` and cron.status show: counts, the failing jobs by name, the next
  // wake, the heartbeats.
  Json summary_json() const;
  // cron.run: mode force | due | if-enabled. Does not wait for the run.
  Result<Json> run_now(const std::string& id, const std::string& mode, const CronCaller& who);
  void runs(sessions::CronRunQuery q, const CronCaller& who, Done done);

  struct Summary {
    int jobs = 0, enabled = 0, running = 0, failing = 0;
    std::int64_t next_wake_ms = 0;  // 0 = none
  };
  Summary summary() const;

 private:
  struct Occurrence {
    std::int64_t scheduled_ms = 0;
    std::string trigger;  // schedule | missed | manual
    std::string run_id;
  };
  struct Slot {  // one job's queued occurrences (run-all may queue several)
    std::deque<Occurrence> backlog;
  };
  struct Outcome {
    std::string status;  // ok | error | timeout
    std::string error, text;
  };

  // cron.timezone, else the host's zone as last read (host_tz_: read again at each timer
  // tick, so a host whose zone is changed while the gateway runs is followed).
  std::string default_tz() const;
  void reschedule_all();
  JobContext context(const CronCaller& who) const;
  CronJob* find(const std::string& id);
  const CronJob* find(const std::string& id) const;
  bool visible(const CronJob& job, const CronCaller& who) const;
  Error not_found(const std::string& id, bool get) const;

  // The next due time from the job's cursor (row.last_scheduled_ms) and backoff.
  void reschedule(CronJob& job);
  void arm();
  void on_timer();
  void due(CronJob& job, std::int64_t now);
  void skip(CronJob& job, std::vector<std::int64_t> times, const std::string& trigger,
            const std::string& reason);
  void start_next();
  void start(CronJob& job, Occurrence occ);
  void begin_run(const std::string& job_id, std::int64_t seq, const Occurrence& occ);
  void send_run(const std::string& job_id, std::int64_t seq, const Occurrence& occ);
  void ran(const std::string& job_id, std::int64_t seq, const Occurrence& occ, Outcome out);
  void finish(const std::string& job_id, sessions::CronRunRow rec, const Occurrence& occ);
  void failure_alert(CronJob& job);
  std::string session_key_for(const CronJob& job) const;
  void persist(const CronJob& job, std::function<void(Status)> done);
  void event(const CronJob& job, const char* action, Json extra = Json::object());

  // Jobs read from the store merged into memory: new ones added, newer rows taken,
  // vanished ones dropped; a job with a run going is left as it is until it ends.
  void merge(std::vector<CronJob> loaded);
  void note_interrupted(const std::vector<sessions::CronRunRow>& interrupted);

  // Runs `call` now, or once the jobs are loaded (a change made in the first milliseconds
  // after start waits for them instead of failing); false when too many already wait.
  bool when_loaded(std::function<void()> call);
  static constexpr std::size_t kMaxWaitingForLoad = 1024;

  Deps d_;
  bool loaded_ = false, stopped_ = false;
  bool leader_ = true;            // false: a cluster follower (fires nothing)
  bool lead_after_load_ = false;  // set_leader(true) came before the jobs were read
  bool refreshing_ = false;
  std::pair<std::int64_t, std::int64_t> seen_jobs_{-1, -1};  // refresh(): count, newest update
  std::vector<std::function<void()>> until_loaded_;          // calls made before the jobs loaded
  std::map<std::string, CronJob> jobs_;
  std::set<std::pair<std::int64_t, std::string>> due_index_;  // (next_ms, id)
  std::unordered_map<std::string, Slot> slots_;               // jobs with queued occurrences
  std::deque<std::string> waiting_;                           // job ids wanting a run slot
  int active_ = 0;
  std::uint64_t manual_seq_ = 0;
  std::string host_tz_;
  boost::asio::steady_timer timer_;
  HeartbeatRunner heartbeats_;
  Alive alive_;
};

}  // namespace simpleclaw::gateway
