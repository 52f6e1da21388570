// The DNS-SD record the gateway advertises (_simpleclaw-gw._tcp) and what
// `simpleclaw discover` makes of the records it finds. Pure functions: no Avahi, no I/O,
// so they are unit-tested and fuzzed on their own.
//
// TXT keys (RFC 6763 §6: "key=value", each string <= 255 bytes, keys case-insensitive):
//   minimal: role=gateway, displayName, port, tls=0|1, tlsSha256 (only when tls=1)
//   full:    minimal + version, protocol, authMode (token|password), lanHost (<host>.local),
//            tailnetDns (MagicDNS name, when Tailscale reported one)
// No field can hold a secret: TxtInput has no place for a token or password, and the auth
// mode is only the word "token" or "password".
#pragma once
#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::discovery {

inline constexpr const char* kServiceType = "_simpleclaw-gw._tcp";
inline constexpr std::size_t kMaxTxtString = 255;    // one TXT string (length byte limit)
inline constexpr std::size_t kMaxInstanceName = 63;  // DNS-SD instance name, bytes

enum class MdnsMode { kOff, kMinimal, kFull };
// "off" | "minimal" | "full" (the config schema allows only these; anything else = off).
MdnsMode parse_mdns_mode(std::string_view s);
const char* mdns_mode_name(MdnsMode m);

struct TxtInput {
  std::string display_name;
  int port = 0;
  bool tls = false;
  std::string tls_sha256;  // hex, no colons
  // full only:
  std::string version;
  int protocol = 0;
  std::string auth_mode;    // token | password | none
  std::string lan_host;     // e.g. "kitchen.local"
  std::string tailnet_dns;  // e.g. "kitchen.tail1234.ts.net"
};

// "simpleclaw on <hostname>", cut to kMaxInstanceName bytes on a UTF-8 boundary.
std::string default_display_name(std::string_view hostname);
// A configured name cut the same way (and "simpleclaw" when empty after trimming).
std::string instance_name(std::string_view display_name);

// The TXT strings for `mode` (empty for kOff), each at most kMaxTxtString bytes.
std::vector<std::string> build_txt(const TxtInput& in, MdnsMode mode);

// TXT strings -> {lower-cased key: value}. A string without '=' is a boolean attribute
// (value ""); an empty key is ignored; the first occurrence of a key wins (RFC 6763 §6.4).
// At most kMaxTxtEntries are read.
inline constexpr std::size_t kMaxTxtEntries = 64;
std::map<std::string, std::string> parse_txt(const std::vector<std::string>& strings);

// One gateway found by browsing: the resolved service plus its TXT fields.
struct FoundService {
  std::string name;       // DNS-SD instance name
  std::string host;       // e.g. "kitchen.local"
  std::string address;    // the resolved IP
  int port = 0;           // from SRV
  std::string interface;  // e.g. "eth0"
  std::string protocol;   // "IPv4" | "IPv6"
  std::vector<std::string> txt;
};

struct Gateway {
  std::string name;
  std::string display_name;  // TXT displayName, else the instance name
  std::string host;
  std::vector<std::string> addresses;  // every resolved address, IPv4 first
  int port = 0;
  bool tls = false;
  std::string tls_sha256;  // only a 64-hex-digit value is kept
  std::string role;
  std::map<std::string, std::string> txt;
};

// Merges services seen on several interfaces/protocols into one Gateway per instance
// name (sorted by name), keeping only role=gateway records. At most kMaxGateways.
inline constexpr std::size_t kMaxGateways = 256;
std::vector<Gateway> collect_gateways(const std::vector<FoundService>& found);

Json gateway_to_json(const Gateway& g);
// The human table: NAME, HOST, ADDRESS:PORT, TLS, FINGERPRINT.
std::string format_table(const std::vector<Gateway>& gateways);

}  // namespace simpleclaw::discovery
