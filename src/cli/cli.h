// The `simpleclaw` command line (SPEC §10): gateway, call, health, status,
// config get|set|patch|validate. Exit codes: 0 ok, 1 error, 2 usage.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "cli/ws_client.h"
#include "simpleclaw/result.h"

namespace CLI {
class App;
}

namespace simpleclaw::cli {

int run(int argc, char** argv);

// Where a client finds the gateway: flags, then the running gateway's
// <state>/gateway.json, then the config's port. Token: flag, SIMPLECLAW_GATEWAY_TOKEN,
// config, <state>/gateway.token.
struct Target {
  std::string state_dir, config_path, url, token, password;
  bool msgpack = false;
  int timeout_ms = 10000;
};
ClientOptions client_options(const Target& t);
// The running gateway's runtime file, <state_dir>/gateway.json ({pid, port, url, bind,
// tls, tlsSha256?, startedAt}); an empty object when there is none or it is unreadable.
Json read_runtime_file(const std::string& state_dir);
void resolve_target(Target& t);

// `simpleclaw chat`: interactive chat on a session (exit code of the last reply).
int chat_command(Target& t, const std::string& session, int reply_timeout_ms);

// `simpleclaw node`: this machine as a node host (system.run, system.info); runs until killed.
int node_command(Target& t);
// `simpleclaw discover`: browses mDNS for gateways (table or --json); 1 without avahi-daemon.
int discover_command(int timeout_ms, bool json_out);

// `simpleclaw gateway install|uninstall` (service_cmd.cpp): the systemd unit.
struct ServiceOptions {
  bool user = false, system = false;  // neither: --system as root, else --user
  bool force = false;                 // replace a different unit / remove a foreign one
  bool no_start = false;              // write only; print the systemctl commands
  std::string unit_dir;               // "" = $SIMPLECLAW_UNIT_DIR or the systemd default
  std::string state_dir, config_path;
  std::vector<std::string> rw_paths;  // more ReadWritePaths (absolute)
  int watchdog_sec = 30;
};
int gateway_install_command(const ServiceOptions& o);
int gateway_uninstall_command(const ServiceOptions& o);

// `simpleclaw gateway restart` (restart_cmd.cpp): the running gateway of a state dir
// restarts in place (SIGUSR2; gateway/restart.h) and this waits until it is ready again.
// Exit 0 restarted, 1 no gateway running or not back within `timeout_s`.
int gateway_restart_command(const std::string& state_dir, int timeout_s, bool json_out);

// `simpleclaw backup FILE` / `restore FILE` (backup_cmd.cpp): an online snapshot of the
// state directory in one file; a restore into a state directory no gateway runs on.
int backup_command(const std::string& state_dir, const std::string& file);
int restore_command(const std::string& state_dir, const std::string& file);
// `simpleclaw store migrate --to postgres [--url URL]` (store_cmd.cpp).
int store_migrate_command(const std::string& state_dir, const std::string& to, std::string url);
// `simpleclaw cluster status`: instances, leases, lag and runs, from the cluster's database.
int cluster_status_command(const std::string& state_dir, const std::string& config_path,
                           bool json_out);

// `simpleclaw doctor` (doctor_cmd.cpp): checks with OK/WARN/FAIL and the fix; exit 0
// when nothing failed, 1 when a check failed.
struct DoctorOptions {
  std::string state_dir, config_path;
  int port = -1;                // -1 = SIMPLECLAW_PORT, then gateway.port
  int probe_timeout_ms = 3000;  // per provider reachability probe
  bool json = false;
  bool fix = false;  // --fix: migrate an older config version (diff shown, then written)
  bool yes = false;  // --yes: write without asking
};
int doctor_command(const DoctorOptions& o);

int config_command(int argc_rest, const std::vector<std::string>& args, Target& t, bool json_out);
// A JSON merge patch of config.yaml through the running gateway (config.get + config.patch
// with baseHash, so it hot-applies), else the same checked atomic write on the file.
int apply_config_patch(Target& t, const Json& patch, bool json_out);

// `simpleclaw users add|list|remove|rotate-token` (shared mode, docs/shared-mode.md).
struct UsersOptions {
  std::vector<std::string> args;  // subcommand [name]
  std::string scopes;             // add: "operator.read,operator.write"
  std::string agents;             // add: "main,research" or "*"
};
int users_command(const UsersOptions& o, Target& t, bool json_out);

// `simpleclaw dashboard [--ttl S]`: prints a one-time sign-in link for the Control UI.
int dashboard_command(Target& t, int ttl_s, bool json_out);

// `simpleclaw onboard` (onboard_cmd.cpp): first-run set-up of a provider, its key, the
// default model and optionally a Telegram bot; interactive unless --yes.
struct OnboardOptions {
  std::string provider;            // openai | anthropic | ollama | openai-compatible
  std::string name;                // key under models.providers (default: from the provider)
  std::string base_url;            // the server's base URL
  std::string api_key_env;         // api_key: ${NAME}
  bool api_key_stdin = false;      // the key is the first line of stdin (stored in the config)
  std::string model;               // default model id at that provider
  std::string telegram_token;      // a Telegram bot (stored in the config)
  std::string telegram_token_env;  // ... or token: ${NAME}
  std::string allow_from;          // Telegram user ids, comma-separated
  bool yes = false;                // no questions: flags and defaults only
  bool no_probe = false;           // skip the provider's model-list check
  int probe_timeout_ms = 5000;
};
int onboard_command(const OnboardOptions& o, Target& t);

// `simpleclaw cron list|add|edit|rm|run|runs` (cron_cmd.cpp): scheduled jobs through the
// running gateway. Registers the subcommand tree (each leaf gets add_client_opts); after
// parsing, `run` executes whichever leaf was given.
struct CronCommand {
  CLI::App* app = nullptr;
  std::function<int()> run;
};
CronCommand add_cron_command(CLI::App& app, Target& t, bool& json_out,
                             const std::function<void(CLI::App*)>& add_client_opts);

}  // namespace simpleclaw::cli
