// DbWorker: the one thread that touches the session database. The loop hands it jobs
// (a function of SessionStore&) and gets each result back on the loop, in order.
//
// Group commit: the worker takes every job queued at that moment, runs them inside one
// transaction (each in its own savepoint, so one failing job rolls back alone), commits
// once (one fsync for the batch), and only then posts the completions. A completion
// therefore always means "durably committed" — chat.send's ack waits for it — while a
// burst of 1,000 sends costs a handful of fsyncs instead of 1,000.
//
// Threading: post() from the loop thread; jobs run on the worker thread and must only
// use their captured values and the store; completions run on the loop (io_context).
// stop() finishes the queued jobs, then joins; completions posted after the io_context
// stopped are simply never run.
#pragma once
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "sessions/store.h"

namespace simpleclaw::sessions {

class DbWorker {
 public:
  // After this long with no job, the worker gives back the memory the store can spare.
  // Long enough that a store in use (a turn every second or so) keeps its page cache and
  // statements: releasing at every short pause made RSS saw-tooth by ~3 MB under load
  // and re-prepared statements for nothing (bench/soak.sh).
  static constexpr std::chrono::milliseconds kIdleRelease{2000};

  // Opens the store on the worker thread (migrations + recovery happen there too).
  // `idle_release` is kIdleRelease but for tests.
  DbWorker(boost::asio::io_context& loop, SessionStore store,
           std::chrono::milliseconds idle_release = kIdleRelease);
  ~DbWorker();  // stop()
  DbWorker(const DbWorker&) = delete;
  DbWorker& operator=(const DbWorker&) = delete;

  // Runs `work(store)` on the worker; `done(result)` later on the loop after the commit.
  // R must be a Result<T>/Status: an error result rolls back that job's savepoint.
  template <typename Work, typename Done>
  void post(Work work, Done done) {
    enqueue(make_job(std::move(work), std::move(done), false));
  }

  // Like post(), but `work` runs after the batch's COMMIT, outside any transaction: for
  // what SQLite refuses inside one (PRAGMA wal_checkpoint(TRUNCATE), VACUUM).
  template <typename Work, typename Done>
  void post_standalone(Work work, Done done) {
    enqueue(make_job(std::move(work), std::move(done), true));
  }

  void stop();
  std::size_t queued() const;
  std::uint64_t batches() const { return batches_; }  // commits so far (for metrics)

 private:
  struct Job {
    std::function<bool(SessionStore&)> run;  // worker thread; false = failed
    std::function<void(const Error&)> fail;  // worker thread: nothing was committed
    std::function<void()> complete;          // loop thread
    bool standalone = false;                 // run after COMMIT (post_standalone)
  };
  // The result travels from the worker to the loop in a slot both closures share.
  template <typename Work, typename Done>
  static Job make_job(Work work, Done done, bool standalone) {
    using R = std::invoke_result_t<Work&, SessionStore&>;
    auto slot = std::make_shared<std::optional<R>>();
    return Job{[work = std::move(work), slot](SessionStore& s) mutable -> bool {
                 slot->emplace(work(s));
                 return (*slot)->ok();
               },
               [slot](const Error& e) { *slot = R(e); },
               [done = std::move(done), slot]() mutable { done(std::move(**slot)); }, standalone};
  }
  void enqueue(Job job);
  void thread_main();
  boost::asio::io_context& loop_;
  SessionStore store_;
  const std::chrono::milliseconds idle_release_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> batches_{0};
  std::thread thread_;
};

}  // namespace simpleclaw::sessions
