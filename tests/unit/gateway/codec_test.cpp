// Frame codec: JSON and MessagePack encodings of the same frame objects, spliced
// outbound frames, and rejection of undecodable input.
#include "gateway/protocol/codec.h"

#include <gtest/gtest.h>

using namespace simpleclaw;
using protocol::Encoding;

namespace {

Json decode_ok(const std::string& bytes, Encoding enc) {
  auto r = protocol::decode(bytes, enc == Encoding::kMsgpack, enc);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Json();
}

}  // namespace

TEST(Codec, ResOkIsTheSameObjectInBothEncodings) {
  Json payload{{"ok", true}, {"ts", 1700000000000LL}, {"list", {1, 2, 3}}, {"s", "héllo"}};
  for (Encoding enc : {Encoding::kJson, Encoding::kMsgpack}) {
    Json frame = decode_ok(protocol::encode_res_ok(Json("id-1"), payload, enc), enc);
    EXPECT_EQ(frame, (Json{{"type", "res"}, {"id", "id-1"}, {"ok", true}, {"payload", payload}}));
  }
}

TEST(Codec, SharedPayloadSplicesIntoBothEncodings) {
  protocol::SharedPayload shared(Json{{"big", std::string(300, 'x')}, {"n", 70000}});
  for (Encoding enc : {Encoding::kJson, Encoding::kMsgpack}) {
    Json frame = decode_ok(protocol::encode_res_ok(Json("7"), shared, enc), enc);
    EXPECT_EQ(frame["payload"], shared.json());
    // encoded once, reused
    EXPECT_EQ(&shared.encoded(enc), &shared.encoded(enc));
  }
}

TEST(Codec, EventCarriesSeqAndStateVersionOnlyWhenGiven) {
  protocol::SharedPayload p(Json{{"ts", 5}});
  Json sv{{"presence", 3}, {"health", 9}};
  for (Encoding enc : {Encoding::kJson, Encoding::kMsgpack}) {
    Json pre =
        decode_ok(protocol::encode_event("connect.challenge", &p, std::nullopt, nullptr, enc), enc);
    EXPECT_EQ(pre,
              (Json{{"type", "event"}, {"event", "connect.challenge"}, {"payload", {{"ts", 5}}}}));
    Json post = decode_ok(protocol::encode_event("presence", &p, 4294967296ULL, &sv, enc), enc);
    EXPECT_EQ(post["seq"], 4294967296ULL);  // 64-bit seq survives both encodings
    EXPECT_EQ(post["stateVersion"], sv);
    Json small = decode_ok(protocol::encode_event("tick", &p, 200, nullptr, enc), enc);
    EXPECT_EQ(small["seq"], 200);
    EXPECT_FALSE(small.contains("stateVersion"));
  }
}

TEST(Codec, ErrorFrameCarriesRetryFields) {
  Error e = Error::invalid("unauthorized: too many failed attempts", "AUTH_RATE_LIMITED");
  e.retry_after_ms = 1234;
  Json f = decode_ok(protocol::encode_res_error(Json("x"), e, Encoding::kJson), Encoding::kJson);
  EXPECT_EQ(f["ok"], false);
  EXPECT_EQ(f["error"]["code"], "INVALID_REQUEST");
  EXPECT_EQ(f["error"]["details"]["code"], "AUTH_RATE_LIMITED");
  EXPECT_EQ(f["error"]["retryable"], true);
  EXPECT_EQ(f["error"]["retryAfterMs"], 1234);
}

TEST(Codec, RejectsGarbage) {
  EXPECT_FALSE(protocol::decode("{not json", false, Encoding::kJson).ok());
  EXPECT_FALSE(protocol::decode("", false, Encoding::kJson).ok());
  EXPECT_FALSE(protocol::decode(std::string("\xc1", 1), true, Encoding::kMsgpack).ok());
  // A truncated MessagePack map
  EXPECT_FALSE(protocol::decode(std::string("\x82\xa4type", 6), true, Encoding::kMsgpack).ok());
}

TEST(Codec, MsgpackStringsMustBeUtf8) {
  // {"type": "req", "method": "\xff"}: valid MessagePack, invalid text.
  std::string frame("\x82\xa4type\xa3req\xa6method\xa1\xff", 19);
  auto r = protocol::decode(frame, true, Encoding::kMsgpack);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("UTF-8"), std::string::npos) << r.error().message;
  std::string good("\x82\xa4type\xa3req\xa6method\xa2\xc3\xa9", 20);
  EXPECT_TRUE(protocol::decode(good, true, Encoding::kMsgpack).ok());
}

TEST(Codec, BinaryFramesOnAJsonSocketAreJson) {
  auto r = protocol::decode(R"({"type":"req","id":"1","method":"health"})", true, Encoding::kJson);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["method"], "health");
}

TEST(Codec, InvalidUtf8IsReplacedNotThrown) {
  Json payload{{"text", std::string("bad \xff\xfe bytes")}};
  std::string out = protocol::encode_res_ok(Json("1"), payload, Encoding::kJson);
  EXPECT_TRUE(protocol::decode(out, false, Encoding::kJson).ok());
}
