// `simpleclaw gateway install|uninstall`: the systemd unit (text in systemd_unit.cpp).
// Writes the unit, then lets systemctl load and start it when systemd runs here;
// otherwise (containers, a --unit-dir, --no-start) prints the exact commands instead.
#include <pwd.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "base/env.h"
#include "base/fs.h"
#include "cli/cli.h"
#include "cli/systemd_unit.h"
#include "config/config.h"
#include "gateway/runtime.h"

extern char** environ;

namespace simpleclaw::cli {
namespace {

namespace fs = std::filesystem;

std::string absolute(const std::string& p) {
  std::error_code ec;
  fs::path a = fs::absolute(p, ec);
  return (ec ? fs::path(p) : a).lexically_normal().string();
}

bool systemd_running() {
  // The check sd_booted(3) makes: systemd is PID 1 and manages this machine.
  struct stat st {};
  return ::stat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
}

bool have_systemctl() {
  std::string path = env_var("PATH");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find(':', start);
    std::string dir =
        path.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (!dir.empty() && ::access((dir + "/systemctl").c_str(), X_OK) == 0) return true;
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return false;
}

// Runs a command (no shell), output to our stdout/stderr; its exit code, or -1.
int run_command(const std::vector<std::string>& args) {
  std::string line;
  for (const auto& a : args) line += (line.empty() ? "" : " ") + a;
  printf("$ %s\n", line.c_str());
  fflush(stdout);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  if (::posix_spawnp(&pid, argv[0], nullptr, nullptr, argv.data(), environ) != 0) return -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

struct Where {
  bool system = false;
  bool custom_dir = false;  // --unit-dir / SIMPLECLAW_UNIT_DIR: never touch systemctl
  std::string dir, path;
};

Where where(const ServiceOptions& o) {
  Where w;
  w.system = o.system || (!o.user && ::geteuid() == 0);
  std::string dir = !o.unit_dir.empty() ? o.unit_dir : env_var("SIMPLECLAW_UNIT_DIR");
  w.custom_dir = !dir.empty();
  if (dir.empty()) {
    if (w.system) {
      dir = "/etc/systemd/system";
    } else {
      std::string xdg = env_var("XDG_CONFIG_HOME");
      dir = (xdg.empty() ? home_dir() + "/.config" : xdg) + "/systemd/user";
    }
  }
  w.dir = absolute(dir);
  w.path = w.dir + "/" + std::string(kUnitName);
  return w;
}

std::string systemctl_prefix(bool system) { return system ? "systemctl" : "systemctl --user"; }

// The user a system unit runs as: the one who ran sudo, else whoever runs this.
std::string invoking_user(passwd** pw_out) {
  passwd* pw = nullptr;
  if (::geteuid() == 0)
    if (std::string s = env_var("SUDO_USER"); !s.empty()) pw = ::getpwnam(s.c_str());
  if (!pw) pw = ::getpwuid(::geteuid());
  *pw_out = pw;
  return pw ? pw->pw_name : "";
}

}  // namespace

int gateway_install_command(const ServiceOptions& o) {
  Where w = where(o);
  UnitOptions u;
  u.system = w.system;
  u.watchdog_sec = o.watchdog_sec;
  if (u.watchdog_sec < 2 || u.watchdog_sec > 3600) {
    fprintf(stderr, "error: --watchdog-sec must be 2..3600 (got %d)\n", u.watchdog_sec);
    return 2;
  }
  passwd* pw = nullptr;
  if (w.system) u.user = invoking_user(&pw);
  std::string state = o.state_dir;
  // Under sudo the service belongs to the sudo user: their ~/.simpleclaw, not root's.
  if (state.empty() && env_var("SIMPLECLAW_HOME").empty() && w.system && pw && pw->pw_dir)
    state = std::string(pw->pw_dir) + "/.simpleclaw";
  u.state_dir = absolute(gateway::resolve_state_dir(state));
  u.config_path = absolute(gateway::resolve_config_path(o.config_path, u.state_dir));
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    fprintf(stderr, "error: cannot find this program's path (/proc/self/exe): %s\n",
            ec.message().c_str());
    return 1;
  }
  u.exec_path = exe.string();

  // Writable paths: the agents' workspaces outside the state dir, and --rw-path.
  config::FileState file = config::read_state(u.config_path);
  config::Parsed cfg = config::parse(file.raw);
  if (!file.error.empty() || !cfg.ok()) {
    fprintf(stderr,
            "warning: config %s cannot be loaded; installing anyway. Run `simpleclaw doctor "
            "--config %s` to see what to fix before starting the service.\n",
            u.config_path.c_str(), u.config_path.c_str());
    u.listen = listen_addresses("loopback", config::kDefaultPort);
  } else {
    // The socket systemd holds for the gateway, where the config says it listens.
    u.listen = listen_addresses(cfg.config.gateway.bind, cfg.config.gateway.port);
    if (u.listen.empty())
      printf(
          "note: bind: %s is resolved at start; no socket unit (restarts may refuse "
          "connections for a moment)\n",
          cfg.config.gateway.bind.c_str());
    // "~/" as the gateway expands it (ChatService::workspace_of): the service user's home.
    std::string home = w.system && pw && pw->pw_dir ? std::string(pw->pw_dir) : home_dir();
    for (const auto& a : cfg.config.agents.list) {
      std::string ws = a.workspace;
      if (ws.rfind("~/", 0) == 0) ws = home + ws.substr(1);
      if (!ws.empty()) u.rw_paths.push_back(absolute(ws));
    }
  }
  for (const auto& p : o.rw_paths) {
    if (p.empty() || p[0] != '/') {
      fprintf(stderr, "error: --rw-path needs an absolute path (got '%s')\n", p.c_str());
      return 2;
    }
    u.rw_paths.push_back(absolute(p));
  }
  std::sort(u.rw_paths.begin(), u.rw_paths.end());
  u.rw_paths.erase(std::unique(u.rw_paths.begin(), u.rw_paths.end()), u.rw_paths.end());
  std::string text = render_unit(u);
  std::string socket_text = u.listen.empty() ? std::string() : render_socket_unit(u);
  const std::string socket_path = w.dir + "/" + std::string(kSocketUnitName);

  for (const auto& [path, want] : {std::pair{w.path, text}, std::pair{socket_path, socket_text}}) {
    if (want.empty()) continue;
    auto existing = read_file(path);
    if (!existing.ok()) continue;
    if (*existing == want) {
      printf("%s is already installed and unchanged\n", path.c_str());
    } else if (!o.force) {
      fprintf(stderr,
              "error: %s already exists with different content; not overwriting it. Compare "
              "it, then re-run with --force to replace it (or `simpleclaw gateway uninstall` "
              "first).\n",
              path.c_str());
      return 1;
    }
  }
  // ReadWritePaths= needs the state dir to exist, or the service cannot start.
  bool state_existed = fs::exists(u.state_dir, ec);
  if (auto s = make_dirs(u.state_dir, 0700); !s.ok()) {
    fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  if (!state_existed && w.system && pw && ::geteuid() == 0 && pw->pw_uid != 0 &&
      ::chown(u.state_dir.c_str(), pw->pw_uid, pw->pw_gid) != 0)
    fprintf(stderr, "warning: cannot give %s to %s: %s\n", u.state_dir.c_str(), pw->pw_name,
            std::strerror(errno));
  if (auto s = make_dirs(w.dir, 0755); !s.ok()) {
    fprintf(stderr, "error: %s\n", s.error().message.c_str());
    return 1;
  }
  for (const auto& [path, want] : {std::pair{socket_path, socket_text}, std::pair{w.path, text}}) {
    if (want.empty()) continue;
    if (auto s = write_file_atomic(path, want, 0644); !s.ok()) {
      fprintf(stderr, "error: %s%s\n", s.error().message.c_str(),
              w.system && ::geteuid() != 0 ? " (a system unit needs root: run it with sudo)" : "");
      return 1;
    }
  }
  if (!socket_text.empty()) printf("wrote %s (socket activation)\n", socket_path.c_str());
  printf("wrote %s (%s unit: %s gateway --state-dir %s)\n", w.path.c_str(),
         w.system ? "system" : "user", u.exec_path.c_str(), u.state_dir.c_str());

  std::string sc = systemctl_prefix(w.system);
  bool act = !o.no_start && !w.custom_dir && have_systemctl() && systemd_running();
  const std::string units = socket_text.empty()
                                ? std::string(kUnitName)
                                : std::string(kSocketUnitName) + " " + std::string(kUnitName);
  if (act) {
    std::vector<std::string> base{"systemctl"};
    if (!w.system) base.push_back("--user");
    auto with = [&](std::vector<std::string> rest) {
      std::vector<std::string> a = base;
      a.insert(a.end(), rest.begin(), rest.end());
      return a;
    };
    if (run_command(with({"daemon-reload"})) != 0 ||
        run_command(
            with(socket_text.empty()
                     ? std::vector<std::string>{"enable", "--now", std::string(kUnitName)}
                     : std::vector<std::string>{"enable", "--now", std::string(kSocketUnitName),
                                                std::string(kUnitName)})) != 0) {
      fprintf(stderr,
              "error: systemctl failed (see above); the unit file is in place. Fix the "
              "cause, then run: %s daemon-reload && %s enable --now %s\n",
              sc.c_str(), sc.c_str(), units.c_str());
      return 1;
    }
    printf("started; status: %s status simpleclaw, logs: journalctl %s-u simpleclaw -f\n",
           sc.c_str(), w.system ? "" : "--user ");
  } else {
    const char* why = o.no_start          ? "--no-start"
                      : w.custom_dir      ? "custom unit directory"
                      : !have_systemctl() ? "no systemctl here"
                                          : "systemd is not running here";
    printf("not started (%s). To load and start it:\n  %s daemon-reload\n  %s enable --now %s\n",
           why, sc.c_str(), sc.c_str(), units.c_str());
    printf("logs: journalctl %s-u simpleclaw -f\n", w.system ? "" : "--user ");
  }
  if (!w.system)
    printf(
        "note: a user service stops when you log out unless lingering is on: "
        "loginctl enable-linger %s\n",
        env_var("USER").empty() ? "$USER" : env_var("USER").c_str());
  return 0;
}

int gateway_uninstall_command(const ServiceOptions& o) {
  Where w = where(o);
  auto existing = read_file(w.path);
  if (!existing.ok()) {
    printf("nothing to remove: %s does not exist\n", w.path.c_str());
    return 0;
  }
  if (existing->rfind(std::string(kUnitMarker), 0) != 0 && !o.force) {
    fprintf(stderr,
            "error: %s was not written by `simpleclaw gateway install`; not removing it. "
            "Re-run with --force to remove it anyway.\n",
            w.path.c_str());
    return 1;
  }
  std::string sc = systemctl_prefix(w.system);
  bool act = !w.custom_dir && have_systemctl() && systemd_running();
  if (act) {
    std::vector<std::string> a{"systemctl"};
    if (!w.system) a.push_back("--user");
    auto disable = a;
    disable.insert(disable.end(), {"disable", "--now", std::string(kUnitName)});
    if (::access((w.dir + "/" + std::string(kSocketUnitName)).c_str(), F_OK) == 0)
      disable.push_back(std::string(kSocketUnitName));
    if (run_command(disable) != 0)
      fprintf(stderr, "warning: systemctl disable failed (see above); removing the unit anyway\n");
  }
  if (::unlink(w.path.c_str()) != 0) {
    fprintf(stderr, "error: cannot remove %s: %s\n", w.path.c_str(), std::strerror(errno));
    return 1;
  }
  // Our socket unit goes with it (one we did not write stays).
  const std::string socket_path = w.dir + "/" + std::string(kSocketUnitName);
  if (auto sock = read_file(socket_path);
      sock.ok() && (sock->rfind(std::string(kUnitMarker), 0) == 0 || o.force)) {
    if (::unlink(socket_path.c_str()) == 0) printf("removed %s\n", socket_path.c_str());
  }
  // What `systemctl disable` removes, for units someone enabled by hand here.
  for (const char* target :
       {"default.target.wants", "multi-user.target.wants", "sockets.target.wants"})
    for (std::string_view name : {kUnitName, kSocketUnitName}) {
      std::string link = w.dir + "/" + target + "/" + std::string(name);
      struct stat st {};
      if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) ::unlink(link.c_str());
    }
  printf("removed %s (the state dir and its data are kept)\n", w.path.c_str());
  if (act) {
    std::vector<std::string> a{"systemctl"};
    if (!w.system) a.push_back("--user");
    a.push_back("daemon-reload");
    run_command(a);
  } else {
    printf(
        "if the service is running, stop it and reload systemd:\n  %s stop %s\n  "
        "%s daemon-reload\n",
        sc.c_str(), std::string(kUnitName).c_str(), sc.c_str());
  }
  return 0;
}

}  // namespace simpleclaw::cli
