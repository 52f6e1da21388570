// BlockingPool: where blocking file work goes (workspace files, the system prompt, the
// file tools), so it never runs on the loop and never waits in line behind the session
// database's fsync-gated writer (sessions/db_worker.h). Redis's bio threads, one queue.
//
// run(work, done): `work()` runs on a pool thread and must only touch its captures (take
// values in, hand values back); `done(result)` then runs on the loop. The threads are
// made on the first run(), so an idle gateway keeps none (RSS). stop() (and the
// destructor) lets queued work finish and joins; completions posted after the loop
// stopped never run.
//
// Threading: construct, run() and stop() on the loop thread.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstddef>
#include <memory>
#include <type_traits>
#include <utility>

namespace simpleclaw {

class BlockingPool {
 public:
  explicit BlockingPool(boost::asio::io_context& loop, std::size_t threads = 2)
      : loop_(loop), threads_(threads) {}
  ~BlockingPool() { stop(); }
  BlockingPool(const BlockingPool&) = delete;
  BlockingPool& operator=(const BlockingPool&) = delete;

  template <typename Work, typename Done>
  void run(Work work, Done done) {
    if (!pool_) pool_ = std::make_unique<boost::asio::thread_pool>(threads_);
    boost::asio::post(
        *pool_, [&loop = loop_, work = std::move(work), done = std::move(done)]() mutable {
          auto result = work();
          boost::asio::post(loop, [done = std::move(done), result = std::move(result)]() mutable {
            done(std::move(result));
          });
        });
  }

  void stop() {
    if (!pool_) return;
    pool_->join();
    pool_.reset();
  }

 private:
  boost::asio::io_context& loop_;
  std::size_t threads_;
  std::unique_ptr<boost::asio::thread_pool> pool_;
};

}  // namespace simpleclaw
