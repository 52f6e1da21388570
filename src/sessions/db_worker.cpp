#include "sessions/db_worker.h"

#include <malloc.h>

#include <vector>

#include "base/log.h"

namespace simpleclaw::sessions {

DbWorker::DbWorker(boost::asio::io_context& loop, SessionStore store,
                   std::chrono::milliseconds idle_release)
    : loop_(loop),
      store_(std::move(store)),
      idle_release_(idle_release),
      thread_([this] { thread_main(); }) {}

DbWorker::~DbWorker() { stop(); }

void DbWorker::stop() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::size_t DbWorker::queued() const {
  std::lock_guard lk(mu_);
  return queue_.size();
}

void DbWorker::enqueue(Job job) {
  {
    std::lock_guard lk(mu_);
    queue_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void DbWorker::thread_main() {
  store::Db& db = store_.db();
  std::vector<Job> batch;
  bool worked = false;  // since the memory was last given back
  for (;;) {
    {
      std::unique_lock lk(mu_);
      auto wake = [&] { return stopping_ || !queue_.empty(); };
      if (!worked) {
        cv_.wait(lk, wake);
      } else if (!cv_.wait_for(lk, idle_release_, wake)) {
        // Idle RSS (docs/benchmarks.md, "Idle RSS (issue 18)"): a store with nothing to
        // do gives back SQLite's page cache and cached statements, and the allocator
        // the pages that freed. Refilling them costs a few reads from the OS cache and
        // prepares on the next job, after an idle pause only (idle_release_).
        lk.unlock();
        db.release_memory();
        ::malloc_trim(0);
        worked = false;
        continue;
      }
      if (queue_.empty()) return;  // stopping and drained
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    std::optional<Error> commit_error;
    if (auto b = db.begin(); !b.ok()) commit_error = b.error();
    if (!commit_error) {
      for (Job& job : batch) {
        if (job.standalone) continue;  // after the COMMIT below
        // A savepoint per job: a failing job undoes only its own writes.
        if (auto s = db.run("SAVEPOINT job"); !s.ok()) {
          job.fail(s.error());
          continue;
        }
        const std::uint64_t failures = db.failures();
        bool ok = job.run(store_);
        // On PostgreSQL a failed statement aborts the transaction even when the job
        // carried on without it (a read it could do without): undo the job, so the
        // batch's other jobs still commit, and tell it nothing it wrote was kept.
        const bool aborted = db.engine() == store::Engine::kPostgres && db.failures() != failures;
        if (!ok || aborted) (void)db.run("ROLLBACK TO job");
        (void)db.run("RELEASE job");
        if (ok && aborted) job.fail(db.last_failure());
      }
      if (auto c = db.run("COMMIT"); !c.ok()) {
        commit_error = c.error();
        (void)db.run("ROLLBACK");
      }
    }
    if (commit_error) log::error("session store commit failed: {}", commit_error->message);
    for (Job& job : batch)
      if (job.standalone) (void)job.run(store_);  // its own result; no transaction open
    for (Job& job : batch) {
      if (commit_error && !job.standalone) job.fail(*commit_error);
      boost::asio::post(loop_, std::move(job.complete));
    }
    batches_.fetch_add(1, std::memory_order_relaxed);
    batch.clear();
    worked = true;
  }
}

}  // namespace simpleclaw::sessions
