#include "channels/account_settings.h"

#include <algorithm>

namespace simpleclaw::channels {

std::string id_text(const Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  return {};
}

namespace {

template <typename T>
void get(const Json& o, const char* key, T& out) {
  auto it = o.find(key);
  if (it != o.end() && !it->is_null()) {
    try {
      out = it->get<T>();
    } catch (const Json::exception&) {  // the schema checked types; keep the default
    }
  }
}

std::vector<std::string> ids(const Json& o, const char* key) {
  std::vector<std::string> out;
  auto it = o.find(key);
  if (it == o.end() || !it->is_array()) return out;
  for (const Json& v : *it)
    if (auto s = id_text(v); !s.empty()) out.push_back(std::move(s));
  return out;
}

// The platform key that lists the groups an account joins by itself, or nullptr where
// the platform decides (a bot is invited into a Telegram group, a Discord guild, ...).
const char* joined_groups_key(const std::string& channel) {
  return channel == "irc" ? "channels" : nullptr;
}

AccountSettings account(const std::string& channel, const std::string& id, Json raw) {
  AccountSettings a;
  a.channel = channel;
  a.account_id = id;
  get(raw, "enabled", a.enabled);
  get(raw, "agent", a.agent);
  a.allow_from = ids(raw, "allow_from");
  get(raw, "dm_policy", a.dm_policy);
  a.groups = ids(raw, "groups");
  if (const char* key = joined_groups_key(channel)) a.joined_groups = ids(raw, key);
  get(raw, "activation", a.activation);
  get(raw, "chunk_limit", a.chunk_limit);
  if (auto it = raw.find("health_monitor"); it != raw.end() && it->is_object()) {
    const Json& h = *it;
    get(h, "enabled", a.health.enabled);
    get(h, "stuck_after_ms", a.health.stuck_after_ms);
    get(h, "check_interval_ms", a.health.check_interval_ms);
    get(h, "restart_after_failures", a.health.restart_after_failures);
    get(h, "backoff_base_ms", a.health.backoff_base_ms);
    get(h, "backoff_max_ms", a.health.backoff_max_ms);
  }
  a.raw = std::move(raw);
  return a;
}

}  // namespace

std::vector<AccountSettings> parse_accounts(const Json& channels) {
  std::vector<AccountSettings> out;
  if (!channels.is_object()) return out;
  for (const auto& [name, ch] : channels.items()) {
    Json top = ch.is_object() ? ch : Json::object();
    auto accts = top.find("accounts");
    if (accts == top.end() || !accts->is_object() || accts->empty()) {
      top.erase("accounts");
      out.push_back(account(name, "default", std::move(top)));
      continue;
    }
    Json base = top;
    base.erase("accounts");
    for (const auto& [id, entry] : accts->items()) {
      Json merged = base;
      if (entry.is_object())
        for (const auto& [k, v] : entry.items()) merged[k] = v;
      out.push_back(account(name, id, std::move(merged)));
    }
  }
  std::sort(out.begin(), out.end(), [](const AccountSettings& a, const AccountSettings& b) {
    return a.channel != b.channel ? a.channel < b.channel : a.account_id < b.account_id;
  });
  return out;
}

std::vector<Binding> parse_bindings(const Json& bindings) {
  std::vector<Binding> out;
  if (!bindings.is_array()) return out;
  for (const Json& b : bindings) {
    if (!b.is_object()) continue;
    Binding x;
    get(b, "channel", x.channel);
    get(b, "account", x.account);
    if (auto it = b.find("peer"); it != b.end()) x.peer = id_text(*it);
    if (auto it = b.find("group"); it != b.end()) x.group = id_text(*it);
    get(b, "agent", x.agent);
    get(b, "user", x.user);
    if (!x.channel.empty() && !x.agent.empty()) out.push_back(std::move(x));
  }
  return out;
}

}  // namespace simpleclaw::channels
