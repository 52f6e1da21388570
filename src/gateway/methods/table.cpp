#include "gateway/methods/table.h"

#include <algorithm>
#include <array>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace simpleclaw::gateway {
namespace {
using protocol::Scope;
constexpr SharedRule kAdminOnly = SharedRule::kAdminOnly;

// One row per method. Reading order: system, config, chat, sessions, models and agents,
// approvals, nodes, channels, plugins.
constexpr MethodSpec kMethods[] = {
    {.name = "health",
     .scope = Scope::kNone,
     .handler = method_health,
     .summary = "health snapshot ({probe:true} refreshes it)",
     .deferred = true},
    {.name = "status",
     .scope = Scope::kRead,
     .handler = method_status,
     .summary = "version, uptime, pid, RSS, connections, subsystems",
     .shared = kAdminOnly},
    {.name = "system-presence",
     .scope = Scope::kRead,
     .handler = method_system_presence,
     .summary = "connected clients + the gateway",
     .shared = kAdminOnly},
    {.name = "protocol.schema",
     .scope = Scope::kRead,
     .handler = method_protocol_schema,
     .summary = "the protocol's JSON Schemas"},
    {.name = "logs.tail",
     .scope = Scope::kRead,
     .handler = method_logs_tail,
     .summary = "read the JSON-lines log with byte cursors",
     .shared = kAdminOnly},
    {.name = "config.get",
     .scope = Scope::kRead,
     .handler = method_config_get,
     .summary = "config file, hash, parsed config (redacted)",
     .shared = kAdminOnly},
    {.name = "config.schema",
     .scope = Scope::kRead,
     .handler = method_config_schema,
     .summary = "JSON Schema of config.yaml + UI hints"},
    {.name = "config.set",
     .scope = Scope::kAdmin,
     .handler = method_config_set,
     .summary = "replace config.yaml ({raw, baseHash})"},
    {.name = "config.patch",
     .scope = Scope::kAdmin,
     .handler = method_config_patch,
     .summary = "JSON merge patch ({raw, baseHash})"},
    {.name = "chat.send",
     .scope = Scope::kWrite,
     .handler = method_chat_send,
     .summary = "send a message; reply streams as chat events",
     .deferred = true,
     .key_field = "sessionKey",
     .agent_field = "agentId"},
    {.name = "chat.abort",
     .scope = Scope::kWrite,
     .handler = method_chat_abort,
     .summary = "stop a session's runs ({sessionKey, runId?})",
     .key_field = "sessionKey"},
    {.name = "chat.history",
     .scope = Scope::kRead,
     .handler = method_chat_history,
     .summary = "transcript page ({sessionKey, limit, offset})",
     .deferred = true,
     .key_field = "sessionKey"},
    {.name = "chat.inject",
     .scope = Scope::kAdmin,
     .handler = method_chat_inject,
     .summary = "append an assistant message without a run",
     .deferred = true,
     .key_field = "sessionKey"},
    {.name = "sessions.list",
     .scope = Scope::kRead,
     .handler = method_sessions_list,
     .summary = "sessions, newest first (filters, paging)",
     .deferred = true},
    {.name = "sessions.get",
     .scope = Scope::kRead,
     .handler = method_sessions_get,
     .summary = "one session's messages ({key, limit})",
     .deferred = true,
     .key_field = "key"},
    {.name = "sessions.reset",
     .scope = Scope::kAdmin,
     .handler = method_sessions_reset,
     .summary = "new sessionId; the old transcript is kept",
     .deferred = true,
     .key_field = "key"},
    {.name = "sessions.send",
     .scope = Scope::kWrite,
     .handler = method_sessions_send,
     .summary = "like chat.send, by session key",
     .deferred = true,
     .key_field = "key",
     .agent_field = "agentId"},
    {.name = "sessions.delete",
     .scope = Scope::kAdmin,
     .handler = method_sessions_delete,
     .summary = "delete a session and its transcripts",
     .deferred = true,
     .key_field = "key"},
    {.name = "sessions.patch",
     .scope = Scope::kWrite,
     .handler = method_sessions_patch,
     .summary = "label, model override, pinned, archived",
     .deferred = true,
     .key_field = "key"},
    {.name = "sessions.subscribe",
     .scope = Scope::kRead,
     .handler = method_sessions_subscribe,
     .summary = "receive sessions.changed events"},
    {.name = "models.list",
     .scope = Scope::kRead,
     .handler = method_models_list,
     .summary = "the model catalog with availability",
     .deferred = true},
    {.name = "agents.list",
     .scope = Scope::kRead,
     .handler = method_agents_list,
     .summary = "configured agents"},
    {.name = "agents.create",
     .scope = Scope::kAdmin,
     .handler = method_agents_create,
     .summary = "add an agent (id = slug of name)"},
    {.name = "agents.update",
     .scope = Scope::kAdmin,
     .handler = method_agents_update,
     .summary = "rename, move or re-model an agent"},
    {.name = "agents.delete",
     .scope = Scope::kAdmin,
     .handler = method_agents_delete,
     .summary = "remove an agent (not the default)",
     .deferred = true},
    {.name = "agents.files.list",
     .scope = Scope::kRead,
     .handler = method_agents_files_list,
     .summary = "an agent's workspace files",
     .deferred = true,
     .agent_field = "agentId"},
    {.name = "agents.files.get",
     .scope = Scope::kRead,
     .handler = method_agents_files_get,
     .summary = "one workspace file with content",
     .deferred = true,
     .agent_field = "agentId"},
    {.name = "agents.files.set",
     .scope = Scope::kAdmin,
     .handler = method_agents_files_set,
     .summary = "write one workspace file (<= 2 MiB)",
     .deferred = true,
     .agent_field = "agentId"},
    {.name = "exec.approval.list",
     .scope = Scope::kApprovals,
     .handler = method_exec_approval_list,
     .summary = "pending exec approvals"},
    {.name = "exec.approval.get",
     .scope = Scope::kApprovals,
     .handler = method_exec_approval_get,
     .summary = "one approval by id or prefix"},
    {.name = "exec.approval.resolve",
     .scope = Scope::kApprovals,
     .handler = method_exec_approval_resolve,
     .summary = "allow-once | allow-always | deny a pending command"},
    {.name = "exec.approval.request",
     .scope = Scope::kNone,
     .handler = method_exec_approval_request,
     .summary = "node role: ask operators to approve a command",
     .deferred = true},
    {.name = "node.list",
     .scope = Scope::kRead,
     .handler = method_node_list,
     .summary = "paired and connected nodes",
     .shared = kAdminOnly},
    {.name = "node.describe",
     .scope = Scope::kRead,
     .handler = method_node_describe,
     .summary = "one node: commands, caps, state",
     .shared = kAdminOnly},
    {.name = "node.invoke",
     .scope = Scope::kWrite,
     .handler = method_node_invoke,
     .summary = "run a command on a node",
     .deferred = true,
     .shared = kAdminOnly},
    {.name = "node.invoke.result",
     .scope = Scope::kNone,
     .handler = method_node_invoke_result,
     .summary = "node role: answer an invoke"},
    {.name = "node.event",
     .scope = Scope::kNone,
     .handler = method_node_event,
     .summary = "node role: publish an event"},
    {.name = "node.pair.list",
     .scope = Scope::kPairing,
     .handler = method_node_pair_list,
     .summary = "pending pairing requests, paired devices"},
    {.name = "node.pair.approve",
     .scope = Scope::kPairing,
     .handler = method_node_pair_approve,
     .summary = "approve a pairing request"},
    {.name = "node.pair.reject",
     .scope = Scope::kPairing,
     .handler = method_node_pair_reject,
     .summary = "reject a request, or revoke a paired device"},
    {.name = "device.pair.list",
     .scope = Scope::kPairing,
     .handler = method_device_pair_list,
     .summary = "pending pairing requests and paired devices (with tokens, no secrets)",
     .shared = kAdminOnly},
    {.name = "device.pair.approve",
     .scope = Scope::kPairing,
     .handler = method_device_pair_approve,
     .summary = "approve a pending pairing request",
     .shared = kAdminOnly},
    {.name = "device.pair.reject",
     .scope = Scope::kPairing,
     .handler = method_device_pair_reject,
     .summary = "reject a pending pairing request",
     .shared = kAdminOnly},
    {.name = "device.pair.remove",
     .scope = Scope::kPairing,
     .handler = method_device_pair_remove,
     .summary = "unpair a device: its tokens stop working, its sockets close",
     .shared = kAdminOnly},
    {.name = "device.pair.rename",
     .scope = Scope::kPairing,
     .handler = method_device_pair_rename,
     .summary = "set a paired device's label",
     .shared = kAdminOnly},
    {.name = "device.token.rotate",
     .scope = Scope::kPairing,
     .handler = method_device_token_rotate,
     .summary = "a new device token for a role (optionally fewer scopes)",
     .shared = kAdminOnly},
    {.name = "device.token.revoke",
     .scope = Scope::kPairing,
     .handler = method_device_token_revoke,
     .summary = "drop a device's token for a role; its sockets of that role close",
     .shared = kAdminOnly},
    {.name = "channels.status",
     .scope = Scope::kRead,
     .handler = method_channels_status,
     .summary = "channel accounts: connected, health, reconnects, last traffic and error",
     .shared = kAdminOnly},
    {.name = "channels.start",
     .scope = Scope::kAdmin,
     .handler = method_channels_start,
     .summary = "start a channel (or one account)"},
    {.name = "channels.stop",
     .scope = Scope::kAdmin,
     .handler = method_channels_stop,
     .summary = "stop a channel (or one account)"},
    {.name = "channels.logout",
     .scope = Scope::kAdmin,
     .handler = method_channels_logout,
     .summary = "stop an account and forget the platform session it holds"},
    {.name = "channels.pairing.list",
     .scope = Scope::kPairing,
     .handler = method_channels_pairing_list,
     .summary = "pending DM pairing codes (dm_policy: pairing)"},
    {.name = "channels.pairing.approve",
     .scope = Scope::kPairing,
     .handler = method_channels_pairing_approve,
     .summary = "approve a sender's pairing code"},
    {.name = "plugins.list",
     .scope = Scope::kRead,
     .handler = method_plugins_list,
     .summary = "plugins: state, version, restarts, last error; built-in extensions",
     .shared = kAdminOnly},
};

constexpr std::string_view kEvents[] = {"connect.challenge",
                                        "tick",
                                        "shutdown",
                                        "presence",
                                        "health",
                                        "config.changed",
                                        "chat",
                                        "agent",
                                        "sessions.changed",
                                        "exec.approval.requested",
                                        "exec.approval.resolved",
                                        "node.invoke.request",
                                        "node.event",
                                        "node.pair.requested",
                                        "node.pair.resolved",
                                        "device.pair.requested",
                                        "device.pair.resolved",
                                        "device.pair.changed",
                                        "channels.changed"};

// Method name -> position, and each method's params/result schema handle, looked up the
// first time it is needed (compiling a schema is lazy, see protocol/schemas.h).
struct Index {
  std::unordered_map<std::string_view, std::size_t> by_name;
  std::vector<std::once_flag> params_once, results_once;
  std::vector<protocol::SchemaHandle> params, results;
};
Index& index() {
  static Index idx = [] {
    Index i;
    for (std::size_t k = 0; k < std::size(kMethods); ++k) i.by_name.emplace(kMethods[k].name, k);
    i.params_once = std::vector<std::once_flag>(std::size(kMethods));
    i.results_once = std::vector<std::once_flag>(std::size(kMethods));
    i.params.assign(std::size(kMethods), nullptr);
    i.results.assign(std::size(kMethods), nullptr);
    return i;
  }();
  return idx;
}

protocol::SchemaHandle schema_of(const MethodSpec& m, bool params) {
  Index& i = index();
  std::size_t k = method_slot(m);
  auto& flag = params ? i.params_once[k] : i.results_once[k];
  auto& slot = params ? i.params[k] : i.results[k];
  std::call_once(flag, [&] {
    slot =
        protocol::find_schema("methods/" + std::string(m.name) + (params ? ".params" : ".result"));
  });
  return slot;
}

}  // namespace

std::span<const MethodSpec> method_table() { return kMethods; }

std::size_t method_slot(const MethodSpec& m) { return static_cast<std::size_t>(&m - kMethods); }

const MethodSpec* find_method(std::string_view name) {
  const auto& by_name = index().by_name;
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &kMethods[it->second];
}

protocol::SchemaHandle params_schema(const MethodSpec& m) { return schema_of(m, true); }
protocol::SchemaHandle result_schema(const MethodSpec& m) { return schema_of(m, false); }

std::span<const std::string_view> event_names() { return kEvents; }

}  // namespace simpleclaw::gateway
