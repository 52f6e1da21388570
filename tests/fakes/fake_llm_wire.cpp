#include "fakes/fake_llm_wire.h"

#include <algorithm>
#include <cctype>

namespace sctest::fakes::wire {
namespace {

// Insertion-ordered JSON, so the bytes read like the real APIs' (id first, ...).
using ojson = nlohmann::ordered_json;

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Never throws: invalid UTF-8 in a scripted chunk becomes U+FFFD.
std::string text_of(const ojson& j) {
  return j.dump(-1, ' ', false, ojson::error_handler_t::replace);
}

std::string sse(const ojson& data) { return "data: " + text_of(data) + "\n\n"; }
std::string sse(const char* event, const ojson& data) {
  return std::string("event: ") + event + "\ndata: " + text_of(data) + "\n\n";
}
std::string ndjson(const ojson& line) { return text_of(line) + "\n"; }

// `text` in `n` nearly equal parts (at least one part, possibly empty).
std::vector<std::string> cut(const std::string& text, int n) {
  std::vector<std::string> out;
  n = std::max(1, n);
  std::size_t step = (text.size() + n - 1) / n;
  if (step == 0) return {text};
  for (std::size_t i = 0; i < text.size(); i += step) out.push_back(text.substr(i, step));
  return out;
}

std::string stop_or(const Script& s, const char* normal) {
  return s.stop_reason.empty() ? std::string(normal) : s.stop_reason;
}

// --- OpenAI ----------------------------------------------------------------------------

ojson openai_chunk(const ReplyContext& ctx, ojson choices) {
  ojson o;
  o["id"] = ctx.id;
  o["object"] = "chat.completion.chunk";
  o["created"] = ctx.created;
  o["model"] = ctx.model;
  o["choices"] = std::move(choices);
  return o;
}

ojson openai_choice(ojson delta, ojson finish_reason) {
  ojson c;
  c["index"] = 0;
  c["delta"] = std::move(delta);
  c["finish_reason"] = std::move(finish_reason);
  return ojson::array({std::move(c)});
}

ojson openai_usage(const Script& s) {
  ojson u;
  u["prompt_tokens"] = s.input_tokens;
  u["completion_tokens"] = s.output_tokens;
  u["total_tokens"] = s.input_tokens + s.output_tokens;
  return u;
}

struct TypeCode {
  std::string type, code;
};

TypeCode openai_error_kind(int status, const std::string& message) {
  if (status == 400) {
    if (lower(message).find("context") != std::string::npos)
      return {"invalid_request_error", "context_length_exceeded"};
    return {"invalid_request_error", "invalid_request_error"};
  }
  switch (status) {
    case 401:
      return {"invalid_request_error", "invalid_api_key"};
    case 403:
      return {"permission_error", "permission_denied"};
    case 404:
      return {"invalid_request_error", "model_not_found"};
    case 408:
      return {"timeout", "timeout"};
    case 413:
      return {"invalid_request_error", "request_too_large"};
    case 429:
      return {"rate_limit_exceeded", "rate_limit_exceeded"};
    case 503:
      return {"server_error", "service_unavailable"};
    default:
      break;
  }
  if (status >= 500) return {"server_error", "server_error"};
  return {"invalid_request_error", "invalid_request_error"};
}

std::string anthropic_error_type(int status) {
  switch (status) {
    case 400:
      return "invalid_request_error";
    case 401:
      return "authentication_error";
    case 402:
      return "billing_error";
    case 403:
      return "permission_error";
    case 404:
      return "not_found_error";
    case 413:
      return "request_too_large";
    case 429:
      return "rate_limit_error";
    case 503:
      return "overloaded_error";
    case 504:
      return "timeout_error";
    case 529:
      return "overloaded_error";
    default:
      break;
  }
  return status >= 500 ? "api_error" : "invalid_request_error";
}

ojson anthropic_error(const std::string& type, const std::string& message) {
  ojson e;
  e["type"] = "error";
  e["error"]["type"] = type;
  e["error"]["message"] = message;
  return e;
}

// --- Ollama ----------------------------------------------------------------------------

ojson ollama_line(const ReplyContext& ctx, const std::string& content, bool done) {
  ojson o;
  o["model"] = ctx.model;
  o["created_at"] = ctx.created_at;
  o["message"]["role"] = "assistant";
  o["message"]["content"] = content;
  o["done"] = done;
  return o;
}

ojson ollama_done(const ReplyContext& ctx, const Script& s, const std::string& content) {
  ojson o = ollama_line(ctx, content, true);
  o["done_reason"] = stop_or(s, "stop");
  o["total_duration"] = 1'000'000 + 50'000 * (s.input_tokens + s.output_tokens);
  o["load_duration"] = 100'000;
  o["prompt_eval_count"] = s.input_tokens;
  o["prompt_eval_duration"] = 20'000 * s.input_tokens;
  o["eval_count"] = s.output_tokens;
  o["eval_duration"] = 30'000 * s.output_tokens;
  return o;
}

}  // namespace

const char* api_name(Api api) {
  switch (api) {
    case Api::kOpenAI:
      return "openai";
    case Api::kAnthropic:
      return "anthropic";
    case Api::kOllama:
      return "ollama";
  }
  return "openai";
}

Route route_for(std::string_view path) {
  if (ends_with(path, "/chat/completions")) return Route::kOpenAI;
  if (ends_with(path, "/v1/messages")) return Route::kAnthropic;
  if (ends_with(path, "/api/chat")) return Route::kOllama;
  if (ends_with(path, "/api/tags")) return Route::kTags;
  if (path == "/models" || ends_with(path, "/models")) return Route::kModels;
  return Route::kUnknown;
}

namespace {
// An anthropic user message made only of tool_result blocks.
bool is_tool_result_message(const nlohmann::json& m) {
  auto c = m.find("content");
  if (c == m.end() || !c->is_array() || c->empty()) return false;
  for (const auto& part : *c)
    if (!part.is_object() || part.value("type", nlohmann::json()) != "tool_result") return false;
  return true;
}

std::string content_text(const nlohmann::json& c) {
  if (c.is_string()) return c.get<std::string>();
  std::string out;
  if (c.is_array())
    for (const auto& part : c)
      if (part.is_object() && part.contains("text") && part["text"].is_string())
        out += part["text"].get<std::string>();
  return out;
}
}  // namespace

std::optional<std::string> last_tool_result(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array() || it->empty()) return std::nullopt;
  const nlohmann::json& m = it->back();
  if (!m.is_object()) return std::nullopt;
  if (m.value("role", nlohmann::json()) == "tool")
    return content_text(m.value("content", nlohmann::json()));
  if (m.value("role", nlohmann::json()) == "user" && is_tool_result_message(m)) {
    std::string out;
    for (const auto& part : m["content"])
      out += content_text(part.value("content", nlohmann::json()));
    return out;
  }
  return std::nullopt;
}

std::string last_user_text(const nlohmann::json& body) {
  if (!body.is_object()) return "";
  auto it = body.find("messages");
  if (it == body.end() || !it->is_array()) return "";
  for (auto m = it->rbegin(); m != it->rend(); ++m) {
    if (!m->is_object() || m->value("role", nlohmann::json()) != "user") continue;
    if (is_tool_result_message(*m)) continue;
    auto c = m->find("content");
    if (c == m->end()) return "";
    if (c->is_string()) return c->get<std::string>();
    std::string out;
    bool first = true;
    if (c->is_array()) {
      for (const auto& part : *c) {
        if (!part.is_object() || part.value("type", nlohmann::json()) != "text") continue;
        auto t = part.find("text");
        if (t == part.end() || !t->is_string()) continue;
        if (!first) out += '\n';
        out += t->get<std::string>();
        first = false;
      }
    }
    return out;
  }
  return "";
}

std::string request_model(const nlohmann::json& body) {
  if (body.is_object()) {
    auto it = body.find("model");
    if (it != body.end() && it->is_string() && !it->get<std::string>().empty())
      return it->get<std::string>();
  }
  return "fake-model";
}

bool wants_stream(Api api, const nlohmann::json& body) {
  nlohmann::json stream;
  if (body.is_object()) stream = body.value("stream", nlohmann::json());
  if (api == Api::kOllama) return !(stream.is_boolean() && !stream.get<bool>());
  return stream.is_boolean() && stream.get<bool>();
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> out;
  std::size_t i = 0;
  auto space = [&](std::size_t k) { return std::isspace(static_cast<unsigned char>(text[k])); };
  std::size_t start = 0;
  while (i < text.size() && space(i)) ++i;  // leading spaces stay with the first piece
  while (i < text.size()) {
    while (i < text.size() && !space(i)) ++i;
    while (i < text.size() && space(i)) ++i;
    out.emplace_back(text.substr(start, i - start));
    start = i;
  }
  if (out.empty()) out.emplace_back(text);
  return out;
}

StreamPlan plan_stream(Api api, const ReplyContext& ctx, const Script& s,
                       const std::vector<std::string>& pieces) {
  StreamPlan p;
  switch (api) {
    case Api::kOpenAI: {
      p.content_type = "text/event-stream";
      for (std::size_t i = 0; i < pieces.size(); ++i) {
        ojson delta;
        if (i == 0) delta["role"] = "assistant";
        delta["content"] = pieces[i];
        p.chunks.push_back(sse(openai_chunk(ctx, openai_choice(std::move(delta), nullptr))));
      }
      for (std::size_t t = 0; t < s.tool_calls.size(); ++t) {
        const FakeToolCall& tc = s.tool_calls[t];
        std::vector<std::string> parts = cut(tc.arguments, tc.pieces);
        for (std::size_t k = 0; k < parts.size(); ++k) {
          ojson call;
          call["index"] = t;
          if (k == 0) {
            call["id"] = tc.id.empty() ? "call_" + std::to_string(t) : tc.id;
            call["type"] = "function";
            call["function"]["name"] = tc.name;
          }
          call["function"]["arguments"] = parts[k];
          ojson delta;
          if (pieces.empty() && t == 0 && k == 0) {
            delta["role"] = "assistant";
            delta["content"] = nullptr;
          }
          delta["tool_calls"] = ojson::array({std::move(call)});
          p.chunks.push_back(sse(openai_chunk(ctx, openai_choice(std::move(delta), nullptr))));
        }
      }
      p.malformed = "data: {\"id\":\"" + ctx.id + "\",\"choices\":[{not json\n\n";
      ojson err;
      err["error"]["message"] = s.error_message;
      err["error"]["type"] = s.error_type.empty() ? "server_error" : s.error_type;
      p.error = sse(err);
      p.finish.push_back(sse(openai_chunk(
          ctx, openai_choice(ojson::object(),
                             stop_or(s, s.tool_calls.empty() ? "stop" : "tool_calls")))));
      if (ctx.include_usage) {
        ojson u = openai_chunk(ctx, ojson::array());
        u["usage"] = openai_usage(s);
        p.finish.push_back(sse(u));
      }
      p.finish.push_back("data: [DONE]\n\n");
      break;
    }
    case Api::kAnthropic: {
      p.content_type = "text/event-stream";
      ojson start;
      start["type"] = "message_start";
      ojson& m = start["message"];
      m["id"] = ctx.id;
      m["type"] = "message";
      m["role"] = "assistant";
      m["content"] = ojson::array();
      m["model"] = ctx.model;
      m["stop_reason"] = nullptr;
      m["stop_sequence"] = nullptr;
      m["usage"]["input_tokens"] = s.input_tokens;
      m["usage"]["output_tokens"] = 1;
      p.preamble.push_back(sse("message_start", start));
      ojson block;
      block["type"] = "content_block_start";
      block["index"] = 0;
      block["content_block"]["type"] = "text";
      block["content_block"]["text"] = "";
      p.preamble.push_back(sse("content_block_start", block));
      p.preamble.push_back(sse("ping", ojson{{"type", "ping"}}));
      for (const auto& piece : pieces) {
        ojson d;
        d["type"] = "content_block_delta";
        d["index"] = 0;
        d["delta"]["type"] = "text_delta";
        d["delta"]["text"] = piece;
        p.chunks.push_back(sse("content_block_delta", d));
      }
      if (!s.tool_calls.empty()) {  // the text block ends before the tool_use blocks
        p.chunks.push_back(
            sse("content_block_stop", ojson{{"type", "content_block_stop"}, {"index", 0}}));
        for (std::size_t t = 0; t < s.tool_calls.size(); ++t) {
          const FakeToolCall& tc = s.tool_calls[t];
          int index = static_cast<int>(t) + 1;
          ojson b;
          b["type"] = "content_block_start";
          b["index"] = index;
          b["content_block"]["type"] = "tool_use";
          b["content_block"]["id"] = tc.id.empty() ? "toolu_" + std::to_string(t) : tc.id;
          b["content_block"]["name"] = tc.name;
          b["content_block"]["input"] = ojson::object();
          p.chunks.push_back(sse("content_block_start", b));
          for (const std::string& part : cut(tc.arguments, tc.pieces)) {
            ojson d;
            d["type"] = "content_block_delta";
            d["index"] = index;
            d["delta"]["type"] = "input_json_delta";
            d["delta"]["partial_json"] = part;
            p.chunks.push_back(sse("content_block_delta", d));
          }
          p.chunks.push_back(
              sse("content_block_stop", ojson{{"type", "content_block_stop"}, {"index", index}}));
        }
      }
      p.malformed =
          "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",{not json\n\n";
      p.error =
          sse("error", anthropic_error(s.error_type.empty() ? "overloaded_error" : s.error_type,
                                       s.error_message));
      if (s.tool_calls.empty()) {
        ojson stop;
        stop["type"] = "content_block_stop";
        stop["index"] = 0;
        p.finish.push_back(sse("content_block_stop", stop));
      }
      ojson md;
      md["type"] = "message_delta";
      md["delta"]["stop_reason"] = stop_or(s, s.tool_calls.empty() ? "end_turn" : "tool_use");
      md["delta"]["stop_sequence"] = nullptr;
      md["usage"]["output_tokens"] = s.output_tokens;
      p.finish.push_back(sse("message_delta", md));
      p.finish.push_back(sse("message_stop", ojson{{"type", "message_stop"}}));
      break;
    }
    case Api::kOllama: {
      p.content_type = "application/x-ndjson";
      for (const auto& piece : pieces) p.chunks.push_back(ndjson(ollama_line(ctx, piece, false)));
      if (!s.tool_calls.empty()) {  // ollama sends all calls at once, arguments as objects
        ojson line = ollama_line(ctx, "", false);
        ojson calls = ojson::array();
        for (const FakeToolCall& tc : s.tool_calls) {
          ojson c;
          c["function"]["name"] = tc.name;
          ojson args = ojson::parse(tc.arguments, nullptr, false);
          c["function"]["arguments"] = args.is_discarded() ? ojson(tc.arguments) : args;
          calls.push_back(std::move(c));
        }
        line["message"]["tool_calls"] = std::move(calls);
        p.chunks.push_back(ndjson(line));
      }
      p.malformed = "{\"model\":\"" + ctx.model + "\",\"message\":{not json\n";
      p.error = ndjson(ojson{{"error", s.error_message}});
      p.finish.push_back(ndjson(ollama_done(ctx, s, "")));
      break;
    }
  }
  return p;
}

std::string full_body(Api api, const ReplyContext& ctx, const Script& s, const std::string& text) {
  switch (api) {
    case Api::kOpenAI: {
      ojson o;
      o["id"] = ctx.id;
      o["object"] = "chat.completion";
      o["created"] = ctx.created;
      o["model"] = ctx.model;
      ojson c;
      c["index"] = 0;
      c["message"]["role"] = "assistant";
      c["message"]["content"] = text;
      c["message"]["refusal"] = nullptr;
      c["logprobs"] = nullptr;
      c["finish_reason"] = stop_or(s, "stop");
      o["choices"] = ojson::array({c});
      o["usage"] = openai_usage(s);
      return text_of(o);
    }
    case Api::kAnthropic: {
      ojson o;
      o["id"] = ctx.id;
      o["type"] = "message";
      o["role"] = "assistant";
      o["model"] = ctx.model;
      ojson block;
      block["type"] = "text";
      block["text"] = text;
      o["content"] = ojson::array({block});
      o["stop_reason"] = stop_or(s, "end_turn");
      o["stop_sequence"] = nullptr;
      o["usage"]["input_tokens"] = s.input_tokens;
      o["usage"]["output_tokens"] = s.output_tokens;
      return text_of(o);
    }
    case Api::kOllama:
      return text_of(ollama_done(ctx, s, text));
  }
  return "{}";
}

std::string error_body(Api api, int status, const std::string& message, const std::string& type) {
  switch (api) {
    case Api::kOpenAI: {
      TypeCode tc = type.empty() ? openai_error_kind(status, message) : TypeCode{type, type};
      ojson e;
      e["error"]["message"] = message;
      e["error"]["type"] = tc.type;
      e["error"]["param"] = nullptr;
      e["error"]["code"] = tc.code;
      return text_of(e);
    }
    case Api::kAnthropic:
      return text_of(anthropic_error(type.empty() ? anthropic_error_type(status) : type, message));
    case Api::kOllama:
      return text_of(ojson{{"error", message}});
  }
  return "{}";
}

std::string not_found_body(const std::string& method, const std::string& target) {
  ojson e;
  e["error"]["message"] = "fake LLM: no route for " + method + " " + target;
  e["error"]["type"] = "invalid_request_error";
  e["error"]["param"] = nullptr;
  e["error"]["code"] = "unknown_url";
  return text_of(e);
}

std::string reason_for(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 402:
      return "Payment Required";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 422:
      return "Unprocessable Entity";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Site Overloaded";
    default:
      break;
  }
  return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "Status";
}

const std::vector<std::string>& fixed_model_ids() {
  static const std::vector<std::string> ids = {"fake-model", "gpt-4o-mini", "claude-sonnet-4-5",
                                               "llama3.2"};
  return ids;
}

std::string models_body(Api api, const std::vector<std::string>& ids) {
  ojson list = ojson::array();
  for (const auto& id : ids) {
    ojson m;
    switch (api) {
      case Api::kOpenAI:
        m["id"] = id;
        m["object"] = "model";
        m["created"] = 1700000000;
        m["owned_by"] = "fake";
        break;
      case Api::kAnthropic:
        m["type"] = "model";
        m["id"] = id;
        m["display_name"] = id;
        m["created_at"] = "2025-01-01T00:00:00Z";
        break;
      case Api::kOllama:
        m["name"] = id;
        m["model"] = id;
        m["modified_at"] = "2025-01-01T00:00:00Z";
        m["size"] = 0;
        m["digest"] = "";
        m["details"]["format"] = "gguf";
        m["details"]["family"] = "fake";
        break;
    }
    list.push_back(std::move(m));
  }
  ojson o;
  switch (api) {
    case Api::kOpenAI:
      o["object"] = "list";
      o["data"] = std::move(list);
      break;
    case Api::kAnthropic:
      o["data"] = list;
      o["has_more"] = false;
      o["first_id"] = ids.empty() ? ojson(nullptr) : ojson(ids.front());
      o["last_id"] = ids.empty() ? ojson(nullptr) : ojson(ids.back());
      break;
    case Api::kOllama:
      o["models"] = std::move(list);
      break;
  }
  return text_of(o);
}

}  // namespace sctest::fakes::wire
