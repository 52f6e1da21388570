// SessionStore: sessions and their append-only transcripts in SQLite (WAL, full sync).
//
//   sessions     one row per session key: current sessionId, agent, label, model
//                override, pinned/archived, status, token counters, last preview
//   transcripts  every sessionId a key ever had (sessions.reset starts a new one and
//                keeps the old transcript)
//   entries      append-only messages of a transcript (user, assistant, injected, tool
//                results; an assistant entry may carry tool calls)
//   approvals    exec approvals (pending ones survive a restart)
//   runs         one row per chat run, keyed by runId (= the client's idempotencyKey):
//                durable de-duplication and crash recovery
//
// Durability contract (SPEC §7): begin_run commits the user message before chat.send is
// acknowledged; finish_run commits the assistant message before `final` is sent. After
// a crash, recover() turns runs left queued/running into `error` ("interrupted"), so the
// next turn starts from complete messages only.
//
// Threading: a SessionStore is used by exactly one thread, the DbWorker's. Methods do
// not open transactions themselves: the worker wraps each batch of jobs in one
// transaction (group commit) and each job in a savepoint.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "sessions/keys.h"
#include "store/sqlite.h"

namespace simpleclaw::sessions {

struct SessionRow {
  std::string key, session_id, agent_id, kind, channel;
  std::string label, model_override, status = "idle", last_preview;
  bool pinned = false, archived = false;
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::int64_t created_at = 0, updated_at = 0;
};

struct Entry {
  std::int64_t seq = 0;  // row id: global order of appends
  std::string message_id, session_id, run_id;
  std::string role;  // user | assistant | tool (a tool call's result)
  std::string text;
  std::string state = "complete";  // complete | aborted | error | injected
  std::string stop_reason, model, label;
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::int64_t created_at = 0;
  Json tool_calls;                      // assistant: [{id, name, arguments (JSON text)}] or null
  std::string tool_call_id, tool_name;  // tool: the call it answers
  bool is_error = false;                // tool: the result is an error
  // The protocol message: {role, content:[{type:"text",text}, {type:"toolCall", id, name,
  // arguments}...], timestamp, id, runId?, stopReason?, usage?, model?, state?(when not
  // complete), label?}; a tool result is {role:"toolResult", toolCallId, toolName,
  // content:[{type:"text",text}], isError, timestamp, id, runId}.
  Json to_message() const;
};

struct RunRow {
  std::string run_id, session_key, session_id, status, error;
  std::int64_t created_at = 0, ended_at = 0;
};

struct BeginRun {
  SessionKey key;
  std::string run_id, message_id, text;
  std::int64_t now = 0;
};
struct BeginRunResult {
  SessionRow session;
  Entry user;                      // the committed user message
  std::optional<RunRow> existing;  // set: run_id was already known (nothing was written)
};

struct FinishRun {
  std::string run_id, session_key;
  std::string status;          // final | aborted | error
  std::string error;           // for error
  std::optional<Entry> reply;  // assistant message to append (text may be partial)
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::int64_t now = 0;
};

struct HistoryPage {
  SessionRow session;
  std::vector<Entry> entries;  // chronological
  bool has_more = false;       // older entries exist before the first returned
};

struct ListFilter {
  int limit = 100, offset = 0;
  std::string agent_id, search;   // search: substring of key/label (case-insensitive)
  std::int64_t active_since = 0;  // updated_at >= this (0 = any)
  bool include_archived = true;
  std::string owner;  // shared mode: only keys in this user's namespace ("" = all)
};

// One exec approval row (tools::ApprovalRecord is the loop's view of it).
struct ApprovalRow {
  std::string id, request_json, status, reason, resolved_by;
  std::int64_t created_at = 0, expires_at = 0, resolved_at = 0;
};

struct SessionPatch {
  std::optional<std::string> label, model_override;
  std::optional<bool> pinned, archived;
};

class SessionStore {
 public:
  // Opens/creates the database and migrates it forward.
  static Result<SessionStore> open(const std::string& path);
  SessionStore(SessionStore&&) noexcept = default;

  store::Db& db() { return db_; }

  // Runs left queued/running by a crash -> error "interrupted by a gateway restart";
  // sessions -> idle. Returns how many runs were marked.
  Result<int> recover(std::int64_t now);

  Result<std::optional<SessionRow>> get(const std::string& key);
  Result<SessionRow> ensure(const SessionKey& key, std::int64_t now);
  Result<BeginRunResult> begin_run(const BeginRun& b);
  Result<std::optional<RunRow>> get_run(const std::string& run_id);
  Status set_session_status(const std::string& key, const std::string& status, std::int64_t now);
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
  explicit SessionStore(store::Db db) : db_(std::move(db)) {}
  Result<store::Stmt> prep(const char* sql);
  store::Db db_;
};

}  // namespace simpleclaw::sessions
