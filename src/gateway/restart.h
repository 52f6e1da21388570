// In-place restart with the listening sockets handed over, and socket activation.
//
// `simpleclaw gateway restart` sends SIGUSR2. The gateway stops accepting (the listening
// sockets stay open, so new connection attempts wait in the kernel's backlog instead of
// being refused), drains like a SIGTERM (runs in flight finish within
// gateway.shutdown_grace_ms, queued runs and waiting replies are stored), closes its
// clients with 1012 and a `shutdown` event carrying restartExpectedMs, and then execs the
// binary at the path it was started from (an upgrade installed meanwhile is picked up),
// same pid, with the sockets as fds 3.. and LISTEN_FDS / LISTEN_PID set: the protocol of
// systemd socket activation, which the new image accepts the same way as sockets from a
// systemd .socket unit. Clients reconnect at once; the backlog is accepted first.
//
// Threading: inherited_listeners() and reexec() run on the main thread, outside the loop;
// reexec() only after every subsystem was destroyed (the database closed).
#pragma once
#include <string>
#include <vector>

namespace simpleclaw::gateway {

// Sockets passed by systemd or by the previous process (LISTEN_FDS for this pid), from
// fd 3 on; the variables are removed so that child processes do not see them. Empty when
// there are none.
std::vector<int> inherited_listeners();

// The executable's path, read at start (before an upgrade replaces the file).
std::string self_exe_path();

struct RestartPlan {
  bool requested = false;
  std::vector<int> fds;           // the listening sockets to hand over
  std::vector<std::string> argv;  // argv[0] = the executable's path
};

// Replaces the process image; returns only if the exec failed (the error is logged and
// printed), with the exit code to use.
int reexec(RestartPlan& plan);

}  // namespace simpleclaw::gateway
