// The process (SPEC §1): signals (SIGTERM drain, SIGHUP reload), start-up errors with a
// non-zero exit, the generated token file.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "fakes/loopback_socket.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

using namespace std::chrono_literals;

TEST(Signals, SigtermSendsShutdownClosesWith1012AndExitsZero) {
  START_GATEWAY(gw);
  auto a = gw->connect();
  ASSERT_TRUE(a);
  auto b = gw->connect();
  ASSERT_TRUE(b);
  auto pending = open_raw(gw->options());  // not authenticated yet
  ASSERT_TRUE(pending);
  std::string runtime_file = gw->state_dir() + "/gateway.json";
  ASSERT_TRUE(file_exists(runtime_file));

  auto t0 = std::chrono::steady_clock::now();
  gw->signal(SIGTERM);
  for (WsClient* c : {a.get(), b.get()}) {
    auto ev = wait_event(*c, "shutdown");
    ASSERT_TRUE(ev) << "every client gets the shutdown event";
    EXPECT_EQ((*ev)["payload"], (Json{{"reason", "terminated"}}));
    EXPECT_TRUE((*ev)["seq"].is_number_integer());
    Incoming closed = wait_close(*c);
    ASSERT_TRUE(closed.closed);
    EXPECT_EQ(closed.close_code, 1012);
  }
  std::vector<Json> seen;
  Incoming pclosed = wait_close(*pending, kTimeoutMs, &seen);
  ASSERT_TRUE(pclosed.closed);
  EXPECT_EQ(pclosed.close_code, 1012);
  EXPECT_TRUE(seen.empty()) << "unauthenticated sockets get no events: " << seen.front().dump();
  auto code = gw->wait_exit(5s);
  ASSERT_TRUE(code) << "the gateway must exit within 5 s of SIGTERM";
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  EXPECT_FALSE(file_exists(runtime_file)) << "gateway.json must be removed on exit";
  // Stopped accepting: nothing listens on the port any more.
  EXPECT_EQ(http_request(gw->port(), "GET", "/health").status, 0);
}

TEST(Signals, SigtermWithAClientThatNeverAnswersStillExitsWithin5s) {
  START_GATEWAY(gw);
  auto a = gw->connect();  // never reads again: the close handshake is never completed
  ASSERT_TRUE(a);
  auto t0 = std::chrono::steady_clock::now();
  gw->signal(SIGTERM);
  auto code = gw->wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
}

TEST(Signals, SigintExitsZeroWithReasonInterrupted) {
  START_GATEWAY(gw);
  auto a = gw->connect();
  ASSERT_TRUE(a);
  gw->signal(SIGINT);
  auto ev = wait_event(*a, "shutdown");
  ASSERT_TRUE(ev);
  EXPECT_EQ((*ev)["payload"]["reason"], "interrupted");
  EXPECT_EQ(wait_close(*a).close_code, 1012);
  auto code = gw->wait_exit(5s);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 0);
}

TEST(Signals, SighupReloadsEditedConfigAndNotifiesClients) {
  START_GATEWAY(gw, with_config("logging:\n  level: info\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  std::string edited = "logging:\n  level: debug\n";
  write_text(gw->config_path(), edited);
  gw->signal(SIGHUP);
  auto ev = wait_event(*c, "config.changed");
  ASSERT_TRUE(ev) << "SIGHUP must reload and broadcast config.changed";
  EXPECT_EQ((*ev)["payload"]["hash"], sha256_hex(edited));
  EXPECT_EQ((*ev)["payload"]["path"], gw->config_path());
  auto s = c->call("status");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["subsystems"]["config"]["hash"], sha256_hex(edited));
  EXPECT_EQ((*s)["subsystems"]["config"]["reload"]["ok"], true);
  EXPECT_EQ((*s)["subsystems"]["config"]["reload"]["restartRequired"], false)
      << "a logging change on a gateway started with --port needs no restart";
  // debug level is live: a new connection logs a debug line (flushed to the file by the
  // warning a failed auth writes right after it).
  auto other = gw->connect();
  ASSERT_TRUE(other);
  ClientOptions bad = gw->options();
  bad.token = "wrong";
  ClientPtr b;
  handshake(bad, &b);
  EXPECT_TRUE(eventually([&] {
    return read_text(gw->log_file()).find("\"level\":\"debug\"") != std::string::npos;
  })) << "debug logging was not applied";
}

TEST(Signals, SighupWithInvalidFileKeepsTheRunningConfig) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    tick_ms: 5000\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  write_text(gw->config_path(), "gateway:\n  port: banana\n");
  gw->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] {
    auto s = c->call("status");
    return s.ok() && (*s)["subsystems"]["config"]["reload"]["ok"] == false;
  })) << "the failed reload must show in status";
  auto h = c->call("health");
  ASSERT_TRUE(h.ok()) << h.error().message;
  EXPECT_EQ((*h)["ok"], true);
  auto s = c->call("status");
  ASSERT_TRUE(s.ok());
  EXPECT_NE((*s)["subsystems"]["config"]["reload"]["error"].get<std::string>().find("gateway.port"),
            std::string::npos)
      << (*s)["subsystems"]["config"]["reload"].dump();
  EXPECT_TRUE(gw->running());
  // Old config still in force, new clients still get in.
  Json hello;
  auto d = gw->connect(&hello);
  ASSERT_TRUE(d);
  EXPECT_EQ(hello["policy"]["tickIntervalMs"], 5000);
  for (const auto& e : c->events()) EXPECT_NE(e.value("event", ""), "config.changed");
}

TEST(Signals, SighupAppliesNewTimersLive) {
  START_GATEWAY(gw, with_config("gateway:\n  timers:\n    tick_ms: 600000\n"));
  auto c = gw->connect();
  ASSERT_TRUE(c);
  write_text(gw->config_path(), "gateway:\n  timers:\n    tick_ms: 50\n");
  gw->signal(SIGHUP);
  ASSERT_TRUE(wait_event(*c, "config.changed"));
  auto t1 = wait_event(*c, "tick", 2000);
  ASSERT_TRUE(t1) << "the new tick period must apply without a restart";
  auto t2 = wait_event(*c, "tick", 2000);
  ASSERT_TRUE(t2);
  EXPECT_EQ((*t2)["seq"].get<long long>(), (*t1)["seq"].get<long long>() + 1);
  Json hello;
  auto d = gw->connect(&hello);
  ASSERT_TRUE(d);
  EXPECT_EQ(hello["policy"]["tickIntervalMs"], 50);
}

TEST(Signals, SignalRightAfterReadyIsHandled) {
  // gateway.json means "ready": a SIGHUP sent the moment it appears must reload, not kill
  // (the signal handlers must be installed before the file is written).
  for (int i = 0; i < 10; ++i) {
    StartOptions o;
    o.wait_ready = false;
    auto gw = GatewayProcess::start(o);
    ASSERT_TRUE(gw);
    std::string runtime_file = gw->state_dir() + "/gateway.json";
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!file_exists(runtime_file) && std::chrono::steady_clock::now() < deadline) {
    }
    ASSERT_TRUE(file_exists(runtime_file));
    gw->signal(SIGHUP);
    std::this_thread::sleep_for(20ms);
    ASSERT_TRUE(gw->running()) << "SIGHUP right after ready killed the gateway (attempt " << i + 1
                               << ")";
    gw->signal(SIGTERM);
    auto code = gw->wait_exit(5s);
    ASSERT_TRUE(code);
    EXPECT_EQ(*code, 0);
  }
}

// One gateway per state dir: a second one is refused at once, naming the running pid, and
// the first keeps serving; a gateway killed with SIGKILL leaves no stale lock behind.
TEST(StartupErrors, ASecondGatewayOnTheSameStateDirIsRefusedNamingThePid) {
  auto first = GatewayProcess::start();
  ASSERT_TRUE(first);
  StartOptions o;
  o.state_dir = first->state_dir();
  std::unique_ptr<GatewayProcess> second;
  auto code = start_and_wait_exit(second, o);
  ASSERT_TRUE(second);
  ASSERT_TRUE(code) << "a second gateway must be refused, not wait";
  EXPECT_EQ(*code, 1);
  std::string err = second->stderr_text();
  EXPECT_NE(err.find("already running"), std::string::npos) << err;
  EXPECT_NE(err.find("pid " + std::to_string(first->pid())), std::string::npos) << err;
  EXPECT_NE(err.find("--state-dir"), std::string::npos) << err;
  auto c = first->connect();
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->call("health", Json::object()).ok());
  EXPECT_TRUE(file_exists(first->state_dir() + "/gateway.json")) << "the refused one removed it";

  first->signal(SIGKILL);
  ASSERT_TRUE(first->wait_exit(5s));
  auto third = GatewayProcess::start(o);
  ASSERT_TRUE(third) << "a killed gateway's lock must not outlive it";
}

TEST(StartupErrors, PortInUseExitsOneWithAClearMessage) {
  ::fakes::LoopbackListener taken;  // another program holds the port
  ASSERT_TRUE(taken.ok());
  int port = taken.port();

  StartOptions o;
  o.port_zero = false;
  o.args = {"--port", std::to_string(port)};
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, o);
  taken.close();
  ASSERT_TRUE(gw);
  ASSERT_TRUE(code) << "a port in use must be an error, never a hang";
  EXPECT_EQ(*code, 1);
  std::string err = gw->stderr_text();
  EXPECT_NE(err.find(std::to_string(port)), std::string::npos) << err;
  EXPECT_NE(err.find("in use"), std::string::npos) << err;
  EXPECT_FALSE(file_exists(gw->state_dir() + "/gateway.json"));
}

TEST(StartupErrors, InvalidConfigListsEveryErrorWithLineNumbers) {
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, with_config("gateway:\n"
                                                  "  port: \"eighty\"\n"
                                                  "  bind: loopback\n"
                                                  "logging:\n"
                                                  "  level: loud\n"));
  ASSERT_TRUE(gw);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  std::string err = gw->stderr_text();
  EXPECT_NE(err.find("gateway.port (line 2)"), std::string::npos) << err;
  EXPECT_NE(err.find("logging.level (line 5)"), std::string::npos) << err;
  EXPECT_FALSE(file_exists(gw->state_dir() + "/gateway.json"));
}

TEST(StartupErrors, UnknownKeyAndYamlSyntaxErrorsExitOne) {
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, with_config("gateway:\n  prot: 1\n"));
  ASSERT_TRUE(gw && code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(gw->stderr_text().find("line 2"), std::string::npos) << gw->stderr_text();

  std::unique_ptr<GatewayProcess> gw2;
  code = start_and_wait_exit(gw2, with_config("gateway: [oops\n"));
  ASSERT_TRUE(gw2 && code);
  EXPECT_EQ(*code, 1);
}

TEST(StartupErrors, AuthNoneWithBindAllIsRefused) {
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, with_config("gateway:\n  bind: all\n  auth:\n"
                                                  "    mode: none\n"));
  ASSERT_TRUE(gw);
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 1);
  EXPECT_NE(gw->stderr_text().find("none"), std::string::npos) << gw->stderr_text();
  // The same refusal when `all` comes from the command line.
  std::unique_ptr<GatewayProcess> gw2;
  StartOptions o = with_config("gateway:\n  auth:\n    mode: none\n");
  o.args = {"--bind", "all"};
  code = start_and_wait_exit(gw2, o);
  ASSERT_TRUE(gw2 && code);
  EXPECT_EQ(*code, 1);
}

// A short token on a non-loopback bind gets a warning with the exact fix (the address is
// TEST-NET-1, not on this machine: the bind then fails, nothing listens on the network).
TEST(StartupErrors, AShortTokenOnANonLoopbackBindIsWarnedAboutWithTheFix) {
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, with_config("gateway:\n  bind: 192.0.2.1\n  auth:\n"
                                                  "    token: hunter2\n"));
  ASSERT_TRUE(gw && code);
  std::string err = gw->stderr_text();
  EXPECT_NE(err.find("only 7 characters"), std::string::npos) << err;
  EXPECT_NE(err.find("gateway.auth.token in"), std::string::npos) << err;
  EXPECT_NE(err.find("openssl rand -base64 32"), std::string::npos) << err;
  EXPECT_EQ(err.find("hunter2"), std::string::npos) << "the token itself is never logged";
  // On loopback the same token is no exposure: no warning.
  START_GATEWAY(local, with_config("gateway:\n  auth:\n    token: hunter2\n"));
  EXPECT_EQ(local->stderr_text().find("only 7 characters"), std::string::npos);
}

TEST(StartupErrors, AuthNoneOnLoopbackIsAllowed) {
  StartOptions o = with_config("gateway:\n  auth:\n    mode: none\n");
  START_GATEWAY(gw, o);
  ClientOptions c = gw->options();
  c.token.clear();
  Json hello;
  auto client = gw->connect(c, &hello);
  ASSERT_TRUE(client);
  EXPECT_EQ(hello["snapshot"]["authMode"], "none");
}

TEST(StartupErrors, PasswordModeWithoutPasswordExitsOne) {
  std::unique_ptr<GatewayProcess> gw;
  auto code = start_and_wait_exit(gw, with_config("gateway:\n  auth:\n    mode: password\n"));
  ASSERT_TRUE(gw && code);
  EXPECT_EQ(*code, 1);
}

TEST(TokenFile, GeneratedPrivateLongAndReusedOnRestart) {
  TempDir shared;
  std::string state = shared.path() + "/state";
  std::string token_path = state + "/gateway.token";
  std::string token;
  {
    StartOptions o;
    o.state_dir = state;
    START_GATEWAY(gw, o);
    struct stat st {};
    ASSERT_EQ(::stat(token_path.c_str(), &st), 0) << "gateway.token must be generated";
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    token = gw->token();
    EXPECT_GE(token.size(), 43u) << "at least 32 random bytes, base64url";
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << "base64url: " << token;
    EXPECT_TRUE(gw->connect());
  }
  std::string before = read_text(token_path);
  StartOptions o;
  o.state_dir = state;
  START_GATEWAY(gw, o);
  EXPECT_EQ(read_text(token_path), before) << "the token file is reused, not regenerated";
  EXPECT_EQ(gw->token(), token);
  ClientOptions c = gw->options();
  c.token = token;
  EXPECT_TRUE(gw->connect(c));
}

TEST(TokenFile, EnvironmentTokenWinsAndNoFileIsWritten) {
  StartOptions o;
  o.env = {{"SIMPLECLAW_GATEWAY_TOKEN", "env-token-abcdefghijklmnopqrstuvwxyz0123456"}};
  o.token = "env-token-abcdefghijklmnopqrstuvwxyz0123456";
  START_GATEWAY(gw, o);
  EXPECT_FALSE(file_exists(gw->state_dir() + "/gateway.token"));
  EXPECT_TRUE(gw->connect());
}

}  // namespace
}  // namespace sctest
