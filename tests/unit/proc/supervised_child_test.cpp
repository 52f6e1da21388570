// SupervisedChild (proc/supervised_child.h), the one restart-and-stop policy under the
// plugin host and the MCP client, with real child processes (sh): restarts after a
// backoff, the backoff reset after a healthy period, messages reach the owner only from
// the current process, and stop() escalates from the polite step to SIGTERM to SIGKILL.
#include "proc/supervised_child.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using namespace simpleclaw;
using namespace simpleclaw::proc;
using Clock = std::chrono::steady_clock;

struct Recorder {
  std::vector<std::string> exits;  // the `what` of each on_exit
  std::vector<bool> exits_stopping;
  std::vector<std::chrono::milliseconds> delays;  // on_restart
  std::vector<int> attempts;
  std::vector<std::string> notes;  // notification methods
  int started = 0;
};

class SupervisedChildTest : public ::testing::Test {
 protected:
  // A child running `script` under sh; every spawn runs the same script.
  std::shared_ptr<SupervisedChild> make(const std::string& script,
                                        SupervisedChild::Options o = fast()) {
    SupervisedChild::Hooks h;
    h.spec = [script] {
      ProcessSpec spec;
      spec.argv = {"/bin/sh", "-c", script};
      spec.env = {"PATH=/usr/bin:/bin"};
      spec.pipe_stdin = true;
      spec.merge_stderr = false;
      StdioRpcOptions ro;
      ro.log_name = "test child";
      return std::make_pair(spec, ro);
    };
    h.on_started = [this](StdioRpcPeer&) { ++rec_.started; };
    h.on_notification = [this](const std::string& m, const Json&) { rec_.notes.push_back(m); };
    h.on_exit = [this](const std::string& what, bool stopping, StdioRpcPeer*) {
      rec_.exits.push_back(what);
      rec_.exits_stopping.push_back(stopping);
    };
    h.on_restart = [this](std::chrono::milliseconds d, int attempt) {
      rec_.delays.push_back(d);
      rec_.attempts.push_back(attempt);
    };
    return SupervisedChild::create(io_, std::move(o), std::move(h));
  }
  static SupervisedChild::Options fast() {
    SupervisedChild::Options o;
    o.log_name = "test child";
    o.backoff = BackoffPolicy{50, 200, 1.0, 1.0};
    o.healthy_reset = 300ms;
    o.stop_grace = 300ms;
    o.reap_grace = 1000ms;
    return o;
  }
  bool run_until(const std::function<bool()>& done, std::chrono::milliseconds limit = 10s) {
    auto deadline = Clock::now() + limit;
    while (!done()) {
      if (Clock::now() > deadline) return false;
      io_.restart();
      io_.run_for(5ms);
    }
    return true;
  }

  asio::io_context io_;
  Recorder rec_;
};

TEST_F(SupervisedChildTest, ACrashingChildIsRestartedWithADoublingCappedBackoff) {
  auto child = make("exit 3");
  child->start();
  ASSERT_TRUE(run_until([&] { return rec_.delays.size() >= 4; }));
  EXPECT_EQ(rec_.exits[0], "exited (code 3)");
  EXPECT_EQ(rec_.delays[0], 50ms);
  EXPECT_EQ(rec_.delays[1], 100ms);
  EXPECT_EQ(rec_.delays[2], 200ms);
  EXPECT_EQ(rec_.delays[3], 200ms) << "capped at backoff.max_ms";
  EXPECT_EQ(rec_.attempts, (std::vector<int>{1, 2, 3, 4}));
  EXPECT_GE(child->restarts(), 3);
  bool stopped = false;
  child->stop(nullptr, [&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }));
  EXPECT_FALSE(child->restart_pending());
}

TEST_F(SupervisedChildTest, ASpawnFailureIsReportedAndRetriedLikeACrash) {
  SupervisedChild::Hooks h;
  h.spec = [] {
    ProcessSpec spec;
    spec.argv = {"/nonexistent/sc-no-such-binary"};
    return std::make_pair(spec, StdioRpcOptions{});
  };
  h.on_started = [](StdioRpcPeer&) {};
  bool peer_was_null = false;
  std::string what;
  h.on_exit = [&](const std::string& w, bool, StdioRpcPeer* peer) {
    what = w;
    peer_was_null = peer == nullptr;
  };
  int restarts = 0;
  h.on_restart = [&](std::chrono::milliseconds, int) { ++restarts; };
  auto child = SupervisedChild::create(io_, fast(), std::move(h));
  child->start();
  ASSERT_TRUE(run_until([&] { return restarts >= 2; }));
  EXPECT_TRUE(peer_was_null);
  EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
  bool stopped = false;
  child->stop(nullptr, [&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }));
}

TEST_F(SupervisedChildTest, TheBackoffStartsOverAfterAHealthyPeriod) {
  // Each process lives 400 ms (longer than healthy_reset) and is marked healthy at start.
  SupervisedChild::Options o = fast();
  auto child = make("sleep 0.4; exit 1", o);
  child->start();
  // Mark every process healthy as soon as it runs (the owner's handshake succeeded).
  int marked = 0;
  ASSERT_TRUE(run_until([&] {
    if (rec_.started > marked && child->peer()) {
      child->mark_healthy();
      marked = rec_.started;
    }
    return rec_.delays.size() >= 3;
  }));
  EXPECT_EQ(rec_.delays[0], 50ms);
  EXPECT_EQ(rec_.delays[1], 50ms) << "healthy for longer than healthy_reset: back to step 1";
  EXPECT_EQ(rec_.delays[2], 50ms);
  bool stopped = false;
  child->stop(nullptr, [&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }));
}

TEST_F(SupervisedChildTest, MessagesReachTheOwnerFromTheRunningProcess) {
  auto child = make(R"(echo '{"jsonrpc":"2.0","method":"hello","params":{}}'; exec cat)");
  child->start();
  ASSERT_TRUE(run_until([&] { return !rec_.notes.empty(); }));
  EXPECT_EQ(rec_.notes[0], "hello");
  EXPECT_EQ(rec_.started, 1);
  EXPECT_GT(child->pid(), 0);
  std::uint64_t gen = child->generation();
  child->kill("a test replaces it");
  ASSERT_TRUE(run_until([&] { return rec_.started == 2 && child->peer(); }));
  EXPECT_EQ(rec_.exits[0], "a test replaces it");
  EXPECT_EQ(child->generation(), gen + 1);
  ASSERT_TRUE(run_until([&] { return rec_.notes.size() == 2; }));
  bool stopped = false;
  child->stop(nullptr, [&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }));
  EXPECT_TRUE(rec_.exits_stopping.back());
}

TEST_F(SupervisedChildTest, StopIsPoliteFirstThenTermThenKill) {
  // Ignores SIGTERM and its stdin: only SIGKILL ends it.
  auto child = make(
      R"(trap '' TERM; echo '{"jsonrpc":"2.0","method":"ready"}'; while :; do sleep 0.05; done)");
  child->start();
  ASSERT_TRUE(run_until([&] { return !rec_.notes.empty(); }));  // the trap is set
  bool polite_asked = false, stopped = false;
  auto t0 = Clock::now();
  child->stop(
      [&](std::function<void()> then) {
        polite_asked = true;
        then();  // the farewell was ignored
      },
      [&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }));
  auto took = Clock::now() - t0;
  EXPECT_TRUE(polite_asked);
  EXPECT_GE(took, 300ms) << "SIGKILL only after stop_grace";
  ASSERT_FALSE(rec_.exits.empty());
  EXPECT_NE(rec_.exits.back().find("did not exit within 300 ms of SIGTERM"), std::string::npos)
      << rec_.exits.back();
  EXPECT_TRUE(rec_.exits_stopping.back());
  EXPECT_EQ(child->peer(), nullptr);
  // A second stop() only reports that it is stopped.
  bool again = false;
  child->stop(nullptr, [&] { again = true; });
  ASSERT_TRUE(run_until([&] { return again; }));
  EXPECT_TRUE(rec_.delays.empty()) << "no restart after stop()";
}

TEST_F(SupervisedChildTest, TheOwnerMayDropItRightAfterStop) {
  auto child = make("exec cat");
  child->start();
  ASSERT_TRUE(run_until([&] { return child->peer() != nullptr; }));
  pid_t pid = child->pid();
  bool stopped = false;
  child->stop(nullptr, [&] { stopped = true; });
  child.reset();  // the supervisor keeps itself alive until the process is gone
  ASSERT_TRUE(run_until([&] { return stopped; }));
  EXPECT_NE(::kill(pid, 0), 0) << "the process is gone";
}

}  // namespace
