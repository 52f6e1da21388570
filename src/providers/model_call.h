// ModelCall: one streamed LLM answer with the retry and failover policy (SPEC §7).
//
// Candidates are tried in order (the agent's model, then its fallbacks). Each gets up to
// retry.attempts tries on retryable failures (429, 408, 5xx, 529, connection errors,
// timeouts, a stream that broke before any text) with exponential backoff and jitter;
// a Retry-After longer than retry.max_ms moves on to the next candidate instead of
// stalling the run. Once text has reached the caller a failure is final (retrying would
// repeat text the user already saw). There is no shared cooldown: one session's
// failures never block another session's calls.
//
// Bounded: a reply whose text plus tool-call arguments exceed models.max_response_bytes
// ends the attempt with an error (not retried: the same request would likely run away
// again; another candidate is tried only if no text was shown). The HTTP client leaves
// bounding the body to its caller; the decoders bound a line, a tool call and the number
// of tool calls, and this bounds what accumulates. A stream that trickles bytes without
// ever going idle ends at models.request_timeout_ms.
//
// A candidate served by a provider plugin (ResolvedModel::plugin) is asked through
// PluginModels instead of HTTP, under the same policy: the plugin not running, crashing
// or timing out is retryable like a connection error; its JSON-RPC error is not.
//
// Threading: loop thread. The call keeps itself alive until on_done, which runs exactly
// once (also after cancel(), with cancelled = true); nothing runs after it.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "providers/catalog.h"
#include "providers/provider.h"

namespace simpleclaw::providers {

struct CallResult {
  bool ok = false;
  bool cancelled = false;
  std::string model_ref;    // the candidate that answered (or failed last)
  std::string stop_reason;  // ok: "stop", "length", "end_turn", ...
  ErrorKind kind = ErrorKind::kUnknown;
  std::string error;  // !ok: clear message for the user
  Usage usage;
  std::vector<ToolCall> tool_calls;  // ok: the tools the model called, in order
  int attempts = 0;                  // HTTP requests made in total
};

struct CallCallbacks {
  // Builds the request for a candidate (context trimmed to its window). Required.
  std::function<ChatRequest(const ResolvedModel&)> build;
  std::function<void(std::string_view)> on_text;   // reply text, in order
  std::function<void(const CallResult&)> on_done;  // exactly once
  // Optional: a retry or failover is about to happen (for logs and `agent` events).
  std::function<void(const std::string& what)> on_retry;
};

class ModelCall : public std::enable_shared_from_this<ModelCall> {
 public:
  // `pool`: keep-alive connections to reuse (the catalog's); nullptr = none.
  static std::shared_ptr<ModelCall> start(boost::asio::io_context& io,
                                          std::vector<ResolvedModel> candidates,
                                          const config::ModelsConfig& cfg, CallCallbacks cb,
                                          std::shared_ptr<ConnectionPool> pool = nullptr);
  void cancel();
  ~ModelCall();

 private:
  ModelCall(boost::asio::io_context& io, std::vector<ResolvedModel> c,
            const config::ModelsConfig& cfg, CallCallbacks cb,
            std::shared_ptr<ConnectionPool> pool);
  void attempt();
  void attempt_plugin(const ResolvedModel& m, const ChatRequest& req);
  void on_plugin_event(StreamEvent& ev);
  // Text, usage and tool calls, alike from HTTP decoders and plugins; false for kDone and
  // kError, which each transport ends in its own way. A text or tool call over the
  // response cap fails the attempt instead (true: handled; the attempt is then over).
  bool take_event(StreamEvent& ev);
  // Counts `bytes` more of the reply against max_response_bytes; false (and the attempt
  // failed) when they do not fit.
  bool within_cap(std::size_t bytes);
  // A new attempt: returns a getter of this call that yields nullptr once the attempt is
  // over (given up, cancelled, finished), so late callbacks are ignored.
  std::function<std::shared_ptr<ModelCall>()> begin_attempt();
  void on_http_done(const HttpError* err);
  void fail_attempt(ErrorKind kind, std::string message, bool retryable,
                    std::optional<std::int64_t> retry_after_ms);
  void finish(CallResult r);

  boost::asio::io_context& io_;
  std::vector<ResolvedModel> candidates_;
  config::RetryConfig retry_;
  std::size_t max_response_bytes_;
  HttpOptions http_opts_;
  CallCallbacks cb_;
  std::size_t index_ = 0;  // current candidate
  int tries_ = 0;          // tries of the current candidate
  int total_attempts_ = 0;
  std::uint64_t attempt_id_ = 0;
  bool text_sent_ = false;
  bool done_ = false;
  bool cancelled_ = false;
  // Per attempt:
  std::shared_ptr<HttpCall> http_;
  std::shared_ptr<PluginChat> plugin_;  // instead of http_ for a plugin candidate
  PluginTimeouts plugin_timeouts_;
  std::unique_ptr<StreamDecoder> decoder_;
  HttpHead head_;
  std::string error_body_;
  bool stream_finished_ = false;    // decoder emitted kDone / kError
  std::size_t response_bytes_ = 0;  // reply text + tool-call bytes of this attempt
  CallResult result_;
  boost::asio::steady_timer backoff_;
};

}  // namespace simpleclaw::providers
