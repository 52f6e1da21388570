// Images attached to messages: sniffing by signature (the declared type is never
// trusted), the transcript column's JSON, and the content-addressed store (one file per
// distinct image, a damaged file refused rather than sent).
#include "sessions/media.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/crypto.h"
#include "base/ids.h"

namespace simpleclaw::sessions {
namespace {

using namespace std::string_literals;

const std::string kPng = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR"s;
const std::string kJpeg = "\xff\xd8\xff\xe0\0\x10JFIF\0"s;
const std::string kGif87 = "GIF87a\x01\0\x01\0"s;
const std::string kGif89 = "GIF89a\x01\0\x01\0"s;
const std::string kWebp = "RIFF\x24\0\0\0WEBPVP8 "s;

TEST(ImageSniff, RecognisesTheFourFormatsByTheirBytes) {
  const std::pair<std::string, std::string> cases[] = {{kPng, "image/png"},
                                                       {kJpeg, "image/jpeg"},
                                                       {kGif87, "image/gif"},
                                                       {kGif89, "image/gif"},
                                                       {kWebp, "image/webp"}};
  for (const auto& [bytes, mime] : cases) {
    auto f = sniff_image(bytes);
    ASSERT_TRUE(f.has_value()) << mime;
    EXPECT_EQ(f->mime_type, mime);
    EXPECT_EQ(image_format(mime)->ext, f->ext);
  }
  EXPECT_EQ(sniff_image(kJpeg)->ext, "jpg");
}

TEST(ImageSniff, RefusesWhatOnlyLooksLikeAnImage) {
  for (const std::string& bytes :
       {""s, "hello world"s, "%PDF-1.7\n"s, kPng.substr(0, 7), "\xff\xd8"s, "GIF88a"s,
        "RIFF\x24\0\0\0WAVEfmt "s,  // a RIFF file that is audio, not WebP
        "RIFF\x24\0\0"s, "<svg xmlns='http://www.w3.org/2000/svg'/>"s, "BM\x36\0\0\0"s})
    EXPECT_FALSE(sniff_image(bytes).has_value()) << bytes;
  EXPECT_FALSE(image_format("image/svg+xml").has_value());
}

TEST(ImageColumn, RoundTripsAndSkipsDamagedItems) {
  ImageRef a{std::string(64, 'a'), "image/png", "cat.png", 123, nullptr};
  ImageRef b{std::string(64, 'b'), "image/jpeg", "", 9, nullptr};
  auto back = images_from_column(images_to_column({a, b}));
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].sha256, a.sha256);
  EXPECT_EQ(back[0].file_name, "cat.png");
  EXPECT_EQ(back[0].bytes, 123);
  EXPECT_EQ(back[1].mime_type, "image/jpeg");
  EXPECT_EQ(images_to_column({}), "");
  EXPECT_TRUE(images_from_column("").empty());
  EXPECT_TRUE(images_from_column("not json").empty());
  // A path in place of a hash, or an unknown type, is never trusted.
  auto some =
      images_from_column(R"([{"sha256":"../../etc/passwd","mimeType":"image/png"},)"
                         R"({"sha256":")" +
                         std::string(64, 'c') + R"(","mimeType":"text/html"},)" + R"({"sha256":")" +
                         std::string(64, 'd') + R"(","mimeType":"image/gif","bytes":4}])");
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].sha256, std::string(64, 'd'));
}

class MediaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/sc-media-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::size_t files() const {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir_ + "/media/sha256")) {
      (void)e;
      ++n;
    }
    return n;
  }
  std::string dir_;
};

TEST_F(MediaStoreTest, SameBytesAreOneFileNamedByTheirHash) {
  MediaStore store(dir_ + "/media");
  const std::string bytes = kPng + std::string(1000, 'x');
  auto a = store.put(NewImage{*sniff_image(bytes), bytes, "a.png"});
  ASSERT_TRUE(a.ok()) << a.error().message;
  auto b = store.put(NewImage{*sniff_image(bytes), bytes, "other-name.png"});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->sha256, sha256_hex(bytes));
  EXPECT_EQ(a->sha256, b->sha256);
  EXPECT_EQ(b->file_name, "other-name.png");  // the name is the message's, not the file's
  EXPECT_EQ(files(), 1u);
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/media/sha256/" + a->sha256 + ".png"));
  auto data = store.load_base64(*a);
  ASSERT_TRUE(data.ok()) << data.error().message;
  EXPECT_EQ(**data, base64(bytes));
  const std::string gif = kGif89 + "more";
  ASSERT_TRUE(store.put(NewImage{*sniff_image(gif), gif, ""}).ok());
  EXPECT_EQ(files(), 2u);
}

TEST_F(MediaStoreTest, ADamagedOrMissingFileIsAnErrorNotAnImage) {
  MediaStore store(dir_ + "/media");
  const std::string bytes = kJpeg + "payload";
  auto ref = store.put(NewImage{*sniff_image(bytes), bytes, ""});
  ASSERT_TRUE(ref.ok());
  {
    std::ofstream out(store.path_of(ref->sha256, *sniff_image(bytes)), std::ios::trunc);
    out << "tampered";
  }
  auto bad = store.load_base64(*ref);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("damaged"), std::string::npos);
  ImageRef gone = *ref;
  gone.sha256 = std::string(64, 'e');
  EXPECT_FALSE(store.load_base64(gone).ok());
}

}  // namespace
}  // namespace simpleclaw::sessions
