// Runs a command as a user would: a subprocess (no shell), stdin from a given text (or
// empty), stdout, stderr and the exit code captured, killed after a timeout. One runner
// for every test that drives the real `simpleclaw` binary (or avahi-browse, ...).
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
  int code = -1;  // exit code; 128+N when killed by signal N
  std::string out, err;
};

struct CmdOptions {
  std::map<std::string, std::string> env;  // set in the child
  std::vector<std::string> unset;          // removed from the child's environment first
  std::string stdin_text;
  int timeout_s = 30;
  bool search_path = false;  // argv[0] looked up on PATH (execvp); else an exact path
};

inline CmdResult run_command(const std::vector<std::string>& args, const CmdOptions& o = {}) {
  TempDir tmp;
  std::string out = tmp.path() + "/out", err = tmp.path() + "/err", in = tmp.path() + "/in";
  write_text(in, o.stdin_text);
  pid_t pid = ::fork();
  if (pid == 0) {
    int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int fi = ::open(in.c_str(), O_RDONLY);
    ::dup2(fo, 1);
    ::dup2(fe, 2);
    ::dup2(fi, 0);
    ::close_range(3, ~0U, 0);  // no test socket (a port holder) leaks into the command
    for (const auto& v : o.unset) ::unsetenv(v.c_str());
    for (const auto& [k, v] : o.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (o.search_path)
      ::execvp(argv[0], argv.data());
    else
      ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  CmdResult r;
  int status = 0;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(o.timeout_s);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      ADD_FAILURE() << args[0] << " did not exit within " << o.timeout_s << " s";
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = read_text(out);
  r.err = read_text(err);
  return r;
}

// The real `simpleclaw` with HOME pointed at `home` (nothing real is read), the
// SIMPLECLAW_* and provider key variables cleared and OLLAMA_HOST at kNoOllama, plus `env`.
inline CmdResult run_simpleclaw(const std::vector<std::string>& args, const std::string& home,
                                const std::map<std::string, std::string>& env = {},
                                int timeout_s = 30, const std::string& stdin_text = {}) {
  CmdOptions o;
  o.unset = {"SIMPLECLAW_HOME",
             "SIMPLECLAW_CONFIG",
             "SIMPLECLAW_PORT",
             "SIMPLECLAW_GATEWAY_TOKEN",
             "SIMPLECLAW_GATEWAY_PASSWORD",
             "SIMPLECLAW_UNIT_DIR",
             "XDG_CONFIG_HOME",
             "SUDO_USER",
             "OPENAI_API_KEY",
             "OPENAI_BASE_URL",
             "ANTHROPIC_API_KEY",
             "ANTHROPIC_BASE_URL"};
  // Hermetic implicit providers (config/implicit_providers.h): no key from the developer's
  // shell, and no Ollama they may run, unless the test says so.
  o.env["OLLAMA_HOST"] = kNoOllama;
  for (const auto& [k, v] : env) o.env[k] = v;
  o.env["HOME"] = home;
  o.timeout_s = timeout_s;
  o.stdin_text = stdin_text;
  std::vector<std::string> argv{SIMPLECLAW_BIN};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, o);
}

}  // namespace sctest
