// The session store a test runs against: SQLite in a temp directory by default, or a
// fresh PostgreSQL database of its own when SIMPLECLAW_TEST_PG_ENV names the env file of
// scripts/cluster-services.sh (ctest sets it for the cluster.pg.* copies of the store
// tests, with PostgreSQL started once as a fixture). The same tests then prove both
// engines behave the same.
#pragma once
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "sessions/store.h"
#include "store/db.h"

namespace simpleclaw::testing_support {

// KEY=VALUE lines of a scripts/cluster-services.sh env file ({} when it cannot be read).
inline std::map<std::string, std::string> read_env_file(const std::string& path) {
  std::map<std::string, std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (auto eq = line.find('='); eq != std::string::npos)
      out[line.substr(0, eq)] = line.substr(eq + 1);
  return out;
}

// The env file of the cluster services the suite runs against ({} when not).
inline std::map<std::string, std::string> cluster_services_env() {
  const char* file = std::getenv("SIMPLECLAW_TEST_PG_ENV");
  if (!file || !*file) return {};
  if (!std::ifstream(file)) {  // asked for PostgreSQL and not given it: never fall back quietly
    std::fprintf(stderr, "SIMPLECLAW_TEST_PG_ENV=%s cannot be read\n", file);
    std::abort();
  }
  return read_env_file(file);
}

// A new, empty database on the test server: its URL ("" if the server is unreachable,
// which the caller's open() then reports).
inline std::string fresh_pg_database(const std::string& admin_url) {
  static std::atomic<int> n{0};
  const std::string name =
      "sc_test_" + std::to_string(::getpid()) + "_" + std::to_string(n.fetch_add(1));
  auto admin = store::Db::open_postgres(admin_url);
  if (!admin.ok()) return "";
  if (!admin->exec("CREATE DATABASE " + name).ok()) return "";
  return admin_url.substr(0, admin_url.rfind('/') + 1) + name;
}

// The PostgreSQL database of a gateway's state directory when the tests run on
// PostgreSQL ("" on SQLite): made on first use and kept in <state>/test-pg-url, so a
// restart on the same state directory (and a test that seeds it first) finds the same.
inline std::string state_pg_url(const std::string& state_dir) {
  auto env = cluster_services_env();
  if (!env.count("SIMPLECLAW_PG_URL")) return "";
  std::filesystem::create_directories(state_dir);
  ::chmod(state_dir.c_str(), 0700);
  const std::string file = state_dir + "/test-pg-url";
  std::string url;
  if (std::ifstream in(file); in) std::getline(in, url);
  if (url.empty()) {
    url = fresh_pg_database(env["SIMPLECLAW_PG_URL"]);
    std::ofstream(file) << url << "\n";
  }
  return url;
}

// The store of a gateway's state directory, as the gateway will open it.
inline Result<sessions::SessionStore> open_state_store(const std::string& state_dir) {
  std::string url = state_pg_url(state_dir);
  return url.empty() ? sessions::SessionStore::open(state_dir + "/sessions.db")
                     : sessions::SessionStore::open_postgres(url, state_dir + "/media");
}

// For suites that exist only for PostgreSQL: a fresh database, or why there is none (they
// fail then, never skip: a lost fixture must not pass as green).
inline std::string pg_only_database(std::map<std::string, std::string>& env, std::string& why) {
  env = cluster_services_env();
  if (!env.count("SIMPLECLAW_PG_URL")) {
    why = "needs SIMPLECLAW_TEST_PG_ENV (run it as ctest -L cluster, which starts PostgreSQL)";
    return "";
  }
  std::string url = fresh_pg_database(env["SIMPLECLAW_PG_URL"]);
  if (url.empty()) why = "cannot create a test database on the test server";
  return url;
}

struct TestStore {
  std::string dir, path, url;  // url: the PostgreSQL database, "" on SQLite
  TestStore() {
    char tmpl[] = "/tmp/sc-store-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/sessions.db";
    auto env = cluster_services_env();
    if (auto it = env.find("SIMPLECLAW_PG_URL"); it != env.end())
      url = fresh_pg_database(it->second);
    if (!env.empty() && url.empty()) url = "postgres://unreachable.invalid/none";  // fail loudly
  }
  ~TestStore() { std::filesystem::remove_all(dir); }
  bool postgres() const { return !url.empty(); }
  Result<sessions::SessionStore> open() const {
    return postgres() ? sessions::SessionStore::open_postgres(url, dir + "/media")
                      : sessions::SessionStore::open(path);
  }
};

}  // namespace simpleclaw::testing_support
