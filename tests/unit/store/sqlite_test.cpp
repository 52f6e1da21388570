// The SQLite wrapper and migrations against real database files in a temp dir.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "store/db.h"
#include "store/migrations.h"

using namespace simpleclaw;
using namespace simpleclaw::store;

namespace {

class StoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sc-store-XXXXXX";
    dir_ = ::mkdtemp(tmpl);
    path_ = dir_ + "/test.db";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_, path_;
};

constexpr Migration kMigrations[] = {
    {1, "CREATE TABLE a (id INTEGER PRIMARY KEY, name TEXT NOT NULL);"},
    {2, "ALTER TABLE a ADD COLUMN note TEXT; CREATE INDEX a_name ON a(name);"},
};

bool next(Stmt& st) {
  auto r = st.step();
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() && r.value();
}

std::int64_t version(Db& db) {
  auto v = db.schema_version();
  EXPECT_TRUE(v.ok());
  return v.ok() ? v.value() : -1;
}

std::int64_t count(Db& db, const std::string& sql) {
  auto st = db.prepare(sql);
  EXPECT_TRUE(st.ok()) << (st.ok() ? "" : st.error().message);
  auto row = st->step();
  EXPECT_TRUE(row.ok() && *row);
  return st->int64(0);
}

}  // namespace

TEST_F(StoreTest, OpensInWalModeWithFullSync) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto mode = db->prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(next(*mode));
  EXPECT_EQ(mode->text(0), "wal");
  EXPECT_EQ(count(*db, "PRAGMA synchronous"), 2);  // FULL
  EXPECT_EQ(count(*db, "PRAGMA foreign_keys"), 1);
  auto integrity = db->integrity_check();
  ASSERT_TRUE(integrity.ok());
  EXPECT_EQ(integrity.value(), "ok");
}

TEST_F(StoreTest, BindAndColumnRoundTrip) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec("CREATE TABLE t (i INTEGER, s TEXT, b BLOB, n TEXT)").ok());
  auto ins = db->prepare("INSERT INTO t VALUES (?, ?, ?, ?)");
  ASSERT_TRUE(ins.ok());
  std::string blob("\0\x01\xff binary", 10);
  std::string text = "héllo \"quoted\" 'x'; DROP TABLE t; --";
  ins->bind(1, std::int64_t{1} << 53).bind(2, text).bind_blob(3, blob).bind_null(4);
  ASSERT_TRUE(ins->run().ok());
  EXPECT_EQ(db->changes(), 1);
  auto sel = db->prepare("SELECT i, s, b, n FROM t");
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(next(*sel));
  EXPECT_EQ(sel->int64(0), std::int64_t{1} << 53);
  EXPECT_EQ(sel->text(1), text) << "parameters are bound, never spliced into SQL";
  EXPECT_EQ(sel->blob(2), blob);
  EXPECT_TRUE(sel->is_null(3));
  EXPECT_FALSE(next(*sel));
}

// prepare() reuses the compiled statement: same handle, bindings cleared, reset, and
// a nested use of the same SQL (a loop over its rows that runs it again) gets its own.
TEST_F(StoreTest, PreparedStatementsAreReusedAndNestedUseIsSafe) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec("CREATE TABLE t (n INTEGER)").ok());
  const char* ins = "INSERT INTO t (n) VALUES (?1)";
  {
    auto st = db->prepare(ins);
    ASSERT_TRUE(st.ok());
    ASSERT_TRUE(st->bind(1, 1).run().ok());
  }
  const std::size_t cached = db->cached_statements();
  for (int i = 2; i <= 3; ++i) {
    auto st = db->prepare(ins);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(db->cached_statements(), cached) << "compiled once";
    ASSERT_TRUE(st->bind(1, i).run().ok());
  }
  {
    auto unbound = db->prepare(ins);  // bindings of the last use are cleared: NULL
    ASSERT_TRUE(unbound->run().ok());
  }
  const char* sel = "SELECT n FROM t WHERE n IS NOT NULL ORDER BY n";
  auto outer = db->prepare(sel);
  ASSERT_TRUE(outer.ok());
  int rows = 0, inner_rows = 0;
  while (next(*outer)) {
    ++rows;
    auto inner = db->prepare(sel);  // same SQL while the outer is mid-iteration
    ASSERT_TRUE(inner.ok());
    while (next(*inner)) ++inner_rows;
  }
  EXPECT_EQ(rows, 3);
  EXPECT_EQ(inner_rows, 9);
  ASSERT_TRUE(db->run("BEGIN IMMEDIATE").ok());
  ASSERT_TRUE(db->run("ROLLBACK").ok());
  ASSERT_TRUE(db->run("BEGIN IMMEDIATE").ok()) << "the cached BEGIN runs again";
  ASSERT_TRUE(db->run("COMMIT").ok());
}

TEST_F(StoreTest, ErrorsNameTheStatement) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  auto bad = db->prepare("SELEC nonsense");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("SELEC nonsense"), std::string::npos) << bad.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE u (k TEXT PRIMARY KEY)").ok());
  auto ins = db->prepare("INSERT INTO u VALUES (?)");
  ins->bind(1, std::string_view("same"));
  ASSERT_TRUE(ins->run().ok());
  ins->reset();
  ins->bind(1, std::string_view("same"));
  auto dup = ins->run();
  ASSERT_FALSE(dup.ok());
  EXPECT_NE(dup.error().message.find("UNIQUE"), std::string::npos) << dup.error().message;
}

TEST_F(StoreTest, TransactionRollsBackUnlessCommitted) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->exec("CREATE TABLE t (x INTEGER)").ok());
  {
    Transaction tx(*db);
    ASSERT_TRUE(tx.began().ok());
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (1)").ok());
  }  // no commit
  EXPECT_EQ(count(*db, "SELECT count(*) FROM t"), 0);
  {
    Transaction tx(*db);
    ASSERT_TRUE(db->exec("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(tx.commit().ok());
  }
  EXPECT_EQ(count(*db, "SELECT count(*) FROM t"), 1);
}

TEST_F(StoreTest, CommittedRowsSurviveReopen) {
  {
    auto db = Db::open(path_);
    ASSERT_TRUE(db->exec("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('kept')").ok());
  }
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(count(*db, "SELECT count(*) FROM t WHERE x = 'kept'"), 1);
}

TEST_F(StoreTest, MigrationsApplyInOrderOnce) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok());
  auto v = migrate(*db, kMigrations);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(version(*db), 2);
  ASSERT_TRUE(db->exec("INSERT INTO a (name, note) VALUES ('x', 'y')").ok());
  // Running again changes nothing (and does not fail on the existing table).
  auto again = migrate(*db, kMigrations);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(count(*db, "SELECT count(*) FROM a"), 1);
}

TEST_F(StoreTest, FromAnOlderVersionOnlyPendingMigrationsRun) {
  {
    auto db = Db::open(path_);
    ASSERT_TRUE(migrate(*db, std::span(kMigrations, 1)).ok());
    ASSERT_TRUE(db->exec("INSERT INTO a (name) VALUES ('old row')").ok());
  }
  auto db = Db::open(path_);
  auto v = migrate(*db, kMigrations);
  ASSERT_TRUE(v.ok()) << v.error().message;
  EXPECT_EQ(*v, 2);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM a WHERE name = 'old row' AND note IS NULL"), 1);
}

TEST_F(StoreTest, AFailingMigrationLeavesThePreviousVersionIntact) {
  constexpr Migration broken[] = {
      {1, "CREATE TABLE a (id INTEGER PRIMARY KEY);"},
      {2, "CREATE TABLE b (id INTEGER); INSERT INTO nowhere VALUES (1);"},
  };
  auto db = Db::open(path_);
  auto v = migrate(*db, broken);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("migration 2 failed"), std::string::npos) << v.error().message;
  EXPECT_EQ(version(*db), 1);
  EXPECT_EQ(count(*db, "SELECT count(*) FROM sqlite_master WHERE name = 'b'"), 0)
      << "the half-applied step was rolled back";
}

TEST_F(StoreTest, ANewerDatabaseIsRefused) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db->set_schema_version(7).ok());
  auto v = migrate(*db, kMigrations);
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.error().message.find("newer than this simpleclaw supports"), std::string::npos);
  EXPECT_EQ(version(*db), 7) << "nothing was touched";
}

TEST_F(StoreTest, AFileThatIsNotADatabaseIsAClearError) {
  std::ofstream(path_) << "this is a text file, not SQLite, padded to look like a real file "
                       << std::string(4096, 'x');
  auto db = Db::open(path_);
  ASSERT_FALSE(db.ok());
  EXPECT_NE(db.error().message.find("not a usable SQLite database"), std::string::npos)
      << db.error().message;
  EXPECT_NE(db.error().message.find("move it aside"), std::string::npos);
}

namespace {

// What kind of failure a SQLite error is: callers and clients act on the code (a full or
// read-only disk is the machine's problem and retried later, never a bad request).
TEST_F(StoreTest, SqliteFailuresAreTypedByWhatFailed) {
  auto db = Db::open(path_);
  ASSERT_TRUE(db.ok()) << db.error().message;
  ASSERT_TRUE(db->exec("CREATE TABLE t (k TEXT PRIMARY KEY)").ok());
  ASSERT_TRUE(db->exec("INSERT INTO t VALUES ('a')").ok());

  Status dup = db->exec("INSERT INTO t VALUES ('a')");
  ASSERT_FALSE(dup.ok());
  EXPECT_TRUE(dup.error().is_conflict()) << dup.error().message;

  Status bad_sql = db->exec("SELEC nonsense");
  ASSERT_FALSE(bad_sql.ok());
  EXPECT_TRUE(bad_sql.error().is_internal()) << "our SQL is wrong: a bug, not the client's";

  ASSERT_TRUE(db->exec("PRAGMA query_only = 1").ok());  // what a read-only disk looks like
  Status ro = db->exec("INSERT INTO t VALUES ('b')");
  ASSERT_FALSE(ro.ok());
  EXPECT_TRUE(ro.error().is_io()) << ro.error().message;
  EXPECT_EQ(ro.error().detail_code(), "STORE_ERROR");
  for (const Status* s : {&dup, &bad_sql, &ro})
    EXPECT_FALSE(s->error().is_invalid()) << "never INVALID_REQUEST: " << s->error().message;
}

TEST_F(StoreTest, AnUnopenableDatabaseIsAnIoError) {
  auto db = Db::open(dir_ + "/no/such/dir/x.db");
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.error().is_io()) << db.error().message;
}

}  // namespace
