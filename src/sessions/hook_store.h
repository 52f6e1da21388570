// The webhook ids the gateway has accepted (POST /hooks/*, gateway/http/hooks.h), in the
// session database so that a replay is refused after a restart too.
//
// A Standard Webhooks message is signed over its id and timestamp, and the gateway only
// accepts timestamps within the tolerance (5 minutes) of its clock; so an id must be
// remembered until its timestamp + tolerance has passed, and no longer: after that a
// replay fails the timestamp check anyway. Each row keeps that expiry; every new id prunes
// the expired ones first, and at most `max_ids` are kept (more accepted messages than that
// within one tolerance window are refused, never forgotten early).
//
// Threading: like SessionStore, these run on the DbWorker thread only.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "sessions/store.h"

namespace simpleclaw::sessions {

enum class WebhookIdVerdict : std::uint8_t {
  kNew,     // recorded now: go on
  kReplay,  // already recorded and not expired: refuse
  kFull,    // max_ids unexpired ids are held: refuse, retry later
};

// Records `id` (for `hook`, kept for the logs) until `expires_ms`, after pruning ids whose
// expiry is before `now_ms`.
Result<WebhookIdVerdict> record_webhook_id(SessionStore& s, const std::string& id,
                                           const std::string& hook, std::int64_t expires_ms,
                                           std::int64_t now_ms, std::size_t max_ids);
// How many ids are held (for tests and the status page).
Result<std::int64_t> count_webhook_ids(SessionStore& s);

}  // namespace simpleclaw::sessions
