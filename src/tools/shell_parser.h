// A conservative parser for the shell commands the model hands the `exec` tool (they run as
// `/bin/sh -c <command>`, dash on Debian). It turns the text into a flat list of simple
// commands -- lists, pipelines, ( ) subshells, { } groups, command and process
// substitutions all included, in source order -- each with its assignments, words (literal
// value after quote removal + whether the word is fully static) and redirections. The exec
// policy (exec_policy.h) decides on that list.
//
// It does not try to be a shell: compound commands with reserved words (if, for, case, ...),
// function definitions and `((` stop the parse with `unsupported` set, and anything whose
// meaning depends on run-time state (variables, globs, tilde, brace expansion, substitutions)
// is marked "not static". Bounded: input <= 64 KiB, nesting <= 32, <= 1024 simple commands;
// any byte string gives a result or an error (NUL bytes are an error), never a crash.
//
// Pure functions on values; callable from any thread.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::tools {

inline constexpr std::size_t kMaxShellInput = 64 * 1024;  // bytes
inline constexpr int kMaxShellDepth = 32;                 // ( ), { }, $( ), ` `, <( ), ${ } nested
inline constexpr std::size_t kMaxShellCommands = 1024;    // simple commands per parse

// One word (argument, assignment, redirection target).
struct ShellWord {
  std::string raw;             // the source text, quotes included
  std::string value;           // after quote removal; expansions kept as their source text
  bool is_static = true;       // no expansion, glob, tilde, brace expansion or substitution
  std::string dynamic_reason;  // first reason it is not static, e.g. "variable expansion"
  std::size_t offset = 0;      // byte offset in the input
};

enum class RedirKind {
  kIn,            // <
  kOut,           // >
  kAppend,        // >>
  kReadWrite,     // <>
  kClobber,       // >|
  kOutErr,        // &>  (bash; dash reads it as `&` then `>`)
  kAppendOutErr,  // &>> (bash)
  kDupIn,         // <&N, <&-
  kDupOut,        // >&N, >&-, and bash's >&file
  kHeredoc,       // <<
  kHeredocStrip,  // <<- (leading tabs stripped)
  kHerestring,    // <<< (bash)
};

struct Redirection {
  RedirKind kind = RedirKind::kOut;
  int fd = -1;                   // explicit descriptor before the operator (N>), -1 = none
  ShellWord target;              // file, descriptor, "-", here-document delimiter or string
  std::string heredoc_body;      // here-documents: the body (tabs stripped for <<-)
  bool heredoc_expands = false;  // unquoted delimiter: the body is expanded
  bool heredoc_static = true;    // the body has no $ expansion or substitution
  std::size_t offset = 0;

  // Whether this opens a file by name (as opposed to duplicating/closing a descriptor or
  // feeding a here-document/here-string).
  bool opens_file() const;
};

// The operator that follows a simple command inside its own list.
enum class ShellOp { kEnd, kSemicolon, kNewline, kAnd, kOr, kBackground, kPipe, kPipeStderr };

struct SimpleCommand {
  std::vector<ShellWord> assignments;  // NAME=value words before the command name
  std::vector<ShellWord> words;        // command name and arguments
  std::vector<Redirection> redirections;
  ShellOp next = ShellOp::kEnd;  // operator after it (a group's own operator is not recorded)
  bool in_substitution = false;  // inside $( ), ` `, <( ) or >( ) (at any depth)
  bool background = false;       // part of an and-or list ended by `&`
  int subshell_depth = 0;        // enclosing ( ) subshells
  int group_depth = 0;           // enclosing { } groups
  std::size_t offset = 0;        // byte offset of its first token
};

struct ShellParse {
  std::vector<SimpleCommand> commands;          // source order, substitutions included
  std::vector<Redirection> group_redirections;  // redirections applied to ( ) / { } groups
  int subshells = 0;                            // ( ) groups
  int brace_groups = 0;                         // { } groups
  int substitutions = 0;                        // $( ), ` `, <( ), >( ) (and ones inside $(( )) )
  bool background = false;                      // some list element ends with `&`
  std::string unsupported;  // non-empty: the construct that stopped the parse, e.g.
                            // "reserved word 'if'"; `commands` is then incomplete
  std::size_t unsupported_offset = 0;
};

// Parses `input`. Errors (unterminated quote/paren/substitution/here-document, syntax
// errors, limits, NUL bytes) are Error::invalid with a message naming the byte offset and
// details {"code":"SHELL_PARSE","offset":N}.
Result<ShellParse> parse_shell(std::string_view input);

const char* redir_kind_name(RedirKind k);  // "<", ">>", "<<-", ...

}  // namespace simpleclaw::tools
