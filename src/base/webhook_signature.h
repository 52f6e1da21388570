// Standard Webhooks signatures (standardwebhooks.com), the one format for webhooks in
// (POST /hooks/*) and out (cron deliveries):
//
//   webhook-id: msg_...           unique per message (a receiver refuses replays by it)
//   webhook-timestamp: 1733390000 epoch seconds
//   webhook-signature: v1,<base64 HMAC-SHA256(secret, "<id>.<timestamp>.<body>")>
//
// A secret written "whsec_<base64>" is the base64-decoded bytes (the format's own
// convention); any other string is used as it is. Several space-separated signatures may
// be sent (key rotation): one match is enough. Pure functions; any thread.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "simpleclaw/result.h"

namespace simpleclaw {

// The HMAC key a configured secret stands for; nullopt for "whsec_" with bad base64.
std::optional<std::string> webhook_key(std::string_view secret);
// "v1,<base64>" for this message.
std::string webhook_sign(std::string_view key, std::string_view id, std::int64_t timestamp_s,
                         std::string_view body);
// Checks a received message: the timestamp within `tolerance_s` of now (either way) and
// one of the signatures matching (compared in constant time). Errors say which check failed
// (never the expected signature).
Status webhook_verify(std::string_view key, std::string_view id, std::string_view timestamp,
                      std::string_view signatures, std::string_view body, std::int64_t now_s,
                      std::int64_t tolerance_s = 300);

}  // namespace simpleclaw
