#include "cluster/nats_lib.h"

#include "base/shared_lib.h"

namespace simpleclaw::cluster {

Result<const NatsLib*> load_nats() {
  // The runtime package's soname (libnats3.4).
  static const SharedLib<NatsLib> l = load_shared_lib<NatsLib>(
      {"libnats.so.3.4", "libnats.so"}, "the NATS client library",
      "apt install libnats3.4, or leave cluster.nats.url empty", [](auto sym) {
#define SC_NATS_RESOLVE(name) sym(#name, &NatsLib::name);
        SC_NATS_FUNCTIONS(SC_NATS_RESOLVE)
#undef SC_NATS_RESOLVE
      });
  if (!l.error.empty()) return Error::unavailable(l.error, 0);
  return &l.table;
}

}  // namespace simpleclaw::cluster
