// The `simpleclaw` command line as a user runs it: the real binary as a subprocess, its
// stdout/stderr and exit code (0 ok, 1 error, 2 usage), against a real gateway.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "fakes/fake_llm.h"
#include "integration/cli_run.h"
#include "integration/helpers.h"

namespace sctest {
namespace {

// Runs SIMPLECLAW_BIN with args (no shell), HOME pointed at `home` so nothing real is read.
CmdResult run_cli(const std::vector<std::string>& args, const std::string& home,
                  const std::string& stdin_text = {}) {
  return run_simpleclaw(args, home, {}, 20, stdin_text);
}

// Arguments that point the CLI at this gateway through its state dir (gateway.json +
// gateway.token), the way a user's default ~/.simpleclaw works.
std::vector<std::string> at(const GatewayProcess& gw, std::vector<std::string> args) {
  args.push_back("--state-dir");
  args.push_back(gw.state_dir());
  args.push_back("--config");
  args.push_back(gw.config_path());
  return args;
}

Json parse_out(const CmdResult& r) {
  Json j = Json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << "stdout is not JSON:\n" << r.out << "\nstderr:\n" << r.err;
  return j;
}

TEST(Cli, CallHealthStatusFindTheGatewayFromTheStateDir) {
  START_GATEWAY(gw);
  auto h = run_cli(at(*gw, {"call", "health", "--json"}), gw->dir());
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_EQ(parse_out(h)["ok"], true);

  auto s = run_cli(at(*gw, {"status", "--json"}), gw->dir());
  ASSERT_EQ(s.code, 0) << s.err;
  EXPECT_EQ(parse_out(s)["pid"], gw->pid());

  auto hh = run_cli(at(*gw, {"health"}), gw->dir());
  ASSERT_EQ(hh.code, 0) << hh.err;
  EXPECT_EQ(parse_out(hh)["defaultAgentId"], "main");

  auto p =
      run_cli(at(*gw, {"call", "logs.tail", "--params", R"({"limit":3})", "--json"}), gw->dir());
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_LE(parse_out(p)["lines"].size(), 3u);
}

// `simpleclaw dashboard`: a sign-in link for the running gateway, found through the state
// dir like every command; never the gateway token; a wrong token is a plain refusal.
TEST(Cli, DashboardPrintsAOneTimeLinkAndNeverTheToken) {
  START_GATEWAY(gw);
  auto d = run_cli(at(*gw, {"dashboard", "--ttl", "120"}), gw->dir());
  ASSERT_EQ(d.code, 0) << d.err;
  const std::string prefix = "http://127.0.0.1:" + std::to_string(gw->port()) + "/#bootstrapToken=";
  EXPECT_NE(d.out.find(prefix), std::string::npos) << d.out;
  EXPECT_EQ(d.out.find(gw->token()), std::string::npos) << "the gateway token was printed";
  EXPECT_NE(d.err.find("one use, valid 2 min"), std::string::npos) << d.err;

  auto bad = run_cli({"dashboard", "--url", "ws://127.0.0.1:" + std::to_string(gw->port()),
                      "--token", "not-the-token-not-the-token", "--state-dir", gw->state_dir()},
                     gw->dir());
  EXPECT_EQ(bad.code, 1);
  EXPECT_EQ(bad.out, "");
  EXPECT_NE(bad.err.find("unauthorized"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("start the gateway"), std::string::npos) << "a misleading hint";
  auto range = run_cli(at(*gw, {"dashboard", "--ttl", "5"}), gw->dir());
  EXPECT_NE(range.code, 0);
}

TEST(Cli, MsgpackFramingWorksFromTheCli) {
  START_GATEWAY(gw);
  auto h = run_cli(at(*gw, {"call", "system-presence", "--msgpack", "--json"}), gw->dir());
  ASSERT_EQ(h.code, 0) << h.err;
  EXPECT_EQ(parse_out(h)[0]["mode"], "gateway");
}

TEST(Cli, ErrorsAndUsageHaveTheirExitCodes) {
  START_GATEWAY(gw);
  auto unknown = run_cli(at(*gw, {"call", "nope"}), gw->dir());
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("unknown method: nope"), std::string::npos) << unknown.err;

  auto bad_params =
      run_cli(at(*gw, {"call", "logs.tail", "--params", R"({"limit":0})"}), gw->dir());
  EXPECT_EQ(bad_params.code, 1);
  EXPECT_NE(bad_params.err.find("invalid logs.tail params: /limit: "), std::string::npos)
      << bad_params.err;

  auto not_json = run_cli(at(*gw, {"call", "health", "--params", "{oops"}), gw->dir());
  EXPECT_EQ(not_json.code, 2);
  EXPECT_NE(not_json.err.find("not valid JSON"), std::string::npos);

  auto wrong_token = run_cli(at(*gw, {"call", "health", "--token", "wrong-token"}), gw->dir());
  EXPECT_EQ(wrong_token.code, 1);
  EXPECT_NE(wrong_token.err.find("AUTH_TOKEN_MISMATCH"), std::string::npos) << wrong_token.err;

  EXPECT_EQ(run_cli({"no-such-command"}, gw->dir()).code, 2);
  EXPECT_EQ(run_cli({"call"}, gw->dir()).code, 2) << "method is required";
  auto help = run_cli({"call", "--help"}, gw->dir());
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("config.patch"), std::string::npos)
      << "call --help lists the method table";
  EXPECT_EQ(run_cli({"--help"}, gw->dir()).code, 0);
}

TEST(Cli, NoGatewayRunningIsAClearError) {
  TempDir home;
  // A port nobody listens on: bind one, close it, use it.
  auto r = run_cli({"health", "--url", "ws://127.0.0.1:1", "--state-dir", home.path() + "/s",
                    "--timeout", "2000"},
                   home.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("cannot connect"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("simpleclaw gateway"), std::string::npos) << "the hint says how to start it";
}

TEST(Cli, ConfigGetSetPatchGoThroughTheGatewayAndHotApply) {
  StartOptions so = with_config(
      "gateway:\n  auth:\n    mode: token\n    token: cli-test-token-0123456789abcdefghijklmnopq\n"
      "logging:\n  level: info\n");
  so.token = "cli-test-token-0123456789abcdefghijklmnopq";
  START_GATEWAY(gw, so);
  auto get = run_cli(at(*gw, {"config", "get", "--json"}), gw->dir());
  ASSERT_EQ(get.code, 0) << get.err;
  Json g = parse_out(get);
  EXPECT_EQ(g["hash"], sha256_hex(read_text(gw->config_path())));
  EXPECT_EQ(get.out.find("cli-test-token-0123456789"), std::string::npos) << "secrets are redacted";

  auto one = run_cli(at(*gw, {"config", "get", "logging.level"}), gw->dir());
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_EQ(one.out, "info\n");

  // A client connected meanwhile sees the change being applied.
  auto watcher = gw->connect();
  ASSERT_TRUE(watcher);
  auto set = run_cli(at(*gw, {"config", "set", "logging.level", "debug"}), gw->dir());
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_NE(read_text(gw->config_path()).find("debug"), std::string::npos);
  EXPECT_NE(read_text(gw->config_path()).find("cli-test-token-0123456789"), std::string::npos)
      << "the real token stays in the file";
  EXPECT_TRUE(wait_event(*watcher, "config.changed"));
  auto live = watcher->call("config.get");
  ASSERT_TRUE(live.ok());
  EXPECT_EQ(live->at("config")["logging"]["level"], "debug");

  auto patch =
      run_cli(at(*gw, {"config", "patch", R"({"gateway":{"timers":{"tick_ms":60000}}})", "--json"}),
              gw->dir());
  ASSERT_EQ(patch.code, 0) << patch.err;
  EXPECT_EQ(parse_out(patch)["restart"], false);
  auto port = run_cli(at(*gw, {"config", "set", "gateway.port", "19999", "--json"}), gw->dir());
  ASSERT_EQ(port.code, 0) << port.err;
  EXPECT_EQ(parse_out(port)["restart"], true) << "a port change needs a restart";

  auto invalid = run_cli(at(*gw, {"config", "set", "gateway.port", "99999"}), gw->dir());
  EXPECT_EQ(invalid.code, 1);
  EXPECT_NE(invalid.err.find("gateway.port"), std::string::npos) << invalid.err;

  auto bad_patch = run_cli(at(*gw, {"config", "patch", "[1,2]"}), gw->dir());
  EXPECT_EQ(bad_patch.code, 2);
}

TEST(Cli, ConfigSetWithoutAGatewayWritesTheFileSafely) {
  TempDir home;
  std::string state = home.path() + "/state", cfg = home.path() + "/config.yaml";
  auto set = run_cli({"config", "set", "logging.level", "warn", "--state-dir", state, "--config",
                      cfg, "--url", "ws://127.0.0.1:1", "--timeout", "2000"},
                     home.path());
  ASSERT_EQ(set.code, 0) << set.err;
  EXPECT_NE(set.err.find("no gateway running"), std::string::npos) << set.err;
  EXPECT_NE(read_text(cfg).find("warn"), std::string::npos);
  std::string before = read_text(cfg);
  auto bad = run_cli({"config", "set", "logging.level", "loud", "--state-dir", state, "--config",
                      cfg, "--url", "ws://127.0.0.1:1", "--timeout", "2000"},
                     home.path());
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("logging.level"), std::string::npos) << bad.err;
  EXPECT_EQ(read_text(cfg), before) << "a rejected write leaves the file byte-identical";
}

TEST(Cli, ConfigValidateListsEveryProblemWithItsLine) {
  TempDir home;
  std::string cfg = home.path() + "/config.yaml";
  write_text(cfg, "gateway:\n  port: 70000\n  bind: loopback\nlogging:\n  level: chatty\n");
  auto bad = run_cli({"config", "validate", cfg}, home.path());
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("gateway.port (line 2)"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("logging.level (line 5)"), std::string::npos) << bad.err;
  write_text(cfg, "gateway:\n  port: 18790\n");
  auto good = run_cli({"config", "validate", cfg}, home.path());
  EXPECT_EQ(good.code, 0) << good.err;
  EXPECT_NE(good.out.find("OK"), std::string::npos);
}

TEST(Cli, StartupStepsAreLoggedInTheSpecOrderWithDurations) {
  START_GATEWAY(gw);
  std::string err = gw->stderr_text();
  std::size_t pos = 0;
  for (const char* step :
       {"startup: config", "startup: plugins", "startup: model catalog", "startup: channels",
        "startup: server", "startup: maintenance timers", "startup: discovery", "ready in"}) {
    std::size_t at = err.find(step, pos);
    ASSERT_NE(at, std::string::npos) << step << " missing or out of order in:\n" << err;
    pos = at;
  }
  EXPECT_NE(err.find(" ms)"), std::string::npos) << "each step carries its duration";
  EXPECT_EQ(err.find(gw->token()), std::string::npos) << "the token is never logged";
}

TEST(Cli, BindLiteralAddressIsHonoured) {
  StartOptions o;
  o.args = {"--bind", "127.0.0.1"};
  START_GATEWAY(gw, o);
  EXPECT_EQ(gw->runtime()["bind"], "127.0.0.1");
  auto c = gw->connect();
  ASSERT_TRUE(c);
  auto st = c->call("status");
  ASSERT_TRUE(st.ok());
  EXPECT_EQ((*st)["gateway"]["bind"], "127.0.0.1");
}

// The default bind (loopback) listens on both loopback families: IPv4 and IPv6 clients
// reach the same gateway, and nothing else is bound.
TEST(Cli, DefaultLoopbackBindAnswersOnIpv4AndIpv6) {
  START_GATEWAY(gw);
  for (std::string host : {"127.0.0.1", "[::1]"}) {
    auto o = gw->options();
    o.url = "ws://" + host + ":" + std::to_string(gw->port());
    auto c = gw->connect(o);
    ASSERT_TRUE(c) << host;
    auto st = c->call("status");
    ASSERT_TRUE(st.ok()) << host;
    EXPECT_EQ((*st)["gateway"]["bind"], "127.0.0.1") << host;
  }
}

TEST(Cli, ChatStreamsRepliesAndKeepsTheSession) {
  fakes::FakeLlm llm;
  START_GATEWAY(gw, with_config("models:\n  providers:\n    fake:\n      api: openai\n"
                                "      base_url: " +
                                llm.url() +
                                "/v1\n"
                                "      models: [{id: m}]\n"));
  auto r = run_cli(at(*gw, {"chat", "--session", "cli-test"}), gw->dir(),
                   "first question\n/history\nsecond one\n");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("echo: first question\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("user: first question\nassistant: echo: first question\n"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("echo: second one\n"), std::string::npos) << r.out;
  ASSERT_EQ(llm.request_count(), 2u);
  // The second question went to the same session, with the first turn as context.
  EXPECT_EQ(llm.requests()[1].body["messages"].size(), 4u);
}

TEST(Cli, ChatReportsProviderErrorsWithExitCode1) {
  fakes::FakeLlm llm;
  fakes::Script s;
  s.status = 401;
  s.times = -1;
  llm.push(s);
  START_GATEWAY(gw, with_config("models:\n  providers:\n    fake:\n      api: openai\n"
                                "      base_url: " +
                                llm.url() +
                                "/v1\n"
                                "      models: [{id: m}]\n"));
  auto r = run_cli(at(*gw, {"chat"}), gw->dir(), "hello\n");
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("api_key"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace sctest
