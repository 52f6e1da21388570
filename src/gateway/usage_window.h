// The calendar window a usage query covers (usage.cost, sessions.usage): OpenClaw's
// params (startDate/endDate, days, range, mode, timeZone, utcOffset) resolved to the first
// and last millisecond of whole calendar days in one zone, and the day names at both ends.
//
// A day is a calendar day in the zone, not 86400 s: in the gateway's local zone
// (mode "gateway", the default) a DST change makes a day 23 or 25 hours long, and the
// bounds come from mktime() at local midnight. mode "utc" uses UTC days; "specific" uses
// the client's zone when it is UTC or the gateway's own zone, else its utcOffset (a fixed
// offset, as OpenClaw does when it cannot resolve the zone).
//
// Pure (reads the process's TZ through the C library); any thread.
#pragma once
#include <cstdint>
#include <string>

#include "sessions/usage.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

struct UsageWindow {
  sessions::DayZone zone = sessions::DayZone::kLocal;
  int offset_minutes = 0;                 // kOffset: east of UTC
  std::int64_t start_ms = 0, end_ms = 0;  // first and last millisecond, inclusive
  std::string start_date, end_date;       // YYYY-MM-DD in the zone
  int days = 0;                           // calendar days in the window
};

// The longest window (about ten years): a bigger one is refused, not silently cut.
inline constexpr int kMaxUsageDays = 3660;

// `params`: the method's params (already schema-checked). `now_ms`: the gateway's clock.
// Errors are kInvalid with a message naming the field and what to send instead.
Result<UsageWindow> usage_window(const Json& params, std::int64_t now_ms);

// The day (YYYY-MM-DD) an instant falls on in the window's zone.
std::string usage_day_of(const UsageWindow& w, std::int64_t ms);
// The day after `day` (YYYY-MM-DD); "" when `day` is not a date.
std::string next_usage_day(const std::string& day);

}  // namespace simpleclaw::gateway
