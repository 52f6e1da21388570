#include "gateway/state/presence.h"

#include <algorithm>
#include <vector>

namespace simpleclaw::gateway {

Presence::Presence(Json self_entry) : self_(std::move(self_entry)) {}

std::uint64_t Presence::upsert(const std::string& conn_id, Json entry) {
  auto it = entries_.find(conn_id);
  std::uint64_t order = it == entries_.end() ? ++order_ : it->second.first;
  entries_[conn_id] = {order, std::move(entry)};
  return ++version_;
}

bool Presence::remove(const std::string& conn_id) {
  if (entries_.erase(conn_id) == 0) return false;
  ++version_;
  return true;
}

Json Presence::list() const {
  std::vector<const std::pair<std::uint64_t, Json>*> v;
  v.reserve(entries_.size());
  for (const auto& [_, e] : entries_) v.push_back(&e);
  std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->first < b->first; });
  Json out = Json::array({self_});
  for (auto* e : v) out.push_back(e->second);
  return out;
}

}  // namespace simpleclaw::gateway
