#include "discovery/avahi_lib.h"

#include <dlfcn.h>

#include <cstdlib>

namespace simpleclaw::discovery {
namespace {

struct Loaded {
  AvahiLib lib;
  std::string error;  // "" = every symbol found
};

Loaded load() {
  Loaded l;
  // The runtime package's soname (libavahi-client3); the handle is kept for the process.
  void* h = ::dlopen("libavahi-client.so.3", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    l.error = std::string("cannot load Avahi's client library (") + (e ? e : "?") +
              "): apt install libavahi-client3, or set discovery.mdns: off";
    return l;
  }
  // dlsym on the handle also searches its dependencies (libavahi-common).
#define SC_AVAHI_RESOLVE(name)                                                     \
  l.lib.name = reinterpret_cast<decltype(l.lib.name)>(::dlsym(h, "avahi_" #name)); \
  if (!l.lib.name && l.error.empty())                                              \
    l.error = "Avahi's client library has no avahi_" #name ": reinstall libavahi-client3";
  SC_AVAHI_FUNCTIONS(SC_AVAHI_RESOLVE)
#undef SC_AVAHI_RESOLVE
  return l;
}

const Loaded& loaded() {
  static const Loaded l = load();
  return l;
}

}  // namespace

Result<const AvahiLib*> load_avahi() {
  const Loaded& l = loaded();
  if (!l.error.empty()) return Error::unavailable(l.error, 0);
  return &l.lib;
}

const AvahiLib& av() { return loaded().lib; }

}  // namespace simpleclaw::discovery
