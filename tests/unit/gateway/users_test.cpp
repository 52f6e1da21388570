// Shared mode's user directory: token matching (constant time, every user compared),
// token_file loading with its permission warning, grants capped below admin, and the
// per-method and per-agent refusals.
#include "gateway/state/users.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <string>

using namespace simpleclaw;
using namespace simpleclaw::gateway;

namespace {

config::Config shared_with(std::vector<config::UserConfig> users) {
  config::Config c;
  c.gateway.mode = "shared";
  c.users = std::move(users);
  return c;
}

config::UserConfig user(std::string name, std::string token) {
  config::UserConfig u;
  u.name = std::move(name);
  u.token = std::move(token);
  return u;
}

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/sc-users-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::system(("rm -rf '" + path + "'").c_str()); }
};

}  // namespace

TEST(UserDirectory, MatchesEachUsersOwnTokenOnly) {
  std::vector<std::string> problems;
  auto dir = UserDirectory::load(
      shared_with({user("alice", "alice-token-0123456789"), user("bob", "bob-token-0123456789")}),
      "/nonexistent", &problems);
  EXPECT_TRUE(problems.empty());
  ASSERT_EQ(dir.size(), 2u);
  ASSERT_NE(dir.match("alice-token-0123456789"), nullptr);
  EXPECT_EQ(dir.match("alice-token-0123456789")->name, "alice");
  EXPECT_EQ(dir.match("bob-token-0123456789")->name, "bob");
  EXPECT_EQ(dir.match("alice-token-012345678"), nullptr);  // a prefix is not the token
  EXPECT_EQ(dir.match(""), nullptr);
  EXPECT_EQ(dir.find("bob")->name, "bob");
  EXPECT_EQ(dir.find("carol"), nullptr);
}

TEST(UserDirectory, LocalModeHasNoUsers) {
  config::Config c = shared_with({user("alice", "alice-token-0123456789")});
  c.gateway.mode = "local";
  std::vector<std::string> problems;
  EXPECT_TRUE(UserDirectory::load(c, "/x", &problems).empty());
}

TEST(UserDirectory, GrantsNeverIncludeAdminOrPairing) {
  config::UserConfig u = user("alice", "alice-token-0123456789");
  u.scopes = {"operator.read", "operator.admin", "operator.pairing", "operator.approvals"};
  u.all_agents = false;
  u.agents = {"main"};
  std::vector<std::string> problems;
  auto dir = UserDirectory::load(shared_with({u}), "/x", &problems);
  const User* a = dir.find("alice");
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->scopes.has(protocol::Scope::kRead));
  EXPECT_TRUE(a->scopes.has(protocol::Scope::kApprovals));
  EXPECT_FALSE(a->scopes.has(protocol::Scope::kAdmin));
  EXPECT_FALSE(a->scopes.has(protocol::Scope::kPairing));
  EXPECT_FALSE(a->scopes.has(protocol::Scope::kWrite));
  EXPECT_TRUE(a->may_use_agent("main"));
  EXPECT_FALSE(a->may_use_agent("research"));
}

TEST(UserDirectory, FingerprintChangesWithTokenScopesAndAgents) {
  std::vector<std::string> problems;
  auto fp = [&](config::UserConfig u) {
    return UserDirectory::load(shared_with({u}), "/x", &problems).find(u.name)->fingerprint();
  };
  config::UserConfig base = user("alice", "alice-token-0123456789");
  std::string f0 = fp(base);
  EXPECT_EQ(fp(base), f0);
  EXPECT_NE(fp(user("alice", "alice-token-rotated-000")), f0);
  config::UserConfig s = base;
  s.scopes = {"operator.read"};
  EXPECT_NE(fp(s), f0);
  config::UserConfig a = base;
  a.all_agents = false;
  a.agents = {"main"};
  EXPECT_NE(fp(a), f0);
  EXPECT_EQ(f0.find("alice-token"), std::string::npos) << "the token itself is not in it";
}

TEST(UserDirectory, TokenFileIsReadRelativeToTheStateDirAndItsModeChecked) {
  TempDir d;
  std::ofstream(d.path + "/alice.token") << "file-token-0123456789\n";
  ::chmod((d.path + "/alice.token").c_str(), 0600);
  std::ofstream(d.path + "/bob.token") << "bob-file-token-0123456789\n";
  ::chmod((d.path + "/bob.token").c_str(), 0644);
  std::ofstream(d.path + "/dup.token") << "file-token-0123456789\n";  // alice's
  ::chmod((d.path + "/dup.token").c_str(), 0600);
  std::ofstream(d.path + "/short.token") << "short\n";
  ::chmod((d.path + "/short.token").c_str(), 0600);
  config::UserConfig alice, bob, shorty, missing, dup;
  dup.name = "dup";
  dup.token_file = "dup.token";
  alice.name = "alice";
  alice.token_file = "alice.token";
  bob.name = "bob";
  bob.token_file = d.path + "/bob.token";  // absolute
  shorty.name = "shorty";
  shorty.token_file = "short.token";
  missing.name = "missing";
  missing.token_file = "nope.token";
  std::vector<std::string> problems;
  auto dir =
      UserDirectory::load(shared_with({alice, bob, shorty, missing, dup}), d.path, &problems);
  ASSERT_NE(dir.match("file-token-0123456789"), nullptr);
  EXPECT_EQ(dir.match("file-token-0123456789")->name, "alice");
  ASSERT_NE(dir.match("bob-file-token-0123456789"), nullptr);  // used, but warned about
  EXPECT_EQ(dir.find("shorty"), nullptr);
  EXPECT_EQ(dir.find("missing"), nullptr);
  EXPECT_EQ(dir.find("dup"), nullptr);  // alice keeps her token, dup gets nothing
  ASSERT_EQ(problems.size(), 4u);
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("chmod 600 " + d.path + "/bob.token"), std::string::npos) << all;
  EXPECT_NE(all.find("shorter than 16 characters"), std::string::npos) << all;
  EXPECT_NE(all.find("nope.token cannot be read"), std::string::npos) << all;
  EXPECT_NE(all.find("users.dup has the same token as another user"), std::string::npos) << all;
  EXPECT_EQ(all.find("file-token-0123456789"), std::string::npos) << "a token in a message";
}

TEST(SharedAccess, AgentNotGrantedIsForbidden) {
  Error e = agent_not_granted("alice", "research");
  EXPECT_EQ(e.code, ErrorCode::kForbidden);
  EXPECT_EQ(e.details["code"], "AGENT_NOT_GRANTED");
}
