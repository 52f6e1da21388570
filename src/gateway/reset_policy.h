// sessions.reset mode daily: which sessions count as "from before today".
#pragma once
#include <cstdint>

namespace simpleclaw::gateway {

// The start of the current reset "day": today at `hour`:00 local time, or yesterday's if
// that is still ahead of now_ms. Sessions last active before it start over. Follows the
// process's time zone (TZ), DST changes included.
std::int64_t daily_reset_cutoff_ms(std::int64_t now_ms, int hour);

}  // namespace simpleclaw::gateway
