// `simpleclaw dashboard`: a link that signs a browser in to the Control UI. It asks the
// running gateway for a one-time bootstrap token (dashboard.bootstrap, admin only) and
// prints http(s)://<host>:<port>/#bootstrapToken=<t>: the fragment never reaches a server
// log or a Referer, the token pairs the browser that opens it (from any address) and is
// void after that one use or after --ttl. The gateway token itself is never printed.
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>

#include <cstdio>

#include "base/fs.h"
#include "cli/cli.h"
#include "cli/ws_client.h"

namespace simpleclaw::cli {
namespace {

// The hosts a browser elsewhere can use: the bind address, or every IPv4 interface
// address when bound to all of them.
std::vector<std::string> lan_hosts(const std::string& bind) {
  if (bind != "0.0.0.0" && bind != "::") return {bind};
  std::vector<std::string> out;
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return out;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    char buf[INET_ADDRSTRLEN];
    auto* a = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (!::inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf)) continue;
    if (std::string(buf).rfind("127.", 0) != 0) out.emplace_back(buf);
  }
  ::freeifaddrs(list);
  return out;
}

}  // namespace

int dashboard_command(Target& t, int ttl_s, bool json_out) {
  resolve_target(t);
  auto c = WsClient::connect(client_options(t));
  if (!c.ok()) {
    fprintf(stderr, "error: %s\n", c.error().message.c_str());
    if (c.error().is_io())  // nothing listening there
      fprintf(stderr, "hint: start the gateway first (`simpleclaw gateway`)\n");
    return 1;
  }
  auto r = (*c)->call("dashboard.bootstrap", Json{{"ttlSeconds", ttl_s}});
  (*c)->close();
  if (!r.ok()) {
    fprintf(stderr, "error: %s\n", r.error().message.c_str());
    return 1;
  }
  const std::string token = (*r).value("bootstrapToken", "");
  // ws://127.0.0.1:18789 -> http://127.0.0.1:18789
  std::string base = t.url;
  if (base.rfind("wss://", 0) == 0)
    base = "https://" + base.substr(6);
  else if (base.rfind("ws://", 0) == 0)
    base = "http://" + base.substr(5);
  while (!base.empty() && base.back() == '/') base.pop_back();
  const std::string fragment = "/#bootstrapToken=" + token;
  std::vector<std::string> urls = {base + fragment};
  // A gateway bound beyond loopback: the same link on each LAN address.
  if (Json j = read_runtime_file(t.state_dir);
      j.contains("bind") && j.value("bind", "") != "127.0.0.1" && j.value("bind", "") != "::1") {
    const std::string scheme = j.value("tls", false) ? "https://" : "http://";
    for (const std::string& host : lan_hosts(j.value("bind", "")))
      urls.push_back(scheme + host + ":" + std::to_string(j.value("port", 0)) + fragment);
  }
  if (json_out) {
    printf("%s\n", Json{{"urls", urls}, {"expiresAtMs", (*r)["expiresAtMs"]}}.dump(2).c_str());
    return 0;
  }
  fprintf(stderr,
          "Open this link in a browser to sign it in to the Control UI (one use, valid %d min):\n",
          ttl_s / 60 > 0 ? ttl_s / 60 : 1);
  for (const std::string& u : urls) printf("  %s\n", u.c_str());
  fprintf(stderr, "It pairs that browser as one of your devices (listed in the Devices panel).\n");
  return 0;
}

}  // namespace simpleclaw::cli
