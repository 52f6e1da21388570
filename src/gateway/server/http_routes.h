// Plain HTTP routes on the gateway port (SPEC §2): /health, /healthz, /ready, /readyz,
// /metrics and the webchat page (web/index.html, embedded). No Beast here: a route
// returns status, type and body, and the HTTP session writes it. Loop thread only.
#pragma once
#include <functional>
#include <string>
#include <string_view>

#include "gateway/state/transport.h"

namespace simpleclaw::gateway {

// `ready`: /ready answers 200 (else 503); `metrics`: renders /metrics on demand.
HttpAnswer route_http(std::string_view method, std::string_view target, bool ready,
                      const std::function<std::string()>& metrics);

}  // namespace simpleclaw::gateway
