// URL, host:port and proxy parsing (see url.h).
#include "net/url.h"

#include <openssl/evp.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>

namespace simpleclaw::net {

namespace asio = boost::asio;

bool parse_ip(std::string_view host, boost::asio::ip::address& out) {
  boost::system::error_code ec;
  out = boost::asio::ip::make_address(std::string(host), ec);
  return !ec;
}

namespace {

char to_lower_char(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = to_lower_char(c);
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool has_space_or_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7f;
  });
}

bool is_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "host[:port]" or "[v6][:port]" -> lowercased host (no brackets) and a port in 1..65535
// (`default_port` when absent or empty). Returns "" or the reason it is invalid.
std::string parse_host_port(std::string_view hp, std::string_view default_port, std::string& host,
                            std::string& port) {
  if (hp.empty()) return "no host";
  std::string_view port_part;
  bool has_port = false;
  if (hp.front() == '[') {
    auto close = hp.find(']');
    if (close == std::string_view::npos) return "missing ']' after an IPv6 address";
    std::string_view h = hp.substr(1, close - 1);
    asio::ip::address a;
    if (!parse_ip(h, a) || !a.is_v6()) return "'[" + std::string(h) + "]' is not an IPv6 address";
    host = to_lower(h);
    std::string_view rest = hp.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return "unexpected characters after ']'";
      port_part = rest.substr(1);
      has_port = true;
    }
  } else {
    auto colon = hp.find(':');
    if (colon != std::string_view::npos && hp.find(':', colon + 1) != std::string_view::npos)
      return "an IPv6 address must be written in brackets, e.g. [::1]";
    std::string_view h = hp.substr(0, colon);
    if (h.empty()) return "no host";
    for (char c : h) {
      bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                c == '-' || c == '.' || c == '_';
      if (!ok) return "invalid character '" + std::string(1, c) + "' in host";
    }
    host = to_lower(h);
    if (colon != std::string_view::npos) {
      port_part = hp.substr(colon + 1);
      has_port = true;
    }
  }
  if (!has_port || port_part.empty()) {
    port = std::string(default_port);
    return "";
  }
  if (!is_digits(port_part)) return "invalid port '" + std::string(port_part) + "'";
  unsigned long n = port_part.size() > 5 ? 0 : std::stoul(std::string(port_part));
  if (n == 0 || n > 65535) return "port " + std::string(port_part) + " out of range (1-65535)";
  port = std::to_string(n);
  return "";
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = to_lower_char(c);
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
  return out;
}

// no_proxy: comma list; "*" = everything; an entry matches the host itself or any
// subdomain (leading '.' optional); IP literals match exactly; ":port" suffixes ignored.
bool no_proxy_matches(std::string_view list, std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  asio::ip::address host_ip;
  bool host_is_ip = parse_ip(host, host_ip);
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string entry = to_lower(trim(list.substr(0, comma)));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (entry.empty()) continue;
    if (entry == "*") return true;
    if (entry.front() == '[') {
      auto close = entry.find(']');
      entry = entry.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
      entry.resize(entry.find(':'));
    }
    asio::ip::address entry_ip;
    if (parse_ip(entry, entry_ip) || host_is_ip) {
      if (host_is_ip && parse_ip(entry, entry_ip) && entry_ip == host_ip) return true;
      continue;
    }
    while (!entry.empty() && entry.front() == '.') entry.erase(0, 1);
    if (!entry.empty() && entry.back() == '.') entry.pop_back();
    if (entry.empty()) continue;
    if (host == entry) return true;
    if (host.size() > entry.size() && ends_with(host, entry) &&
        host[host.size() - entry.size() - 1] == '.')
      return true;
  }
  return false;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (to_lower_char(a[i]) != to_lower_char(b[i])) return false;
  return true;
}

bool is_loopback_host(std::string_view host) {
  if (!host.empty() && host.back() == '.') host.remove_suffix(1);
  if (host == "localhost" || ends_with(host, ".localhost")) return true;
  asio::ip::address a;
  if (!parse_ip(host, a)) return false;
  if (a.is_v4()) return (a.to_v4().to_uint() >> 24) == 127;
  auto v6 = a.to_v6();
  if (v6.is_v4_mapped())
    return (asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_uint() >> 24) == 127;
  return v6.is_loopback();
}

// "host:port" for messages and Host/CONNECT lines (IPv6 in brackets).
std::string join_host_port(const std::string& host, const std::string& port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + port;
}

ProxySetting parse_proxy(std::string_view s) {
  ProxySetting p;
  s = trim(s);
  if (has_space_or_control(s)) {
    p.error = "the proxy URL contains a space or control character";
    return p;
  }
  auto sep = s.find("://");
  if (sep != std::string_view::npos) {
    std::string scheme = to_lower(s.substr(0, sep));
    if (scheme != "http") {
      p.error = "unsupported proxy scheme '" + scheme + "' (only http:// proxies)";
      return p;
    }
    s = s.substr(sep + 3);
  }
  // Credentials end at the last '@' (a password may hold an unencoded '/'), so nothing of
  // them reaches the host/port parser or its error messages.
  auto at = s.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = s.substr(0, at);
    s = s.substr(at + 1);
    auto colon = userinfo.find(':');
    std::string user = percent_decode(userinfo.substr(0, colon));
    std::string pass =
        colon == std::string_view::npos ? "" : percent_decode(userinfo.substr(colon + 1));
    p.authorization = "Basic " + base64(user + ":" + pass);
  }
  s = s.substr(0, s.find_first_of("/?#"));
  if (auto err = parse_host_port(s, "1080", p.host, p.port); !err.empty())
    p.error = "invalid proxy: " + err;
  return p;
}

Url parse_url(std::string_view s) {
  Url u;
  auto fail = [&](const std::string& why) {
    Url bad;
    bad.error = "invalid URL: " + why;
    return bad;
  };
  if (s.empty()) return fail("empty");
  if (has_space_or_control(s)) return fail("it contains a space or a control character");
  auto sep = s.find("://");
  if (sep == std::string_view::npos)
    return fail("expected http://host[:port]/path or https://host[:port]/path");
  std::string scheme = to_lower(s.substr(0, sep));
  if (scheme == "https")
    u.https = true;
  else if (scheme != "http")
    return fail("unsupported scheme '" + scheme.substr(0, 16) + "' (only http and https)");
  std::string_view rest = s.substr(sep + 3);
  auto end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, end);
  std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  if (authority.find('@') != std::string_view::npos)
    return fail("credentials in the URL (user@host) are not supported");
  if (auto err = parse_host_port(authority, u.https ? "443" : "80", u.host, u.port); !err.empty())
    return fail(err);
  tail = tail.substr(0, tail.find('#'));  // a fragment is never sent
  if (tail.empty())
    u.target = "/";
  else if (tail.front() == '?')
    u.target = "/" + std::string(tail);
  else
    u.target = std::string(tail);
  u.ok = true;
  return u;
}

std::string proxy_for(const Url& url, const std::function<const char*(const char*)>& getenv_fn) {
  if (!url.ok || !getenv_fn || is_loopback_host(url.host)) return "";
  // Lowercase first (as curl); an empty value counts as unset.
  auto env = [&](const char* lower, const char* upper) -> std::string {
    for (const char* name : {lower, upper}) {
      const char* v = getenv_fn(name);
      if (v != nullptr && !trim(v).empty()) return std::string(trim(v));
    }
    return "";
  };
  std::string proxy =
      url.https ? env("https_proxy", "HTTPS_PROXY") : env("http_proxy", "HTTP_PROXY");
  if (proxy.empty()) return "";
  if (no_proxy_matches(env("no_proxy", "NO_PROXY"), url.host)) return "";
  return proxy;
}

}  // namespace simpleclaw::net
