// users.<name> and gateway.mode: shared (docs/shared-mode.md): the checks the JSON
// Schema cannot express (token length and uniqueness, known scopes, users only in shared
// mode) and the typed fill. Token files are read by the gateway, not here: loading stays
// pure.
#include <algorithm>
#include <map>

#include "config/config.h"
#include "config/fields.h"
#include "config/yaml_json.h"

namespace simpleclaw::config::detail {
namespace {

constexpr std::size_t kMinTokenLength = 16;
constexpr const char* kGrantable[] = {"operator.read", "operator.write", "operator.approvals"};

bool grantable(const std::string& s) {
  return std::find(std::begin(kGrantable), std::end(kGrantable), s) != std::end(kGrantable);
}

// [a-z0-9][a-z0-9_-]{0,63}, as sessions::valid_agent_id (config sits below sessions).
bool is_valid_agent_slug(const std::string& id) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (id.empty() || id.size() > 64 || !alnum(id[0])) return false;
  return std::all_of(id.begin(), id.end(),
                     [&](char c) { return alnum(c) || c == '_' || c == '-'; });
}

}  // namespace

void check_users(const Json& doc, const YamlDoc& y, std::vector<Issue>& issues) {
  auto add = [&](const std::string& path, std::string msg) {
    issues.push_back(Issue{path, line_of(y, path), std::move(msg)});
  };
  const Json& gw = section(doc, "gateway");
  std::string mode = gw.value("mode", Json("local")).is_string()
                         ? gw.value("mode", Json("local")).get<std::string>()
                         : "local";
  const Json& users = section(doc, "users");
  // Users in local mode would be silently ignored (their tokens refused): an error that
  // names the fix, rather than a warning nobody reads.
  if (!users.empty() && mode != "shared")
    add("users",
        "users are only used with gateway.mode: shared; set gateway.mode: shared "
        "(or remove users)");
  std::string auth_mode = "token";
  const Json& auth = section(gw, "auth");
  if (auth.contains("mode") && auth["mode"].is_string())
    auth_mode = auth["mode"].get<std::string>();
  if (mode == "shared" && auth_mode == "none")
    add("gateway.auth.mode",
        "gateway.mode: shared needs auth mode token or password (with "
        "'none' everyone would be the admin)");

  // token -> where it was first seen, to report duplicates (a shared token would make
  // two users indistinguishable).
  std::map<std::string, std::string> seen;
  if (auth.contains("token") && auth["token"].is_string() &&
      !auth["token"].get_ref<const std::string&>().empty())
    seen[auth["token"].get<std::string>()] = "gateway.auth.token";
  for (const auto& [name, u] : users.items()) {
    std::string at = child_path("users", name);
    if (!u.is_object()) continue;  // the schema reported it
    bool has_token = u.contains("token") && u["token"].is_string();
    bool has_file = u.contains("token_file") && u["token_file"].is_string();
    if (has_token == has_file)
      add(at, has_token ? "set token or token_file, not both"
                        : "needs a token (or token_file); `simpleclaw users add " + name +
                              "` generates one");
    if (has_token) {
      const std::string& tok = u["token"].get_ref<const std::string&>();
      if (tok.size() < kMinTokenLength)
        add(at + ".token", "token is too short (" + std::to_string(tok.size()) +
                               " characters, at least " + std::to_string(kMinTokenLength) +
                               "); `simpleclaw users rotate-token " + name +
                               "` generates a strong one");
      auto [it, fresh] = seen.emplace(tok, at + ".token");
      if (!fresh)
        add(at + ".token",
            "token is the same as " + it->second + "; every user needs their own token");
    }
    if (u.contains("scopes") && u["scopes"].is_array()) {
      for (std::size_t i = 0; i < u["scopes"].size(); ++i) {
        const Json& s = u["scopes"][i];
        if (!s.is_string()) continue;
        const std::string& scope = s.get_ref<const std::string&>();
        std::string sp = index_path(at + ".scopes", i);
        if (scope == "operator.admin" || scope == "operator.pairing")
          add(sp, scope +
                      " cannot be granted to a user: it stays with the gateway token "
                      "(gateway.auth.token)");
        else if (!grantable(scope))
          add(sp, "unknown scope '" + scope +
                      "' (grantable: operator.read, operator.write, operator.approvals)");
      }
    }
    if (u.contains("agents")) {
      const Json& a = u["agents"];
      if (a.is_string() && a.get_ref<const std::string&>() != "*")
        add(at + ".agents", "must be a list of agent ids or \"*\" (every agent)");
      if (a.is_array())
        for (std::size_t i = 0; i < a.size(); ++i)
          if (!a[i].is_string() || !is_valid_agent_slug(a[i].get<std::string>()))
            add(index_path(at + ".agents", i), "not an agent id ([a-z0-9][a-z0-9_-]{0,63})");
    }
  }
  const Json& bindings = array_at(doc, "bindings");
  for (std::size_t i = 0; i < bindings.size(); ++i) {
    const Json& b = bindings[i];
    if (!b.is_object() || !b.contains("user") || !b["user"].is_string()) continue;
    const std::string& user = b["user"].get_ref<const std::string&>();
    if (!users.contains(user))
      add(index_path("bindings", i) + ".user",
          "unknown user '" + user + "' (add it under users, or `simpleclaw users add " + user +
              "`)");
  }
}

void fill_users(const Json& doc, Config& c) {
  for (const auto& [name, u] : section(doc, "users").items()) {
    UserConfig uc;
    uc.name = name;
    Fields<UserConfig>::read(u, uc);
    if (u.contains("agents") && u["agents"].is_array()) {
      uc.all_agents = false;
      read(u, "agents", uc.agents);
    }
    c.users.push_back(std::move(uc));
  }
  std::sort(c.users.begin(), c.users.end(),
            [](const UserConfig& a, const UserConfig& b) { return a.name < b.name; });
}

}  // namespace simpleclaw::config::detail
