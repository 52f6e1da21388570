// sessions.reset: which sessions count as "from before today" (mode daily), and how the
// cut-off survives the wall clock being set back (WallJumps).
#pragma once
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>

namespace simpleclaw::gateway {

// The start of the current reset "day": today at `hour`:00 local time, or yesterday's if
// that is still ahead of now_ms. Sessions last active before it start over. Follows the
// process's time zone (TZ), DST changes included.
std::int64_t daily_reset_cutoff_ms(std::int64_t now_ms, int hour);

// Backward jumps of the wall clock, as the reset policy sees them. Session activity is
// stamped in wall time (sessions.updated_at), so after the clock is set back by J every
// session stamped before the jump looks J younger than it is, and its idle or daily reset
// would come J late (hours, for a clock set back by hours). A jump forward needs nothing:
// it is time that really passed as far as anyone can tell (a laptop waking from suspend
// moves the wall clock forward and not the steady one), so it ages every session alike.
//
// A jump back is seen by comparing how far the wall clock moved with how far steady time
// did between two observations (each maintenance pass). A stamp older than the jump's
// landing point (the wall time just after it; estimated low) was certainly made before
// the jump and is aged by J. A stamp at or after the landing point may come from either
// side of the jump and is taken at face value: a session is then reset at most J late,
// never early, so a conversation in use is never cut short by a clock change.
class WallJumps {
 public:
  static constexpr std::int64_t kToleranceMs = 1000;  // smaller steps (NTP slews): ignored
  static constexpr std::size_t kMaxKept = 16;         // the oldest are forgotten (later resets)

  // A reading of the clock: wall and steady time taken together.
  void observe(std::int64_t wall_ms, std::chrono::steady_clock::time_point steady);
  // The cut-off to use now (sessions last active before it start over), given
  // `cutoff_at(t)`: the policy's cut-off were the wall clock at t (idle: t - idle; daily:
  // the last reset hour before t). Never earlier than cutoff_at(now_ms).
  std::int64_t cutoff(std::int64_t now_ms,
                      const std::function<std::int64_t(std::int64_t)>& cutoff_at) const;
  std::size_t jumps() const { return jumps_.size(); }

 private:
  struct Jump {
    std::int64_t landing_ms;  // every stamp made after the jump is at or after it
    std::int64_t back_ms;     // how far back the clock went
  };
  std::deque<Jump> jumps_;  // oldest first
  bool seen_ = false;
  std::int64_t last_wall_ = 0;
  std::chrono::steady_clock::time_point last_steady_{};
};

}  // namespace simpleclaw::gateway
