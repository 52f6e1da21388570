#include "config/migrations.h"

#include <algorithm>
#include <functional>

#include "config/yaml_json.h"

namespace simpleclaw::config {
namespace {

using detail::OJson;

// A key renamed (or removed: to_key empty) by the format version `to_version`, in every
// object at `parent` ("*" = each member of a map).
struct Migration {
  int to_version;
  std::vector<std::string> parent;
  std::string from_key, to_key;
  long long scale;  // numbers are multiplied by it (units changed); 1 = same value
  const char* why;
};

const std::vector<Migration>& migrations() {
  static const std::vector<Migration> kAll = {
      {2,
       {"cron"},
       "default_timeout_seconds",
       "default_timeout_ms",
       1000,
       "durations are in milliseconds, like every other duration key"},
      {2,
       {"hooks", "mappings", "*"},
       "timeout_seconds",
       "timeout_ms",
       1000,
       "durations are in milliseconds, like every other duration key"},
  };
  return kAll;
}

using Visit = std::function<void(OJson& object, const std::string& path)>;

void each_parent(OJson& node, const std::vector<std::string>& parent, std::size_t i,
                 const std::string& path, const Visit& visit) {
  if (!node.is_object()) return;
  if (i == parent.size()) return visit(node, path);
  if (parent[i] == "*") {
    for (auto& [k, v] : node.items())
      each_parent(v, parent, i + 1, detail::child_path(path, k), visit);
  } else if (auto it = node.find(parent[i]); it != node.end()) {
    each_parent(*it, parent, i + 1, detail::child_path(path, parent[i]), visit);
  }
}

// Renames m.from_key in `obj` where it stands (key order kept). A value that is not a
// number cannot change units (a ${VAR}): it is left, and validation names the old key.
void apply(const Migration& m, OJson& obj, const std::string& path, Migrated& out) {
  auto it = obj.find(m.from_key);
  if (it == obj.end()) return;
  OJson old_value = *it;
  OJson new_value = old_value;
  if (m.scale != 1) {
    if (old_value.is_number_integer())
      new_value = old_value.get<long long>() * m.scale;
    else if (old_value.is_number())
      new_value = static_cast<long long>(old_value.get<double>() * static_cast<double>(m.scale));
    else
      return;
  }
  const std::string from_path = detail::child_path(path, m.from_key);
  const std::string to_path = m.to_key.empty() ? "" : detail::child_path(path, m.to_key);
  MigrationChange c{from_path, to_path, old_value, new_value, ""};
  OJson rebuilt = OJson::object();
  if (m.to_key.empty()) {
    c.message = from_path + " is no longer used (" + m.why + "); it is ignored";
  } else if (obj.contains(m.to_key)) {
    c.message = from_path + " and " + to_path + " are both set; " + to_path + " is used";
    c.to_path.clear();
  } else {
    c.message = from_path + ": " + old_value.dump() + " is now " + to_path + ": " +
                new_value.dump() + " (" + m.why + ")";
  }
  for (auto& [k, v] : obj.items()) {
    if (k != m.from_key)
      rebuilt[k] = std::move(v);
    else if (!c.to_path.empty())
      rebuilt[m.to_key] = new_value;
  }
  obj = std::move(rebuilt);
  out.changes.push_back(std::move(c));
}

}  // namespace

Migrated migrate(OJson& doc) {
  Migrated out;
  if (!doc.is_object()) return out;
  out.from_version = 1;
  if (auto v = doc.find("version"); v != doc.end()) {
    if (!v->is_number_integer() || v->get<long long>() < 1) {
      out.error = "version must be a whole number (this build writes " +
                  std::to_string(kConfigVersion) + ")";
      return out;
    }
    if (v->get<long long>() > kConfigVersion) {
      out.error = "this file is config version " + std::to_string(v->get<long long>()) +
                  ", written by a newer simpleclaw; this build reads versions up to " +
                  std::to_string(kConfigVersion) +
                  ". Upgrade simpleclaw, or put back the config the older version wrote";
      return out;
    }
    out.from_version = static_cast<int>(v->get<long long>());
  }
  for (const Migration& m : migrations()) {
    if (m.to_version <= out.from_version) continue;
    each_parent(doc, m.parent, 0, "",
                [&](OJson& obj, const std::string& path) { apply(m, obj, path, out); });
  }
  return out;
}

std::string migration_warning(const std::vector<MigrationChange>& changes, int file_version,
                              const std::string& path) {
  if (changes.empty()) return {};
  std::string out = "config " + path + " is version " + std::to_string(file_version) +
                    " (this build writes " + std::to_string(kConfigVersion) + "): ";
  for (std::size_t i = 0; i < changes.size(); ++i) out += (i ? "; " : "") + changes[i].message;
  return out +
         ". Applied in memory; the file is unchanged: run `simpleclaw doctor --fix` to see the "
         "change and write it";
}

namespace {

// Where "version: N" goes in a block document: after the comment lines at the top.
std::size_t version_insert_pos(const std::string& text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    std::size_t first = text.find_first_not_of(" \t", pos);
    bool blank_or_comment = first == std::string::npos || first >= end || text[first] == '#' ||
                            text[first] == '\n' || text[first] == '\r';
    if (!blank_or_comment) return pos;
    if (end == std::string::npos) return text.size();
    pos = end + 1;
  }
  return pos;
}

// The document with `version` set: where it stood, else first.
OJson with_version(OJson doc) {
  if (doc.contains("version")) {
    doc["version"] = kConfigVersion;
    return doc;
  }
  OJson out = OJson::object();
  out["version"] = kConfigVersion;
  for (auto& [k, v] : doc.items()) out[k] = std::move(v);
  return out;
}

}  // namespace

std::string migrate_text(const std::string& text) {
  detail::YamlDoc y = detail::parse_yaml(text);
  if (y.syntax_error || !y.doc.is_object()) return text;
  OJson target = y.doc;
  Migrated m = migrate(target);
  if (!m.error.empty()) return text;
  target = with_version(std::move(target));
  const std::size_t first = text.find_first_not_of(" \t\r\n");
  bool flow_doc = first != std::string::npos && text[first] == '{';
  std::vector<detail::Edit> edits;
  bool in_place = !flow_doc;
  for (const MigrationChange& c : m.changes) {
    if (!in_place) break;
    auto site = y.sites.find(c.from_path);
    if (site == y.sites.end()) {
      in_place = false;
      break;
    }
    auto span = detail::scalar_span(text, site->second);
    const std::string key = c.from_path.substr(c.from_path.rfind('.') + 1);
    std::size_t key_at = span ? text.rfind(key, span->begin) : std::string::npos;
    if (!span || key_at == std::string::npos || c.to_path.empty()) {
      in_place = false;
      break;
    }
    edits.push_back({key_at, key_at + key.size(), c.to_path.substr(c.to_path.rfind('.') + 1)});
    edits.push_back({span->begin, span->end, c.new_value.dump()});
  }
  if (in_place) {
    if (auto v = y.sites.find("version"); v != y.sites.end()) {
      auto span = detail::scalar_span(text, v->second);
      if (span)
        edits.push_back({span->begin, span->end, std::to_string(kConfigVersion)});
      else
        in_place = false;
    } else {
      std::size_t at = version_insert_pos(text);
      edits.push_back({at, at, "version: " + std::to_string(kConfigVersion) + "\n"});
    }
  }
  std::string out = text;
  if (in_place && detail::apply_edits(out, edits)) {
    // Proof that the edit says what was meant; else the whole document is re-emitted.
    detail::YamlDoc check = detail::parse_yaml(out);
    if (!check.syntax_error && check.doc == target) return out;
  }
  return detail::emit_yaml(target);
}

}  // namespace simpleclaw::config
