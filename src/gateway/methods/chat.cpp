// chat.*, sessions.* and models.list / agents.list: thin adapters from protocol params
// to agents::ChatService (which owns sessions and runs) and the model catalog.
#include "base/ids.h"
#include "base/json_fields.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

int num(const Json& p, const char* key, int def) {
  auto it = p.find(key);
  return it != p.end() && it->is_number_integer() ? it->get<int>() : def;
}

Result<Reply> send_common(MethodCall& call, const char* key_field, bool key_optional_idem) {
  agents::SendParams sp;
  sp.session_key = json_str(call.params, key_field);
  sp.message = json_str(call.params, "message");
  sp.idempotency_key = json_str(call.params, "idempotencyKey");
  if (sp.idempotency_key.empty() && key_optional_idem) sp.idempotency_key = uuid_v4();
  sp.agent_id = json_str(call.params, "agentId");
  sp.queue_mode = json_str(call.params, "queueMode");
  if (call.params.contains("timeoutMs")) sp.timeout_ms = num(call.params, "timeoutMs", 0);
  call.gw.chat().send(std::move(sp), call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

}  // namespace

Result<Reply> method_chat_send(MethodCall& call) { return send_common(call, "sessionKey", false); }
Result<Reply> method_sessions_send(MethodCall& call) { return send_common(call, "key", true); }

Result<Reply> method_chat_abort(MethodCall& call) {
  auto r =
      call.gw.chat().abort(json_str(call.params, "sessionKey"), json_str(call.params, "runId"));
  if (!r.ok()) return r.error();
  return Reply(std::move(r).value());
}

Result<Reply> method_chat_history(MethodCall& call) {
  call.gw.chat().history(json_str(call.params, "sessionKey"), num(call.params, "limit", 200),
                         num(call.params, "offset", 0), call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_chat_inject(MethodCall& call) {
  call.gw.chat().inject(json_str(call.params, "sessionKey"), json_str(call.params, "message"),
                        json_str(call.params, "label"), call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_sessions_list(MethodCall& call) {
  sessions::ListFilter f;
  f.limit = num(call.params, "limit", 100);
  f.offset = num(call.params, "offset", 0);
  f.agent_id = json_str(call.params, "agentId");
  f.search = json_str(call.params, "search");
  f.owner = call.client.user;  // shared mode: a user lists only their own sessions
  int active = num(call.params, "activeMinutes", 0);
  if (active > 0) f.active_since = now_ms() - std::int64_t{active} * 60000;
  call.gw.chat().list_sessions(f, call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_sessions_get(MethodCall& call) {
  call.gw.chat().get_session(json_str(call.params, "key"), num(call.params, "limit", 200),
                             call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_sessions_reset(MethodCall& call) {
  call.gw.chat().reset_session(json_str(call.params, "key"), call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_sessions_delete(MethodCall& call) {
  call.gw.chat().delete_session(json_str(call.params, "key"), call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_sessions_patch(MethodCall& call) {
  sessions::SessionPatch p;
  const Json& j = call.params;
  if (j.contains("label")) p.label = j["label"].is_string() ? j["label"].get<std::string>() : "";
  if (j.contains("model"))
    p.model_override = j["model"].is_string() ? j["model"].get<std::string>() : "";
  if (j.contains("pinned")) p.pinned = j["pinned"].get<bool>();
  if (j.contains("archived")) p.archived = j["archived"].get<bool>();
  call.gw.chat().patch_session(json_str(j, "key"), p, call.defer());
  return Reply(Json());  // ignored: answered through the responder
}

Result<Reply> method_sessions_subscribe(MethodCall& call) {
  bool on = !call.params.is_object() || call.params.value("subscribe", true);
  call.client.sessions_subscribed = on;
  return Reply(Json{{"ok", true}, {"subscribed", on}});
}

Result<Reply> method_models_list(MethodCall& call) {
  providers::Catalog& cat = call.gw.catalog();
  if (!cat.probing()) return Reply(cat.list_json());
  // A probe is running (start-up, health probe): answer with its result.
  Responder respond = call.defer();
  cat.probe([&cat, respond] { respond(cat.list_json()); });
  return Reply(Json());  // ignored: answered through the responder
}

}  // namespace simpleclaw::gateway
