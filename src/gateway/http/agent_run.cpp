#include "gateway/http/agent_run.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "base/crypto.h"
#include "base/ids.h"
#include "base/log.h"
#include "gateway/state/users.h"

namespace simpleclaw::gateway {
namespace {

// A `user` field as part of a session key: kept when it is a plain name, else hashed (a
// key stays short and lower-case, and odd bytes never reach it).
std::string user_key_part(std::string_view user) {
  bool plain = !user.empty() && user.size() <= 64;
  for (char c : user)
    plain = plain && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                      c == '.' || c == '@');
  if (plain) return std::string(user);
  return "h" + sha256_hex(user).substr(0, 24);
}

std::string_view session_header(const HttpRequest& req) {
  std::string_view h = req.header("x-simpleclaw-session-key");
  return h.empty() ? req.header("x-openclaw-session-key") : h;
}

// The state of one HTTP-started run, shared by its callbacks.
struct HttpRunState {
  HttpApiDeps d;
  std::shared_ptr<HttpReply> reply;
  HttpRunHooks hooks;
  std::string key, run_id;
  std::uint64_t follower = 0;
  std::unique_ptr<boost::asio::steady_timer> keepalive;
  std::string denied;  // the denial that ended the run
  bool cancelled = false, ended = false;

  void end(Result<HttpRunEnd> r) {
    if (ended) return;
    ended = true;
    if (follower) d.waiters.unfollow(run_id, follower);
    follower = 0;
    if (keepalive) keepalive->cancel();
    if (auto fn = std::move(hooks.on_end)) fn(std::move(r));
  }
};

void keepalive_tick(const std::shared_ptr<HttpRunState>& s) {
  s->keepalive->expires_after(std::chrono::milliseconds(kKeepAliveMs));
  s->keepalive->async_wait([s](const boost::system::error_code& ec) {
    if (ec || s->ended) return;
    if (s->hooks.on_keepalive) s->hooks.on_keepalive();
    keepalive_tick(s);
  });
}

void http_run_ended(const std::shared_ptr<HttpRunState>& s, const RunEnd* e) {
  if (!e) return s->end(Error::timeout("the run did not end"));
  if (!s->denied.empty()) return s->end(Error::forbidden(s->denied, "TOOL_DENIED"));
  if (e->status == sessions::RunStatus::kFinal)
    return s->end(HttpRunEnd{e->run_id, e->session_key, e->text, e->model, e->input_tokens,
                             e->output_tokens});
  if (e->timed_out) return s->end(Error::timeout("the run exceeded its timeout and was aborted"));
  if (e->status == sessions::RunStatus::kAborted)
    return s->end(Error::cancelled(s->cancelled ? "the client went away; the run was aborted"
                                                : "the run was aborted (chat.abort)"));
  s->end(Error::internal(e->error.empty() ? std::string("the run failed") : e->error));
}

}  // namespace

Result<std::string> agent_for_model(const HttpApiDeps& d, std::string_view model) {
  const std::string& def = d.agents.default_id();
  if (model.empty() || model == "openclaw" || model == "simpleclaw") return def;
  std::string_view id;
  for (std::string_view prefix :
       {"openclaw/", "openclaw:", "simpleclaw/", "simpleclaw:", "agent:"}) {
    if (model.substr(0, prefix.size()) == prefix) {
      id = model.substr(prefix.size());
      if (id.empty()) return def;
      if (!d.agents.find(id))
        return Error::not_found("model not found: " + std::string(model) +
                                    "; GET /v1/models lists the agents (openclaw/<agentId>)",
                                "model_not_found");
      return std::string(id);
    }
  }
  return def;
}

Json model_list(const HttpApiDeps& d, const Admission& caller, std::int64_t created_s) {
  Json data = Json::array();
  auto add = [&](std::string id, const std::string& agent) {
    data.push_back(Json{{"id", std::move(id)},
                        {"object", "model"},
                        {"created", created_s},
                        {"owned_by", "simpleclaw"},
                        {"agent_id", agent}});
  };
  add("openclaw", d.agents.default_id());
  for (const config::AgentConfig& a : d.config.cfg().agents.list) {
    if (caller.user && !caller.user->may_use_agent(a.id)) continue;
    add("openclaw/" + a.id, a.id);  // what clients set up for OpenClaw ask for
    add("simpleclaw/" + a.id, a.id);
  }
  return Json{{"object", "list"}, {"data", std::move(data)}};
}

Result<sessions::SessionKey> session_for(const HttpApiDeps& d, const HttpCall& call,
                                         const std::string& agent_id, std::string_view user,
                                         std::string_view named) {
  std::string raw(session_header(call.req));
  if (raw.empty()) raw = std::string(named);
  if (raw.empty() && !user.empty())
    raw = "agent:" + agent_id + ":openai-user:" + user_key_part(user);
  if (raw.empty()) raw = "agent:" + agent_id + ":openai:" + uuid_v4();
  auto key = d.agents.parse_key(raw, agent_id);
  if (!key.ok()) return key.error();
  if (const User* u = call.caller.user) {
    if (!u->may_use_agent(key->agent_id)) return agent_not_granted(u->name, key->agent_id);
    return sessions::in_user_namespace(*key, u->name);
  }
  return key;
}

void start_http_run(const HttpApiDeps& d, HttpRunSpec spec, const std::shared_ptr<HttpReply>& reply,
                    HttpRunHooks hooks) {
  auto s = std::make_shared<HttpRunState>(HttpRunState{d, reply, std::move(hooks), spec.key.key});
  s->keepalive = std::make_unique<boost::asio::steady_timer>(d.io);
  reply->on_cancel([weak = std::weak_ptr<HttpRunState>(s)] {
    auto st = weak.lock();
    if (!st || st->ended) return;
    st->cancelled = true;
    if (!st->run_id.empty()) {
      log::info("HTTP client of run {} went away; aborting it", st->run_id);
      st->d.runs.abort(st->key, st->run_id);
    }
  });
  agents::SendParams p;
  p.session_key = spec.key.key;
  p.agent_id = spec.key.agent_id;
  p.message = std::move(spec.message);
  p.extra_system = std::move(spec.extra_system);
  p.idempotency_key = uuid_v4();
  d.runs.send(std::move(p), [s](Result<agents::SendAck> ack) {
    if (!ack.ok()) return s->end(ack.error());
    if (ack->kind == agents::SendAck::Kind::kDone) {
      const auto& o = ack->outcome;
      if (o.status == sessions::RunStatus::kFinal)
        return s->end(HttpRunEnd{o.run_id, s->key, o.reply ? o.reply->text : o.text, "", 0, 0});
      return s->end(Error::internal(o.error.empty() ? std::string("the run failed") : o.error));
    }
    s->run_id = ack->run_id;
    if (s->cancelled) {
      // The client left while the message was being committed.
      s->d.runs.abort(s->key, s->run_id);
    }
    s->follower = s->d.waiters.follow(
        s->run_id, RunWaiters::Follower{
                       [s](std::string_view delta) {
                         if (!s->ended && s->hooks.on_delta) s->hooks.on_delta(delta);
                       },
                       [s](const agents::ToolEvent& e) {
                         // A denied tool call ends the request: the client asked for an answer that
                         // needed it, and an operator (or the policy) said no.
                         if (s->ended || e.phase != agents::ToolEvent::Phase::kResult ||
                             !e.is_error || e.result.rfind("exec denied", 0) != 0 ||
                             !s->denied.empty())
                           return;
                         s->denied = e.result;
                         log::info("run {}: {}; ending its HTTP request", s->run_id, e.result);
                         // Not from inside the engine's own event: once it is done with this one.
                         boost::asio::post(s->d.io, [s] {
                           if (!s->ended) s->d.runs.abort(s->key, s->run_id);
                         });
                       }});
    if (s->hooks.on_started) s->hooks.on_started(s->run_id);
    const bool waiting =
        s->d.waiters.wait(s->run_id, 0, [s](const RunEnd* e) { http_run_ended(s, e); });
    if (!waiting) {
      s->d.runs.abort(s->key, s->run_id);
      return s->end(
          Error::unavailable("too many requests are waiting for runs; retry later", 5000));
    }
    if (!s->ended) keepalive_tick(s);
  });
}

HttpAnswer openai_error(const Error& e) {
  int status = 500;
  const char* type = "api_error";
  if (e.is_invalid()) status = 400, type = "invalid_request_error";
  if (e.is_unauthenticated()) status = 401, type = "authentication_error";
  if (e.is_forbidden()) status = 403, type = "permission_error";
  if (e.is_not_found()) status = 404, type = "invalid_request_error";
  if (e.is_conflict()) status = 409, type = "invalid_request_error";
  if (e.is_unavailable()) status = 503, type = "api_error";
  if (e.is_timeout()) status = 504, type = "timeout_error";
  if (e.is_cancelled()) status = 499, type = "cancelled";
  HttpAnswer a = http_error(status, e.message, type, e.detail_code());
  if (e.retry_after_ms)
    a.headers.emplace_back("Retry-After", std::to_string((*e.retry_after_ms + 999) / 1000));
  return a;
}

Result<Json> json_body(const HttpRequest& req) {
  // The Content-Type is not insisted on: `curl -d` labels JSON as a form.
  Json j = Json::parse(req.body, nullptr, false);
  if (j.is_discarded()) return Error::invalid("the body is not valid JSON");
  if (!j.is_object()) return Error::invalid("the body must be a JSON object");
  return j;
}

Result<std::string> content_text(const Json& content) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (!content.is_array())
    return Error::invalid("a message's content must be a string or an array of parts");
  std::string out;
  for (const Json& part : content) {
    std::string type = part.is_object() ? part.value("type", "") : "";
    if ((type == "text" || type == "input_text" || type == "output_text") &&
        part.contains("text") && part["text"].is_string()) {
      if (!out.empty()) out += "\n";
      out += part["text"].get<std::string>();
      continue;
    }
    return Error::invalid("content part of type '" + type.substr(0, 40) +
                          "' is not supported; send text parts only");
  }
  return out;
}

std::string json_text(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string sse_data(const Json& j) { return "data: " + json_text(j) + "\n\n"; }

std::string sse_event(std::string_view name, const Json& j) {
  return "event: " + std::string(name) + "\n" + sse_data(j);
}

namespace {

// How an earlier turn is introduced in the system text.
std::string turn_label(const std::string& role) {
  if (role == "assistant") return "Assistant";
  if (role == "tool" || role == "function") return "Tool result";
  return "User";
}

// An assistant message with only tool calls, as one line of context.
std::string tool_calls_line(const Json& m) {
  std::string line = "(called tools:";
  for (const Json& c : m["tool_calls"])
    if (c.is_object() && c.contains("function") && c["function"].is_object())
      line += " " + c["function"].value("name", std::string("?"));
  return line + ")";
}

}  // namespace

Result<ConversationInput> conversation_input(const Json& items, std::string system,
                                             const ConversationSyntax& syntax) {
  const std::string list(syntax.list);
  if (!items.is_array() || items.empty())
    return Error::invalid(list + " must be a non-empty array of {role, content}");
  if (items.size() > kMaxInputMessages)
    return Error::invalid("too many " + list + " items: at most " +
                          std::to_string(kMaxInputMessages));
  auto where = [&list](std::size_t i) { return list + "[" + std::to_string(i) + "]"; };
  std::size_t last_user = items.size();
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Json& m = items[i];
    if (!m.is_object()) return Error::invalid(where(i) + " must be an object");
    if (!syntax.chat) {
      const std::string type = m.value("type", std::string("message"));
      if (type != "message")
        return Error::invalid(where(i) + ": item type '" + type.substr(0, 40) +
                              "' is not supported; send message items");
    }
    if (!m.contains("role") || !m["role"].is_string())
      return Error::invalid(where(i) + " needs a string role");
    if (m["role"] == "user") last_user = i;
  }
  if (last_user == items.size())
    return Error::invalid(list + " must contain a user message (the one the agent answers)");
  ConversationInput out;
  std::string turns;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const Json& m = items[i];
    const std::string role = m["role"].get<std::string>();
    auto text = content_text(m.contains("content") ? m["content"] : Json());
    if (!text.ok()) return Error::invalid(where(i) + ": " + text.error().message);
    const bool tool_role = role == "tool" || role == "function";
    if (role == "system" || role == "developer") {
      if (!text->empty()) system += (system.empty() ? "" : "\n\n") + *text;
    } else if (role != "user" && role != "assistant" && !(syntax.chat && tool_role)) {
      return Error::invalid(where(i) + ": unknown role '" + role.substr(0, 40) +
                            (syntax.chat ? "' (system, developer, user, assistant, tool)"
                                         : "' (system, developer, user, assistant)"));
    } else if (i == last_user) {
      out.message = std::move(*text);
    } else if (i < last_user) {
      bool only_calls = text->empty() && m.contains("tool_calls") && m["tool_calls"].is_array();
      turns += turn_label(role) + ": " + (only_calls ? tool_calls_line(m) : *text) + "\n";
    }
    // Anything after the last user message (an assistant prefill) is not used.
  }
  if (out.message.empty()) return Error::invalid("the last user message is empty");
  return with_context(std::move(out), system, turns);
}

Result<ConversationInput> with_context(ConversationInput in, const std::string& system,
                                       const std::string& turns) {
  in.extra_system = system;
  if (!turns.empty())
    in.extra_system += std::string(system.empty() ? "" : "\n\n") +
                       "The conversation so far, as the client sent it with this request (the "
                       "last user message follows as the new message):\n" +
                       turns;
  if (in.extra_system.size() > kMaxExtraSystemBytes)
    return Error::invalid("system text and earlier turns are too long: at most " +
                          std::to_string(kMaxExtraSystemBytes) + " bytes");
  return in;
}

}  // namespace simpleclaw::gateway
