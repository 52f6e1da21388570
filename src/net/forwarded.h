// The client behind reverse proxies: who sent a request that reached us through nginx,
// Caddy, a load balancer, ... as the proxies tell it in X-Forwarded-For (the de-facto
// header: "client, proxy1, proxy2") or RFC 7239 Forwarded ("for=client, for=proxy1").
// Each proxy appends the address it got the request from, so the hops nearest us (the
// right end) were written by proxies we trust and anything further left may be a
// client's invention. The client is therefore the right-most hop that is not itself a
// trusted proxy, and the headers count only when the socket's own peer is trusted.
//
// X-Forwarded-For is read when present, Forwarded otherwise: a proxy that writes only
// Forwarded must drop a client's X-Forwarded-For (docs/architecture.md, "Behind a reverse
// proxy").
//
// Pure functions over header text (untrusted bytes: fuzzed); any thread.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "base/ip_address.h"

namespace simpleclaw::net {

// The hops a header lists, left (the first proxy's client) to right (the last proxy's
// peer); a hop that is not an address ("unknown", an RFC 7239 obfuscated "_id", garbage,
// an element without for=) is nullopt. Ports and IPv6 brackets are dropped:
//   X-Forwarded-For: 203.0.113.7, [2001:db8::1]:4711, 10.0.0.2:8080
//   Forwarded: for=192.0.2.60;proto=https, For="[2001:db8:cafe::17]:4711", for=unknown
std::vector<std::optional<IpAddress>> x_forwarded_for_hops(std::string_view value);
std::vector<std::optional<IpAddress>> forwarded_hops(std::string_view value);

// The client a trusted proxy forwarded for, or nullopt to keep the socket's address:
// `socket` is not in `trusted`, there is no usable header, or walking from the right the
// first hop that is not trusted cannot be read (the client is unknown). When every hop is
// a trusted proxy, the left-most one is the client. `x_forwarded_for` and `forwarded` hold
// every line of their header joined with ", " ("" = absent).
std::optional<IpAddress> forwarded_client(const IpAddress& socket, std::string_view x_forwarded_for,
                                          std::string_view forwarded,
                                          const std::vector<CidrBlock>& trusted);

}  // namespace simpleclaw::net
