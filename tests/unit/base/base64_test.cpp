// base64 / base64url: the RFC 4648 §10 test vectors, with and without padding, and the
// alphabets' last two characters.
#include <gtest/gtest.h>

#include "base/ids.h"

namespace simpleclaw {
namespace {

TEST(Base64, Rfc4648VectorsPaddedAndUrlSafeUnpadded) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "Zg=="},
                                                         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},
                                                         {"foob", "Zm9vYg=="},
                                                         {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (auto [in, out] : vectors) {
    EXPECT_EQ(base64(in), out) << in;
    std::string unpadded(out);
    unpadded.erase(unpadded.find_last_not_of('=') + 1);
    EXPECT_EQ(base64url(in), unpadded) << in;
  }
  const std::string high("\xfb\xff\xbf", 3);  // 111110 111111 111110 111111
  EXPECT_EQ(base64(high), "+/+/");
  EXPECT_EQ(base64url(high), "-_-_");
}

}  // namespace
}  // namespace simpleclaw
