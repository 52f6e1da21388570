// Process and run_collect (see subprocess.h). A Process is three optional pipes wrapped in
// asio stream descriptors plus a pidfd wrapped the same way; every completion handler
// holds a shared_ptr to the Process, and maybe_finish() is the one place that decides that
// all three ends (stdout EOF, stderr EOF, reaped) are in and posts on_exit.
#include "proc/subprocess.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <deque>
#include <optional>

#include "base/fs.h"
#include "base/log.h"

extern char** environ;

namespace simpleclaw::proc {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

constexpr std::size_t kReadChunk = 64 * 1024;
constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Closes an fd on scope exit unless released.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.release()) {}
  Fd& operator=(Fd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

// Moves an fd to >= 3 (keeping O_CLOEXEC) so the dup2 onto 0/1/2 in the child never
// clobbers another of the pipe ends when the gateway runs with a standard fd closed.
bool lift_fd(Fd& fd) {
  if (fd.get() >= 3) return true;
  int n = ::fcntl(fd.get(), F_DUPFD_CLOEXEC, 3);
  if (n < 0) return false;
  fd.reset(n);
  return true;
}

// pipe2(O_CLOEXEC) with both ends >= 3; the parent's end (`nonblock_read` ? read : write)
// is made non-blocking, the child's stays blocking.
bool make_pipe(Fd& rd, Fd& wr, bool parent_reads) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return false;
  rd.reset(p[0]);
  wr.reset(p[1]);
  if (!lift_fd(rd) || !lift_fd(wr)) return false;
  int parent = parent_reads ? rd.get() : wr.get();
  int flags = ::fcntl(parent, F_GETFL);
  return flags >= 0 && ::fcntl(parent, F_SETFL, flags | O_NONBLOCK) == 0;
}

std::string errno_text(int err) { return std::strerror(err); }

bool is_executable_file(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(path.c_str(), X_OK) == 0;
}

// argv[0] resolved against the PATH in `env` (the child's), like execvp would.
std::optional<std::string> resolve_binary(const std::string& name,
                                          const std::vector<std::string>& env) {
  if (name.find('/') != std::string::npos) return name;
  std::string path = kDefaultPath;
  for (const auto& kv : env)
    if (kv.rfind("PATH=", 0) == 0) path = kv.substr(5);
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty() && dir.front() == '/') {
      std::string candidate = dir + "/" + name;
      if (is_executable_file(candidate)) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

void ignore_sigpipe_once() {
  static const bool done = [] {
    struct sigaction old {};
    if (::sigaction(SIGPIPE, nullptr, &old) == 0 && old.sa_handler == SIG_DFL)
      ::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)done;
}

int pidfd_open(pid_t pid) { return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)); }

}  // namespace

struct Process::Impl {
  explicit Impl(asio::io_context& ctx) : io(ctx), in(ctx), pidfd(ctx) {
    out[0].emplace(ctx);
    out[1].emplace(ctx);
  }
  asio::io_context& io;
  std::optional<asio::posix::stream_descriptor> out[2];
  asio::posix::stream_descriptor in;
  asio::posix::stream_descriptor pidfd;
  std::vector<char> buf[2];
  std::deque<std::string> queue;  // stdin bytes; front() is being written
};

Process::Process(asio::io_context& io) : impl_(std::make_unique<Impl>(io)) {}

Process::~Process() {
  if (pid_ > 0 && !reaped_) {
    // The io_context went away with the child running: do not leave it or a zombie.
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<std::shared_ptr<Process>> Process::spawn(asio::io_context& io, ProcessSpec spec,
                                                ProcessCallbacks cb) {
  if (spec.argv.empty() || spec.argv[0].empty()) return Error::invalid("cannot run: empty command");
  const std::string& name = spec.argv[0];
  auto path = resolve_binary(name, spec.env);
  if (!path) return Error::not_found("cannot run " + name + ": No such file or directory");
  if (!spec.cwd.empty()) {
    struct stat st {};
    if (::stat(spec.cwd.c_str(), &st) != 0)
      return errno_error("cannot run " + name + ": working directory " + spec.cwd, errno);
    if (!S_ISDIR(st.st_mode))
      return Error::invalid("cannot run " + name + ": working directory " + spec.cwd +
                            ": Not a directory");
  }

  Fd out_r, out_w, err_r, err_w, in_r, in_w;
  if (!make_pipe(out_r, out_w, true) || (!spec.merge_stderr && !make_pipe(err_r, err_w, true)) ||
      (spec.pipe_stdin && !make_pipe(in_r, in_w, false)))
    return errno_error("cannot run " + name + ": pipe", errno);
  if (spec.pipe_stdin) ignore_sigpipe_once();

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  if (spec.pipe_stdin)
    posix_spawn_file_actions_adddup2(&fa, in_r.get(), 0);
  else
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out_w.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, spec.merge_stderr ? out_w.get() : err_w.get(), 2);
  if (!spec.cwd.empty()) posix_spawn_file_actions_addchdir_np(&fa, spec.cwd.c_str());
  posix_spawn_file_actions_addclosefrom_np(&fa, 3);
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr, &empty);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<char*> argv, envp;
  for (auto& a : spec.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : spec.env) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path->c_str(), &fa, &attr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) return errno_error("cannot run " + name, rc);
  // The child's ends are not ours to keep.
  out_w.reset();
  err_w.reset();
  in_r.reset();

  Fd pidfd(pidfd_open(pid));
  if (pidfd.get() < 0) {
    int err = errno;
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    return errno_error("cannot run " + name + ": pidfd_open", err);
  }

  std::shared_ptr<Process> p(new Process(io));
  p->cb_ = std::move(cb);
  p->pid_ = pid;
  Impl& im = *p->impl_;
  error_code ec;
  im.pidfd.assign(pidfd.release(), ec);
  im.out[0]->assign(out_r.release(), ec);
  p->out_eof_[0] = false;
  im.buf[0].resize(kReadChunk);
  if (!spec.merge_stderr) {
    im.out[1]->assign(err_r.release(), ec);
    p->out_eof_[1] = false;
    im.buf[1].resize(kReadChunk);
  }
  if (spec.pipe_stdin) {
    im.in.assign(in_w.release(), ec);
    p->stdin_open_ = true;
  }
  p->read_pipe(0);
  if (!spec.merge_stderr) p->read_pipe(1);
  p->wait_exit();
  return p;
}

void Process::read_pipe(int which) {
  auto self = shared_from_this();
  auto& buf = impl_->buf[which];
  impl_->out[which]->async_read_some(
      asio::buffer(buf.data(), buf.size()), [self, which](const error_code& ec, std::size_t n) {
        if (self->out_eof_[which]) return;  // close_output() got there first
        if (n > 0) {
          std::string_view data(self->impl_->buf[which].data(), n);
          auto& fn = which == 0 ? self->cb_.on_stdout : self->cb_.on_stderr;
          if (fn) fn(data);
          if (self->out_eof_[which]) return;  // the callback called close_output()
        }
        if (ec) {
          self->out_eof_[which] = true;
          error_code ignored;
          self->impl_->out[which]->close(ignored);
          self->maybe_finish();
          return;
        }
        self->read_pipe(which);
      });
}

void Process::wait_exit() {
  auto self = shared_from_this();
  impl_->pidfd.async_wait(asio::posix::descriptor_base::wait_read, [self](const error_code& ec) {
    if (self->reaped_) return;
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(self->pid_, &status, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == 0) {  // not exited yet (spurious wakeup)
      if (ec == asio::error::operation_aborted) return;
      self->wait_exit();
      return;
    }
    if (r < 0) {
      // Someone else reaped it (SIGCHLD ignored): the status is unknown.
      log::warn("subprocess {}: waitpid: {}", self->pid_, errno_text(errno));
      self->status_ = ExitStatus{-1, 0};
    } else if (WIFEXITED(status)) {
      self->status_ = ExitStatus{WEXITSTATUS(status), 0};
    } else if (WIFSIGNALED(status)) {
      self->status_ = ExitStatus{-1, WTERMSIG(status)};
    }
    self->reaped_ = true;
    error_code ignored;
    self->impl_->pidfd.close(ignored);
    self->maybe_finish();
  });
}

void Process::maybe_finish() {
  if (finished_ || !reaped_ || !out_eof_[0] || !out_eof_[1]) return;
  finished_ = true;
  error_code ignored;
  impl_->in.close(ignored);
  impl_->queue.clear();
  stdin_open_ = false;
  auto self = shared_from_this();
  asio::post(impl_->io, [self] {
    ProcessCallbacks cb = std::move(self->cb_);
    self->cb_ = {};
    if (cb.on_exit) cb.on_exit(self->status_);
  });
}

Status Process::write_stdin(std::string data) {
  if (!stdin_open_ || stdin_close_requested_)
    return Error::cancelled("process " + std::to_string(pid_) + ": stdin is closed");
  if (queued_bytes_ + data.size() > kMaxStdinQueue)
    return Error::unavailable("process " + std::to_string(pid_) + ": stdin queue full (" +
                                  std::to_string(queued_bytes_) + " bytes waiting)",
                              100);
  if (data.empty()) return Ok{};
  queued_bytes_ += data.size();
  impl_->queue.push_back(std::move(data));
  if (!writing_) write_next();
  return Ok{};
}

void Process::write_next() {
  if (!stdin_open_) return;
  if (impl_->queue.empty()) {
    if (stdin_close_requested_) {
      error_code ignored;
      impl_->in.close(ignored);
      stdin_open_ = false;
    }
    return;
  }
  writing_ = true;
  auto self = shared_from_this();
  const std::string& front = impl_->queue.front();
  asio::async_write(impl_->in, asio::buffer(front), [self](const error_code& ec, std::size_t) {
    self->writing_ = false;
    if (!self->stdin_open_) return;  // finished meanwhile
    self->queued_bytes_ -= self->impl_->queue.front().size();
    self->impl_->queue.pop_front();
    if (ec) {  // EPIPE: the child closed its stdin or exited
      error_code ignored;
      self->impl_->in.close(ignored);
      self->impl_->queue.clear();
      self->queued_bytes_ = 0;
      self->stdin_open_ = false;
      return;
    }
    self->write_next();
  });
}

void Process::close_stdin() {
  if (!stdin_open_ || stdin_close_requested_) return;
  stdin_close_requested_ = true;
  if (!writing_) write_next();
}

void Process::kill_group(int sig) {
  if (finished_ || pid_ <= 0) return;
  // After the reap the group id stays reserved while any member (a descendant still
  // holding our pipes) lives, so this cannot hit an unrelated process group.
  ::kill(-pid_, sig);
}

void Process::close_output() {
  if (finished_) return;
  for (int i = 0; i < 2; ++i) {
    if (out_eof_[i]) continue;
    out_eof_[i] = true;
    error_code ignored;
    impl_->out[i]->close(ignored);
  }
  maybe_finish();
}

// ---- run_collect ----

namespace {

class CollectRun : public RunHandle, public std::enable_shared_from_this<CollectRun> {
 public:
  CollectRun(asio::io_context& io, RunLimits limits, std::function<void(RunResult)> on_done)
      : io_(io),
        limits_(limits),
        on_done_(std::move(on_done)),
        timer_(io),
        grace_(io),
        start_(std::chrono::steady_clock::now()) {}

  void start(ProcessSpec spec) {
    auto self = shared_from_this();
    ProcessCallbacks cb;
    cb.on_stdout = [self](std::string_view d) { self->on_output(d); };
    cb.on_stderr = [self](std::string_view d) { self->on_output(d); };
    cb.on_exit = [self](const ExitStatus& st) {
      self->result_.exit_code = st.exit_code;
      self->result_.term_signal = st.term_signal;
      self->finish();
    };
    auto p = Process::spawn(io_, std::move(spec), std::move(cb));
    if (!p) {
      result_.error = p.error().message;
      result_.exit_code = 127;
      finish();
      return;
    }
    proc_ = *p;
    if (limits_.timeout_ms > 0) {
      timer_.expires_after(std::chrono::milliseconds(limits_.timeout_ms));
      timer_.async_wait([self](const error_code& ec) {
        if (ec || self->done_) return;
        self->result_.timed_out = true;
        self->kill_now();
      });
    }
  }

  void cancel() override {
    if (done_ || killed_) return;
    result_.cancelled = true;
    kill_now();
  }

 private:
  void on_output(std::string_view d) {
    std::size_t room = limits_.max_output - std::min(limits_.max_output, result_.output.size());
    if (d.size() > room) result_.truncated = true;
    result_.output.append(d.substr(0, std::min(room, d.size())));
  }

  void kill_now() {
    if (killed_ || done_) return;
    killed_ = true;
    if (proc_) proc_->kill_group(SIGKILL);
    // A descendant that left the group may hold the pipes open: stop waiting for EOF
    // after a grace period, and give up on the reap too after another one.
    auto self = shared_from_this();
    grace_.expires_after(std::chrono::seconds(2));
    grace_.async_wait([self](const error_code& ec) {
      if (ec || self->done_) return;
      if (self->proc_) self->proc_->close_output();
      self->grace_.expires_after(std::chrono::seconds(2));
      self->grace_.async_wait([self](const error_code& ec2) {
        if (ec2 || self->done_) return;
        log::warn("subprocess {}: not reaped 4 s after SIGKILL; giving up on it",
                  self->proc_ ? self->proc_->pid() : -1);
        self->result_.exit_code = -1;
        self->result_.term_signal = SIGKILL;
        self->finish();
      });
    });
  }

  void finish() {
    if (done_) return;
    done_ = true;
    timer_.cancel();
    grace_.cancel();
    result_.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start_)
                              .count();
    auto self = shared_from_this();
    asio::post(io_, [self] {
      auto fn = std::move(self->on_done_);
      self->on_done_ = nullptr;
      self->proc_.reset();
      if (fn) fn(std::move(self->result_));
    });
  }

  asio::io_context& io_;
  RunLimits limits_;
  std::function<void(RunResult)> on_done_;
  asio::steady_timer timer_;
  asio::steady_timer grace_;
  std::chrono::steady_clock::time_point start_;
  std::shared_ptr<Process> proc_;
  RunResult result_;
  bool done_ = false;
  bool killed_ = false;
};

}  // namespace

std::shared_ptr<RunHandle> run_collect(asio::io_context& io, ProcessSpec spec, RunLimits limits,
                                       std::function<void(RunResult)> on_done) {
  auto run = std::make_shared<CollectRun>(io, limits, std::move(on_done));
  run->start(std::move(spec));
  return run;
}

// ---- environment ----

bool is_secret_env_name(std::string_view name) {
  std::string up(name);
  for (char& c : up) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 11> kContains = {
      "TOKEN",      "SECRET",      "PASSWORD", "PASSWD", "API_KEY", "APIKEY",
      "CREDENTIAL", "PRIVATE_KEY", "AUTH",     "COOKIE", "SESSION"};
  static constexpr std::array<std::string_view, 9> kPrefixes = {
      "SIMPLECLAW_", "OPENAI_", "ANTHROPIC_", "AWS_",     "GOOGLE_",
      "AZURE_",      "GH_",     "GITHUB_",    "NPM_TOKEN"};
  for (auto s : kContains)
    if (up.find(s) != std::string::npos) return true;
  for (auto p : kPrefixes)
    if (up.rfind(p, 0) == 0) return true;
  return up == "LD_PRELOAD" || up == "LD_LIBRARY_PATH";
}

std::vector<std::string> scrubbed_env(const std::map<std::string, std::string>& extra) {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    std::string_view name = kv.substr(0, eq);
    if (is_secret_env_name(name)) continue;
    env[std::string(name)] = std::string(kv.substr(eq + 1));
  }
  env["PATH"] = kDefaultPath;
  for (const auto& [k, v] : extra) env[k] = v;
  std::vector<std::string> out;
  out.reserve(env.size());
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

// ---- bubblewrap ----

const std::string& bwrap_path() {
  static const std::string path = [] {
    for (const char* p : {"/usr/bin/bwrap", "/bin/bwrap"})
      if (is_executable_file(p)) return std::string(p);
    return std::string();
  }();
  return path;
}

bool bwrap_available() { return !bwrap_path().empty(); }

std::vector<std::string> bwrap_prefix(const SandboxSpec& spec) {
  std::vector<std::string> a = {bwrap_path().empty() ? "bwrap" : bwrap_path(),
                                "--ro-bind",
                                "/",
                                "/",
                                "--dev",
                                "/dev",
                                "--proc",
                                "/proc",
                                "--tmpfs",
                                "/tmp"};
  for (const auto& h : spec.hide) {
    struct stat st {};
    if (h.empty() || h.front() != '/' || ::stat(h.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
      continue;
    a.insert(a.end(), {"--tmpfs", h});
  }
  a.insert(a.end(), {"--bind", spec.workspace, spec.workspace, "--chdir", spec.workspace,
                     "--die-with-parent", "--new-session"});
  if (!spec.network) a.push_back("--unshare-net");
  a.insert(a.end(), {"--unshare-pid", "--unshare-ipc", "--"});
  return a;
}

}  // namespace simpleclaw::proc
