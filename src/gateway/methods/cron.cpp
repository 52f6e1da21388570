// Scheduled jobs (OpenClaw's "Automations"), on the CronScheduler (cron/scheduler.h):
//
//   cron.status   {enabled, jobs, nextWakeAtMs, storage, ...}
//   cron.list     filters (enabled, query, scheduleKind, lastRunStatus, agentId), sort and
//                 paging {jobs, snapshotRevision, total, offset, limit, hasMore, nextOffset}
//   cron.get      one job (read view: definition, state, configRevision)
//   cron.add      a new job; the read view plus deliveryPreview
//   cron.update   {id, patch, expectedConfigRevision?}
//   cron.remove   {ok, removed}
//   cron.run      {id, mode: force | due | if-enabled}: queued, not waited for
//   cron.runs     run records, per job or all, filters and paging
//   wake          {mode: now | next-heartbeat, text}: a turn in the agent's main session
//
// A job is named by `id` or `jobId`. In shared mode a user sees and manages only the jobs
// they created.
#include "agents/agent_directory.h"
#include "agents/run_engine.h"
#include "base/ids.h"
#include "base/json_fields.h"
#include "gateway/cron/scheduler.h"
#include "gateway/methods/table.h"

namespace simpleclaw::gateway {
namespace {

CronCaller caller_of(const MethodCall& call) {
  CronCaller who;
  who.user = call.client.user;
  who.session_key = json_str(call.params, "sessionKey");
  return who;
}

std::string job_id_of(const Json& p) {
  std::string id = json_str(p, "id");
  return id.empty() ? json_str(p, "jobId") : id;
}

Error missing_id(const char* method) {
  return Error::invalid(std::string("invalid ") + method + " params: missing id");
}

}  // namespace

void method_cron_status(MethodCall& call) { call.respond(call.svc.cron.status()); }

void method_cron_list(MethodCall& call) {
  const Json& p = call.params;
  CronListQuery q;
  // includeDisabled (default false) unless `enabled` says otherwise.
  q.enabled = json_bool(p, "includeDisabled", false) ? "all" : "enabled";
  if (!json_str(p, "enabled").empty()) q.enabled = json_str(p, "enabled");
  q.query = json_str(p, "query");
  q.schedule_kind = json_str(p, "scheduleKind");
  q.last_run_status = json_str(p, "lastRunStatus");
  q.agent_id = json_str(p, "agentId");
  if (!json_str(p, "sortBy").empty()) q.sort_by = json_str(p, "sortBy");
  if (!json_str(p, "sortDir").empty()) q.sort_dir = json_str(p, "sortDir");
  q.offset = json_int(p, "offset", 0);
  q.limit = json_int(p, "limit", 0);
  q.compact = json_bool(p, "compact", false);
  q.previews = json_bool(p, "includeDeliveryPreviews", true);
  call.respond(call.svc.cron.list(q, caller_of(call)));
}

void method_cron_preview(MethodCall& call) {
  const Json& p = call.params;
  if (!p.contains("schedule") || !p["schedule"].is_object())
    return call.respond(Error::invalid("invalid cron.preview params: schedule must be an object"));
  const int count = static_cast<int>(p.value("count", 5));
  call.respond(call.svc.cron.preview(p["schedule"], count, json_str(p, "jobId")));
}

void method_cron_get(MethodCall& call) {
  const std::string id = job_id_of(call.params);
  if (id.empty()) return call.respond(missing_id("cron.get"));
  call.respond(call.svc.cron.get(id, caller_of(call)));
}

void method_cron_add(MethodCall& call) {
  Json fields = call.params;
  call.svc.cron.add(fields, caller_of(call),
                    [respond = call.respond](Result<Json> r) { respond(std::move(r)); });
}

void method_cron_update(MethodCall& call) {
  const Json& p = call.params;
  const std::string id = job_id_of(p);
  if (id.empty()) return call.respond(missing_id("cron.update"));
  if (!p.contains("patch") || !p["patch"].is_object())
    return call.respond(Error::invalid("invalid cron.update params: patch must be an object"));
  call.svc.cron.update(id, p["patch"], json_str(p, "expectedConfigRevision"), caller_of(call),
                       [respond = call.respond](Result<Json> r) { respond(std::move(r)); });
}

void method_cron_remove(MethodCall& call) {
  const std::string id = job_id_of(call.params);
  if (id.empty()) return call.respond(missing_id("cron.remove"));
  call.svc.cron.remove(id, caller_of(call),
                       [respond = call.respond](Result<Json> r) { respond(std::move(r)); });
}

void method_cron_run(MethodCall& call) {
  const std::string id = job_id_of(call.params);
  if (id.empty()) return call.respond(missing_id("cron.run"));
  const std::string mode = json_str(call.params, "mode", "force");
  call.respond(call.svc.cron.run_now(id, mode, caller_of(call)));
}

void method_cron_runs(MethodCall& call) {
  const Json& p = call.params;
  sessions::CronRunQuery q;
  const std::string scope = json_str(p, "scope");
  if (scope != "all") q.job_id = job_id_of(p);
  if (scope == "job" && q.job_id.empty()) return call.respond(missing_id("cron.runs"));
  // OpenClaw's statuses are ok | error | skipped; error covers timeout and interrupted.
  auto add_status = [&q](const std::string& s) {
    if (s == "error") {
      for (const char* e : {"error", "timeout", "interrupted"}) q.statuses.push_back(e);
    } else if (!s.empty() && s != "all") {
      q.statuses.push_back(s);
    }
  };
  add_status(json_str(p, "status"));
  for (const auto& s : json_strings(p, "statuses")) add_status(s);
  q.delivery_status = json_str(p, "deliveryStatus");
  if (auto ds = json_strings(p, "deliveryStatuses"); ds.size() == 1) q.delivery_status = ds[0];
  q.query = json_str(p, "query");
  if (const std::string run_id = json_str(p, "runId"); !run_id.empty()) q.run_id = run_id;
  q.limit = std::clamp(json_int(p, "limit", 50), 1, 200);
  q.offset = std::max(0, json_int(p, "offset", 0));
  q.newest_first = json_str(p, "sortDir", "desc") != "asc";
  call.svc.cron.runs(std::move(q), caller_of(call),
                     [respond = call.respond](Result<Json> r) { respond(std::move(r)); });
}

// wake: the text becomes a turn in the agent's main session (or the named session) now;
// with mode next-heartbeat it waits for the agent's next heartbeat when one is
// configured (and the session is the main one), else it runs now too.
void method_wake(MethodCall& call) {
  const Json& p = call.params;
  std::string text = json_str(p, "text");
  if (text.find_first_not_of(" \t\r\n") == std::string::npos)
    return call.respond(Json{{"ok", false}});
  std::string raw = json_str(p, "sessionKey");
  if (raw.empty()) {
    if (!call.client.user.empty())
      return call.respond(Error::invalid("wake: sessionKey is required for a shared-mode user"));
    raw = "main";
  }
  auto key = call.svc.agents.parse_key(raw, json_str(p, "agentId"));
  if (!key.ok()) return call.respond(key.error());
  // next-heartbeat: the agent's next heartbeat lists the text under "System events"; an
  // agent without heartbeats runs it now, as OpenClaw does.
  if (json_str(p, "mode", "now") == "next-heartbeat" && key->rest == "main" &&
      call.svc.cron.heartbeats().queue_event(key->agent_id, text))
    return call.respond(Json{{"ok", true}, {"queued", true}});
  agents::SendParams sp;
  sp.session_key = key->key;
  sp.agent_id = key->agent_id;
  sp.message = text;
  sp.idempotency_key = "wake:" + uuid_v4();
  call.svc.runs.send(std::move(sp), [respond = call.respond](Result<agents::SendAck> r) {
    if (!r.ok()) return respond(r.error());
    respond(Json{{"ok", true}, {"runId", r->run_id}});
  });
}

}  // namespace simpleclaw::gateway
