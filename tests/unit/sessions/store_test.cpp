// SessionStore and DbWorker against real SQLite files in a temp directory, and (the
// cluster.pg.* copies ctest registers) against a real PostgreSQL database each.
#include "sessions/store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <optional>
#include <thread>

#include "sessions/db_worker.h"
#include "support/test_store.h"

using namespace simpleclaw;
using namespace simpleclaw::sessions;

namespace {

// SQLite, or PostgreSQL for the cluster.pg.* copies of these tests (support/test_store.h).
using TempDb = testing_support::TestStore;

SessionKey key(const std::string& rest, const std::string& agent = "main") {
  SessionKey k;
  k.key = "agent:" + agent + ":" + rest;
  k.agent_id = agent;
  k.rest = rest;
  k.kind = "direct";
  return k;
}

BeginRun begin(const std::string& k, const std::string& run, const std::string& text,
               std::int64_t now = 1000) {
  return BeginRun{key(k), run, "m-" + run, text, now};
}

FinishRun finish(const std::string& k, const std::string& run, const std::string& text,
                 RunStatus status = RunStatus::kFinal, std::int64_t now = 2000) {
  FinishRun f;
  f.run_id = run;
  f.session_key = "agent:main:" + k;
  f.status = status;
  Entry e;
  e.message_id = "a-" + run;
  e.text = text;
  e.state = status == RunStatus::kFinal     ? EntryState::kComplete
            : status == RunStatus::kAborted ? EntryState::kAborted
                                            : EntryState::kError;
  e.stop_reason = status == RunStatus::kFinal ? "stop" : "";
  e.input_tokens = 10;
  e.output_tokens = 5;
  f.reply = e;
  f.input_tokens = 10;
  f.output_tokens = 5;
  f.now = now;
  return f;
}

}  // namespace

TEST(SessionStore, UserMessageIsDurableAndVisibleAfterReopen) {
  TempDb t;
  {
    auto s = t.open();
    ASSERT_TRUE(s.ok()) << s.error().message;
    auto r = s->begin_run(begin("main", "r1", "hello"));
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_FALSE(r->existing);
    EXPECT_EQ(r->user.text, "hello");
    EXPECT_EQ(r->session.status, SessionStatus::kRunning);
  }
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  auto h = s->history("agent:main:main", 200, 0);
  ASSERT_TRUE(h.ok()) << h.error().message;
  ASSERT_EQ(h->entries.size(), 1u);
  EXPECT_EQ(h->entries[0].role, Role::kUser);
  EXPECT_EQ(h->entries[0].text, "hello");
  EXPECT_EQ(h->entries[0].run_id, "r1");
}

TEST(SessionStore, DuplicateRunIdWritesNothingAndReportsTheExistingRun) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->begin_run(begin("main", "r1", "hello")).ok());
  ASSERT_TRUE(s->finish_run(finish("main", "r1", "hi there")).ok());
  auto again = s->begin_run(begin("main", "r1", "hello"));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(again->existing);
  EXPECT_EQ(again->existing->status, RunStatus::kFinal);
  auto h = s->history("agent:main:main", 200, 0);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->entries.size(), 2u);  // user + assistant, no second user message
}

TEST(SessionStore, FinishRunAppendsReplyAndCountsTokens) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->begin_run(begin("main", "r1", "hello")).ok());
  auto f = s->finish_run(finish("main", "r1", "hi there"));
  ASSERT_TRUE(f.ok()) << f.error().message;
  ASSERT_TRUE(*f);
  auto sess = s->get("agent:main:main");
  ASSERT_TRUE(sess.ok() && *sess);
  EXPECT_EQ((*sess)->input_tokens, 10);
  EXPECT_EQ((*sess)->output_tokens, 5);
  EXPECT_EQ((*sess)->last_preview, "hi there");
  auto run = s->get_run("r1");
  ASSERT_TRUE(run.ok() && *run);
  EXPECT_EQ((*run)->status, RunStatus::kFinal);
  const Entry& reply = **f;
  EXPECT_EQ(reply.role, Role::kAssistant);
  EXPECT_EQ(reply.text, "hi there");
  EXPECT_EQ(reply.stop_reason, "stop");
  EXPECT_EQ(reply.input_tokens + reply.output_tokens, 15);
  EXPECT_EQ(reply.run_id, "r1");
}

TEST(SessionStore, RecoverMarksInterruptedRunsAndContextSkipsErrors) {
  TempDb t;
  {
    auto s = t.open();
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(s->begin_run(begin("main", "r1", "first")).ok());
    ASSERT_TRUE(s->finish_run(finish("main", "r1", "answer one")).ok());
    ASSERT_TRUE(s->begin_run(begin("main", "r2", "second")).ok());  // crash while running
    ASSERT_TRUE(s->mark_running("r2").ok());
    ASSERT_TRUE(s->begin_run(begin("main", "r3", "third")).ok());  // queued behind it
  }
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  auto marked = s->recover(5000);
  ASSERT_TRUE(marked.ok());
  EXPECT_EQ(*marked, 1);
  auto run = s->get_run("r2");
  ASSERT_TRUE(run.ok() && *run);
  EXPECT_EQ((*run)->status, RunStatus::kError);
  EXPECT_NE((*run)->error.find("interrupted"), std::string::npos);
  // The run that never started is not lost: it is handed back to be run.
  auto queued = s->queued_runs();
  ASSERT_TRUE(queued.ok());
  ASSERT_EQ(queued->size(), 1u);
  EXPECT_EQ((*queued)[0].run_id, "r3");
  EXPECT_EQ((*queued)[0].session_key, "agent:main:main");
  EXPECT_EQ((*queued)[0].user_message_id, "m-r3");
  auto sess = s->get("agent:main:main");
  EXPECT_EQ((*sess)->status, SessionStatus::kIdle);
  // The acknowledged user messages stay in history and in the model's context.
  auto ctx = s->context((*sess)->session_id, 100);
  ASSERT_TRUE(ctx.ok());
  ASSERT_EQ(ctx->size(), 4u);
  EXPECT_EQ((*ctx)[2].text, "second");
}

TEST(SessionStore, HistoryPagesNewestFirstWithHasMore) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  for (int i = 0; i < 5; ++i) {
    std::string run = "r" + std::to_string(i);
    ASSERT_TRUE(s->begin_run(begin("main", run, "q" + std::to_string(i), 1000 + i)).ok());
    ASSERT_TRUE(s->finish_run(finish("main", run, "a" + std::to_string(i))).ok());
  }
  auto p1 = s->history("agent:main:main", 4, 0);
  ASSERT_TRUE(p1.ok());
  ASSERT_EQ(p1->entries.size(), 4u);
  EXPECT_TRUE(p1->has_more);
  EXPECT_EQ(p1->entries.front().text, "q3");  // chronological within the page
  EXPECT_EQ(p1->entries.back().text, "a4");
  auto p3 = s->history("agent:main:main", 4, 8);
  ASSERT_TRUE(p3.ok());
  ASSERT_EQ(p3->entries.size(), 2u);
  EXPECT_FALSE(p3->has_more);
  EXPECT_EQ(p3->entries.front().text, "q0");
  auto missing = s->history("agent:main:nope", 10, 0);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("session not found"), std::string::npos);
}

TEST(SessionStore, ResetStartsANewTranscriptAndKeepsTheOld) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->begin_run(begin("main", "r1", "old message")).ok());
  std::string old_id = (*s->get("agent:main:main"))->session_id;
  auto r = s->reset("agent:main:main", "new-session-id", 3000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->session_id, "new-session-id");
  auto h = s->history("agent:main:main", 10, 0);
  ASSERT_TRUE(h.ok());
  EXPECT_TRUE(h->entries.empty());
  auto old = s->context(old_id, 10);
  ASSERT_TRUE(old.ok());
  ASSERT_EQ(old->size(), 1u);
  EXPECT_EQ((*old)[0].text, "old message");
}

TEST(SessionStore, ListFiltersSearchPatchAndRemove) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  ASSERT_TRUE(s->begin_run(BeginRun{key("main"), "r1", "m1", "x", 100}).ok());
  ASSERT_TRUE(s->begin_run(BeginRun{key("main", "ops"), "r2", "m2", "y", 200}).ok());
  ASSERT_TRUE(s->begin_run(BeginRun{key("telegram:direct:42"), "r3", "m3", "z", 300}).ok());
  ListFilter all;
  auto l = s->list(all);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->second, 3);
  EXPECT_EQ(l->first.front().key, "agent:main:telegram:direct:42");  // newest first
  ListFilter by_agent;
  by_agent.agent_id = "ops";
  EXPECT_EQ(s->list(by_agent)->second, 1);
  SessionPatch p;
  p.label = "Work Chat";
  p.pinned = true;
  auto patched = s->patch("agent:main:main", p, 400);
  ASSERT_TRUE(patched.ok());
  EXPECT_EQ(patched->label, "Work Chat");
  ListFilter search;
  search.search = "work";
  auto found = s->list(search);
  ASSERT_EQ(found->second, 1);
  EXPECT_EQ(found->first[0].key, "agent:main:main");
  EXPECT_EQ(s->list(all)->first.front().key, "agent:main:main");  // pinned first
  auto removed = s->remove("agent:main:main");
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(*removed);
  EXPECT_FALSE(*s->get("agent:main:main"));
  EXPECT_EQ(s->list(all)->second, 2);
}

TEST(DbWorker, GroupCommitsABurstAndCompletesInOrder) {
  TempDb t;
  boost::asio::io_context io;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  DbWorker w(io, std::move(s).value());
  std::vector<int> order;
  constexpr int kJobs = 300;
  for (int i = 0; i < kJobs; ++i) {
    std::string run = "r" + std::to_string(i);
    w.post([run](SessionStore& st) { return st.begin_run(begin("s" + run, run, "hi")); },
           [&order, i](Result<BeginRunResult> r) {
             EXPECT_TRUE(r.ok());
             order.push_back(i);
           });
  }
  while (static_cast<int>(order.size()) < kJobs)
    if (io.run_one() == 0) io.restart();  // stopped when it ran out of work
  for (int i = 0; i < kJobs; ++i) ASSERT_EQ(order[i], i);
  EXPECT_LT(w.batches(), static_cast<std::uint64_t>(kJobs));  // batched, not one fsync each
  w.stop();
  auto again = t.open();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->list(ListFilter{})->second, kJobs);
}

TEST(DbWorker, AFailingJobRollsBackAloneOthersCommit) {
  TempDb t;
  boost::asio::io_context io;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  DbWorker w(io, std::move(s).value());
  int done = 0;
  bool failed = false;
  w.post([](SessionStore& st) { return st.begin_run(begin("a", "r1", "kept")); },
         [&](Result<BeginRunResult> r) {
           EXPECT_TRUE(r.ok());
           ++done;
         });
  w.post(
      [](SessionStore& st) -> Status {
        // Writes a session, then fails: the write must not survive.
        (void)st.ensure(key("doomed"), 1);
        return Error::invalid("boom");
      },
      [&](Status r) {
        failed = !r.ok();
        ++done;
      });
  while (done < 2)
    if (io.run_one() == 0) io.restart();
  EXPECT_TRUE(failed);
  w.stop();
  auto again = t.open();
  EXPECT_TRUE(*again->get("agent:main:a"));
  EXPECT_FALSE(*again->get("agent:main:doomed"));
}

TEST(SessionStore, ListByOwnerShowsOnlyThatUsersNamespace) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  int n = 0;
  for (auto [rest, agent] : std::vector<std::pair<std::string, std::string>>{
           {"user:alice:main", "main"},
           {"user:alice:telegram:direct:42", "research"},
           {"user:bob:main", "main"},
           {"user:bob:user:alice:main", "main"},  // bob's key that merely mentions alice
           {"user:alicia:main", "main"},          // a name alice is a prefix of
           {"main", "main"}}) {
    ++n;
    ASSERT_TRUE(s->begin_run(BeginRun{key(rest, agent), "r" + std::to_string(n),
                                      "m" + std::to_string(n), "x", 100 + n})
                    .ok());
  }
  ListFilter alice;
  alice.owner = "alice";
  auto l = s->list(alice);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->second, 2);
  std::vector<std::string> keys;
  for (const auto& r : l->first) keys.push_back(r.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"agent:research:user:alice:telegram:direct:42",
                                            "agent:main:user:alice:main"}));
  ListFilter bob;
  bob.owner = "bob";
  bob.search = "alice";
  EXPECT_EQ(s->list(bob)->second, 1);  // the search stays inside bob's namespace
  EXPECT_EQ(s->list(ListFilter{})->second, 6);
  // The per-agent counts behind a user's health view stay inside the namespace too.
  auto by_agent = s->count_by_agent("alice");
  ASSERT_TRUE(by_agent.ok()) << by_agent.error().message;
  EXPECT_EQ(*by_agent, (std::map<std::string, int>{{"main", 1}, {"research", 1}}));
  EXPECT_EQ(*s->count_by_agent("bob"), (std::map<std::string, int>{{"main", 2}}));
  EXPECT_EQ(*s->count_by_agent("carol"), (std::map<std::string, int>{}));
  EXPECT_EQ(*s->count_by_agent(""), (std::map<std::string, int>{{"main", 5}, {"research", 1}}));
}

namespace {

long long file_size(const std::string& p) {
  std::error_code ec;
  auto n = std::filesystem::file_size(p, ec);
  return ec ? -1 : static_cast<long long>(n);
}

}  // namespace

// A database created before incremental auto-vacuum, a quarter or more of it free pages:
// the maintenance checkpoint VACUUMs it once, which shrinks the file and switches it to
// incremental for good.
TEST(SessionStoreVacuum, AnOlderDatabaseMostlyFreeIsVacuumedOnceAndBecomesIncremental) {
  TempDb t;
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(t.path.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "PRAGMA auto_vacuum=NONE; CREATE TABLE filler(x BLOB);"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n "
                           "WHERE i < 2000) INSERT INTO filler SELECT randomblob(2000) FROM n;"
                           "DROP TABLE filler;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(raw);
  }
  long long before = file_size(t.path);
  ASSERT_GT(before, 3'000'000);  // the dropped table's pages are free, the file keeps them
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  auto r = s->checkpoint();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT((*r)["vacuumedPages"].get<long long>(), 500);
  EXPECT_LT(file_size(t.path), before / 4);
  auto mode = s->db().pragma_int("auto_vacuum");
  ASSERT_TRUE(mode.ok());
  EXPECT_EQ(*mode, 2) << "the VACUUM switches the file to incremental auto-vacuum";
  auto again = s->checkpoint();  // nothing left to free
  ASSERT_TRUE(again.ok());
  EXPECT_EQ((*again)["vacuumedPages"].get<long long>(), 0);
}

// A new database starts in incremental mode: freed pages go back at the next checkpoint
// without a full rewrite.
TEST(SessionStoreVacuum, ANewDatabaseGivesFreedPagesBackIncrementally) {
  TempDb t;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  std::string big(20000, 'y');
  for (int i = 0; i < 100; ++i)
    ASSERT_TRUE(s->inject(key("bulky"), "m" + std::to_string(i), big, "", 1000 + i).ok());
  ASSERT_TRUE(s->checkpoint().ok());
  long long peak = file_size(t.path);
  ASSERT_GT(peak, 1'500'000);
  ASSERT_TRUE(s->remove("agent:main:bulky").ok());
  auto r = s->checkpoint();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GT((*r)["vacuumedPages"].get<long long>(), 300);
  EXPECT_LT(file_size(t.path), peak / 4);
}

// Statuses are stored as words: each round-trips, and a word nobody wrote (a corrupt or
// future row) reads as an error, never as a finished run or a complete reply.
TEST(SessionTypes, StatusWordsRoundTripAndUnknownIsError) {
  for (auto s : {RunStatus::kQueued, RunStatus::kRunning, RunStatus::kFinal, RunStatus::kAborted,
                 RunStatus::kError})
    EXPECT_EQ(parse_run_status(run_status_name(s)), s);
  EXPECT_EQ(parse_run_status("finished?"), RunStatus::kError);
  for (auto s :
       {EntryState::kComplete, EntryState::kAborted, EntryState::kError, EntryState::kInjected})
    EXPECT_EQ(parse_entry_state(entry_state_name(s)), s);
  EXPECT_EQ(parse_entry_state(""), EntryState::kError);
}

// Idle RSS (issue 18): a worker with nothing to do gives back SQLite's cached statements;
// one kept busy keeps them, and the first job after the pause prepares what it needs again.
TEST(DbWorker, AnIdleWorkerGivesBackItsStatementsAndTheNextJobStillWorks) {
  TempDb t;
  if (t.postgres()) GTEST_SKIP() << "PostgreSQL's statements live on its server: kept";
  boost::asio::io_context io;
  auto s = t.open();
  ASSERT_TRUE(s.ok());
  DbWorker w(io, std::move(s).value(), std::chrono::milliseconds(100));
  // Runs a turn's first write and reports how many statements were cached before it.
  auto turn = [&](const std::string& run) {
    std::optional<std::size_t> before;
    w.post(
        [run](SessionStore& st) -> Result<std::size_t> {
          std::size_t cached = st.db().cached_statements();
          if (auto r = st.begin_run(begin("s" + run, run, "hi")); !r.ok()) return r.error();
          return cached;
        },
        [&](Result<std::size_t> r) {
          ASSERT_TRUE(r.ok());
          before = *r;
        });
    while (!before)
      if (io.run_one() == 0) io.restart();
    return *before;
  };
  turn("r1");
  std::size_t busy = turn("r2");  // right after r1: r1's statements are still cached
  EXPECT_GE(busy, 5u);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // Only the transaction's own BEGIN and SAVEPOINT were prepared again.
  EXPECT_LE(turn("r3"), 2u);
  EXPECT_GE(turn("r4"), 5u);  // and the cache fills again at once
  w.stop();
  auto again = t.open();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->list(ListFilter{})->second, 4);
}

// A job that writes, then runs a statement that fails and carries on without it (a read it
// can do without). SQLite undoes only that statement: the job's write stays. PostgreSQL
// aborts the whole transaction: the writer undoes that job alone and reports it failed,
// and the batch's other job still commits (it would all roll back otherwise).
TEST(DbWorker, AStatementThatFailsInsideAJobCostsOnlyThatJob) {
  TempDb t;
  boost::asio::io_context io;
  auto s = t.open();
  ASSERT_TRUE(s.ok()) << s.error().message;
  DbWorker w(io, std::move(s).value());
  int done = 0;
  std::optional<Status> careless;
  w.post(
      [](SessionStore& st) -> Status {
        if (auto r = st.begin_run(begin("careless", "r1", "kept?")); !r.ok()) return r.error();
        auto bad = st.db().prepare("SELECT nothing FROM no_such_table");
        if (bad.ok()) (void)bad->step();  // ignored on purpose
        return Ok{};
      },
      [&](Status r) {
        careless = r;
        ++done;
      });
  w.post([](SessionStore& st) { return st.begin_run(begin("careful", "r2", "kept")); },
         [&](Result<BeginRunResult> r) {
           EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
           ++done;
         });
  while (done < 2)
    if (io.run_one() == 0) io.restart();
  w.stop();
  auto again = t.open();
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again->get("agent:main:careful"));
  ASSERT_TRUE(careless.has_value());
  if (t.postgres()) {
    EXPECT_FALSE(careless->ok()) << "nothing it wrote was kept: it must not say it was";
    EXPECT_FALSE(*again->get("agent:main:careless"));
  } else {
    EXPECT_TRUE(careless->ok());
    EXPECT_TRUE(*again->get("agent:main:careless"));
  }
}
