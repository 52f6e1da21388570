// The Ollama native chat wire format: request building and the NDJSON stream decoder.
//
//   {"model":"m","message":{"role":"assistant","content":"Hel"},"done":false}
//   {"model":"m","message":{"role":"assistant","content":""},"done":true,
//    "done_reason":"stop","prompt_eval_count":11,"eval_count":7}
//   {"error":"model 'm' not found"}
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
      emit_error(out, kind, provider_error_text(Api::kOllama, message, ""));
      return;
    }
    if (auto m = j->find("message"); m != j->end()) emit_text(out, string_field(*m, "content"));
    if (auto d = j->find("done"); d != j->end() && d->is_boolean() && d->get<bool>()) {
      emit_usage(out, Usage{int_field(*j, "prompt_eval_count"), int_field(*j, "eval_count")});
      emit_done(out, string_field(*j, "done_reason", "stop"));
    }
  }

  std::string line_;
};

}  // namespace

HttpRequest ollama_chat_request(const config::ProviderConfig& provider, const ChatRequest& req) {
  HttpRequest r;
  r.method = "POST";
  r.url = base_url(Api::kOllama, provider) + "/api/chat";
  set_header(r, "Content-Type", "application/json");
  add_auth(r, provider);
  add_extra_headers(r, provider);

  nlohmann::ordered_json messages = nlohmann::ordered_json::array();
  if (!req.system.empty()) messages.push_back({{"role", "system"}, {"content", req.system}});
  for (const Message& m : req.messages) messages.push_back({{"role", m.role}, {"content", m.text}});
  nlohmann::ordered_json body;
  body["model"] = req.model;
  body["stream"] = true;
  body["messages"] = std::move(messages);
  body["options"] = {{"num_predict", req.max_tokens}};
  r.body = dump_body(body);
  return r;
}

HttpRequest ollama_probe_request(const config::ProviderConfig& provider) {
  HttpRequest r;
  r.method = "GET";
  r.url = base_url(Api::kOllama, provider) + "/api/tags";
  add_auth(r, provider);
  add_extra_headers(r, provider);
  return r;
}

std::unique_ptr<StreamDecoder> make_ollama_decoder() { return std::make_unique<OllamaDecoder>(); }

}  // namespace simpleclaw::providers::wire
