// POST /v1/chat/completions and GET /v1/models: OpenAI's Chat Completions API, each request
// an agent run (agent_run.h). Off unless gateway.http.endpoints.chat_completions.enabled.
//
// Messages map onto the run: system and developer messages become extra system text for
// this run, the last user message is the run's message, and the turns before it are given
// to the model as context (in the system text; they are not added to the transcript).
// Non-streaming answers one chat.completion; `stream: true` answers server-sent events:
// chat.completion.chunk frames (role, content deltas, the finish reason, usage when
// stream_options.include_usage), then `data: [DONE]`. A failure after the stream started is
// a `data: {"error": ...}` frame, which OpenAI's clients raise as an error.
#include "base/ids.h"
#include "base/log.h"
#include "gateway/http/agent_run.h"

namespace simpleclaw::gateway {
namespace {

Json completion_usage(const HttpRunEnd& e) {
  return Json{{"prompt_tokens", e.input_tokens},
              {"completion_tokens", e.output_tokens},
              {"total_tokens", e.input_tokens + e.output_tokens}};
}

Json completion_chunk(const std::string& id, std::int64_t created, const std::string& model,
                      Json delta, Json finish_reason) {
  return Json{{"id", id},
              {"object", "chat.completion.chunk"},
              {"created", created},
              {"model", model},
              {"choices", Json::array({Json{{"index", 0},
                                            {"delta", std::move(delta)},
                                            {"finish_reason", std::move(finish_reason)}}})}};
}

void chat_completions(const HttpApiDeps& d, HttpCall& call) {
  auto body = json_body(call.req);
  if (!body.ok()) return call.reply->answer(openai_error(body.error()));
  const Json& b = *body;
  if (b.contains("model") && !b["model"].is_string())
    return call.reply->answer(openai_error(Error::invalid("model must be a string")));
  if (b.contains("stream") && !b["stream"].is_boolean() && !b["stream"].is_null())
    return call.reply->answer(openai_error(Error::invalid("stream must be a boolean")));
  if (b.contains("user") && !b["user"].is_string() && !b["user"].is_null())
    return call.reply->answer(openai_error(Error::invalid("user must be a string")));
  const std::string requested = b.value("model", std::string());
  const bool stream = b.value("stream", false) == true;
  const bool include_usage = b.contains("stream_options") && b["stream_options"].is_object() &&
                             b["stream_options"].value("include_usage", false) == true;
  auto agent = agent_for_model(d, requested);
  if (!agent.ok()) return call.reply->answer(openai_error(agent.error()));
  auto input = conversation_input(b.contains("messages") ? b["messages"] : Json(), {},
                                  ConversationSyntax{"messages", true});
  if (!input.ok()) return call.reply->answer(openai_error(input.error()));
  const std::string user =
      b.contains("user") && b["user"].is_string() ? b["user"].get<std::string>() : "";
  auto key = session_for(d, call, *agent, user);
  if (!key.ok()) return call.reply->answer(openai_error(key.error()));

  const std::string id = "chatcmpl-" + uuid_v4();
  const std::int64_t created = d.clock.wall_ms() / 1000;
  const std::string model = requested.empty() ? "openclaw/" + *agent : requested;
  const std::string session_key = key->key;
  auto reply = call.reply;
  HttpRunSpec spec{std::move(key).value(), std::move(input->message),
                   std::move(input->extra_system)};
  if (!stream) {
    return start_http_run(
        d, std::move(spec), reply,
        HttpRunHooks{
            nullptr, nullptr, nullptr,
            [reply, id, created, model, session_key](Result<HttpRunEnd> r) {
              if (!r.ok()) return reply->answer(openai_error(r.error()));
              Json out{
                  {"id", id},
                  {"object", "chat.completion"},
                  {"created", created},
                  {"model", model},
                  {"choices",
                   Json::array({Json{{"index", 0},
                                     {"message", Json{{"role", "assistant"}, {"content", r->text}}},
                                     {"finish_reason", "stop"}}})},
                  {"usage", completion_usage(*r)}};
              reply->answer(HttpAnswer{200,
                                       "application/json",
                                       json_text(out),
                                       "",
                                       "no-store",
                                       {{"x-simpleclaw-session-key", session_key}}});
            }});
  }
  reply->stream(200, "text/event-stream; charset=utf-8",
                {{"x-simpleclaw-session-key", session_key}, {"X-Accel-Buffering", "no"}});
  reply->write(sse_data(
      completion_chunk(id, created, model, Json{{"role", "assistant"}, {"content", ""}}, nullptr)));
  start_http_run(
      d, std::move(spec), reply,
      HttpRunHooks{nullptr,
                   [reply, id, created, model](std::string_view delta) {
                     reply->write(sse_data(completion_chunk(
                         id, created, model, Json{{"content", std::string(delta)}}, nullptr)));
                   },
                   [reply] { reply->write(std::string(kSseKeepAlive)); },
                   [reply, id, created, model, include_usage](Result<HttpRunEnd> r) {
                     if (!r.ok()) {
                       HttpAnswer e = openai_error(r.error());
                       reply->write("data: " + e.body + "\n\n");
                     } else {
                       reply->write(
                           sse_data(completion_chunk(id, created, model, Json::object(), "stop")));
                       if (include_usage)
                         reply->write(sse_data(Json{{"id", id},
                                                    {"object", "chat.completion.chunk"},
                                                    {"created", created},
                                                    {"model", model},
                                                    {"choices", Json::array()},
                                                    {"usage", completion_usage(*r)}}));
                     }
                     reply->write("data: [DONE]\n\n");
                     reply->end();
                   }});
}

void list_models(const HttpApiDeps& d, HttpCall& call) {
  Json list = model_list(d, call.caller, d.clock.wall_ms() / 1000);
  std::string_view path = call.req.path();
  if (path == "/v1/models" || path == "/v1/models/")
    return call.reply->answer(HttpAnswer{200, "application/json", json_text(list), ""});
  // Clients percent-encode the id's slash (the openai npm client asks for openclaw%2Fmain).
  auto hex = [](char c) {
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
  };
  std::string id;
  const std::string_view raw = path.substr(std::string_view("/v1/models/").size());
  for (std::size_t i = 0; i < raw.size() && id.size() < 256; ++i) {
    if (raw[i] == '%' && i + 2 < raw.size() && hex(raw[i + 1]) >= 0 && hex(raw[i + 2]) >= 0) {
      id += static_cast<char>(hex(raw[i + 1]) * 16 + hex(raw[i + 2]));
      i += 2;
    } else {
      id += raw[i];
    }
  }
  for (const Json& m : list["data"])
    if (m["id"] == id)
      return call.reply->answer(HttpAnswer{200, "application/json", json_text(m), ""});
  call.reply->answer(openai_error(Error::not_found(
      "model not found: " + id.substr(0, 100) + "; GET /v1/models lists them", "model_not_found")));
}

}  // namespace

void add_openai_chat_routes(HttpRouter& router, const HttpApiDeps& d) {
  auto on = [&config = d.config] {
    return config.cfg().gateway.http.endpoints.chat_completions.enabled;
  };
  const std::string hint = "gateway.http.endpoints.chat_completions.enabled";
  router.add(HttpRoute{"POST", "/v1/chat/completions", HttpRoute::Auth::kBearer,
                       protocol::Scope::kWrite, [d](HttpCall& c) { chat_completions(d, c); }, on,
                       hint});
  router.add(HttpRoute{"GET", "/v1/models", HttpRoute::Auth::kBearer, protocol::Scope::kRead,
                       [d](HttpCall& c) { list_models(d, c); }, on, hint});
  router.add(HttpRoute{"GET", "/v1/models/", HttpRoute::Auth::kBearer, protocol::Scope::kRead,
                       [d](HttpCall& c) { list_models(d, c); }, on, hint});
}

}  // namespace simpleclaw::gateway
