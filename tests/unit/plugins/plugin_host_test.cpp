// PluginHost end to end with real processes: the example plugins (examples/plugins:
// dice-tool through the ToolProvider, echo-channel through PluginChannel and a recording
// host) and small fake plugins written by each test into a temp dir (crash at start,
// hang, flood, garbage, stubborn on shutdown). Timers are short (ping every 200 ms,
// backoff from 100 ms) so each test takes a few seconds at most.
#include "plugins/plugin_host.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "unit/channels/recording_host.h"
#include "unit/plugins/plugin_fixture.h"
#include "unit/tools/test_util.h"

namespace simpleclaw::plugins {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
using namespace std::chrono_literals;
using tools::test_util::TempDir;

const std::string kExamples = std::string(SIMPLECLAW_SOURCE_DIR) + "/examples/plugins";

// A fake plugin; its behaviour is its first argument.
const char* kFake = R"PY(
import json, signal, sys
mode = sys.argv[1]
if mode == "crash":
    sys.stderr.write("boom: cannot start\n")
    sys.exit(3)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
def reply(mid, result):
    sys.stdout.write(json.dumps({"jsonrpc": "2.0", "id": mid, "result": result}) + "\n")
    sys.stdout.flush()
for line in sys.stdin:
    msg = json.loads(line)
    m, mid = msg.get("method"), msg.get("id")
    if m == "initialize":
        reply(mid, {"name": "fake", "version": "9.9", "capabilities": {}})
        if mode == "flood":
            chunk = json.dumps({"jsonrpc": "2.0", "method": "log",
                                "params": {"level": "debug", "message": "x" * 8000}}) + "\n"
            while True:
                sys.stdout.write(chunk)
        if mode == "garbage":
            for i in range(50):
                sys.stdout.write("this is not json %d\n" % i)
            sys.stdout.flush()
    elif m == "tools/list":
        reply(mid, {"tools": [{"name": "t", "description": "a tool"}]})
    elif m == "ping":
        if mode != "hang":
            reply(mid, {})
    elif m == "tools/call":
        reply(mid, {"content": [{"type": "text", "text": "ok from " + mode}]})
    elif m == "shutdown":
        if mode == "stubborn":
            continue
        reply(mid, {})
        sys.exit(0)
if mode == "stubborn":  # not even stdin's EOF ends it: only SIGKILL does
    import time
    while True:
        time.sleep(1)
)PY";

PluginHostOptions fast() {
  PluginHostOptions o = PluginFixture::quick_options();
  o.ping_interval = 200ms;  // hangs are found within a second
  o.ping_timeout = 400ms;
  o.call_timeout = 5000ms;
  o.max_bytes_per_sec = 256 * 1024;
  o.max_bad_lines = 5;
  return o;
}

bool process_gone(int pid) { return pid <= 0 || (::kill(pid, 0) != 0 && errno == ESRCH); }

// A blocking HTTP/1.0 exchange with the echo plugin's control port (another process, so
// blocking the test thread is harmless).
std::string http(int port, const std::string& method, const std::string& path,
                 const std::string& body = "") {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return {};
  }
  std::string req = method + " " + path + " HTTP/1.0\r\nContent-Type: application/json\r\n" +
                    "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  (void)!::write(fd, req.data(), req.size());
  std::string resp;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) resp.append(buf, static_cast<std::size_t>(n));
  ::close(fd);
  auto p = resp.find("\r\n\r\n");
  return p == std::string::npos ? std::string() : resp.substr(p + 4);
}

Json state_of(int port) {
  Json j = Json::parse(http(port, "GET", "/state"), nullptr, false);
  return j.is_discarded() ? Json::object() : j;
}

class PluginHostTest : public PluginFixture {
 protected:
  PluginHostTest() : PluginFixture("sc-plugin-host") {}

  // Writes a fake plugin <name> with the given mode into <tmp>/fakes/<name>/.
  void fake(const std::string& name, const std::string& mode, const std::string& kind = "tool") {
    fs::path d = fs::path(dir_.path) / "fakes" / name;
    fs::create_directories(d);
    std::ofstream(d / "fake.py") << kFake;
    std::ofstream(d / "plugin.yaml") << "name: " << name << "\nversion: 0.0.1\nkind: " << kind
                                     << "\ncommand: python3\nargs: [fake.py, " << mode << "]\n";
  }

  PluginHost& host(const Json& plugins, const Json& channels = Json::object()) {
    host_ = std::make_unique<PluginHost>(io_, dir_.path + "/state", fast());
    problems_ = host_->configure(plugins, channels);
    return *host_;
  }

  Json entry(const std::string& name) {
    Json list = host_->list_json();
    for (const auto& p : list["plugins"])
      if (p["name"] == name) return p;
    return Json();
  }
  std::string state(const std::string& name) { return entry(name).value("state", ""); }

  // One fake plugin (fake.py <mode>) under a started host, running: its pid, or 0 when it
  // never reached `running`.
  int start_running(const std::string& name, const std::string& mode) {
    fake(name, mode);
    host(Json{{"dirs", {dir_.path + "/fakes"}}}).start();
    if (!run_until([&] { return state(name) == "running"; })) return 0;
    return entry(name)["pid"].get<int>();
  }
};

TEST_F(PluginHostTest, ToolPluginListedAndCalledThroughToolProvider) {
  auto& h = host(
      Json{{"dirs", {kExamples}}, {"entries", {{"dice-tool", {{"config", {{"max_sides", 10}}}}}}}});
  EXPECT_TRUE(problems_.empty()) << problems_.front();
  h.start();
  ASSERT_TRUE(run_until([&] { return state("dice-tool") == "running"; })) << entry("dice-tool");
  Json e = entry("dice-tool");
  EXPECT_EQ(e["kind"], "tool");
  EXPECT_EQ(e["version"], "1.0.0");
  EXPECT_GT(e["pid"].get<int>(), 0);
  EXPECT_EQ(e["path"], kExamples + "/dice-tool/plugin.yaml");
  EXPECT_EQ(e["restarts"], 0);

  tools::ToolProvider* tp = h.tool_provider();
  std::vector<std::string> names;
  for (const auto& s : tp->specs()) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"dice-tool__roll", "dice-tool__upper"}));
  EXPECT_TRUE(tp->handles("dice-tool__upper"));
  EXPECT_FALSE(tp->handles("dice-tool__nope"));
  EXPECT_FALSE(tp->handles("echo-channel__upper"));  // a channel plugin has no tools

  auto call = [&](const std::string& n, Json args) {
    std::optional<tools::ToolOutcome> out;
    auto task = tp->start({}, n, args, [&](tools::ToolOutcome o) { out = std::move(o); });
    EXPECT_FALSE(out.has_value());  // never inline
    EXPECT_TRUE(run_until([&] { return out.has_value(); }));
    return out.value_or(tools::ToolOutcome{"no answer", true});
  };
  auto up = call("dice-tool__upper", Json{{"text", "hello plugin"}});
  EXPECT_FALSE(up.is_error);
  EXPECT_EQ(up.text, "HELLO PLUGIN");
  auto roll = call("dice-tool__roll", Json{{"sides", 6}, {"count", 3}});
  ASSERT_FALSE(roll.is_error) << roll.text;
  int rolls = 0;
  std::istringstream in(roll.text);
  for (int v; in >> v; ++rolls) EXPECT_TRUE(v >= 1 && v <= 6) << roll.text;
  EXPECT_EQ(rolls, 3);
  // The plugin's config reached it: max_sides 10.
  auto big = call("dice-tool__roll", Json{{"sides", 20}});
  EXPECT_TRUE(big.is_error);
  EXPECT_NE(big.text.find("2..10"), std::string::npos) << big.text;
}

TEST_F(PluginHostTest, ConfigCheckedAgainstManifestSchema) {
  auto& h = host(
      Json{{"dirs", {kExamples}},
           {"entries", {{"dice-tool", {{"config", {{"max_sides", "lots"}}}}}}}},
      Json{{"echo-channel", {{"accounts", {{"main", {{"port", "abc"}, {"allow_from", {"*"}}}}}}}}});
  ASSERT_EQ(problems_.size(), 2u);
  std::string all = problems_[0] + "\n" + problems_[1];
  EXPECT_NE(all.find("plugins.entries.dice-tool.config: /max_sides"), std::string::npos) << all;
  EXPECT_NE(all.find("channels.echo-channel.accounts.main: /port"), std::string::npos) << all;
  EXPECT_NE(all.find(kExamples + "/dice-tool/plugin.yaml"), std::string::npos) << all;
  h.start();
  run_for(300ms);
  Json dice = entry("dice-tool");
  EXPECT_EQ(dice["state"], "failed");
  EXPECT_NE(dice.value("lastError", "").find("/max_sides"), std::string::npos);
  EXPECT_FALSE(dice.contains("pid"));
  EXPECT_EQ(state("echo-channel"), "failed");
  {  // Its accounts report the config error instead of waiting for a process.
    testing::RecordingHost rh(io_, "echo-channel", Json::object(), dir_.path + "/ch", "main");
    auto ch = h.channel_factory("echo-channel")(rh);
    ch->start();
    ASSERT_TRUE(run_until([&] { return !rh.errors_.empty(); }));
    EXPECT_NE(rh.errors_[0].find("channels.echo-channel.accounts.main: /port"), std::string::npos)
        << rh.errors_[0];
    ch->stop();
  }

  // Fixed by a config reload: the plugin starts; a disabled one does not.
  problems_ = h.configure(Json{{"dirs", {kExamples}},
                               {"entries",
                                {{"dice-tool", {{"config", {{"max_sides", 50}}}}},
                                 {"echo-channel", {{"enabled", false}}}}}},
                          Json::object());
  EXPECT_TRUE(problems_.empty());
  EXPECT_TRUE(run_until([&] { return state("dice-tool") == "running"; }));
  EXPECT_EQ(state("echo-channel"), "disabled");
  // A plugin that never ran does not hold up the host's stop.
  bool stopped = false;
  h.stop([&] { stopped = true; });
  EXPECT_TRUE(run_until([&] { return stopped; }, 5s));
  EXPECT_EQ(state("echo-channel"), "disabled");
}

// A RecordingHost that keeps `handled` until the test releases it (the manager calls it
// only once the message is in the transcript).
class HoldingHost : public testing::RecordingHost {
 public:
  using RecordingHost::RecordingHost;
  void inbound(sdk::InboundMessage m, std::function<void()> handled) override {
    inbound_.push_back(std::move(m));
    held_.push_back(std::move(handled));
  }
  std::vector<std::function<void()>> held_;
};

int read_port(const std::string& file) {
  std::ifstream f(file);
  int p = 0;
  f >> p;
  return p;
}

TEST_F(PluginHostTest, EchoChannelThroughPluginChannel) {
  std::string pa = dir_.path + "/a.port", pb = dir_.path + "/b.port";
  Json account_a{{"port_file", pa}, {"bot_name", "echo-a"}, {"allow_from", {"*"}}};
  Json account_b{{"port_file", pb}, {"bot_name", "echo-b"}};
  Json channels{{"echo-channel", {{"accounts", {{"a", account_a}, {"b", account_b}}}}}};
  auto& h = host(Json{{"dirs", {kExamples}}}, channels);
  ASSERT_TRUE(problems_.empty()) << problems_.front();
  EXPECT_EQ(h.channel_names(), std::vector<std::string>{"echo-channel"});
  EXPECT_EQ(h.channel_factory("dice-tool"), nullptr);
  auto factory = h.channel_factory("echo-channel");
  ASSERT_TRUE(factory);
  h.start();

  HoldingHost ha(io_, "echo-channel", account_a, dir_.path + "/ch/a", "a");
  HoldingHost hb(io_, "echo-channel", account_b, dir_.path + "/ch/b", "b");
  auto ca = factory(ha);
  auto cb = factory(hb);
  ca->start();  // the process may still be starting: channel/start follows when it runs
  cb->start();
  ASSERT_TRUE(run_until([&] { return ha.is_connected_ && hb.is_connected_; }))
      << entry("echo-channel");
  EXPECT_NE(ha.connected_detail_.find("echo-a on 127.0.0.1:"), std::string::npos);
  EXPECT_EQ(ca->max_text(), 2000u);  // from the plugin's capabilities
  EXPECT_TRUE(ca->supports_buttons());
  EXPECT_EQ(entry("echo-channel")["accounts"], (Json{"a", "b"}));
  int port = read_port(pa);
  ASSERT_GT(port, 0);

  // Inbound: reaches the host; the plugin gets its answer only after `handled`.
  std::string r = http(port, "POST", "/inbound",
                       R"({"senderId":"u42","senderName":"Ann","chatId":"g1","group":true,)"
                       R"("threadId":"t9","text":"hi bot","mentioned":true,"messageId":"m-1"})");
  ASSERT_NE(r.find("m-1"), std::string::npos) << r;
  ASSERT_TRUE(run_until([&] { return ha.inbound_.size() == 1; }));
  const auto& m = ha.inbound_[0];
  EXPECT_EQ(m.message_id, "m-1");
  EXPECT_EQ(m.sender_id, "u42");
  EXPECT_EQ(m.sender_name, "Ann");
  EXPECT_EQ(m.peer.chat_id, "g1");
  EXPECT_TRUE(m.peer.group);
  EXPECT_EQ(m.peer.thread_id, "t9");
  EXPECT_EQ(m.text, "hi bot");
  EXPECT_TRUE(m.mentioned);
  EXPECT_TRUE(hb.inbound_.empty());  // routed by accountId
  run_for(300ms);
  Json st = state_of(port);
  EXPECT_EQ(st["pending"], Json{"m-1"});
  EXPECT_EQ(st["acked"], Json::array());
  ASSERT_EQ(ha.held_.size(), 1u);
  ha.held_[0]();
  bool acked = false;
  for (int i = 0; i < 100 && !acked; ++i) {
    run_for(20ms);
    acked = state_of(port)["acked"] == Json{"m-1"};
  }
  EXPECT_TRUE(acked) << state_of(port);

  // Send: the plugin got it, with buttons and the thread.
  std::optional<Status> sent;
  sdk::OutboundMessage out{{"g1", true, "t9"}, "hello there", {{"Approve", "ok:1"}}, "m-1"};
  ca->send(out, [&](Status s) { sent = s; });
  ASSERT_TRUE(run_until([&] { return sent.has_value(); }));
  EXPECT_TRUE(sent->ok());
  st = state_of(port);
  ASSERT_EQ(st["sent"].size(), 1u) << st;
  EXPECT_EQ(st["sent"][0]["text"], "hello there");
  EXPECT_EQ(st["sent"][0]["peer"], (Json{{"chatId", "g1"}, {"group", true}, {"threadId", "t9"}}));
  EXPECT_EQ(st["sent"][0]["buttons"][0]["data"], "ok:1");
  EXPECT_EQ(st["sent"][0]["replyTo"], "m-1");
  EXPECT_EQ(st["sent"][0]["accountId"], "a");

  // The process dies: every account reports disconnected; stop()/start() reconnects.
  int pid = entry("echo-channel")["pid"].get<int>();
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(run_until([&] { return !ha.is_connected_ && !hb.is_connected_; }));
  EXPECT_EQ(ha.errors_.size(), 1u);
  EXPECT_NE(ha.errors_.at(0).find("plugin echo-channel exited (signal 9)"), std::string::npos);
  ca->stop();
  cb->stop();
  ca->start();
  ASSERT_TRUE(run_until([&] { return ha.is_connected_; }));
  EXPECT_EQ(ha.connects_, 2);
  EXPECT_EQ(entry("echo-channel")["restarts"], 1);
  ca->stop();
}

TEST_F(PluginHostTest, CrashAtStartBacksOffWithRestartsCounted) {
  fake("crasher", "crash");
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}});
  h.start();
  ASSERT_TRUE(run_until([&] { return entry("crasher").value("restarts", 0) >= 2; }))
      << entry("crasher");
  Json e = entry("crasher");
  EXPECT_NE(e.value("lastError", "").find("plugin crasher exited (code 3)"), std::string::npos)
      << e;
  EXPECT_TRUE(e["state"] == "backoff" || e["state"] == "starting") << e;
}

TEST_F(PluginHostTest, KilledPluginIsRestarted) {
  int pid = start_running("victim", "ok");
  ASSERT_GT(pid, 0) << entry("victim");
  ::kill(pid, SIGKILL);
  ASSERT_TRUE(run_until(
      [&] { return state("victim") == "running" && entry("victim").value("pid", 0) != pid; }));
  Json e = entry("victim");
  EXPECT_EQ(e["restarts"], 1);
  EXPECT_NE(e.value("lastError", "").find("signal 9"), std::string::npos) << e;
  EXPECT_EQ(e["version"], "9.9");  // from initialize, not the manifest's 0.0.1
}

TEST_F(PluginHostTest, HungPluginKilledAndRestarted) {
  int pid = start_running("sleepy", "hang");
  ASSERT_GT(pid, 0) << entry("sleepy");
  ASSERT_TRUE(run_until([&] { return entry("sleepy").value("restarts", 0) >= 1; }))
      << entry("sleepy");
  EXPECT_NE(entry("sleepy").value("lastError", "").find("did not answer ping within 400 ms (hung)"),
            std::string::npos)
      << entry("sleepy");
  EXPECT_TRUE(run_until([&] { return process_gone(pid); }, 2s));
}

TEST_F(PluginHostTest, StdoutFloodKilledWithReason) {
  fake("chatty", "flood");
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}});
  h.start();
  ASSERT_TRUE(run_until([&] {
    return entry("chatty").value("lastError", "").find("flooded stdout") != std::string::npos;
  })) << entry("chatty");
}

TEST_F(PluginHostTest, GarbageKilledAfterNOthersUnaffected) {
  fake("noisy", "garbage");
  fake("calm", "ok");
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}});
  h.start();
  ASSERT_TRUE(run_until([&] { return state("calm") == "running"; }));
  int calm_pid = entry("calm")["pid"].get<int>();
  ASSERT_TRUE(run_until([&] { return entry("noisy").value("restarts", 0) >= 2; }))
      << entry("noisy");
  EXPECT_NE(entry("noisy").value("lastError", "").find("wrote 5 non-JSON lines in a row"),
            std::string::npos)
      << entry("noisy");
  Json calm = entry("calm");
  EXPECT_EQ(calm["state"], "running");
  EXPECT_EQ(calm["restarts"], 0);
  EXPECT_EQ(calm["pid"], calm_pid);
  EXPECT_FALSE(calm.contains("lastError"));
  std::optional<tools::ToolOutcome> out;
  auto task = h.tool_provider()->start({}, "calm__t", Json::object(),
                                       [&](tools::ToolOutcome o) { out = std::move(o); });
  ASSERT_TRUE(run_until([&] { return out.has_value(); }));
  EXPECT_EQ(out->text, "ok from ok");
}

TEST_F(PluginHostTest, StopTerminatesEverythingWithinTheGrace) {
  fake("polite", "ok");
  fake("stubborn", "stubborn");
  fake("crasher", "crash");
  auto& h = host(Json{{"dirs", {dir_.path + "/fakes"}}});
  h.start();
  ASSERT_TRUE(
      run_until([&] { return state("polite") == "running" && state("stubborn") == "running"; }));
  int p1 = entry("polite")["pid"].get<int>(), p2 = entry("stubborn")["pid"].get<int>();
  bool done = false;
  auto t0 = std::chrono::steady_clock::now();
  h.stop([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }, 5s));
  auto took = std::chrono::steady_clock::now() - t0;
  // stubborn ignores shutdown, stdin EOF and SIGTERM: shutdown_timeout (300 ms) +
  // stop_grace (500 ms), then SIGKILL.
  EXPECT_GE(took, 750ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_TRUE(process_gone(p1));
  EXPECT_TRUE(process_gone(p2));
  for (const char* n : {"polite", "stubborn", "crasher"}) EXPECT_EQ(state(n), "stopped") << n;
  EXPECT_FALSE(entry("polite").contains("pid"));
}

TEST_F(PluginHostTest, RemovedFromConfigIsStopped) {
  int pid = start_running("alpha", "ok");
  ASSERT_GT(pid, 0) << entry("alpha");
  host_->configure(
      Json{{"dirs", {dir_.path + "/fakes"}}, {"entries", {{"alpha", {{"enabled", false}}}}}},
      Json::object());
  EXPECT_EQ(state("alpha"), "disabled");
  EXPECT_TRUE(run_until([&] { return process_gone(pid); }, 3s));
  host_->configure(Json::object(), Json::object());  // dir no longer listed
  EXPECT_TRUE(entry("alpha").is_null());
}

// A plugin removed by a reload is still stopping when the gateway shuts down: the host's
// stop() waits for its process too, instead of leaving it behind.
TEST_F(PluginHostTest, StopWaitsForAPluginRemovedByAReloadThatIsStillStopping) {
  int pid = start_running("lingerer", "ok");
  ASSERT_GT(pid, 0) << entry("lingerer");
  host_->configure(Json::object(), Json::object());
  ASSERT_TRUE(entry("lingerer").is_null());
  ASSERT_FALSE(process_gone(pid));  // nothing ran since: the stop has only begun
  bool done = false;
  host_->stop([&] { done = true; });
  ASSERT_TRUE(run_until([&] { return done; }));
  EXPECT_TRUE(process_gone(pid));
}

}  // namespace
}  // namespace simpleclaw::plugins
