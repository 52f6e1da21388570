// Cluster mode's config document (docs/cluster.md "Config"): one row in the store every
// instance shares, changed only by compare-and-swap on its hash, with a version that goes
// up by one per change so each instance notices a change with one small read.
//
//   read  the document, or nothing while no instance has seeded it.
//   seed  puts `raw` in an empty cluster (the first instance's own file); when another
//         instance seeded it first, theirs stays. Either way the answer is what is there.
//   swap  replaces the document only while its hash is still `base_hash`: a change made
//         through another instance in between gives CONFIG_CONFLICT, never a lost update.
//
// Threading: the DbWorker thread, like SessionStore (or a start-up thread before it runs).
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "sessions/store.h"

namespace simpleclaw::sessions {

struct SharedConfig {
  std::string raw;   // YAML, ${VARS} unexpanded (each instance expands its own)
  std::string hash;  // SHA-256 hex of raw: config.get's hash, config.set's baseHash
  std::int64_t version = 0;
  std::int64_t updated_at = 0;  // ms
  std::string updated_by;       // the instance id that wrote it
};

Result<std::optional<SharedConfig>> read_shared_config(SessionStore& s);
Result<SharedConfig> seed_shared_config(SessionStore& s, const std::string& raw,
                                        const std::string& by, std::int64_t now_ms);
Result<SharedConfig> swap_shared_config(SessionStore& s, const std::string& raw,
                                        const std::string& base_hash, const std::string& by,
                                        std::int64_t now_ms);

}  // namespace simpleclaw::sessions
