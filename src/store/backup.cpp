#include "store/backup.h"

#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "store/db.h"

namespace simpleclaw::store {
namespace {

// A raw connection that closes itself.
struct Conn {
  sqlite3* db = nullptr;
  ~Conn() {
    if (db) sqlite3_close(db);
  }
};

Error sqlite_failure(sqlite3* db, const std::string& what) {
  return Error::io(what + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

Status exec(sqlite3* db, const char* sql, const std::string& what) {
  char* msg = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : sqlite3_errmsg(db);
    sqlite3_free(msg);
    return Error::io(what + ": " + m);
  }
  return Ok{};
}

}  // namespace

Status copy_database(const std::string& src, const std::string& dst) {
  if (::access(dst.c_str(), F_OK) == 0) return Error::conflict(dst + " already exists");
  Conn from, to;
  // Read-write (nothing is written): a WAL database's readers need its -shm file.
  if (sqlite3_open_v2(src.c_str(), &from.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    return sqlite_failure(from.db, "cannot open " + src);
  sqlite3_busy_timeout(from.db, 5000);
  if (sqlite3_open_v2(dst.c_str(), &to.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK)
    return sqlite_failure(to.db, "cannot create " + dst);
  sqlite3_backup* b = sqlite3_backup_init(to.db, "main", from.db, "main");
  if (!b) return sqlite_failure(to.db, "cannot start the backup of " + src);
  // All pages in one step: one read transaction, so the copy is one consistent moment.
  int rc = SQLITE_OK;
  for (int tries = 0; tries < 100; ++tries) {
    rc = sqlite3_backup_step(b, -1);
    if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  sqlite3_backup_finish(b);
  if (rc != SQLITE_DONE) return sqlite_failure(to.db, "backup of " + src + " failed");
  return exec(to.db, "PRAGMA journal_mode=DELETE", "cannot finish " + dst);
}

Status write_backup_extras(const std::string& path,
                           const std::vector<std::pair<std::string, std::string>>& facts,
                           const std::vector<BackupFile>& files) {
  Conn c;
  if (sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    return sqlite_failure(c.db, "cannot open " + path);
  if (auto s = exec(c.db,
                    "BEGIN; CREATE TABLE simpleclaw_backup (key TEXT PRIMARY KEY, value TEXT "
                    "NOT NULL); CREATE TABLE simpleclaw_backup_files (path TEXT PRIMARY KEY, "
                    "mode INTEGER NOT NULL, content BLOB NOT NULL);",
                    "cannot write " + path);
      !s.ok())
    return s;
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(c.db, "INSERT INTO simpleclaw_backup (key, value) VALUES (?1, ?2)", -1, &st,
                     nullptr);
  for (const auto& [k, v] : facts) {
    sqlite3_bind_text(st, 1, k.data(), static_cast<int>(k.size()), SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sqlite3_finalize(st);
      return sqlite_failure(c.db, "cannot write " + path);
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_prepare_v2(
      c.db, "INSERT INTO simpleclaw_backup_files (path, mode, content) VALUES (?1, ?2, ?3)", -1,
      &st, nullptr);
  for (const BackupFile& f : files) {
    sqlite3_bind_text(st, 1, f.path.data(), static_cast<int>(f.path.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int(st, 2, f.mode);
    sqlite3_bind_blob64(st, 3, f.bytes.data(), f.bytes.size(), SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) {
      sqlite3_finalize(st);
      return sqlite_failure(c.db, "cannot write " + path);
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  return exec(c.db, "COMMIT", "cannot write " + path);
}

Result<BackupContents> read_backup(const std::string& path) {
  Conn c;
  if (sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return sqlite_failure(c.db, "cannot open " + path);
  BackupContents out;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(c.db, "PRAGMA integrity_check", -1, &st, nullptr) != SQLITE_OK)
    return Error::invalid(path + " is not a SQLite file (not a simpleclaw backup)");
  std::string verdict = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0)
                            ? reinterpret_cast<const char*>(sqlite3_column_text(st, 0))
                            : std::string(sqlite3_errmsg(c.db));
  sqlite3_finalize(st);
  if (verdict != "ok")
    return Error::invalid(path + " is damaged (integrity check: " + verdict +
                          "); use another backup");
  if (sqlite3_prepare_v2(c.db, "SELECT key, value FROM simpleclaw_backup", -1, &st, nullptr) !=
      SQLITE_OK)
    return Error::invalid(path + " is not a simpleclaw backup (no simpleclaw_backup table)");
  while (sqlite3_step(st) == SQLITE_ROW)
    out.facts.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)),
                           reinterpret_cast<const char*>(sqlite3_column_text(st, 1)));
  sqlite3_finalize(st);
  bool ours = false;
  for (const auto& [k, v] : out.facts) ours |= k == "format" && v == kBackupFormat;
  if (!ours) return Error::invalid(path + " is not a " + std::string(kBackupFormat) + " file");
  if (sqlite3_prepare_v2(c.db, "SELECT path, mode, content FROM simpleclaw_backup_files", -1, &st,
                         nullptr) != SQLITE_OK)
    return sqlite_failure(c.db, "cannot read " + path);
  while (sqlite3_step(st) == SQLITE_ROW) {
    BackupFile f;
    f.path = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    f.mode = sqlite3_column_int(st, 1);
    const void* blob = sqlite3_column_blob(st, 2);
    f.bytes.assign(static_cast<const char*>(blob ? blob : ""),
                   static_cast<std::size_t>(sqlite3_column_bytes(st, 2)));
    out.files.push_back(std::move(f));
  }
  sqlite3_finalize(st);
  return out;
}

Result<std::vector<std::pair<std::string, std::string>>> table_counts(const std::string& path) {
  Conn c;
  if (sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK)
    return sqlite_failure(c.db, "cannot open " + path);
  std::vector<std::pair<std::string, std::string>> out;
  for (const char* table : {"sessions", "entries", "runs", "approvals", "cron_jobs", "outbox"}) {
    sqlite3_stmt* st = nullptr;
    std::string sql = std::string("SELECT count(*) FROM ") + table;
    if (sqlite3_prepare_v2(c.db, sql.c_str(), -1, &st, nullptr) != SQLITE_OK) continue;  // older
    if (sqlite3_step(st) == SQLITE_ROW)
      out.emplace_back(std::string("count.") + table, std::to_string(sqlite3_column_int64(st, 0)));
    sqlite3_finalize(st);
  }
  return out;
}

Status strip_backup_extras(const std::string& path) {
  Conn c;
  if (sqlite3_open_v2(path.c_str(), &c.db, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK)
    return sqlite_failure(c.db, "cannot open " + path);
  return exec(c.db,
              "DROP TABLE IF EXISTS simpleclaw_backup; DROP TABLE IF EXISTS "
              "simpleclaw_backup_files; PRAGMA journal_mode=WAL;",
              "cannot prepare " + path);
}

}  // namespace simpleclaw::store
