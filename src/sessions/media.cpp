#include "sessions/media.h"

#include <sys/stat.h>

#include <array>

#include "base/crypto.h"
#include "base/fs.h"
#include "base/ids.h"

namespace simpleclaw::sessions {
namespace {

constexpr std::array<ImageFormat, 4> kImageFormats{
    {{"image/png", "png"}, {"image/jpeg", "jpg"}, {"image/gif", "gif"}, {"image/webp", "webp"}}};

bool starts_with_bytes(std::string_view b, std::string_view sig, std::size_t at = 0) {
  return b.size() >= at + sig.size() && b.substr(at, sig.size()) == sig;
}

bool is_hex_sha256(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

std::optional<ImageFormat> sniff_image(std::string_view b) {
  using namespace std::string_view_literals;
  if (starts_with_bytes(b, "\x89PNG\r\n\x1a\n"sv)) return kImageFormats[0];
  if (starts_with_bytes(b, "\xff\xd8\xff"sv)) return kImageFormats[1];
  if (starts_with_bytes(b, "GIF87a"sv) || starts_with_bytes(b, "GIF89a"sv)) return kImageFormats[2];
  if (starts_with_bytes(b, "RIFF"sv) && starts_with_bytes(b, "WEBP"sv, 8)) return kImageFormats[3];
  return std::nullopt;
}

std::optional<ImageFormat> image_format(std::string_view mime_type) {
  for (const ImageFormat& f : kImageFormats)
    if (f.mime_type == mime_type) return f;
  return std::nullopt;
}

std::string images_to_column(const std::vector<ImageRef>& refs) {
  if (refs.empty()) return {};
  Json a = Json::array();
  for (const ImageRef& r : refs) {
    Json j{{"sha256", r.sha256}, {"mimeType", r.mime_type}, {"bytes", r.bytes}};
    if (!r.file_name.empty()) j["fileName"] = r.file_name;
    a.push_back(std::move(j));
  }
  return a.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::vector<ImageRef> images_from_column(std::string_view text) {
  std::vector<ImageRef> out;
  if (text.empty()) return out;
  Json a = Json::parse(text, nullptr, false);
  if (!a.is_array()) return out;
  for (const Json& j : a) {
    if (!j.is_object()) continue;
    ImageRef r;
    r.sha256 = j.value("sha256", "");
    r.mime_type = j.value("mimeType", "");
    r.file_name = j.value("fileName", "");
    r.bytes = j.value("bytes", std::int64_t{0});
    if (!is_hex_sha256(r.sha256) || !image_format(r.mime_type)) continue;
    out.push_back(std::move(r));
  }
  return out;
}

std::string MediaStore::path_of(std::string_view sha256, const ImageFormat& format) const {
  return root_ + "/sha256/" + std::string(sha256) + "." + std::string(format.ext);
}

Result<ImageRef> MediaStore::put(const NewImage& image) const {
  if (root_.empty()) return Error::internal("no media directory configured (bug)");
  ImageRef ref;
  ref.sha256 = sha256_hex(image.bytes);
  ref.mime_type = std::string(image.format.mime_type);
  ref.file_name = image.file_name;
  ref.bytes = static_cast<std::int64_t>(image.bytes.size());
  const std::string path = path_of(ref.sha256, image.format);
  struct stat st {};
  // Same name = same bytes: an existing file of the right size is this image already.
  if (::stat(path.c_str(), &st) == 0 && st.st_size == ref.bytes) return ref;
  if (auto s = make_dirs(root_ + "/sha256"); !s.ok()) return s.error();
  if (auto s = write_file_atomic(path, image.bytes, 0600); !s.ok()) return s.error();
  return ref;
}

Result<std::shared_ptr<const std::string>> MediaStore::load_base64(const ImageRef& ref) const {
  auto format = image_format(ref.mime_type);
  if (!format || !is_hex_sha256(ref.sha256))
    return Error::invalid("not a stored image reference: " + ref.sha256);
  auto bytes = read_file(path_of(ref.sha256, *format));
  if (!bytes.ok()) return bytes.error();
  if (sha256_hex(*bytes) != ref.sha256)
    return Error::io("stored image " + ref.sha256 + " is damaged (its hash does not match)");
  return std::make_shared<const std::string>(base64(*bytes));
}

}  // namespace simpleclaw::sessions
