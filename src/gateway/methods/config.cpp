// Config methods (SPEC §5 Config): get (redacted), schema, set and patch with baseHash
// compare-and-swap. Writes go through config::write_checked / patch_checked, which
// validate first and write atomically; the ConfigApplier then hot-applies the result.
#include "config/config.h"

#include "base/crypto.h"
#include "base/log.h"
#include "gateway/config_apply.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

void after_write(MethodCall& call, Result<config::WriteResult> w) {
  if (!w.ok()) return call.respond(w.error());
  std::string hash = w->state.hash;
  bool restart = call.svc.config_writer.apply(std::move(w->config), std::move(w->state));
  std::string note = call.params.is_object() ? call.params.value("note", "") : "";
  log::info("config written by {} ({}): hash {}{}{}", call.client.client_info.value("id", "?"),
            call.client.peer.remote_ip, hash.substr(0, 12), note.empty() ? "" : " — ", note);
  call.respond(Json{{"ok", true},
                    {"path", call.svc.info.config_path},
                    {"hash", hash},
                    {"restart", restart},
                    {"config", config::redact(call.svc.config.cfg().doc)}});
}

std::string base_hash(const Json& params) {
  return params.contains("baseHash") ? params["baseHash"].get<std::string>() : std::string();
}

}  // namespace

void method_config_get(MethodCall& call) {
  // Re-read from disk: the file is the source of truth and may have been edited by hand.
  config::FileState now = config::read_state(call.svc.config.file().path);
  if (!now.error.empty())
    return call.respond(Error::io("cannot read config " + now.path + ": " + now.error));
  config::Parsed parsed = config::parse(now.raw);
  Json issues = Json::array();
  for (const auto& i : parsed.issues)
    issues.push_back(Json{{"path", i.path}, {"line", i.line}, {"message", i.message}});
  Json doc = parsed.ok() ? parsed.config.doc : call.svc.config.cfg().doc;
  call.respond(Json{{"path", now.path},
                    {"exists", now.exists},
                    {"valid", parsed.ok()},
                    {"raw", config::redact_raw(now.raw)},
                    {"config", config::redact(doc)},
                    // No file yet: the hash of the embedded default that is in use.
                    {"hash", now.exists ? now.hash : sha256_hex(now.raw)},
                    {"issues", issues}});
}

void method_config_schema(MethodCall& call) {
  call.respond(Json{{"schema", *config::schema()},
                    {"uiHints", config::ui_hints()},
                    {"version", SIMPLECLAW_VERSION},
                    {"generatedAt", "build"}});
}

void method_config_set(MethodCall& call) {
  const std::string& path = call.svc.info.config_path;
  std::string raw = call.params["raw"].get<std::string>();
  config::FileState cur = config::read_state(path);
  auto restored = config::restore_redacted(raw, cur.raw);
  if (!restored.ok()) return call.respond(restored.error());
  after_write(call, config::write_checked(path, *restored, base_hash(call.params)));
}

void method_config_patch(MethodCall& call) {
  const std::string& path = call.svc.info.config_path;
  Json patch = call.params["raw"];
  if (patch.is_string()) {
    auto parsed = config::yaml_to_json(patch.get<std::string>());
    if (!parsed.ok())
      return call.respond(
          Error::invalid("invalid config.patch params: /raw: " + parsed.error().message));
    patch = std::move(*parsed);
  }
  after_write(call, config::patch_checked(path, patch, base_hash(call.params)));
}

}  // namespace simpleclaw::gateway
