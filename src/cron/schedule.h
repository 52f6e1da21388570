// Schedule: when a scheduled job is due, in OpenClaw's wire shapes (CronJob.schedule):
//   {kind:"at", at}                        once, at an ISO time (no offset = UTC) or epoch ms
//   {kind:"every", everyMs, anchorMs?}     at anchor + k * everyMs (everyMs >= 1000)
//   {kind:"cron", expr, tz?, staggerMs?}   a cron expression (cron_expr.h) in a zone
// and next_after(), the first due time strictly after a given instant.
//
// DST (cron schedules; the wall clock is read in the schedule's zone):
//  * A job whose hour field is fixed (`30 2 * * *`) fires once per wall-clock time. A time
//    skipped by spring-forward (02:30 in Europe/Berlin on 2026-03-29) fires once at the
//    first valid instant after the gap (03:00); a time that occurs twice on a fall-back
//    day (02:30 on 2026-10-25) fires once, at its first occurrence.
//  * A job whose hour field starts with * (`*/15 * * * *`, `0 */2 * * *`, @hourly) follows
//    real elapsed time, as Vixie cron and cronie run "wildcard" jobs: it fires at every
//    instant whose wall-clock reading matches, so it fires in both passes of a repeated
//    hour and not at all in a skipped one (15-minute jobs stay 15 minutes apart).
//    (cronie also counts a `*` minute field as wildcard; here only the hour decides, so
//    `*/5 2 * * *` is a 02:xx job that fires once per wall-clock time.)
//
// Stagger: a cron schedule with staggerMs > 0 fires at each occurrence plus a fixed
// offset in [0, staggerMs) derived from the job id (FNV-1a), so jobs sharing an expression
// spread out instead of all hitting the model at the top of the hour, and each job keeps
// its own offset across restarts.
//
// Plain values and pure functions (they read tzdata, see zones.h): any thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "cron/cron_expr.h"
#include "cron/zones.h"
#include "simpleclaw/result.h"

namespace simpleclaw::cron {

// Bounds from OpenClaw's published schema (the largest JavaScript Date, in ms).
inline constexpr std::int64_t kMaxTimestampMs = 8'640'000'000'000'000;
inline constexpr std::int64_t kMinEveryMs = 1000;
// How far next_after looks for a cron match before it says "never" (Feb 30): 5 years.
inline constexpr std::int64_t kCronHorizonSeconds = 5 * 366 * 86'400LL;

struct AtSchedule {
  std::int64_t at_ms = 0;  // epoch ms
  bool operator==(const AtSchedule&) const = default;
};
struct EverySchedule {
  std::int64_t every_ms = 0;
  // Occurrences are anchor + k * every_ms. Absent on the wire = the job's creation time:
  // the job store fills anchor_ms = createdAtMs before asking next_after (which treats a
  // missing anchor as 0, the epoch).
  std::optional<std::int64_t> anchor_ms;
  bool operator==(const EverySchedule&) const = default;
};
struct CronSchedule {
  std::string expr;  // as written: to_json sends it back unchanged
  CronExpr parsed;   // parse_cron_expr(expr)
  std::string tz;    // IANA name; empty = the caller's default zone
  std::int64_t stagger_ms = 0;
  bool operator==(const CronSchedule&) const = default;
};
using Schedule = std::variant<AtSchedule, EverySchedule, CronSchedule>;

// From the wire shape. Errors name the field: "schedule.tz: unknown time zone 'Mars/Base'
// ...", "schedule.everyMs: 500 is below the minimum 1000 (1 second)". Unknown fields are
// refused (the published schema has additionalProperties: false).
Result<Schedule> parse_schedule(const Json& j);

// The wire shape; parse_schedule(to_json(s)) == s. `at` comes back as ISO UTC
// ("2026-12-24T18:00:00.000Z"), tz and staggerMs only when set.
Json to_json(const Schedule& s);

// The first due time strictly after `after_ms` (epoch ms), or nullopt when there is none:
// an `at` already past, a cron expression with no match in the next 5 years (0 0 30 2 *),
// a time beyond kMaxTimestampMs. `default_tz`: the zone for a cron schedule without tz
// (the caller passes config cron.timezone or host_zone_name()); an unknown name means
// UTC. `stagger_key`: the job id, the seed of the stagger offset.
std::optional<std::int64_t> next_after(const Schedule& s, std::int64_t after_ms,
                                       std::string_view default_tz,
                                       std::string_view stagger_key = {});

// The stagger offset next_after adds for this key: in [0, stagger_ms), 0 when stagger_ms
// <= 1.
std::int64_t stagger_offset_ms(std::int64_t stagger_ms, std::string_view stagger_key);

}  // namespace simpleclaw::cron
