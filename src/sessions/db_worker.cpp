#include "sessions/db_worker.h"

#include <vector>

#include "base/log.h"

namespace simpleclaw::sessions {

DbWorker::DbWorker(boost::asio::io_context& loop, SessionStore store)
    : loop_(loop), store_(std::move(store)), thread_([this] { thread_main(); }) {}

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
  for (;;) {
    {
      std::unique_lock lk(mu_);
      cv_.wait(lk, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
      queue_.clear();
    }
    std::optional<Error> commit_error;
    if (auto b = db.run("BEGIN IMMEDIATE"); !b.ok()) commit_error = b.error();
    if (!commit_error) {
      for (Job& job : batch) {
        if (job.standalone) continue;  // after the COMMIT below
        // A savepoint per job: a failing job undoes only its own writes.
        if (auto s = db.run("SAVEPOINT job"); !s.ok()) {
          job.fail(s.error());
          continue;
        }
        bool ok = job.run(store_);
        if (!ok) (void)db.run("ROLLBACK TO job");
        (void)db.run("RELEASE job");
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
  }
}

}  // namespace simpleclaw::sessions
