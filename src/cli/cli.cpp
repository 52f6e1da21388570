#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "base/env.h"
#include "base/fs.h"
#include "config/config.h"
#include "gateway/methods/table.h"
#include "gateway/protocol/errors.h"
#include "gateway/runtime.h"

namespace simpleclaw::cli {
namespace {

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

void print_error(const Error& e) {
  std::string line = "error: " + std::string(protocol::wire_code(e.code)) + ": " + e.message;
  if (!e.details.is_null()) line += " " + e.details.dump();
  fprintf(stderr, "%s\n", line.c_str());
  if (e.is_io())  // could not reach it (cli/ws_client.h)
    fprintf(stderr, "hint: is the gateway running? start it with `simpleclaw gateway`\n");
}

int do_call(Target& t, const std::string& method, const std::string& params_text, bool json_out) {
  Json params;
  if (!params_text.empty()) {
    params = Json::parse(params_text, nullptr, false);
    if (params.is_discarded()) {
      fprintf(stderr, "error: --params is not valid JSON\n");
      return 2;
    }
  }
  resolve_target(t);
  auto c = WsClient::connect(client_options(t));
  if (!c.ok()) {
    print_error(c.error());
    return 1;
  }
  auto r = (*c)->call(method, params);
  (*c)->close();
  if (!r.ok()) {
    if (json_out)
      printf("%s\n",
             Json{{"ok", false}, {"error", protocol::error_json(r.error())}}.dump(2).c_str());
    print_error(r.error());
    return 1;
  }
  printf("%s\n", r->dump(json_out ? 2 : 2, ' ', false, Json::error_handler_t::replace).c_str());
  return 0;
}

}  // namespace

ClientOptions client_options(const Target& t) {
  ClientOptions o;
  o.url = t.url;
  o.token = t.token;
  o.password = t.password;
  o.msgpack = t.msgpack;
  o.timeout_ms = t.timeout_ms;
  // Every scope: the gateway caps them to what the credential grants, so the admin gets
  // all of them and a shared-mode user their own (asking for admin alone would leave a
  // user with none).
  o.scopes = {"operator.admin", "operator.read", "operator.write", "operator.approvals",
              "operator.pairing"};
  // Pin the gateway's own certificate when it is the one in our state dir.
  if (t.url.rfind("wss://", 0) == 0) {
    Json j = read_runtime_file(t.state_dir);
    if (j.value("url", "") == t.url) o.tls_fingerprint = j.value("tlsSha256", "");
  }
  return o;
}

Json read_runtime_file(const std::string& state_dir) {
  auto rt = read_file(state_dir + "/gateway.json");
  if (!rt.ok()) return Json::object();
  Json j = Json::parse(*rt, nullptr, false);
  return j.is_object() ? j : Json::object();
}

void resolve_target(Target& t) {
  t.state_dir = gateway::resolve_state_dir(t.state_dir);
  t.config_path = gateway::resolve_config_path(t.config_path, t.state_dir);
  config::Parsed cfg = config::parse(config::read_state(t.config_path).raw);
  if (t.url.empty()) t.url = read_runtime_file(t.state_dir).value("url", "");
  if (t.url.empty()) {
    int port = cfg.ok() ? cfg.config.gateway.port : config::kDefaultPort;
    if (std::string p = env_var("SIMPLECLAW_PORT"); !p.empty()) port = std::atoi(p.c_str());
    bool tls = cfg.ok() && cfg.config.gateway.tls.enabled;
    t.url = std::string(tls ? "wss://" : "ws://") + "127.0.0.1:" + std::to_string(port);
  }
  if (t.token.empty()) t.token = env_var("SIMPLECLAW_GATEWAY_TOKEN");
  if (t.token.empty() && cfg.ok()) t.token = cfg.config.gateway.auth.token;
  if (t.token.empty())
    if (auto f = read_file(t.state_dir + "/gateway.token"); f.ok()) t.token = trim(*f);
  if (t.password.empty()) t.password = env_var("SIMPLECLAW_GATEWAY_PASSWORD");
}

int run(int argc, char** argv) {
  // On the heap so that `gateway` can free the parsed command tree (~0.2 MB of options,
  // help texts and results) before it serves for days (idle RSS, issue 18).
  auto app_tree = std::make_unique<CLI::App>(
      "simpleclaw — an AI-assistant gateway (OpenClaw protocol v4 compatible)");
  CLI::App& app = *app_tree;
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(SIMPLECLAW_VERSION));
  Target t;
  bool json_out = false;
  auto add_client_opts = [&](CLI::App* sub) {
    sub->add_option("--url", t.url,
                    "gateway URL (default: the running gateway, else ws://127.0.0.1:" +
                        std::to_string(config::kDefaultPort) + ")");
    sub->add_option("--token", t.token,
                    "gateway token (default: $SIMPLECLAW_GATEWAY_TOKEN or <state>/gateway.token)");
    sub->add_option("--password", t.password, "gateway password (auth mode password)");
    sub->add_option("--state-dir", t.state_dir,
                    "state directory (default: $SIMPLECLAW_HOME or ~/.simpleclaw)");
    sub->add_option("--config", t.config_path, "config file (default: <state>/config.yaml)");
    sub->add_option("--timeout", t.timeout_ms, "milliseconds to wait for the gateway")
        ->capture_default_str();
    sub->add_flag("--msgpack", t.msgpack,
                  "use MessagePack framing (subprotocol simpleclaw.msgpack)");
    sub->add_flag("--json", json_out, "print machine-readable JSON only");
  };

  // gateway
  gateway::GatewayOptions gopts;
  int port = -1;
  auto* g = app.add_subcommand("gateway", "run the gateway server");
  g->add_option("--port", port,
                "port (0 = any free port; default $SIMPLECLAW_PORT, gateway.port, " +
                    std::to_string(config::kDefaultPort) + ")");
  g->add_option("--bind", gopts.bind,
                "loopback | all | tailnet | an IP address (default gateway.bind, loopback)");
  g->add_option("--config", gopts.config_path,
                "config file (default $SIMPLECLAW_CONFIG or <state>/config.yaml)");
  g->add_option("--state-dir", gopts.state_dir,
                "state directory (default $SIMPLECLAW_HOME or ~/.simpleclaw)");
  g->add_flag("--verbose,-v", gopts.verbose, "debug logging");
  g->add_flag("--strict-config", gopts.strict_config,
              "refuse to start on an invalid config file instead of running on the "
              "last-known-good copy (config.last-good.yaml in the state dir)");
  ServiceOptions svc;
  auto* g_install = g->add_subcommand("install", "install the gateway as a systemd service");
  auto* g_uninstall = g->add_subcommand("uninstall", "remove the systemd service");
  auto* g_restart = g->add_subcommand(
      "restart",
      "restart the running gateway in place: runs in flight finish, clients reconnect at once, "
      "no connection is refused (picks up a new binary and config)");
  int restart_timeout_s = 120;
  bool restart_json = false;
  g_restart->add_option(
      "--state-dir", gopts.state_dir,
      "state directory of the gateway (default $SIMPLECLAW_HOME or ~/.simpleclaw)");
  g_restart->add_option("--timeout", restart_timeout_s, "seconds to wait for it to be back")
      ->capture_default_str();
  g_restart->add_flag("--json", restart_json, "print machine-readable JSON only");
  for (auto* sub : {g_install, g_uninstall}) {
    auto* u = sub->add_flag("--user", svc.user,
                            "user service (~/.config/systemd/user; default unless root)");
    auto* s = sub->add_flag("--system", svc.system,
                            "system service (/etc/systemd/system; default as root)");
    u->excludes(s);
    sub->add_option("--unit-dir", svc.unit_dir,
                    "write the unit here instead (default $SIMPLECLAW_UNIT_DIR or the systemd "
                    "directory); systemctl is not run");
    sub->add_flag("--force", svc.force,
                  "replace a different unit / remove a unit not written by simpleclaw");
  }
  g_install->add_option(
      "--state-dir", svc.state_dir,
      "state directory the service uses (default $SIMPLECLAW_HOME or ~/.simpleclaw)");
  g_install->add_option("--config", svc.config_path,
                        "config file the service uses (default <state>/config.yaml)");
  g_install->add_option("--rw-path", svc.rw_paths,
                        "another absolute path the service may write (repeatable)");
  g_install->add_option("--watchdog-sec", svc.watchdog_sec, "systemd WatchdogSec")
      ->capture_default_str();
  g_install->add_flag("--no-start", svc.no_start,
                      "only write the unit; print the systemctl commands");

  // backup / restore
  std::string backup_file, backup_state;
  auto* backup = app.add_subcommand(
      "backup", "write an online snapshot of the state (sessions, devices, channels) to FILE");
  backup->add_option("file", backup_file, "the backup file to create")->required();
  auto* restore = app.add_subcommand(
      "restore", "restore a backup into the state dir (the gateway must be stopped)");
  restore->add_option("file", backup_file, "a file written by `simpleclaw backup`")->required();
  for (auto* sub : {backup, restore})
    sub->add_option("--state-dir", backup_state,
                    "state directory (default $SIMPLECLAW_HOME or ~/.simpleclaw)");

  // store migrate
  std::string store_to, store_url, store_state;
  auto* store_cmd = app.add_subcommand("store", "the durable store (sessions, runs, cron, queue)");
  auto* store_migrate = store_cmd->add_subcommand(
      "migrate", "copy the state's SQLite store into PostgreSQL (resumable; the gateway stopped)");
  store_migrate->add_option("--to", store_to, "the engine to copy into: postgres")->required();
  store_migrate->add_option("--url", store_url,
                            "postgres://user:password@host:5432/db (default $SIMPLECLAW_PG_URL)");
  store_migrate->add_option("--state-dir", store_state,
                            "state directory (default $SIMPLECLAW_HOME or ~/.simpleclaw)");
  store_cmd->require_subcommand(1);

  // cluster status
  std::string cluster_state, cluster_config;
  bool cluster_json = false;
  auto* cluster_cmd = app.add_subcommand("cluster", "cluster mode: several gateways on PostgreSQL");
  auto* cluster_status =
      cluster_cmd->add_subcommand("status", "instances, leases, lag and runs (from the database)");
  cluster_status->add_option("--state-dir", cluster_state, "state directory (for its config.yaml)");
  cluster_status->add_option("--config", cluster_config, "config file naming the cluster");
  cluster_status->add_flag("--json", cluster_json, "print JSON");
  cluster_cmd->require_subcommand(1);

  // call
  std::string method, params_text;
  std::string methods_help = "one RPC; methods:\n";
  for (const auto& m : gateway::method_table())
    methods_help += "  " + std::string(m.name) + " — " + std::string(m.summary) + "\n";
  auto* call = app.add_subcommand("call", methods_help);
  call->add_option("method", method, "method name");
  call->add_option("--params", params_text, "params as JSON");
  bool methods_markdown = false;
  call->add_flag("--methods-markdown", methods_markdown,
                 "print the method reference (docs/methods.md) generated from the table");
  add_client_opts(call);

  auto* health = app.add_subcommand("health", "print the gateway's health snapshot");
  add_client_opts(health);
  auto* status = app.add_subcommand("status", "print version, uptime, connections");
  add_client_opts(status);

  // chat
  std::string chat_session = "main";
  int reply_timeout_ms = 600000;
  auto* chat = app.add_subcommand("chat", "interactive chat; replies stream as they arrive");
  chat->add_option("--session", chat_session, "session key (default: main)")->capture_default_str();
  chat->add_option("--reply-timeout", reply_timeout_ms, "milliseconds to wait for a reply")
      ->capture_default_str();
  add_client_opts(chat);

  // node
  auto* node =
      app.add_subcommand("node", "run this machine as a node host (system.run, system.info)");
  add_client_opts(node);

  // config
  std::vector<std::string> config_args;
  auto* cfg = app.add_subcommand(
      "config", "config get [path] | set <path> <value> | patch <json> | validate [file]");
  cfg->add_option("args", config_args, "subcommand and its arguments")->required();
  add_client_opts(cfg);

  // doctor
  DoctorOptions dopts;
  auto* doctor = app.add_subcommand(
      "doctor", "check config, permissions, port, exposure, providers, channels, databases, disk");
  doctor->add_option("--state-dir", dopts.state_dir,
                     "state directory (default: $SIMPLECLAW_HOME or ~/.simpleclaw)");
  doctor->add_option("--config", dopts.config_path, "config file (default: <state>/config.yaml)");
  doctor->add_option("--port", dopts.port,
                     "port to check (default $SIMPLECLAW_PORT, gateway.port)");
  doctor
      ->add_option("--probe-timeout", dopts.probe_timeout_ms,
                   "milliseconds per provider reachability probe")
      ->capture_default_str();
  doctor->add_flag("--json", dopts.json, "print machine-readable JSON only");
  doctor->add_flag("--fix", dopts.fix,
                   "rewrite a config of an older version: show the diff, ask, keep the old file");
  doctor->add_flag("--yes", dopts.yes, "with --fix: write without asking");

  // discover
  int discover_timeout_ms = 2000;
  auto* discover = app.add_subcommand("discover", "list gateways advertised on the LAN (mDNS)");
  discover->add_option("--timeout", discover_timeout_ms, "milliseconds to browse")
      ->capture_default_str();
  discover->add_flag("--json", json_out, "print machine-readable JSON only");

  // users
  UsersOptions uopts;
  auto* users = app.add_subcommand(
      "users",
      "shared mode: users add NAME [--scopes a,b] [--agents x,y|*] | list | remove NAME | "
      "rotate-token NAME");
  users->add_option("args", uopts.args, "subcommand and user name")->required();
  users->add_option("--scopes", uopts.scopes,
                    "add: comma-separated scopes (default operator.read,operator.write)");
  users->add_option("--agents", uopts.agents, "add: comma-separated agent ids, or * (default *)");
  add_client_opts(users);

  // dashboard
  int dashboard_ttl_s = 600;
  auto* dashboard = app.add_subcommand(
      "dashboard", "print a one-time link that signs a browser in to the Control UI");
  dashboard->add_option("--ttl", dashboard_ttl_s, "seconds the link stays valid (30-86400)")
      ->check(CLI::Range(30, 86400))
      ->capture_default_str();
  add_client_opts(dashboard);

  // cron
  CronCommand cron = add_cron_command(app, t, json_out, add_client_opts);

  // onboard
  OnboardOptions oopts;
  auto* onboard = app.add_subcommand(
      "onboard",
      "first-run set-up: a model provider, its API key, the default model, optionally a "
      "Telegram bot; written through config compare-and-swap");
  onboard->add_option("--provider", oopts.provider,
                      "openai | anthropic | ollama | openai-compatible");
  onboard->add_option("--name", oopts.name,
                      "provider name under models.providers (default: the provider; "
                      "openai-compatible: custom)");
  onboard->add_option("--base-url", oopts.base_url,
                      "server base URL (needed for openai-compatible, e.g. http://host:8000/v1)");
  onboard->add_option("--api-key-env", oopts.api_key_env,
                      "store api_key as ${NAME}: the key stays in the environment");
  onboard->add_flag("--api-key-stdin", oopts.api_key_stdin,
                    "read the key from the first line of stdin and store it in the config (0600)");
  onboard->add_option("--model", oopts.model, "default model id at that provider");
  onboard->add_option("--telegram-token", oopts.telegram_token,
                      "connect a Telegram bot with this token (stored in the config)");
  onboard->add_option("--telegram-token-env", oopts.telegram_token_env,
                      "connect a Telegram bot; token: ${NAME}");
  onboard->add_option("--allow-from", oopts.allow_from,
                      "Telegram user ids allowed to talk to the bot, comma-separated");
  onboard->add_flag("--yes,-y", oopts.yes, "ask nothing: flags and defaults only (scripts)");
  onboard->add_flag("--no-probe", oopts.no_probe, "do not check the provider's model list");
  onboard->add_option("--probe-timeout", oopts.probe_timeout_ms, "milliseconds for that check")
      ->capture_default_str();
  onboard->add_option("--url", t.url, "gateway URL (default: the running gateway)");
  onboard->add_option("--token", t.token, "gateway token");
  onboard->add_option("--state-dir", t.state_dir,
                      "state directory (default: $SIMPLECLAW_HOME or ~/.simpleclaw)");
  onboard->add_option("--config", t.config_path, "config file (default: <state>/config.yaml)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }

  if (g_install->parsed()) {
    if (svc.state_dir.empty()) svc.state_dir = gopts.state_dir;
    if (svc.config_path.empty()) svc.config_path = gopts.config_path;
    return gateway_install_command(svc);
  }
  if (g_uninstall->parsed()) return gateway_uninstall_command(svc);
  if (backup->parsed()) return backup_command(backup_state, backup_file);
  if (restore->parsed()) return restore_command(backup_state, backup_file);
  if (store_migrate->parsed()) return store_migrate_command(store_state, store_to, store_url);
  if (cluster_status->parsed())
    return cluster_status_command(cluster_state, cluster_config, cluster_json);
  if (g_restart->parsed())
    return gateway_restart_command(gopts.state_dir, restart_timeout_s, restart_json);
  if (doctor->parsed()) return doctor_command(dopts);
  if (onboard->parsed()) return onboard_command(oopts, t);
  if (g->parsed()) {
    if (port >= 0) gopts.port = port;
    app_tree.reset();  // every option is in gopts now; `app` and `g` are gone
    return gateway::run_gateway(gopts);
  }
  if (call->parsed()) {
    if (methods_markdown) {
      printf("%s", gateway::methods_markdown().c_str());
      return 0;
    }
    if (method.empty()) {
      fprintf(stderr, "error: call needs a method name (see simpleclaw call --help)\n");
      return 2;
    }
    return do_call(t, method, params_text, json_out);
  }
  if (health->parsed()) return do_call(t, "health", "", json_out);
  if (status->parsed()) return do_call(t, "status", "", json_out);
  if (chat->parsed()) return chat_command(t, chat_session, reply_timeout_ms);
  if (cfg->parsed()) return config_command(0, config_args, t, json_out);
  if (users->parsed()) return users_command(uopts, t, json_out);
  if (dashboard->parsed()) return dashboard_command(t, dashboard_ttl_s, json_out);
  if (cron.app->parsed()) return cron.run();
  if (node->parsed()) return node_command(t);
  if (discover->parsed()) return discover_command(discover_timeout_ms, json_out);
  return 2;
}

}  // namespace simpleclaw::cli
