// One Slack Web API call (https://slack.com/api/<method>) over the project's async HTTP
// client: the bearer token, a JSON or empty form body, the answer read up to
// kMaxApiReplyBytes and parsed, and Retry-After picked out for rate limits. Slack answers
// most failures with HTTP 200 and {"ok": false, "error": "invalid_auth"}; 429 with
// Retry-After means "ratelimited".
//
// Threading: loop thread only; `done` runs on it exactly once (posted, never inline),
// unless the returned call is cancelled, after which `done` still runs with
// `cancelled` = true (callers guard it with their own alive token). The token goes into
// the Authorization header only: never into an error string.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "net/http_client.h"
#include "simpleclaw/result.h"

namespace simpleclaw::channels::slack {

struct ApiResult {
  bool cancelled = false;
  std::string transport_error;  // non-empty: no usable answer (connect, TLS, timeout, junk)
  int status = 0;               // HTTP status
  Json body;                    // the answer object (null when not JSON)
  std::chrono::milliseconds retry_after{0};  // from Retry-After (429), 0 when absent

  bool ok() const;                  // transport fine, 2xx and "ok": true
  bool ratelimited() const;         // HTTP 429 or "error": "ratelimited"
  std::string slack_error() const;  // "invalid_auth", "http 500", or the transport error
};

// POSTs {base}/{method}. `json_body` nullopt = an empty form body (auth.test,
// apps.connections.open take no arguments).
std::shared_ptr<net::HttpCall> api_call(boost::asio::io_context& io, const std::string& base,
                                        const std::string& method, const std::string& token,
                                        std::optional<Json> json_body, net::HttpOptions opts,
                                        std::function<void(ApiResult)> done);

}  // namespace simpleclaw::channels::slack
