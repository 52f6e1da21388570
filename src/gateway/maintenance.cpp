// The maintenance timer's work (gateway.timers.maintenance_ms), one pass at a time:
//
//   * the health snapshot: the session summary is re-read from the store, then the
//     snapshot is rebuilt; a change bumps stateVersion.health and broadcasts `health`
//   * presence: socketless entries past gateway.timers.presence_ttl_ms are dropped
//   * chat.send idempotency results past sessions.dedupe_ttl_ms are forgotten
//   * sessions.reset policy (idle | daily): idle sessions last active before the cut-off
//     start over exactly as `sessions.reset` does (new sessionId, old transcript kept)
//   * SQLite: PRAGMA wal_checkpoint(TRUNCATE) so the -wal file does not grow without
//     bound between restarts, and PRAGMA optimize
//
// Exec approvals need no pass: each has its own deadline timer (tools/approvals.h) and
// ends as deny/timeout with `exec.approval.resolved`. Log files rotate by size as they
// are written (base/log.h).
//
// Loop thread; the database work runs on the DbWorker and at most one job of each kind
// is in flight, so a slow disk never piles passes up.
#include <ctime>

#include "base/log.h"
#include "gateway/gateway.h"
#include "gateway/reset_policy.h"

namespace simpleclaw::gateway {
namespace {

constexpr int kMaxResetsPerPass = 100;        // bounds one pass's database work
constexpr int kRecentSessions = 5;            // health `sessions.recent`
constexpr std::size_t kMaxHealthAgents = 64;  // agents listed in the health snapshot
constexpr std::size_t kMaxHealthUsers = 64;   // shared mode: users with their own summary
constexpr int kMaxUserRecent = 50;            // one user's recent sessions, all agents

}  // namespace

std::int64_t daily_reset_cutoff_ms(std::int64_t now_ms, int hour) {
  std::time_t now = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  localtime_r(&now, &tm);
  tm.tm_hour = hour;
  tm.tm_min = tm.tm_sec = 0;
  tm.tm_isdst = -1;
  std::time_t cut = std::mktime(&tm);
  if (cut > now) {
    --tm.tm_mday;  // mktime normalises the day and the DST change, if any
    tm.tm_hour = hour;
    tm.tm_isdst = -1;
    cut = std::mktime(&tm);
  }
  return static_cast<std::int64_t>(cut) * 1000;
}

void Gateway::maintenance_pass() {
  if (presence_.expire(now_ms())) presence_changed();
  if (chat_) (void)chat_->expire_dedupe();
  reset_stale_sessions();
  checkpoint_store();
  if (db_)
    refresh_sessions_summary([this] { refresh_health(true); });
  else
    refresh_health(true);
}

void Gateway::refresh_sessions_summary(std::function<void()> then) {
  if (!db_ || summary_pending_) return then();
  summary_pending_ = true;
  // All sessions, then each configured agent's (bounded: kMaxHealthAgents queries).
  std::vector<std::string> agents;
  for (const auto& a : cfg_.agents.list) {
    if (agents.size() >= kMaxHealthAgents) break;
    agents.push_back(a.id);
  }
  // Shared mode: each user's own count, count per agent and most recent sessions, enough
  // of them that each granted agent's `recent` can usually show kRecentSessions.
  std::vector<std::pair<std::string, int>> users;
  for (const User* u : users_.list()) {
    if (users.size() >= kMaxHealthUsers) break;
    std::size_t granted = u->all_agents ? agents.size() : u->agents.size();
    int want = static_cast<int>(std::max<std::size_t>(granted, 1)) * kRecentSessions;
    users.emplace_back(u->name, std::min(want, kMaxUserRecent));
  }
  db_->post(
      [agents = std::move(agents),
       users = std::move(users)](sessions::SessionStore& s) -> Result<Json> {
        auto summarize = [&s](const std::string& agent_id) -> Result<Json> {
          sessions::ListFilter f;
          f.limit = kRecentSessions;
          f.agent_id = agent_id;
          auto page = s.list(f);
          if (!page.ok()) return page.error();
          Json recent = Json::array();
          for (const auto& row : page->first)
            recent.push_back(Json{{"key", row.key}, {"updatedAt", row.updated_at}});
          return Json{{"count", page->second}, {"recent", std::move(recent)}};
        };
        auto all = summarize("");
        if (!all.ok()) return all.error();
        Json by_agent = Json::object();
        for (const auto& id : agents) {
          auto one = summarize(id);
          if (!one.ok()) return one.error();
          by_agent[id] = std::move(one).value();
        }
        Json by_user = Json::object();
        for (const auto& [name, limit] : users) {
          sessions::ListFilter f;
          f.limit = limit;
          f.owner = name;
          auto page = s.list(f);
          if (!page.ok()) return page.error();
          auto counts = s.count_by_agent(name);
          if (!counts.ok()) return counts.error();
          Json recent = Json::array();
          for (const auto& row : page->first)
            recent.push_back(Json{{"key", row.key}, {"updatedAt", row.updated_at}});
          by_user[name] = Json{
              {"count", page->second}, {"recent", std::move(recent)}, {"countByAgent", *counts}};
        }
        Json out = std::move(all).value();
        out["byAgent"] = std::move(by_agent);
        out["byUser"] = std::move(by_user);
        return out;
      },
      [this, then = std::move(then)](Result<Json> r) {
        summary_pending_ = false;
        if (r.ok())
          sessions_summary_ = std::move(r).value();
        else
          log::warn("health: cannot read the session summary: {}", r.error().message);
        if (!draining_) then();
      });
}

void Gateway::probe_health(std::string user, Responder done) {
  refresh_sessions_summary([this, user = std::move(user), done = std::move(done)] {
    refresh_health(true);
    done(health_snapshot(user)->json());
  });
}

void Gateway::reset_stale_sessions() {
  const config::SessionResetConfig& policy = cfg_.sessions.reset;
  if (!db_ || !chat_ || resets_pending_ || policy.mode == "none") return;
  std::int64_t now = now_ms();
  std::int64_t cutoff = 0;
  if (policy.mode == "idle" && policy.idle_minutes > 0)
    cutoff = now - static_cast<std::int64_t>(policy.idle_minutes * 60000.0);
  else if (policy.mode == "daily")
    cutoff = daily_reset_cutoff_ms(now, policy.at_hour);
  if (cutoff <= 0) return;
  resets_pending_ = true;
  std::string reason = policy.mode;
  db_->post(
      [cutoff](sessions::SessionStore& s) { return s.stale_sessions(cutoff, kMaxResetsPerPass); },
      [this, reason](Result<std::vector<std::string>> keys) {
        resets_pending_ = false;
        if (!keys.ok()) {
          log::warn("sessions.reset policy: cannot list sessions: {}", keys.error().message);
          return;
        }
        for (const std::string& key : *keys) {
          // A message may have arrived since the query: never cut a run short.
          if (draining_ || !chat_->run_ids(key).empty()) continue;
          chat_->reset_session(key, [this, key, reason](Result<Json> r) {
            if (!r.ok()) {
              log::warn("sessions.reset policy: {}: {}", key, r.error().message);
              return;
            }
            ++metrics_.session_resets;
            log::event("session.reset",
                       Json{{"sessionKey", key},
                            {"sessionId", r->value("sessionId", "")},
                            {"reason", reason}},
                       key + " started over (" + reason + "); the old transcript is kept");
          });
        }
      });
}

void Gateway::checkpoint_store() {
  if (!db_ || checkpoint_pending_) return;
  checkpoint_pending_ = true;
  db_->post_standalone([](sessions::SessionStore& s) { return s.checkpoint(); },
                       [this](Result<Json> r) {
                         checkpoint_pending_ = false;
                         if (!r.ok()) {
                           log::warn("WAL checkpoint failed: {}", r.error().message);
                           return;
                         }
                         ++metrics_.wal_checkpoints;
                         if (r->value("busy", 0) != 0)
                           log::debug("WAL checkpoint incomplete: the database was busy");
                       });
}

Status Gateway::presence_report(const Client& from, const Json& payload) {
  if (!payload.is_object()) return Error::invalid("presence payload must be an object");
  const Json& id = payload.contains("instanceId") ? payload["instanceId"] : Json();
  if (!id.is_string() || id.get_ref<const std::string&>().empty() ||
      id.get_ref<const std::string&>().size() > 256)
    return Error::invalid("presence payload needs instanceId (a string of 1-256 characters)");
  // Only the closed set of presence fields, each a bounded string.
  Json entry{
      {"instanceId", id}, {"ts", now_ms()}, {"reason", "report"}, {"ip", from.peer.remote_ip}};
  for (const char* k : {"host", "version", "platform", "deviceFamily", "mode", "text"}) {
    if (!payload.contains(k)) continue;
    const Json& v = payload[k];
    if (!v.is_string() || v.get_ref<const std::string&>().size() > 256)
      return Error::invalid(std::string("presence field ") + k +
                            " must be a string of at most 256 characters");
    entry[k] = v;
  }
  entry["roles"] = Json::array({"node"});
  // The report's own ts changes every time: compare without it, so a repeated report
  // only refreshes the deadline.
  if (presence_.report(id.get<std::string>(), std::move(entry), now_ms(),
                       cfg_.gateway.timers.presence_ttl_ms))
    presence_changed();
  return Ok{};
}

}  // namespace simpleclaw::gateway
