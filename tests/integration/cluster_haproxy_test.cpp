// The operations set-up of docs/cluster.md "Running a cluster", as shipped in
// examples/cluster/ (label cluster: the cluster_services fixture's PostgreSQL and NATS):
// three gateways of one cluster behind a real haproxy with examples/cluster/haproxy.cfg
// (only its ports changed). Clients reach every instance through it; when one is killed
// (kill -9) every new connection still succeeds, on the two others. And the systemd
// template unit examples/cluster/simpleclaw@.service passes `systemd-analyze verify`.
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <set>
#include <thread>

#include "fakes/loopback_socket.h"
#include "fakes/ngircd.h"  // ChildProcess, wait_port
#include "integration/cli_run.h"
#include "integration/helpers.h"
#include "support/test_store.h"

namespace sctest {
namespace {

constexpr const char* kHaproxyToken = "cluster-haproxy-token-0123456789abcdef";

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

}  // namespace

TEST(ClusterHaproxy, ThreeInstancesServeThroughHaproxyAndAKilledOneIsSkipped) {
  std::map<std::string, std::string> env;
  std::string why;
  const std::string url = simpleclaw::testing_support::pg_only_database(env, why);
  ASSERT_FALSE(url.empty()) << why;
  const int ports[3] = {::fakes::free_port(), ::fakes::free_port(), ::fakes::free_port()};
  const char* names[3] = {"gw1", "gw2", "gw3"};
  std::unique_ptr<GatewayProcess> gw[3];
  for (int i = 0; i < 3; ++i) {
    StartOptions o = with_config(
        std::string("gateway:\n  port: ") + std::to_string(ports[i]) + "\n  auth:\n    token: \"" +
        kHaproxyToken + "\"\nstore:\n  backend: postgres\n  postgres:\n    url: " + url +
        "\ncluster:\n  name: lb" + std::to_string(::getpid()) + "\n  instance: " + names[i] +
        "\n  nats:\n    url: " + env["SIMPLECLAW_NATS_URL"] + "\n    user: " +
        env["SIMPLECLAW_NATS_USER"] + "\n    password: " + env["SIMPLECLAW_NATS_PASSWORD"] + "\n");
    o.port_zero = false;
    o.token = kHaproxyToken;
    gw[i] = GatewayProcess::start(o);
    ASSERT_NE(gw[i], nullptr) << names[i] << " did not start";
  }

  // The shipped haproxy.cfg, on this test's ports.
  std::string cfg = read_text(SIMPLECLAW_SOURCE_DIR "/examples/cluster/haproxy.cfg");
  ASSERT_FALSE(cfg.empty());
  const int lb_port = ::fakes::free_port();
  cfg = replace_all(cfg, "127.0.0.1:18700", "127.0.0.1:" + std::to_string(lb_port));
  for (int i = 0; i < 3; ++i)
    cfg = replace_all(cfg, "127.0.0.1:1870" + std::to_string(i + 1),
                      "127.0.0.1:" + std::to_string(ports[i]));
  TempDir dir;
  write_text(dir.path() + "/haproxy.cfg", cfg);
  ::fakes::ChildProcess haproxy;
  ASSERT_TRUE(haproxy.spawn({"/usr/sbin/haproxy", "-db", "-f", dir.path() + "/haproxy.cfg"},
                            dir.path() + "/haproxy.log", false));
  ASSERT_TRUE(::fakes::wait_port(lb_port)) << ::fakes::read_text_file(dir.path() + "/haproxy.log");

  ClientOptions through = gw[0]->options();
  through.url = "ws://127.0.0.1:" + std::to_string(lb_port);
  // Which instance answered a fresh connection through haproxy ("" = the connection or
  // the call failed).
  auto instance_behind = [&]() -> std::string {
    auto c = WsClient::connect(through, nullptr);
    if (!c.ok()) return "";
    auto st = (*c)->call("status", Json::object());
    if (!st.ok()) return "";
    return (*st)["subsystems"]["cluster"].value("instance", "");
  };
  // The checks mark each server up after two good answers (0.5 s apart).
  std::set<std::string> seen;
  for (int i = 0; i < 200 && seen.size() < 3; ++i) {
    std::string who = instance_behind();
    if (!who.empty()) seen.insert(who);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(seen, (std::set<std::string>{"gw1", "gw2", "gw3"})) << "every instance serves";

  gw[1]->signal(SIGKILL);
  ASSERT_EQ(gw[1]->wait_exit(std::chrono::seconds(5)), 128 + SIGKILL);
  // At once, before haproxy's checks notice: a connection sent to the dead instance is
  // refused there and redispatched, so no client sees a failure.
  int failed = 0;
  std::set<std::string> after;
  for (int i = 0; i < 40; ++i) {
    std::string who = instance_behind();
    if (who.empty())
      ++failed;
    else
      after.insert(who);
  }
  EXPECT_EQ(failed, 0) << "connections through haproxy failed after the kill";
  EXPECT_EQ(after.count("gw2"), 0u);
  EXPECT_EQ(after, (std::set<std::string>{"gw1", "gw3"}));
}

TEST(ClusterHaproxy, TheSystemdTemplateUnitVerifies) {
  const char* candidates[] = {"/usr/bin/systemd-analyze", "/bin/systemd-analyze"};
  std::string bin;
  for (const char* c : candidates)
    if (::access(c, X_OK) == 0) bin = c;
  ASSERT_FALSE(bin.empty()) << "systemd-analyze is not installed (Debian package systemd)";
  TempDir dir;
  // The shipped unit, with this build's binary where it says /usr/local/bin/simpleclaw.
  std::string unit = read_text(SIMPLECLAW_SOURCE_DIR "/examples/cluster/simpleclaw@.service");
  ASSERT_NE(unit.find("ExecStart=/usr/local/bin/simpleclaw gateway"), std::string::npos);
  unit = replace_all(unit, "/usr/local/bin/simpleclaw",
                     std::filesystem::canonical(SIMPLECLAW_BIN).string());
  write_text(dir.path() + "/simpleclaw@.service", unit);
  CmdResult r = run_command({bin, "verify", dir.path() + "/simpleclaw@gw1.service"},
                            CmdOptions{.timeout_s = 60});
  // Unknown keys and bad values are warnings with exit 0: any line naming the unit is one.
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_EQ((r.out + r.err).find("simpleclaw@"), std::string::npos) << r.out << r.err;
}

}  // namespace sctest
