#include "discovery/avahi_lib.h"

#include "base/shared_lib.h"

namespace simpleclaw::discovery {
namespace {

const SharedLib<AvahiLib>& loaded() {
  // The runtime package's soname (libavahi-client3); dlsym on its handle also searches
  // its dependencies (libavahi-common).
  static const SharedLib<AvahiLib> l = load_shared_lib<AvahiLib>(
      {"libavahi-client.so.3"}, "Avahi's client library",
      "apt install libavahi-client3, or set discovery.mdns: off", [](auto sym) {
#define SC_AVAHI_RESOLVE(name) sym("avahi_" #name, &AvahiLib::name);
        SC_AVAHI_FUNCTIONS(SC_AVAHI_RESOLVE)
#undef SC_AVAHI_RESOLVE
      });
  return l;
}

}  // namespace

Result<const AvahiLib*> load_avahi() {
  const SharedLib<AvahiLib>& l = loaded();
  if (!l.error.empty()) return Error::unavailable(l.error, 0);
  return &l.table;
}

const AvahiLib& av() { return loaded().table; }

}  // namespace simpleclaw::discovery
