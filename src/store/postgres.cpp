// The PostgreSQL engine of store::Db (cluster mode, issue 19), on libpq's synchronous API:
// every call runs on the thread that owns the Db (the store's writer thread, never the
// event loop), like SQLite's.
//
// Statements are prepared once per connection (PQprepare with untyped parameters, so the
// server infers them as it would for a literal), results come back in text format and
// are read like SQLite's columns (NULL is 0 or ""). A lost connection is retried with
// backoff (100 ms doubling to 5 s) at the next statement; until then every statement
// fails at once with kUnavailable and says where the server was, and prepared
// statements are made again on the new connection.
#include <cctype>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

#include "store/db.h"
#include "store/libpq_lib.h"
#include "store/pg_sql.h"

namespace simpleclaw::store {
namespace {

using Clock = std::chrono::steady_clock;

// What kind of failure a SQLSTATE is (the same kinds SQLite's result codes map to): a
// constraint kConflict; a serialization failure, deadlock or a server going away
// kUnavailable (retry); the server's disk kIo; anything else kInternal.
ErrorCode pg_code(std::string_view state) {
  if (state.starts_with("23")) return ErrorCode::kConflict;
  if (state == "40001" || state == "40P01" || state == "55P03" || state.starts_with("57P") ||
      state.starts_with("08"))
    return ErrorCode::kUnavailable;
  if (state.starts_with("53") || state.starts_with("58") || state == "25006") return ErrorCode::kIo;
  return ErrorCode::kInternal;
}

// The host's time zone name (TZ, else /etc/localtime's link), for the session's TimeZone:
// "local" days mean the gateway's zone, as on SQLite, not the database server's.
std::string host_zone() {
  std::string z;
  if (const char* tz = std::getenv("TZ"); tz && *tz) z = tz[0] == ':' ? tz + 1 : tz;
  if (z.empty()) {
    std::error_code ec;
    auto target = std::filesystem::read_symlink("/etc/localtime", ec).string();
    if (auto at = target.find("zoneinfo/"); !ec && at != std::string::npos)
      z = target.substr(at + 9);
  }
  for (char c : z)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '/' && c != '_' && c != '-' &&
        c != '+')
      return "UTC";
  return z.empty() ? "UTC" : z;
}

std::string trimmed(const char* s) {
  std::string m = s ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

class PgConnection;

class PgStmt final : public StmtImpl {
 public:
  PgStmt(PgConnection& conn, std::string sql, PgStatement translated)
      : conn_(conn), sql_(std::move(sql)), st_(std::move(translated)) {
    values_.resize(static_cast<std::size_t>(st_.params));
    nulls_.assign(values_.size(), true);
    binary_.assign(values_.size(), 0);
  }
  ~PgStmt() override;
  Status bind_int(int i, std::int64_t v) override { return set(i, std::to_string(v), 0); }
  Status bind_text(int i, std::string_view text) override {
    // libpq sends text parameters as C strings, and PostgreSQL's text cannot hold NUL.
    if (text.find('\0') != std::string_view::npos)
      return Error::invalid("text with a NUL byte cannot be stored in PostgreSQL", "STORE_ERROR");
    return set(i, std::string(text), 0);
  }
  Status bind_blob(int i, std::string_view bytes) override { return set(i, std::string(bytes), 1); }
  Status bind_null(int i) override {
    if (auto k = slot(i); k < 0)
      return range_error(i);
    else if (k > 0)
      nulls_[static_cast<std::size_t>(k - 1)] = true;
    return Ok{};
  }
  Result<bool> step() override;
  void reset() override {
    clear_result();
    nulls_.assign(values_.size(), true);
  }
  bool is_null(int col) const override { return !row_ok(col) || lib().getisnull(res_, row_, col); }
  std::int64_t int64(int col) const override {
    if (is_null(col)) return 0;
    const char* v = lib().getvalue(res_, row_, col);
    if (v[0] == 't' || v[0] == 'f') return v[0] == 't';  // a boolean expression
    std::int64_t out = 0;
    std::from_chars(v, v + std::strlen(v), out);  // numeric sums read "123"
    return out;
  }
  std::string text(int col) const override {
    if (is_null(col)) return {};
    return std::string(lib().getvalue(res_, row_, col),
                       static_cast<std::size_t>(lib().getlength(res_, row_, col)));
  }
  int columns() const override { return res_ ? lib().nfields(res_) : 0; }
  std::string column_name(int col) const override {
    const char* n = res_ ? lib().fname(res_, col) : nullptr;
    return n ? n : "";
  }
  std::string blob(int col) const override {
    if (is_null(col)) return {};
    std::size_t n = 0;
    unsigned char* raw = lib().unescapeBytea(
        reinterpret_cast<const unsigned char*>(lib().getvalue(res_, row_, col)), &n);
    if (!raw) return {};
    std::string out(reinterpret_cast<const char*>(raw), n);
    lib().freemem(raw);
    return out;
  }

 private:
  const PqLib& lib() const;
  // k of ?i: 0 = the statement does not use ?i (SQLite allows such gaps), -1 = beyond.
  int slot(int i) const {
    if (i < 1) return -1;
    if (static_cast<std::size_t>(i) >= st_.slot.size()) return i <= 999 ? 0 : -1;
    return st_.slot[static_cast<std::size_t>(i)];
  }
  Status range_error(int i) const {
    return Error::internal(
        "bind ?" + std::to_string(i) + " out of range in `" + sql_.substr(0, 80) + "`",
        "STORE_ERROR");
  }
  Status set(int i, std::string v, int binary) {
    int k = slot(i);
    if (k < 0) return range_error(i);
    if (k == 0) return Ok{};
    auto at = static_cast<std::size_t>(k - 1);
    values_[at] = std::move(v);
    nulls_[at] = false;
    binary_[at] = binary;
    return Ok{};
  }
  bool row_ok(int col) const { return res_ && row_ >= 0 && row_ < rows_ && col >= 0 && col < 1000; }
  void clear_result();

  PgConnection& conn_;
  std::string sql_;  // as written (SQLite dialect): named in errors
  PgStatement st_;
  std::string name_;               // the server-side prepared statement
  std::uint64_t prepared_in_ = 0;  // the connection generation it was prepared on
  std::vector<std::string> values_;
  std::vector<bool> nulls_;
  std::vector<int> binary_;
  PGresult* res_ = nullptr;
  bool ran_ = false;
  int row_ = -1;
  int rows_ = 0;
};

class PgConnection final : public Connection {
 public:
  PgConnection(const PqLib& lib, PGconn* conn, std::string where)
      : lib_(lib), conn_(conn), where_(std::move(where)) {}
  ~PgConnection() override { lib_.finish(conn_); }

  const PqLib& lib() const { return lib_; }
  PGconn* raw() { return conn_; }
  std::uint64_t generation() const { return generation_; }
  std::string next_name() { return "sc" + std::to_string(++names_); }
  void set_changes(int n) { changes_ = n; }

  Engine engine() const override { return Engine::kPostgres; }

  // Connected, or reconnected now, or an error while the backoff runs.
  Status usable() {
    if (lib_.status(conn_) == CONNECTION_OK) return Ok{};
    const auto now = Clock::now();
    if (now < retry_at_) return lost("reconnecting");
    lib_.reset(conn_);
    if (lib_.status(conn_) != CONNECTION_OK) {
      backoff_ = backoff_.count() == 0 ? std::chrono::milliseconds(100)
                                       : std::min(backoff_ * 2, std::chrono::milliseconds(5000));
      retry_at_ = now + backoff_;
      return lost(trimmed(lib_.errorMessage(conn_)));
    }
    backoff_ = {};
    ++generation_;  // prepared statements died with the old connection
    if (in_tx_) tx_lost_ = true;
    return setup();
  }

  // Before a statement: connected (or reconnected), and not inside a transaction whose
  // connection died. Such a transaction cannot go on on the new connection (its
  // statements would each commit on their own): everything but its end is refused, and
  // its COMMIT is an error, since nothing of it was written.
  Status before(std::string_view sql) {
    if (auto u = usable(); !u.ok()) return u;
    if (!tx_lost_ || sql == "ROLLBACK") return Ok{};
    if (sql == "BEGIN") {  // the lost one ended with its connection: start afresh
      in_tx_ = tx_lost_ = false;
      return Ok{};
    }
    if (sql == "COMMIT") in_tx_ = tx_lost_ = false;
    return Error::unavailable(
        "the connection to PostgreSQL at " + where_ +
            " was lost during the transaction: nothing of it was written (retry)",
        1000);
  }
  // After a statement ran: where the transaction stands.
  void after(std::string_view sql, bool ok) {
    if (sql == "BEGIN" && ok) in_tx_ = true;
    if (sql == "COMMIT" || sql == "ROLLBACK") in_tx_ = tx_lost_ = false;
  }

  Status setup() {
    lib_.setNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // NOTICEs are noise
    return exec(
        "SET synchronous_commit = on; SET client_encoding = 'UTF8'; "
        "SET client_min_messages = warning; SET TIME ZONE '" +
        host_zone() + "'");
  }

  // The error for a failed result (or none), worded like SQLite's.
  Error failure(PGresult* r, std::string_view what) {
    if (lib_.status(conn_) != CONNECTION_OK) return lost(trimmed(lib_.errorMessage(conn_)));
    const char* state = r ? lib_.resultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string msg = std::string(what) + ": " +
                      trimmed(r ? lib_.resultErrorMessage(r) : lib_.errorMessage(conn_));
    Error e = Error::make(pg_code(state ? state : ""), std::move(msg), "STORE_ERROR");
    if (e.is_unavailable()) e.retry_after_ms = 1000;
    return e;
  }

  Error lost(const std::string& why) {
    return Error::unavailable("cannot reach PostgreSQL at " + where_ + " (" + why +
                                  "); writes are refused until it is back (retried with "
                                  "backoff)",
                              1000);
  }

  Status exec(std::string_view sql) override {
    if (auto b = before(sql); !b.ok()) return b;
    std::string s(sql);
    PGresult* r = lib_.exec(conn_, s.c_str());
    ExecStatusType st = lib_.resultStatus(r);
    Status out = Ok{};
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      out = failure(r, "exec `" + s.substr(0, 80) + "`");
    else
      out = check_commit(s, r);
    lib_.clear(r);
    after(sql, out.ok());
    return out;
  }

  // COMMIT of a transaction an earlier failure aborted "succeeds" as ROLLBACK.
  Status check_commit(std::string_view sql, PGresult* r) {
    if (sql != "COMMIT") return Ok{};
    const char* tag = lib_.cmdStatus(r);
    if (tag && std::string_view(tag) == "ROLLBACK")
      return Error::unavailable(
          "the transaction was rolled back: a statement in it had failed (nothing was written)",
          1000);
    return Ok{};
  }

  Result<std::unique_ptr<StmtImpl>> compile(std::string_view sql) override {
    return std::unique_ptr<StmtImpl>(
        std::make_unique<PgStmt>(*this, std::string(sql), translate(sql)));
  }

  int changes() const override { return changes_; }
  Status begin() override { return exec("BEGIN"); }
  // A transaction-scoped advisory lock: released by COMMIT or ROLLBACK, or when the
  // connection dies. The simpleclaw_schema table is made under it, so two instances
  // starting on an empty database do not race to create it.
  Status lock_schema() override {
    return exec(
        "SELECT pg_advisory_xact_lock(7262001); "
        "CREATE TABLE IF NOT EXISTS simpleclaw_schema (version BIGINT NOT NULL); "
        "INSERT INTO simpleclaw_schema SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM "
        "simpleclaw_schema)");
  }
  Result<std::int64_t> schema_version() override {
    if (auto u = usable(); !u.ok()) return u.error();
    PGresult* r = lib_.exec(conn_, "SELECT version FROM simpleclaw_schema");
    Result<std::int64_t> out = std::int64_t{0};
    if (lib_.resultStatus(r) != PGRES_TUPLES_OK)
      out = failure(r, "reading the schema version");
    else if (lib_.ntuples(r) > 0)
      out = std::strtoll(lib_.getvalue(r, 0, 0), nullptr, 10);
    lib_.clear(r);
    return out;
  }
  Status set_schema_version(std::int64_t v) override {
    return exec("UPDATE simpleclaw_schema SET version = " + std::to_string(v));
  }
  void release_memory() override {}
  const std::string& where() const override { return where_; }

 private:
  const PqLib& lib_;
  PGconn* conn_;
  std::string where_;
  std::uint64_t generation_ = 1;
  std::uint64_t names_ = 0;
  int changes_ = 0;
  bool in_tx_ = false;    // BEGIN ran, its COMMIT or ROLLBACK not yet
  bool tx_lost_ = false;  // ... and the connection was made again since: it is gone
  Clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_{0};
};

const PqLib& PgStmt::lib() const { return conn_.lib(); }

PgStmt::~PgStmt() {
  clear_result();
  // The server keeps a prepared statement until the connection closes: give it back
  // (a second live use of one SQL text gets its own statement, made and dropped here).
  if (prepared_in_ == conn_.generation() && !name_.empty()) (void)conn_.exec("DEALLOCATE " + name_);
}

void PgStmt::clear_result() {
  if (res_) lib().clear(res_);
  res_ = nullptr;
  ran_ = false;
  row_ = -1;
  rows_ = 0;
}

Result<bool> PgStmt::step() {
  if (ran_) {
    if (row_ + 1 < rows_) {
      ++row_;
      return true;
    }
    row_ = rows_;
    return false;
  }
  if (auto b = conn_.before(sql_); !b.ok()) return b.error();
  if (prepared_in_ != conn_.generation()) {
    std::string name = conn_.next_name();
    PGresult* p = lib().prepare(conn_.raw(), name.c_str(), st_.text.c_str(), st_.params, nullptr);
    if (lib().resultStatus(p) != PGRES_COMMAND_OK) {
      Error e = conn_.failure(p, "prepare `" + sql_.substr(0, 80) + "`");
      lib().clear(p);
      return e;
    }
    lib().clear(p);
    name_ = std::move(name);
    prepared_in_ = conn_.generation();
  }
  std::vector<const char*> vals(values_.size());
  std::vector<int> lens(values_.size());
  for (std::size_t i = 0; i < values_.size(); ++i) {
    vals[i] = nulls_[i] ? nullptr : values_[i].c_str();
    lens[i] = static_cast<int>(values_[i].size());
  }
  res_ = lib().execPrepared(conn_.raw(), name_.c_str(), st_.params, vals.data(), lens.data(),
                            binary_.data(), 0);
  const ExecStatusType st = lib().resultStatus(res_);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    Error e = conn_.failure(res_, "step `" + sql_.substr(0, 80) + "`");
    clear_result();
    conn_.after(sql_, false);
    return e;
  }
  if (auto c = conn_.check_commit(sql_, res_); !c.ok()) {
    clear_result();
    conn_.after(sql_, false);
    return c.error();
  }
  conn_.after(sql_, true);
  ran_ = true;
  rows_ = st == PGRES_TUPLES_OK ? lib().ntuples(res_) : 0;
  const char* n = lib().cmdTuples(res_);
  conn_.set_changes(n && *n ? std::atoi(n) : 0);
  if (rows_ > 0) {
    row_ = 0;
    return true;
  }
  return false;
}

}  // namespace

Result<Db> Db::open_postgres(const std::string& url) {
  auto lib = load_libpq();
  if (!lib.ok()) return lib.error();
  const PqLib& pq = **lib;
  // Defaults first; the URL's own settings (expand_dbname) override them. Keepalives
  // notice a server that vanished without closing the connection.
  const char* keys[] = {"connect_timeout",     "application_name", "keepalives", "keepalives_idle",
                        "keepalives_interval", "keepalives_count", "dbname",     nullptr};
  const char* values[] = {"5", "simpleclaw", "1", "10", "3", "3", url.c_str(), nullptr};
  PGconn* conn = pq.connectdbParams(keys, values, 1);
  if (!conn) return Error::unavailable("cannot connect to PostgreSQL: out of memory", 1000);
  auto text = [](const char* s) { return std::string(s ? s : ""); };
  std::string where = "postgresql://" + text(pq.user(conn)) + "@" + text(pq.host(conn)) + ":" +
                      text(pq.port(conn)) + "/" + text(pq.db(conn));
  if (pq.status(conn) != CONNECTION_OK) {
    std::string why = trimmed(pq.errorMessage(conn));
    pq.finish(conn);
    return Error::unavailable("cannot connect to PostgreSQL at " + where + ": " + why +
                                  " (check store.postgres.url, that the server runs, and the "
                                  "password)",
                              1000);
  }
  auto c = std::make_unique<PgConnection>(pq, conn, std::move(where));
  if (auto s = c->setup(); !s.ok()) return s.error();
  return Db(std::move(c));
}

}  // namespace simpleclaw::store
