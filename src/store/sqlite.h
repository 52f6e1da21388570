// A thin RAII wrapper over SQLite: a connection opened in WAL mode with full
// synchronous commits (a committed row survives kill -9 and power loss), prepared
// statements with typed bind/column helpers, and transactions that roll back unless
// committed. Every failure is a Result error naming the statement and SQLite's message.
//
// A Db is used by one thread at a time (the store's writer thread, or a reader); it is
// movable, not copyable. prepare() keeps each distinct SQL text compiled (the writer runs
// the same few statements thousands of times a second; compiling them was a third of its
// time): a Stmt borrowed from that cache is reset when it goes out of scope, and must not
// outlive its Db.
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "simpleclaw/result.h"

namespace simpleclaw::store {

class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept : s_(o.s_), db_(o.db_), in_use_(o.in_use_) {
    o.s_ = nullptr;
    o.in_use_ = nullptr;
  }
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
  Stmt(sqlite3_stmt* s, sqlite3* db, bool* in_use = nullptr) : s_(s), db_(db), in_use_(in_use) {}
  void release();  // finalize an owned statement, or reset and return a cached one
  sqlite3_stmt* s_ = nullptr;
  sqlite3* db_ = nullptr;
  bool* in_use_ = nullptr;  // set when borrowed from the Db's cache
  Status bind_status_ = Ok{};
};

class Db {
 public:
  // Opens (creating if needed, mode 0600 via the process umask of the state dir) and
  // sets WAL, synchronous=FULL, foreign_keys=ON, busy_timeout. A file that is not a
  // database is an error that says so.
  static Result<Db> open(const std::string& path);
  Db(Db&& o) noexcept;
  Db& operator=(Db&& o) noexcept;
  ~Db();

  Status exec(std::string_view sql);  // one or more statements, no results
  // One statement; compiled once per Db and reused (a second live use of the same SQL,
  // e.g. inside a loop over its rows, gets its own compiled copy).
  Result<Stmt> prepare(std::string_view sql);
  Status run(std::string_view sql);  // prepare + run, for statements like SAVEPOINT
  std::int64_t last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  Result<std::int64_t> user_version() { return pragma_int("user_version"); }
  // The integer a read-only pragma returns (page_count, freelist_count, auto_vacuum, ...);
  // `name` is a compile-time constant, never user input.
  Result<std::int64_t> pragma_int(std::string_view name);
  Status set_user_version(std::int64_t v);
  // "ok" when PRAGMA integrity_check passes, else SQLite's first complaint.
  Result<std::string> integrity_check();
  const std::string& path() const { return path_; }
  sqlite3* raw() { return db_; }
  // Gives back what an idle connection holds: the page cache's unused pages and the
  // cached compiled statements no Stmt holds right now (made again on their next use).
  void release_memory();
  std::size_t cached_statements() const { return cache_.size(); }

 private:
  Db(sqlite3* db, std::string path);
  void close();
  struct Cached {
    sqlite3_stmt* stmt = nullptr;
    std::unique_ptr<bool> in_use;  // heap: Stmts point at it, and the map may rehash
  };
  static constexpr std::size_t kMaxCached = 256;
  sqlite3* db_ = nullptr;
  std::string path_;
  std::unordered_map<std::string, Cached> cache_;
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
