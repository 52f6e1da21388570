#include "gateway/server/http_routes.h"

#include "gateway/gateway.h"

namespace simpleclaw::gateway {

HttpAnswer route_http(Gateway& gw, std::string_view method, std::string_view target) {
  std::string_view path = target.substr(0, target.find('?'));
  if (method != "GET" && method != "HEAD")
    return {405, "application/json", R"({"ok":false,"error":"method not allowed"})", "GET, HEAD"};
  if (path == "/health" || path == "/healthz")
    return {200, "application/json", R"({"ok":true,"status":"live"})", ""};
  if (path == "/ready" || path == "/readyz") {
    if (gw.ready()) return {200, "application/json", R"({"ok":true,"status":"ready"})", ""};
    return {503, "application/json", R"({"ok":false,"status":"not ready"})", ""};
  }
  if (path == "/metrics") return {200, "text/plain; version=0.0.4; charset=utf-8", gw.metrics_text(), ""};
  if (path == "/" || path == "/index.html")
    return {200, "text/html; charset=utf-8",
            "<!doctype html><meta charset=utf-8><title>simpleclaw</title>"
            "<h1>simpleclaw gateway</h1><p>The WebSocket control plane is on this port. "
            "Connect with <code>simpleclaw call health</code> or an OpenClaw client.</p>",
            ""};
  return {404, "application/json", R"({"ok":false,"error":"not found"})", ""};
}

}  // namespace simpleclaw::gateway
