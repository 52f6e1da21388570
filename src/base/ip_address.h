// IP addresses and CIDR blocks as text comes with them (gateway.trusted_proxies, the
// addresses a reverse proxy forwards): parsing, membership, loopback. An IPv4 address is
// held as its IPv4-mapped IPv6 form, so "127.0.0.1", "::ffff:127.0.0.1" and the block
// 127.0.0.0/8 compare alike whichever way a socket or a header spelled them.
//
// Plain values and pure functions, no sockets (the config layer checks CIDRs with them);
// any thread.
#pragma once
#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace simpleclaw {

struct IpAddress {
  std::array<unsigned char, 16> bytes{};  // network order; IPv4 as ::ffff:a.b.c.d
  bool is_v4() const;                     // an IPv4 (or IPv4-mapped) address
  bool is_loopback() const;               // 127.0.0.0/8 or ::1
  std::string to_string() const;          // dotted quad for IPv4, RFC 5952 text for IPv6
  bool operator==(const IpAddress&) const = default;
};

// A bare literal: "203.0.113.7", "2001:db8::1", "::ffff:10.0.0.1". No brackets, port or
// zone ("fe80::1%eth0"): nullopt for those and for anything else.
std::optional<IpAddress> parse_ip_address(std::string_view text);

// An address block: `base` with its first `bits` bits significant (of the 128-bit form,
// so an IPv4 /8 is 96 + 8).
struct CidrBlock {
  IpAddress base;  // host bits cleared
  int bits = 128;
  bool contains(const IpAddress& a) const;
  std::string to_string() const;  // "10.0.0.0/8", "2001:db8::/32"
};

// "10.0.0.0/8", "2001:db8::/32", or a bare address (a /32 or /128). Host bits below the
// prefix are ignored ("192.168.1.10/24" is 192.168.1.0/24), as nginx's set_real_ip_from
// reads them. On failure: nullopt and *error says what is wrong, for the config check.
std::optional<CidrBlock> parse_cidr(std::string_view text, std::string* error);

}  // namespace simpleclaw
