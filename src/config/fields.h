// The YAML key of every typed config field, said once: a field's key is its member name
// in config.h (and simpleclaw/tool.h), where its type, default and meaning are written.
// SC_CONFIG_FIELDS(Type, a, b, c) lists a struct's keyed members; from that list
//
//   Fields<Type>::read(obj, x)   copies every key present in `obj` into `x` (absent keys
//                                keep what `x` holds: its default, or an agent's copy of
//                                tools.* that its own overrides are laid over)
//   Fields<Type>::write(obj, x)  writes every field of `x` under its key
//
// The loader fills the typed Config with read(); a unit test writes a default-constructed
// Config with write() and checks that every default in config.schema.json and every
// value in default_config.yaml is the same as the struct's (tests/unit/config/
// config_fields_test.cpp), so the schema and the example file cannot drift from config.h.
//
// Members whose key differs from their name (models.default -> default_model,
// agents.default -> default_id), map keys that become names (providers, mcp.servers,
// users, hooks.mappings) and keys with rules beyond a copy (a provider plugin clears `api`,
// a user's `agents`) are read by hand in loader.cpp, models_agents.cpp, tools_config.cpp,
// users_config.cpp and hooks_config.cpp.
//
// The document was validated against the schema first: a value of the wrong type cannot
// reach read(), and if it did it would keep the default.
#pragma once
#include <optional>
#include <type_traits>
#include <vector>

#include "config/config.h"

namespace simpleclaw::config {

// Specialised by SC_CONFIG_FIELDS below, leaf structs first (a struct's list is compiled
// where it stands, so the structs it holds must already have theirs).
template <typename T>
struct Fields {
  static constexpr bool kKeyed = false;
};

namespace fields_detail {

template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
// A list of keyed structs (models[] of a provider).
template <typename T>
constexpr bool kStructList = false;
template <typename T, typename A>
constexpr bool kStructList<std::vector<T, A>> = Fields<T>::kKeyed;

template <typename T>
void assign(const Json& v, T& out) {
  if constexpr (Fields<T>::kKeyed) {
    Fields<T>::read(v, out);
  } else if constexpr (IsOptional<T>::value) {
    typename T::value_type inner{};
    assign(v, inner);
    out = std::move(inner);
  } else if constexpr (kStructList<T>) {
    T items;  // a list of structs: each element from its defaults
    for (const Json& e : v.is_array() ? v : Json::array()) {
      typename T::value_type item{};
      Fields<typename T::value_type>::read(e, item);
      items.push_back(std::move(item));
    }
    out = std::move(items);
  } else {
    try {
      out = v.get<T>();
    } catch (const std::exception&) {  // cannot happen after validation; keep the default
    }
  }
}

template <typename T>
Json to_json_value(const T& x) {
  if constexpr (Fields<T>::kKeyed) {
    Json j = Json::object();
    Fields<T>::write(j, x);
    return j;
  } else if constexpr (kStructList<T>) {
    Json arr = Json::array();
    for (const auto& e : x) arr.push_back(to_json_value(e));
    return arr;
  } else {
    return Json(x);
  }
}

}  // namespace fields_detail

// obj[key] into `out` when present and not null.
template <typename T>
void read_value(const Json& obj, const char* key, T& out) {
  if (!obj.is_object()) return;
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return;
  fields_detail::assign(*it, out);
}

// `v` under obj[key]; an unset optional is left out.
template <typename T>
void write_value(Json& obj, const char* key, const T& v) {
  if constexpr (fields_detail::IsOptional<T>::value) {
    if (v) obj[key] = fields_detail::to_json_value(*v);
  } else {
    obj[key] = fields_detail::to_json_value(v);
  }
}

}  // namespace simpleclaw::config

#define SC_CONFIG_READ_FIELD_(f) ::simpleclaw::config::read_value(j, #f, x.f);
#define SC_CONFIG_WRITE_FIELD_(f) ::simpleclaw::config::write_value(j, #f, x.f);
#define SC_CONFIG_FIELDS(Type, ...)                                                  \
  template <>                                                                        \
  struct simpleclaw::config::Fields<Type> {                                          \
    static constexpr bool kKeyed = true;                                             \
    static void read(const ::simpleclaw::Json& j, Type& x) {                         \
      if (!j.is_object()) return;                                                    \
      NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(SC_CONFIG_READ_FIELD_, __VA_ARGS__))  \
    }                                                                                \
    static void write(::simpleclaw::Json& j, const Type& x) {                        \
      NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(SC_CONFIG_WRITE_FIELD_, __VA_ARGS__)) \
    }                                                                                \
  };

// ---- the lists, leaf structs first ----

SC_CONFIG_FIELDS(simpleclaw::config::TlsConfig, enabled, cert, key)
SC_CONFIG_FIELDS(simpleclaw::config::AuthConfig, mode, token, password)
SC_CONFIG_FIELDS(simpleclaw::config::ControlUiConfig, root, base_path)
SC_CONFIG_FIELDS(simpleclaw::config::TimersConfig, handshake_ms, tick_ms, ping_ms, maintenance_ms,
                 presence_ttl_ms)
SC_CONFIG_FIELDS(simpleclaw::config::LimitsConfig, max_preauth_per_ip, max_preauth_frame,
                 max_payload, max_buffered, max_connections)
SC_CONFIG_FIELDS(simpleclaw::config::HttpEndpointConfig, enabled)
SC_CONFIG_FIELDS(simpleclaw::config::HttpEndpointsConfig, chat_completions, responses, tools_invoke)
SC_CONFIG_FIELDS(simpleclaw::config::HttpConfig, max_body_bytes, endpoints)
SC_CONFIG_FIELDS(simpleclaw::config::GatewayConfig, port, bind, mode, auth, tls, allowed_origins,
                 trusted_proxies, control_ui, timers, limits, http, shutdown_grace_ms)
SC_CONFIG_FIELDS(simpleclaw::config::DiscoveryConfig, mdns, tailscale, display_name)
SC_CONFIG_FIELDS(simpleclaw::config::PostgresStoreConfig, url, url_file)
SC_CONFIG_FIELDS(simpleclaw::config::StoreConfig, backend, postgres)
SC_CONFIG_FIELDS(simpleclaw::config::NatsTlsConfig, ca, cert, key)
SC_CONFIG_FIELDS(simpleclaw::config::NatsConfig, url, user, password, password_file, tls)
SC_CONFIG_FIELDS(simpleclaw::config::ClusterConfig, name, instance, nats, lease_ttl_ms,
                 lease_renew_ms)
SC_CONFIG_FIELDS(simpleclaw::config::CronConfig, enabled, timezone, max_concurrent_runs,
                 default_timeout_ms, missed_run_cap, max_jobs, webhook_secret)
SC_CONFIG_FIELDS(simpleclaw::config::HookDeliverConfig, channel, to, account_id)
SC_CONFIG_FIELDS(simpleclaw::config::HookMappingConfig, agent, session, message, secret, wait,
                 timeout_ms, deliver)
SC_CONFIG_FIELDS(simpleclaw::config::HooksConfig, enabled, secret, max_body_bytes, allow_bearer)
SC_CONFIG_FIELDS(simpleclaw::config::LoggingConfig, level, max_bytes, max_files)
SC_CONFIG_FIELDS(simpleclaw::config::ModelCost, input, output, cache_read, cache_write)
SC_CONFIG_FIELDS(simpleclaw::config::ModelEntry, id, name, context_window, max_tokens, reasoning,
                 cost)
SC_CONFIG_FIELDS(simpleclaw::config::ProviderConfig, api, base_url, api_key, headers, models)
SC_CONFIG_FIELDS(simpleclaw::config::RetryConfig, attempts, base_ms, max_ms)
SC_CONFIG_FIELDS(simpleclaw::config::ModelsConfig, retry, connect_timeout_ms, first_byte_timeout_ms,
                 idle_timeout_ms, request_timeout_ms, max_response_bytes, probe_interval_ms,
                 implicit)
SC_CONFIG_FIELDS(simpleclaw::config::HeartbeatConfig, every, prompt, target, to, account_id,
                 ack_token, ack_max_chars)
SC_CONFIG_FIELDS(simpleclaw::config::AgentConfig, id, name, emoji, avatar, model, fallbacks,
                 workspace, heartbeat)
SC_CONFIG_FIELDS(simpleclaw::config::SessionResetConfig, mode, at_hour, idle_minutes)
SC_CONFIG_FIELDS(simpleclaw::config::SessionAttachmentsConfig, max_image_bytes, max_images)
SC_CONFIG_FIELDS(simpleclaw::config::SessionsConfig, queue_mode, max_queue, dedupe_ttl_ms,
                 dedupe_max, run_timeout_ms, reset, attachments)
SC_CONFIG_FIELDS(simpleclaw::sdk::ExecSettings, security, ask, allow, sandbox, network, timeout_ms,
                 max_output, approval_timeout_ms)
SC_CONFIG_FIELDS(simpleclaw::sdk::WebFetchSettings, max_bytes, timeout_ms, max_redirects,
                 allow_private)
SC_CONFIG_FIELDS(simpleclaw::sdk::ToolPolicy, allow, deny, exec, max_steps, web_fetch)
SC_CONFIG_FIELDS(simpleclaw::config::McpServerConfig, command, args, env, cwd, enabled, timeout_ms)
SC_CONFIG_FIELDS(simpleclaw::config::NodesConfig, allow_commands, invoke_timeout_ms,
                 auto_approve_loopback)
SC_CONFIG_FIELDS(simpleclaw::config::UserConfig, token, token_file, scopes)
