// The scheduler's durable part, in the session database (same DbWorker, same group
// commit as transcripts):
//
//   cron_jobs  one row per job: its definition as the client gave it (`spec`, JSON), its
//              runtime state (`state`, JSON: last run, consecutive errors, ...), and the
//              newest occurrence ever claimed (`last_scheduled_ms`), from which a restart
//              computes what it missed
//   cron_runs  one record per occurrence: claimed (status 'running') and committed before
//              the run starts; finished with ok | error | timeout; 'interrupted' when the
//              gateway stopped during it; 'skipped' when it was not run (missed while down,
//              previous run still going), with the reason in `error`
//
// Exactly once: claim_cron_run inserts (job, scheduled time) under a unique index, so a
// second claim of the same occurrence, after a restart or a race, is refused and nothing
// runs twice. Manual runs (cron.run force) are not occurrences and are never refused.
//
// Threading: like SessionStore, these run on the DbWorker thread only.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sessions/store.h"

namespace simpleclaw::sessions {

struct CronJobRow {
  std::string id;
  std::string owner;  // the shared-mode user who owns it ("" = the operator's)
  Json spec;          // the job's definition (cron.add's fields, normalized)
  Json state;         // runtime state, an object
  bool enabled = true;
  std::int64_t last_scheduled_ms = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

// Why a run record exists: its scheduled time came ('schedule'), it was missed while the
// gateway was down and run late ('missed'), or an operator asked ('manual').
struct CronRunRow {
  std::int64_t seq = 0;
  std::string job_id;
  std::int64_t scheduled_ms = 0;
  std::string trigger;  // schedule | missed | manual
  std::string status;   // running | ok | error | timeout | interrupted | skipped
  std::int64_t started_ms = 0, ended_ms = 0;
  std::string session_key, run_id, error, summary;
  std::string delivery_status = "not-requested";  // delivered | not-delivered | not-requested
  std::string delivery_error;
};

struct CronRunQuery {
  std::string job_id;                 // "" = every job
  std::vector<std::string> job_ids;   // when set: only these jobs (a user's own)
  std::vector<std::string> statuses;  // empty = all
  std::string delivery_status;        // "" = all
  std::string run_id;                 // "" = all
  std::string query;                  // substring of summary or error
  int limit = 50, offset = 0;
  bool newest_first = true;
};

// Keeps the newest kMaxRunsPerJob records per job (older ones are deleted as new ones
// finish): the history is bounded however long a job lives.
inline constexpr int kMaxRunsPerJob = 500;

Result<std::vector<CronJobRow>> load_cron_jobs(SessionStore& s);
// Insert or replace the whole row.
Status put_cron_job(SessionStore& s, const CronJobRow& job);
// Deletes the job and (unless keep_runs: a one-shot that ran, its record still shown by
// cron.runs) its run records; false when there was no such job.
Result<bool> delete_cron_job(SessionStore& s, const std::string& id, bool keep_runs = false);

// Claims one occurrence: inserts its record (status 'running', or r.status when set to
// 'skipped') and advances the job's last_scheduled_ms. Returns the record's seq, or
// nullopt when this (job, scheduled time) was already claimed.
Result<std::optional<std::int64_t>> claim_cron_run(SessionStore& s, const CronRunRow& r);
// Ends a running record and stores the job's new state in the same transaction.
Status finish_cron_run(SessionStore& s, const CronRunRow& r, const std::string& job_id,
                       const Json& job_state);
// At start-up: records left 'running' by a crash become 'interrupted' (they are never
// run again). Returns them, so the scheduler can update their jobs' state.
Result<std::vector<CronRunRow>> interrupt_cron_runs(SessionStore& s, std::int64_t now);
Result<std::pair<std::vector<CronRunRow>, int>> list_cron_runs(SessionStore& s,
                                                               const CronRunQuery& q);

}  // namespace simpleclaw::sessions
