// `simpleclaw doctor` with store.backend: postgres (label cluster: the cluster_services
// fixture's PostgreSQL): reachable with the schema state told, the gateway's start
// migrating an empty database, and a server that is not there a FAIL with the fix and
// without the password.
#include <gtest/gtest.h>

#include "integration/cli_run.h"
#include "support/test_store.h"

using namespace sctest;
using namespace simpleclaw;

namespace {

CmdResult doctor(const std::string& dir, const std::string& config) {
  return run_command({SIMPLECLAW_BIN, "doctor", "--state-dir", dir + "/state", "--config", config},
                     CmdOptions{.timeout_s = 60});
}

std::string line_of(const std::string& out, const std::string& what) {
  auto at = out.find(what);
  if (at == std::string::npos) return "";
  auto start = out.rfind('\n', at);
  return out.substr(start == std::string::npos ? 0 : start + 1,
                    out.find('\n', at) - (start == std::string::npos ? 0 : start + 1));
}

}  // namespace

TEST(DoctorPostgres, TellsTheSchemaStateAndAnUnreachableServerIsAFailWithoutThePassword) {
  std::map<std::string, std::string> env;
  std::string why;
  const std::string url = testing_support::pg_only_database(env, why);
  ASSERT_FALSE(url.empty()) << why;
  TempDir dir;
  const std::string config = dir.path() + "/config.yaml";
  write_text(config, "store:\n  backend: postgres\n  postgres:\n    url: " + url + "\n");
  auto empty = doctor(dir.path(), config);
  const std::string before = line_of(empty.out, "PostgreSQL store");
  EXPECT_NE(before.find("WARN"), std::string::npos) << empty.out;
  EXPECT_NE(before.find("schema version 0 of"), std::string::npos) << before;
  EXPECT_EQ(empty.out.find(env["SIMPLECLAW_PG_PASSWORD"]), std::string::npos);
  {  // a gateway start migrates it
    StartOptions o =
        with_config("store:\n  backend: postgres\n  postgres:\n    url: " + url + "\n");
    START_GATEWAY(gw, o);
  }
  auto ready = doctor(dir.path(), config);
  EXPECT_NE(line_of(ready.out, "PostgreSQL store").find("(current)"), std::string::npos)
      << ready.out;
  EXPECT_NE(line_of(ready.out, "PostgreSQL store").find("OK"), std::string::npos) << ready.out;

  write_text(config,
             "store:\n  backend: postgres\n  postgres:\n    url: "
             "postgres://simpleclaw:Doctor-Secret-5@127.0.0.1:1/nothing\n");
  auto down = doctor(dir.path(), config);
  EXPECT_NE(down.code, 0);
  const std::string fail = line_of(down.out, "PostgreSQL store");
  EXPECT_NE(fail.find("FAIL"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("cannot connect to PostgreSQL at postgresql://simpleclaw@127.0.0.1:1"),
            std::string::npos)
      << down.out;
  EXPECT_NE(down.out.find("start PostgreSQL or fix store.postgres.url"), std::string::npos);
  EXPECT_EQ(down.out.find("Doctor-Secret-5"), std::string::npos);
  EXPECT_EQ(down.err.find("Doctor-Secret-5"), std::string::npos);
}

TEST(DoctorPostgres, InClusterModeNatsIsCheckedAndARefusedLoginIsAFailWithoutThePassword) {
  std::map<std::string, std::string> env;
  std::string why;
  const std::string url = testing_support::pg_only_database(env, why);
  ASSERT_FALSE(url.empty()) << why;
  TempDir dir;
  const std::string config = dir.path() + "/config.yaml";
  auto cluster_yaml = [&](const std::string& nats_url, const std::string& password) {
    return "store:\n  backend: postgres\n  postgres:\n    url: " + url +
           "\ncluster:\n  name: itest\n  nats:\n    url: " + nats_url +
           "\n    user: " + env["SIMPLECLAW_NATS_USER"] + "\n    password: " + password + "\n";
  };
  write_text(config, cluster_yaml(env["SIMPLECLAW_NATS_URL"], env["SIMPLECLAW_NATS_PASSWORD"]));
  auto up = doctor(dir.path(), config);
  const std::string ok = line_of(up.out, "NATS (cluster itest)");
  EXPECT_NE(ok.find("OK"), std::string::npos) << up.out;
  EXPECT_NE(ok.find("connected as " + env["SIMPLECLAW_NATS_USER"]), std::string::npos) << ok;
  EXPECT_EQ(up.out.find(env["SIMPLECLAW_NATS_PASSWORD"]), std::string::npos);

  write_text(config, cluster_yaml(env["SIMPLECLAW_NATS_URL"], "Wrong-Nats-Secret-7"));
  auto refused = doctor(dir.path(), config);
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(line_of(refused.out, "NATS (cluster itest)").find("FAIL"), std::string::npos)
      << refused.out;
  EXPECT_NE(refused.out.find("fix cluster.nats.user and password"), std::string::npos)
      << refused.out;
  EXPECT_EQ((refused.out + refused.err).find("Wrong-Nats-Secret-7"), std::string::npos);

  // Credentials in the URL itself are not shown either.
  write_text(config, cluster_yaml("nats://someone:Url-Secret-9@127.0.0.1:1", "x"));
  auto down = doctor(dir.path(), config);
  EXPECT_NE(down.code, 0);
  EXPECT_NE(line_of(down.out, "NATS (cluster itest)").find("FAIL"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("start nats-server or fix cluster.nats.url"), std::string::npos)
      << down.out;
  EXPECT_EQ((down.out + down.err).find("Url-Secret-9"), std::string::npos) << down.out;
}
