// The three LLM wire formats (SPEC §7): how a chat request becomes an HTTP request and
// how a streamed response body becomes text deltas, usage and a stop reason.
//
//   openai     POST <base>/chat/completions, SSE "data: {chunk}" ... "data: [DONE]"
//   anthropic  POST <base>/v1/messages, SSE message_start / content_block_delta /
//              message_delta / message_stop / error events
//   ollama     POST <base>/api/chat, NDJSON {"message":{"content":...},"done":false} ...
//
// Pure code: no I/O, no globals; any thread. The only clock read is classify_http_error's
// system_clock::now() for a Retry-After HTTP date (an overload takes `now` instead). The
// network lives in http_client.h and the retry/failover policy in the provider runner.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "config/config.h"
#include "providers/http_client.h"

namespace simpleclaw::providers {

enum class Api { kOpenAI, kAnthropic, kOllama };
std::optional<Api> parse_api(std::string_view name);  // "openai" | "anthropic" | "ollama"
std::string_view api_name(Api api);

// A tool call the model made. `arguments` is the JSON text as the model streamed it:
// it may be invalid (the caller answers that with a tool error, and stores "{}").
struct ToolCall {
  std::string id;  // the provider's id (ollama sends none: "call_<n>" is made up)
  std::string name;
  std::string arguments;  // JSON object text
};

// What the model is asked. Roles: "user" | "assistant" | "tool" (the system prompt is
// separate). An assistant message may carry tool calls; each is answered by one "tool"
// message with its tool_call_id, right after it (anthropic: merged into one user message
// of tool_result blocks).
struct Message {
  std::string role;
  std::string text;
  std::vector<ToolCall> tool_calls;  // assistant
  std::string tool_call_id;          // tool: the call it answers
  std::string tool_name;             // tool: the tool's name (ollama wants it)
  bool is_error = false;             // tool: the result is an error
};

// A tool the model may call: name, description and a JSON Schema of its arguments.
struct ToolSpec {
  std::string name;
  std::string description;
  nlohmann::json parameters;  // JSON Schema object
};

struct ChatRequest {
  std::string model;   // the provider's model id (no "provider/" prefix)
  std::string system;  // may be empty (then no system message/field is sent)
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;  // empty = no tools field
  int max_tokens = 4096;
};

// The HTTP request for one streaming chat call: URL from base_url (default per api),
// auth header (openai: "Authorization: Bearer <key>" when the key is set; anthropic:
// "x-api-key" + "anthropic-version: 2023-06-01"; ollama: Bearer when set), the
// provider's extra headers, Content-Type/Accept, and a JSON body with streaming on
// (openai also asks for usage: stream_options.include_usage).
HttpRequest build_chat_request(Api api, const config::ProviderConfig& provider,
                               const ChatRequest& req);
// A cheap availability probe: GET <base>/models (openai), <base>/v1/models (anthropic),
// <base>/api/tags (ollama), with the same auth headers.
HttpRequest build_probe_request(Api api, const config::ProviderConfig& provider);

inline constexpr std::size_t kMaxToolCalls = 64;  // per model reply

enum class ErrorKind { kRefusal, kTimeout, kRateLimit, kContextLength, kUnknown };
std::string_view error_kind_name(ErrorKind kind);  // "refusal", "timeout", "rate_limit", ...

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

struct StreamEvent {
  enum Type {
    kText,      // `text` is appended to the reply
    kUsage,     // token counts so far (later events supersede earlier ones)
    kToolCall,  // a complete tool call (`tool_call`), in the order the model made them
    kDone,      // the stream finished; `stop_reason` set ("stop", "tool_calls", "tool_use", ...)
    kError,     // the provider reported an error in-stream, or the stream was malformed
  };
  Type type = kText;
  std::string text;
  ToolCall tool_call;
  Usage usage;
  std::string stop_reason;
  ErrorKind error_kind = ErrorKind::kUnknown;
  std::string error_message;  // clear, for the user: names the provider's message
};

// Incremental decoder of one response body. feed() accepts any split of the bytes
// (a line or a UTF-8 sequence may be cut anywhere). After a kDone or kError nothing
// more is emitted. Bounded: a single line/event over 1 MiB is a kError, and so are more
// than kMaxToolCalls tool calls or tool arguments over 1 MiB. Tool calls are emitted
// once complete (openai: when the stream finishes; anthropic: at content_block_stop;
// ollama: as they arrive), always before kDone.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  virtual void feed(std::string_view bytes, std::vector<StreamEvent>& out) = 0;
  // End of body. A stream that ended before its terminal marker yields kError
  // "stream ended before the reply was complete" (unless kDone/kError came already).
  virtual void finish(std::vector<StreamEvent>& out) = 0;
};
std::unique_ptr<StreamDecoder> make_decoder(Api api);

// A non-2xx response, classified. `body` is what was read of the error body (may be
// cut). 429 -> rate_limit (retryable); 408/504 -> timeout (retryable); 5xx (and
// anthropic 529 overloaded) -> unknown (retryable); 400 with a context-length message
// ("context_length_exceeded", "maximum context length", "prompt is too long", ...) ->
// context_length; 400 content-filter/safety -> refusal; 401/403 -> unknown, not
// retryable, message says to check the api key; other 4xx -> unknown, not retryable.
// retry_after_ms from a Retry-After header (seconds or HTTP date) or the anthropic
// "retry-after"/"retry-after-ms" headers; nullopt when absent.
struct HttpFailure {
  ErrorKind kind = ErrorKind::kUnknown;
  bool retryable = false;
  std::optional<std::int64_t> retry_after_ms;
  std::string message;  // "openai: 429 Too Many Requests: <provider message>"
};
HttpFailure classify_http_error(Api api, const HttpHead& head, std::string_view body);
// The same with the current time given (a Retry-After HTTP date is relative to `now`).
HttpFailure classify_http_error(Api api, const HttpHead& head, std::string_view body,
                                std::chrono::system_clock::time_point now);

// Server-Sent Events parser (WHATWG rules: "data:" lines joined with \n, "event:",
// comments ":" ignored, CR/LF/CRLF line ends, blank line dispatches). Exposed for tests
// and fuzzing. Returns false when a line or an event exceeds max_bytes.
struct SseEvent {
  std::string event;  // "" = "message"
  std::string data;
};
class SseParser {
 public:
  explicit SseParser(std::size_t max_bytes = 1 << 20) : max_(max_bytes) {}
  bool feed(std::string_view bytes, std::vector<SseEvent>& out);
  // End of the body. WHATWG discards an event without its closing blank line; we dispatch
  // it when all its lines were complete (servers that close right after the last line),
  // and discard it when the body stopped mid-line.
  void finish(std::vector<SseEvent>& out);

 private:
  bool process_line(std::vector<SseEvent>& out);

  std::size_t max_;
  std::string line_;
  SseEvent cur_;
  bool has_data_ = false;
  bool last_cr_ = false;
  bool failed_ = false;  // a limit was exceeded; every later feed() returns false
};

}  // namespace simpleclaw::providers
