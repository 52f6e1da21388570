#include "gateway/server/http_routes.h"

namespace simpleclaw::gateway {

std::optional<HttpAnswer> route_probe(const HttpRequest& req, bool ready, bool degraded,
                                      const std::function<std::string()>& metrics) {
  std::string_view target = req.target;
  std::string_view path = target.substr(0, target.find('?'));
  if (req.method != "GET" && req.method != "HEAD")
    return HttpAnswer{405, "application/json", R"({"ok":false,"error":"method not allowed"})",
                      "GET, HEAD"};
  if (path == "/health" || path == "/healthz")
    return HttpAnswer{200, "application/json",
                      degraded ? R"({"ok":true,"status":"live","degraded":"config"})"
                               : R"({"ok":true,"status":"live"})",
                      ""};
  if (path == "/ready" || path == "/readyz") {
    if (ready) return HttpAnswer{200, "application/json", R"({"ok":true,"status":"ready"})", ""};
    return HttpAnswer{503, "application/json", R"({"ok":false,"status":"not ready"})", ""};
  }
  if (path == "/metrics")
    return HttpAnswer{200, "text/plain; version=0.0.4; charset=utf-8", metrics(), ""};
  return std::nullopt;
}

}  // namespace simpleclaw::gateway
