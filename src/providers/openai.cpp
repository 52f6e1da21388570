// The OpenAI Chat Completions wire format (also spoken by llama.cpp, vLLM, Ollama's /v1,
// LM Studio, OpenRouter, ...): request building and the SSE stream decoder.
//
//   data: {"choices":[{"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}
//   data: {"choices":[{"delta":{},"finish_reason":"stop"}]}
//   data: {"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7}}
//   data: [DONE]
//
// Tool calls stream as pieces keyed by index (id and name in the first piece, the
// arguments' JSON text spread over the rest) and end with finish_reason "tool_calls":
//   data: {"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function",
//          "function":{"name":"read","arguments":"{\"pa"}}]}}]}
//   data: {"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"th\"}"}}]}}]}
//
// A user message with images sends content parts: {type:"text"} and {type:"image_url",
// image_url:{url:"data:<mime>;base64,<data>"}}.
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "providers/provider.h"
#include "providers/wire_internal.h"
#include "simpleclaw/registry.h"

namespace simpleclaw::providers::wire {

namespace {

using nlohmann::json;

nlohmann::ordered_json message_json(const Message& m) {
  nlohmann::ordered_json j;
  j["role"] = role_name(m.role);
  if (m.role == sdk::Role::kTool) {
    j["tool_call_id"] = m.tool_call_id;
    j["content"] = m.text;
    return j;
  }
  if (!m.images.empty()) {
    // Content parts: the text, then each image as a data: URL.
    nlohmann::ordered_json parts = nlohmann::ordered_json::array();
    if (!m.text.empty()) parts.push_back({{"type", "text"}, {"text", m.text}});
    for (const sdk::Image& img : m.images)
      parts.push_back({{"type", "image_url"},
                       {"image_url", {{"url", "data:" + img.mime_type + ";base64," + *img.data}}}});
    j["content"] = std::move(parts);
    return j;
  }
  if (m.tool_calls.empty()) {
    j["content"] = m.text;
    return j;
  }
  j["content"] = m.text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(m.text);
  nlohmann::ordered_json calls = nlohmann::ordered_json::array();
  for (const ToolCall& c : m.tool_calls) {
    nlohmann::ordered_json f;
    f["name"] = c.name;
    f["arguments"] = c.arguments.empty() ? std::string("{}") : c.arguments;
    calls.push_back({{"id", c.id}, {"type", "function"}, {"function", std::move(f)}});
  }
  j["tool_calls"] = std::move(calls);
  return j;
}

class OpenAiDecoder final : public SseDecoderBase {
 private:
  // llama.cpp and Ollama's /v1 end after the finish_reason chunk without [DONE].
  void on_sse_end(std::vector<StreamEvent>& out) override {
    if (finish_reason_) terminate(out);
  }

  // [DONE] or the end of a stream that had a finish_reason. content_filter is a kError
  // kRefusal: the user got no valid answer (the text so far has been emitted already).
  void terminate(std::vector<StreamEvent>& out) {
    for (auto& [index, call] : calls_) {
      if (call.id.empty()) call.id = "call_" + std::to_string(index);
      emit_tool_call(out, std::move(call));
    }
    calls_.clear();
    std::string reason = finish_reason_.value_or("stop");
    if (reason == "content_filter") {
      emit_error(out, ErrorKind::kRefusal, "the provider refused to answer (content filter)");
    } else {
      emit_done(out, std::move(reason));
    }
  }

  void on_event(const net::SseEvent& ev, std::vector<StreamEvent>& out) override {
    std::string_view data = ev.data;
    if (trim_space(data).empty()) return;  // keep-alive "data:" with nothing in it
    if (trim_space(data) == "[DONE]") {
      terminate(out);
      return;
    }
    std::optional<json> j = parse_object(data);
    if (!j) {
      if (ev.event == "error") {
        emit_error(out, ErrorKind::kUnknown, provider_error_text("openai", data, ""));
      } else {
        emit_malformed(out, data);
      }
      return;
    }
    if (auto it = j->find("error"); it != j->end() && !it->is_null()) {
      on_error(*it, out);
      return;
    }
    if (auto it = j->find("choices"); it != j->end() && it->is_array() && !it->empty()) {
      const json& choice = it->front();
      if (choice.is_object()) {
        if (auto d = choice.find("delta"); d != choice.end() && d->is_object()) {
          emit_text(out, string_field(*d, "content"));
          if (auto tc = d->find("tool_calls"); tc != d->end() && tc->is_array())
            for (const json& piece : *tc) take_tool_piece(piece, out);
        }
        if (std::string reason = string_field(choice, "finish_reason"); !reason.empty())
          finish_reason_ = std::move(reason);
      }
    }
    if (auto it = j->find("usage"); it != j->end() && it->is_object()) {
      emit_usage(out, Usage{int_field(*it, "prompt_tokens"), int_field(*it, "completion_tokens")});
    }
  }

  // One piece of a streamed tool call: pieces with the same index build one call.
  void take_tool_piece(const json& piece, std::vector<StreamEvent>& out) {
    if (!piece.is_object() || ended()) return;
    std::int64_t index = int_field(piece, "index", static_cast<std::int64_t>(calls_.size()));
    if (index < 0 || (!calls_.count(index) && calls_.size() >= kMaxToolCalls)) {
      emit_error(
          out, ErrorKind::kUnknown,
          "the model made more than " + std::to_string(kMaxToolCalls) + " tool calls in one reply");
      return;
    }
    ToolCall& call = calls_[index];
    if (std::string id = string_field(piece, "id"); !id.empty() && call.id.empty()) call.id = id;
    if (auto f = piece.find("function"); f != piece.end() && f->is_object()) {
      if (std::string name = string_field(*f, "name"); !name.empty() && call.name.empty())
        call.name = name;
      call.arguments += string_field(*f, "arguments");
      if (call.arguments.size() > kMaxLineBytes)
        emit_error(out, ErrorKind::kUnknown, std::string(kToolArgsTooLarge));
    }
  }

  void on_error(const json& err, std::vector<StreamEvent>& out) {
    std::string message, type, code;
    if (err.is_string()) {
      message = err.get<std::string>();
    } else {
      message = string_field(err, "message");
      type = string_field(err, "type");
      code = string_field(err, "code");  // llama.cpp sends a number here: ignored
    }
    ErrorKind kind = ErrorKind::kUnknown;
    if (contains_any_ci(code, {"rate_limit"}) || contains_any_ci(type, {"rate_limit"})) {
      kind = ErrorKind::kRateLimit;
    } else if (mentions_context_length(code) || mentions_context_length(type) ||
               mentions_context_length(message)) {
      kind = ErrorKind::kContextLength;
    }
    emit_error(out, kind, provider_error_text("openai", message, code.empty() ? type : code));
  }

  std::optional<std::string> finish_reason_;
  std::map<std::int64_t, ToolCall> calls_;  // by index, until the stream finishes
};

}  // namespace

HttpRequest openai_chat_request(const Endpoint& provider, const ChatRequest& req) {
  HttpRequest r;
  r.method = "POST";
  r.url = base_url(openai_wire(), provider) + "/chat/completions";
  set_header(r, "Content-Type", "application/json");
  set_header(r, "Accept", "text/event-stream");
  add_bearer_auth(r, provider);
  add_extra_headers(r, provider);

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
  for (const Message& m : req.messages) messages.push_back(message_json(m));
  nlohmann::ordered_json body;
  body["model"] = req.model;
  body["messages"] = std::move(messages);
  if (!req.tools.empty()) body["tools"] = function_tools(req.tools);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["max_tokens"] = req.max_tokens;
  r.body = dump_body(body);
  return r;
}

HttpRequest openai_probe_request(const Endpoint& provider) {
  HttpRequest r;
  r.method = "GET";
  r.url = base_url(openai_wire(), provider) + "/models";
  add_bearer_auth(r, provider);
  add_extra_headers(r, provider);
  return r;
}

std::unique_ptr<StreamDecoder> make_openai_decoder() { return std::make_unique<OpenAiDecoder>(); }

}  // namespace simpleclaw::providers::wire

namespace simpleclaw::providers {

const WireFormat& openai_wire() {
  static const wire::FunctionWire w("openai", "https://api.openai.com/v1",
                                    wire::openai_chat_request, wire::openai_probe_request,
                                    wire::make_openai_decoder);
  return w;
}

Status register_openai(sdk::Registry& r) {
  // The wire format is a process-wide constant: the registry holds a non-owning pointer.
  return r.add_provider(
      {"OpenAI-compatible chat completions (SSE)",
       std::shared_ptr<const WireFormat>(std::shared_ptr<const WireFormat>(), &openai_wire())});
}

}  // namespace simpleclaw::providers
