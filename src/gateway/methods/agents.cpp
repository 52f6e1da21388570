// Agents (SPEC §5 Agents): agents.list/create/update/delete edit `agents.list` in
// config.yaml through the same compare-and-swap write path as config.patch
// (config::edit_checked), then hot-apply it. agents.files.list/get/set work on an agent's
// workspace files; that file I/O runs on the store's worker thread (never on the loop),
// and agents/workspace.* enforces the allowed names, the 2 MiB cap and that nothing
// leaves the workspace (symlinks resolved).
#include "agents/workspace.h"
#include "base/fs.h"
#include "base/log.h"
#include "config/config.h"
#include "gateway/methods/table.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {
namespace {

Error agent_not_found(const std::string& id) {
  return Error::invalid("unknown agent: " + id + " (see agents.list)", "AGENT_NOT_FOUND");
}

// The agent's id and workspace, or an error naming the unknown agent.
Result<std::pair<std::string, std::string>> agent_workspace(MethodCall& call) {
  std::string id = call.params.value("agentId", "");
  if (!config::find_agent(call.gw.config(), id)) return agent_not_found(id);
  return std::make_pair(id, call.gw.chat().workspace_of(id));
}

using OJson = nlohmann::ordered_json;

// Edits the file's agents.list (created when absent) and hot-applies the result.
Status write_agents(MethodCall& call, const std::string& what, const config::AgentsEdit& edit) {
  auto w = config::edit_agents_checked(call.gw.info().config_path, edit);
  if (!w.ok()) return w.error();
  std::string hash = w->state.hash;
  call.gw.apply_config(std::move(w->config), std::move(w->state));
  log::info("config written by {} ({}): {}; hash {}", call.client.client_info.value("id", "?"),
            call.client.peer.remote_ip, what, hash.substr(0, 12));
  return Ok{};
}

// A model given to agents.create/update must resolve now (the config check alone would
// name a line of a file the caller never wrote).
Status check_model(MethodCall& call, const Json& params) {
  if (!params.contains("model") || !params["model"].is_string()) return Ok{};
  std::string model = params["model"];
  if (model.empty()) return Ok{};
  auto r = call.gw.catalog().resolve(model);
  if (!r.ok()) return Error::invalid(r.error().message + " (see models.list)", "MODEL_NOT_FOUND");
  return Ok{};
}

}  // namespace

Result<Reply> method_agents_list(MethodCall& call) {
  const config::Config& cfg = call.gw.config();
  Json agents = Json::array();
  const User* user = call.client.user.empty() ? nullptr : call.gw.users().find(call.client.user);
  for (const config::AgentConfig& a : cfg.agents.list) {
    if (user && !user->may_use_agent(a.id)) continue;  // shared mode: granted agents only
    Json j{{"id", a.id},
           {"name", a.name.empty() ? a.id : a.name},
           {"workspace", call.gw.chat().workspace_of(a.id)}};
    std::string model = a.model.empty() ? cfg.models.default_model : a.model;
    if (!model.empty()) j["model"] = model;
    agents.push_back(std::move(j));
  }
  return Reply(Json{{"defaultId", cfg.agents.default_id},
                    {"mainKey", "agent:" + cfg.agents.default_id + ":main"},
                    {"scope", "per-sender"},
                    {"agents", std::move(agents)}});
}

Result<Reply> method_agents_create(MethodCall& call) {
  const Json& p = call.params;
  std::string name = p["name"].get<std::string>();
  std::string id = sessions::slugify(name);
  if (id.empty())
    return Error::invalid("agent name needs at least one ASCII letter or digit: " + name);
  if (config::find_agent(call.gw.config(), id))
    return Error::invalid("agent " + id + " already exists (agents.update changes it)",
                          "AGENT_EXISTS");
  if (Status m = check_model(call, p); !m) return m.error();
  Status st = write_agents(call, "agent " + id + " created", [&](OJson& list) -> Status {
    OJson a{{"id", id}, {"name", name}};
    if (p.contains("model") && !p["model"].get<std::string>().empty()) a["model"] = p["model"];
    if (p.contains("workspace") && !p["workspace"].get<std::string>().empty())
      a["workspace"] = p["workspace"];
    list.push_back(std::move(a));
    return Ok{};
  });
  if (!st) return st.error();
  std::string ws = call.gw.chat().workspace_of(id);
  // Ready for agents.files.set; a directory that cannot be made is reported, not fatal.
  if (Status made = make_dirs(ws, 0700); !made)
    log::warn("agents.create: cannot create workspace {}: {}", ws, made.error().message);
  return Reply(Json{{"ok", true}, {"agentId", id}, {"name", name}, {"workspace", ws}});
}

Result<Reply> method_agents_update(MethodCall& call) {
  const Json& p = call.params;
  std::string id = p["agentId"].get<std::string>();
  if (!config::find_agent(call.gw.config(), id)) return agent_not_found(id);
  if (Status m = check_model(call, p); !m) return m.error();
  Status st = write_agents(call, "agent " + id + " updated", [&](OJson& list) -> Status {
    OJson* a = config::agent_entry(list, id);
    if (!a) {
      list.push_back(OJson{{"id", id}});
      a = &list.back();
    }
    if (p.contains("name")) (*a)["name"] = p["name"];
    // An empty workspace and a null model go back to the defaults.
    if (p.contains("workspace")) {
      if (p["workspace"].get<std::string>().empty())
        a->erase("workspace");
      else
        (*a)["workspace"] = p["workspace"];
    }
    if (p.contains("model")) {
      if (p["model"].is_null() || p["model"].get<std::string>().empty())
        a->erase("model");
      else
        (*a)["model"] = p["model"];
    }
    return Ok{};
  });
  if (!st) return st.error();
  return Reply(Json{{"ok", true}, {"agentId", id}});
}

Result<Reply> method_agents_delete(MethodCall& call) {
  std::string id = call.params["agentId"].get<std::string>();
  const config::Config& cfg = call.gw.config();
  if (!config::find_agent(cfg, id)) return agent_not_found(id);
  if (id == cfg.agents.default_id || id == "main")
    return Error::invalid(
        "agent " + id + " cannot be deleted: " +
            (id == "main" ? "main always exists"
                          : "it is the default agent (change agents.default first)"),
        "AGENT_PROTECTED");
  std::string ws = call.gw.chat().workspace_of(id);  // before the entry goes
  Status st = write_agents(call, "agent " + id + " deleted", [&](OJson& list) -> Status {
    std::erase_if(list.get_ref<OJson::array_t&>(),
                  [&](const OJson& a) { return a.is_object() && a.value("id", "") == id; });
    return Ok{};
  });
  if (!st) return st.error();
  // Sessions and transcripts stay (history is never lost by deleting an agent).
  if (!call.params.value("deleteFiles", false))
    return Reply(Json{{"ok", true}, {"agentId", id}, {"removedFiles", Json::array()}});
  Responder respond = call.defer();
  call.gw.run_blocking([ws] { return agents::remove_workspace_files(ws); },
                       [id, respond](Result<std::vector<std::string>> r) {
                         if (!r.ok()) return respond(r.error());
                         respond(Json{{"ok", true}, {"agentId", id}, {"removedFiles", *r}});
                       });
  return Reply(Json());
}

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
        respond(
            Json{{"ok", true}, {"agentId", id}, {"workspace", ws}, {"file", r->to_json(false)}});
      });
  return Reply(Json());
}

}  // namespace simpleclaw::gateway
