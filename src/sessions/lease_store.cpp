#include "sessions/lease_store.h"

namespace simpleclaw::sessions {
namespace {

// The database's clock in milliseconds, in each engine's words.
std::string now_ms(store::Engine e) {
  return e == store::Engine::kPostgres
             ? "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS BIGINT)"
             : "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)";
}

Result<std::optional<Lease>> read_lease(SessionStore& s, const std::string& name) {
  auto st = s.db().prepare(
      "SELECT name, holder, epoch, acquired_at, expires_at FROM leases WHERE name = ?1");
  if (!st.ok()) return st.error();
  st->bind(1, name);
  auto row = st->step();
  if (!row.ok()) return row.error();
  if (!*row) return std::optional<Lease>{};
  return std::optional<Lease>{
      Lease{st->text(0), st->text(1), st->int64(2), st->int64(3), st->int64(4), false}};
}

// Every row of a SELECT name, holder, epoch, acquired_at, expires_at.
Result<std::vector<Lease>> read_leases(store::Stmt& st) {
  std::vector<Lease> out;
  for (;;) {
    auto row = st.step();
    if (!row.ok()) return row.error();
    if (!*row) return out;
    out.push_back(Lease{st.text(0), st.text(1), st.int64(2), st.int64(3), st.int64(4), false});
  }
}

}  // namespace

Result<Lease> acquire_lease(SessionStore& s, const std::string& name, const std::string& holder,
                            std::int64_t ttl_ms) {
  const std::string now = now_ms(s.db().engine());
  // One statement, so two instances racing for a free or expired lease serialize on its
  // row: the second finds it renewed by the first and gets nothing.
  auto st = s.db().prepare(
      "INSERT INTO leases (name, holder, epoch, acquired_at, expires_at) VALUES (?1, ?2, 1, " +
      now + ", " + now +
      " + ?3) ON CONFLICT (name) DO UPDATE SET "
      "epoch = CASE WHEN leases.holder = excluded.holder THEN leases.epoch "
      "ELSE leases.epoch + 1 END, "
      "acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at "
      "ELSE excluded.acquired_at END, "
      "holder = excluded.holder, expires_at = excluded.expires_at "
      "WHERE leases.holder = excluded.holder OR leases.expires_at < excluded.acquired_at");
  if (!st.ok()) return st.error();
  st->bind(1, name).bind(2, holder).bind(3, ttl_ms);
  if (auto r = st->run(); !r.ok()) return r.error();
  auto now_row = read_lease(s, name);
  if (!now_row.ok()) return now_row.error();
  if (!*now_row) return Error::internal("lease " + name + " vanished while acquired");
  Lease l = **now_row;
  l.held = l.holder == holder;
  return l;
}

Result<bool> holds_lease(SessionStore& s, const std::string& name, const std::string& holder,
                         std::int64_t epoch) {
  auto st = s.db().prepare(
      "SELECT count(*) FROM leases WHERE name = ?1 AND holder = ?2 AND "
      "epoch = ?3 AND expires_at >= " +
      now_ms(s.db().engine()));
  if (!st.ok()) return st.error();
  st->bind(1, name).bind(2, holder).bind(3, epoch);
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row && st->int64(0) > 0;
}

Result<int> renew_held_leases(SessionStore& s, const std::string& prefix, const std::string& holder,
                              std::int64_t ttl_ms) {
  const std::string now = now_ms(s.db().engine());
  auto st = s.db().prepare(
      "UPDATE leases SET expires_at = " + now +
      " + ?3 WHERE holder = ?1 AND substr(name, 1, length(CAST(?2 AS TEXT))) = ?2 AND "
      "expires_at >= " +
      now);
  if (!st.ok()) return st.error();
  st->bind(1, holder).bind(2, prefix).bind(3, ttl_ms);
  if (auto r = st->run(); !r.ok()) return r.error();
  return s.db().changes();
}

Result<int> expire_holder(SessionStore& s, const std::string& holder) {
  if (holder.empty()) return 0;
  auto st = s.db().prepare("UPDATE leases SET holder = '', expires_at = 0 WHERE holder = ?1");
  if (!st.ok()) return st.error();
  st->bind(1, holder);
  if (auto r = st->run(); !r.ok()) return r.error();
  return s.db().changes();
}

Result<bool> release_lease(SessionStore& s, const std::string& name, const std::string& holder,
                           std::int64_t epoch) {
  // Kept, expired and without a holder, so the next taker's epoch is still higher than
  // any this lease had (an epoch is never given twice).
  auto st = s.db().prepare(
      "UPDATE leases SET holder = '', expires_at = 0 WHERE name = ?1 AND holder = ?2 AND "
      "epoch = ?3");
  if (!st.ok()) return st.error();
  st->bind(1, name).bind(2, holder).bind(3, epoch);
  if (auto r = st->run(); !r.ok()) return r.error();
  return s.db().changes() > 0;
}

Result<bool> delete_lease(SessionStore& s, const std::string& name, const std::string& holder,
                          std::int64_t epoch) {
  auto st = s.db().prepare("DELETE FROM leases WHERE name = ?1 AND holder = ?2 AND epoch = ?3");
  if (!st.ok()) return st.error();
  st->bind(1, name).bind(2, holder).bind(3, epoch);
  if (auto r = st->run(); !r.ok()) return r.error();
  return s.db().changes() > 0;
}

Result<std::vector<Lease>> expired_leases(SessionStore& s, const std::string& prefix) {
  auto st = s.db().prepare(
      "SELECT name, holder, epoch, acquired_at, expires_at FROM leases WHERE "
      "strpos(name, ?1) = 1 AND expires_at < " +
      now_ms(s.db().engine()) + " ORDER BY name");
  if (!st.ok()) return st.error();
  st->bind(1, prefix);
  return read_leases(*st);
}

Result<std::vector<Lease>> list_leases(SessionStore& s) {
  auto st = s.db().prepare(
      "SELECT name, holder, epoch, acquired_at, expires_at FROM leases ORDER BY name");
  if (!st.ok()) return st.error();
  return read_leases(*st);
}

}  // namespace simpleclaw::sessions
