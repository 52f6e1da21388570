// chat.* and sessions.send (SPEC §5 Chat): adapters from protocol params to the run engine
// (runs) and the session service (transcripts), and from their typed results back to
// protocol JSON (gateway/transcript_json.h). Image attachments are checked and decoded
// here (gateway/attachments.h), before anything is stored.
#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "agents/session_service.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "gateway/attachments.h"
#include "gateway/cluster_ops.h"
#include "gateway/live_config.h"
#include "gateway/methods/table.h"
#include "gateway/transcript_json.h"

namespace simpleclaw::gateway {
namespace {

void send_common(MethodCall& call, const char* key_field, bool generate_idem) {
  agents::SendParams sp;
  sp.session_key = json_str(call.params, key_field);
  sp.message = json_str(call.params, "message");
  sp.idempotency_key = json_str(call.params, "idempotencyKey");
  if (sp.idempotency_key.empty() && generate_idem) sp.idempotency_key = uuid_v4();
  sp.agent_id = json_str(call.params, "agentId");
  auto images = parse_attachments(call.params, call.svc.config.cfg().sessions.attachments);
  if (!images.ok()) return call.respond(images.error());
  sp.images = std::move(images).value();
  sp.queue_mode = agents::parse_queue_mode(json_str(call.params, "queueMode"));
  if (call.params.contains("timeoutMs")) sp.timeout_ms = json_int(call.params, "timeoutMs", 0);
  // The sender sees its reply stream (a bad key is reported by the run engine).
  if (auto k = call.svc.agents.parse_key(sp.session_key, sp.agent_id); k.ok())
    call.client.watch(k->key);
  call.svc.runs.send(std::move(sp), [respond = call.respond](Result<agents::SendAck> r) {
    if (!r.ok()) return respond(r.error());
    respond(send_ack_json(*r));
  });
}

}  // namespace

void method_chat_send(MethodCall& call) { send_common(call, "sessionKey", false); }
void method_sessions_send(MethodCall& call) { send_common(call, "key", true); }

void method_chat_abort(MethodCall& call) {
  auto key = call.svc.agents.parse_key(json_str(call.params, "sessionKey"));
  if (!key.ok()) return call.respond(key.error());
  const std::string run_id = json_str(call.params, "runId");
  agents::AbortResult r = call.svc.runs.abort(key->key, run_id);
  auto answer = [respond = call.respond](const std::vector<std::string>& ids) {
    respond(Json{{"ok", true}, {"aborted", !ids.empty()}, {"runIds", ids}});
  };
  // Cluster mode: nothing of the session runs here; the instance serving it may have it.
  if (!r.run_ids.empty() || !call.svc.cluster) return answer(r.run_ids);
  call.svc.cluster->abort(key->key, run_id, answer);
}

// The same page as chat.startup (methods/session_views.cpp), from `offset`.
void method_chat_history(MethodCall& call) { chat_page(call, json_int(call.params, "offset", 0)); }

void method_chat_inject(MethodCall& call) {
  auto key = call.svc.agents.parse_key(json_str(call.params, "sessionKey"));
  if (!key.ok()) return call.respond(key.error());
  call.svc.sessions.inject(*key, json_str(call.params, "message"), json_str(call.params, "label"),
                           [respond = call.respond](Result<sessions::Entry> r) {
                             if (!r.ok()) return respond(r.error());
                             respond(Json{{"ok", true}, {"messageId", r->message_id}});
                           });
}

}  // namespace simpleclaw::gateway
