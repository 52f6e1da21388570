#include "channels/irc/irc_settings.h"

#include <algorithm>
#include <string_view>

#include "channels/irc/irc_message.h"

namespace simpleclaw::channels::irc {
namespace {

using std::chrono::milliseconds;

long long num(const Json& j, const char* key, long long def, long long lo, long long hi) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_number_integer()) return def;
  return std::clamp(it->get<long long>(), lo, hi);
}
bool flag(const Json& j, const char* key, bool def) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : def;
}
bool is_word(std::string_view s) {  // usable as one IRC parameter
  return valid_target(s) && s.size() <= 64;
}

}  // namespace

Settings read_settings(const Json& j) {
  Settings s;
  if (!j.is_object()) {
    s.error = "irc: settings must be an object";
    return s;
  }
  s.server = json_str(j, "server");
  s.tls = flag(j, "tls", true);
  s.tls_verify = flag(j, "tls_verify", true);
  s.ca_file = json_str(j, "ca_file");
  long long port = num(j, "port", 0, 0, 65535);
  s.port = std::to_string(port != 0 ? port : (s.tls ? 6697 : 6667));
  s.nick = json_str(j, "nick");
  s.username = json_str(j, "username");
  s.realname = json_str(j, "realname");
  s.password = json_str(j, "password");
  if (s.username.empty()) s.username = s.nick;
  if (s.realname.empty()) s.realname = s.nick;
  if (auto it = j.find("sasl"); it != j.end() && it->is_object()) {
    s.sasl = true;
    s.sasl_user = json_str(*it, "user");
    s.sasl_password = json_str(*it, "password");
  }
  if (auto it = j.find("channels"); it != j.end() && it->is_array()) {
    for (const auto& c : *it)
      if (c.is_string() && s.channels.size() < 100) s.channels.push_back(c.get<std::string>());
  }
  for (const char* key : {"allow_from", "groups", "channels"}) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_array()) continue;
    for (const auto& v : *it)
      if (v.is_string() && s.known_ids.size() < 4096) s.known_ids.push_back(v.get<std::string>());
  }
  s.ping_interval = milliseconds(num(j, "ping_interval_ms", 60000, 50, 3600000));
  s.send_interval = milliseconds(num(j, "send_interval_ms", 700, 0, 60000));
  s.send_burst = static_cast<int>(num(j, "send_burst", 4, 1, 100));
  if (s.server.empty())
    s.error = "irc: no server configured";
  else if (s.nick.empty() || !is_word(s.nick) || is_channel_name(s.nick))
    s.error = "irc: the nick is missing or not a valid IRC nick";
  else if (!is_word(s.username))
    s.error = "irc: the username is not a valid IRC user name";
  else if (s.password.find_first_of("\r\n") != std::string::npos ||
           s.realname.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos)
    s.error = "irc: the password or realname holds a line break";
  else if (s.sasl && (s.sasl_user.empty() || s.sasl_password.empty()))
    s.error = "irc: sasl needs a user and a password";
  return s;
}

}  // namespace simpleclaw::channels::irc
