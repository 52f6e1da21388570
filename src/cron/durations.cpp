#include "cron/durations.h"

#include <date/date.h>

#include <array>
#include <cctype>

#include "cron/schedule.h"
#include "cron/zones.h"

namespace simpleclaw::cron {
namespace {

constexpr std::size_t kMaxDurationBytes = 64;
constexpr std::size_t kMaxTimeBytes = 64;

struct Unit {
  const char* name;
  std::int64_t ms;
};
constexpr std::array<Unit, 6> kUnits = {{{"ms", 1},
                                         {"s", 1000},
                                         {"m", 60'000},
                                         {"h", 3'600'000},
                                         {"d", 86'400'000},
                                         {"w", 604'800'000}}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

// Exactly `n` digits at `pos`, or -1.
int digits_at(std::string_view s, std::size_t pos, std::size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (!is_digit(s[i])) return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

Error time_format_error(std::string_view text) {
  return Error::invalid("'" + std::string(text) +
                        "' is not a time: expected ISO 8601 such as 2026-12-24T18:00, "
                        "2026-12-24T18:00:00Z or 2026-12-24T18:00+01:00, or epoch milliseconds");
}

Error time_range_error(std::string_view text, const std::string& what) {
  return Error::invalid("'" + std::string(text) + "' is not a time: " + what);
}

}  // namespace

Result<std::int64_t> parse_duration_ms(std::string_view raw) {
  const std::string_view text = trim(raw);
  const std::string shown(text.substr(0, kMaxDurationBytes));
  if (text.empty())
    return Error::invalid("duration is empty: write it like 30m, 1h30m, 2d, 45s or 1500ms");
  if (text.size() > kMaxDurationBytes)
    return Error::invalid("duration is " + std::to_string(text.size()) + " bytes: the limit is " +
                          std::to_string(kMaxDurationBytes));
  std::int64_t total = 0;
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_digit(text[i]))
      return Error::invalid("duration '" + shown + "': expected a number at '" +
                            std::string(text.substr(i)) + "' (e.g. 30m, 1h30m)");
    std::int64_t n = 0;
    while (i < text.size() && is_digit(text[i])) {
      if (n > kMaxTimestampMs)
        return Error::invalid("duration '" + shown + "' is too long: the limit is " +
                              format_duration(kMaxTimestampMs));
      n = n * 10 + (text[i++] - '0');
    }
    if (i < text.size() && (text[i] == '.' || text[i] == ','))
      return Error::invalid("duration '" + shown +
                            "': use whole numbers with a smaller unit, e.g. 1h30m instead of 1.5h");
    if (i == text.size())
      return Error::invalid("duration '" + shown +
                            "': the number at the end needs a unit (ms, s, m, h, d or w), "
                            "e.g. 30m");
    std::size_t end = i;
    while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end]))) ++end;
    const std::string_view name = text.substr(i, end - i);
    const Unit* unit = nullptr;
    for (const Unit& u : kUnits)
      if (name == u.name) unit = &u;
    if (!unit)
      return Error::invalid("duration '" + shown + "': unknown unit '" + std::string(name) +
                            "' (use ms, s, m, h, d or w)");
    i = end;
    if (n > (kMaxTimestampMs - total) / unit->ms)
      return Error::invalid("duration '" + shown + "' is too long: the limit is " +
                            format_duration(kMaxTimestampMs));
    total += n * unit->ms;
  }
  return total;
}

std::string format_duration(std::int64_t ms) {
  if (ms == 0) return "0s";
  std::string out;
  std::uint64_t rest;
  if (ms < 0) {
    out = "-";
    rest = static_cast<std::uint64_t>(-(ms + 1)) + 1;  // INT64_MIN has no positive twin
  } else {
    rest = static_cast<std::uint64_t>(ms);
  }
  constexpr std::array<Unit, 5> kParts = {
      {{"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1000}, {"ms", 1}}};
  for (const Unit& u : kParts) {
    const std::uint64_t n = rest / static_cast<std::uint64_t>(u.ms);
    if (n == 0) continue;
    out += std::to_string(n) + u.name;
    rest -= n * static_cast<std::uint64_t>(u.ms);
  }
  return out;
}

Result<std::int64_t> parse_local_time(std::string_view raw, std::string_view tz) {
  const std::string_view text = trim(raw);
  if (text.empty())
    return Error::invalid("time is empty: expected ISO 8601 such as 2026-12-24T18:00");
  if (text.size() > kMaxTimeBytes)
    return Error::invalid("time is " + std::to_string(text.size()) + " bytes: the limit is " +
                          std::to_string(kMaxTimeBytes));
  bool all_digits = true;
  for (char c : text) all_digits = all_digits && is_digit(c);
  if (all_digits) {
    if (text.size() > 15) return time_range_error(text, "epoch milliseconds after 9999");
    std::int64_t v = 0;
    for (char c : text) v = v * 10 + (c - '0');
    if (v > kMaxAtMs) return time_range_error(text, "epoch milliseconds after 9999");
    return v;
  }

  // YYYY-MM-DD
  const int y = digits_at(text, 0, 4), mo = digits_at(text, 5, 2), d = digits_at(text, 8, 2);
  if (y < 0 || mo < 0 || d < 0 || text[4] != '-' || text[7] != '-') return time_format_error(text);
  if (y < 1970) return time_range_error(text, "years before 1970 are not supported");
  if (mo < 1 || mo > 12)
    return time_range_error(text, "month " + std::to_string(mo) + " is out of range 1-12");
  const date::year_month_day ymd{date::year{y}, date::month{static_cast<unsigned>(mo)},
                                 date::day{static_cast<unsigned>(d)}};
  if (!ymd.ok())
    return time_range_error(
        text, "day " + std::to_string(d) + " does not exist in " + std::string(text.substr(0, 7)));
  std::size_t i = 10;
  int h = 0, mi = 0, s = 0, ms = 0;
  if (i < text.size() && (text[i] == 'T' || text[i] == 't' || text[i] == ' ')) {
    h = digits_at(text, i + 1, 2);
    mi = digits_at(text, i + 4, 2);
    if (h < 0 || mi < 0 || text[i + 3] != ':') return time_format_error(text);
    i += 6;
    if (i < text.size() && text[i] == ':') {
      s = digits_at(text, i + 1, 2);
      if (s < 0) return time_format_error(text);
      i += 3;
      if (i < text.size() && (text[i] == '.' || text[i] == ',')) {
        std::size_t digits = 0;
        ++i;
        while (i < text.size() && is_digit(text[i])) {
          if (digits < 3) ms = ms * 10 + (text[i] - '0');
          ++digits;
          ++i;
        }
        if (digits == 0 || digits > 9) return time_format_error(text);
        for (std::size_t k = digits; k < 3; ++k) ms *= 10;
      }
    }
    if (h > 23)
      return time_range_error(text, "hour " + std::to_string(h) + " is out of range 0-23");
    if (mi > 59)
      return time_range_error(text, "minute " + std::to_string(mi) + " is out of range 0-59");
    if (s > 59)
      return time_range_error(text, "second " + std::to_string(s) + " is out of range 0-59");
  }
  std::optional<int> offset_s;
  if (i < text.size()) {
    const char c = text[i];
    if ((c == 'Z' || c == 'z') && i + 1 == text.size()) {
      offset_s = 0;
    } else if ((c == '+' || c == '-') && i > 10) {
      const std::string_view off = text.substr(i + 1);
      int oh = digits_at(off, 0, 2), om = 0;
      if (oh < 0) return time_format_error(text);
      if (off.size() == 5 && off[2] == ':') {
        om = digits_at(off, 3, 2);
      } else if (off.size() == 4) {
        om = digits_at(off, 2, 2);
      } else if (off.size() != 2) {
        return time_format_error(text);
      }
      if (om < 0) return time_format_error(text);
      if (oh > 14 || om > 59)
        return time_range_error(
            text, "offset " + std::string(text.substr(i)) + " is out of range -14:00..+14:00");
      offset_s = (c == '-' ? -1 : 1) * (oh * 3600 + om * 60);
    } else {
      return time_format_error(text);
    }
  }
  const std::int64_t local_s =
      date::sys_days{ymd}.time_since_epoch().count() * 86'400LL + h * 3600 + mi * 60 + s;
  std::int64_t instant_s = 0;
  if (offset_s) {
    instant_s = local_s - *offset_s;
  } else if (tz == "UTC") {  // `at` schedules: no tzdata needed
    instant_s = local_s;
  } else {
    const date::time_zone* zone = find_zone(tz);
    if (!zone)
      return Error::invalid("unknown time zone '" + std::string(tz.substr(0, 128)) +
                            "': use an IANA name such as Europe/Berlin or UTC");
    instant_s = local_to_instant(*zone, local_s);
  }
  const std::int64_t result = instant_s * 1000 + ms;
  if (result < 0 || result > kMaxAtMs)
    return time_range_error(text, "outside 1970-01-01 to 9999-12-31 UTC");
  return result;
}

}  // namespace simpleclaw::cron
