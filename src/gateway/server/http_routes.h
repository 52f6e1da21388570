// The gateway port's probe routes (SPEC §2): /health, /healthz, /ready, /readyz and
// /metrics, and 405 for methods other than GET and HEAD. Everything else is the Control
// UI's (control_ui.h). No Beast here: a route returns status, type and body, and the HTTP
// session writes it. Loop thread only.
#pragma once
#include <functional>
#include <optional>
#include <string>

#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

// `ready`: /ready answers 200 (else 503); `degraded`: /health adds "degraded":"config"
// (running on the last-known-good config; still live); `metrics`: renders /metrics on
// demand. nullopt: not a probe (the Control UI answers it).
std::optional<HttpAnswer> route_probe(const HttpRequest& req, bool ready, bool degraded,
                                      const std::function<std::string()>& metrics);

}  // namespace simpleclaw::gateway
