#include "store/sqlite.h"

namespace simpleclaw::store {
namespace {

Error sql_error(sqlite3* db, std::string_view what) {
  return Error::invalid(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"),
                        "STORE_ERROR");
}

}  // namespace

// ---------------------------------------------------------------- Stmt

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(s_);
    s_ = o.s_;
    db_ = o.db_;
    o.s_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { sqlite3_finalize(s_); }

Stmt& Stmt::bind(int i, std::int64_t v) {
  if (sqlite3_bind_int64(s_, i, v) != SQLITE_OK) bind_status_ = sql_error(db_, "bind");
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view text) {
  if (sqlite3_bind_text64(s_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8) != SQLITE_OK)
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
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

std::string Stmt::blob(int col) const {
  const auto* p = static_cast<const char*>(sqlite3_column_blob(s_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s_, col))) : std::string();
}

// ---------------------------------------------------------------- Db

Result<Db> Db::open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &raw,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Error e = sql_error(raw, "cannot open database " + path);
    sqlite3_close(raw);
    return e;
  }
  Db db(raw, path);
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 5000);
  // journal_mode reads the file header: a file that is not a database fails here.
  if (auto s = db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
      !s.ok()) {
    return Error::invalid(path + " is not a usable SQLite database (" + s.error().message +
                              "); move it aside and restart to create a new one",
                          "STORE_ERROR");
  }
  return db;
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    sqlite3_close_v2(db_);
    db_ = o.db_;
    path_ = std::move(o.path_);
    o.db_ = nullptr;
  }
  return *this;
}

Db::~Db() { sqlite3_close_v2(db_); }

Status Db::exec(std::string_view sql) {
  std::string s(sql);
  char* msg = nullptr;
  if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &msg) != SQLITE_OK) {
    std::string m = msg ? msg : sqlite3_errmsg(db_);
    sqlite3_free(msg);
    return Error::invalid("exec `" + s.substr(0, 80) + "`: " + m, "STORE_ERROR");
  }
  return Ok{};
}

Result<Stmt> Db::prepare(std::string_view sql) {
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &st, nullptr) != SQLITE_OK)
    return sql_error(db_, "prepare `" + std::string(sql.substr(0, 80)) + "`");
  return Stmt(st, db_);
}

Result<std::int64_t> Db::user_version() {
  auto st = prepare("PRAGMA user_version");
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

Transaction::Transaction(Db& db) : db_(db) { began_ = db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
  if (began_.ok() && !done_) (void)db_.exec("ROLLBACK");
}

Status Transaction::commit() {
  if (!began_.ok()) return began_;
  auto s = db_.exec("COMMIT");
  if (s.ok()) done_ = true;
  return s;
}

}  // namespace simpleclaw::store
