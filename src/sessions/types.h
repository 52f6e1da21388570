// The session store's records (SessionStore, store.h) and the closed sets of values they
// carry: message roles, entry states, run and session statuses. Enums in memory, words in
// the database (the words are the ones the protocol shows, so rows read the same in
// sqlite3 as on the wire); the *_name / parse_* pairs below are the only translation.
// A word the database holds but this version does not know is read as the safest value
// (noted at each parse_*), never trusted. Plain values; any thread.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessions/keys.h"
#include "sessions/media.h"
#include "simpleclaw/provider.h"
#include "simpleclaw/result.h"

namespace simpleclaw::sessions {

// Who wrote a transcript entry: the user, the model, or a tool (a call's result).
using Role = sdk::Role;
using sdk::role_name;                 // "user" | "assistant" | "tool"
Role parse_role(std::string_view s);  // unknown -> kUser (never sent as a model reply)

// An entry's state. Only complete, aborted and injected entries go back to a model.
enum class EntryState : std::uint8_t { kComplete, kAborted, kError, kInjected };
std::string_view entry_state_name(EntryState s);   // "complete" | "aborted" | "error" | "injected"
EntryState parse_entry_state(std::string_view s);  // unknown -> kError (kept out of context)

// A run's life: queued behind the session's active run, running, then one terminal state.
enum class RunStatus : std::uint8_t { kQueued, kRunning, kFinal, kAborted, kError };
std::string_view run_status_name(RunStatus s);   // "queued" | "running" | "final" | ...
RunStatus parse_run_status(std::string_view s);  // unknown -> kError
inline bool is_terminal(RunStatus s) {
  return s == RunStatus::kFinal || s == RunStatus::kAborted || s == RunStatus::kError;
}

enum class SessionStatus : std::uint8_t { kIdle, kRunning };
std::string_view session_status_name(SessionStatus s);   // "idle" | "running"
SessionStatus parse_session_status(std::string_view s);  // unknown -> kIdle

struct SessionRow {
  std::string key, session_id, agent_id, kind, channel;
  std::string label, model_override, last_preview;
  SessionStatus status = SessionStatus::kIdle;
  bool pinned = false, archived = false;
  std::int64_t archived_at = 0;  // when it was archived (0 = not archived)
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::int64_t created_at = 0, updated_at = 0;
  std::string first_user_text;  // of the current transcript, first 400 characters (read only)
};

struct Entry {
  std::int64_t seq = 0;  // row id: global order of appends
  std::string message_id, session_id, run_id;
  Role role = Role::kUser;
  std::string text;
  EntryState state = EntryState::kComplete;
  std::string stop_reason, model, label;
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::int64_t created_at = 0;
  Json tool_calls;                      // assistant: [{id, name, arguments (JSON text)}] or null
  std::string tool_call_id, tool_name;  // tool: the call it answers
  bool is_error = false;                // tool: the result is an error
  std::vector<ImageRef> images;         // user: attached images (files in the MediaStore)
};

struct RunRow {
  std::string run_id, session_key, session_id;
  RunStatus status = RunStatus::kQueued;
  std::string error;
  std::int64_t created_at = 0, ended_at = 0;
};

// A run accepted before a restart that never started (SessionStore::queued_runs).
struct QueuedRun {
  std::string run_id, session_key, session_id;
  std::int64_t user_seq = 0;  // its user message
  std::string user_message_id;
};

// What SessionStore::reap_instance found of a dead instance's runs.
struct ReapedInstance {
  int interrupted = 0;             // running: recorded interrupted
  std::vector<QueuedRun> adopted;  // queued: now this instance's, to run (oldest first)
};

struct BeginRun {
  SessionKey key;
  std::string run_id, message_id, text;
  std::int64_t now = 0;
  // Attached images, stored (MediaStore::put) in the same job, before the entry that
  // refers to them; shared so the caller's copies of a BeginRun do not copy the bytes.
  std::shared_ptr<const std::vector<NewImage>> images;
  // A run a platform message started: where its reply goes (sessions/outbox_store.h).
  std::string reply_route;
  // It starts at once (the session is idle): stored as 'running', saving a write at its
  // start (SessionStore::mark_running does it for a run that waited).
  bool starts_now = false;
};
struct BeginRunResult {
  SessionRow session;
  Entry user;                      // the committed user message
  std::optional<RunRow> existing;  // set: run_id was already known (nothing was written)
};

struct FinishRun {
  std::string run_id, session_key;
  RunStatus status = RunStatus::kFinal;  // terminal: final | aborted | error
  std::string error;                     // for error
  std::optional<Entry> reply;            // assistant message to append (text may be partial)
  std::int64_t input_tokens = 0, output_tokens = 0;
  std::int64_t now = 0;
  // collect/steer: this run's user message (`user_message_id`) was answered by run
  // `joined_run`; its entry moves to that run so later contexts show it answered there.
  std::string joined_run, user_message_id;
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

}  // namespace simpleclaw::sessions
