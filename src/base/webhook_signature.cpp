#include "base/webhook_signature.h"

#include <charconv>

#include "base/crypto.h"
#include "base/ids.h"

namespace simpleclaw {

std::optional<std::string> webhook_key(std::string_view secret) {
  if (secret.rfind("whsec_", 0) == 0) return base64_decode(secret.substr(6));
  return std::string(secret);
}

std::string webhook_sign(std::string_view key, std::string_view id, std::int64_t timestamp_s,
                         std::string_view body) {
  std::string content;
  content.reserve(id.size() + body.size() + 24);
  content.append(id).append(".").append(std::to_string(timestamp_s)).append(".").append(body);
  return "v1," + base64(hmac_sha256(key, content));
}

Status webhook_verify(std::string_view key, std::string_view id, std::string_view timestamp,
                      std::string_view signatures, std::string_view body, std::int64_t now_s,
                      std::int64_t tolerance_s) {
  if (id.empty() || id.size() > 256)
    return Error::unauthenticated("webhook-id header missing or longer than 256 bytes");
  std::int64_t ts = 0;
  auto [end, ec] = std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), ts);
  if (timestamp.empty() || ec != std::errc() || end != timestamp.data() + timestamp.size())
    return Error::unauthenticated("webhook-timestamp header missing or not epoch seconds");
  if (ts < now_s - tolerance_s || ts > now_s + tolerance_s)
    return Error::unauthenticated(
        "webhook-timestamp is more than " + std::to_string(tolerance_s) +
        " seconds from the gateway's clock (replayed, or a clock is wrong)");
  const std::string expected = webhook_sign(key, id, ts, body);
  bool seen = false;
  for (std::size_t pos = 0; pos < signatures.size();) {
    std::size_t sp = signatures.find(' ', pos);
    std::string_view one = signatures.substr(pos, sp == std::string_view::npos ? sp : sp - pos);
    if (one.rfind("v1,", 0) == 0) {
      seen = true;
      if (secret_equal(one, expected)) return Ok{};
    }
    if (sp == std::string_view::npos) break;
    pos = sp + 1;
  }
  return Error::unauthenticated(seen
                                    ? "webhook-signature does not match (wrong secret or body)"
                                    : "webhook-signature header missing or without a v1 signature");
}

}  // namespace simpleclaw
