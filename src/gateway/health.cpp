// The health snapshot (hello-ok `snapshot.health`, the `health` method and event): built
// from the channels, agents, plugins, the loop monitor and a session summary that the
// maintenance pass or a probe reads from the store (maintenance.cpp). Every significant
// change bumps stateVersion.health and broadcasts.
//
// Shared mode: a user never sees another user's sessions here either. Each user gets a
// view of the same snapshot in which `sessions` are their own (count and most recent),
// `agents` lists only the agents granted, each with the user's own sessions of it.
#include <map>

#include "gateway/gateway.h"

namespace simpleclaw::gateway {

using protocol::Scope;
using protocol::SharedPayload;

namespace {

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

constexpr std::size_t kRecentShown = 5;

}  // namespace

Json user_health_view(const Json& health, const User& user, const Json& summary,
                      const std::string& db, std::int64_t now) {
  Json view = health;
  Json mine = sessions_block(db, now, summary, {}, kRecentShown);
  view["sessions"] = mine;
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

Json Gateway::plugins_health() const {
  Json loaded = Json::array(), errors = Json::array();
  if (plugins_) {
    Json list = plugins_->list_json();
    for (const Json& p : list.value("plugins", Json::array())) {
      if (p.value("state", "") == "running") loaded.push_back(p.value("name", ""));
      if (p.contains("lastError") && p["lastError"].is_string())
        errors.push_back(p.value("name", "") + ": " + p["lastError"].get<std::string>());
    }
    for (const Json& e : list.value("errors", Json::array()))
      errors.push_back(e.value("path", "") + ": " + e.value("message", ""));
  }
  return {{"loaded", loaded}, {"errors", errors}};
}

Json Gateway::build_health() {
  // The shape OpenClaw clients validate as a closed object (SPEC §3): nothing else at top
  // level, and each agent entry carries heartbeat + sessions blocks.
  std::string db = info_.state_dir + "/sessions.db";
  const std::int64_t now = now_ms();
  Json sessions = sessions_block(db, now, sessions_summary_);
  const Json no_summary;
  const Json& by_agent = sessions_summary_.is_object() && sessions_summary_.contains("byAgent")
                             ? sessions_summary_["byAgent"]
                             : no_summary;
  Json heartbeat{{"enabled", false}, {"every", "off"},   {"everyMs", nullptr},
                 {"prompt", ""},     {"target", "none"}, {"ackMaxChars", 300}};
  // Every configured agent, each with its own sessions.
  Json agents = Json::array();
  for (const auto& a : cfg_.agents.list) {
    const Json& mine =
        by_agent.is_object() && by_agent.contains(a.id) ? by_agent[a.id] : no_summary;
    agents.push_back(Json{{"agentId", a.id},
                          {"isDefault", a.id == cfg_.agents.default_id},
                          {"heartbeat", heartbeat},
                          {"sessions", sessions_block(db, now, mine)}});
  }
  Json channels = channels_ ? channels_->health_json() : Json::object();
  Json order = Json::array(), labels = Json::object();
  for (const auto& [name, accounts] : channels.items()) {
    order.push_back(name);
    labels[name] = name;
  }
  return Json{{"ok", true},
              {"channels", channels},
              {"channelOrder", order},
              {"channelLabels", labels},
              {"heartbeatSeconds", 0},
              {"defaultAgentId", cfg_.agents.default_id},
              {"agents", agents},
              {"sessions", sessions},
              {"plugins", plugins_health()},
              {"eventLoop", loop_monitor_.snapshot()},
              {"configReload", {{"hotReloadStatus", "active"}}}};
}

void Gateway::refresh_health(bool broadcast_if_changed) {
  auto t0 = std::chrono::steady_clock::now();
  Json body = build_health();
  // Shared mode: each user's view, built from the same snapshot.
  std::map<std::string, Json, std::less<>> views;
  const Json& by_user = sessions_summary_.is_object() && sessions_summary_.contains("byUser")
                            ? sessions_summary_["byUser"]
                            : Json::object();
  for (const User* u : users_.list())
    views[u->name] = user_health_view(body, *u, by_user.value(u->name, Json()),
                                      info_.state_dir + "/sessions.db", now_ms());
  // What counts as a change: loop-delay figures move on every refresh, only their verdict
  // counts; a session's age grows by itself, its updatedAt is what changes.
  auto significant = [](Json j) {
    j["eventLoop"] =
        Json{{"degraded", j["eventLoop"]["degraded"]}, {"reasons", j["eventLoop"]["reasons"]}};
    for (Json& r : j["sessions"]["recent"]) r.erase("age");
    for (Json& a : j["agents"])
      for (Json& r : a["sessions"]["recent"]) r.erase("age");
    return j;
  };
  Json now_significant{{"admin", significant(body)}, {"users", Json::object()}};
  for (const auto& [name, v] : views) now_significant["users"][name] = significant(v);
  bool changed = now_significant != health_body_;
  health_body_ = std::move(now_significant);
  const std::int64_t ts = now_ms();
  const std::int64_t took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0)
          .count();
  auto stamp = [&](Json j) {
    j["ts"] = ts;
    j["durationMs"] = took;
    return std::make_shared<const SharedPayload>(std::move(j));
  };
  health_ = stamp(std::move(body));
  user_health_.clear();
  for (auto& [name, v] : views) user_health_[name] = stamp(std::move(v));
  if (!changed) return;
  ++health_version_;
  if (!broadcast_if_changed) return;
  broadcast_views(
      "health", health_, [this](const std::string& u) { return health_snapshot(u); }, Scope::kNone,
      true, true);
}

protocol::SharedPayloadPtr Gateway::health_snapshot(std::string_view user) const {
  if (user.empty()) return health_;
  auto it = user_health_.find(user);
  if (it != user_health_.end()) return it->second;
  // A user added since the last refresh: nothing of theirs yet, none of anyone else's.
  const User* u = users_.find(user);
  Json v = user_health_view(health_->json(), u ? *u : User{}, Json(),
                            info_.state_dir + "/sessions.db", now_ms());
  if (!u) v["agents"] = Json::array();
  return std::make_shared<const SharedPayload>(std::move(v));
}

}  // namespace simpleclaw::gateway
