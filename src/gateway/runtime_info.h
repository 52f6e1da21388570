// RuntimeInfo: where the gateway lives on disk and what it listens on. Fixed after
// start-up (the port is filled in once the listener is bound). Plain value; loop thread.
#pragma once
#include <optional>
#include <string>

namespace simpleclaw::gateway {

inline constexpr int kProtocolVersion = 4;

struct RuntimeInfo {
  std::string state_dir;
  std::string config_path;
  std::string log_file;
  std::string bind_host;  // the address actually bound, e.g. "127.0.0.1"
  int port = 0;           // the port actually bound
  bool tls = false;
  std::string tls_fingerprint;  // SHA-256 of the certificate (hex, colon-free)
  std::string token_source;     // "config" | "env" | "file:<path>" | "generated:<path>"
  // --port / SIMPLECLAW_PORT and --bind: they win over the file, also after a reload.
  std::optional<int> port_override;
  std::optional<std::string> bind_override;

  std::string sessions_db() const { return state_dir + "/sessions.db"; }
  // ws[s]://host:port of the listener (IPv6 hosts in brackets).
  std::string url() const {
    std::string host = bind_host.find(':') != std::string::npos ? "[" + bind_host + "]" : bind_host;
    return std::string(tls ? "wss://" : "ws://") + host + ":" + std::to_string(port);
  }
};

}  // namespace simpleclaw::gateway
