#include "gateway/usage_window.h"

#include <ctime>
#include <optional>
#include <regex>

#include "base/json_fields.h"
#include "cron/zones.h"

namespace simpleclaw::gateway {
namespace {

using sessions::DayZone;
constexpr std::int64_t kDayMs = 86'400'000;

struct Ymd {
  int y = 1970, m = 1, d = 1;
};

// Days since 1970-01-01 of a proleptic Gregorian date, and back (H. Hinnant's algorithms).
std::int64_t days_from_civil(Ymd c) {
  const std::int64_t y = c.m <= 2 ? c.y - 1 : c.y;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (c.m > 2 ? c.m - 3 : c.m + 9) + 2) / 5 + c.d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

Ymd civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return Ymd{static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0)), m, d};
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

std::optional<Ymd> parse_ymd(const std::string& s) {
  static const std::regex re(R"(^(\d{4})-(\d{2})-(\d{2})$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  Ymd c{std::stoi(m[1]), std::stoi(m[2]), std::stoi(m[3])};
  if (c.m < 1 || c.m > 12 || c.d < 1 || c.d > 31) return std::nullopt;
  Ymd back = civil_from_days(days_from_civil(c));  // 2025-02-30 comes back as March
  if (back.y != c.y || back.m != c.m || back.d != c.d) return std::nullopt;
  return c;
}

std::string ymd_text(Ymd c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", c.y, c.m, c.d);
  return buf;
}

Ymd day_in_zone(DayZone zone, int offset_minutes, std::int64_t ms) {
  if (zone == DayZone::kLocal) {
    std::time_t t = static_cast<std::time_t>(floor_div(ms, 1000));
    std::tm tm{};
    ::localtime_r(&t, &tm);
    return Ymd{tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
  }
  const std::int64_t shift = zone == DayZone::kOffset ? std::int64_t{offset_minutes} * 60000 : 0;
  return civil_from_days(floor_div(ms + shift, kDayMs));
}

// The first millisecond of a day in the zone. Local: mktime() at 00:00 with the DST flag
// left to the C library; a midnight skipped by a DST change becomes the day's first
// existing instant.
std::int64_t day_start(DayZone zone, int offset_minutes, Ymd c) {
  if (zone == DayZone::kLocal) {
    std::tm tm{};
    tm.tm_year = c.y - 1900;
    tm.tm_mon = c.m - 1;
    tm.tm_mday = c.d;
    tm.tm_isdst = -1;
    return static_cast<std::int64_t>(std::mktime(&tm)) * 1000;
  }
  const std::int64_t shift = zone == DayZone::kOffset ? std::int64_t{offset_minutes} * 60000 : 0;
  return days_from_civil(c) * kDayMs - shift;
}

// "UTC+5", "UTC-03:30" -> minutes east of UTC; nullopt when malformed or out of range.
std::optional<int> parse_utc_offset(const std::string& s) {
  static const std::regex re(R"(^UTC([+-])(\d{1,2})(?::([0-5]\d))?$)");
  std::smatch m;
  if (!std::regex_match(s, m, re)) return std::nullopt;
  int minutes = std::stoi(m[2]) * 60 + (m[3].matched ? std::stoi(m[3]) : 0);
  if (m[1] == "-") minutes = -minutes;
  if (minutes < -720 || minutes > 840) return std::nullopt;
  return minutes;
}

bool is_utc_name(const std::string& tz) {
  for (const char* n :
       {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu", "Z"})
    if (tz == n) return true;
  return false;
}

Error window_error(const std::string& what) { return Error::invalid(what); }

}  // namespace

std::string usage_day_of(const UsageWindow& w, std::int64_t ms) {
  return ymd_text(day_in_zone(w.zone, w.offset_minutes, ms));
}

std::string next_usage_day(const std::string& day) {
  auto c = parse_ymd(day);
  return c ? ymd_text(civil_from_days(days_from_civil(*c) + 1)) : std::string();
}

Result<UsageWindow> usage_window(const Json& params, std::int64_t now_ms) {
  UsageWindow w;
  const std::string mode = json_str(params, "mode", "gateway");
  const std::string tz = json_str(params, "timeZone");
  const std::string offset = json_str(params, "utcOffset");
  if (mode == "utc") {
    w.zone = DayZone::kUtc;
  } else if (mode == "specific") {
    auto minutes = offset.empty() ? std::nullopt : parse_utc_offset(offset);
    if (!offset.empty() && !minutes)
      return window_error("invalid utcOffset '" + offset + "': expected UTC-12:00 to UTC+14:00");
    if (!tz.empty() && is_utc_name(tz)) {
      w.zone = DayZone::kUtc;
    } else if (!tz.empty() && tz == cron::host_zone_name()) {
      w.zone = DayZone::kLocal;
    } else if (minutes) {
      w.zone = DayZone::kOffset;
      w.offset_minutes = *minutes;
    } else if (!tz.empty()) {
      return window_error("timeZone '" + tz + "' is not the gateway's (" + cron::host_zone_name() +
                          "): send utcOffset (e.g. UTC+2) with it, or mode 'gateway' or 'utc'");
    } else {
      w.zone = DayZone::kUtc;
    }
  }  // else "gateway" (the schema admits nothing else)

  const std::string start = json_str(params, "startDate");
  const std::string end = json_str(params, "endDate");
  const Ymd today = day_in_zone(w.zone, w.offset_minutes, now_ms);
  Ymd first, last = today;
  bool all = false;
  if (!start.empty() || !end.empty()) {
    if (start.empty() || end.empty())
      return window_error("startDate and endDate must be sent together (YYYY-MM-DD)");
    auto s = parse_ymd(start);
    auto e = parse_ymd(end);
    if (!s) return window_error("invalid startDate '" + start + "': expected a YYYY-MM-DD date");
    if (!e) return window_error("invalid endDate '" + end + "': expected a YYYY-MM-DD date");
    if (days_from_civil(*s) > days_from_civil(*e))
      return window_error("startDate " + start + " is after endDate " + end);
    first = *s;
    last = *e;
  } else {
    const std::string range = json_str(params, "range");
    int days = json_int(params, "days", 30);
    if (range == "7d") days = 7;
    if (range == "30d") days = 30;
    if (range == "90d") days = 90;
    if (range == "1y") days = 365;
    all = range == "all";
    first = all ? Ymd{} : civil_from_days(days_from_civil(today) - (days - 1));
  }
  w.days = static_cast<int>(days_from_civil(last) - days_from_civil(first) + 1);
  if (!all && w.days > kMaxUsageDays)
    return window_error("the window is " + std::to_string(w.days) + " days; at most " +
                        std::to_string(kMaxUsageDays) + " (or range 'all')");
  w.start_ms = all ? 0 : day_start(w.zone, w.offset_minutes, first);
  w.end_ms = day_start(w.zone, w.offset_minutes, civil_from_days(days_from_civil(last) + 1)) - 1;
  w.start_date = ymd_text(first);
  w.end_date = ymd_text(last);
  return w;
}

}  // namespace simpleclaw::gateway
