// The durable store's connection, whichever engine is behind it: SQLite (one file, the
// default: a single gateway needs nothing else) or PostgreSQL (cluster mode, issue 19).
// The store's code is written once against this API, in one SQL dialect: SQLite's, kept
// to the subset PostgreSQL also runs, with numbered `?N` placeholders (the PostgreSQL
// engine renumbers them to `$k` when it prepares the statement: store/pg_sql.h).
//
//   Stmt         a compiled statement with typed bind/column helpers; step() and run()
//                return errors that name the statement and the engine's message.
//   Db           one connection: exec (scripts, no results), prepare (compiled once per
//                SQL text and reused), begin/commit via Transaction, the schema version
//                that store::migrate keeps, and what the engine can give back when idle.
//   Transaction  BEGIN (IMMEDIATE on SQLite) on construction; ROLLBACK unless committed.
//
// A Db is used by one thread at a time (the store's writer thread, or a reader); it is
// movable, not copyable. A Stmt borrowed from the Db's cache is reset when it goes out of
// scope, and must not outlive its Db.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "simpleclaw/result.h"

namespace simpleclaw::store {

enum class Engine { kSqlite, kPostgres };

// One compiled statement of one engine (store/sqlite.cpp, store/postgres.cpp).
class StmtImpl {
 public:
  virtual ~StmtImpl() = default;
  virtual Status bind_int(int i, std::int64_t v) = 0;
  virtual Status bind_text(int i, std::string_view text) = 0;
  virtual Status bind_blob(int i, std::string_view bytes) = 0;
  virtual Status bind_null(int i) = 0;
  virtual Result<bool> step() = 0;
  virtual void reset() = 0;  // back to not yet run, bindings cleared
  virtual bool is_null(int col) const = 0;
  virtual std::int64_t int64(int col) const = 0;  // NULL reads as 0
  virtual std::string text(int col) const = 0;    // NULL reads as ""
  virtual std::string blob(int col) const = 0;
  virtual int columns() const = 0;  // of the result (after the first step on PostgreSQL)
  virtual std::string column_name(int col) const = 0;
};

// One open connection of one engine.
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Engine engine() const = 0;
  virtual Status exec(std::string_view sql) = 0;
  virtual Result<std::unique_ptr<StmtImpl>> compile(std::string_view sql) = 0;
  virtual int changes() const = 0;  // rows the last INSERT/UPDATE/DELETE touched
  virtual Status begin() = 0;
  // Held until the transaction ends: migrations run once however many gateways start.
  virtual Status lock_schema() = 0;
  virtual Result<std::int64_t> schema_version() = 0;
  virtual Status set_schema_version(std::int64_t v) = 0;
  virtual void release_memory() = 0;
  // Where the data lives, safe to show (a PostgreSQL URL without its password).
  virtual const std::string& where() const = 0;
  // Statement failures so far: the writer compares it around a job, since on PostgreSQL
  // one failed statement aborts the whole transaction even if the job carried on.
  std::uint64_t failures() const { return failures_; }
  const Error& last_failure() const { return last_failure_; }
  void note_failure(const Error& e) {
    ++failures_;
    last_failure_ = e;
  }

 private:
  std::uint64_t failures_ = 0;
  Error last_failure_ = Error::internal("no failure");
};

class Stmt {
 public:
  Stmt() = default;
  Stmt(Stmt&& o) noexcept;
  Stmt& operator=(Stmt&& o) noexcept;
  ~Stmt();

  // Binds parameter ?i (1-based). Text and blobs are copied.
  Stmt& bind(int i, std::int64_t v);
  Stmt& bind(int i, std::string_view text);
  Stmt& bind_blob(int i, std::string_view bytes);
  Stmt& bind_null(int i);
  // Runs one step: true = a row is available, false = done. Errors carry the SQL.
  Result<bool> step();
  // Runs to completion, ignoring rows.
  Status run();
  void reset();

  bool is_null(int col) const { return s_->is_null(col); }
  std::int64_t int64(int col) const { return s_->int64(col); }
  std::string text(int col) const { return s_->text(col); }
  std::string blob(int col) const { return s_->blob(col); }
  int columns() const { return s_->columns(); }
  std::string column_name(int col) const { return s_->column_name(col); }

 private:
  friend class Db;
  Stmt(StmtImpl* s, Connection* conn, bool* in_use, std::unique_ptr<StmtImpl> owned)
      : s_(s), conn_(conn), in_use_(in_use), owned_(std::move(owned)) {}
  void release();  // reset and return a cached statement; an owned one just goes
  void keep(Status s);
  StmtImpl* s_ = nullptr;
  Connection* conn_ = nullptr;
  bool* in_use_ = nullptr;  // set when borrowed from the Db's cache
  std::unique_ptr<StmtImpl> owned_;
  Status bind_status_ = Ok{};
};

class Db {
 public:
  // SQLite: opens (creating if needed) and sets WAL, synchronous=FULL, foreign_keys=ON,
  // busy_timeout. A file that is not a database is an error that says so.
  static Result<Db> open(const std::string& path);
  // PostgreSQL: a libpq URL or key=value string (postgres://user:pass@host:port/db).
  static Result<Db> open_postgres(const std::string& url);
  explicit Db(std::unique_ptr<Connection> conn);
  Db(Db&& o) noexcept;
  Db& operator=(Db&& o) noexcept;
  ~Db();

  Engine engine() const { return conn_->engine(); }
  Status exec(std::string_view sql);  // one or more statements, no results
  // One statement; compiled once per Db and reused (a second live use of the same SQL,
  // e.g. inside a loop over its rows, gets its own compiled copy).
  Result<Stmt> prepare(std::string_view sql);
  Status run(std::string_view sql);  // prepare + run, for statements like SAVEPOINT
  int changes() const { return conn_->changes(); }
  Status begin() { return conn_->begin(); }
  Status lock_schema() { return conn_->lock_schema(); }
  Result<std::int64_t> schema_version() { return conn_->schema_version(); }
  Status set_schema_version(std::int64_t v) { return conn_->set_schema_version(v); }
  std::uint64_t failures() const { return conn_->failures(); }
  const Error& last_failure() const { return conn_->last_failure(); }
  // SQLite only: the integer a read-only pragma returns (page_count, freelist_count,
  // auto_vacuum, ...); `name` is a compile-time constant, never user input.
  Result<std::int64_t> pragma_int(std::string_view name);
  // SQLite: "ok" when PRAGMA integrity_check passes, else SQLite's first complaint.
  Result<std::string> integrity_check();
  // The file (SQLite) or the server and database (PostgreSQL, no password).
  const std::string& path() const { return conn_->where(); }
  // Gives back what an idle connection holds: the cached compiled statements no Stmt
  // holds right now (made again on their next use) and the engine's spare cache.
  void release_memory();
  std::size_t cached_statements() const { return cache_.size(); }

 private:
  void close();
  struct Cached {
    std::unique_ptr<StmtImpl> stmt;
    std::unique_ptr<bool> in_use;  // heap: Stmts point at it, and the map may rehash
  };
  static constexpr std::size_t kMaxCached = 256;
  std::unique_ptr<Connection> conn_;
  std::unordered_map<std::string, Cached> cache_;
};

// BEGIN on construction; ROLLBACK on destruction unless commit() succeeded.
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
