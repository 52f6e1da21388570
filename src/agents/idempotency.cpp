#include "agents/idempotency.h"

namespace simpleclaw::agents {

const IdempotencyCache::Entry* IdempotencyCache::find(const std::string& run_id, std::size_t max) {
  std::int64_t now = clock_.wall_ms();
  while (!order_.empty() && (order_.front().second <= now || order_.size() > max)) {
    auto it = entries_.find(order_.front().first);
    // Only the terminal entry this slot was queued for expires: an in-flight key (sent
    // again after an earlier run with it was forgotten) stays until its run ends.
    if (it != entries_.end() && !it->second.in_flight &&
        it->second.expires_ms == order_.front().second)
      entries_.erase(it);
    order_.pop_front();
  }
  auto it = entries_.find(run_id);
  return it == entries_.end() ? nullptr : &it->second;
}

std::size_t IdempotencyCache::expire(std::size_t max) {
  (void)find(std::string(), max);  // prunes expired entries from the front
  return entries_.size();
}

void IdempotencyCache::in_flight(const std::string& run_id, std::string_view owner) {
  entries_[run_id] = Entry{true, {}, 0, std::string(owner)};
}

void IdempotencyCache::remember(RunOutcome outcome, std::int64_t ttl_ms) {
  std::int64_t expires = clock_.wall_ms() + ttl_ms;
  std::string run_id = outcome.run_id;
  auto it = entries_.find(run_id);
  std::string owner = it != entries_.end() ? std::move(it->second.owner) : std::string();
  entries_[run_id] = Entry{false, std::move(outcome), expires, std::move(owner)};
  order_.emplace_back(run_id, expires);
}

}  // namespace simpleclaw::agents
