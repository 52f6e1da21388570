// Fuzzes the exec policy's shell parser and checker with the model's side of the exec tool:
// arbitrary bytes as a command. Must never crash, hang or leak, and must keep its own
// invariants: the display is the input unchanged, an allow means every command is static
// and clean, and exact_pattern() of a command always matches that command.
#include "tools/shell_parser.h"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tools/exec_policy.h"

using namespace simpleclaw;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = tools::parse_shell(input);
  if (parsed.ok()) {
    for (const auto& c : parsed->commands) {
      for (const auto& w : c.words) {
        if (w.offset > input.size()) __builtin_trap();
      }
    }
  }

  static const config::ExecToolConfig policy = [] {
    config::ExecToolConfig p;
    p.security = "allowlist";
    p.ask = "on-miss";
    p.allow = {"/usr/bin/ls **", "/usr/bin/echo **", "/usr/bin/cat **", "/usr/bin/git status"};
    return p;
  }();
  static const tools::ExecEnv env = [] {
    tools::ExecEnv e;
    e.cwd = "/tmp";
    e.workspace = "/tmp";
    return e;
  }();
  tools::ExecCheck r = tools::check_exec(input, policy, env);
  if (r.display != input) __builtin_trap();
  if (!parsed.ok() && r.decision != tools::ExecCheck::Decision::kDeny) __builtin_trap();
  for (const auto& c : r.commands) {
    if (r.decision == tools::ExecCheck::Decision::kAllow && (!c.static_words || !c.note.empty()))
      __builtin_trap();
    if (!c.binary.empty() && !c.argv.empty() && !tools::pattern_matches(tools::exact_pattern(c), c))
      __builtin_trap();
  }
  // The input as an allowlist pattern: must not crash on any bytes.
  if (!r.commands.empty()) (void)tools::pattern_matches(input, r.commands.front());
  return 0;
}
