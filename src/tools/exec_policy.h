// The exec tool's approval policy (SPEC §8): decides whether a command string from the model
// may run now (kAllow), needs a human (kAsk) or is refused (kDeny), from the agent's
// ExecToolConfig (security deny|allowlist|full x ask off|on-miss|always + allow patterns).
//
// The command is parsed (shell_parser.h); every simple command -- pipelines, lists,
// subshells, groups and substitutions included -- is resolved to the realpath of its binary
// (PATH lookup like the runner's) and must match an allow pattern. Shells, wrappers and
// command runners (sh -c, env, xargs, sudo, find -exec, interpreters with inline code, ...),
// non-literal words, substitutions, assignments, background jobs, unsupported syntax and
// file redirections leaving the workspace are never auto-allowed, whatever the patterns say.
//
// Pattern: "/abs/binary argglob1 argglob2 ... [**]", whitespace-separated, shell-like quoting
// ('a b' is one token; quoted characters are literal), backslash escapes a glob character.
// The binary is compared by realpath; each following token matches one argument with an
// fnmatch-style glob (* ? [...], '/' not special); a final `**` matches any number of
// remaining arguments; a pattern without arguments matches only a command without arguments.
//
// Blocking (stat/realpath on the filesystem) but cheap; pure otherwise, callable from any
// thread (run it on the worker pool from the loop).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace simpleclaw::tools {

struct ExecEnv {
  std::string path_env = "/usr/local/bin:/usr/bin:/bin";  // PATH used to resolve command names
                                                          // (the runner uses the same)
  std::string cwd;        // absolute; where the command runs (empty = workspace)
  std::string workspace;  // absolute; the agent's workspace root
};

struct ResolvedCommand {
  std::string binary;             // realpath of the executable ("" when not found)
  std::vector<std::string> argv;  // argv[0] as written, then args (literal values)
  bool static_words = true;       // every word fully static
  std::string note;               // why it cannot be auto-allowed, if so
};

struct ExecCheck {
  enum class Decision { kAllow, kAsk, kDeny };
  Decision decision = Decision::kDeny;
  std::string reason;                              // why ask/deny (empty for a plain allow)
  std::vector<ResolvedCommand> commands;           // every simple command, substitutions included,
                                                   // in source order
  std::string display;                             // the command exactly as it will run (never cut)
  bool allow_always_ok = false;                    // allow-always may be offered
  std::vector<std::string> allow_always_patterns;  // what allow-always would store
};

ExecCheck check_exec(std::string_view command, const config::ExecToolConfig& policy,
                     const ExecEnv& env);

// Whether the allowlist `pattern` matches `cmd` (binary by realpath, then argv[1..]).
bool pattern_matches(std::string_view pattern, const ResolvedCommand& cmd);

// The pattern that matches exactly `cmd`'s binary and argv[1..] (glob characters, quotes,
// backslashes and whitespace escaped).
std::string exact_pattern(const ResolvedCommand& cmd);

const char* decision_name(ExecCheck::Decision d);  // "allow" | "ask" | "deny"

}  // namespace simpleclaw::tools
