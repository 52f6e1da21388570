// POST /tools/invoke: runs one tool by name, as an agent's tool call would run it: the
// agent's tools.allow / tools.deny, its exec policy and, for a command that needs it, an
// operator's approval (the request is held until the decision). Always on; needs
// operator.write (the same as chat.send, whose runs may call the same tools).
//
//   {tool, args?, sessionKey?, agentId?} -> 200 {ok: true, result: {text}}
//   a tool that reports a failure        -> 200 {ok: false, result: {text, isError: true},
//                                                error: {message, type: "tool_error"}}
//   unknown tool 404, not allowed for the agent or denied (policy, operator, timeout) 403,
//   bad request 400; all with {ok: false, error: {message, type, code?}}.
//
// A client that hangs up cancels the tool (its process group is killed, a pending
// approval withdrawn).
#include "base/ids.h"
#include "base/log.h"
#include "gateway/http/agent_run.h"
#include "gateway/state/users.h"
#include "tools/tool_runner.h"

namespace simpleclaw::gateway {
namespace {

HttpAnswer invoke_error(int status, std::string_view message, std::string_view type,
                        std::string_view code = {}) {
  Json err{{"message", message}, {"type", type}};
  if (!code.empty()) err["code"] = code;
  return HttpAnswer{status, "application/json",
                    json_text(Json{{"ok", false}, {"error", std::move(err)}}), ""};
}

HttpAnswer invoke_error(const Error& e) {
  HttpAnswer a = openai_error(e);
  Json j = Json::parse(a.body, nullptr, false);
  j["ok"] = false;
  a.body = json_text(j);
  return a;
}

void tools_invoke(const HttpApiDeps& d, HttpCall& call) {
  auto body = json_body(call.req);
  if (!body.ok()) return call.reply->answer(invoke_error(body.error()));
  const Json& b = *body;
  if (!b.contains("tool") || !b["tool"].is_string() ||
      b["tool"].get_ref<const std::string&>().empty())
    return call.reply->answer(
        invoke_error(400, "tool must name a tool (for example \"ls\")", "invalid_request_error"));
  for (const char* f : {"sessionKey", "agentId"})
    if (b.contains(f) && !b[f].is_string() && !b[f].is_null())
      return call.reply->answer(
          invoke_error(400, std::string(f) + " must be a string", "invalid_request_error"));
  Json args = b.contains("args") && !b["args"].is_null() ? b["args"] : Json::object();
  if (!args.is_object())
    return call.reply->answer(invoke_error(
        400, "args must be a JSON object of the tool's arguments", "invalid_request_error"));
  const std::string tool = b["tool"].get<std::string>();
  const std::string agent_field =
      b.contains("agentId") && b["agentId"].is_string() ? b["agentId"].get<std::string>() : "";
  std::string raw_key = b.contains("sessionKey") && b["sessionKey"].is_string()
                            ? b["sessionKey"].get<std::string>()
                            : "";
  const std::string agent_id = agent_field.empty() ? d.agents.default_id() : agent_field;
  if (raw_key.empty()) raw_key = "agent:" + agent_id + ":main";
  auto key = d.agents.parse_key(raw_key, agent_field);
  if (!key.ok()) return call.reply->answer(invoke_error(key.error()));
  if (const User* u = call.caller.user) {
    if (!u->may_use_agent(key->agent_id))
      return call.reply->answer(invoke_error(agent_not_granted(u->name, key->agent_id)));
    auto mine = sessions::in_user_namespace(*key, u->name);
    if (!mine.ok()) return call.reply->answer(invoke_error(mine.error()));
    key = std::move(mine);
  }
  const config::AgentConfig* agent = d.agents.find(key->agent_id);
  if (!agent)
    return call.reply->answer(
        invoke_error(404, "unknown agent: " + key->agent_id, "invalid_request_error"));
  // Known at all (any policy), then allowed for this agent.
  bool known = false;
  for (const sdk::ToolSpec& s : d.tools.specs(config::ToolsConfig{}))
    known = known || s.name == tool;
  if (!known)
    return call.reply->answer(invoke_error(
        404, "unknown tool: " + tool.substr(0, 100) + " (tools.effective lists the tools)",
        "invalid_request_error", "TOOL_NOT_FOUND"));
  if (!agent->tools.permits(tool))
    return call.reply->answer(invoke_error(
        403,
        "tool '" + tool + "' is not allowed for agent " + agent->id + " (tools.allow / tools.deny)",
        "permission_error", "TOOL_NOT_ALLOWED"));
  sdk::ToolContext ctx;
  ctx.run_id = "tools-invoke-" + uuid_v4();
  ctx.session_key = key->key;
  ctx.agent_id = agent->id;
  ctx.workspace = d.agents.workspace_of(agent->id);
  ctx.policy = agent->tools;
  sdk::ToolCall tc;
  tc.id = ctx.run_id;
  tc.name = tool;
  tc.arguments = json_text(args);
  auto reply = call.reply;
  log::info("tools/invoke {} for agent {} from {}", tool, agent->id, call.peer.remote_ip);
  auto task = d.tools.start(ctx, tc, [reply, tool](sdk::ToolOutcome o) {
    if (!reply->is_open()) return;
    if (o.is_error && o.text.rfind("exec denied", 0) == 0)
      return reply->answer(invoke_error(403, o.text, "permission_error", "TOOL_DENIED"));
    if (o.is_error && o.text.find("is not allowed for this agent") != std::string::npos)
      return reply->answer(invoke_error(403, o.text, "permission_error", "TOOL_NOT_ALLOWED"));
    Json out{{"ok", !o.is_error}, {"tool", tool}, {"result", Json{{"text", o.text}}}};
    if (o.is_error) {
      out["result"]["isError"] = true;
      out["error"] = Json{{"message", o.text}, {"type", "tool_error"}};
    }
    reply->answer(HttpAnswer{200, "application/json", json_text(out), ""});
  });
  reply->on_cancel([task] {
    if (task) task->cancel();
  });
}

}  // namespace

void add_tools_invoke_route(HttpRouter& router, const HttpApiDeps& d) {
  auto on = [&config = d.config] {
    return config.cfg().gateway.http.endpoints.tools_invoke.enabled;
  };
  router.add(HttpRoute{"POST", "/tools/invoke", HttpRoute::Auth::kBearer, protocol::Scope::kWrite,
                       [d](HttpCall& c) { tools_invoke(d, c); }, on,
                       "gateway.http.endpoints.tools_invoke.enabled"});
}

}  // namespace simpleclaw::gateway
