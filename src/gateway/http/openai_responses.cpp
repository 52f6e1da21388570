// POST /v1/responses: the OpenResponses (OpenAI Responses API) shape over agent runs
// (agent_run.h). Off unless gateway.http.endpoints.responses.enabled.
//
// `input` is a string (the message) or a list of items: messages ({type?: "message", role,
// content: string | [{type: input_text | output_text, text}]}); `instructions` and system
// or developer messages become extra system text for this run, the last user message is
// the run's message and the items before it are context. `previous_response_id` continues
// that response's session (kept in memory for the last kMaxRemembered responses; after a
// restart, name the session with x-simpleclaw-session-key instead). Non-streaming answers
// the response object; `stream: true` answers server-sent events: response.created,
// response.in_progress, response.output_item.added, response.content_part.added,
// response.output_text.delta (one per reply delta), response.output_text.done,
// response.content_part.done, response.output_item.done, response.completed; a failure is
// response.failed followed by an `error` event.
#include <deque>
#include <unordered_map>

#include "base/ids.h"
#include "gateway/http/agent_run.h"

namespace simpleclaw::gateway {
namespace {

// Which session each recent response ran in (previous_response_id). Loop thread only.
class ResponseSessions {
 public:
  static constexpr std::size_t kMaxRemembered = 4096;
  void remember(const std::string& response_id, const std::string& key) {
    if (keys_.emplace(response_id, key).second) order_.push_back(response_id);
    while (order_.size() > kMaxRemembered) {
      keys_.erase(order_.front());
      order_.pop_front();
    }
  }
  const std::string* find(const std::string& response_id) const {
    auto it = keys_.find(response_id);
    return it == keys_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, std::string> keys_;
  std::deque<std::string> order_;
};

// `input`: a string (the message) or message items.
Result<ConversationInput> map_input(const Json& input, const std::string& instructions) {
  if (input.is_string()) {
    if (input.get_ref<const std::string&>().empty())
      return Error::invalid("the user message is empty");
    return with_context(ConversationInput{input.get<std::string>(), {}}, instructions, {});
  }
  if (!input.is_array() || input.empty())
    return Error::invalid("input must be a string or a non-empty array of message items");
  return conversation_input(input, instructions, ConversationSyntax{"input", false});
}

// What a response object says about itself; `output`/`usage` filled when it completed.
struct ResponseMeta {
  std::string id, msg_id, model, instructions, previous;
  std::int64_t created = 0;
};

Json message_item(const ResponseMeta& m, const std::string& text, const char* status) {
  Json content = Json::array();
  if (std::string_view(status) == "completed")
    content.push_back(
        Json{{"type", "output_text"}, {"text", text}, {"annotations", Json::array()}});
  return Json{{"type", "message"},
              {"id", m.msg_id},
              {"status", status},
              {"role", "assistant"},
              {"content", std::move(content)}};
}

Json response_object(const ResponseMeta& m, const char* status, const HttpRunEnd* end,
                     const Error* error) {
  Json output = Json::array();
  if (end) output.push_back(message_item(m, end->text, "completed"));
  Json usage = nullptr;
  if (end)
    usage = Json{{"input_tokens", end->input_tokens},
                 {"output_tokens", end->output_tokens},
                 {"total_tokens", end->input_tokens + end->output_tokens}};
  Json err = nullptr;
  if (error) {
    err = Json{{"code", error->detail_code().empty() ? "server_error" : error->detail_code()},
               {"message", error->message}};
  }
  return Json{{"id", m.id},
              {"object", "response"},
              {"created_at", m.created},
              {"status", status},
              {"model", m.model},
              {"instructions", m.instructions.empty() ? Json() : Json(m.instructions)},
              {"previous_response_id", m.previous.empty() ? Json() : Json(m.previous)},
              {"output", std::move(output)},
              {"usage", std::move(usage)},
              {"error", std::move(err)},
              {"incomplete_details", nullptr},
              {"parallel_tool_calls", false},
              {"tool_choice", "auto"},
              {"tools", Json::array()},
              {"metadata", Json::object()}};
}

// The streamed events carry a sequence number each.
struct EventSeq {
  std::shared_ptr<HttpReply> reply;
  std::int64_t n = 0;
  void send(const char* type, Json data) {
    data["type"] = type;
    data["sequence_number"] = n++;
    reply->write(sse_event(type, data));
  }
};

void create_response(const HttpApiDeps& d, const std::shared_ptr<ResponseSessions>& sessions,
                     HttpCall& call) {
  auto body = json_body(call.req);
  if (!body.ok()) return call.reply->answer(openai_error(body.error()));
  const Json& b = *body;
  for (const char* f : {"model", "instructions", "previous_response_id", "user"})
    if (b.contains(f) && !b[f].is_string() && !b[f].is_null())
      return call.reply->answer(openai_error(Error::invalid(std::string(f) + " must be a string")));
  if (b.contains("stream") && !b["stream"].is_boolean() && !b["stream"].is_null())
    return call.reply->answer(openai_error(Error::invalid("stream must be a boolean")));
  auto str = [&](const char* f) {
    return b.contains(f) && b[f].is_string() ? b[f].get<std::string>() : std::string();
  };
  const std::string requested = str("model"), instructions = str("instructions"),
                    previous = str("previous_response_id"), user = str("user");
  const bool stream = b.value("stream", false) == true;
  auto agent = agent_for_model(d, requested);
  if (!agent.ok()) return call.reply->answer(openai_error(agent.error()));
  auto input = map_input(b.contains("input") ? b["input"] : Json(), instructions);
  if (!input.ok()) return call.reply->answer(openai_error(input.error()));
  std::string named;
  if (!previous.empty()) {
    const std::string* k = sessions->find(previous);
    if (!k)
      return call.reply->answer(openai_error(Error::not_found(
          "previous response not found: " + previous.substr(0, 80) +
              " (responses are remembered until the gateway restarts; name the session with "
              "x-simpleclaw-session-key instead)",
          "previous_response_not_found")));
    named = *k;
  }
  auto key = session_for(d, call, *agent, user, named);
  if (!key.ok()) return call.reply->answer(openai_error(key.error()));

  const std::string rid = uuid_v4();
  ResponseMeta meta{
      "resp_" + rid, "msg_" + rid, requested.empty() ? "openclaw/" + *agent : requested,
      instructions,  previous,     d.clock.wall_ms() / 1000};
  const std::string session_key = key->key;
  sessions->remember(meta.id, session_key);
  auto reply = call.reply;
  HttpRunSpec spec{std::move(key).value(), std::move(input->message),
                   std::move(input->extra_system)};
  if (!stream) {
    return start_http_run(
        d, std::move(spec), reply,
        HttpRunHooks{nullptr, nullptr, nullptr, [reply, meta, session_key](Result<HttpRunEnd> r) {
                       if (!r.ok()) return reply->answer(openai_error(r.error()));
                       reply->answer(
                           HttpAnswer{200,
                                      "application/json",
                                      json_text(response_object(meta, "completed", &*r, nullptr)),
                                      "",
                                      "no-store",
                                      {{"x-simpleclaw-session-key", session_key}}});
                     }});
  }
  reply->stream(200, "text/event-stream; charset=utf-8",
                {{"x-simpleclaw-session-key", session_key}, {"X-Accel-Buffering", "no"}});
  auto seq = std::make_shared<EventSeq>(EventSeq{reply});
  seq->send("response.created",
            Json{{"response", response_object(meta, "in_progress", nullptr, nullptr)}});
  seq->send("response.in_progress",
            Json{{"response", response_object(meta, "in_progress", nullptr, nullptr)}});
  seq->send("response.output_item.added",
            Json{{"output_index", 0}, {"item", message_item(meta, "", "in_progress")}});
  seq->send(
      "response.content_part.added",
      Json{{"item_id", meta.msg_id},
           {"output_index", 0},
           {"content_index", 0},
           {"part", Json{{"type", "output_text"}, {"text", ""}, {"annotations", Json::array()}}}});
  start_http_run(
      d, std::move(spec), reply,
      HttpRunHooks{
          nullptr,
          [seq, meta](std::string_view delta) {
            seq->send("response.output_text.delta", Json{{"item_id", meta.msg_id},
                                                         {"output_index", 0},
                                                         {"content_index", 0},
                                                         {"delta", std::string(delta)}});
          },
          [reply] { reply->write(std::string(kSseKeepAlive)); },
          [reply, seq, meta](Result<HttpRunEnd> r) {
            if (!r.ok()) {
              seq->send("response.failed",
                        Json{{"response", response_object(meta, "failed", nullptr, &r.error())}});
              seq->send("error", Json{{"code", r.error().detail_code().empty()
                                                   ? Json()
                                                   : Json(r.error().detail_code())},
                                      {"message", r.error().message},
                                      {"param", nullptr}});
              return reply->end();
            }
            const std::string& text = r->text;
            seq->send("response.output_text.done", Json{{"item_id", meta.msg_id},
                                                        {"output_index", 0},
                                                        {"content_index", 0},
                                                        {"text", text}});
            seq->send("response.content_part.done",
                      Json{{"item_id", meta.msg_id},
                           {"output_index", 0},
                           {"content_index", 0},
                           {"part", Json{{"type", "output_text"},
                                         {"text", text},
                                         {"annotations", Json::array()}}}});
            seq->send("response.output_item.done",
                      Json{{"output_index", 0}, {"item", message_item(meta, text, "completed")}});
            seq->send("response.completed",
                      Json{{"response", response_object(meta, "completed", &*r, nullptr)}});
            reply->end();
          }});
}

}  // namespace

void add_openai_responses_routes(HttpRouter& router, const HttpApiDeps& d) {
  auto sessions = std::make_shared<ResponseSessions>();
  router.add(HttpRoute{
      "POST", "/v1/responses", HttpRoute::Auth::kBearer, protocol::Scope::kWrite,
      [d, sessions](HttpCall& c) { create_response(d, sessions, c); },
      [&config = d.config] { return config.cfg().gateway.http.endpoints.responses.enabled; },
      "gateway.http.endpoints.responses.enabled"});
}

}  // namespace simpleclaw::gateway
