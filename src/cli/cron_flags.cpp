#include "cli/cron_flags.h"

#include "base/clock.h"
#include "base/json_fields.h"
#include "cron/durations.h"
#include "cron/schedule.h"
#include "cron/zones.h"

namespace simpleclaw::cli {
namespace {

// The gateway's limit for payload.timeoutSeconds (gateway/cron/job.cpp).
constexpr std::int64_t kMaxJobTimeoutSeconds = 86'400;
// An `at` up to a minute ago still counts as "now" (the gateway allows the same).
constexpr std::int64_t kAtGraceMs = 60'000;

const char* const kEveryExample = "e.g. --every 30m, --every 1h30m, --every 2d";
const char* const kCronExample =
    "e.g. --cron \"0 9 * * 1-5\" (09:00 Monday to Friday; fields: minute hour day-of-month "
    "month day-of-week)";
const char* const kAtExample =
    "e.g. --at 2026-12-24T18:00 (wall-clock time in --tz, else this host's zone), --at "
    "2026-12-24T18:00Z (UTC), --at +20m (20 minutes from now)";

Error cron_flag_error(const std::string& flag, const std::string& what) {
  return Error::invalid(flag + ": " + what);
}

Result<std::int64_t> duration_flag(const std::string& flag, const std::string& text,
                                   const char* example) {
  auto ms = cron::parse_duration_ms(text);
  if (!ms.ok()) return cron_flag_error(flag, ms.error().message + " (" + example + ")");
  return *ms;
}

Result<std::string> zone_flag(const JobFlags& f) {
  if (!f.tz) return std::string();
  if (!cron::is_known_zone(*f.tz))
    return cron_flag_error("--tz", "unknown time zone '" + f.tz->substr(0, 128) +
                                       "': use an IANA name such as Europe/Berlin, "
                                       "America/New_York or UTC (the names are the files under "
                                       "/usr/share/zoneinfo)");
  return *f.tz;
}

// "+20m" from now, else ISO 8601 (no offset = wall-clock time in `tz`).
Result<std::int64_t> at_instant(const std::string& text, const std::string& tz,
                                std::int64_t now_ms) {
  if (!text.empty() && text.front() == '+') {
    auto d = cron::parse_duration_ms(std::string_view(text).substr(1));
    if (!d.ok()) return cron_flag_error("--at", d.error().message + " (" + kAtExample + ")");
    return now_ms + *d;
  }
  auto ms = cron::parse_local_time(text, tz);
  if (!ms.ok()) return cron_flag_error("--at", ms.error().message + " (" + kAtExample + ")");
  if (*ms < now_ms - kAtGraceMs)
    return cron_flag_error("--at", iso_utc(*ms) + " is in the past (it is now " + iso_utc(now_ms) +
                                       "); give a later time or +20m");
  return *ms;
}

// A cron schedule: the expression parses and has an upcoming time.
Result<Json> cron_schedule(const std::string& expr, const std::string& tz,
                           std::optional<std::int64_t> stagger_ms, std::int64_t now_ms,
                           const std::string& host_tz) {
  auto parsed = cron::parse_cron_expr(expr);
  if (!parsed.ok())
    return cron_flag_error("--cron", "'" + expr.substr(0, 256) + "': " + parsed.error().message +
                                         " (" + kCronExample + ")");
  Json s{{"kind", "cron"}, {"expr", expr}};
  if (!tz.empty()) s["tz"] = tz;
  if (stagger_ms) s["staggerMs"] = *stagger_ms;
  auto schedule = cron::parse_schedule(s);
  if (!schedule.ok()) return cron_flag_error("--cron", schedule.error().message);
  if (!cron::next_after(*schedule, now_ms, tz.empty() ? host_tz : tz))
    return cron_flag_error(
        "--cron", "'" + expr + "' matches no date in the next 5 years (" + kCronExample + ")");
  return s;
}

// The schedule the flags name, or null when they name none. `current`: the job being edited
// (null for add), whose cron expression --tz/--stagger alone keep.
Result<Json> schedule_of(const JobFlags& f, const Json& current, std::int64_t now_ms,
                         const std::string& host_tz) {
  const int kinds = (f.every ? 1 : 0) + (f.cron ? 1 : 0) + (f.at ? 1 : 0);
  if (kinds > 1)
    return Error::invalid("give one schedule: --every, --cron or --at (" +
                          std::string(kEveryExample) + ")");
  auto tz = zone_flag(f);
  if (!tz.ok()) return tz.error();
  std::optional<std::int64_t> stagger;
  if (f.stagger) {
    auto ms = duration_flag("--stagger", *f.stagger, "e.g. --stagger 2m; 0 = on the second");
    if (!ms.ok()) return ms.error();
    stagger = *ms;
  }
  if (f.every) {
    if (f.tz)
      return cron_flag_error("--tz", "does not apply to --every (it counts from when it starts)");
    if (f.stagger) return cron_flag_error("--stagger", "applies to --cron schedules only");
    auto ms = duration_flag("--every", *f.every, kEveryExample);
    if (!ms.ok()) return ms.error();
    if (*ms < cron::kMinEveryMs)
      return cron_flag_error(
          "--every", "'" + *f.every + "' is less than the minimum 1s (" + kEveryExample + ")");
    return Json{{"kind", "every"}, {"everyMs", *ms}};
  }
  if (f.at) {
    if (f.stagger) return cron_flag_error("--stagger", "applies to --cron schedules only");
    auto ms = at_instant(*f.at, tz->empty() ? host_tz : *tz, now_ms);
    if (!ms.ok()) return ms.error();
    return Json{{"kind", "at"}, {"at", iso_utc(*ms)}};
  }
  if (f.cron) return cron_schedule(*f.cron, *tz, stagger, now_ms, host_tz);
  if (!f.tz && !f.stagger) return Json();
  // --tz / --stagger alone (edit): the current cron expression in a new zone or spread.
  const Json cur = current.is_object() ? current.value("schedule", Json()) : Json();
  if (json_str(cur, "kind") != "cron")
    return Error::invalid(std::string(f.tz ? "--tz" : "--stagger") +
                          " alone changes a --cron job; give the schedule again (--at with "
                          "--tz, or --every) to change this one");
  if (!stagger && cur.contains("staggerMs") && cur["staggerMs"].is_number_integer())
    stagger = cur["staggerMs"].get<std::int64_t>();
  return cron_schedule(json_str(cur, "expr"), f.tz ? *tz : json_str(cur, "tz"), stagger, now_ms,
                       host_tz);
}

Result<Json> delivery_of(const JobFlags& f) {
  const int n = (f.deliver ? 1 : 0) + (f.webhook ? 1 : 0) + (f.no_deliver ? 1 : 0) +
                (f.clear_delivery ? 1 : 0);
  if (n > 1)
    return Error::invalid(
        "give one of --deliver, --webhook, --no-deliver (and --clear-delivery on edit)");
  if (f.no_deliver) return Json{{"mode", "none"}};
  if (f.webhook) {
    if (f.webhook->rfind("http://", 0) != 0 && f.webhook->rfind("https://", 0) != 0)
      return cron_flag_error("--webhook", "'" + f.webhook->substr(0, 256) +
                                              "' is not an http(s) URL (e.g. --webhook "
                                              "https://example.com/hooks/cron)");
    return Json{{"mode", "webhook"}, {"to", *f.webhook}};
  }
  if (f.deliver) {
    if (*f.deliver == "last") return Json{{"mode", "announce"}, {"channel", "last"}};
    const auto colon = f.deliver->find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == f.deliver->size())
      return cron_flag_error("--deliver",
                             "'" + f.deliver->substr(0, 256) +
                                 "' is not channel:to or last (e.g. --deliver "
                                 "telegram:123456789, --deliver last = where the agent "
                                 "last talked)");
    return Json{{"mode", "announce"},
                {"channel", f.deliver->substr(0, colon)},
                {"to", f.deliver->substr(colon + 1)}};
  }
  return Json();
}

Result<std::int64_t> timeout_seconds(const std::string& text) {
  auto ms = duration_flag("--timeout", text, "e.g. --timeout 5m, --timeout 90s");
  if (!ms.ok()) return ms.error();
  const std::int64_t s = (*ms + 999) / 1000;
  if (s < 1 || s > kMaxJobTimeoutSeconds)
    return cron_flag_error("--timeout", "'" + text + "' is outside 1s..1d");
  return s;
}

// Fields every job flag maps to directly (both add and edit).
Status common_fields(const JobFlags& f, Json& out) {
  if (f.name) {
    if (f.name->empty()) return cron_flag_error("--name", "is empty");
    out["name"] = *f.name;
  }
  if (f.description) out["description"] = *f.description;
  if (f.agent) out["agentId"] = *f.agent;
  if (f.missed) {
    if (*f.missed != "skip" && *f.missed != "run-once" && *f.missed != "run-all")
      return cron_flag_error("--missed", "'" + *f.missed +
                                             "' is not skip, run-once or run-all (what to do with "
                                             "runs missed while the gateway was down)");
    out["missedPolicy"] = *f.missed;
  }
  if (f.keep_after_run) out["deleteAfterRun"] = false;
  return Ok{};
}

}  // namespace

Result<Json> build_add_params(const JobFlags& f, std::int64_t now_ms, const std::string& host_tz) {
  if (f.enable || f.disable || f.clear_delivery)
    return Error::invalid("--enable, --disable and --clear-delivery are for cron edit");
  auto schedule = schedule_of(f, Json(), now_ms, host_tz);
  if (!schedule.ok()) return schedule.error();
  if (schedule->is_null())
    return Error::invalid(
        "a schedule is required: --every 30m, --cron \"0 9 * * 1-5\" [--tz Europe/Berlin] or "
        "--at 2026-12-24T18:00");
  if (f.message.has_value() == f.system_event.has_value())
    return Error::invalid(
        "say what runs: --message TEXT (an agent turn in a fresh session per run) or "
        "--system-event TEXT (a turn in the agent's main session), one of them");
  if (f.keep_after_run && json_str(*schedule, "kind") != "at")
    return cron_flag_error("--keep-after-run", "applies to --at jobs only");
  Json p{{"schedule", *schedule}};
  if (auto st = common_fields(f, p); !st.ok()) return st.error();
  if (f.message) {
    p["sessionTarget"] = "isolated";
    p["payload"] = Json{{"kind", "agentTurn"}, {"message", *f.message}};
    if (f.model) p["payload"]["model"] = *f.model;
    if (f.timeout) {
      auto s = timeout_seconds(*f.timeout);
      if (!s.ok()) return s.error();
      p["payload"]["timeoutSeconds"] = *s;
    }
  } else {
    if (f.model || f.timeout)
      return Error::invalid("--model and --timeout apply to --message jobs only");
    if (f.deliver)
      return cron_flag_error("--deliver",
                             "does not apply to --system-event: that turn answers in the main "
                             "session (use --webhook for a copy elsewhere)");
    p["sessionTarget"] = "main";
    p["payload"] = Json{{"kind", "systemEvent"}, {"text", *f.system_event}};
  }
  auto delivery = delivery_of(f);
  if (!delivery.ok()) return delivery.error();
  if (!delivery->is_null()) p["delivery"] = *delivery;
  if (f.disabled) p["enabled"] = false;
  return p;
}

Result<Json> build_update_patch(const JobFlags& f, const Json& current, std::int64_t now_ms,
                                const std::string& host_tz) {
  if (f.enable && f.disable) return Error::invalid("give --enable or --disable, not both");
  if (f.message && f.system_event)
    return Error::invalid("give --message or --system-event, not both");
  Json patch = Json::object();
  auto schedule = schedule_of(f, current, now_ms, host_tz);
  if (!schedule.ok()) return schedule.error();
  if (!schedule->is_null()) patch["schedule"] = *schedule;
  if (auto st = common_fields(f, patch); !st.ok()) return st.error();

  const Json cur_payload = current.is_object() ? current.value("payload", Json()) : Json();
  const std::string kind = json_str(cur_payload, "kind");
  const bool turn = f.message ? true : f.system_event ? false : kind == "agentTurn";
  if (!turn && (f.model || f.timeout))
    return Error::invalid("--model and --timeout apply to --message jobs only");
  if (!turn && f.deliver)
    return cron_flag_error("--deliver",
                           "does not apply to a --system-event job: that turn answers in the main "
                           "session");
  Json payload = Json::object();
  if (f.message) payload["message"] = *f.message;
  if (f.system_event) payload["text"] = *f.system_event;
  if (f.model) payload["model"] = *f.model;
  if (f.timeout) {
    auto s = timeout_seconds(*f.timeout);
    if (!s.ok()) return s.error();
    payload["timeoutSeconds"] = *s;
  }
  auto delivery = delivery_of(f);
  if (!delivery.ok()) return delivery.error();
  if (!delivery->is_null()) patch["delivery"] = *delivery;
  if (f.clear_delivery) patch["delivery"] = nullptr;
  // Switching what runs switches where it runs; a new kind replaces the payload whole.
  if (f.message && kind != "agentTurn") {
    payload["kind"] = "agentTurn";
    patch["sessionTarget"] = "isolated";
  } else if (f.system_event && kind != "systemEvent") {
    payload["kind"] = "systemEvent";
    patch["sessionTarget"] = "main";
    const Json d = current.is_object() ? current.value("delivery", Json()) : Json();
    if (!patch.contains("delivery") && json_str(d, "mode") == "announce")
      patch["delivery"] = nullptr;
  }
  if (!payload.empty()) patch["payload"] = payload;
  if (f.enable) patch["enabled"] = true;
  if (f.disable || f.disabled) patch["enabled"] = false;
  if (patch.empty())
    return Error::invalid(
        "nothing to change: give at least one flag, e.g. --every 1h, --message TEXT, "
        "--disable (simpleclaw cron edit --help lists them)");
  return patch;
}

std::string display_zone(const Json& schedule, const JobFlags& f, const std::string& host_tz) {
  if (json_str(schedule, "kind") == "cron" && !json_str(schedule, "tz").empty())
    return json_str(schedule, "tz");
  if (f.tz && cron::is_known_zone(*f.tz)) return *f.tz;
  return host_tz;
}

}  // namespace simpleclaw::cli
