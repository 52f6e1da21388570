#include "net/forwarded.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "net/url.h"

namespace simpleclaw::net {
namespace {

std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// ":4711", or an RFC 7239 obfuscated port (":_abc"): the part after a node's address.
bool is_node_port(std::string_view s) {
  if (s.size() < 2 || s.size() > 17 || s.front() != ':') return false;
  return std::all_of(s.begin() + 1, s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '.' || c == '-';
  });
}

// One hop as proxies write it: "203.0.113.7", "203.0.113.7:80", "2001:db8::1",
// "[2001:db8::1]", "[2001:db8::1]:80". Anything else ("unknown", "_hidden") is no address.
std::optional<IpAddress> node_address(std::string_view node) {
  node = trim_ows(node);
  if (!node.empty() && node.front() == '[') {
    const auto close = node.find(']');
    if (close == node.npos) return std::nullopt;
    const std::string_view rest = node.substr(close + 1);
    if (!rest.empty() && !is_node_port(rest)) return std::nullopt;
    return parse_ip_address(node.substr(1, close - 1));
  }
  if (auto a = parse_ip_address(node)) return a;
  // IPv4 with a port; a bare IPv6 address has more than one colon and parsed above.
  const auto colon = node.find(':');
  if (colon == node.npos || !is_node_port(node.substr(colon))) return std::nullopt;
  auto a = parse_ip_address(node.substr(0, colon));
  return a && a->is_v4() ? a : std::nullopt;
}

// Splits at `sep` outside RFC 7230 quoted strings (where a backslash escapes).
std::vector<std::string_view> split_unquoted(std::string_view v, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  std::size_t start = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    const char c = v[i];
    if (quoted) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        quoted = false;
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      out.push_back(v.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(v.substr(std::min(start, v.size())));
  return out;
}

// A token or a quoted string's content (escapes removed); nullopt when a quote is open.
std::optional<std::string> unquote(std::string_view v) {
  if (v.empty() || v.front() != '"') return std::string(v);
  std::string out;
  for (std::size_t i = 1; i < v.size(); ++i) {
    if (v[i] == '\\' && i + 1 < v.size()) {
      out += v[++i];
    } else if (v[i] == '"') {
      return i + 1 == v.size() ? std::optional<std::string>(std::move(out)) : std::nullopt;
    } else {
      out += v[i];
    }
  }
  return std::nullopt;
}

// The for= node of one Forwarded element ("for=a;proto=https;by=b"); nullopt when the
// element has none, has two, or does not parse.
std::optional<IpAddress> forwarded_element_for(std::string_view element) {
  std::optional<std::string> node;
  for (std::string_view pair : split_unquoted(element, ';')) {
    pair = trim_ows(pair);
    const auto eq = pair.find('=');
    if (eq == pair.npos || !iequals(trim_ows(pair.substr(0, eq)), "for")) continue;
    if (node) return std::nullopt;  // "MUST NOT occur more than once" (RFC 7239 §4)
    node = unquote(trim_ows(pair.substr(eq + 1)));
    if (!node) return std::nullopt;
  }
  return node ? node_address(*node) : std::nullopt;
}

}  // namespace

std::vector<std::optional<IpAddress>> x_forwarded_for_hops(std::string_view value) {
  std::vector<std::optional<IpAddress>> hops;
  for (std::string_view element : split_unquoted(value, ',')) {
    element = trim_ows(element);
    if (!element.empty()) hops.push_back(node_address(element));  // empty elements: ignored
  }
  return hops;
}

std::vector<std::optional<IpAddress>> forwarded_hops(std::string_view value) {
  std::vector<std::optional<IpAddress>> hops;
  for (std::string_view element : split_unquoted(value, ',')) {
    element = trim_ows(element);
    if (!element.empty()) hops.push_back(forwarded_element_for(element));
  }
  return hops;
}

std::optional<IpAddress> forwarded_client(const IpAddress& socket, std::string_view x_forwarded_for,
                                          std::string_view forwarded,
                                          const std::vector<CidrBlock>& trusted) {
  auto is_trusted = [&](const IpAddress& a) {
    return std::any_of(trusted.begin(), trusted.end(),
                       [&](const CidrBlock& b) { return b.contains(a); });
  };
  if (!is_trusted(socket)) return std::nullopt;
  std::vector<std::optional<IpAddress>> hops = x_forwarded_for_hops(x_forwarded_for);
  if (hops.empty()) hops = forwarded_hops(forwarded);
  if (hops.empty()) return std::nullopt;
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!*it) return std::nullopt;  // written by a trusted proxy, yet no address: unknown
    if (!is_trusted(**it)) return *it;
  }
  return hops.front();
}

}  // namespace simpleclaw::net
