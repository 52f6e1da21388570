#include "gateway/state/presence.h"

#include <algorithm>
#include <vector>

namespace simpleclaw::gateway {

Presence::Presence(Json self_entry) : self_(std::move(self_entry)) {}

bool Presence::connect(const std::string& conn_id, Json entry) {
  std::string key;
  if (entry.is_object() && entry.contains("instanceId") && entry["instanceId"].is_string() &&
      !entry["instanceId"].get_ref<const std::string&>().empty())
    key = "instance:" + entry["instanceId"].get<std::string>();
  else
    key = "conn:" + conn_id;
  if (auto old = by_conn_.find(conn_id); old != by_conn_.end() && old->second != key)
    disconnect(conn_id);  // the same socket under another instanceId: leave the old entry
  by_conn_[conn_id] = key;
  auto [it, fresh] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (fresh) e.order = ++order_;
  e.sockets.insert(conn_id);
  e.expires_ms = 0;
  if (!fresh && e.data == entry) return false;
  e.data = std::move(entry);
  ++version_;
  return true;
}

bool Presence::disconnect(const std::string& conn_id) {
  auto c = by_conn_.find(conn_id);
  if (c == by_conn_.end()) return false;
  std::string key = std::move(c->second);
  by_conn_.erase(c);
  auto it = entries_.find(key);
  if (it == entries_.end()) return false;
  it->second.sockets.erase(conn_id);
  if (!it->second.sockets.empty()) return false;  // another socket of the instance stays
  entries_.erase(it);
  ++version_;
  return true;
}

bool Presence::report(const std::string& instance_id, Json entry, std::int64_t now_ms,
                      std::int64_t ttl_ms) {
  std::string key = "instance:" + instance_id;
  auto [it, fresh] = entries_.try_emplace(key);
  Entry& e = it->second;
  if (fresh) e.order = ++order_;
  if (!e.sockets.empty()) return false;  // a live socket speaks for this instance
  e.expires_ms = now_ms + ttl_ms;
  if (!fresh) {
    // A repeated report only refreshes the deadline; its own ts does not count.
    Json a = e.data, b = entry;
    a.erase("ts");
    b.erase("ts");
    if (a == b) return false;
  }
  e.data = std::move(entry);
  ++version_;
  return true;
}

bool Presence::expire(std::int64_t now_ms) {
  bool changed = false;
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.sockets.empty() && it->second.expires_ms <= now_ms) {
      it = entries_.erase(it);
      changed = true;
    } else {
      ++it;
    }
  }
  if (changed) ++version_;
  return changed;
}

Json Presence::list() const {
  std::vector<const Entry*> v;
  v.reserve(entries_.size());
  for (const auto& [_, e] : entries_) v.push_back(&e);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->order < b->order; });
  Json out = Json::array({self_});
  for (auto* e : v) out.push_back(e->data);
  return out;
}

}  // namespace simpleclaw::gateway
