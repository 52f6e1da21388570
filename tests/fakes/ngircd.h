// A real IRC server for tests: ngircd (/usr/sbin/ngircd) started on a free 127.0.0.1
// port with a temp config (optionally a TLS port with a generated self-signed
// certificate), killed and started again on the same port on demand; and IrcClient, a
// small raw-socket IRC client playing the human (NICK/USER, JOIN, PRIVMSG, answers PING,
// records every line and every PRIVMSG). Shared by the IRC connector's unit test and the
// IRC end-to-end test.
//
// For tests only: header-only, plain POSIX (no event loop), every wait bounded by a
// timeout. Children are killed (SIGKILL) and reaped on destruction; on Linux they also
// die with the test process (PR_SET_PDEATHSIG). Single-threaded use.
#pragma once
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/loopback_socket.h"

namespace fakes {

// --- sockets and processes ----------------------------------------------------------------

// Polls until something accepts connections on 127.0.0.1:port.
inline bool wait_port(int port, int timeout_ms = 5000) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    int fd = connect_tcp(port);
    if (fd >= 0) {
      close(fd);
      return true;
    }
    usleep(5000);
  }
  return false;
}

inline std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// A child process: stdout to a pipe (capture: read_line()) or to a log file, stderr to
// the log file; killed and reaped on destruction.
class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { kill(SIGKILL); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool spawn(const std::vector<std::string>& args, const std::string& log, bool capture) {
    kill(SIGKILL);
    int p[2] = {-1, -1};
    if (capture && pipe(p) != 0) return false;
    // Everything the child needs is prepared before fork(): only async-signal-safe
    // calls happen in it (the test process may have threads).
    std::vector<std::string> copy = args;
    std::vector<char*> argv;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    pid_t parent = getpid();
    pid_ = fork();
    if (pid_ == 0) {
#ifdef __linux__
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (getppid() != parent) _exit(127);
#endif
      int lf = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
      int devnull = open("/dev/null", O_RDONLY);
      if (devnull >= 0) dup2(devnull, 0);
      if (capture) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
      } else if (lf >= 0) {
        dup2(lf, 1);
      }
      if (lf >= 0) dup2(lf, 2);
      execv(argv[0], argv.data());
      _exit(127);
    }
    (void)parent;
    if (capture) {
      close(p[1]);
      out_fd_ = p[0];
      if (pid_ < 0) close(out_fd_), out_fd_ = -1;
    }
    return pid_ > 0;
  }

  // One line of the child's stdout (capture mode), "" on timeout or EOF.
  std::string read_line(int timeout_ms = 5000) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (out_fd_ >= 0 && std::chrono::steady_clock::now() < deadline) {
      pollfd pfd{out_fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 50) <= 0) continue;
      char c;
      if (read(out_fd_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line += c;
    }
    return line;
  }

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

  // Signals the child and reaps it (waits for it to exit).
  void kill(int sig) {
    if (pid_ > 0) {
      ::kill(pid_, sig);
      int st;
      while (waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
      }
      pid_ = -1;
    }
    if (out_fd_ >= 0) close(out_fd_);
    out_fd_ = -1;
  }

 private:
  pid_t pid_ = -1;
  int out_fd_ = -1;
};

// --- ngircd ------------------------------------------------------------------------------

class Ngircd {
 public:
  static constexpr const char* kBinary = "/usr/sbin/ngircd";
  static bool installed() { return access(kBinary, X_OK) == 0; }

  // Picks the port(s) and a temp dir for the config, pid file and log; nothing runs yet.
  explicit Ngircd(bool tls = false) : tls_(tls) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "sc_ngircd_XXXXXX").string();
    if (char* d = mkdtemp(tmpl.data())) dir_ = d;
    port_ = free_port();
    if (tls_) tls_port_ = free_port();
  }
  ~Ngircd() {
    child_.kill(SIGKILL);
    if (!dir_.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
  }
  Ngircd(const Ngircd&) = delete;
  Ngircd& operator=(const Ngircd&) = delete;

  // Writes the config (and, for TLS, a certificate for localhost/127.0.0.1: cert_file()
  // is then also the CA a client trusts), checks it with --configtest once, starts the
  // server and waits until its port(s) accept. Again after kill(): the same port(s).
  // false with error() set on failure.
  bool start() {
    error_.clear();
    if (dir_.empty() || port_ == 0 || (tls_ && tls_port_ == 0)) return fail("no temp dir or port");
    if (!configured_) {
      if (tls_) {
        std::string cmd =
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
            "-nodes -days 2 -subj /CN=localhost "
            "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 -keyout " +
            dir_ + "/key.pem -out " + cert_file() + " >/dev/null 2>&1";
        if (std::system(cmd.c_str()) != 0) return fail("openssl could not make a certificate");
      }
      std::ofstream conf(config_file());
      conf << "[Global]\nName = irc.test\nInfo = simpleclaw test\nListen = 127.0.0.1\n"
           << "Ports = " << port_ << "\nPidFile = " << dir_ << "/ngircd.pid\nMotdPhrase = hi\n"
           << "[Limits]\nMaxConnectionsIP = 0\nMaxNickLength = 30\nMaxPenaltyTime = 0\n"
           << "PingTimeout = 300\nPongTimeout = 60\nMaxJoins = 0\n"
           << "[Options]\nPAM = no\nIdent = no\nDNS = no\n";
      if (tls_)
        conf << "[SSL]\nCertFile = " << cert_file() << "\nKeyFile = " << dir_
             << "/key.pem\nPorts = " << tls_port_ << "\n";
      conf.close();
      std::string check = std::string(kBinary) + " --configtest -f " + config_file() + " >" + dir_ +
                          "/configtest.log 2>&1";
      if (std::system(check.c_str()) != 0)
        return fail("configtest: " + read_text_file(dir_ + "/configtest.log"));
      configured_ = true;
    }
    if (!child_.spawn({kBinary, "-n", "-f", config_file()}, log_file(), false))
      return fail("cannot spawn ngircd");
    if (!wait_port(port_) || (tls_ && !wait_port(tls_port_)))
      return fail("ngircd does not listen: " + log());
    return true;
  }

  // Kills the server (SIGKILL: every client connection drops at once) and reaps it.
  void kill(int sig = SIGKILL) { child_.kill(sig); }
  bool running() const { return child_.running(); }

  int port() const { return port_; }
  int tls_port() const { return tls_port_; }
  const std::string& dir() const { return dir_; }
  std::string cert_file() const { return dir_ + "/cert.pem"; }
  std::string config_file() const { return dir_ + "/ngircd.conf"; }
  std::string log_file() const { return dir_ + "/ngircd.log"; }
  std::string log() const { return read_text_file(log_file()); }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }

  bool tls_ = false;
  bool configured_ = false;
  std::string dir_, error_;
  int port_ = 0, tls_port_ = 0;
  ChildProcess child_;
};

// --- the human on IRC ------------------------------------------------------------------

// One IRC line split the RFC 1459 way (tags skipped): enough for a test client.
struct IrcLine {
  std::string prefix, command;
  std::vector<std::string> params;
  std::string param(std::size_t i) const { return i < params.size() ? params[i] : std::string(); }
  std::string nick() const { return prefix.substr(0, prefix.find_first_of("!@")); }
};

inline IrcLine parse_irc_line(std::string_view s) {
  IrcLine m;
  auto word = [&s] {
    std::size_t sp = s.find(' ');
    std::string w(s.substr(0, sp));
    s = sp == std::string_view::npos ? std::string_view{} : s.substr(sp + 1);
    while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
    return w;
  };
  if (!s.empty() && s.front() == '@') word();
  if (!s.empty() && s.front() == ':') m.prefix = word().substr(1);
  m.command = word();
  while (!s.empty()) {
    if (s.front() == ':') {
      m.params.emplace_back(s.substr(1));
      break;
    }
    m.params.push_back(word());
  }
  return m;
}

// A raw-socket IRC user. poll() reads what has arrived without blocking (answering the
// server's PINGs); wait_for() polls until a predicate holds.
class IrcClient {
 public:
  struct Privmsg {
    std::chrono::steady_clock::time_point at;
    std::string raw;  // the whole line as received, without CRLF
    std::string from, target, text;
  };

  IrcClient() = default;
  ~IrcClient() { close_socket(); }
  IrcClient(const IrcClient&) = delete;
  IrcClient& operator=(const IrcClient&) = delete;

  // Connects and sends NICK/USER (registration completes asynchronously: wait for " 001 ").
  bool connect(int port, const std::string& nick) {
    close_socket();
    buf_.clear();
    fd_ = connect_tcp(port);
    if (fd_ < 0) return false;
    fcntl(fd_, F_SETFL, fcntl(fd_, F_GETFL) | O_NONBLOCK);
    nick_ = nick;
    send("NICK " + nick);
    send("USER " + nick + " 0 * :test user");
    return true;
  }
  // connect + wait for the welcome (001).
  bool register_as(int port, const std::string& nick, int timeout_ms = 5000) {
    std::size_t from = lines.size();
    return connect(port, nick) && wait_for([&] { return saw(" 001 ", from); }, timeout_ms);
  }
  // JOIN + wait for the end of NAMES (366): joined.
  bool join(const std::string& channel, int timeout_ms = 5000) {
    std::size_t from = lines.size();
    send("JOIN " + channel);
    return wait_for([&] { return saw(" 366 ", from); }, timeout_ms);
  }
  void privmsg(const std::string& target, const std::string& text) {
    send("PRIVMSG " + target + " :" + text);
  }

  bool connected() const { return fd_ >= 0; }
  void close_socket() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  void send(const std::string& line) {
    std::string s = line + "\r\n";
    std::size_t off = 0;
    while (fd_ >= 0 && off < s.size()) {
      ssize_t n = ::send(fd_, s.data() + off, s.size() - off, MSG_NOSIGNAL);
      if (n > 0)
        off += static_cast<std::size_t>(n);
      else if (n < 0 && (errno == EAGAIN || errno == EINTR))
        usleep(1000);
      else
        break;
    }
  }

  // Reads everything available now. false once the server closed the connection.
  bool poll() {
    char buf[4096];
    bool open = fd_ >= 0;
    while (fd_ >= 0) {
      ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n > 0) {
        buf_.append(buf, static_cast<std::size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        close_socket();
        open = false;
      }
      break;
    }
    std::size_t nl;
    while ((nl = buf_.find('\n')) != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
      IrcLine m = parse_irc_line(line);
      if (m.command == "PING") send("PONG :" + m.param(0));
      if (m.command == "PRIVMSG")
        privmsgs.push_back(
            {std::chrono::steady_clock::now(), line, m.nick(), m.param(0), m.param(1)});
    }
    return open;
  }

  // Polls (waiting for the socket up to 20 ms at a time) until pred() or the timeout.
  bool wait_for(const std::function<bool()>& pred, int timeout_ms = 5000) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      poll();
      if (pred()) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      if (fd_ >= 0) {
        pollfd p{fd_, POLLIN, 0};
        ::poll(&p, 1, 20);
      } else {
        usleep(20000);
      }
    }
  }

  // Some line received (from index `from` on) contains `needle`.
  bool saw(const std::string& needle, std::size_t from = 0) const {
    for (std::size_t i = from; i < lines.size(); ++i)
      if (lines[i].find(needle) != std::string::npos) return true;
    return false;
  }
  // The PRIVMSGs from `nick` (to `target` when given), from index `from` on.
  std::vector<Privmsg> from(const std::string& nick, const std::string& target = {},
                            std::size_t from = 0) const {
    std::vector<Privmsg> out;
    for (std::size_t i = from; i < privmsgs.size(); ++i)
      if (privmsgs[i].from == nick && (target.empty() || privmsgs[i].target == target))
        out.push_back(privmsgs[i]);
    return out;
  }

  const std::string& nick() const { return nick_; }

  std::vector<std::string> lines;  // every line received, without CRLF
  std::vector<Privmsg> privmsgs;   // every PRIVMSG received

 private:
  int fd_ = -1;
  std::string nick_, buf_;
};

}  // namespace fakes
