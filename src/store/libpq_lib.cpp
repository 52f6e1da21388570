#include "store/libpq_lib.h"

#include "base/shared_lib.h"

namespace simpleclaw::store {

Result<const PqLib*> load_libpq() {
  // The runtime package's soname (libpq5).
  static const SharedLib<PqLib> l =
      load_shared_lib<PqLib>({"libpq.so.5"}, "PostgreSQL's client library",
                             "apt install libpq5, or set store.backend: sqlite", [](auto sym) {
#define SC_PQ_RESOLVE(name) sym("PQ" #name, &PqLib::name);
                               SC_PQ_FUNCTIONS(SC_PQ_RESOLVE)
#undef SC_PQ_RESOLVE
                             });
  if (!l.error.empty()) return Error::unavailable(l.error, 0);
  return &l.table;
}

}  // namespace simpleclaw::store
