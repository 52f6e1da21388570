// Fuzzes what discovery reads from others: `tailscale status --json` output, and DNS-SD
// records from anyone on the LAN (TXT strings split on NUL bytes, merged into gateways,
// printed as JSON and as the `simpleclaw discover` table). Must never crash, throw or
// print invalid UTF-8 (JSON dumping would throw on it).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "discovery/tailscale.h"
#include "discovery/txt_record.h"

using namespace simpleclaw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  discovery::TailscaleInfo t = discovery::parse_tailscale_status(text);
  (void)t.to_json().dump();
  (void)discovery::tailnet_bind_address(t);

  // The first line is the service name, the rest NUL-separated TXT strings.
  discovery::FoundService f;
  std::size_t nl = text.find('\n');
  f.name = std::string(text.substr(0, nl));
  f.host = f.name;
  f.address = f.name.substr(0, 40);
  f.port = static_cast<int>(size);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
  while (!rest.empty()) {
    std::size_t z = rest.find('\0');
    f.txt.emplace_back(rest.substr(0, z));
    if (z == std::string_view::npos) break;
    rest.remove_prefix(z + 1);
  }
  f.txt.insert(f.txt.begin(), "role=gateway");
  auto gateways = discovery::collect_gateways({f, f});
  for (const auto& g : gateways) (void)discovery::gateway_to_json(g).dump();
  (void)discovery::format_table(gateways);
  discovery::TxtInput in;
  in.display_name = f.name;
  in.lan_host = f.host;
  for (const auto& s : discovery::build_txt(in, discovery::MdnsMode::kFull))
    if (s.size() > discovery::kMaxTxtString) __builtin_trap();
  return 0;
}
