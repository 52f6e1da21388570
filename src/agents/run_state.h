// The state of one run, shared by the files of the RunEngine (run_engine.cpp: queueing,
// the model, finishing; run_tools.cpp: the tool loop). Private to agents/run_*.cpp: no
// other file includes it.
#pragma once
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agents/run_engine.h"
#include "providers/model_call.h"
#include "sessions/types.h"
#include "simpleclaw/tool.h"

namespace simpleclaw::agents {

// What a run's first model call needs from the database: every entry up to its user
// message and the session's model override.
struct ContextPart {
  std::vector<sessions::Entry> entries;
  std::string model_override;
};

// The two halves a run loads before its first model call: the transcript (DbWorker) and
// the system prompt (BlockingPool, the workspace files). They load in parallel; the run
// begins when both are in. For a message to an idle session the transcript half comes
// with the user message's own commit (one hop to the database, not two).
struct RunEngine::Loaded {
  std::optional<Result<ContextPart>> context;
  std::optional<std::string> system;
  bool complete() const { return context && system; }
};

struct RunEngine::Run {
  std::string run_id, key, agent_id, session_id;
  QueueMode mode = QueueMode::kFollowup;
  std::int64_t user_seq = 0;
  std::string user_message_id;
  std::vector<std::string> absorbed;           // collect/steer: queued runIds this run answers
  std::vector<std::string> absorbed_messages;  // and their user messages' ids
  sessions::Entry steer_message;  // steer mode: the committed user message, to join a run
  std::optional<int> timeout_ms;
  std::string extra_system;  // SendParams::extra_system
  std::int64_t started_ms = 0;
  std::string text;  // the reply so far (this model call's)
  std::uint64_t chat_seq = 0, agent_seq = 0;
  std::shared_ptr<providers::ModelCall> call;
  std::unique_ptr<boost::asio::steady_timer> timer;
  bool finishing = false;  // terminal status chosen; waiting for the commit
  // Set by abort while nothing can be cancelled (loading, committing a round): the step
  // that completes next finishes the run with it.
  std::optional<std::pair<sessions::RunStatus, std::string>> pending_abort;
  sdk::ErrorKind pending_kind = sdk::ErrorKind::kUnknown;
  // What is being loaded for the first model call (shared with the jobs filling it).
  std::shared_ptr<Loaded> loading;
  // The model calls (first and after each tool round) share these:
  std::shared_ptr<std::vector<sessions::Entry>> entries;  // context, plus committed rounds
  std::shared_ptr<std::string> system;
  std::vector<providers::ResolvedModel> candidates;
  int steps = 0;          // model calls made
  sdk::Usage usage;       // summed over the steps
  std::string model_ref;  // the model that answered last
  // The tool round in progress:
  std::string round_text;
  std::vector<sdk::ToolCall> round_calls;
  std::vector<sdk::ToolOutcome> round_results;
  std::shared_ptr<sdk::ToolTask> tool_task;
};

// The completion helpers every run_*.cpp uses (templates, so here).

template <typename Fn>
auto RunEngine::resume(const Run& run, Fn fn) {
  return alive_.guard(
      [this, key = run.key, run_id = run.run_id, fn = std::move(fn)](auto&&... args) mutable {
        if (Run* r = active_run(key, run_id)) fn(*r, std::forward<decltype(args)>(args)...);
      });
}

template <typename Work, typename Done>
void RunEngine::db_job(Work work, Done done) {
  ++jobs_;
  db_.post(std::move(work), alive_.guard([this, done = std::move(done)](auto result) mutable {
    done(std::move(result));
    job_done();
  }));
}

}  // namespace simpleclaw::agents
