#include "store/libpq_lib.h"

#include <dlfcn.h>

#include <string>

namespace simpleclaw::store {
namespace {

struct Loaded {
  PqLib lib;
  std::string error;  // "" = every symbol found
};

Loaded load() {
  Loaded l;
  // The runtime package's soname (libpq5); the handle is kept for the process.
  void* h = ::dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char* e = ::dlerror();
    l.error = std::string("cannot load PostgreSQL's client library (") + (e ? e : "?") +
              "): apt install libpq5, or set store.backend: sqlite";
    return l;
  }
#define SC_PQ_RESOLVE(name)                                                    \
  l.lib.name = reinterpret_cast<decltype(l.lib.name)>(::dlsym(h, "PQ" #name)); \
  if (!l.lib.name && l.error.empty())                                          \
    l.error = "PostgreSQL's client library has no PQ" #name ": reinstall libpq5";
  SC_PQ_FUNCTIONS(SC_PQ_RESOLVE)
#undef SC_PQ_RESOLVE
  return l;
}

}  // namespace

Result<const PqLib*> load_libpq() {
  static const Loaded l = load();
  if (!l.error.empty()) return Error::unavailable(l.error, 0);
  return &l.lib;
}

}  // namespace simpleclaw::store
