// Fuzzes the reverse-proxy headers (net/forwarded.h): X-Forwarded-For and Forwarded come
// from any client that reaches a trusted proxy, so their parsers see attacker bytes.
//
// Input: the first line is X-Forwarded-For, the rest is Forwarded. Besides never crashing,
// leaking or hanging, it checks: every hop either parser reports prints as an address that
// parses back to itself, and the client picked is one of the hops or nothing (the socket's
// address is kept), never an address from nowhere.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "net/forwarded.h"

using simpleclaw::CidrBlock;
using simpleclaw::IpAddress;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void check_hops(const std::vector<std::optional<IpAddress>>& hops) {
  for (const auto& h : hops)
    if (h) check(simpleclaw::parse_ip_address(h->to_string()) == h);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const auto nl = in.find('\n');
  const std::string_view xff = in.substr(0, nl);
  const std::string_view fwd = nl == in.npos ? std::string_view() : in.substr(nl + 1);
  auto xff_hops = simpleclaw::net::x_forwarded_for_hops(xff);
  auto fwd_hops = simpleclaw::net::forwarded_hops(fwd);
  check_hops(xff_hops);
  check_hops(fwd_hops);

  std::string why;
  static const std::vector<CidrBlock> trusted = {*simpleclaw::parse_cidr("127.0.0.0/8", &why),
                                                 *simpleclaw::parse_cidr("fd00::/8", &why)};
  const IpAddress socket = *simpleclaw::parse_ip_address("127.0.0.1");
  auto client = simpleclaw::net::forwarded_client(socket, xff, fwd, trusted);
  if (client) {
    const auto& hops = xff_hops.empty() ? fwd_hops : xff_hops;
    bool found = false;
    for (const auto& h : hops) found |= h == client;
    check(found);
  }
  return 0;
}
