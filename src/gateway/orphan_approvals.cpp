#include "gateway/orphan_approvals.h"

#include "agents/agent_directory.h"
#include "agents/session_service.h"
#include "base/json_fields.h"
#include "base/log.h"
#include "channels/channel_manager.h"
#include "tools/approvals.h"
#include "tools/tool_runner.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::size_t kMaxChatOutput = 3000;  // the chat gets the start; the transcript all

}  // namespace

void run_orphan_approval(const OrphanApprovalDeps& d, const tools::ApprovalRecord& r) {
  const Json& req = r.request;
  const std::string agent_id = json_str(req, "agentId");
  if (r.status == "allow-always" && d.persist_allow) {
    std::vector<std::string> patterns;
    if (auto it = req.find("allowAlwaysPatterns"); it != req.end() && it->is_array())
      for (const Json& p : *it)
        if (p.is_string()) patterns.push_back(p.get<std::string>());
    d.persist_allow(agent_id, patterns);
  }
  // Only the gateway's own exec tool asked in a session; a node host or an outside
  // requester (exec.approval.request) waits for the decision itself.
  if (json_str(req, "host") != "gateway") return;
  const std::string command = json_str(req, "command");
  const std::string session_key = json_str(req, "sessionKey");
  auto key = d.agents.parse_key(session_key);
  const config::AgentConfig* agent = d.agents.find(agent_id);
  if (command.empty() || !key.ok()) return;
  const std::string by = r.resolved_by.empty() ? "an operator" : r.resolved_by;

  auto report = [&sessions = d.sessions, &channels = d.channels, key = *key, session_key, command,
                 by](const std::string& result) {
    std::string text =
        "Approved by " + by + " after the gateway restarted: `" + command + "`\n" + result;
    sessions.inject(key, text, "approval", [](Result<sessions::Entry> e) {
      if (!e.ok()) log::warn("approval result not stored: {}", e.error().message);
    });
    std::string chat = text.size() > kMaxChatOutput
                           ? text.substr(0, kMaxChatOutput) + "\n[cut; the rest is in the session]"
                           : text;
    channels.tell(session_key, chat);
  };
  if (!agent) return report("[not run: agent " + agent_id + " no longer exists]");

  sdk::ToolContext ctx;
  ctx.run_id = "approval:" + r.id;
  ctx.session_key = key->key;
  ctx.agent_id = agent->id;
  ctx.workspace = d.agents.workspace_of(agent->id);
  ctx.policy = agent->tools;
  Json args{{"command", command}};
  if (std::string cwd = json_str(req, "cwd"); !cwd.empty() && cwd != ctx.workspace)
    args["cwd"] = cwd;
  sdk::ToolCall call;
  call.id = ctx.run_id;
  call.name = "exec";
  call.arguments = args.dump();
  log::info("approval {}: running `{}` for session {} (its run ended with the restart)", r.id,
            command, session_key);
  d.approvals.grant_once(r);
  d.tools.start(ctx, call, [report](sdk::ToolOutcome o) { report(o.text); });
}

}  // namespace simpleclaw::gateway
