// Cluster mode's config document (docs/cluster.md "Config"): the shared document in the
// store, the local file's keys that win over it, and the edits config.set/patch, agents.*
// and allow-always make to a document's text (whichever place it lives in).
#include "config/config.h"
#include "config/yaml_json.h"

namespace simpleclaw::config {
namespace {

using detail::OJson;

// A document's YAML parsed without env substitution (${VARS} stay), or why not.
Result<OJson> doc_of(std::string_view raw, const char* what) {
  detail::YamlDoc y = detail::parse_yaml(raw);
  if (y.syntax_error) {
    Error e = invalid_config_error(y.issues);
    e.message = std::string("invalid config: ") + what + " does not parse (" +
                y.issues.front().to_string() + ")";
    return e;
  }
  if (y.doc.is_null()) return OJson::object();
  if (!y.doc.is_object())
    return Error::invalid(std::string("invalid config: ") + what +
                          " must be a mapping of sections");
  return std::move(y.doc);
}

}  // namespace

Result<std::string> compose_cluster_config(std::string_view shared_raw,
                                           std::string_view local_raw) {
  auto shared = doc_of(shared_raw, "the cluster's config document");
  if (!shared.ok()) return shared.error();
  auto local = doc_of(local_raw, "the local config file");
  if (!local.ok()) return local.error();
  OJson out = std::move(*shared);
  for (const char* key : {"store", "cluster"}) {
    if (local->contains(key))
      out[key] = (*local)[key];
    else
      out.erase(key);  // never the cluster's: each instance names its own way in
  }
  if (local->contains("gateway") && (*local)["gateway"].is_object()) {
    const OJson& lg = (*local)["gateway"];
    for (const char* key : kLocalGatewayKeys)
      if (lg.contains(key)) {
        if (!out["gateway"].is_object()) out["gateway"] = OJson::object();
        out["gateway"][key] = lg[key];
      }
  }
  return detail::emit_yaml(out);
}

Result<std::string> shared_seed(std::string_view local_raw) {
  auto local = doc_of(local_raw, "the local config file");
  if (!local.ok()) return local.error();
  local->erase("store");
  local->erase("cluster");
  return detail::emit_yaml(*local);
}

Status check_shared_document(std::string_view raw) {
  auto doc = doc_of(raw, "the new document");
  if (!doc.ok()) return doc.error();
  for (const char* key : {"store", "cluster"})
    if (doc->contains(key))
      return Error::invalid(std::string(key) +
                            " is each instance's own setting (its config.yaml): the cluster's "
                            "shared config cannot hold it");
  return Ok{};
}

std::string ignored_local_keys(std::string_view local_raw) {
  auto local = doc_of(local_raw, "the local config file");
  if (!local.ok()) return {};
  std::string out;
  auto add = [&](const std::string& k) { out += (out.empty() ? "" : ", ") + k; };
  for (auto& [key, value] : local->items()) {
    if (key == "store" || key == "cluster" || key == "version") continue;
    if (key != "gateway" || !value.is_object()) {
      add(key);
      continue;
    }
    for (auto& [sub, v] : value.items()) {
      bool kept = false;
      for (const char* l : kLocalGatewayKeys) kept = kept || sub == l;
      if (!kept) add("gateway." + sub);
    }
  }
  return out;
}

Result<std::string> edit_text(std::string_view raw, const DocEdit& edit) {
  detail::YamlDoc base = detail::parse_yaml(raw);
  if (base.syntax_error) {
    Error e = invalid_config_error(base.issues);
    e.message = "invalid config: the current document does not parse (" +
                base.issues.front().to_string() + "); replace it with config.set";
    return e;
  }
  OJson edited = base.doc.is_null() ? OJson::object() : base.doc;
  Status changed = edit(edited);
  if (!changed) return changed.error();
  Status restored = detail::restore_redacted_doc(edited, base.doc);
  if (!restored) return restored.error();
  return detail::emit_yaml(edited);
}

DocEdit merge_edit(Json patch) {
  return [patch = std::move(patch)](OJson& doc) -> Status {
    doc.merge_patch(OJson(patch));
    return Ok{};
  };
}

DocEdit agents_edit(AgentsEdit edit) {
  return [edit = std::move(edit)](OJson& doc) -> Status {
    if (!doc.contains("agents") || !doc["agents"].is_object()) doc["agents"] = OJson::object();
    OJson& list = doc["agents"]["list"];
    if (!list.is_array()) list = OJson::array();
    return edit(list);
  };
}

}  // namespace simpleclaw::config
