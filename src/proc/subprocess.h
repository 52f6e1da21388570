// Subprocesses driven by the loop: Process (one child with pipes, reaped through a pidfd)
// and run_collect (run a command to completion with a timeout and an output cap, as the
// exec tool does), plus the environment and bubblewrap helpers that go with them.
//
// * A child is started with posix_spawn in a new session (setsid), so its pid is also its
//   process-group id and kill_group() reaches every descendant that did not leave the
//   group itself. All fds other than 0/1/2 are closed in the child; the default signal
//   dispositions and an empty signal mask are restored; stdin is /dev/null unless piped.
// * Output arrives through non-blocking pipes read by asio stream descriptors; the exit
//   is noticed by waiting for the pidfd (pidfd_open, Linux >= 5.3) to become readable and
//   then reaping with waitpid(WNOHANG). No SIGCHLD handler, no blocking wait on the loop.
// * An executable that cannot be run (missing, not executable, bad cwd) is a spawn error
//   ("cannot run X: No such file or directory"), never a silent exit.
//
// Threading: everything here runs on the io_context's thread, and every callback runs
// there. A Process keeps itself alive (its pending reads and the pidfd wait hold it) until
// on_exit has run; on_exit runs exactly once, after stdout and stderr reached EOF *and*
// the child was reaped, so no output is lost, and no callback runs after it. Callbacks
// are dropped after on_exit, which breaks a callback -> owner -> Process cycle. If the
// io_context is destroyed first, the Process kills the group and reaps the child in its
// destructor, without on_exit.
#pragma once
#include <sys/types.h>

#include <csignal>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::proc {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] without '/' is looked up in env's PATH
  std::vector<std::string> env;   // the full environment, "KEY=VALUE" each
  std::string cwd;                // "" = the gateway's current directory
  bool pipe_stdin = false;        // false = stdin is /dev/null
  bool merge_stderr = true;       // true = stderr goes to the stdout pipe (on_stdout)
};

struct ExitStatus {
  int exit_code = -1;   // -1 when killed by a signal
  int term_signal = 0;  // the signal that killed it, 0 when it exited
};

struct ProcessCallbacks {
  std::function<void(std::string_view)> on_stdout;  // zero or more times, in order
  std::function<void(std::string_view)> on_stderr;  // only when !merge_stderr
  std::function<void(const ExitStatus&)> on_exit;   // exactly once, last
};

class Process : public std::enable_shared_from_this<Process> {
 public:
  // Bytes write_stdin() may have queued before it refuses more.
  static constexpr std::size_t kMaxStdinQueue = 16 * 1024 * 1024;

  // Starts the child. Errors (kInvalidRequest): empty argv, a binary not found on PATH or
  // not executable, a missing cwd, pipe/pidfd failures. No callback runs inside spawn().
  static Result<std::shared_ptr<Process>> spawn(boost::asio::io_context& io, ProcessSpec spec,
                                                ProcessCallbacks cb);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // Queues bytes for the child's stdin (pipe_stdin only). Fails with kCancelled when
  // stdin is not piped, was closed or the child has gone (EPIPE), and with kUnavailable
  // when the queue would exceed kMaxStdinQueue (the child is not reading).
  Status write_stdin(std::string data);
  // Closes stdin once the queued bytes are written (the child sees EOF). Idempotent.
  void close_stdin();
  // Sends `sig` to the whole process group. A no-op once on_exit ran.
  void kill_group(int sig = SIGKILL);
  // Stops reading stdout/stderr: counts as EOF, so on_exit follows as soon as the child is
  // reaped even if a descendant still holds the pipe open. Bytes not yet read are lost.
  void close_output();

  pid_t pid() const { return pid_; }
  bool reaped() const { return reaped_; }      // the child has exited and was reaped
  bool finished() const { return finished_; }  // on_exit ran

  struct Impl;  // asio objects; defined in subprocess.cpp

 private:
  explicit Process(boost::asio::io_context& io);
  void read_pipe(int which);
  void wait_exit();
  void write_next();
  void maybe_finish();

  std::unique_ptr<Impl> impl_;
  ProcessCallbacks cb_;
  pid_t pid_ = -1;
  bool reaped_ = false;
  bool finished_ = false;
  bool out_eof_[2] = {true, true};  // [0] stdout, [1] stderr
  bool stdin_open_ = false;
  bool stdin_close_requested_ = false;
  bool writing_ = false;
  std::size_t queued_bytes_ = 0;
  ExitStatus status_;
};

// run_collect: one command to completion. Output (stdout and stderr, interleaved as they
// arrive) is kept up to max_output bytes, then `truncated` is set and the rest is read and
// dropped so the child never blocks on a full pipe. On timeout or cancel() the process
// group gets SIGKILL; if the pipes have not reached EOF 2 s later (a descendant that left
// the group still holds them) the run completes anyway.
struct RunLimits {
  int timeout_ms = 120000;          // <= 0 = no limit
  std::size_t max_output = 200000;  // bytes of output kept
};

struct RunResult {
  int exit_code = -1;  // -1 when killed by a signal (or never started)
  int term_signal = 0;
  std::string output;      // the first max_output bytes
  bool truncated = false;  // output was longer than max_output
  bool timed_out = false;
  bool cancelled = false;
  std::int64_t duration_ms = 0;
  std::string error;  // non-empty = the command could not be started (exit_code 127)
};

class RunHandle {
 public:
  virtual ~RunHandle() = default;
  // Kills the process group; on_done then gets cancelled = true. Idempotent, a no-op after
  // on_done ran.
  virtual void cancel() = 0;
};

// on_done runs exactly once and is always posted (never inside run_collect or cancel).
// The run keeps itself alive until then.
std::shared_ptr<RunHandle> run_collect(boost::asio::io_context& io, ProcessSpec spec,
                                       RunLimits limits, std::function<void(RunResult)> on_done);

// The gateway's environment without secrets, for children: variables whose upper-cased
// name contains TOKEN, SECRET, PASSWORD, PASSWD, API_KEY, APIKEY, CREDENTIAL, PRIVATE_KEY,
// AUTH, COOKIE or SESSION, starts with SIMPLECLAW_, OPENAI_, ANTHROPIC_, AWS_, GOOGLE_,
// AZURE_, GH_, GITHUB_ or NPM_TOKEN, or is LD_PRELOAD / LD_LIBRARY_PATH are dropped; PATH
// becomes /usr/local/bin:/usr/bin:/bin; then `extra` is applied (it may override any of
// this). Sorted by name. Any thread.
std::vector<std::string> scrubbed_env(const std::map<std::string, std::string>& extra = {});
// Whether a variable name would be dropped by scrubbed_env (exposed for tests and logs).
bool is_secret_env_name(std::string_view name);

// Whether an executable bwrap exists in /usr/bin or /bin (looked up once). Any thread.
bool bwrap_available();
// The path bwrap_available() found ("" if none).
const std::string& bwrap_path();

struct SandboxSpec {
  std::string workspace;          // absolute; bound read-write, the working directory
  bool network = true;            // false = --unshare-net (loopback only, no routes)
  std::vector<std::string> hide;  // absolute dirs replaced by an empty tmpfs (state dir)
};

// argv prefix that runs a command in bubblewrap: the whole file system read-only, a fresh
// /dev, /proc and /tmp, the `hide` dirs empty, the workspace writable (bound after the
// hides so it stays visible inside a hidden dir), its own session and pid/ipc namespaces,
// killed with its parent. Append the command's argv. Hide entries that do not exist are
// left out (bwrap cannot create their mount points on a read-only root).
std::vector<std::string> bwrap_prefix(const SandboxSpec& spec);

}  // namespace simpleclaw::proc
