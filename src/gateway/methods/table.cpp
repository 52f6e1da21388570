#include "gateway/methods/table.h"

#include <algorithm>
#include <array>

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
};

constexpr std::string_view kEvents[] = {"connect.challenge", "tick",   "shutdown",
                                        "presence",          "health", "config.changed"};
}  // namespace

std::span<const MethodSpec> method_table() { return kMethods; }

const MethodSpec* find_method(std::string_view name) {
  for (const auto& m : kMethods)
    if (m.name == name) return &m;
  return nullptr;
}

std::span<const std::string_view> event_names() { return kEvents; }

}  // namespace simpleclaw::gateway
