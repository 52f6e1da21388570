// `simpleclaw gateway restart`: finds the gateway running on a state dir (its
// gateway.json names the pid), sends SIGUSR2 and waits until the new image has written a
// fresh gateway.json (it does that last, once it listens and is ready). The pid stays the
// same: systemd sees a reload, not a stop.
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <thread>

#include "cli/cli.h"
#include "gateway/runtime.h"

namespace simpleclaw::cli {
namespace {

struct Runtime {
  long long pid = 0, started_at = 0;
  std::string url;
};

std::optional<Runtime> read_runtime(const std::string& state_dir) {
  Json j = read_runtime_file(state_dir);
  Runtime r;
  r.pid = j.value("pid", 0LL);
  r.started_at = j.value("startedAt", 0LL);
  r.url = j.value("url", "");
  if (r.pid <= 0) return std::nullopt;
  return r;
}

}  // namespace

int gateway_restart_command(const std::string& state_flag, int timeout_s, bool json_out) {
  const std::string state_dir = gateway::resolve_state_dir(state_flag);
  const std::string file = state_dir + "/gateway.json";
  auto before = read_runtime(state_dir);
  if (!before || ::kill(static_cast<pid_t>(before->pid), 0) != 0) {
    std::fprintf(stderr,
                 "error: no gateway is running on %s (no live pid in %s); start it with "
                 "`simpleclaw gateway`\n",
                 state_dir.c_str(), file.c_str());
    return 1;
  }
  auto t0 = std::chrono::steady_clock::now();
  if (::kill(static_cast<pid_t>(before->pid), SIGUSR2) != 0) {
    std::fprintf(stderr, "error: cannot signal the gateway (pid %lld): %s\n", before->pid,
                 std::strerror(errno));
    return 1;
  }
  if (!json_out)
    std::fprintf(stderr, "restarting the gateway (pid %lld): runs in flight finish first...\n",
                 before->pid);
  auto deadline = t0 + std::chrono::seconds(timeout_s);
  while (std::chrono::steady_clock::now() < deadline) {
    auto now = read_runtime(state_dir);
    if (now && now->started_at != before->started_at) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - t0)
                    .count();
      if (json_out)
        std::printf(
            "%s\n",
            Json{{"ok", true}, {"pid", now->pid}, {"url", now->url}, {"ms", ms}}.dump().c_str());
      else
        std::printf("gateway restarted in %lld ms (pid %lld, %s)\n", static_cast<long long>(ms),
                    now->pid, now->url.c_str());
      return 0;
    }
    if (::kill(static_cast<pid_t>(before->pid), 0) != 0) {
      std::fprintf(stderr,
                   "error: the gateway exited instead of restarting; see %s/logs/gateway.log\n",
                   state_dir.c_str());
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  std::fprintf(stderr,
               "error: the gateway did not come back within %d s; see %s/logs/gateway.log\n",
               timeout_s, state_dir.c_str());
  return 1;
}

}  // namespace simpleclaw::cli
