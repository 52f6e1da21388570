// What a run tells the outside world, as typed values: the run engine (run_engine.h) and
// the session service report these to a RunSink; the gateway turns them into `chat` and
// `agent` frames (gateway/run_frames.cpp) and the channel manager reads a reply's text
// from RunFinished. No protocol JSON is built in agents/.
//
// Every event names its run (run_id = the chat.send idempotencyKey) and session key.
// chat_seq / agent_seq are the per-run counters the protocol's `chat` and `agent` events
// carry (each from 0, in emission order).
//
// Threading: events are delivered on the loop thread, synchronously, in order.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sessions/types.h"
#include "simpleclaw/provider.h"

namespace simpleclaw::agents {

// The longest message text a run or an injection accepts (chat.send, chat.inject).
inline constexpr std::size_t kMaxMessageBytes = 1 << 20;

// A run left the queue and starts (agent lifecycle "start").
struct RunStarted {
  std::string run_id, session_key;
  std::uint64_t agent_seq = 0;
  std::int64_t started_at = 0;
  std::int64_t ts = 0;
};

// More reply text (chat "delta" + agent "assistant"). `delta` was appended to `text`.
struct RunDelta {
  std::string run_id, session_key;
  std::uint64_t chat_seq = 0, agent_seq = 0;
  std::string_view delta;
  const std::string& text;  // the reply so far (this model call's)
  std::int64_t started_at = 0;
  std::int64_t ts = 0;
};

// A retry or failover is about to happen (agent lifecycle "retry"; droppable).
struct RunRetry {
  std::string run_id, session_key;
  std::uint64_t agent_seq = 0;
  std::string message;
  std::int64_t ts = 0;
};

// A tool call starts or has its result (agent stream "tool").
struct ToolEvent {
  enum class Phase : std::uint8_t { kStart, kResult };
  std::string run_id, session_key;
  std::uint64_t agent_seq = 0;
  Phase phase = Phase::kStart;
  std::string name, tool_call_id;
  std::string arguments;  // kStart: the JSON text the model sent (maybe not valid JSON)
  std::string result;     // kResult
  bool is_error = false;  // kResult
  std::int64_t ts = 0;
};

// A run ended, its outcome durable (chat "final" | "aborted" | "error", and for a run that
// started, agent lifecycle "end" | "error"). In collect mode one run answers several
// messages: `absorbed` lists the other run ids that get the same outcome.
struct RunFinished {
  std::string run_id, session_key;
  sessions::RunStatus status = sessions::RunStatus::kFinal;  // terminal
  std::uint64_t chat_seq = 0, agent_seq = 0;
  bool started = true;  // false: a queued run ended before it started, or an injection
  std::optional<sessions::Entry> reply;  // the committed reply (absent: nothing committed)
  std::string text;                      // the reply's text, also when not committed
  std::string error;                     // kError: what went wrong, for the user
  sdk::ErrorKind error_kind = sdk::ErrorKind::kUnknown;
  std::int64_t started_at = 0, ended_at = 0;
  std::vector<std::string> absorbed;
};

// A session's row or transcript changed (sessions.changed).
struct SessionChange {
  std::string session_key;
  const char* reason = "";  // message | run | tool | inject | reset | deleted | patch
  std::optional<sessions::SessionRow> row;  // the new row, when the change produced one
  std::vector<std::string> active_run_ids;  // the session's runs now (active first)
  std::int64_t ts = 0;
  std::vector<sessions::Entry> appended;  // transcript entries the change committed
};

class RunSink {
 public:
  virtual ~RunSink() = default;
  virtual void run_started(const RunStarted& e) = 0;
  virtual void run_delta(const RunDelta& e) = 0;
  virtual void run_retry(const RunRetry& e) = 0;
  virtual void tool_event(const ToolEvent& e) = 0;
  virtual void run_finished(const RunFinished& e) = 0;
  virtual void session_changed(const SessionChange& e) = 0;
};

}  // namespace simpleclaw::agents
