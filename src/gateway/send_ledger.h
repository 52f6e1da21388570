// SendLedger: `send` (direct delivery to a channel target) is retried by clients with the
// same idempotencyKey after a lost answer; the ledger makes such a retry answer what the
// first attempt did instead of sending the message twice. A duplicate that arrives while
// the first is still being delivered waits for its outcome. A delivery that failed is
// forgotten (a retry with the same key tries again); one that succeeded is remembered for
// kTtlMs, at most kMax of them (oldest dropped first).
//
// Threading: loop thread only.
#pragma once
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/clock.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

class SendLedger {
 public:
  static constexpr std::size_t kMax = 1024;
  static constexpr std::int64_t kTtlMs = 10 * 60 * 1000;
  using Answer = std::function<void(const Result<Json>&)>;

  explicit SendLedger(const Clock& clock) : clock_(clock) {}

  // True: `key` is new, the caller delivers and then calls end(). False: `answer` was
  // called with the remembered result, or will be when the delivery in flight ends.
  bool begin(const std::string& key, Answer answer) {
    expire();
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      entries_.emplace(key, Entry{});
      return true;
    }
    if (it->second.in_flight)
      it->second.waiting.push_back(std::move(answer));
    else
      answer(it->second.result);
    return false;
  }
  void end(const std::string& key, const Result<Json>& r) {
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    std::vector<Answer> waiting = std::move(it->second.waiting);
    if (r.ok()) {
      it->second = Entry{false, r, {}, clock_.wall_ms() + kTtlMs};
      order_.push_back(key);
    } else {
      entries_.erase(it);
    }
    for (Answer& a : waiting) a(r);
  }
  std::size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    bool in_flight = true;
    Result<Json> result = Json();
    std::vector<Answer> waiting;
    std::int64_t expires_ms = 0;
  };
  void expire() {
    const std::int64_t now = clock_.wall_ms();
    while (!order_.empty()) {
      auto it = entries_.find(order_.front());
      if (it != entries_.end()) {
        if (it->second.expires_ms > now && order_.size() <= kMax) break;
        entries_.erase(it);
      }
      order_.pop_front();
    }
  }

  const Clock& clock_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::string> order_;  // remembered keys, oldest first
};

}  // namespace simpleclaw::gateway
