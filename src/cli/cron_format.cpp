#include "cli/cron_format.h"

#include <date/tz.h>

#include <algorithm>
#include <chrono>

#include "base/json_fields.h"
#include "cron/cron_expr.h"
#include "cron/durations.h"
#include "cron/zones.h"

namespace simpleclaw::cli {
namespace {

// Code points in UTF-8 text: every byte that is not a continuation byte (10xxxxxx).
std::size_t code_points(std::string_view s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// "2h 5m": the largest non-zero unit of `seconds` and the one after it when non-zero.
std::string two_units(std::int64_t seconds) {
  struct Unit {
    std::int64_t size;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{86'400, "d"}, {3'600, "h"}, {60, "m"}, {1, "s"}};
  for (std::size_t i = 0; i < std::size(kUnits); ++i) {
    const std::int64_t n = seconds / kUnits[i].size;
    if (n == 0 && i + 1 < std::size(kUnits)) continue;
    std::string out = std::to_string(n) + kUnits[i].name;
    if (i + 1 < std::size(kUnits)) {
      const std::int64_t rest = (seconds % kUnits[i].size) / kUnits[i + 1].size;
      if (rest > 0) out += " " + std::to_string(rest) + kUnits[i + 1].name;
    }
    return out;
  }
  return "0s";
}

}  // namespace

std::string format_zone_time(std::int64_t ms, std::string_view tz) {
  using std::chrono::seconds;
  const std::int64_t s = cron::floor_div(ms, 1000);
  const date::sys_seconds instant{seconds{s}};
  // Seconds only when they say something (a staggered job, an `at` with seconds).
  const char* fmt = (s % 60 + 60) % 60 == 0 ? "%Y-%m-%d %H:%M" : "%Y-%m-%d %H:%M:%S";
  const date::time_zone* zone = tz.empty() ? nullptr : cron::find_zone(tz);
  if (!zone) zone = cron::find_zone("UTC");
  if (!zone) return date::format(fmt, instant) + " UTC";  // no tzdata at all
  const date::sys_info info = zone->get_info(instant);
  return date::format(fmt, zone->to_local(instant)) + " " + info.abbrev;
}

std::string format_relative(std::int64_t target_ms, std::int64_t now_ms) {
  const std::int64_t d = target_ms - now_ms;
  if (d > -1000 && d < 1000) return "now";
  const std::string span = two_units((d < 0 ? -d : d) / 1000);
  return d > 0 ? "in " + span : span + " ago";
}

std::string format_run_duration(std::int64_t ms) {
  if (ms < 0) ms = 0;
  if (ms < 1000) return std::to_string(ms) + "ms";
  if (ms < 60'000) {
    const std::int64_t tenths = ms / 100;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "s";
  }
  return two_units(ms / 1000);
}

std::string describe_schedule(const Json& schedule, std::string_view display_tz) {
  if (!schedule.is_object()) return schedule.dump();
  const std::string kind = json_str(schedule, "kind");
  if (kind == "every" && schedule.contains("everyMs") && schedule["everyMs"].is_number_integer())
    return "every " + cron::format_duration(schedule["everyMs"].get<std::int64_t>());
  if (kind == "cron" && schedule.contains("expr") && schedule["expr"].is_string()) {
    std::string out = "cron " + schedule["expr"].get<std::string>();
    std::string extra;
    if (schedule.contains("tz") && schedule["tz"].is_string()) extra = schedule["tz"];
    if (schedule.contains("staggerMs") && schedule["staggerMs"].is_number_integer() &&
        schedule["staggerMs"].get<std::int64_t>() > 0)
      extra += (extra.empty() ? "stagger " : ", stagger ") +
               cron::format_duration(schedule["staggerMs"].get<std::int64_t>());
    return extra.empty() ? out : out + " (" + extra + ")";
  }
  if (kind == "at" && schedule.contains("at")) {
    const Json& at = schedule["at"];
    if (at.is_number_integer()) return "at " + format_zone_time(at.get<std::int64_t>(), display_tz);
    if (at.is_string()) {
      // The gateway sends ISO UTC; read it that way (no offset = UTC, as on the wire).
      if (auto ms = cron::parse_local_time(at.get<std::string>(), "UTC"); ms.ok())
        return "at " + format_zone_time(*ms, display_tz);
      return "at " + at.get<std::string>();
    }
  }
  return schedule.dump();
}

std::string one_line(std::string_view text, std::size_t max_chars) {
  text = text.substr(0, text.find_first_of("\r\n"));
  if (code_points(text) <= max_chars) return std::string(text);
  // Keep max_chars - 1 code points and mark the cut.
  std::size_t kept = 0, i = 0;
  for (; i < text.size(); ++i) {
    if ((text[i] & 0xC0) != 0x80) {
      if (kept == max_chars - 1) break;
      ++kept;
    }
  }
  return std::string(text.substr(0, i)) + "…";
}

std::string render_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (std::size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], code_points(row[c]));
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (std::size_t c = 0; c < row.size(); ++c) {
      line += row[c];
      if (c + 1 < row.size()) line += std::string(width[c] - code_points(row[c]) + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

}  // namespace simpleclaw::cli
