// ChatService: sessions and runs (SPEC §5 Chat/Sessions, §7). It takes chat.send,
// commits the user message, acknowledges, queues the run behind the session's active
// one, streams the model's answer as `chat`/`agent` events, commits the reply and only
// then sends `final`.
//
// Life of a run: send() -> DbWorker begin_run (user message + run row, group-committed)
// -> ack {runId, status:"started"} -> the session's queue -> start: DbWorker loads the
// transcript + system prompt -> build_context() -> providers::ModelCall (retries,
// failover) -> deltas -> [tool calls: each run by the ToolRunner (`agent` tool events),
// the round committed as one DbWorker job, the model called again; at most
// tools.max_steps model calls] -> DbWorker finish_run (reply committed) ->
// `final`/`aborted`/`error` -> the next queued run. One active run per session key; sessions run in
// parallel with each other.
//
// Queue modes while a run is active: followup (each queued message gets its own run,
// in order), collect (all queued messages are answered by one run; every runId gets the
// same final message), interrupt (the active run is aborted, the new message runs next).
//
// Idempotency: runId = idempotencyKey. A duplicate while the run is queued/running
// answers {status:"in_flight"}; after it ended, the cached terminal result (5 min / 1000
// keys in memory, and the runs table after a restart).
//
// Threading: loop thread only. Owns the in-memory session/run state; the database is
// reached only through the DbWorker; events leave through ChatSink.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "providers/catalog.h"
#include "providers/model_call.h"
#include "sessions/db_worker.h"
#include "sessions/keys.h"
#include "tools/tool_runner.h"

namespace simpleclaw::agents {

// Where events go (the gateway). Loop thread.
class ChatSink {
 public:
  virtual ~ChatSink() = default;
  // `chat` event. delta = droppable, and a newer delta of the same run may replace an
  // older one still queued on a slow socket (the cumulative `message` makes that safe).
  virtual void chat_event(const std::string& run_id, Json payload, bool delta) = 0;
  virtual void agent_event(const std::string& run_id, Json payload, bool droppable) = 0;
  // `sessions.changed` for subscribed sockets: {sessionKey, reason, session?}.
  virtual void sessions_changed(Json payload) = 0;
};

struct SendParams {
  std::string session_key;  // as the client sent it
  std::string message;
  std::string idempotency_key;  // = runId
  std::string agent_id;         // optional: the agent for a bare key
  std::string queue_mode;       // optional override of sessions.queue_mode
  std::optional<int> timeout_ms;
};

using Reply = std::function<void(Result<Json>)>;

class ChatService {
 public:
  ChatService(boost::asio::io_context& io, sessions::DbWorker& db, providers::Catalog& catalog,
              ChatSink& sink, std::string state_dir);
  ~ChatService();
  void set_config(const config::Config& cfg);
  // The tools runs may call (nullptr = none: the model is offered no tools). Not owned.
  void set_tools(tools::ToolRunner* tools) { tools_ = tools; }

  // chat.send / sessions.send
  void send(SendParams p, Reply reply);
  // chat.abort: the active run (and with no runId also the queued ones) of a session.
  Result<Json> abort(const std::string& raw_key, const std::string& run_id);
  void history(const std::string& raw_key, int limit, int offset, Reply reply);
  void inject(const std::string& raw_key, const std::string& message, const std::string& label,
              Reply reply);

  void list_sessions(sessions::ListFilter f, Reply reply);
  void get_session(const std::string& raw_key, int limit, Reply reply);
  void reset_session(const std::string& raw_key, Reply reply);
  void delete_session(const std::string& raw_key, Reply reply);
  void patch_session(const std::string& raw_key, sessions::SessionPatch patch, Reply reply);

  // Aborts every run (partial replies are committed as aborted) and calls `done` once
  // their transcripts are written.
  void shutdown(std::function<void()> done);

  Result<sessions::SessionKey> parse_key(const std::string& raw,
                                         const std::string& agent_override = {}) const;
  std::string workspace_of(const std::string& agent_id) const;
  // Where an agent's system prompt comes from (read on the DB worker).
  struct PromptSource {
    std::string workspace, agent_name;
  };
  PromptSource prompt_source(const std::string& agent_id) const;
  std::size_t active_runs() const;
  std::size_t queued_runs() const;
  // Maintenance: drops idempotency results past sessions.dedupe_ttl_ms (otherwise only
  // pruned on the next chat.send); returns how many keys remain.
  std::size_t expire_dedupe();
  std::size_t dedupe_size() const { return dedupe_.size(); }       // for /metrics
  std::vector<std::string> run_ids(const std::string& key) const;  // active first

 private:
  struct Run;
  struct SessionRt {
    std::unique_ptr<Run> active;
    std::deque<std::unique_ptr<Run>> queue;
  };
  struct Dedupe {
    bool in_flight = true;
    Json result;  // terminal chat.send answer when !in_flight
    std::int64_t expires_ms = 0;
    std::string owner;  // shared mode: the user whose session the run is in
  };

  // The session's active run if it is still `run_id` (completions arriving late check).
  Run* active_run(const std::string& key, const std::string& run_id);
  void enqueue(std::unique_ptr<Run> run, const std::string& mode);
  // Starts the session's next queued run. prefetch_fresh: it was queued just now behind
  // nothing, so what send() loaded with its user message is current.
  void start_next(const std::string& key, bool prefetch_fresh = false);
  void begin_model_call(Run& run, std::vector<sessions::Entry> entries, std::string system,
                        std::string model_override);
  // One model call of the run (the first, or the next after a tool round).
  void call_model(Run& run);
  // The tool loop: run each call of the round in order, then commit the round (the
  // assistant's calls and every result together) and call the model again.
  void start_tools(Run& run, const providers::CallResult& res);
  void run_next_tool(Run& run);
  void commit_round(Run& run);
  void on_text(Run& run, std::string_view text);
  // Ends the active run of `key`: commits the reply, emits the terminal events, starts
  // the next queued run.
  void finish(const std::string& key, const std::string& status, const std::string& error,
              providers::ErrorKind kind, const providers::CallResult* result);
  void finish_queued(std::unique_ptr<Run> run, const std::string& why);
  Json chat_payload(Run& run, const char* state);
  Json agent_payload(Run& run, const char* stream, Json data);
  void remember(const std::string& run_id, Json terminal);
  void dedupe_in_flight(const std::string& run_id, std::string_view owner);
  void forget(const std::string& run_id);
  const Dedupe* dedupe_find(const std::string& run_id);
  Json session_json(const sessions::SessionRow& row) const;
  void changed(const std::string& key, const char* reason, const sessions::SessionRow* row);
  void abort_run(Run& run, const std::string& status, const std::string& error,
                 providers::ErrorKind kind);
  void pending_done();

  boost::asio::io_context& io_;
  sessions::DbWorker& db_;
  providers::Catalog& catalog_;
  ChatSink& sink_;
  tools::ToolRunner* tools_ = nullptr;
  std::string state_dir_;
  config::Config cfg_;
  std::unordered_map<std::string, SessionRt> sessions_;
  std::unordered_map<std::string, Dedupe> dedupe_;
  std::deque<std::pair<std::string, std::int64_t>> dedupe_order_;  // (runId, expires)
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);          // completions check it
  int pending_ = 0;  // database jobs whose completion still touches runs
  bool shutting_down_ = false;
  std::function<void()> on_shutdown_;

 public:
  friend struct RunAccess;
};

Json session_row_json(const sessions::SessionRow& row, const std::vector<std::string>& run_ids);

}  // namespace simpleclaw::agents
