// RunEngine: chat runs (SPEC §5 Chat, §7). It takes chat.send, commits the user message,
// acknowledges, queues the run behind the session's active one, streams the model's
// answer to the RunSink, commits the reply and only then reports the run finished.
//
// Life of a run: send() -> DbWorker begin_run (user message + run row, group-committed;
// for an idle session the transcript is read in the same job) -> ack {started} -> the
// session's queue -> start: the transcript (DbWorker) and the system prompt (BlockingPool,
// the workspace files) -> build_context() -> providers::ModelCall (retries, failover) ->
// deltas -> [tool calls: each run by the ToolRunner, the round committed as one DbWorker
// job, the model called again; at most tools.max_steps model calls] -> DbWorker
// finish_run (reply committed) -> RunFinished -> the next queued run. One active run per
// session key; sessions run in parallel with each other.
//
// Queue modes while a run is active: followup (each queued message gets its own run, in
// order), collect (all queued messages are answered by one run; every runId gets the same
// outcome), interrupt (the active run is aborted, the new message runs next), steer
// (OpenClaw's default: the message joins the run in flight at its next model call, i.e.
// after the tool round it is in; every runId gets that run's outcome. A run that makes no
// further model call leaves it queued, and it starts the next run like collect).
//
// Idempotency: runId = idempotencyKey. A duplicate while the run is queued/running
// answers kInFlight; after it ended, its cached outcome (sessions.dedupe_ttl_ms /
// sessions.dedupe_max in memory, and the runs table after a restart). In shared mode
// another user's key is refused, never answered with their run.
//
// Liveness (docs/architecture.md, "Liveness"): every completion is guarded by Alive and
// re-finds its run by (key, run id), so a run that ended meanwhile is never touched; the
// database jobs a run waits on are counted, so shutdown() knows when transcripts are
// written.
//
// Threading: loop thread only. Owns the in-memory session/run state; the database is
// reached only through the DbWorker, files only through the BlockingPool.
#pragma once
#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "agents/agent_directory.h"
#include "agents/idempotency.h"
#include "agents/run_events.h"
#include "base/alive.h"
#include "base/blocking_pool.h"
#include "base/clock.h"
#include "providers/catalog.h"
#include "providers/model_call.h"
#include "sessions/db_worker.h"
#include "simpleclaw/result.h"

namespace simpleclaw::tools {
class ToolRunner;
}

namespace simpleclaw::agents {

enum class QueueMode : std::uint8_t { kFollowup, kCollect, kInterrupt, kSteer };
std::optional<QueueMode> parse_queue_mode(std::string_view s);  // "followup" | ...
std::string_view queue_mode_name(QueueMode m);

struct SendParams {
  std::string session_key;  // as the client sent it
  std::string message;
  std::string idempotency_key;          // = runId
  std::string agent_id;                 // optional: the agent for a bare key
  std::optional<QueueMode> queue_mode;  // unset = sessions.queue_mode
  std::optional<int> timeout_ms;
  // Attached images, already decoded and sniffed (gateway/attachments.h); null = none.
  // With images the message may be empty.
  std::shared_ptr<const std::vector<sessions::NewImage>> images;
  // Appended to the agent's system prompt for this run only, never stored (the HTTP API's
  // system messages and the earlier turns a client sends along); bounded by the caller.
  std::string extra_system;
  // A platform message: where the reply goes, stored with the run (channels/outbox.h).
  std::string reply_route;
  // Cluster mode: sent here by the instance the client is connected to (never forwarded
  // again: a lane that moved meanwhile is an error to retry, not a ping-pong).
  bool forwarded = false;
};

// chat.send's answer.
struct SendAck {
  enum class Kind : std::uint8_t {
    kStarted,   // committed and queued now
    kInFlight,  // a duplicate of a run still queued or running
    kDone,      // a duplicate of a run that ended: `outcome`
  };
  Kind kind = Kind::kStarted;
  std::string run_id;
  RunOutcome outcome;
};

struct AbortResult {
  std::vector<std::string> run_ids;  // the runs stopped (queued first, then the active one)
};

class RunEngine {
 public:
  RunEngine(boost::asio::io_context& io, sessions::DbWorker& db, BlockingPool& files,
            providers::Catalog& catalog, const AgentDirectory& agents, RunSink& sink,
            const Clock& clock = system_clock());
  ~RunEngine();
  // The gateway's live config (replaced in place on a reload); it outlives this.
  void configure(const config::Config& cfg) { cfg_ = &cfg; }
  // The tools runs may call (nullptr = none: the model is offered no tools). Not owned.
  void set_tools(tools::ToolRunner* tools) { tools_ = tools; }

  // chat.send / sessions.send. `done` runs once: the ack after the commit, or an error.
  void send(SendParams p, std::function<void(Result<SendAck>)> done);
  // Cluster mode (gateway/cluster/lane_forwarder.h): a send for a session whose lane
  // another live instance holds goes there, and its answer is this send's answer. Set, a
  // duplicate of a run still going elsewhere is in flight (not an interrupted leftover).
  using Forward = std::function<void(SendParams p, const std::string& instance,
                                     std::function<void(Result<SendAck>)> done)>;
  void set_forwarder(Forward f) { forward_ = std::move(f); }
  // chat.abort: the active run (and with no runId also the queued ones) of a session.
  AbortResult abort(const std::string& key, const std::string& run_id);
  // Graceful stop: no new runs from here on (send() answers UNAVAILABLE with a retry
  // hint); queued runs stay queued in the store and run after the restart; runs in flight
  // may finish for up to `grace`, then are ended as interrupted (error "interrupted: ...",
  // partial replies committed). `done` once every transcript is written.
  // `at_deadline` runs just before runs are interrupted (the gateway withdraws pending
  // approvals there, so they stay pending across the restart).
  void shutdown(std::chrono::milliseconds grace, std::function<void()> at_deadline,
                std::function<void()> done);
  // At start: the runs a restart left queued (SessionStore::queued_runs), in order.
  void restart_queued(std::vector<sessions::QueuedRun> runs);

  std::size_t active_runs() const;
  std::size_t queued_runs() const;
  // Sessions with a run active or queued: the per-session state kept in memory.
  std::size_t busy_sessions() const { return sessions_.size(); }
  std::vector<std::string> run_ids(const std::string& key) const;  // active first
  // Tells the sink that session `key` changed (sessions.changed), with its runs now. The
  // session service reports its edits through this too.
  void changed(const std::string& key, const char* reason,
               std::optional<sessions::SessionRow> row = std::nullopt,
               std::vector<sessions::Entry> appended = {});
  // Maintenance: drops idempotency results past sessions.dedupe_ttl_ms (otherwise only
  // pruned on the next send); returns how many remain.
  std::size_t expire_dedupe() { return dedupe_.expire(dedupe_max()); }
  std::size_t dedupe_size() const { return dedupe_.size(); }

 private:
  struct Run;
  struct SessionRt {
    std::unique_ptr<Run> active;
    std::deque<std::unique_ptr<Run>> queue;
  };
  struct Loaded;

  // The session's active run if it is still `run_id`.
  Run* active_run(const std::string& key, const std::string& run_id);
  // `fn(run, args...)` for a completion: runs only while the engine lives and `run` is
  // still its session's active run.
  template <typename Fn>
  auto resume(const Run& run, Fn fn);
  // A database job whose completion the shutdown must wait for.
  template <typename Work, typename Done>
  void db_job(Work work, Done done);
  void job_done();

  void accepted(const sessions::BeginRun& b, const SendParams& p, QueueMode mode,
                Result<sessions::BeginRunResult> begun, std::shared_ptr<Loaded> prefetch,
                const std::function<void(Result<SendAck>)>& done);
  void enqueue(std::unique_ptr<Run> run);
  // Starts the session's next queued run. prefetch_fresh: it was queued just now behind
  // nothing, so what send() loaded with its user message is current.
  void start_next(const std::string& key, bool prefetch_fresh = false);
  // Both halves of `l` are in: the run's first model call may start.
  void maybe_loaded(const std::string& key, const std::string& run_id, std::shared_ptr<Loaded> l);
  void loaded(Run& run, Loaded l);
  // Steer: the queued steer messages at the head of the queue join `run` (their user
  // messages enter its context after what it has seen so far).
  void absorb_steering(Run& run);
  void call_model(Run& run);
  void start_tools(Run& run, const providers::CallResult& res);
  void run_next_tool(Run& run);
  void commit_round(Run& run);
  ToolEvent tool_event(Run& run, ToolEvent::Phase phase, const sdk::ToolCall& call);
  void on_text(Run& run, std::string_view text);
  void abort_run(Run& run, sessions::RunStatus status, const std::string& error,
                 sdk::ErrorKind kind);
  // Ends the active run of `key`: commits the reply, reports it, starts the next.
  void finish(const std::string& key, sessions::RunStatus status, const std::string& error,
              sdk::ErrorKind kind, const providers::CallResult* result);
  void finished(const std::string& key, const std::string& run_id, sessions::RunStatus status,
                std::string error, sdk::ErrorKind kind,
                Result<std::optional<sessions::Entry>> committed);
  void finish_queued(std::unique_ptr<Run> run, const std::string& why);

  // Idempotency (sessions.dedupe_ttl_ms / dedupe_max of the live config).
  std::size_t dedupe_max() const;
  void remember(RunOutcome outcome);

  boost::asio::io_context& io_;
  sessions::DbWorker& db_;
  BlockingPool& files_;
  providers::Catalog& catalog_;
  const AgentDirectory& agents_;
  RunSink& sink_;
  const Clock& clock_;
  const config::Config* cfg_ = nullptr;  // the gateway's live config; outlives this
  tools::ToolRunner* tools_ = nullptr;
  std::unordered_map<std::string, SessionRt> sessions_;
  IdempotencyCache dedupe_{clock_};
  int jobs_ = 0;  // database jobs whose completion still touches runs
  bool shutting_down_ = false;
  std::unique_ptr<boost::asio::steady_timer> grace_timer_;  // shutdown(): the deadline
  std::function<void()> on_shutdown_;
  Forward forward_;  // cluster mode
  Alive alive_;      // last: completions arriving after destruction are dropped
};

}  // namespace simpleclaw::agents
