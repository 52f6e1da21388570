// TLS material for wss:// and https://: the configured PEM pair, or a self-signed
// ECDSA P-256 certificate generated once into <state>/tls/ (key 0600). Blocking file and
// crypto work: start-up only.
#pragma once
#include <string>

#include "config/config.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

struct TlsMaterial {
  std::string cert_path;
  std::string key_path;
  std::string fingerprint;  // SHA-256 of the DER certificate, lowercase hex
  bool generated = false;
};

Result<TlsMaterial> ensure_tls_material(const config::TlsConfig& cfg, const std::string& state_dir);
// SHA-256 fingerprint of the first certificate in a PEM file.
Result<std::string> cert_fingerprint(const std::string& cert_path);

}  // namespace simpleclaw::gateway
