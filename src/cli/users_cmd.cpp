// `simpleclaw users add|list|remove|rotate-token` (shared mode). Every change is a JSON
// merge patch of users.<name> applied like `config patch`: through the running gateway
// (config.patch with baseHash, so it hot-applies and the gateway closes a rotated or
// removed user's sockets with 4001), else by the same checked atomic write on the file.
// Tokens are generated here (32 random bytes, base64url), printed once, never listed.
#include <cstdio>

#include "base/ids.h"
#include "cli/cli.h"
#include "config/config.h"
#include "sessions/keys.h"

namespace simpleclaw::cli {
namespace {

std::vector<std::string> split_csv(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t comma = s.find(',', start);
    std::string part =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    while (!part.empty() && part.front() == ' ') part.erase(part.begin());
    while (!part.empty() && part.back() == ' ') part.pop_back();
    if (!part.empty()) out.push_back(part);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// The current `users` section: from the running gateway (secrets redacted), else the file.
Result<Json> current_users(Target& t) {
  auto c = WsClient::connect(client_options(t));
  if (c.ok()) {
    auto r = (*c)->call("config.get");
    (*c)->close();
    if (!r.ok()) return r.error();
    const Json& cfg = (*r)["config"];
    return cfg.is_object() && cfg.contains("users") && cfg["users"].is_object() ? cfg["users"]
                                                                                : Json::object();
  }
  if (!c.error().is_io()) return c.error();  // io: no gateway there
  auto doc = config::yaml_to_json(config::read_state(t.config_path).raw);
  if (!doc.ok()) return doc.error();
  return doc->is_object() && doc->contains("users") && (*doc)["users"].is_object() ? (*doc)["users"]
                                                                                   : Json::object();
}

int usage() {
  fprintf(stderr,
          "usage: simpleclaw users add NAME [--scopes a,b] [--agents x,y|*] | list | "
          "remove NAME | rotate-token NAME\n");
  return 2;
}

int fail(const Error& e) {
  fprintf(stderr, "error: %s\n", e.message.c_str());
  return 1;
}

void print_token(const std::string& name, const std::string& token, bool json_out) {
  if (json_out) {
    printf("%s\n", Json{{"user", name}, {"token", token}}.dump().c_str());
    return;
  }
  fprintf(stderr, "token for %s (shown once; give it to them, it is not stored anywhere else):\n",
          name.c_str());
  printf("%s\n", token.c_str());
}

}  // namespace

int users_command(const UsersOptions& o, Target& t, bool json_out) {
  resolve_target(t);
  if (o.args.empty()) return usage();
  const std::string& sub = o.args[0];
  if (sub == "list") {
    auto users = current_users(t);
    if (!users.ok()) return fail(users.error());
    if (json_out) {
      Json out = Json::array();
      for (const auto& [name, u] : users->items()) {
        Json e{{"name", name},
               {"scopes", u.value("scopes", Json::array({"operator.read", "operator.write"}))},
               {"agents", u.value("agents", Json("*"))},
               {"tokenFrom", u.contains("token_file") ? "token_file" : "token"}};
        out.push_back(std::move(e));
      }
      printf("%s\n", out.dump(2).c_str());
      return 0;
    }
    if (users->empty()) printf("no users (the gateway token is the only credential)\n");
    for (const auto& [name, u] : users->items()) {
      std::string scopes = "operator.read,operator.write", agents = "*";
      if (u.contains("scopes") && u["scopes"].is_array()) {
        scopes.clear();
        for (const Json& s : u["scopes"]) scopes += (scopes.empty() ? "" : ",") + s.dump();
      }
      if (u.contains("agents") && u["agents"].is_array()) {
        agents.clear();
        for (const Json& a : u["agents"]) agents += (agents.empty() ? "" : ",") + a.dump();
      }
      printf("%-20s scopes=%s agents=%s%s\n", name.c_str(), scopes.c_str(), agents.c_str(),
             u.contains("token_file") ? " (token_file)" : "");
    }
    return 0;
  }
  if (o.args.size() != 2) return usage();
  const std::string& name = o.args[1];
  if (!sessions::valid_user_name(name)) {
    fprintf(stderr,
            "error: user name '%s' is not valid: use 1-32 of a-z, 0-9, '_' and '-', "
            "starting with a letter or digit\n",
            name.c_str());
    return 2;
  }
  auto users = current_users(t);
  if (!users.ok()) return fail(users.error());
  bool exists = users->contains(name);
  if (sub == "add") {
    if (exists) {
      fprintf(stderr, "error: user %s already exists (rotate-token gives a new token)\n",
              name.c_str());
      return 1;
    }
    std::string token = random_token();
    Json entry{{"token", token}};
    entry["scopes"] = o.scopes.empty() ? Json::array({"operator.read", "operator.write"})
                                       : Json(split_csv(o.scopes));
    if (o.agents.empty() || o.agents == "*")
      entry["agents"] = "*";
    else
      entry["agents"] = split_csv(o.agents);
    if (int rc = apply_config_patch(t, Json{{"users", {{name, entry}}}}, false); rc != 0) return rc;
    print_token(name, token, json_out);
    return 0;
  }
  if (!exists) {
    fprintf(stderr, "error: no user %s (simpleclaw users list shows them)\n", name.c_str());
    return 1;
  }
  if (sub == "remove") return apply_config_patch(t, Json{{"users", {{name, nullptr}}}}, json_out);
  if (sub == "rotate-token") {
    std::string token = random_token();
    // A token_file user gets an inline token from now on: the file is left alone.
    Json entry{{"token", token}, {"token_file", nullptr}};
    if (int rc = apply_config_patch(t, Json{{"users", {{name, entry}}}}, false); rc != 0) return rc;
    print_token(name, token, json_out);
    return 0;
  }
  return usage();
}

}  // namespace simpleclaw::cli
