// sessions.* (SPEC §5 Sessions): list, get, create, reset, delete, patch, subscribe, as adapters
// to the session service; rows become protocol JSON in gateway/transcript_json.h.
#include <algorithm>

#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "base/clock.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "gateway/attachments.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/transcript_json.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {

namespace {

// The session named by params.key, or the error answered.
std::optional<sessions::SessionKey> key_of(MethodCall& call) {
  auto key = call.svc.agents.parse_key(json_str(call.params, "key"));
  if (!key.ok()) {
    call.respond(key.error());
    return std::nullopt;
  }
  return std::move(key).value();
}

}  // namespace

void method_sessions_list(MethodCall& call) {
  // Sessions spawned by another (sub-agents) do not exist here: asking for the children of
  // a session finds none (OpenClaw's UI asks to build its session tree).
  const std::string agent = json_str(call.params, "agentId");
  if (!json_str(call.params, "spawnedBy").empty())
    return call.respond(Json{{"count", 0},
                             {"sessions", Json::array()},
                             {"defaults", session_defaults(call.svc, agent)}});
  sessions::ListFilter f;
  f.limit = std::min(json_int(call.params, "limit", 100), 1000);  // a page, however big asked
  f.offset = json_int(call.params, "offset", 0);
  f.agent_id = agent;
  f.search = json_str(call.params, "search");
  f.owner = call.client.user;  // shared mode: a user lists only their own sessions
  int active = json_int(call.params, "activeMinutes", 0);
  if (active > 0) f.active_since = call.svc.clock.wall_ms() - std::int64_t{active} * 60000;
  const bool titles = json_bool(call.params, "includeDerivedTitles", false);
  Services& svc = call.svc;
  svc.sessions.list(
      f, [&svc, agent, titles, respond = call.respond](Result<agents::SessionList> r) {
        if (!r.ok()) return respond(r.error());
        Json rows = Json::array();
        for (const auto& row : r->rows) {
          rows.push_back(
              session_json(row, svc.runs.run_ids(row.key), svc.agents.model_of(row.agent_id)));
          if (std::string t = titles ? derived_title(row) : std::string(); !t.empty())
            rows.back()["derivedTitle"] = std::move(t);
        }
        // defaults: the model a session without an override runs (OpenClaw's UI reads it on
        // every render of the chat page).
        respond(Json{{"count", r->total},
                     {"sessions", std::move(rows)},
                     {"defaults", session_defaults(svc, agent)}});
      });
}

void method_sessions_get(MethodCall& call) {
  auto key = key_of(call);
  if (!key) return;
  call.client.watch(key->key);  // a reader of the transcript sees its replies stream
  call.svc.sessions.history(*key, json_int(call.params, "limit", 200), 0,
                            [respond = call.respond](Result<agents::History> r) {
                              if (!r.ok()) return respond(r.error());
                              Json h = history_json(*r);
                              respond(Json{{"key", h["sessionKey"]},
                                           {"sessionId", h["sessionId"]},
                                           {"messages", h["messages"]},
                                           {"hasMore", h["hasMore"]}});
                            });
}

void method_sessions_reset(MethodCall& call) {
  auto key = key_of(call);
  if (!key) return;
  call.svc.sessions.reset(*key,
                          [k = key->key, respond = call.respond](Result<sessions::SessionRow> r) {
                            if (!r.ok()) return respond(r.error());
                            respond(Json{{"ok", true}, {"key", k}, {"sessionId", r->session_id}});
                          });
}

void method_sessions_delete(MethodCall& call) {
  auto key = key_of(call);
  if (!key) return;
  call.svc.sessions.remove(*key, [k = key->key, respond = call.respond](Result<bool> r) {
    if (!r.ok()) return respond(r.error());
    // Transcripts are deleted with the session, never archived: `archived` is empty.
    respond(Json{{"ok", true}, {"key", k}, {"deleted", *r}, {"archived", Json::array()}});
  });
}

void method_sessions_patch(MethodCall& call) {
  auto key = key_of(call);
  if (!key) return;
  sessions::SessionPatch p;
  const Json& j = call.params;
  if (j.contains("label")) p.label = j["label"].is_string() ? j["label"].get<std::string>() : "";
  if (j.contains("model"))
    p.model_override = j["model"].is_string() ? j["model"].get<std::string>() : "";
  if (j.contains("pinned")) p.pinned = j["pinned"].get<bool>();
  if (j.contains("archived")) p.archived = j["archived"].get<bool>();
  Services& svc = call.svc;
  svc.sessions.patch(
      *key, p, [&svc, k = key->key, respond = call.respond](Result<sessions::SessionRow> r) {
        if (!r.ok()) return respond(r.error());
        // entry: the stored row as OpenClaw's CLI checks it (`sessions archive` reads
        // entry.archivedAt).
        Json entry{
            {"sessionId", r->session_id}, {"updatedAt", r->updated_at}, {"pinned", r->pinned}};
        if (!r->label.empty()) entry["label"] = r->label;
        if (r->archived) entry["archivedAt"] = r->archived_at;
        respond(Json{
            {"ok", true},
            {"key", k},
            {"entry", std::move(entry)},
            {"session", session_json(*r, svc.runs.run_ids(k), svc.agents.model_of(r->agent_id))}});
      });
}

void method_sessions_subscribe(MethodCall& call) {
  bool on = !call.params.is_object() || call.params.value("subscribe", true);
  call.client.sessions_subscribed = on;
  call.respond(Json{{"ok", true}, {"subscribed", on}});
}

// sessions.create {key?, agentId?, label?, model?, message?, attachments?, idempotencyKey?}: a new
// session (OpenClaw's "new conversation"); without a key one is made up
// ("agent:<id>:dashboard:<uuid>"). With a message its first run starts at once.
void method_sessions_create(MethodCall& call) {
  const Json& p = call.params;
  std::string raw = json_str(p, "key");
  const std::string agent = json_str(p, "agentId");
  if (raw.empty())
    raw = "agent:" + (agent.empty() ? call.svc.agents.default_id() : agent) +
          ":dashboard:" + uuid_v4();
  auto key = call.svc.agents.parse_key(raw, agent);
  if (key.ok() && json_str(p, "key").empty() && !call.client.user.empty())
    key = sessions::in_user_namespace(*key, call.client.user);  // shared mode: theirs
  if (!key.ok()) return call.respond(key.error());
  // Refused before the session is made: a bad attachment creates nothing.
  auto images = parse_attachments(p, call.svc.config.cfg().sessions.attachments);
  if (!images.ok()) return call.respond(images.error());
  sessions::SessionPatch patch;
  std::string label = json_str(p, "label");
  if (label.empty()) label = json_str(p, "displayName");
  if (!label.empty()) patch.label = label;
  if (std::string m = json_str(p, "model"); !m.empty()) patch.model_override = m;
  Services& svc = call.svc;
  call.client.watch(key->key);  // the creator sees its first reply stream
  svc.sessions.patch(
      *key, patch,
      [&svc, k = *key, message = json_str(p, "message"), idem = json_str(p, "idempotencyKey"),
       images = std::move(images).value(), respond = call.respond](Result<sessions::SessionRow> r) {
        if (!r.ok()) return respond(r.error());
        Json out{
            {"ok", true},
            {"key", k.key},
            {"sessionId", r->session_id},
            {"entry", session_json(*r, svc.runs.run_ids(k.key), svc.agents.model_of(r->agent_id))},
            {"runStarted", false}};
        if (message.empty() && !images) return respond(std::move(out));
        agents::SendParams sp;
        sp.images = images;
        sp.session_key = k.key;
        sp.agent_id = k.agent_id;
        sp.message = message;
        sp.idempotency_key = idem.empty() ? uuid_v4() : idem;
        svc.runs.send(std::move(sp), [out, respond](Result<agents::SendAck> a) mutable {
          if (!a.ok()) {
            out["runError"] = a.error().message;
            return respond(std::move(out));
          }
          out["runStarted"] = true;
          out["runId"] = a->run_id;
          respond(std::move(out));
        });
      });
}

}  // namespace simpleclaw::gateway
