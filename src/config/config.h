// The gateway's configuration: typed structs (defaults beside each field) built from
// ~/.simpleclaw/config.yaml, or from the embedded default when the file is missing.
//
// Loading = YAML parse (keeping each node's line) -> ${ENV} substitution -> JSON Schema
// validation (src/config/config.schema.json, embedded) -> semantic checks -> typed structs.
// Every problem is reported, each with its YAML path and line, never just the first.
//
// Plain values, no globals: the loop thread owns the live Config; loading is pure and
// may run anywhere.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/migrations.h"
#include "simpleclaw/result.h"
#include "simpleclaw/tool.h"

namespace simpleclaw::config {

struct TlsConfig {
  bool enabled = false;  // serve wss:// and https://
  std::string cert;      // PEM path; empty with enabled = self-signed pair in <state>/tls/
  std::string key;       // PEM path
};

// gateway.control_ui: which browser dashboard the gateway serves on its port.
struct ControlUiConfig {
  std::string root;       // a built UI directory (e.g. OpenClaw's dist/control-ui); "" = ours
  std::string base_path;  // URL prefix, "" = at /; e.g. "/ui"
};

struct AuthConfig {
  std::string mode = "token";  // token | password | none (none: loopback bind only)
  std::string token;           // empty = SIMPLECLAW_GATEWAY_TOKEN or <state>/gateway.token
  std::string password;        // required when mode = password
};

struct TimersConfig {
  int handshake_ms = 15000;      // connect must complete within this after accept
  int tick_ms = 30000;           // `tick` event period (policy.tickIntervalMs)
  int ping_ms = 25000;           // WS ping period after auth; no pong in as long = terminate
  int maintenance_ms = 15000;    // maintenance pass period (health, expiry, resets, WAL)
  int presence_ttl_ms = 300000;  // socketless presence reports are dropped after this
};

struct LimitsConfig {
  int max_preauth_per_ip = 32;              // unauthenticated sockets per client IP
  long long max_preauth_frame = 64 * 1024;  // bytes, before connect succeeds (close 1009)
  long long max_payload = 26214400;         // bytes, after connect (policy.maxPayload)
  long long max_buffered = 52428800;        // outbound bytes per socket (policy.maxBufferedBytes)
  int max_connections = 20000;              // all sockets; excess upgrades get HTTP 503
};

// gateway.http.endpoints.<name>: an optional HTTP API on the gateway's port (docs/http-api.md).
struct HttpEndpointConfig {
  bool enabled = false;  // off: the endpoint answers 404
};

struct HttpEndpointsConfig {
  HttpEndpointConfig chat_completions;    // POST /v1/chat/completions, GET /v1/models
  HttpEndpointConfig responses;           // POST /v1/responses
  HttpEndpointConfig tools_invoke{true};  // POST /tools/invoke (on: it is behind auth + policy)
};

// gateway.http.*: plain HTTP requests on the gateway's port (docs/http-api.md).
struct HttpConfig {
  long long max_body_bytes = 4 * 1024 * 1024;  // a request body over this is refused (413)
  HttpEndpointsConfig endpoints;
};

// The port a gateway listens on and a client dials when nothing else is said.
inline constexpr int kDefaultPort = 18789;

struct GatewayConfig {
  int port = kDefaultPort;        // --port > SIMPLECLAW_PORT > this
  std::string bind = "loopback";  // loopback | all | tailnet | literal IPv4/IPv6
  std::string mode = "local";     // local | shared
  AuthConfig auth;
  TlsConfig tls;
  std::vector<std::string> allowed_origins;  // browser Origins allowed to upgrade
  // Reverse proxies (CIDRs or addresses) whose X-Forwarded-For / Forwarded name the client;
  // empty = those headers are ignored from everyone.
  std::vector<std::string> trusted_proxies;
  ControlUiConfig control_ui;
  TimersConfig timers;
  LimitsConfig limits;
  HttpConfig http;
  // SIGTERM / `gateway restart`: how long runs in flight may finish before they are
  // recorded as interrupted (queued runs wait for the next start either way).
  int shutdown_grace_ms = 30000;
};

// discovery.*: how clients find the gateway (src/discovery). Never carries secrets.
struct DiscoveryConfig {
  std::string mdns = "minimal";  // off | minimal | full; always off with a loopback bind
  bool tailscale = false;        // read `tailscale status --json` (bind: tailnet implies it)
  std::string display_name;      // mDNS name and TXT displayName; "" = "simpleclaw on <host>"
};

// store.*: where durable state lives (sessions, transcripts, runs, approvals, cron, the
// outbound queue): SQLite in the state directory, or PostgreSQL for cluster mode.
struct PostgresStoreConfig {
  std::string url;       // libpq URL; its password through ${ENV}: never logged or shown
  std::string url_file;  // or a file holding it (used when url is empty)
};
struct StoreConfig {
  std::string backend = "sqlite";  // sqlite | postgres
  PostgresStoreConfig postgres;
};

// cluster.*: several gateways on one PostgreSQL store and a NATS server (docs/cluster.md).
struct NatsTlsConfig {
  std::string ca;         // PEM authority of the server's certificate ("" = the system's)
  std::string cert, key;  // a client certificate (mutual TLS), both or neither
};
struct NatsConfig {
  std::string url;  // nats://host:4222 (comma-separated for several; tls:// for TLS)
  std::string user;
  std::string password;       // through ${ENV} or password_file: never logged or shown
  std::string password_file;  // used when password is empty
  NatsTlsConfig tls;          // TLS when any is set or the url is tls://
};
struct ClusterConfig {
  std::string name;      // "" = this gateway runs on its own
  std::string instance;  // this gateway's id in the cluster; "" = <hostname>-<port>
  NatsConfig nats;
  int lease_ttl_ms = 10000;
  int lease_renew_ms = 3000;
  bool enabled() const { return !name.empty(); }
};

// One user of a shared gateway (users.<name>; see docs/shared-mode.md).
struct UserConfig {
  std::string name;        // the key under users: [a-z0-9][a-z0-9_-]{0,31}
  std::string token;       // >= 16 characters; empty when token_file is used
  std::string token_file;  // read when the gateway loads the config (0600 expected)
  std::vector<std::string> scopes{"operator.read", "operator.write"};  // granted scopes
  std::vector<std::string> agents;  // agent ids this user may use...
  bool all_agents = true;           // ...or every agent ("*", the default)
};

// cron.*: the scheduler of jobs (cron.add) and heartbeats (docs/automations.md).
struct CronConfig {
  bool enabled = true;              // false: jobs are kept but nothing fires
  std::string timezone;             // zone of cron expressions without tz; "" = the host's
  int max_concurrent_runs = 2;      // job runs at once; the rest wait their turn
  int default_timeout_ms = 600000;  // a run's limit when its payload sets none
  int missed_run_cap = 5;           // missedPolicy run-all: at most this many late runs
  int max_jobs = 10000;             // cron.add refuses more
  std::string webhook_secret;       // signs webhook deliveries ("whsec_<base64>"); "" = unsigned
};

// hooks.*: webhooks in (POST /hooks/wake, /hooks/agent, /hooks/<name>; docs/webhooks.md).
// Every request is verified against its hook's secret (Standard Webhooks signature).
struct HookDeliverConfig {
  std::string channel;     // a channel name, or "last" = where the agent last talked
  std::string to;          // the recipient on that channel ("" with channel last)
  std::string account_id;  // "" = the channel's default account
};

// One named hook (hooks.mappings.<name>): POST /hooks/<name> renders `message` from the
// request's JSON body and headers and runs it as a turn of `agent` in `session`.
struct HookMappingConfig {
  std::string name;     // the key under hooks.mappings: [a-z0-9][a-z0-9_-]{0,63}
  std::string agent;    // agent id; "" = agents.default
  std::string session;  // session key; "" = "hook:<name>"
  std::string message;  // template: {{body.a.b}}, {{headers.x-name}}, {{name}}
  std::string secret;   // this hook's secret; "" = hooks.secret
  bool wait = false;    // answer with the reply (200) instead of at once (202)
  int timeout_ms = 0;   // the run's limit; 0 = sessions.run_timeout_ms
  std::optional<HookDeliverConfig> deliver;  // also announce the reply on a channel
};

struct HooksConfig {
  bool enabled = false;                     // off: every /hooks/ path answers 404
  std::string secret;                       // default secret ("whsec_<base64>" or >= 16 bytes)
  long long max_body_bytes = 262144;        // larger request bodies are refused (413)
  bool allow_bearer = false;                // also accept "Authorization: Bearer <secret>"
  std::vector<HookMappingConfig> mappings;  // sorted by name
};

struct LoggingConfig {
  std::string level = "info";              // trace | debug | info | warn | error
  long long max_bytes = 10 * 1024 * 1024;  // rotate gateway.log at this size
  int max_files = 5;                       // rotated files kept
};

// What a model costs, in USD per 1M tokens (models.providers.<name>.models[].cost): what
// usage.cost and sessions.usage multiply the stored token counts by.
struct ModelCost {
  double input = 0;        // prompt tokens
  double output = 0;       // reply tokens
  double cache_read = 0;   // prompt tokens served from the provider's cache
  double cache_write = 0;  // prompt tokens written to the provider's cache
};

// One model a provider serves (models.providers.<name>.models[]).
struct ModelEntry {
  std::string id;                 // the provider's model id, e.g. "gpt-4o-mini"
  std::string name;               // display name; empty = id
  int context_window = 128000;    // tokens the model accepts (history is trimmed to fit)
  int max_tokens = 4096;          // reply budget sent with each request
  bool reasoning = false;         // a reasoning model (shown in models.list)
  std::optional<ModelCost> cost;  // unset = price unknown: usage counts its tokens at cost 0
                                  // and flags them (missingCostEntries), never guesses
};

// One LLM endpoint (models.providers.<name>), or a provider plugin that serves the models.
struct ProviderConfig {
  std::string name;            // the key under models.providers
  std::string plugin;          // provider plugin name; set = api, base_url, key unused
  std::string api = "openai";  // openai | anthropic | ollama (wire format)
  std::string base_url;        // empty = the wire format's default (WireFormat::default_base_url)
  std::string api_key;         // sent as Bearer / x-api-key; ${ENV} recommended
  std::map<std::string, std::string> headers;  // extra request headers
  std::vector<ModelEntry> models;
  // Not from config.yaml: an implicit provider (implicit_providers.h), made from this
  // environment variable ("OPENAI_API_KEY") or found running ("OLLAMA_HOST", "local Ollama").
  // Empty for a configured provider.
  std::string implicit_from;
};

struct RetryConfig {
  int attempts = 3;    // tries per model on 429/5xx/connection errors
  int base_ms = 500;   // first backoff; doubles each try, with jitter
  int max_ms = 20000;  // backoff cap (a longer Retry-After is not waited for)
};

struct ModelsConfig {
  std::string default_model;  // "provider/model"; empty = first model of first provider
                              // (implicit providers: openai, anthropic, ollama in that order)
  std::vector<ProviderConfig> providers;  // sorted by name
  RetryConfig retry;
  int connect_timeout_ms = 10000;      // TCP + TLS + proxy set-up
  int first_byte_timeout_ms = 120000;  // request sent -> response head
  int idle_timeout_ms = 60000;         // no stream bytes for this long = timeout
  int request_timeout_ms = 600000;     // whole request, streaming included
  int probe_interval_ms = 0;           // > 0: re-probe provider availability this often
  // Reply text plus tool-call arguments one model call may produce; more ends the call with
  // an error (a runaway or broken stream must not grow a run's memory and transcript
  // without bound). 8 MiB is far beyond any model's output budget.
  long long max_response_bytes = 8 * 1024 * 1024;
  // models.implicit: with models.providers empty, providers come from OPENAI_API_KEY,
  // ANTHROPIC_API_KEY and a local Ollama (implicit_providers.h). false = never.
  bool implicit = true;
  // Set when implicit providers are in use: the Ollama base URL the catalog probes at start
  // (OLLAMA_HOST, else http://127.0.0.1:11434). Empty = no Ollama detection.
  std::string ollama_probe_url;
};

// The tool policy (tools.*; agents.list[].tools overrides allow/deny/exec/max_steps;
// SPEC §8): the structs and their defaults are the tool SDK's (simpleclaw/tool.h), since
// tool extensions read them.
using ExecToolConfig = sdk::ExecSettings;
using WebFetchConfig = sdk::WebFetchSettings;
using ToolsConfig = sdk::ToolPolicy;

// One MCP server (mcp.servers.<name>).
struct McpServerConfig {
  std::string name;  // the key; tools are exposed as <name>__<tool>
  std::string command;
  std::vector<std::string> args;
  std::map<std::string, std::string> env;  // added to the scrubbed environment
  std::string cwd;                         // empty = the state dir
  bool enabled = true;
  int timeout_ms = 60000;  // per request
};

struct NodesConfig {
  std::vector<std::string> allow_commands{"system.run", "system.info"};  // node.invoke commands
  int invoke_timeout_ms = 30000;      // default node.invoke timeout
  bool auto_approve_loopback = true;  // pair loopback devices without asking
};

// One agent (agents.list[]). Agent `main` always exists (added when absent).
// agents.list[].heartbeat: a periodic turn in the agent's main session that reaches a
// channel only when the reply is not the "nothing to report" token (docs/automations.md).
struct HeartbeatConfig {
  std::string every;            // "30m", "1h": a duration; "" or "0" = no heartbeat
  std::string prompt;           // the turn's message; "" = the built-in one (HEARTBEAT.md)
  std::string target = "last";  // last (where the agent last talked) | none | a channel name
  std::string to;               // the chat/channel id when target names a channel
  std::string account_id;       // the channel's account; "" = its default
  std::string ack_token = "HEARTBEAT_OK";  // the reply that means "nothing to report"
  int ack_max_chars = 300;  // text beside the token up to this long is still "nothing"
};

struct AgentConfig {
  std::string id;                      // slug: [a-z0-9][a-z0-9_-]*
  std::string name;                    // display name; empty = id
  std::string emoji;                   // shown beside the name by clients ("" = none)
  std::string avatar;                  // an image URL or data: URI for clients ("" = none)
  std::string model;                   // "provider/model"; empty = models.default
  std::vector<std::string> fallbacks;  // tried in order when the model fails
  std::string workspace;               // empty = <state>/agents/<id>/workspace
  ToolsConfig tools;                   // tools.* with this agent's overrides applied
  HeartbeatConfig heartbeat;           // off unless heartbeat.every is set
};

struct AgentsConfig {
  std::string default_id = "main";  // agent for keys without an agent (e.g. "main")
  std::vector<AgentConfig> list;    // always holds the default agent after loading
};

// sessions.reset: when the maintenance timer starts a session over (as sessions.reset
// does: a new sessionId, the old transcript kept and readable).
struct SessionResetConfig {
  std::string mode = "none";  // none | daily | idle
  int at_hour = 4;            // daily: local hour (0-23) after which a session is reset
  double idle_minutes = 0;    // idle: reset after this long without activity (> 0)
};

// Images attached to chat.send / sessions.send / agent (gateway/attachments.h).
struct SessionAttachmentsConfig {
  long long max_image_bytes = 5242880;  // decoded bytes per image (hello-ok policy.attachments)
  int max_images = 8;                   // images per message
};

struct SessionsConfig {
  std::string queue_mode = "followup";  // followup | collect | interrupt | steer
  int max_queue = 20;                   // queued messages per session before chat.send refuses
  int dedupe_ttl_ms = 300000;           // idempotencyKey remembered this long...
  int dedupe_max = 1000;                // ...and at most this many keys
  int run_timeout_ms = 600000;          // a run longer than this is aborted (timeoutMs overrides)
  SessionResetConfig reset;
  SessionAttachmentsConfig attachments;
};

struct Config {
  GatewayConfig gateway;
  LoggingConfig logging;
  ModelsConfig models;
  AgentsConfig agents;
  SessionsConfig sessions;
  DiscoveryConfig discovery;
  CronConfig cron;
  StoreConfig store;
  ClusterConfig cluster;
  HooksConfig hooks;
  ToolsConfig tools;                 // defaults (each agent has its resolved copy)
  std::vector<McpServerConfig> mcp;  // sorted by name
  NodesConfig nodes;
  std::vector<UserConfig> users;  // shared mode; sorted by name
  Json doc;                       // the whole validated document after ${ENV} substitution

  // A section whose shape its owner reads itself (channels, plugins: their settings are
  // the extensions' own JSON): doc[key] when it is an object (array), else an empty one.
  const Json& object_section(const char* key) const;
  const Json& array_section(const char* key) const;
};

// store.postgres' URL: `url`, else the first line of `url_file` (an error naming the file
// when it cannot be read). Used by the gateway at start and by `doctor`.
Result<std::string> postgres_url(const StoreConfig& s);
// cluster.nats' password: `password`, else the first line of `password_file` ("" when
// neither is set: a NATS server without authentication).
Result<std::string> nats_password(const NatsConfig& n);
// This instance's id: cluster.instance, else "<hostname>-<port>".
std::string instance_id(const Config& c);

// True when a bind setting listens only on this machine: "loopback", "localhost", an IPv4
// address in 127.0.0.0/8 or ::1. The one definition (config checks, the server, doctor).
bool is_loopback_bind(std::string_view bind);
// The agent with this id, or nullptr.
const AgentConfig* find_agent(const Config& c, std::string_view id);

// One validation problem. `path` is the dotted YAML path ("gateway.auth.mode",
// "gateway.allowed_origins[1]", "" for the root); `line` is 1-based, 0 if unknown.
struct Issue {
  std::string path;
  int line = 0;
  std::string message;
  std::string to_string() const;  // "gateway.port (line 3): must be <= 65535"
};

struct Parsed {
  Config config;  // valid only when issues is empty
  std::vector<Issue> issues;
  // Keys of an older config version read under their new names (migrations.h): the
  // config is valid, the file is not updated; log them with the fix (doctor --fix).
  std::vector<MigrationChange> migrated;
  int file_version = kConfigVersion;  // as the file says (1 when it has no `version`)
  bool ok() const { return issues.empty(); }
};

// Environment lookup, injectable for tests. Default: getenv.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_env();

// Parses and validates YAML text. Never throws.
Parsed parse(std::string_view yaml_text, const EnvLookup& env = process_env());

// The embedded default config text (works out of the box) and the config JSON Schema
// (parsed on use and freed when no one holds it: keep the pointer while reading it).
std::string_view default_text();
std::shared_ptr<const Json> schema();
// Hints for UIs: {"gateway.auth.token": {"sensitive": true, "label": ...}, ...}
Json ui_hints();

// Secret handling. A key is secret when its name is token, password, api_key, apiKey,
// secret, or ends with _token/_secret/_password/_key/_credentials (any case; also the
// camelCase and dash forms). redact() replaces secret values with
// kRedacted; redact_raw() does the same in YAML text (comments and layout kept).
inline constexpr std::string_view kRedacted = "__SIMPLECLAW_REDACTED__";
bool is_secret_key(std::string_view key);
Json redact(const Json& doc);
std::string redact_raw(std::string_view yaml_text);
// Puts back the secret values a client echoed as kRedacted: every kRedacted scalar in
// `new_text` at a path where `old_text` has a value gets that value. Returns new text.
Result<std::string> restore_redacted(std::string_view new_text, std::string_view old_text);

// RFC 7396 JSON merge patch: objects merge, null deletes, arrays/scalars replace.
Json merge_patch(Json target, const Json& patch);
// YAML text for a JSON document (block style, key order kept).
std::string to_yaml(const Json& doc);
// Parses YAML (or JSON, a YAML subset) text into JSON without validation.
Result<Json> yaml_to_json(std::string_view text);

// The config file on disk with compare-and-swap writes (SPEC §5 Config).
struct FileState {
  std::string path;
  bool exists = false;
  std::string raw;    // file bytes, or the embedded default when missing
  std::string hash;   // SHA-256 hex of the file bytes; empty when the file is missing
  std::string error;  // set when the file exists but cannot be read (raw and hash empty)
  // Cluster mode: `raw`/`hash` are the cluster's shared document (path "cluster:<name>")
  // and this is the text the gateway parsed: it with the local file's keys over it.
  std::string composed;
};
FileState read_state(const std::string& path);

// Validates `new_text` and writes it atomically iff the file's current hash equals
// base_hash (any base_hash is accepted while the file does not exist). On any failure the
// file is untouched. Errors: INVALID_REQUEST "config changed since last load; re-run
// config.get and retry" (details.code CONFIG_CONFLICT), or "invalid config: ..." with
// details {code:"INVALID_CONFIG", issues:[{path,line,message}]}.
struct WriteResult {
  FileState state;  // after the write
  Config config;    // the new validated config
};
Result<WriteResult> write_checked(const std::string& path, std::string_view new_text,
                                  const std::string& base_hash,
                                  const EnvLookup& env = process_env());
// config.patch: merge `patch` (JSON object) into the current file's document (without
// env substitution, so ${VARS} stay), then write_checked the YAML of the result.
Result<WriteResult> patch_checked(const std::string& path, const Json& patch,
                                  const std::string& base_hash,
                                  const EnvLookup& env = process_env());
// Methods that change one part of the config (agents.create/update/delete) edit the
// file's own document the same way: `edit` gets it (${VARS} unexpanded, key order kept)
// and may refuse with an error; the result is write_checked against the hash read here,
// so a concurrent writer gives CONFIG_CONFLICT rather than a lost update.
using DocEdit = std::function<Status(nlohmann::ordered_json& doc)>;
Result<WriteResult> edit_checked(const std::string& path, const DocEdit& edit,
                                 const EnvLookup& env = process_env());

// The same for agents.list (created when absent): agents.create/update/delete and an
// exec allow-always edit the file's list. agent_entry() finds an agent's entry in it
// (nullptr for an implicit agent such as main without one).
using AgentsEdit = std::function<Status(nlohmann::ordered_json& list)>;
Result<WriteResult> edit_agents_checked(const std::string& path, const AgentsEdit& edit,
                                        const EnvLookup& env = process_env());
nlohmann::ordered_json* agent_entry(nlohmann::ordered_json& list, std::string_view id);

// The same edits on a document's text (config.yaml's, or the cluster's shared document):
// edit_text parses `raw` (${VARS} unexpanded, key order kept), runs `edit`, puts back the
// secrets a client echoed redacted, and returns the new YAML. merge_edit is config.patch's
// RFC 7396 merge; agents_edit runs an AgentsEdit on agents.list (created when absent).
Result<std::string> edit_text(std::string_view raw, const DocEdit& edit);
DocEdit merge_edit(Json patch);
DocEdit agents_edit(AgentsEdit edit);

// Cluster mode (docs/cluster.md "Config"): the config is one document in the shared store.
// Each gateway keeps from its own file only the keys that say how it reaches the cluster
// (store, cluster) and, when set there, its own listener (gateway.port, bind, tls); those
// win over the shared document. compose_cluster_config() gives the text the gateway runs
// on (to parse() as usual); shared_seed() is what a first instance puts in an empty
// cluster: its own file without store and cluster.
inline constexpr const char* kLocalGatewayKeys[] = {"port", "bind", "tls"};
Result<std::string> compose_cluster_config(std::string_view shared_raw, std::string_view local_raw);
Result<std::string> shared_seed(std::string_view local_raw);
// A change to the shared document may not carry store or cluster (they would be ignored
// on every instance): the error says so.
Status check_shared_document(std::string_view raw);
// The local file's keys cluster mode ignores (the shared document has the say), as
// "agents, models, gateway.auth" ("" when there are none).
std::string ignored_local_keys(std::string_view local_raw);

// exec allow-always: adds `patterns` to agent `agent_id`'s own tools.exec.allow in the file
// (the entry is created when absent; an agent without its own list first gets a copy of
// the inherited one from `current`, so adding a pattern never drops the defaults).
// Patterns already there are not repeated.
Result<WriteResult> add_exec_allow(const std::string& path, const Config& current,
                                   const std::string& agent_id,
                                   const std::vector<std::string>& patterns);
// The same as an AgentsEdit, for a document that is not a file (cluster mode).
AgentsEdit exec_allow_edit(const Config& current, std::string agent_id,
                           std::vector<std::string> patterns);

// Issues as JSON [{path, line, message}], and the INVALID_REQUEST error a rejected config
// gives: "invalid config: <first issue>", details {code:"INVALID_CONFIG", issues}.
Json issues_to_json(const std::vector<Issue>& issues);
Error invalid_config_error(const std::vector<Issue>& issues);

// Keys whose change needs a restart (bind, port, TLS, discovery); the rest hot-applies.
bool needs_restart(const Config& before, const Config& after);

}  // namespace simpleclaw::config
