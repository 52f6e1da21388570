#include "base/ip_address.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <iterator>

namespace simpleclaw {
namespace {

// ::ffff:0:0/96, the prefix of an IPv4-mapped address.
constexpr unsigned char kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

bool IpAddress::is_v4() const {
  return std::equal(std::begin(kV4MappedPrefix), std::end(kV4MappedPrefix), bytes.begin());
}

bool IpAddress::is_loopback() const {
  if (is_v4()) return bytes[12] == 127;
  return std::all_of(bytes.begin(), bytes.end() - 1, [](unsigned char b) { return b == 0; }) &&
         bytes[15] == 1;
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const bool ok = is_v4() ? ::inet_ntop(AF_INET, bytes.data() + 12, buf, sizeof buf) != nullptr
                          : ::inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf) != nullptr;
  return ok ? std::string(buf) : std::string();
}

std::optional<IpAddress> parse_ip_address(std::string_view text) {
  // inet_pton wants a C string: an embedded NUL would silently cut the text short.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != text.npos)
    return std::nullopt;
  const std::string s(text);
  IpAddress a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data() + 12) == 1) {
    std::copy(std::begin(kV4MappedPrefix), std::end(kV4MappedPrefix), a.bytes.begin());
    return a;
  }
  if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) return a;
  return std::nullopt;
}

bool CidrBlock::contains(const IpAddress& a) const {
  const int full = bits / 8;
  if (!std::equal(base.bytes.begin(), base.bytes.begin() + full, a.bytes.begin())) return false;
  if (bits % 8 == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - bits % 8));
  return (a.bytes[full] & mask) == base.bytes[full];
}

std::string CidrBlock::to_string() const {
  const int shown = base.is_v4() && bits >= 96 ? bits - 96 : bits;
  return base.to_string() + "/" + std::to_string(shown);
}

std::optional<CidrBlock> parse_cidr(std::string_view text, std::string* error) {
  const auto slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  const std::optional<IpAddress> addr = parse_ip_address(addr_text);
  if (!addr) {
    *error = "'" + std::string(addr_text) + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  const bool v4 = addr->is_v4() && addr_text.find(':') == addr_text.npos;
  const int max_bits = v4 ? 32 : 128;
  int prefix = max_bits;
  if (slash != text.npos) {
    const std::string_view p = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || prefix < 0 ||
        prefix > max_bits) {
      *error = "prefix length '/" + std::string(p) + "' must be a number from 0 to " +
               std::to_string(max_bits);
      return std::nullopt;
    }
  }
  CidrBlock block;
  block.bits = v4 ? 96 + prefix : prefix;
  block.base = *addr;
  for (int i = 0; i < 16; ++i) {
    const int keep = std::clamp(block.bits - i * 8, 0, 8);
    block.base.bytes[i] &= static_cast<unsigned char>(keep == 0 ? 0 : 0xff << (8 - keep));
  }
  return block;
}

}  // namespace simpleclaw
