// The SQLite engine of store::Db: one file in WAL mode with full synchronous commits
// (a committed row survives kill -9 and power loss). prepare() keeps each distinct SQL
// text compiled (store::Db's cache: the writer runs the same few statements thousands of
// times a second; compiling them was a third of its time).
#include <sqlite3.h>

#include "store/db.h"

namespace simpleclaw::store {
namespace {

// What kind of failure a SQLite result code is: the disk (full, I/O, permissions) is kIo,
// a busy database kUnavailable (retry), a constraint kConflict; anything else means the
// store or our SQL is broken: kInternal. Never kInvalidArgument: a client's request was
// fine when the database fails under it.
ErrorCode sqlite_code(int rc) {
  switch (rc & 0xff) {
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
      return ErrorCode::kIo;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return ErrorCode::kConflict;
    default:
      return ErrorCode::kInternal;
  }
}

// What to do about a failure the operator can fix, appended to SQLite's own words.
const char* sqlite_fix(int rc) {
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return " (the disk holding the state directory is full: free space; writes resume "
             "without a restart)";
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return " (the state directory is not writable: check its file system is mounted "
             "read-write and its permissions)";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return " (another process holds the database locked: another gateway on the same "
             "state directory, or a tool that has it open; stop it and retry)";
    default:
      return "";
  }
}

Error sql_error_rc(int rc, std::string msg) {
  msg += sqlite_fix(rc);
  Error e = Error::make(sqlite_code(rc), std::move(msg), "STORE_ERROR");
  if (e.is_unavailable()) e.retry_after_ms = 1000;
  return e;
}

Error sql_error(sqlite3* db, std::string_view what) {
  return sql_error_rc(db ? sqlite3_extended_errcode(db) : SQLITE_NOMEM,
                      std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
}

// strpos(haystack, needle): PostgreSQL's name for SQLite's instr(), so the store's SQL
// says it one way: the 1-based character position of needle, 0 if absent.
void strpos_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) == SQLITE_NULL || sqlite3_value_type(argv[1]) == SQLITE_NULL)
    return sqlite3_result_null(ctx);
  const auto* h = reinterpret_cast<const char*>(sqlite3_value_text(argv[0]));
  const auto* n = reinterpret_cast<const char*>(sqlite3_value_text(argv[1]));
  std::string_view hay(h ? h : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
  std::string_view needle(n ? n : "", static_cast<std::size_t>(sqlite3_value_bytes(argv[1])));
  std::size_t at = hay.find(needle);
  if (at == std::string_view::npos) return sqlite3_result_int64(ctx, 0);
  std::int64_t chars = 1;  // UTF-8: count the bytes that start a character
  for (std::size_t i = 0; i < at; ++i)
    if ((static_cast<unsigned char>(hay[i]) & 0xC0) != 0x80) ++chars;
  sqlite3_result_int64(ctx, chars);
}

class SqliteStmt final : public StmtImpl {
 public:
  SqliteStmt(sqlite3_stmt* s, sqlite3* db) : s_(s), db_(db) {}
  ~SqliteStmt() override { sqlite3_finalize(s_); }
  Status bind_int(int i, std::int64_t v) override { return check(sqlite3_bind_int64(s_, i, v)); }
  Status bind_text(int i, std::string_view text) override {
    return check(
        sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
  }
  Status bind_blob(int i, std::string_view bytes) override {
    return check(sqlite3_bind_blob64(s_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
  }
  Status bind_null(int i) override { return check(sqlite3_bind_null(s_, i)); }
  Result<bool> step() override {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    return sql_error(db_, std::string("step `") + sqlite3_sql(s_) + "`");
  }
  void reset() override {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  bool is_null(int col) const override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  std::int64_t int64(int col) const override { return sqlite3_column_int64(s_, col); }
  std::string text(int col) const override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }
  int columns() const override { return sqlite3_column_count(s_); }
  std::string column_name(int col) const override {
    const char* n = sqlite3_column_name(s_, col);
    return n ? n : "";
  }
  std::string blob(int col) const override {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
  }

 private:
  Status check(int rc) {
    if (rc == SQLITE_OK) return Ok{};
    return sql_error(db_, "bind");
  }
  sqlite3_stmt* s_;
  sqlite3* db_;
};

class SqliteConnection final : public Connection {
 public:
  SqliteConnection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  ~SqliteConnection() override { sqlite3_close_v2(db_); }
  Engine engine() const override { return Engine::kSqlite; }

  Status exec(std::string_view sql) override {
    std::string s(sql);
    char* msg = nullptr;
    if (int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg); rc != SQLITE_OK) {
      std::string m = msg ? msg : sqlite3_errmsg(db_);
      sqlite3_free(msg);
      return sql_error_rc(sqlite3_extended_errcode(db_), "exec `" + s.substr(0, 80) + "`: " + m);
    }
    return Ok{};
  }

  Result<std::unique_ptr<StmtImpl>> compile(std::string_view sql) override {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr) !=
        SQLITE_OK)
      return sql_error(db_, "prepare `" + std::string(sql.substr(0, 80)) + "`");
    return std::unique_ptr<StmtImpl>(std::make_unique<SqliteStmt>(st, db_));
  }

  int changes() const override { return sqlite3_changes(db_); }
  // IMMEDIATE: take the write lock now, not at the first write (no upgrade deadlocks).
  Status begin() override { return exec("BEGIN IMMEDIATE"); }
  Status lock_schema() override { return Ok{}; }  // BEGIN IMMEDIATE already excludes writers

  Result<std::int64_t> schema_version() override {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &st, nullptr) != SQLITE_OK)
      return sql_error(db_, "PRAGMA user_version");
    std::int64_t v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return sql_error(db_, "PRAGMA user_version");
    return v;
  }
  Status set_schema_version(std::int64_t v) override {
    return exec("PRAGMA user_version=" + std::to_string(v));  // an integer: no injection
  }
  void release_memory() override { sqlite3_db_release_memory(db_); }
  const std::string& where() const override { return path_; }

 private:
  sqlite3* db_;
  std::string path_;
};

}  // namespace

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sql_error(raw, "cannot open database " + path);
    sqlite3_close(raw);
    return e;
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  sqlite3_create_function_v2(raw, "strpos", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                             strpos_function, nullptr, nullptr, nullptr);
  Db db(std::make_unique<SqliteConnection>(raw, path));
  // Incremental auto-vacuum lets the maintenance pass give freed pages back to the file
  // system. It only takes effect on a database with no tables yet (a new file); older
  // ones are converted once by SessionStore::checkpoint.
  (void)db.exec("PRAGMA auto_vacuum=INCREMENTAL");
  // journal_mode reads the file header: a file that is not a database fails here.
  if (auto s = db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
      !s.ok()) {
    return Error::make(s.error().code,
                       path + " is not a usable SQLite database (" + s.error().message +
                           "); move it aside and restart to create a new one",
                       "STORE_ERROR");
  }
  return db;
}

}  // namespace simpleclaw::store
