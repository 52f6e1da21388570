// Internal to src/config: YAML text <-> JSON with source positions. parse_yaml() turns
// YAML into an order-preserving JSON document and remembers, for every node, where it
// sits in the text (line of its key, byte offset of its value), so that validation can
// name lines and secrets can be redacted in place without touching comments or layout.
// Pure functions on values; any thread. yaml-cpp exceptions never escape this file.
#pragma once
#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace simpleclaw::config::detail {

using OJson = nlohmann::ordered_json;

inline constexpr std::size_t kNoPos = static_cast<std::size_t>(-1);

// Where one node sits in the source text.
struct Site {
  int line = 0;                    // 1-based line of the node's key (map entry) or the node
  std::size_t value_pos = kNoPos;  // byte offset of the value (tag/anchor first); kNoPos if none
  int parent_indent = -1;          // 0-based column of the owning key or sequence dash
  bool in_flow = false;            // inside a flow collection ({...} or [...])
  bool alias = false;              // the value is an alias (*a): its mark is the anchor's
};

// One scalar (or null) in document order; duplicate keys give several with one path.
struct ScalarRec {
  std::string path;             // dotted path, "gateway.allowed_origins[1]"
  OJson::json_pointer pointer;  // same place as a JSON pointer
  OJson value;                  // converted value (string, number, bool, null)
  Site site;
  bool secret = false;  // some key on the way down is a secret key
};

struct YamlDoc {
  OJson doc = OJson::object();
  std::map<std::string, Site> sites;  // every node by dotted path (first occurrence)
  std::vector<ScalarRec> scalars;     // every scalar, document order
  std::vector<Issue> issues;          // syntax errors, duplicate keys, limits
  bool syntax_error = false;          // doc is unusable
};

// Parses YAML; an empty document (or only comments) is an empty object. Never throws.
YamlDoc parse_yaml(std::string_view text);

// Line of `path`, or of its nearest ancestor present in the source; 0 if none.
int line_of(const YamlDoc& y, const std::string& path);

// Path helpers: child_path("gateway", "port") = "gateway.port"; index_path("a", 1) = "a[1]".
std::string child_path(const std::string& parent, const std::string& key);
std::string index_path(const std::string& parent, std::size_t index);

// YAML 1.2 core schema resolution of a plain scalar: null, bool, int, float, else string.
OJson resolve_plain(const std::string& s);

// Block-style YAML for a document, keys in the document's order; strings that would
// re-parse as another type are quoted.
std::string emit_yaml(const OJson& doc);

// Byte range [begin, end) of the scalar value described by `site` in `text`, with its
// style: 'p' plain, '"' double-quoted, '\'' single-quoted, '|' or '>' block.
struct Span {
  std::size_t begin = 0;
  std::size_t end = 0;
  char style = 'p';
};
std::optional<Span> scalar_span(std::string_view text, const Site& site);

// Replaces the given [begin, end) ranges (non-overlapping) with texts. False if overlapping.
struct Edit {
  std::size_t begin;
  std::size_t end;
  std::string text;
};
bool apply_edits(std::string& text, std::vector<Edit> edits);

// ---- secrets.cpp ----
// redact() on an ordered document.
void redact_in_place(OJson& doc);
// Every string equal to kRedacted in `doc` takes the value at the same place in `old`;
// an error names the first one that has nothing to take.
Status restore_redacted_doc(OJson& doc, const OJson& old);

// Typed fill helpers: copy obj[key] into out when present and of the right type (the
// document was validated before, so a mismatch keeps the default); section() is the
// object at key or an empty object.
template <typename T>
void read(const Json& obj, const char* key, T& out) {
  if (!obj.is_object()) return;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return;
  try {
    out = it->get<T>();
  } catch (const std::exception&) {
  }
}
inline const Json& section(const Json& obj, const char* key) {
  static const Json kEmpty = Json::object();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_object() ? *it : kEmpty;
}

// obj[key] when it is an array, else an empty array.
inline const Json& array_at(const Json& obj, const char* key) {
  static const Json kEmpty = Json::array();
  if (!obj.is_object()) return kEmpty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? *it : kEmpty;
}

// models / agents / sessions (models_agents.cpp): cross-reference checks and typed fill.
// `implicit`: provider names a reference may use without a configured provider
// (implicit_providers.h).
void check_models_agents(const Json& doc, const YamlDoc& y, const std::set<std::string>& implicit,
                         std::vector<Issue>& issues);
void fill_models_agents(const Json& doc, Config& c);
// tools / mcp / nodes (tools_config.cpp). fill runs after fill_models_agents (agents get
// their resolved tool policy).
void check_tools(const Json& doc, const YamlDoc& y, std::vector<Issue>& issues);
void fill_tools_mcp_nodes(const Json& doc, Config& c);
// users / gateway.mode: shared (users_config.cpp).
void check_users(const Json& doc, const YamlDoc& y, std::vector<Issue>& issues);
void fill_users(const Json& doc, Config& c);
// hooks (hooks_config.cpp).
void check_hooks(const Json& doc, const YamlDoc& y, std::vector<Issue>& issues);
void fill_hooks(const Json& doc, Config& c);

}  // namespace simpleclaw::config::detail
