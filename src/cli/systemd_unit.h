// The systemd unit `simpleclaw gateway install` writes: pure text rendering from options,
// so its content is unit-testable without systemd. The unit runs the gateway as
// Type=notify (the gateway sends READY=1 once it listens, WATCHDOG=1 from its event
// loop, STOPPING=1 on SIGTERM; see gateway/service_notify.h), restarts it on failure and
// sandboxes it (read-only system, only the state dir and the agent workspaces writable).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace simpleclaw::cli {

inline constexpr std::string_view kUnitName = "simpleclaw.service";
// Socket activation: systemd holds the listening socket, so connections made while the
// service (re)starts wait in its backlog instead of being refused.
inline constexpr std::string_view kSocketUnitName = "simpleclaw.socket";
// First line of every unit we write: uninstall removes only files that carry it.
inline constexpr std::string_view kUnitMarker =
    "# Written by `simpleclaw gateway install`; remove with `simpleclaw gateway uninstall`.";

struct UnitOptions {
  bool system = false;                // /etc/systemd/system (with User=) vs. the user manager
  std::string exec_path;              // absolute path of the simpleclaw binary
  std::string state_dir;              // absolute; --state-dir and ReadWritePaths
  std::string config_path;            // absolute; --config
  std::string user;                   // User= (system units only; empty = root)
  std::vector<std::string> rw_paths;  // more writable paths (workspaces, --rw-path)
  int watchdog_sec = 30;              // WatchdogSec; the gateway pings at half of it
  // ListenStream= addresses ("127.0.0.1:18789"); empty = no socket unit (the gateway
  // binds itself, e.g. bind: tailnet, whose address is known only at start).
  std::vector<std::string> listen;
};

// The unit file text. Paths are quoted/escaped for systemd ("%" -> "%%", spaces quoted).
std::string render_unit(const UnitOptions& o);
// The .socket unit for o.listen (the service then Requires= it).
std::string render_socket_unit(const UnitOptions& o);
// gateway.bind + gateway.port as ListenStream= addresses (IPv4: a socket unit fails as a
// whole when one address cannot be bound, e.g. ::1 on a host without IPv6); empty for
// bind: tailnet.
std::vector<std::string> listen_addresses(const std::string& bind, int port);

// One word of a systemd command line or path list, quoted when it needs to be:
// a"b c -> "a\"b c"; "%" is doubled (specifier), "$" doubled (variable expansion).
std::string systemd_quote(std::string_view word);

}  // namespace simpleclaw::cli
