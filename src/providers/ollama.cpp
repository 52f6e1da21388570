// The Ollama native chat wire format: request building and the NDJSON stream decoder.
//
//   {"model":"m","message":{"role":"assistant","content":"Hel"},"done":false}
//   {"model":"m","message":{"role":"assistant","content":""},"done":true,
//    "done_reason":"stop","prompt_eval_count":11,"eval_count":7}
//   {"error":"model 'm' not found"}
//
// A user message's images go in its "images": ["<base64>", ...].
// Tool calls come whole, arguments as a JSON object:
//   {"message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"read",
//    "arguments":{"path":"a.txt"}}}]},"done":false}
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

class OllamaDecoder final : public DecoderBase {
 protected:
  void on_bytes(std::string_view bytes, std::vector<StreamEvent>& out) override {
    std::size_t i = 0;
    while (i < bytes.size() && !ended()) {
      std::size_t nl = bytes.find('\n', i);
      std::size_t stop = nl == std::string_view::npos ? bytes.size() : nl;
      if (line_.size() + (stop - i) > kMaxLineBytes) {
        line_.clear();
        emit_error(out, ErrorKind::kUnknown, std::string(kTooLarge));
        return;
      }
      line_.append(bytes.data() + i, stop - i);
      if (nl == std::string_view::npos) return;
      i = nl + 1;
      std::string line = std::move(line_);
      line_.clear();
      on_line(line, out);
    }
  }

  // A last line without its '\n' still counts when it is a whole JSON object; a line cut
  // mid-way is the truncation the base reports.
  void on_finish(std::vector<StreamEvent>& out) override {
    std::string line = std::move(line_);
    line_.clear();
    if (!trim_space(line).empty() && parse_object(line)) on_line(line, out);
  }

 private:
  void on_line(std::string_view line, std::vector<StreamEvent>& out) {
    if (trim_space(line).empty()) return;
    std::optional<json> j = parse_object(line);
    if (!j) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      emit_malformed(out, line);
      return;
    }
    if (auto e = j->find("error"); e != j->end() && !e->is_null()) {
      std::string message = e->is_string() ? e->get<std::string>() : string_field(*e, "message");
      ErrorKind kind =
          mentions_context_length(message) ? ErrorKind::kContextLength : ErrorKind::kUnknown;
      emit_error(out, kind, provider_error_text("ollama", message, ""));
      return;
    }
    if (auto m = j->find("message"); m != j->end() && m->is_object()) {
      emit_text(out, string_field(*m, "content"));
      if (auto tc = m->find("tool_calls"); tc != m->end() && tc->is_array()) {
        for (const json& c : *tc) {
          if (!c.is_object()) continue;
          ToolCall call;
          call.id = string_field(c, "id");
          if (call.id.empty()) call.id = "call_" + std::to_string(next_id_);
          ++next_id_;
          if (auto f = c.find("function"); f != c.end() && f->is_object()) {
            call.name = string_field(*f, "name");
            if (auto a = f->find("arguments"); a != f->end())
              call.arguments = a->is_string() ? a->get<std::string>() : a->dump();
          }
          if (call.arguments.empty()) call.arguments = "{}";
          emit_tool_call(out, std::move(call));
        }
      }
    }
    if (auto d = j->find("done"); d != j->end() && d->is_boolean() && d->get<bool>()) {
      emit_usage(out, Usage{int_field(*j, "prompt_eval_count"), int_field(*j, "eval_count")});
      emit_done(out, string_field(*j, "done_reason", "stop"));
    }
  }

  std::string line_;
  int next_id_ = 0;
};

}  // namespace

HttpRequest ollama_chat_request(const Endpoint& provider, const ChatRequest& req) {
  HttpRequest r;
  r.method = "POST";
  r.url = base_url(ollama_wire(), provider) + "/api/chat";
  set_header(r, "Content-Type", "application/json");
  add_bearer_auth(r, provider);
  add_extra_headers(r, provider);

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
  for (const Message& m : req.messages) {
    nlohmann::ordered_json j{{"role", role_name(m.role)}, {"content", m.text}};
    if (m.role == sdk::Role::kTool) j["tool_name"] = m.tool_name;
    if (!m.images.empty()) {  // Ollama wants the bare base64 of each image
      nlohmann::ordered_json images = nlohmann::ordered_json::array();
      for (const sdk::Image& img : m.images) images.push_back(*img.data);
      j["images"] = std::move(images);
    }
    if (!m.tool_calls.empty()) {
      nlohmann::ordered_json calls = nlohmann::ordered_json::array();
      for (const ToolCall& c : m.tool_calls)
        calls.push_back(
            {{"function", {{"name", c.name}, {"arguments", arguments_object(c.arguments)}}}});
      j["tool_calls"] = std::move(calls);
    }
    messages.push_back(std::move(j));
  }
  nlohmann::ordered_json body;
  body["model"] = req.model;
  body["stream"] = true;
  body["messages"] = std::move(messages);
  if (!req.tools.empty()) body["tools"] = function_tools(req.tools);
  body["options"] = {{"num_predict", req.max_tokens}};
  r.body = dump_body(body);
  return r;
}

HttpRequest ollama_probe_request(const Endpoint& provider) {
  HttpRequest r;
  r.method = "GET";
  r.url = base_url(ollama_wire(), provider) + "/api/tags";
  add_bearer_auth(r, provider);
  add_extra_headers(r, provider);
  return r;
}

std::unique_ptr<StreamDecoder> make_ollama_decoder() { return std::make_unique<OllamaDecoder>(); }

}  // namespace simpleclaw::providers::wire

namespace simpleclaw::providers {

const WireFormat& ollama_wire() {
  static const wire::FunctionWire w("ollama", "http://127.0.0.1:11434", wire::ollama_chat_request,
                                    wire::ollama_probe_request, wire::make_ollama_decoder);
  return w;
}

Status register_ollama(sdk::Registry& r) {
  // The wire format is a process-wide constant: the registry holds a non-owning pointer.
  return r.add_provider(
      {"Ollama chat API (NDJSON)",
       std::shared_ptr<const WireFormat>(std::shared_ptr<const WireFormat>(), &ollama_wire())});
}

}  // namespace simpleclaw::providers
