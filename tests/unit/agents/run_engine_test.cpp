// RunEngine on its own: a recording RunSink instead of the gateway, a real SQLite store
// in a temp dir behind a real DbWorker, the fake LLM (tests/fakes) speaking the OpenAI
// wire format over loopback HTTP, a fake clock for the idempotency TTL, and a scripted
// tool provider. Each test drives chat.send-level calls and checks what a user would
// see: the events, the acks, and what the transcript holds afterwards.
#include "agents/run_engine.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fakes/fake_llm.h"
#include "sessions/db_worker.h"
#include "tools/tool_runner.h"

namespace {

namespace asio = boost::asio;
using namespace simpleclaw;
using namespace simpleclaw::agents;
using sctest::fakes::FakeLlm;
using sctest::fakes::FakeToolCall;
using sctest::fakes::Script;
using sessions::EntryState;
using sessions::Role;
using sessions::RunStatus;

// What the engine reported, in order, with the RunDelta texts copied.
struct RecordingSink : RunSink {
  std::vector<RunStarted> started;
  std::vector<std::string> deltas;  // "<runId>:<delta>"
  std::vector<RunRetry> retries;
  std::vector<ToolEvent> tools;
  std::vector<RunFinished> finished;
  std::vector<std::string> changes;  // "<reason>"

  void run_started(const RunStarted& e) override { started.push_back(e); }
  void run_delta(const RunDelta& e) override {
    deltas.push_back(e.run_id + ":" + std::string(e.delta));
  }
  void run_retry(const RunRetry& e) override { retries.push_back(e); }
  void tool_event(const ToolEvent& e) override { tools.push_back(e); }
  void run_finished(const RunFinished& e) override { finished.push_back(e); }
  void session_changed(const SessionChange& e) override { changes.push_back(e.reason); }

  const RunFinished* finish_of(const std::string& run_id) const {
    for (const auto& f : finished)
      if (f.run_id == run_id) return &f;
    return nullptr;
  }
};

// A tool the model can call: "lookup" answers "42 (<q>)"; "slow" answers after `slow_ms`
// unless cancelled.
class ScriptedTools : public sdk::ToolProvider {
 public:
  explicit ScriptedTools(asio::io_context& io) : io_(io) {}
  int cancelled = 0;
  int slow_ms = 2000;

  std::vector<sdk::ToolSpec> specs() const override {
    return {{"lookup", "looks a thing up", Json{{"type", "object"}}},
            {"slow", "takes its time", Json{{"type", "object"}}}};
  }
  bool handles(const std::string& name) const override {
    return name == "lookup" || name == "slow";
  }
  std::shared_ptr<sdk::ToolTask> start(const sdk::ToolContext&, const std::string& name,
                                       const Json& args, sdk::ToolDone done) override {
    if (name == "lookup") {
      done(sdk::ToolOutcome{"42 (" + args.value("q", std::string()) + ")", false});
      return nullptr;
    }
    auto task = std::make_shared<SlowTask>(io_, this, std::move(done));
    task->timer.expires_after(std::chrono::milliseconds(slow_ms));
    task->timer.async_wait([task](const boost::system::error_code& ec) {
      if (!ec && task->done) std::exchange(task->done, nullptr)(sdk::ToolOutcome{"slow done"});
    });
    return task;
  }

 private:
  struct SlowTask : sdk::ToolTask {
    SlowTask(asio::io_context& io, ScriptedTools* owner, sdk::ToolDone d)
        : timer(io), owner(owner), done(std::move(d)) {}
    void cancel() override {
      timer.cancel();
      ++owner->cancelled;
      if (done) std::exchange(done, nullptr)(sdk::ToolOutcome{"cancelled", true});
    }
    asio::steady_timer timer;
    ScriptedTools* owner;
    sdk::ToolDone done;
  };
  asio::io_context& io_;
};

class RunEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sc-run-engine-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    cfg_.models.providers.push_back(config::ProviderConfig{});
    auto& p = cfg_.models.providers.back();
    p.name = "fake";
    p.api = "openai";
    p.base_url = llm_.url() + "/v1";
    cfg_.models.default_model = "fake/m1";
    cfg_.models.retry.base_ms = 10;
    cfg_.models.retry.max_ms = 50;
    config::AgentConfig main;
    main.id = "main";
    main.workspace = dir_ + "/workspace";
    cfg_.agents.list.push_back(main);
    catalog_.configure(cfg_);
    agents_.configure(cfg_);
    auto store = sessions::SessionStore::open(dir_ + "/sessions.db");
    ASSERT_TRUE(store.ok()) << store.error().message;
    db_ = std::make_unique<sessions::DbWorker>(io_, std::move(*store));
    runner_.add_provider(&tools_);
    engine_ = std::make_unique<RunEngine>(io_, *db_, files_, catalog_, agents_, sink_, clock_);
    engine_->configure(cfg_);
    engine_->set_tools(&runner_);
  }
  void TearDown() override {
    engine_.reset();
    db_.reset();
    files_.stop();
    std::filesystem::remove_all(dir_);
  }

  // Runs the loop until `done()` or `ms` pass; false on timeout.
  bool run_until(const std::function<bool()>& done, int ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
    return true;
  }

  Result<SendAck> send(const std::string& message, const std::string& run_id,
                       std::optional<QueueMode> mode = std::nullopt,
                       const std::string& key = "main", std::optional<int> timeout_ms = {}) {
    std::optional<Result<SendAck>> out;
    SendParams p;
    p.session_key = key;
    p.message = message;
    p.idempotency_key = run_id;
    p.queue_mode = mode;
    p.timeout_ms = timeout_ms;
    engine_->send(p, [&](Result<SendAck> r) { out = std::move(r); });
    EXPECT_TRUE(run_until([&] { return out.has_value(); })) << "no ack for " << run_id;
    return out ? std::move(*out) : Result<SendAck>(Error::internal("no ack"));
  }

  bool wait_finished(std::size_t n, int ms = 5000) {
    return run_until([&] { return sink_.finished.size() >= n; }, ms);
  }

  // The session's transcript as "<role>:<state>:<text>" lines, oldest first.
  std::vector<std::string> transcript(const std::string& key = "agent:main:main") {
    std::optional<Result<sessions::HistoryPage>> page;
    db_->post([key](sessions::SessionStore& s) { return s.history(key, 100, 0); },
              [&](Result<sessions::HistoryPage> r) { page = std::move(r); });
    EXPECT_TRUE(run_until([&] { return page.has_value(); }));
    std::vector<std::string> out;
    if (!page || !page->ok()) return out;
    for (const auto& e : (*page)->entries)
      out.push_back(std::string(sessions::role_name(e.role)) + ":" +
                    std::string(sessions::entry_state_name(e.state)) + ":" + e.text);
    return out;
  }

  // Makes every later write to the store fail the way a read-only disk does.
  void make_store_read_only() {
    std::optional<Status> st;
    db_->post_standalone(
        [](sessions::SessionStore& s) -> Status { return s.db().exec("PRAGMA query_only = 1"); },
        [&](Status r) { st = std::move(r); });
    ASSERT_TRUE(run_until([&] { return st.has_value(); }));
    ASSERT_TRUE(st->ok()) << st->error().message;
  }

  std::string dir_;
  asio::io_context io_;
  FakeLlm llm_;
  FakeClock clock_;
  config::Config cfg_;
  providers::Catalog catalog_{io_, clock_};
  AgentDirectory agents_{"/nonexistent-state"};
  BlockingPool files_{io_};
  ScriptedTools tools_{io_};
  tools::ToolRunner runner_{io_, files_};
  std::unique_ptr<sessions::DbWorker> db_;
  RecordingSink sink_;
  std::unique_ptr<RunEngine> engine_;
};

TEST_F(RunEngineTest, AReplyIsStreamedCommittedAndThenReportedFinished) {
  auto ack = send("hello there", "r1");
  ASSERT_TRUE(ack.ok()) << ack.error().message;
  EXPECT_EQ(ack->kind, SendAck::Kind::kStarted);
  ASSERT_TRUE(wait_finished(1));
  ASSERT_EQ(sink_.started.size(), 1u);
  EXPECT_EQ(sink_.started[0].session_key, "agent:main:main");
  std::string streamed;
  for (const auto& d : sink_.deltas) streamed += d.substr(3);  // "r1:"
  EXPECT_EQ(streamed, "echo: hello there");
  const RunFinished& f = sink_.finished[0];
  EXPECT_EQ(f.status, RunStatus::kFinal);
  ASSERT_TRUE(f.reply.has_value()) << "the reply is reported only once it is committed";
  EXPECT_EQ(f.reply->text, "echo: hello there");
  EXPECT_GT(f.reply->seq, 0);
  EXPECT_EQ(transcript(), (std::vector<std::string>{"user:complete:hello there",
                                                    "assistant:complete:echo: hello there"}));
  EXPECT_EQ(engine_->active_runs(), 0u);
}

// Three messages sent while the first is still answering, per queue mode.
struct QueueCase {
  const char* name;
  QueueMode mode;
  std::vector<std::pair<std::string, RunStatus>> finished;  // run id -> status, in order
  std::size_t model_calls;
  std::vector<std::string> absorbed_by_r2;
};

class QueueModeTest : public RunEngineTest, public ::testing::WithParamInterface<QueueCase> {};

TEST_P(QueueModeTest, MessagesSentDuringARunAreAnsweredAsTheModeSays) {
  const QueueCase& c = GetParam();
  Script slow;
  slow.when = "first";
  slow.chunks = {"one ", "two ", "three"};
  slow.chunk_delay_ms = 150;
  llm_.push(slow);
  ASSERT_TRUE(send("first", "r1", c.mode).ok());
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));  // r1 is streaming
  ASSERT_TRUE(send("second", "r2", c.mode).ok());
  ASSERT_TRUE(send("third", "r3", c.mode).ok());
  ASSERT_TRUE(wait_finished(c.finished.size()));
  ASSERT_TRUE(run_until([&] { return engine_->active_runs() == 0; }));
  ASSERT_EQ(sink_.finished.size(), c.finished.size());
  for (std::size_t i = 0; i < c.finished.size(); ++i) {
    EXPECT_EQ(sink_.finished[i].run_id, c.finished[i].first) << i;
    EXPECT_EQ(sink_.finished[i].status, c.finished[i].second) << c.finished[i].first;
  }
  EXPECT_EQ(llm_.request_count(), c.model_calls);
  const RunFinished* r2 = sink_.finish_of("r2");
  ASSERT_NE(r2, nullptr);
  EXPECT_EQ(r2->absorbed, c.absorbed_by_r2);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, QueueModeTest,
    ::testing::Values(
        // Each message gets its own run, in order.
        QueueCase{"followup",
                  QueueMode::kFollowup,
                  {{"r1", RunStatus::kFinal}, {"r2", RunStatus::kFinal}, {"r3", RunStatus::kFinal}},
                  3,
                  {}},
        // The queued messages are answered together by one run.
        QueueCase{"collect",
                  QueueMode::kCollect,
                  {{"r1", RunStatus::kFinal}, {"r2", RunStatus::kFinal}},
                  2,
                  {"r3"}}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(RunEngineTest, InterruptAbortsTheActiveRunAndAnswersTheNewestMessage) {
  Script slow;
  slow.chunks = {"one ", "two ", "three"};
  slow.chunk_delay_ms = 150;
  slow.times = -1;
  llm_.set_default(slow);
  ASSERT_TRUE(send("first", "i1").ok());
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));
  ASSERT_TRUE(send("second", "i2", QueueMode::kInterrupt).ok());
  ASSERT_TRUE(run_until([&] { return sink_.started.size() == 2; }));  // i1 ended, i2 runs
  const RunFinished* i1 = sink_.finish_of("i1");
  ASSERT_NE(i1, nullptr);
  EXPECT_EQ(i1->status, RunStatus::kAborted);
  EXPECT_EQ(i1->error, "interrupted by a newer message");
  ASSERT_TRUE(send("third", "i3", QueueMode::kInterrupt).ok());
  ASSERT_TRUE(wait_finished(3));
  EXPECT_EQ(sink_.finish_of("i2")->status, RunStatus::kAborted);
  EXPECT_EQ(sink_.finish_of("i3")->status, RunStatus::kFinal);
  EXPECT_EQ(sink_.finished.back().run_id, "i3");
}

TEST_F(RunEngineTest, CollectedMessagesShareOneOutcomeForDuplicates) {
  Script slow;
  slow.when = "first";
  slow.chunks = {"a", "b"};
  slow.chunk_delay_ms = 150;
  llm_.push(slow);
  ASSERT_TRUE(send("first", "r1", QueueMode::kCollect).ok());
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));
  ASSERT_TRUE(send("second", "r2", QueueMode::kCollect).ok());
  ASSERT_TRUE(send("third", "r3", QueueMode::kCollect).ok());
  ASSERT_TRUE(wait_finished(2));
  auto dup = send("third", "r3");
  ASSERT_TRUE(dup.ok());
  ASSERT_EQ(dup->kind, SendAck::Kind::kDone);
  ASSERT_TRUE(dup->outcome.reply.has_value());
  EXPECT_EQ(dup->outcome.reply->text, sink_.finish_of("r2")->reply->text);
  // The one model call saw both queued messages.
  auto reqs = llm_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  std::string body = reqs[1].body.dump();
  EXPECT_NE(body.find("second"), std::string::npos);
  EXPECT_NE(body.find("third"), std::string::npos);
}

TEST_F(RunEngineTest, ADuplicateSendIsAnsweredFromTheRunNotRunAgain) {
  Script slow;
  slow.chunks = {"x", "y"};
  slow.chunk_delay_ms = 100;
  llm_.push(slow);
  ASSERT_TRUE(send("hi", "dup-1").ok());
  auto in_flight = send("hi", "dup-1");
  ASSERT_TRUE(in_flight.ok());
  EXPECT_EQ(in_flight->kind, SendAck::Kind::kInFlight);
  ASSERT_TRUE(wait_finished(1));
  auto done = send("hi", "dup-1");
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->kind, SendAck::Kind::kDone);
  EXPECT_EQ(done->outcome.status, RunStatus::kFinal);
  ASSERT_TRUE(done->outcome.reply.has_value());
  EXPECT_EQ(done->outcome.reply->text, "xy");
  EXPECT_EQ(llm_.request_count(), 1u);
  EXPECT_EQ(transcript().size(), 2u) << "the duplicate added nothing";
}

TEST_F(RunEngineTest, AnotherUsersIdempotencyKeyIsRefusedNotAnswered) {
  ASSERT_TRUE(send("mine", "shared-key", std::nullopt, "agent:main:user:alice:main").ok());
  ASSERT_TRUE(wait_finished(1));
  auto other = send("theirs", "shared-key", std::nullopt, "agent:main:user:bob:main");
  ASSERT_FALSE(other.ok());
  EXPECT_TRUE(other.error().is_conflict()) << other.error().message;
  EXPECT_EQ(other.error().detail_code(), "IDEMPOTENCY_KEY_IN_USE");
  EXPECT_EQ(llm_.request_count(), 1u);
}

TEST_F(RunEngineTest, RememberedOutcomesExpireButTheRunsTableStillAnswers) {
  cfg_.sessions.dedupe_ttl_ms = 60000;
  ASSERT_TRUE(send("hello", "ttl-1").ok());
  ASSERT_TRUE(wait_finished(1));
  EXPECT_EQ(engine_->expire_dedupe(), 1u);
  clock_.advance(std::chrono::milliseconds(59000));
  EXPECT_EQ(engine_->expire_dedupe(), 1u) << "kept for dedupe_ttl_ms";
  clock_.advance(std::chrono::milliseconds(2000));
  EXPECT_EQ(engine_->expire_dedupe(), 0u) << "dropped after dedupe_ttl_ms";
  // Out of memory, a duplicate is still not a new run: the runs table knows the key.
  auto dup = send("hello", "ttl-1");
  ASSERT_TRUE(dup.ok()) << dup.error().message;
  EXPECT_EQ(dup->kind, SendAck::Kind::kDone);
  EXPECT_EQ(dup->outcome.status, RunStatus::kFinal);
  EXPECT_EQ(llm_.request_count(), 1u);
  EXPECT_EQ(engine_->busy_sessions(), 0u) << "an answered duplicate leaves no session state";
}

TEST_F(RunEngineTest, AbortStopsTheStreamAndKeepsThePartialReplyAsAborted) {
  Script slow;
  slow.chunks = {"partial ", "more ", "never"};
  slow.chunk_delay_ms = 300;
  llm_.push(slow);
  ASSERT_TRUE(send("go", "a1").ok());
  ASSERT_TRUE(send("queued", "a2").ok());
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));
  AbortResult ab = engine_->abort("agent:main:main", "");
  EXPECT_EQ(ab.run_ids, (std::vector<std::string>{"a2", "a1"})) << "queued first, then active";
  ASSERT_TRUE(wait_finished(2));
  const RunFinished* a1 = sink_.finish_of("a1");
  const RunFinished* a2 = sink_.finish_of("a2");
  ASSERT_TRUE(a1 && a2);
  EXPECT_EQ(a1->status, RunStatus::kAborted);
  EXPECT_EQ(a1->text, "partial ");
  EXPECT_EQ(a2->status, RunStatus::kAborted);
  EXPECT_FALSE(a2->started) << "a queued run ends without starting";
  EXPECT_EQ(transcript(), (std::vector<std::string>{"user:complete:go", "user:complete:queued",
                                                    "assistant:aborted:partial "}));
  EXPECT_EQ(llm_.request_count(), 1u);
}

TEST_F(RunEngineTest, ARunPastItsTimeoutEndsAsATimeoutError) {
  Script hang;
  hang.hang_after_head = true;
  llm_.push(hang);
  ASSERT_TRUE(send("wait", "t1", std::nullopt, "main", 200).ok());
  ASSERT_TRUE(wait_finished(1, 5000));
  const RunFinished& f = sink_.finished[0];
  EXPECT_EQ(f.status, RunStatus::kError);
  EXPECT_EQ(f.error_kind, sdk::ErrorKind::kTimeout);
  EXPECT_EQ(f.error, "run timed out after 200 ms");
}

TEST_F(RunEngineTest, AToolRoundIsReportedCommittedAndAnsweredByTheNextModelCall) {
  Script call_tool;
  call_tool.when = "look it up";
  call_tool.tool_calls = {FakeToolCall{"call_1", "lookup", R"({"q":"meaning"})"}};
  llm_.push(call_tool);
  Script answer;
  answer.when_tool_result = "42 (meaning)";
  answer.chunks = {"It is ", "42."};
  llm_.push(answer);
  ASSERT_TRUE(send("look it up", "tool-1").ok());
  ASSERT_TRUE(wait_finished(1));
  const RunFinished& f = sink_.finished[0];
  ASSERT_EQ(f.status, RunStatus::kFinal) << f.error;
  EXPECT_EQ(f.text, "It is 42.");
  ASSERT_EQ(sink_.tools.size(), 2u);
  EXPECT_EQ(sink_.tools[0].phase, ToolEvent::Phase::kStart);
  EXPECT_EQ(sink_.tools[0].name, "lookup");
  EXPECT_EQ(sink_.tools[0].arguments, R"({"q":"meaning"})");
  EXPECT_EQ(sink_.tools[1].phase, ToolEvent::Phase::kResult);
  EXPECT_EQ(sink_.tools[1].result, "42 (meaning)");
  EXPECT_FALSE(sink_.tools[1].is_error);
  EXPECT_EQ(llm_.request_count(), 2u);
  EXPECT_EQ(transcript(),
            (std::vector<std::string>{"user:complete:look it up",
                                      "assistant:complete:", "tool:complete:42 (meaning)",
                                      "assistant:complete:It is 42."}));
}

TEST_F(RunEngineTest, AModelThatKeepsCallingToolsIsStoppedAtMaxSteps) {
  cfg_.agents.list[0].tools.max_steps = 2;
  Script loop;
  loop.tool_calls = {FakeToolCall{"", "lookup", R"({"q":"again"})"}};
  loop.times = -1;
  llm_.set_default(loop);
  ASSERT_TRUE(send("loop forever", "steps-1").ok());
  ASSERT_TRUE(wait_finished(1));
  const RunFinished& f = sink_.finished[0];
  EXPECT_EQ(f.status, RunStatus::kError);
  EXPECT_NE(f.error.find("stopped after 2 model calls"), std::string::npos) << f.error;
  EXPECT_EQ(llm_.request_count(), 2u);
}

TEST_F(RunEngineTest, AbortDuringAToolCancelsItAndAnswersTheRound) {
  Script call_slow;
  call_slow.tool_calls = {FakeToolCall{"c1", "slow", "{}"}, FakeToolCall{"c2", "lookup", "{}"}};
  llm_.push(call_slow);
  ASSERT_TRUE(send("be slow", "slow-1").ok());
  ASSERT_TRUE(run_until([&] { return !sink_.tools.empty(); }));
  engine_->abort("agent:main:main", "slow-1");
  ASSERT_TRUE(wait_finished(1));
  EXPECT_EQ(sink_.finished[0].status, RunStatus::kAborted);
  EXPECT_EQ(tools_.cancelled, 1);
  // The round is stored whole: a call never without its result, the rest "not run".
  auto t = transcript();
  ASSERT_EQ(t.size(), 4u);
  EXPECT_EQ(t[2], "tool:complete:cancelled");
  EXPECT_EQ(t[3], "tool:complete:error: not run: the run was aborted");
  EXPECT_EQ(llm_.request_count(), 1u) << "no model call after an abort";
}

TEST_F(RunEngineTest, ADiskThatRefusesWritesIsAnIoErrorNotABadRequest) {
  make_store_read_only();
  auto ack = send("hello", "io-1");
  ASSERT_FALSE(ack.ok());
  EXPECT_TRUE(ack.error().is_io()) << ack.error().message;
  EXPECT_EQ(llm_.request_count(), 0u);
  EXPECT_TRUE(sink_.finished.empty());
  // The key was not used up: the same send works once the disk does.
  std::optional<Status> st;
  db_->post_standalone(
      [](sessions::SessionStore& s) -> Status { return s.db().exec("PRAGMA query_only = 0"); },
      [&](Status r) { st = std::move(r); });
  ASSERT_TRUE(run_until([&] { return st.has_value(); }));
  auto again = send("hello", "io-1");
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->kind, SendAck::Kind::kStarted);
}

TEST_F(RunEngineTest, AReplyThatCannotBeStoredIsReportedAsAnErrorNotASuccess) {
  Script slow;
  slow.chunks = {"soon ", "lost"};
  slow.chunk_delay_ms = 150;
  llm_.push(slow);
  ASSERT_TRUE(send("hello", "lost-1").ok());
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));
  make_store_read_only();
  ASSERT_TRUE(wait_finished(1));
  const RunFinished& f = sink_.finished[0];
  EXPECT_EQ(f.status, RunStatus::kError);
  EXPECT_FALSE(f.reply.has_value());
  EXPECT_NE(f.error.find("cannot store the reply"), std::string::npos) << f.error;
}

// The run a store holds for `run_id` (read on the writer thread, as the engine does).
std::optional<sessions::RunRow> stored_run(sessions::DbWorker& db, boost::asio::io_context& io,
                                           const std::string& run_id) {
  std::optional<Result<std::optional<sessions::RunRow>>> got;
  db.post([run_id](sessions::SessionStore& s) { return s.get_run(run_id); },
          [&](Result<std::optional<sessions::RunRow>> r) { got = std::move(r); });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!got && std::chrono::steady_clock::now() < deadline) {
    if (io.stopped()) io.restart();  // run_until() may have stopped it
    io.run_one_for(std::chrono::milliseconds(50));
  }
  if (!got || !got->ok()) return std::nullopt;
  return **got;
}

TEST_F(RunEngineTest, ShutdownLetsTheRunInFlightFinishKeepsQueuedRunsAndRefusesNewSends) {
  Script slow;
  slow.chunks = {"a ", "b ", "c"};
  slow.chunk_delay_ms = 200;
  llm_.push(slow);
  ASSERT_TRUE(send("one", "s1").ok());
  ASSERT_TRUE(send("two", "s2").ok());  // queued behind s1 (same session)
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));
  bool down = false, deadline = false;
  engine_->shutdown(
      std::chrono::seconds(10), [&] { deadline = true; }, [&] { down = true; });
  auto late = send("three", "s3");
  ASSERT_FALSE(late.ok());
  EXPECT_TRUE(late.error().is_unavailable());
  EXPECT_TRUE(late.error().retry_after_ms.has_value());
  ASSERT_TRUE(run_until([&] { return down; }));
  EXPECT_FALSE(deadline);
  ASSERT_EQ(sink_.finished.size(), 1u) << "only the run in flight ends";
  EXPECT_EQ(sink_.finished[0].run_id, "s1");
  EXPECT_EQ(sink_.finished[0].status, RunStatus::kFinal) << "it finished, not cut off";
  EXPECT_EQ(sink_.finished[0].text, "a b c");
  auto queued = stored_run(*db_, io_, "s2");
  ASSERT_TRUE(queued.has_value());
  EXPECT_EQ(queued->status, RunStatus::kQueued) << "kept for after the restart";
  auto started = stored_run(*db_, io_, "s1");
  ASSERT_TRUE(started.has_value());
  EXPECT_EQ(started->status, RunStatus::kFinal);
}

TEST_F(RunEngineTest, ShutdownInterruptsRunsStillGoingAtTheDeadline) {
  Script endless;
  endless.chunks = std::vector<std::string>(100, "x ");
  endless.chunk_delay_ms = 100;
  llm_.push(endless);
  ASSERT_TRUE(send("one", "d1").ok());
  ASSERT_TRUE(run_until([&] { return !sink_.deltas.empty(); }));
  bool down = false, deadline = false;
  engine_->shutdown(
      std::chrono::milliseconds(300), [&] { deadline = true; }, [&] { down = true; });
  ASSERT_TRUE(run_until([&] { return down; }));
  EXPECT_TRUE(deadline);
  ASSERT_EQ(sink_.finished.size(), 1u);
  EXPECT_EQ(sink_.finished[0].status, RunStatus::kError);
  EXPECT_EQ(sink_.finished[0].error.rfind("interrupted", 0), 0u) << sink_.finished[0].error;
  auto row = stored_run(*db_, io_, "d1");
  ASSERT_TRUE(row.has_value());
  EXPECT_EQ(row->status, RunStatus::kError);
}

TEST_F(RunEngineTest, BadSendsAreRefusedWithoutTouchingTheStore) {
  struct Bad {
    std::string key, message, run_id;
    ErrorCode code;
  } cases[] = {
      {"main", "", "b1", ErrorCode::kInvalidArgument},
      {"main", std::string((1 << 20) + 1, 'x'), "b2", ErrorCode::kInvalidArgument},
      {"main", "hi", "", ErrorCode::kInvalidArgument},
      {"main", "hi", std::string(257, 'k'), ErrorCode::kInvalidArgument},
      {"agent::main", "hi", "b5", ErrorCode::kInvalidArgument},
      {"agent:nobody:main", "hi", "b6", ErrorCode::kNotFound},
  };
  for (const Bad& b : cases) {
    auto r = send(b.message, b.run_id, std::nullopt, b.key);
    ASSERT_FALSE(r.ok()) << b.key << " " << b.run_id;
    EXPECT_EQ(r.error().code, b.code) << r.error().message;
  }
  EXPECT_TRUE(transcript().empty());
  EXPECT_EQ(llm_.request_count(), 0u);
}

TEST(QueueModeNames, RoundTripAndUnknownIsRefused) {
  for (auto m :
       {QueueMode::kFollowup, QueueMode::kCollect, QueueMode::kInterrupt, QueueMode::kSteer})
    EXPECT_EQ(parse_queue_mode(queue_mode_name(m)), m);
  EXPECT_EQ(parse_queue_mode("steer"), QueueMode::kSteer);
  EXPECT_EQ(parse_queue_mode("queue"), std::nullopt);
  EXPECT_EQ(parse_queue_mode(""), std::nullopt);
}

}  // namespace
