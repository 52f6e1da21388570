// How `simpleclaw cron` (cron_cmd.cpp) shows scheduled jobs to a person: times on the wall
// clock of a zone ("2026-12-24 18:00 CET"), distances from now ("in 2h 5m"), run durations
// and schedules in words ("every 30m", "cron 0 9 * * 1-5 (Europe/Berlin)"), and a plain
// text table. The other direction (flags to cron.add params) is cron_flags.h.
//
// Pure functions (zone data comes from sc_cron's tzdata reader): any thread.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::cli {

// "2026-12-24 18:00 CET" (seconds shown only when not :00): epoch ms read on the wall
// clock of `tz`, with the zone's abbreviation; an empty or unknown zone reads as UTC.
std::string format_zone_time(std::int64_t ms, std::string_view tz);

// "in 2h 5m", "in 45s", "3d 4h ago", "now": the two largest units of target - now.
std::string format_relative(std::int64_t target_ms, std::int64_t now_ms);

// A run's length: "850ms", "1.2s", "2m 5s", "1h 3m".
std::string format_run_duration(std::int64_t ms);

// A schedule (CronJob.schedule wire shape) in words: "every 30m", "cron 0 9 * * 1-5
// (Europe/Berlin)", "cron 0 * * * * (stagger 5m)", "at 2026-12-24 18:00 UTC" (an `at` is
// shown on the wall clock of `display_tz`). Anything else: its JSON.
std::string describe_schedule(const Json& schedule, std::string_view display_tz);

// The first line of `text`, at most `max_chars` characters (UTF-8 code points), "…" when
// cut.
std::string one_line(std::string_view text, std::size_t max_chars);

// Columns padded to their widest cell (counted in code points), two spaces apart, one row
// per line; the first row is the header. Trailing spaces trimmed.
std::string render_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace simpleclaw::cli
