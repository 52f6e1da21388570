#include "cron/schedule.h"

#include <date/tz.h>

#include <cmath>

#include "base/clock.h"
#include "cron/durations.h"

namespace simpleclaw::cron {
namespace {

// Cron math stays inside years 1-9999 (date's calendar reaches further; ISO does not).
constexpr std::int64_t kMinCronSeconds = -62'135'596'800;  // 0001-01-01T00:00:00Z
constexpr std::int64_t kMaxCronSeconds = 253'402'300'799;  // 9999-12-31T23:59:59Z
// A DST period search visits one tz period per pass: twice a year for 5 years, plus slack.
constexpr int kMaxPeriods = 64;
constexpr int kMaxFixedPasses = 16;

std::int64_t sys_count(date::sys_seconds t) { return t.time_since_epoch().count(); }

// Hour field starting with *: every instant whose wall-clock reading matches, one tz period
// (a span with one UTC offset) at a time. A null zone is UTC.
std::optional<std::int64_t> next_real_time(const CronExpr& e, const date::time_zone* zone,
                                           std::int64_t after_s, std::int64_t limit_s) {
  std::int64_t t = after_s + 1;
  for (int pass = 0; pass < kMaxPeriods && t <= limit_s; ++pass) {
    std::int64_t offset = 0, end = limit_s + 1;
    if (zone) {
      const date::sys_info info = zone->get_info(date::sys_seconds{std::chrono::seconds{t}});
      offset = info.offset.count();
      end = std::min(end, sys_count(info.end));
    }
    if (auto m = next_local_match(e, t + offset, end - 1 + offset)) return *m - offset;
    t = end;
  }
  return std::nullopt;
}

// Fixed hour: once per matching wall-clock time, mapped by local_to_instant's rule (a
// skipped time fires at the gap's end, a repeated one at its first occurrence). That
// mapping never goes backwards, so the first reading whose instant is after `after_s` wins.
std::optional<std::int64_t> next_wall_clock(const CronExpr& e, const date::time_zone& zone,
                                            std::int64_t after_s, std::int64_t limit_s) {
  using std::chrono::seconds;
  const date::sys_info now = zone.get_info(date::sys_seconds{seconds{after_s}});
  std::int64_t from = after_s + now.offset.count() + 1;
  const std::int64_t limit_local = limit_s + 14 * 3600;
  for (int pass = 0; pass < kMaxFixedPasses; ++pass) {
    auto m = next_local_match(e, from, limit_local);
    if (!m) return std::nullopt;
    const date::local_info li = zone.get_info(date::local_seconds{seconds{*m}});
    const std::int64_t t = li.result == date::local_info::nonexistent
                               ? sys_count(li.second.begin)
                               : *m - li.first.offset.count();
    if (t > after_s) return t > limit_s ? std::nullopt : std::optional<std::int64_t>(t);
    // `after` is in the second pass of a repeated hour: the readings left in it fired
    // in the first pass. Skip to the end of the repeated span (local time).
    from = li.result == date::local_info::ambiguous
               ? std::max(*m + 1, sys_count(li.second.begin) + li.first.offset.count())
               : *m + 1;
  }
  return std::nullopt;
}

std::optional<std::int64_t> next_cron(const CronSchedule& c, std::int64_t after_ms,
                                      std::string_view default_tz, std::string_view key) {
  const std::int64_t stagger = stagger_offset_ms(c.stagger_ms, key);
  // Occurrence + stagger > after  <=>  occurrence > after - stagger.
  const std::int64_t after = std::max(after_ms, kMinCronSeconds * 1000);
  std::int64_t after_s = floor_div(after - stagger, 1000);
  if (after_s >= kMaxCronSeconds) return std::nullopt;
  after_s = std::max(after_s, kMinCronSeconds);
  const std::int64_t limit_s = std::min(after_s + kCronHorizonSeconds, kMaxCronSeconds);

  const date::time_zone* zone = find_zone(c.tz.empty() ? default_tz : std::string_view(c.tz));
  if (!zone) zone = find_zone("UTC");  // no tzdata at all: plain UTC math below
  std::optional<std::int64_t> at_s;
  try {  // date/tz reads a zone's file on its first use and throws if that fails
    at_s = (c.parsed.hour_star || !zone) ? next_real_time(c.parsed, zone, after_s, limit_s)
                                         : next_wall_clock(c.parsed, *zone, after_s, limit_s);
  } catch (const std::exception&) {
    at_s = next_real_time(c.parsed, nullptr, after_s, limit_s);
  }
  if (!at_s) return std::nullopt;
  const std::int64_t due = *at_s * 1000 + stagger;
  if (due > kMaxTimestampMs) return std::nullopt;
  return due;
}

std::optional<std::int64_t> next_every(const EverySchedule& e, std::int64_t after_ms) {
  if (e.every_ms < 1) return std::nullopt;
  const std::int64_t anchor = e.anchor_ms.value_or(0);
  if (after_ms < anchor) return anchor;
  // anchor <= after: both within the schedule's bounds or the subtraction is checked.
  std::int64_t since = 0, k = 0, step = 0, due = 0;
  if (__builtin_sub_overflow(after_ms, anchor, &since)) return std::nullopt;
  k = since / e.every_ms + 1;
  if (__builtin_mul_overflow(k, e.every_ms, &step) || __builtin_add_overflow(anchor, step, &due))
    return std::nullopt;
  if (due > kMaxTimestampMs) return std::nullopt;
  return due;
}

// Wire helpers: each error names the field ("schedule.everyMs: ...").
Error field_error(const char* field, const std::string& what) {
  return Error::invalid(std::string("schedule.") + field + ": " + what);
}

std::string shown(const Json& v) {
  std::string s = v.dump();
  if (s.size() > 64) s = s.substr(0, 61) + "...";
  return s;
}

// An integer field within [lo, hi]; nullopt when absent (or null).
Result<std::optional<std::int64_t>> int_field(const Json& j, const char* name, std::int64_t lo,
                                              std::int64_t hi, const char* lo_hint = nullptr) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return std::optional<std::int64_t>();
  std::int64_t v = 0;
  if (it->is_number_integer() && !it->is_number_unsigned()) {
    v = it->get<std::int64_t>();
  } else if (it->is_number_unsigned()) {
    const auto u = it->get<std::uint64_t>();
    if (u > static_cast<std::uint64_t>(hi))
      return field_error(name, shown(*it) + " is above the maximum " + std::to_string(hi));
    v = static_cast<std::int64_t>(u);
  } else if (it->is_number_float()) {
    const double d = it->get<double>();
    if (!std::isfinite(d) || std::floor(d) != d || d < -9e18 || d > 9e18)
      return field_error(name, "must be a whole number of milliseconds (got " + shown(*it) + ")");
    v = static_cast<std::int64_t>(d);
  } else {
    return field_error(name, "must be a whole number of milliseconds (got " + shown(*it) + ")");
  }
  if (v < lo)
    return field_error(name, std::to_string(v) + " is below the minimum " + std::to_string(lo) +
                                 (lo_hint ? lo_hint : ""));
  if (v > hi)
    return field_error(name, std::to_string(v) + " is above the maximum " + std::to_string(hi));
  return std::optional<std::int64_t>(v);
}

Status only_fields(const Json& j, std::string_view kind,
                   std::initializer_list<std::string_view> allowed) {
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool ok = false;
    for (std::string_view a : allowed) ok = ok || it.key() == a;
    if (!ok) {
      std::string list;
      for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return Error::invalid("schedule: unknown field '" + it.key().substr(0, 64) + "' for kind " +
                            std::string(kind) + " (allowed: " + list + ")");
    }
  }
  return Ok{};
}

}  // namespace

std::int64_t stagger_offset_ms(std::int64_t stagger_ms, std::string_view stagger_key) {
  if (stagger_ms <= 1) return 0;
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a 64: stable across builds and hosts
  for (unsigned char c : stagger_key) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return static_cast<std::int64_t>(h % static_cast<std::uint64_t>(stagger_ms));
}

Result<Schedule> parse_schedule(const Json& j) {
  if (!j.is_object())
    return Error::invalid(
        "schedule must be an object such as {\"kind\":\"cron\",\"expr\":\"0 9 * * *\"}");
  auto kind_it = j.find("kind");
  if (kind_it == j.end() || !kind_it->is_string())
    return Error::invalid("schedule.kind must be one of at, every, cron");
  const std::string kind = kind_it->get<std::string>();
  if (kind == "at") {
    if (auto ok = only_fields(j, kind, {"kind", "at"}); !ok) return ok.error();
    auto at = j.find("at");
    if (at == j.end() || !at->is_string() || at->get_ref<const std::string&>().empty())
      return field_error("at", "required: an ISO 8601 time such as 2026-12-24T18:00:00Z");
    auto ms = parse_local_time(at->get_ref<const std::string&>(), "UTC");
    if (!ms) return ms.error().with_context("schedule.at: ");
    return Schedule{AtSchedule{*ms}};
  }
  if (kind == "every") {
    if (auto ok = only_fields(j, kind, {"kind", "everyMs", "anchorMs"}); !ok) return ok.error();
    if (!j.contains("everyMs") || j["everyMs"].is_null())
      return field_error("everyMs", "required: the interval in milliseconds (at least 1000)");
    auto every = int_field(j, "everyMs", kMinEveryMs, kMaxTimestampMs,
                           " (1 second): use at least 1000, or a cron expression");
    if (!every) return every.error();
    auto anchor = int_field(j, "anchorMs", 0, kMaxTimestampMs);
    if (!anchor) return anchor.error();
    return Schedule{EverySchedule{**every, *anchor}};
  }
  if (kind == "cron") {
    if (auto ok = only_fields(j, kind, {"kind", "expr", "tz", "staggerMs"}); !ok) return ok.error();
    auto expr = j.find("expr");
    if (expr == j.end() || !expr->is_string() || expr->get_ref<const std::string&>().empty())
      return field_error("expr", "required: a cron expression such as \"0 9 * * 1-5\"");
    CronSchedule c;
    c.expr = expr->get<std::string>();
    auto parsed = parse_cron_expr(c.expr);
    if (!parsed) return parsed.error().with_context("schedule.expr: ");
    c.parsed = *parsed;
    if (auto tz = j.find("tz"); tz != j.end() && !tz->is_null()) {
      if (!tz->is_string()) return field_error("tz", "must be a string such as Europe/Berlin");
      c.tz = tz->get<std::string>();
      if (!c.tz.empty() && !is_known_zone(c.tz))
        return field_error("tz", "unknown time zone '" + c.tz.substr(0, 128) +
                                     "': use an IANA name such as Europe/Berlin or UTC");
    }
    auto stagger = int_field(j, "staggerMs", 0, kMaxTimestampMs);
    if (!stagger) return stagger.error();
    c.stagger_ms = stagger->value_or(0);
    return Schedule{std::move(c)};
  }
  if (kind == "on-exit" || kind == "stream")
    return Error::invalid("schedule.kind '" + kind +
                          "' is not supported by simpleclaw: use at, every or cron");
  return Error::invalid("schedule.kind '" + kind.substr(0, 64) +
                        "' is unknown: use at, every or cron");
}

Json to_json(const Schedule& s) {
  if (const auto* at = std::get_if<AtSchedule>(&s))
    return Json{{"kind", "at"}, {"at", iso_utc(at->at_ms)}};
  if (const auto* every = std::get_if<EverySchedule>(&s)) {
    Json j{{"kind", "every"}, {"everyMs", every->every_ms}};
    if (every->anchor_ms) j["anchorMs"] = *every->anchor_ms;
    return j;
  }
  const auto& c = std::get<CronSchedule>(s);
  Json j{{"kind", "cron"}, {"expr", c.expr}};
  if (!c.tz.empty()) j["tz"] = c.tz;
  if (c.stagger_ms > 0) j["staggerMs"] = c.stagger_ms;
  return j;
}

std::optional<std::int64_t> next_after(const Schedule& s, std::int64_t after_ms,
                                       std::string_view default_tz, std::string_view stagger_key) {
  if (const auto* at = std::get_if<AtSchedule>(&s))
    return at->at_ms > after_ms ? std::optional<std::int64_t>(at->at_ms) : std::nullopt;
  if (const auto* every = std::get_if<EverySchedule>(&s)) return next_every(*every, after_ms);
  return next_cron(std::get<CronSchedule>(s), after_ms, default_tz, stagger_key);
}

}  // namespace simpleclaw::cron
