// Channel accounts as configured (SPEC §9): channels.<name> holds one account, or
// several under accounts.<id> (each inheriting the keys written beside `accounts`), and
// the keys every account takes whatever its platform (access control, binding shortcut,
// chunking, health monitor). Plus `bindings`, which pick the agent of a conversation.
//
// Pure functions over the validated config document; any thread.
#pragma once
#include <string>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::channels {

struct HealthMonitorSettings {
  bool enabled = true;             // stuck detection on the inbound path
  int stuck_after_ms = 0;          // 0 = the channel's own liveness window
  int check_interval_ms = 0;       // 0 = a quarter of the window, 100 ms..5 s
  int restart_after_failures = 5;  // failures in a row before the account is rebuilt
  int backoff_base_ms = 1000;      // first reconnect delay (doubles, jitter)
  int backoff_max_ms = 60000;      // reconnect delay cap
};

struct AccountSettings {
  std::string channel;     // "telegram"
  std::string account_id;  // "default" or the accounts.<id> key
  bool enabled = true;
  std::string agent;                    // binding shortcut; "" = bindings / default agent
  std::vector<std::string> allow_from;  // stable ids; "*" = anyone
  std::string dm_policy = "allowlist";  // allowlist | pairing | open | disabled
  std::vector<std::string> groups;      // group ids; "*" = any
  std::string activation = "mention";   // mention | always
  int chunk_limit = 0;                  // 0 = the platform's limit
  HealthMonitorSettings health;
  // Groups the account joins because the config says so (IRC's `channels`): answered in
  // as if listed in `groups`, since answering there is why the bot joins them.
  std::vector<std::string> joined_groups;
  Json raw;  // everything as written (the platform keys: token, server, ...)
};

struct Binding {
  std::string channel, account, peer, group, agent;  // "" = any (agent always set)
  std::string user;  // shared mode: the user owning the conversations ("" = the admin)
};

// Every account of every channel in `channels` (sorted by channel, then account id).
std::vector<AccountSettings> parse_accounts(const Json& channels_section);
std::vector<Binding> parse_bindings(const Json& bindings_section);

// A YAML number or string id as text ("123" for 123).
std::string id_text(const Json& v);

}  // namespace simpleclaw::channels
