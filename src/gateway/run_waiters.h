// RunWaiters: callers waiting for a run to end, by run id: `agent` (its final answer) and
// `agent.wait`; and followers of a run in flight (the HTTP API's streamed answers), told
// each reply delta and tool event as RunFrames sees it. RunFrames reports every run's end here
// (run_finished, for the run and any it absorbed); a waiter is called once, with the end, or with
// nothing when its timeout passes first. The last kRecentEnds ends are remembered, so a wait that
// arrives just after its run ended (the usual race: `agent` accepted, the run ended, then
// `agent.wait`) still answers at once.
//
// Threading: loop thread only.
#pragma once
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "agents/run_events.h"
#include "base/alive.h"
#include "sessions/types.h"

namespace simpleclaw::gateway {

// How a run ended, as a waiter needs it.
struct RunEnd {
  std::string run_id, session_key;
  sessions::RunStatus status = sessions::RunStatus::kFinal;
  std::string error;
  bool timed_out = false;  // kError because the run's timeout passed
  std::int64_t started_at = 0, ended_at = 0;
  // The reply: given to the waiters of the moment only (the remembered ends drop it, so
  // kRecentEnds bounds memory by count alone).
  std::string text, model;
  std::int64_t input_tokens = 0, output_tokens = 0;
};

class RunWaiters {
 public:
  static constexpr std::size_t kRecentEnds = 1024;
  static constexpr std::size_t kMaxWaiters = 4096;  // across all runs
  // `end` is null when the timeout passed first.
  using Done = std::function<void(const RunEnd* end)>;

  explicit RunWaiters(boost::asio::io_context& io) : io_(io) {}

  // Calls `done` once: at once if `run_id` ended recently, else when it ends, or with
  // null after `timeout_ms` (<= 0: no timeout). False (and `done` is not called) when
  // kMaxWaiters are already waiting.
  bool wait(const std::string& run_id, std::int64_t timeout_ms, Done done);
  // The run ended: every waiter for it is answered.
  void finished(const RunEnd& end);
  const RunEnd* recent(const std::string& run_id) const;

  // Following a run in flight: `on_delta` gets the reply text as it grows, `on_tool` each
  // tool call's start and result. Until unfollow() (the run's end does not remove it).
  // 0 (not following) when kMaxWaiters already follow.
  struct Follower {
    std::function<void(std::string_view delta)> on_delta;
    std::function<void(const agents::ToolEvent&)> on_tool;
  };
  std::uint64_t follow(const std::string& run_id, Follower f);
  void unfollow(const std::string& run_id, std::uint64_t id);
  void delta(const std::string& run_id, std::string_view text);  // RunFrames'
  void tool(const agents::ToolEvent& e);                         // RunFrames'

 private:
  struct Waiter {
    std::uint64_t id = 0;
    Done done;
    std::unique_ptr<boost::asio::steady_timer> timer;
  };
  void timed_out(const std::string& run_id, std::uint64_t id);

  boost::asio::io_context& io_;
  std::unordered_map<std::string, std::vector<Waiter>> waiters_;
  std::size_t count_ = 0;
  std::uint64_t next_id_ = 1;
  std::unordered_map<std::string, RunEnd> recent_;
  std::deque<std::string> recent_order_;  // oldest first
  std::unordered_map<std::string, std::vector<std::pair<std::uint64_t, Follower>>> followers_;
  std::size_t follower_count_ = 0;
  Alive alive_;  // last: timers firing after destruction do nothing
};

}  // namespace simpleclaw::gateway
