#include "store/sqlite.h"

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

}  // namespace

// ---------------------------------------------------------------- Stmt

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    release();
    s_ = o.s_;
    db_ = o.db_;
    in_use_ = o.in_use_;
    bind_status_ = std::move(o.bind_status_);
    o.s_ = nullptr;
    o.in_use_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { release(); }

void Stmt::release() {
  if (in_use_) {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
    *in_use_ = false;
    in_use_ = nullptr;
  } else {
    sqlite3_finalize(s_);
  }
  s_ = nullptr;
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(s_, i, v) != SQLITE_OK) bind_status_ = sql_error(db_, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view text) {
  if (sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) !=
      SQLITE_OK)
    bind_status_ = sql_error(db_, "bind");
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
  if (sqlite3_bind_blob64(s_, i, bytes.data(), bytes.size(), SQLITE_TRANSIENT) != SQLITE_OK)
    bind_status_ = sql_error(db_, "bind");
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  if (sqlite3_bind_null(s_, i) != SQLITE_OK) bind_status_ = sql_error(db_, "bind");
  return *this;
}

Result<bool> Stmt::step() {
  if (!bind_status_.ok()) return bind_status_.error();
  int rc = sqlite3_step(s_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sql_error(db_, std::string("step `") + sqlite3_sql(s_) + "`");
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r.ok()) return r.error();
    if (!*r) return Ok{};
  }
}

void Stmt::reset() {
  sqlite3_reset(s_);
  sqlite3_clear_bindings(s_);
  bind_status_ = Ok{};
}

bool Stmt::is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
std::int64_t Stmt::int64(int col) const { return sqlite3_column_int64(s_, col); }

std::string Stmt::text(int col) const {
  const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

std::string Stmt::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
           : std::string();
}

// ---------------------------------------------------------------- Db

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
  Db db(raw, path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
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

Db::Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

Db::Db(Db&& o) noexcept : db_(o.db_), path_(std::move(o.path_)), cache_(std::move(o.cache_)) {
  o.db_ = nullptr;
  o.cache_.clear();
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    close();
    db_ = o.db_;
    path_ = std::move(o.path_);
    cache_ = std::move(o.cache_);
    o.db_ = nullptr;
    o.cache_.clear();
  }
  return *this;
}

Db::~Db() { close(); }

void Db::close() {
  for (auto& [sql, c] : cache_) sqlite3_finalize(c.stmt);
  cache_.clear();
  sqlite3_close_v2(db_);
  db_ = nullptr;
}

void Db::release_memory() {
  if (db_ == nullptr) return;
  // Only the statements no Stmt holds right now (one in use stays, and stays valid).
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (*it->second.in_use) {
      ++it;
      continue;
    }
    sqlite3_finalize(it->second.stmt);
    it = cache_.erase(it);
  }
  sqlite3_db_release_memory(db_);
}

Status Db::exec(std::string_view sql) {
  std::string s(sql);
  char* msg = nullptr;
  if (int rc = sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg); rc != SQLITE_OK) {
    std::string m = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return sql_error_rc(sqlite3_extended_errcode(db_), "exec `" + s.substr(0, 80) + "`: " + m);
  }
  return Ok{};
}

Result<Stmt> Db::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end() && !*it->second.in_use) {
    *it->second.in_use = true;
    return Stmt(it->second.stmt, db_, it->second.in_use.get());
  }
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr) != SQLITE_OK)
    return sql_error(db_, "prepare `" + std::string(sql.substr(0, 80)) + "`");
  if (it != cache_.end() || cache_.size() >= kMaxCached) return Stmt(st, db_);  // owned
  Cached& c = cache_[std::move(key)];
  c.stmt = st;
  c.in_use = std::make_unique<bool>(true);
  return Stmt(st, db_, c.in_use.get());
}

Status Db::run(std::string_view sql) {
  auto st = prepare(sql);
  if (!st.ok()) return st.error();
  return st->run();
}

Result<std::int64_t> Db::pragma_int(std::string_view name) {
  auto st = prepare("PRAGMA " + std::string(name));
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row ? st->int64(0) : 0;
}

Status Db::set_user_version(std::int64_t v) {
  return exec("PRAGMA user_version=" + std::to_string(v));  // an integer: no injection
}

Result<std::string> Db::integrity_check() {
  auto st = prepare("PRAGMA integrity_check");
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row ? st->text(0) : std::string("no answer");
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Db& db) : db_(db) { began_ = db_.run("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (began_.ok() && !done_) (void)db_.run("ROLLBACK");
}

Status Transaction::commit() {
  if (!began_.ok()) return began_;
  auto s = db_.run("COMMIT");
  if (s.ok()) done_ = true;
  return s;
}

}  // namespace simpleclaw::store
