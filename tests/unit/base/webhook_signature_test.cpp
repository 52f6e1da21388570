// Standard Webhooks signatures: the format's own published example, and every way a
// received message can fail verification.
#include "base/webhook_signature.h"

#include <gtest/gtest.h>

#include "base/crypto.h"
#include "base/ids.h"

namespace simpleclaw {
namespace {

// The example of the Standard Webhooks specification and its reference libraries.
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kTs = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kSig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

TEST(WebhookSignature, MatchesTheSpecificationsExample) {
  auto key = webhook_key(kSecret);
  ASSERT_TRUE(key);
  EXPECT_EQ(webhook_sign(*key, kId, kTs, kBody), kSig);
  EXPECT_TRUE(webhook_verify(*key, kId, std::to_string(kTs), kSig, kBody, kTs).ok());
}

TEST(WebhookSignature, HmacSha256MatchesRfc4231) {
  // RFC 4231 test case 2.
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the block is hashed first (test case 6).
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(WebhookSignature, EveryFailureIsRefusedWithItsReason) {
  auto key = *webhook_key(kSecret);
  auto refused = [&](std::string_view id, std::string_view ts, std::string_view sigs,
                     std::string_view body, std::int64_t now) {
    auto s = webhook_verify(key, id, ts, sigs, body, now);
    EXPECT_FALSE(s.ok());
    return s.ok() ? std::string() : s.error().message;
  };
  const std::string ts = std::to_string(kTs);
  EXPECT_NE(refused(kId, ts, kSig, R"({"test": 1})", kTs).find("does not match"),
            std::string::npos);
  EXPECT_NE(refused("msg_other", ts, kSig, kBody, kTs).find("does not match"), std::string::npos);
  EXPECT_NE(refused(kId, ts, kSig, kBody, kTs + 301).find("seconds from"), std::string::npos);
  EXPECT_NE(refused(kId, ts, kSig, kBody, kTs - 301).find("seconds from"), std::string::npos);
  EXPECT_NE(refused(kId, "yesterday", kSig, kBody, kTs).find("epoch seconds"), std::string::npos);
  EXPECT_NE(refused("", ts, kSig, kBody, kTs).find("webhook-id"), std::string::npos);
  EXPECT_NE(refused(kId, ts, "", kBody, kTs).find("missing"), std::string::npos);
  EXPECT_NE(refused(kId, ts, "v2,abc", kBody, kTs).find("missing"), std::string::npos);
  auto other = *webhook_key("whsec_" + base64("another secret of 32 bytes......"));
  EXPECT_FALSE(webhook_verify(other, kId, ts, kSig, kBody, kTs).ok());
}

TEST(WebhookSignature, OneOfSeveralSignaturesIsEnoughAndPlainSecretsWork) {
  auto key = *webhook_key(kSecret);
  const std::string several = std::string("v1,bm90IGl0 ") + kSig;
  EXPECT_TRUE(webhook_verify(key, kId, std::to_string(kTs), several, kBody, kTs).ok());
  // A secret without the whsec_ prefix is used as it is.
  EXPECT_EQ(*webhook_key("plain-secret-value"), "plain-secret-value");
  EXPECT_FALSE(webhook_key("whsec_***not base64***"));
}

}  // namespace
}  // namespace simpleclaw
