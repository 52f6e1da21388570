// chat.send's attachments: the shapes OpenClaw's clients send (content base64, a data:
// URL, Anthropic's source block), the type decided by the bytes, and each refusal naming
// the item and what is allowed.
#include "gateway/attachments.h"

#include <gtest/gtest.h>

#include "base/ids.h"

namespace simpleclaw::gateway {
namespace {

using namespace std::string_literals;

const std::string kPngBytes = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest"s;
const std::string kJpegBytes = "\xff\xd8\xff\xe0\0\x10JFIF-rest"s;

config::SessionAttachmentsConfig limits(long long max_bytes = 1024, int max_images = 3) {
  config::SessionAttachmentsConfig l;
  l.max_image_bytes = max_bytes;
  l.max_images = max_images;
  return l;
}

Json with(Json items) { return Json{{"attachments", std::move(items)}}; }

TEST(Attachments, NoneIsNoImages) {
  for (const Json& p : {Json::object(), with(nullptr), with(Json::array())}) {
    auto r = parse_attachments(p, limits());
    ASSERT_TRUE(r.ok()) << p.dump();
    EXPECT_EQ(*r, nullptr);
  }
}

TEST(Attachments, EveryShapeClientsSendIsDecodedAndTheBytesDecideTheType) {
  Json items = Json::array(
      {// The Control UI: bare base64, with a declared type the bytes contradict.
       Json{{"type", "image"},
            {"mimeType", "image/png"},
            {"fileName", "photo.png"},
            {"content", base64(kJpegBytes)}},
       Json{{"content", "data:image/png;base64," + base64(kPngBytes)}},
       Json{{"source",
             {{"type", "base64"}, {"media_type", "image/png"}, {"data", base64(kPngBytes)}}}}});
  auto r = parse_attachments(with(items), limits());
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_NE(*r, nullptr);
  const auto& imgs = **r;
  ASSERT_EQ(imgs.size(), 3u);
  EXPECT_EQ(imgs[0].format.mime_type, "image/jpeg");  // sniffed, not declared
  EXPECT_EQ(imgs[0].file_name, "photo.png");
  EXPECT_EQ(imgs[0].bytes, kJpegBytes);
  EXPECT_EQ(imgs[1].format.mime_type, "image/png");
  EXPECT_EQ(imgs[2].bytes, kPngBytes);
}

TEST(Attachments, RefusalsNameTheItemAndWhatIsAllowed) {
  struct Case {
    Json items;
    std::string says;
    bool names_limits = false;  // the message also says what is accepted
  };
  const Case cases[] = {
      {Json::array({Json{{"content", base64(kPngBytes)}}, Json{{"content", base64(kPngBytes)}},
                    Json{{"content", base64(kPngBytes)}}, Json{{"content", base64(kPngBytes)}}}),
       "too many attachments: 4", true},
      {Json::array({Json{{"fileName", "big.png"},
                         {"content", base64(kPngBytes + std::string(1100, 'x'))}}}),
       "attachment 1 (big.png) is larger than 1024 bytes", true},
      {Json::array(
           {Json{{"content", base64(kPngBytes + std::string(1024 - kPngBytes.size() + 1, 'x'))}}}),
       "attachment 1 is 1025 bytes", true},
      {Json::array({Json{{"content", base64(kPngBytes)}}, Json{{"fileName", "notes.txt"},
                                                               {"type", "image"},
                                                               {"mimeType", "image/png"},
                                                               {"content", base64("just text")}}}),
       "attachment 2 (notes.txt) is not a PNG, JPEG, GIF or WebP image", true},
      {Json::array({Json{{"content", "not base64!"}}}),
       "attachment 1: content is not valid base64"},
      {Json::array({Json{{"content", "data:image/png,rawbytes"}}}), "must be base64"},
      {Json::array({Json{{"mimeType", "image/png"}}}), "attachment 1 has no content"},
      {Json::array({Json("AAAA")}), "attachment 1 must be an object"},
  };
  for (const Case& c : cases) {
    auto r = parse_attachments(with(c.items), limits());
    ASSERT_FALSE(r.ok()) << c.says;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
    if (c.names_limits)
      EXPECT_NE(r.error().message.find("only PNG, JPEG, GIF or WebP images of at most 1024 bytes"),
                std::string::npos)
          << r.error().message;
  }
  // max_images 0: attachments are turned off.
  auto off =
      parse_attachments(with(Json::array({Json{{"content", base64(kPngBytes)}}})), limits(1024, 0));
  EXPECT_FALSE(off.ok());
}

TEST(Attachments, PolicyAdvertisesTheImageLimit) {
  EXPECT_EQ(attachments_policy(limits(5000, 2)),
            (Json{{"maxBytes", 5000}, {"maxImageBytes", 5000}}));
}

}  // namespace
}  // namespace simpleclaw::gateway
