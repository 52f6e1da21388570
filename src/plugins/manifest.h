// Plugin manifests (plugin.yaml) and their discovery, for the out-of-process plugin host
// (plugin_host.h, docs/plugins.md). A manifest declares one executable that speaks
// JSON-RPC 2.0 over stdio:
//
//   name: echo-channel          # [a-z0-9][a-z0-9_-]{0,31}; unique; not a built-in channel
//   version: 0.1.0
//   kind: channel               # channel | provider | tool
//   command: python3            # with a '/' or naming a file in the plugin's dir:
//   args: [plugin.py]           #   relative to that dir; else looked up in PATH
//   description: ...
//   config_schema: {type: object, ...}   # JSON Schema (draft 7) for the plugin's config
//
// Discovery reads <dir>/*/plugin.yaml for each dir in order (the state dir's plugins/
// first, then config plugins.dirs), at most kMaxPlugins manifests of at most
// kMaxManifestBytes each; a bad manifest is an error naming the file and the problem and
// does not stop the others; a second manifest with a name already seen is refused.
//
// Pure functions over the file system; blocking reads of small files, meant for start-up
// and config reload (bounded: 64 files of 64 KiB). Any thread.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::plugins {

inline constexpr std::size_t kMaxPlugins = 64;
inline constexpr std::size_t kMaxManifestBytes = 64 * 1024;

enum class PluginKind { kChannel, kProvider, kTool };
const char* plugin_kind_name(PluginKind k);  // "channel" | "provider" | "tool"

struct PluginManifest {
  std::string name;
  std::string version;
  PluginKind kind = PluginKind::kTool;
  std::string command;  // resolved: absolute when it was relative to the plugin dir
  std::vector<std::string> args;
  std::string description;
  Json config_schema;  // null = any config object accepted
  std::string dir;     // the plugin's directory (absolute): its cwd
  std::string path;    // the manifest file (absolute)
};

// Parses a manifest's text; `path` is the file it came from (for errors and for
// resolving a relative command against its directory). Errors read
// "<path>: <field>: <problem>".
Result<PluginManifest> parse_manifest(std::string_view text, const std::string& path);
// Reads and parses <path> (at most kMaxManifestBytes).
Result<PluginManifest> load_manifest(const std::string& path);

struct DiscoveryError {
  std::string path;     // the manifest (or directory) concerned
  std::string message;  // "<path>: <problem>"
};

struct Discovery {
  std::vector<PluginManifest> plugins;  // in discovery order, names unique
  std::vector<DiscoveryError> errors;
};

// <dir>/*/plugin.yaml for each dir (subdirectories sorted by name). Missing dirs are
// skipped silently (the default ~/.simpleclaw/plugins usually does not exist).
Discovery discover(const std::vector<std::string>& dirs);

// Validates `value` against a JSON Schema (draft 7). The error names the first problems
// with their JSON paths, e.g. "/greeting: Value type not permitted by 'type' constraint".
// A schema that valijson cannot parse is an error too.
Status validate_json(const Json& schema, const Json& value);

}  // namespace simpleclaw::plugins
