// The one method table (SPEC §5): name, required scope and handler for every method
// the gateway implements. The dispatcher, hello-ok's features.methods, protocol.schema
// and `simpleclaw call --help` all read it; a method absent here answers
// "unknown method: <m>". Params schemas live in protocol/schemas/methods/<name>.params.json.
// Immutable after static initialisation; any thread may read it.
#pragma once
#include <span>
#include <string_view>

#include "gateway/gateway.h"
#include "gateway/protocol/schemas.h"

namespace simpleclaw::gateway {

using Handler = Result<Reply> (*)(MethodCall&);

struct MethodSpec {
  std::string_view name;
  protocol::Scope scope;  // kNone = any authenticated client
  Handler handler;
  std::string_view summary;  // one line for --help and docs
};

std::span<const MethodSpec> method_table();
const MethodSpec* find_method(std::string_view name);
// Compiled params / result schemas of a method, looked up once (result may be null).
protocol::SchemaHandle params_schema(const MethodSpec& m);
protocol::SchemaHandle result_schema(const MethodSpec& m);
// Events the gateway can emit (hello-ok features.events).
std::span<const std::string_view> event_names();

// Handlers, one file per family.
Result<Reply> method_health(MethodCall&);
Result<Reply> method_status(MethodCall&);
Result<Reply> method_system_presence(MethodCall&);
Result<Reply> method_protocol_schema(MethodCall&);
Result<Reply> method_logs_tail(MethodCall&);
Result<Reply> method_config_get(MethodCall&);
Result<Reply> method_config_schema(MethodCall&);
Result<Reply> method_config_set(MethodCall&);
Result<Reply> method_config_patch(MethodCall&);
Result<Reply> method_chat_send(MethodCall&);
Result<Reply> method_chat_abort(MethodCall&);
Result<Reply> method_chat_history(MethodCall&);
Result<Reply> method_chat_inject(MethodCall&);
Result<Reply> method_sessions_list(MethodCall&);
Result<Reply> method_sessions_get(MethodCall&);
Result<Reply> method_sessions_reset(MethodCall&);
Result<Reply> method_sessions_send(MethodCall&);
Result<Reply> method_sessions_delete(MethodCall&);
Result<Reply> method_sessions_patch(MethodCall&);
Result<Reply> method_sessions_subscribe(MethodCall&);
Result<Reply> method_models_list(MethodCall&);
Result<Reply> method_agents_list(MethodCall&);
Result<Reply> method_channels_status(MethodCall&);
Result<Reply> method_plugins_list(MethodCall&);
Result<Reply> method_channels_start(MethodCall&);
Result<Reply> method_channels_stop(MethodCall&);
Result<Reply> method_channels_logout(MethodCall&);
Result<Reply> method_channels_pairing_list(MethodCall&);
Result<Reply> method_channels_pairing_approve(MethodCall&);
Result<Reply> method_agents_create(MethodCall&);
Result<Reply> method_agents_update(MethodCall&);
Result<Reply> method_agents_delete(MethodCall&);
Result<Reply> method_agents_files_list(MethodCall&);
Result<Reply> method_agents_files_get(MethodCall&);
Result<Reply> method_agents_files_set(MethodCall&);
Result<Reply> method_exec_approval_list(MethodCall&);
Result<Reply> method_exec_approval_get(MethodCall&);
Result<Reply> method_exec_approval_resolve(MethodCall&);
Result<Reply> method_exec_approval_request(MethodCall&);
Result<Reply> method_node_list(MethodCall&);
Result<Reply> method_node_describe(MethodCall&);
Result<Reply> method_node_invoke(MethodCall&);
Result<Reply> method_node_invoke_result(MethodCall&);
Result<Reply> method_node_event(MethodCall&);
Result<Reply> method_node_pair_list(MethodCall&);
Result<Reply> method_node_pair_approve(MethodCall&);
Result<Reply> method_node_pair_reject(MethodCall&);

}  // namespace simpleclaw::gateway
