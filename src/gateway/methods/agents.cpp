// agents.files.list/get/set: an agent's workspace files (SPEC §5 Agents). The file I/O
// runs on the store's worker thread (never on the loop); agents/workspace.* enforces the
// allowed names, the 2 MiB cap and that nothing leaves the workspace (symlinks resolved).
#include "agents/workspace.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

// The agent's id and workspace, or an error naming the unknown agent.
Result<std::pair<std::string, std::string>> agent_workspace(MethodCall& call) {
  std::string id = call.params.value("agentId", "");
  if (!config::find_agent(call.gw.config(), id))
    return Error::invalid("unknown agent: " + id + " (see agents.list)", "AGENT_NOT_FOUND");
  return std::make_pair(id, call.gw.chat().workspace_of(id));
}

}  // namespace

Result<Reply> method_agents_files_list(MethodCall& call) {
  auto a = agent_workspace(call);
  if (!a.ok()) return a.error();
  std::string id = a->first, ws = a->second;  // named copies: lambdas capture them
  Responder respond = call.defer();
  call.gw.run_blocking([ws] { return agents::list_workspace_files(ws); },
                       [id, ws, respond](Result<std::vector<agents::WorkspaceFile>> r) {
                         if (!r.ok()) return respond(r.error());
                         Json files = Json::array();
                         for (const auto& f : *r) files.push_back(f.to_json(false));
                         respond(Json{{"agentId", id}, {"workspace", ws}, {"files", files}});
                       });
  return Reply(Json());
}

Result<Reply> method_agents_files_get(MethodCall& call) {
  auto a = agent_workspace(call);
  if (!a.ok()) return a.error();
  std::string id = a->first, ws = a->second;  // named copies: lambdas capture them
  std::string name = call.params.value("name", "");
  Responder respond = call.defer();
  call.gw.run_blocking([ws, name] { return agents::read_workspace_file(ws, name); },
                       [id, ws, respond](Result<agents::WorkspaceFile> r) {
                         if (!r.ok()) return respond(r.error());
                         Json f = r->to_json(true);
                         if (!f.contains("size")) f["size"] = 0;
                         if (!f.contains("updatedAtMs")) f["updatedAtMs"] = 0;
                         respond(Json{{"agentId", id}, {"workspace", ws}, {"file", f}});
                       });
  return Reply(Json());
}

Result<Reply> method_agents_files_set(MethodCall& call) {
  auto a = agent_workspace(call);
  if (!a.ok()) return a.error();
  std::string id = a->first, ws = a->second;  // named copies: lambdas capture them
  std::string name = call.params.value("name", "");
  std::string content = call.params.value("content", "");
  Responder respond = call.defer();
  call.gw.run_blocking(
      [ws, name, content] { return agents::write_workspace_file(ws, name, content); },
      [id, ws, respond](Result<agents::WorkspaceFile> r) {
        if (!r.ok()) return respond(r.error());
        respond(Json{{"ok", true}, {"agentId", id}, {"workspace", ws}, {"file", r->to_json(false)}});
      });
  return Reply(Json());
}

}  // namespace simpleclaw::gateway
