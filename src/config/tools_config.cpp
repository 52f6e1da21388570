// tools / mcp / nodes sections: typed structs, per-agent tool overrides applied over the
// tools.* defaults, and the checks the JSON Schema cannot express (exec allowlist
// patterns must start with an absolute binary path).
#include <algorithm>
#include <cctype>

#include "config/config.h"
#include "config/fields.h"
#include "config/yaml_json.h"

namespace simpleclaw::config {

namespace detail {
namespace {

// Fields present in `t` override `x` (the defaults or an agent's copy of them).
void fill_tools(const Json& t, ToolsConfig& x) { Fields<ToolsConfig>::read(t, x); }

void check_allow(const Json& tools, const std::string& path, const YamlDoc& y,
                 std::vector<Issue>& issues) {
  const Json& allow = array_at(section(tools, "exec"), "allow");
  for (std::size_t i = 0; i < allow.size(); ++i) {
    if (!allow[i].is_string()) continue;
    const std::string& p = allow[i].get_ref<const std::string&>();
    if (p.empty() || p[0] != '/') {
      std::string at = index_path(path + ".exec.allow", i);
      issues.push_back(Issue{at, line_of(y, at),
                             "must start with the absolute path of the binary (e.g. '/usr/bin/git "
                             "status'), got '" +
                                 p + "'"});
    }
  }
}
}  // namespace

void check_tools(const Json& doc, const YamlDoc& y, std::vector<Issue>& issues) {
  // Server names become tool name prefixes (<server>__<tool>): keep them simple.
  for (const auto& [name, s] : section(section(doc, "mcp"), "servers").items()) {
    bool ok = !name.empty() && name.size() <= 32 && name.find("__") == std::string::npos;
    for (char ch : name)
      ok = ok && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-');
    if (!ok) {
      std::string at = child_path("mcp.servers", name);
      issues.push_back(Issue{at, line_of(y, at),
                             "server name must be 1-32 letters, digits, '_' or '-' (no '__')"});
    }
  }
  check_allow(section(doc, "tools"), "tools", y, issues);
  const Json& list = array_at(section(doc, "agents"), "list");
  for (std::size_t i = 0; i < list.size(); ++i)
    check_allow(section(list[i], "tools"), index_path("agents.list", i) + ".tools", y, issues);
}

void fill_tools_mcp_nodes(const Json& doc, Config& c) {
  fill_tools(section(doc, "tools"), c.tools);
  const Json& list = array_at(section(doc, "agents"), "list");
  for (AgentConfig& a : c.agents.list) {
    a.tools = c.tools;
    for (const Json& j : list)
      if (j.is_object() && j.value("id", "") == a.id) fill_tools(section(j, "tools"), a.tools);
  }
  for (const auto& [name, s] : section(section(doc, "mcp"), "servers").items()) {
    McpServerConfig m;
    m.name = name;
    Fields<McpServerConfig>::read(s, m);
    c.mcp.push_back(std::move(m));
  }
  read_value(doc, "nodes", c.nodes);
}

}  // namespace detail
AgentsEdit exec_allow_edit(const Config& current, std::string agent_id,
                           std::vector<std::string> patterns) {
  using OJson = nlohmann::ordered_json;
  // The inherited list, read now: `current` may be replaced before the edit runs.
  std::vector<std::string> inherited;
  if (const AgentConfig* a = find_agent(current, agent_id)) inherited = a->tools.exec.allow;
  return [agent_id = std::move(agent_id), patterns = std::move(patterns),
          inherited = std::move(inherited)](OJson& list) -> Status {
    OJson* entry = agent_entry(list, agent_id);
    if (!entry) {
      list.push_back(OJson{{"id", agent_id}});
      entry = &list.back();
    }
    OJson& allow = (*entry)["tools"]["exec"]["allow"];
    if (!allow.is_array()) {
      // Start from the inherited defaults so adding a pattern never drops them.
      allow = OJson::array();
      for (const std::string& p : inherited) allow.push_back(p);
    }
    for (const std::string& p : patterns)
      if (std::find(allow.begin(), allow.end(), p) == allow.end()) allow.push_back(p);
    return Ok{};
  };
}

Result<WriteResult> add_exec_allow(const std::string& path, const Config& current,
                                   const std::string& agent_id,
                                   const std::vector<std::string>& patterns) {
  return edit_agents_checked(path, exec_allow_edit(current, agent_id, patterns));
}

}  // namespace simpleclaw::config
