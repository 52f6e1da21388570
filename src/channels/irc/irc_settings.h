// The settings of one IRC account (the account's `settings` JSON object from config), read
// and checked before anything connects: a Settings with a non-empty `error` cannot work and
// the account reports that error instead of dialling. Pure; any thread.
#pragma once
#include <chrono>
#include <string>
#include <vector>

#include "base/json_fields.h"

namespace simpleclaw::channels::irc {

struct Settings {
  std::string server;
  std::string port;
  bool tls = true;
  bool tls_verify = true;
  std::string ca_file;
  std::string nick, username, realname, password;
  bool sasl = false;
  std::string sasl_user, sasl_password;
  std::vector<std::string> channels;
  // The nicks and channels the account's access settings name (allow_from, groups, and
  // the channels it joins, which count as groups), as written: an inbound nick or channel
  // that matches one IRC-case-insensitively is reported with that spelling, so "Alice"
  // passes allow_from: [alice] and "#OPS" is the "#ops" of channels: ["#ops"].
  std::vector<std::string> known_ids;
  std::chrono::milliseconds ping_interval{60000};
  std::chrono::milliseconds send_interval{700};
  int send_burst = 4;
  std::string error;  // non-empty: the settings cannot work
};

// Reads and validates; numbers out of range are clamped, lists are bounded (100 channels,
// 4096 known ids). Never throws on any JSON value.
Settings read_settings(const Json& j);

}  // namespace simpleclaw::channels::irc
