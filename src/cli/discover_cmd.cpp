// `simpleclaw discover [--timeout MS] [--json]`: gateways advertised on the LAN over
// mDNS/DNS-SD (_simpleclaw-gw._tcp), through avahi-daemon.
#include <cstdio>

#include "cli/cli.h"
#include "discovery/mdns_browser.h"
#include "discovery/txt_record.h"
#include "gateway/protocol/errors.h"

namespace simpleclaw::cli {

int discover_command(int timeout_ms, bool json_out) {
  if (timeout_ms < 1 || timeout_ms > 60000) {
    fprintf(stderr, "error: --timeout must be between 1 and 60000 ms (got %d)\n", timeout_ms);
    return 2;
  }
  auto found = discovery::browse_services(timeout_ms);
  if (!found.ok()) {
    if (json_out)
      printf("%s\n",
             Json{{"ok", false}, {"error", protocol::error_json(found.error())}}.dump(2).c_str());
    fprintf(stderr, "error: %s\n", found.error().message.c_str());
    return 1;
  }
  std::vector<discovery::Gateway> gateways = discovery::collect_gateways(*found);
  if (json_out) {
    Json arr = Json::array();
    for (const auto& g : gateways) arr.push_back(discovery::gateway_to_json(g));
    printf("%s\n",
           Json{{"gateways", arr}}.dump(2, ' ', false, Json::error_handler_t::replace).c_str());
    return 0;
  }
  if (gateways.empty()) {
    printf(
        "no simpleclaw gateways found on the LAN in %d ms (a gateway bound to loopback, or "
        "with discovery.mdns: off, is not advertised)\n",
        timeout_ms);
    return 0;
  }
  fputs(discovery::format_table(gateways).c_str(), stdout);
  return 0;
}

}  // namespace simpleclaw::cli
