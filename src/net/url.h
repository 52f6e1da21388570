// URLs, host:port pairs and proxy settings for outbound connections (HTTP, WebSocket):
// the parsing that decides where a connection goes, kept apart from the connection code
// so it can be tested and fuzzed without sockets. Pure functions; any thread.
#pragma once
#include <boost/asio/ip/address.hpp>
#include <functional>
#include <string>
#include <string_view>

namespace simpleclaw::net {

// Parsed URL. Result of parse_url; ok=false with `error` when it is not http(s), has
// credentials (user@), a bad host or port, or a space/control character. The host is lowercased; a
// fragment is dropped. `error` never repeats the whole URL (it may hold keys).
struct Url {
  bool ok = false;
  std::string error;
  bool https = false;
  std::string host;          // without brackets for IPv6
  std::string port;          // "80"/"443" when absent
  std::string target = "/";  // path + query
};
Url parse_url(std::string_view url);

// The proxy URL to use for `url` given the environment ("" = connect directly).
// The env lookup is injectable (tests). https_proxy/HTTPS_PROXY for https,
// http_proxy/HTTP_PROXY for http; the lowercase name wins and an empty value counts as
// unset. no_proxy/NO_PROXY: comma list; "*" = all; a name matches itself and its
// subdomains (leading '.' optional); IP literals match exactly; ":port" is ignored.
// Loopback hosts (localhost, *.localhost, 127.0.0.0/8, ::1) never use a proxy.
std::string proxy_for(const Url& url, const std::function<const char*(const char*)>& getenv_fn);

// A proxy setting: "http://[user:pass@]host[:port][/]" or "host:port". Port 1080 when
// absent (as curl). Credentials are percent-decoded and kept only as the header value.
struct ProxySetting {
  std::string error;  // "" = ok; never contains the credentials
  std::string host, port;
  std::string authorization;  // "Basic ..." or ""
};
ProxySetting parse_proxy(std::string_view setting);

// "host:port" for messages and Host/CONNECT lines (IPv6 in brackets).
std::string join_host_port(const std::string& host, const std::string& port);
// ASCII case-insensitive equality (header names, methods).
bool iequals(std::string_view a, std::string_view b);
// True for localhost, *.localhost, 127.0.0.0/8, ::1 and v4-mapped loopback.
bool is_loopback_host(std::string_view host);

// An IP literal (v4 or v6, no brackets) into `out`; false when `host` is a name.
bool parse_ip(std::string_view host, boost::asio::ip::address& out);

}  // namespace simpleclaw::net
