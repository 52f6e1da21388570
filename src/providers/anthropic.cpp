// The Anthropic Messages wire format: request building and the SSE stream decoder.
//
//   event: message_start        {"message":{"usage":{"input_tokens":11,"output_tokens":1}}}
//   event: content_block_delta  {"delta":{"type":"text_delta","text":"Hel"}}
//   event: message_delta        {"delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":7}}
//   event: message_stop
//   event: error                {"error":{"type":"overloaded_error","message":"Overloaded"}}
//
// Tool calls are content blocks: content_block_start {"content_block":{"type":"tool_use",
// "id","name","input":{}}}, input_json_delta pieces of the arguments' JSON text, then
// content_block_stop (the call is complete); the message ends with stop_reason "tool_use".
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

constexpr std::string_view kAnthropicVersion = "2023-06-01";

void add_anthropic_auth(HttpRequest& r, const Endpoint& provider) {
  if (std::string key = api_key(provider); !key.empty()) set_header(r, "x-api-key", key);
  set_header(r, "anthropic-version", kAnthropicVersion);
}

// Messages in Anthropic's shape: an assistant message with tool calls is a list of
// content blocks (text, then tool_use); consecutive tool results form one user message of
// tool_result blocks (the API wants every result of a turn in the next user message); a
// user message with images is image blocks {type:"image", source:{type:"base64",
// media_type, data}} and then a text block.
nlohmann::ordered_json messages_json(const std::vector<Message>& in) {
  using oj = nlohmann::ordered_json;
  oj messages = oj::array();
  for (const Message& m : in) {
    if (m.role == sdk::Role::kTool) {
      oj block{{"type", "tool_result"}, {"tool_use_id", m.tool_call_id}, {"content", m.text}};
      if (m.is_error) block["is_error"] = true;
      if (!messages.empty() && messages.back()["role"] == "user" &&
          messages.back()["content"].is_array() &&
          messages.back()["content"].back().value("type", "") == "tool_result") {
        messages.back()["content"].push_back(std::move(block));
      } else {
        messages.push_back({{"role", "user"}, {"content", oj::array({std::move(block)})}});
      }
    } else if (!m.tool_calls.empty()) {
      oj content = oj::array();
      if (!m.text.empty()) content.push_back({{"type", "text"}, {"text", m.text}});
      for (const ToolCall& c : m.tool_calls)
        content.push_back({{"type", "tool_use"},
                           {"id", c.id},
                           {"name", c.name},
                           {"input", arguments_object(c.arguments)}});
      messages.push_back({{"role", role_name(m.role)}, {"content", std::move(content)}});
    } else if (!m.images.empty()) {
      // Images first, then the text about them (the order Anthropic's docs advise).
      oj content = oj::array();
      for (const sdk::Image& img : m.images)
        content.push_back(
            {{"type", "image"},
             {"source", {{"type", "base64"}, {"media_type", img.mime_type}, {"data", *img.data}}}});
      if (!m.text.empty()) content.push_back({{"type", "text"}, {"text", m.text}});
      messages.push_back({{"role", role_name(m.role)}, {"content", std::move(content)}});
    } else {
      messages.push_back({{"role", role_name(m.role)}, {"content", m.text}});
    }
  }
  return messages;
}

// Without message_stop at the end of the body, the base reports the truncation.
class AnthropicDecoder final : public SseDecoderBase {
 private:
  void on_event(const net::SseEvent& ev, std::vector<StreamEvent>& out) override {
    if (trim_space(ev.data).empty()) return;
    std::optional<json> j = parse_object(ev.data);
    if (!j) {
      if (ev.event == "error") {
        emit_error(out, ErrorKind::kUnknown, provider_error_text("anthropic", ev.data, ""));
      } else {
        emit_malformed(out, ev.data);
      }
      return;
    }
    const std::string type = string_field(*j, "type", ev.event);
    if (type == "content_block_delta") {
      auto d = j->find("delta");
      if (d == j->end()) return;
      std::string dtype = string_field(*d, "type");
      if (dtype == "text_delta") {
        emit_text(out, string_field(*d, "text"));
      } else if (dtype == "input_json_delta") {
        auto it = tools_.find(int_field(*j, "index", -1));
        if (it == tools_.end()) return;
        it->second.arguments += string_field(*d, "partial_json");
        if (it->second.arguments.size() > kMaxLineBytes)
          emit_error(out, ErrorKind::kUnknown, std::string(kToolArgsTooLarge));
      }
    } else if (type == "content_block_start") {
      auto b = j->find("content_block");
      if (b == j->end() || !b->is_object() || string_field(*b, "type") != "tool_use") return;
      if (tools_.size() >= kMaxToolCalls) {
        emit_error(out, ErrorKind::kUnknown,
                   "the model made more than " + std::to_string(kMaxToolCalls) +
                       " tool calls in one reply");
        return;
      }
      ToolCall call{string_field(*b, "id"), string_field(*b, "name"), ""};
      // Arguments normally arrive as deltas; a non-empty input here is the whole of them.
      if (auto in = b->find("input"); in != b->end() && in->is_object() && !in->empty())
        call.arguments = in->dump();
      tools_[int_field(*j, "index", -1)] = std::move(call);
    } else if (type == "content_block_stop") {
      flush_tool(int_field(*j, "index", -1), out);
    } else if (type == "message_start") {
      auto m = j->find("message");
      if (m != j->end() && m->is_object()) {
        if (auto u = m->find("usage"); u != m->end() && u->is_object()) take_usage(*u, out);
      }
    } else if (type == "message_delta") {
      if (auto d = j->find("delta"); d != j->end()) {
        if (std::string reason = string_field(*d, "stop_reason"); !reason.empty())
          stop_reason_ = std::move(reason);
      }
      if (auto u = j->find("usage"); u != j->end() && u->is_object()) take_usage(*u, out);
    } else if (type == "message_stop") {
      while (!tools_.empty()) flush_tool(tools_.begin()->first, out);  // never closed: as is
      if (stop_reason_ == "refusal") {
        emit_error(out, ErrorKind::kRefusal, "the provider refused to answer (refusal)");
      } else {
        emit_done(out, stop_reason_.empty() ? "end_turn" : stop_reason_);
      }
    } else if (type == "error") {
      auto e = j->find("error");
      on_error(e != j->end() ? *e : json(), out);
    }
    // ping, text content_block_start/stop and unknown events are ignored.
  }

  void flush_tool(std::int64_t index, std::vector<StreamEvent>& out) {
    auto it = tools_.find(index);
    if (it == tools_.end()) return;
    ToolCall call = std::move(it->second);
    tools_.erase(it);
    if (call.arguments.empty()) call.arguments = "{}";  // a tool without parameters
    if (call.id.empty()) call.id = "toolu_" + std::to_string(index);
    emit_tool_call(out, std::move(call));
  }

  // Input = uncached + cache-write + cache-read prompt tokens (what the context holds).
  // message_delta usually carries only output_tokens: the input count is kept.
  void take_usage(const json& u, std::vector<StreamEvent>& out) {
    if (u.contains("input_tokens")) {
      input_ = int_field(u, "input_tokens") + int_field(u, "cache_creation_input_tokens") +
               int_field(u, "cache_read_input_tokens");
    }
    output_ = int_field(u, "output_tokens", output_);
    emit_usage(out, Usage{input_, output_});
  }

  void on_error(const json& err, std::vector<StreamEvent>& out) {
    std::string type = string_field(err, "type");
    std::string message = err.is_string() ? err.get<std::string>() : string_field(err, "message");
    ErrorKind kind = ErrorKind::kUnknown;  // overloaded_error, api_error, ...
    if (type == "rate_limit_error") {
      kind = ErrorKind::kRateLimit;
    } else if (type == "request_too_large" ||
               (type == "invalid_request_error" && mentions_context_length(message))) {
      kind = ErrorKind::kContextLength;
    }
    emit_error(out, kind, provider_error_text("anthropic", message, type));
  }

  std::string stop_reason_;
  std::map<std::int64_t, ToolCall> tools_;  // open tool_use blocks by index
  std::int64_t input_ = 0;
  std::int64_t output_ = 0;
};

}  // namespace

HttpRequest anthropic_chat_request(const Endpoint& provider, const ChatRequest& req) {
  HttpRequest r;
  r.method = "POST";
  r.url = base_url(anthropic_wire(), provider) + "/v1/messages";
  set_header(r, "Content-Type", "application/json");
  set_header(r, "Accept", "text/event-stream");
  add_anthropic_auth(r, provider);
  add_extra_headers(r, provider);

  nlohmann::ordered_json body;
  body["model"] = req.model;
  body["max_tokens"] = req.max_tokens;
  body["stream"] = true;
  if (!req.system.empty()) body["system"] = req.system;
  body["messages"] = messages_json(req.messages);
  if (!req.tools.empty()) {
    nlohmann::ordered_json tools = nlohmann::ordered_json::array();
    for (const ToolSpec& t : req.tools) {
      nlohmann::ordered_json x;
      x["name"] = t.name;
      x["description"] = t.description;
      x["input_schema"] = t.parameters.is_object() ? nlohmann::ordered_json(t.parameters)
                                                   : nlohmann::ordered_json{{"type", "object"}};
      tools.push_back(std::move(x));
    }
    body["tools"] = std::move(tools);
  }
  r.body = dump_body(body);
  return r;
}

HttpRequest anthropic_probe_request(const Endpoint& provider) {
  HttpRequest r;
  r.method = "GET";
  r.url = base_url(anthropic_wire(), provider) + "/v1/models";
  add_anthropic_auth(r, provider);
  add_extra_headers(r, provider);
  return r;
}

std::unique_ptr<StreamDecoder> make_anthropic_decoder() {
  return std::make_unique<AnthropicDecoder>();
}

}  // namespace simpleclaw::providers::wire

namespace simpleclaw::providers {

const WireFormat& anthropic_wire() {
  static const wire::FunctionWire w("anthropic", "https://api.anthropic.com",
                                    wire::anthropic_chat_request, wire::anthropic_probe_request,
                                    wire::make_anthropic_decoder);
  return w;
}

Status register_anthropic(sdk::Registry& r) {
  // The wire format is a process-wide constant: the registry holds a non-owning pointer.
  return r.add_provider(
      {"Anthropic messages API (SSE)",
       std::shared_ptr<const WireFormat>(std::shared_ptr<const WireFormat>(), &anthropic_wire())});
}

}  // namespace simpleclaw::providers
