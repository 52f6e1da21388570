// The fake LLM server's wire formats (see fake_llm.h): which API a path is, the last user
// message's text, and the exact bytes of every reply the fake sends — OpenAI SSE chunks,
// Anthropic SSE events, Ollama NDJSON lines, non-streaming bodies, each API's error body
// and the model lists. Pure code: no I/O, no clocks, no globals; any thread. Everything
// that needs a time or an id takes it in ReplyContext.
#pragma once
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/fake_llm.h"

namespace sctest::fakes::wire {

enum class Api { kOpenAI, kAnthropic, kOllama };
const char* api_name(Api api);  // "openai" | "anthropic" | "ollama"

// What a request path asks for (the query already removed).
enum class Route { kOpenAI, kAnthropic, kOllama, kModels, kTags, kUnknown };
Route route_for(std::string_view path);

// The last message with role "user" (not counting anthropic tool_result-only ones): its string
// content, or its text parts joined with
// "\n" (parts of other types are skipped). "" when there is none.
std::string last_user_text(const nlohmann::json& body);
// When the last message is a tool result (openai/ollama role "tool", anthropic a user
// message of tool_result blocks): its content text; nullopt otherwise.
std::optional<std::string> last_tool_result(const nlohmann::json& body);
// "model" of the request body, or "fake-model".
std::string request_model(const nlohmann::json& body);
// Whether the client asked for a stream: openai/anthropic "stream": true; ollama streams
// unless "stream": false.
bool wants_stream(Api api, const nlohmann::json& body);
// Word-sized pieces whose concatenation is `text`: each piece is a run of non-spaces and
// the spaces after it (leading spaces stay with the first piece). "" -> {""}.
std::vector<std::string> split_words(std::string_view text);

struct ReplyContext {
  std::string id;              // "chatcmpl-..." / "msg_..." (ignored by ollama)
  std::string model;           // echoed back
  std::int64_t created = 0;    // unix seconds (openai)
  std::string created_at;      // RFC 3339 UTC with nanoseconds (ollama)
  bool include_usage = false;  // openai stream_options.include_usage
};

// Every piece of one streamed 200 reply, each element one SSE event / NDJSON line with
// its terminator, in the order the server sends them.
struct StreamPlan {
  std::string content_type;
  std::vector<std::string> preamble;  // right after the head (anthropic: start + ping)
  std::vector<std::string> chunks;    // one per text piece
  std::string malformed;              // a data event whose payload is not JSON
  std::string error;                  // the API's in-stream error event
  std::vector<std::string> finish;    // finish reason, usage, terminator
};
StreamPlan plan_stream(Api api, const ReplyContext& ctx, const Script& s,
                       const std::vector<std::string>& pieces);

// The non-streaming 200 body (chat.completion / message / done:true line) for `text`.
std::string full_body(Api api, const ReplyContext& ctx, const Script& s, const std::string& text);

// The error body for an HTTP status in the API's shape. `type` overrides the type (and
// the openai code) picked from the status; "" = by status:
//   openai     400 invalid_request_error (code context_length_exceeded when the message
//              mentions "context", else invalid_request_error), 401 invalid_api_key,
//              403 permission_error, 404 model_not_found, 408 timeout, 413
//              request_too_large, 429 rate_limit_exceeded, 503 service_unavailable,
//              other 5xx server_error, other 4xx invalid_request_error
//   anthropic  400 invalid_request_error, 401 authentication_error, 402 billing_error,
//              403 permission_error, 404 not_found_error, 413 request_too_large, 429
//              rate_limit_error, 504 timeout_error, 503/529 overloaded_error, other 5xx
//              api_error, other 4xx invalid_request_error
//   ollama     {"error": message}
std::string error_body(Api api, int status, const std::string& message, const std::string& type);
// 404 for a path the fake does not serve (OpenAI-like error object).
std::string not_found_body(const std::string& method, const std::string& target);
// Reason phrase for any status, including the ones Beast does not know (529).
std::string reason_for(int status);

// Model lists: openai {"object":"list","data":[{"id","object":"model",...}]}, anthropic
// {"data":[{"type":"model","id",...}],"has_more":false,...}, ollama /api/tags
// {"models":[{"name","model",...}]}.
std::string models_body(Api api, const std::vector<std::string>& ids);
// The fixed ids every model list starts with.
const std::vector<std::string>& fixed_model_ids();

}  // namespace sctest::fakes::wire
