// Discovery as a user meets it (SPEC §1 step 7): the gateway advertising itself through a
// real avahi-daemon (on a private D-Bus system bus), `simpleclaw discover` and
// `avahi-browse` (an independent client) seeing the record, the gateway running on without
// a daemon, and Tailscale through a fake `tailscale` binary (tests/fakes/tailscale).
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "integration/cli_run.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

using namespace std::chrono_literals;

const std::string kFakeTailscaleDir = std::string(SIMPLECLAW_SOURCE_DIR) + "/tests/fakes/tailscale";

// Runs argv[0] (looked up on PATH) with extra environment; stdout/stderr captured.
CmdResult run_cmd(const std::vector<std::string>& args,
                  const std::map<std::string, std::string>& env = {}, int timeout_s = 20) {
  CmdOptions o;
  o.env = env;
  o.timeout_s = timeout_s;
  o.search_path = true;
  return run_command(args, o);
}

// A daemon child that dies with the test and is killed (by pid) and reaped at the end.
struct Child {
  pid_t pid = -1;
  ~Child() { stop(); }
  void stop() {
    if (pid <= 0) return;
    ::kill(pid, SIGTERM);
    for (int i = 0; i < 300 && ::waitpid(pid, nullptr, WNOHANG) == 0; ++i)
      std::this_thread::sleep_for(10ms);
    if (::kill(pid, 0) == 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
    pid = -1;
  }
  bool alive() { return pid > 0 && ::waitpid(pid, nullptr, WNOHANG) == 0; }
};

pid_t spawn_daemon(const std::vector<std::string>& args,
                   const std::map<std::string, std::string>& env, const std::string& log) {
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);
    int o = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(o, 1);
    ::dup2(o, 2);
    ::dup2(in, 0);
    ::close_range(3, ~0U, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execvp(argv[0], argv.data());
    ::_exit(127);
  }
  return pid;
}

// The first up, non-loopback interface with an IPv4 address ("" if none).
std::string lan_interface() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) return "";
  std::string name;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    name = i->ifa_name;
    break;
  }
  ::freeifaddrs(list);
  return name;
}

// A private D-Bus system bus and an avahi-daemon on it: the machine's own bus and daemon
// (if any) are untouched. The daemon runs in its own mount namespace with a fresh
// /run/avahi-daemon (its pid file and socket live there), and the tests that use one take
// a file lock, so two never share the LAN's multicast group at once.
class AvahiEnv {
 public:
  AvahiEnv() {
    lock_fd_ = ::open("/tmp/simpleclaw-avahi-test.lock", O_RDWR | O_CREAT, 0666);
    if (lock_fd_ >= 0) ::flock(lock_fd_, LOCK_EX);
    bus_ = dir_.path() + "/bus.sock";
    write_text(
        dir_.path() + "/bus.conf",
        "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
        " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
        "<busconfig><type>system</type><listen>unix:path=" +
            bus_ +
            "</listen>\n"
            "<auth>EXTERNAL</auth><policy context=\"default\"><allow user=\"*\"/>"
            "<allow own=\"*\"/><allow send_destination=\"*\"/><allow receive_sender=\"*\"/>"
            "</policy></busconfig>\n");
    dbus_.pid = spawn_daemon(
        {"dbus-daemon", "--config-file=" + dir_.path() + "/bus.conf", "--nofork", "--nopidfile"},
        {}, dir_.path() + "/dbus.log");
    if (!eventually([&] { return file_exists(bus_); }, 5000)) {
      skip_ = "dbus-daemon did not start: " + read_text(dir_.path() + "/dbus.log");
      return;
    }
    iface_ = lan_interface();
    if (iface_.empty()) skip_ = "no up, non-loopback IPv4 interface for mDNS";
  }
  ~AvahiEnv() {
    avahi_.stop();
    dbus_.stop();
    if (lock_fd_ >= 0) ::close(lock_fd_);
  }

  // Starts avahi-daemon; false (and skip_reason set) when it cannot run here.
  bool start_avahi() {
    if (!skip_.empty()) return false;
    write_text(dir_.path() + "/avahi.conf",
               "[server]\nuse-ipv4=yes\nuse-ipv6=no\nallow-interfaces=" + iface_ +
                   "\nenable-dbus=yes\nratelimit-interval-usec=1000000\nratelimit-burst=1000\n"
                   "[wide-area]\nenable-wide-area=no\n[publish]\npublish-hinfo=no\n"
                   "publish-workstation=no\n");
    std::string cmd =
        "mkdir -p /run/avahi-daemon && mount -t tmpfs tmpfs /run/avahi-daemon && "
        "exec avahi-daemon --no-drop-root --no-chroot --no-rlimits --no-proc-title -f " +
        dir_.path() + "/avahi.conf";
    log_ = dir_.path() + "/avahi.log";
    avahi_.pid = spawn_daemon({"unshare", "-m", "--propagation", "private", "sh", "-c", cmd},
                              {{"DBUS_SYSTEM_BUS_ADDRESS", bus_address()}}, log_);
    if (eventually(
            [&] { return read_text(log_).find("Server startup complete") != std::string::npos; },
            10000))
      return true;
    skip_ = "avahi-daemon could not start here: " + read_text(log_);
    avahi_.stop();
    return false;
  }

  // SIGTERM to the daemon (as `systemctl stop avahi-daemon` does).
  void stop_avahi() { avahi_.stop(); }

  std::string bus_address() const { return "unix:path=" + bus_; }
  const std::string& skip_reason() const { return skip_; }
  const std::string& iface() const { return iface_; }

 private:
  TempDir dir_;
  int lock_fd_ = -1;
  std::string bus_, iface_, log_, skip_;
  Child dbus_, avahi_;
};

#define START_AVAHI(env) \
  AvahiEnv env;          \
  if (!env.start_avahi()) GTEST_SKIP() << env.skip_reason()

// status over a (wss when TLS) connection to this gateway.
Json gateway_status(const GatewayProcess& gw) {
  ClientOptions o = gw.options();
  if (gw.runtime().value("tls", false)) o.tls_fingerprint = gw.runtime().value("tlsSha256", "");
  auto c = gw.connect(o);
  if (!c) return nullptr;
  auto r = c->call("status", Json::object());
  c->close();
  if (!r.ok()) return nullptr;
  return *r;
}

Json discovery_status(const GatewayProcess& gw) {
  Json s = gateway_status(gw);
  return s.is_object() && s.contains("discovery") ? s["discovery"] : Json();
}

bool mdns_state_is(const GatewayProcess& gw, const std::string& state, int timeout_ms = 10000) {
  return eventually([&] { return discovery_status(gw)["mdns"].value("state", "") == state; },
                    timeout_ms);
}

CmdResult discover(const AvahiEnv& env, std::vector<std::string> extra = {"--json"}) {
  std::vector<std::string> args{SIMPLECLAW_BIN, "discover", "--timeout", "3000"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_cmd(args, {{"DBUS_SYSTEM_BUS_ADDRESS", env.bus_address()}});
}

// The discovered gateway named `name` in `simpleclaw discover --json` output (null if none).
Json find_gateway(const CmdResult& r, const std::string& name) {
  Json j = Json::parse(r.out, nullptr, false);
  if (!j.is_object() || !j["gateways"].is_array()) {
    ADD_FAILURE() << "discover --json printed no {gateways}: " << r.out << r.err;
    return nullptr;
  }
  for (const Json& g : j["gateways"])
    if (g.value("name", "") == name) return g;
  return nullptr;
}

std::string trim_copy(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The log line (JSON) that contains `needle`, "" if none.
std::string log_line(const std::string& log, const std::string& needle) {
  std::size_t at = log.find(needle);
  if (at == std::string::npos) return "";
  std::size_t begin = log.rfind('\n', at);
  begin = begin == std::string::npos ? 0 : begin + 1;
  return log.substr(begin, log.find('\n', at) - begin);
}

std::string unique_name(const char* what) {
  return std::string("sctest ") + what + " " + std::to_string(::getpid());
}

// A gateway bound to `all` that advertises as `name` through env's daemon; `discovery`
// holds extra discovery keys (indented YAML lines) and `gateway` extra gateway keys.
StartOptions advertising(const AvahiEnv& env, const std::string& name,
                         const std::string& gateway = {}, const std::string& discovery = {}) {
  StartOptions o = with_config("gateway:\n  bind: all\n" + gateway + "discovery:\n" + discovery +
                               "  display_name: \"" + name + "\"\n");
  o.env["DBUS_SYSTEM_BUS_ADDRESS"] = env.bus_address();
  return o;
}

TEST(Mdns, AdvertisesTheRecordThatDiscoverAndAvahiBrowseSeeWithoutSecrets) {
  START_AVAHI(env);
  std::string name = unique_name("tls");
  StartOptions o = advertising(env, name, "  tls:\n    enabled: true\n");
  START_GATEWAY(gw, o);
  std::string fp = gw->runtime().value("tlsSha256", "");
  ASSERT_EQ(fp.size(), 64u);
  // Advertising loads Avahi's client library on demand (avahi_lib.h).
  EXPECT_NE(read_text("/proc/" + std::to_string(gw->pid()) + "/maps").find("libavahi-client"),
            std::string::npos);
  std::string token = trim_copy(read_text(gw->state_dir() + "/gateway.token"));
  ASSERT_GE(token.size(), 32u);

  ASSERT_TRUE(mdns_state_is(*gw, "advertised")) << discovery_status(*gw).dump();
  Json d = discovery_status(*gw);
  EXPECT_EQ(d["mdns"]["mode"], "minimal");
  EXPECT_EQ(d["mdns"]["serviceName"], name);
  EXPECT_NE(read_text(gw->log_file()).find("mDNS: advertising '" + name + "'"), std::string::npos);

  // simpleclaw discover --json
  CmdResult r = discover(env);
  ASSERT_EQ(r.code, 0) << r.err;
  Json g = find_gateway(r, name);
  ASSERT_TRUE(g.is_object()) << r.out;
  EXPECT_EQ(g["port"], gw->port());
  EXPECT_EQ(g["tls"], true);
  EXPECT_EQ(g["tlsSha256"], fp);
  EXPECT_EQ(g["displayName"], name);
  EXPECT_EQ(g["txt"]["role"], "gateway");
  EXPECT_EQ(g["txt"]["port"], std::to_string(gw->port()));
  EXPECT_EQ(g["txt"].size(), 5u) << g["txt"].dump();  // minimal: exactly the documented keys
  EXPECT_TRUE(g["address"].is_string());
  EXPECT_EQ(r.out.find(token), std::string::npos) << "the gateway token is in the record";

  // The table a person reads.
  CmdResult table = discover(env, {});
  ASSERT_EQ(table.code, 0) << table.err;
  EXPECT_NE(table.out.find("NAME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(name), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(":" + std::to_string(gw->port()) + "  yes  " + fp), std::string::npos)
      << table.out;

  // An independent client: avahi-browse, resolving (-r), parsable (-p), terminating (-t).
  CmdResult b = run_cmd({"avahi-browse", "-rpt", "_simpleclaw-gw._tcp"},
                        {{"DBUS_SYSTEM_BUS_ADDRESS", env.bus_address()}});
  ASSERT_EQ(b.code, 0) << b.err;
  std::string resolved;
  std::istringstream lines(b.out);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind("=;", 0) == 0 &&
        line.find(";" + std::to_string(gw->port()) + ";") != std::string::npos)
      resolved = line;
  ASSERT_FALSE(resolved.empty()) << b.out;
  EXPECT_NE(resolved.find("\"role=gateway\""), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("\"tls=1\""), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("\"tlsSha256=" + fp + "\""), std::string::npos) << resolved;
  EXPECT_NE(resolved.find("\"port=" + std::to_string(gw->port()) + "\""), std::string::npos);
  EXPECT_EQ(b.out.find(token), std::string::npos);

  // Stopped: the record is withdrawn, not left to expire.
  gw->stop();
  EXPECT_TRUE(eventually([&] { return find_gateway(discover(env), name).is_null(); }, 10000))
      << "record still there after the gateway stopped";
}

TEST(Mdns, FullModeAddsVersionAuthModeAndHostOnly) {
  START_AVAHI(env);
  std::string name = unique_name("full");
  StartOptions o = advertising(env, name, "", "  mdns: full\n");
  START_GATEWAY(gw, o);
  ASSERT_TRUE(mdns_state_is(*gw, "advertised")) << discovery_status(*gw).dump();
  CmdResult r = discover(env);
  Json g = find_gateway(r, name);
  ASSERT_TRUE(g.is_object()) << r.out << r.err;
  const Json& txt = g["txt"];
  EXPECT_EQ(txt["tls"], "0");
  EXPECT_FALSE(txt.contains("tlssha256"));
  EXPECT_EQ(txt["version"], SIMPLECLAW_VERSION);
  EXPECT_EQ(txt["protocol"], "4");
  EXPECT_EQ(txt["authmode"], "token");
  EXPECT_TRUE(txt.contains("lanhost")) << txt.dump();
  std::string token = trim_copy(read_text(gw->state_dir() + "/gateway.token"));
  EXPECT_EQ(r.out.find(token), std::string::npos);
}

// AVAHI_CLIENT_NO_FAIL: a gateway started before the daemon warns once, serves, and
// advertises as soon as the daemon is up.
TEST(Mdns, ADaemonThatStartsLaterIsPickedUp) {
  AvahiEnv env;
  if (!env.skip_reason().empty()) GTEST_SKIP() << env.skip_reason();
  std::string name = unique_name("later");
  StartOptions o = advertising(env, name);
  START_GATEWAY(gw, o);
  ASSERT_TRUE(mdns_state_is(*gw, "no-daemon")) << discovery_status(*gw).dump();
  EXPECT_TRUE(eventually([&] {
    return read_text(gw->log_file()).find("avahi-daemon not running: mDNS off") !=
           std::string::npos;
  }));
  if (!env.start_avahi()) GTEST_SKIP() << env.skip_reason();
  ASSERT_TRUE(mdns_state_is(*gw, "advertised", 15000)) << discovery_status(*gw).dump();
  EXPECT_TRUE(find_gateway(discover(env), name).is_object());

  // A daemon restart: back to no-daemon, then registered again on the new daemon.
  env.stop_avahi();
  ASSERT_TRUE(mdns_state_is(*gw, "no-daemon")) << discovery_status(*gw).dump();
  ASSERT_TRUE(env.start_avahi()) << env.skip_reason();
  ASSERT_TRUE(mdns_state_is(*gw, "advertised", 15000)) << discovery_status(*gw).dump();
  EXPECT_TRUE(find_gateway(discover(env), name).is_object());
  auto c = gw->connect();
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->call("health", Json::object()).ok());
}

// Two gateways with one name on the LAN: the second takes Avahi's alternative name.
TEST(Mdns, ANameCollisionPicksAnAlternativeName) {
  START_AVAHI(env);
  std::string name = unique_name("twin");
  StartOptions o = advertising(env, name);
  START_GATEWAY(first, o);
  ASSERT_TRUE(mdns_state_is(*first, "advertised")) << discovery_status(*first).dump();
  START_GATEWAY(second, o);
  ASSERT_TRUE(mdns_state_is(*second, "advertised")) << discovery_status(*second).dump();
  EXPECT_EQ(discovery_status(*first)["mdns"]["serviceName"], name);
  EXPECT_EQ(discovery_status(*second)["mdns"]["serviceName"], name + " #2");
  EXPECT_NE(read_text(second->log_file()).find("is taken on the network; using '" + name + " #2'"),
            std::string::npos);
  CmdResult r = discover(env);
  Json a = find_gateway(r, name), b = find_gateway(r, name + " #2");
  ASSERT_TRUE(a.is_object() && b.is_object()) << r.out;
  EXPECT_EQ(a["port"], first->port());
  EXPECT_EQ(b["port"], second->port());
}

TEST(Mdns, NoDaemonIsOneWarningAndTheGatewayKeepsServing) {
  TempDir tmp;
  std::string no_bus = "unix:path=" + tmp.path() + "/no-such-bus";
  StartOptions o = with_config("gateway:\n  bind: all\n");
  o.env["DBUS_SYSTEM_BUS_ADDRESS"] = no_bus;
  START_GATEWAY(gw, o);
  ASSERT_TRUE(mdns_state_is(*gw, "no-daemon")) << discovery_status(*gw).dump();
  std::string log = read_text(gw->log_file());
  std::string warning = "avahi-daemon not running: mDNS off";
  ASSERT_NE(log.find(warning), std::string::npos) << log;
  EXPECT_NE(log_line(log, warning).find("\"level\":\"warning\""), std::string::npos);
  EXPECT_EQ(log.find(warning), log.rfind(warning)) << "warned more than once:\n" << log;
  EXPECT_NE(log.find("apt install avahi-daemon"), std::string::npos);
  EXPECT_NE(log.find("discovery.mdns: off"), std::string::npos);
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto h = c->call("health", Json::object());
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ((*h)["ok"], true);

  // `simpleclaw discover` says what is missing instead of printing an empty list.
  CmdResult r = run_cmd({SIMPLECLAW_BIN, "discover", "--timeout", "500"},
                        {{"DBUS_SYSTEM_BUS_ADDRESS", no_bus}});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("avahi-daemon not running?"), std::string::npos) << r.err;
}

TEST(Mdns, OffOnLoopbackAndWhenConfiguredOff) {
  START_GATEWAY(gw);
  Json d = discovery_status(*gw);
  EXPECT_EQ(d["mdns"]["state"], "off");
  EXPECT_EQ(d["mdns"]["reason"], "bound to loopback");
  EXPECT_FALSE(d.contains("tailscale"));  // not enabled
  EXPECT_NE(read_text(gw->log_file()).find("startup: discovery — mDNS off (bound to loopback)"),
            std::string::npos);
  StartOptions o = with_config("gateway:\n  bind: all\ndiscovery:\n  mdns: \"off\"\n");
  START_GATEWAY(gw2, o);
  Json d2 = discovery_status(*gw2);
  EXPECT_EQ(d2["mdns"]["mode"], "off");
  EXPECT_EQ(d2["mdns"]["reason"], "discovery.mdns: off");
  EXPECT_EQ(read_text(gw2->log_file()).find("avahi-daemon"), std::string::npos);
}

StartOptions with_fake_tailscale(std::string yaml) {
  StartOptions o = with_config(std::move(yaml));
  o.env["PATH"] = kFakeTailscaleDir + ":/usr/bin:/bin";
  o.env["FAKE_TAILSCALE_IPV4"] = "127.0.0.2";
  return o;
}

TEST(Tailscale, StatusReportsTheTailnetNameAndIps) {
  START_GATEWAY(gw, with_fake_tailscale("discovery:\n  tailscale: true\n"));
  Json t = discovery_status(*gw)["tailscale"];
  EXPECT_EQ(t["state"], "running") << t.dump();
  EXPECT_EQ(t["dnsName"], "gateway-host.tail1234.ts.net");
  EXPECT_EQ(t["ips"], (Json{"127.0.0.2", "fd7a:115c:a1e0::1f01:2a02"}));
  EXPECT_EQ(t["tailnet"], "alice@example.com");
  EXPECT_NE(read_text(gw->log_file()).find("tailscale gateway-host.tail1234.ts.net (127.0.0.2)"),
            std::string::npos);
}

TEST(Tailscale, BindTailnetListensOnlyOnTheTailnetAddress) {
  START_GATEWAY(gw, with_fake_tailscale("gateway:\n  bind: tailnet\n"));
  EXPECT_EQ(gw->runtime()["bind"], "127.0.0.2");
  EXPECT_EQ(gw->url(), "ws://127.0.0.2:" + std::to_string(gw->port()));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto h = c->call("health", Json::object());
  EXPECT_TRUE(h.ok());
  // Not on 127.0.0.1: only the tailnet address is bound.
  ClientOptions lo = gw->options();
  lo.url = "ws://127.0.0.1:" + std::to_string(gw->port());
  EXPECT_FALSE(WsClient::connect(lo).ok());
  Json d = discovery_status(*gw);
  EXPECT_EQ(d["tailscale"]["state"], "running");  // bind: tailnet implies the lookup
  EXPECT_EQ(d["mdns"]["state"], "off");
  EXPECT_EQ(d["mdns"]["reason"], "bound to the tailnet address");
}

TEST(Tailscale, AuthNoneIsRefusedOnTheTailnet) {
  // In the file: a config error.
  StartOptions o = with_fake_tailscale("gateway:\n  bind: tailnet\n  auth:\n    mode: none\n");
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, o);
  ASSERT_TRUE(gw);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  EXPECT_NE(gw->stderr_text().find("auth mode 'none' is only allowed with bind: loopback"),
            std::string::npos)
      << gw->stderr_text();
  // With --bind tailnet over a file that says auth none: refused at start-up.
  StartOptions o2 = with_fake_tailscale("gateway:\n  auth:\n    mode: none\n");
  o2.args = {"--bind", "tailnet"};
  std::unique_ptr<GatewayProcess> gw2;
  auto code2 = start_and_wait_exit(gw2, o2);
  ASSERT_TRUE(gw2);
  ASSERT_TRUE(code2.has_value());
  EXPECT_EQ(*code2, 1);
  EXPECT_NE(gw2->stderr_text().find("auth mode 'none' is refused with bind 'tailnet'"),
            std::string::npos)
      << gw2->stderr_text();
}

TEST(Tailscale, MissingBinaryIsAWarningNotAFailure) {
  StartOptions o = with_config("discovery:\n  tailscale: true\n");
  o.env["PATH"] = "/usr/bin:/bin";
  START_GATEWAY(gw, o);
  Json t = discovery_status(*gw)["tailscale"];
  EXPECT_EQ(t["state"], "missing") << t.dump();
  std::string log = read_text(gw->log_file());
  std::string line = log_line(log, "tailscale binary is not on PATH");
  EXPECT_NE(line.find("\"level\":\"warning\""), std::string::npos) << log;
}

TEST(Tailscale, BindTailnetWithoutTailscaleFailsNamingTheFix) {
  StartOptions o = with_config("gateway:\n  bind: tailnet\n");
  o.env["PATH"] = "/usr/bin:/bin";
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, o);
  ASSERT_TRUE(gw);
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, 1);
  std::string err = gw->stderr_text();
  EXPECT_NE(err.find("gateway.bind is tailnet but the tailscale binary is not on PATH"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("tailscale up"), std::string::npos) << err;

  // Installed but logged out: the BackendState and `tailscale up`.
  StartOptions o2 = with_fake_tailscale("gateway:\n  bind: tailnet\n");
  o2.env["FAKE_TAILSCALE_BACKEND"] = "NeedsLogin";
  std::unique_ptr<GatewayProcess> gw2;
  ASSERT_TRUE(start_and_wait_exit(gw2, o2).has_value());
  EXPECT_NE(gw2->stderr_text().find("BackendState NeedsLogin"), std::string::npos)
      << gw2->stderr_text();
}

}  // namespace
}  // namespace sctest
