// UTF-8 validity: the boundary check for MessagePack frames and config text.
#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace simpleclaw {
namespace {

TEST(Utf8, AcceptsAsciiAndWellFormedSequences) {
  EXPECT_TRUE(valid_utf8(""));
  EXPECT_TRUE(valid_utf8("plain"));
  EXPECT_TRUE(valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));  // é € 😀
  EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));                           // U+10FFFF
}

TEST(Utf8, RejectsMalformedAndReportsTheOffset) {
  EXPECT_EQ(first_invalid_utf8("ab\xFF"), 2u);
  EXPECT_EQ(first_invalid_utf8("a\xC0\xAF"), 1u);                     // overlong '/'
  EXPECT_EQ(first_invalid_utf8("\xED\xA0\x80"), 0u);                  // surrogate
  EXPECT_EQ(first_invalid_utf8("\xF4\x90\x80\x80"), 0u);              // above U+10FFFF
  EXPECT_EQ(first_invalid_utf8("ok \xE2\x82"), 3u);                   // cut at the end
  EXPECT_EQ(first_invalid_utf8("\x80\x80\x80\x80\x80\x80\x80"), 0u);  // lone continuations
}

TEST(Utf8, ChecksEveryStringAndKeyInAJsonTree) {
  EXPECT_TRUE(strings_are_utf8(Json{{"a", {1, "b", Json::object({{"c", "d"}})}}}));
  EXPECT_FALSE(strings_are_utf8(Json{{"a", {1, std::string("\xFF")}}}));
  Json bad_key = Json::object();
  bad_key[std::string("k\xFE")] = 1;
  EXPECT_FALSE(strings_are_utf8(Json{{"x", bad_key}}));
}

}  // namespace
}  // namespace simpleclaw
