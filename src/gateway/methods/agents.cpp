// Agents (SPEC §5 Agents): agents.list/create/update/delete edit `agents.list` in
// the config document through the same compare-and-swap write path as config.patch
// (ConfigDocument::change), then hot-apply it. agents.files.list/get/set work on an agent's
// workspace files; that file I/O runs on the blocking pool (never on the loop, never in
// line behind the session database),
// and agents/workspace.* enforces the allowed names, the 2 MiB cap and that nothing
// leaves the workspace (symlinks resolved).
#include "agents/agent_directory.h"
#include "agents/workspace.h"
#include "base/blocking_pool.h"
#include "base/fs.h"
#include "base/log.h"
#include "config/config.h"
#include "gateway/config_document.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/state/users.h"
#include "providers/catalog.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {
namespace {

Error agent_not_found(const std::string& id) {
  return Error::not_found("unknown agent: " + id + " (see agents.list)", "AGENT_NOT_FOUND");
}

// The agent's id and workspace, or an error naming the unknown agent.
Result<std::pair<std::string, std::string>> agent_workspace(MethodCall& call) {
  std::string id = call.params.value("agentId", "");
  if (!call.svc.agents.find(id)) return agent_not_found(id);
  return std::make_pair(id, call.svc.agents.workspace_of(id));
}

// {name, path, missing, size?, updatedAtMs?, content?}
Json file_json(const agents::WorkspaceFile& f, bool with_content) {
  Json j{{"name", f.name}, {"path", f.path}, {"missing", f.missing}};
  if (!f.missing) {
    j["size"] = f.size;
    j["updatedAtMs"] = f.updated_at_ms;
  }
  if (with_content) j["content"] = f.content;
  return j;
}

using OJson = nlohmann::ordered_json;

// Edits the config document's agents.list (created when absent), hot-applies the result,
// then runs `then` on the loop. The document may be the cluster's (an answer from the
// store), so the MethodCall is gone by then: `then` gets the Services and the responder.
using AfterWrite = std::function<void(Services& svc, const Responder& respond)>;
void write_agents(MethodCall& call, std::string what, config::AgentsEdit edit, AfterWrite then) {
  call.svc.config_doc.change(
      std::nullopt,
      [edit = config::agents_edit(std::move(edit))](const std::string& raw) {
        return config::edit_text(raw, edit);
      },
      [svc = &call.svc, respond = call.respond, what = std::move(what),
       who = call.client.client_info.value("id", "?"), ip = call.client.peer.remote_ip,
       then = std::move(then)](Result<ConfigDocument::Applied> r) {
        if (!r.ok()) return respond(r.error());
        log::info("config written by {} ({}): {}; hash {}", who, ip, what, r->hash.substr(0, 12));
        then(*svc, respond);
      });
}

// A model given to agents.create/update must resolve now (the config check alone would
// name a line of a file the caller never wrote).
Status check_model(MethodCall& call, const Json& params) {
  if (!params.contains("model") || !params["model"].is_string()) return Ok{};
  std::string model = params["model"];
  if (model.empty()) return Ok{};
  auto r = call.svc.catalog.resolve(model);
  if (!r.ok()) return Error::not_found(r.error().message + " (see models.list)", "MODEL_NOT_FOUND");
  return Ok{};
}

// Runs a workspace file operation on the blocking pool and answers with `shape(result)`.
template <typename Work, typename Shape>
void workspace_job(MethodCall& call, Work work, Shape shape) {
  call.svc.files.run(std::move(work), [respond = call.respond, shape = std::move(shape)](auto r) {
    if (!r.ok()) return respond(r.error());
    respond(shape(*r));
  });
}

}  // namespace

// {name, emoji?, avatar?}: how clients show an agent (agents.list, agent.identity.get).
Json agent_identity(const config::AgentConfig& a) {
  Json j{{"name", a.name.empty() ? a.id : a.name}};
  if (!a.emoji.empty()) j["emoji"] = a.emoji;
  if (!a.avatar.empty()) j["avatar"] = a.avatar;
  return j;
}

void method_agents_list(MethodCall& call) {
  const config::Config& cfg = call.svc.config.cfg();
  Json agents = Json::array();
  const User* user =
      call.client.user.empty() ? nullptr : call.svc.config.users().find(call.client.user);
  for (const config::AgentConfig& a : cfg.agents.list) {
    if (user && !user->may_use_agent(a.id)) continue;  // shared mode: granted agents only
    Json j{{"id", a.id},
           {"name", a.name.empty() ? a.id : a.name},
           {"workspace", call.svc.agents.workspace_of(a.id)}};
    // {primary, fallbacks} as OpenClaw's clients read it (the Control UI asks for model
    // set-up when an agent has no primary model).
    std::string model = call.svc.agents.model_of(a.id);
    if (!model.empty()) j["model"] = Json{{"primary", model}, {"fallbacks", a.fallbacks}};
    j["identity"] = agent_identity(a);
    agents.push_back(std::move(j));
  }
  // mainKey is the bare main key, as in hello-ok's sessionDefaults (the default agent's
  // main session is "agent:<defaultId>:main").
  call.respond(Json{{"defaultId", cfg.agents.default_id},
                    {"mainKey", sessions::kMainKey},
                    {"scope", "per-sender"},
                    {"agents", std::move(agents)}});
}

void method_agents_create(MethodCall& call) {
  Json p = call.params;
  std::string name = p["name"].get<std::string>();
  std::string id = sessions::slugify(name);
  if (id.empty())
    return call.respond(
        Error::invalid("agent name needs at least one ASCII letter or digit: " + name));
  if (call.svc.agents.find(id))
    return call.respond(Error::conflict(
        "agent " + id + " already exists (agents.update changes it)", "AGENT_EXISTS"));
  if (Status m = check_model(call, p); !m) return call.respond(m.error());
  write_agents(
      call, "agent " + id + " created",
      [id, name, p](OJson& list) -> Status {
        OJson a{{"id", id}, {"name", name}};
        if (p.contains("model") && !p["model"].get<std::string>().empty()) a["model"] = p["model"];
        for (const char* k : {"emoji", "avatar"})
          if (p.contains(k) && !p[k].get<std::string>().empty()) a[k] = p[k];
        if (p.contains("workspace") && !p["workspace"].get<std::string>().empty())
          a["workspace"] = p["workspace"];
        list.push_back(std::move(a));
        return Ok{};
      },
      [id, name](Services& svc, const Responder& respond) {
        std::string ws = svc.agents.workspace_of(id);
        // Ready for agents.files.set; a directory that cannot be made is reported, not fatal.
        if (Status made = make_dirs(ws, 0700); !made)
          log::warn("agents.create: cannot create workspace {}: {}", ws, made.error().message);
        respond(Json{{"ok", true}, {"agentId", id}, {"name", name}, {"workspace", ws}});
      });
}

void method_agents_update(MethodCall& call) {
  Json p = call.params;
  std::string id = p["agentId"].get<std::string>();
  if (!call.svc.agents.find(id)) return call.respond(agent_not_found(id));
  if (Status m = check_model(call, p); !m) return call.respond(m.error());
  write_agents(
      call, "agent " + id + " updated",
      [id, p](OJson& list) -> Status {
        OJson* a = config::agent_entry(list, id);
        if (!a) {
          list.push_back(OJson{{"id", id}});
          a = &list.back();
        }
        if (p.contains("name")) (*a)["name"] = p["name"];
        for (const char* k : {"emoji", "avatar"}) {  // "" clears
          if (!p.contains(k)) continue;
          if (p[k].get<std::string>().empty())
            a->erase(k);
          else
            (*a)[k] = p[k];
        }
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
      },
      [id](Services&, const Responder& respond) {
        respond(Json{{"ok", true}, {"agentId", id}});
      });
}

void method_agents_delete(MethodCall& call) {
  std::string id = call.params["agentId"].get<std::string>();
  const config::Config& cfg = call.svc.config.cfg();
  if (!call.svc.agents.find(id)) return call.respond(agent_not_found(id));
  if (id == cfg.agents.default_id || id == "main")
    return call.respond(
        Error::invalid("agent " + id + " cannot be deleted: " +
                           (id == "main" ? "main always exists"
                                         : "it is the default agent (change agents.default first)"),
                       "AGENT_PROTECTED"));
  std::string ws = call.svc.agents.workspace_of(id);  // before the entry goes
  bool delete_files = call.params.value("deleteFiles", false);
  write_agents(
      call, "agent " + id + " deleted",
      [id](OJson& list) -> Status {
        std::erase_if(list.get_ref<OJson::array_t&>(),
                      [&](const OJson& a) { return a.is_object() && a.value("id", "") == id; });
        return Ok{};
      },
      [id, ws, delete_files](Services& svc, const Responder& respond) {
        // Sessions and transcripts stay (history is never lost by deleting an agent).
        if (!delete_files)
          return respond(Json{{"ok", true},
                              {"agentId", id},
                              {"removedBindings", 0},
                              {"removedFiles", Json::array()}});
        svc.files.run(
            [ws] { return agents::remove_workspace_files(ws); },
            [id, respond](auto r) {
              if (!r.ok()) return respond(r.error());
              respond(Json{
                  {"ok", true}, {"agentId", id}, {"removedBindings", 0}, {"removedFiles", *r}});
            });
      });
}

void method_agents_files_list(MethodCall& call) {
  auto a = agent_workspace(call);
  if (!a.ok()) return call.respond(a.error());
  workspace_job(
      call, [ws = a->second] { return agents::list_workspace_files(ws); },
      [id = a->first, ws = a->second](const std::vector<agents::WorkspaceFile>& list) {
        Json files = Json::array();
        for (const auto& f : list) files.push_back(file_json(f, false));
        return Json{{"agentId", id}, {"workspace", ws}, {"files", files}};
      });
}

void method_agents_files_get(MethodCall& call) {
  auto a = agent_workspace(call);
  if (!a.ok()) return call.respond(a.error());
  workspace_job(
      call,
      [ws = a->second, name = call.params.value("name", "")] {
        return agents::read_workspace_file(ws, name);
      },
      [id = a->first, ws = a->second](const agents::WorkspaceFile& file) {
        Json f = file_json(file, true);
        if (!f.contains("size")) f["size"] = 0;
        if (!f.contains("updatedAtMs")) f["updatedAtMs"] = 0;
        return Json{{"agentId", id}, {"workspace", ws}, {"file", f}};
      });
}

void method_agents_files_set(MethodCall& call) {
  auto a = agent_workspace(call);
  if (!a.ok()) return call.respond(a.error());
  workspace_job(
      call,
      [ws = a->second, name = call.params.value("name", ""),
       content = call.params.value("content", "")] {
        return agents::write_workspace_file(ws, name, content);
      },
      [id = a->first, ws = a->second](const agents::WorkspaceFile& file) {
        return Json{
            {"ok", true}, {"agentId", id}, {"workspace", ws}, {"file", file_json(file, false)}};
      });
}

void method_models_list(MethodCall& call) {
  providers::Catalog& cat = call.svc.catalog;
  if (!cat.probing()) return call.respond(cat.list_json());
  // A probe is running (start-up, health probe): answer with its result.
  cat.probe([&cat, respond = call.respond] { respond(cat.list_json()); });
}

}  // namespace simpleclaw::gateway
