// Time zones by IANA name (Europe/Berlin), from the system tzdata (/usr/share/zoneinfo)
// through Howard Hinnant's date/tz: name lookup, the host's zone, and the one rule for
// turning a wall-clock reading into an instant around DST changes.
//
// The tz database is read once, on first use, and then shared read-only; every function
// here may be called from any thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace simpleclaw::cron {

// The host's zone name: $TZ (a leading ':' or /usr/share/zoneinfo/ dropped), else the
// zone /etc/localtime links to, else /etc/timezone, else "UTC". Read again on every call
// (a readlink and a getenv), so a zone change on a running host takes effect.
// $SIMPLECLAW_LOCALTIME names another link to read instead of /etc/localtime (tests).
std::string host_zone_name();

// Whether tzdata knows the name (a zone or a link: "UTC", "Europe/Berlin", "US/Eastern").
bool is_known_zone(std::string_view name);

// The zone, or null for an unknown name (or no tzdata at all). Never throws.
const date::time_zone* find_zone(std::string_view name);

// The instant (epoch seconds) a wall-clock reading (local seconds, see cron_expr.h) names
// in `zone`. A reading skipped by a DST change (02:30 on a spring-forward day) becomes the
// first instant after the gap (03:00); a reading that occurs twice (fall-back) becomes its
// first occurrence.
std::int64_t local_to_instant(const date::time_zone& zone, std::int64_t local_s);

}  // namespace simpleclaw::cron
