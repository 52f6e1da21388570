// One description per config key (config/fields.h): the typed structs in config.h are the
// source of every default; the JSON Schema's defaults and the values in the example
// default_config.yaml must say the same, and the field lists must read what they write.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "config/fields.h"

namespace {

using namespace simpleclaw;
using namespace simpleclaw::config;

std::string read_source(const std::string& rel) {
  std::ifstream in(std::string(SIMPLECLAW_SOURCE_DIR) + "/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

template <typename T>
Json written(const T& x) {
  Json j = Json::object();
  Fields<T>::write(j, x);
  return j;
}

// The defaults of every typed section, shaped like a config document; maps and lists
// hold one default-constructed element so their items' defaults can be compared too.
Json typed_defaults() {
  Config c;
  Json provider = written(ProviderConfig{});
  provider["models"] = Json::array({written(ModelEntry{})});
  Json agent = written(AgentConfig{});
  agent["tools"] = written(sdk::ToolPolicy{});
  Json models = written(c.models);
  models["providers"] = Json{{"*", provider}};
  Json mapping = written(HookMappingConfig{});
  mapping["deliver"] = written(HookDeliverConfig{});
  Json hooks = written(c.hooks);
  hooks["mappings"] = Json{{"*", mapping}};
  return Json{{"gateway", written(c.gateway)},
              {"hooks", hooks},
              {"discovery", written(c.discovery)},
              {"logging", written(c.logging)},
              {"models", models},
              {"agents", {{"default", c.agents.default_id}, {"list", Json::array({agent})}}},
              {"sessions", written(c.sessions)},
              {"tools", written(c.tools)},
              {"mcp", {{"servers", {{"*", written(McpServerConfig{})}}}}},
              {"nodes", written(c.nodes)}};
}

const Json& resolve(const Json& root, const Json& node) {
  if (node.is_object() && node.contains("$ref")) {
    std::string ref = node["$ref"].get<std::string>();
    return root.at(Json::json_pointer(ref.substr(1)));
  }
  return node;
}

// Every "default" in the schema below `node`, with the typed default at the same place.
void compare_defaults(const Json& root, const Json& node_in, const Json& typed,
                      const std::string& path, std::vector<std::string>& problems, int& seen) {
  const Json& node = resolve(root, node_in);
  if (!node.is_object()) return;
  if (node.contains("default")) {
    ++seen;
    if (typed.is_discarded())
      problems.push_back(path + ": the schema has a default, config.h has no such field");
    else if (typed != node["default"])
      problems.push_back(path + ": schema default " + node["default"].dump() + ", config.h " +
                         typed.dump());
  }
  auto child = [&](const Json& t, const char* key) {
    return t.is_object() && t.contains(key) ? t[key] : Json(Json::value_t::discarded);
  };
  if (node.contains("properties"))
    for (const auto& [k, v] : node["properties"].items())
      compare_defaults(root, v, child(typed, k.c_str()), path + "." + k, problems, seen);
  if (node.contains("additionalProperties") && node["additionalProperties"].is_object())
    compare_defaults(root, node["additionalProperties"], child(typed, "*"), path + ".*", problems,
                     seen);
  if (node.contains("items"))
    compare_defaults(root, node["items"],
                     typed.is_array() && !typed.empty() ? typed[0] : Json(Json::value_t::discarded),
                     path + "[]", problems, seen);
}

TEST(ConfigFields, EverySchemaDefaultIsTheDefaultWrittenInConfigH) {
  Json schema = Json::parse(read_source("src/config/config.schema.json"));
  Json typed = typed_defaults();
  std::vector<std::string> problems;
  int seen = 0;
  for (const auto& [section, sub] : typed.items())
    compare_defaults(schema, schema["properties"][section], sub, section, problems, seen);
  EXPECT_GT(seen, 50) << "the walk found the schema's defaults";
  for (const auto& p : problems) ADD_FAILURE() << p;
}

// Every value the example file sets (the rest is commented out) is the typed default.
void compare_values(const Json& doc, const Json& typed, const std::string& path,
                    std::vector<std::string>& problems) {
  if (doc.is_object()) {
    for (const auto& [k, v] : doc.items()) {
      if (!typed.is_object() || !typed.contains(k)) {
        problems.push_back(path + "." + k + ": set in default_config.yaml, unknown to config.h");
        continue;
      }
      compare_values(v, typed[k], path + "." + k, problems);
    }
  } else if (doc != typed) {
    problems.push_back(path + ": default_config.yaml says " + doc.dump() + ", config.h " +
                       typed.dump());
  }
}

TEST(ConfigFields, TheExampleConfigFileShowsTheRealDefaults) {
  auto doc = yaml_to_json(read_source("src/config/default_config.yaml"));
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  Json typed = typed_defaults();
  std::vector<std::string> problems;
  int sections = 0;
  for (const auto& [section, v] : doc->items()) {
    if (!typed.contains(section)) continue;  // channels, plugins: JSON sections, not typed
    ++sections;
    compare_values(v, typed[section], section, problems);
  }
  EXPECT_GE(sections, 4);
  for (const auto& p : problems) ADD_FAILURE() << p;
}

TEST(ConfigFields, ReadTakesWhatIsPresentAndKeepsTheRest) {
  GatewayConfig g;
  Fields<GatewayConfig>::read(
      Json{{"port", 9000}, {"timers", {{"tick_ms", 1234}}}, {"allowed_origins", {"https://a"}}}, g);
  EXPECT_EQ(g.port, 9000);
  EXPECT_EQ(g.timers.tick_ms, 1234);
  EXPECT_EQ(g.timers.ping_ms, TimersConfig{}.ping_ms) << "an absent key keeps its default";
  EXPECT_EQ(g.allowed_origins, std::vector<std::string>{"https://a"});
  EXPECT_EQ(g.bind, "loopback");

  // An agent's tools: its own keys laid over its copy of tools.*.
  sdk::ToolPolicy base;
  base.exec.security = "full";
  base.max_steps = 7;
  sdk::ToolPolicy agent = base;
  Fields<sdk::ToolPolicy>::read(Json{{"max_steps", 3}, {"exec", {{"sandbox", false}}}}, agent);
  EXPECT_EQ(agent.max_steps, 3);
  EXPECT_EQ(agent.exec.security, "full") << "not reset to the struct default";
  ASSERT_TRUE(agent.exec.sandbox.has_value());
  EXPECT_FALSE(*agent.exec.sandbox);

  // Lists of structs: each element from its own defaults.
  ProviderConfig p;
  Fields<ProviderConfig>::read(Json{{"models", {{{"id", "a"}}, {{"id", "b"}, {"max_tokens", 9}}}}},
                               p);
  ASSERT_EQ(p.models.size(), 2u);
  EXPECT_EQ(p.models[0].max_tokens, ModelEntry{}.max_tokens);
  EXPECT_EQ(p.models[1].max_tokens, 9);
}

TEST(ConfigFields, WriteThenReadGivesTheSameConfig) {
  SessionsConfig s;
  s.queue_mode = "collect";
  s.reset.mode = "idle";
  s.reset.idle_minutes = 90;
  SessionsConfig back;
  Fields<SessionsConfig>::read(written(s), back);
  EXPECT_EQ(written(back), written(s));
  sdk::ExecSettings unset;
  EXPECT_FALSE(written(unset).contains("sandbox")) << "an unset optional is left out";
}

}  // namespace
