#include "gateway/state/users.h"

#include <sys/stat.h>

#include <algorithm>

#include "base/crypto.h"
#include "base/fs.h"
#include "sessions/keys.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::size_t kMinTokenLength = 16;  // as the config check (users_config.cpp)
constexpr std::size_t kMaxTokenFileBytes = 4096;

std::string first_line(std::string s) {
  s = s.substr(0, s.find('\n'));
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

}  // namespace

bool User::may_use_agent(std::string_view agent_id) const {
  return all_agents || std::find(agents.begin(), agents.end(), agent_id) != agents.end();
}

std::string User::fingerprint() const {
  std::string out = token_digest + "|";
  for (const std::string& s : scopes.names()) out += s + ",";
  out += "|";
  if (all_agents) out += "*";
  for (const std::string& a : agents) out += a + ",";
  return out;
}

UserDirectory UserDirectory::load(const config::Config& cfg, const std::string& state_dir,
                                  std::vector<std::string>* problems) {
  UserDirectory dir;
  if (cfg.gateway.mode != "shared") return dir;
  for (const config::UserConfig& u : cfg.users) {
    std::string token = u.token;
    if (token.empty() && !u.token_file.empty()) {
      std::string path = u.token_file[0] == '/' ? u.token_file : state_dir + "/" + u.token_file;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0 || st.st_size > static_cast<off_t>(kMaxTokenFileBytes)) {
        problems->push_back("users." + u.name + ".token_file " + path +
                            " cannot be read (missing or larger than 4 KiB); user " + u.name +
                            " cannot log in until it is fixed");
        continue;
      }
      if ((st.st_mode & 077) != 0)
        problems->push_back("users." + u.name + ".token_file " + path +
                            " is readable by other accounts; run chmod 600 " + path);
      auto text = read_file(path);
      token = text.ok() ? first_line(*text) : std::string();
      if (token.size() < kMinTokenLength) {
        problems->push_back("users." + u.name + ".token_file " + path +
                            (text.ok() ? " holds a token shorter than 16 characters"
                                       : " cannot be read: " + text.error().message) +
                            "; user " + u.name + " cannot log in until it is fixed");
        continue;
      }
    }
    if (token.empty()) continue;  // the config check refuses this; never match ""
    // A token_file may repeat another user's token (inline ones are checked by the
    // config): two users behind one token would be indistinguishable, so neither gets it.
    if (dir.match(token)) {
      problems->push_back("users." + u.name + " has the same token as another user; user " +
                          u.name + " cannot log in until it has its own");
      continue;
    }
    User user;
    user.name = u.name;
    for (const std::string& s : u.scopes) {
      auto scope = protocol::parse_scope(s);
      // Admin and pairing stay with the gateway token even if a check were bypassed.
      if (scope && *scope != protocol::Scope::kAdmin && *scope != protocol::Scope::kPairing)
        user.scopes.add(*scope);
    }
    user.agents = u.agents;
    user.all_agents = u.all_agents;
    user.token_digest = sha256_hex(token);
    dir.entries_.push_back(Entry{std::move(token), std::move(user)});
  }
  return dir;
}

const User* UserDirectory::match(std::string_view token) const {
  const User* found = nullptr;
  for (const Entry& e : entries_)  // no early exit: the time does not depend on which
    if (secret_equal(token, e.token) && !found) found = &e.user;
  return found;
}

const User* UserDirectory::find(std::string_view name) const {
  for (const Entry& e : entries_)
    if (e.user.name == name) return &e.user;
  return nullptr;
}

std::vector<const User*> UserDirectory::list() const {
  std::vector<const User*> out;
  for (const Entry& e : entries_) out.push_back(&e.user);
  return out;
}

Error agent_not_granted(std::string_view user, std::string_view agent_id) {
  Error e = Error::forbidden("agent not granted: " + std::string(agent_id) + " (users." +
                             std::string(user) + ".agents does not list it)");
  e.details = Json{{"code", "AGENT_NOT_GRANTED"}, {"agentId", agent_id}};
  return e;
}

}  // namespace simpleclaw::gateway
