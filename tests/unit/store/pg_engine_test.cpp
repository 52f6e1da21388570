// The PostgreSQL engine of store::Db against a real server (ctest's cluster_services
// fixture: scripts/cluster-services.sh). Registered under the cluster label only; each
// test makes its own database.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "store/db.h"
#include "store/migrations.h"
#include "support/test_store.h"

using namespace simpleclaw;
using namespace simpleclaw::store;

namespace {

class PgEngine : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    url_ = testing_support::pg_only_database(env_, why);
    ASSERT_FALSE(url_.empty()) << why;
  }
  Db open() {
    auto db = Db::open_postgres(url_);
    EXPECT_TRUE(db.ok()) << db.error().message;
    return std::move(db).value();
  }
  std::int64_t scalar(Db& db, const std::string& sql) {
    auto st = db.prepare(sql);
    EXPECT_TRUE(st.ok()) << st.error().message;
    auto row = st->step();
    EXPECT_TRUE(row.ok() && *row) << (row.ok() ? "no row" : row.error().message);
    return row.ok() && *row ? st->int64(0) : -1;
  }
  std::map<std::string, std::string> env_;
  std::string url_;
};

// Migration 1 inserts a row: it must exist once however many instances migrate at once.
constexpr Migration kPgMigrations[] = {
    {1,
     "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL); "
     "INSERT INTO a (id, name) VALUES (1, 'once');"},
    {2, "ALTER TABLE a ADD COLUMN note TEXT NOT NULL DEFAULT '';"},
};

}  // namespace

TEST_F(PgEngine, FourInstancesMigratingAtOnceApplyEachMigrationOnce) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      auto db = Db::open_postgres(url_);
      if (!db.ok()) return;
      auto v = migrate(*db, kPgMigrations);
      if (v.ok() && *v == 2) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 4);
  Db db = open();
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM a"), 1);
  EXPECT_EQ(*db.schema_version(), 2);
  auto again = migrate(db, kPgMigrations);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 2);
  // A database newer than the binary is refused, as on SQLite.
  ASSERT_TRUE(db.set_schema_version(9).ok());
  auto newer = migrate(db, kPgMigrations);
  ASSERT_FALSE(newer.ok());
  EXPECT_NE(newer.error().message.find("newer than this simpleclaw supports"), std::string::npos);
}

TEST_F(PgEngine, AFailedStatementAbortsTheTransactionAndCommitSaysNothingWasWritten) {
  Db db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (n INTEGER)").ok());
  const auto failures = db.failures();
  {
    Transaction tx(db);
    ASSERT_TRUE(tx.began().ok());
    auto ins = db.prepare("INSERT INTO t (n) VALUES (?1)");
    ASSERT_TRUE(ins->bind(1, 1).run().ok());
    auto bad = db.prepare("SELECT n FROM missing_table");
    ASSERT_TRUE(bad.ok());  // prepared lazily: the server says no at the first step
    auto row = bad->step();
    ASSERT_FALSE(row.ok());
    EXPECT_NE(row.error().message.find("missing_table"), std::string::npos) << row.error().message;
    EXPECT_GT(db.failures(), failures) << "the writer sees the failure";
    auto c = tx.commit();
    ASSERT_FALSE(c.ok()) << "PostgreSQL answers COMMIT with ROLLBACK here: not a success";
    EXPECT_NE(c.error().message.find("rolled back"), std::string::npos) << c.error().message;
  }
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), 0);
  // ROLLBACK TO a savepoint makes the transaction usable again (what the writer does).
  ASSERT_TRUE(db.begin().ok());
  ASSERT_TRUE(db.run("SAVEPOINT job").ok());
  EXPECT_FALSE(db.run("SELECT * FROM missing_table").ok());
  ASSERT_TRUE(db.run("ROLLBACK TO job").ok());
  ASSERT_TRUE(db.run("RELEASE job").ok());
  auto ins = db.prepare("INSERT INTO t (n) VALUES (?1)");
  ASSERT_TRUE(ins->bind(1, 2).run().ok());
  ASSERT_TRUE(db.run("COMMIT").ok());
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), 1);
}

TEST_F(PgEngine, ALostConnectionIsAClearErrorAndTheNextUseReconnects) {
  Db db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (n INTEGER); INSERT INTO t VALUES (7)").ok());
  EXPECT_EQ(scalar(db, "SELECT n FROM t"), 7);
  // Kill the server side of this connection from another one, as a restart would.
  auto admin = Db::open_postgres(env_["SIMPLECLAW_PG_URL"]);
  ASSERT_TRUE(admin.ok());
  const std::string dbname = url_.substr(url_.rfind('/') + 1);
  ASSERT_TRUE(
      admin
          ->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" +
                 dbname + "' AND pid <> pg_backend_pid()")
          .ok());
  auto st = db.prepare("SELECT n FROM t");
  ASSERT_TRUE(st.ok());
  auto lost = st->step();
  ASSERT_FALSE(lost.ok());
  EXPECT_TRUE(lost.error().is_unavailable()) << lost.error().message;
  EXPECT_NE(lost.error().message.find("cannot reach PostgreSQL at postgresql://simpleclaw@"),
            std::string::npos)
      << lost.error().message;
  EXPECT_EQ(lost.error().message.find(env_["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);
  st->reset();
  // Reconnected (with backoff) and the statements prepared again on the new connection.
  std::int64_t n = -1;
  for (int i = 0; i < 100 && n != 7; ++i) {
    auto s = db.prepare("SELECT n FROM t");
    if (auto r = s->step(); r.ok() && *r)
      n = s->int64(0);
    else
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(n, 7);
}

// A transaction whose connection dies is gone, even though the next statement reconnects:
// nothing after the loss may run on the new connection (it would commit row by row), and
// its COMMIT must say nothing was written.
TEST_F(PgEngine, AConnectionLostInsideATransactionCommitsNothingOfIt) {
  Db db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE t (n INTEGER)").ok());
  auto admin = Db::open_postgres(env_["SIMPLECLAW_PG_URL"]);
  ASSERT_TRUE(admin.ok());
  const std::string dbname = url_.substr(url_.rfind('/') + 1);
  auto insert = [&](int n) {
    auto st = db.prepare("INSERT INTO t (n) VALUES (?1)");
    return st->bind(1, n).run();
  };
  {
    Transaction tx(db);
    ASSERT_TRUE(tx.began().ok());
    ASSERT_TRUE(insert(1).ok());
    ASSERT_TRUE(admin
                    ->exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "datname = '" +
                           dbname + "' AND pid <> pg_backend_pid()")
                    .ok());
    EXPECT_FALSE(insert(2).ok()) << "the connection is gone";
    auto after = insert(3);  // reconnects, but the transaction is not there any more
    ASSERT_FALSE(after.ok());
    EXPECT_NE(after.error().message.find("lost during the transaction"), std::string::npos)
        << after.error().message;
    auto c = tx.commit();
    ASSERT_FALSE(c.ok()) << "nothing of it was written: COMMIT must not say otherwise";
    EXPECT_TRUE(c.error().is_unavailable());
  }
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), 0);
  Transaction tx(db);  // the next one works on the new connection
  ASSERT_TRUE(tx.began().ok());
  ASSERT_TRUE(insert(4).ok());
  ASSERT_TRUE(tx.commit().ok());
  EXPECT_EQ(scalar(db, "SELECT count(*) FROM t"), 1);
}

TEST_F(PgEngine, AWrongPasswordOrNoServerIsAClearErrorWithoutThePassword) {
  const std::string port = env_["SIMPLECLAW_PG_PORT"];
  auto wrong =
      Db::open_postgres("postgres://simpleclaw:NotThePassword42@127.0.0.1:" + port + "/simpleclaw");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("password authentication failed"), std::string::npos)
      << wrong.error().message;
  EXPECT_EQ(wrong.error().message.find("NotThePassword42"), std::string::npos);
  // A port nobody listens on (this one was free a moment ago).
  auto none = Db::open_postgres("postgres://simpleclaw:Secret99@127.0.0.1:1/simpleclaw");
  ASSERT_FALSE(none.ok());
  EXPECT_TRUE(none.error().is_unavailable());
  EXPECT_NE(none.error().message.find("cannot connect to PostgreSQL at "
                                      "postgresql://simpleclaw@127.0.0.1:1/simpleclaw"),
            std::string::npos)
      << none.error().message;
  EXPECT_EQ(none.error().message.find("Secret99"), std::string::npos);
}

TEST_F(PgEngine, ValuesReadBackAsOnSqliteAndNulTextIsRefused) {
  Db db = open();
  ASSERT_TRUE(db.exec("CREATE TABLE v (i BIGINT, s TEXT, b BYTEA, n TEXT)").ok());
  auto ins = db.prepare("INSERT INTO v VALUES (?1, ?2, ?3, ?4) RETURNING i");
  ASSERT_TRUE(ins.ok());
  std::string blob("\0\x01\xff binary", 10);
  std::string text = "héllo \"quoted\" 'x'; DROP TABLE v; --";
  ins->bind(1, std::int64_t{1} << 53).bind(2, text).bind_blob(3, blob).bind_null(4);
  auto r = ins->step();
  ASSERT_TRUE(r.ok() && *r) << (r.ok() ? "" : r.error().message);
  EXPECT_EQ(ins->int64(0), std::int64_t{1} << 53);
  ins->reset();
  auto sel = db.prepare(
      "SELECT i, s, b, n, sum(i) OVER (), i > 0, CASE WHEN s != '' THEN 1 ELSE 0 END FROM v");
  ASSERT_TRUE(sel->step().value());
  EXPECT_EQ(sel->int64(0), std::int64_t{1} << 53);
  EXPECT_EQ(sel->text(1), text) << "parameters are bound, never spliced into SQL";
  EXPECT_EQ(sel->blob(2), blob);
  EXPECT_TRUE(sel->is_null(3));
  EXPECT_EQ(sel->int64(3), 0);
  EXPECT_EQ(sel->text(3), "");
  EXPECT_EQ(sel->int64(4), std::int64_t{1} << 53) << "a numeric sum reads as an integer";
  EXPECT_EQ(sel->int64(5), 1) << "a boolean reads as 1";
  EXPECT_EQ(sel->int64(6), 1);
  EXPECT_FALSE(sel->step().value());
  sel->reset();
  auto nul = db.prepare("INSERT INTO v (s) VALUES (?1)");
  auto bad = nul->bind(1, std::string_view("a\0b", 3)).run();
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("NUL"), std::string::npos);
}

// TLS is libpq's, through the URL: sslmode=verify-full with the server's CA encrypts and
// checks the server's name; a server whose certificate another CA signed is refused, and
// the error names the server, never the password.
TEST_F(PgEngine, ATlsUrlIsEncryptedAndAServerWithAnUntrustedCertificateIsRefused) {
  ASSERT_FALSE(env_["SIMPLECLAW_PG_CA"].empty()) << "cluster-services.sh gives the test CA";
  const std::string tls = url_ + "?sslmode=verify-full&sslrootcert=" + env_["SIMPLECLAW_PG_CA"];
  auto db = Db::open_postgres(tls);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ(scalar(*db,
                   "SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl WHERE pid = "
                   "pg_backend_pid()"),
            1)
      << "the connection is encrypted";
  auto plain = Db::open_postgres(url_ + "?sslmode=disable");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(scalar(*plain,
                   "SELECT CASE WHEN ssl THEN 1 ELSE 0 END FROM pg_stat_ssl WHERE pid = "
                   "pg_backend_pid()"),
            0);

  auto untrusted = Db::open_postgres(
      url_ + "?sslmode=verify-full&sslrootcert=" + env_["SIMPLECLAW_PG_OTHER_CA"]);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.error().message.find("certificate verify failed"), std::string::npos)
      << untrusted.error().message;
  EXPECT_EQ(untrusted.error().message.find(env_["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);
}
