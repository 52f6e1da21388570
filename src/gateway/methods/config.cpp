// Config methods (SPEC §5 Config): get (redacted), schema, set and patch with baseHash
// compare-and-swap. Writes go through the ConfigDocument (config.yaml, or the cluster's
// shared document), which validates first, writes iff unchanged, and hot-applies.
#include "config/config.h"

#include "base/crypto.h"
#include "base/log.h"
#include "gateway/config_document.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

// config.set / config.patch: the edit through the ConfigDocument, then the answer.
void write(MethodCall& call, ConfigDocument::Edit edit) {
  // No baseHash is an empty one: it matches no existing document (a blind overwrite never
  // wins), only a config.yaml not written yet.
  std::optional<std::string> base =
      call.params.contains("baseHash") ? call.params["baseHash"].get<std::string>() : "";
  call.svc.config_doc.change(
      std::move(base), std::move(edit),
      [respond = call.respond, svc = &call.svc, who = call.client.client_info.value("id", "?"),
       ip = call.client.peer.remote_ip,
       note = call.params.is_object() ? call.params.value("note", "")
                                      : ""](Result<ConfigDocument::Applied> r) {
        if (!r.ok()) return respond(r.error());
        log::info("config written by {} ({}): hash {}{}{}", who, ip, r->hash.substr(0, 12),
                  note.empty() ? "" : " — ", note);
        respond(Json{{"ok", true},
                     {"path", svc->config.file().path},
                     {"hash", r->hash},
                     {"restart", r->restart},
                     {"config", config::redact(svc->config.cfg().doc)}});
      });
}

}  // namespace

void method_config_get(MethodCall& call) {
  // Read again: the file may have been edited by hand, the shared document changed
  // through another instance.
  call.svc.config_doc.read(
      [respond = call.respond, svc = &call.svc](Result<config::FileState> now) {
        if (!now.ok()) return respond(now.error());
        config::Parsed parsed = config::parse(now->composed.empty() ? now->raw : now->composed);
        Json issues = Json::array();
        for (const auto& i : parsed.issues)
          issues.push_back(Json{{"path", i.path}, {"line", i.line}, {"message", i.message}});
        Json doc = parsed.ok() ? parsed.config.doc : svc->config.cfg().doc;
        respond(Json{{"path", now->path},
                     {"exists", now->exists},
                     {"valid", parsed.ok()},
                     {"raw", config::redact_raw(now->raw)},
                     {"config", config::redact(doc)},
                     // No file yet: the hash of the embedded default that is in use.
                     {"hash", now->exists ? now->hash : sha256_hex(now->raw)},
                     {"issues", issues}});
      });
}

void method_config_schema(MethodCall& call) {
  call.respond(Json{{"schema", *config::schema()},
                    {"uiHints", config::ui_hints()},
                    {"version", SIMPLECLAW_VERSION},
                    {"generatedAt", "build"}});
}

void method_config_set(MethodCall& call) {
  write(call, [raw = call.params["raw"].get<std::string>()](const std::string& cur) {
    return config::restore_redacted(raw, cur);
  });
}

void method_config_patch(MethodCall& call) {
  Json patch = call.params["raw"];
  if (patch.is_string()) {
    auto parsed = config::yaml_to_json(patch.get<std::string>());
    if (!parsed.ok())
      return call.respond(
          Error::invalid("invalid config.patch params: /raw: " + parsed.error().message));
    patch = std::move(*parsed);
  }
  if (!patch.is_object())
    return call.respond(Error::invalid("config.patch raw must be a JSON object"));
  write(call, [edit = config::merge_edit(std::move(patch))](const std::string& cur) {
    return config::edit_text(cur, edit);
  });
}

}  // namespace simpleclaw::gateway
