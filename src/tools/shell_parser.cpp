// Recursive descent over the command text. Recursion is bounded by kMaxShellDepth: every
// construct that recurses (groups, substitutions, ${ }) goes through enter()/leave(). After
// the first error or unsupported construct every parse function returns at once.
#include "tools/shell_parser.h"

#include <array>
#include <memory>

namespace simpleclaw::tools {
namespace {

constexpr std::string_view kReserved[] = {"if",    "then",     "else",   "elif",   "fi",   "for",
                                          "while", "until",    "do",     "done",   "case", "esac",
                                          "in",    "function", "select", "coproc", "time", "[[",
                                          "]]",    "!",        "{",      "}",      "(("};

bool is_blank(char c) { return c == ' ' || c == '\t'; }
bool is_meta(char c) {
  return is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
         c == '(' || c == ')';
}
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// State shared by the parser of the input and the parsers of backquoted text.
struct State {
  ShellParse out;
  bool failed = false;
  bool stopped = false;  // unsupported construct
  std::string error;
  std::size_t error_offset = 0;
};

enum class Term { kEof, kParen, kBrace };

struct PendingHeredoc {
  bool group = false;
  std::size_t cmd = 0;
  std::size_t redir = 0;
};

class Parser {
 public:
  Parser(std::string_view src, std::size_t base, State& st, int depth, bool in_subst)
      : src_(src), base_(base), st_(st), depth_(depth), in_subst_(in_subst) {}

  // Parses the whole source as a list.
  void parse_all() {
    parse_list(Term::kEof);
    if (done()) return;
    if (pos_ < src_.size()) {
      fail(pos_, std::string("syntax error near unexpected '") + src_[pos_] + "'");
      return;
    }
    if (!pending_.empty()) fail_pending_heredoc();
  }

 private:
  bool done() const { return st_.failed || st_.stopped; }
  bool at_end() const { return pos_ >= src_.size(); }
  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }
  bool starts(std::string_view s) const { return src_.substr(pos_).starts_with(s); }

  void fail(std::size_t at, std::string msg) {
    if (done()) return;
    st_.failed = true;
    st_.error_offset = base_ + at;
    st_.error = msg + " at byte " + std::to_string(base_ + at);
  }
  void stop(std::size_t at, std::string what) {
    if (done()) return;
    st_.stopped = true;
    st_.out.unsupported = std::move(what);
    st_.out.unsupported_offset = base_ + at;
  }
  void fail_pending_heredoc() {
    const PendingHeredoc& h = pending_.front();
    const Redirection& r = h.group ? st_.out.group_redirections[h.redir]
                                   : st_.out.commands[h.cmd].redirections[h.redir];
    fail(r.offset - base_, "unterminated here-document (no line '" + r.target.value + "')");
  }

  bool enter(std::size_t at) {
    if (depth_ >= kMaxShellDepth) {
      fail(at, "nesting deeper than " + std::to_string(kMaxShellDepth) + " levels");
      return false;
    }
    ++depth_;
    return true;
  }
  void leave() { --depth_; }

  // Blanks, line continuations and comments (a '#' here is always at a word start).
  void skip_blanks() {
    while (!at_end()) {
      char c = peek();
      if (is_blank(c)) {
        ++pos_;
      } else if (c == '\\' && peek(1) == '\n') {
        pos_ += 2;
      } else if (c == '#') {
        while (!at_end() && peek() != '\n') ++pos_;
      } else {
        break;
      }
    }
  }
  // Consumes one '\n' and reads the bodies of here-documents started on that line.
  void consume_newline() {
    ++pos_;
    if (!pending_.empty()) read_heredocs();
  }
  void skip_linebreaks() {
    for (;;) {
      skip_blanks();
      if (done() || peek() != '\n' || at_end()) return;
      consume_newline();
    }
  }

  // Whether the next token is the word `w` (unquoted, followed by a delimiter).
  bool next_word_is(std::string_view w) const {
    if (!starts(w)) return false;
    std::size_t end = pos_ + w.size();
    return end >= src_.size() || is_meta(src_[end]);
  }

  bool at_list_end(Term term) const {
    if (at_end()) return true;
    if (term == Term::kParen && peek() == ')') return true;
    if (term == Term::kBrace && next_word_is("}")) return true;
    return false;
  }

  // list: and_or ((';' | '&' | '\n') and_or)* [separator]
  void parse_list(Term term) {
    for (;;) {
      skip_linebreaks();
      if (done() || at_list_end(term)) return;
      std::size_t first = st_.out.commands.size();
      long last = parse_and_or();
      if (done()) return;
      skip_blanks();
      if (at_end()) return;
      char c = peek();
      if (c == ';') {
        if (peek(1) == ';' || peek(1) == '&') {
          fail(pos_, "syntax error near unexpected ';" + std::string(1, peek(1)) + "'");
          return;
        }
        ++pos_;
        set_next(last, ShellOp::kSemicolon);
      } else if (c == '&') {
        ++pos_;
        set_next(last, ShellOp::kBackground);
        st_.out.background = true;
        for (std::size_t i = first; i < st_.out.commands.size(); ++i) {
          if (!st_.out.commands[i].in_substitution || in_subst_)
            st_.out.commands[i].background = true;
        }
      } else if (c == '\n') {
        set_next(last, ShellOp::kNewline);
        consume_newline();
      } else if (at_list_end(term)) {
        return;
      } else {
        fail(pos_, std::string("syntax error near unexpected '") + c + "'");
        return;
      }
    }
  }

  void set_next(long idx, ShellOp op) {
    if (idx >= 0) st_.out.commands[static_cast<std::size_t>(idx)].next = op;
  }

  long parse_and_or() {
    long last = parse_pipeline();
    for (;;) {
      if (done()) return last;
      skip_blanks();
      ShellOp op;
      if (starts("&&")) {
        op = ShellOp::kAnd;
      } else if (starts("||")) {
        op = ShellOp::kOr;
      } else {
        return last;
      }
      set_next(last, op);
      pos_ += 2;
      skip_linebreaks();
      last = parse_pipeline();
    }
  }

  long parse_pipeline() {
    long last = parse_command();
    for (;;) {
      if (done()) return last;
      skip_blanks();
      if (peek() != '|' || peek(1) == '|') return last;
      ShellOp op = ShellOp::kPipe;
      ++pos_;
      if (peek() == '&') {
        op = ShellOp::kPipeStderr;
        ++pos_;
      }
      set_next(last, op);
      skip_linebreaks();
      last = parse_command();
    }
  }

  // Returns the index of the simple command parsed, or -1 for a group (or on failure).
  long parse_command() {
    skip_blanks();
    if (done()) return -1;
    if (at_end()) {
      fail(pos_, "syntax error: unexpected end of input (a command is missing)");
      return -1;
    }
    char c = peek();
    if (c == '(') {
      if (peek(1) == '(') {
        stop(pos_, "arithmetic command '(('");
        return -1;
      }
      std::size_t open = pos_;
      if (!enter(pos_)) return -1;
      ++pos_;
      ++st_.out.subshells;
      ++subshell_depth_;
      skip_linebreaks();
      if (!done() && peek() == ')') fail(pos_, "syntax error: empty ( ) subshell");
      parse_list(Term::kParen);
      --subshell_depth_;
      leave();
      if (done()) return -1;
      if (peek() != ')') {
        fail(open, "unterminated '(' subshell");
        return -1;
      }
      ++pos_;
      parse_group_redirections();
      return -1;
    }
    if (next_word_is("{")) {
      std::size_t open = pos_;
      if (!enter(pos_)) return -1;
      ++pos_;
      ++st_.out.brace_groups;
      ++group_depth_;
      skip_linebreaks();
      if (!done() && next_word_is("}")) fail(pos_, "syntax error: empty { } group");
      parse_list(Term::kBrace);
      --group_depth_;
      leave();
      if (done()) return -1;
      if (!next_word_is("}")) {
        fail(open, "unterminated '{' group (missing '; }')");
        return -1;
      }
      ++pos_;
      parse_group_redirections();
      return -1;
    }
    if (c == ';' || c == '&' || c == '|' || c == ')' || c == '\n') {
      fail(pos_, std::string("syntax error near unexpected '") + c + "'");
      return -1;
    }
    return parse_simple();
  }

  bool at_redirection() const {
    std::size_t i = pos_;
    while (i < src_.size() && is_digit(src_[i])) ++i;
    if (i >= src_.size()) return false;
    char c = src_[i];
    if (c == '<' || c == '>') {
      // <( and >( are process substitutions (words), not redirections.
      if (i == pos_ && i + 1 < src_.size() && src_[i + 1] == '(') return false;
      return true;
    }
    return i == pos_ && c == '&' && i + 1 < src_.size() && src_[i + 1] == '>';
  }

  void parse_group_redirections() {
    for (;;) {
      skip_blanks();
      if (done()) return;
      if (!at_redirection()) break;
      Redirection r;
      if (!parse_redirection(r)) return;
      st_.out.group_redirections.push_back(std::move(r));
      if (is_heredoc(st_.out.group_redirections.back().kind))
        pending_.push_back({true, 0, st_.out.group_redirections.size() - 1});
    }
    if (!at_end() && !is_meta(peek())) fail(pos_, "syntax error: word after a ( ) or { } group");
  }

  static bool is_heredoc(RedirKind k) {
    return k == RedirKind::kHeredoc || k == RedirKind::kHeredocStrip;
  }

  static bool is_assignment(const ShellWord& w) {
    // NAME=..., NAME+=..., NAME[...]=... with the name part unquoted.
    const std::string& r = w.raw;
    if (r.empty() || !is_name_start(r[0])) return false;
    std::size_t i = 1;
    while (i < r.size() && is_name_char(r[i])) ++i;
    if (i < r.size() && r[i] == '[') {
      while (i < r.size() && r[i] != ']') ++i;
      if (i < r.size()) ++i;
    }
    if (i < r.size() && r[i] == '+') ++i;
    return i < r.size() && r[i] == '=';
  }

  long parse_simple() {
    if (st_.out.commands.size() >= kMaxShellCommands) {
      fail(pos_, "more than " + std::to_string(kMaxShellCommands) + " commands");
      return -1;
    }
    std::size_t idx = st_.out.commands.size();
    {
      SimpleCommand sc;
      sc.in_substitution = in_subst_;
      sc.subshell_depth = subshell_depth_;
      sc.group_depth = group_depth_;
      sc.offset = base_ + pos_;
      st_.out.commands.push_back(std::move(sc));
    }
    for (;;) {
      skip_blanks();
      if (done()) return -1;
      if (at_end()) break;
      char c = peek();
      if (c == '\n' || c == ';' || c == ')' || c == '|') break;
      if (c == '&' && peek(1) != '>') break;
      if (c == '(') {
        SimpleCommand& sc = st_.out.commands[idx];
        if (sc.words.size() == 1 && sc.redirections.empty()) {
          std::size_t save = pos_;
          ++pos_;
          skip_blanks();
          if (peek() == ')') {
            stop(sc.words[0].offset - base_, "function definition '" + sc.words[0].value + "()'");
            return -1;
          }
          pos_ = save;
        }
        fail(pos_, "syntax error near unexpected '('");
        return -1;
      }
      if (at_redirection()) {
        Redirection r;
        if (!parse_redirection(r)) return -1;
        auto& reds = st_.out.commands[idx].redirections;
        reds.push_back(std::move(r));
        if (is_heredoc(reds.back().kind)) pending_.push_back({false, idx, reds.size() - 1});
        continue;
      }
      ShellWord w;
      std::size_t before = pos_;
      if ((c == '<' || c == '>') && peek(1) == '(') {
        parse_process_subst(w);
      } else {
        parse_word(w);
      }
      if (done()) return -1;
      if (pos_ == before) {  // cannot happen: a word starts at a non-metacharacter
        fail(pos_, "syntax error (no progress)");
        return -1;
      }
      SimpleCommand& sc = st_.out.commands[idx];
      if (sc.words.empty() && is_assignment(w)) {
        sc.assignments.push_back(std::move(w));
        continue;
      }
      if (sc.words.empty()) {
        for (std::string_view r : kReserved) {
          if (w.raw == r) {
            stop(w.offset - base_, "reserved word '" + w.raw + "'");
            return -1;
          }
        }
      }
      sc.words.push_back(std::move(w));
    }
    return static_cast<long>(idx);
  }

  bool parse_redirection(Redirection& r) {
    r.offset = base_ + pos_;
    if (is_digit(peek())) {
      long fd = 0;
      while (is_digit(peek())) {
        if (fd < 100000000) fd = fd * 10 + (peek() - '0');
        ++pos_;
      }
      r.fd = static_cast<int>(fd);
    }
    struct Op {
      std::string_view text;
      RedirKind kind;
    };
    static constexpr std::array<Op, 12> kOps = {{
        {"<<<", RedirKind::kHerestring},
        {"<<-", RedirKind::kHeredocStrip},
        {"<<", RedirKind::kHeredoc},
        {"<>", RedirKind::kReadWrite},
        {"<&", RedirKind::kDupIn},
        {"<", RedirKind::kIn},
        {">>", RedirKind::kAppend},
        {">&", RedirKind::kDupOut},
        {">|", RedirKind::kClobber},
        {">", RedirKind::kOut},
        {"&>>", RedirKind::kAppendOutErr},
        {"&>", RedirKind::kOutErr},
    }};
    bool found = false;
    for (const Op& op : kOps) {
      if (starts(op.text)) {
        if (r.fd >= 0 && op.text[0] == '&') break;
        r.kind = op.kind;
        pos_ += op.text.size();
        found = true;
        break;
      }
    }
    if (!found) {
      fail(pos_, "syntax error in redirection");
      return false;
    }
    skip_blanks();
    if (done()) return false;
    if (at_end() || is_meta(peek())) {
      fail(pos_, std::string("redirection '") + redir_kind_name(r.kind) + "' without a target");
      return false;
    }
    parse_word(r.target);
    if (done()) return false;
    if (is_heredoc(r.kind)) {
      const std::string& raw = r.target.raw;
      r.heredoc_expands = raw.find_first_of("'\"\\") == std::string::npos;
    }
    return true;
  }

  void read_heredocs() {
    std::vector<PendingHeredoc> todo;
    todo.swap(pending_);
    for (const PendingHeredoc& h : todo) {
      Redirection& r = h.group ? st_.out.group_redirections[h.redir]
                               : st_.out.commands[h.cmd].redirections[h.redir];
      bool strip = r.kind == RedirKind::kHeredocStrip;
      const std::string delim = r.target.value;
      std::string body;
      std::size_t body_start = pos_;
      bool closed = false;
      while (!at_end()) {
        std::size_t eol = src_.find('\n', pos_);
        std::size_t end = eol == std::string_view::npos ? src_.size() : eol;
        std::string_view line = src_.substr(pos_, end - pos_);
        pos_ = eol == std::string_view::npos ? src_.size() : eol + 1;
        if (strip) {
          while (!line.empty() && line[0] == '\t') line.remove_prefix(1);
        }
        if (line == delim) {
          closed = true;
          break;
        }
        body.append(line);
        body.push_back('\n');
      }
      if (!closed) {
        fail(r.offset - base_, "unterminated here-document (no line '" + delim + "')");
        return;
      }
      if (r.heredoc_expands) {
        // The body is expanded like a double-quoted string (without '"' being special).
        Parser sub(body, base_ + body_start, st_, depth_, true);
        ShellWord w;
        sub.parse_dq_body(w, /*heredoc=*/true);
        if (done()) return;
        Redirection& rr = h.group ? st_.out.group_redirections[h.redir]
                                  : st_.out.commands[h.cmd].redirections[h.redir];
        rr.heredoc_static = w.is_static;
        rr.heredoc_body = std::move(body);
      } else {
        r.heredoc_body = std::move(body);
      }
    }
  }

  static void dynamic(ShellWord& w, const char* why) {
    if (w.is_static) w.dynamic_reason = why;
    w.is_static = false;
  }

  // A word: everything up to an unquoted metacharacter.
  void parse_word(ShellWord& w) {
    std::size_t start = pos_;
    w.offset = base_ + pos_;
    bool brace_open = false;
    bool brace_list = false;
    char prev = '\0';  // previous unquoted literal character
    while (!at_end() && !done()) {
      char c = peek();
      if (is_meta(c)) break;
      bool word_start = pos_ == start;
      if (c == '\\') {
        if (peek(1) == '\n') {
          pos_ += 2;
          continue;
        }
        if (pos_ + 1 >= src_.size()) {
          fail(pos_, "trailing backslash");
          return;
        }
        w.value.push_back(peek(1));
        pos_ += 2;
        prev = '\0';
        continue;
      }
      if (c == '\'') {
        std::size_t close = src_.find('\'', pos_ + 1);
        if (close == std::string_view::npos) {
          fail(pos_, "unterminated single quote");
          return;
        }
        w.value.append(src_.substr(pos_ + 1, close - pos_ - 1));
        pos_ = close + 1;
        prev = '\0';
        continue;
      }
      if (c == '"') {
        std::size_t open = pos_;
        ++pos_;
        parse_dq_body(w, false);
        if (done()) return;
        if (peek() != '"') {
          fail(open, "unterminated double quote");
          return;
        }
        ++pos_;
        prev = '\0';
        continue;
      }
      if (c == '$') {
        parse_dollar(w, false);
        prev = '\0';
        continue;
      }
      if (c == '`') {
        parse_backquote(w, false);
        prev = '\0';
        continue;
      }
      if (c == '*' || c == '?' || c == '[') dynamic(w, "glob pattern");
      if (c == '~' && (word_start || prev == '=' || prev == ':')) dynamic(w, "tilde expansion");
      // {a,b} and {1..3} (bash); a lone {} or {a} is literal.
      if (c == '{') {
        brace_open = true;
        brace_list = false;
      }
      if (brace_open && (c == ',' || (c == '.' && peek(1) == '.'))) brace_list = true;
      if (c == '}' && brace_open && brace_list) dynamic(w, "brace expansion");
      w.value.push_back(c);
      prev = c;
      ++pos_;
    }
    w.raw.assign(src_.substr(start, pos_ - start));
  }

  // Inside "...": stops before the closing '"' (or at the end for here-document bodies).
  void parse_dq_body(ShellWord& w, bool heredoc) {
    while (!at_end() && !done()) {
      char c = peek();
      if (c == '"' && !heredoc) return;
      if (c == '\\') {
        char n = peek(1);
        if (n == '\n') {
          pos_ += 2;
          continue;
        }
        if (n == '$' || n == '`' || n == '\\' || (n == '"' && !heredoc)) {
          w.value.push_back(n);
          pos_ += 2;
          continue;
        }
        w.value.push_back('\\');
        ++pos_;
        continue;
      }
      if (c == '$') {
        parse_dollar(w, true);
        continue;
      }
      if (c == '`') {
        parse_backquote(w, true);
        continue;
      }
      w.value.push_back(c);
      ++pos_;
    }
  }

  void parse_dollar(ShellWord& w, bool quoted) {
    std::size_t start = pos_;
    char n = peek(1);
    if (n == '(' && peek(2) == '(') {
      scan_arith(w);
    } else if (n == '(') {
      if (!parse_substituted_list(start, "unterminated '$(' command substitution")) return;
      w.value.append(src_.substr(start, pos_ - start));
      dynamic(w, "command substitution");
    } else if (n == '{') {
      scan_braced_param(w);
    } else if (n == '\'' && !quoted) {
      // $'...' (bash ANSI-C quoting; dash reads '$' then '...').
      std::size_t i = pos_ + 2;
      std::string val;
      while (i < src_.size() && src_[i] != '\'') {
        if (src_[i] == '\\' && i + 1 < src_.size()) {
          char e = src_[i + 1];
          switch (e) {
            case 'n':
              val.push_back('\n');
              break;
            case 't':
              val.push_back('\t');
              break;
            case 'r':
              val.push_back('\r');
              break;
            case 'a':
              val.push_back('\a');
              break;
            case 'b':
              val.push_back('\b');
              break;
            case 'e':
            case 'E':
              val.push_back('\x1b');
              break;
            case 'f':
              val.push_back('\f');
              break;
            case 'v':
              val.push_back('\v');
              break;
            case '\\':
              val.push_back('\\');
              break;
            case '\'':
              val.push_back('\'');
              break;
            case '"':
              val.push_back('"');
              break;
            default:
              val.push_back('\\');
              val.push_back(e);
              break;
          }
          i += 2;
          continue;
        }
        val.push_back(src_[i]);
        ++i;
      }
      if (i >= src_.size()) {
        fail(start, "unterminated $'...' quote");
        return;
      }
      pos_ = i + 1;
      w.value.append(val);
      dynamic(w, "$'...' quoting (bash-only; /bin/sh reads it differently)");
    } else if (n == '"' && !quoted) {
      ++pos_;  // the "..." is parsed next as a plain double-quoted string
      dynamic(w, "$\"...\" locale quoting");
    } else if (is_name_start(n)) {
      pos_ += 2;
      while (is_name_char(peek())) ++pos_;
      w.value.append(src_.substr(start, pos_ - start));
      dynamic(w, "variable expansion");
    } else if (is_digit(n) || n == '@' || n == '*' || n == '#' || n == '?' || n == '$' ||
               n == '!' || n == '-') {
      pos_ += 2;
      w.value.append(src_.substr(start, 2));
      dynamic(w, "variable expansion");
    } else {
      w.value.push_back('$');
      ++pos_;
    }
  }

  // $(( ... )): skipped to the matching '))'; substitutions inside are counted.
  void scan_arith(ShellWord& w) {
    std::size_t start = pos_;
    pos_ += 3;
    int depth = 0;
    while (!at_end()) {
      char c = peek();
      if (c == '(') {
        ++depth;
      } else if (c == ')') {
        if (depth == 0) {
          if (peek(1) != ')') break;
          pos_ += 2;
          w.value.append(src_.substr(start, pos_ - start));
          dynamic(w, "arithmetic expansion");
          return;
        }
        --depth;
      } else if (c == '`' || (c == '$' && peek(1) == '(')) {
        ++st_.out.substitutions;
      }
      ++pos_;
    }
    fail(start, "unterminated '$((' arithmetic expansion");
  }

  // ${ ... }: nested quotes and substitutions are parsed (so commands inside are found).
  void scan_braced_param(ShellWord& w) {
    std::size_t start = pos_;
    if (!enter(start)) return;
    pos_ += 2;
    ShellWord scratch;
    while (!at_end() && !done()) {
      char c = peek();
      if (c == '}') {
        ++pos_;
        leave();
        w.value.append(src_.substr(start, pos_ - start));
        dynamic(w, "parameter expansion");
        return;
      }
      if (c == '\\') {
        pos_ += pos_ + 1 < src_.size() ? 2 : 1;
      } else if (c == '\'') {
        std::size_t close = src_.find('\'', pos_ + 1);
        if (close == std::string_view::npos) {
          fail(pos_, "unterminated single quote");
          return;
        }
        pos_ = close + 1;
      } else if (c == '"') {
        std::size_t open = pos_;
        ++pos_;
        parse_dq_body(scratch, false);
        if (done()) return;
        if (peek() != '"') {
          fail(open, "unterminated double quote");
          return;
        }
        ++pos_;
      } else if (c == '$') {
        parse_dollar(scratch, true);
      } else if (c == '`') {
        parse_backquote(scratch, true);
      } else {
        ++pos_;
      }
    }
    if (done()) return;
    fail(start, "unterminated '${' parameter expansion");
  }

  // `...`: the text is unescaped (\$ \` \\, and \" inside double quotes) and parsed by a
  // parser of its own.
  void parse_backquote(ShellWord& w, bool quoted) {
    std::size_t start = pos_;
    ++pos_;
    std::string text;
    bool closed = false;
    while (!at_end()) {
      char c = peek();
      if (c == '\\' && pos_ + 1 < src_.size()) {
        char n = peek(1);
        if (n == '$' || n == '`' || n == '\\' || (quoted && n == '"')) {
          text.push_back(n);
        } else {
          text.push_back('\\');
          text.push_back(n);
        }
        pos_ += 2;
        continue;
      }
      if (c == '`') {
        closed = true;
        ++pos_;
        break;
      }
      text.push_back(c);
      ++pos_;
    }
    if (!closed) {
      fail(start, "unterminated '`' command substitution");
      return;
    }
    if (!enter(start)) return;
    ++st_.out.substitutions;
    {
      Parser sub(text, base_ + start + 1, st_, depth_, true);
      sub.subshell_depth_ = subshell_depth_;
      sub.group_depth_ = group_depth_;
      sub.parse_all();
    }
    leave();
    if (done()) return;
    w.value.append(src_.substr(start, pos_ - start));
    dynamic(w, "command substitution");
  }

  // `X( list )` at `start` (X = '$', '<' or '>'): parses the inner list as a
  // substitution and steps past the ')'. False when parsing stopped (an error is set).
  bool parse_substituted_list(std::size_t start, const std::string& unterminated) {
    pos_ = start + 2;
    if (!enter(start)) return false;
    ++st_.out.substitutions;
    bool saved = in_subst_;
    in_subst_ = true;
    parse_list(Term::kParen);
    in_subst_ = saved;
    leave();
    if (done()) return false;
    if (peek() != ')') {
      fail(start, unterminated);
      return false;
    }
    ++pos_;
    return true;
  }

  // <( ... ) and >( ... ): a word whose inner list runs in a substitution.
  void parse_process_subst(ShellWord& w) {
    std::size_t start = pos_;
    w.offset = base_ + pos_;
    if (!parse_substituted_list(
            start, std::string("unterminated '") + src_[start] + "(' process substitution"))
      return;
    w.raw.assign(src_.substr(start, pos_ - start));
    w.value = w.raw;
    dynamic(w, "process substitution");
  }

  std::string_view src_;
  std::size_t base_;
  State& st_;
  int depth_;
  bool in_subst_;
  int subshell_depth_ = 0;
  int group_depth_ = 0;
  std::size_t pos_ = 0;
  std::vector<PendingHeredoc> pending_;
};

}  // namespace

bool Redirection::opens_file() const {
  switch (kind) {
    case RedirKind::kIn:
    case RedirKind::kOut:
    case RedirKind::kAppend:
    case RedirKind::kReadWrite:
    case RedirKind::kClobber:
    case RedirKind::kOutErr:
    case RedirKind::kAppendOutErr:
      return true;
    case RedirKind::kDupIn:
    case RedirKind::kDupOut: {
      // N>&M and N>&- duplicate/close; bash's `>&word` with another word opens a file.
      const std::string& v = target.value;
      if (!target.is_static) return true;
      if (v == "-") return false;
      if (v.empty()) return true;
      for (char c : v) {
        if (!is_digit(c)) return true;
      }
      return false;
    }
    case RedirKind::kHeredoc:
    case RedirKind::kHeredocStrip:
    case RedirKind::kHerestring:
      return false;
  }
  return true;
}

const char* redir_kind_name(RedirKind k) {
  switch (k) {
    case RedirKind::kIn:
      return "<";
    case RedirKind::kOut:
      return ">";
    case RedirKind::kAppend:
      return ">>";
    case RedirKind::kReadWrite:
      return "<>";
    case RedirKind::kClobber:
      return ">|";
    case RedirKind::kOutErr:
      return "&>";
    case RedirKind::kAppendOutErr:
      return "&>>";
    case RedirKind::kDupIn:
      return "<&";
    case RedirKind::kDupOut:
      return ">&";
    case RedirKind::kHeredoc:
      return "<<";
    case RedirKind::kHeredocStrip:
      return "<<-";
    case RedirKind::kHerestring:
      return "<<<";
  }
  return "?";
}

Result<ShellParse> parse_shell(std::string_view input) {
  auto error = [](std::string msg, std::size_t offset) {
    Error e = Error::invalid(std::move(msg));
    e.details = Json{{"code", "SHELL_PARSE"}, {"offset", offset}};
    return e;
  };
  if (input.size() > kMaxShellInput) {
    return error("command is " + std::to_string(input.size()) + " bytes; the limit is " +
                     std::to_string(kMaxShellInput),
                 kMaxShellInput);
  }
  if (std::size_t nul = input.find('\0'); nul != std::string_view::npos) {
    return error("NUL byte in command at byte " + std::to_string(nul), nul);
  }
  auto st = std::make_unique<State>();
  Parser p(input, 0, *st, 0, false);
  p.parse_all();
  if (st->failed) return error(st->error, st->error_offset);
  return std::move(st->out);
}

}  // namespace simpleclaw::tools
