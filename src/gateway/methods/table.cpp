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

constexpr MethodSpec kMethods[] = {
    {"health", Scope::kNone, method_health, "health snapshot ({probe:true} refreshes it)"},
    {"status", Scope::kRead, method_status, "version, uptime, pid, RSS, connections, subsystems"},
    {"system-presence", Scope::kRead, method_system_presence, "connected clients + the gateway"},
    {"protocol.schema", Scope::kRead, method_protocol_schema, "the protocol's JSON Schemas"},
    {"logs.tail", Scope::kRead, method_logs_tail, "read the JSON-lines log with byte cursors"},
    {"config.get", Scope::kRead, method_config_get, "config file, hash, parsed config (redacted)"},
    {"config.schema", Scope::kRead, method_config_schema, "JSON Schema of config.yaml + UI hints"},
    {"config.set", Scope::kAdmin, method_config_set, "replace config.yaml ({raw, baseHash})"},
    {"config.patch", Scope::kAdmin, method_config_patch, "JSON merge patch ({raw, baseHash})"},
    {"chat.send", Scope::kWrite, method_chat_send, "send a message; reply streams as chat events"},
    {"chat.abort", Scope::kWrite, method_chat_abort,
     "stop a session's runs ({sessionKey, runId?})"},
    {"chat.history", Scope::kRead, method_chat_history,
     "transcript page ({sessionKey, limit, offset})"},
    {"chat.inject", Scope::kAdmin, method_chat_inject, "append an assistant message without a run"},
    {"sessions.list", Scope::kRead, method_sessions_list,
     "sessions, newest first (filters, paging)"},
    {"sessions.get", Scope::kRead, method_sessions_get, "one session's messages ({key, limit})"},
    {"sessions.reset", Scope::kAdmin, method_sessions_reset,
     "new sessionId; the old transcript is kept"},
    {"sessions.send", Scope::kWrite, method_sessions_send, "like chat.send, by session key"},
    {"sessions.delete", Scope::kAdmin, method_sessions_delete,
     "delete a session and its transcripts"},
    {"sessions.patch", Scope::kWrite, method_sessions_patch,
     "label, model override, pinned, archived"},
    {"sessions.subscribe", Scope::kRead, method_sessions_subscribe,
     "receive sessions.changed events"},
    {"models.list", Scope::kRead, method_models_list, "the model catalog with availability"},
    {"agents.list", Scope::kRead, method_agents_list, "configured agents"},
    {"agents.create", Scope::kAdmin, method_agents_create, "add an agent (id = slug of name)"},
    {"agents.update", Scope::kAdmin, method_agents_update, "rename, move or re-model an agent"},
    {"agents.delete", Scope::kAdmin, method_agents_delete, "remove an agent (not the default)"},
    {"agents.files.list", Scope::kRead, method_agents_files_list, "an agent's workspace files"},
    {"agents.files.get", Scope::kRead, method_agents_files_get, "one workspace file with content"},
    {"agents.files.set", Scope::kAdmin, method_agents_files_set,
     "write one workspace file (<= 2 MiB)"},
    {"exec.approval.list", Scope::kApprovals, method_exec_approval_list, "pending exec approvals"},
    {"exec.approval.get", Scope::kApprovals, method_exec_approval_get,
     "one approval by id or prefix"},
    {"exec.approval.resolve", Scope::kApprovals, method_exec_approval_resolve,
     "allow-once | allow-always | deny a pending command"},
    {"exec.approval.request", Scope::kNone, method_exec_approval_request,
     "node role: ask operators to approve a command"},
    {"node.list", Scope::kRead, method_node_list, "paired and connected nodes"},
    {"node.describe", Scope::kRead, method_node_describe, "one node: commands, caps, state"},
    {"node.invoke", Scope::kWrite, method_node_invoke, "run a command on a node"},
    {"node.invoke.result", Scope::kNone, method_node_invoke_result, "node role: answer an invoke"},
    {"node.event", Scope::kNone, method_node_event, "node role: publish an event"},
    {"node.pair.list", Scope::kPairing, method_node_pair_list,
     "pending pairing requests, paired devices"},
    {"node.pair.approve", Scope::kPairing, method_node_pair_approve, "approve a pairing request"},
    {"node.pair.reject", Scope::kPairing, method_node_pair_reject,
     "reject a request, or revoke a paired device"},
    {"channels.status", Scope::kRead, method_channels_status,
     "channel accounts: connected, health, reconnects, last traffic and error"},
    {"channels.start", Scope::kAdmin, method_channels_start, "start a channel (or one account)"},
    {"channels.stop", Scope::kAdmin, method_channels_stop, "stop a channel (or one account)"},
    {"channels.logout", Scope::kAdmin, method_channels_logout,
     "stop an account and forget the platform session it holds"},
    {"channels.pairing.list", Scope::kPairing, method_channels_pairing_list,
     "pending DM pairing codes (dm_policy: pairing)"},
    {"plugins.list", Scope::kRead, method_plugins_list,
     "plugins: state, version, restarts, last error; built-in extensions"},
    {"channels.pairing.approve", Scope::kPairing, method_channels_pairing_approve,
     "approve a sender's pairing code"},
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
                                        "channels.changed"};
}  // namespace

std::span<const MethodSpec> method_table() { return kMethods; }

namespace {
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
std::size_t position(const MethodSpec& m) { return static_cast<std::size_t>(&m - kMethods); }
protocol::SchemaHandle schema_of(const MethodSpec& m, bool params) {
  Index& i = index();
  std::size_t k = position(m);
  auto& flag = params ? i.params_once[k] : i.results_once[k];
  auto& slot = params ? i.params[k] : i.results[k];
  std::call_once(flag, [&] {
    slot =
        protocol::find_schema("methods/" + std::string(m.name) + (params ? ".params" : ".result"));
  });
  return slot;
}
}  // namespace

const MethodSpec* find_method(std::string_view name) {
  const auto& by_name = index().by_name;
  auto it = by_name.find(name);
  return it == by_name.end() ? nullptr : &kMethods[it->second];
}

protocol::SchemaHandle params_schema(const MethodSpec& m) { return schema_of(m, true); }
protocol::SchemaHandle result_schema(const MethodSpec& m) { return schema_of(m, false); }

std::span<const std::string_view> event_names() { return kEvents; }

}  // namespace simpleclaw::gateway
