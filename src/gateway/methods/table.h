// The one method table (SPEC §5): every method the gateway implements, with everything
// there is to know about it in one row (methods/method.h: name, scope, handler, summary,
// deferred or not, shared-mode rule, session-key and agent fields). The dispatcher,
// hello-ok's features.methods, shared-mode access, protocol.schema, `simpleclaw call
// --help` and docs/methods.md all read it; a method absent here answers "unknown method".
// Immutable after static initialisation; any thread may read it.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "config/config.h"
#include "gateway/methods/method.h"
#include "gateway/protocol/schemas.h"

namespace simpleclaw::gateway {

std::span<const MethodSpec> method_table();
const MethodSpec* find_method(std::string_view name);
// The method's position in the table (the per-method metrics slot).
std::size_t method_slot(const MethodSpec& m);
// Compiled params / result schemas of a method, looked up once (result may be null).
protocol::SchemaHandle params_schema(const MethodSpec& m);
protocol::SchemaHandle result_schema(const MethodSpec& m);
// Events the gateway can emit (hello-ok features.events).
std::span<const std::string_view> event_names();
// docs/methods.md: the method reference generated from the table and the schemas.
std::string methods_markdown();

// {name, emoji?, avatar?} of an agent (methods/agents.cpp).
Json agent_identity(const config::AgentConfig& a);

// A chat page (chat.history, chat.startup); methods/session_views.cpp.
void chat_page(MethodCall& call, int offset);
// {modelProvider, model, contextTokens} a session of `agent_id` ("" = the default agent)
// runs without an override: chat pages' and sessions.list's `defaults`.
Json session_defaults(Services& svc, std::string_view agent_id);

// Handlers, one file per family.
void method_health(MethodCall&);
void method_status(MethodCall&);
void method_system_presence(MethodCall&);
void method_protocol_schema(MethodCall&);
void method_logs_tail(MethodCall&);
void method_config_get(MethodCall&);
void method_config_schema(MethodCall&);
void method_config_set(MethodCall&);
void method_config_patch(MethodCall&);
void method_chat_send(MethodCall&);
void method_chat_abort(MethodCall&);
void method_chat_history(MethodCall&);
void method_chat_inject(MethodCall&);
void method_sessions_list(MethodCall&);
void method_sessions_get(MethodCall&);
void method_sessions_reset(MethodCall&);
void method_sessions_send(MethodCall&);
// methods/session_views.cpp (more)
void method_sessions_preview(MethodCall&);
void method_sessions_resolve(MethodCall&);
// methods/tools.cpp
void method_tools_effective(MethodCall&);
// methods/scripted_runs.cpp
void method_agent(MethodCall&);
void method_agent_wait(MethodCall&);
void method_send(MethodCall&);
void method_message_action(MethodCall&);
void method_sessions_create(MethodCall&);
void method_sessions_delete(MethodCall&);
void method_sessions_patch(MethodCall&);
void method_sessions_subscribe(MethodCall&);
void method_models_list(MethodCall&);
void method_agents_list(MethodCall&);
void method_channels_status(MethodCall&);
void method_plugins_list(MethodCall&);
void method_channels_start(MethodCall&);
void method_channels_stop(MethodCall&);
void method_channels_logout(MethodCall&);
void method_channels_pairing_list(MethodCall&);
void method_channels_pairing_approve(MethodCall&);
void method_channels_pairing_dismiss(MethodCall&);
void method_agents_create(MethodCall&);
void method_agents_update(MethodCall&);
void method_agents_delete(MethodCall&);
void method_agents_files_list(MethodCall&);
void method_agents_files_get(MethodCall&);
void method_agents_files_set(MethodCall&);
void method_exec_approval_list(MethodCall&);
void method_exec_approval_get(MethodCall&);
void method_exec_approval_resolve(MethodCall&);
void method_exec_approval_request(MethodCall&);
void method_exec_approval_wait_decision(MethodCall&);
void method_node_list(MethodCall&);
void method_node_describe(MethodCall&);
void method_node_invoke(MethodCall&);
void method_node_invoke_result(MethodCall&);
void method_node_event(MethodCall&);
void method_node_pair_list(MethodCall&);
void method_node_pair_approve(MethodCall&);
void method_node_pair_reject(MethodCall&);
void method_device_pair_list(MethodCall&);
void method_device_pair_approve(MethodCall&);
void method_device_pair_reject(MethodCall&);
void method_device_pair_remove(MethodCall&);
void method_device_pair_rename(MethodCall&);
void method_device_token_rotate(MethodCall&);
void method_device_token_revoke(MethodCall&);
void method_usage_status(MethodCall&);
// methods/cron.cpp
void method_cron_status(MethodCall&);
void method_cron_list(MethodCall&);
void method_cron_preview(MethodCall&);
void method_dashboard_bootstrap(MethodCall&);
void method_cron_get(MethodCall&);
void method_cron_add(MethodCall&);
void method_cron_update(MethodCall&);
void method_cron_remove(MethodCall&);
void method_cron_run(MethodCall&);
void method_cron_runs(MethodCall&);
void method_wake(MethodCall&);
// methods/usage.cpp
void method_usage_cost(MethodCall&);
void method_sessions_usage(MethodCall&);
void method_sessions_usage_timeseries(MethodCall&);
void method_sessions_usage_logs(MethodCall&);
void method_exec_approvals_get(MethodCall&);
void method_question_list(MethodCall&);
void method_chat_startup(MethodCall&);
void method_chat_metadata(MethodCall&);
void method_sessions_describe(MethodCall&);
void method_sessions_messages_subscribe(MethodCall&);
void method_sessions_messages_unsubscribe(MethodCall&);
void method_approval_get(MethodCall&);
void method_approval_resolve(MethodCall&);
void method_approval_history(MethodCall&);
void method_system_info(MethodCall&);
void method_agent_identity_get(MethodCall&);
void method_models_auth_status(MethodCall&);
void method_update_status(MethodCall&);
void method_last_heartbeat(MethodCall&);
void method_set_heartbeats(MethodCall&);
void method_plugin_approval_list(MethodCall&);
void method_openclaw_approval_list(MethodCall&);
void method_exec_approval_grants_list(MethodCall&);
void method_tasks_list(MethodCall&);
void method_progress_card_get(MethodCall&);
void method_sessions_branches_list(MethodCall&);
void method_sessions_companion_state(MethodCall&);
void method_sessions_observer_visibility(MethodCall&);
void method_sessions_viewers_set(MethodCall&);
void method_commands_list(MethodCall&);
void method_environments_list(MethodCall&);
void method_diagnostics_lanes(MethodCall&);
void method_talk_catalog(MethodCall&);

}  // namespace simpleclaw::gateway
