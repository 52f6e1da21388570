#include "gateway/cron/job.h"

#include <algorithm>

#include "base/clock.h"
#include "base/crypto.h"
#include "base/json_fields.h"
#include "base/utf8.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::size_t kMaxName = 200;
constexpr std::size_t kMaxDescription = 2000;
constexpr std::size_t kMaxJobText = 64 * 1024;  // a systemEvent text or agentTurn message
constexpr std::size_t kMaxKey = 256;
constexpr std::int64_t kAtPastGraceMs = 60'000;  // an `at` a minute ago is still "now"
constexpr std::int64_t kAtMaxFutureMs = 10LL * 366 * 86'400'000;
constexpr std::int64_t kTopOfHourStaggerMs = 300'000;

// The fields a job definition may carry; anything else is refused by name.
const char* const kKnownFields[] = {
    "name",           "description",   "displayName", "agentId",       "sessionKey", "enabled",
    "schedule",       "sessionTarget", "wakeMode",    "payload",       "delivery",   "failureAlert",
    "deleteAfterRun", "missedPolicy",  "owner",       "declarationKey"};
// OpenClaw features simpleclaw does not have: refused, never silently dropped.
const char* const kUnsupportedFields[] = {"trigger", "pacing", "scheduledToolPolicy"};

Error bad_job(const std::string& what) { return Error::invalid("invalid cron job: " + what); }

// The first key of `obj` not in `known`, or "" when every key is known.
template <std::size_t N>
std::string unknown_key(const Json& obj, const char* const (&known)[N]) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& k = it.key();  // not a structured binding: clang 14 cannot capture one
    if (std::find_if(std::begin(known), std::end(known), [&](const char* f) { return k == f; }) ==
        std::end(known))
      return k;
  }
  return "";
}

bool is_string_or_absent(const Json& j, const char* k) {
  return !j.contains(k) || j[k].is_string();
}

// A string field: trimmed, bounded, required or optional.
Result<std::string> text_field(const Json& j, const char* k, std::size_t max, bool required) {
  if (!j.contains(k) || j[k].is_null()) {
    if (required) return bad_job(std::string(k) + " is required");
    return std::string();
  }
  if (!j[k].is_string()) return bad_job(std::string(k) + " must be a string");
  std::string v = j[k].get<std::string>();
  auto b = v.find_first_not_of(" \t\r\n");
  auto e = v.find_last_not_of(" \t\r\n");
  v = b == std::string::npos ? std::string() : v.substr(b, e - b + 1);
  if (required && v.empty()) return bad_job(std::string(k) + " must not be empty");
  if (v.size() > max)
    return bad_job(std::string(k) + " is longer than " + std::to_string(max) + " bytes");
  return v;
}

// The first line of a text, at most 60 characters: a name for an unnamed job.
std::string name_from_text(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  if (line.size() > 60) line = std::string(utf8_prefix(line, 60)) + "…";
  return line;
}

Result<Json> normalize_payload(const Json& p) {
  if (!p.is_object()) return bad_job("payload must be an object {kind, ...}");
  const std::string kind = json_str(p, "kind");
  Json out{{"kind", kind}};
  if (kind == "systemEvent") {
    for (auto& [k, v] : p.items())
      if (k != "kind" && k != "text" && k != "toolsAllow" && k != "toolsAllowIsDefault")
        return bad_job("payload." + k + " is not a systemEvent field");
    auto text = text_field(p, "text", kMaxJobText, true);
    if (!text.ok()) return bad_job("payload.text is required: the text the agent is given");
    out["text"] = *text;
    return out;
  }
  if (kind == "agentTurn") {
    static const char* const kOk[] = {"kind",
                                      "message",
                                      "model",
                                      "fallbacks",
                                      "thinking",
                                      "timeoutSeconds",
                                      "lightContext",
                                      "toolsAllow",
                                      "toolsAllowIsDefault",
                                      "allowUnsafeExternalContent"};
    if (std::string k = unknown_key(p, kOk); !k.empty())
      return bad_job("payload." + k + " is not an agentTurn field");
    auto msg = text_field(p, "message", kMaxJobText, true);
    if (!msg.ok()) return bad_job("payload.message is required: what the agent is asked");
    out["message"] = *msg;
    if (p.contains("model") && !p["model"].is_null()) {
      if (!p["model"].is_string() || p["model"].get<std::string>().size() > 200)
        return bad_job("payload.model must be a model name (provider/model)");
      if (!p["model"].get<std::string>().empty()) out["model"] = p["model"];
    }
    if (p.contains("timeoutSeconds") && !p["timeoutSeconds"].is_null()) {
      if (!p["timeoutSeconds"].is_number() || p["timeoutSeconds"].get<double>() < 0 ||
          p["timeoutSeconds"].get<double>() > 86'400)
        return bad_job("payload.timeoutSeconds must be 0-86400 (0 = the configured default)");
      out["timeoutSeconds"] = p["timeoutSeconds"];
    }
    // Kept so a client reads back what it wrote; the run does not use them (documented).
    for (const char* k : {"thinking", "fallbacks", "lightContext", "toolsAllow"})
      if (p.contains(k)) out[k] = p[k];
    return out;
  }
  if (kind == "command" || kind == "script")
    return bad_job(
        "payload.kind " + kind +
        " is not supported by simpleclaw: use agentTurn (the agent runs commands through "
        "its exec tool, under approvals)");
  if (kind == "heartbeat" || kind == "skillCollectionReview")
    return bad_job("system-owned payloads cannot be created by cron clients");
  return bad_job("payload.kind must be systemEvent or agentTurn");
}

Result<Json> normalize_delivery(const Json& d, bool main_target) {
  if (!d.is_object()) return bad_job("delivery must be an object {mode, ...}");
  const std::string mode = json_str(d, "mode");
  static const char* const kOk[] = {"mode",
                                    "channel",
                                    "to",
                                    "accountId",
                                    "threadId",
                                    "bestEffort",
                                    "failureDestination",
                                    "completionDestination"};
  if (std::string k = unknown_key(d, kOk); !k.empty())
    return bad_job("delivery." + k + " is not a delivery field");
  for (const char* k : {"channel", "to", "accountId"})
    if (!is_string_or_absent(d, k) || json_str(d, k).size() > kMaxKey)
      return bad_job(std::string("delivery.") + k + " must be a string of at most 256 bytes");
  Json out{{"mode", mode}};
  if (mode == "none") return out;
  if (mode == "announce") {
    if (main_target)
      return bad_job(
          "announce delivery is only for isolated, current or session:<key> targets: a main "
          "session turn already answers where the agent talks");
    out["channel"] = json_str(d, "channel").empty() ? "last" : json_str(d, "channel");
    if (!json_str(d, "to").empty()) out["to"] = json_str(d, "to");
    if (!json_str(d, "accountId").empty()) out["accountId"] = json_str(d, "accountId");
    if (d.contains("threadId")) out["threadId"] = d["threadId"];
    if (json_bool(d, "bestEffort", false)) out["bestEffort"] = true;
    if (out["channel"] != "last" && !out.contains("to"))
      return bad_job("delivery.to is required with channel " + out["channel"].get<std::string>() +
                     " (the chat or user id to post to)");
    return out;
  }
  if (mode == "webhook") {
    const std::string to = json_str(d, "to");
    if (to.rfind("http://", 0) != 0 && to.rfind("https://", 0) != 0)
      return bad_job("delivery.to must be the webhook's http(s) URL");
    if (to.size() > 2048) return bad_job("delivery.to is longer than 2048 bytes");
    out["to"] = to;
    if (json_bool(d, "bestEffort", false)) out["bestEffort"] = true;
    return out;
  }
  return bad_job("delivery.mode must be none, announce or webhook");
}

Result<Json> normalize_failure_alert(const Json& f) {
  if (f.is_boolean() && !f.get<bool>()) return Json(false);
  if (!f.is_object()) return bad_job("failureAlert must be false or {after, channel, to, ...}");
  Json out = Json::object();
  for (auto& [k, v] : f.items()) {
    if (k == "after") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 1 || v.get<std::int64_t>() > 1000)
        return bad_job("failureAlert.after must be 1-1000 failures in a row");
    } else if (k == "cooldownMs") {
      if (!v.is_number_integer() || v.get<std::int64_t>() < 0)
        return bad_job("failureAlert.cooldownMs must be a non-negative integer");
    } else if (k == "includeSkipped") {
      if (!v.is_boolean()) return bad_job("failureAlert.includeSkipped must be a boolean");
    } else if (k == "channel" || k == "to" || k == "accountId" || k == "mode") {
      if (!v.is_string() || v.get<std::string>().size() > kMaxKey)
        return bad_job("failureAlert." + k + " must be a string of at most 256 bytes");
      if (k == "mode" && v != "announce" && v != "webhook")
        return bad_job("failureAlert.mode must be announce or webhook");
    } else {
      return bad_job("failureAlert." + k + " is not a failureAlert field");
    }
    out[k] = v;
  }
  return out;
}

// OpenClaw's stagger default: a recurring top-of-hour expression (minute 0, an hour
// field of * or */n) gets 5 minutes, so many jobs written "0 * * * *" do not all call the
// model in the same second. An explicit staggerMs (0 = exact) wins.
void default_stagger(const Json& given, Json& schedule, const cron::CronSchedule& c) {
  if (given.contains("staggerMs")) {
    schedule["staggerMs"] = c.stagger_ms;  // kept, 0 included: "exact" is a choice
    return;
  }
  const bool minute_zero = c.parsed.minutes == 1;
  const bool second_zero = !c.parsed.has_seconds || c.parsed.seconds == 1;
  if (minute_zero && second_zero && c.parsed.hour_star) schedule["staggerMs"] = kTopOfHourStaggerMs;
}

Result<Json> normalize_schedule(const Json& s, const JobContext& ctx, std::int64_t created_at) {
  if (!s.is_object()) return bad_job("schedule must be an object {kind, ...}");
  const std::string kind = json_str(s, "kind");
  if (kind == "on-exit" || kind == "stream")
    return bad_job("schedule.kind " + kind +
                   " is not supported by simpleclaw: use at, every or cron");
  auto parsed = cron::parse_schedule(s);
  if (!parsed.ok()) return bad_job(parsed.error().message);
  Json out = cron::to_json(*parsed);
  if (auto* every = std::get_if<cron::EverySchedule>(&*parsed); every && !every->anchor_ms)
    out["anchorMs"] = created_at;  // the first run is one interval after creation
  if (auto* at = std::get_if<cron::AtSchedule>(&*parsed)) {
    if (at->at_ms < ctx.now - kAtPastGraceMs)
      return bad_job("schedule.at is in the past (" + iso_utc(at->at_ms) + "; it is now " +
                     iso_utc(ctx.now) + ")");
    if (at->at_ms > ctx.now + kAtMaxFutureMs)
      return bad_job("schedule.at is more than 10 years ahead");
  }
  if (auto* c = std::get_if<cron::CronSchedule>(&*parsed)) default_stagger(s, out, *c);
  return out;
}

bool known_field(const std::string& k) {
  return std::find_if(std::begin(kKnownFields), std::end(kKnownFields),
                      [&](const char* f) { return k == f; }) != std::end(kKnownFields);
}

const char* wire_status(const std::string& status) {
  if (status == "ok") return "ok";
  if (status == "skipped") return "skipped";
  return "error";  // error | timeout | interrupted
}

// A payload (delivery) patch without a kind (mode), or with the same one, edits fields of
// the current object; a different kind replaces it.
bool same_kind(const std::string& field, const Json& patch, const Json& current) {
  const char* tag = field == "payload" ? "kind" : "mode";
  return !patch.contains(tag) || patch[tag] == current.value(tag, Json());
}

// "123" → 123 for state fields read back from JSON.
std::int64_t state_int(const Json& state, const char* k) { return json_int64(state, k, 0); }

}  // namespace

std::string CronJob::name() const { return json_str(row.spec, "name"); }

std::string CronJob::agent_id(const std::string& default_agent) const {
  std::string a = json_str(row.spec, "agentId");
  return a.empty() ? default_agent : a;
}

Result<cron::Schedule> job_schedule(const Json& spec) {
  if (!spec.contains("schedule")) return bad_job("schedule is required");
  return cron::parse_schedule(spec["schedule"]);
}

Result<Json> normalize_job(const Json& fields, const JobContext& ctx, std::int64_t created_at) {
  if (!fields.is_object()) return bad_job("the job must be an object");
  for (auto& [k, v] : fields.items()) {
    for (const char* u : kUnsupportedFields)
      if (k == u) return bad_job(k + " is not supported by simpleclaw");
    if (!known_field(k) && k != "id" && k != "jobId")
      return bad_job(k + " is not a cron job field");
  }
  Json spec = Json::object();
  // payload first: the defaults of the other fields depend on its kind.
  if (!fields.contains("payload"))
    return bad_job("payload is required ({kind: agentTurn, message})");
  auto payload = normalize_payload(fields["payload"]);
  if (!payload.ok()) return payload.error();
  const bool system_event = (*payload)["kind"] == "systemEvent";

  auto name = text_field(fields, "name", kMaxName, false);
  if (!name.ok()) return name.error();
  std::string n = *name;
  if (n.empty())
    n = name_from_text(system_event ? (*payload)["text"].get<std::string>()
                                    : (*payload)["message"].get<std::string>());
  if (n.empty()) return bad_job("name is required");
  spec["name"] = n;
  for (const char* k : {"description", "displayName"}) {
    auto v = text_field(fields, k, k[0] == 'd' && k[1] == 'e' ? kMaxDescription : kMaxName, false);
    if (!v.ok()) return v.error();
    if (!v->empty()) spec[k] = *v;
  }

  auto agent = text_field(fields, "agentId", 64, false);
  if (!agent.ok()) return agent.error();
  if (!agent->empty()) {
    if (ctx.agent_exists && !ctx.agent_exists(ctx.agent_ctx, *agent))
      return bad_job("agentId " + *agent + " is not a configured agent (see agents.list)");
    spec["agentId"] = *agent;
  }
  auto key = text_field(fields, "sessionKey", kMaxKey, false);
  if (!key.ok()) return key.error();
  if (!key->empty()) spec["sessionKey"] = *key;

  if (fields.contains("enabled") && !fields["enabled"].is_boolean())
    return bad_job("enabled must be a boolean");

  // sessionTarget: main for a system event; for an agent turn the creator's session when
  // one is known (current), else a fresh session per run (isolated).
  std::string target = json_str(fields, "sessionTarget");
  if (target.empty()) target = system_event ? "main" : (key->empty() ? "isolated" : "current");
  if (target == "current" && key->empty() && ctx.creator_key.empty()) target = "isolated";
  if (target == "current" && key->empty()) spec["sessionKey"] = ctx.creator_key;
  if (target.rfind("session:", 0) == 0) {
    if (target.size() == 8 || target.size() > 8 + kMaxKey)
      return bad_job("sessionTarget session:<key> needs a session key of at most 256 bytes");
  } else if (target != "main" && target != "isolated" && target != "current") {
    return bad_job("sessionTarget must be main, isolated, current or session:<key>");
  }
  if (target == "main" && !system_event)
    return bad_job(
        "main jobs need payload.kind systemEvent (use sessionTarget isolated for agentTurn)");
  if (target != "main" && system_event)
    return bad_job("sessionTarget " + target + " needs payload.kind agentTurn");
  if (target == "main" && !agent->empty() && *agent != ctx.default_agent)
    return bad_job(
        "sessionTarget main is only for the default agent; use session:<key> for agent " + *agent);
  spec["sessionTarget"] = target;

  const std::string wake =
      json_str(fields, "wakeMode").empty() ? "now" : json_str(fields, "wakeMode");
  if (wake != "now" && wake != "next-heartbeat")
    return bad_job("wakeMode must be now or next-heartbeat");
  spec["wakeMode"] = wake;
  spec["payload"] = std::move(payload).value();

  if (!fields.contains("schedule")) return bad_job("schedule is required ({kind: every, everyMs})");
  auto schedule = normalize_schedule(fields["schedule"], ctx, created_at);
  if (!schedule.ok()) return schedule.error();
  spec["schedule"] = *schedule;

  // delivery: an agent turn outside the main session announces its reply by default
  // (where the agent last talked); a main-session turn answers in place.
  if (fields.contains("delivery") && !fields["delivery"].is_null()) {
    auto d = normalize_delivery(fields["delivery"], target == "main");
    if (!d.ok()) return d.error();
    spec["delivery"] = *d;
  } else if (target != "main") {
    spec["delivery"] = Json{{"mode", "announce"}, {"channel", "last"}};
  }
  if (fields.contains("failureAlert") && !fields["failureAlert"].is_null()) {
    auto f = normalize_failure_alert(fields["failureAlert"]);
    if (!f.ok()) return f.error();
    spec["failureAlert"] = *f;
  }
  const bool one_shot = (*schedule)["kind"] == "at";
  if (fields.contains("deleteAfterRun") && !fields["deleteAfterRun"].is_boolean())
    return bad_job("deleteAfterRun must be a boolean");
  spec["deleteAfterRun"] = json_bool(fields, "deleteAfterRun", one_shot);
  const std::string missed =
      json_str(fields, "missedPolicy").empty() ? "run-once" : json_str(fields, "missedPolicy");
  if (missed != "skip" && missed != "run-once" && missed != "run-all")
    return bad_job("missedPolicy must be skip, run-once or run-all");
  spec["missedPolicy"] = missed;
  if (fields.contains("declarationKey") && fields["declarationKey"].is_string())
    spec["declarationKey"] = fields["declarationKey"];

  // A schedule that never fires is a mistake worth saying at once.
  auto parsed = cron::parse_schedule(spec["schedule"]);
  if (!parsed.ok()) return bad_job(parsed.error().message);
  if (!std::holds_alternative<cron::AtSchedule>(*parsed) &&
      !cron::next_after(*parsed, ctx.now, ctx.default_tz))
    return bad_job("schedule has no upcoming run time and would never fire");
  return spec;
}

Result<Json> patch_job(const Json& spec, const Json& patch, const JobContext& ctx,
                       std::int64_t created_at) {
  if (!patch.is_object()) return bad_job("patch must be an object");
  Json merged = spec;
  for (auto& [k, v] : patch.items()) {
    if (!known_field(k)) {
      for (const char* u : kUnsupportedFields)
        if (k == u) return bad_job(k + " is not supported by simpleclaw");
      return bad_job(k + " is not a cron job field");
    }
    if (v.is_null()) {
      merged.erase(k);
    } else if ((k == "payload" || k == "delivery") && v.is_object() && merged.contains(k) &&
               merged[k].is_object() && same_kind(k, v, merged[k])) {
      for (auto& [pk, pv] : v.items()) {
        if (pv.is_null())
          merged[k].erase(pk);
        else
          merged[k][pk] = pv;
      }
    } else {
      merged[k] = v;
    }
  }
  // A schedule change drops the derived anchor/stagger unless the patch set them.
  if (patch.contains("schedule") && patch["schedule"].is_object()) {
    Json& s = merged["schedule"];
    if (!patch["schedule"].contains("anchorMs")) s.erase("anchorMs");
    if (!patch["schedule"].contains("staggerMs")) s.erase("staggerMs");
  }
  merged.erase("enabled");
  return normalize_job(merged, ctx, created_at);
}

std::string config_revision(const CronJob& job) {
  return "sha256:" + sha256_hex(job.row.spec.dump() + (job.row.enabled ? "|enabled" : "|disabled"))
                         .substr(0, 24);
}

Json public_job(const CronJob& job) {
  Json j = job.row.spec;
  j["id"] = job.row.id;
  j["enabled"] = job.row.enabled;
  j["createdAtMs"] = job.row.created_at;
  j["updatedAtMs"] = job.row.updated_at;
  Json state = job.row.state.is_object() ? job.row.state : Json::object();
  state.erase("backoffUntilMs");
  if (job.next_ms > 0) state["nextRunAtMs"] = job.next_ms;
  if (job.running_seq != 0) state["runningAtMs"] = job.running_since;
  if (state.contains("lastRunStatus")) state["lastStatus"] = state["lastRunStatus"];
  if (!state.contains("consecutiveErrors")) state["consecutiveErrors"] = 0;
  j["state"] = std::move(state);
  return j;
}

Json job_view(const CronJob& job, const std::string& default_agent) {
  Json j = public_job(job);
  const Json& st = j["state"];
  j["configRevision"] = config_revision(job);
  j["effectiveAgentId"] = job.agent_id(default_agent);
  for (const char* k :
       {"nextRunAtMs", "lastRunAtMs", "lastRunStatus", "lastDeliveryStatus", "lastDeliveryError"})
    if (st.contains(k)) j[k] = st[k];
  if (st.contains("lastError")) j["lastRunError"] = st["lastError"];
  return j;
}

Json compact_job_view(const CronJob& job, const std::string& default_agent) {
  const Json& spec = job.row.spec;
  const Json& st = job.row.state;
  Json j{{"id", job.row.id},
         {"name", json_str(spec, "name")},
         {"enabled", job.row.enabled},
         {"updatedAtMs", job.row.updated_at},
         {"scheduleKind", spec["schedule"].value("kind", "")},
         {"schedule", spec["schedule"]},
         {"effectiveAgentId", job.agent_id(default_agent)}};
  if (spec.contains("agentId")) j["agentId"] = spec["agentId"];
  if (spec.contains("displayName")) j["displayName"] = spec["displayName"];
  // The Control UI needs these present, null when unknown.
  j["nextRunAtMs"] = job.next_ms > 0 ? Json(job.next_ms) : Json(nullptr);
  j["nextRunAt"] = job.next_ms > 0 ? Json(iso_utc(job.next_ms)) : Json(nullptr);
  const std::int64_t last = state_int(st, "lastRunAtMs");
  j["lastRunAtMs"] = last > 0 ? Json(last) : Json(nullptr);
  j["lastRunAt"] = last > 0 ? Json(iso_utc(last)) : Json(nullptr);
  j["lastRunStatus"] = st.contains("lastRunStatus") ? st["lastRunStatus"] : Json(nullptr);
  j["lastRunError"] = st.contains("lastError") ? st["lastError"] : Json(nullptr);
  if (job.running_seq != 0) j["runningAtMs"] = job.running_since;
  if (st.contains("autoDisabled")) j["autoDisabled"] = st["autoDisabled"];
  if (st.contains("lastDeliveryStatus")) j["lastDeliveryStatus"] = st["lastDeliveryStatus"];
  return j;
}

Json delivery_preview(const Json& spec) {
  const Json d = spec.value("delivery", Json{{"mode", "none"}});
  const std::string mode = json_str(d, "mode");
  if (mode == "webhook")
    return Json{{"label", "webhook:" + json_str(d, "to")}, {"detail", "webhook"}};
  if (mode == "announce") {
    const std::string channel = json_str(d, "channel");
    if (channel == "last")
      return Json{{"label", "announce -> last"},
                  {"detail", "where the agent last talked on a channel"}};
    return Json{{"label", "announce -> " + channel + ":" + json_str(d, "to")},
                {"detail", "explicit"}};
  }
  return Json{{"label", "not requested"}, {"detail", "not requested"}};
}

Json run_entry(const sessions::CronRunRow& r, const std::string& job_name) {
  const bool ended = r.status != "running";
  Json j{{"ts", ended ? r.ended_ms : r.started_ms},
         {"jobId", r.job_id},
         {"action", "finished"},
         {"status", ended ? Json(wire_status(r.status)) : Json(nullptr)},
         {"outcome", r.status},
         {"trigger", r.trigger},
         {"runAtMs", r.scheduled_ms},
         {"startedAtMs", r.started_ms},
         {"deliveryStatus", r.delivery_status},
         {"delivered", r.delivery_status == "delivered"}};
  if (!ended) j.erase("status");
  if (!job_name.empty()) j["jobName"] = job_name;
  if (ended && r.status != "skipped")
    j["durationMs"] = std::max<std::int64_t>(0, r.ended_ms - r.started_ms);
  if (ended)
    j["completionStatus"] = r.status == "ok" && r.delivery_status != "not-delivered" ? "succeeded"
                            : r.status == "ok" || r.status == "skipped"              ? "unknown"
                                                                                     : "failed";
  if (!r.error.empty()) j["error"] = r.error;
  if (r.status == "timeout") j["errorReason"] = "timeout";
  if (!r.summary.empty()) j["summary"] = r.summary;
  if (!r.delivery_error.empty()) j["deliveryError"] = r.delivery_error;
  if (!r.session_key.empty()) j["sessionKey"] = r.session_key;
  if (!r.run_id.empty()) j["runId"] = r.run_id;
  return j;
}

}  // namespace simpleclaw::gateway
