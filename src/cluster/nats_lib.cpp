#include "cluster/nats_lib.h"

#include <dlfcn.h>

#include <string>

namespace simpleclaw::cluster {
namespace {

struct Loaded {
  NatsLib lib;
  std::string error;  // "" = every symbol found
};

Loaded load() {
  Loaded l;
  // The runtime package's soname (libnats3.4); the handle is kept for the process.
  void* h = ::dlopen("libnats.so.3.4", RTLD_NOW | RTLD_LOCAL);
  if (!h) h = ::dlopen("libnats.so", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    l.error = std::string("cannot load the NATS client library (") + (e ? e : "?") +
              "): apt install libnats3.4, or leave cluster.nats.url empty";
    return l;
  }
#define SC_NATS_RESOLVE(name)                                             \
  l.lib.name = reinterpret_cast<decltype(l.lib.name)>(::dlsym(h, #name)); \
  if (!l.lib.name && l.error.empty())                                     \
    l.error = "the NATS client library has no " #name ": reinstall libnats3.4";
  SC_NATS_FUNCTIONS(SC_NATS_RESOLVE)
#undef SC_NATS_RESOLVE
  return l;
}

}  // namespace

Result<const NatsLib*> load_nats() {
  static const Loaded l = load();
  if (!l.error.empty()) return Error::unavailable(l.error, 0);
  return &l.lib;
}

}  // namespace simpleclaw::cluster
