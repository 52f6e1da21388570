// CronExpr: a parsed cron expression, as sets of allowed values per field, and the search
// for the next wall-clock second that matches it.
//
// Syntax (Vixie cron, as cronie and OpenClaw's croner read it): 5 fields
// (minute hour day-of-month month day-of-week) or 6 (second first); each field is a list
// of `*`, numbers, ranges a-b, steps */n, a-b/n and a/n (a to the field's end), month names
// JAN..DEC and weekday names SUN..SAT (any case); 0 and 7 are Sunday; `?` is `*` in the
// day fields; macros @yearly @annually @monthly @weekly @daily @midnight @hourly. When both
// day fields are restricted (neither starts with * or ?) a day matches if EITHER matches.
// Expressions are at most 256 bytes; errors name the field and say what was wrong.
//
// Wall-clock times are "local seconds": seconds since 1970-01-01 00:00:00 read on a
// clock in the schedule's zone, no offset applied. Zones and DST are schedule.cpp's job.
// Plain values, pure functions: any thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw::cron {

inline constexpr std::size_t kMaxCronExprBytes = 256;

struct CronExpr {
  std::uint64_t seconds = 1;  // bit n: second n (0-59); 5 fields = second 0 only
  std::uint64_t minutes = 0;  // bit n: minute n (0-59)
  std::uint32_t hours = 0;    // bit n: hour n (0-23)
  std::uint32_t days = 0;     // bit n: day of month n (1-31)
  std::uint16_t months = 0;   // bit n: month n (1-12)
  std::uint8_t weekdays = 0;  // bit n: weekday n (0 = Sunday .. 6 = Saturday)
  bool dom_star = false;      // the day-of-month field starts with * or ?
  bool dow_star = false;      // the day-of-week field starts with * or ?
  // The hour field starts with *: the job follows real elapsed time across DST changes
  // (schedule.h, "DST") instead of firing once per wall-clock time.
  bool hour_star = false;
  bool has_seconds = false;  // written with 6 fields

  bool operator==(const CronExpr&) const = default;
};

Result<CronExpr> parse_cron_expr(std::string_view text);

// a / b rounded toward minus infinity (instants before 1970 stay on the right day).
std::int64_t floor_div(std::int64_t a, std::int64_t b);

// Whether a calendar day matches the day fields (Vixie's OR rule). `weekday`: 0 = Sunday.
bool day_matches(const CronExpr& e, unsigned month_day, unsigned month, unsigned weekday);

// The first local second >= from_local that matches, or nullopt when there is none up to
// and including limit_local. Skips by field (month, day, hour, minute, second), so the
// cost is bounded by the days it looks at, never by minutes.
std::optional<std::int64_t> next_local_match(const CronExpr& e, std::int64_t from_local,
                                             std::int64_t limit_local);

}  // namespace simpleclaw::cron
