// `simpleclaw doctor` as a user runs it (the real binary) against real state dirs: a
// broken config, loose file modes, an exposed unauthenticated bind, a port held by a
// foreign listener, a running gateway, an unreachable provider, a damaged SQLite file,
// and a healthy setup. Exit codes: 0 nothing failed, 1 a check failed, 2 usage.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "fakes/fake_llm.h"
#include "fakes/loopback_socket.h"
#include "integration/cli_run.h"

namespace sctest {
namespace {

namespace fs = std::filesystem;

// A listening socket on 127.0.0.1 (port 0 = any): a "foreign program" on a port.
using Listener = ::fakes::LoopbackListener;
using ::fakes::free_port;

// A private state dir at <dir>/state with config.yaml holding `yaml`.
std::string make_state(const TempDir& t, const std::string& yaml) {
  std::string state = t.path() + "/state";
  fs::create_directories(state);
  ::chmod(state.c_str(), 0700);
  write_text(state + "/config.yaml", yaml);
  ::chmod((state + "/config.yaml").c_str(), 0600);
  return state;
}

CmdResult doctor(const std::string& state, const TempDir& home,
                 std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"doctor", "--state-dir", state, "--probe-timeout", "2000"};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_simpleclaw(args, home.path());
}

// The output of the check titled `title` ("" when absent): its line, the indented
// detail lines after it and its "fix:" line.
std::string line_of(const std::string& out, const std::string& title) {
  std::size_t p = out.find("] " + title + ":");
  if (p == std::string::npos) return "";
  std::size_t start = out.rfind('\n', p);
  start = start == std::string::npos ? 0 : start + 1;
  std::size_t end = out.find('\n', p);
  while (end != std::string::npos && out.compare(end + 1, 2, "  ") == 0)
    end = out.find('\n', end + 1);
  return out.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

Json checks_by_id(const CmdResult& r) {
  Json j = Json::parse(r.out, nullptr, false);
  EXPECT_TRUE(j.is_object()) << r.out << r.err;
  Json m = Json::object();
  if (j.is_object())
    for (const auto& c : j["checks"]) m[c["id"].get<std::string>()] = c;
  return m;
}

TEST(Doctor, InvalidYamlIsAFailWithTheLineAndTheFix) {
  TempDir t;
  std::string state = make_state(t, "gateway:\n  port: [1, 2\n  bind: loopback\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  std::string l = line_of(r.out, "config");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find("line"), std::string::npos) << l;
  EXPECT_NE(l.find("fix: edit " + state + "/config.yaml"), std::string::npos) << l;
}

TEST(Doctor, SchemaErrorNamesTheYamlPathAndLine) {
  TempDir t;
  std::string state = make_state(t, "logging:\n  level: info\ngateway:\n  port: 99999\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("gateway.port (line 4)"), std::string::npos) << r.out;
  EXPECT_EQ(line_of(r.out, "config").rfind("[FAIL]", 0), 0u) << r.out;
}

TEST(Doctor, TokenFileReadableByOthersFailsWithTheChmod) {
  TempDir t;
  std::string state = make_state(t, "gateway:\n  port: " + std::to_string(free_port()) + "\n");
  const std::string secret = "tok-0123456789abcdef0123456789abcdef-secret";
  write_text(state + "/gateway.token", secret + "\n");
  ::chmod((state + "/gateway.token").c_str(), 0644);
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string l = line_of(r.out, "secret file modes");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find(state + "/gateway.token has mode 0644"), std::string::npos) << l;
  EXPECT_NE(l.find("fix: chmod 600 " + state + "/gateway.token"), std::string::npos) << l;
  EXPECT_EQ(r.out.find(secret), std::string::npos) << "the token was printed";
  // The state dir itself open to others: a FAIL too, with its fix.
  ::chmod(state.c_str(), 0755);
  r = doctor(state, t);
  l = line_of(r.out, "state directory");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find("fix: chmod 700 " + state), std::string::npos) << l;
}

TEST(Doctor, BindAllWithAuthNoneFailsWithTheFix) {
  TempDir t;
  std::string state =
      make_state(t, "gateway:\n  bind: all\n  port: " + std::to_string(free_port()) +
                        "\n  auth:\n    mode: none\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string l = line_of(r.out, "network exposure");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find("auth mode none"), std::string::npos) << l;
  EXPECT_NE(l.find("fix: set gateway.bind: loopback, or gateway.auth.mode: token"),
            std::string::npos)
      << l;
  // The config check reports the same rule with its YAML path.
  EXPECT_NE(line_of(r.out, "config").find("[FAIL]"), std::string::npos);
  EXPECT_NE(r.out.find("gateway.auth.mode (line 5)"), std::string::npos) << r.out;
}

TEST(Doctor, ExposedBindWithAShortTokenFailsAndTlsOffWarns) {
  TempDir t;
  const std::string token = "short-secret-xyz";
  std::string state =
      make_state(t, "gateway:\n  bind: all\n  port: " + std::to_string(free_port()) +
                        "\n  auth:\n    token: " + token + "\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string l = line_of(r.out, "network exposure");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find("only 16 characters"), std::string::npos) << l;
  EXPECT_NE(l.find("TLS is off"), std::string::npos) << l;
  EXPECT_NE(l.find("gateway.tls.enabled true"), std::string::npos) << l;
  EXPECT_EQ(r.out.find(token), std::string::npos) << "the token was printed";
}

TEST(Doctor, PortTakenByAForeignListenerFailsNamingThePort) {
  TempDir t;
  Listener foreign;
  ASSERT_TRUE(foreign.ok());
  std::string p = std::to_string(foreign.port());
  std::string state = make_state(t, "gateway:\n  port: " + p + "\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string l = line_of(r.out, "port");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find("port " + p + " on 127.0.0.1 is in use by another program"), std::string::npos)
      << l;
  EXPECT_NE(l.find("ss -ltnp 'sport = :" + p + "'"), std::string::npos) << l;
  EXPECT_NE(line_of(r.out, "running gateway").find("no gateway is running"), std::string::npos);
  // Once the listener is gone the same check passes.
  foreign.close();
  r = doctor(state, t);
  EXPECT_EQ(line_of(r.out, "port").rfind("[OK", 0), 0u) << r.out;
}

TEST(Doctor, ARunningGatewayIsReportedWithItsPidNotAsAPortConflict) {
  int port = free_port();
  StartOptions o = with_config("gateway:\n  port: " + std::to_string(port) + "\n");
  o.port_zero = false;
  START_GATEWAY(gw, o);
  TempDir home;
  auto r = run_simpleclaw(
      {"doctor", "--state-dir", gw->state_dir(), "--config", gw->config_path(), "--json"},
      home.path());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  Json c = checks_by_id(r);
  std::string pid = std::to_string(gw->pid());
  EXPECT_EQ(c["gateway"]["status"], "OK");
  EXPECT_NE(c["gateway"]["detail"].get<std::string>().find("pid " + pid), std::string::npos)
      << c["gateway"];
  EXPECT_EQ(c["port"]["status"], "OK") << c["port"];
  EXPECT_NE(c["port"]["detail"].get<std::string>().find("in use by the running gateway (pid " +
                                                        pid + ")"),
            std::string::npos)
      << c["port"];
  // Its live database (WAL mode, opened read-only by doctor) checks fine meanwhile.
  EXPECT_EQ(c["db:sessions.db"]["status"], "OK") << c["db:sessions.db"];
  Json j = Json::parse(r.out);
  EXPECT_EQ(j["gateway"]["running"], true);
  EXPECT_EQ(j["gateway"]["pid"], pid);
  // The gateway did not notice: it still serves.
  EXPECT_NE(gw->connect(), nullptr);
}

TEST(Doctor, UnreachableProviderIsAWarningNotAFailure) {
  TempDir t;
  int dead = free_port();  // nothing listens there
  const std::string key = "sk-test-never-print-me-0123456789";
  std::string state = make_state(
      t, "gateway:\n  port: " + std::to_string(free_port()) +
             "\nmodels:\n  providers:\n    local:\n      api: openai\n      base_url: "
             "http://127.0.0.1:" +
             std::to_string(dead) + "/v1\n      api_key: " + key + "\n      models: [{id: m}]\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 0) << r.out;
  std::string l = line_of(r.out, "provider local");
  EXPECT_EQ(l.rfind("[WARN]", 0), 0u) << r.out;
  EXPECT_NE(l.find("127.0.0.1:" + std::to_string(dead) + " is unreachable"), std::string::npos)
      << l;
  EXPECT_NE(l.find("fix: "), std::string::npos) << l;
  EXPECT_EQ(r.out.find(key), std::string::npos) << "the API key was printed";
}

TEST(Doctor, DamagedSqliteDatabaseFails) {
  TempDir t;
  std::string state = make_state(t, "gateway:\n  port: " + std::to_string(free_port()) + "\n");
  std::string db_path = state + "/sessions.db";
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "PRAGMA page_size=4096; CREATE TABLE t(k TEXT PRIMARY KEY, v TEXT);"
                           "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n "
                           "WHERE i < 2000) INSERT INTO t SELECT 'key' || i, "
                           "hex(randomblob(100)) FROM n;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  auto r = doctor(state, t);
  EXPECT_EQ(line_of(r.out, "database sessions.db").rfind("[OK", 0), 0u) << r.out;
  // Scribble over pages in the middle of the file (a torn write, a bad disk).
  {
    std::fstream f(db_path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(4096 * 5);
    std::string junk(4096 * 3, '\xA5');
    f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
  }
  r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string l = line_of(r.out, "database sessions.db");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find(db_path + " is damaged"), std::string::npos) << l;
  EXPECT_NE(l.find(".recover"), std::string::npos) << l;
  // Not a database at all: the same.
  write_text(db_path, std::string(8192, 'x'));
  r = doctor(state, t);
  EXPECT_EQ(r.code, 1);
  EXPECT_EQ(line_of(r.out, "database sessions.db").rfind("[FAIL]", 0), 0u) << r.out;
}

TEST(Doctor, HealthyStateDirPassesWithEveryCheckListed) {
  fakes::FakeLlm llm;
  int port = free_port();
  std::string base =
      "gateway:\n  port: " + std::to_string(port) +
      "\nmodels:\n  providers:\n    fake:\n      api: openai\n      base_url: " + llm.url() +
      "/v1\n      models: [{id: m}]\n";
  TempDir home;
  std::string state = home.path() + "/state";
  {
    // A real gateway creates the state dir, token and database, then stops; its files
    // (modes kept) are what doctor looks at.
    StartOptions o = with_config(base);
    o.port_zero = false;
    START_GATEWAY(gw, o);
    gw->signal(SIGTERM);
    ASSERT_EQ(gw->wait_exit(std::chrono::seconds(10)), 0);
    fs::copy(gw->state_dir(), state, fs::copy_options::recursive);
  }
  const std::string bot_token = "123456:telegram-secret-never-printed";
  std::string cfg = home.path() + "/config.yaml";
  write_text(cfg, base + "channels:\n  telegram:\n    token: \"" + bot_token + "\"\n");
  ::chmod(cfg.c_str(), 0600);
  auto r = run_simpleclaw({"doctor", "--state-dir", state, "--config", cfg}, home.path());
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  for (const char* title : {"config", "state directory", "secret file modes", "running gateway",
                            "port", "network exposure", "provider fake", "channel telegram/default",
                            "database sessions.db", "disk space"}) {
    std::string l = line_of(r.out, title);
    EXPECT_FALSE(l.empty()) << "missing check " << title << "\n" << r.out;
    EXPECT_EQ(l.find("[FAIL]"), std::string::npos) << l;
  }
  EXPECT_EQ(line_of(r.out, "provider fake").rfind("[OK", 0), 0u) << r.out;
  EXPECT_NE(line_of(r.out, "channel telegram/default").find("credentials present"),
            std::string::npos);
  EXPECT_EQ(r.out.find(bot_token), std::string::npos) << "the bot token was printed";
  EXPECT_NE(r.out.find(" 0 fail"), std::string::npos) << r.out;

  // --json: the same checks for machines.
  auto j = run_simpleclaw({"doctor", "--state-dir", state, "--config", cfg, "--json"}, home.path());
  EXPECT_EQ(j.code, 0);
  Json c = checks_by_id(j);
  for (const char* id : {"config", "state-dir", "secret-files", "gateway", "port", "exposure",
                         "provider:fake", "channel:telegram/default", "db:sessions.db", "disk"})
    EXPECT_TRUE(c.contains(id)) << id << "\n" << j.out;
  EXPECT_EQ(Json::parse(j.out)["ok"], true);
}

TEST(Doctor, MissingChannelCredentialFails) {
  TempDir t;
  std::string state = make_state(
      t, "gateway:\n  port: " + std::to_string(free_port()) +
             "\nchannels:\n  slack:\n    bot_token: xoxb-1-secret\n    app_token: \"\"\n");
  auto r = doctor(state, t);
  EXPECT_EQ(r.code, 1) << r.out;
  std::string l = line_of(r.out, "channel slack/default");
  EXPECT_EQ(l.rfind("[FAIL]", 0), 0u) << r.out;
  EXPECT_NE(l.find("channels.slack.app_token"), std::string::npos) << l;
  EXPECT_EQ(l.find("channels.slack.bot_token"), std::string::npos) << l;
  EXPECT_EQ(r.out.find("xoxb-1-secret"), std::string::npos);
}

TEST(Doctor, UnknownOptionIsAUsageError) {
  TempDir t;
  auto r = run_simpleclaw({"doctor", "--no-such-option"}, t.path());
  EXPECT_EQ(r.code, 2) << r.out << r.err;
}

}  // namespace
}  // namespace sctest
