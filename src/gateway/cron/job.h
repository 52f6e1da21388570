// A scheduled job: its definition as clients write it (OpenClaw's CronJob wire shape), the
// rules cron.add and cron.update apply to it, and the views clients read.
//
// Supported (docs/automations.md): schedules at | every | cron; payloads systemEvent (a
// turn in the agent's main session) and agentTurn (a turn in a fresh `cron:<jobId>`
// session per run, the job creator's session (`current`) or a named one
// (`session:<key>`)); delivery none | announce | webhook; failureAlert; and simpleclaw's
// missedPolicy (skip | run-once | run-all). OpenClaw's script/command payloads, on-exit and
// stream schedules, triggers and pacing are refused with an error that says so.
//
// Pure functions over JSON: any thread (the scheduler calls them on the loop).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "cron/schedule.h"
#include "sessions/cron_store.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

// What normalizing a job needs to know about the gateway.
struct JobContext {
  std::int64_t now = 0;
  std::string default_agent;  // agents.default
  std::string default_tz;     // cron.timezone, else the host's zone
  std::string creator_key;    // the caller's session (sessionTarget current), may be ""
  bool (*agent_exists)(const void* ctx, const std::string& id) = nullptr;
  const void* agent_ctx = nullptr;
};

// The scheduler's view of one job.
struct CronJob {
  sessions::CronJobRow row;
  cron::Schedule schedule;
  std::int64_t next_ms = 0;  // next due time; 0 = none (disabled, done, never again)
  // A run in progress (or claimed and starting): its record and chat run.
  std::int64_t running_seq = 0;
  std::int64_t running_since = 0;
  std::string run_id, session_key;
  bool waiting = false;  // due, waiting for a free run slot

  const std::string& id() const { return row.id; }
  std::string name() const;
  std::string agent_id(const std::string& default_agent) const;
  bool busy() const { return running_seq != 0 || waiting; }
};

// cron.add: the normalized definition (`spec`) from the client's fields, defaults filled
// (enabled, name, sessionTarget, wakeMode, delivery, deleteAfterRun, anchorMs, staggerMs,
// missedPolicy). Errors say which field is wrong and why.
Result<Json> normalize_job(const Json& fields, const JobContext& ctx, std::int64_t created_at);
// cron.update: the patch applied to `spec` (null clears agentId, sessionKey, displayName,
// description, delivery, failureAlert; payload and delivery objects merge when their kind
// stays), then normalized again.
Result<Json> patch_job(const Json& spec, const Json& patch, const JobContext& ctx,
                       std::int64_t created_at);
// The spec's schedule, parsed (normalize_job made sure it parses).
Result<cron::Schedule> job_schedule(const Json& spec);

// An opaque hash of the definition: clients send it back as expectedConfigRevision.
std::string config_revision(const CronJob& job);
// What cron.get/add/update return (full) and cron.list's compact rows.
Json job_view(const CronJob& job, const std::string& default_agent);
Json compact_job_view(const CronJob& job, const std::string& default_agent);
// The `cron` event's job: the definition and state, without the read-view extras.
Json public_job(const CronJob& job);
// Where a job's result goes, in words: {label, detail}.
Json delivery_preview(const Json& spec);

// One run record as cron.runs and the `cron` finished event show it.
Json run_entry(const sessions::CronRunRow& r, const std::string& job_name);

}  // namespace simpleclaw::gateway
