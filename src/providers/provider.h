// The three built-in LLM wire formats (SPEC §7), each an sdk::WireFormat
// (simpleclaw/provider.h): how a chat request becomes an HTTP request and how a streamed
// response body becomes text deltas, usage and a stop reason.
//
//   openai     POST <base>/chat/completions, SSE "data: {chunk}" ... "data: [DONE]"
//   anthropic  POST <base>/v1/messages, SSE message_start / content_block_delta /
//              message_delta / message_stop / error events
//   ollama     POST <base>/api/chat, NDJSON {"message":{"content":...},"done":false} ...
//
// Pure code: no I/O, no globals; any thread. The only clock read is classify_http_error's
// system_clock::now() for a Retry-After HTTP date (an overload takes `now` instead). The
// network lives in net/http_client.h and the retry/failover policy in model_call.h.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "net/http_client.h"
#include "simpleclaw/provider.h"

namespace simpleclaw::providers {

// The SDK's model-call types, used throughout this library under their short names.
using sdk::ChatRequest;
using sdk::Endpoint;
using sdk::error_kind_name;
using sdk::ErrorKind;
using sdk::kMaxToolCalls;
using sdk::Message;
using sdk::StreamDecoder;
using sdk::StreamEvent;
using sdk::ToolCall;
using sdk::ToolSpec;
using sdk::Usage;
using sdk::WireFormat;
// The HTTP client's types (net/http_client.h), likewise.
using net::ConnectionPool;
using net::http_start;
using net::HttpCall;
using net::HttpCallbacks;
using net::HttpError;
using net::HttpHead;
using net::HttpOptions;
using net::HttpRequest;

// The built-in wire formats (registered in src/plugins/builtin.cpp behind their CMake
// options; the catalog offers all three when it was never told otherwise).
const WireFormat& openai_wire();
const WireFormat& anthropic_wire();
const WireFormat& ollama_wire();

// What the config says about a provider, as a wire format needs it.
Endpoint endpoint_of(const config::ProviderConfig& provider);

// A non-2xx response, classified. `body` is what was read of the error body (may be
// cut). 429 -> rate_limit (retryable); 408/504 -> timeout (retryable); 5xx (and
// anthropic 529 overloaded) -> unknown (retryable); 400 with a context-length message
// ("context_length_exceeded", "maximum context length", "prompt is too long", ...) ->
// context_length; 400 content-filter/safety -> refusal; 401/403 -> unknown, not
// retryable, message says to check the api key; other 4xx -> unknown, not retryable.
// retry_after_ms from a Retry-After header (seconds or HTTP date) or the anthropic
// "retry-after"/"retry-after-ms" headers; nullopt when absent. `api` names the wire
// format in the message ("openai: 429 Too Many Requests: ...").
struct HttpFailure {
  ErrorKind kind = ErrorKind::kUnknown;
  bool retryable = false;
  std::optional<std::int64_t> retry_after_ms;
  std::string message;  // "openai: 429 Too Many Requests: <provider message>"
};
HttpFailure classify_http_error(std::string_view api, const HttpHead& head, std::string_view body);
// The same with the current time given (a Retry-After HTTP date is relative to `now`).
HttpFailure classify_http_error(std::string_view api, const HttpHead& head, std::string_view body,
                                std::chrono::system_clock::time_point now);

}  // namespace simpleclaw::providers
