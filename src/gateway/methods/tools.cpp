// tools.effective: the tools a session's runs are offered (OpenClaw's chat pane shows
// them next to a tool call): the agent's tools.allow / tools.deny applied to every tool
// the gateway has, grouped by where they come from (built-in, MCP servers, plugins).
#include "agents/agent_directory.h"
#include "base/json_fields.h"
#include "gateway/methods/table.h"
#include "tools/tool_runner.h"

namespace simpleclaw::gateway {
namespace {

// What running the tool can do to the machine.
const char* tool_risk(const std::string& name) {
  if (name == "exec") return "high";
  if (name == "write" || name == "edit" || name == "message") return "medium";
  return "low";
}

}  // namespace

void method_tools_effective(MethodCall& call) {
  auto key = call.svc.agents.parse_key(json_str(call.params, "sessionKey"),
                                       json_str(call.params, "agentId"));
  if (!key.ok()) return call.respond(key.error());
  const config::AgentConfig* agent = call.svc.agents.find(key->agent_id);
  Json core = Json::array(), mcp = Json::array();
  if (agent)
    for (const sdk::ToolSpec& t : call.svc.tools.specs(agent->tools)) {
      // MCP tools are named <server>__<tool> (tools/mcp_tools.h).
      const auto sep = t.name.find("__");
      const bool from_mcp = sep != std::string::npos;
      Json e{{"id", t.name},
             {"label", t.name},
             {"description", t.description},
             {"rawDescription", t.description},
             {"source", from_mcp ? "mcp" : "core"},
             {"risk", tool_risk(t.name)}};
      if (from_mcp) {
        e["mcpServer"] = t.name.substr(0, sep);
        e["mcpToolName"] = t.name.substr(sep + 2);
        mcp.push_back(std::move(e));
      } else {
        core.push_back(std::move(e));
      }
    }
  Json groups = Json::array();
  if (!core.empty())
    groups.push_back(Json{{"id", "core"},
                          {"label", "Built-in tools"},
                          {"source", "core"},
                          {"tools", std::move(core)}});
  if (!mcp.empty())
    groups.push_back(Json{
        {"id", "mcp"}, {"label", "MCP servers"}, {"source", "mcp"}, {"tools", std::move(mcp)}});
  call.respond(
      Json{{"agentId", key->agent_id}, {"profile", "default"}, {"groups", std::move(groups)}});
}

}  // namespace simpleclaw::gateway
