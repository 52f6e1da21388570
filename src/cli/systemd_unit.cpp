#include "cli/systemd_unit.h"

#include <algorithm>

namespace simpleclaw::cli {

std::string systemd_quote(std::string_view word) {
  std::string out;
  bool needs_quotes = word.empty();
  for (char c : word) {
    switch (c) {
      case '%':
        out += "%%";
        break;
      case '$':
        out += "$$";
        break;
      case '\\':
        out += "\\\\";
        needs_quotes = true;
        break;
      case '"':
        out += "\\\"";
        needs_quotes = true;
        break;
      case '\'':
        out += "'";
        needs_quotes = true;
        break;
      case ' ':
      case '\t':
        out += c;
        needs_quotes = true;
        break;
      case '\n':
        out += "\\n";
        needs_quotes = true;
        break;
      default:
        out += c;
    }
  }
  return needs_quotes ? "\"" + out + "\"" : out;
}

std::string render_unit(const UnitOptions& o) {
  std::string u;
  u += std::string(kUnitMarker) + "\n";
  u += "[Unit]\n";
  u += "Description=simpleclaw AI-assistant gateway\n";
  if (o.listen.empty()) {
    u += "After=network-online.target\n";
  } else {
    // systemd passes the socket(s) as LISTEN_FDS (gateway/restart.h).
    u += "After=network-online.target " + std::string(kSocketUnitName) + "\n";
    u += "Requires=" + std::string(kSocketUnitName) + "\n";
  }
  u += "Wants=network-online.target\n\n";
  u += "[Service]\n";
  // notify: systemd counts the service as started only when the gateway says READY=1
  // (listening), so `systemctl start` returns when clients can connect.
  u += "Type=notify\n";
  u += "NotifyAccess=main\n";
  u += "ExecStart=" + systemd_quote(o.exec_path) + " gateway --state-dir " +
       systemd_quote(o.state_dir) + " --config " + systemd_quote(o.config_path) + "\n";
  u += "ExecReload=/bin/kill -HUP $MAINPID\n";  // SIGHUP = config reload
  u += "Restart=on-failure\n";
  u += "RestartSec=5\n";
  // A loop stuck for this long stops pinging and is killed (SIGABRT) and restarted.
  u += "WatchdogSec=" + std::to_string(o.watchdog_sec) + "\n";
  // Above gateway.shutdown_grace_ms (30 s by default, runs in flight finishing) plus the
  // close of the sockets, so systemd does not kill a drain that is on schedule.
  u += "TimeoutStopSec=45\n";
  if (o.system && !o.user.empty()) u += "User=" + o.user + "\n";
  u += "UMask=0077\n";
  u += "\n# Hardening. The gateway writes only its state dir and the agent workspaces;\n"
       "# everything else is read-only. Not set, on purpose: ProtectHome (the state dir and\n"
       "# workspaces usually live in $HOME), RestrictNamespaces and PrivateUsers (the exec\n"
       "# tool's bubblewrap sandbox needs user namespaces), MemoryDenyWriteExecute (breaks\n"
       "# the JIT of tools the exec tool may run). Commands the exec tool runs share this\n"
       "# sandbox: a path they must write goes into ReadWritePaths (`--rw-path`).\n";
  u += "NoNewPrivileges=yes\n";
  u += "ProtectSystem=strict\n";
  std::string rw = systemd_quote(o.state_dir);
  for (const auto& p : o.rw_paths) {
    if (p == o.state_dir || p.empty()) continue;
    // "-": a workspace that does not exist yet must not stop the service from starting.
    rw += " " + systemd_quote("-" + p);
  }
  u += "ReadWritePaths=" + rw + "\n";
  u += "PrivateTmp=yes\n";
  u += "PrivateDevices=yes\n";
  u += "ProtectKernelTunables=yes\n";
  u += "ProtectKernelModules=yes\n";
  u += "ProtectKernelLogs=yes\n";
  u += "ProtectControlGroups=yes\n";
  u += "ProtectClock=yes\n";
  u += "ProtectHostname=yes\n";
  u += "RestrictSUIDSGID=yes\n";
  u += "RestrictRealtime=yes\n";
  u += "LockPersonality=yes\n";
  u += "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK\n";
  u += "SystemCallArchitectures=native\n\n";
  u += "[Install]\n";
  u += std::string("WantedBy=") + (o.system ? "multi-user.target" : "default.target") + "\n";
  return u;
}

std::string render_socket_unit(const UnitOptions& o) {
  std::string u;
  u += std::string(kUnitMarker) + "\n";
  u += "[Unit]\n";
  u += "Description=simpleclaw AI-assistant gateway (listening socket)\n\n";
  u += "[Socket]\n";
  for (const std::string& a : o.listen) u += "ListenStream=" + a + "\n";
  // Connections made while the gateway (re)starts wait here, not refused.
  u += "Backlog=4096\n";
  u += "NoDelay=true\n\n";
  u += "[Install]\n";
  u += "WantedBy=sockets.target\n";
  return u;
}

std::vector<std::string> listen_addresses(const std::string& bind, int port) {
  const std::string p = std::to_string(port);
  if (bind == "loopback" || bind == "localhost" || bind.empty()) return {"127.0.0.1:" + p};
  if (bind == "all") return {"0.0.0.0:" + p};
  if (bind == "tailnet") return {};
  if (bind.find(':') != std::string::npos) return {"[" + bind + "]:" + p};  // IPv6 literal
  return {bind + ":" + p};
}

}  // namespace simpleclaw::cli
