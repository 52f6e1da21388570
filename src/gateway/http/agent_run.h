// HttpAgentRun: one agent run started by an HTTP request (/v1/chat/completions,
// /v1/responses), and what the OpenAI-compatible endpoints share: which agent a `model`
// names, which session a request runs in, and how errors map to HTTP.
//
// A run is a normal chat run (RunEngine::send: tools, exec approvals, transcript), in the
// session the request names. The caller is told the reply's deltas as they stream
// (RunWaiters followers), a keep-alive tick every kKeepAliveMs while the run is quiet (an
// exec approval can hold it for minutes), and the end once. The HTTP reply's on_cancel
// aborts the run (chat.abort's path): a client that hangs up stops the model and its
// tools. A tool call an operator (or the policy, or the approval's timeout) denies ends
// the run at once: it is aborted and the end is a FORBIDDEN error saying why.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "base/clock.h"
#include "gateway/http/http_router.h"
#include "gateway/live_config.h"
#include "gateway/run_waiters.h"
#include "sessions/keys.h"

namespace simpleclaw::tools {
class ToolRunner;
}

namespace simpleclaw::gateway {

// What the HTTP API's routes use of the gateway (references into Gateway's members).
struct HttpApiDeps {
  boost::asio::io_context& io;
  const LiveConfig& config;
  const agents::AgentDirectory& agents;
  agents::RunEngine& runs;
  RunWaiters& waiters;
  tools::ToolRunner& tools;
  const Clock& clock;
};

// Registers /v1/chat/completions, /v1/models (+ /v1/models/<id>), /v1/responses and
// /tools/invoke on `router`.
void add_openai_chat_routes(HttpRouter& router, const HttpApiDeps& d);
void add_openai_responses_routes(HttpRouter& router, const HttpApiDeps& d);
void add_tools_invoke_route(HttpRouter& router, const HttpApiDeps& d);

inline constexpr int kKeepAliveMs = 10000;
// The earlier turns and system text one request may add to a run's system prompt.
inline constexpr std::size_t kMaxExtraSystemBytes = 1 << 20;
// Request-level caps (the body cap bounds bytes; these bound the work per item).
inline constexpr std::size_t kMaxInputMessages = 1000;

// The agent a `model` names: "openclaw" / "simpleclaw" / "" = the default agent;
// "openclaw/<id>", "openclaw:<id>", "simpleclaw/<id>", "agent:<id>" = that agent (404
// model_not_found when there is none); any other name = the default agent (clients with a
// fixed model name still work).
Result<std::string> agent_for_model(const HttpApiDeps& d, std::string_view model);
// The models /v1/models lists: "openclaw", then "openclaw/<id>" for every agent the
// caller may use.
Json model_list(const HttpApiDeps& d, const Admission& caller, std::int64_t created_s);

// The session a request runs in: the x-simpleclaw-session-key (or x-openclaw-session-key)
// header's, else `named` (a previous response's session), else one per `user`
// ("agent:<id>:openai-user:<user>"), else a fresh "agent:<id>:openai:<uuid>". In shared
// mode it is moved into the caller's namespace and the agent must be granted to them.
Result<sessions::SessionKey> session_for(const HttpApiDeps& d, const HttpCall& call,
                                         const std::string& agent_id, std::string_view user,
                                         std::string_view named = {});

struct HttpRunSpec {
  sessions::SessionKey key;
  std::string message;       // the last user message
  std::string extra_system;  // system messages and earlier turns (<= kMaxExtraSystemBytes)
};

struct HttpRunEnd {
  std::string run_id, session_key;
  std::string text, model;
  std::int64_t input_tokens = 0, output_tokens = 0;
};

struct HttpRunHooks {
  std::function<void(const std::string& run_id)> on_started;  // accepted (may be unset)
  std::function<void(std::string_view delta)> on_delta;       // may be unset
  std::function<void()> on_keepalive;                         // may be unset
  std::function<void(Result<HttpRunEnd>)> on_end;             // once
};

void start_http_run(const HttpApiDeps& d, HttpRunSpec spec, const std::shared_ptr<HttpReply>& reply,
                    HttpRunHooks hooks);

// An error as an OpenAI-shaped answer: invalid 400, unauthenticated 401, forbidden 403,
// not found 404, conflict 409, unavailable 503, timeout 504, others 500.
HttpAnswer openai_error(const Error& e);
// The request body as a JSON object (whatever its Content-Type), else an INVALID error.
Result<Json> json_body(const HttpRequest& req);
// A message's content as text: a string, or the text of an array of parts ({type: text |
// input_text | output_text, text}); other parts are an error (only text is accepted).
Result<std::string> content_text(const Json& content);

// A conversation a client sent (chat's `messages`, the Responses API's `input` items) as
// one run: system and developer messages become extra system text after `system` (the
// request's instructions), the last user message is the run's message, and the turns
// before it are context in the system text ("User: ...\nAssistant: ..."), never added to
// the transcript. Bad items are INVALID errors naming the item.
struct ConversationInput {
  std::string message, extra_system;
};
struct ConversationSyntax {
  std::string_view list;  // the field's name in errors: "messages" | "input"
  bool chat = false;      // Chat Completions: tool/function roles, assistant tool_calls;
                          // else Responses: items must be {type: "message"}
};
Result<ConversationInput> conversation_input(const Json& items, std::string system,
                                             const ConversationSyntax& syntax);
// `in` with `system` and the earlier `turns` as its extra system text (bounded by
// kMaxExtraSystemBytes).
Result<ConversationInput> with_context(ConversationInput in, const std::string& system,
                                       const std::string& turns);
// JSON text for the wire; invalid UTF-8 (from a model, a tool) is replaced, never thrown.
std::string json_text(const Json& j);
// Server-sent events: `data: <json>` and, with a name, `event: <name>` before it.
std::string sse_data(const Json& j);
std::string sse_event(std::string_view name, const Json& j);
inline constexpr std::string_view kSseKeepAlive = ": keep-alive\n\n";

}  // namespace simpleclaw::gateway
