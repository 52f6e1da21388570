// A C library loaded on first use (dlopen) instead of linked: Avahi (discovery), libpq
// (the PostgreSQL store) and libnats (the cluster bus) pull in many shared libraries that
// a gateway not using them should not map (idle RSS, start time). Each keeps a table of
// its functions, typed by the library's own header, filled once by load_shared_lib().
//
//   struct PqLib { decltype(&::PQexec) exec = nullptr; ... };
//   static const SharedLib<PqLib> lib = load_shared_lib<PqLib>({"libpq.so.5"}, "...",
//       [](auto& sym) { sym("PQexec", &PqLib::exec); ... });
//
// Threading: load once from a function-local static; the table is immutable afterwards.
#pragma once
#include <dlfcn.h>

#include <initializer_list>
#include <string>
#include <type_traits>

namespace simpleclaw {

template <typename Table>
struct SharedLib {
  Table table;
  std::string error;  // "" = loaded with every function found
};

// Opens the first of `sonames` that loads, then lets `resolve` look up each function:
// it is called with a `sym(name, member)` helper. A missing library or function leaves
// `error` saying which and what to do (`fix`: the package to install or the setting that
// avoids it). The handle is kept for the process.
template <typename Table, typename Resolve>
SharedLib<Table> load_shared_lib(std::initializer_list<const char*> sonames, const char* what,
                                 const char* fix, Resolve resolve) {
  SharedLib<Table> l;
  void* h = nullptr;
  const char* why = "?";
  for (const char* name : sonames) {
    h = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (h) break;
    if (const char* e = ::dlerror()) why = e;
  }
  if (!h) {
    l.error = std::string("cannot load ") + what + " (" + why + "): " + fix;
    return l;
  }
  resolve([&](const char* symbol, auto Table::*member) {
    using F = std::remove_reference_t<decltype(l.table.*member)>;
    l.table.*member = reinterpret_cast<F>(::dlsym(h, symbol));
    if (!(l.table.*member) && l.error.empty())
      l.error = std::string(what) + " has no " + symbol + ": " + fix;
  });
  return l;
}

}  // namespace simpleclaw
