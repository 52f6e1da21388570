// Images attached to user messages: what an image is (sniffed from its bytes, never the
// declared type), how a transcript entry refers to one (ImageRef, stored as JSON in the
// entry's `images` column), and MediaStore, the content-addressed files they live in:
//
//   <state>/media/sha256/<hex sha-256 of the bytes>.<png|jpg|gif|webp>
//
// One file per distinct image however often it is sent (the name is the hash), written
// atomically (temp file + fsync + rename) before the entry that refers to it commits, so
// a stored reference always has its file. Files are never rewritten; they are not
// garbage-collected when a session is deleted (another session may hold the same image).
//
// Pure functions and a MediaStore that holds only its root path: any thread. The store's
// methods do blocking file I/O (the DbWorker calls them, next to the transcript).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simpleclaw/result.h"

namespace simpleclaw::sessions {

// The image formats a user may attach (every provider accepts these four).
struct ImageFormat {
  std::string_view mime_type;  // "image/png" | "image/jpeg" | "image/gif" | "image/webp"
  std::string_view ext;        // "png" | "jpg" | "gif" | "webp"
};
// What the bytes are, by their signature; nullopt when none of the four.
std::optional<ImageFormat> sniff_image(std::string_view bytes);
// The format of a stored mime type (for reading a reference back); nullopt if unknown.
std::optional<ImageFormat> image_format(std::string_view mime_type);
// "PNG, JPEG, GIF or WebP": for error messages.
inline constexpr std::string_view kImageFormatsText = "PNG, JPEG, GIF or WebP";

// A decoded, sniffed image on its way into the store (chat.send -> begin_run).
struct NewImage {
  ImageFormat format;
  std::string bytes;
  std::string file_name;  // as the client named it (display only; may be empty)
};

// A transcript entry's reference to a stored image. `data` (base64) is filled only when
// a reader asked for the bytes (the model's context, a chat.history page).
struct ImageRef {
  std::string sha256;     // lower-case hex: the file's name
  std::string mime_type;  // sniffed
  std::string file_name;  // as sent; may be empty
  std::int64_t bytes = 0;
  std::shared_ptr<const std::string> data;  // base64 of the file; null = not loaded
};

// The `images` column: [{sha256, mimeType, bytes, fileName?}] ("" for none), and back.
// Unreadable JSON or items (a newer or damaged row) are skipped, never trusted.
std::string images_to_column(const std::vector<ImageRef>& refs);
std::vector<ImageRef> images_from_column(std::string_view text);

class MediaStore {
 public:
  explicit MediaStore(std::string root = {}) : root_(std::move(root)) {}
  const std::string& root() const { return root_; }

  // Stores the image unless a file with its hash is already there; the reference.
  Result<ImageRef> put(const NewImage& image) const;
  // The stored file as base64, checked against its hash (a damaged or missing file is
  // an error, never sent as if it were the image).
  Result<std::shared_ptr<const std::string>> load_base64(const ImageRef& ref) const;
  // <root>/sha256/<hash>.<ext>
  std::string path_of(std::string_view sha256, const ImageFormat& format) const;

 private:
  std::string root_;
};

}  // namespace simpleclaw::sessions
