// Tailscale: what `tailscale status --json` says about this machine (the tailnet name,
// its MagicDNS name and Tailscale IPs), for `status` and `gateway.bind: tailnet`.
//
// The JSON is Tailscale's ipnstate.Status: BackendState ("Running", "NeedsLogin",
// "Stopped", ...), Self.DNSName ("host.tail1234.ts.net." with the root dot),
// Self.TailscaleIPs (also at the top level as TailscaleIPs), MagicDNSSuffix and
// CurrentTailnet.{Name, MagicDNSSuffix}. parse_tailscale_status is pure (unit-tested and
// fuzzed); query_tailscale runs the binary with a timeout and an output cap.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::discovery {

struct TailscaleInfo {
  // "running" | "not-running" (BackendState other than Running) | "missing" (no binary on
  // PATH) | "error" (it failed, timed out or printed something unreadable)
  std::string state;
  std::string backend_state;     // as Tailscale reports it
  std::string dns_name;          // MagicDNS name without the trailing dot
  std::vector<std::string> ips;  // Self.TailscaleIPs, IPv4 first (at most 16)
  std::string tailnet;           // CurrentTailnet.Name
  std::string magic_dns_suffix;
  std::string error;  // why state is not running, with the fix

  // The first IPv4 address, "" if none.
  std::string ipv4() const;
  Json to_json() const;  // {state, backendState, dnsName, ips, tailnet, error?}
};

inline constexpr std::size_t kMaxTailscaleJson = 8 * 1024 * 1024;

// Parses the output of `tailscale status --json`. Malformed input is state "error" with a
// message; never throws.
TailscaleInfo parse_tailscale_status(std::string_view json_text);

// Finds `tailscale` on $PATH and runs `tailscale status --json` (scrubbed environment,
// timeout_ms, output capped at kMaxTailscaleJson). Blocks the calling thread: used once at
// start-up, before the event loop runs.
TailscaleInfo query_tailscale(int timeout_ms = 5000);

// For gateway.bind: tailnet: this machine's tailnet IPv4, or an error naming the fix.
Result<std::string> tailnet_bind_address(const TailscaleInfo& t);

// The executable `name` found on $PATH, "" if none.
std::string find_on_path(std::string_view name);

}  // namespace simpleclaw::discovery
