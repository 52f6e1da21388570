#include "store/db.h"

namespace simpleclaw::store {

// ---------------------------------------------------------------- Stmt

Stmt::Stmt(Stmt&& o) noexcept
    : s_(o.s_),
      conn_(o.conn_),
      in_use_(o.in_use_),
      owned_(std::move(o.owned_)),
      bind_status_(std::move(o.bind_status_)) {
  o.s_ = nullptr;
  o.in_use_ = nullptr;
}

Stmt& Stmt::operator=(Stmt&& o) noexcept {
  if (this != &o) {
    release();
    s_ = o.s_;
    conn_ = o.conn_;
    in_use_ = o.in_use_;
    owned_ = std::move(o.owned_);
    bind_status_ = std::move(o.bind_status_);
    o.s_ = nullptr;
    o.in_use_ = nullptr;
  }
  return *this;
}

Stmt::~Stmt() { release(); }

void Stmt::release() {
  if (in_use_) {
    s_->reset();
    *in_use_ = false;
    in_use_ = nullptr;
  }
  owned_.reset();
  s_ = nullptr;
}

void Stmt::keep(Status s) {
  if (!s.ok() && bind_status_.ok()) bind_status_ = std::move(s);
}

Stmt& Stmt::bind(int i, std::int64_t v) {
  keep(s_->bind_int(i, v));
  return *this;
}

Stmt& Stmt::bind(int i, std::string_view text) {
  keep(s_->bind_text(i, text));
  return *this;
}

Stmt& Stmt::bind_blob(int i, std::string_view bytes) {
  keep(s_->bind_blob(i, bytes));
  return *this;
}

Stmt& Stmt::bind_null(int i) {
  keep(s_->bind_null(i));
  return *this;
}

Result<bool> Stmt::step() {
  if (!bind_status_.ok()) {
    conn_->note_failure(bind_status_.error());
    return bind_status_.error();
  }
  auto r = s_->step();
  if (!r.ok()) conn_->note_failure(r.error());
  return r;
}

Status Stmt::run() {
  for (;;) {
    auto r = step();
    if (!r.ok()) return r.error();
    if (!*r) return Ok{};
  }
}

void Stmt::reset() {
  s_->reset();
  bind_status_ = Ok{};
}

// ---------------------------------------------------------------- Db

Db::Db(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

Db::Db(Db&& o) noexcept : conn_(std::move(o.conn_)), cache_(std::move(o.cache_)) {
  o.cache_.clear();
}

Db& Db::operator=(Db&& o) noexcept {
  if (this != &o) {
    close();
    conn_ = std::move(o.conn_);
    cache_ = std::move(o.cache_);
    o.cache_.clear();
  }
  return *this;
}

Db::~Db() { close(); }

void Db::close() {
  cache_.clear();  // statements before their connection
  conn_.reset();
}

void Db::release_memory() {
  // PostgreSQL's statements live on its server, and preparing them again costs a round
  // trip each: only SQLite's compiled statements are worth giving back.
  if (!conn_ || conn_->engine() != Engine::kSqlite) return;
  // Only the statements no Stmt holds right now (one in use stays, and stays valid).
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (*it->second.in_use) {
      ++it;
      continue;
    }
    it = cache_.erase(it);
  }
  conn_->release_memory();
}

Status Db::exec(std::string_view sql) {
  auto s = conn_->exec(sql);
  if (!s.ok()) conn_->note_failure(s.error());
  return s;
}

Result<Stmt> Db::prepare(std::string_view sql) {
  std::string key(sql);
  auto it = cache_.find(key);
  if (it != cache_.end() && !*it->second.in_use) {
    *it->second.in_use = true;
    return Stmt(it->second.stmt.get(), conn_.get(), it->second.in_use.get(), nullptr);
  }
  auto compiled = conn_->compile(sql);
  if (!compiled.ok()) {
    conn_->note_failure(compiled.error());
    return compiled.error();
  }
  if (it != cache_.end() || cache_.size() >= kMaxCached) {  // owned by the Stmt
    StmtImpl* raw = compiled->get();
    return Stmt(raw, conn_.get(), nullptr, std::move(*compiled));
  }
  Cached& c = cache_[std::move(key)];
  c.stmt = std::move(*compiled);
  c.in_use = std::make_unique<bool>(true);
  return Stmt(c.stmt.get(), conn_.get(), c.in_use.get(), nullptr);
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

Result<std::string> Db::integrity_check() {
  auto st = prepare("PRAGMA integrity_check");
  if (!st.ok()) return st.error();
  auto row = st->step();
  if (!row.ok()) return row.error();
  return *row ? st->text(0) : std::string("no answer");
}

// ---------------------------------------------------------------- Transaction

Transaction::Transaction(Db& db) : db_(db) { began_ = db_.begin(); }

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
