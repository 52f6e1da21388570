// SupervisedChild: one long-lived helper process that speaks JSON-RPC over stdio (an MCP
// server, an out-of-process plugin), kept running by the one policy both need:
//
//   start -> spawn -> the owner's on_started (its handshake) -> ... the process exits, is
//   killed (kill(): a hang, a protocol violation) or fails to spawn -> the owner's
//   on_exit -> a restart after a backoff (exponential with the owner's jitter; back to
//   the first step once a process stayed healthy for `healthy_reset` after mark_healthy())
//   -> spawn ...
//
//   stop(polite, done): no more restarts; the owner's `polite` step if a process runs
//   (e.g. a `shutdown` request), then SIGTERM, SIGKILL after stop_grace, and after
//   reap_grace more it gives up on a process that cannot be reaped (on_exit runs with
//   that reason). `done` is posted once no process is left.
//
// Every process has a generation: requests, notifications and the exit of an older
// process never reach the owner. The owner decides what a running process must do and
// reads its messages; this class owns the process, its generations, the timers and the
// stop waiters.
//
// Threading: loop thread only; every hook runs there. Held by a shared_ptr (its owner's);
// timers and process callbacks hold it weakly, except while stopping, when it keeps
// itself alive until the process is gone so the owner may drop it at once.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/backoff.h"
#include "proc/stdio_rpc.h"
#include "proc/subprocess.h"

namespace boost::asio {
class io_context;
}

namespace simpleclaw::proc {

class SupervisedChild : public std::enable_shared_from_this<SupervisedChild> {
 public:
  struct Options {
    std::string log_name;                            // "plugin echo", "mcp server fs"
    BackoffPolicy backoff{1000, 60000, 1.0, 1.0};    // restart delays
    std::chrono::milliseconds healthy_reset{60000};  // healthy this long = backoff reset
    std::chrono::milliseconds stop_grace{3000};      // SIGTERM -> SIGKILL
    std::chrono::milliseconds reap_grace{2000};      // SIGKILL -> give up on it
  };
  struct Hooks {
    // The process to start now, asked before every spawn (required).
    std::function<std::pair<ProcessSpec, StdioRpcOptions>()> spec;
    // A new process runs (its handshake goes here). Required.
    std::function<void(StdioRpcPeer& peer)> on_started;
    // Messages from the current process. Requests without a hook get -32601.
    std::function<void(const std::string& method, const Json& params, StdioRpcPeer::Responder)>
        on_request;
    std::function<void(const std::string& method, const Json& params)> on_notification;
    std::function<void(std::uint64_t id, const std::string& method)> on_timeout;
    // The current process is gone: `what` says how ("exited (code 3)", the kill reason,
    // the spawn error, "not reaped after SIGKILL"); `stopping`: stop() asked for it (no
    // restart follows). `peer` is the process that ended (null when it never started).
    std::function<void(const std::string& what, bool stopping, StdioRpcPeer* peer)> on_exit;
    // A restart is due in `delay` (attempt n, counting from 1 after each healthy period).
    std::function<void(std::chrono::milliseconds delay, int attempt)> on_restart;
  };

  static std::shared_ptr<SupervisedChild> create(boost::asio::io_context& io, Options opts,
                                                 Hooks hooks);
  ~SupervisedChild();  // a process still running is killed (the owner forgot stop())
  SupervisedChild(const SupervisedChild&) = delete;
  SupervisedChild& operator=(const SupervisedChild&) = delete;

  void start();  // spawns the first process; a no-op once started or stopping
  // See above. `polite(then)` may send a farewell and must call `then` once (answered or
  // not); null = straight to SIGTERM. Idempotent: a second stop() only adds its `done`.
  void stop(std::function<void(std::function<void()> then)> polite,
            std::function<void()> done = nullptr);
  // Kills the current process (its on_exit says `reason`); a restart follows.
  void kill(const std::string& reason);
  // The current process did what it must (the owner's handshake succeeded): from now on
  // it counts towards `healthy_reset`.
  void mark_healthy();

  StdioRpcPeer* peer() const { return peer_.get(); }  // the running process, or null
  std::uint64_t generation() const { return gen_; }
  int restarts() const { return restarts_; }  // spawns after the first
  bool stopping() const { return stopping_; }
  bool restart_pending() const { return restart_pending_; }
  // When the pending restart is due (meaningful while restart_pending()).
  std::chrono::steady_clock::time_point restart_at() const { return restart_at_; }
  pid_t pid() const { return peer_ ? peer_->pid() : -1; }

 private:
  SupervisedChild(boost::asio::io_context& io, Options opts, Hooks hooks);
  void spawn();
  void exited(std::uint64_t gen, const ExitStatus& st, const std::string& reason);
  void schedule_restart();
  void escalate();
  void end_stop();

  struct Timers;
  boost::asio::io_context& io_;
  Options opts_;
  Hooks hooks_;
  std::unique_ptr<Timers> timers_;
  std::shared_ptr<StdioRpcPeer> peer_;
  std::uint64_t gen_ = 0;
  bool started_ = false, stopping_ = false, restart_pending_ = false;
  int restarts_ = 0;
  int backoff_step_ = 0;
  std::chrono::steady_clock::time_point healthy_since_{};
  std::chrono::steady_clock::time_point restart_at_{};
  std::vector<std::function<void()>> stop_waiters_;
};

}  // namespace simpleclaw::proc
