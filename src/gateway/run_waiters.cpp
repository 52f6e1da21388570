#include "gateway/run_waiters.h"

#include <chrono>

namespace simpleclaw::gateway {

bool RunWaiters::wait(const std::string& run_id, std::int64_t timeout_ms, Done done) {
  if (const RunEnd* end = recent(run_id)) {
    done(end);
    return true;
  }
  if (count_ >= kMaxWaiters) return false;
  Waiter w{next_id_++, std::move(done), nullptr};
  if (timeout_ms > 0) {
    w.timer = std::make_unique<boost::asio::steady_timer>(io_);
    w.timer->expires_after(std::chrono::milliseconds(timeout_ms));
    w.timer->async_wait(alive_.guard([this, run_id, id = w.id](boost::system::error_code ec) {
      if (!ec) timed_out(run_id, id);
    }));
  }
  waiters_[run_id].push_back(std::move(w));
  ++count_;
  return true;
}

void RunWaiters::timed_out(const std::string& run_id, std::uint64_t id) {
  auto it = waiters_.find(run_id);
  if (it == waiters_.end()) return;
  auto& list = it->second;
  for (auto w = list.begin(); w != list.end(); ++w) {
    if (w->id != id) continue;
    Done done = std::move(w->done);
    list.erase(w);
    --count_;
    if (list.empty()) waiters_.erase(it);
    done(nullptr);
    return;
  }
}

void RunWaiters::finished(const RunEnd& end) {
  if (!recent_.contains(end.run_id)) {
    recent_order_.push_back(end.run_id);
    if (recent_order_.size() > kRecentEnds) {
      recent_.erase(recent_order_.front());
      recent_order_.pop_front();
    }
  }
  RunEnd& kept = recent_[end.run_id] = end;
  kept.text.clear();
  kept.text.shrink_to_fit();
  auto it = waiters_.find(end.run_id);
  if (it == waiters_.end()) return;
  std::vector<Waiter> list = std::move(it->second);
  waiters_.erase(it);
  count_ -= list.size();
  // Answered after the table is consistent: a callback may start another wait.
  for (Waiter& w : list) {
    if (w.timer) w.timer->cancel();
    w.done(&end);
  }
}

const RunEnd* RunWaiters::recent(const std::string& run_id) const {
  auto it = recent_.find(run_id);
  return it == recent_.end() ? nullptr : &it->second;
}

std::uint64_t RunWaiters::follow(const std::string& run_id, Follower f) {
  if (follower_count_ >= kMaxWaiters) return 0;
  const std::uint64_t id = next_id_++;
  followers_[run_id].emplace_back(id, std::move(f));
  ++follower_count_;
  return id;
}

void RunWaiters::unfollow(const std::string& run_id, std::uint64_t id) {
  auto it = followers_.find(run_id);
  if (it == followers_.end()) return;
  auto& list = it->second;
  for (auto f = list.begin(); f != list.end(); ++f)
    if (f->first == id) {
      list.erase(f);
      --follower_count_;
      break;
    }
  if (list.empty()) followers_.erase(it);
}

void RunWaiters::delta(const std::string& run_id, std::string_view text) {
  auto it = followers_.find(run_id);
  if (it == followers_.end()) return;
  // A copy: a follower may unfollow (or follow) from inside its callback.
  std::vector<std::pair<std::uint64_t, Follower>> list = it->second;
  for (auto& f : list)
    if (f.second.on_delta) f.second.on_delta(text);
}

void RunWaiters::tool(const agents::ToolEvent& e) {
  auto it = followers_.find(e.run_id);
  if (it == followers_.end()) return;
  std::vector<std::pair<std::uint64_t, Follower>> list = it->second;
  for (auto& f : list)
    if (f.second.on_tool) f.second.on_tool(e);
}

}  // namespace simpleclaw::gateway
