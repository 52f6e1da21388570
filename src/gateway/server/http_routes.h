// Plain HTTP routes on the gateway port (SPEC §2): /health, /healthz, /ready, /readyz,
// /metrics and the webchat page (web/index.html, embedded). No Beast here: a route returns status,
// type and body, and http_session writes it. Loop thread only.
#pragma once
#include <string>
#include <string_view>

namespace simpleclaw::gateway {

class Gateway;

struct HttpAnswer {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::string allow;  // set with 405
};

HttpAnswer route_http(Gateway& gw, std::string_view method, std::string_view target);

}  // namespace simpleclaw::gateway
