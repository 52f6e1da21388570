// `simpleclaw store migrate --to postgres`: a SQLite state (written by the real gateway,
// plus a large transcript seeded through the store) copied into PostgreSQL, resumed
// after a partial copy, verified, refused when it must be; then the gateway on
// PostgreSQL serves the copied history and keeps writing. Needs the cluster_services
// fixture (label cluster).
#include <gtest/gtest.h>

#include "chat_helpers.h"
#include "integration/cli_run.h"
#include "sessions/store.h"
#include "support/test_store.h"

using namespace sctest;
using namespace simpleclaw;
using namespace sctest::fakes;

namespace {

constexpr const char* kSqlite = "store:\n  backend: sqlite\n";

class StoreMigrate : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    url_ = testing_support::pg_only_database(env_, why);
    ASSERT_FALSE(url_.empty()) << why;
  }
  CmdResult migrate(const std::string& state, const std::string& url) {
    return run_command({SIMPLECLAW_BIN, "store", "migrate", "--to", "postgres", "--url", url,
                        "--state-dir", state},
                       CmdOptions{.timeout_s = 120});
  }
  std::int64_t pg_count(const std::string& table) {
    auto db = store::Db::open_postgres(url_);
    EXPECT_TRUE(db.ok());
    auto n = store::count_rows(*db, table);
    return n.ok() ? *n : -1;
  }
  std::map<std::string, std::string> env_;
  std::string url_;
};

}  // namespace

TEST_F(StoreMigrate, CopiesEveryTableResumesAfterAStopAndTheGatewayCarriesOnInPostgres) {
  FakeLlm llm;
  Script s;
  s.chunks = {"first answer"};
  llm.push(s);
  TempDir state;
  {
    START_GATEWAY(gw, [&] {
      StartOptions o = with_config(config_for(llm, kSqlite));
      o.state_dir = state.path();
      return o;
    }());
    auto c = gw->connect();
    ASSERT_NE(c, nullptr);
    send(*c, "main", "hello before the move", "run-1");
    chat_events(*c, "run-1");
    auto job = c->call("cron.add", Json{{"name", "nightly"},
                                        {"schedule", {{"kind", "every"}, {"everyMs", 3600000}}},
                                        {"payload", {{"kind", "agentTurn"}, {"message", "ping"}}}});
    ASSERT_TRUE(job.ok()) << job.error().message;
    // Refused while the gateway runs: a write made during the copy would be missed.
    auto busy = migrate(state.path(), url_);
    EXPECT_EQ(busy.code, 1);
    EXPECT_NE(busy.err.find("a gateway is running"), std::string::npos) << busy.err;
    EXPECT_EQ(pg_count("sessions"), -1) << "nothing was created";
  }
  {  // 2,500 more messages: several batches of 1,000, progress for each.
    auto st = sessions::SessionStore::open(state.path() + "/sessions.db");
    ASSERT_TRUE(st.ok());
    store::Transaction tx(st->db());  // one commit: a fsync per turn would take seconds
    for (int i = 0; i < 1250; ++i) {
      auto key = sessions::parse_session_key("big", "main");
      sessions::BeginRun b{*key, "bulk-" + std::to_string(i), "u-" + std::to_string(i),
                           "question " + std::to_string(i), 1000 + i};
      ASSERT_TRUE(st->begin_run(b).ok());
      sessions::FinishRun f;
      f.run_id = b.run_id;
      f.session_key = key->key;
      f.status = sessions::RunStatus::kFinal;
      sessions::Entry e;
      e.message_id = "a-" + std::to_string(i);
      e.text = "answer " + std::to_string(i);
      f.reply = e;
      ASSERT_TRUE(st->finish_run(f).ok());
    }
    ASSERT_TRUE(tx.commit().ok());
  }
  auto first = migrate(state.path(), url_);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_NE(first.out.find("counts verified"), std::string::npos) << first.out;
  EXPECT_NE(first.err.find("entries      1000/2502"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("entries      2502/2502"), std::string::npos) << first.err;
  EXPECT_EQ(first.out.find(env_["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);
  EXPECT_EQ(first.err.find(env_["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);
  EXPECT_EQ(pg_count("entries"), 2502);
  EXPECT_EQ(pg_count("cron_jobs"), 1);

  // A copy that stopped part-way: the target holds a prefix. Running again finishes it.
  {
    auto db = store::Db::open_postgres(url_);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->exec("DELETE FROM entries WHERE id > 1700; DELETE FROM runs WHERE run_id > "
                         "'bulk-900'; DELETE FROM cron_jobs")
                    .ok());
  }
  auto resumed = migrate(state.path(), url_);
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_NE(resumed.err.find("entries      2502/2502"), std::string::npos) << resumed.err;
  EXPECT_EQ(pg_count("entries"), 2502);
  EXPECT_EQ(pg_count("runs"), 1251);
  EXPECT_EQ(pg_count("cron_jobs"), 1);

  // The gateway on PostgreSQL: the old conversation is there, and a new turn is stored
  // after it (the copied ids moved the identity sequence on).
  Script s2;
  s2.chunks = {"after the move"};
  llm.push(s2);
  TempDir state2;
  const std::string yaml =
      config_for(llm, "store:\n  backend: postgres\n  postgres:\n    url: " + url_ + "\n");
  START_GATEWAY(pg, [&] {
    StartOptions o = with_config(yaml);
    o.state_dir = state2.path();
    return o;
  }());
  auto c = pg->connect();
  ASSERT_NE(c, nullptr);
  auto h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ((*h)["messages"].size(), 2u);
  EXPECT_EQ((*h)["messages"][0]["content"][0]["text"], "hello before the move");
  send(*c, "main", "and after", "run-2");
  auto evs = chat_events(*c, "run-2");
  ASSERT_FALSE(evs.empty());
  EXPECT_EQ(evs.back()["state"], "final") << evs.back().dump();
  h = c->call("chat.history", Json{{"sessionKey", "main"}});
  ASSERT_TRUE(h.ok());
  ASSERT_EQ((*h)["messages"].size(), 4u);
  EXPECT_EQ((*h)["messages"][3]["content"][0]["text"], "after the move");
  auto jobs = c->call("cron.list", Json::object());
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ((*jobs)["jobs"].size(), 1u) << jobs->dump();
  EXPECT_EQ(pg_count("entries"), 2504);
}

TEST_F(StoreMigrate, BadInputIsAClearErrorAndCopiesNothing) {
  TempDir state;
  auto none = migrate(state.path(), url_);
  EXPECT_EQ(none.code, 1);
  EXPECT_NE(none.err.find("no state to migrate"), std::string::npos) << none.err;
  {
    auto st = sessions::SessionStore::open(state.path() + "/sessions.db");
    ASSERT_TRUE(st.ok());
  }
  auto wrong = run_command({SIMPLECLAW_BIN, "store", "migrate", "--to", "mysql", "--url", url_,
                            "--state-dir", state.path()});
  EXPECT_EQ(wrong.code, 2);
  EXPECT_NE(wrong.err.find("--to must be postgres"), std::string::npos) << wrong.err;
  auto unreachable = migrate(state.path(), "postgres://simpleclaw:Hidden77@127.0.0.1:1/x");
  EXPECT_EQ(unreachable.code, 1);
  EXPECT_NE(unreachable.err.find("cannot connect to PostgreSQL"), std::string::npos)
      << unreachable.err;
  EXPECT_EQ(unreachable.err.find("Hidden77"), std::string::npos);
  // A database that holds someone else's data is not written over.
  {
    auto other = sessions::SessionStore::open_postgres(url_, state.path() + "/m");
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(other->ensure(*sessions::parse_session_key("theirs", "main"), 5).ok());
  }
  auto taken = migrate(state.path(), url_);
  EXPECT_EQ(taken.code, 1);
  EXPECT_NE(taken.err.find("holds other data"), std::string::npos) << taken.err;
  EXPECT_EQ(pg_count("sessions"), 1);
}

// The copy's table list covers the whole schema (a new table must be added to it).
TEST_F(StoreMigrate, TheTableListCoversEveryTableOfTheSchema) {
  TempDir state;
  auto st = sessions::SessionStore::open(state.path() + "/sessions.db");
  ASSERT_TRUE(st.ok());
  auto names = st->table_names();
  ASSERT_TRUE(names.ok());
  std::set<std::string> listed;
  for (const auto& t : sessions::SessionStore::tables()) listed.insert(t.table);
  EXPECT_EQ(std::set<std::string>(names->begin(), names->end()), listed);
  auto pg = sessions::SessionStore::open_postgres(url_, state.path() + "/m");
  ASSERT_TRUE(pg.ok());
  auto pg_names = pg->table_names();
  ASSERT_TRUE(pg_names.ok());
  EXPECT_EQ(std::set<std::string>(pg_names->begin(), pg_names->end()), listed);
}
