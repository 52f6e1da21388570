// HealthMonitor (see health.h).
#include "gateway/health.h"

#include "base/log.h"
#include "channels/channel_manager.h"
#include "gateway/cron/heartbeat.h"
#include "plugins/plugin_host.h"
#include "sessions/db_worker.h"

namespace simpleclaw::gateway {

using protocol::Scope;
using protocol::SharedPayload;
using protocol::SharedPayloadPtr;

namespace {

// The default agent's heartbeat interval in seconds (0 = none): OpenClaw's top-level
// heartbeatSeconds.
int heartbeat_seconds(const config::Config& cfg) {
  for (const auto& a : cfg.agents.list)
    if (a.id == cfg.agents.default_id)
      return static_cast<int>(heartbeat_settings(a.heartbeat).every_ms / 1000);
  return 0;
}

constexpr std::size_t kRecentShown = 5;       // health `sessions.recent` per block
constexpr std::size_t kMaxHealthAgents = 64;  // agents with their own summary read
constexpr std::size_t kMaxHealthUsers = 64;   // shared mode: users with their own summary
constexpr int kMaxUserRecent = 50;            // one user's recent sessions, all agents

// {path, count, recent[{key, updatedAt, age}]} from a summary {count, recent[{key,
// updatedAt}]}; zeros before the first read. `prefix`: only keys starting with it, at most
// `max` of them (a user's per-agent block taken from their own recent list).
Json sessions_block(const std::string& db, std::int64_t now, const Json& summary,
                    std::string_view prefix = {}, std::size_t max = SIZE_MAX) {
  Json out{{"path", db}, {"count", 0}, {"recent", Json::array()}};
  if (!summary.is_object()) return out;
  out["count"] = summary.value("count", 0);
  for (const Json& r : summary.value("recent", Json::array())) {
    if (out["recent"].size() >= max) break;
    std::string key = r.value("key", "");
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    std::int64_t at = r.value("updatedAt", std::int64_t{0});
    out["recent"].push_back(
        Json{{"key", key}, {"updatedAt", at}, {"age", std::max<std::int64_t>(0, now - at)}});
  }
  return out;
}

// What counts as a change: loop-delay figures move on every refresh, only their verdict
// counts; a session's age grows by itself, its updatedAt is what changes.
Json significant(Json j) {
  j["eventLoop"] =
      Json{{"degraded", j["eventLoop"]["degraded"]}, {"reasons", j["eventLoop"]["reasons"]}};
  for (Json& r : j["sessions"]["recent"]) r.erase("age");
  for (Json& a : j["agents"])
    for (Json& r : a["sessions"]["recent"]) r.erase("age");
  return j;
}

Json recent_of(const std::vector<sessions::SessionRow>& rows) {
  Json recent = Json::array();
  for (const auto& row : rows)
    recent.push_back(Json{{"key", row.key}, {"updatedAt", row.updated_at}});
  return recent;
}

}  // namespace

Json user_health_view(const Json& health, const User& user, const Json& summary,
                      const std::string& db, std::int64_t now) {
  Json view = health;
  view["sessions"] = sessions_block(db, now, summary, {}, kRecentShown);
  const Json counts =
      summary.is_object() ? summary.value("countByAgent", Json::object()) : Json::object();
  Json agents = Json::array();
  for (const Json& a : health.value("agents", Json::array())) {
    std::string id = a.value("agentId", "");
    if (!user.may_use_agent(id)) continue;
    Json entry = a;
    entry["sessions"] = sessions_block(db, now, summary, "agent:" + id + ":", kRecentShown);
    entry["sessions"]["count"] = counts.value(id, 0);
    agents.push_back(std::move(entry));
  }
  view["agents"] = std::move(agents);
  return view;
}

HealthMonitor::HealthMonitor(const LiveConfig& config, ClientTable& clients, sessions::DbWorker& db,
                             const channels::ChannelManager& channels,
                             const plugins::PluginHost& plugins, const EventLoopMonitor& loop,
                             const Clock& clock, std::function<Json()> state_version)
    : config_(config),
      clients_(clients),
      db_(db),
      channels_(channels),
      plugins_(plugins),
      loop_(loop),
      clock_(clock),
      state_version_(std::move(state_version)) {}

int HealthMonitor::session_count() const {
  return summary_.is_object() ? summary_.value("count", 0) : 0;
}

Json HealthMonitor::plugins_block() const {
  Json loaded = Json::array(), errors = Json::array();
  Json list = plugins_.list_json();
  for (const Json& p : list.value("plugins", Json::array())) {
    if (p.value("state", "") == "running") loaded.push_back(p.value("name", ""));
    if (p.contains("lastError") && p["lastError"].is_string())
      errors.push_back(p.value("name", "") + ": " + p["lastError"].get<std::string>());
  }
  for (const Json& e : list.value("errors", Json::array()))
    errors.push_back(e.value("path", "") + ": " + e.value("message", ""));
  return {{"loaded", loaded}, {"errors", errors}};
}

Json HealthMonitor::build() const {
  // The shape OpenClaw clients validate as a closed object (SPEC §3): nothing else at top
  // level, and each agent entry carries heartbeat + sessions blocks.
  const config::Config& cfg = config_.cfg();
  const std::string db = config_.info().sessions_db();
  const std::int64_t now = clock_.wall_ms();
  const Json no_summary;
  const Json& by_agent =
      summary_.is_object() && summary_.contains("byAgent") ? summary_["byAgent"] : no_summary;
  // Every configured agent, each with its own sessions.
  Json agents = Json::array();
  for (const auto& a : cfg.agents.list) {
    const Json& mine =
        by_agent.is_object() && by_agent.contains(a.id) ? by_agent[a.id] : no_summary;
    agents.push_back(Json{{"agentId", a.id},
                          {"isDefault", a.id == cfg.agents.default_id},
                          {"heartbeat", heartbeat_health_block(heartbeat_settings(a.heartbeat))},
                          {"sessions", sessions_block(db, now, mine)}});
  }
  Json channels = channels_.health_json();
  Json order = Json::array(), labels = Json::object();
  for (const auto& [name, accounts] : channels.items()) {
    order.push_back(name);
    labels[name] = channels::ChannelManager::label(name);
  }
  // `ok` is always true here (OpenClaw's clients accept nothing else); a gateway running
  // on its last-known-good config says so in `status` and on GET /health.
  return Json{{"ok", true},
              {"channels", channels},
              {"channelOrder", order},
              {"channelLabels", labels},
              {"heartbeatSeconds", heartbeat_seconds(cfg)},
              {"defaultAgentId", cfg.agents.default_id},
              {"agents", agents},
              {"sessions", sessions_block(db, now, summary_)},
              {"plugins", plugins_block()},
              {"eventLoop", loop_.snapshot()},
              {"configReload", {{"hotReloadStatus", "active"}}}};
}

void HealthMonitor::refresh(bool broadcast_if_changed) {
  auto t0 = clock_.steady();
  Json body = build();
  const std::string db = config_.info().sessions_db();
  // Shared mode: each user's view, built from the same snapshot.
  std::map<std::string, Json, std::less<>> views;
  const Json& by_user =
      summary_.is_object() && summary_.contains("byUser") ? summary_["byUser"] : Json::object();
  for (const User* u : config_.users().list())
    views[u->name] =
        user_health_view(body, *u, by_user.value(u->name, Json()), db, clock_.wall_ms());
  Json now_significant{{"admin", significant(body)}, {"users", Json::object()}};
  for (const auto& [name, v] : views) now_significant["users"][name] = significant(v);
  bool changed = now_significant != significant_;
  significant_ = std::move(now_significant);
  const std::int64_t ts = clock_.wall_ms();
  const std::int64_t took =
      std::chrono::duration_cast<std::chrono::milliseconds>(clock_.steady() - t0).count();
  auto stamp = [&](Json j) {
    j["ts"] = ts;
    j["durationMs"] = took;
    return std::make_shared<const SharedPayload>(std::move(j));
  };
  admin_view_ = stamp(std::move(body));
  user_views_.clear();
  for (auto& [name, v] : views) user_views_[name] = stamp(std::move(v));
  if (!changed) return;
  ++version_;
  if (!broadcast_if_changed) return;
  Json sv = state_version_();
  clients_.broadcast_views(
      "health", admin_view_, [this](const std::string& u) { return snapshot(u); },
      Audience{Scope::kNone}, true, &sv);
}

SharedPayloadPtr HealthMonitor::snapshot(std::string_view user) const {
  if (user.empty()) return admin_view_;
  auto it = user_views_.find(user);
  if (it != user_views_.end()) return it->second;
  // A user added since the last refresh: nothing of theirs yet, none of anyone else's.
  const User* u = config_.users().find(user);
  Json v = user_health_view(admin_view_->json(), u ? *u : User{}, Json(),
                            config_.info().sessions_db(), clock_.wall_ms());
  if (!u) v["agents"] = Json::array();
  return std::make_shared<const SharedPayload>(std::move(v));
}

void HealthMonitor::probe(std::string user, std::function<void(SharedPayloadPtr)> done) {
  refresh_summary([this, user = std::move(user), done = std::move(done)] { done(snapshot(user)); });
}

void HealthMonitor::refresh_summary(std::function<void()> then) {
  if (!then) then = [] {};
  if (summary_pending_) return then();  // the read in flight refreshes the snapshot
  summary_pending_ = true;
  // All sessions, then each configured agent's (bounded: kMaxHealthAgents queries).
  std::vector<std::string> agents;
  for (const auto& a : config_.cfg().agents.list) {
    if (agents.size() >= kMaxHealthAgents) break;
    agents.push_back(a.id);
  }
  // Shared mode: each user's own count, count per agent and most recent sessions, enough
  // of them that each granted agent's `recent` can usually show kRecentShown.
  std::vector<std::pair<std::string, int>> users;
  for (const User* u : config_.users().list()) {
    if (users.size() >= kMaxHealthUsers) break;
    std::size_t granted = u->all_agents ? agents.size() : u->agents.size();
    int want = static_cast<int>(std::max<std::size_t>(granted, 1) * kRecentShown);
    users.emplace_back(u->name, std::min(want, kMaxUserRecent));
  }
  db_.post(
      [agents = std::move(agents),
       users = std::move(users)](sessions::SessionStore& s) -> Result<Json> {
        auto summarize = [&s](const std::string& agent_id) -> Result<Json> {
          sessions::ListFilter f;
          f.limit = static_cast<int>(kRecentShown);
          f.agent_id = agent_id;
          auto page = s.list(f);
          if (!page.ok()) return page.error();
          return Json{{"count", page->second}, {"recent", recent_of(page->first)}};
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
          by_user[name] = Json{{"count", page->second},
                               {"recent", recent_of(page->first)},
                               {"countByAgent", *counts}};
        }
        Json out = std::move(all).value();
        out["byAgent"] = std::move(by_agent);
        out["byUser"] = std::move(by_user);
        return out;
      },
      alive_.guard([this, then = std::move(then)](Result<Json> r) {
        summary_pending_ = false;
        if (r.ok())
          summary_ = std::move(r).value();
        else
          log::warn("health: cannot read the session summary: {}", r.error().message);
        if (!stopped_) refresh(true);
        then();  // also after stop: a probe still gets its answer
      }));
}

}  // namespace simpleclaw::gateway
