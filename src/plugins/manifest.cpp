// Manifest parsing, discovery and JSON Schema checks (see manifest.h). valijson's and
// std::filesystem's exceptions are caught here and become errors.
#include "plugins/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>

#include "config/config.h"
#include "plugins/builtin.h"

namespace simpleclaw::plugins {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxArgs = 64;
constexpr std::size_t kMaxArgBytes = 4096;
constexpr std::size_t kMaxDescription = 1024;
constexpr std::size_t kMaxVersion = 64;

Error bad(const std::string& path, const std::string& msg) {
  return Error::invalid(path + ": " + msg, "BAD_PLUGIN_MANIFEST");
}

bool valid_name(const std::string& n) {
  static const std::regex re("[a-z0-9][a-z0-9_-]{0,31}");
  return std::regex_match(n, re);
}

// Readable label for a JSON value's type in messages.
const char* type_name(const Json& j) {
  if (j.is_string()) return "a string";
  if (j.is_number()) return "a number";
  if (j.is_boolean()) return "a boolean";
  if (j.is_array()) return "a list";
  if (j.is_object()) return "a mapping";
  return "null";
}

// A relative command is relative to the manifest's dir when it has a '/' or names a file
// that exists there; a bare name otherwise is a program on PATH ("python3").
std::string resolve_command(const std::string& cmd, const fs::path& dir) {
  fs::path p(cmd);
  if (p.is_absolute()) return cmd;
  std::error_code ec;
  if (cmd.find('/') != std::string::npos || fs::exists(dir / p, ec))
    return (dir / p).lexically_normal().string();
  return cmd;
}

// valijson is built without exceptions here (as in src/config): on a malformed schema its
// parser prints and aborts. So a plugin's schema is first checked against this draft-07
// meta-schema (trimmed to the keywords whose shape valijson relies on) and for $refs
// that point outside the document or nowhere; only then is it handed to the parser.
const char* const kMetaSchema = R"JSON({
  "definitions": {
    "schemaArray": {"type": "array", "minItems": 1, "items": {"$ref": "#"}},
    "nonNegativeInteger": {"type": "integer", "minimum": 0},
    "simpleTypes": {"enum": ["array", "boolean", "integer", "null", "number", "object", "string"]},
    "stringArray": {"type": "array", "items": {"type": "string"}}
  },
  "type": ["object", "boolean"],
  "properties": {
    "$id": {"type": "string"}, "$schema": {"type": "string"}, "$ref": {"type": "string"},
    "$comment": {"type": "string"}, "title": {"type": "string"},
    "description": {"type": "string"},
    "multipleOf": {"type": "number", "exclusiveMinimum": 0},
    "maximum": {"type": "number"}, "exclusiveMaximum": {"type": "number"},
    "minimum": {"type": "number"}, "exclusiveMinimum": {"type": "number"},
    "maxLength": {"$ref": "#/definitions/nonNegativeInteger"},
    "minLength": {"$ref": "#/definitions/nonNegativeInteger"},
    "pattern": {"type": "string"},
    "additionalItems": {"$ref": "#"},
    "items": {"anyOf": [{"$ref": "#"}, {"$ref": "#/definitions/schemaArray"}]},
    "maxItems": {"$ref": "#/definitions/nonNegativeInteger"},
    "minItems": {"$ref": "#/definitions/nonNegativeInteger"},
    "uniqueItems": {"type": "boolean"},
    "contains": {"$ref": "#"},
    "maxProperties": {"$ref": "#/definitions/nonNegativeInteger"},
    "minProperties": {"$ref": "#/definitions/nonNegativeInteger"},
    "required": {"$ref": "#/definitions/stringArray"},
    "additionalProperties": {"$ref": "#"},
    "definitions": {"type": "object", "additionalProperties": {"$ref": "#"}},
    "properties": {"type": "object", "additionalProperties": {"$ref": "#"}},
    "patternProperties": {"type": "object", "additionalProperties": {"$ref": "#"}},
    "dependencies": {"type": "object", "additionalProperties":
        {"anyOf": [{"$ref": "#"}, {"$ref": "#/definitions/stringArray"}]}},
    "propertyNames": {"$ref": "#"},
    "enum": {"type": "array", "minItems": 1},
    "type": {"anyOf": [{"$ref": "#/definitions/simpleTypes"},
                       {"type": "array", "items": {"$ref": "#/definitions/simpleTypes"},
                        "minItems": 1, "uniqueItems": true}]},
    "format": {"type": "string"},
    "if": {"$ref": "#"}, "then": {"$ref": "#"}, "else": {"$ref": "#"},
    "allOf": {"$ref": "#/definitions/schemaArray"},
    "anyOf": {"$ref": "#/definitions/schemaArray"},
    "oneOf": {"$ref": "#/definitions/schemaArray"},
    "not": {"$ref": "#"}
  }
})JSON";

// Every "$ref" is a local pointer ("#", "#/definitions/x") that resolves in `root`.
bool refs_ok(const Json& node, const Json& root, int depth = 0) {
  if (depth > 64) return false;
  if (node.is_object()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      if (it.key() == "$ref") {
        if (!it->is_string()) return false;
        const std::string& r = it->get_ref<const std::string&>();
        if (r == "#") continue;
        if (r.rfind("#/", 0) != 0) return false;
        try {
          if (!root.contains(Json::json_pointer(r.substr(1)))) return false;
        } catch (const std::exception&) {
          return false;
        }
      } else if (!refs_ok(*it, root, depth + 1)) {
        return false;
      }
    }
  } else if (node.is_array()) {
    for (const auto& v : node)
      if (!refs_ok(v, root, depth + 1)) return false;
  }
  return true;
}

Status run_validator(const valijson::Schema& compiled, const Json& value);

const valijson::Schema& meta_schema() {
  static const valijson::Schema* compiled = [] {
    auto* s = new valijson::Schema();
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    Json doc = Json::parse(kMetaSchema);
    valijson::adapters::NlohmannJsonAdapter adapter(doc);
    parser.populateSchema(adapter, *s);
    return s;
  }();
  return *compiled;
}

}  // namespace

const char* plugin_kind_name(PluginKind k) {
  switch (k) {
    case PluginKind::kChannel:
      return "channel";
    case PluginKind::kProvider:
      return "provider";
    case PluginKind::kTool:
      return "tool";
  }
  return "tool";
}

Result<PluginManifest> parse_manifest(std::string_view text, const std::string& path) {
  if (text.size() > kMaxManifestBytes)
    return bad(path,
               "manifest is larger than " + std::to_string(kMaxManifestBytes / 1024) + " KiB");
  auto doc = config::yaml_to_json(text);
  if (!doc.ok()) return bad(path, doc.error().message);
  const Json& j = *doc;
  if (!j.is_object()) return bad(path, "must be a mapping (name, version, kind, command, ...)");

  PluginManifest m;
  m.path = path;
  std::error_code ec;
  fs::path dir = fs::path(path).parent_path();
  if (dir.is_relative()) dir = fs::absolute(dir, ec);
  m.dir = dir.lexically_normal().string();
  if (!m.dir.empty() && m.dir.size() > 1 && m.dir.back() == '/') m.dir.pop_back();

  auto str = [&](const char* key, bool required, std::size_t max, std::string& out) -> Status {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (required) return bad(path, std::string(key) + ": is required");
      return Ok{};
    }
    if (!it->is_string())
      return bad(path, std::string(key) + ": must be a string, not " + type_name(*it));
    out = it->get<std::string>();
    if (required && out.empty()) return bad(path, std::string(key) + ": must not be empty");
    if (out.size() > max)
      return bad(path, std::string(key) + ": is longer than " + std::to_string(max) + " bytes");
    return Ok{};
  };

  if (auto s = str("name", true, 32, m.name); !s.ok()) return s.error();
  if (!valid_name(m.name))
    return bad(path, "name: '" + m.name +
                         "' must match [a-z0-9][a-z0-9_-]{0,31} (lower case letters, digits, "
                         "'_' and '-', at most 32)");
  // `version: 1.0` is a number in YAML; take its text rather than refuse it.
  if (auto it = j.find("version"); it != j.end() && it->is_number()) {
    m.version = it->dump();
  } else if (auto s = str("version", true, kMaxVersion, m.version); !s.ok()) {
    return s.error();
  }
  std::string kind;
  if (auto s = str("kind", true, 16, kind); !s.ok()) return s.error();
  if (kind == "channel")
    m.kind = PluginKind::kChannel;
  else if (kind == "provider")
    m.kind = PluginKind::kProvider;
  else if (kind == "tool")
    m.kind = PluginKind::kTool;
  else
    return bad(path, "kind: '" + kind + "' must be one of: channel, provider, tool");
  if (m.kind == PluginKind::kChannel && builtin_registry().channel(m.name))
    return bad(path, "name: '" + m.name + "' is a built-in channel");
  std::string command;
  if (auto s = str("command", true, kMaxArgBytes, command); !s.ok()) return s.error();
  m.command = resolve_command(command, dir);
  if (auto s = str("description", false, kMaxDescription, m.description); !s.ok()) return s.error();

  if (auto it = j.find("args"); it != j.end() && !it->is_null()) {
    if (!it->is_array())
      return bad(path, std::string("args: must be a list, not ") + type_name(*it));
    if (it->size() > kMaxArgs)
      return bad(path, "args: at most " + std::to_string(kMaxArgs) + " items");
    for (std::size_t i = 0; i < it->size(); ++i) {
      const Json& a = (*it)[i];
      if (a.is_string())
        m.args.push_back(a.get<std::string>());
      else if (a.is_number() || a.is_boolean())
        m.args.push_back(a.dump());
      else
        return bad(path, "args[" + std::to_string(i) + "]: must be a string");
      if (m.args.back().size() > kMaxArgBytes)
        return bad(path, "args[" + std::to_string(i) + "]: too long");
    }
  }

  if (auto it = j.find("config_schema"); it != j.end() && !it->is_null()) {
    if (!it->is_object())
      return bad(path,
                 std::string("config_schema: must be a JSON Schema object, not ") + type_name(*it));
    // Compile it once now so a broken schema is reported against the manifest.
    auto st = validate_json(*it, Json::object());
    if (!st.ok() && st.error().message.rfind("invalid schema", 0) == 0)
      return bad(path, "config_schema: " + st.error().message);
    m.config_schema = *it;
  }

  for (auto it = j.begin(); it != j.end(); ++it) {
    static const char* kKnown[] = {"name", "version",     "kind",         "command",
                                   "args", "description", "config_schema"};
    if (std::none_of(std::begin(kKnown), std::end(kKnown),
                     [&](const char* k) { return it.key() == k; }))
      return bad(path, it.key().substr(0, 64) +
                           ": unknown key (allowed: name, version, kind, "
                           "command, args, description, config_schema)");
  }
  return m;
}

Result<PluginManifest> load_manifest(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) return bad(path, "cannot read: " + ec.message());
  if (size > kMaxManifestBytes)
    return bad(path,
               "manifest is larger than " + std::to_string(kMaxManifestBytes / 1024) + " KiB");
  std::ifstream f(path, std::ios::binary);
  if (!f) return bad(path, "cannot read");
  std::string text(kMaxManifestBytes + 1, '\0');
  f.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(f.gcount()));
  return parse_manifest(text, path);
}

Discovery discover(const std::vector<std::string>& dirs) {
  Discovery out;
  std::map<std::string, std::string> seen;  // name -> manifest path
  std::size_t considered = 0;
  bool over_reported = false;
  for (const std::string& d : dirs) {
    std::error_code ec;
    if (d.empty() || !fs::is_directory(d, ec)) continue;
    std::vector<fs::path> subdirs;
    try {
      for (const auto& e :
           fs::directory_iterator(d, fs::directory_options::skip_permission_denied)) {
        std::error_code ec2;
        if (e.is_directory(ec2)) subdirs.push_back(e.path());
        if (subdirs.size() > 4 * kMaxPlugins) break;  // a huge dir is not a plugin dir
      }
    } catch (const std::exception& e) {
      out.errors.push_back({d, d + ": cannot list: " + std::string(e.what())});
      continue;
    }
    std::sort(subdirs.begin(), subdirs.end());
    for (const auto& sd : subdirs) {
      fs::path mf = fs::absolute(sd / "plugin.yaml", ec).lexically_normal();
      if (!fs::exists(mf, ec)) continue;
      if (considered >= kMaxPlugins) {
        if (!over_reported)
          out.errors.push_back({mf.string(), mf.string() + ": more than " +
                                                 std::to_string(kMaxPlugins) +
                                                 " plugins; this and the rest are ignored"});
        over_reported = true;
        continue;
      }
      ++considered;
      auto m = load_manifest(mf.string());
      if (!m.ok()) {
        out.errors.push_back({mf.string(), m.error().message});
        continue;
      }
      auto [it, fresh] = seen.emplace(m->name, m->path);
      if (!fresh) {
        out.errors.push_back({mf.string(), mf.string() + ": name: duplicate plugin name '" +
                                               m->name + "' (already declared by " + it->second +
                                               "); refused"});
        continue;
      }
      out.plugins.push_back(std::move(*m));
    }
  }
  return out;
}

Status validate_json(const Json& schema, const Json& value) {
  if (!schema.is_object()) return Error::invalid("invalid schema: must be an object");
  if (auto st = run_validator(meta_schema(), schema); !st.ok())
    return Error::invalid("invalid schema: " + st.error().message);
  if (!refs_ok(schema, schema))
    return Error::invalid("invalid schema: every $ref must be a local pointer (#/...) that exists");
  valijson::Schema compiled;
  try {
    valijson::SchemaParser parser(valijson::SchemaParser::kDraft7);
    valijson::adapters::NlohmannJsonAdapter adapter(schema);
    parser.populateSchema(adapter, compiled);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("invalid schema: ") + e.what());
  }
  return run_validator(compiled, value);
}

namespace {

Status run_validator(const valijson::Schema& compiled, const Json& value) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  valijson::adapters::NlohmannJsonAdapter target(value);
  bool ok = false;
  try {
    ok = validator.validate(compiled, target, &results);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("schema check failed: ") + e.what());
  }
  if (ok) return Ok{};
  // Leaf errors are the useful ones: valijson also reports each enclosing level.
  std::vector<std::string> msgs;
  valijson::ValidationResults::Error err;
  std::vector<std::pair<std::string, std::string>> all;
  while (results.popError(err)) {
    std::string ptr;
    for (const std::string& c : err.context) {
      if (c == "<root>") continue;
      std::string seg =
          c.size() >= 2 && c.front() == '[' && c.back() == ']' ? c.substr(1, c.size() - 2) : c;
      if (seg.size() >= 2 && seg.front() == '"' && seg.back() == '"')
        seg = seg.substr(1, seg.size() - 2);
      ptr += "/" + seg;
    }
    all.emplace_back(ptr.empty() ? "/" : ptr, err.description);
  }
  for (const auto& entry : all) {
    // Named references, not a structured binding: clang 14 cannot capture those.
    const std::string& p = entry.first;
    const std::string& d = entry.second;
    bool summary = d.rfind("Failed to validate", 0) == 0 || d.rfind("Cannot validate", 0) == 0;
    bool has_deeper = std::any_of(all.begin(), all.end(), [&](const auto& o) {
      return o.first.size() > p.size() && o.first.rfind(p, 0) == 0;
    });
    if (summary && has_deeper) continue;
    std::string line = p + ": " + d;
    if (std::find(msgs.begin(), msgs.end(), line) == msgs.end()) msgs.push_back(line);
    if (msgs.size() >= 5) break;
  }
  std::string text;
  for (const auto& m : msgs) text += (text.empty() ? "" : "; ") + m;
  return Error::invalid(text.empty() ? "does not match the schema" : text, "PLUGIN_CONFIG");
}

}  // namespace

}  // namespace simpleclaw::plugins
