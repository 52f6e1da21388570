// HttpRequest: an outbound HTTP request as data (method, URL, headers, body). A provider
// wire format builds one (simpleclaw/provider.h); the gateway's HTTP client sends it.
// Part of the SDK: standard library only. A plain value.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace simpleclaw::sdk {

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // http://host[:port]/path?query or https://...
  std::vector<std::pair<std::string, std::string>> headers;  // Host/Content-Length are added
  std::string body;
};

}  // namespace simpleclaw::sdk
