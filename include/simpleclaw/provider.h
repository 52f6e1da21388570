// The provider SDK: what an LLM wire format is (OpenAI chat completions, Anthropic
// messages, Ollama chat, or another), and the types a model call speaks in.
//
// A wire format is pure code: it turns a ChatRequest into an HTTP request and a streamed
// response body into StreamEvents. It does no I/O, keeps no state between calls and may
// be used from any thread; the gateway's HTTP client, retry and failover policy
// (src/providers/model_call.h) do the rest. Register one with Registry::add_provider
// (simpleclaw/registry.h); `models.providers.<p>.api` names it.
//
// Part of the SDK: standard library, nlohmann/json and the SDK only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/http_request.h"

namespace simpleclaw::sdk {

// A tool call the model made. `arguments` is the JSON text as the model streamed it:
// it may be invalid (the caller answers that with a tool error, and stores "{}").
struct ToolCall {
  std::string id;  // the provider's id (ollama sends none: "call_<n>" is made up)
  std::string name;
  std::string arguments;  // JSON object text
};

// A tool the model may call: name, description and a JSON Schema of its arguments.
struct ToolSpec {
  std::string name;
  std::string description;
  nlohmann::json parameters;  // JSON Schema object
};

enum class Role : std::uint8_t { kUser, kAssistant, kTool };
// "user", "assistant", "tool": the names the LLM APIs and the transcript use.
std::string_view role_name(Role role);

// An image in a user message: base64 of a PNG, JPEG, GIF or WebP file (the gateway sniffed
// the bytes). Shared: a request is rebuilt for each retry and tool round without copying.
struct Image {
  std::string mime_type;                    // "image/png" | "image/jpeg" | ...
  std::shared_ptr<const std::string> data;  // base64, standard alphabet, padded; never null
};

// What the model is asked. The system prompt is separate. An assistant message may carry
// tool calls; each is answered by one kTool message with its tool_call_id, right after it
// (anthropic: merged into one user message of tool_result blocks).
struct Message {
  Role role = Role::kUser;
  std::string text;
  std::vector<ToolCall> tool_calls;  // assistant
  std::string tool_call_id;          // tool: the call it answers
  std::string tool_name;             // tool: the tool's name (ollama wants it)
  bool is_error = false;             // tool: the result is an error
  std::vector<Image> images;         // user: attached images (each wire format's own shape)
};

struct ChatRequest {
  std::string model;   // the provider's model id (no "provider/" prefix)
  std::string system;  // may be empty (then no system message/field is sent)
  std::vector<Message> messages;
  std::vector<ToolSpec> tools;  // empty = no tools field
  int max_tokens = 4096;
};

inline constexpr std::size_t kMaxToolCalls = 64;  // per model reply

enum class ErrorKind : std::uint8_t { kRefusal, kTimeout, kRateLimit, kContextLength, kUnknown };
// "refusal", "timeout", "rate_limit", "context_length", "unknown" (the protocol's errorKind).
std::string_view error_kind_name(ErrorKind kind);

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

// Incremental decoder of one response body. feed() accepts any split of the bytes (a
// line or a UTF-8 sequence may be cut anywhere). After a kDone or kError nothing more is
// emitted. Bounded: a single line/event over 1 MiB is a kError, and so are more than
// kMaxToolCalls tool calls or tool arguments over 1 MiB. Tool calls are emitted once
// complete, always before kDone.
class StreamDecoder {
 public:
  virtual ~StreamDecoder() = default;
  virtual void feed(std::string_view bytes, std::vector<StreamEvent>& out) = 0;
  // End of body. A stream that ended before its terminal marker yields kError
  // "stream ended before the reply was complete" (unless kDone/kError came already).
  virtual void finish(std::vector<StreamEvent>& out) = 0;
};

// Where a provider is and how to authenticate: models.providers.<name> in the config.
struct Endpoint {
  std::string name;                            // the provider's config key (for messages)
  std::string base_url;                        // "" = the wire format's default_base_url()
  std::string api_key;                         // "" = no auth header
  std::map<std::string, std::string> headers;  // extra request headers
};

class WireFormat {
 public:
  virtual ~WireFormat() = default;
  // The `api:` value that selects it ("openai").
  virtual std::string_view name() const = 0;
  // Where requests go when the endpoint names no base_url, without a trailing '/'.
  virtual std::string_view default_base_url() const = 0;
  // One streaming chat call: URL, auth and extra headers, Content-Type/Accept, JSON body.
  virtual HttpRequest chat_request(const Endpoint& endpoint, const ChatRequest& req) const = 0;
  // A cheap availability probe (a GET of the model list), with the same auth headers.
  virtual HttpRequest probe_request(const Endpoint& endpoint) const = 0;
  // A fresh decoder for one response body.
  virtual std::unique_ptr<StreamDecoder> make_decoder() const = 0;
};

inline std::string_view role_name(Role role) {
  switch (role) {
    case Role::kUser:
      return "user";
    case Role::kAssistant:
      return "assistant";
    case Role::kTool:
      return "tool";
  }
  return "user";
}

inline std::string_view error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRefusal:
      return "refusal";
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kRateLimit:
      return "rate_limit";
    case ErrorKind::kContextLength:
      return "context_length";
    case ErrorKind::kUnknown:
      return "unknown";
  }
  return "unknown";
}

}  // namespace simpleclaw::sdk
