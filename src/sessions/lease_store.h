// Leases for cluster mode (docs/cluster.md): what one gateway instance holds for a while
// (a session lane, a channel account, the cron leadership), in the store every instance
// shares, each with an epoch, the fencing token.
//
//   acquire  takes `name` when it is free or its lease expired (the epoch goes up by one:
//            whatever the old holder still does carries a stale epoch), or renews it
//            when `holder` has it already (same epoch). Either way the answer is the
//            lease as it stands, so a refused caller learns who holds it and until when.
//   holds    the fencing check: true only while `holder` has `name` at `epoch` and the
//            lease has not expired. A write guarded by it cannot come from an instance
//            that lost the lease, however late it runs.
//   release  gives it up early (a clean stop), only at the epoch held; the next taker
//            still gets a higher epoch.
//
// Time is the database's clock, never an instance's: instances whose clocks disagree
// still agree on when a lease expires. Threading: the DbWorker thread, like SessionStore.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sessions/store.h"

namespace simpleclaw::sessions {

struct Lease {
  std::string name, holder;
  std::int64_t epoch = 0;
  std::int64_t acquired_at = 0, expires_at = 0;  // database clock, ms
  bool held = false;                             // by the caller, after acquire()
};

Result<Lease> acquire_lease(SessionStore& s, const std::string& name, const std::string& holder,
                            std::int64_t ttl_ms);
Result<bool> holds_lease(SessionStore& s, const std::string& name, const std::string& holder,
                         std::int64_t epoch);
// Renews, in one statement, every lease of `holder` whose name starts with `prefix` and
// that it still holds (not expired): an instance's session lanes. How many were renewed.
Result<int> renew_held_leases(SessionStore& s, const std::string& prefix, const std::string& holder,
                              std::int64_t ttl_ms);
// Every lease of `holder` let go at once: a holder known to be gone (its instance lease
// expired and the caller took it). The next taker of each gets a higher epoch.
Result<int> expire_holder(SessionStore& s, const std::string& holder);
Result<bool> release_lease(SessionStore& s, const std::string& name, const std::string& holder,
                           std::int64_t epoch);
// Every lease (expired ones too, until taken over), by name.
Result<std::vector<Lease>> list_leases(SessionStore& s);
// The leases named `prefix`… that have expired (database clock): a dead instance's.
Result<std::vector<Lease>> expired_leases(SessionStore& s, const std::string& prefix);
// Removes a lease its holder no longer needs at all (an instance's liveness lease, once
// another instance has cleaned up after it). Only at the epoch held.
Result<bool> delete_lease(SessionStore& s, const std::string& name, const std::string& holder,
                          std::int64_t epoch);

}  // namespace simpleclaw::sessions
