// A unified diff of two texts, by lines (`doctor --fix` shows what it will write).
// Longest-common-subsequence over lines: O(lines_a * lines_b), meant for config files
// (a few hundred lines); beyond kMaxLines per side it shows the whole old and new text.
#pragma once
#include <string>

namespace simpleclaw::cli {

inline constexpr std::size_t kMaxDiffLines = 4000;

// "--- a_name\n+++ b_name\n@@ -l,n +l,n @@\n ..." with `context` unchanged lines around
// each change; "" when the texts are equal.
std::string unified_diff(const std::string& a, const std::string& b, const std::string& a_name,
                         const std::string& b_name, int context = 2);

}  // namespace simpleclaw::cli
