// The exec approval policy: a table of bypass attempts that must never be auto-allowed,
// then the positive cases, the ask/security modes, allow-always and pattern semantics.
// Binaries are the machine's own (found through PATH and realpath'd); a temp workspace holds
// the symlink tricks.
#include "tools/exec_policy.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace simpleclaw::tools {
namespace {

namespace fs = std::filesystem;
using Decision = ExecCheck::Decision;

const char* kPath = "/usr/local/bin:/usr/bin:/bin";

// realpath of `name` found through kPath, "" when missing.
std::string which_real(const std::string& name) {
  std::string path = kPath;
  std::size_t i = 0;
  while (i <= path.size()) {
    std::size_t j = path.find(':', i);
    if (j == std::string::npos) j = path.size();
    std::string c = path.substr(i, j - i) + "/" + name;
    i = j + 1;
    if (::access(c.c_str(), X_OK) == 0) {
      char* r = ::realpath(c.c_str(), nullptr);
      if (r == nullptr) continue;
      std::string out(r);
      ::free(r);
      return out;
    }
  }
  return "";
}

// A workspace shared by the tests:
//   ls -> rm (symlink), bin/ls -> rm, sub/, link_out -> /etc/passwd, etc_link -> /etc,
//   escape -> /etc, dangling -> /nonexistent/x, mytool (executable script).
struct Workspace {
  std::string root;
  Workspace() {
    char tmpl[] = "/tmp/sc_exec_policy_XXXXXX";
    char* d = ::mkdtemp(tmpl);
    root = fs::canonical(d ? d : "/tmp").string();
    std::string rm = which_real("rm");
    fs::create_symlink(rm, root + "/ls");
    fs::create_directory(root + "/bin");
    fs::create_symlink(rm, root + "/bin/ls");
    fs::create_directory(root + "/sub");
    fs::create_symlink("/etc/passwd", root + "/link_out");
    fs::create_symlink("/etc", root + "/etc_link");
    fs::create_symlink("/etc", root + "/escape");
    fs::create_symlink("/nonexistent/x", root + "/dangling");
    std::ofstream(root + "/mytool") << "#!/bin/sh\necho hi\n";
    ::chmod((root + "/mytool").c_str(), 0755);
  }
  ~Workspace() {
    std::error_code ec;
    fs::remove_all(root, ec);
  }
};

Workspace& ws() {
  static Workspace w;
  return w;
}

ExecEnv env_in(const std::string& cwd_rel = "") {
  ExecEnv e;
  e.path_env = kPath;
  e.workspace = ws().root;
  e.cwd = cwd_rel.empty() ? ws().root : ws().root + "/" + cwd_rel;
  return e;
}

// The allowlist of the suite: plain tools, plus `**` patterns for wrappers and interpreters
// to show that the never-auto-allow rules win over a matching pattern.
config::ExecToolConfig allowlist_policy(std::string ask = "on-miss") {
  config::ExecToolConfig p;
  p.security = "allowlist";
  p.ask = std::move(ask);
  for (const char* n : {"ls", "echo", "cat"}) {
    std::string b = which_real(n);
    if (!b.empty()) p.allow.push_back(b + " **");
  }
  if (std::string git = which_real("git"); !git.empty()) {
    p.allow.push_back(git + " status");
    p.allow.push_back(git + " log **");
  }
  for (const char* n : {"sh", "bash", "env", "xargs", "nohup", "timeout", "find", "nice", "stdbuf",
                        "setsid", "python3", "perl", "awk", "sed", "busybox", "sudo"}) {
    std::string b = which_real(n);
    if (!b.empty()) p.allow.push_back(b + " **");
  }
  return p;
}

ResolvedCommand rc(std::string binary, std::vector<std::string> argv) {
  ResolvedCommand c;
  c.binary = std::move(binary);
  c.argv = std::move(argv);
  return c;
}

bool have_basics() {
  return !which_real("ls").empty() && !which_real("echo").empty() && !which_real("cat").empty() &&
         !which_real("rm").empty();
}

// --- the bypass suite ---

struct BypassCase {
  const char* name;
  std::string command;
  Decision expected;     // kAsk or kDeny, never kAllow
  const char* reason;    // substring of the reason ("" = any)
  const char* cwd = "";  // relative to the workspace
};

class ExecBypass : public ::testing::TestWithParam<BypassCase> {};

TEST_P(ExecBypass, NeverAutoAllowed) {
  if (!have_basics()) GTEST_SKIP() << "ls/echo/cat/rm not found in PATH";
  const BypassCase& c = GetParam();
  ASSERT_NE(c.expected, Decision::kAllow);
  ExecCheck r = check_exec(c.command, allowlist_policy(), env_in(c.cwd));
  EXPECT_EQ(decision_name(r.decision), std::string(decision_name(c.expected)))
      << c.command << "\nreason: " << r.reason;
  EXPECT_NE(r.reason.find(c.reason), std::string::npos)
      << c.command << "\nreason: " << r.reason << "\nwanted: " << c.reason;
  EXPECT_EQ(r.display, c.command);
  // Allow-always must never store a wrapper or anything the rules refuse.
  for (const std::string& p : r.allow_always_patterns) {
    for (const char* w : {"/sh ", "/bash ", "/env ", "/xargs ", "/nohup ", "/timeout "}) {
      EXPECT_EQ(p.find(w), std::string::npos) << p;
    }
  }
}

const Decision kAsk = Decision::kAsk;
const Decision kDeny = Decision::kDeny;

INSTANTIATE_TEST_SUITE_P(
    Table, ExecBypass,
    ::testing::Values(
        // Shells, wrappers, command runners.
        BypassCase{"sh_c", "sh -c 'ls'", kAsk, "sh runs or changes how another command runs"},
        BypassCase{"bash_lc", "bash -lc ls", kAsk, "bash runs"},
        BypassCase{"abs_sh", "/bin/sh -c ls", kAsk, "sh runs"},
        BypassCase{"env", "env ls", kAsk, "env runs"},
        BypassCase{"env_assign", "env X=1 ls", kAsk, "env runs"},
        BypassCase{"xargs", "xargs rm", kAsk, "xargs runs"},
        BypassCase{"nohup", "nohup ls", kAsk, "nohup runs"},
        BypassCase{"timeout", "timeout 5 ls", kAsk, "timeout runs"},
        BypassCase{"sudo", "sudo ls", kAsk, "sudo runs"},
        BypassCase{"find_exec", "find . -exec rm {} \\;", kAsk, "find -exec"},
        BypassCase{"find_delete", "find . -name x -delete", kAsk, "find -exec"},
        BypassCase{"busybox", "busybox ls", kAsk, "busybox runs"},
        BypassCase{"exec", "exec ls", kAsk, "exec runs"},
        BypassCase{"eval", "eval ls", kAsk, "eval runs"},
        BypassCase{"command", "command ls", kAsk, "command runs"},
        BypassCase{"nice", "nice ls", kAsk, "nice runs"},
        BypassCase{"stdbuf", "stdbuf -o0 ls", kAsk, "stdbuf runs"},
        BypassCase{"setsid", "setsid ls", kAsk, "setsid runs"},
        BypassCase{"dot_source", ". ./script", kAsk, ". runs"},
        BypassCase{"cd_changes_cwd", "cd /etc && cat passwd", kAsk, "cd runs"},
        // Pipes past an allowed first command.
        BypassCase{"pipe_sh", "ls | sh", kAsk, "'sh': sh runs"},
        BypassCase{"pipe_bash", "cat x | bash", kAsk, "'bash': bash runs"},
        BypassCase{"pipe_stderr_rm", "ls |& rm -rf /", kAsk, "'rm -rf /'"},
        // Lists.
        BypassCase{"semicolon_rm", "ls; rm -rf /", kAsk, "'rm -rf /'"},
        BypassCase{"and_curl_sh", "ls && curl x | sh", kAsk, "'curl x'"},
        BypassCase{"or_rm", "ls || rm x", kAsk, "'rm x'"},
        BypassCase{"newline_rm", "ls\nrm -rf /", kAsk, "'rm -rf /'"},
        BypassCase{"trailing_bare_assign", "ls; X=1", kAsk, "assignment"},
        // Substitutions.
        BypassCase{"cmd_subst_arg", "ls $(rm -rf /)", kAsk, "command substitution"},
        BypassCase{"cmd_subst_dq", "echo \"$(id)\"", kAsk, "command substitution"},
        BypassCase{"backquote", "ls `id`", kAsk, "command substitution"},
        BypassCase{"subst_in_param", "ls ${X:-$(id)}", kAsk, "parameter expansion"},
        BypassCase{"process_subst", "cat <(rm x)", kAsk, "process substitution"},
        BypassCase{"heredoc_subst", "cat <<EOF\n$(id)\nEOF", kAsk, "here-document"},
        // Assignments.
        BypassCase{"assign_prefix", "X=1 ls", kAsk, "assignment 'X=1'"},
        BypassCase{"path_prefix", "PATH=/tmp ls", kAsk, "assignment 'PATH=/tmp'"},
        BypassCase{"ld_preload", "LD_PRELOAD=/tmp/x.so ls", kAsk, "assignment 'LD_PRELOAD"},
        BypassCase{"bare_assign", "X=1", kAsk, "assignment"},
        // Binary resolution.
        BypassCase{"workspace_symlink", "./ls -la", kAsk, "no allowlist pattern matches"},
        BypassCase{"parent_dir_symlink", "../bin/ls", kAsk, "no allowlist pattern matches", "sub"},
        BypassCase{"not_found", "no-such-tool-xyz", kAsk, "not an executable file in PATH"},
        BypassCase{"relative_dir_tool", "mytool", kAsk, "not an executable file in PATH"},
        // Redirections.
        BypassCase{"redir_etc", "ls > /etc/passwd", kAsk, "leaves the workspace"},
        BypassCase{"redir_parent", "ls > ../x", kAsk, "leaves the workspace"},
        BypassCase{"redir_tilde", "ls >> ~/.bashrc", kAsk, "tilde"},
        BypassCase{"redir_tmp", "echo x > /tmp/y", kAsk, "leaves the workspace"},
        BypassCase{"redir_in_shadow", "cat < /etc/shadow", kAsk, "leaves the workspace"},
        BypassCase{"redir_symlink_file", "echo x > link_out", kAsk, "leaves the workspace"},
        BypassCase{"redir_symlink_dir", "echo x > etc_link/x", kAsk, "leaves the workspace"},
        BypassCase{"redir_dotdot_after_symlink", "echo x > escape/../x", kAsk,
                   "leaves the workspace"},
        BypassCase{"redir_dangling", "echo x > dangling", kAsk, "dangling"},
        BypassCase{"redir_var", "echo x > $F", kAsk, "not a literal"},
        BypassCase{"redir_dup_file", "ls >&/etc/passwd", kAsk, "leaves the workspace"},
        BypassCase{"redir_and_gt", "ls &> out.txt", kAsk, "bash-only"},
        BypassCase{"redir_multi_digit_fd", "ls 10> out.txt", kAsk, "multi-digit"},
        BypassCase{"redir_only", "> /etc/passwd", kAsk, "redirection without a command"},
        BypassCase{"group_redir", "(ls) > /etc/passwd", kAsk, "group"},
        BypassCase{"herestring", "cat <<< hi", kAsk, "bash-only"},
        // Words that are not literal.
        BypassCase{"var_home", "ls $HOME", kAsk, "variable expansion"},
        BypassCase{"var_braced", "ls ${X}", kAsk, "parameter expansion"},
        BypassCase{"glob", "ls *", kAsk, "glob"}, BypassCase{"tilde", "ls ~", kAsk, "tilde"},
        BypassCase{"brace_expansion", "ls {a,b}", kAsk, "brace expansion"},
        BypassCase{"ansi_c_quote", "ls $'\\x2fetc'", kAsk, "bash-only"},
        BypassCase{"var_command_name", "$X", kAsk, "variable expansion"},
        // Background, subshells, groups, unsupported syntax.
        BypassCase{"background", "ls &", kAsk, "background"},
        BypassCase{"background_first", "ls & echo x", kAsk, "background"},
        BypassCase{"subshell_rm", "(rm x)", kAsk, "'rm x'"},
        BypassCase{"group_rm", "{ rm x; }", kAsk, "'rm x'"},
        BypassCase{"if", "if true; then rm x; fi", kAsk, "unsupported shell syntax"},
        BypassCase{"for", "for i in 1; do rm x; done", kAsk, "unsupported shell syntax"},
        BypassCase{"function_def", "ls() { rm -rf /; }; ls", kAsk, "function definition"},
        BypassCase{"function_kw", "function ls { rm x; }", kAsk, "unsupported"},
        BypassCase{"bang", "! ls", kAsk, "unsupported"},
        BypassCase{"time", "time ls", kAsk, "unsupported"},
        // Tools that run other code.
        BypassCase{"git_c", "git -c core.pager=id log", kAsk, "git -c"},
        BypassCase{"git_exec_path", "git --exec-path=/tmp log", kAsk, "git -c"},
        BypassCase{"python_c", "python3 -c 'import os; os.system(\"id\")'", kAsk, "inline code"},
        BypassCase{"python_stdin", "echo 'import os' | python3", kAsk, "stdin"},
        BypassCase{"perl_e", "perl -e 'system(\"id\")'", kAsk, "inline code"},
        BypassCase{"perl_ne", "perl -ne print x", kAsk, "inline code"},
        BypassCase{"awk_system", "awk 'BEGIN{system(\"id\")}'", kAsk, "awk"},
        BypassCase{"sed_e", "sed 's/x/id/e' f", kAsk, "sed script"},
        BypassCase{"sed_w", "sed -n 'w /etc/x' f", kAsk, "sed script"},
        BypassCase{"sed_i", "sed -i s/a/b/ f", kAsk, "sed -i"},
        // Unparseable input is refused.
        BypassCase{"unterminated_quote", "ls 'abc", kDeny, "unterminated single quote"},
        BypassCase{"unterminated_subst", "ls $(id", kDeny, "unterminated"},
        BypassCase{"unterminated_paren", "(ls", kDeny, "unterminated"},
        BypassCase{"syntax_error", "ls ;; rm", kDeny, "cannot parse"},
        BypassCase{"nul_byte", std::string("ls\0; rm -rf /", 13), kDeny, "NUL byte"},
        BypassCase{"too_long", "ls " + std::string(70000, 'a'), kDeny, "limit is 65536"},
        BypassCase{"empty", "   ", kDeny, "empty command"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ExecBypassSuite, HasAtLeast45Cases) {
  // The table above is the regression list for approval bypasses; keep it growing.
  const ::testing::UnitTest* u = ::testing::UnitTest::GetInstance();
  int n = 0;
  for (int i = 0; i < u->total_test_suite_count(); ++i) {
    const ::testing::TestSuite* s = u->GetTestSuite(i);
    if (std::string(s->name()) == "Table/ExecBypass") n = s->total_test_count();
  }
  EXPECT_GE(n, 45);
}

TEST(ExecPolicy, WorkspaceSymlinkResolvesToItsTarget) {
  if (!have_basics()) GTEST_SKIP();
  ExecCheck r = check_exec("./ls -la", allowlist_policy(), env_in());
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].binary, which_real("rm"));
  EXPECT_EQ(r.commands[0].argv, (std::vector<std::string>{"./ls", "-la"}));
  // What allow-always would store is the real binary, not the name it was called by.
  ASSERT_TRUE(r.allow_always_ok);
  EXPECT_EQ(r.allow_always_patterns, (std::vector<std::string>{which_real("rm") + " -la"}));
}

TEST(ExecPolicy, RelativePathEntriesAreIgnored) {
  if (!have_basics()) GTEST_SKIP();
  ExecEnv e = env_in();
  e.path_env = std::string(".:sub:") + kPath;
  ExecCheck r = check_exec("mytool", allowlist_policy(), e);
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].binary, "");
  // An absolute entry does find it.
  e.path_env = ws().root + ":" + kPath;
  r = check_exec("mytool", allowlist_policy(), e);
  EXPECT_EQ(r.commands[0].binary, ws().root + "/mytool");
  EXPECT_EQ(r.decision, Decision::kAsk);
}

TEST(ExecPolicy, LongCommandIsShownInFull) {
  if (!have_basics()) GTEST_SKIP();
  std::string cmd = "echo " + std::string(50 * 1024, 'x') + "; rm -rf /";
  ExecCheck r = check_exec(cmd, allowlist_policy(), env_in());
  EXPECT_EQ(r.decision, Decision::kAsk);
  EXPECT_EQ(r.display, cmd);
  EXPECT_EQ(r.display.size(), cmd.size());
  EXPECT_NE(r.reason.find("rm -rf /"), std::string::npos) << r.reason.substr(0, 300);
  EXPECT_LT(r.reason.size(), 1000u);  // the reason is short; the display is the full text
}

TEST(ExecPolicy, CommandsIncludeSubstitutionsInSourceOrder) {
  if (!have_basics()) GTEST_SKIP();
  ExecCheck r = check_exec("ls $(rm -rf /) | cat", allowlist_policy(), env_in());
  ASSERT_EQ(r.commands.size(), 3u);
  EXPECT_EQ(r.commands[0].argv[0], "ls");
  EXPECT_FALSE(r.commands[0].static_words);
  EXPECT_EQ(r.commands[1].argv, (std::vector<std::string>{"rm", "-rf", "/"}));
  EXPECT_NE(r.commands[1].note.find("substitution"), std::string::npos);
  EXPECT_EQ(r.commands[2].argv[0], "cat");
  EXPECT_FALSE(r.allow_always_ok);
  EXPECT_TRUE(r.allow_always_patterns.empty());
}

// --- positive cases ---

struct AllowCase {
  const char* name;
  const char* command;
};
class ExecAllowed : public ::testing::TestWithParam<AllowCase> {};
TEST_P(ExecAllowed, Allowed) {
  if (!have_basics()) GTEST_SKIP();
  ExecCheck r = check_exec(GetParam().command, allowlist_policy(), env_in());
  for (const ResolvedCommand& c : r.commands) {
    if (c.binary.empty()) GTEST_SKIP() << c.argv.at(0) << " not installed";
  }
  EXPECT_EQ(decision_name(r.decision), std::string("allow"))
      << GetParam().command << "\nreason: " << r.reason;
  EXPECT_FALSE(r.allow_always_ok);
}
INSTANTIATE_TEST_SUITE_P(
    Plain, ExecAllowed,
    ::testing::Values(AllowCase{"ls_la", "ls -la"}, AllowCase{"pipe", "ls | cat"},
                      AllowCase{"and", "ls && echo ok"}, AllowCase{"list", "ls; echo a\necho b"},
                      AllowCase{"redirect_in_ws", "echo hi > out.txt"},
                      AllowCase{"redirect_subdir", "echo hi >> sub/out.txt"},
                      AllowCase{"redirect_abs_in_ws", "echo hi > ./sub/../out.txt"},
                      AllowCase{"read_in_ws", "cat < out.txt"}, AllowCase{"dup", "ls 2>&1"},
                      AllowCase{"close", "ls 2>&-"}, AllowCase{"dev_null", "ls > /dev/null 2>&1"},
                      AllowCase{"comment", "ls # ; rm -rf /"},
                      AllowCase{"quoted_glob", "ls '*' \"~\" \\{a,b\\}"},
                      AllowCase{"find_braces_literal", "echo {} {a}"},
                      AllowCase{"abs_path", "/bin/ls -l"},
                      AllowCase{"subshell", "(ls; echo x) | cat"},
                      AllowCase{"group", "{ ls; echo x; } > out.txt"},
                      AllowCase{"static_heredoc", "cat <<'EOF'\n$(id) `id` $HOME\nEOF"},
                      AllowCase{"heredoc_plain", "cat <<EOF > out.txt\nhello\nEOF"},
                      // Allowlisted tools whose arguments stay within the rules.
                      AllowCase{"git_log", "git log --oneline -n 5"},
                      AllowCase{"python_script", "python3 script.py --flag"},
                      AllowCase{"sed_plain", "sed -n --posix s/a/b/p f.txt"},
                      AllowCase{"find_plain", "find . -name '*.txt' -type f"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ExecPolicy, GitStatusPatternHasNoArgs) {
  std::string git = which_real("git");
  if (git.empty()) GTEST_SKIP() << "git not installed";
  auto p = allowlist_policy();
  EXPECT_EQ(check_exec("git status", p, env_in()).decision, Decision::kAllow);
  EXPECT_EQ(check_exec("git status --short", p, env_in()).decision, Decision::kAsk);
  EXPECT_EQ(check_exec("git push", p, env_in()).decision, Decision::kAsk);
}

TEST(ExecPolicy, AskAlwaysAsksEvenWhenAllowlisted) {
  if (!have_basics()) GTEST_SKIP();
  ExecCheck r = check_exec("ls -la", allowlist_policy("always"), env_in());
  EXPECT_EQ(r.decision, Decision::kAsk);
  EXPECT_NE(r.reason.find("always"), std::string::npos);
  EXPECT_FALSE(r.allow_always_ok);
}

TEST(ExecPolicy, AskOffDeniesMisses) {
  if (!have_basics()) GTEST_SKIP();
  auto p = allowlist_policy("off");
  EXPECT_EQ(check_exec("ls -la", p, env_in()).decision, Decision::kAllow);
  ExecCheck r = check_exec("rm -f a.txt", p, env_in());
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_NE(r.reason.find("'rm -f a.txt'"), std::string::npos) << r.reason;
  EXPECT_EQ(check_exec("sh -c ls", p, env_in()).decision, Decision::kDeny);
}

TEST(ExecPolicy, SecurityDenyRefusesEverything) {
  auto p = allowlist_policy();
  p.security = "deny";
  ExecCheck r = check_exec("ls", p, env_in());
  EXPECT_EQ(r.decision, Decision::kDeny);
  EXPECT_NE(r.reason.find("disabled by policy"), std::string::npos);
  EXPECT_EQ(r.display, "ls");
}

TEST(ExecPolicy, SecurityFullAllowsUnlessAskAlways) {
  config::ExecToolConfig p;
  p.security = "full";
  p.ask = "on-miss";
  EXPECT_EQ(check_exec("rm -rf build; sh -c 'x'", p, env_in()).decision, Decision::kAllow);
  EXPECT_EQ(check_exec("ls 'unterminated", p, env_in()).decision, Decision::kDeny);
  p.ask = "always";
  EXPECT_EQ(check_exec("ls", p, env_in()).decision, Decision::kAsk);
}

TEST(ExecPolicy, UnknownSecurityModeDenies) {
  config::ExecToolConfig p;
  p.security = "bogus";
  EXPECT_EQ(check_exec("ls", p, env_in()).decision, Decision::kDeny);
}

// --- allow-always ---

TEST(ExecPolicy, AllowAlwaysStoresTheExactCommand) {
  if (!have_basics()) GTEST_SKIP();
  const std::string rm = which_real("rm");
  ExecCheck r = check_exec("rm -f a.txt", allowlist_policy(), env_in());
  EXPECT_EQ(r.decision, Decision::kAsk);
  ASSERT_TRUE(r.allow_always_ok);
  ASSERT_EQ(r.allow_always_patterns, (std::vector<std::string>{rm + " -f a.txt"}));
  const std::string& pat = r.allow_always_patterns[0];
  EXPECT_TRUE(pattern_matches(pat, rc(rm, {"rm", "-f", "a.txt"})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "-f", "b.txt"})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "-f", "a.txt", "/"})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "-f"})));
  // With the pattern stored, the same command is allowed; another is not.
  auto p = allowlist_policy();
  p.allow.push_back(pat);
  EXPECT_EQ(check_exec("rm -f a.txt", p, env_in()).decision, Decision::kAllow);
  EXPECT_EQ(check_exec("rm -f b.txt", p, env_in()).decision, Decision::kAsk);
}

TEST(ExecPolicy, AllowAlwaysEscapesGlobCharacters) {
  if (!have_basics()) GTEST_SKIP();
  const std::string rm = which_real("rm");
  ExecCheck r = check_exec("rm 'a*' 'x y' '[z]' '**' ''", allowlist_policy(), env_in());
  ASSERT_TRUE(r.allow_always_ok);
  ASSERT_EQ(r.allow_always_patterns.size(), 1u);
  const std::string& pat = r.allow_always_patterns[0];
  EXPECT_EQ(pat, rm + " a\\* x\\ y \\[z\\] \\*\\* ''");
  EXPECT_TRUE(pattern_matches(pat, rc(rm, {"rm", "a*", "x y", "[z]", "**", ""})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "ab", "x y", "[z]", "**", ""})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "a*", "x y", "z", "**", ""})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "a*", "x y", "[z]", "a", ""})));
  EXPECT_FALSE(pattern_matches(pat, rc(rm, {"rm", "a*", "x y", "[z]", "**", "", "extra"})));
}

TEST(ExecPolicy, AllowAlwaysOnlyForTheMissedCommands) {
  if (!have_basics()) GTEST_SKIP();
  ExecCheck r = check_exec("ls -l && rm x && rm x", allowlist_policy(), env_in());
  EXPECT_EQ(r.decision, Decision::kAsk);
  ASSERT_TRUE(r.allow_always_ok);
  EXPECT_EQ(r.allow_always_patterns, (std::vector<std::string>{which_real("rm") + " x"}));
}

struct NoAllowAlwaysCase {
  const char* name;
  const char* command;
};
class ExecNoAllowAlways : public ::testing::TestWithParam<NoAllowAlwaysCase> {};
TEST_P(ExecNoAllowAlways, NotOffered) {
  if (!have_basics()) GTEST_SKIP();
  ExecCheck r = check_exec(GetParam().command, allowlist_policy(), env_in());
  EXPECT_NE(r.decision, Decision::kAllow) << GetParam().command;
  EXPECT_FALSE(r.allow_always_ok) << GetParam().command;
  EXPECT_TRUE(r.allow_always_patterns.empty()) << GetParam().command;
}
INSTANTIATE_TEST_SUITE_P(Refused, ExecNoAllowAlways,
                         ::testing::Values(NoAllowAlwaysCase{"wrapper", "sh -c 'rm x'"},
                                           NoAllowAlwaysCase{"wrapper_in_pipe", "rm x | env"},
                                           NoAllowAlwaysCase{"substitution", "rm $(id)"},
                                           NoAllowAlwaysCase{"assignment", "X=1 rm x"},
                                           NoAllowAlwaysCase{"redirect_out", "rm x > /etc/x"},
                                           NoAllowAlwaysCase{"background", "rm x &"},
                                           NoAllowAlwaysCase{"unsupported",
                                                             "if true; then rm x; fi"},
                                           NoAllowAlwaysCase{"not_found", "no-such-tool-xyz"},
                                           NoAllowAlwaysCase{"glob", "rm *"},
                                           NoAllowAlwaysCase{"python_c", "python3 -c 1"}),
                         [](const auto& info) { return std::string(info.param.name); });

// --- pattern semantics ---

TEST(ExecPattern, DoubleStarAndArgCounts) {
  std::string ls = which_real("ls");
  if (ls.empty()) GTEST_SKIP();
  auto cmd = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "ls");
    return rc(ls, args);
  };
  EXPECT_TRUE(pattern_matches(ls + " **", cmd({})));
  EXPECT_TRUE(pattern_matches(ls + " **", cmd({"-l", "a", "b"})));
  EXPECT_TRUE(pattern_matches(ls, cmd({})));
  EXPECT_FALSE(pattern_matches(ls, cmd({"-l"})));
  EXPECT_TRUE(pattern_matches(ls + " -l **", cmd({"-l"})));
  EXPECT_TRUE(pattern_matches(ls + " -l **", cmd({"-l", "x"})));
  EXPECT_FALSE(pattern_matches(ls + " -l **", cmd({"-a", "-l"})));
  EXPECT_TRUE(pattern_matches(ls + " *", cmd({"x"})));
  EXPECT_FALSE(pattern_matches(ls + " *", cmd({})));
  EXPECT_FALSE(pattern_matches(ls + " *", cmd({"x", "y"})));
  // Not FNM_PATHNAME: '*' crosses '/'; leading dots match.
  EXPECT_TRUE(pattern_matches(ls + " *.txt", cmd({"a/b/c.txt"})));
  EXPECT_TRUE(pattern_matches(ls + " *", cmd({".hidden"})));
  EXPECT_TRUE(pattern_matches(ls + " -[la]", cmd({"-a"})));
  EXPECT_FALSE(pattern_matches(ls + " -[!la]", cmd({"-a"})));
  EXPECT_TRUE(pattern_matches(ls + " ?", cmd({"x"})));
  // A quoted or escaped `**` is a literal argument, and `**` not last matches one arg.
  EXPECT_FALSE(pattern_matches(ls + " '**'", cmd({"a", "b"})));
  EXPECT_TRUE(pattern_matches(ls + " '**'", cmd({"**"})));
  EXPECT_TRUE(pattern_matches(ls + " ** -l", cmd({"x", "-l"})));
  EXPECT_FALSE(pattern_matches(ls + " ** -l", cmd({"x", "y", "-l"})));
  // Quoting groups words; escapes make glob characters literal.
  EXPECT_TRUE(pattern_matches(ls + " 'a b'", cmd({"a b"})));
  EXPECT_TRUE(pattern_matches(ls + " \"a *\"", cmd({"a *"})));
  EXPECT_FALSE(pattern_matches(ls + " \"a *\"", cmd({"a b"})));
  EXPECT_TRUE(pattern_matches(ls + " a\\*", cmd({"a*"})));
  EXPECT_FALSE(pattern_matches(ls + " a\\*", cmd({"ab"})));
  // The binary must match; an unresolved command never matches.
  EXPECT_FALSE(pattern_matches("/usr/bin/nonexistent-xyz **", cmd({})));
  EXPECT_FALSE(pattern_matches(ls + " **", rc("", {"ls"})));
  EXPECT_FALSE(pattern_matches("ls **", cmd({})));  // not absolute
  EXPECT_FALSE(pattern_matches("", cmd({})));
}

TEST(ExecPattern, BinaryIsRealpathed) {
  std::string ls = which_real("ls");
  if (ls.empty()) GTEST_SKIP();
  // /bin/ls: /bin is a symlink to /usr/bin on merged-/usr systems; either way it resolves.
  if (::access("/bin/ls", X_OK) == 0) {
    EXPECT_TRUE(pattern_matches("/bin/ls **", rc(ls, {"ls", "-l"})));
  }
  std::string py = which_real("python3");
  if (py.empty() || ::access("/usr/bin/python3", X_OK) != 0) GTEST_SKIP() << "no python3";
  // /usr/bin/python3 -> python3.11: the pattern names the link, the command resolves.
  ExecCheck r = check_exec(
      "python3 script.py",
      [] {
        config::ExecToolConfig p;
        p.allow = {"/usr/bin/python3 **"};
        return p;
      }(),
      env_in());
  ASSERT_EQ(r.commands.size(), 1u);
  EXPECT_EQ(r.commands[0].binary, py);
  EXPECT_EQ(r.decision, Decision::kAllow) << r.reason;
}

TEST(ExecPattern, ExactPatternRoundTrips) {
  std::vector<std::vector<std::string>> argvs = {{"x"},
                                                 {"x", "a"},
                                                 {"x", "a b", "c\td", "e\nf"},
                                                 {"x", "'q'", "\"dq\"", "back\\slash"},
                                                 {"x", "*", "?", "[", "]", "**", "-"},
                                                 {"x", ""}};
  std::string bin = "/opt/dir with space/bin*";
  for (const auto& argv : argvs) {
    ResolvedCommand c = rc(bin, argv);
    std::string p = exact_pattern(c);
    EXPECT_TRUE(pattern_matches(p, c)) << p;
    ResolvedCommand other = c;
    other.argv.push_back("more");
    EXPECT_FALSE(pattern_matches(p, other)) << p;
  }
}

}  // namespace
}  // namespace simpleclaw::tools
