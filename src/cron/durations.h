// Human-friendly schedule input for the CLI (`simpleclaw cron add --every 30m`,
// `--at 2026-12-24T18:00 --tz Europe/Berlin`) and the ISO parser behind `at` schedules.
// Pure functions: any thread.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::cron {

// The latest time an `at` may name: 9999-12-31T23:59:59.999Z (ISO years have 4 digits).
inline constexpr std::int64_t kMaxAtMs = 253'402'300'799'999;

// "30m", "1h30m", "2d", "45s", "1500ms", "1w": whole numbers, each with a unit (ms s m h d
// w), summed. At most 64 bytes and kMaxTimestampMs (schedule.h) in total.
Result<std::int64_t> parse_duration_ms(std::string_view text);

// 5'400'000 -> "1h30m", 1500 -> "1s500ms", 0 -> "0s": the inverse of parse_duration_ms.
std::string format_duration(std::int64_t ms);

// An instant from ISO 8601: "2026-12-24", "2026-12-24T18:00", "2026-12-24 18:00:30",
// "2026-12-24T18:00:00.250", each optionally with Z or an offset (+01:00, +0100, -05).
// Without an offset the reading is wall-clock time in `tz` (a time skipped by DST = the
// first instant after the gap, a repeated one = its first occurrence). Digits only =
// epoch milliseconds, as OpenClaw accepts. Epoch ms out; years 1970-9999.
Result<std::int64_t> parse_local_time(std::string_view text, std::string_view tz);

}  // namespace simpleclaw::cron
