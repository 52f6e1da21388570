// A thin RAII wrapper over SQLite: a connection opened in WAL mode with full
// synchronous commits (a committed row survives kill -9 and power loss), prepared
// statements with typed bind/column helpers, and transactions that roll back unless
// committed. Every failure is a Result error naming the statement and SQLite's message.
//
// A Db is used by one thread at a time (the store's writer thread, or a reader); it is
// movable, not copyable.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace simpleclaw::store {

class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : s_(o.s_), db_(o.db_) { o.s_ = nullptr; }
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  // Binds parameter i (1-based). Text and blobs are copied by SQLite.
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, std::string_view bytes);
  Stmt& bind_null(int i);
  // Runs one step: true = a row is available, false = done. Errors carry the SQL.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Status run();
  void reset();

  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  std::string text(int col) const;
  std::string blob(int col) const;

 private:
  friend class Db;
  Stmt(sqlite3_stmt* s, sqlite3* db) : s_(s), db_(db) {}
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
  Status bind_status_ = Ok{};
};

class Db {
 public:
  // Opens (creating if needed, mode 0600 via the process umask of the state dir) and
  // sets WAL, synchronous=FULL, foreign_keys=ON, busy_timeout. A file that is not a
  // database is an error that says so.
  static Result<Db> open(const std::string& path);
  Db(Db&& o) noexcept : db_(o.db_), path_(std::move(o.path_)) { o.db_ = nullptr; }
  Db& operator=(Db&& o) noexcept;
  ~Db();

  Status exec(std::string_view sql);  // one or more statements, no results
  Result<Stmt> prepare(std::string_view sql);
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  Result<std::int64_t> user_version();
  Status set_user_version(std::int64_t v);
  // "ok" when PRAGMA integrity_check passes, else SQLite's first complaint.
  Result<std::string> integrity_check();
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }

 private:
  Db(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_ = nullptr;
  std::string path_;
};

// BEGIN IMMEDIATE on construction; ROLLBACK on destruction unless commit() succeeded.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  const Status& began() const { return began_; }
  Status commit();

 private:
  Db& db_;
  Status began_ = Ok{};
  bool done_ = false;
};

}  // namespace simpleclaw::store
