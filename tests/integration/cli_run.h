// Runs the real `simpleclaw` binary as a user would: a subprocess (no shell) with HOME
// pointed at a temp dir, the SIMPLECLAW_* variables cleared (plus any given), stdout,
// stderr and the exit code captured. For the commands that need no gateway connection
// (gateway install/uninstall, doctor).
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "integration/helpers.h"

namespace sctest {

struct CmdResult {
  int code = -1;
  std::string out, err;
};

inline CmdResult run_simpleclaw(const std::vector<std::string>& args, const std::string& home,
                                const std::map<std::string, std::string>& env = {},
                                int timeout_s = 30) {
  TempDir tmp;
  std::string out = tmp.path() + "/out", err = tmp.path() + "/err";
  pid_t pid = ::fork();
  if (pid == 0) {
    int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int in = ::open("/dev/null", O_RDONLY);
    ::dup2(o, 1);
    ::dup2(e, 2);
    ::dup2(in, 0);
    ::close_range(3, ~0U, 0);  // no test socket (a port holder) leaks into the command
    for (const char* v :
         {"SIMPLECLAW_HOME", "SIMPLECLAW_CONFIG", "SIMPLECLAW_PORT", "SIMPLECLAW_GATEWAY_TOKEN",
          "SIMPLECLAW_GATEWAY_PASSWORD", "SIMPLECLAW_UNIT_DIR", "XDG_CONFIG_HOME", "SUDO_USER"})
      ::unsetenv(v);
    ::setenv("HOME", home.c_str(), 1);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv{const_cast<char*>(SIMPLECLAW_BIN)};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(SIMPLECLAW_BIN, argv.data());
    ::_exit(127);
  }
  CmdResult r;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << "simpleclaw did not exit within " << timeout_s << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

}  // namespace sctest
