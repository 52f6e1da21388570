// Allowlist patterns (tools.exec.allow; the syntax is in exec_policy.h): tokenizing a
// pattern with its shell-like quoting, fnmatch-style globbing of one argument, matching a
// resolved command, and writing the exact pattern allow-always stores.
#include <string>
#include <string_view>
#include <vector>

#include "base/fs.h"
#include "tools/exec_policy.h"

namespace simpleclaw::tools {
namespace {

struct PatToken {
  std::string glob;     // for matching: quoted characters escaped with '\'
  std::string literal;  // quotes and escapes removed
  bool double_star = false;
};

bool is_glob_char(char c) { return c == '*' || c == '?' || c == '[' || c == ']'; }

std::vector<PatToken> tokenize_pattern(std::string_view p) {
  std::vector<PatToken> out;
  std::size_t i = 0;
  while (i < p.size()) {
    while (i < p.size() && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) ++i;
    if (i >= p.size()) break;
    PatToken t;
    bool quoted_any = false;
    while (i < p.size() && !(p[i] == ' ' || p[i] == '\t' || p[i] == '\n' || p[i] == '\r')) {
      char c = p[i];
      if (c == '\\' && i + 1 < p.size()) {
        t.glob += '\\';
        t.glob += p[i + 1];
        t.literal += p[i + 1];
        quoted_any = true;
        i += 2;
      } else if (c == '\'' || c == '"') {
        quoted_any = true;
        std::size_t j = i + 1;
        while (j < p.size() && p[j] != c) {
          char d = p[j];
          if (c == '"' && d == '\\' && j + 1 < p.size() && (p[j + 1] == '"' || p[j + 1] == '\\'))
            d = p[++j];
          t.glob += '\\';
          t.glob += d;
          t.literal += d;
          ++j;
        }
        i = j < p.size() ? j + 1 : j;
      } else {
        t.glob += c;
        t.literal += c;
        ++i;
      }
    }
    t.double_star = !quoted_any && t.glob == "**";
    out.push_back(std::move(t));
  }
  return out;
}

// fnmatch-style glob without FNM_PATHNAME/FNM_PERIOD: * ? [...] [!...] and '\' escapes.
// Iterative with single-star backtracking: O(len(glob) * len(s)).
bool match_class(std::string_view g, std::size_t& gi, char c, bool& ok) {
  // g[gi] == '['; on success sets gi past ']' and ok = whether c is in the class.
  std::size_t i = gi + 1;
  bool negate = false;
  if (i < g.size() && (g[i] == '!' || g[i] == '^')) {
    negate = true;
    ++i;
  }
  bool found = false;
  bool first = true;
  while (i < g.size() && (g[i] != ']' || first)) {
    first = false;
    char lo = g[i];
    if (lo == '\\' && i + 1 < g.size()) lo = g[++i];
    ++i;
    char hi = lo;
    if (i + 1 < g.size() && g[i] == '-' && g[i + 1] != ']') {
      hi = g[i + 1];
      if (hi == '\\' && i + 2 < g.size()) {
        hi = g[i + 2];
        ++i;
      }
      i += 2;
    }
    auto uc = static_cast<unsigned char>(c);
    if (static_cast<unsigned char>(lo) <= uc && uc <= static_cast<unsigned char>(hi)) found = true;
  }
  if (i >= g.size()) return false;  // no closing ']': '[' is literal
  gi = i + 1;
  ok = found != negate;
  return true;
}

bool glob_match(std::string_view g, std::string_view s) {
  std::size_t gi = 0, si = 0;
  std::size_t star_g = std::string_view::npos, star_s = 0;
  while (si < s.size()) {
    if (gi < g.size()) {
      char c = g[gi];
      if (c == '*') {
        star_g = gi++;
        star_s = si;
        continue;
      }
      if (c == '?') {
        ++gi;
        ++si;
        continue;
      }
      if (c == '[') {
        std::size_t next = gi;
        bool in = false;
        if (match_class(g, next, s[si], in)) {
          if (in) {
            gi = next;
            ++si;
            continue;
          }
        } else if (s[si] == '[') {
          ++gi;
          ++si;
          continue;
        }
      } else {
        char lit = c;
        std::size_t step = 1;
        if (c == '\\' && gi + 1 < g.size()) {
          lit = g[gi + 1];
          step = 2;
        }
        if (lit == s[si]) {
          gi += step;
          ++si;
          continue;
        }
      }
    }
    if (star_g == std::string_view::npos) return false;
    gi = star_g + 1;
    si = ++star_s;
  }
  while (gi < g.size() && g[gi] == '*') ++gi;
  return gi == g.size();
}

std::string escape_token(const std::string& s) {
  if (s.empty()) return "''";
  std::string out;
  for (char c : s) {
    if (is_glob_char(c) || c == '\\' || c == '\'' || c == '"' || c == ' ' || c == '\t' ||
        c == '\n' || c == '\r')
      out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

}  // namespace

bool pattern_matches(std::string_view pattern, const ResolvedCommand& cmd) {
  if (cmd.binary.empty() || cmd.argv.empty()) return false;
  std::vector<PatToken> toks = tokenize_pattern(pattern);
  if (toks.empty()) return false;
  const std::string& bin = toks[0].literal;
  if (bin.empty() || bin[0] != '/') return false;
  std::string real_bin = real_path(bin).value_or(lexical_normal(bin));
  if (real_bin != cmd.binary) return false;
  std::size_t nargs = cmd.argv.size() - 1;
  std::size_t npat = toks.size() - 1;
  bool tail_any = npat > 0 && toks.back().double_star;
  if (tail_any) --npat;
  if (tail_any ? nargs < npat : nargs != npat) return false;
  for (std::size_t i = 0; i < npat; ++i) {
    if (!glob_match(toks[i + 1].glob, cmd.argv[i + 1])) return false;
  }
  return true;
}

std::string exact_pattern(const ResolvedCommand& cmd) {
  std::string out = escape_token(cmd.binary);
  for (std::size_t i = 1; i < cmd.argv.size(); ++i) {
    out.push_back(' ');
    out += escape_token(cmd.argv[i]);
  }
  return out;
}

}  // namespace simpleclaw::tools
