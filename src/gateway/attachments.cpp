#include "gateway/attachments.h"

#include <algorithm>
#include <string>

#include "base/ids.h"
#include "base/utf8.h"

namespace simpleclaw::gateway {
namespace {

constexpr std::size_t kMaxFileNameBytes = 255;

std::string allowed_text(const config::SessionAttachmentsConfig& limits) {
  return "only " + std::string(sessions::kImageFormatsText) + " images of at most " +
         std::to_string(limits.max_image_bytes) + " bytes each, at most " +
         std::to_string(limits.max_images) + " per message, are accepted";
}

// "attachment 2 (cat.png)" / "attachment 2": how an error names the item.
std::string item_name(std::size_t index, const std::string& file_name) {
  std::string s = "attachment " + std::to_string(index + 1);
  if (!file_name.empty()) s += " (" + clip_text(file_name, 80) + ")";
  return s;
}

// The base64 text of an item: content (plain base64 or a data: URL), else
// source {type:"base64", data}; nullptr when there is no string to decode.
const std::string* base64_of(const Json& item) {
  if (auto c = item.find("content"); c != item.end() && c->is_string())
    return &c->get_ref<const std::string&>();
  if (auto src = item.find("source");
      src != item.end() && src->is_object() && src->value("type", "") == "base64") {
    if (auto d = src->find("data"); d != src->end() && d->is_string())
      return &d->get_ref<const std::string&>();
  }
  return nullptr;
}

}  // namespace

Result<Images> parse_attachments(const Json& params,
                                 const config::SessionAttachmentsConfig& limits) {
  auto it = params.find("attachments");
  if (it == params.end() || it->is_null()) return Images{};
  if (!it->is_array()) return Error::invalid("attachments must be an array");
  if (it->empty()) return Images{};
  if (it->size() > static_cast<std::size_t>(std::max(0, limits.max_images)))
    return Error::invalid(
        "too many attachments: " + std::to_string(it->size()) + "; " + allowed_text(limits),
        "INVALID_ATTACHMENT");
  const auto max_bytes = static_cast<std::size_t>(std::max<long long>(0, limits.max_image_bytes));
  auto images = std::make_shared<std::vector<sessions::NewImage>>();
  for (std::size_t i = 0; i < it->size(); ++i) {
    const Json& item = (*it)[i];
    if (!item.is_object())
      return Error::invalid("attachment " + std::to_string(i + 1) + " must be an object",
                            "INVALID_ATTACHMENT");
    std::string file_name = item.value("fileName", "");
    if (!valid_utf8(file_name)) file_name.clear();
    file_name = std::string(utf8_prefix(file_name, kMaxFileNameBytes));
    const std::string name = item_name(i, file_name);
    const std::string* text = base64_of(item);
    if (!text)
      return Error::invalid(name + " has no content: send the image as base64 in `content`",
                            "INVALID_ATTACHMENT");
    std::string_view b64 = *text;
    if (b64.starts_with("data:")) {  // a data: URL: only its base64 payload counts
      const std::size_t comma = b64.find(',');
      if (comma == std::string_view::npos || !b64.substr(0, comma).ends_with(";base64"))
        return Error::invalid(name + ": a data: URL must be base64 (data:<type>;base64,...)",
                              "INVALID_ATTACHMENT");
      b64.remove_prefix(comma + 1);
    }
    // Refused before decoding when even the text is too long for the limit.
    if (b64.size() / 4 * 3 > max_bytes + 3)
      return Error::invalid(
          name + " is larger than " + std::to_string(max_bytes) + " bytes; " + allowed_text(limits),
          "INVALID_ATTACHMENT");
    auto bytes = base64_decode(b64);
    if (!bytes) return Error::invalid(name + ": content is not valid base64", "INVALID_ATTACHMENT");
    if (bytes->size() > max_bytes)
      return Error::invalid(
          name + " is " + std::to_string(bytes->size()) + " bytes; " + allowed_text(limits),
          "INVALID_ATTACHMENT");
    auto format = sessions::sniff_image(*bytes);
    if (!format)
      return Error::invalid(name + " is not a " + std::string(sessions::kImageFormatsText) +
                                " image; " + allowed_text(limits),
                            "INVALID_ATTACHMENT");
    images->push_back(sessions::NewImage{*format, std::move(*bytes), std::move(file_name)});
  }
  return Images(std::move(images));
}

Json attachments_policy(const config::SessionAttachmentsConfig& limits) {
  return Json{{"maxBytes", limits.max_image_bytes}, {"maxImageBytes", limits.max_image_bytes}};
}

}  // namespace simpleclaw::gateway
