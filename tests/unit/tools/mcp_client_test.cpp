// McpClient and McpManager (tools/mcp_client.h) against tests/fakes/mcp_server.py, a real
// MCP stdio server in Python, and, when tests/fakes/install_mcp_servers.sh has installed
// them, the reference npm servers (server-filesystem, server-everything). Each test has its
// own io_context kept busy by a work guard and runs it until the expected state or callback
// arrived or a generous deadline passed; restarts use a short backoff.
#include "tools/mcp_client.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "test_util.h"

namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using namespace simpleclaw;
using namespace simpleclaw::tools;

const std::string kFakeServer = std::string(SIMPLECLAW_SOURCE_DIR) + "/tests/fakes/mcp_server.py";

struct McpTempDir : simpleclaw::tools::test_util::TempDir {
  McpTempDir() : simpleclaw::tools::test_util::TempDir("sc-mcp") {}
};
using simpleclaw::tools::test_util::read_file;

bool contains(std::string_view hay, std::string_view needle) {
  return hay.find(needle) != std::string_view::npos;
}

class McpTest : public ::testing::Test {
 protected:
  bool run_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 20s) {
    return test_util::run_until(io_, pred, timeout);
  }
  void run_for(std::chrono::milliseconds d) { test_util::run_for(io_, d); }

  static McpClientOptions options() {
    McpClientOptions o;
    o.default_cwd = fs::temp_directory_path().string();
    o.backoff_initial = 100ms;
    o.backoff_max = 1000ms;
    return o;
  }

  static config::McpServerConfig fake(std::string name, std::vector<std::string> extra = {}) {
    config::McpServerConfig c;
    c.name = std::move(name);
    c.command = "python3";
    c.args = {kFakeServer};
    c.args.insert(c.args.end(), extra.begin(), extra.end());
    c.timeout_ms = 10000;
    return c;
  }

  std::shared_ptr<McpClient> start(config::McpServerConfig cfg) {
    auto c = McpClient::create(io_, std::move(cfg), options());
    c->on_state_change = [this](McpState s) { states_.push_back(s); };
    c->start();
    clients_.push_back(c);
    return c;
  }

  bool wait_ready(const std::shared_ptr<McpClient>& c, std::chrono::milliseconds t = 20s) {
    return run_until([&] { return c->state() == McpState::kReady; }, t);
  }

  Result<ToolCallResult> call(const std::shared_ptr<McpClient>& c, const std::string& tool,
                              Json args = Json::object(), int timeout_ms = 10000) {
    std::optional<Result<ToolCallResult>> out;
    c->call(tool, std::move(args), timeout_ms,
            [&](Result<ToolCallResult> r) { out = std::move(r); });
    EXPECT_TRUE(run_until([&] { return out.has_value(); }, 30s)) << "no answer to " << tool;
    if (!out) return Error::invalid("test: no answer");
    return std::move(*out);
  }

  void TearDown() override {
    int left = 0;
    for (auto& c : clients_) {
      ++left;
      c->stop([&left] { --left; });
    }
    run_until([&] { return left == 0; }, 10s);
  }

  static bool pid_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::vector<std::shared_ptr<McpClient>> clients_;
  std::vector<McpState> states_;
};

TEST_F(McpTest, InitializeListsBothPagesAndCallsEcho) {
  auto c = start(fake("fake"));
  EXPECT_EQ(c->state(), McpState::kStarting);
  ASSERT_TRUE(wait_ready(c)) << c->last_error();
  EXPECT_EQ(c->protocol_version(), "2025-06-18");
  EXPECT_EQ(c->tools().size(), 11u);
  ASSERT_NE(c->find_tool("echo"), nullptr);  // page 1
  ASSERT_NE(c->find_tool("huge"), nullptr);  // page 2
  EXPECT_EQ(c->find_tool("echo")->description, "Echoes the text back");
  EXPECT_EQ(c->find_tool("echo")->input_schema["required"][0], "text");

  auto r = call(c, "echo", {{"text", "hi there"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "hi there");
  EXPECT_FALSE(r->is_error);

  auto sum = call(c, "add", {{"a", 2}, {"b", 3}});
  ASSERT_TRUE(sum.ok());
  EXPECT_EQ(sum->text, "5");
  EXPECT_EQ(sum->raw["structuredContent"]["sum"], 5);

  auto img = call(c, "image");
  ASSERT_TRUE(img.ok());
  EXPECT_EQ(img->text, "see\n[image image/png 4 bytes]");

  EXPECT_EQ(c->restarts(), 0);
  Json st = c->status();
  EXPECT_EQ(st["state"], "ready");
  EXPECT_EQ(st["tools"].size(), 11u);
  // stderr lines are kept (and logged at debug).
  EXPECT_TRUE(run_until(
      [&] {
        Json now = c->status();
        for (const auto& l : now["stderrTail"])
          if (contains(l.get<std::string>(), "fake-mcp: started pid")) return true;
        return false;
      },
      5s));
}

TEST_F(McpTest, AcceptsAnOlderProtocolVersionAndRefusesAnUnknownOne) {
  auto old = start(fake("old", {"--protocol", "2024-11-05"}));
  ASSERT_TRUE(wait_ready(old));
  EXPECT_EQ(old->protocol_version(), "2024-11-05");
  auto bad = start(fake("bad", {"--protocol", "1999-01-01"}));
  ASSERT_TRUE(run_until([&] { return bad->state() == McpState::kFailed; }));
  EXPECT_TRUE(contains(bad->last_error(), "not supported")) << bad->last_error();
}

TEST_F(McpTest, ToolErrorsAreSurfaced) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  auto r = call(c, "fail");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_error);
  EXPECT_EQ(r->text, "it failed");
  auto u = call(c, "no_such_tool");
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message,
            "mcp server fake: tools/call failed: Unknown tool: no_such_tool (code -32602)");
  auto bad = call(c, "echo", Json::array({1, 2}));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(contains(bad.error().message, "must be a JSON object"));
}

TEST_F(McpTest, CallTimesOut) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  auto t0 = Clock::now();
  auto r = call(c, "slow", {{"ms", 3000}}, 300);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "mcp server fake: tools/call timed out after 300 ms");
  EXPECT_LT(Clock::now() - t0, 2500ms);
  // The server answers the next call once it is done sleeping; the late answer to the
  // timed-out call is ignored.
  auto next = call(c, "echo", {{"text", "after"}}, 15000);
  ASSERT_TRUE(next.ok()) << next.error().message;
  EXPECT_EQ(next->text, "after");
}

TEST_F(McpTest, CancelEndsTheCallAtOnce) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  std::optional<Result<ToolCallResult>> out;
  auto id = c->call("slow", {{"ms", 2000}}, 10000, [&](Result<ToolCallResult> r) { out = r; });
  run_for(50ms);
  EXPECT_FALSE(out.has_value());
  c->cancel(id);
  EXPECT_FALSE(out.has_value());  // posted, never inline
  ASSERT_TRUE(run_until([&] { return out.has_value(); }, 1s));
  ASSERT_FALSE(out->ok());
  EXPECT_EQ(out->error().message, "mcp server fake: tools/call cancelled");
  c->cancel(id);  // unknown now: ignored
}

TEST_F(McpTest, CrashFailsPendingCallsAndRestarts) {
  McpTempDir d;
  std::string starts = d.path + "/starts";
  auto c = start(fake("fake", {"--starts", starts}));
  ASSERT_TRUE(wait_ready(c));
  pid_t first = c->pid();
  // The server exits on "crash" before it reads the "echo" behind it: both fail.
  std::optional<Result<ToolCallResult>> crashed, waiting;
  c->call("crash", Json::object(), 20000, [&](Result<ToolCallResult> r) { crashed = r; });
  c->call("echo", {{"text", "lost"}}, 20000, [&](Result<ToolCallResult> r) { waiting = r; });
  ASSERT_TRUE(run_until([&] { return crashed && waiting; }));
  ASSERT_FALSE(crashed->ok());
  EXPECT_EQ(crashed->error().message, "mcp server fake exited (code 3); restarting");
  EXPECT_EQ(crashed->error().code, ErrorCode::kUnavailable);
  ASSERT_FALSE(waiting->ok());
  EXPECT_EQ(waiting->error().message, "mcp server fake exited (code 3); restarting");
  EXPECT_EQ(c->state(), McpState::kFailed);
  // While the restart is pending a call fails fast and says when to retry.
  auto early = call(c, "echo", {{"text", "x"}});
  EXPECT_FALSE(early.ok());
  EXPECT_TRUE(early.error().retry_after_ms.has_value());

  ASSERT_TRUE(wait_ready(c));
  EXPECT_EQ(c->restarts(), 1);
  EXPECT_NE(c->pid(), first);
  EXPECT_EQ(c->status()["restarts"], 1);
  auto again = call(c, "echo", {{"text", "back"}});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->text, "back");
  std::string log = read_file(starts);
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 2);
  // starting -> ready -> failed -> starting -> ready
  ASSERT_GE(states_.size(), 5u);
  EXPECT_EQ(states_[2], McpState::kFailed);
  EXPECT_EQ(states_[4], McpState::kReady);
}

TEST_F(McpTest, RestartBackoffGrows) {
  auto cfg = fake("fake");
  cfg.command = "sh";
  cfg.args = {"-c", "exit 7"};  // dies at once, every time
  auto c = start(cfg);
  ASSERT_TRUE(run_until([&] { return c->restarts() >= 3; }, 10s));
  EXPECT_EQ(c->state() == McpState::kFailed || c->state() == McpState::kStarting, true);
  EXPECT_TRUE(contains(c->last_error(), "exited (code 7)")) << c->last_error();
  // 100 + 200 + 400 ms at least before the third restart.
}

TEST_F(McpTest, BackoffResetsAfterAHealthyRun) {
  auto o = options();
  o.backoff_initial = 1000ms;
  o.backoff_max = 10000ms;
  o.healthy_reset = 1500ms;
  auto c = McpClient::create(io_, fake("fake"), o);
  clients_.push_back(c);
  c->start();
  auto crash_and_delay = [&] {
    EXPECT_TRUE(wait_ready(c, 30s));
    auto r = call(c, "crash");
    EXPECT_FALSE(r.ok());
    EXPECT_EQ(c->state(), McpState::kFailed);
    return c->status()["restartInMs"].get<long long>();
  };
  EXPECT_LE(crash_and_delay(), 1000);    // 1 s
  long long second = crash_and_delay();  // crashed again at once: 2 s
  EXPECT_GT(second, 1000);
  EXPECT_LE(second, 2000);
  ASSERT_TRUE(wait_ready(c, 30s));
  run_for(1600ms);                     // healthy for longer than healthy_reset
  EXPECT_LE(crash_and_delay(), 1000);  // back to 1 s
  EXPECT_EQ(c->restarts(), 2);
}

TEST_F(McpTest, CallsMadeWhileStartingWaitForReady) {
  auto c = start(fake("fake"));
  ASSERT_EQ(c->state(), McpState::kStarting);
  auto r = call(c, "echo", {{"text", "early"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "early");
}

TEST_F(McpTest, GarbageLineIsSkipped) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  auto r = call(c, "garbage");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "after garbage");
  EXPECT_EQ(c->state(), McpState::kReady);
  EXPECT_EQ(c->restarts(), 0);
}

TEST_F(McpTest, ServerRequestsAreAnswered) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  auto r = call(c, "ping_me");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "pong ok");
  auto u = call(c, "ask_unknown");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->text, "error -32601");
}

TEST_F(McpTest, ListChangedRelists) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  int changes = 0;
  c->on_tools_changed = [&] { ++changes; };
  EXPECT_EQ(c->find_tool("extra"), nullptr);
  auto r = call(c, "notify");
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(run_until([&] { return c->find_tool("extra") != nullptr; }, 10s));
  EXPECT_EQ(c->tools().size(), 12u);
  EXPECT_GE(changes, 1);
}

TEST_F(McpTest, OversizedLineRestartsTheServer) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  auto r = call(c, "huge", Json::object(), 20000);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "mcp server fake sent a message over 8 MiB; restarting");
  ASSERT_TRUE(wait_ready(c));
  EXPECT_EQ(c->restarts(), 1);
  auto next = call(c, "echo", {{"text", "ok"}});
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next->text, "ok");
}

TEST_F(McpTest, StopKillsTheProcess) {
  auto c = start(fake("fake"));
  ASSERT_TRUE(wait_ready(c));
  pid_t pid = c->pid();
  ASSERT_GT(pid, 0);
  std::optional<Result<ToolCallResult>> pending;
  c->call("slow", {{"ms", 5000}}, 20000, [&](Result<ToolCallResult> r) { pending = r; });
  bool done = false;
  c->stop([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }, 10s));
  EXPECT_EQ(c->state(), McpState::kStopped);
  EXPECT_EQ(c->pid(), -1);
  EXPECT_TRUE(pid_gone(pid));
  ASSERT_TRUE(pending.has_value());
  EXPECT_EQ(pending->error().message, "mcp server fake stopped");
  auto after = call(c, "echo", {{"text", "x"}});
  ASSERT_FALSE(after.ok());
  EXPECT_EQ(after.error().message, "mcp server fake is not running");
  bool again = false;
  c->stop([&] { again = true; });  // idempotent
  EXPECT_TRUE(run_until([&] { return again; }, 2s));
}

TEST_F(McpTest, MissingCommandFailsClearly) {
  auto cfg = fake("ghost");
  cfg.command = "no-such-mcp-binary-sc";
  cfg.args.clear();
  auto c = start(cfg);
  ASSERT_TRUE(run_until([&] { return c->state() == McpState::kFailed; }, 5s));
  EXPECT_EQ(c->last_error(),
            "mcp server ghost: cannot run no-such-mcp-binary-sc: No such file or directory");
}

TEST_F(McpTest, ServerEnvIsScrubbedPlusConfigEnv) {
  ::setenv("OPENAI_API_KEY", "sk-should-not-leak", 1);
  auto cfg = fake("envcheck");
  cfg.command = "sh";
  // Prints the env to stderr (kept in stderrTail), then becomes the fake server.
  cfg.args = {"-c", "env >&2; exec python3 \"$0\"", kFakeServer};
  cfg.env = {{"MCP_EXTRA", "present"}};
  auto c = start(cfg);
  ASSERT_TRUE(wait_ready(c));
  ::unsetenv("OPENAI_API_KEY");
  std::string tail = c->status()["stderrTail"].dump();
  EXPECT_TRUE(contains(tail, "MCP_EXTRA=present")) << tail;
  EXPECT_FALSE(contains(tail, "sk-should-not-leak"));
}

TEST_F(McpTest, ManagerNamesRoutesAndApplies) {
  McpManager m(io_, options());
  m.apply({fake("alpha"), fake("beta"), [] {
             auto off = fake("off");
             off.enabled = false;
             return off;
           }()});
  ASSERT_TRUE(run_until([&] {
    auto a = m.client("alpha"), b = m.client("beta");
    return a && b && a->state() == McpState::kReady && b->state() == McpState::kReady;
  }));
  EXPECT_EQ(m.client("off"), nullptr);
  auto specs = m.tool_specs();
  ASSERT_EQ(specs.size(), 22u);
  EXPECT_EQ(specs[0].full_name, "alpha__add");
  bool found = false;
  for (const auto& s : specs)
    if (s.full_name == "beta__echo") {
      found = true;
      EXPECT_EQ(s.server, "beta");
      EXPECT_EQ(s.tool, "echo");
      EXPECT_EQ(s.input_schema["type"], "object");
    }
  EXPECT_TRUE(found);

  auto mcall = [&](std::string name, Json args) {
    std::optional<Result<ToolCallResult>> out;
    m.call(name, std::move(args), 0, [&](Result<ToolCallResult> r) { out = r; });
    EXPECT_FALSE(out.has_value());  // always posted
    EXPECT_TRUE(run_until([&] { return out.has_value(); }));
    return out ? *out : Result<ToolCallResult>(Error::invalid("no answer"));
  };
  auto r = mcall("beta__echo", {{"text", "via manager"}});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text, "via manager");
  auto u = mcall("gamma__echo", {});
  ASSERT_FALSE(u.ok());
  EXPECT_EQ(u.error().message, "unknown MCP tool gamma__echo");
  auto v = mcall("alpha__nope", {});
  ASSERT_FALSE(v.ok());
  EXPECT_TRUE(contains(v.error().message, "unknown MCP tool alpha__nope")) << v.error().message;

  Json st = m.status();
  ASSERT_EQ(st["servers"].size(), 2u);
  EXPECT_EQ(st["servers"][0]["name"], "alpha");

  // Remove beta, change alpha: beta's process ends, alpha is a new process.
  pid_t alpha_pid = m.client("alpha")->pid();
  pid_t beta_pid = m.client("beta")->pid();
  auto alpha2 = fake("alpha", {"--protocol", "2025-03-26"});
  m.apply({alpha2});
  EXPECT_EQ(m.client("beta"), nullptr);
  ASSERT_TRUE(run_until([&] {
    auto a = m.client("alpha");
    return a && a->state() == McpState::kReady && pid_gone(beta_pid) && pid_gone(alpha_pid);
  }));
  EXPECT_EQ(m.client("alpha")->protocol_version(), "2025-03-26");
  // Applying the same config again changes nothing.
  pid_t now_pid = m.client("alpha")->pid();
  m.apply({alpha2});
  EXPECT_EQ(m.client("alpha")->pid(), now_pid);

  bool stopped = false;
  m.stop_all([&] { stopped = true; });
  ASSERT_TRUE(run_until([&] { return stopped; }, 10s));
  EXPECT_TRUE(pid_gone(now_pid));
  EXPECT_TRUE(m.tool_specs().empty());
}

// ---- the reference npm servers (installed by tests/fakes/install_mcp_servers.sh) ----

std::string npm_dir() {
  if (const char* d = std::getenv("SIMPLECLAW_TEST_NPM_DIR"); d && *d) return d;
  if (const char* x = std::getenv("XDG_CACHE_HOME"); x && *x)
    return std::string(x) + "/simpleclaw-test-npm";
  const char* home = std::getenv("HOME");
  return std::string(home ? home : "/root") + "/.cache/simpleclaw-test-npm";
}

std::string npm_server(const std::string& pkg) {
  return npm_dir() + "/node_modules/@modelcontextprotocol/" + pkg + "/dist/index.js";
}

bool have_node() {
  for (const char* p : {"/usr/local/bin/node", "/usr/bin/node", "/bin/node"})
    if (::access(p, X_OK) == 0) return true;
  return false;
}

#define SKIP_WITHOUT_NPM_SERVER(js)                                                \
  do {                                                                             \
    if (!have_node()) GTEST_SKIP() << "node is not installed";                     \
    if (!fs::exists(js))                                                           \
      GTEST_SKIP() << js << " is missing; run tests/fakes/install_mcp_servers.sh"; \
  } while (0)

TEST_F(McpTest, NpmServerFilesystem) {
  std::string js = npm_server("server-filesystem");
  SKIP_WITHOUT_NPM_SERVER(js);
  McpTempDir d;
  std::string root = fs::canonical(d.path).string();
  std::ofstream(root + "/hello.txt") << "hello from simpleclaw\n";
  config::McpServerConfig cfg;
  cfg.name = "fs";
  cfg.command = "node";
  cfg.args = {js, root};
  cfg.timeout_ms = 20000;
  auto c = start(cfg);
  ASSERT_TRUE(wait_ready(c, 60s)) << c->last_error() << " " << c->status().dump();
  ASSERT_NE(c->find_tool("list_directory"), nullptr);
  std::string reader = c->find_tool("read_text_file") ? "read_text_file" : "read_file";
  ASSERT_NE(c->find_tool(reader), nullptr);

  auto r = call(c, reader, {{"path", root + "/hello.txt"}}, 20000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->is_error) << r->text;
  EXPECT_TRUE(contains(r->text, "hello from simpleclaw")) << r->text;

  auto ls = call(c, "list_directory", {{"path", root}}, 20000);
  ASSERT_TRUE(ls.ok()) << ls.error().message;
  EXPECT_TRUE(contains(ls->text, "hello.txt")) << ls->text;

  // Outside the allowed directory: the tool reports an error (the call itself works).
  auto outside = call(c, reader, {{"path", "/etc/hostname"}}, 20000);
  ASSERT_TRUE(outside.ok()) << outside.error().message;
  EXPECT_TRUE(outside->is_error) << outside->text;
}

TEST_F(McpTest, NpmServerEverything) {
  std::string js = npm_server("server-everything");
  SKIP_WITHOUT_NPM_SERVER(js);
  config::McpServerConfig cfg;
  cfg.name = "everything";
  cfg.command = "node";
  cfg.args = {js, "stdio"};
  cfg.timeout_ms = 20000;
  auto c = start(cfg);
  ASSERT_TRUE(wait_ready(c, 60s)) << c->last_error() << " " << c->status().dump();
  const McpTool* echo = c->find_tool("echo");
  ASSERT_NE(echo, nullptr);
  std::string field = echo->input_schema["properties"].contains("message") ? "message" : "text";
  auto r = call(c, "echo", {{field, "hello everything"}}, 20000);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->is_error);
  EXPECT_TRUE(contains(r->text, "hello everything")) << r->text;
}

}  // namespace
