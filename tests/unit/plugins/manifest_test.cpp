// plugin.yaml parsing and discovery (plugins/manifest.h): a table of good and bad
// manifests, each bad one's error naming the file and the field; discovery over two
// directories with a duplicate name, a bad manifest, an oversize one and the 64 cap.
#include "plugins/manifest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "unit/tools/test_util.h"

namespace simpleclaw::plugins {
namespace {

namespace fs = std::filesystem;
const std::string kPath = "/srv/plugins/x/plugin.yaml";

struct Case {
  const char* label;
  std::string text;
  const char* error;  // nullptr = valid; else a substring of the error
};

TEST(PluginManifest, ValidationTable) {
  const std::string base = "version: 1.0\nkind: tool\ncommand: ./run.sh\n";
  std::vector<Case> cases = {
      {"valid", "name: good-one_2\n" + base, nullptr},
      {"missing name", base, "name: is required"},
      {"missing version", "name: a\nkind: tool\ncommand: x\n", "version: is required"},
      {"missing kind", "name: a\nversion: 1\ncommand: x\n", "kind: is required"},
      {"missing command", "name: a\nversion: 1\nkind: tool\n", "command: is required"},
      {"bad kind", "name: a\nversion: 1\nkind: widget\ncommand: x\n",
       "kind: 'widget' must be one of: channel, provider, tool"},
      {"upper-case name", "name: Bad\n" + base, "name: 'Bad' must match"},
      {"leading dash", "name: -bad\n" + base, "must match"},
      {"name too long", "name: " + std::string(33, 'a') + "\n" + base, "name:"},
      {"built-in channel name", "name: webchat\nversion: 1\nkind: channel\ncommand: x\n",
       "is a built-in channel"},
      {"name not a string", "name: [a]\n" + base, "name: must be a string, not a list"},
      {"args not a list", "name: a\n" + base + "args: x\n", "args: must be a list"},
      {"schema not an object", "name: a\n" + base + "config_schema: 3\n",
       "config_schema: must be a JSON Schema object"},
      {"schema not compilable", "name: a\n" + base + "config_schema: {type: 12}\n",
       "config_schema: invalid schema"},
      {"unknown key", "name: a\n" + base + "colour: red\n", "colour: unknown key"},
      {"not a mapping", "- a\n- b\n", "must be a mapping"},
      {"bad yaml", "name: [a\n", "invalid YAML"},
      {"oversize", "name: a\n" + base + "description: \"" + std::string(70000, 'x') + "\"\n",
       "larger than 64 KiB"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.label);
    auto m = parse_manifest(c.text, kPath);
    if (!c.error) {
      ASSERT_TRUE(m.ok()) << m.error().message;
      continue;
    }
    ASSERT_FALSE(m.ok());
    EXPECT_EQ(m.error().message.rfind(kPath + ": ", 0), 0u) << m.error().message;
    EXPECT_NE(m.error().message.find(c.error), std::string::npos) << m.error().message;
  }
}

TEST(PluginManifest, FieldsAndRelativeCommand) {
  auto m = parse_manifest(
      "name: echo\nversion: 0.1.0\nkind: channel\ncommand: ./run.sh\nargs: [--x, 3]\n"
      "description: hi\nconfig_schema: {type: object}\n",
      kPath);
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m->name, "echo");
  EXPECT_EQ(m->kind, PluginKind::kChannel);
  EXPECT_EQ(m->command, "/srv/plugins/x/run.sh");
  EXPECT_EQ(m->args, (std::vector<std::string>{"--x", "3"}));
  EXPECT_EQ(m->dir, "/srv/plugins/x");
  EXPECT_TRUE(m->config_schema.is_object());

  auto sub = parse_manifest("name: a\nversion: 1\nkind: tool\ncommand: bin/tool\n", kPath);
  ASSERT_TRUE(sub.ok());
  EXPECT_EQ(sub->command, "/srv/plugins/x/bin/tool");
  // A bare name with no such file in the plugin's dir is a program on PATH.
  auto bare = parse_manifest("name: a\nversion: 1\nkind: tool\ncommand: python3\n", kPath);
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(bare->command, "python3");
  auto abs = parse_manifest("name: a\nversion: 1\nkind: tool\ncommand: /usr/bin/env\n", kPath);
  ASSERT_TRUE(abs.ok());
  EXPECT_EQ(abs->command, "/usr/bin/env");
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

std::string manifest(const std::string& name, const std::string& kind = "tool") {
  return "name: " + name + "\nversion: 1\nkind: " + kind + "\ncommand: python3\n";
}

TEST(PluginDiscovery, TwoDirsDuplicatesAndBadManifests) {
  tools::test_util::TempDir t("sc-plugins");
  fs::path d1 = fs::path(t.path) / "one", d2 = fs::path(t.path) / "two";
  write(d1 / "a" / "plugin.yaml", manifest("alpha"));
  write(d1 / "b" / "plugin.yaml", manifest("bravo", "gizmo"));
  fs::create_directories(d1 / "c");  // no manifest: not a plugin
  write(d2 / "d" / "plugin.yaml", manifest("alpha"));
  write(d2 / "e" / "plugin.yaml", manifest("echo"));
  write(d2 / "f" / "plugin.yaml", std::string(70 * 1024, '#'));

  Discovery d = discover({d1.string(), (fs::path(t.path) / "missing").string(), d2.string()});
  ASSERT_EQ(d.plugins.size(), 2u);
  EXPECT_EQ(d.plugins[0].name, "alpha");
  EXPECT_EQ(d.plugins[0].path, (d1 / "a" / "plugin.yaml").string());
  EXPECT_EQ(d.plugins[1].name, "echo");
  ASSERT_EQ(d.errors.size(), 3u);
  EXPECT_EQ(d.errors[0].path, (d1 / "b" / "plugin.yaml").string());
  EXPECT_NE(d.errors[0].message.find("kind: 'gizmo'"), std::string::npos);
  EXPECT_EQ(d.errors[1].path, (d2 / "d" / "plugin.yaml").string());
  EXPECT_NE(d.errors[1].message.find("duplicate plugin name 'alpha'"), std::string::npos);
  EXPECT_NE(d.errors[1].message.find((d1 / "a" / "plugin.yaml").string()), std::string::npos);
  EXPECT_NE(d.errors[2].message.find("larger than 64 KiB"), std::string::npos);
}

TEST(PluginDiscovery, AtMost64) {
  tools::test_util::TempDir t("sc-plugins");
  for (int i = 0; i < 70; ++i) {
    char n[16];
    std::snprintf(n, sizeof n, "p%02d", i);
    write(fs::path(t.path) / n / "plugin.yaml", manifest(n));
  }
  Discovery d = discover({t.path});
  EXPECT_EQ(d.plugins.size(), kMaxPlugins);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors[0].message.find("more than 64 plugins"), std::string::npos);
}

TEST(PluginConfigSchema, ClearErrors) {
  Json schema = Json::parse(R"({"type":"object","additionalProperties":false,
      "properties":{"port":{"type":"integer"}},"required":["port"]})");
  EXPECT_TRUE(validate_json(schema, Json{{"port", 3}}).ok());
  auto bad_type = validate_json(schema, Json{{"port", "x"}});
  ASSERT_FALSE(bad_type.ok());
  EXPECT_NE(bad_type.error().message.find("/port"), std::string::npos) << bad_type.error().message;
  auto missing = validate_json(schema, Json::object());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("port"), std::string::npos) << missing.error().message;
}

}  // namespace
}  // namespace simpleclaw::plugins
