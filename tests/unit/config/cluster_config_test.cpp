// The cluster: section (docs/cluster.md): its checks (PostgreSQL and NATS both needed, a
// renewal at most half the lease), the NATS password from a file, the instance id, secrets
// redacted, and cluster mode's config document: the local keys that win over the shared
// one, the seed a first instance gives an empty cluster, and the keys it says it ignores.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "config/config.h"
#include "unit/config/env_lookup.h"

namespace simpleclaw::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* kClusterYaml =
    "store:\n  backend: postgres\n  postgres:\n    url: postgres://u:pw@127.0.0.1/db\n"
    "cluster:\n  name: prod\n  instance: gw-1\n  nats:\n    url: nats://127.0.0.1:4222\n"
    "    user: sc\n    password: Nats-Secret-1\n";

std::string issues_of(const Parsed& p) {
  std::string out;
  for (const Issue& i : p.issues) out += i.to_string() + "\n";
  return out;
}

TEST(ClusterConfigSection, ParsesWithTheLeaseDefaultsAndIsOffWithoutAName) {
  Parsed p = parse(kClusterYaml, kNoEnv);
  ASSERT_TRUE(p.ok()) << issues_of(p);
  EXPECT_TRUE(p.config.cluster.enabled());
  EXPECT_EQ(p.config.cluster.name, "prod");
  EXPECT_EQ(p.config.cluster.nats.url, "nats://127.0.0.1:4222");
  EXPECT_EQ(p.config.cluster.nats.user, "sc");
  EXPECT_EQ(p.config.cluster.lease_ttl_ms, 10000);
  EXPECT_EQ(p.config.cluster.lease_renew_ms, 3000);
  EXPECT_EQ(instance_id(p.config), "gw-1");
  Parsed alone = parse("", kNoEnv);
  ASSERT_TRUE(alone.ok());
  EXPECT_FALSE(alone.config.cluster.enabled());
}

TEST(ClusterConfigSection, NeedsThePostgresStoreAndANatsServer) {
  Parsed sqlite =
      parse("cluster:\n  name: prod\n  nats:\n    url: nats://127.0.0.1:4222\n", kNoEnv);
  ASSERT_FALSE(sqlite.ok());
  EXPECT_EQ(sqlite.issues.front().path, "cluster.name");
  EXPECT_THAT(sqlite.issues.front().message, HasSubstr("store.backend: postgres"));
  Parsed no_nats = parse(
      "store:\n  backend: postgres\n  postgres:\n    url: postgres://h/db\ncluster:\n  name: "
      "prod\n",
      kNoEnv);
  ASSERT_FALSE(no_nats.ok());
  EXPECT_EQ(no_nats.issues.front().path, "cluster.nats.url");
}

TEST(ClusterConfigSection, ARenewalLongerThanHalfTheLeaseAndBadNamesAreRefused) {
  Parsed slow =
      parse(std::string(kClusterYaml) + "  lease_ttl_ms: 4000\n  lease_renew_ms: 2500\n", kNoEnv);
  ASSERT_FALSE(slow.ok());
  EXPECT_EQ(slow.issues.front().path, "cluster.lease_renew_ms");
  EXPECT_THAT(slow.issues.front().message, HasSubstr("half of cluster.lease_ttl_ms (4000)"));
  Parsed fast =
      parse(std::string(kClusterYaml) + "  lease_ttl_ms: 4000\n  lease_renew_ms: 1000\n", kNoEnv);
  EXPECT_TRUE(fast.ok()) << issues_of(fast);
  std::string bad = kClusterYaml;
  bad.replace(bad.find("name: prod"), 10, "name: \"Prod Cluster\"");
  Parsed named = parse(bad, kNoEnv);
  ASSERT_FALSE(named.ok());
  EXPECT_EQ(named.issues.front().path, "cluster.name");
}

TEST(ClusterConfigSection, NatsTlsNeedsTheCertificateAndKeyTogether) {
  Parsed ok =
      parse(std::string(kClusterYaml) + "    tls:\n      ca: /etc/ssl/nats-ca.pem\n", kNoEnv);
  ASSERT_TRUE(ok.ok()) << issues_of(ok);
  EXPECT_EQ(ok.config.cluster.nats.tls.ca, "/etc/ssl/nats-ca.pem");
  Parsed half = parse(std::string(kClusterYaml) + "    tls:\n      cert: /etc/ssl/c.pem\n", kNoEnv);
  ASSERT_FALSE(half.ok());
  EXPECT_EQ(half.issues.front().path, "cluster.nats.tls");
}

TEST(ClusterConfigSection, TheNatsPasswordComesFromAFileAndIsNeverShown) {
  const std::string file = ::testing::TempDir() + "/nats-pw-" + std::to_string(::getpid());
  std::ofstream(file) << "From-File-Secret\r\n";
  NatsConfig n;
  n.password_file = file;
  auto pw = nats_password(n);
  ASSERT_TRUE(pw.ok()) << pw.error().message;
  EXPECT_EQ(*pw, "From-File-Secret");
  n.password = "inline";
  EXPECT_EQ(*nats_password(n), "inline");
  n.password.clear();
  n.password_file = file + ".missing";
  auto missing = nats_password(n);
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error().message, HasSubstr("cluster.nats.password_file"));
  std::remove(file.c_str());

  Parsed p = parse(kClusterYaml, kNoEnv);
  ASSERT_TRUE(p.ok());
  const std::string shown = redact(p.config.doc).dump() + redact_raw(kClusterYaml);
  EXPECT_EQ(shown.find("Nats-Secret-1"), std::string::npos) << shown;
  EXPECT_EQ(shown.find("u:pw@"), std::string::npos) << shown;
}

TEST(ClusterConfigSection, TheInstanceIdDefaultsToTheHostAndPort) {
  Parsed p = parse("gateway:\n  port: 19001\n", kNoEnv);
  ASSERT_TRUE(p.ok());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  EXPECT_EQ(instance_id(p.config), std::string(host) + "-19001");
}

TEST(ClusterDocument, TheLocalFileKeepsItsWayInAndListenerAndTheRestIsShared) {
  const std::string shared =
      "gateway:\n  port: 18789\n  bind: loopback\n  auth:\n    token: shared-token-0123456789\n"
      "store:\n  backend: sqlite\n"  // a shared document never decides a store
      "logging:\n  level: debug\n";
  const std::string local = std::string(kClusterYaml) +
                            "gateway:\n  port: 19002\n  auth:\n    token: local-ignored\n"
                            "logging:\n  level: error\n";
  auto composed = compose_cluster_config(shared, local);
  ASSERT_TRUE(composed.ok()) << composed.error().message;
  Parsed p = parse(*composed, kNoEnv);
  ASSERT_TRUE(p.ok()) << issues_of(p) << *composed;
  EXPECT_EQ(p.config.gateway.port, 19002) << "the local listener wins";
  EXPECT_EQ(p.config.gateway.bind, "loopback") << "what the local file leaves out is shared";
  EXPECT_EQ(p.config.gateway.auth.token, "shared-token-0123456789");
  EXPECT_EQ(p.config.logging.level, "debug");
  EXPECT_EQ(p.config.store.backend, "postgres");
  EXPECT_EQ(p.config.cluster.name, "prod");
  EXPECT_EQ(ignored_local_keys(local), "gateway.auth, logging");
  EXPECT_EQ(ignored_local_keys(kClusterYaml), "");
}

TEST(ClusterDocument, TheSeedIsTheFileWithoutItsStoreAndCluster) {
  const std::string local = std::string(kClusterYaml) + "logging:\n  level: warn\n";
  auto seed = shared_seed(local);
  ASSERT_TRUE(seed.ok()) << seed.error().message;
  EXPECT_EQ(seed->find("store"), std::string::npos) << *seed;
  EXPECT_EQ(seed->find("cluster"), std::string::npos) << *seed;
  EXPECT_EQ(seed->find("Nats-Secret-1"), std::string::npos) << *seed;
  EXPECT_NE(seed->find("level: warn"), std::string::npos) << *seed;
  auto broken = compose_cluster_config("gateway: [unclosed\n", kClusterYaml);
  ASSERT_FALSE(broken.ok());
  EXPECT_THAT(broken.error().message, HasSubstr("the cluster's config document does not parse"));
}

TEST(ClusterDocument, EditsWorkOnAnyDocumentsText) {
  auto patched =
      edit_text("logging:\n  level: info\n", merge_edit(Json{{"logging", {{"level", "debug"}}}}));
  ASSERT_TRUE(patched.ok());
  EXPECT_NE(patched->find("level: debug"), std::string::npos) << *patched;
  auto with_agent = edit_text("", agents_edit([](nlohmann::ordered_json& list) -> Status {
                                list.push_back({{"id", "helper"}});
                                return Ok{};
                              }));
  ASSERT_TRUE(with_agent.ok());
  Parsed p = parse(*with_agent, kNoEnv);
  ASSERT_TRUE(p.ok()) << issues_of(p);
  EXPECT_NE(find_agent(p.config, "helper"), nullptr);
}

}  // namespace
}  // namespace simpleclaw::config
