#include "discovery/mdns_browser.h"

#include <net/if.h>

#include <chrono>
#include <memory>

#include "discovery/avahi_lib.h"

namespace simpleclaw::discovery {
namespace {

struct Browse {
  AvahiClient* client = nullptr;
  std::vector<FoundService> found;
  std::size_t resolvers_started = 0;
  std::size_t pending = 0;
  bool all_for_now = false;
  std::string error;
};

void resolve_cb(AvahiServiceResolver* r, AvahiIfIndex iface, AvahiProtocol proto,
                AvahiResolverEvent event, const char* name, const char* type, const char* domain,
                const char* host, const AvahiAddress* addr, uint16_t port, AvahiStringList* txt,
                AvahiLookupResultFlags, void* ud) {
  auto* b = static_cast<Browse*>(ud);
  if (event == AVAHI_RESOLVER_FOUND && b->found.size() < kMaxResolvers) {
    FoundService f;
    f.name = name ? name : "";
    f.host = host ? host : "";
    char a[AVAHI_ADDRESS_STR_MAX] = {0};
    if (addr) av().address_snprint(a, sizeof a, addr);
    f.address = a;
    f.port = port;
    char ifname[IF_NAMESIZE] = {0};
    if (iface >= 0 && if_indextoname(static_cast<unsigned>(iface), ifname)) f.interface = ifname;
    f.protocol = proto == AVAHI_PROTO_INET6 ? "IPv6" : "IPv4";
    for (AvahiStringList* l = txt; l && f.txt.size() < kMaxTxtEntries;
         l = av().string_list_get_next(l))
      f.txt.emplace_back(reinterpret_cast<const char*>(av().string_list_get_text(l)),
                         av().string_list_get_size(l));
    b->found.push_back(std::move(f));
  }
  av().service_resolver_free(r);
  --b->pending;
}

void browse_cb(AvahiServiceBrowser*, AvahiIfIndex iface, AvahiProtocol proto,
               AvahiBrowserEvent event, const char* name, const char* type, const char* domain,
               AvahiLookupResultFlags, void* ud) {
  auto* b = static_cast<Browse*>(ud);
  switch (event) {
    case AVAHI_BROWSER_NEW:
      if (b->resolvers_started >= kMaxResolvers) break;  // a LAN flooding us with records
      if (av().service_resolver_new(b->client, iface, proto, name, type, domain, AVAHI_PROTO_UNSPEC,
                                    AvahiLookupFlags(0), resolve_cb, b)) {
        ++b->resolvers_started;
        ++b->pending;
      }
      break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
      b->all_for_now = true;
      break;
    case AVAHI_BROWSER_FAILURE:
      b->error = av().strerror(av().client_errno(b->client));
      break;
    default:
      break;
  }
}

}  // namespace

Result<std::vector<FoundService>> browse_services(int timeout_ms) {
  if (auto lib = load_avahi(); !lib.ok()) return lib.error();
  std::unique_ptr<AvahiSimplePoll, void (*)(AvahiSimplePoll*)> poll(av().simple_poll_new(),
                                                                    av().simple_poll_free);
  if (!poll) return Error::unavailable("cannot create the Avahi poll object");
  Browse b;
  int err = 0;
  std::unique_ptr<AvahiClient, void (*)(AvahiClient*)> client(
      av().client_new(av().simple_poll_get(poll.get()), AvahiClientFlags(0), nullptr, nullptr,
                      &err),
      av().client_free);
  if (!client) {
    return Error::unavailable(
        std::string("cannot browse for gateways: ") + av().strerror(err) +
            ". avahi-daemon not running? apt install avahi-daemon / systemctl start avahi-daemon",
        1000);
  }
  b.client = client.get();
  AvahiServiceBrowser* browser =
      av().service_browser_new(client.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, kServiceType,
                               nullptr, AvahiLookupFlags(0), browse_cb, &b);
  if (!browser)
    return Error::unavailable(std::string("cannot browse for gateways: ") +
                              av().strerror(av().client_errno(client.get())));
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (b.error.empty() && !(b.all_for_now && b.pending == 0)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) break;
    if (av().simple_poll_iterate(poll.get(), static_cast<int>(left)) != 0) break;
  }
  // Resolvers still pending are freed with the client.
  av().service_browser_free(browser);
  if (!b.error.empty()) return Error::unavailable("browsing for gateways failed: " + b.error);
  return std::move(b.found);
}

}  // namespace simpleclaw::discovery
