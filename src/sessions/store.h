// SessionStore: sessions and their append-only transcripts in SQLite (WAL, full sync).
//
//   sessions     one row per session key: current sessionId, agent, label, model
//                override, pinned/archived, status, token counters, last preview
//   transcripts  every sessionId a key ever had (sessions.reset starts a new one and
//                keeps the old transcript)
//   entries      append-only messages of a transcript (user, assistant, injected, tool
//                results; an assistant entry may carry tool calls, a user entry images:
//                references to files under <state>/media, written by begin_run first)
//   approvals    exec approvals (pending ones survive a restart)
//   runs         one row per chat run, keyed by runId (= the client's idempotencyKey):
//                durable de-duplication and crash recovery
//
// Durability contract (SPEC §7): begin_run commits the user message before chat.send is
// acknowledged; finish_run commits the assistant message before `final` is sent. After
// a crash, recover() turns runs that had started (mark_running) into `error`
// ("interrupted"), so the next turn starts from complete messages only; runs that were
// still queued are run after the restart (queued_runs).
//
// Threading: a SessionStore is used by exactly one thread, the DbWorker's. Methods do
// not open transactions themselves: the worker wraps each batch of jobs in one
// transaction (group commit) and each job in a savepoint.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "sessions/keys.h"
#include "sessions/media.h"
#include "sessions/types.h"
#include "simpleclaw/result.h"
#include "store/copy.h"
#include "store/db.h"

namespace simpleclaw::sessions {

class SessionStore {
 public:
  // Opens/creates the database and migrates it forward. Attached images live beside it,
  // in <directory of path>/media (sessions/media.h).
  static Result<SessionStore> open(const std::string& path);
  // Cluster mode: the same store on PostgreSQL (a libpq URL); images in media_dir.
  static Result<SessionStore> open_postgres(const std::string& url, const std::string& media_dir);
  SessionStore(SessionStore&&) noexcept = default;

  store::Db& db() { return db_; }
  // Every table of the schema with its key (for copies between engines), and the tables
  // this database holds.
  static std::span<const store::TableSpec> tables();
  static int latest_schema_version();  // what open() migrates to
  Result<std::vector<std::string>> table_names();
  const MediaStore& media() const { return media_; }

  // Cluster mode: the instance this store's runs are accepted on (runs.instance). recover()
  // and queued_runs() then see only its own runs. "" (a gateway of its own): all of them.
  void set_instance(std::string id) { instance_ = std::move(id); }
  const std::string& instance() const { return instance_; }
  // Runs left running by a crash or a shutdown -> error "interrupted by a gateway
  // restart"; sessions -> idle. Returns how many runs were marked.
  Result<int> recover(std::int64_t now);
  // Cluster mode: instance `dead` is gone (its liveness lease expired). Its running runs
  // are recorded interrupted; its queued ones become this instance's (queued_runs() then
  // returns them to run here).
  // `dead_holder` (its lease's holder) loses every lease it had.
  Result<ReapedInstance> reap_instance(const std::string& dead, const std::string& dead_holder,
                                       std::int64_t now);
  // Cluster mode: session lanes. A session's runs execute on one instance at a time, the
  // holder of its lease `lane:<key>`: begin_run() and a queued run's mark_running() take
  // it (refused with LANE_ELSEWHERE, details {holder, instance}, while another live
  // instance holds it) and record its epoch with the run; transcript writes of a run whose
  // lane has since passed to another epoch are refused (the fence: an instance cut off
  // from the database past the TTL); the lane is given back when its last run ends. The
  // holder renews its lanes with renew_held_leases("lane:").
  void set_lanes(std::string holder, std::int64_t ttl_ms);
  static std::string lane_lease(const std::string& key) { return "lane:" + key; }
  static constexpr const char* kLaneLost =
      "interrupted: this session moved to another gateway instance while the run was cut off "
      "from the database";
  // A run that starts executing: after a crash it is reported interrupted, not run again.
  Status mark_running(const std::string& run_id);
  // Runs accepted but never started (queued at a restart), oldest first: run them now.
  Result<std::vector<QueuedRun>> queued_runs();

  Result<std::optional<SessionRow>> get(const std::string& key);
  Result<SessionRow> ensure(const SessionKey& key, std::int64_t now);
  Result<BeginRunResult> begin_run(const BeginRun& b);
  Result<std::optional<RunRow>> get_run(const std::string& run_id);
  Status set_session_status(const std::string& key, SessionStatus status, std::int64_t now);
  // Appends the reply (if any), closes the run, adds tokens; returns the reply entry.
  Result<std::optional<Entry>> finish_run(const FinishRun& f);
  // One tool round of a run, committed together so a call is never stored without its
  // results: the assistant entry with tool_calls, then one role-'tool' entry per call.
  // Fills session_id, run_id, created_at and seq of each entry.
  Status append_step(const std::string& run_id, std::vector<Entry>& entries, std::int64_t now);
  // chat.inject: an assistant message appended without a run.
  Result<Entry> inject(const SessionKey& key, const std::string& message_id,
                       const std::string& text, const std::string& label, std::int64_t now);
  // The newest `limit` entries of the key's current transcript, skipping `offset` newest.
  Result<HistoryPage> history(const std::string& key, int limit, int offset);
  // What the model sees: complete and aborted user/assistant entries of the session's
  // current transcript, oldest first, at most `max_entries` newest ones.
  Result<std::vector<Entry>> context(const std::string& session_id, int max_entries);
  Result<std::pair<std::vector<SessionRow>, int>> list(const ListFilter& f);  // rows, total
  // Sessions per agent id, of one user's namespace ("" = every session).
  Result<std::map<std::string, int>> count_by_agent(const std::string& owner);
  Result<SessionRow> reset(const std::string& key, const std::string& new_session_id,
                           std::int64_t now);
  Result<bool> remove(const std::string& key);  // transcripts kept on disk? no: deleted
  Result<SessionRow> patch(const std::string& key, const SessionPatch& p, std::int64_t now);

  // Keys of sessions with messages in their current transcript (a preview) and no
  // activity since `before`: what the sessions.reset policy starts over, oldest first.
  // (The caller skips keys with a run in progress: the loop knows, the row may not.)
  Result<std::vector<std::string>> stale_sessions(std::int64_t before, int limit);
  // Vacuum (incremental; a one-time full VACUUM for an older database that is a quarter
  // free) + PRAGMA wal_checkpoint(TRUNCATE) + PRAGMA optimize; outside a transaction only
  // (DbWorker::post_standalone). {busy, logFrames, checkpointedFrames, vacuumedPages}.
  Result<Json> checkpoint();
  static constexpr std::int64_t kVacuumMinFreePages = 256;  // 1 MiB at 4 KiB pages

  // Exec approvals: insert or replace one; the pending ones (oldest first).
  Status save_approval(const ApprovalRow& a);
  Result<std::vector<ApprovalRow>> pending_approvals();

 private:
  SessionStore(store::Db db, MediaStore media) : db_(std::move(db)), media_(std::move(media)) {}
  static Result<SessionStore> open(Result<store::Db> db, const std::string& media_dir);
  Result<store::Stmt> prep(const char* sql);
  Status settle_idle_sessions();  // sessions with nothing running or queued -> idle
  Result<std::vector<QueuedRun>> queued_runs_of(const std::string& instance);
  Result<std::int64_t> take_lane(const std::string& key);  // its epoch; 0 = no lanes
  Result<bool> lane_still_held(const std::string& run_id);
  Status release_idle_lane(const std::string& key);
  store::Db db_;
  MediaStore media_;
  std::string instance_;
  std::string lane_holder_;  // "" = no lanes (a gateway of its own)
  std::int64_t lane_ttl_ms_ = 0;
};

}  // namespace simpleclaw::sessions
