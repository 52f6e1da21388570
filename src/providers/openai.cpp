// The OpenAI Chat Completions wire format (also spoken by llama.cpp, vLLM, Ollama's /v1,
// LM Studio, OpenRouter, ...): request building and the SSE stream decoder.
//
//   data: {"choices":[{"delta":{"content":"Hel"},"finish_reason":null}],"usage":null}
//   data: {"choices":[{"delta":{},"finish_reason":"stop"}]}
//   data: {"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7}}
//   data: [DONE]
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "providers/provider.h"
#include "providers/wire_internal.h"

namespace simpleclaw::providers::wire {

namespace {

using nlohmann::json;

void add_auth(HttpRequest& r, const config::ProviderConfig& provider) {
  if (std::string key = api_key(provider); !key.empty())
    set_header(r, "Authorization", "Bearer " + key);
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
    std::string reason = finish_reason_.value_or("stop");
    if (reason == "content_filter") {
      emit_error(out, ErrorKind::kRefusal, "the provider refused to answer (content filter)");
    } else {
      emit_done(out, std::move(reason));
    }
  }

  void on_event(const SseEvent& ev, std::vector<StreamEvent>& out) override {
    std::string_view data = ev.data;
    if (trim_space(data).empty()) return;  // keep-alive "data:" with nothing in it
    if (trim_space(data) == "[DONE]") {
      terminate(out);
      return;
    }
    std::optional<json> j = parse_object(data);
    if (!j) {
      if (ev.event == "error") {
        emit_error(out, ErrorKind::kUnknown, provider_error_text(Api::kOpenAI, data, ""));
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
        if (auto d = choice.find("delta"); d != choice.end())
          emit_text(out, string_field(*d, "content"));
        if (std::string reason = string_field(choice, "finish_reason"); !reason.empty())
          finish_reason_ = std::move(reason);
      }
    }
    if (auto it = j->find("usage"); it != j->end() && it->is_object()) {
      emit_usage(out, Usage{int_field(*it, "prompt_tokens"), int_field(*it, "completion_tokens")});
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
    emit_error(out, kind, provider_error_text(Api::kOpenAI, message, code.empty() ? type : code));
  }

  std::optional<std::string> finish_reason_;
};

}  // namespace

HttpRequest openai_chat_request(const config::ProviderConfig& provider, const ChatRequest& req) {
  HttpRequest r;
  r.method = "POST";
  r.url = base_url(Api::kOpenAI, provider) + "/chat/completions";
  set_header(r, "Content-Type", "application/json");
  set_header(r, "Accept", "text/event-stream");
  add_auth(r, provider);
  add_extra_headers(r, provider);

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
  for (const Message& m : req.messages) messages.push_back({{"role", m.role}, {"content", m.text}});
  nlohmann::ordered_json body;
  body["model"] = req.model;
  body["messages"] = std::move(messages);
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["max_tokens"] = req.max_tokens;
  r.body = dump_body(body);
  return r;
}

HttpRequest openai_probe_request(const config::ProviderConfig& provider) {
  HttpRequest r;
  r.method = "GET";
  r.url = base_url(Api::kOpenAI, provider) + "/models";
  add_auth(r, provider);
  add_extra_headers(r, provider);
  return r;
}

std::unique_ptr<StreamDecoder> make_openai_decoder() { return std::make_unique<OpenAiDecoder>(); }

}  // namespace simpleclaw::providers::wire
