// docs/methods.md, generated from the method table and the params schemas, so the
// reference cannot drift from the code: `simpleclaw call --methods-markdown` prints it and
// a unit test compares it with the committed file.
#include <string>

#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

std::string type_of(const Json& prop) {
  if (!prop.is_object()) return "any";
  if (prop.contains("enum")) {
    std::string out;
    for (const Json& v : prop["enum"]) out += (out.empty() ? "" : " \\| ") + v.dump();
    return out;
  }
  if (prop.contains("const")) return prop["const"].dump();
  if (prop.contains("type")) {
    const Json& t = prop["type"];
    if (t.is_string()) return t.get<std::string>();
    std::string out;
    for (const Json& v : t) out += (out.empty() ? "" : " \\| ") + v.get<std::string>();
    return out;
  }
  if (prop.contains("oneOf") || prop.contains("anyOf")) return "one of several shapes";
  return "any";
}

// One line of text for a table cell.
std::string shared_cell(SharedRule r) {
  switch (r) {
    case SharedRule::kAdminOnly:
      return "admin only";
    case SharedRule::kOwnWithWrite:
      return "own, write";
    case SharedRule::kUser:
      break;
  }
  return "user";
}

std::string cell(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '|') c = ' ';
  return s;
}

}  // namespace

std::string methods_markdown() {
  const Json schemas = protocol::all_schemas();
  std::string out =
      "# Protocol methods\n\n"
      "Generated from the method table (`src/gateway/methods/table.cpp`) and the params\n"
      "schemas (`src/gateway/protocol/schemas/methods/`) by `simpleclaw call\n"
      "--methods-markdown`; a unit test fails when this file and the code disagree.\n\n"
      "Scope: what the caller needs (`-` = any authenticated client). Shared mode: whether a\n"
      "user (not the admin) may call it; session keys in the key field are moved into the\n"
      "user's namespace, the agent field must name a granted agent; \"own, write\": a user\n"
      "needs operator.write and reaches only what they created. Deferred: answered after\n"
      "I/O (a database commit, a probe) rather than at once.\n\n"
      "| Method | Scope | Shared mode | Deferred | Summary |\n"
      "|---|---|---|---|---|\n";
  for (const MethodSpec& m : method_table()) {
    std::string scope = m.scope == protocol::Scope::kNone
                            ? std::string("-")
                            : std::string(protocol::scope_name(m.scope));
    out += "| [`" + std::string(m.name) + "`](#" + std::string(m.name) + ") | " + scope + " | " +
           shared_cell(m.shared) + " | " + (m.deferred ? "yes" : "no") + " | " +
           cell(std::string(m.summary)) + " |\n";
  }
  for (const MethodSpec& m : method_table()) {
    out += "\n## " + std::string(m.name) + "\n\n" + std::string(m.summary) + ".\n\n";
    if (!m.key_field.empty())
      out +=
          "Session key: `" + std::string(m.key_field) + "`" +
          (m.agent_field.empty() ? ""
                                 : "; agent of a bare key: `" + std::string(m.agent_field) + "`") +
          ".\n\n";
    else if (!m.agent_field.empty())
      out += "Agent: `" + std::string(m.agent_field) + "`.\n\n";
    const std::string key = "methods/" + std::string(m.name) + ".params";
    const Json& schema = schemas.contains(key) ? schemas[key] : Json();
    const Json props = schema.is_object() ? schema.value("properties", Json::object()) : Json();
    if (!props.is_object() || props.empty()) {
      out += "No params.\n";
      continue;
    }
    Json required = schema.value("required", Json::array());
    out += "| Param | Type | Required | Description |\n|---|---|---|---|\n";
    for (const auto& [name, prop] : props.items()) {
      bool req = std::find(required.begin(), required.end(), name) != required.end();
      out += "| `" + name + "` | " + cell(type_of(prop)) + " | " + (req ? "yes" : "no") + " | " +
             cell(prop.is_object() ? prop.value("description", "") : "") + " |\n";
    }
  }
  return out;
}

}  // namespace simpleclaw::gateway
