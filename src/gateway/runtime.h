// run_gateway: the `simpleclaw gateway` process. Resolves the state dir and config,
// starts each subsystem in the spec's order (logging each step's duration), serves until
// SIGTERM/SIGINT (graceful drain within gateway.shutdown_grace_ms, then exit 0), restarts
// in place on SIGUSR2 (gateway/restart.h), reloads config on SIGHUP.
// Runs the loop on the calling thread.
#pragma once
#include <optional>
#include <string>
#include <utility>

#include "config/config.h"

namespace simpleclaw::gateway {

struct GatewayOptions {
  std::string state_dir;    // "" = SIMPLECLAW_HOME or ~/.simpleclaw
  std::string config_path;  // "" = SIMPLECLAW_CONFIG or <state>/config.yaml
  std::optional<int> port;  // --port
  std::string bind;         // --bind
  bool verbose = false;
  // An invalid config file stops the start instead of falling back to the last-known-good
  // copy (config.last-good.yaml).
  bool strict_config = false;
};

// Process exit code: 0 after a clean stop, 1 on a start-up error (bad config, port in use).
int run_gateway(const GatewayOptions& opts);

// Shared with the CLI so client and server agree on where things are.
std::string resolve_state_dir(const std::string& flag);
std::string resolve_config_path(const std::string& flag, const std::string& state_dir);

}  // namespace simpleclaw::gateway
