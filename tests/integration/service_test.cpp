// Running the gateway as a systemd service: `simpleclaw gateway install|uninstall` (the
// real binary writing a unit into a temp --unit-dir, checked by the real
// `systemd-analyze verify`), and the gateway's sd_notify protocol against a real
// AF_UNIX datagram socket standing in for systemd (NOTIFY_SOCKET, WATCHDOG_USEC).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>
#include <filesystem>
#include <optional>
#include <regex>

#include "integration/cli_run.h"

namespace sctest {
namespace {

namespace fs = std::filesystem;

bool has_line(const std::string& text, const std::string& line) {
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t end = text.find('\n', pos);
    if (text.compare(pos, end == std::string::npos ? std::string::npos : end - pos, line) == 0)
      return true;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return false;
}

std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (!it->is_directory()) out.push_back(it->path().string());
  return out;
}

std::string exe_path() { return fs::canonical(SIMPLECLAW_BIN).string(); }

// `systemd-analyze [--user] verify <unit>`: nullopt = it ran and found nothing to complain
// about; else its complaint. Sets *skip (with the reason) when it cannot run here.
std::optional<std::string> systemd_verify(const std::string& unit, bool user, const TempDir& tmp,
                                          std::string* skip) {
  const char* candidates[] = {"/usr/bin/systemd-analyze", "/bin/systemd-analyze"};
  std::string bin;
  for (const char* c : candidates)
    if (::access(c, X_OK) == 0) bin = c;
  if (bin.empty()) {
    *skip = "systemd-analyze is not installed (Debian package systemd)";
    return std::nullopt;
  }
  std::string rt = tmp.path() + "/xdg-runtime";
  fs::create_directories(rt);
  std::string out = tmp.path() + "/verify.out";
  pid_t pid = ::fork();
  if (pid == 0) {
    int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    // The user manager needs a runtime dir; offline, any private directory does.
    ::setenv("XDG_RUNTIME_DIR", rt.c_str(), 1);
    ::setenv("SYSTEMD_LOG_COLOR", "0", 1);
    if (user)
      ::execl(bin.c_str(), bin.c_str(), "--user", "verify", unit.c_str(), (char*)nullptr);
    else
      ::execl(bin.c_str(), bin.c_str(), "verify", unit.c_str(), (char*)nullptr);
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string text = read_text(out);
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  if (text.find("Failed to initialize manager") != std::string::npos) {
    *skip = "systemd-analyze cannot start its offline manager here: " + text;
    return std::nullopt;
  }
  // Unknown keys and bad values are warnings with exit code 0: any line naming our unit
  // file is a complaint about it.
  if (code != 0 || text.find(fs::path(unit).filename().string()) != std::string::npos)
    return "exit " + std::to_string(code) + ":\n" + text;
  return std::nullopt;
}

TEST(ServiceInstall, UserUnitRunsThisBinaryWithTheStateDirAndPassesSystemdAnalyze) {
  TempDir t;
  std::string units = t.path() + "/units", state = t.path() + "/state";
  std::string cfg = t.path() + "/config.yaml", ws = t.path() + "/elsewhere/ws";
  // An agent workspace outside the state dir must be writable too.
  write_text(cfg, "agents:\n  list:\n    - id: main\n      workspace: " + ws + "\n");
  auto r = run_simpleclaw(
      {"gateway", "install", "--user", "--unit-dir", units, "--state-dir", state, "--config", cfg},
      t.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::string unit_path = units + "/simpleclaw.service";
  std::string u = read_text(unit_path);
  ASSERT_FALSE(u.empty()) << "no unit at " << unit_path;
  EXPECT_TRUE(
      has_line(u, "ExecStart=" + exe_path() + " gateway --state-dir " + state + " --config " + cfg))
      << u;
  EXPECT_TRUE(has_line(u, "Type=notify")) << u;
  EXPECT_TRUE(has_line(u, "WatchdogSec=30")) << u;
  EXPECT_TRUE(has_line(u, "Restart=on-failure")) << u;
  EXPECT_TRUE(has_line(u, "NoNewPrivileges=yes")) << u;
  EXPECT_TRUE(has_line(u, "ProtectSystem=strict")) << u;
  EXPECT_TRUE(has_line(u, "ReadWritePaths=" + state + " -" + ws)) << u;
  EXPECT_TRUE(has_line(u, "WantedBy=default.target")) << u;
  EXPECT_EQ(u.find("User="), std::string::npos) << u;
  // The state dir exists (ReadWritePaths needs it) and is private.
  struct stat st {};
  ASSERT_EQ(::stat(state.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  // With a custom unit dir nothing is started; the exact commands are printed instead.
  EXPECT_NE(r.out.find("systemctl --user daemon-reload"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("systemctl --user enable --now simpleclaw.socket simpleclaw.service"),
            std::string::npos)
      << r.out;
  // Socket activation: systemd holds the port (the config's, on loopback), so restarts
  // refuse no connection; the service needs the socket.
  std::string socket_path = units + "/simpleclaw.socket";
  std::string sock = read_text(socket_path);
  ASSERT_FALSE(sock.empty()) << "no socket unit at " << socket_path;
  EXPECT_TRUE(has_line(sock, "ListenStream=127.0.0.1:18789")) << sock;
  EXPECT_TRUE(has_line(sock, "WantedBy=sockets.target")) << sock;
  EXPECT_TRUE(has_line(u, "Requires=simpleclaw.socket")) << u;
  EXPECT_TRUE(has_line(u, "TimeoutStopSec=45")) << u;  // above the 30 s drain grace

  std::string skip;
  auto complaint = systemd_verify(unit_path, /*user=*/true, t, &skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  EXPECT_FALSE(complaint) << *complaint << "\n" << u;
  auto socket_complaint = systemd_verify(socket_path, /*user=*/true, t, &skip);
  EXPECT_FALSE(socket_complaint) << *socket_complaint << "\n" << sock;
}

TEST(ServiceInstall, TheSocketUnitListensWhereTheConfigSaysAndTailnetHasNone) {
  TempDir t;
  std::string units = t.path() + "/units", state = t.path() + "/state";
  std::string cfg = t.path() + "/config.yaml";
  write_text(cfg, "gateway:\n  port: 19001\n  bind: all\n");
  auto r = run_simpleclaw(
      {"gateway", "install", "--user", "--unit-dir", units, "--state-dir", state, "--config", cfg},
      t.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_TRUE(has_line(read_text(units + "/simpleclaw.socket"), "ListenStream=0.0.0.0:19001"));
  write_text(cfg, "gateway:\n  bind: tailnet\n  auth: {mode: token, token: abcdefabcdef}\n");
  TempDir t2;
  std::string units2 = t2.path() + "/units";
  r = run_simpleclaw(
      {"gateway", "install", "--user", "--unit-dir", units2, "--state-dir", state, "--config", cfg},
      t2.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_FALSE(fs::exists(units2 + "/simpleclaw.socket"));
  EXPECT_EQ(read_text(units2 + "/simpleclaw.service").find("Requires=simpleclaw.socket"),
            std::string::npos);
  EXPECT_NE(r.out.find("no socket unit"), std::string::npos) << r.out;
}

TEST(ServiceInstall, SystemUnitNamesTheInvokingUserAndPassesSystemdAnalyze) {
  TempDir t;
  std::string units = t.path() + "/units", state = t.path() + "/state";
  auto r = run_simpleclaw({"gateway", "install", "--system", "--unit-dir", units, "--state-dir",
                           state, "--watchdog-sec", "20"},
                          t.path());
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::string unit_path = units + "/simpleclaw.service";
  std::string u = read_text(unit_path);
  passwd* pw = ::getpwuid(::geteuid());
  ASSERT_NE(pw, nullptr);
  EXPECT_TRUE(has_line(u, std::string("User=") + pw->pw_name)) << u;
  EXPECT_TRUE(has_line(u, "ExecStart=" + exe_path() + " gateway --state-dir " + state +
                              " --config " + state + "/config.yaml"))
      << u;
  EXPECT_TRUE(has_line(u, "WatchdogSec=20")) << u;
  EXPECT_TRUE(has_line(u, "ReadWritePaths=" + state)) << u;
  EXPECT_TRUE(has_line(u, "WantedBy=multi-user.target")) << u;
  EXPECT_NE(r.out.find("systemctl daemon-reload"), std::string::npos) << r.out;

  std::string skip;
  auto complaint = systemd_verify(unit_path, /*user=*/false, t, &skip);
  if (!skip.empty()) GTEST_SKIP() << skip;
  EXPECT_FALSE(complaint) << *complaint << "\n" << u;
}

TEST(ServiceInstall, InstallThenUninstallLeavesNothingBehind) {
  TempDir t;
  std::string units = t.path() + "/units";
  fs::create_directories(units + "/default.target.wants");
  auto r = run_simpleclaw(
      {"gateway", "install", "--user", "--unit-dir", units, "--state-dir", t.path() + "/state"},
      t.path());
  ASSERT_EQ(r.code, 0) << r.err;
  // As if someone ran `systemctl --user enable` by hand.
  fs::create_symlink(units + "/simpleclaw.service",
                     units + "/default.target.wants/simpleclaw.service");
  ASSERT_EQ(files_under(units).size(), 3u);  // service, socket, the link
  auto u = run_simpleclaw({"gateway", "uninstall", "--user", "--unit-dir", units}, t.path());
  EXPECT_EQ(u.code, 0) << u.err;
  EXPECT_NE(u.out.find("removed " + units + "/simpleclaw.service"), std::string::npos) << u.out;
  EXPECT_TRUE(files_under(units).empty()) << files_under(units).front();
  // Uninstalling again is not an error: nothing is there.
  auto again = run_simpleclaw({"gateway", "uninstall", "--user", "--unit-dir", units}, t.path());
  EXPECT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.out.find("nothing to remove"), std::string::npos) << again.out;
  // The state dir and its data are kept.
  EXPECT_TRUE(fs::is_directory(t.path() + "/state"));
}

TEST(ServiceInstall, ADifferentExistingUnitIsReplacedOnlyWithForce) {
  TempDir t;
  std::string units = t.path() + "/units", state = t.path() + "/state";
  std::string path = units + "/simpleclaw.service";
  fs::create_directories(units);
  const std::string mine = "[Service]\nExecStart=/opt/my-own/simpleclaw gateway\n";
  write_text(path, mine);
  std::vector<std::string> install{"gateway", "install",     "--user", "--unit-dir",
                                   units,     "--state-dir", state};
  auto r = run_simpleclaw(install, t.path());
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(path), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  EXPECT_EQ(read_text(path), mine) << "the existing unit was touched";
  // A unit we did not write is not removed by uninstall either.
  auto un = run_simpleclaw({"gateway", "uninstall", "--user", "--unit-dir", units}, t.path());
  EXPECT_EQ(un.code, 1);
  EXPECT_NE(un.err.find("--force"), std::string::npos) << un.err;
  EXPECT_EQ(read_text(path), mine);

  auto forced = install;
  forced.push_back("--force");
  r = run_simpleclaw(forced, t.path());
  ASSERT_EQ(r.code, 0) << r.err;
  std::string ours = read_text(path);
  EXPECT_TRUE(has_line(ours, "Type=notify")) << ours;
  // Installing the same unit again is fine without --force (nothing changes).
  r = run_simpleclaw(install, t.path());
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("unchanged"), std::string::npos) << r.out;
  EXPECT_EQ(read_text(path), ours);
  // --user and --system together is a usage error.
  r = run_simpleclaw({"gateway", "install", "--user", "--system", "--unit-dir", units}, t.path());
  EXPECT_EQ(r.code, 2);
}

// ---- sd_notify

// A bound AF_UNIX datagram socket: systemd's end of NOTIFY_SOCKET.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
    socklen_t len = sizeof a;
    if (path[0] == '@') {  // abstract namespace: no file, the name is exactly these bytes
      a.sun_path[0] = '\0';
      len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    }
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0) << std::strerror(errno);
  }
  ~NotifySocket() { ::close(fd_); }
  // The next datagram, or nullopt after timeout_ms.
  std::optional<std::string> recv(int timeout_ms) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return std::nullopt;
    char buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n < 0) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

bool tcp_connects(int port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

TEST(ServiceNotify, ReadyOnlyOnceListeningWatchdogFromTheLoopStoppingOnSigterm) {
  TempDir t;
  std::string sock_path = t.path() + "/notify";
  NotifySocket sock(sock_path);
  StartOptions o;
  o.env = {{"NOTIFY_SOCKET", sock_path}, {"WATCHDOG_USEC", "200000"}};
  o.wait_ready = false;
  START_GATEWAY(gw, o);

  // Everything before READY=1 is not READY; READY=1 comes with the URL in STATUS=.
  std::string ready;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (ready.empty() && std::chrono::steady_clock::now() < deadline) {
    auto m = sock.recv(500);
    if (m && m->find("READY=1") != std::string::npos) ready = *m;
  }
  ASSERT_FALSE(ready.empty()) << "no READY=1 within 15 s\n" << gw->stderr_text();
  std::smatch match;
  ASSERT_TRUE(
      std::regex_search(ready, match, std::regex(R"(STATUS=listening on ws://127\.0\.0\.1:(\d+))")))
      << ready;
  int port = std::stoi(match[1]);
  // At READY the port already answers, and gateway.json is there for clients.
  EXPECT_TRUE(tcp_connects(port)) << "READY=1 before the port answers";
  EXPECT_TRUE(file_exists(gw->state_dir() + "/gateway.json"));
  EXPECT_EQ(http_request(port, "GET", "/health").status == 0, false);

  // WATCHDOG=1 every WATCHDOG_USEC/2 = 100 ms, for as long as it runs.
  int pings = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1000);
  while (std::chrono::steady_clock::now() < until) {
    auto m = sock.recv(200);
    if (m && *m == "WATCHDOG=1") ++pings;
  }
  EXPECT_GE(pings, 4) << "WATCHDOG=1 must keep arriving (about 10 in 1 s)";

  gw->signal(SIGTERM);
  std::string stopping;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (stopping.empty() && std::chrono::steady_clock::now() < deadline) {
    auto m = sock.recv(200);
    if (m && m->find("STOPPING=1") != std::string::npos) stopping = *m;
  }
  EXPECT_FALSE(stopping.empty()) << "no STOPPING=1 after SIGTERM";
  EXPECT_EQ(gw->wait_exit(std::chrono::seconds(10)), 0);
}

TEST(ServiceNotify, NoWatchdogPingsWhenSystemdAsksForNone) {
  TempDir t;
  std::string sock_path = t.path() + "/notify";
  NotifySocket sock(sock_path);
  StartOptions o;
  o.env = {{"NOTIFY_SOCKET", sock_path}};
  START_GATEWAY(gw, o);  // waits for gateway.json, written just before READY=1
  std::vector<std::string> got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  while (std::chrono::steady_clock::now() < until)
    if (auto m = sock.recv(100)) got.push_back(*m);
  ASSERT_FALSE(got.empty());
  EXPECT_NE(got.front().find("READY=1"), std::string::npos) << got.front();
  for (const auto& m : got) EXPECT_EQ(m.find("WATCHDOG=1"), std::string::npos) << m;
}

// systemd may hand out an abstract socket ("@name"), and a WATCHDOG_PID naming another
// process (a wrapper that forked) means the watchdog is not ours to ping.
TEST(ServiceNotify, AbstractSocketGetsReadyAndAWatchdogForAnotherPidIsNotPinged) {
  std::string name = "@simpleclaw-notify-test-" + std::to_string(::getpid());
  NotifySocket sock(name);
  StartOptions o;
  o.env = {{"NOTIFY_SOCKET", name}, {"WATCHDOG_USEC", "200000"}, {"WATCHDOG_PID", "1"}};
  START_GATEWAY(gw, o);
  std::vector<std::string> got;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  while (std::chrono::steady_clock::now() < until)
    if (auto m = sock.recv(100)) got.push_back(*m);
  ASSERT_FALSE(got.empty()) << "nothing arrived on the abstract socket";
  EXPECT_NE(got.front().find("READY=1"), std::string::npos) << got.front();
  for (const auto& m : got) EXPECT_EQ(m.find("WATCHDOG=1"), std::string::npos) << m;
}

}  // namespace
}  // namespace sctest
