#include "sessions/shared_config_store.h"

#include "base/crypto.h"

namespace simpleclaw::sessions {

Result<std::optional<SharedConfig>> read_shared_config(SessionStore& s) {
  auto st = s.db().prepare(
      "SELECT raw, hash, version, updated_at, updated_by FROM cluster_config WHERE id = 1");
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<SharedConfig>{};
  return std::optional<SharedConfig>{
      SharedConfig{st->text(0), st->text(1), st->int64(2), st->int64(3), st->text(4)}};
}

Result<SharedConfig> seed_shared_config(SessionStore& s, const std::string& raw,
                                        const std::string& by, std::int64_t now_ms) {
  // One statement: instances starting together on an empty cluster keep the first seed.
  auto st = s.db().prepare(
      "INSERT INTO cluster_config (id, raw, hash, version, updated_at, updated_by) "
      "VALUES (1, ?1, ?2, 1, ?3, ?4) ON CONFLICT (id) DO NOTHING");
  if (!st.ok()) return st.error();
  st->bind(1, raw).bind(2, sha256_hex(raw)).bind(3, now_ms).bind(4, by);
  if (auto r = st->run(); !r.ok()) return r.error();
  auto now = read_shared_config(s);
  if (!now.ok()) return now.error();
  if (!*now) return Error::internal("the cluster's config document vanished while seeded");
  return std::move(**now);
}

Result<SharedConfig> swap_shared_config(SessionStore& s, const std::string& raw,
                                        const std::string& base_hash, const std::string& by,
                                        std::int64_t now_ms) {
  auto st = s.db().prepare(
      "UPDATE cluster_config SET raw = ?1, hash = ?2, version = version + 1, updated_at = ?3, "
      "updated_by = ?4 WHERE id = 1 AND hash = ?5");
  if (!st.ok()) return st.error();
  st->bind(1, raw).bind(2, sha256_hex(raw)).bind(3, now_ms).bind(4, by).bind(5, base_hash);
  if (auto r = st->run(); !r.ok()) return r.error();
  if (s.db().changes() != 1)
    return Error::conflict(
        "config changed since last load (through another instance of the cluster); re-run "
        "config.get and retry",
        "CONFIG_CONFLICT");
  auto now = read_shared_config(s);
  if (!now.ok()) return now.error();
  if (!*now) return Error::internal("the cluster's config document vanished while written");
  return std::move(**now);
}

}  // namespace simpleclaw::sessions
