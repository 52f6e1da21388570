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

TEST(Base64, DecodeRoundTripsAndRefusesWhatIsNotCanonicalBase64) {
  for (const char* in : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xfb\xff\xbf"}) {
    auto back = base64_decode(base64(in));
    ASSERT_TRUE(back.has_value()) << in;
    EXPECT_EQ(*back, in);
  }
  EXPECT_EQ(base64_decode("Zm8"), "fo");  // padding is optional
  EXPECT_EQ(base64_decode("Zg"), "f");
  for (const char* bad :
       {"Z", "Zm9v!", "Zm 9v", "Zm9v\n", "Zg=", "Z===", "=Zg=", "Zh==", "-_-_", "Zm=v"})
    EXPECT_FALSE(base64_decode(bad).has_value()) << bad;
}

}  // namespace
}  // namespace simpleclaw
