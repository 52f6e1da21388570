// IdempotencyCache: what a duplicate chat.send answers (SPEC §5, idempotencyKey = runId).
//
// An entry is in flight from the moment its run is accepted until the run ends; then it
// holds the run's outcome until it expires (ttl) or the cache holds more than `max`
// terminal entries (oldest dropped first). In-flight entries never expire: their run is
// still going. Each entry records its owner (the user part of the session key in shared
// mode) so that another user's key is refused rather than answered with their run.
//
// After a restart this cache is empty; the runs table answers instead (RunEngine).
//
// Threading: loop thread only (owned by the RunEngine).
#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "base/clock.h"
#include "sessions/types.h"

namespace simpleclaw::agents {

// How a run ended, as remembered for a duplicate chat.send.
struct RunOutcome {
  std::string run_id;
  sessions::RunStatus status = sessions::RunStatus::kFinal;  // terminal
  std::optional<sessions::Entry> reply;                      // kFinal: the committed reply
  std::string text;  // the reply's text when nothing was committed
  std::int64_t started_at = 0;
  std::string error;  // kError
};

class IdempotencyCache {
 public:
  struct Entry {
    bool in_flight = true;
    RunOutcome outcome;  // when !in_flight
    std::int64_t expires_ms = 0;
    std::string owner;
  };

  explicit IdempotencyCache(const Clock& clock) : clock_(clock) {}

  // The entry for `run_id`, after dropping what expired or exceeds `max` terminal
  // entries. The pointer is valid until the next call.
  const Entry* find(const std::string& run_id, std::size_t max);
  // Its run was accepted for `owner`.
  void in_flight(const std::string& run_id, std::string_view owner);
  // Its run ended: answer duplicates with `outcome` for `ttl_ms`. Keeps the owner
  // recorded by in_flight().
  void remember(RunOutcome outcome, std::int64_t ttl_ms);
  // The run was never accepted after all (its commit failed, or the key belongs to
  // someone else): a retry with the same key is a new run.
  void forget(const std::string& run_id) { entries_.erase(run_id); }
  // Maintenance: drops what expired; returns how many entries remain.
  std::size_t expire(std::size_t max);
  std::size_t size() const { return entries_.size(); }

 private:
  const Clock& clock_;
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<std::string, std::int64_t>> order_;  // (runId, expires), oldest first
};

}  // namespace simpleclaw::agents
