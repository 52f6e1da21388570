#include "gateway/restart.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace simpleclaw::gateway {

namespace {
constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START
constexpr int kMaxListeners = 16;
}  // namespace

std::vector<int> inherited_listeners() {
  std::vector<int> out;
  const char* pid = std::getenv("LISTEN_PID");
  const char* n = std::getenv("LISTEN_FDS");
  if (!pid || !n) return out;
  // Meant for this process (a shell that exported them does not count).
  bool ours = std::strtol(pid, nullptr, 10) == static_cast<long>(::getpid());
  long count = std::strtol(n, nullptr, 10);
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  if (!ours || count <= 0 || count > kMaxListeners) return out;
  for (int i = 0; i < count; ++i) out.push_back(kListenFdsStart + i);
  return out;
}

std::string self_exe_path() {
  static const std::string path = [] {
    char buf[4096];
    ssize_t len = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return len > 0 ? std::string(buf, static_cast<std::size_t>(len)) : std::string();
  }();
  return path;
}

int reexec(RestartPlan& plan) {
  const int n = static_cast<int>(plan.fds.size());
  // Out of the way first (fds 3.. may be in use), then into place; dup2 clears
  // close-on-exec on the copies it makes.
  std::vector<int> high;
  for (int fd : plan.fds) {
    int h = ::fcntl(fd, F_DUPFD_CLOEXEC, 100);
    ::close(fd);
    if (h >= 0) high.push_back(h);
  }
  for (int i = 0; i < static_cast<int>(high.size()); ++i) {
    ::dup2(high[i], kListenFdsStart + i);
    ::close(high[i]);
  }
  // Nothing else crosses over (log files, sockets a library left without the flag).
  if (DIR* d = ::opendir("/proc/self/fd")) {
    int own = ::dirfd(d);
    while (dirent* e = ::readdir(d)) {
      int fd = std::atoi(e->d_name);
      if (fd >= kListenFdsStart + n && fd != own) ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    ::closedir(d);
  }
  ::setenv("LISTEN_PID", std::to_string(::getpid()).c_str(), 1);
  ::setenv("LISTEN_FDS", std::to_string(high.size()).c_str(), 1);
  std::vector<char*> argv;
  for (std::string& a : plan.argv) argv.push_back(a.data());
  argv.push_back(nullptr);
  ::execv(argv[0], argv.data());
  int err = errno;
  std::fprintf(stderr, "error: restart failed: cannot execute %s: %s; start the gateway again\n",
               argv[0], std::strerror(err));
  return 1;
}

}  // namespace simpleclaw::gateway
