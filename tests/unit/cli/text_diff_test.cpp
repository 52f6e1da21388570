// cli/text_diff.h: the unified diff doctor --fix shows.
#include "cli/text_diff.h"

#include <gtest/gtest.h>

namespace simpleclaw::cli {
namespace {

TEST(TextDiff, ShowsChangedLinesWithContextAndNothingForEqualTexts) {
  EXPECT_EQ(unified_diff("a\nb\n", "a\nb\n", "x", "y"), "");
  std::string d =
      unified_diff("1\n2\n3\n4\n5\n6\n7\n", "1\n2\n3\nfour\n5\n6\n7\n", "old", "new", 1);
  EXPECT_EQ(d, "--- old\n+++ new\n@@ -3,3 +3,3 @@\n 3\n-4\n+four\n 5\n");
}

}  // namespace
}  // namespace simpleclaw::cli
