// `simpleclaw store migrate --to postgres`: copies a gateway's SQLite state into a
// PostgreSQL database for cluster mode (docs/cluster.md), with progress, resumable (run
// it again after a stop: it continues where the copy ended, store/copy.h), and checked:
// every table's row count must match at the end. The gateway must be stopped (a write
// made during the copy could be missed); the SQLite file is only read.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>

#include "base/fs.h"
#include "cli/cli.h"
#include "gateway/runtime.h"
#include "sessions/store.h"

namespace simpleclaw::cli {

int store_migrate_command(const std::string& state_flag, const std::string& to, std::string url) {
  if (to != "postgres") {
    std::fprintf(stderr, "error: --to must be postgres (got '%s')\n", to.c_str());
    return 2;
  }
  if (url.empty())
    if (const char* env = std::getenv("SIMPLECLAW_PG_URL")) url = env;
  if (url.empty()) {
    std::fprintf(stderr,
                 "error: give the database: --url postgres://user:password@host:5432/db, or "
                 "set SIMPLECLAW_PG_URL\n");
    return 2;
  }
  const std::string state = gateway::resolve_state_dir(state_flag);
  const std::string db = state + "/sessions.db";
  if (::access(db.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "error: no state to migrate: %s does not exist\n", db.c_str());
    return 1;
  }
  auto lock = DirLock::acquire(state + "/gateway.lock");
  if (!lock.ok()) {
    std::fprintf(stderr,
                 "error: a gateway is running on %s (%s); stop it first, then migrate. "
                 "Nothing was copied.\n",
                 state.c_str(), lock.error().message.c_str());
    return 1;
  }
  auto from = sessions::SessionStore::open(db);
  if (!from.ok()) {
    std::fprintf(stderr, "error: %s\n", from.error().message.c_str());
    return 1;
  }
  auto into = sessions::SessionStore::open_postgres(url, state + "/media");
  if (!into.ok()) {
    std::fprintf(stderr, "error: %s. Nothing was copied.\n", into.error().message.c_str());
    return 1;
  }
  // A table this build does not know would be left behind: refuse rather than half-copy.
  std::set<std::string> known;
  for (const auto& t : sessions::SessionStore::tables()) known.insert(t.table);
  auto names = from->table_names();
  if (!names.ok()) {
    std::fprintf(stderr, "error: %s\n", names.error().message.c_str());
    return 1;
  }
  for (const auto& n : *names)
    if (!known.count(n)) {
      std::fprintf(stderr,
                   "error: %s has a table this simpleclaw does not know (%s); use the "
                   "simpleclaw that wrote it. Nothing was copied.\n",
                   db.c_str(), n.c_str());
      return 1;
    }
  // The target may hold a copy stopped part-way (resumed below), never more than that.
  for (const auto& t : sessions::SessionStore::tables()) {
    auto src = store::count_rows(from->db(), t.table);
    auto dst = store::count_rows(into->db(), t.table);
    if (!src.ok() || !dst.ok()) {
      std::fprintf(stderr, "error: %s\n", (!src.ok() ? src.error() : dst.error()).message.c_str());
      return 1;
    }
    if (*dst > *src) {
      std::fprintf(stderr,
                   "error: %s already holds %lld rows in %s, more than the %lld being copied: "
                   "it holds other data; migrate into an empty database. Nothing was "
                   "copied.\n",
                   into->db().path().c_str(), static_cast<long long>(*dst), t.table,
                   static_cast<long long>(*src));
      return 1;
    }
  }
  std::fprintf(stderr, "migrating %s to %s\n", db.c_str(), into->db().path().c_str());
  for (const auto& t : sessions::SessionStore::tables()) {
    auto s = store::copy_table(from->db(), into->db(), t, 1000, [](const store::CopyProgress& p) {
      std::fprintf(stderr, "  %-12s %lld/%lld\n", p.table.c_str(), static_cast<long long>(p.copied),
                   static_cast<long long>(p.total));
    });
    if (!s.ok()) {
      std::fprintf(stderr,
                   "error: copying %s: %s\nWhat was copied is kept: run the same command again "
                   "to continue.\n",
                   t.table, s.error().message.c_str());
      return 1;
    }
  }
  long long rows = 0;
  for (const auto& t : sessions::SessionStore::tables()) {
    auto src = store::count_rows(from->db(), t.table);
    auto dst = store::count_rows(into->db(), t.table);
    if (!src.ok() || !dst.ok() || *src != *dst) {
      std::fprintf(stderr, "error: %s: %lld rows in SQLite, %lld in PostgreSQL after the copy\n",
                   t.table, src.ok() ? static_cast<long long>(*src) : -1LL,
                   dst.ok() ? static_cast<long long>(*dst) : -1LL);
      return 1;
    }
    rows += *src;
  }
  std::printf(
      "migrated %lld rows in %zu tables to %s; counts verified. Next: set store.backend: "
      "postgres and store.postgres.url in the config, then start the gateway (images stay "
      "in %s/media).\n",
      rows, sessions::SessionStore::tables().size(), into->db().path().c_str(), state.c_str());
  return 0;
}

}  // namespace simpleclaw::cli
