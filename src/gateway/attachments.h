// Attachments of chat.send, sessions.send and agent: OpenClaw's items {type?, mimeType?,
// fileName?, content} (content: base64, or a data: URL) or {source: {type:"base64",
// media_type, data}}, turned into decoded images ready for the store. Only images are
// accepted, recognised by their bytes (the declared type and mimeType are not trusted):
// PNG, JPEG, GIF, WebP, each at most sessions.attachments.max_image_bytes, at most
// sessions.attachments.max_images per message. Anything else refuses the whole request
// with INVALID_REQUEST naming the item and what is allowed; nothing is stored then.
//
// Pure; any thread (the dispatcher calls it on the loop: at most max_payload bytes of
// base64 to decode and sniff, no I/O).
#pragma once
#include <memory>
#include <vector>

#include "config/config.h"
#include "sessions/media.h"
#include "simpleclaw/result.h"

namespace simpleclaw::gateway {

using Images = std::shared_ptr<const std::vector<sessions::NewImage>>;

// params["attachments"] -> the images (null when there are none).
Result<Images> parse_attachments(const Json& params,
                                 const config::SessionAttachmentsConfig& limits);

// hello-ok policy.attachments: {maxBytes, maxImageBytes} (images are all we take).
Json attachments_policy(const config::SessionAttachmentsConfig& limits);

}  // namespace simpleclaw::gateway
