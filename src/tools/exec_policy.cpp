// check_exec: parse -> resolve every simple command -> never-auto-allow rules -> patterns.
// The rules are deliberately coarse: anything outside plain static commands, pipes, lists
// and workspace redirections goes to a human.
#include "tools/exec_policy.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <optional>

#include "base/fs.h"
#include "tools/shell_parser.h"

namespace simpleclaw::tools {
namespace {

using Decision = ExecCheck::Decision;

bool is_executable_file(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

std::string join_path(const std::string& dir, const std::string& rel) {
  if (!rel.empty() && rel[0] == '/') return rel;
  if (dir.empty()) return rel;
  return dir.back() == '/' ? dir + rel : dir + "/" + rel;
}

std::string base_name(const std::string& p) {
  std::size_t s = p.rfind('/');
  return s == std::string::npos ? p : p.substr(s + 1);
}

// "python3.11" -> "python", "perl5.36" -> "perl", "lua5.4" -> "lua".
std::string strip_version(std::string n) {
  while (!n.empty() && ((n.back() >= '0' && n.back() <= '9') || n.back() == '.' ||
                        n.back() == '-' || n.back() == '_'))
    n.pop_back();
  return n;
}

std::string resolve_binary(const std::string& name, const ExecEnv& env, const std::string& cwd) {
  if (name.empty()) return "";
  std::string candidate;
  if (name.find('/') != std::string::npos) {
    candidate = join_path(cwd, name);
    if (candidate.empty() || candidate[0] != '/') return "";
  } else {
    std::size_t i = 0;
    const std::string& path = env.path_env;
    while (i <= path.size()) {
      std::size_t j = path.find(':', i);
      if (j == std::string::npos) j = path.size();
      std::string dir = path.substr(i, j - i);
      i = j + 1;
      if (dir.empty() || dir[0] != '/') continue;  // relative entries are ignored
      std::string c = join_path(dir, name);
      if (is_executable_file(c)) {
        candidate = c;
        break;
      }
    }
    if (candidate.empty()) return "";
  }
  auto r = real_path(candidate);
  if (!r || !is_executable_file(*r)) return "";
  return *r;
}

// Basenames (version suffix stripped too) of shells, wrappers, command runners and shell
// builtins that run or change how other commands run.
constexpr std::string_view kWrappers[] = {
    "sh",       "bash",        "dash",    "zsh",      "ksh",     "mksh",     "pdksh",    "yash",
    "posh",     "fish",        "csh",     "tcsh",     "rbash",   "busybox",  "toybox",   "env",
    "xargs",    "nohup",       "timeout", "sudo",     "su",      "doas",     "pkexec",   "nice",
    "ionice",   "stdbuf",      "setsid",  "chroot",   "unshare", "nsenter",  "strace",   "ltrace",
    "gdb",      "script",      "watch",   "flock",    "chrt",    "taskset",  "runuser",  "sg",
    "newgrp",   "parallel",    "time",    "exec",     "eval",    "command",  "builtin",  "source",
    ".",        "cd",          "pushd",   "popd",     "trap",    "alias",    "fakeroot", "bwrap",
    "firejail", "systemd-run", "prlimit", "setpriv",  "capsh",   "unbuffer", "expect",   "valgrind",
    "[[",       "sshpass",     "export",  "readonly", "set",     "unset",    "local",    "declare",
    "typeset",  "hash",        "enable",  "shopt"};

bool is_wrapper(const std::string& name) {
  if (name.empty()) return false;
  std::string stripped = strip_version(name);
  for (std::string_view w : kWrappers) {
    if (name == w || stripped == w) return true;
  }
  return false;
}

bool is_short_cluster(const std::string& a) { return a.size() >= 2 && a[0] == '-' && a[1] != '-'; }
// A short-option cluster like -lne containing one of `letters` before any argument text.
bool cluster_has(const std::string& a, std::string_view letters) {
  if (!is_short_cluster(a)) return false;
  for (std::size_t i = 1; i < a.size(); ++i) {
    if (letters.find(a[i]) != std::string_view::npos) return true;
  }
  return false;
}

bool has_prefix_arg(const std::vector<std::string>& argv,
                    std::initializer_list<std::string_view> p) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    for (std::string_view x : p) {
      if (argv[i] == x || (x.size() > 2 && x.starts_with("--") && argv[i].starts_with(x)))
        return true;
    }
  }
  return false;
}

bool has_program_arg(const std::vector<std::string>& argv) {
  for (std::size_t i = 1; i < argv.size(); ++i) {
    if (argv[i] == "-") return false;  // program from stdin
    if (argv[i].empty() || argv[i][0] != '-') return true;
  }
  return false;
}
bool only_info_flags(const std::vector<std::string>& argv) {
  if (argv.size() != 2) return false;
  const std::string& a = argv[1];
  return a == "--version" || a == "-V" || a == "-v" || a == "--help" || a == "-h";
}

// Why an interpreter invocation runs code that is not in a file, or "".
std::string interpreter_rule(const std::string& n, const std::vector<std::string>& argv) {
  auto inline_or_stdin = [&](bool inline_code) -> std::string {
    if (inline_code) return "runs inline code";
    if (!has_program_arg(argv) && !only_info_flags(argv)) return "reads its program from stdin";
    return "";
  };
  if (n == "python" || n == "pypy") {
    bool code = false;
    for (std::size_t i = 1; i < argv.size(); ++i) code = code || cluster_has(argv[i], "c");
    return inline_or_stdin(code);
  }
  if (n == "perl") {
    bool code = false;
    for (std::size_t i = 1; i < argv.size(); ++i) code = code || cluster_has(argv[i], "eEmM");
    return inline_or_stdin(code);
  }
  if (n == "ruby" || n == "irb") {
    bool code = false;
    for (std::size_t i = 1; i < argv.size(); ++i) code = code || cluster_has(argv[i], "er");
    return inline_or_stdin(code);
  }
  if (n == "node" || n == "nodejs" || n == "bun" || n == "deno") {
    bool code = has_prefix_arg(argv, {"-e", "-p", "-r", "-pe", "--eval", "--print", "--require",
                                      "--import", "--loader", "--experimental-loader"});
    for (std::size_t i = 1; i < argv.size(); ++i) code = code || argv[i] == "eval";
    return inline_or_stdin(code);
  }
  if (n == "php") {
    bool code = false;
    for (std::size_t i = 1; i < argv.size(); ++i) code = code || cluster_has(argv[i], "rRBEa");
    return inline_or_stdin(code);
  }
  if (n == "lua" || n == "luajit" || n == "tclsh" || n == "wish" || n == "Rscript" || n == "R" ||
      n == "julia" || n == "osascript" || n == "pwsh") {
    bool code = false;
    for (std::size_t i = 1; i < argv.size(); ++i)
      code = code || cluster_has(argv[i], "el") || argv[i] == "--eval" || argv[i] == "-command";
    return inline_or_stdin(code);
  }
  return "";
}

// sed runs commands with `e` and writes files with `w`/-i: only plain scripts pass.
std::string sed_rule(const std::vector<std::string>& argv) {
  bool have_e = false;
  std::vector<std::string> scripts;
  std::string first_operand;
  bool end_opts = false;
  for (std::size_t i = 1; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (!end_opts && a == "--") {
      end_opts = true;
      continue;
    }
    if (!end_opts && (a.starts_with("--in-place") || a.starts_with("--file") ||
                      (is_short_cluster(a) && cluster_has(a, "if"))))
      return "sed -i / -f edits files or reads a script file";
    if (!end_opts && a.starts_with("--expression")) {
      have_e = true;
      std::size_t eq = a.find('=');
      if (eq != std::string::npos) {
        scripts.push_back(a.substr(eq + 1));
      } else if (i + 1 < argv.size()) {
        scripts.push_back(argv[++i]);
      }
      continue;
    }
    if (!end_opts && is_short_cluster(a)) {
      std::size_t e = a.find('e');
      if (e != std::string::npos) {
        have_e = true;
        if (e + 1 < a.size()) {
          scripts.push_back(a.substr(e + 1));
        } else if (i + 1 < argv.size()) {
          scripts.push_back(argv[++i]);
        }
      }
      continue;
    }
    if (!end_opts && a.starts_with("--")) continue;  // --posix, --regexp-extended, ...
    if (first_operand.empty() && !have_e) {
      first_operand = a;
      scripts.push_back(a);
    }
  }
  for (const std::string& s : scripts) {
    if (s.find_first_of("ewWrR") != std::string::npos)
      return "sed script may run commands or read/write files (e/w/r)";
  }
  return "";
}

// Arguments that make a usually harmless tool run another command.
std::string arg_rule(const std::string& n, const std::vector<std::string>& argv) {
  if (n == "find") {
    if (has_prefix_arg(argv, {"-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint",
                              "-fprint0", "-fprintf", "-fls"}))
      return "find -exec/-ok/-delete/-fprint runs commands or changes files";
    return "";
  }
  if (n == "git") {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a.starts_with("-c") || a.starts_with("--config-env") || a.starts_with("--exec-path") ||
          a.starts_with("--upload-pack") || a.starts_with("--receive-pack") ||
          a.starts_with("--exec"))
        return "git -c/--config-env/--exec-path/--upload-pack can run arbitrary commands";
      if (a == "-u" && has_prefix_arg(argv, {"clone", "fetch", "pull", "ls-remote", "archive"}))
        return "git -u (upload-pack) can run arbitrary commands";
    }
    return "";
  }
  if (n == "tar") {
    if (has_prefix_arg(argv, {"--to-command", "--checkpoint-action", "--use-compress-program", "-I",
                              "--info-script", "--new-volume-script", "-F", "--rsh-command"}))
      return "tar option runs another command";
    return "";
  }
  if (n == "rsync") {
    if (has_prefix_arg(argv, {"-e", "--rsh", "--rsync-path"})) return "rsync -e runs a command";
    return "";
  }
  if (n == "vim" || n == "vi" || n == "nvim" || n == "ex" || n == "view" || n == "vimdiff") {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      const std::string& a = argv[i];
      if (a.starts_with("-c") || a.starts_with("--cmd") || a.starts_with("+") ||
          a.starts_with("-S") || a == "-s")
        return "vim -c/+/-S runs editor commands";
    }
    return "";
  }
  if (n == "ssh" || n == "scp" || n == "sftp") {
    for (std::size_t i = 1; i < argv.size(); ++i) {
      std::string a = argv[i];
      std::transform(a.begin(), a.end(), a.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (a.find("command") != std::string::npos || a.find("-oproxy") != std::string::npos)
        return "ssh ProxyCommand/LocalCommand runs a local command";
    }
    return "";
  }
  return "";
}

// Why the basename pair (as written, after realpath) cannot be auto-allowed, or "".
std::string command_rule(const ResolvedCommand& rc) {
  const std::string written = base_name(rc.argv[0]);
  const std::string real = base_name(rc.binary);
  for (const std::string& n : {written, real}) {
    if (is_wrapper(n)) {
      return n +
             " runs or changes how another command runs; shells and wrappers are never "
             "auto-allowed";
    }
  }
  for (const std::string& raw_name : {written, real}) {
    std::string n = strip_version(raw_name);
    if (n == "awk" || n == "gawk" || n == "mawk" || n == "nawk")
      return n + " programs can run commands (system()); awk is never auto-allowed";
    if (n == "sed") {
      if (std::string why = sed_rule(rc.argv); !why.empty()) return why;
      continue;
    }
    if (std::string why = interpreter_rule(n, rc.argv); !why.empty())
      return n + " " + why + "; interpreters with inline code are never auto-allowed";
    if (std::string why = arg_rule(n, rc.argv); !why.empty()) return why;
  }
  return "";
}

// Why this redirection cannot be auto-allowed, or "".
std::string redirection_rule(const Redirection& r, const ExecEnv& env, const std::string& cwd) {
  const std::string op =
      std::string(r.fd >= 0 ? std::to_string(r.fd) : "") + redir_kind_name(r.kind);
  if (r.fd > 9)
    return "redirection '" + op + "': multi-digit descriptors are read differently by dash";
  switch (r.kind) {
    case RedirKind::kOutErr:
    case RedirKind::kAppendOutErr:
      return "'" + op + "' is bash-only: /bin/sh (dash) runs the command in the background";
    case RedirKind::kHerestring:
      return "here-string '<<<' is bash-only (/bin/sh is dash)";
    case RedirKind::kHeredoc:
    case RedirKind::kHeredocStrip:
      if (!r.target.is_static) return "here-document delimiter is not literal";
      if (!r.heredoc_static) return "here-document body has expansions or substitutions";
      return "";
    default:
      break;
  }
  if (!r.opens_file()) {
    return "";
  }
  const ShellWord& t = r.target;
  if (!t.is_static)
    return "redirection target '" + t.raw + "' is not a literal (" + t.dynamic_reason + ")";
  const std::string& v = t.value;
  if (v == "/dev/null") return "";
  std::string why = "redirection '" + op + " " + v + "' leaves the workspace";
  if (v.empty() || env.workspace.empty()) return why;
  std::string joined = join_path(cwd, v);
  if (joined.empty() || joined[0] != '/') return why;
  std::string ws_lex = lexical_normal(env.workspace);
  std::string ws_real = real_path(env.workspace).value_or(ws_lex);
  std::string lex = lexical_normal(joined);
  if (!path_within(lex, ws_lex) && !path_within(lex, ws_real)) return why;
  // What the kernel will open: the real parent directory, then the name (following a final
  // symlink, which open(2) does).
  std::size_t slash = joined.rfind('/');
  std::string parent = slash == 0 ? "/" : joined.substr(0, slash);
  std::string name = joined.substr(slash + 1);
  if (name.empty() || name == "." || name == "..") return why;
  auto real_parent = real_path(parent);
  if (!real_parent) return why + " (its directory does not exist)";
  std::string full = join_path(*real_parent, name);
  struct stat st {};
  if (::lstat(full.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
    auto target = real_path(full);
    if (!target) return why + " (dangling symlink)";
    full = *target;
  }
  if (!path_within(full, ws_real)) return why;
  return "";
}

std::string short_text(const std::vector<ShellWord>& words,
                       const std::vector<ShellWord>& assignments) {
  std::string s;
  for (const auto* list : {&assignments, &words}) {
    for (const ShellWord& w : *list) {
      if (!s.empty()) s.push_back(' ');
      s += w.raw;
    }
  }
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

}  // namespace

const char* decision_name(ExecCheck::Decision d) {
  switch (d) {
    case Decision::kAllow:
      return "allow";
    case Decision::kAsk:
      return "ask";
    case Decision::kDeny:
      return "deny";
  }
  return "deny";
}

ExecCheck check_exec(std::string_view command, const config::ExecToolConfig& policy,
                     const ExecEnv& env) {
  ExecCheck out;
  out.display.assign(command);
  if (policy.security == "deny") {
    out.decision = Decision::kDeny;
    out.reason = "exec is disabled by policy (tools.exec.security: deny)";
    return out;
  }
  auto parsed = parse_shell(command);
  if (!parsed.ok()) {
    out.decision = Decision::kDeny;
    out.reason = "cannot parse the command: " + parsed.error().message;
    return out;
  }
  const ShellParse& sp = *parsed;
  const std::string cwd = env.cwd.empty() ? env.workspace : env.cwd;

  std::vector<bool> matched;
  std::string first_reason;  // first offending command and why
  bool clean = true;         // nothing of the never-auto-allow list applies
  auto offend = [&](const std::string& why) {
    if (first_reason.empty()) first_reason = why;
  };

  if (!sp.unsupported.empty()) {
    clean = false;
    offend("unsupported shell syntax (" + sp.unsupported + " at byte " +
           std::to_string(sp.unsupported_offset) +
           "); only plain commands, pipes and lists can be auto-allowed");
  }
  if (sp.commands.empty() && sp.unsupported.empty()) {
    out.decision = Decision::kDeny;
    out.reason = "empty command";
    return out;
  }

  for (const SimpleCommand& sc : sp.commands) {
    ResolvedCommand rc;
    for (const ShellWord& w : sc.words) {
      rc.argv.push_back(w.value);
      if (!w.is_static) rc.static_words = false;
    }
    for (const ShellWord& w : sc.assignments) {
      if (!w.is_static) rc.static_words = false;
    }
    const std::string text = short_text(sc.words, sc.assignments);
    if (!rc.argv.empty()) rc.binary = resolve_binary(rc.argv[0], env, cwd);

    std::string note;
    if (!sc.assignments.empty()) {
      note =
          "variable assignment '" + sc.assignments[0].raw + "' changes the command's environment";
    } else if (sc.words.empty()) {
      note = "redirection without a command";
    }
    if (note.empty()) {
      for (const ShellWord& w : sc.words) {
        if (!w.is_static) {
          note = "'" + w.raw + "' is not a literal word (" + w.dynamic_reason + ")";
          break;
        }
      }
    }
    if (note.empty()) note = command_rule(rc);
    if (note.empty()) {
      for (const Redirection& r : sc.redirections) {
        note = redirection_rule(r, env, cwd);
        if (!note.empty()) break;
      }
    }
    if (note.empty() && sc.in_substitution) note = "runs inside a command/process substitution";
    if (note.empty() && sc.background) note = "runs in the background (&)";
    if (note.empty() && rc.binary.empty()) {
      note = "'" + rc.argv[0] + "' is not an executable file" +
             (rc.argv[0].find('/') == std::string::npos ? " in PATH" : "");
    }

    bool m = false;
    if (rc.static_words && !rc.binary.empty()) {
      for (const std::string& p : policy.allow) {
        if (pattern_matches(p, rc)) {
          m = true;
          break;
        }
      }
    }
    if (!note.empty()) {
      clean = false;
      offend("'" + text + "': " + note);
    } else if (!m) {
      offend("'" + text + "' (" + rc.binary + "): no allowlist pattern matches");
    }
    rc.note = note;
    matched.push_back(m);
    out.commands.push_back(std::move(rc));
  }
  // Belt and braces: each of these already marks a word or command above.
  if (sp.substitutions > 0) {
    clean = false;
    offend("command or process substitution present; never auto-allowed");
  }
  if (sp.background) {
    clean = false;
    offend("a command runs in the background (&); never auto-allowed");
  }
  for (const Redirection& r : sp.group_redirections) {
    std::string why = redirection_rule(r, env, cwd);
    if (!why.empty()) {
      clean = false;
      offend("redirection on a ( ) or { } group: " + why);
    }
  }

  // Allowed by the policy: still asked when ask is "always".
  auto allow = [&] {
    if (policy.ask == "always") {
      out.decision = Decision::kAsk;
      out.reason = "ask: always (every command needs approval)";
    } else {
      out.decision = Decision::kAllow;
    }
    return out;
  };
  if (policy.security == "full") return allow();
  if (policy.security != "allowlist") {
    out.decision = Decision::kDeny;
    out.reason = "unknown exec security mode '" + policy.security + "'";
    return out;
  }

  bool all_matched = std::all_of(matched.begin(), matched.end(), [](bool b) { return b; });
  if (clean && all_matched && first_reason.empty()) return allow();
  out.decision = policy.ask == "off" ? Decision::kDeny : Decision::kAsk;
  out.reason = first_reason;
  if (policy.ask == "off") out.reason += " (ask: off)";
  if (clean && !all_matched && policy.ask != "always") {
    out.allow_always_ok = true;
    for (std::size_t i = 0; i < out.commands.size(); ++i) {
      if (matched[i]) continue;
      std::string p = exact_pattern(out.commands[i]);
      if (std::find(out.allow_always_patterns.begin(), out.allow_always_patterns.end(), p) ==
          out.allow_always_patterns.end())
        out.allow_always_patterns.push_back(std::move(p));
    }
  }
  return out;
}

}  // namespace simpleclaw::tools
