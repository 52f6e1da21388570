#include "cli/text_diff.h"

#include <algorithm>
#include <vector>

namespace simpleclaw::cli {
namespace {

std::vector<std::string> lines_of(const std::string& s) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < s.size()) {
    std::size_t nl = s.find('\n', pos);
    if (nl == std::string::npos) nl = s.size();
    out.push_back(s.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

struct Op {
  char kind;         // ' ' same, '-' only in a, '+' only in b
  std::size_t a, b;  // line indexes (the one that applies)
};

std::vector<Op> diff_ops(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<Op> ops;
  if (a.size() > kMaxDiffLines || b.size() > kMaxDiffLines) {
    for (std::size_t i = 0; i < a.size(); ++i) ops.push_back({'-', i, 0});
    for (std::size_t j = 0; j < b.size(); ++j) ops.push_back({'+', a.size(), j});
    return ops;
  }
  // lcs[i][j]: common lines of a[i..] and b[j..].
  std::vector<std::vector<int>> lcs(a.size() + 1, std::vector<int>(b.size() + 1, 0));
  for (std::size_t i = a.size(); i-- > 0;)
    for (std::size_t j = b.size(); j-- > 0;)
      lcs[i][j] = a[i] == b[j] ? lcs[i + 1][j + 1] + 1 : std::max(lcs[i + 1][j], lcs[i][j + 1]);
  std::size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (i < a.size() && j < b.size() && a[i] == b[j]) {
      ops.push_back({' ', i++, j++});
    } else if (i < a.size() && (j == b.size() || lcs[i + 1][j] >= lcs[i][j + 1])) {
      ops.push_back({'-', i++, j});  // removals before additions, as diff -u shows them
    } else {
      ops.push_back({'+', i, j++});
    }
  }
  return ops;
}

}  // namespace

std::string unified_diff(const std::string& a_text, const std::string& b_text,
                         const std::string& a_name, const std::string& b_name, int context) {
  if (a_text == b_text) return {};
  auto a = lines_of(a_text), b = lines_of(b_text);
  std::vector<Op> ops = diff_ops(a, b);
  std::string out = "--- " + a_name + "\n+++ " + b_name + "\n";
  const std::size_t ctx = static_cast<std::size_t>(std::max(context, 0));
  std::size_t k = 0;
  while (k < ops.size()) {
    if (ops[k].kind == ' ') {
      ++k;
      continue;
    }
    // A hunk: from ctx lines before this change to ctx lines after the last change that
    // is at most 2*ctx unchanged lines further.
    std::size_t start = k >= ctx ? k - ctx : 0;
    std::size_t end = k;
    std::size_t same = 0;
    for (std::size_t m = k; m < ops.size(); ++m) {
      if (ops[m].kind == ' ') {
        if (++same > 2 * ctx) break;
      } else {
        same = 0;
        end = m;
      }
    }
    std::size_t stop = std::min(ops.size(), end + 1 + ctx);
    std::size_t a_start = ops[start].a, b_start = ops[start].b, a_n = 0, b_n = 0;
    std::string body;
    for (std::size_t m = start; m < stop; ++m) {
      const Op& o = ops[m];
      if (o.kind != '+') ++a_n;
      if (o.kind != '-') ++b_n;
      body += o.kind;
      body += (o.kind == '+' ? b[o.b] : a[o.a]);
      body += '\n';
    }
    out += "@@ -" + std::to_string(a_n ? a_start + 1 : a_start) + "," + std::to_string(a_n) + " +" +
           std::to_string(b_n ? b_start + 1 : b_start) + "," + std::to_string(b_n) + " @@\n" + body;
    k = stop;
  }
  return out;
}

}  // namespace simpleclaw::cli
