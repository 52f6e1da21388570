// The exec policy's shell parser: structure, quoting, substitutions, redirections, errors
// with offsets, and the limits.
#include "tools/shell_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace simpleclaw::tools {
namespace {

ShellParse parse_ok(std::string_view s) {
  auto r = parse_shell(s);
  EXPECT_TRUE(r.ok()) << s << ": " << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : ShellParse{};
}

std::vector<std::string> values(const SimpleCommand& c) {
  std::vector<std::string> v;
  for (const ShellWord& w : c.words) v.push_back(w.value);
  return v;
}

using V = std::vector<std::string>;

// --- structure: each case lists the words of every simple command and their operators ---

struct StructureCase {
  const char* name;
  const char* input;
  std::vector<V> commands;
  std::vector<ShellOp> ops;
};

class ShellStructure : public ::testing::TestWithParam<StructureCase> {};

TEST_P(ShellStructure, Commands) {
  const StructureCase& c = GetParam();
  ShellParse p = parse_ok(c.input);
  ASSERT_EQ(p.commands.size(), c.commands.size()) << c.input;
  for (std::size_t i = 0; i < c.commands.size(); ++i) {
    EXPECT_EQ(values(p.commands[i]), c.commands[i]) << c.input << " command " << i;
    if (i < c.ops.size()) {
      EXPECT_EQ(p.commands[i].next, c.ops[i]) << c.input << " op " << i;
    }
  }
  EXPECT_TRUE(p.unsupported.empty()) << p.unsupported;
}

using O = ShellOp;
INSTANTIATE_TEST_SUITE_P(
    Lists, ShellStructure,
    ::testing::Values(
        StructureCase{"single", "ls -la /tmp", {{"ls", "-la", "/tmp"}}, {O::kEnd}},
        StructureCase{"semicolon", "ls; pwd", {{"ls"}, {"pwd"}}, {O::kSemicolon, O::kEnd}},
        StructureCase{"trailing_semicolon", "ls;", {{"ls"}}, {O::kSemicolon}},
        StructureCase{"and_or", "a && b || c", {{"a"}, {"b"}, {"c"}}, {O::kAnd, O::kOr, O::kEnd}},
        StructureCase{"and_newline", "a &&\n b", {{"a"}, {"b"}}, {O::kAnd, O::kEnd}},
        StructureCase{"newlines",
                      "a\nb\n\nc\n",
                      {{"a"}, {"b"}, {"c"}},
                      {O::kNewline, O::kNewline, O::kNewline}},
        StructureCase{"background", "a & b", {{"a"}, {"b"}}, {O::kBackground, O::kEnd}},
        StructureCase{
            "pipeline", "a | b |& c", {{"a"}, {"b"}, {"c"}}, {O::kPipe, O::kPipeStderr, O::kEnd}},
        StructureCase{"no_spaces",
                      "a|b&&c;d",
                      {{"a"}, {"b"}, {"c"}, {"d"}},
                      {O::kPipe, O::kAnd, O::kSemicolon, O::kEnd}},
        StructureCase{
            "subshell", "(a; b) | c", {{"a"}, {"b"}, {"c"}}, {O::kSemicolon, O::kEnd, O::kEnd}},
        StructureCase{"brace_group",
                      "{ a; b; } && c",
                      {{"a"}, {"b"}, {"c"}},
                      {O::kSemicolon, O::kSemicolon, O::kEnd}},
        StructureCase{"brace_word_not_group", "echo {a} }", {{"echo", "{a}", "}"}}, {}},
        StructureCase{"comment", "ls # ; rm -rf /", {{"ls"}}, {O::kEnd}},
        StructureCase{"comment_line", "# only a comment\nls", {{"ls"}}, {}},
        StructureCase{"hash_inside_word", "echo a#b", {{"echo", "a#b"}}, {}},
        StructureCase{"line_continuation", "echo a\\\nb c", {{"echo", "ab", "c"}}, {}},
        StructureCase{"empty", "", {}, {}}, StructureCase{"blank", "  \n\t ", {}, {}}),
    [](const auto& info) { return std::string(info.param.name); });

// --- words: literal value and static flag ---

struct WordCase {
  const char* name;
  const char* input;  // one command; the word checked is the last one
  const char* value;
  bool is_static;
  const char* reason;  // substring of dynamic_reason when not static
};

class ShellWords : public ::testing::TestWithParam<WordCase> {};

TEST_P(ShellWords, LastWord) {
  const WordCase& c = GetParam();
  ShellParse p = parse_ok(c.input);
  ASSERT_FALSE(p.commands.empty()) << c.input;
  const SimpleCommand& cmd = p.commands.front();
  ASSERT_FALSE(cmd.words.empty());
  const ShellWord& w = cmd.words.back();
  EXPECT_EQ(w.value, c.value) << c.input;
  EXPECT_EQ(w.is_static, c.is_static) << c.input;
  if (!c.is_static) {
    EXPECT_NE(w.dynamic_reason.find(c.reason), std::string::npos) << w.dynamic_reason;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Quoting, ShellWords,
    ::testing::Values(
        WordCase{"plain", "echo abc", "abc", true, ""},
        WordCase{"single_quotes", "echo 'a b $x `id` *'", "a b $x `id` *", true, ""},
        WordCase{"double_quotes", "echo \"a b * ~ {a,b}\"", "a b * ~ {a,b}", true, ""},
        WordCase{"dq_escapes", "echo \"a\\\"b\\\\c\\$d\\e\"", "a\"b\\c$d\\e", true, ""},
        WordCase{"backslash", "echo a\\ b\\*", "a b*", true, ""},
        WordCase{"mixed", "echo a'b'\"c\"d", "abcd", true, ""},
        WordCase{"empty_quotes", "echo ''", "", true, ""},
        WordCase{"dollar_alone", "echo a$", "a$", true, ""},
        WordCase{"ansi_c", "echo $'a\\tb\\n'", "a\tb\n", false, "$'...'"},
        WordCase{"variable", "echo $HOME", "$HOME", false, "variable"},
        WordCase{"special_var", "echo $1", "$1", false, "variable"},
        WordCase{"variable_in_dq", "echo \"x$HOME\"", "x$HOME", false, "variable"},
        WordCase{"braced", "echo ${X:-y}", "${X:-y}", false, "parameter"},
        WordCase{"arith", "echo $((1+2))", "$((1+2))", false, "arithmetic"},
        WordCase{"cmd_subst", "echo $(id)", "$(id)", false, "command substitution"},
        WordCase{"cmd_subst_in_dq", "echo \"a $(id) b\"", "a $(id) b", false,
                 "command substitution"},
        WordCase{"backquote", "echo `id`", "`id`", false, "command substitution"},
        WordCase{"glob_star", "ls *.txt", "*.txt", false, "glob"},
        WordCase{"glob_q", "ls a?", "a?", false, "glob"},
        WordCase{"glob_bracket", "ls [ab]", "[ab]", false, "glob"},
        WordCase{"tilde", "ls ~", "~", false, "tilde"},
        WordCase{"tilde_user", "ls ~root/x", "~root/x", false, "tilde"},
        WordCase{"tilde_after_eq", "ls --dir=~", "--dir=~", false, "tilde"},
        WordCase{"tilde_middle", "git log HEAD~1", "HEAD~1", true, ""},
        WordCase{"brace_expansion", "echo {a,b}", "{a,b}", false, "brace"},
        WordCase{"brace_range", "echo x{1..3}", "x{1..3}", false, "brace"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ShellParser, AssignmentsArePrefixes) {
  ShellParse p = parse_ok("X=1 Y='a b' ls -l");
  ASSERT_EQ(p.commands.size(), 1u);
  ASSERT_EQ(p.commands[0].assignments.size(), 2u);
  EXPECT_EQ(p.commands[0].assignments[1].value, "Y=a b");
  EXPECT_EQ(values(p.commands[0]), (V{"ls", "-l"}));
  // After the command name, NAME=value is an argument.
  p = parse_ok("env X=1 ls");
  EXPECT_TRUE(p.commands[0].assignments.empty());
  EXPECT_EQ(values(p.commands[0]), (V{"env", "X=1", "ls"}));
  // A bare assignment is a command without words; a quoted name is not an assignment.
  p = parse_ok("X=1");
  EXPECT_EQ(p.commands[0].assignments.size(), 1u);
  EXPECT_TRUE(p.commands[0].words.empty());
  p = parse_ok("'X=1' ls");
  EXPECT_TRUE(p.commands[0].assignments.empty());
}

TEST(ShellParser, NestedSubstitutionsAreFlaggedAndInSourceOrder) {
  ShellParse p = parse_ok("echo \"a $(cat $(id -u) `whoami`)\" b; ls");
  ASSERT_EQ(p.commands.size(), 5u);
  EXPECT_EQ(values(p.commands[0]), (V{"echo", "a $(cat $(id -u) `whoami`)", "b"}));
  EXPECT_FALSE(p.commands[0].in_substitution);
  EXPECT_EQ(p.commands[1].words[0].value, "cat");
  EXPECT_TRUE(p.commands[1].in_substitution);
  EXPECT_EQ(values(p.commands[2]), (V{"id", "-u"}));
  EXPECT_TRUE(p.commands[2].in_substitution);
  EXPECT_EQ(values(p.commands[3]), (V{"whoami"}));
  EXPECT_TRUE(p.commands[3].in_substitution);
  EXPECT_EQ(values(p.commands[4]), (V{"ls"}));
  EXPECT_FALSE(p.commands[4].in_substitution);
  EXPECT_EQ(p.substitutions, 3);
}

TEST(ShellParser, BackquoteEscapes) {
  ShellParse p = parse_ok("echo `echo \\`id\\``");
  ASSERT_EQ(p.commands.size(), 3u);
  EXPECT_EQ(values(p.commands[2]), (V{"id"}));
  EXPECT_TRUE(p.commands[2].in_substitution);
}

TEST(ShellParser, SubstitutionInsideParameterExpansion) {
  ShellParse p = parse_ok("echo ${X:-$(rm -rf /)}");
  ASSERT_EQ(p.commands.size(), 2u);
  EXPECT_EQ(values(p.commands[1]), (V{"rm", "-rf", "/"}));
  EXPECT_TRUE(p.commands[1].in_substitution);
}

TEST(ShellParser, ProcessSubstitution) {
  ShellParse p = parse_ok("diff <(ls a) >(wc -l)");
  ASSERT_EQ(p.commands.size(), 3u);
  EXPECT_EQ(p.commands[0].words.size(), 3u);
  EXPECT_FALSE(p.commands[0].words[1].is_static);
  EXPECT_EQ(values(p.commands[1]), (V{"ls", "a"}));
  EXPECT_TRUE(p.commands[1].in_substitution);
  EXPECT_EQ(values(p.commands[2]), (V{"wc", "-l"}));
  EXPECT_TRUE(p.commands[2].in_substitution);
  EXPECT_EQ(p.substitutions, 2);
}

TEST(ShellParser, SubshellAndGroupDepth) {
  ShellParse p = parse_ok("(a; { b; (c); }) > out");
  ASSERT_EQ(p.commands.size(), 3u);
  EXPECT_EQ(p.commands[0].subshell_depth, 1);
  EXPECT_EQ(p.commands[1].group_depth, 1);
  EXPECT_EQ(p.commands[2].subshell_depth, 2);
  EXPECT_EQ(p.subshells, 2);
  EXPECT_EQ(p.brace_groups, 1);
  ASSERT_EQ(p.group_redirections.size(), 1u);
  EXPECT_EQ(p.group_redirections[0].target.value, "out");
}

TEST(ShellParser, BackgroundMarksTheWholeAndOrList) {
  ShellParse p = parse_ok("a && b & c");
  ASSERT_EQ(p.commands.size(), 3u);
  EXPECT_TRUE(p.commands[0].background);
  EXPECT_TRUE(p.commands[1].background);
  EXPECT_FALSE(p.commands[2].background);
  EXPECT_TRUE(p.background);
}

struct RedirCase {
  const char* name;
  const char* input;
  RedirKind kind;
  int fd;
  const char* target;
  bool opens_file;
};
class ShellRedirections : public ::testing::TestWithParam<RedirCase> {};
TEST_P(ShellRedirections, Parsed) {
  const RedirCase& c = GetParam();
  ShellParse p = parse_ok(c.input);
  ASSERT_EQ(p.commands.size(), 1u);
  ASSERT_EQ(p.commands[0].redirections.size(), 1u) << c.input;
  const Redirection& r = p.commands[0].redirections[0];
  EXPECT_EQ(r.kind, c.kind) << c.input;
  EXPECT_EQ(r.fd, c.fd) << c.input;
  EXPECT_EQ(r.target.value, c.target) << c.input;
  EXPECT_EQ(r.opens_file(), c.opens_file) << c.input;
  EXPECT_EQ(values(p.commands[0]), (V{"ls", "x"})) << c.input;
}
INSTANTIATE_TEST_SUITE_P(
    All, ShellRedirections,
    ::testing::Values(RedirCase{"out", "ls x > f", RedirKind::kOut, -1, "f", true},
                      RedirCase{"out_nospace", "ls x>f", RedirKind::kOut, -1, "f", true},
                      RedirCase{"append", "ls x >> 'a b'", RedirKind::kAppend, -1, "a b", true},
                      RedirCase{"in", "ls x < f", RedirKind::kIn, -1, "f", true},
                      RedirCase{"rw", "ls x <> f", RedirKind::kReadWrite, -1, "f", true},
                      RedirCase{"clobber", "ls x >| f", RedirKind::kClobber, -1, "f", true},
                      RedirCase{"out_err", "ls x &> f", RedirKind::kOutErr, -1, "f", true},
                      RedirCase{"append_err", "ls x &>> f", RedirKind::kAppendOutErr, -1, "f",
                                true},
                      RedirCase{"fd_out", "ls x 2> f", RedirKind::kOut, 2, "f", true},
                      RedirCase{"fd_dup", "ls x 2>&1", RedirKind::kDupOut, 2, "1", false},
                      RedirCase{"dup_out", "ls x >&2", RedirKind::kDupOut, -1, "2", false},
                      RedirCase{"dup_in", "ls x <&3", RedirKind::kDupIn, -1, "3", false},
                      RedirCase{"close", "ls x 2>&-", RedirKind::kDupOut, 2, "-", false},
                      RedirCase{"dup_to_file", "ls x >&f", RedirKind::kDupOut, -1, "f", true},
                      RedirCase{"multi_digit_fd", "ls x 10>f", RedirKind::kOut, 10, "f", true},
                      RedirCase{"herestring", "ls x <<< 'hi there'", RedirKind::kHerestring, -1,
                                "hi there", false},
                      RedirCase{"first", "> f ls x", RedirKind::kOut, -1, "f", true}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ShellParser, FdNeedsNoSpace) {
  ShellParse p = parse_ok("ls 2 >f");
  EXPECT_EQ(values(p.commands[0]), (V{"ls", "2"}));
  EXPECT_EQ(p.commands[0].redirections[0].fd, -1);
}

TEST(ShellParser, Heredoc) {
  ShellParse p = parse_ok("cat <<EOF | wc -l\nline $x\n  EOF\nEOF\nls");
  ASSERT_EQ(p.commands.size(), 3u);
  const Redirection& r = p.commands[0].redirections.at(0);
  EXPECT_EQ(r.kind, RedirKind::kHeredoc);
  EXPECT_EQ(r.target.value, "EOF");
  EXPECT_EQ(r.heredoc_body, "line $x\n  EOF\n");
  EXPECT_TRUE(r.heredoc_expands);
  EXPECT_FALSE(r.heredoc_static);
  EXPECT_EQ(values(p.commands[1]), (V{"wc", "-l"}));
  EXPECT_EQ(values(p.commands[2]), (V{"ls"}));

  p = parse_ok("cat <<-'E'\n\tliteral $x `id`\n\tE\n");
  const Redirection& q = p.commands[0].redirections.at(0);
  EXPECT_EQ(q.kind, RedirKind::kHeredocStrip);
  EXPECT_EQ(q.heredoc_body, "literal $x `id`\n");
  EXPECT_FALSE(q.heredoc_expands);
  EXPECT_TRUE(q.heredoc_static);
  ASSERT_EQ(p.commands.size(), 1u);

  // Substitutions in an expanded body are commands too.
  p = parse_ok("cat <<EOF\n$(rm -rf /)\nEOF");
  ASSERT_EQ(p.commands.size(), 2u);
  EXPECT_EQ(values(p.commands[1]), (V{"rm", "-rf", "/"}));
  EXPECT_TRUE(p.commands[1].in_substitution);
}

struct UnsupportedCase {
  const char* name;
  const char* input;
  const char* what;
};
class ShellUnsupported : public ::testing::TestWithParam<UnsupportedCase> {};
TEST_P(ShellUnsupported, Flagged) {
  ShellParse p = parse_ok(GetParam().input);
  EXPECT_NE(p.unsupported.find(GetParam().what), std::string::npos)
      << GetParam().input << " -> '" << p.unsupported << "'";
}
INSTANTIATE_TEST_SUITE_P(
    All, ShellUnsupported,
    ::testing::Values(UnsupportedCase{"if", "if true; then rm x; fi", "'if'"},
                      UnsupportedCase{"for", "for i in 1; do rm x; done", "'for'"},
                      UnsupportedCase{"while", "ls; while true; do :; done", "'while'"},
                      UnsupportedCase{"case", "case x in a) rm;; esac", "'case'"},
                      UnsupportedCase{"bang", "! ls", "'!'"},
                      UnsupportedCase{"dbracket", "[[ -f x ]]", "'[['"},
                      UnsupportedCase{"time", "time ls", "'time'"},
                      UnsupportedCase{"function_kw", "function f { rm x; }", "'function'"},
                      UnsupportedCase{"function_def", "ls() { rm -rf /; }; ls", "function"},
                      UnsupportedCase{"function_def_space", "f () { id; }", "function"},
                      UnsupportedCase{"arith_cmd", "((x=1))", "(("},
                      UnsupportedCase{"in_subst", "echo $(if true; then id; fi)", "'if'"},
                      UnsupportedCase{"in_group", "{ while :; do :; done; }", "'while'"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ShellParser, QuotedReservedWordIsACommand) {
  ShellParse p = parse_ok("'if' x");
  EXPECT_TRUE(p.unsupported.empty());
  EXPECT_EQ(values(p.commands[0]), (V{"if", "x"}));
}

struct ErrorCase {
  const char* name;
  std::string input;
  const char* message;
  std::size_t offset;
};
class ShellErrors : public ::testing::TestWithParam<ErrorCase> {};
TEST_P(ShellErrors, Rejected) {
  const ErrorCase& c = GetParam();
  auto r = parse_shell(c.input);
  ASSERT_FALSE(r.ok()) << c.input;
  EXPECT_NE(r.error().message.find(c.message), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().details.value("offset", std::size_t{999999}), c.offset) << r.error().message;
  EXPECT_NE(r.error().message.find("byte " + std::to_string(c.offset)), std::string::npos)
      << r.error().message;
}
INSTANTIATE_TEST_SUITE_P(
    All, ShellErrors,
    ::testing::Values(
        ErrorCase{"single_quote", "echo 'abc", "unterminated single quote", 5},
        ErrorCase{"double_quote", "ls; echo \"abc", "unterminated double quote", 9},
        ErrorCase{"ansi_c", "echo $'abc", "unterminated $'", 5},
        ErrorCase{"paren", "(ls; pwd", "unterminated '(' subshell", 0},
        ErrorCase{"brace", "{ ls; pwd", "unterminated '{' group", 0},
        ErrorCase{"brace_no_semicolon", "{ ls }", "unterminated '{' group", 0},
        ErrorCase{"cmd_subst", "echo $(ls", "unterminated '$(' command substitution", 5},
        ErrorCase{"cmd_subst_in_dq", "echo \"$(ls\"", "unterminated double quote", 10},
        ErrorCase{"backquote", "echo `ls", "unterminated '`'", 5},
        ErrorCase{"param", "echo ${X", "unterminated '${'", 5},
        ErrorCase{"arith", "echo $((1+2)", "unterminated '$(('", 5},
        ErrorCase{"proc_subst", "cat <(ls", "unterminated '<('", 4},
        ErrorCase{"heredoc", "cat <<EOF\nabc\n", "unterminated here-document", 4},
        ErrorCase{"heredoc_no_newline", "cat <<EOF", "unterminated here-document", 4},
        ErrorCase{"stray_paren", "ls )", "unexpected ')'", 3},
        ErrorCase{"leading_pipe", "| ls", "unexpected '|'", 0},
        ErrorCase{"dangling_and", "ls &&", "unexpected end", 5},
        ErrorCase{"double_semicolon", "ls;; pwd", "';;'", 2},
        ErrorCase{"empty_command", "ls; ; pwd", "unexpected ';'", 4},
        ErrorCase{"redir_no_target", "ls >", "without a target", 4},
        ErrorCase{"paren_in_command", "ls (x)", "unexpected '('", 3},
        ErrorCase{"trailing_backslash", "ls \\", "trailing backslash", 3},
        ErrorCase{"nul", std::string("ls\0rm", 5), "NUL byte", 2}),
    [](const auto& info) { return std::string(info.param.name); });

TEST(ShellParser, DepthLimit) {
  std::string ok;
  for (int i = 0; i < kMaxShellDepth; ++i) ok += "$(";
  ok += "id";
  for (int i = 0; i < kMaxShellDepth; ++i) ok += ")";
  EXPECT_TRUE(parse_shell("echo " + ok).ok());
  // "((" at command position is unsupported syntax; space the parens out.
  std::string spaced;
  for (int i = 0; i < kMaxShellDepth + 1; ++i) spaced += "( ";
  spaced += "id";
  for (int i = 0; i < kMaxShellDepth + 1; ++i) spaced += " )";
  auto r = parse_shell(spaced);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("nesting deeper than 32"), std::string::npos);
  // Very deep input is an error, not a stack overflow.
  EXPECT_FALSE(parse_shell("echo $" + std::string(30000, '(')).ok());
  std::string bq;
  for (int i = 0; i < 40; ++i) bq = "$(echo " + bq + ")";
  EXPECT_FALSE(parse_shell(bq).ok());
}

TEST(ShellParser, SizeLimit) {
  std::string big = "echo " + std::string(kMaxShellInput - 5, 'a');
  EXPECT_TRUE(parse_shell(big).ok());
  big.push_back('a');
  auto r = parse_shell(big);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("limit is 65536"), std::string::npos);
}

TEST(ShellParser, CommandLimit) {
  std::string s;
  for (std::size_t i = 0; i < kMaxShellCommands; ++i) s += "a;";
  EXPECT_TRUE(parse_shell(s).ok());
  s += "a";
  auto r = parse_shell(s);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("more than 1024 commands"), std::string::npos);
}

TEST(ShellParser, OffsetsPointAtTheSource) {
  ShellParse p = parse_ok("ls  'a b'; echo x");
  EXPECT_EQ(p.commands[0].words[1].offset, 4u);
  EXPECT_EQ(p.commands[0].words[1].raw, "'a b'");
  EXPECT_EQ(p.commands[1].offset, 11u);
}

}  // namespace
}  // namespace simpleclaw::tools
