#include "agents/agent_directory.h"

#include "base/fs.h"

namespace simpleclaw::agents {

Result<sessions::SessionKey> AgentDirectory::parse_key(std::string_view raw,
                                                       std::string_view agent_override) const {
  std::string_view def = agent_override.empty() ? std::string_view(default_id()) : agent_override;
  auto k = sessions::parse_session_key(raw, def);
  if (!k.ok()) return k.error();
  if (!find(k->agent_id))
    return Error::not_found("unknown agent: " + k->agent_id + " (see agents.list)",
                            "AGENT_NOT_FOUND");
  return k;
}

const config::AgentConfig* AgentDirectory::find(std::string_view agent_id) const {
  return cfg_ ? config::find_agent(*cfg_, agent_id) : nullptr;
}

const std::string& AgentDirectory::default_id() const {
  static const std::string kMain = "main";
  return cfg_ ? cfg_->agents.default_id : kMain;
}

std::string AgentDirectory::workspace_of(std::string_view agent_id) const {
  const config::AgentConfig* a = find(agent_id);
  std::string ws = a ? a->workspace : std::string();
  if (ws.empty()) return state_dir_ + "/agents/" + std::string(agent_id) + "/workspace";
  if (ws.rfind("~/", 0) == 0) ws = home_dir() + ws.substr(1);
  return ws;
}

PromptSource AgentDirectory::prompt_source(std::string_view agent_id) const {
  const config::AgentConfig* a = find(agent_id);
  return PromptSource{workspace_of(agent_id), a ? a->name : std::string(agent_id)};
}

std::string AgentDirectory::model_of(std::string_view agent_id) const {
  const config::AgentConfig* a = find(agent_id);
  if (a && !a->model.empty()) return a->model;
  if (default_model_) return default_model_();
  return cfg_ ? cfg_->models.default_model : std::string();
}

}  // namespace simpleclaw::agents
