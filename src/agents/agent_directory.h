// AgentDirectory: the configured agents as the run engine, the session service and the
// method handlers see them: which agent a session key belongs to (a bare key names the
// default agent), where an agent's workspace is and what its system prompt is made of.
// One owner of "which agents exist" so every caller resolves keys and workspaces alike.
//
// Threading: loop thread. configure() points it at the live config.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "sessions/keys.h"
#include "simpleclaw/result.h"

namespace simpleclaw::agents {

// Where an agent's system prompt comes from (read on the blocking pool).
struct PromptSource {
  std::string workspace, agent_name;
};

class AgentDirectory {
 public:
  explicit AgentDirectory(std::string state_dir) : state_dir_(std::move(state_dir)) {}
  // The gateway's live config (replaced in place on a reload); it outlives this.
  void configure(const config::Config& cfg) { cfg_ = &cfg; }
  // Where the default model comes from when set (the model catalog's: it also knows an
  // implicit provider found at run time, such as a local Ollama); else models.default.
  void set_default_model(std::function<std::string()> get) { default_model_ = std::move(get); }

  // Canonicalises a session key (sessions/keys.h) and checks that its agent exists:
  // errors are INVALID_REQUEST "invalid session key: ..." or NOT_FOUND "unknown agent: X
  // (see agents.list)" (details.code AGENT_NOT_FOUND). `agent_override` names the agent
  // of a bare key ("" = agents.default).
  Result<sessions::SessionKey> parse_key(std::string_view raw,
                                         std::string_view agent_override = {}) const;
  const config::AgentConfig* find(std::string_view agent_id) const;
  const std::string& default_id() const;
  // The agent's workspace: agents.list[].workspace (with "~/" expanded), else
  // <state>/agents/<id>/workspace.
  std::string workspace_of(std::string_view agent_id) const;
  PromptSource prompt_source(std::string_view agent_id) const;
  // The model an agent's runs use before overrides: its own, else the default model.
  std::string model_of(std::string_view agent_id) const;

 private:
  std::string state_dir_;
  const config::Config* cfg_ = nullptr;  // the gateway's live config; outlives this
  std::function<std::string()> default_model_;
};

}  // namespace simpleclaw::agents
